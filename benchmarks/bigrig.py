"""Synthetic production-size face rigs for the benchmarks: a neutral OBJ, target OBJs, the 68
landmark vertices and a layout JSON naming the in-betweens and correctives.

The head is a latitude-longitude sphere (Y up, the face towards +Z, centimetres) stretched
into a head, open at the neck, with a face sculpted on its front (nose, eye sockets, brow
ridge, lips, chin). The 68 landmark vertices are the front vertices nearest to the default
face's iBUG-68 positions. The files are written the way Maya exports them: ``v``, ``vt``
(with a UV seam down the back of the head), ``vn`` and ``f v/vt/vn`` quads, with groups,
materials and smoothing groups; every target repeats the neutral's UVs, normals and faces.

Targets are smooth local bumps around landmark sites (Gaussian falloff, cut off at three
sigmas). A tenth of them are in-betweens (``<parent>_ib50``: half the parent plus a bulge,
so the path is not linear) and a tenth correctives (``<a>_x_<b>``: a small bump between the
two drivers' sites). ``layout.json`` lists them; ``rig import`` sees every file as a target.

    from bigrig import write_rig
    layout = write_rig("/tmp/rig", vertices=26_719, targets=53)

Run: ``python benchmarks/bigrig.py OUT_DIR [--vertices 26719] [--targets 53] [--seed 1]
[--noise CM] [--normals]``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from typing import Dict, List, Optional, Tuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from microexpr.landmarks import NAMES, write_landmark_vertices  # noqa: E402
from microexpr.mesh import vertex_normals  # noqa: E402
from microexpr.rig._face_shape import landmarks_xy  # noqa: E402

NECK = 0.8 * np.pi          # polar angle of the open neck ring
HEAD_AXES = (8.6, 12.0, 10.0)
HEAD_CENTRE = (0.0, -2.0, -7.0)


class Head:
    """The neutral head: points (V, 3), quads and top-cap triangles, UVs with a seam."""

    def __init__(self, vertices: int) -> None:
        rings, cols = _grid(vertices)
        theta = np.linspace(NECK / rings, NECK, rings)
        phi = np.linspace(0.0, 2.0 * np.pi, cols, endpoint=False) - np.pi
        th, ph = np.meshgrid(theta, phi, indexing="ij")
        d = np.column_stack([np.sin(th).ravel() * np.sin(ph).ravel(), np.cos(th).ravel(),
                             np.sin(th).ravel() * np.cos(ph).ravel()])
        d = np.vstack([[0.0, 1.0, 0.0], d])                      # the crown pole first
        pts = np.asarray(HEAD_CENTRE) + d * np.asarray(HEAD_AXES)
        front = np.clip((d[:, 2] - 0.2) / 0.5, 0.0, 1.0) ** 2
        pts[:, 2] += front * _relief(pts[:, 0], pts[:, 1])
        self.points = pts
        self.rings, self.cols = rings, cols
        self.polygons = _polygons(rings, cols)
        self.uv_points, self.uv_corners = _uvs(rings, cols, theta)
        tri = [p[[0, k, k + 1]] for p in self.polygons for k in range(1, len(p) - 1)]
        self.normals = vertex_normals(pts, np.asarray(tri))
        self.landmarks = _landmark_vertices(pts, d)
        self.front = d[:, 2] > 0.3                              # the face side of the head

    @property
    def vertex_count(self) -> int:
        return len(self.points)


def _grid(vertices: int) -> Tuple[int, int]:
    """Rings and columns with 1 + rings * cols == ``vertices`` when a divisor fits the
    sphere's aspect, else the nearest such grid."""
    n = max(vertices - 1, 12)
    r0 = max(int(round(np.sqrt(n * NECK / (2 * np.pi)))), 3)
    for r in sorted(range(max(3, int(r0 * 0.7)), int(r0 * 1.3) + 2), key=lambda r: abs(r - r0)):
        if n % r == 0:
            return r, n // r
    return r0, max(n // r0, 4)


def _relief(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Forward offset of the face on the head's front (cm), 0 away from the face."""
    def bump(cx, cy, sx, sy, amp):
        return amp * np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))

    z = bump(0.0, -1.6, 0.7, 2.0, 1.4)                                    # nose
    z += bump(-3.1, 0.0, 1.4, 1.0, -0.8) + bump(3.1, 0.0, 1.4, 1.0, -0.8)  # eye sockets
    z += bump(-2.9, 2.0, 2.0, 0.6, 0.35) + bump(2.9, 2.0, 2.0, 0.6, 0.35)  # brow ridge
    z += bump(0.0, -5.7, 1.5, 0.45, 0.45) + bump(0.0, -6.6, 1.3, 0.45, 0.45)  # lips
    z += bump(0.0, -9.3, 1.6, 1.0, 0.45)                                   # chin
    return z


