"""Synthesise a micro-expression: AUs -> timed events -> a clip, alone or layered on a base.

Steps: the request (emotion prototype or AU list) is checked for contradictions; each AU
gets its timing (``timing.py``) and drives its targets through the rig's AU map
(``mapping.py``); all events are scaled together so the largest vertex displacement, in
continuous time, equals the requested millimetres (``amplitude.py``); the clip is rendered
with ``microexpr.micro.envelope.layer`` - exactly what the Unity runtime re-evaluates from the
recorded events.

Layering on a base clip (a macro expression, a capture) is additive with clamping:
``w(t) = clamp(base(t) + sum_e peak_e * env_e(t), 0, 1)`` at the base clip's frames (its
frame rate, start time and targets win; targets it lacks are added at 0). Where the base
already holds a target near 1 the clamp cuts the micro-expression: the report gives the
size that survives (``peak_mm_layered``). Contradictions between the micro-expression's
AUs and what the base's active targets stand for are refused.
"""
from __future__ import annotations

import math
import os
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Union

import numpy as np

from microexpr._version import __version__
from microexpr.atomicio import PathLike
from microexpr.bridge import Clip, MicroEvent, Rig, load_clip, load_rig, save_clip
from microexpr.errors import MicroExprError
from microexpr.limits import FRAMES, MIN_FPS
from microexpr.micro import amplitude, emotions, plausibility
from microexpr.micro import envelope as env
from microexpr.micro.facs import AURequest
from microexpr.micro.mapping import AUMap, au_map
from microexpr.micro.timing import AUTiming, TimingBounds, draw_timing, span_of

LEAD = 0.1          # seconds of neutral before the micro-expression (no base clip)
TAIL = 0.1          # and after it
ROUND_DIGITS = 6    # event times are rounded to the microsecond
LAYER_THRESHOLD = 0.05


@dataclass
class Plan:
    """Resolved AUs and events before rendering (all random choices made)."""

    reqs: List[AURequest]
    timings: List[AUTiming]
    events: List[MicroEvent]
    report: dict


