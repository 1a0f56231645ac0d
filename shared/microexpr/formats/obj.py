"""Wavefront OBJ: neutral and target meshes in, meshes out. Vertex order is kept as written.

Hand-written because the readers in reach (assimp, trimesh-like loaders) weld or split
vertices, which would break the vertex correspondence between a neutral and its targets.
"""
from __future__ import annotations

import os
from typing import List, Optional

import numpy as np

from microexpr.atomicio import atomic_open
from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh


def read_obj(path: str, name: Optional[str] = None) -> Mesh:
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


def write_obj(path: str, mesh: Mesh, points: Optional[np.ndarray] = None) -> None:
    """Write ``mesh`` (optionally with other ``points``) atomically."""
    p = mesh.points if points is None else np.asarray(points, dtype=np.float64)
    with atomic_open(path, "w") as f:
        f.write("# written by MicroExpr; units: rig units (cm by default), Y up\n")
        f.write("o %s\n" % mesh.name)
        f.writelines("v %.9g %.9g %.9g\n" % tuple(v) for v in p)
        if mesh.uvs is not None:
            f.writelines("vt %.9g %.9g\n" % tuple(t) for t in mesh.uvs)
        for poly in mesh.polygons():
            if mesh.uvs is not None:
                f.write("f " + " ".join("%d/%d" % (i + 1, i + 1) for i in poly) + "\n")
            else:
                f.write("f " + " ".join(str(i + 1) for i in poly) + "\n")
