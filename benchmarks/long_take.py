"""Long takes: peak memory and speed of ``microexpr solve`` (in chunks) against the whole take
solved in memory.

A take of another identity's micro-expressions under head motion (2-D, 60 fps; a 6,000-frame
performance repeated) is written as a .npy file. Each run is a fresh process, whose peak
resident memory (``ru_maxrss``) and wall time are printed:

- the named baseline: the whole take in memory (``load_tracks``, ``solve_tracks``,
  ``save_clip``), at the size it can still hold (``--baseline-frames``);
- ``microexpr solve`` of the same take (in chunks of 20,000 frames), same size;
- ``microexpr solve`` of the long take (``--frames``, default 1,000,000).

Goal (reported, never enforced): 1,000,000 frames in < 1.5 GB peak. Check: the chunked clip of
the baseline take equals the in-memory one to 1e-12. Exit code: see benchmarks/verdict.py.
Run: ``python benchmarks/long_take.py [--frames N] [--baseline-frames N] [--smoke]``.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
sys.path[:0] = [HERE, os.path.join(ROOT, "shared"), os.path.join(ROOT, "tools")]

from verdict import Verdict, add_smoke_flag, times  # noqa: E402

GOAL_BYTES = 1.5e9
BLOCK = 6000


def write_take(rig, path: str, frames: int) -> None:
    """``frames`` frames of 2-D tracks (pixels, y down), a ``BLOCK``-frame performance repeated."""
    import performer_cases as cases
    from microexpr.solve.performer import region_gains

    X, B = rig.neutral_landmarks(), rig.landmark_delta_matrix()
    P0 = cases.other_identity(X, 3)
    old = cases.F
    cases.F = BLOCK
    try:
        W = cases.sparse_micro(rig.target_names(), 3)
        tracks = cases.performance(P0, B * region_gains(P0, X)[:, None, None], W, X, 3)[0]
    finally:
        cases.F = old
    pts = tracks.points.copy()
    pts[:, :, 1] = -pts[:, :, 1]                              # back to y down, as stored
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(frames, 68, 2))
    for a in range(0, frames, BLOCK):
        n = min(BLOCK, frames - a)
        out[a:a + n] = pts[:n]
    out.flush()
    del out


def prepare(tmp: str, small: str, big: str) -> None:
    """The rig and the two takes, written by a process of their own: a child's ``ru_maxrss``
    starts at its parent's resident size (Linux keeps it across fork and exec), so the parent
    that starts the measured runs must stay small."""
    from microexpr import bridge
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face

    face = default_face()
    rig = build_rig(face.skin, face.landmark_vertices, "arkit")
    bridge.save_rig(rig, os.path.join(tmp, "rig.microexpr"))
    for n in (int(small), int(big)):
        write_take(rig, os.path.join(tmp, "take_%d.npy" % n), n)


def child(kind: str, rig_path: str, tracks: str, out: str) -> None:
    """One measured run, in this (fresh) process; prints seconds and peak bytes as JSON."""
    import resource

    if kind == "prepare":
        prepare(rig_path, tracks, out)
        return
    t0 = time.perf_counter()
    if kind == "whole":
        from microexpr import bridge
        from microexpr.solve.tracks import load_tracks
        from microexpr.solve.tracks_to_clip import solve_tracks

        rig = bridge.load_rig(rig_path, lazy=True)
        bridge.save_clip(solve_tracks(rig, load_tracks(tracks), "performer", fps=60.0), out)
    else:
        from microexpr.cli.main import main

        code = main(["solve", "--rig", rig_path, "--landmarks", tracks, "--out", out,
                     "--fps", "60"])
        if code:
            raise SystemExit(code)
    seconds = time.perf_counter() - t0           # the peak includes imports and the rig
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"seconds": seconds, "peak": peak}))


def measure(kind: str, rig_path: str, tracks: str, out: str) -> dict:
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", kind, rig_path,
                        tracks, out], capture_output=True, text=True, cwd=ROOT)
    if r.returncode:
        raise SystemExit("%s run failed (exit %d):\n%s" % (kind, r.returncode, r.stderr[-2000:]))
    return json.loads(r.stdout.strip().splitlines()[-1]) if kind != "prepare" else {}


def row(label: str, frames: int, m: dict, base: dict) -> None:
    print("%-44s %9.0f MB peak  %s   %8.1f s  %9.0f frames/s"
          % (label, m["peak"] / 1e6, times(m["peak"], base["peak"]), m["seconds"],
             frames / max(m["seconds"], 1e-9)))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--frames", type=int, default=1_000_000)
    ap.add_argument("--baseline-frames", type=int, default=100_000)
    ap.add_argument("--child", nargs=4, help=argparse.SUPPRESS)
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.child:
        child(*args.child)
        return 0
    v = Verdict(args.smoke)
    small, big = (3000, 9000) if args.smoke else (args.baseline_frames, args.frames)
    with tempfile.TemporaryDirectory() as tmp:
        measure("prepare", tmp, str(small), str(big))
        rig_path = os.path.join(tmp, "rig.microexpr")
        paths = {n: os.path.join(tmp, "take_%d.npy" % n) for n in (small, big)}
        whole = measure("whole", rig_path, paths[small], os.path.join(tmp, "whole.microexpr"))
        chunks = measure("chunks", rig_path, paths[small], os.path.join(tmp, "chunks.microexpr"))
        row("whole take in memory, %d frames (baseline)" % small, small, whole, whole)
        row("microexpr solve in chunks, %d frames" % small, small, chunks, whole)
        longer = measure("chunks", rig_path, paths[big], os.path.join(tmp, "long.microexpr"))
        row("microexpr solve in chunks, %d frames" % big, big, longer, whole)
        from microexpr import bridge

        a = bridge.load_clip(os.path.join(tmp, "whole.microexpr")).weight_array()
        b = bridge.load_clip(os.path.join(tmp, "chunks.microexpr")).weight_array()
        diff = float(np.abs(a - b).max())
    v.goal("%d frames in < %.1f GB peak (%.2f GB)" % (big, GOAL_BYTES / 1e9, longer["peak"] / 1e9),
           longer["peak"] < GOAL_BYTES)
    v.check("chunked clip equals the in-memory clip (max |diff| %.1e <= 1e-12)" % diff, diff <= 1e-12)
    return v.exit_code()


if __name__ == "__main__":
    sys.exit(main())
