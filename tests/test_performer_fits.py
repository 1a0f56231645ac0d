"""2-D performer mode's compiled fits (``solve.performer_fits``) against the numpy they replace.

Each loop is run on random frames (random weights, some landmarks at 0, a flat set) beside the
numpy function it stands for, and must agree to 1e-12; then whole takes of a face that is not
the rig, with dropped landmarks, frames without a face, both 2-D cameras and a take solved in
chunks, must give the numpy path's weights and poses to 1e-9.
"""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.rig.softmod import rotation_matrix
from microexpr.solve import performer_fits as fits
from microexpr.solve import performer_solve
from microexpr.solve.camera_model import in_plane_fit, mean_view
from microexpr.solve.jit import run
from microexpr.solve.key_weights import nearest_scaled_orthographic, weak_perspective_fit
from microexpr.solve.performer import ROBUST, calibrate, robust_weights
from microexpr.solve.performer_solve import PerformerCarry, solve_performer
from microexpr.solve.pose_filter import nearest_scaled_rotation
from microexpr.solve.solve_set import solve_model
from microexpr.solve.tracks import Tracks
from microexpr.solve.tracks_to_clip import pinned_targets
from performer_cases import FPS, micro_take

F, L = 40, 68


def _frames(seed):
    rng = np.random.default_rng(seed)
    S = rng.normal(size=(L, 3))
    x = rng.normal(size=(F, L, 2)) * 50 + 200
    conf = rng.uniform(0.2, 1.0, size=(F, L))
    conf[rng.uniform(size=(F, L)) < 0.1] = 0.0
    valid = rng.uniform(size=F) > 0.2
    return rng, S, x, conf, valid


def _view(rng):
    q, _ = np.linalg.qr(rng.normal(size=(3, 3)))
    return np.ascontiguousarray(q[:2])


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("kind", [fits.WEAK_PERSPECTIVE, fits.IN_PLANE])
def test_the_rigid_camera_fit_is_numpys(seed, kind):
    rng, S, x, conf, valid = _frames(seed)
    if seed == 2:
        S[:, 2] = 0.0                                   # a flat set: the ridge decides depth
    rigid = np.sort(rng.choice(L, 14, replace=False)).astype(np.int64)
    view = _view(rng)
    M, t = np.empty((F, 2, 3)), np.empty((F, 2))
    run(fits.rigid_cameras, kind, view, S, rigid, x, conf, valid, M, t)
    w = np.where(valid[:, None], conf, 1.0)[:, rigid] + 1e-12
    shape = np.broadcast_to(S[rigid], (F, len(rigid), 3))
    if kind == fits.IN_PLANE:
        Mn, tn = in_plane_fit(view, shape, x[:, rigid], w)
    else:
        Mn, tn = weak_perspective_fit(shape, x[:, rigid], w)
    scale = np.abs(Mn).max()
    assert np.abs(M - Mn).max() <= 1e-12 * scale
    assert np.abs(t - tn).max() <= 1e-12 * np.abs(tn).max()


@pytest.mark.parametrize("kind", [fits.WEAK_PERSPECTIVE, fits.IN_PLANE])
def test_the_expression_camera_fit_is_numpys(kind):
    rng, S, x, conf, valid = _frames(3)
    T = 9
    B = rng.normal(size=(L, 3, T)) * (rng.uniform(size=(L, 1, T)) < 0.4)
    moves = np.any(B != 0.0, axis=1)
    nz_start = np.concatenate([[0], np.cumsum(moves.sum(axis=1))]).astype(np.int64)
    nz_target = np.nonzero(moves)[1].astype(np.int64)
    W1 = rng.uniform(-0.2, 1.0, size=(F, T))
    view = _view(rng)
    M1 = np.stack([s * v for s, v in zip(rng.uniform(20, 40, F), (_view(rng) for _ in range(F)))])
    t1 = rng.normal(size=(F, 2)) * 10 + 200
    noise = 0.7
    M, t = np.empty((F, 2, 3)), np.empty((F, 2))
    run(fits.expression_cameras, kind, view, S, B, nz_start, nz_target, W1, x, conf, valid, M1,
        t1, ROBUST * noise, M, t)
    shape = S[None] + (W1 @ B.reshape(L * 3, -1).T).reshape(F, L, 3)
    e = np.linalg.norm(x - shape @ M1.swapaxes(1, 2) - t1[:, None, :], axis=2)
    s = np.sqrt(np.sum(M1[:, 0] ** 2, axis=1))
    w = np.where(valid[:, None], conf, 1.0) * robust_weights(e / s[:, None], noise) + 1e-12
    Mn, tn = (in_plane_fit(view, shape, x, w) if kind == fits.IN_PLANE
              else weak_perspective_fit(shape, x, w))
    assert np.abs(M - Mn).max() <= 1e-12 * np.abs(Mn).max()
    assert np.abs(t - tn).max() <= 1e-12 * np.abs(tn).max()


