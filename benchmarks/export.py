"""Export benchmark: a 26,000-vertex face with 53 sparse targets and a 10 s, 60 fps clip.

Times ``write_gltf`` (.glb) and ``write_fbx`` (when ``formats.fbx_export`` exists) against a
baseline measured in the same run: ``numpy.savez`` of the same arrays (points, faces,
target indices and deltas, clip weights), i.e. the cost of just putting the bytes on disk.
Speed goal (reported, never enforced): under 3 s per format. Checks: the .glb has a valid
header and as many vertices and morph targets as the scene; the .fbx parses and has one
blend-shape channel and one shape per target.
Exit code (see benchmarks/verdict.py): 0 when the checks pass, whatever the speed; 1 when a
check fails or the script crashes; 2 on bad arguments.
Run: ``python benchmarks/export.py [--repeats N] [--read-back] [--smoke]``.
"""
from __future__ import annotations

import argparse
import json
import os
import struct
import sys
import tempfile
import time
from typing import Callable, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from microexpr.formats.scene import (  # noqa: E402
    Scene,
    SceneMesh,
    ShapeChannel,
    ShapeFrame,
    WeightAnimation,
)
from microexpr.mesh import Mesh  # noqa: E402
from verdict import Verdict, add_smoke_flag, times  # noqa: E402

GOAL_SECONDS = 3.0


def build_scene(nx: int = 200, ny: int = 130, targets: int = 53, seconds: float = 10.0,
                fps: float = 60.0, seed: int = 1) -> Scene:
    """A curved nx*ny quad grid (26,000 vertices by default), each target moving a local
    patch of 300-2,500 vertices, and a smooth random clip of ``seconds`` at ``fps``."""
    rng = np.random.default_rng(seed)
    u, v = np.meshgrid(np.linspace(-1, 1, nx), np.linspace(-1, 1, ny))
    pts = np.column_stack([u.ravel() * 8.0, v.ravel() * 11.0, 4.0 * np.cos(u.ravel() * 1.2)])
    i, j = np.meshgrid(np.arange(nx - 1), np.arange(ny - 1))
    a = (j * nx + i).ravel()
    quads = np.column_stack([a, a + 1, a + nx + 1, a + nx])
    uvs = np.column_stack([(u.ravel() + 1) / 2, (v.ravel() + 1) / 2])
    mesh = Mesh("face", pts, np.full(len(quads), 4), quads.ravel(), uvs=uvs)
    channels = []
    for t in range(targets):
        centre = pts[rng.integers(len(pts))]
        dist = np.linalg.norm(pts - centre, axis=1)
        k = int(rng.integers(300, 2500))
        idx = np.sort(np.argsort(dist)[:k])
        falloff = np.exp(-(dist[idx] / (dist[idx].max() + 1e-9)) ** 2 * 3.0)
        deltas = rng.normal(size=3) * 0.3 * falloff[:, None]
        channels.append(ShapeChannel("shape%02d" % t, [ShapeFrame(1.0, idx, deltas)]))
    frames = round(seconds * fps) + 1
    keys = rng.random((int(seconds) + 2, targets))
    w = np.column_stack([np.interp(np.arange(frames) / fps, np.arange(len(keys)), keys[:, c])
                         for c in range(targets)])
    anim = WeightAnimation(fps, [c.name for c in channels], w)
    return Scene([SceneMesh(mesh, channels)], anim)


def savez_baseline(scene: Scene, path: str) -> None:
    sm = scene.meshes[0]
    arrays = {"points": sm.mesh.points, "face_counts": sm.mesh.face_counts,
              "face_indices": sm.mesh.face_indices, "uvs": sm.mesh.uvs,
              "weights": scene.animation.weights}
    for k, ch in enumerate(sm.channels):
        arrays["idx%d" % k] = ch.full.indices
        arrays["d%d" % k] = ch.full.deltas
    np.savez(path, **arrays)


def _fbx_writer() -> Tuple[Optional[Callable], str]:
    try:
        from microexpr.formats.fbx_export import write_fbx
    except ImportError as exc:
        return None, "skipped: microexpr.formats.fbx_export not available (%s)" % exc
    return write_fbx, ""