class Synthesizer:
    """Micro-expressions for one rig; build once, then call ``clip`` as often as needed."""

    def __init__(self, rig: Rig, mapping: Union[None, str, dict, AUMap] = None) -> None:
        amplitude.check_units(rig)
        self.rig = rig
        self.map = au_map(rig, mapping)
        self.deltas = amplitude.RigDeltas(rig)
        self.targets = rig.target_names()
        self.index = {n: i for i, n in enumerate(self.targets)}
        self.target_aus = self.map.target_aus()

    # -- requests ----------------------------------------------------------------------
    def request(self, emotion: Optional[str] = None, aus: Optional[str] = None,
                intensity: str = "C", mirror: bool = False) -> List[AURequest]:
        """AUs of an emotion prototype or a free AU list, checked for contradictions."""
        if emotion is not None and aus is None:
            reqs = emotions.emotion_aus(emotion, intensity, mirror)
        elif aus is not None and emotion is None:
            reqs = emotions.parse_aus(aus, intensity)
            if mirror:
                reqs = [r.mirrored() for r in reqs]
        else:
            raise MicroExprError("give either an emotion or an AU list", field="--emotion/--aus",
                                 fix="e.g. --emotion contempt, or --aus 4+7+R12B")
        plausibility.check(reqs, "--emotion" if emotion is not None else "--aus")
        return reqs

    # -- events ------------------------------------------------------------------------
    def plan(self, reqs: Sequence[AURequest], timings: Sequence[AUTiming], peak_mm: float,
             at: float, strict: bool = False, frames: Optional[np.ndarray] = None) -> Plan:
        """Sized events for ``reqs`` with their ``timings`` (``timing.draw_timing``), the
        micro-expression starting at ``at`` seconds; ``frames`` (times) to also report the
        largest displacement the frames catch."""
        rows, unexpressed, both = [], [], []
        rounded = np.round(np.array([[at + t.onset, at + t.apex, at + t.offset, t.hold]
                                     for t in timings]), ROUND_DIGITS).tolist()
        for req, tm, (onset, apex, offset, hold) in zip(reqs, timings, rounded):
            drives, both_sides = self.map.drives_for(req.au, req.side)
            if not drives:
                unexpressed.append(req.label)
                continue
            if both_sides:
                both.append(req.label)
            hold = max(min(hold, offset - apex), 0.0)
            rel = req.level * tm.reached * tm.damping
            for d in drives:
                rows.append((req, tm, d, onset, apex, hold, offset, rel * d.gain))
        if unexpressed and (strict or len(unexpressed) == len(reqs)):
            raise MicroExprError("the rig cannot express AU %s (AU map: %s)"
                                 % (", ".join(unexpressed), self.map.source),
                                 field="--aus", fix="drop them, or give an AU map file (--mapping) "
                                 "naming targets for them")
        tidx = [self.index[row[2].target] for row in rows]
        onset = np.array([row[3] for row in rows])
        apex = np.array([row[4] for row in rows])
        top = np.array([min(row[4] + row[5], row[6]) for row in rows])
        offset = np.array([row[6] for row in rows])
        peak = amplitude.event_peak(self.deltas, tidx, [row[7] for row in rows],
                                    onset, apex, top, offset, frames)
        scale = amplitude.scale_for(peak, peak_mm, "rig %r" % self.rig.name)
        events = []
        for req, tm, d, on, ap, hold, off, rel in rows:
            params = {"hold": hold, "level": req.level, "gain": d.gain}
            if tm.reached < 1.0:
                params["reached"] = tm.reached
            if tm.damping < 1.0:
                params["damping"] = tm.damping
            events.append(MicroEvent(au=req.label, target=d.target, onset=on, apex=ap,
                                     offset=off, peak_weight=min(rel * scale, 1.0),
                                     envelope=env.ENVELOPE, params=params))
        report = {
            "aus": emotions.format_aus(reqs), "peak_mm": peak_mm, "peak_time": peak.time,
            "reachable_mm": amplitude.reachable_mm(peak),
            "peak_mm_frames": None if peak.frame_mm is None else peak.frame_mm * scale,
            "scale": scale, "span": float(offset.max() - onset.min()),
            "unexpressed": unexpressed, "both_sides": both, "au_map": self.map.source,
            "approximate": {k: v for k, v in self.map.notes.items() if k in {q.au for q in reqs}},
            "damped": {reqs[i].label: t.damped_by for i, t in enumerate(timings) if t.damped_by},
            "stopped_short": [reqs[i].label for i, t in enumerate(timings) if t.reached < 1.0],
        }
        return Plan(list(reqs), list(timings), events, report)

    # -- clips -------------------------------------------------------------------------
    def clip(self, emotion: Optional[str] = None, aus: Optional[str] = None,
             intensity: str = "C", peak_mm: Optional[float] = None, seed: int = 0,
             fps: float = 60.0, at: Optional[float] = None, base: Optional[Clip] = None,
             duration: Optional[float] = None, bounds: Optional[TimingBounds] = None,
             mirror: bool = False, strict: bool = False) -> Clip:
        """A clip holding one micro-expression (see ``micro_expression``)."""
        letter = emotions.check_letter(intensity)
        reqs = self.request(emotion, aus, letter, mirror)
        mm = emotions.PEAK_MM[letter] if peak_mm is None else float(peak_mm)
        if not (isinstance(seed, (int, np.integer)) and not isinstance(seed, bool)) or seed < 0:
            raise MicroExprError("seed must be a whole number >= 0, got %r" % (seed,),
                                 field="--seed", fix="e.g. --seed 7")
        rng = np.random.default_rng(int(seed))
        timings = draw_timing(rng, reqs, (bounds or TimingBounds()).checked())
        if base is not None:
            return self._layered(reqs, timings, mm, at, base, strict, seed, emotion, letter)
        if not (fps >= MIN_FPS and math.isfinite(fps)):
            raise MicroExprError("frame rate must be at least %g, got %r" % (MIN_FPS, fps),
                                 field="--fps", fix="e.g. --fps 60 (200 for review)")
        start = LEAD if at is None else float(at)
        if not (start >= 0 and math.isfinite(start)):
            raise MicroExprError("the start time must be >= 0 s, got %r" % (at,), field="--at",
                                 fix="e.g. --at 0.1")
        end = start + max(t.offset for t in timings) + TAIL
        if duration is not None:
            if not duration > 0:
                raise MicroExprError("duration must be positive", field="--duration", fix="e.g. 1.0")
            end = max(end, float(duration))
        FRAMES.check(end * fps + 1, "a clip of %.4g s at %g fps" % (end, fps),
                     field="--fps/--at/--duration", fix="lower --fps, --at or --duration")
        frames = int(math.ceil(end * fps - 1e-9)) + 1
        times = np.arange(frames) / float(fps)
        plan = self.plan(reqs, timings, mm, start, strict, times)
        W = render(np.zeros((frames, len(self.targets))), plan.events, self.targets, times)
        return self._clip(plan, float(fps), 0.0, self.targets, W, [True] * frames, seed,
                          emotion, letter, base_info=None)

    def _layered(self, reqs, timings, mm, at, base: Clip, strict, seed, emotion, letter) -> Clip:
        from microexpr.bridge.validate import check_clip_for_rig

        try:
            check_clip_for_rig(base, self.rig, need_frames=False, what="base clip")
        except MicroExprError as exc:           # named as the option (the file is added above)
            raise MicroExprError(exc.problem, field="--base", fix=exc.fix) from None
        times = base.times()
        if len(times) < 2:
            raise MicroExprError("the base clip has %d frame(s)" % len(times), field="--base",
                                 fix="use a base clip of at least two frames")
        t0, t1 = float(times[0]), float(times[-1])
        span = span_of(timings)
        start = (t0 + t1 - span) / 2.0 if at is None else float(at)   # default: centred
        if not math.isfinite(start):
            raise MicroExprError("the start time must be a number", field="--at", fix="e.g. --at 1.5")
        plan = self.plan(reqs, timings, mm, start, strict, times)
        first = min(e.onset for e in plan.events)
        last = max(e.offset for e in plan.events)
        if first < t0 or last > t1:
            raise MicroExprError("the micro-expression (%.3f-%.3f s) does not fit in the base clip "
                                 "(%.3f-%.3f s)" % (first, last, t0, t1), field="--at",
                                 fix="start it between %.3f and %.3f s" % (t0, max(t0, t1 - span)))
        targets = list(base.targets) + [t for t in self.targets if t not in base.targets
                                        and any(e.target == t for e in plan.events)]
        B = np.zeros((len(times), len(targets)))
        B[:, :len(base.targets)] = base.weight_array()
        spans = [(min(e.onset for e in plan.events if e.au == r.label),
                  max(e.offset for e in plan.events if e.au == r.label))
                 for r in plan.reqs if any(e.au == r.label for e in plan.events)]
        used = [r for r in plan.reqs if any(e.au == r.label for e in plan.events)]
        bad = plausibility.layer_violations(used, spans, B, targets, times, self.target_aus,
                                            LAYER_THRESHOLD)
        if bad:
            raise MicroExprError("contradicts the base clip: " + bad[0].message(), field="--base",
                                 fix="pick other AUs or another time (--at)")
        W = render(B, plan.events, targets, times)
        known = [i for i, t in enumerate(targets) if t in self.index]
        cols = [self.index[targets[i]] for i in known]
        # the layered peak: the shapes' offsets at W minus those at B (with in-betweens or
        # combinations this is not the displacement of W - B)
        full = np.zeros((len(times), len(self.targets)))
        under = np.zeros_like(full)
        full[:, cols] = W[:, known]
        under[:, cols] = B[:, known]
        plan.report["peak_mm_layered"], _ = amplitude.frame_peak(self.deltas, full, times, base=under)
        info = {"frames": len(times), "fps": base.fps, "start_time": base.start_time,
                "source": base.source.get("kind") if isinstance(base.source, dict) else None}
        return self._clip(plan, base.fps, base.start_time, targets, W, base.valid, seed,
                          emotion, letter, base_info=info, hold_invalid=base.hold_invalid,
                          earlier=list(base.events))

    def _clip(self, plan: Plan, fps, start, targets, W, valid, seed, emotion, letter,
              base_info, hold_invalid: bool = False, earlier=()) -> Clip:
        """The clip: ``W`` holds the final weights (base and events); ``events`` records the
        base's own events followed by this one's, so layering them onto the base's base
        (a neutral, a capture) re-creates ``W``."""
        rep = dict(plan.report)
        rep.update({"kind": "micro", "emotion": emotion, "intensity": letter, "seed": int(seed),
                    "envelope": env.ENVELOPE, "layering": "additive, clamped to 0-1",
                    "base": base_info})
        # Built from checked parts (events validated, weights clamped to 0-1 by ``render``,
        # one row per frame, unique targets): skip re-validating thousands of floats.
        return Clip.model_construct(
            generator="microexpr " + __version__, fps=float(fps), start_time=float(start),
            targets=list(targets), weights=np.asarray(W, dtype=np.float64), valid=np.array(valid, dtype=bool),
            hold_invalid=hold_invalid, rig_fingerprint=self.rig.mesh().fingerprint,
            events=list(earlier) + list(plan.events), source=rep)


