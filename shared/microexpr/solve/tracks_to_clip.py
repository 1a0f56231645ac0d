"""From landmark tracks to a clip: key weights, then the bounded solver on the rig's solve set
(``solve_set``), then the in-betweens and combinations followed (``refine``)."""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple, Union

import numpy as np

from microexpr._version import __version__
from microexpr.bridge import Clip, Rig
from microexpr.bridge.clip_stream import POSE_COLUMNS, pose_frames
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
                      penalties: Optional[Tuple[float, float]] = None,
                      carry: Optional[Dict[str, np.ndarray]] = None) -> np.ndarray:
    """Weights (F, T) for key weights made from ``model.matrix`` (``solve_model(rig)``: the
    landmark delta matrix itself for a rig without solve set, in-betweens or combinations).
    Only the solve set is solved; the other targets, and pinned ones (default
    ``pinned_targets``), stay at 0. In-betweens and combinations are followed (``refine``).
    ``penalties`` (lam, mu) replace ``reg`` and ``temporal`` by absolute values (performer mode).
    ``carry`` (a take solved in chunks; updated in place) holds the last frame's solved
    (``"linear"``) and refined (``"refined"``) weights of the chunk before."""
    carry = {} if carry is None else carry
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
        W = ps.solve(kw.deltas, kw.cameras, kw.confidence, kw.valid, carry.get("linear"))
        lam, mu = ps.lam, ps.mu
    else:
        solver = WeightSolver(kw.basis[:, :S], kw.k, reg=reg, temporal=temporal, pinned=pin)
        if penalties is not None:
            solver.set_penalties(penalties[0], float(penalties[1]))
        W = solver.solve(kw.deltas, kw.confidence, kw.valid, carry.get("linear"))
        lam, mu = solver.lam, solver.mu
    if len(W):
        carry["linear"] = W[-1].copy()
    if model.nonlinear:
        W, kw.report["refined"] = refine(model, W, kw, lam, mu, ~pin, model.matrix,
                                         carry.get("refined"))
        if len(W):
            carry["refined"] = W[-1].copy()
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
    valid frames. ``prior`` and ``speed`` replace ``reg`` and ``temporal`` there. A take too
    long for memory goes through ``solve.long_take.solve_long`` (the same steps, in chunks)."""
    if mirrored:
        tracks = tracks.mirrored()
    check_mode(mode)
    check_neutral_frame(neutral_frame, tracks.frames, tracks.source)
    on_the_fly = mode == "performer" and performer is None
    if on_the_fly:
        performer = calibrate_for(rig, tracks, calibration_frames)
    neutral = None if mode == "performer" else _neutral(tracks, neutral_frame)
    take = TakeSolver(rig, mode, tracks.dims, float(fps) if fps else tracks.fps(), reg, temporal,
                      neutral, neutral_frame, performer, on_the_fly, prior, speed)
    W, valid, pose = take.chunk(0, tracks)
    report = take.report(mirrored, tracks.source, tracks.frames)
    if pose is not None:
        report = dict(report, head_pose={"columns": list(POSE_COLUMNS), "frames": pose_frames(pose)})
    start = float(tracks.times[0]) if tracks.times is not None and np.isfinite(tracks.times[0]) else 0.0
    return Clip(generator="microexpr " + __version__, fps=take.fps, start_time=start,
                targets=rig.target_names(), weights=W, valid=valid,
                hold_invalid=True, rig_fingerprint=rig.mesh().fingerprint,
                source={"kind": "solve", **report})


def check_mode(mode: str) -> None:
    """Refuse a compensation mode ``solve_tracks`` does not know."""
    if mode not in SOLVE_MODES:
        from microexpr.errors import MicroExprError
        raise MicroExprError("unknown compensation mode %r" % mode, field="--compensation",
                             fix="use one of: " + ", ".join(SOLVE_MODES))


def check_neutral_frame(n0: int, frames: int, source: str) -> None:
    if not 0 <= n0 < frames:
        from microexpr.errors import MicroExprError
        raise MicroExprError("neutral frame %d is outside the %d frames" % (n0, frames),
                             file=source, field="--neutral-frame",
                             fix="pick a frame between 0 and %d" % (frames - 1))


def _neutral(tracks: Tracks, n0: int) -> Tracks:
    """The neutral frame alone, as one-frame tracks (checked by ``key_weights``)."""
    sl = slice(n0, n0 + 1)
    return Tracks(tracks.points[sl], tracks.confidence[sl], None, tracks.image_space,
                  tracks.source, [])


class TakeSolver:
    """One take's solve fed a chunk of frames at a time: the state one frame hands the next
    (last weights, pose filter, last cameras) is carried from chunk to chunk, so the chunks'
    weights equal the whole take's. ``neutral``: the neutral frame as one-frame tracks (modes
    other than performer) and its index; ``performer``: a ``Performer`` or its file
    (performer mode), ``on_the_fly`` when it was calibrated from this take."""

    def __init__(self, rig: Rig, mode: str, dims: int, fps: float, reg: float, temporal: float,
                 neutral: Optional[Tracks], neutral_frame: int, performer=None,
                 on_the_fly: bool = False, prior: Optional[float] = None,
                 speed: Optional[float] = None) -> None:
        from microexpr.solve.performer import Performer, load_performer
        from microexpr.solve.performer_solve import DEFAULT_PRIOR, DEFAULT_SPEED, PerformerCarry

        check_mode(mode)
        self.rig, self.mode, self.fps, self.reg, self.temporal = rig, mode, fps, reg, temporal
        self.model = solve_model(rig)
        self.pinned = pinned_targets(rig, dims)
        self.neutral = neutral
        self.invalid: List[int] = []
        self.missing: List[str] = []
        self.extra: Dict[str, object] = {"mode": mode, "neutral_frame": neutral_frame}
        self.carry: Dict[str, np.ndarray] = {}
        if mode == "performer":
            if not isinstance(performer, Performer):
                performer = load_performer(performer)
            if on_the_fly:
                self.how = "calibrated on the fly on frames %d:%d of the take" % tuple(performer.frames)
            else:
                self.how = "from %s" % performer.report.get("file", "the given performer")
                _check_performer(performer, dims, rig)
            self.performer = performer
            self.prior = DEFAULT_PRIOR if prior is None else prior
            self.speed = DEFAULT_SPEED if speed is None else speed
            self.pcarry = PerformerCarry(dims)

    def chunk(self, first: int, tracks: Tracks) -> Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]:
        """(weights (F, T) clipped to 0-1, valid (F,), head pose (F, 4) or None) of frames
        ``first ...`` of the take (already mirrored when the take is)."""
        if self.mode == "performer":
            from microexpr.solve.performer_solve import solve_performer

            W, valid, pose, report = solve_performer(
                self.rig, tracks, self.performer, self.model, self.pinned, self.prior,
                self.speed, self.fps, self.pcarry)
            self._merge(report, first)
        else:
            assert self.neutral is not None
            both = _joined(self.neutral, tracks)
            kw = _rows(key_weights(self.model.matrix, self.rig.neutral_landmarks(), both, self.mode,
                                   0, self.rig.landmarks.rigid, self.rig.landmarks.reference_points,
                                   self.extra["neutral_frame"]))  # type: ignore[arg-type]
            W = solve_key_weights(self.rig, kw, self.reg, self.temporal, self.pinned, self.model,
                                  carry=self.carry)
            valid, pose = kw.valid, None
            kw.report["invalid_frames"] = [int(f) for f in np.nonzero(~valid)[0]]
            kw.report["missing"] = list(tracks.missing)
            self._merge(kw.report, first)
        return np.clip(W, 0.0, 1.0), valid, pose

    def _merge(self, report: Dict[str, object], first: int) -> None:
        """Fold one chunk's report into the take's (absolute frames, ranges, sums)."""
        report = dict(report)
        self.invalid += [first + f for f in report.pop("invalid_frames")]      # type: ignore
        self.missing += report.pop("missing")                                   # type: ignore
        for key, value in report.items():
            old = self.extra.get(key)
            if key == "head_scale_range" and old is not None:
                value = [min(old[0], value[0]), max(old[1], value[1])]          # type: ignore
            elif key == "refined" and old is not None:
                value = {k: old[k] + value[k] for k in old}                     # type: ignore
            self.extra[key] = value

    def report(self, mirrored: bool, source: str, frames: int) -> Dict[str, object]:
        """The take's report (the clip's ``source`` without ``kind`` and head pose)."""
        names = [self.rig.targets[t].name for t in self.model.solved if self.pinned[t]]
        if self.mode == "performer":
            p = self.performer
            out = {"mode": "performer", "dims": p.dims, "camera": p.camera, "prior": self.prior,
                   "speed": self.speed}
            out.update(_penalties(p, self.prior, self.speed, self.fps))
            out.update({"invalid_frames": self.invalid, "missing": self.missing})
            out.update({k: v for k, v in self.extra.items() if k not in out and k != "neutral_frame"})
            out.update({"performer": self.how, "calibration_frames": list(p.frames),
                        "calibration_residual": p.residual, "noise": p.noise,
                        "pinned_targets": names})
        else:
            out = dict(self.extra)
            out.update({"invalid_frames": self.invalid, "missing": self.missing,
                        "reg": self.reg, "temporal": self.temporal, "pinned_targets": names})
        out.update({"mirrored": mirrored, "tracks": source, "frames": frames,
                    "solve_set": self.model.names if self.model.declared else None})
        return out


def _penalties(performer, prior: float, speed: float, fps: float) -> Dict[str, float]:
    from microexpr.solve.performer_solve import penalties

    lam, mu = penalties(performer, prior, speed, fps)
    return {"lam": lam, "mu": mu}


def _joined(neutral: Tracks, tracks: Tracks) -> Tracks:
    """The neutral frame, then the chunk: key weights measure every frame against frame 0."""
    return Tracks(np.concatenate([neutral.points, tracks.points]),
                  np.concatenate([neutral.confidence, tracks.confidence]), None,
                  tracks.image_space, tracks.source, [])


def _rows(kw: KeyWeights) -> KeyWeights:
    """Key weights without their first row (the neutral frame put before a chunk)."""
    return KeyWeights(kw.deltas[1:], kw.basis, kw.confidence[1:], kw.valid[1:], kw.k, kw.mode,
                      {k: v for k, v in kw.report.items()
                       if k not in ("invalid_frames", "missing", "neutral_frame")},
                      None if kw.cameras is None else kw.cameras[1:], kw.view0)


def calibrate_for(rig: Rig, tracks: Tracks, frames: Optional[Tuple[int, int]] = None):
    """The performer of ``tracks`` for ``rig``: ``solve.performer.calibrate`` alternating with
    the rig's expressions, so frames with expression do not move the neutral."""
    from microexpr.solve.performer import calibrate

    return calibrate(rig.neutral_landmarks(), tracks, frames, tracks.source,
                     rig.mesh().fingerprint, rig.landmark_delta_matrix(),
                     pinned_targets(rig, tracks.dims))


def _check_performer(performer, dims: int, rig: Rig) -> None:
    from microexpr.errors import MicroExprError

    file = performer.report.get("file")
    if performer.dims != dims:
        raise MicroExprError("the performer was calibrated on %d-D tracks, these are %d-D"
                             % (performer.dims, dims), file=file, field="dims",
                             fix="calibrate on tracks from the same tracker")
    fp = rig.mesh().fingerprint
    if performer.rig_fingerprint and performer.rig_fingerprint != fp:
        raise MicroExprError("the performer was calibrated for another rig", file=file,
                             field="calibration.rig_fingerprint",
                             fix="run 'microexpr calibrate' with this rig")
