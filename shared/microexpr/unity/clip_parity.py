"""Play a clip in the Python core and in the C# runtime and measure the difference.

C#'s ``ClipPlayer`` against the clip's held weights (``python_clip``), and C#'s ``MicroLayer``
of the clip's events against ``envelope.layer`` (``python_events``), onto zeros or a base
clip; for a clip made on a neutral, the events on zeros must give back its stored weights.
``compare_clip`` runs them in blocks of ``CHUNK`` (20,000) frames: memory stays flat in the
clip's length.
"""
from __future__ import annotations

from typing import Dict, Optional

import numpy as np

from microexpr.micro.envelope import layer
from microexpr.unity import net
from microexpr.unity.parity import max_diff

#: Frames ``compare_clip`` checks at a time: its memory stays flat in the clip's length.
CHUNK = 20000


def _held(W: np.ndarray, valid: np.ndarray, hold: bool, carry: Optional[np.ndarray]):
    """Rows ``W`` (n, T) of a clip as a player shows them, ``valid`` their flags; ``carry`` the
    weights of the last valid frame before them (None: none yet). (held rows, the new carry);
    the rows are ``W`` itself when nothing is held."""
    if not hold or bool(valid.all()):
        return W, (W[-1] if hold and len(W) else carry)
    src = np.where(valid, np.arange(len(valid)), -1)
    np.maximum.accumulate(src, out=src)
    out = W[np.maximum(src, 0)]
    before = src < 0                             # before the first valid frame of these rows
    out[before] = W[before] if carry is None else carry
    return out, (out[-1] if src[-1] >= 0 else carry)


def _arrays(clip):
    """The clip's weights (F, T) and validity (F,), as stored (no copy when they are arrays)."""
    F, T = len(clip.weights), len(clip.targets)
    return np.asarray(clip.weights, np.float64).reshape(F, T), np.asarray(clip.valid, bool)


def held_weights(clip) -> np.ndarray:
    """A clip's weights as a player shows them: with ``hold_invalid``, an invalid frame repeats
    the last valid frame's weights (frames before the first valid one keep their own)."""
    W, valid = _arrays(clip)
    out = _held(W, valid, clip.hold_invalid, None)[0]
    return out.copy() if out is W else out


def python_clip(clip) -> np.ndarray:
    """What a player shows (F, T): the held weights. They already include the clip's events."""
    return held_weights(clip)


def _events_rows(clip, first: int, base: np.ndarray) -> np.ndarray:
    """``envelope.layer`` of the clip's events onto ``base``, the rows of frames ``first``...
    at their times (as ``clip.times()``); events that end before or start after these frames
    are left out (they add exactly 0 there)."""
    times = clip.start_time + np.arange(first, first + len(base)) / clip.fps
    lo, hi = (float(times[0]), float(times[-1])) if len(times) else (0.0, -1.0)
    events = [e for e in clip.events if e.offset >= lo and e.onset <= hi]
    return layer(base, events, clip.targets, times)


def python_events(clip, base: Optional[np.ndarray] = None) -> np.ndarray:
    """The clip's events layered onto ``base`` (F, T; zeros when None) at the clip's frame
    times: ``envelope.layer``, as a runtime layers them onto a live solve."""
    shape = (len(clip.weights), len(clip.targets))
    B = np.zeros(shape) if base is None else np.asarray(base, np.float64)
    if B.shape != shape:
        raise ValueError("base is %s, the clip %s" % (B.shape, shape))
    return layer(B, clip.events, clip.targets, clip.times())


def made_on_neutral(clip) -> bool:
    """True when the clip's source says it was made on a neutral (no base clip), so its
    events layered onto zeros must give back its weights."""
    src = clip.source if isinstance(clip.source, dict) else {}
    return src.get("base") is None


