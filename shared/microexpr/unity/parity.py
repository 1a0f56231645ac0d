"""Run the same data through the Python core and the C# runtime and measure the difference.

The Python side is the batched core (``key_weights`` + ``WeightSolver.solve``, as
``solve.solve_tracks`` runs them); the C# side is the online runtime, set up from the neutral
frame and then fed frame by frame (``FaceSolver.SolveSequence``). Performer mode: the Python
core's batch ``solve_performer`` against C#'s ``PerformerSolver`` fed frame by frame, both on the
same performer file, each read by its own reader. Files: what C# reads from a rig or clip file
(``csharp_rig_file``, ``csharp_clip_file``, ``describe_file``). Clips are compared in
``clip_parity``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Sequence

import numpy as np

from microexpr.landmarks import COUNT, REFERENCE_POINT, RIGID
from microexpr.solve.key_weights import MODES, KeyWeights, key_weights
from microexpr.solve.tracks import Tracks
from microexpr.unity import net

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
    solve_set: Optional[List[str]] = None    # the rig's solve set (None: every target)
    combinations: List[Any] = field(default_factory=list)     # the rig's Combination models
    landmark_deltas: Optional[Any] = None    # the rig's LandmarkDeltas (for its frames)

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
                   rig.units.length, rig.solve_set, list(rig.combinations), rig.landmark_deltas)


@dataclass
class SolveResult:
    weights: np.ndarray       # (F, T)
    valid: np.ndarray         # (F,)


def python_solve(rig: RigArrays, tracks: Tracks, mode: str = "rigid", neutral_frame: int = 0,
                 reg: float = 1e-3, temporal: float = 0.0, mirrored: bool = False) -> SolveResult:
    """The Python core, batched, as ``solve.solve_tracks`` runs it."""
    from microexpr.solve.solve_set import solve_model

    if mirrored:
        tracks = tracks.mirrored()
    model = solve_model(rig)
    kw = key_weights(model.matrix, rig.neutral, tracks, mode, neutral_frame, rig.rigid, rig.reference)
    W = np.clip(solve_key_weights(rig, kw, reg, temporal, model), 0.0, 1.0)
    return SolveResult(W, kw.valid.copy())


def solve_key_weights(rig: RigArrays, kw: KeyWeights, reg: float, temporal: float,
                      model=None) -> np.ndarray:
    """The core's solve of key weights (``solve.solve_key_weights``) for rig arrays."""
    from microexpr.solve import tracks_to_clip as core_solve

    return core_solve.solve_key_weights(rig, kw, reg, temporal, model=model)


#: Bridge format versions the C# runtime reads itself (RigData.OldestFormatVersion..FormatVersion).
CSHARP_VERSIONS = (2, 3)


def file_version(path: str) -> int:
    """The format version a bridge file declares (its JSON, or a container's header)."""
    import json

    from microexpr.bridge import container

    if container.is_container(path):
        doc = container.read(path).header
    else:
        with open(path, "rb") as f:
            doc = json.loads(f.read().decode("utf-8"))
    version = doc.get("version", 1) if isinstance(doc, dict) else 1
    return version if isinstance(version, int) and not isinstance(version, bool) else 1


def describe_file(path: str) -> str:
    """How the C# runtime reads a bridge file, for the report: container (and its .bin) or JSON."""
    from microexpr.bridge import container

    if not container.is_container(path):
        version = file_version(path)
        if version in CSHARP_VERSIONS:
            return "bridge JSON v%d" % version
        return "bridge JSON v%d, migrated by the Python core first (C# reads v2 and v3)" % version
    buffers = container.read(path).header.get("buffers") or []
    uris = [b["uri"] for b in buffers if isinstance(b, dict) and "uri" in b]
    return ".microexpr container" + (" + " + ", ".join(uris) if uris else "")


def csharp_rig_file(path: str, rig=None):
    """The C# RigData read by the runtime's own reader from the file (container or JSON). A
    file older than C# reads (v1) is handed over as the Python core migrated it (``rig``)."""
    from microexpr.bridge.io import dumps

    rt = net.runtime()
    if rig is not None and file_version(path) not in CSHARP_VERSIONS:
        return rt.RigData.FromJson(dumps(rig), path)
    return rt.RigData.Load(path)


