"""Capture from videos of a real portrait with known motion (written into tmp):
head motion alone gives near-zero weights, a warp of one mouth corner moves the matching
target, frames without a face stay invalid, variable frame rates keep their timing."""
from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("dlib")
imageio_ffmpeg = pytest.importorskip("imageio_ffmpeg")

from microexpr.capture import testvideo as tv  # noqa: E402
from microexpr.capture.detect import FaceTracker  # noqa: E402
from microexpr.capture.landmarks_to_clip import SolveSettings  # noqa: E402
from microexpr.capture.pipeline import CaptureSettings, capture  # noqa: E402
from microexpr.capture.video import open_frames  # noqa: E402

RATE = 60.0
LEFT_CORNER = ("mouthSmile_L", "mouthStretch_L", "mouthLeft")   # landmark 54 moves out / up


@pytest.fixture(scope="module")
def base():
    return tv.astronaut_frame()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return str(tmp_path_factory.mktemp("capture_video"))


def head_pose(i, n=72):
    a = 2 * np.pi * i / n
    return dict(shift=(22 * np.sin(a), 14 * np.sin(2 * a)), angle=8 * np.sin(a),
                scale=1 + 0.08 * np.sin(3 * a))


@pytest.fixture(scope="module")
def head_video(base, folder):
    return tv.write_video(os.path.join(folder, "head.mp4"),
                          (tv.head_motion(base, **head_pose(i)) for i in range(72)), RATE)


@pytest.fixture(scope="module")
def corner(base):
    pts = FaceTracker().update(cv2.cvtColor(base, cv2.COLOR_RGB2GRAY)).points
    return pts[54], float(np.linalg.norm(pts[45] - pts[36]))


@pytest.fixture(scope="module")
def mouth_video(base, folder, corner):
    """Frames 0-19 neutral, then the subject's left mouth corner (landmark 54, image right)
    moves 3 px out and 2 px up over 3 frames and holds."""
    c, span = corner
    amount = lambda i: np.clip((i - 20) / 3.0, 0, 1)  # noqa: E731
    frames = (tv.local_warp(base, c, (3.0 * amount(i), -2.0 * amount(i)), 0.12 * span)
              for i in range(48))
    return tv.write_video(os.path.join(folder, "mouth.mp4"), frames, RATE)


def weights_by_name(clip):
    W = clip.weight_array()
    return {name: W[:, i] for i, name in enumerate(clip.targets)}


def test_head_motion_alone_gives_near_zero_weights(head_video, arkit_rig):
    rigid = capture(head_video, arkit_rig, progress=False)
    W = rigid.clip.weight_array()
    assert rigid.tracked.valid.all()
    print("head motion: mean %.3f, p95 %.3f, max %.3f"
          % (W.mean(), np.percentile(W, 95), W.max()))
    assert W.mean() < 0.03
    assert np.percentile(W, 95) < 0.12
    # the same landmarks without head compensation: the motion leaks into the weights
    raw = capture(head_video, arkit_rig, CaptureSettings(solve=SolveSettings(compensation="raw")),
                  progress=False)
    assert raw.clip.weight_array().mean() > 3 * W.mean()


def test_one_mouth_corner_moves_its_own_target(mouth_video, arkit_rig):
    # the take holds the warp in 28 of its 48 frames and the head never moves: calibrated on
    # the whole take, the performer's neutral would take in part of the warp (it shows as a
    # lip press of 0.1 before the warp), so the neutral first 18 frames calibrate it
    settings = CaptureSettings(solve=SolveSettings(calibration_frames=(0, 18)))
    result = capture(mouth_video, arkit_rig, settings, progress=False)
    w = weights_by_name(result.clip)
    hold = {k: float(v[30:].mean()) for k, v in w.items()}
    before = {k: float(v[:18].mean()) for k, v in w.items()}
    family = max(hold[k] for k in LEFT_CORNER)
    others = {k: v for k, v in hold.items() if k not in LEFT_CORNER}
    print("left corner family %.2f; strongest other %s %.2f"
          % (family, max(others, key=others.get), max(others.values())))
    assert family > 0.25
    assert family > 2.0 * max(others.values())
    assert hold["mouthSmile_L"] > 2.0 * hold["mouthSmile_R"]
    assert max(before.values()) < 0.1          # nothing before the warp
    # the onset (3 frames) shows within a few frames of the warp
    rise = np.flatnonzero(w["mouthSmile_L"] > 0.5 * hold["mouthSmile_L"])[0]
    assert 19 <= rise <= 24


