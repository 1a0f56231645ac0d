"""The head-pose filter: causal smoothing of the per-frame camera, with gains from evidence.

A frame's camera (``M`` k x 3 and ``t`` k, k = 2 or 3) is a vector of P = 4k numbers. Each goes
through a steady-state alpha-beta filter (a constant-velocity Kalman filter whose gains have
settled):

    predicted = x + v;   x = predicted + alpha (z - predicted);   v = v + beta (z - predicted)

then ``M`` is moved back to the nearest scaled rotation (equal singular values). The first
frame starts the filter (x = z, v = 0); a frame without a camera (invalid) keeps the state.

The gains are not chosen by hand. For each number, ``filter_gains`` measures on the
calibration frames the noise of its fit (``sigma_v``) and how fast the head really accelerates
(``sigma_w``), from the second differences of the fitted cameras, and takes Kalata's
steady-state gains for the tracking index ``sigma_w / sigma_v``:

    r = (4 + l - sqrt(8 l + l^2)) / 4,   alpha = 1 - r^2,   beta = 2 (2 - alpha) - 4 sqrt(1 - alpha)

A still, noisy head gets strong smoothing; a moving head seen well gets gains near 1 (little
lag). The C# runtime runs the same recursion with the gains stored in the performer file.
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from microexpr.solve.jit import kernel, run


def kalata_gains(index: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Steady-state alpha-beta gains for tracking indices ``sigma_w / sigma_v`` (T = 1 frame)."""
    lam = np.asarray(index, dtype=np.float64)
    r = (4.0 + lam - np.sqrt(8.0 * lam + lam * lam)) / 4.0
    alpha = 1.0 - r * r
    beta = 2.0 * (2.0 - alpha) - 4.0 * np.sqrt(np.maximum(1.0 - alpha, 0.0))
    return alpha, beta


def camera_vector(M: np.ndarray, t: np.ndarray) -> np.ndarray:
    """Cameras (F, k, 3), (F, k) as (F, 4k) vectors: M row by row, then t."""
    F = len(M)
    return np.concatenate([M.reshape(F, -1), t.reshape(F, -1)], axis=1)


#: The least head motion the filter assumes (its process noise never goes below this): a
#: turn of this many degrees, and a shift of this many eye-corner distances, at ``FLOOR_HZ``.
#: A take whose calibration frames hold the head still would otherwise freeze the filter.
FLOOR_DEGREES = 10.0
FLOOR_SHIFT = 1.0
FLOOR_HZ = 1.0


def filter_gains(M: np.ndarray, t: np.ndarray, fps: float, eye_distance: float
                 ) -> Tuple[np.ndarray, np.ndarray, Dict[str, object]]:
    """(alpha, beta, report) from cameras ``M``, ``t`` fitted on consecutive calibration frames
    at ``fps``; ``eye_distance`` in rig units.

    Cameras are divided by their median scale (rotation entries and rig units). Per group (the
    rotation entries, the shift), second differences at steps of 1 and 2 frames hold the fit
    noise and the head's acceleration a in known amounts: ``E[(z[n+h] - 2 z[n] + z[n-h])^2] =
    6 sigma_v^2 + h^4 a^2`` for a head that moves smoothly over 4 frames. The two give
    ``sigma_v`` and ``sigma_w = |a|``, which never goes below the floor motion above."""
    k = M.shape[1]
    s = float(np.median(np.sqrt(np.sum(M[:, 0] ** 2, axis=1))))
    z = camera_vector(M, t) / s
    omega2 = (2.0 * np.pi * FLOOR_HZ / fps) ** 2
    groups = ((slice(0, 3 * k), np.radians(FLOOR_DEGREES) * omega2),
              (slice(3 * k, 4 * k), FLOOR_SHIFT * eye_distance * omega2))
    alpha, beta = np.ones(4 * k), np.zeros(4 * k)
    report: Dict[str, object] = {}
    for (part, floor), name in zip(groups, ("rotation", "shift")):
        zg = z[:, part]
        if len(zg) >= 5:
            m1 = float(np.mean((zg[2:] - 2.0 * zg[1:-1] + zg[:-2]) ** 2))
            m2 = float(np.mean((zg[4:] - 2.0 * zg[2:-2] + zg[:-4]) ** 2))
            acc2 = max((m2 - m1) / 15.0, 0.0)
            var_v = max((m1 - acc2) / 6.0, 0.0)
        else:
            acc2, var_v = 0.0, 0.0
        acc = max(np.sqrt(acc2), floor / np.sqrt(zg.shape[1]))
        index = acc / np.sqrt(var_v) if var_v > 0 else 1e12
        a, b = kalata_gains(np.array(index))
        alpha[part], beta[part] = float(a), float(b)
        report["pose_filter_" + name] = {"alpha": float(a), "beta": float(b),
                                          "tracking_index": float(index)}
    return alpha, beta, report