def csharp_clip_file(path: str, clip=None):
    """The C# ClipData read by the runtime's own reader from the file (as ``csharp_rig_file``)."""
    from microexpr.bridge.io import dumps

    rt = net.runtime()
    if clip is not None and file_version(path) not in CSHARP_VERSIONS:
        return rt.ClipData.FromJson(dumps(clip), path)
    return rt.ClipData.Load(path)


def compare_rig_file(rig, rig_cs) -> Dict[str, object]:
    """What C# read from a rig file against the Python core's rig: target names, observable
    flags, and the largest difference of the landmark deltas, the landmark frames (in-betweens,
    combinations) and neutral landmarks (0: the same stored numbers; infinite when the solve
    sets differ)."""
    from microexpr.solve.solve_set import solve_model

    T = len(rig.targets)
    names = list(rig_cs.TargetNames) == rig.target_names()
    flags = [bool(b) for b in rig_cs.Observable] == [bool(b) for b in rig.observable_mask()]
    model = solve_model(rig)
    solved = [int(t) for t in rig_cs.SolveSet] == [int(t) for t in model.solved]
    if not names or net.from_net(rig_cs.Deltas).size != T * COUNT * 3:
        return {"max_abs_diff": float("inf"), "names_agree": names, "observable_agree": flags}
    deltas = net.from_net(rig_cs.Deltas, (T, COUNT, 3)).transpose(1, 2, 0)
    neutral = net.from_net(rig_cs.Neutral, (COUNT, 3))
    diff = max(max_diff(rig.landmark_delta_matrix(), deltas), max_diff(rig.neutral_landmarks(), neutral))
    frames = rig.landmark_deltas.frames
    if len(rig_cs.Frames) != len(frames):
        diff = float("inf")
    for f, g in zip(frames, rig_cs.Frames):
        same = f.shape == g.Shape and f.weight == g.Weight
        diff = max(diff, max_diff(np.asarray(f.deltas), net.from_net(g.Deltas, (COUNT, 3))) if same else float("inf"))
    ok = flags and solved                  # a solve set read otherwise: nothing agrees
    return {"max_abs_diff": diff if ok else float("inf"), "names_agree": names, "observable_agree": flags}


def csharp_rig(rig: RigArrays):
    """The C# RigData of the same arrays (file order [target][landmark][xyz])."""
    rt = net.runtime()
    from System import Array, Int32

    deltas = np.ascontiguousarray(np.asarray(rig.basis3, np.float64).transpose(2, 0, 1))
    args = [net.strings_to_net(rig.target_names()), net.to_net(deltas), net.to_net(rig.neutral),
            net.ints_to_net(rig.rigid), net.ints_to_net(rig.reference),
            net.bools_to_net(rig.observable_mask()), None, None]
    frames = getattr(rig.landmark_deltas, "frames", None) or []
    if rig.solve_set is None and not rig.combinations and not frames:
        return rt.RigData("parity", rig.unit, *args)
    names = rig.target_names()
    combos = [c.name for c in rig.combinations]
    solve_set = None if rig.solve_set is None else net.ints_to_net([names.index(n) for n in rig.solve_set])
    drivers = Array[Array[Int32]]([net.ints_to_net([names.index(d) for d in c.drivers])
                                   for c in rig.combinations])
    lframes = [rt.LandmarkFrame(f.shape, names.index(f.shape) if f.shape in names else -1,
                                combos.index(f.shape) if f.shape in combos else -1, float(f.weight),
                                net.to_net(np.asarray(f.deltas, np.float64))) for f in frames]
    return rt.RigData("parity", rig.unit, *args, solve_set, net.strings_to_net(combos), drivers,
                      Array[rt.LandmarkFrame](lframes))


def compensation(mode: str):
    rt = net.runtime()
    if mode not in MODES:
        from microexpr.errors import MicroExprError
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
                   reg: float = 1e-3, temporal: float = 0.0, mirrored: bool = False,
                   rig_cs=None) -> Dict[str, Dict]:
    """Per mode: the difference between the Python core and the C# runtime (on ``rig_cs``, a
    C# RigData, e.g. read from the rig file by ``csharp_rig_file``; default: made from ``rig``)."""
    rig_cs = rig_cs if rig_cs is not None else csharp_rig(rig)
    out = {}
    for mode in modes:
        py = python_solve(rig, tracks, mode, neutral_frame, reg, temporal, mirrored)
        cs = csharp_solve(rig, tracks, mode, neutral_frame, reg, temporal, mirrored, rig_cs=rig_cs)
        out[mode] = difference(py, cs)
    return out


