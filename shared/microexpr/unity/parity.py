"""Run the same data through the Python core and the C# runtime and measure the difference.

The Python side is the batched core (``key_weights`` + ``WeightSolver.solve``, as
``solve.solve_tracks`` runs them); the C# side is the online runtime, set up from the neutral
frame and then fed frame by frame (``FaceSolver.SolveSequence``). For clips, Python's
``envelope.layer`` over the clip's frames (invalid frames holding the last valid weights when
the clip says ``hold_invalid``) against C#'s ``ClipPlayer.EvaluateFrame``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence

import numpy as np

from ..envelope import layer
from ..keyweights import MODES, KeyWeights, key_weights
from ..landmarks import COUNT, REFERENCE_POINT, RIGID
from ..tracks import Tracks
from . import net

TOLERANCE = 1e-9


@dataclass
class RigArrays:
    """What both runtimes solve from: the landmark delta matrix and the landmark sets."""

    basis3: np.ndarray                       # (68, 3, T)
    neutral: np.ndarray                      # (68, 3)
    rigid: List[int] = field(default_factory=lambda: list(RIGID))
    reference: List[int] = field(default_factory=lambda: [REFERENCE_POINT])
    observable: Optional[np.ndarray] = None  # (T,) bool
    names: Optional[List[str]] = None
    unit: str = "cm"

    @property
    def targets(self) -> int:
        return int(self.basis3.shape[2])

    def landmark_delta_matrix(self) -> np.ndarray:
        return np.asarray(self.basis3, np.float64)

    def observable_mask(self) -> np.ndarray:
        return np.ones(self.targets, bool) if self.observable is None else np.asarray(self.observable, bool)

    def target_names(self) -> List[str]:
        return list(self.names) if self.names else ["target%02d" % t for t in range(self.targets)]

    @classmethod
    def from_rig(cls, rig) -> "RigArrays":
        return cls(rig.landmark_delta_matrix(), rig.neutral_landmarks(), list(rig.landmarks.rigid),
                   list(rig.landmarks.reference_points), rig.observable_mask(), rig.target_names(),
                   rig.units.length)


@dataclass
class SolveResult:
    weights: np.ndarray       # (F, T)
    valid: np.ndarray         # (F,)


def python_solve(rig: RigArrays, tracks: Tracks, mode: str = "rigid", neutral_frame: int = 0,
                 reg: float = 1e-3, temporal: float = 0.0, mirrored: bool = False) -> SolveResult:
    """The Python core, batched, as ``solve.solve_tracks`` runs it."""
    if mirrored:
        tracks = tracks.mirrored()
    kw = key_weights(rig.basis3, rig.neutral, tracks, mode, neutral_frame, rig.rigid, rig.reference)
    W = np.clip(solve_key_weights(rig, kw, reg, temporal), 0.0, 1.0)
    return SolveResult(W, kw.valid.copy())


def solve_key_weights(rig: RigArrays, kw: KeyWeights, reg: float, temporal: float) -> np.ndarray:
    """The core's solve of key weights (``solve.solve_key_weights``) for rig arrays."""
    from .. import solve as core_solve

    return core_solve.solve_key_weights(rig, kw, reg, temporal)


def csharp_rig(rig: RigArrays):
    """The C# RigData of the same arrays (file order [target][landmark][xyz])."""
    rt = net.runtime()
    deltas = np.ascontiguousarray(np.asarray(rig.basis3, np.float64).transpose(2, 0, 1))
    return rt.RigData("parity", rig.unit, net.strings_to_net(rig.target_names()), net.to_net(deltas),
                      net.to_net(rig.neutral), net.ints_to_net(rig.rigid), net.ints_to_net(rig.reference),
                      net.bools_to_net(rig.observable_mask()), None, None)


def compensation(mode: str):
    rt = net.runtime()
    if mode not in MODES:
        from ..errors import MicroExprError
        raise MicroExprError("unknown compensation mode %r" % mode, field="--compensation",
                             fix="use one of: " + ", ".join(MODES))
    return getattr(rt.Compensation, mode.capitalize())


def csharp_solve(rig: RigArrays, tracks: Tracks, mode: str = "rigid", neutral_frame: int = 0,
                 reg: float = 1e-3, temporal: float = 0.0, mirrored: bool = False,
                 rig_cs=None) -> SolveResult:
    """The C# runtime, online: neutral frame first, then every frame in order."""
    rt = net.runtime()
    rig_cs = rig_cs if rig_cs is not None else csharp_rig(rig)
    F, T = tracks.frames, rig.targets
    fs = rt.FaceSolver(rig_cs, tracks.dims, compensation(mode), float(reg), float(temporal), bool(mirrored))
    W, V = net.new_doubles(F * T), net.new_bools(F)
    fs.SolveSequence(net.to_net(tracks.points), net.to_net(tracks.confidence), F, int(neutral_frame), W, V)
    return SolveResult(net.from_net(W, (F, T)), net.from_net(V))