def _polygons(rings: int, cols: int) -> List[np.ndarray]:
    """Crown triangles, then one quad per grid cell, row by row (outward facing)."""
    def ring(r: int, c: np.ndarray) -> np.ndarray:
        return 1 + r * cols + c % cols

    c = np.arange(cols)
    polys = [np.array([0, a, b]) for a, b in zip(ring(0, c + 1), ring(0, c))]
    for r in range(rings - 1):
        quads = np.column_stack([ring(r, c), ring(r, c + 1), ring(r + 1, c + 1), ring(r + 1, c)])
        polys += list(quads[:, ::-1])
    return polys


def _uvs(rings: int, cols: int, theta: np.ndarray) -> Tuple[np.ndarray, List[np.ndarray]]:
    """UV points (cols + 1 per ring: the seam column is doubled) and each corner's UV index."""
    u = np.linspace(0.0, 1.0, cols + 1)
    v = 1.0 - theta / NECK
    uv = np.vstack([[0.5, 1.0], np.column_stack([np.tile(u, rings), np.repeat(v, cols + 1)])])

    def ring(r: int, c: np.ndarray) -> np.ndarray:      # c may be cols: the seam's copy
        return 1 + r * (cols + 1) + c

    c = np.arange(cols)
    corners = [np.array([0, a, b]) for a, b in zip(ring(0, c + 1), ring(0, c))]
    for r in range(rings - 1):
        quads = np.column_stack([ring(r, c), ring(r, c + 1), ring(r + 1, c + 1), ring(r + 1, c)])
        corners += list(quads[:, ::-1])
    return uv, corners


def _landmark_vertices(pts: np.ndarray, d: np.ndarray) -> np.ndarray:
    """For each iBUG-68 position of the default face, the nearest unused front vertex."""
    front = np.flatnonzero(d[:, 2] > 0.3)
    taken: set = set()
    out = []
    for x, y in landmarks_xy():
        order = front[np.argsort(np.hypot(pts[front, 0] - x, pts[front, 1] - y))]
        v = next(int(i) for i in order if int(i) not in taken)
        taken.add(v)
        out.append(v)
    return np.asarray(out, dtype=np.int64)


def _bump(head: Head, centre: np.ndarray, sigma: float, offset: np.ndarray) -> np.ndarray:
    """(V, 3) offsets: ``offset`` at ``centre``, Gaussian falloff, zero beyond 3 sigma."""
    dist = np.linalg.norm(head.points - centre, axis=1)
    w = np.exp(-0.5 * (dist / sigma) ** 2)
    w[dist > 3.0 * sigma] = 0.0
    return w[:, None] * offset[None, :]


def targets(head: Head, count: int, seed: int = 1,
            noise: float = 0.0) -> Tuple[Dict[str, np.ndarray], dict]:
    """``count`` dense (V, 3) targets by name, and the layout (primaries, in-betweens,
    correctives). ``noise`` (cm, standard deviation) moves every vertex of the face side a
    little in every target, as in a scanned rig, where no vertex keeps its neutral place."""
    rng = np.random.default_rng(seed)
    extra = count // 10
    n_primary = max(count - 2 * extra, 1)
    out: Dict[str, np.ndarray] = {}
    sites = []
    for k in range(n_primary):
        lm = int(rng.integers(68))
        v = head.landmarks[lm]
        direction = head.normals[v] * rng.uniform(-1, 1) + rng.normal(size=3) * 0.6
        direction /= np.linalg.norm(direction) + 1e-12
        sigma = rng.uniform(0.8, 2.5)
        name = "p%03d_%s" % (k, NAMES[lm])
        out[name] = _bump(head, head.points[v], sigma, direction * rng.uniform(0.15, 0.8))
        sites.append((name, v, sigma))
    layout: dict = {"primaries": [s[0] for s in sites], "inbetweens": [], "correctives": []}
    for k in range(min(extra, count - len(out))):
        parent, v, sigma = sites[k % len(sites)]
        bulge = _bump(head, head.points[v], sigma * 0.7, head.normals[v] * 0.15)
        name = parent + "_ib50"
        out[name] = 0.5 * out[parent] + bulge
        layout["inbetweens"].append({"name": name, "parent": parent, "weight": 0.5})
    for k in range(count - len(out)):
        (a, va, sa), (b, vb, sb) = sites[(2 * k) % len(sites)], sites[(2 * k + 1) % len(sites)]
        centre = 0.5 * (head.points[va] + head.points[vb])
        name = "%s_x_%s" % (a[:4], b[:4])
        name += "_%d" % k if name in out else ""
        out[name] = _bump(head, centre, 0.5 * (sa + sb), head.normals[va] * -0.2)
        layout["correctives"].append({"name": name, "drivers": [a, b]})
    if noise > 0:
        for deltas in out.values():
            deltas[head.front] += rng.normal(scale=noise, size=(int(head.front.sum()), 3))
    return out, layout


