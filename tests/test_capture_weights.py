"""Captured landmarks to a clip (microexpr.capture.landmarks_to_clip) on synthetic tracks: the rig's
own landmarks, moved by known weights and head motion, drawn into image pixels. No dlib."""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.capture.landmarks_to_clip import (
    SolveSettings,
    bridge_gaps,
    clip_from_landmarks,
    even_grid,
    neutral_landmarks,
    noise_floor,
    resample,
)
from microexpr.errors import MicroExprError

RATE = 60.0
PX_PER_CM = 11.0


def synthetic(rig, weights: dict, frames: int, angle_deg=None, noise=0.0, seed=0):
    """(F, 68, 2) pixels, y down, of the rig's landmarks under ``weights`` (name -> (F,)),
    seen from the front, with an optional in-plane head roll per frame."""
    names = rig.target_names()
    B = rig.landmark_delta_matrix()
    X = rig.neutral_landmarks()
    W = np.zeros((frames, len(names)))
    for name, w in weights.items():
        W[:, names.index(name)] = w
    P3 = X[None] + np.einsum("ijt,ft->fij", B, W)
    x = P3[:, :, 0] * PX_PER_CM
    y = -P3[:, :, 1] * PX_PER_CM
    if angle_deg is not None:
        a = np.radians(angle_deg)[:, None]
        x, y = np.cos(a) * x - np.sin(a) * y, np.sin(a) * x + np.cos(a) * y
    pts = np.stack([x + 320.0, y + 240.0], axis=2)
    return pts + np.random.default_rng(seed).normal(0.0, noise, pts.shape)


def onset_curve(frames, start, peak, seconds=0.040):
    t = np.arange(frames) / RATE
    return peak * np.clip((t - t[start]) / seconds, 0.0, 1.0)


def test_a_40ms_smile_is_recovered_and_nothing_else(arkit_rig):
    F = 60
    w = onset_curve(F, 30, 0.5)
    pts = synthetic(arkit_rig, {"mouthSmile_L": w}, F, noise=0.05)
    clip, smooth, report = clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE)
    got = {n: clip.weight_array()[:, i] for i, n in enumerate(clip.targets)}
    end = 30 + int(np.ceil(0.040 * RATE))          # first frame at the end of the onset
    assert got["mouthSmile_L"][end] >= 0.9 * 0.5 * 0.9       # 10 % ridge shrink, 10 % onset
    assert got["mouthSmile_L"][45:].mean() == pytest.approx(0.5, abs=0.06)
    others = max(v[45:].mean() for k, v in got.items() if k != "mouthSmile_L")
    assert others < 0.05
    assert report["neutral"]["frames"] == list(range(10))
    assert clip.source["kind"] == "capture" and clip.fps == pytest.approx(RATE)


def test_head_roll_is_compensated(arkit_rig):
    F = 40
    roll = 10.0 * np.sin(np.linspace(0, 2 * np.pi, F))
    pts = synthetic(arkit_rig, {}, F, angle_deg=roll)
    exact, _, _ = clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE,
                                      settings=SolveSettings(smooth=None))
    assert exact.weight_array().max() < 1e-6
    # the One Euro filter lags each landmark by its own speed: a 10 degree roll in 0.67 s
    # bends the face a little
    clip, _, _ = clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE)
    assert clip.weight_array().max() < 0.03
    raw, _, _ = clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE,
                                    settings=SolveSettings(compensation="raw"))
    assert raw.weight_array().max() > 0.2


def test_neutral_frame_and_missing_faces(arkit_rig):
    F = 30
    pts = synthetic(arkit_rig, {"jawOpen": np.r_[np.full(10, 0.3), np.zeros(20)]}, F)
    pts[12:14] = np.nan
    s = SolveSettings(neutral_frame=20, smooth=None)
    clip, _, rep = clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE, settings=s)
    jaw = clip.weight_array()[:, clip.targets.index("jawOpen")]
    assert jaw[:10].min() > 0.2 and jaw[20:].max() < 0.02
    assert not clip.valid[12] and not clip.valid[13]
    assert rep["bridged"] == [[12, 14]]
    with pytest.raises(MicroExprError, match="no face"):
        clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE,
                            settings=SolveSettings(neutral_frame=12))
    with pytest.raises(MicroExprError, match="outside"):
        clip_from_landmarks(arkit_rig, pts, np.arange(F) / RATE,
                            settings=SolveSettings(neutral_frame=99))
    with pytest.raises(MicroExprError, match="no frame has a face"):
        clip_from_landmarks(arkit_rig, np.full((5, 68, 2), np.nan), np.arange(5) / RATE)


def test_even_grid_keeps_constant_rates_and_resamples_variable_ones():
    t = np.arange(10) / 30.0
    grid, lo, frac, rate, resampled = even_grid(t)
    assert not resampled and rate == pytest.approx(30.0)
    np.testing.assert_array_equal(lo, np.arange(10))
    t = np.delete(np.arange(12), [4, 7]) / 60.0            # two dropped frames
    grid, lo, frac, rate, resampled = even_grid(t)
    assert resampled and rate == pytest.approx(60.0) and len(grid) == 12
    values = (t * 100.0)[:, None]                           # a ramp resamples exactly
    out, ok = resample(values, np.ones(len(t), bool), lo, frac)
    np.testing.assert_allclose(out[:, 0], grid * 100.0)
    valid = np.ones(len(t), bool)
    valid[3] = False                                        # next to a dropped frame
    _, ok = resample(values, valid, lo, frac)
    assert not ok[3] and not ok[4] and ok[5]
    with pytest.raises(MicroExprError, match="not increasing"):
        even_grid(np.array([0.0, 0.1, 0.1]))


def test_bridge_only_short_inner_gaps():
    W = np.arange(10, dtype=float)[:, None] * np.ones((1, 2))
    valid = np.ones(10, bool)
    valid[[0, 3, 4, 7, 8, 9]] = False
    W[[3, 4]] = 0.0
    done = bridge_gaps(W, valid, max_frames=2)
    assert done == [(3, 5)]                                 # not the edges
    np.testing.assert_allclose(W[3:5, 0], [3.0, 4.0])
    assert bridge_gaps(W, valid, 0) == []


def test_neutral_is_a_robust_median_after_head_motion():
    rng = np.random.default_rng(2)
    face = rng.uniform(100, 300, (68, 2))
    frames = []
    for i in range(8):
        a = np.radians(3 * i)
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        frames.append(face @ R.T + [i, -i])
    frames = np.array(frames)
    frames[5, 48:] += 20.0                                  # one odd frame (a yawn)
    neutral, used = neutral_landmarks(frames, np.ones(8, bool), 8)
    assert used == list(range(8))
    np.testing.assert_allclose(neutral, face, atol=1e-6)    # in the first frame's pose


def test_noise_floor_reads_jitter_not_steady_motion():
    rng = np.random.default_rng(4)
    t = np.arange(200)[:, None, None]
    steady = np.zeros((200, 68, 2)) + t * 0.7               # a steady drift: no jitter
    assert noise_floor(steady, np.ones(200, bool)) == pytest.approx(0.0, abs=1e-9)
    noisy = steady + rng.normal(0, 0.25, steady.shape)
    assert noise_floor(noisy, np.ones(200, bool)) == pytest.approx(0.25, rel=0.1)
    assert noise_floor(noisy[:2], np.ones(2, bool)) is None
