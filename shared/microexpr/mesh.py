"""Polygon meshes as the core sees them: points, polygons, optional UVs and normals.

Polygons are stored the way Maya and FBX store them: ``face_counts`` (vertices per polygon)
and ``face_indices`` (all polygon vertex indices, flattened). Lengths are in the rig's unit.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Optional

import numpy as np


@dataclass
class Mesh:
    """A polygon mesh. ``points`` is (N, 3) float64; ``uvs`` and ``normals`` are per vertex."""

    name: str
    points: np.ndarray
    face_counts: np.ndarray
    face_indices: np.ndarray
    uvs: Optional[np.ndarray] = None
    normals: Optional[np.ndarray] = None
    extras: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.points = np.ascontiguousarray(self.points, dtype=np.float64).reshape(-1, 3)
        self.face_counts = np.asarray(self.face_counts, dtype=np.int64).reshape(-1)
        self.face_indices = np.asarray(self.face_indices, dtype=np.int64).reshape(-1)
        if self.uvs is not None:
            self.uvs = np.asarray(self.uvs, dtype=np.float64).reshape(-1, 2)
        if self.normals is not None:
            self.normals = np.asarray(self.normals, dtype=np.float64).reshape(-1, 3)

    @classmethod
    def from_triangles(cls, name: str, points: np.ndarray, triangles: np.ndarray, **kw) -> "Mesh":
        tri = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
        return cls(name, points, np.full(len(tri), 3), tri.reshape(-1), **kw)

    @property
    def vertex_count(self) -> int:
        return int(self.points.shape[0])

    def polygons(self) -> list:
        """The polygons as a list of index arrays."""
        ends = np.cumsum(self.face_counts)
        return np.split(self.face_indices, ends[:-1]) if len(ends) else []

    def triangles(self) -> np.ndarray:
        """Fan-triangulated polygons, (T, 3)."""
        if len(self.face_counts) and np.all(self.face_counts == 3):
            return self.face_indices.reshape(-1, 3)
        tris = []
        for poly in self.polygons():
            for k in range(1, len(poly) - 1):
                tris.append((poly[0], poly[k], poly[k + 1]))
        return np.asarray(tris, dtype=np.int64).reshape(-1, 3)

    def vertex_normals(self) -> np.ndarray:
        """Area-weighted vertex normals of the (possibly deformed) points."""
        return vertex_normals(self.points, self.triangles())

    def fingerprint(self) -> str:
        """A hash of the topology (vertex count and polygons): a rig never fits a mesh
        whose fingerprint differs, even when the points were sculpted."""
        h = hashlib.sha256()
        h.update(np.int64(self.vertex_count).tobytes())
        h.update(self.face_counts.astype("<i8").tobytes())
        h.update(self.face_indices.astype("<i8").tobytes())
        return "topo-sha256:" + h.hexdigest()[:32]


def vertex_normals(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """Area-weighted, unit-length vertex normals; isolated vertices get (0, 0, 1)."""
    p = np.asarray(points, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64)
    fn = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]])
    n = np.zeros_like(p)
    for k in range(3):
        np.add.at(n, t[:, k], fn)
    length = np.linalg.norm(n, axis=1)
    n[length == 0] = (0.0, 0.0, 1.0)
    length[length == 0] = 1.0
    return n / length[:, None]


#: Largest coordinate a face mesh may hold; beyond it a file is corrupt (or far off in units).
MAX_COORDINATE = 1e12


def check_face_mesh(points: np.ndarray, face_counts: np.ndarray, source: str) -> None:
    """Refuse what no face mesh is: a file without polygons, NaN, infinite or absurd
    (beyond ``MAX_COORDINATE``) positions. ``source`` names the file in the error."""
    from microexpr.errors import MicroExprError

    if not len(face_counts):
        raise MicroExprError("has no faces (no 'f' lines)", file=source, field="f",
                             fix="export the mesh with its polygons, not as points")
    pts = np.asarray(points, dtype=np.float64)
    big = float(np.abs(pts).max()) if pts.size else 0.0
    if not big <= MAX_COORDINATE:
        problem = "holds %s vertex positions" % ("NaN or infinite" if not np.isfinite(big)
                                                 else "absurd (%g)" % big)
        raise MicroExprError(problem, file=source, field="v",
                             fix="clean the mesh; positions must lie within +-%g" % MAX_COORDINATE)