class _BaseRows:
    """A base clip's held weights in a clip's frames and target order (targets the base lacks
    at 0), a block of frames at a time, in order (the hold carries across blocks)."""

    def __init__(self, clip, base_clip) -> None:
        from microexpr.errors import MicroExprError

        F, fix = len(clip.weights), "pass the clip the micro-expression was layered onto"
        if len(base_clip.weights) != F or abs(base_clip.fps - clip.fps) > 1e-9:
            raise MicroExprError("the base clip has %d frames at %g fps, the clip %d at %g fps"
                                 % (len(base_clip.weights), base_clip.fps, F, clip.fps), field="--base", fix=fix)
        extra = [t for t in base_clip.targets if t not in clip.targets]
        if extra:
            raise MicroExprError("the base clip has targets the clip lacks: %s" % ", ".join(extra[:5]),
                                 field="--base", fix=fix)
        index = {n: i for i, n in enumerate(clip.targets)}
        self.columns = [index[t] for t in base_clip.targets]
        self.targets, self.hold = len(clip.targets), base_clip.hold_invalid
        self.W, self.valid = _arrays(base_clip)
        self.carry: Optional[np.ndarray] = None

    def rows(self, first: int, count: int) -> np.ndarray:
        span = slice(first, first + count)
        held, self.carry = _held(self.W[span], self.valid[span], self.hold, self.carry)
        out = np.zeros((count, self.targets))
        out[:, self.columns] = held
        return out


def base_weights(clip, base_clip) -> np.ndarray:
    """``base_clip``'s held weights in ``clip``'s frames and target order (targets the base
    lacks at 0)."""
    return _BaseRows(clip, base_clip).rows(0, len(clip.weights))


def _clip_data(clip, source: str):
    """A C# ClipData: ``clip`` is bridge JSON text, or a ClipData C# already read."""
    if isinstance(clip, str):
        return net.runtime().ClipData.FromJson(clip, source)
    return clip


class CSharpClip:
    """C#'s ``ClipPlayer`` and ``MicroLayer`` of a ClipData, evaluated a block of frames per
    call (``EvaluateFrames``, ``LayerFrames``) into buffers of ``chunk`` frames made once."""

    def __init__(self, data, chunk: int = CHUNK) -> None:
        rt = net.runtime()
        self.data, self.frames, self.targets = data, int(data.Frames), int(data.TargetCount)
        self.player, self.micro = rt.ClipPlayer(data), rt.MicroLayer(data.Events, data.Targets)
        size = max(1, min(chunk, self.frames)) * self.targets
        self.out, self.base = net.new_doubles(size), net.new_doubles(size)

    def _rows(self, count: int) -> np.ndarray:
        return np.frombuffer(memoryview(self.out), np.float64)[:count * self.targets].reshape(count, -1).copy()

    def played(self, first: int, count: int) -> np.ndarray:
        """Frames first .. first + count - 1 as the player shows them (count, T)."""
        self.player.EvaluateFrames(first, count, self.out)
        return self._rows(count)

    def layered(self, first: int, count: int, base: Optional[np.ndarray] = None) -> np.ndarray:
        """The events onto ``base`` (count, T; zeros when None) at those frames' times."""
        if base is not None:
            from System import IntPtr
            from System.Runtime.InteropServices import Marshal

            rows = np.ascontiguousarray(base, np.float64).reshape(-1)
            Marshal.Copy(IntPtr.op_Explicit(int(rows.ctypes.data)), self.base, 0, rows.size)
        self.micro.LayerFrames(self.data, first, count, None if base is None else self.base, self.out)
        return self._rows(count)


def _whole(cs: CSharpClip, block) -> np.ndarray:
    return np.concatenate([block(f, min(CHUNK, cs.frames - f)) for f in range(0, cs.frames, CHUNK)]
                          or [np.zeros((0, cs.targets))])


def csharp_clip(clip, source: str = "<clip>") -> np.ndarray:
    """C#'s ``ClipPlayer`` over every frame of the clip (bridge JSON text, or a ClipData C#
    read, e.g. by ``parity.csharp_clip_file``), as ``EvaluateFrame`` gives them (F, T)."""
    cs = CSharpClip(_clip_data(clip, source))
    return _whole(cs, cs.played)


def csharp_clip_frames(cs: CSharpClip, first: int, count: int) -> np.ndarray:
    """C#'s ``ClipPlayer`` on frames first .. first + count - 1 (what ``compare_clip`` checks)."""
    return cs.played(first, count)


