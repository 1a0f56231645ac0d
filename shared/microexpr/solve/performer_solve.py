"""Pose and expression together, on the performer: the per-frame solve of ``performer`` mode.

Given a performer (``solve.performer``: neutral shape ``S``, retargeting gains ``g``, noise
``sigma``, pose filter gains), each frame runs two passes. Everything a frame uses comes from
that frame and the ones before it, so a streaming or live solve that feeds frames one by one
gets the same weights as a batch solve of the whole take:

1. **Pose on the rigid set.** A camera (the performer's camera model: weak perspective or
   in-plane for 2-D tracks, ``solve.camera_model``; a similarity for 3-D) is fitted to the performer's neutral on the rigid landmarks, and a first solve of the
   weights runs on its offsets.
2. **Pose with the expression.** The performer's shape with that expression,
   ``S + (g B) w``, is fitted on all 68 landmarks with robust (Cauchy) weights of the first
   pass's residuals, so an outlier or a landmark the rig does not model counts less. The
   camera is smoothed by the pose filter (``pose_filter``), and the weights are solved again
   on its offsets: these are the frame's weights.

For 2-D tracks the numbers between the two weight solves (camera fits, offsets, robust
weights, the filter's scaled rotation) run compiled (``performer_fits``), the numpy below being
the path for 3-D tracks and for plain Python; the two agree to rounding.

Offsets: ``r = (x - M S - t) / s`` (rig units, ``s`` the camera's scale), divided per landmark
by the retargeting gain, and the targets' landmark deltas are seen through ``M / s``.

The priors come from the noise. With ``sigma`` the landmark noise (rig units) the weights cost
``lam = (sigma / prior)^2`` each and a change from the previous frame ``mu = (sigma / (speed /
fps))^2``: the maximum a-posteriori weights when a weight is expected within ``prior`` of 0 and
to change by ``speed`` per second. In effect each target is shrunk by ``1 / (1 + prior^2 |P B_t|^2
/ sigma^2)``: a target whose landmark motion the camera sees well above the noise keeps its
weight, one it barely sees is held near 0. The defaults come from the measurement in
``docs/key-weights.md`` (``benchmarks/prior_sweep.py``).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from microexpr.landmarks import COUNT, RIGID
from microexpr.solve import performer_fits as fits
from microexpr.solve.camera_model import fit_camera
from microexpr.solve.jit import compiled, run
from microexpr.solve.key_weights import FRONTAL, MIN_RIGID, KeyWeights
from microexpr.solve.performer import ROBUST, Performer, camera_scale, robust_weights
from microexpr.solve.pose_filter import FilterState, filter_cameras, smooth_cameras
from microexpr.solve.projected_solver import moving_targets
from microexpr.solve.solve_set import SolveModel

#: A weight is expected within this of 0 (the prior's standard deviation).
DEFAULT_PRIOR = 0.2
#: A weight is expected to change by this much per second (the temporal prior).
DEFAULT_SPEED = 3.0
#: The 2-D cameras ``performer_fits`` runs compiled.
_KINDS = {"weak_perspective": fits.WEAK_PERSPECTIVE, "in_plane": fits.IN_PLANE}


def penalties(performer: Performer, prior: float, speed: float, fps: float) -> Tuple[float, float]:
    """(lam, mu) of the weight solver from the performer's noise (see the module doc)."""
    lam = (performer.noise / prior) ** 2
    mu = (performer.noise / (speed / fps)) ** 2 if speed > 0 else 0.0
    return lam, mu


def frame_offsets(x: np.ndarray, M: np.ndarray, t: np.ndarray, performer: Performer
                  ) -> Tuple[np.ndarray, np.ndarray]:
    """(offsets (F, 68, k) in rig units divided by the gains, cameras ``M / s`` (F, k, 3))."""
    s = camera_scale(M)
    r = x - performer.neutral @ M.swapaxes(1, 2) - t[:, None, :]
    return r / s[:, None, None] / performer.gains[None, :, None], M / s[:, None, None]


def _key_weights(x: np.ndarray, conf: np.ndarray, valid: np.ndarray, M: np.ndarray,
                 t: np.ndarray, performer: Performer, matrix: np.ndarray) -> KeyWeights:
    """Key weights of one pass: 2-D offsets with per-frame cameras, or 3-D offsets turned back
    into the rig's frame (``R^T r``) against the rig's landmark deltas."""
    F, k = x.shape[0], x.shape[2]
    r, P = frame_offsets(x, M, t, performer)
    c = np.where(valid[:, None], conf, 0.0)
    if k == 3:
        r = np.einsum("fji,fnj->fni", P, r)
        r = np.where(c[:, :, None] > 0, r, 0.0)
        return KeyWeights(r.reshape(F, -1), matrix.reshape(COUNT * 3, -1), c, valid, 3,
                          "performer")
    r = np.where(c[:, :, None] > 0, r, 0.0)
    return KeyWeights(r.reshape(F, -1), np.einsum("ij,ljt->lit", FRONTAL, matrix).reshape(COUNT * 2, -1),
                      c, valid, 2, "performer", {}, np.ascontiguousarray(P), FRONTAL.copy())


