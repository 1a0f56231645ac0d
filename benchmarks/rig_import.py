"""Rig import benchmark: ``rig import`` of a production-size rig from OBJ files.

The rig comes from benchmarks/bigrig.py, written to a temporary folder (or ``--keep DIR``):
26,719 vertices x 53 targets with scan noise on the face (like the scanned rig measured in
issue #15: 2.6 MB per OBJ, every face vertex moved in every target), or with ``--big``
100,000 vertices x 250 targets with in-betweens and correctives (sculpted, no noise).

Each reader runs in a fresh child process that does what ``import_rig`` does: read the
neutral and the targets, build the rig (``rig_from_obj_targets``), then write it as bridge
JSON (``save_rig``), the format the baseline wrote. It reports each step's seconds and its
peak memory (``resource.getrusage`` ru_maxrss; "above start" subtracts the peak once the
modules are imported). The readers:

- baseline: the line-by-line reader MicroExpr used before, ``baseline_read_obj`` below,
  copied unchanged from shared/microexpr/formats/obj.py at commit 64454e0; one file after
  the other, as ``import_rig`` read them then;
- the numpy reader, one thread (``read_targets(workers=1)``);
- the numpy reader with threads, as ``rig import`` reads now (``read_targets``).

The last child also writes the rig as a ``.microexpr`` container, what ``rig import`` writes
now. Speed goals (reported, never enforced): that import (read with threads, build, write
the container) under 3 s, or under 20 s with ``--big``, whose peak memory should stay under
2 GB. Checks: every
reader gives the same meshes (a digest of each file's points and polygons, and the
neutral's UVs) and the same rig JSON, byte for byte.
Exit code (see benchmarks/verdict.py): 0 when the checks pass, whatever the speed; 1 when a
check fails or the script crashes; 2 on bad arguments.
Run: ``python benchmarks/rig_import.py [--big] [--keep DIR] [--smoke]``.
"""
from __future__ import annotations

import argparse
import hashlib
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from typing import List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from microexpr.errors import MicroExprError  # noqa: E402
from microexpr.mesh import Mesh  # noqa: E402
from verdict import Verdict, add_smoke_flag, times  # noqa: E402

#: (vertices, targets, scan noise in cm, goal in seconds)
SIZES = {"smoke": (800, 4, 0.002, 3.0), "standard": (26_719, 53, 0.002, 3.0),
         "big": (100_000, 250, 0.0, 20.0)}
PEAK_GOAL_MB = 2000.0
READERS = [("line-by-line OBJ reader (baseline)", "baseline"),
           ("numpy OBJ reader, 1 thread", "numpy-1"),
           ("numpy OBJ reader, threads (rig import)", "numpy")]


