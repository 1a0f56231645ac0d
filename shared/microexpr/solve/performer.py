"""The performer model: the performer's own neutral 3-D landmarks, estimated from their tracks.

A rig's landmarks are not the performer's. Fitting the rig's shape to someone else's landmarks
turns the difference into head pose and expression on every frame. ``calibrate`` estimates the
performer's neutral shape ``S`` (68 x 3, in the rig's units and frame) from frames that contain
head motion, the way structure from motion does:

1. Start from the rig's neutral landmarks; fit a camera per frame (weak perspective for 2-D
   tracks, a similarity for 3-D) on every landmark.
2. Per landmark, solve the least-squares shape that all frames' cameras see, pulled toward the
   rig's landmark by a prior worth ``PRIOR_FRAMES`` frames (so what the motion does not show,
   e.g. depth when the head only turns in the image plane, stays the rig's).
3. After ``PLAIN_ITERATIONS`` plain ones, robust (Cauchy) weights per frame and landmark: a
   landmark moved by expression in some frames counts less there. Move ``S`` onto the rig's
   landmarks by a similarity (the gauge: ``S`` keeps the rig's size and frame), refit the
   cameras, repeat ``ITERATIONS`` times, each step Anderson-accelerated (:class:`Anderson`).

For 2-D tracks the calibration then picks the camera model by evidence
(``solve.camera_model``): when the head does not turn in depth, the per-frame camera only
shifts, rolls and scales a fixed view. It also measures what the per-frame solve needs, so that offline, streaming and
live solves given the same file give the same weights:

- ``noise``: the landmark noise as a share of the head's scale (rig units): the robust spread
  of the residuals, never below ``MIN_NOISE_SHARE`` of the eye-corner distance.
- ``gains``: the retargeting, per landmark: the performer's region size over the rig's (jaw,
  each brow, nose, each eye, mouth). A performer's offset divided by its region's gain is the
  rig's offset of the same *relative* size.
- ``filter``: the head-pose filter's gains (``pose_filter``), from the pose noise and the head's
  motion measured on the calibration frames.

Without ``frames`` the calibration uses the first ``MAX_FRAMES`` valid frames of a take, so a
streaming solve can start after them.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, RIGID
from microexpr.solve.camera_model import choose_camera, fit_camera
from microexpr.solve.key_weights import MIN_RIGID, similarity_fit
from microexpr.solve.tracks import Tracks

#: On-the-fly calibration reads at most this many valid frames from the start of a take.
MAX_FRAMES = 600
ITERATIONS = 40
#: Alternating shape and cameras converges slowly when the head turns little (depth is weakly
#: seen): each shape step is lengthened by this factor (successive over-relaxation).
OVER_RELAX = 1.8
#: With the rig's expressions given, the expression is solved and taken out of the landmarks
#: from this iteration on, every ``ALTERNATE_EVERY`` iterations (every one: solving it every
#: third iteration was 3x faster but let a take that holds the jaw open half the time bias
#: the neutral, tests/test_cli.py: 0.5 read back as 0.43).
ALTERNATE_FROM = 2
ALTERNATE_EVERY = 1
#: Once the robust iterations start (the noise estimate is then the noise, not the misfit of
#: a shape still far off), that solve's weights are soft-thresholded by this many of their own
#: noise (the landmark noise over the target's landmark motion seen from the front): weights
#: are >= 0, so noise solved as expression would otherwise push the neutral from every target.
CALIBRATION_THRESHOLD = 2.0
#: ... and solved with a stronger weight prior than the solve's: combinations of targets that
#: undo part of the neutral (a jaw half open in the neutral, closed by other targets) cost more.
CALIBRATION_PRIOR = 0.1
#: The first iterations are plain least squares, the rest robust.
PLAIN_ITERATIONS = 15
#: The shape iteration is a slow fixed point (shape and cameras alternate); Anderson
#: acceleration mixes the last ``ANDERSON_MEMORY`` steps. Measured against the fixed point
#: (600 plain iterations): on a 300-frame video of a real face (the capture benchmark's), the
#: largest clip weight moves 0.0007 with 40 accelerated iterations (15 plain + 25 robust), in
#: half the time of 80 plain ones (0.0003) where 40 plain ones move 0.010; on a take that holds
#: a smile for half its frames (tests/test_capture_weights.py) the 40 give the fixed point's
#: 0.447 where 28 (13 robust) gave 0.400: the robust phase needs its 25.
ANDERSON_MEMORY = 5
#: The shape is fitted on at most this many calibration frames, evenly spaced (a head moves
#: smoothly: more frames add time, not information); cameras, noise and the pose filter then
#: use every calibration frame.
SHAPE_FRAMES = 300
#: The pull toward the rig's landmarks, in frames' worth of data.
PRIOR_FRAMES = 0.02
#: Cauchy scale of the robust weights, in noise units.
ROBUST = 3.0
#: The smallest landmark noise assumed, as a share of the distance between the outer eye
#: corners (0.1 px when they are 100 px apart): no tracker is steadier.
MIN_NOISE_SHARE = 0.001
#: Regions whose size ratio is the retargeting gain of their landmarks.
GAIN_REGIONS: Dict[str, Tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)), "brow_R": tuple(range(17, 22)), "brow_L": tuple(range(22, 27)),
    "nose": tuple(range(27, 36)), "eye_R": tuple(range(36, 42)), "eye_L": tuple(range(42, 48)),
    "mouth": tuple(range(48, 68)),
}
#: Median of the norm of a k-D standard normal vector (k = 2, 3): turns a median residual
#: into the per-coordinate noise.
_MEDIAN_NORM = {2: 1.1774100225154747, 3: 1.5381722544550522}


@dataclass
class Performer:
    """A performer's neutral landmarks and what the per-frame solve needs from a calibration."""

    neutral: np.ndarray                  # (68, 3) rig units, rig frame
    gains: np.ndarray                    # (68,) retargeting gain per landmark
    noise: float                         # landmark noise / head scale (rig units)
    filter_alpha: np.ndarray             # (P,) pose filter gains (P = 8 for 2-D, 12 for 3-D)
    filter_beta: np.ndarray
    dims: int = 2
    fps: float = 30.0                    # the frame rate the filter gains are for
    frames: List[int] = field(default_factory=list)    # [first, last + 1] of the calibration
    residual: float = 0.0                # RMS residual after calibration, rig units
    source: str = ""
    rig_fingerprint: str = ""
    report: Dict[str, object] = field(default_factory=dict)
    camera: str = "weak_perspective"     # solve.camera_model.CAMERAS, chosen by evidence
    view: Optional[np.ndarray] = None    # (2, 3) the fixed view of the in_plane camera