def csharp_events(clip, base: Optional[np.ndarray] = None, source: str = "<clip>") -> np.ndarray:
    """C#'s ``MicroLayer`` of the clip's events (JSON text or a C# ClipData) over ``base``
    (zeros when None), at ``ClipData.FrameTime`` of every frame (F, T)."""
    cs = CSharpClip(_clip_data(clip, source))
    B = None if base is None else np.asarray(base, np.float64).reshape(cs.frames, cs.targets)
    return _whole(cs, lambda first, count: cs.layered(first, count, None if B is None else B[first:first + count]))


def _worse(a: float, b: float) -> float:
    return a if a != a or a >= b else b          # NaN stays


def compare_clip(clip, clip_cs=None, base=None, on_neutral: Optional[bool] = None, rig=None,
                 clip_file: Optional[str] = None) -> Dict[str, object]:
    """Three checks of a clip, each a largest absolute weight difference. C# plays ``clip_cs``:
    the ClipData its reader read from the clip's file (``parity.csharp_clip_file``), or bridge
    JSON text; default: ``clip`` written as JSON.

    ``player_diff``  C# ``ClipPlayer`` frames against the held weights (what a player shows);
    ``events_diff``  C# ``MicroLayer`` of the events onto a base against ``envelope.layer`` of
                     the same base: zeros, or ``base`` (a Clip: its held weights);
    ``baked_diff``   C# ``MicroLayer`` onto zeros against the stored weights, for a clip made
                     on a neutral (``made_on_neutral``, or ``on_neutral=True`` from a caller
                     that knows); None when not checked.

    ``max_abs_diff`` is the worst of them. Both sides run ``CHUNK`` frames at a time (C#'s
    ``EvaluateFrames`` and ``LayerFrames``), so memory does not grow with the clip beyond the
    clip itself. A clip without frames proves nothing and is refused; with ``rig``, so is a
    clip (or base) made for another rig (``validate.check_clip_for_rig``).
    """
    from microexpr.bridge.io import dumps
    from microexpr.bridge.validate import check_clip_for_rig
    from microexpr.errors import MicroExprError

    if rig is not None:
        check_clip_for_rig(clip, rig, clip_file)
        if base is not None:
            check_clip_for_rig(base, rig, what="base clip")
    if len(clip.weights) == 0:
        raise MicroExprError("the clip has no frames: there is nothing to compare", file=clip_file,
                             field="weights", fix="pass a clip with at least one frame")
    bases = None if base is None else _BaseRows(clip, base)
    cs = CSharpClip(_clip_data(clip_cs if clip_cs is not None else dumps(clip), "<clip>"))
    neutral = made_on_neutral(clip) if on_neutral is None else bool(on_neutral)
    W, valid = _arrays(clip)
    player = events = 0.0 if (cs.frames, cs.targets) == W.shape else float("inf")   # inf: another clip
    baked: Optional[float] = events if neutral else None
    carry = None
    for first in range(0, len(W) if events == 0.0 else 0, CHUNK):
        span = slice(first, first + CHUNK)
        count = len(W[span])
        held, carry = _held(W[span], valid[span], clip.hold_invalid, carry)
        player = _worse(player, max_diff(held, csharp_clip_frames(cs, first, count)))
        B = None if bases is None else bases.rows(first, count)
        cs_events = cs.layered(first, count, B)
        py_events = _events_rows(clip, first, np.zeros((count, cs.targets)) if B is None else B)
        events = _worse(events, max_diff(py_events, cs_events))
        if baked is not None:
            on_zeros = cs_events if B is None else cs.layered(first, count, None)
            baked = _worse(baked, max_diff(W[span], on_zeros))
    worst = _worse(_worse(player, events), baked if baked is not None else 0.0)
    return {"max_abs_diff": worst, "player_diff": player, "events_diff": events, "baked_diff": baked,
            "base": "zeros" if base is None else "base clip", "frames": len(clip.weights),
            "targets": len(clip.targets), "events": len(clip.events)}
