"""Default-face benchmark: the time to build the embedded face from scratch (no cache).

Times ``rig.face._build`` at the default resolution (0.2 cm edges, > 5,000 skin vertices)
against a baseline measured in the same run: ``scipy.spatial.Delaunay`` of the finished
skin's 2-D (x, y) points, i.e. the triangulation alone, without the hole cutting, margin
checks, height field, regions and eyeballs. Speed goal (reported, never enforced): under
3 s. Check: every build gives the same skin (same fingerprint, same landmark vertices).
Exit code (see benchmarks/verdict.py): 0 when the check passes, whatever the speed; 1 when
it fails or the script crashes; 2 on bad arguments.
Run: ``python benchmarks/face.py [--resolution 0.2] [--repeats 3] [--smoke]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional

import numpy as np
from scipy.spatial import Delaunay

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from microexpr.rig import face as face_mod  # noqa: E402
from verdict import Verdict, add_smoke_flag, times  # noqa: E402

GOAL_SECONDS = 3.0


def best_of(fn, repeats: int):
    """(best seconds, the result of every call)."""
    best, out = float("inf"), []
    for _ in range(repeats):
        start = time.perf_counter()
        out.append(fn())
        best = min(best, time.perf_counter() - start)
    return best, out


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--resolution", type=float, default=face_mod.DEFAULT_RESOLUTION,
                    help="skin edge length in cm (default %g)" % face_mod.DEFAULT_RESOLUTION)
    ap.add_argument("--repeats", type=int, default=3, help="best of N builds (default 3)")
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.smoke:
        args.resolution, args.repeats = 0.5, 2
    verdict = Verdict(args.smoke)
    ours, faces = best_of(lambda: face_mod._build(args.resolution), max(args.repeats, 2))
    xy = faces[0].skin.points[:, :2]
    base, _ = best_of(lambda: Delaunay(xy), max(args.repeats, 2))
    skin = faces[0].skin
    print("default face: %d skin vertices, %d triangles, %d eye vertices, resolution %g cm"
          % (skin.vertex_count, len(skin.face_counts), faces[0].eyes.vertex_count, args.resolution))
    print("  %-40s %9s %9s" % ("", "seconds", "x time"))
    print("  %-40s %9.3f %9s" % ("scipy Delaunay of the skin (baseline)", base, times(base, base)))
    print("  %-40s %9.3f %9s" % ("microexpr default face build", ours, times(ours, base)))
    verdict.goal("face build under %.0f s" % GOAL_SECONDS, ours < GOAL_SECONDS)
    same = all(f.skin.fingerprint() == skin.fingerprint()
               and np.array_equal(f.landmark_vertices, faces[0].landmark_vertices) for f in faces)
    verdict.check("%d builds give the same skin and landmark vertices" % len(faces), same)
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