def baseline_read_obj(path: str, name: Optional[str] = None) -> Mesh:
    """Read positions, polygons and (per-vertex) UVs; the first object in the file."""
    path = os.fspath(path)
    try:
        with open(path, "r", encoding="utf-8", errors="strict") as f:
            lines = f.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise MicroExprError("cannot read the OBJ file (%s)" % exc, file=path,
                             fix="pass a text Wavefront .obj") from None
    pts: List[List[float]] = []
    vts: List[List[float]] = []
    counts: List[int] = []
    idx: List[int] = []
    uv_of: dict = {}
    for n, line in enumerate(lines, 1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        tag = parts[0]
        try:
            if tag == "v":
                pts.append([float(parts[1]), float(parts[2]), float(parts[3])])
            elif tag == "vt":
                vts.append([float(parts[1]), float(parts[2]) if len(parts) > 2 else 0.0])
            elif tag == "f":
                if len(parts) < 4:
                    raise ValueError("a face needs at least 3 corners")
                counts.append(len(parts) - 1)
                for corner in parts[1:]:
                    fields = corner.split("/")
                    v = int(fields[0])
                    v = v - 1 if v > 0 else len(pts) + v
                    if not 0 <= v < len(pts):
                        raise ValueError("face refers to vertex %s, which does not exist" % fields[0])
                    idx.append(v)
                    if len(fields) > 1 and fields[1]:
                        t = int(fields[1])
                        uv_of.setdefault(v, t - 1 if t > 0 else len(vts) + t)
        except (ValueError, IndexError) as exc:
            raise MicroExprError("line %d (%r): %s" % (n, line.strip()[:60], exc), file=path,
                                 field="line %d" % n, fix="repair or re-export the OBJ") from None
    if not pts:
        raise MicroExprError("has no vertices", file=path, fix="pass a mesh OBJ")
    arr = np.asarray(pts, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise MicroExprError("has NaN or infinite vertex positions", file=path,
                             fix="clean the mesh")
    uvs = None
    if vts and len(uv_of) == len(pts):
        uvs = np.asarray([vts[uv_of[v]] for v in range(len(pts))], dtype=np.float64)
    stem = os.path.splitext(os.path.basename(path))[0]
    return Mesh(name or stem, arr, np.asarray(counts, dtype=np.int64),
                np.asarray(idx, dtype=np.int64), uvs=uvs)


def peak_mb() -> float:
    """This process's peak resident memory so far (Linux reports kB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (2 ** 20 if sys.platform == "darwin" else 2 ** 10)


def digest(mesh: Mesh, uvs: bool) -> str:
    h = hashlib.sha256()
    for a in (mesh.points, mesh.face_counts, mesh.face_indices):
        h.update(np.ascontiguousarray(a).tobytes())
    if uvs:
        h.update(b"none" if mesh.uvs is None else mesh.uvs.tobytes())
    return h.hexdigest()[:16]


def child(mode: str, folder: str, out: str) -> dict:
    """One reader's import in this (fresh) process: seconds per step, peak memory, digests."""
    from scipy import spatial  # noqa: F401  (the build's k-d tree: start-up, not work)

    from microexpr import bridge
    from microexpr.formats.obj import read_obj
    from microexpr.landmarks import read_landmark_vertices
    from microexpr.rig.convert import read_targets, rig_from_obj_targets, target_files

    start_mb = peak_mb()
    neutral = os.path.join(folder, "neutral.obj")
    files = target_files([os.path.join(folder, "targets")])
    t0 = time.perf_counter()
    if mode == "baseline":
        base = baseline_read_obj(neutral, name="skin")
        shapes = [baseline_read_obj(f) for f in files]
    else:
        base = read_obj(neutral, name="skin")
        shapes = read_targets(files, base, workers=1 if mode == "numpy-1" else None)
    t1 = time.perf_counter()
    lm = read_landmark_vertices(os.path.join(folder, "landmarks.txt"), base.vertex_count)
    rig = rig_from_obj_targets(base, shapes, lm)
    t2 = time.perf_counter()
    result: dict = {}
    if mode == "numpy":                 # what rig import writes now, before the JSON
        container = os.path.splitext(out)[0] + ".microexpr"
        bridge.save_rig(rig, container)
        result["container"] = (time.perf_counter() - t2, os.path.getsize(container) / 1e6,
                               peak_mb())
    t3 = time.perf_counter()
    bridge.save_rig(rig, out)
    t4 = time.perf_counter()
    result.update(parse=t1 - t0, build=t2 - t1, write=t4 - t3, peak_mb=peak_mb(), start_mb=start_mb,
                  json_mb=os.path.getsize(out) / 1e6, names=[base.name] + [m.name for m in shapes],
                  digests=[digest(base, True)] + [digest(m, False) for m in shapes])
    result["total"] = result["parse"] + result["build"] + result["write"]
    with open(out, "rb") as f:
        result["json_sha"] = hashlib.sha256(f.read()).hexdigest()
    return result


def run_child(mode: str, folder: str, out: str) -> dict:
    start = time.perf_counter()
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", mode, folder, out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("the %s import failed:\n%s%s" % (mode, r.stdout[-2000:], r.stderr[-3000:]))
    result = json.loads(r.stdout.strip().splitlines()[-1])
    result["process"] = time.perf_counter() - start
    return result


def make_rig(folder: str, size: str) -> dict:
    """The synthetic rig in ``folder``, written unless a matching one is there already."""
    from bigrig import write_rig

    vertices, count, noise, _ = SIZES[size]
    path = os.path.join(folder, "layout.json")
    if os.path.exists(path):
        with open(path) as f:
            layout = json.load(f)
        if (layout.get("targets"), layout.get("noise"), layout.get("seed")) == (count, noise, 1) \
                and abs(layout.get("vertices", 0) - vertices) < 0.01 * vertices:
            return layout
        shutil.rmtree(os.path.join(folder, "targets"), ignore_errors=True)
    return write_rig(folder, vertices, count, seed=1, noise=noise)


def report(rows: List[tuple], layout: dict, folder: str, gen_s: float) -> None:
    obj_mb = os.path.getsize(os.path.join(folder, "neutral.obj")) / 1e6
    print("rig: %d vertices, %d polygons, %d targets (%d in-betweens, %d correctives), "
          "%.1f MB per OBJ, noise %g cm (generated in %.1f s)"
          % (layout["vertices"], layout["polygons"], layout["targets"], len(layout["inbetweens"]),
             len(layout["correctives"]), obj_mb, layout["noise"], gen_s))
    print()
    head = ("reader", "read s", "build s", "write s", "total s", "process s", "peak MB",
            "above start", "x read", "x total")
    print("%-40s %8s %8s %8s %8s %9s %8s %11s %7s %7s" % head)
    print("-" * 124)
    base = rows[0][1]
    for label, r in rows:
        print("%-40s %8.2f %8.2f %8.2f %8.2f %9.2f %8.0f %11.0f %7s %7s"
              % (label, r["parse"], r["build"], r["write"], r["total"], r["process"],
                 r["peak_mb"], r["peak_mb"] - r["start_mb"], times(r["parse"], base["parse"]),
                 times(r["total"], base["total"])))
    last = rows[-1][1]
    print("rig JSON: %.1f MB; the same rig as a .microexpr container: %.1f MB, written in %.2f s"
          % (last["json_mb"], last["container"][1], last["container"][0]))
    print("rig import as it runs now (numpy reader, threads, .microexpr): %.2f s, peak %.0f MB"
          % (last["parse"] + last["build"] + last["container"][0], last["container"][2]))
    one, now = rows[1][1], rows[-1][1]
    one["parse"], now["parse"] = max(one["parse"], 1e-9), max(now["parse"], 1e-9)
    print("reading: %.1fx faster than the baseline (%.1fx on one thread), with %d threads "
          "(one per CPU, at most 4)" % (base["parse"] / now["parse"], base["parse"] / one["parse"],
                                        max(1, min(os.cpu_count() or 1, 4, layout["targets"]))))


def judge(verdict: Verdict, rows: List[tuple], size: str) -> None:
    goal = SIZES[size][3]
    new = rows[-1][1]
    now = new["parse"] + new["build"] + new["container"][0]
    verdict.goal("rig import from OBJ (read, build, write .microexpr) under %.0f s: %.2f s"
                 % (goal, now), now < goal)
    if size != "standard":
        peak = new["container"][2]
        verdict.goal("its peak memory under %.0f MB: %.0f MB" % (PEAK_GOAL_MB, peak),
                     peak < PEAK_GOAL_MB)
    base = rows[0][1]
    for label, r in rows[1:]:
        bad = [n for n, a, b in zip(base["names"], base["digests"], r["digests"]) if a != b]
        verdict.check("%s reads every file as the baseline does (points, polygons, neutral's "
                      "UVs)%s" % (label, ": differs on " + ", ".join(bad[:3]) if bad else ""),
                      not bad and base["names"] == r["names"])
        verdict.check("%s gives the baseline's rig JSON, byte for byte" % label,
                      r["json_sha"] == base["json_sha"])


def main(argv: Optional[List[str]] = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        print(json.dumps(child(*argv[1:4])))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--big", action="store_true", help="100k vertices x 250 targets")
    ap.add_argument("--keep", metavar="DIR", help="write (or reuse) the OBJ files in DIR")
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    size = "smoke" if args.smoke else "big" if args.big else "standard"
    verdict = Verdict(args.smoke)
    folder = args.keep or tempfile.mkdtemp(prefix="microexpr_rig_import_")
    os.makedirs(folder, exist_ok=True)
    try:
        t0 = time.perf_counter()
        layout = make_rig(folder, size)
        gen_s = time.perf_counter() - t0
        rows = []
        for label, mode in READERS:
            rows.append((label, run_child(mode, folder, os.path.join(folder, mode + ".json"))))
        report(rows, layout, folder, gen_s)
    finally:
        if not args.keep:
            shutil.rmtree(folder, ignore_errors=True)
    judge(verdict, rows, size)
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
