"""Performances of faces that are not the rig, and the oracle solve, for #11's tests and
``benchmarks/prior_sweep.py``.

``other_identity`` changes the default face's proportions; ``performance`` moves a face by
(retargeted) deltas under smooth head motion and projects it with 0.3 px noise at 100 px
between the outer eye corners; ``oracle`` solves knowing the true cameras and face.
"""
from __future__ import annotations

import numpy as np

from microexpr.landmarks import REGIONS
from microexpr.rig.softmod import rotation_matrix
from microexpr.solve.projected_solver import ProjectedSolver
from microexpr.solve.synthetic_tracks import head_motion
from microexpr.solve.tracks import finish_tracks
from microexpr.solve.tracks_to_clip import FRONTAL

F = 600
FPS = 60.0
NOISE_PX = 0.3
EYE_PX = 100.0
ACTIVE = ("mouthSmile_L", "browInnerUp", "eyeBlink_R", "jawOpen", "mouthFrown_R", "noseSneer_L",
          "eyeSquint_R", "mouthUpperUp_L", "mouthLowerDown_R", "browDown_L")


def other_identity(X, seed):
    """The default face with other proportions: eye distance, nose length, jaw width and
    depth, mouth width, each changed by 10-15 % (up or down, by ``seed``)."""
    rng = np.random.default_rng(seed)
    P, c = X.copy(), X.mean(axis=0)

    def f():
        return 1 + rng.choice([-1, 1]) * rng.uniform(0.10, 0.15)

    eye, nose, jaw_w, jaw_d, mouth = f(), f(), f(), f(), f()
    for r in ("eye_R", "eye_L", "brow_R", "brow_L"):
        ix = list(REGIONS[r])
        P[ix, 0] = c[0] + (P[ix, 0] - c[0]) * eye
    ix = list(range(27, 36))
    P[ix, 1] = X[27, 1] + (P[ix, 1] - X[27, 1]) * nose
    ix = list(range(17))
    P[ix, 0] = c[0] + (P[ix, 0] - c[0]) * jaw_w
    P[ix, 2] = c[2] + (P[ix, 2] - c[2]) * jaw_d
    ix = list(range(48, 68))
    m = X[ix].mean(axis=0)
    P[ix, 0] = m[0] + (P[ix, 0] - m[0]) * mouth
    return P


def sparse_micro(names, seed, active=ACTIVE):
    """Sparse micro-scale expressions of the ``active`` targets: onset-apex-offset bumps of
    0.15-0.3, 12-30 frames."""
    rng = np.random.default_rng(seed)
    W = np.zeros((F, len(names)))
    idx = [names.index(n) for n in active]
    for _ in range(F // 40):
        t, s, n = rng.choice(idx), rng.integers(0, F - 30), rng.integers(12, 30)
        W[s:s + n, t] = np.maximum(W[s:s + n, t], rng.uniform(0.15, 0.3) * np.sin(np.linspace(0, np.pi, n)))
    return W


def performance(P0, Bp, W, X, seed, inplane=False):
    """2-D tracks (pixels, y down) of face ``P0`` with deltas ``Bp`` doing ``W`` under smooth
    head motion, and the true cameras in the tracks' y-up frame."""
    rng = np.random.default_rng(seed + 100)
    ppu = EYE_PX / np.linalg.norm(X[36] - X[45])
    ang = head_motion(F, 10.0, 10.0, 10.0, seed=seed)
    if inplane:
        ang[:, :2] = 0.0
    n = np.arange(F)
    scale = ppu * (1 + 0.1 * np.sin(2 * np.pi * n / rng.uniform(150, 300) + rng.uniform(0, 6)))
    shift = np.stack([20 * np.sin(2 * np.pi * n / rng.uniform(100, 300)),
                      15 * np.sin(2 * np.pi * n / rng.uniform(100, 300) + 1)], axis=1)
    lm = P0[None] + np.einsum("ljt,ft->flj", Bp, W)
    c = P0.mean(axis=0)
    M = np.stack([scale[f] * rotation_matrix(ang[f])[:2] for f in range(F)])
    t = np.array([320.0, 240.0]) + shift - np.einsum("fij,j->fi", M, c)
    xy = np.einsum("fij,flj->fli", M, lm) + t[:, None, :]
    xy += rng.normal(0.0, NOISE_PX, xy.shape)
    img = xy.copy()
    img[:, :, 1] = 480.0 - img[:, :, 1]
    tracks = finish_tracks(img, np.ones((F, 68)), n / FPS, "<performance>")
    t_up = t.copy()
    t_up[:, 1] -= 480.0
    return tracks, M, t_up


def oracle(P0, Bp, tracks, M, t, pinned, lam, mu):
    """Bounded least squares knowing the true cameras and face, with the same penalties."""
    s = np.sqrt(np.sum(M[:, 0] ** 2, axis=1))
    r = (tracks.points - np.einsum("fij,nj->fni", M, P0) - t[:, None, :]) / s[:, None, None]
    ps = ProjectedSolver(Bp, FRONTAL, pinned=pinned)
    ps.lam, ps.mu = np.full(Bp.shape[2], lam), mu
    return np.clip(ps.solve(r.reshape(F, -1), M / s[:, None, None]), 0.0, 1.0)


def micro_take(rig, frames: int, dims: int, seed: int) -> np.ndarray:
    """Landmarks (frames, 68, dims) of another identity doing sparse micro-expressions on
    ``rig``'s deltas under smooth head motion, with 0.3 px noise at 100 px between the eye
    corners (rig units, y up): the raw points a test then takes frames and landmarks out of."""
    from microexpr.solve.performer import region_gains
    from microexpr.solve.synthetic_tracks import pose_landmarks

    X, B = rig.neutral_landmarks(), rig.landmark_delta_matrix()
    P0 = other_identity(X, seed)
    W = sparse_micro(rig.target_names(), seed)[:frames]
    lm = P0[None] + np.einsum("ljt,ft->flj", B * region_gains(P0, X)[:, None, None], W)
    posed = pose_landmarks(lm, head_motion(frames, seed=seed), 11.0)
    rng = np.random.default_rng(seed)
    return posed[:, :, :dims] + rng.normal(0.0, 0.3, (frames, 68, dims))