class PerformerCarry:
    """What the per-frame solve carries from one chunk of a take to the next (``solve_long``):
    each pass's last weights, the pose filter's state and the last valid cameras."""

    def __init__(self, dims: int) -> None:
        self.first: Dict[str, np.ndarray] = {}
        self.final: Dict[str, np.ndarray] = {}
        self.filter = FilterState(4 * dims)
        self.cameras: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}


def solve_performer(rig, tracks, performer: Performer, model: SolveModel, pinned: np.ndarray,
                    prior: float = DEFAULT_PRIOR, speed: float = DEFAULT_SPEED,
                    fps: float = 60.0, carry: Optional[PerformerCarry] = None
                    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, Dict[str, object]]:
    """(weights (F, T) unclipped, valid (F,), pose (F, 4): yaw, pitch, roll in degrees and
    scale, report) for ``tracks`` on ``rig`` (see the module doc). ``carry`` (updated in
    place) continues a take from the chunk before: the result equals the whole take's."""
    from microexpr.solve.tracks_to_clip import solve_key_weights

    x = np.where(np.isfinite(tracks.points), tracks.points, 0.0)
    conf = tracks.confidence.copy()
    F, k = x.shape[0], x.shape[2]
    S = performer.neutral
    rig_idx = list(RIGID)
    valid = (conf[:, rig_idx] > 0).sum(axis=1) >= MIN_RIGID
    safe = np.where(valid[:, None], conf, 1.0)
    lam, mu = penalties(performer, prior, speed, fps)
    pen = (lam, mu)
    carry = PerformerCarry(k) if carry is None else carry
    held = carry.cameras
    matrix = model.matrix
    B = np.asarray(rig.landmark_delta_matrix(), dtype=np.float64) * performer.gains[:, None, None]
    cam, view = performer.camera, performer.view
    if k == 2 and compiled() and cam in _KINDS:
        return _solve_2d(rig, x, conf, valid, performer, model, pinned, pen, carry, B, tracks,
                         (prior, speed))
    # pass 1: pose on the rigid set, a first expression
    M, t = _held(*fit_camera(cam, view, np.broadcast_to(S[rig_idx], (F, len(rig_idx), 3)),
                             x[:, rig_idx], safe[:, rig_idx] + 1e-12), valid, held, "rigid")
    kw = _key_weights(x, conf, valid, M, t, performer, matrix)
    W1 = solve_key_weights(rig, kw, pinned=pinned, model=model, penalties=pen, carry=carry.first)
    # pass 2: pose with the expression, robust weights, the pose filter
    shape = S[None] + (W1 @ B.reshape(COUNT * 3, -1).T).reshape(F, COUNT, 3)
    e = np.linalg.norm(x - shape @ M.swapaxes(1, 2) - t[:, None, :], axis=2)
    omega = safe * robust_weights(e / camera_scale(M)[:, None], performer.noise)
    M2, t2 = _held(*fit_camera(cam, view, shape, x, omega + 1e-12), valid, held, "fit")
    M2, t2 = _held(*smooth_cameras(M2, t2, valid, performer.filter_alpha, performer.filter_beta,
                                   carry.filter), valid, held, "smooth")
    kw = _key_weights(x, conf, valid, M2, t2, performer, matrix)
    W = solve_key_weights(rig, kw, pinned=pinned, model=model, penalties=pen, carry=carry.final)
    return W, valid, _pose(M2, valid), _report(performer, tracks, valid, kw, prior, speed, pen)


