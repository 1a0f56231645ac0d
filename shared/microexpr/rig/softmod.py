"""Soft-mod manipulators: a key point bound to a landmark vertex moves its neighbourhood.

A vertex at falloff weight ``w`` moves by ``w * (T(p) - p)`` where ``T`` scales and rotates
about the key point's centre and then translates: ``T(p) = c + R S (p - c) + t``. Rotations
are Euler degrees in Maya's default xyz order (X first). Several soft-mods on one target add
their offsets, each computed on the neutral points.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np

from microexpr.rig import falloff as _falloff


@dataclass
class SoftMod:
    """One key point: where it is bound, how far it reaches, and how its handle moved."""

    key_name: str
    landmark: int
    vertex: int
    radius: float
    curve: str = "smooth"
    mode: str = "surface"
    inner_radius: float = 0.0
    translate: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    rotate: Tuple[float, float, float] = (0.0, 0.0, 0.0)
    scale: Tuple[float, float, float] = (1.0, 1.0, 1.0)
    center: Optional[Tuple[float, float, float]] = None

    def to_dict(self) -> dict:
        d = asdict(self)
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in d.items()}


def rotation_matrix(degrees: Sequence[float]) -> np.ndarray:
    """Euler xyz rotation (X applied first) as a 3x3 matrix acting on column vectors."""
    rx, ry, rz = np.radians(np.asarray(degrees, dtype=np.float64))
    cx, sx, cy, sy, cz, sz = np.cos(rx), np.sin(rx), np.cos(ry), np.sin(ry), np.cos(rz), np.sin(rz)
    mx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    my = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    mz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return mz @ my @ mx


def softmod_weights(points: np.ndarray, triangles: Optional[np.ndarray], sm: SoftMod,
                    graph: Optional[_falloff.EdgeGraph] = None) -> np.ndarray:
    """Falloff weight of every vertex for soft-mod ``sm`` (N,)."""
    pts = np.asarray(points, dtype=np.float64)
    center = None if sm.center is None else np.asarray(sm.center, dtype=np.float64)
    d = _falloff.distances(pts, triangles, sm.vertex, sm.mode, limit=sm.radius, graph=graph,
                           center=center)
    return _falloff.falloff(d, sm.radius, sm.curve, sm.inner_radius)


def handle_offsets(points: np.ndarray, sm: SoftMod, center: Optional[np.ndarray] = None
                   ) -> np.ndarray:
    """``T(p) - p`` for every point: the offset at full weight. ``center`` defaults to the
    soft-mod's centre, or the position of its vertex in ``points``."""
    pts = np.asarray(points, dtype=np.float64)
    if center is not None:
        c = np.asarray(center, dtype=np.float64)
    else:
        c = pts[sm.vertex] if sm.center is None else np.asarray(sm.center, dtype=np.float64)
    m = rotation_matrix(sm.rotate) @ np.diag(np.asarray(sm.scale, dtype=np.float64))
    rel = pts - c
    return rel @ m.T + c + np.asarray(sm.translate, dtype=np.float64) - pts


def softmod_deltas(points: np.ndarray, triangles: Optional[np.ndarray],
                   softmods: Iterable[SoftMod],
                   graph: Optional[_falloff.EdgeGraph] = None) -> np.ndarray:
    """Summed offsets of several soft-mods on the neutral ``points`` (N, 3)."""
    pts = np.asarray(points, dtype=np.float64)
    softmods = list(softmods)
    if graph is None and triangles is not None and any(s.mode == "surface" for s in softmods):
        graph = _falloff.edge_graph(pts, triangles)
    out = np.zeros_like(pts)
    for sm in softmods:
        w = softmod_weights(pts, triangles, sm, graph=graph)
        moving = np.nonzero(w)[0]
        if len(moving):
            c = pts[sm.vertex] if sm.center is None else np.asarray(sm.center, dtype=np.float64)
            out[moving] += w[moving, None] * handle_offsets(pts[moving], sm, center=c)
    return out