def _time(fn: Callable, scene: Scene, path: str, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(scene, path)
        best = min(best, time.perf_counter() - start)
    return best


def glb_matches(path: str, scene: Scene) -> bool:
    """The .glb header is valid and its mesh has the scene's vertex and target counts."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] != b"glTF" or struct.unpack_from("<II", data, 4) != (2, len(data)):
        return False
    size = struct.unpack_from("<I", data, 12)[0]
    doc = json.loads(data[20:20 + size])
    prim = doc["meshes"][0]["primitives"][0]
    sm = scene.meshes[0]
    return (doc["accessors"][prim["attributes"]["POSITION"]]["count"] == sm.mesh.vertex_count
            and len(prim.get("targets", [])) == len(sm.channels))


def fbx_matches(path: str, scene: Scene) -> bool:
    """The .fbx parses and holds one blend-shape channel and one shape per target."""
    from microexpr.formats import fbx_binary

    with open(path, "rb") as f:
        nodes = fbx_binary.read_nodes(f.read(), path)
    objects = next(n for n in nodes if n.name == "Objects").children
    kinds = [(c.name, c.props[2]) for c in objects if len(c.props) > 2]
    want = len(scene.meshes[0].channels)
    return (kinds.count(("Deformer", "BlendShapeChannel")) == want
            and kinds.count(("Geometry", "Shape")) == want)


def read_back(path: str) -> str:
    """Time read_scene_assimp on the written .glb (a note; skipped without pyassimp)."""
    try:
        import pyassimp  # noqa: F401
    except ImportError:
        return "read_scene_assimp skipped: pyassimp is not installed"
    from microexpr.formats.assimp_import import read_scene_assimp
    start = time.perf_counter()
    read_scene_assimp(path, timeout=300)
    return "read_scene_assimp(.glb), child process included: %.2f s" % (time.perf_counter() - start)


CHECKS = {glb_matches: "valid header, the scene's vertex and target counts",
          fbx_matches: "parses, one blend-shape channel and one shape per target"}


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--read-back", action="store_true",
                    help="also time read_scene_assimp on the written .glb")
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    from microexpr.formats.gltf_export import write_gltf

    verdict = Verdict(args.smoke)
    if args.smoke:
        args.repeats, args.read_back = 1, True
    t0 = time.perf_counter()
    scene = build_scene(20, 13, 5, 1.0) if args.smoke else build_scene()
    build = time.perf_counter() - t0
    sm = scene.meshes[0]
    moved = sum(len(c.full.indices) for c in sm.channels)
    print("scene: %d vertices, %d quads, %d targets (%d moved vertices in all), clip %d x %d "
          "(built in %.2f s)" % (sm.mesh.vertex_count, len(sm.mesh.face_counts), len(sm.channels),
                                 moved, *scene.animation.weights.shape, build))
    rows = []
    notes = []
    with tempfile.TemporaryDirectory() as folder:
        jobs = [("numpy.savez (baseline)", savez_baseline, "baseline.npz", None),
                ("write_gltf .glb", write_gltf, "face.glb", glb_matches)]
        fbx, why = _fbx_writer()
        if fbx is not None:
            jobs.append(("write_fbx .fbx", fbx, "face.fbx", fbx_matches))
        else:
            notes.append("write_fbx " + why)
        checks = []
        for label, fn, name, check in jobs:
            path = os.path.join(folder, name)
            secs = _time(fn, scene, path, args.repeats)
            rows.append((label, secs, os.path.getsize(path), check is None))
            if check is not None:
                checks.append((label + ": " + CHECKS[check], check(path, scene)))
        if args.read_back:
            notes.append(read_back(os.path.join(folder, "face.glb")))
    base_s, base_b = rows[0][1], rows[0][2]
    print()
    print("%-24s %9s %10s %9s %9s" % ("format", "seconds", "MB", "x time", "x size"))
    print("-" * 65)
    for label, secs, size, _ in rows:
        print("%-24s %9.3f %10.2f %9s %9s" % (label, secs, size / 1e6, times(secs, base_s),
                                              "%.2fx" % (size / base_b)))
    for note in notes:
        print("note:", note)
    for label, secs, _, is_base in rows:
        if not is_base:
            verdict.goal("%s under %.0f s" % (label, GOAL_SECONDS), secs < GOAL_SECONDS)
    for text, ok in checks:
        verdict.check(text, ok)
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