@kernel()
def _alpha_beta(Z, valid, alpha, beta, out, x, v, started_at):
    """The recursion from state (x, v, started_at[0] != 0), which it leaves at the last frame's."""
    F, P = Z.shape
    started = started_at[0] != 0
    for f in range(F):
        if valid[f]:
            if not started:
                for p in range(P):
                    x[p] = Z[f, p]
                    v[p] = 0.0
                started = True
            else:
                for p in range(P):
                    pred = x[p] + v[p]
                    res = Z[f, p] - pred
                    x[p] = pred + alpha[p] * res
                    v[p] = v[p] + beta[p] * res
        for p in range(P):
            out[f, p] = x[p]
    started_at[0] = 1 if started else 0


class FilterState:
    """What the filter carries from frame to frame: the estimate ``x``, its velocity ``v`` and
    whether a frame has started it. A take solved in chunks passes one state along."""

    def __init__(self, size: int) -> None:
        self.x, self.v = np.zeros(size), np.zeros(size)
        self.started = np.zeros(1, np.int64)


def smooth_cameras(M: np.ndarray, t: np.ndarray, valid: np.ndarray, alpha: np.ndarray,
                   beta: np.ndarray, state: Optional[FilterState] = None
                   ) -> Tuple[np.ndarray, np.ndarray]:
    """The filtered cameras (F, k, 3), (F, k) of a take, frame by frame (causal); ``state``
    (updated in place) continues the filter from the chunk before."""
    F, k = M.shape[0], M.shape[1]
    out = filter_cameras(M, t, valid, alpha, beta, state)
    return nearest_scaled_rotation(out[:, :3 * k].reshape(F, k, 3)), out[:, 3 * k:]


def filter_cameras(M: np.ndarray, t: np.ndarray, valid: np.ndarray, alpha: np.ndarray,
                   beta: np.ndarray, state: Optional[FilterState] = None) -> np.ndarray:
    """The alpha-beta recursion of :func:`smooth_cameras` alone: the filtered camera vectors
    (F, 4k) (``camera_vector``), before M is moved back to a scaled rotation."""
    Z = np.ascontiguousarray(camera_vector(M, t))
    out = np.empty_like(Z)
    state = FilterState(Z.shape[1]) if state is None else state
    run(_alpha_beta, Z, np.ascontiguousarray(valid, np.bool_),
        np.ascontiguousarray(alpha, np.float64), np.ascontiguousarray(beta, np.float64), out,
        state.x, state.v, state.started)
    return out


def nearest_scaled_rotation(M: np.ndarray) -> np.ndarray:
    """Each (k, 3) matrix moved to s times k orthonormal rows (s = the mean singular value;
    for k = 3 a proper rotation)."""
    U, S, Vt = np.linalg.svd(M, full_matrices=False)
    if M.shape[-2] == 3:
        d = np.sign(np.linalg.det(U @ Vt))
        d = np.where(d == 0, 1.0, d)
        U = U.copy()
        U[..., :, 2] *= d[..., None]
    return S.mean(axis=-1)[..., None, None] * (U @ Vt)