def camera_fit(shape: np.ndarray, x: np.ndarray, w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per frame ``x ~ M shape + t`` with the calibration's free camera: weak perspective for
    2-D tracks, a similarity (M = s R) for 3-D (``camera_model.fit_camera``)."""
    return fit_camera("weak_perspective" if x.shape[-1] == 2 else "similarity", None, shape, x, w)


def camera_scale(M: np.ndarray) -> np.ndarray:
    """The scale of cameras ``M`` (..., k, 3): the length of their first row."""
    return np.sqrt(np.sum(M[..., 0, :] ** 2, axis=-1))


def robust_weights(e: np.ndarray, noise: float) -> np.ndarray:
    """Cauchy weights of residuals ``e`` (in the units of ``noise``)."""
    return 1.0 / (1.0 + (e / (ROBUST * noise)) ** 2)


def region_gains(neutral: np.ndarray, rig_neutral: np.ndarray) -> np.ndarray:
    """Per landmark: the RMS size of its region (``GAIN_REGIONS``) on the performer over the
    same on the rig. Both shapes are in the same units and frame (``calibrate`` aligns them)."""
    g = np.ones(COUNT)
    for idx in GAIN_REGIONS.values():
        ix = list(idx)
        a = neutral[ix] - neutral[ix].mean(axis=0)
        b = rig_neutral[ix] - rig_neutral[ix].mean(axis=0)
        g[ix] = float(np.sqrt(np.sum(a * a) / np.sum(b * b)))
    return g


def _align(shape: np.ndarray, onto: np.ndarray) -> np.ndarray:
    s, R, t = similarity_fit(shape, onto)
    return s * shape @ R.T + t


def frame_segment(text: object, field: str = "--calibration-frames") -> Optional[Tuple[int, int]]:
    """``"A:B"`` (frames A to B - 1) as (A, B); None stays None; ``field`` names the option
    or manifest column in the error."""
    if text is None:
        return None
    try:
        a, b = (int(v) for v in str(text).split(":"))
    except ValueError:
        raise MicroExprError("expected A:B (two frame numbers), got %r" % (text,), field=field,
                             fix="e.g. 0:120 (the first 120 frames)") from None
    if not 0 <= a < b:
        raise MicroExprError("the segment %d:%d is empty or negative" % (a, b), field=field,
                             fix="e.g. 0:120 (the first 120 frames)")
    return a, b


def calibration_frames(tracks: Tracks, frames: Optional[Sequence[int]] = None) -> np.ndarray:
    """Indices of the frames to calibrate on: ``frames`` = (first, last + 1), else the first
    ``MAX_FRAMES`` frames that show at least ``MIN_RIGID`` rigid landmarks."""
    F = tracks.frames
    seen = (tracks.confidence[:, list(RIGID)] > 0).sum(axis=1) >= MIN_RIGID
    if frames is not None:
        a, b = int(frames[0]), int(frames[1])
        if not 0 <= a < b <= F:
            raise MicroExprError("calibration frames %d:%d are outside the %d frames" % (a, b, F),
                                 file=tracks.source, field="--calibration-frames",
                                 fix="give A:B with 0 <= A < B <= %d" % F)
        idx = np.arange(a, b)[seen[a:b]]
    else:
        idx = np.nonzero(seen)[0][:MAX_FRAMES]
    if len(idx) < 1:
        raise MicroExprError("no frame to calibrate the performer on",
                             file=tracks.source, field="--calibration-frames",
                             fix="give a take (or a calibration segment) where the face is "
                                 "found, ideally with a head turn")
    return idx


def calibrate(rig_neutral: np.ndarray, tracks: Tracks, frames: Optional[Sequence[int]] = None,
              source: str = "", rig_fingerprint: str = "",
              expressions: Optional[np.ndarray] = None,
              pinned: Optional[np.ndarray] = None) -> Performer:
    """The performer's neutral shape, noise, retargeting gains and pose filter from ``tracks``
    (see the module doc). ``frames``: (first, last + 1) of a calibration segment.

    With ``expressions`` (the rig's landmark delta matrix, 68 x 3 x T; ``pinned`` targets held
    at 0) the shape alternates with a solve of the expression on the calibration frames: each
    frame's solved expression is taken out of its landmarks before the shape is fitted, so a
    take that smiles half the time still gives the neutral face (weights are >= 0: the
    neutral is the face no expression is subtracted from)."""
    from microexpr.solve.pose_filter import filter_gains

    X = np.asarray(rig_neutral, dtype=np.float64)
    idx = calibration_frames(tracks, frames)
    x_data = np.where(np.isfinite(tracks.points[idx]), tracks.points[idx], 0.0)
    conf = tracks.confidence[idx]
    k = tracks.dims
    F = len(idx)
    floor = MIN_NOISE_SHARE * float(np.linalg.norm(X[36] - X[45]))
    _check_spread(x_data, conf, tracks)
    sub = np.unique(np.linspace(0, F - 1, min(F, SHAPE_FRAMES)).round().astype(np.int64))
    S, noise = _fit_shape(X, x_data[sub], conf[sub], floor, expressions, pinned)
    # every calibration frame: its camera, its expression taken out, robust weights
    M, t = camera_fit(np.broadcast_to(S, (F, COUNT, 3)), x_data, conf + 1e-12)
    x = x_data if expressions is None else \
        x_data - _expression(x_data, conf, M, t, S, X, expressions, pinned, noise)
    w = conf * robust_weights(_residual_norms(x, M, t, S), noise)
    M, t = camera_fit(np.broadcast_to(S, (F, COUNT, 3)), x, w + 1e-12)
    camera: str = "similarity"
    view: Optional[np.ndarray] = None
    camera_report: Dict[str, object] = {"camera": camera}
    if k == 2:
        camera, view, camera_report = choose_camera(S, M, t, x, w)
        M, t = fit_camera(camera, view, np.broadcast_to(S, (F, COUNT, 3)), x, w + 1e-12)
    e = _residual_norms(x, M, t, S)
    noise = _noise(e, conf, k, floor)
    alpha, beta, pose_report = filter_gains(*_consecutive(M, t, idx), fps=tracks.fps(),
                                             eye_distance=float(np.linalg.norm(X[36] - X[45])))
    used = conf > 0
    residual = float(np.sqrt(np.mean(e[used] ** 2))) if used.any() else 0.0
    report = {"frames_used": int(F), "noise_rig_units": noise, "residual_rig_units": residual,
              "shape_change_rig_units": float(np.sqrt(np.mean(np.sum((S - X) ** 2, axis=1)))),
              **camera_report, **pose_report}
    return Performer(S, region_gains(S, X), noise, alpha, beta, k, tracks.fps(),
                     [int(idx[0]), int(idx[-1]) + 1], residual, source or tracks.source,
                     rig_fingerprint, report, camera, view)


def _fit_shape(X: np.ndarray, x_data: np.ndarray, conf: np.ndarray, floor: float,
               expressions: Optional[np.ndarray], pinned: Optional[np.ndarray]
               ) -> Tuple[np.ndarray, float]:
    """(shape, noise) from frames ``x_data``: the alternation of the module doc."""
    F, k = x_data.shape[0], x_data.shape[2]
    rig = list(RIGID)
    S = X.copy()
    M, t = camera_fit(np.broadcast_to(S[rig], (F, len(rig), 3)), x_data[:, rig], conf[:, rig] + 1e-12)
    x = x_data
    noise = floor
    solver = None if expressions is None else _expression_solver(expressions, pinned, k)
    mix = Anderson(ANDERSON_MEMORY)
    for it in range(ITERATIONS):
        if it in (ALTERNATE_FROM, PLAIN_ITERATIONS):
            mix.reset()                             # the map changes: forget older steps
        if expressions is not None and it >= ALTERNATE_FROM and (it - ALTERNATE_FROM) % ALTERNATE_EVERY == 0:
            settled = it >= PLAIN_ITERATIONS        # the noise estimate is the noise by now
            x = x_data - _expression(x_data, conf, M, t, S, X, expressions, pinned, noise,
                                     CALIBRATION_THRESHOLD if settled else 0.0, solver)
        e = _residual_norms(x, M, t, S)
        noise = _noise(e, conf, k, floor)
        # plain least squares first: robust weights of a shape still far from the performer's
        # would freeze the landmarks that are furthest off (a real jaw can be 20 % away)
        w = conf * robust_weights(e, noise) if it >= PLAIN_ITERATIONS else conf.copy()
        lam = PRIOR_FRAMES * float(np.mean(camera_scale(M) ** 2))
        # sum_f w_fl M_f^T M_f and sum_f w_fl M_f^T (x_fl - t_f), as matrix products (the
        # three-operand einsums took 20x longer)
        A = (w.T @ np.einsum("fai,faj->fij", M, M).reshape(F, 9)).reshape(COUNT, 3, 3) + lam * np.eye(3)
        b = np.einsum("fl,fli->li", w, (x - t[:, None, :]) @ M) + lam * _align(X, S)
        step = np.linalg.solve(A, b[..., None])[..., 0] - S
        S = _align(mix.step(S, _align(S + OVER_RELAX * step, X)), X)
        M, t = camera_fit(np.broadcast_to(S, (F, COUNT, 3)), x, w + 1e-12)
    return S, noise


class Anderson:
    """Anderson acceleration of a fixed point ``S -> G(S)``: :meth:`step` returns the next
    iterate, mixing the last ``memory`` steps by least squares on their residuals
    ``G(S) - S`` (plain ``G(S)`` until two are known). Written here because it is ten lines
    of numpy around ``lstsq``; scipy's ``anderson`` owns the loop and cannot be interleaved
    with the phase changes of ``_fit_shape``."""

    def __init__(self, memory: int) -> None:
        self.memory = memory
        self.reset()

    def reset(self) -> None:
        self.xs: List[np.ndarray] = []
        self.fs: List[np.ndarray] = []

    def step(self, x: np.ndarray, g: np.ndarray) -> np.ndarray:
        f = (g - x).ravel()
        self.xs = (self.xs + [x.ravel().copy()])[-(self.memory + 1):]
        self.fs = (self.fs + [f])[-(self.memory + 1):]
        if self.memory < 1 or len(self.fs) < 2:
            return g
        dF = np.diff(np.array(self.fs), axis=0).T
        dX = np.diff(np.array(self.xs), axis=0).T
        gamma = np.linalg.lstsq(dF, f, rcond=None)[0]
        return (x.ravel() + f - (dX + dF) @ gamma).reshape(x.shape)


def _check_spread(x: np.ndarray, conf: np.ndarray, tracks: Tracks) -> None:
    """Refuse landmarks that sit on one point (all-zero tracks, a broken export)."""
    seen = conf > 0
    spread = [float(np.ptp(x[f][seen[f]], axis=0).max()) for f in range(len(x)) if seen[f].sum() > 2]
    if not spread or max(spread) <= 0.0:
        raise MicroExprError("the landmarks of every frame sit on one point", file=tracks.source,
                             field="landmarks", fix="check the tracker's export (all zeros?)")


def _expression_solver(B: np.ndarray, pinned: Optional[np.ndarray], k: int):
    """The bounded solver ``_expression`` uses for k-D tracks (built once per calibration)."""
    from microexpr.solve.projected_solver import ProjectedSolver
    from microexpr.solve.weight_solver import WeightSolver

    B = np.asarray(B, dtype=np.float64)
    if k == 2:
        return ProjectedSolver(B, np.eye(3)[:2], pinned=pinned)
    return WeightSolver(B.reshape(COUNT * 3, -1), 3, pinned=pinned)


def _expression(x: np.ndarray, conf: np.ndarray, M: np.ndarray, t: np.ndarray, S: np.ndarray,
                X: np.ndarray, B: np.ndarray, pinned: Optional[np.ndarray], noise: float,
                threshold_noise: float = CALIBRATION_THRESHOLD, solver=None) -> np.ndarray:
    """Each calibration frame's expression, seen by its camera (F, 68, k): bounded weights of
    the retargeted deltas solved on the frame's offsets from ``S`` (no temporal term);
    ``solver`` from ``_expression_solver``, else built here."""
    B = np.asarray(B, dtype=np.float64)
    F, k = x.shape[0], x.shape[2]
    solver = _expression_solver(B, pinned, k) if solver is None else solver
    g = region_gains(S, X)
    s = camera_scale(M)
    r = (x - S @ M.swapaxes(1, 2) - t[:, None, :]) / s[:, None, None] / g[None, :, None]
    P = M / s[:, None, None]
    r = np.where(conf[:, :, None] > 0, r, 0.0)
    lam = (noise / CALIBRATION_PRIOR) ** 2
    if k == 2:
        solver.lam, solver.mu = np.full(B.shape[2], lam), 0.0
        W = solver.solve(r.reshape(F, -1), np.ascontiguousarray(P), conf)
    else:
        solver.set_penalties(lam, 0.0)
        W = solver.solve(np.einsum("fji,fnj->fni", P, r).reshape(F, -1), conf)
    seen = np.sqrt(np.sum(B[:, :k] ** 2, axis=(0, 1)))
    with np.errstate(divide="ignore", invalid="ignore"):
        threshold = np.where(seen > 0, threshold_noise * noise / seen, np.inf)
    W = np.clip(W - threshold, 0.0, 1.0)
    seen_3d = (W @ (B * g[:, None, None]).reshape(COUNT * 3, -1).T).reshape(F, COUNT, 3)
    return seen_3d @ M.swapaxes(1, 2)


def _consecutive(M: np.ndarray, t: np.ndarray, idx: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """The cameras of the longest run of consecutive frames (the filter's evidence)."""
    breaks = np.nonzero(np.diff(idx) != 1)[0] + 1
    runs = np.split(np.arange(len(idx)), breaks)
    best = max(runs, key=len)
    return M[best], t[best]


def _residual_norms(x: np.ndarray, M: np.ndarray, t: np.ndarray, S: np.ndarray) -> np.ndarray:
    """|x - (M S + t)| per frame and landmark, divided by the frame's camera scale."""
    r = x - S @ M.swapaxes(1, 2) - t[:, None, :]
    return np.linalg.norm(r, axis=2) / camera_scale(M)[:, None]


def _noise(e: np.ndarray, conf: np.ndarray, k: int, floor: float) -> float:
    seen = e[conf > 0]
    if not seen.size:
        return floor
    return max(float(np.median(seen)) / _MEDIAN_NORM[k], floor)


def performer_file(performer: Performer, length_unit: str = "cm"):
    """The bridge model (``bridge.performer_file.PerformerFile``) of ``performer``."""
    from microexpr._version import __version__
    from microexpr.bridge.performer_file import Calibration, PerformerFile, PerformerUnits, PoseFilter

    return PerformerFile(
        generator="microexpr " + __version__,
        units=PerformerUnits(length=length_unit),  # type: ignore[arg-type]  # checked by pydantic
        dims=int(performer.dims), fps=float(performer.fps),  # type: ignore[arg-type]
        neutral=[[float(c) for c in p] for p in performer.neutral],
        gains=[float(g) for g in performer.gains], noise=float(performer.noise),
        pose_filter=PoseFilter(alpha=[float(a) for a in performer.filter_alpha],
                               beta=[float(b) for b in performer.filter_beta]),
        camera=performer.camera,  # type: ignore[arg-type]
        view=None if performer.view is None else [[float(c) for c in r] for r in performer.view],
        calibration=Calibration(frames=[int(f) for f in performer.frames],
                                residual=float(performer.residual), source=str(performer.source),
                                rig_fingerprint=str(performer.rig_fingerprint)))


def save_performer(performer: Performer, path: str, length_unit: str = "cm") -> None:
    """Write ``performer`` to ``path`` as a performer file, atomically."""
    from microexpr.bridge.performer_file import write_performer_file

    write_performer_file(performer_file(performer, length_unit), path)


def load_performer(path: str) -> Performer:
    """Read a performer file (``bridge.performer_file``); a clear error when it is not one."""
    from microexpr.bridge.performer_file import read_performer_file

    m = read_performer_file(path)
    return Performer(np.array(m.neutral), np.array(m.gains), m.noise,
                     np.array(m.pose_filter.alpha), np.array(m.pose_filter.beta), m.dims, m.fps,
                     list(m.calibration.frames), m.calibration.residual, m.calibration.source,
                     m.calibration.rig_fingerprint, {"file": str(path)}, m.camera,
                     None if m.view is None else np.array(m.view))