def csharp_key_weights(rig: RigArrays, tracks: Tracks, mode: str, neutral_frame: int = 0,
                       mirrored: bool = False):
    """C# offsets (F, 68k), confidences (F, 68), validity (F,) and basis (68k, T), frame by frame."""
    rt = net.runtime()
    k, F, T = tracks.dims, tracks.frames, rig.targets
    keys = rt.KeyWeights(csharp_rig(rig), k, compensation(mode), bool(mirrored))
    pts = tracks.points.reshape(F, -1)
    keys.SetNeutral(net.to_net(pts[neutral_frame]), net.to_net(tracks.confidence[neutral_frame]))
    D, C, V = np.zeros((F, COUNT * k)), np.zeros((F, COUNT)), np.zeros(F, bool)
    d, c = net.new_doubles(COUNT * k), net.new_doubles(COUNT)
    for f in range(F):
        V[f] = keys.Frame(net.to_net(pts[f]), net.to_net(tracks.confidence[f]), d, c)
        D[f], C[f] = net.from_net(d), net.from_net(c)
    return D, C, V, net.from_net(keys.Basis, (COUNT * k, T))


def difference(a: SolveResult, b: SolveResult) -> Dict[str, object]:
    """Largest absolute weight difference; validity must agree frame by frame."""
    same_valid = bool(np.array_equal(a.valid, b.valid))
    diff = float(np.max(np.abs(a.weights - b.weights))) if a.weights.size else 0.0
    if not np.all(np.isfinite(b.weights)) or not same_valid:
        diff = float("inf")
    return {"max_abs_diff": diff, "valid_agree": same_valid, "frames": int(a.weights.shape[0]),
            "targets": int(a.weights.shape[1]), "invalid_frames": int((~a.valid).sum())}


def compare_tracks(rig: RigArrays, tracks: Tracks, modes: Sequence[str] = MODES, neutral_frame: int = 0,
                   reg: float = 1e-3, temporal: float = 0.0, mirrored: bool = False) -> Dict[str, Dict]:
    """Per mode: the difference between the Python core and the C# runtime."""
    rig_cs = csharp_rig(rig)
    out = {}
    for mode in modes:
        py = python_solve(rig, tracks, mode, neutral_frame, reg, temporal, mirrored)
        cs = csharp_solve(rig, tracks, mode, neutral_frame, reg, temporal, mirrored, rig_cs=rig_cs)
        out[mode] = difference(py, cs)
    return out


def held_weights(clip) -> np.ndarray:
    """A clip's weights as a player shows them: with ``hold_invalid``, an invalid frame repeats
    the last valid frame's weights (frames before the first valid one keep their own)."""
    W = clip.weight_array().copy()
    if clip.hold_invalid:
        last = None
        for f, ok in enumerate(clip.valid_array()):
            if ok:
                last = f
            elif last is not None:
                W[f] = W[last]
    return W


def python_clip(clip) -> np.ndarray:
    """The Python core's evaluation of a clip: held weights plus events, clamped (F, T)."""
    return layer(held_weights(clip), clip.events, clip.targets, clip.times())


def csharp_clip(clip_json: str, source: str = "<clip>") -> np.ndarray:
    """The C# runtime's evaluation of the same clip, read from its bridge JSON."""
    rt = net.runtime()
    data = rt.ClipData.FromJson(clip_json, source)
    player = rt.ClipPlayer(data)
    F, T = data.Frames, data.TargetCount
    out = np.zeros((F, T))
    row = net.new_doubles(T)
    for f in range(F):
        player.EvaluateFrame(f, row)
        out[f] = net.from_net(row)
    return out


def compare_clip(clip, clip_json: Optional[str] = None) -> Dict[str, object]:
    from ..bridge.io import dumps

    py = python_clip(clip)
    cs = csharp_clip(clip_json if clip_json is not None else dumps(clip))
    diff = float(np.max(np.abs(py - cs))) if py.size else 0.0
    if cs.shape != py.shape or not np.all(np.isfinite(cs)):
        diff = float("inf")
    return {"max_abs_diff": diff, "frames": int(py.shape[0]), "targets": int(py.shape[1]),
            "events": len(clip.events)}
