"""From landmark tracks to a clip: key weights, then the bounded solver on the rig's solve set
(``solve_set``), then the in-betweens and combinations followed (``refine``)."""
from __future__ import annotations

from typing import Optional, Tuple, Union

import numpy as np

from microexpr._version import __version__
from microexpr.bridge import Clip, Rig
from microexpr.solve.key_weights import FRONTAL, KeyWeights, key_weights
from microexpr.solve.projected_solver import ProjectedSolver
from microexpr.solve.refine import refine
from microexpr.solve.solve_set import SolveModel, solve_model
from microexpr.solve.tracks import Tracks
from microexpr.solve.weight_solver import WeightSolver

#: Every compensation mode ``solve_tracks`` takes: the paper's and ``performer``.
SOLVE_MODES = ("performer", "rigid", "reference", "raw")
DEFAULT_REG = 1e-3
DEFAULT_TEMPORAL = 0.0


#: A target whose landmark motion the neutral camera sees at less than this share of its 3-D
#: size (a lip roll, a funnel: motion in depth) is pinned for 2-D tracks: noise would drive it.
MIN_VISIBILITY = 0.3


def visibility(basis3: np.ndarray, view0: Optional[np.ndarray]) -> np.ndarray:
    """Per target: |landmark motion seen by the neutral camera| / (camera scale * |3-D motion|);
    1 for 3-D tracks (``view0`` None), 0 for a target that moves no landmark."""
    B3 = np.asarray(basis3, dtype=np.float64)
    n3 = np.sqrt(np.einsum("ljt,ljt->t", B3, B3))
    if view0 is None:
        return np.where(n3 > 0, 1.0, 0.0)
    seen = np.einsum("ij,ljt->lit", view0, B3)
    n2 = np.sqrt(np.einsum("lit,lit->t", seen, seen))
    scale = float(np.linalg.norm(view0[0]))
    with np.errstate(all="ignore"):
        return np.where(n3 > 0, n2 / (scale * n3), 0.0)


def pinned_targets(rig: Rig, kw: Union[KeyWeights, int]) -> np.ndarray:
    """Targets held at 0: flagged unobservable in the rig, moving no landmark, or (2-D tracks)
    seen from the front at less than ``MIN_VISIBILITY`` of their size. It depends on the rig
    and the camera model only (``kw``: key weights, or the tracks' dimensions 2 or 3), never
    on the performer or the take."""
    dims = kw if isinstance(kw, int) else kw.k
    view = FRONTAL if dims == 2 else None
    return ~rig.observable_mask() | (visibility(rig.landmark_delta_matrix(), view) < MIN_VISIBILITY)


def solve_key_weights(rig: Rig, kw: KeyWeights, reg: float = DEFAULT_REG,
                      temporal: float = DEFAULT_TEMPORAL,
                      pinned: Optional[np.ndarray] = None,
                      model: Optional[SolveModel] = None,
                      penalties: Optional[Tuple[float, float]] = None) -> np.ndarray:
    """Weights (F, T) for key weights made from ``model.matrix`` (``solve_model(rig)``: the
    landmark delta matrix itself for a rig without solve set, in-betweens or combinations).
    Only the solve set is solved; the other targets, and pinned ones (default
    ``pinned_targets``), stay at 0. In-betweens and combinations are followed (``refine``).
    ``penalties`` (lam, mu) replace ``reg`` and ``temporal`` by absolute values (performer mode)."""
    model = solve_model(rig) if model is None else model
    if kw.basis.shape[1] != model.columns:
        raise ValueError("the key weights have %d columns, the solve model %d: make them from "
                         "solve_model(rig).matrix" % (kw.basis.shape[1], model.columns))
    if pinned is None:
        pinned = pinned_targets(rig, kw)
    pin = np.asarray(pinned, bool)[model.solved]
    S = model.size
    if kw.cameras is not None:
        if kw.view0 is None:
            raise ValueError("key weights with per-frame cameras (2-D rigid) need view0")
        ps = ProjectedSolver(model.matrix[:, :, :S], kw.view0, reg=reg, temporal=temporal, pinned=pin)
        if penalties is not None:
            ps.lam, ps.mu = np.broadcast_to(np.asarray(penalties[0], np.float64), (S,)).copy(), float(penalties[1])
        W = ps.solve(kw.deltas, kw.cameras, kw.confidence, kw.valid)
        lam, mu = ps.lam, ps.mu
    else:
        solver = WeightSolver(kw.basis[:, :S], kw.k, reg=reg, temporal=temporal, pinned=pin)
        if penalties is not None:
            solver.set_penalties(penalties[0], float(penalties[1]))
        W = solver.solve(kw.deltas, kw.confidence, kw.valid)
        lam, mu = solver.lam, solver.mu
    if model.nonlinear:
        W, kw.report["refined"] = refine(model, W, kw, lam, mu, ~pin, model.matrix)
    out = np.zeros((len(W), len(rig.target_names())))
    out[:, model.solved] = W
    return out


