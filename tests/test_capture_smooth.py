"""The One Euro smoothing of captured landmarks (microexpr.capture.smooth): keeps a 40 ms
onset at 60 fps, removes still jitter, restarts after gaps."""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.capture.smooth import (
    EYE_SPAN_MM,
    OneEuroFilter,
    SmoothSettings,
    mm_per_pixel,
    runs,
    smooth_signal,
    smooth_track,
)

RATE = 60.0


def onset(amplitude_mm: float, frames: int = 240, end_frame: int = 120, seconds: float = 0.040):
    """A ramp from 0 to ``amplitude_mm`` lasting ``seconds`` that ends exactly on a frame."""
    t = np.arange(frames) / RATE
    t0 = t[end_frame] - seconds
    return t, amplitude_mm * np.clip((t - t0) / seconds, 0.0, 1.0), end_frame


@pytest.mark.parametrize("amplitude", [1.0, 3.0])
def test_a_40ms_onset_keeps_90_percent_at_its_end(amplitude):
    t, x, end = onset(amplitude)
    y = smooth_signal(x[:, None], t)[:, 0]
    assert y[end] >= 0.9 * amplitude
    # the backward pass may lead the onset a little, never by much
    start = end - 3                        # the last frame before the ramp starts
    assert y[start] <= 0.1 * amplitude
    assert y[-1] == pytest.approx(amplitude, abs=0.01 * amplitude)


def test_a_single_causal_pass_rounds_the_onset_off_more():
    t, x, end = onset(1.0)
    two = smooth_signal(x[:, None], t)[end, 0]
    one = smooth_signal(x[:, None], t, SmoothSettings(two_pass=False))[end, 0]
    assert one < two


def test_onset_kept_with_noise_and_jitter_drops_clearly():
    rng = np.random.default_rng(3)
    sigma = 0.3                              # mm, about dlib's jitter on a 640 x 480 face
    noise = rng.normal(0.0, sigma, (240, 400))
    t, x, end = onset(1.0)
    still = smooth_signal(noise, t)
    ratio = still[20:-20].std() / sigma
    assert ratio < 0.7, ratio                # measured ~0.6
    kept = smooth_signal(x[:, None] + noise, t)[end].mean()
    assert kept >= 0.9, kept


def test_heavier_settings_smooth_more_but_lose_the_onset():
    """The tuning is a trade: without the speed term (a plain 1 Hz low-pass, forward and
    backward) still jitter drops further but the onset is halved at its end."""
    t, x, end = onset(1.0)
    flat = SmoothSettings(beta=0.0)
    assert smooth_signal(x[:, None], t, flat)[end, 0] < 0.75
    noise = np.random.default_rng(5).normal(0.0, 0.3, (240, 200))
    assert smooth_signal(noise, t, flat)[20:-20].std() < smooth_signal(noise, t)[20:-20].std()


def test_streaming_filter_matches_the_batch_forward_pass():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(50, 3))
    t = np.cumsum(rng.uniform(0.01, 0.03, 50))
    f = OneEuroFilter()
    live = np.stack([f(x[i], t[i]) for i in range(50)])
    batch = smooth_signal(x, t, SmoothSettings(two_pass=False))
    np.testing.assert_allclose(live, batch)
    f.reset()
    np.testing.assert_allclose(f(x[7], 0.0), x[7])


def test_variable_frame_times_use_the_real_steps():
    """The same signal sampled unevenly is smoothed by its real time steps."""
    t_even = np.arange(120) / RATE
    t_uneven = t_even.copy()
    t_uneven[60:] += 0.5                   # a half-second pause between two frames
    x = np.r_[np.zeros(60), np.ones(60)][:, None]
    even = smooth_signal(x, t_even, SmoothSettings(two_pass=False))
    uneven = smooth_signal(x, t_uneven, SmoothSettings(two_pass=False))
    assert uneven[60, 0] > even[60, 0]     # the long step lets the filter move further


def test_gaps_restart_the_filter_and_stay_untouched():
    F = 30
    pts = np.zeros((F, 68, 2))
    pts[:, 45, 0] = 90.0                   # outer eye corners 90 px apart: 1 mm per px
    pts[15:, :, 1] += 5.0                  # the face jumps during the gap
    valid = np.ones(F, bool)
    valid[10:15] = False
    pts[~valid] = np.nan
    out = smooth_track(pts, np.arange(F) / RATE, valid)
    assert np.all(np.isnan(out[10:15]))
    np.testing.assert_allclose(out[15:, 0, 1], 5.0)        # no memory across the gap
    np.testing.assert_allclose(out[:10, 0, 1], 0.0)
    assert runs(valid) == [(0, 10), (15, 30)]


def test_mm_per_pixel_reads_the_eye_span():
    pts = np.zeros((4, 68, 2))
    pts[:, 45, 0] = 180.0
    assert mm_per_pixel(pts, np.ones(4, bool)) == pytest.approx(EYE_SPAN_MM / 180.0)


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        OneEuroFilter(min_cutoff=0.0)


def turning_face(frames=120, seed=1):
    """A face-sized random landmark set (eye span 90 px = 1 mm/px) rolling by +-12 degrees
    about a point off the face, at 60 fps."""
    rng = np.random.default_rng(seed)
    face = rng.uniform(-70, 70, (68, 2)) + [320, 240]
    face[36], face[45] = [275, 220], [365, 220]
    angles = np.radians(12 * np.sin(np.linspace(0, 2 * np.pi, frames)))
    R = np.stack([np.stack([np.cos(angles), -np.sin(angles)], 1),
                  np.stack([np.sin(angles), np.cos(angles)], 1)], 1)
    return face, np.einsum("fij,nj->fni", R, face - [300, 400]) + [300, 400], R


def test_head_turns_keep_the_face_rigid():
    """Smoothing pixels would lag fast (far) points more than slow ones and bend the face;
    the steadied smoothing keeps it a similarity of the original."""
    from microexpr.solve.key_weights import similarity_fit

    face, pts, _ = turning_face()
    out = smooth_track(pts, np.arange(len(pts)) / RATE, np.ones(len(pts), bool))
    s, R, t = similarity_fit(np.broadcast_to(face, out.shape), out)
    fitted = s[:, None, None] * np.einsum("fij,nj->fni", R, face) + t[:, None, :]
    steady_bend = np.abs(out - fitted).max()
    assert steady_bend < 0.02
    per_point = smooth_signal(pts.reshape(len(pts), -1), np.arange(len(pts)) / RATE)
    s, R, t = similarity_fit(np.broadcast_to(face, out.shape), per_point.reshape(out.shape))
    fitted = s[:, None, None] * np.einsum("fij,nj->fni", R, face) + t[:, None, :]
    naive_bend = np.abs(per_point.reshape(out.shape) - fitted).max()
    assert naive_bend > 0.05 and naive_bend > 5 * steady_bend       # the naive way bends


def test_an_onset_during_a_head_turn_is_kept():
    face, pts, R = turning_face()
    t, x, end = onset(1.0, frames=len(pts), end_frame=60)
    moved = pts.copy()
    moved[:, 54] += np.einsum("fij,j->fi", R, [1.0, 0.0]) * x[:, None]    # 1 mm out, in the face
    out = smooth_track(moved, t, np.ones(len(pts), bool))
    base = smooth_track(pts, t, np.ones(len(pts), bool))
    gain = np.einsum("fij,fi->fj", R, out[:, 54] - base[:, 54])[:, 0]    # back in face axes
    assert gain[end] >= 0.9
    assert gain[end - 3] <= 0.1