def test_the_offsets_and_the_scaled_rotations_are_numpys():
    rng, S, x, conf, valid = _frames(4)
    M = np.stack([s * _view(rng) for s in rng.uniform(20, 40, F)])
    t = rng.normal(size=(F, 2)) * 10 + 200
    gains = rng.uniform(0.8, 1.2, L)
    R, P, C = np.empty((F, L, 2)), np.empty((F, 2, 3)), np.empty((F, L))
    run(fits.frame_offsets, x, conf, valid, M, t, S, gains, R, P, C)
    s = np.sqrt(np.sum(M[:, 0] ** 2, axis=1))
    c = np.where(valid[:, None], conf, 0.0)
    r = (x - S @ M.swapaxes(1, 2) - t[:, None, :]) / s[:, None, None] / gains[None, :, None]
    r = np.where(c[:, :, None] > 0, r, 0.0)
    assert np.array_equal(C, c)
    assert np.abs(R - r).max() <= 1e-12 * np.abs(r).max()
    assert np.abs(P - M / s[:, None, None]).max() <= 1e-15
    Z = np.concatenate([(M + rng.normal(size=M.shape)).reshape(F, 6), t], axis=1)
    out = np.empty((F, 2, 3))
    run(fits.scaled_rotations, Z, out)
    want = nearest_scaled_rotation(Z[:, :6].reshape(F, 2, 3))
    assert np.abs(out - want).max() <= 1e-12 * np.abs(want).max()
    assert np.array_equal(out, nearest_scaled_orthographic(Z[:, :6].reshape(F, 2, 3)))


def _take(rig, seed, frames=240):
    pts = micro_take(rig, frames, 2, seed)
    conf = np.ones((frames, L))
    rng = np.random.default_rng(seed)
    conf[rng.uniform(size=(frames, L)) < 0.05] = 0.0      # dropped landmarks
    conf[rng.uniform(size=(frames, L)) < 0.2] *= 0.6        # unsure ones
    conf[100:104] = 0.0                                     # no face
    pts[150, 30] = np.nan
    return Tracks(pts, conf, np.arange(frames) / FPS, False, "<take>")


def _numpy_path(monkeypatch):
    monkeypatch.setattr(performer_solve, "compiled", lambda: False)


@pytest.mark.parametrize("camera", ["weak_perspective", "in_plane"])
def test_a_take_gives_the_numpy_paths_weights(arkit_rig, monkeypatch, camera):
    """Whole takes (and one solved in three chunks) through the compiled and numpy paths."""
    tracks = _take(arkit_rig, 7)
    perf = calibrate(arkit_rig.neutral_landmarks(), tracks)
    perf.camera = camera
    perf.view = mean_view(rotation_matrix(np.array([4.0, -3.0, 0.0]))[None, :2]) \
        if camera == "in_plane" else None
    model = solve_model(arkit_rig)
    pinned = pinned_targets(arkit_rig, 2)
    fast = solve_performer(arkit_rig, tracks, perf, model, pinned, fps=FPS)
    carry, parts = PerformerCarry(2), []
    for a, b in ((0, 90), (90, 101), (101, 240)):
        chunk = Tracks(tracks.points[a:b], tracks.confidence[a:b], tracks.times[a:b], False, "<take>")
        parts.append(solve_performer(arkit_rig, chunk, perf, model, pinned, fps=FPS, carry=carry))
    with monkeypatch.context() as m:
        _numpy_path(m)
        slow = solve_performer(arkit_rig, tracks, perf, model, pinned, fps=FPS)
    assert np.array_equal(fast[1], slow[1]) and not fast[1][100:104].any()
    assert np.abs(fast[0]).max() > 0.05                     # weights worth comparing
    assert np.abs(fast[0] - slow[0]).max() <= 1e-9
    assert np.allclose(fast[2], slow[2], rtol=0, atol=1e-9, equal_nan=True)
    chunked = np.concatenate([p[0] for p in parts])
    assert np.abs(chunked - slow[0]).max() <= 1e-9
    assert fast[3] == slow[3]
