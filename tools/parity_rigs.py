"""Random rigs and landmark tracks for parity tests, golden vectors and the benchmark.

A rig here is the landmark delta matrix of ``T`` targets on the default face's 68 landmarks,
each target moving one region (a brow, an eye, the mouth ...) smoothly, a few of them
unobservable (pinned). Tracks are made from random weights (some pushed past 0 and 1, so the
bounds are active), head motion (yaw, pitch, roll, scale, translation), noise, and holes:
an empty frame, missing landmarks, a missing reference point, a frame without its rigid set,
and lowered confidences.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from microexpr.landmarks import COUNT, REGIONS
from microexpr.solve.tracks import Tracks, finish_tracks
from microexpr.unity.parity import RigArrays


def default_neutral() -> np.ndarray:
    from microexpr.rig.face import default_face

    f = default_face()
    return np.asarray(f.skin.points, np.float64)[np.asarray(f.landmark_vertices)]


def random_rig(targets: int = 12, seed: int = 0, pinned: int = 1,
               neutral: Optional[np.ndarray] = None) -> RigArrays:
    """``targets`` region-local targets on the default face's landmarks (cm)."""
    from microexpr.rig.build import rigid_landmarks

    rng = np.random.default_rng(seed)
    X = default_neutral() if neutral is None else np.asarray(neutral, np.float64)
    movable = [r for r in REGIONS if r not in ("nose_bridge",)]
    B = np.zeros((targets, COUNT, 3))
    for t in range(targets):
        region = list(REGIONS[movable[rng.integers(len(movable))]])
        centre = X[region].mean(axis=0)
        direction = rng.normal(size=3) * np.array([0.6, 1.0, 0.4])
        spread = rng.uniform(0.5, 1.5)
        for i in region:
            fall = np.exp(-np.sum((X[i] - centre) ** 2) / (2 * spread ** 2))
            B[t, i] = direction * fall * rng.uniform(0.3, 1.0)
    observable = np.ones(targets, bool)
    if pinned:
        observable[rng.choice(targets, size=min(pinned, targets), replace=False)] = False
    rigid = rigid_landmarks(B, observable)
    names = ["t%02d_%s" % (t, "pinned" if not observable[t] else "shape") for t in range(targets)]
    return RigArrays(np.ascontiguousarray(B.transpose(1, 2, 0)), X, rigid, [27], observable, names)


def _rotation(yaw: float, pitch: float, roll: float) -> np.ndarray:
    cy, sy, cp, sp, cr, sr = np.cos(yaw), np.sin(yaw), np.cos(pitch), np.sin(pitch), np.cos(roll), np.sin(roll)
    Ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    Rx = np.array([[1, 0, 0], [0, cp, -sp], [0, sp, cp]])
    Rz = np.array([[cr, -sr, 0], [sr, cr, 0], [0, 0, 1]])
    return Rz @ Rx @ Ry


def random_weights(frames: int, targets: int, rng) -> np.ndarray:
    t = np.arange(frames)[:, None]
    freq = rng.uniform(0.05, 0.4, size=targets)
    phase = rng.uniform(0, 2 * np.pi, size=targets)
    W = 0.5 + 0.75 * np.sin(freq * t + phase)            # past 0 and 1 at times
    W[0] = 0.0                                           # frame 0 is the neutral
    return W


def _smooth_pose(frames: int, rng) -> np.ndarray:
    """(F, 7) yaw, pitch, roll, scale-1, tx, ty, tz as slow sinusoids (a head at 30-60 fps)."""
    t = np.arange(frames)[:, None]
    amp = np.array([0.35, 0.25, 0.2, 0.15, 2.0, 2.0, 2.0])
    omega = rng.uniform(0.005, 0.03, size=7)
    phase = rng.uniform(0, 2 * np.pi, size=7)
    return amp * np.sin(omega * t + phase) - amp * np.sin(phase)      # frame 0: no motion


def random_tracks(rig: RigArrays, frames: int = 24, dims: int = 2, seed: int = 0,
                  holes: bool = True, noise: float = 0.01, motion: float = 1.0,
                  weights: Optional[np.ndarray] = None, decimals: Optional[int] = None,
                  smooth: bool = False) -> Tracks:
    """Tracks of the rig under random weights and head motion; 2-D in pixels (y up).
    ``smooth``: head motion and weights change slowly, as in a video (else each frame draws
    its own head pose)."""
    rng = np.random.default_rng(seed)
    F, T = frames, rig.targets
    if weights is not None:
        W = np.asarray(weights, np.float64)
    elif smooth:
        W = 0.5 + 0.75 * np.sin(rng.uniform(0.01, 0.08, T) * np.arange(F)[:, None]
                                + rng.uniform(0, 2 * np.pi, T))
        W[0] = 0.0
    else:
        W = random_weights(F, T, rng)
    W = W * rig.observable_mask()
    pts3 = rig.neutral[None] + np.einsum("ljt,ft->flj", rig.basis3, W)
    pose = _smooth_pose(F, rng) * motion if smooth else None
    out = np.empty((F, COUNT, dims))
    for f in range(F):
        if pose is not None:
            yaw, pitch, roll, ds, tx, ty, tz = pose[f]
            R, s, shift = _rotation(yaw, pitch, roll), 1.0 + ds, np.array([tx, ty, tz])
        else:
            a = motion * (0.0 if f == 0 else 1.0)
            R = _rotation(a * rng.uniform(-0.35, 0.35), a * rng.uniform(-0.25, 0.25),
                          a * rng.uniform(-0.2, 0.2))
            s, shift = 1.0 + a * rng.uniform(-0.15, 0.15), a * rng.normal(size=3) * 2.0
        p = s * pts3[f] @ R.T + shift
        if dims == 3:
            out[f] = p + rng.normal(size=p.shape) * noise
        else:
            px = 18.0 * p[:, :2] + np.array([320.0, 240.0])  # ~18 px per cm, y up
            out[f] = px + rng.normal(size=px.shape) * noise * 18.0
    conf = np.ones((F, COUNT))
    if holes and F >= 12:
        out[3] = np.nan                                   # no face found
        out[5, rng.choice(COUNT, 5, replace=False)] = np.nan
        out[7, 27] = np.nan                               # the reference point is lost
        out[9, rig.rigid[: len(rig.rigid) - 5]] = np.nan  # too few rigid landmarks
        conf[11, rng.choice(COUNT, 20, replace=False)] = 0.5
        conf[min(F - 1, 13)] *= 0.8                       # one scalar confidence for a frame
    if decimals is not None:
        out = np.round(out, decimals)
    return finish_tracks(out, conf, None, "<random tracks seed %d>" % seed, image_space=False)
