"""Capture benchmark: end-to-end frames per second on a 640 x 480 video.

The video: scikit-image's astronaut portrait (face ~155 px wide) with head motion and a
mouth-corner warp, H.264, written to a temp folder. Compared in the same run with two
baselines on the same decoded frames:

- ``plain dlib up1``: ``detector(gray, 1)`` + the shape predictor on every full frame
  (dlib's documented usage);
- ``plain dlib up0``: the same without upsampling (the fastest whole-frame dlib).

The pipeline's time is split into decode, detect (whole-frame searches + per-frame crop
confirmation), predict (5 nudged predictions on an upright crop) and solve (smoothing,
neutral, bounded solve). Goal: >= 30 frames/s on the 2-core CI machine.
Run: ``PYTHONPATH=shared python benchmarks/capture.py [--frames 300]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(os.path.dirname(HERE), "shared"))

from microexpr.capture import testvideo as tv  # noqa: E402
from microexpr.capture.detect import FaceTracker, load_models  # noqa: E402
from microexpr.capture.pipeline import capture  # noqa: E402
from microexpr.capture.video import open_frames  # noqa: E402
from microexpr.face import default_face  # noqa: E402
from microexpr.rig import build_rig  # noqa: E402

GOAL_FPS = 30.0


def make_video(path: str, frames: int, fps: float = 30.0) -> str:
    import cv2

    base = tv.astronaut_frame()
    first = FaceTracker().update(cv2.cvtColor(base, cv2.COLOR_RGB2GRAY)).points
    span = float(np.linalg.norm(first[45] - first[36]))

    def frame(i):
        a = 2 * np.pi * i / 150.0
        smile = max(0.0, np.sin(2 * np.pi * i / 90.0))
        img = tv.local_warp(base, first[54], (3 * smile, -2 * smile), 0.12 * span)
        return tv.head_motion(img, shift=(20 * np.sin(a), 10 * np.sin(2 * a)),
                              angle=6 * np.sin(a), scale=1 + 0.05 * np.sin(3 * a))

    return tv.write_video(path, (frame(i) for i in range(frames)), fps)


def decode_only(path: str):
    t = time.perf_counter()
    frames = [g for _, _, g in open_frames(path).frames()]
    return frames, time.perf_counter() - t


def plain_dlib(frames, upsample: int) -> float:
    detector, predictor = load_models()
    t = time.perf_counter()
    for g in frames:
        rects = detector(g, upsample)
        if len(rects):
            predictor(g, rects[0])
    return time.perf_counter() - t


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=300)
    args = ap.parse_args(argv)
    face = default_face()
    rig = build_rig(face.skin, face.landmark_vertices, "arkit")
    load_models()
    with tempfile.TemporaryDirectory() as tmp:
        path = make_video(os.path.join(tmp, "bench.mp4"), args.frames)
        frames, t_decode = decode_only(path)
        n = len(frames)
        t_up1 = plain_dlib(frames, 1) + t_decode
        t_up0 = plain_dlib(frames, 0) + t_decode
        result = capture(path, rig, progress=False)
    t = result.timing
    other = t["total"] - t["decode"] - t["detect"] - t["predict"] - t["solve"]
    print("capture benchmark: %d frames, 640 x 480, %d CPU(s)" % (n, os.cpu_count() or 1))
    print("  %-24s %7.1f frames/s  (%.1f ms/frame incl. decode)" % ("plain dlib up1 (baseline)", n / t_up1, 1000 * t_up1 / n))
    print("  %-24s %7.1f frames/s  (%.1f ms/frame incl. decode)" % ("plain dlib up0", n / t_up0, 1000 * t_up0 / n))
    fps = n / t["total"]
    print("  %-24s %7.1f frames/s  (%.1f ms/frame)" % ("microexpr capture", fps, 1000 * t["total"] / n))
    for k in ("decode", "detect", "predict", "solve"):
        print("    %-8s %6.2f ms/frame" % (k, 1000 * t[k] / n))
    print("    %-8s %6.2f ms/frame (bookkeeping)" % ("other", 1000 * other / n))
    print("  speed-up over plain dlib up1: %.1fx; goal >= %.0f frames/s: %s"
          % (t_up1 / t["total"], GOAL_FPS, "met" if fps >= GOAL_FPS else "NOT met"))
    cap = result.clip.source["capture"]
    print("  face %.0f px, landmark jitter %.2f px (%.2f mm) before smoothing"
          % (result.report["face_px"], cap["noise_px"], cap["noise_px"] * cap["mm_per_pixel"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