def test_mirrored_video_swaps_the_sides(mouth_video, arkit_rig):
    settings = CaptureSettings(solve=SolveSettings(mirrored=True))
    w = weights_by_name(capture(mouth_video, arkit_rig, settings, progress=False).clip)
    assert w["mouthSmile_R"][30:].mean() > 2.0 * w["mouthSmile_L"][30:].mean()


def test_frames_without_a_face_stay_invalid(base, folder, arkit_rig):
    blank = np.full_like(base, 128)
    moved = tv.head_motion(base, shift=(30, 12), angle=6.0)   # the head moved while hidden
    frames = [base] * 20 + [blank] * 12 + [moved] * 12 + [blank] * 2 + [moved] * 10
    path = tv.write_video(os.path.join(folder, "gaps.mp4"), frames, RATE)
    result = capture(path, arkit_rig, progress=False)
    valid = result.tracked.valid
    assert valid[:20].all() and not valid[20:32].any() and valid[32:44].all()
    assert not valid[44:46].any() and valid[46:].all()
    assert np.isnan(result.points[20:32]).all()            # no landmarks invented
    clip_valid = result.clip.valid_array()
    np.testing.assert_array_equal(clip_valid, valid)
    cap = result.clip.source["capture"]
    assert cap["gaps"] == [[20, 32], [44, 46]]
    assert cap["bridged"] == [[44, 46]]                     # 2 frames <= 0.05 s; 12 are not
    W = result.clip.weight_array()
    np.testing.assert_allclose(W[20:32], np.repeat(W[19:20], 12, axis=0))   # held
    assert "2 gap(s)" in result.summary()
    # the speed line counts the frames' work after the start-up, which is printed apart
    t = result.timing
    assert 0.0 < t["start"] < t["total"]
    line = [x for x in result.summary().splitlines() if x.startswith("speed ")][0]
    assert "after %.2f s of start-up" % t["start"] in line
    assert abs(float(line.split()[1]) - len(valid) / (t["total"] - t["start"])) < 0.1
    # found again at a new place, the face reads as the same neutral face
    print("after the gap: max weight %.3f" % W[32:44].max())
    assert W[32:44].max() < 0.15


def test_variable_frame_rate_keeps_real_timing(base, folder, arkit_rig):
    """Frames at 60 fps with three dropped: the reader reports the real timestamps and the
    clip is resampled onto an even 60 fps grid."""
    src = os.path.join(folder, "vfr_frames")
    os.makedirs(src, exist_ok=True)
    for i in range(24):
        cv2.imwrite(os.path.join(src, "f%03d.png" % i),
                    tv.head_motion(base, shift=(i * 0.5, 0))[:, :, ::-1])
    out = os.path.join(folder, "vfr.mp4")
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate",
                    "60", "-i", os.path.join(src, "f%03d.png"), "-vf",
                    r"select=not(eq(n\,5)+eq(n\,11)+eq(n\,12))", "-fps_mode", "passthrough",
                    "-c:v", "libx264", "-crf", "10", "-pix_fmt", "yuv444p", out], check=True)
    times = np.array([t for _, t, _ in open_frames(out).frames()])
    expect = np.delete(np.arange(24), [5, 11, 12]) / 60.0
    np.testing.assert_allclose(times, expect, atol=1e-3)
    result = capture(out, arkit_rig, progress=False)
    assert result.clip.fps == pytest.approx(60.0)
    assert len(result.clip.weights) == 24
    assert result.clip.source["capture"]["resampled"]
    assert result.clip.valid_array().all()


def test_image_folder_and_single_image(base, folder, arkit_rig):
    src = os.path.join(folder, "frames")
    os.makedirs(src, exist_ok=True)
    for i in (1, 2, 10):                      # natural order: 1, 2, 10
        cv2.imwrite(os.path.join(src, "frame%d.png" % i),
                    tv.head_motion(base, shift=(i, 0))[:, :, ::-1])
    result = capture(src, arkit_rig, CaptureSettings(fps=24.0), progress=False)
    assert result.clip.fps == pytest.approx(24.0)
    np.testing.assert_allclose(result.tracked.times, [0, 1 / 24, 2 / 24])
    x = result.tracked.points[:, 30, 0]
    assert x[0] < x[1] < x[2] and x[2] - x[0] == pytest.approx(9.0, abs=1.0)
    one = capture(os.path.join(src, "frame1.png"), arkit_rig, progress=False)
    assert len(one.clip.weights) == 1 and one.clip.valid[0]