# -- performer mode: both sides read the same performer file ------------------------------
def python_performer_solve(rig: RigArrays, tracks: Tracks, performer_path: str,
                           prior: Optional[float] = None, speed: Optional[float] = None,
                           fps: Optional[float] = None, mirrored: bool = False):
    """The Python core's performer mode, batched, as ``solve.solve_tracks`` runs it:
    (SolveResult, head pose (F, 4): yaw, pitch, roll in degrees, scale)."""
    from microexpr.solve.performer import load_performer
    from microexpr.solve.performer_solve import DEFAULT_PRIOR, DEFAULT_SPEED, solve_performer
    from microexpr.solve.solve_set import solve_model
    from microexpr.solve.tracks_to_clip import pinned_targets

    if mirrored:
        tracks = tracks.mirrored()
    model = solve_model(rig)
    W, valid, pose, _ = solve_performer(
        rig, tracks, load_performer(performer_path), model, pinned_targets(rig, tracks.dims),
        DEFAULT_PRIOR if prior is None else prior, DEFAULT_SPEED if speed is None else speed,
        float(fps) if fps else tracks.fps())
    return SolveResult(np.clip(W, 0.0, 1.0), valid.copy()), pose


def csharp_performer_solve(rig: RigArrays, tracks: Tracks, performer_path: str,
                           prior: Optional[float] = None, speed: Optional[float] = None,
                           fps: Optional[float] = None, mirrored: bool = False, rig_cs=None):
    """The C# runtime's ``PerformerSolver``, frame by frame, on the performer file read by C#'s
    own reader: (SolveResult, head pose (F, 4))."""
    rt = net.runtime()
    rig_cs = rig_cs if rig_cs is not None else csharp_rig(rig)
    F, T = tracks.frames, rig.targets
    ps = rt.PerformerSolver(rig_cs, rt.Performer.Load(str(performer_path)), tracks.dims,
                            float(fps) if fps else tracks.fps(),
                            rt.PerformerSolver.DefaultPrior if prior is None else float(prior),
                            rt.PerformerSolver.DefaultSpeed if speed is None else float(speed),
                            bool(mirrored))
    W, V, P = net.new_doubles(F * T), net.new_bools(F), net.new_doubles(F * 4)
    ps.SolveSequence(net.to_net(tracks.points), net.to_net(tracks.confidence), F, W, V, P)
    return SolveResult(net.from_net(W, (F, T)), net.from_net(V)), net.from_net(P, (F, 4))


def compare_performer(rig: RigArrays, tracks: Tracks, performer_path: str,
                      prior: Optional[float] = None, speed: Optional[float] = None,
                      fps: Optional[float] = None, mirrored: bool = False, rig_cs=None) -> Dict[str, object]:
    """Performer mode: the weight difference (``difference``) between the Python core's batch
    solve and C#'s per-frame solve, plus ``pose_diff``, the largest head-pose difference
    (degrees and scale; both NaN on frames without data). C# runs first: its reader and its
    checks of the performer against the tracks and the rig name the field at fault."""
    cs, pose_cs = csharp_performer_solve(rig, tracks, performer_path, prior, speed, fps, mirrored, rig_cs)
    py, pose_py = python_performer_solve(rig, tracks, performer_path, prior, speed, fps, mirrored)
    out = difference(py, cs)
    same_nan = np.array_equal(np.isnan(pose_py), np.isnan(pose_cs))
    seen = py.valid & cs.valid
    out["pose_diff"] = max_diff(pose_py[seen], pose_cs[seen]) if same_nan else float("inf")
    return out


def max_diff(a: np.ndarray, b: np.ndarray) -> float:
    """Largest absolute difference of ``b`` from ``a``; infinite when the shapes differ or
    ``b`` holds a non-finite value."""
    if a.shape != b.shape or not np.all(np.isfinite(b)):
        return float("inf")
    return float(np.max(np.abs(a - b))) if a.size else 0.0