def render(base: np.ndarray, events: Sequence[MicroEvent], targets: Sequence[str],
           times: np.ndarray) -> np.ndarray:
    """``envelope.layer(base, events, targets, times)``, bit for bit, with the envelopes of
    all events evaluated at once (the same formula and the same order of additions)."""
    if any(e.envelope != env.ENVELOPE for e in events):
        return env.layer(base, events, targets, times)
    index = {n: i for i, n in enumerate(targets)}
    evs = [e for e in events if e.target in index]
    out = np.zeros((len(times), len(targets)))
    if evs:
        onset = [e.onset for e in evs]
        apex = [e.apex for e in evs]
        offset = [e.offset for e in evs]
        top = [min(e.apex + max(float(e.params.get("hold", 0.0)) if e.params else 0.0, 0.0), e.offset)
               for e in evs]
        if not amplitude.smooth_ok(onset, apex, top, offset):
            return env.layer(base, events, targets, times)
        E = amplitude.envelopes(times, onset, apex, top, offset)
        for k, e in enumerate(evs):
            out[:, index[e.target]] += e.peak_weight * E[:, k]
    return np.clip(np.asarray(base, dtype=np.float64) + out, 0.0, 1.0)


def micro_expression(rig: Rig, emotion: Optional[str] = None, aus: Optional[str] = None,
                     intensity: str = "C", peak_mm: Optional[float] = None, seed: int = 0,
                     fps: float = 60.0, at: Optional[float] = None, base: Optional[Clip] = None,
                     duration: Optional[float] = None, mapping=None,
                     bounds: Optional[TimingBounds] = None, mirror: bool = False,
                     strict: bool = False) -> Clip:
    """One micro-expression as a clip, its events recorded with every random choice resolved.

    ``emotion`` (happiness, sadness, surprise, fear, anger, disgust, contempt) or ``aus``
    ("4+7+R12B"); ``intensity`` A-E; ``peak_mm`` the largest vertex displacement (default by
    intensity, 0.5-2 mm); ``seed`` makes it repeatable at any ``fps``; ``at`` the first
    onset in seconds; ``base`` a clip to layer onto (its frame rate wins); ``duration`` a
    minimum clip length; ``mapping`` an AU map file or dict; ``mirror`` swaps sides;
    ``strict`` refuses AUs the rig cannot express instead of reporting them in
    ``clip.source['unexpressed']``.
    """
    return Synthesizer(rig, mapping).clip(emotion, aus, intensity, peak_mm, seed, fps, at, base,
                                          duration, bounds, mirror, strict)