class ObjWriter:
    """Writes the head (neutral or a target) as a Maya-style OBJ; the blocks shared by every
    file (UVs, normals, faces) are formatted once, and a target reformats only the vertices
    it moves."""

    def __init__(self, head: Head, normals: bool = False) -> None:
        self.head = head
        self.v_lines = ["v %.6f %.6f %.6f\n" % tuple(p) for p in head.points]
        vt = "".join("vt %.6f %.6f\n" % tuple(t) for t in head.uv_points)
        vn = "".join("vn %.6f %.6f %.6f\n" % tuple(n) for n in head.normals) if normals else ""
        corner = "%d/%d/%d" if normals else "%d/%d"
        faces = ["s 1\nusemtl skin\n"]
        for poly, uvs in zip(head.polygons, head.uv_corners):
            fields = [(p + 1, t + 1, p + 1)[:3 if normals else 2] for p, t in zip(poly, uvs)]
            faces.append("f " + " ".join(corner % f for f in fields) + "\n")
        self.tail = (vt + vn + "g head\n" + "".join(faces)).encode("ascii")

    def write(self, path: str, name: str, deltas: Optional[np.ndarray] = None) -> None:
        lines = self.v_lines
        if deltas is not None:
            lines = list(lines)
            pts = self.head.points + deltas
            for i in np.flatnonzero(np.any(deltas != 0.0, axis=1)):
                lines[i] = "v %.6f %.6f %.6f\n" % tuple(pts[i])
        head = ("# synthetic head %s, %d vertices (benchmarks/bigrig.py)\nmtllib head.mtl\n"
                "o %s\n" % (name, self.head.vertex_count, name))
        with open(path, "wb") as f:
            f.write(head.encode("ascii"))
            f.write("".join(lines).encode("ascii"))
            f.write(self.tail)


def write_rig(folder: str, vertices: int = 26_719, targets_count: int = 53, seed: int = 1,
              noise: float = 0.0, normals: bool = False) -> dict:
    """Write ``neutral.obj``, ``targets/*.obj``, ``landmarks.txt`` and ``layout.json`` into
    ``folder``; returns the layout (paths, counts and the target roles)."""
    head = Head(vertices)
    shapes, layout = targets(head, targets_count, seed, noise)
    tdir = os.path.join(folder, "targets")
    os.makedirs(tdir, exist_ok=True)
    writer = ObjWriter(head, normals)
    writer.write(os.path.join(folder, "neutral.obj"), "neutral")
    for name, deltas in shapes.items():
        writer.write(os.path.join(tdir, name + ".obj"), name, deltas)
    write_landmark_vertices(os.path.join(folder, "landmarks.txt"), head.landmarks)
    layout = dict(generator="benchmarks/bigrig.py", seed=seed, noise=noise, normals=normals,
                  vertices=head.vertex_count, polygons=len(head.polygons),
                  targets=len(shapes), neutral="neutral.obj",
                  targets_dir="targets", landmark_vertices="landmarks.txt", **layout)
    with open(os.path.join(folder, "layout.json"), "w") as f:
        json.dump(layout, f, indent=1)
    return layout


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", help="folder to write (created)")
    ap.add_argument("--vertices", type=int, default=26_719, help="head vertices (default 26719)")
    ap.add_argument("--targets", type=int, default=53, help="target files (default 53)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--noise", type=float, default=0.0,
                    help="scan noise on the face side of every target, cm (default 0)")
    ap.add_argument("--normals", action="store_true", help="also write vn lines (v/vt/vn corners)")
    args = ap.parse_args(argv)
    if args.vertices < 500 or args.targets < 1:
        ap.error("need at least 500 vertices and 1 target")
    layout = write_rig(args.out, args.vertices, args.targets, args.seed, args.noise, args.normals)
    print("wrote %s: %d vertices, %d targets (%d in-betweens, %d correctives)"
          % (args.out, layout["vertices"], layout["targets"], len(layout["inbetweens"]),
             len(layout["correctives"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
