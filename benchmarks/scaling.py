"""How rig import, review and export scale with the rig: time and peak memory against vertices
x targets, printed as a table (and, with ``--plot``, the figure of ``docs/scaling.md``).

For each size a synthetic rig is written as OBJ files (``benchmarks/bigrig.py``: a neutral and
one OBJ per target, as Maya exports them), then a fresh child process per step measures:

- **import**: read the OBJs (threads), build the rig, write the ``.microexpr`` container, what
  ``microexpr rig import`` does;
- **review**: load the container and review a 10-second clip at 60 fps (600 frames; smooth
  random weights on every target);
- **export**: load the container and the clip, write FBX and GLB.

Peak memory is the child's ``ru_maxrss``: the whole process, modules included (about 150-250
MB of it is Python, numpy, scipy and pydantic before any work).
The named baseline of each row is the first (smallest) rig's total time, measured in the same
run: the ratio shows how the work grows against vertices x targets. Goals of issue #15, judged
on the last (largest) size, 100,000 vertices x 250 targets by default (reported, never enforced): import < 20 s, review and export < 10 s
each, peak memory < 2 GB. Check: each child finished and its outputs exist.
Exit code (see benchmarks/verdict.py): 0 when the checks pass; 1 when one fails or the
script crashes; 2 on bad arguments.
Run: ``python benchmarks/scaling.py [--sizes 10000x25,26719x53,50000x125,100000x250]
[--plot docs/images/scaling.png] [--keep DIR] [--smoke]``.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from typing import List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from verdict import Verdict, add_smoke_flag, times  # noqa: E402

DEFAULT_SIZES = "10000x25,26719x53,50000x125,100000x250"
FRAMES = 600


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _clip(rig, frames: int):
    from microexpr.bridge import Clip

    rng = np.random.default_rng(3)
    names = rig.target_names()
    t = np.arange(frames) / 60.0
    W = np.zeros((frames, len(names)))
    for k in range(len(names)):
        f, p = rng.uniform(0.2, 1.0), rng.uniform(0, 2 * np.pi)
        W[:, k] = 0.15 * (1 + np.sin(2 * np.pi * f * t + p)) / 2
    return Clip(fps=60.0, targets=names, weights=W, valid=np.ones(frames, bool),
                rig_fingerprint=rig.mesh().fingerprint)


def child(step: str, folder: str) -> dict:
    """One step in this fresh process: seconds and peak memory above the imports."""
    from microexpr import bridge
    from microexpr.formats.obj import read_obj
    from microexpr.landmarks import read_landmark_vertices
    from microexpr.review.report import Reviewer
    from microexpr.rig.convert import export_rig, read_targets, rig_from_obj_targets, target_files

    start = _peak_mb()
    container = os.path.join(folder, "rig.microexpr")
    t0 = time.perf_counter()
    if step == "import":
        base = read_obj(os.path.join(folder, "neutral.obj"), name="skin")
        shapes = read_targets(target_files([os.path.join(folder, "targets")]), base)
        lm = read_landmark_vertices(os.path.join(folder, "landmarks.txt"), base.vertex_count)
        bridge.save_rig(rig_from_obj_targets(base, shapes, lm), container)
        out = [container]
    elif step == "review":
        rig = bridge.load_rig(container)
        Reviewer(rig).review(_clip(rig, FRAMES))
        out = []
    else:
        rig = bridge.load_rig(container)
        out = export_rig(rig, _clip(rig, FRAMES), fbx=os.path.join(folder, "face.fbx"),
                         glb=os.path.join(folder, "face.glb"))
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(), "start_mb": start,
            "outputs": [p for p in out if os.path.exists(p)], "expected": len(out)}


def run_child(step: str, folder: str) -> dict:
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", step, folder],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed:\n%s%s" % (step, r.stdout[-2000:], r.stderr[-3000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def sizes(text: str) -> List[Tuple[int, int]]:
    out = []
    for item in text.split(","):
        v, t = item.lower().split("x")
        out.append((int(v), int(t)))
    return out


def plot(rows, path: str) -> None:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = [r[0] * r[1] / 1e6 for r in rows]
    fig, (a, b) = plt.subplots(1, 2, figsize=(10, 4), dpi=110)
    for k, name in enumerate(("import", "review", "export")):
        a.plot(x, [r[2 + 2 * k] for r in rows], "o-", label=name)
        b.plot(x, [r[3 + 2 * k] for r in rows], "o-", label=name)
    a.set_ylabel("seconds")
    b.set_ylabel("peak memory of the process, MB")
    for ax in (a, b):
        ax.set_xlabel("vertices x targets (millions)")
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle("MicroExpr on synthetic rigs: import (OBJ), review and export of 600 frames")
    fig.tight_layout()
    fig.savefig(path)
    print("wrote", path)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default=DEFAULT_SIZES, help="VERTICESxTARGETS,... (default %s)" % DEFAULT_SIZES)
    ap.add_argument("--plot", help="write the figure (PNG)")
    ap.add_argument("--keep", help="write the rigs here instead of a temporary folder")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    from bigrig import write_rig

    v = Verdict(args.smoke)
    grid = [(2_000, 6), (4_000, 10)] if args.smoke else sizes(args.sizes)
    root = args.keep or tempfile.mkdtemp(prefix="microexpr-scaling-")
    rows = []
    print("%-26s %9s %7s %9s %7s %9s %7s  %s" % ("vertices x targets", "import s", "MB", "review s",
                                               "MB", "export s", "MB", "total time vs the first"))
    for vertices, count in grid:
        folder = os.path.join(root, "%dx%d" % (vertices, count))
        if not os.path.exists(os.path.join(folder, "layout.json")):
            write_rig(folder, vertices, count, seed=1)
        row = [vertices, count]
        for step in ("import", "review", "export"):
            r = run_child(step, folder)
            v.check("%s of %dx%d wrote its outputs" % (step, vertices, count),
                    len(r["outputs"]) == r["expected"])
            row += [r["seconds"], r["peak_mb"]]
        rows.append(row)
        label = "%d x %d" % (vertices, count) + (" (baseline)" if len(rows) == 1 else "")
        total, first = row[2] + row[4] + row[6], rows[0][2] + rows[0][4] + rows[0][6]
        print("%-26s %9.2f %7.0f %9.2f %7.0f %9.2f %7.0f  %s (size x%.1f)"
              % tuple([label] + row[2:] + [times(total, first), vertices * count / (grid[0][0] * grid[0][1])]))
    r = rows[-1]
    name = "%d x %d" % (r[0], r[1])
    v.goal("%s: import < 20 s (%.1f)" % (name, r[2]), r[2] < 20)
    v.goal("%s: review < 10 s (%.1f)" % (name, r[4]), r[4] < 10)
    v.goal("%s: export < 10 s (%.1f)" % (name, r[6]), r[6] < 10)
    peak = max(r[3], r[5], r[7])
    v.goal("%s: peak memory < 2 GB (%.0f MB)" % (name, peak), peak < 2048)
    if args.plot and not args.smoke:
        plot(rows, args.plot)
    return v.exit_code()


if __name__ == "__main__":
    sys.exit(main())