def write_micro_expression(rig: Union[Rig, PathLike], out: PathLike,
                           base: Optional[PathLike] = None, fmt: Optional[str] = None,
                           **options: Any) -> Clip:
    """``micro_expression`` between files: ``rig`` is a rig or a rig file, ``base`` a clip
    file to layer onto (an error about it names the file); the clip is written to ``out``
    (``fmt`` as in ``bridge.save``) and returned. ``options`` are ``micro_expression``'s
    (emotion, aus, peak_mm, seed, ...)."""
    model = rig if isinstance(rig, Rig) else load_rig(rig)
    base_clip = load_clip(base) if base else None
    try:
        clip = micro_expression(model, base=base_clip, **options)
    except MicroExprError as exc:
        if exc.field == "--base" and base:
            raise exc.with_file(os.fspath(base)) from None
        raise
    save_clip(clip, out, fmt)
    return clip


def clip_summary(clip: Clip, out: PathLike, base: Optional[PathLike] = None,
                 fps: Optional[float] = None) -> str:
    """What a micro-expression clip written to ``out`` holds, for the person who asked:
    its size and timing, what the rig could not express; ``base`` and ``fps`` as asked."""
    src = clip.source
    lines = ["wrote %s: %s (%s), %d events, %d frames at %g fps"
             % (os.fspath(out), src["emotion"] or "AUs", src["aus"], len(clip.events),
                len(clip.weights), clip.fps),
             "  peak %.3f mm at %.3f s (%.3f mm on the frames), span %.0f ms, AU map %s"
             % (src["peak_mm"], src["peak_time"], src.get("peak_mm_frames") or 0.0,
                src["span"] * 1e3, src["au_map"])]
    if base:
        if fps is not None and fps != clip.fps:
            lines.append("  note: --fps ignored; the base clip's %g fps wins" % clip.fps)
        lines.append("  layered on %s: %.3f mm survives the clamp"
                     % (os.fspath(base), src["peak_mm_layered"]))
    if src["unexpressed"]:
        lines.append("  WARNING: this rig cannot express AU %s (not in the clip; see --coverage)"
                     % ", ".join(src["unexpressed"]))
    if src["both_sides"]:
        lines.append("  note: AU %s asked for one side, but this rig only has a centred target"
                     % ", ".join(src["both_sides"]))
    for au, note in sorted(src["approximate"].items()):
        lines.append("  approximate AU%s: %s" % (au, note))
    return "\n".join(lines)