def solve_tracks(rig: Rig, tracks: Tracks, mode: str = "rigid", neutral_frame: int = 0,
                 fps: Optional[float] = None, reg: float = DEFAULT_REG,
                 temporal: float = DEFAULT_TEMPORAL, mirrored: bool = False,
                 performer=None, calibration_frames: Optional[Tuple[int, int]] = None,
                 prior: Optional[float] = None, speed: Optional[float] = None) -> Clip:
    """Solve bounded weights for every frame. Frames without data are marked invalid in the
    clip and hold the last valid weights (``hold_invalid``); nothing is invented.

    ``mode="performer"`` (the CLI's default) solves pose and expression on the performer
    (``solve.performer_solve``): with ``performer`` (a ``Performer`` or a performer file's
    path), else calibrated on the fly from ``calibration_frames`` or the take's first 600
    valid frames. ``prior`` and ``speed`` replace ``reg`` and ``temporal`` there."""
    if mirrored:
        tracks = tracks.mirrored()
    model = solve_model(rig)
    rate = float(fps) if fps else tracks.fps()
    if mode == "performer":
        if not 0 <= neutral_frame < tracks.frames:
            from microexpr.errors import MicroExprError
            raise MicroExprError("neutral frame %d is outside the %d frames"
                                 % (neutral_frame, tracks.frames), file=tracks.source,
                                 field="--neutral-frame",
                                 fix="pick a frame between 0 and %d" % (tracks.frames - 1))
        W, valid, report = _solve_performer(rig, tracks, model, performer, calibration_frames,
                                            prior, speed, rate)
    else:
        kw = key_weights(model.matrix, rig.neutral_landmarks(), tracks, mode,
                         neutral_frame, rig.landmarks.rigid, rig.landmarks.reference_points)
        pinned = pinned_targets(rig, kw)
        W = solve_key_weights(rig, kw, reg, temporal, pinned, model)
        valid = kw.valid
        report = dict(kw.report)
        report.update({"reg": reg, "temporal": temporal,
                       "pinned_targets": [rig.targets[t].name for t in model.solved if pinned[t]]})
    start = float(tracks.times[0]) if tracks.times is not None and np.isfinite(tracks.times[0]) else 0.0
    report.update({"mirrored": mirrored, "tracks": tracks.source, "frames": tracks.frames,
                   "solve_set": model.names if model.declared else None})
    return Clip(generator="microexpr " + __version__, fps=rate, start_time=start,
                targets=rig.target_names(), weights=np.clip(W, 0.0, 1.0), valid=valid,
                hold_invalid=True, rig_fingerprint=rig.mesh().fingerprint,
                source={"kind": "solve", **report})


def _solve_performer(rig: Rig, tracks: Tracks, model: SolveModel, performer, frames, prior,
                     speed, fps: float):
    """(weights, valid, report) of performer mode; the report says how the performer came."""
    from microexpr.solve.performer import Performer, load_performer
    from microexpr.solve.performer_solve import DEFAULT_PRIOR, DEFAULT_SPEED, solve_performer

    pinned = pinned_targets(rig, tracks.dims)
    if performer is None:
        performer = calibrate_for(rig, tracks, frames)
        how = "calibrated on the fly on frames %d:%d of the take" % tuple(performer.frames)
    else:
        if not isinstance(performer, Performer):
            performer = load_performer(performer)
        how = "from %s" % performer.report.get("file", "the given performer")
        _check_performer(performer, tracks, rig)
    W, valid, pose, report = solve_performer(rig, tracks, performer, model, pinned,
                                             DEFAULT_PRIOR if prior is None else prior,
                                             DEFAULT_SPEED if speed is None else speed, fps)
    report.update({"performer": how, "calibration_frames": list(performer.frames),
                   "calibration_residual": performer.residual, "noise": performer.noise,
                   "pinned_targets": [rig.targets[t].name for t in model.solved if pinned[t]],
                   "head_pose": {"columns": ["yaw_deg", "pitch_deg", "roll_deg", "scale"],
                                 "frames": [None if not np.isfinite(p[0]) else
                                            [round(float(v), 4) for v in p] for p in pose]}})
    return W, valid, report


def calibrate_for(rig: Rig, tracks: Tracks, frames: Optional[Tuple[int, int]] = None):
    """The performer of ``tracks`` for ``rig``: ``solve.performer.calibrate`` alternating with
    the rig's expressions, so frames with expression do not move the neutral."""
    from microexpr.solve.performer import calibrate

    return calibrate(rig.neutral_landmarks(), tracks, frames, tracks.source,
                     rig.mesh().fingerprint, rig.landmark_delta_matrix(),
                     pinned_targets(rig, tracks.dims))


def _check_performer(performer, tracks: Tracks, rig: Rig) -> None:
    from microexpr.errors import MicroExprError

    file = performer.report.get("file")
    if performer.dims != tracks.dims:
        raise MicroExprError("the performer was calibrated on %d-D tracks, these are %d-D"
                             % (performer.dims, tracks.dims), file=file, field="dims",
                             fix="calibrate on tracks from the same tracker")
    fp = rig.mesh().fingerprint
    if performer.rig_fingerprint and performer.rig_fingerprint != fp:
        raise MicroExprError("the performer was calibrated for another rig", file=file,
                             field="calibration.rig_fingerprint",
                             fix="run 'microexpr calibrate' with this rig")
