"""Capture benchmark: end-to-end frames per second on a 640 x 480 video.

The video: scikit-image's astronaut portrait (face ~155 px wide) with head motion and a
mouth-corner warp, H.264, written to a temp folder. Compared in the same run with two
baselines on the same decoded frames:

- ``plain dlib up1``: ``detector(gray, 1)`` + the shape predictor on every full frame
  (dlib's documented usage);
- ``plain dlib up0``: the same without upsampling (the fastest whole-frame dlib).

The pipeline's time is split into decode, detect (whole-frame searches + per-frame crop
confirmation), predict (5 nudged predictions on an upright crop) and solve (smoothing,
neutral, bounded solve). Speed goal (reported, never enforced): >= 30 frames/s on the 2-core
CI machine. Checks: the face is found in every frame and every clip weight lies in [0, 1].
Exit code (see benchmarks/verdict.py): 0 when the checks pass, whatever the speed; 1 when a
check fails or the script crashes; 2 on bad arguments.
Run: ``python benchmarks/capture.py [--frames 300] [--smoke]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from microexpr.capture import testvideo as tv  # noqa: E402
from microexpr.capture.detect import FaceTracker, load_models  # noqa: E402
from microexpr.capture.pipeline import capture  # noqa: E402
from microexpr.capture.video import open_frames  # noqa: E402
from microexpr.rig.build import build_rig  # noqa: E402
from microexpr.rig.face import default_face  # noqa: E402
from verdict import Verdict, add_smoke_flag, times  # noqa: E402

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
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.smoke:
        args.frames = 12
    verdict = Verdict(args.smoke)
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
    print("  %-26s %8s %9s %9s" % ("", "frames/s", "ms/frame", "speed-up"))
    for label, secs in (("plain dlib up1 (baseline)", t_up1), ("plain dlib up0", t_up0),
                        ("microexpr capture", t["total"])):
        print("  %-26s %8.1f %9.1f %9s" % (label, n / secs, 1000 * secs / n, times(t_up1, secs)))
    print("  (plain dlib rows include decode)")
    for k in ("decode", "detect", "predict", "solve"):
        print("    %-8s %6.2f ms/frame" % (k, 1000 * t[k] / n))
    print("    %-8s %6.2f ms/frame (bookkeeping)" % ("other", 1000 * other / n))
    cap = result.clip.source["capture"]
    print("  face %.0f px, landmark jitter %.2f px (%.2f mm) before smoothing"
          % (result.report["face_px"], cap["noise_px"], cap["noise_px"] * cap["mm_per_pixel"]))
    verdict.goal(">= %.0f frames/s" % GOAL_FPS, n / t["total"] >= GOAL_FPS)
    found = result.report["frames_found"]
    verdict.check("face found in every frame (%d of %d)" % (found, n), found == n > 0)
    w = result.clip.weight_array()
    verdict.check("every clip weight in [0, 1]",
                  bool(np.all(np.isfinite(w)) and w.min() >= 0.0 and w.max() <= 1.0))
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