def _solve_2d(rig, x, conf, valid, performer: Performer, model: SolveModel, pinned, pen,
              carry: PerformerCarry, B, tracks, priors):
    """``solve_performer`` for 2-D tracks with the numbers between the two weight solves
    compiled (``performer_fits``): the same steps, the same weights to rounding."""
    from microexpr.solve.tracks_to_clip import solve_key_weights

    F = len(x)
    held = carry.cameras
    kind = _KINDS[performer.camera]
    view = np.ascontiguousarray(FRONTAL if performer.view is None else performer.view, np.float64)
    S = np.ascontiguousarray(performer.neutral, np.float64)
    gains = np.ascontiguousarray(performer.gains, np.float64)
    x = np.ascontiguousarray(x)
    conf = np.ascontiguousarray(conf, np.float64)
    valid = np.ascontiguousarray(valid, np.bool_)
    M, t = np.empty((F, 2, 3)), np.empty((F, 2))
    run(fits.rigid_cameras, kind, view, S, np.array(RIGID, np.int64), x, conf, valid, M, t)
    M, t = _held(M, t, valid, held, "rigid")
    basis = np.einsum("ij,ljt->lit", FRONTAL, model.matrix).reshape(COUNT * 2, -1)
    kw = _offsets_2d(x, conf, valid, M, t, S, gains, basis)
    W1 = solve_key_weights(rig, kw, pinned=pinned, model=model, penalties=pen, carry=carry.first)
    nz_start, nz_target = moving_targets(B)
    M2, t2 = np.empty((F, 2, 3)), np.empty((F, 2))
    run(fits.expression_cameras, kind, view, S, np.ascontiguousarray(B), nz_start, nz_target,
        np.ascontiguousarray(W1, np.float64), x, conf, valid, np.ascontiguousarray(M),
        np.ascontiguousarray(t), ROBUST * float(performer.noise), M2, t2)
    M2, t2 = _held(M2, t2, valid, held, "fit")
    Z = filter_cameras(M2, t2, valid, performer.filter_alpha, performer.filter_beta, carry.filter)
    M2 = np.empty((F, 2, 3))
    run(fits.scaled_rotations, Z, M2)
    M2, t2 = _held(M2, np.ascontiguousarray(Z[:, 6:]), valid, held, "smooth")
    kw = _offsets_2d(x, conf, valid, M2, t2, S, gains, basis)
    W = solve_key_weights(rig, kw, pinned=pinned, model=model, penalties=pen, carry=carry.final)
    return W, valid, _pose(M2, valid), _report(performer, tracks, valid, kw, priors[0], priors[1], pen)


def _offsets_2d(x, conf, valid, M, t, S, gains, basis) -> KeyWeights:
    """``_key_weights`` for 2-D tracks, compiled (``performer_fits.frame_offsets``); ``basis``
    the frontal view of the solve model's matrix, made once for both passes."""
    F = len(x)
    R, P, C = np.empty((F, COUNT, 2)), np.empty((F, 2, 3)), np.empty((F, COUNT))
    run(fits.frame_offsets, x, conf, valid, np.ascontiguousarray(M), np.ascontiguousarray(t),
        S, gains, R, P, C)
    return KeyWeights(R.reshape(F, -1), basis, C, valid, 2, "performer", {}, P, FRONTAL.copy())


def _pose(M: np.ndarray, valid: np.ndarray) -> np.ndarray:
    pose = head_pose(M)
    pose[~valid] = np.nan
    return pose


def _report(performer: Performer, tracks, valid, kw: KeyWeights, prior: float, speed: float,
            pen: Tuple[float, float]) -> Dict[str, object]:
    report: Dict[str, object] = {"mode": "performer", "dims": tracks.dims,
                                 "camera": performer.camera, "prior": prior, "speed": speed,
                                 "lam": pen[0], "mu": pen[1],
                                 "invalid_frames": [int(f) for f in np.nonzero(~valid)[0]],
                                 "missing": list(tracks.missing)}
    report.update(kw.report)
    return report


def _held(M: np.ndarray, t: np.ndarray, valid: np.ndarray,
          held: Dict[str, Tuple[np.ndarray, np.ndarray]], key: str) -> Tuple[np.ndarray, np.ndarray]:
    """Cameras with each invalid frame's replaced by the last valid one's (``held[key]`` from
    the chunk before, else the frontal unit camera): such frames have no weights to solve,
    only finite numbers. ``held[key]`` becomes the last frame's camera."""
    valid = np.asarray(valid, bool)
    last = np.maximum.accumulate(np.where(valid, np.arange(len(M)), -1))
    k = M.shape[1]
    M0, t0 = held.get(key, (np.vstack([FRONTAL, [[0.0, 0.0, 1.0]]])[:k], np.zeros(k)))
    M = np.concatenate([M0[None], M])[last + 1]
    t = np.concatenate([t0[None], t])[last + 1]
    if len(M):
        held[key] = (M[-1].copy(), t[-1].copy())
    return M, t


def head_pose(M: np.ndarray) -> np.ndarray:
    """(F, 4): yaw, pitch, roll (degrees; the rig's y up, z toward the camera) and scale of
    cameras ``M`` (F, k, 3). Angles follow ``rig.softmod.rotation_matrix``: R = Rz Ry Rx."""
    s = camera_scale(M)
    R2 = M[:, :2] / s[:, None, None]
    r3 = np.cross(R2[:, 0], R2[:, 1])
    yaw = np.degrees(np.arcsin(np.clip(-r3[:, 0], -1.0, 1.0)))
    pitch = np.degrees(np.arctan2(r3[:, 1], r3[:, 2]))
    roll = np.degrees(np.arctan2(R2[:, 1, 0], R2[:, 0, 0]))
    return np.stack([yaw, pitch, roll, s], axis=1)

