"""Performer mode one frame at a time, for streaming and live solves.

``PerformerStream.step`` takes one frame's landmarks and returns its weights, running exactly
the steps of ``performer_solve.solve_performer`` (two passes, the pose filter, the priors)
with the state they carry from frame to frame: the two passes' previous weights and the
filter's state. Fed a take frame by frame it gives the batch solve's weights (to rounding:
the batch solver factors once for all frames); the Unity runtime does the same in C#.

Rigs whose solved targets have in-betweens or combinations are solved in batch only.

Example::

    stream = PerformerStream(rig, load_performer("performer.json"), fps=60.0)
    for points, confidence in camera_frames():      # (68, 2) y up, (68,)
        weights, pose = stream.step(points, confidence)
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, RIGID
from microexpr.solve.camera_model import fit_camera
from microexpr.solve.key_weights import FRONTAL, MIN_RIGID
from microexpr.solve.performer import Performer, camera_scale, robust_weights
from microexpr.solve.performer_solve import DEFAULT_PRIOR, DEFAULT_SPEED, head_pose, penalties
from microexpr.solve.pose_filter import nearest_scaled_rotation
from microexpr.solve.projected_solver import ProjectedSolver
from microexpr.solve.solve_set import solve_model
from microexpr.solve.weight_solver import WeightSolver


class PerformerStream:
    """Frame-by-frame performer mode for ``rig`` (see the module doc)."""

    def __init__(self, rig, performer: Performer, prior: float = DEFAULT_PRIOR,
                 speed: float = DEFAULT_SPEED, fps: float = 60.0) -> None:
        from microexpr.solve.tracks_to_clip import pinned_targets

        model = solve_model(rig)
        if model.nonlinear:
            raise MicroExprError("the rig's solved targets have in-betweens or combinations, "
                                 "which only the batch solve follows", field="solve_set",
                                 fix="solve the take in batch ('microexpr solve')")
        self.performer = performer
        self.k = performer.dims
        self.solved = model.solved
        self.targets = len(rig.target_names())
        pin = pinned_targets(rig, self.k)[model.solved]
        B = np.ascontiguousarray(model.matrix[:, :, :model.size])
        lam, mu = penalties(performer, prior, speed, fps)
        self.projected: Optional[ProjectedSolver] = None
        self.plain: Optional[WeightSolver] = None
        if self.k == 2:
            self.projected = ProjectedSolver(B, FRONTAL, pinned=pin)
            self.projected.lam = np.full(model.size, lam)
            self.projected.mu = mu
        else:
            self.plain = WeightSolver(B.reshape(COUNT * 3, -1), 3, pinned=pin)
            self.plain.set_penalties(lam, mu)
        self.shape_basis = np.asarray(rig.landmark_delta_matrix(), np.float64) * \
            performer.gains[:, None, None]
        self.reset()

    def reset(self) -> None:
        """Forget the previous frames (a new take)."""
        S = len(self.solved)
        self.w1, self.w2 = np.zeros(S), np.zeros(S)
        P = 4 * self.k
        self.fx, self.fv, self.started = np.zeros(P), np.zeros(P), False
        eye = np.vstack([FRONTAL, [[0.0, 0.0, 1.0]]])[:self.k]
        self.M1, self.t1 = eye.copy(), np.zeros(self.k)
        self.M2, self.t2 = eye.copy(), np.zeros(self.k)

    def step(self, points: np.ndarray, confidence: Optional[np.ndarray] = None
             ) -> Tuple[np.ndarray, Optional[np.ndarray]]:
        """(weights (T,), pose (yaw, pitch, roll in degrees, scale) or None when the frame has
        too few rigid landmarks: the weights are then the last ones)."""
        p = self.performer
        x = np.asarray(points, dtype=np.float64)
        conf = np.ones(COUNT) if confidence is None else np.asarray(confidence, np.float64).copy()
        bad = ~np.all(np.isfinite(x), axis=1)
        conf[bad] = 0.0
        x = np.where(bad[:, None], 0.0, x)
        rig = list(RIGID)
        if (conf[rig] > 0).sum() < MIN_RIGID:
            return self._weights(self.w2), None
        S = p.neutral
        self.M1, self.t1 = fit_camera(p.camera, p.view, S[rig], x[rig], conf[rig] + 1e-12)
        self.w1 = self._solve(x, conf, self.M1, self.t1, self.w1)
        full = np.zeros(self.targets)
        full[self.solved] = self.w1
        shape = S + np.einsum("ljt,t->lj", self.shape_basis, full)
        e = np.linalg.norm(x - shape @ self.M1.T - self.t1, axis=1) / camera_scale(self.M1)
        omega = conf * robust_weights(e, p.noise)
        M, t = fit_camera(p.camera, p.view, shape, x, omega + 1e-12)
        self.M2, self.t2 = self._filter(M, t)
        self.w2 = self._solve(x, conf, self.M2, self.t2, self.w2)
        return self._weights(self.w2), head_pose(self.M2[None])[0]

    def _weights(self, w: np.ndarray) -> np.ndarray:
        out = np.zeros(self.targets)
        out[self.solved] = np.clip(w, 0.0, 1.0)
        return out

    def _filter(self, M: np.ndarray, t: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        z = np.concatenate([M.reshape(-1), t])
        if not self.started:
            self.fx, self.fv, self.started = z.copy(), np.zeros_like(z), True
        else:
            pred = self.fx + self.fv
            res = z - pred
            self.fx = pred + self.performer.filter_alpha * res
            self.fv = self.fv + self.performer.filter_beta * res
        k = self.k
        return nearest_scaled_rotation(self.fx[:3 * k].reshape(k, 3)), self.fx[3 * k:].copy()

    def _solve(self, x, conf, M, t, w_prev) -> np.ndarray:
        p = self.performer
        s = float(camera_scale(M))
        r = (x - p.neutral @ M.T - t) / s / p.gains[:, None]
        P = M / s
        r = np.where(conf[:, None] > 0, r, 0.0)
        if self.plain is not None:
            r = r @ P                                    # R^T r, landmark by landmark
            return self.plain.solve_frame(r.reshape(-1), conf, w_prev)
        assert self.projected is not None
        return self.projected.solve_frame(r, P, conf, w_prev)
