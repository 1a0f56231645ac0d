"""Soft-mod falloff: how strongly a key point moves a vertex at a given distance.

``x = clip((d - inner_radius) / (radius - inner_radius), 0, 1)`` and the curve maps x to a
weight that is 1 at the key point (and inside ``inner_radius``) and 0 at ``radius``:

- ``linear``:   1 - x
- ``smooth``:   1 - (3x^2 - 2x^3)           (smoothstep, zero slope at both ends)
- ``gaussian``: (exp(-4x^2) - exp(-4)) / (1 - exp(-4))
- ``constant``: 1 inside the radius

Distances are either straight-line (``volume``, Maya's volume falloff) or along the surface
(``surface``: shortest paths over mesh edges, so the upper lip is far from the lower lip even
though they touch, as Maya's surface falloff follows surface contours).

numpy and the standard library only (Dijkstra with :mod:`heapq`): the Maya deformer evaluates
this module, and Maya need not have scipy.
"""
from __future__ import annotations

import heapq
from typing import Optional

import numpy as np

CURVES = ("linear", "smooth", "gaussian", "constant")
MODES = ("surface", "volume")
_G = float(np.exp(-4.0))


def falloff(d, radius: float, curve: str = "smooth", inner_radius: float = 0.0) -> np.ndarray:
    """Weights in [0, 1] for distances ``d`` (any shape; ``inf`` gives 0)."""
    if curve not in CURVES:
        raise ValueError("unknown falloff curve %r; use one of %s" % (curve, ", ".join(CURVES)))
    if not radius > 0:
        raise ValueError("falloff radius must be > 0, got %r" % (radius,))
    inner = min(max(float(inner_radius), 0.0), float(radius))
    d = np.asarray(d, dtype=np.float64)
    span = float(radius) - inner
    if span <= 0:
        x = np.where(d <= radius, 0.0, 1.0)
    else:
        x = np.clip((d - inner) / span, 0.0, 1.0)
    if curve == "linear":
        w = 1.0 - x
    elif curve == "smooth":
        w = 1.0 - x * x * (3.0 - 2.0 * x)
    elif curve == "gaussian":
        w = (np.exp(-4.0 * x * x) - _G) / (1.0 - _G)
    else:
        w = np.where(x < 1.0, 1.0, 0.0)
    w = np.where(np.isfinite(d) & (d <= radius), w, 0.0)
    return np.clip(w, 0.0, 1.0)


class EdgeGraph:
    """Mesh edges as a symmetric adjacency list (CSR arrays) weighted by edge length.

    ``neighbours(v)`` are ``indices[indptr[v]:indptr[v + 1]]`` at ``lengths[...]``; Python
    lists of the same arrays are kept for the shortest-path walk.
    """

    def __init__(self, vertex_count: int, indptr: np.ndarray, indices: np.ndarray,
                 lengths: np.ndarray) -> None:
        self.vertex_count = int(vertex_count)
        self.indptr, self.indices, self.lengths = indptr, indices, lengths
        self._lists = (indptr.tolist(), indices.tolist(), lengths.tolist())

    @property
    def edge_count(self) -> int:
        """Undirected edges (each is stored twice, once per end)."""
        return len(self.indices) // 2


def edge_graph(points: np.ndarray, triangles: np.ndarray) -> EdgeGraph:
    """The mesh's edges weighted by their length (numpy only)."""
    points = np.asarray(points, dtype=np.float64)
    t = np.asarray(triangles, dtype=np.int64).reshape(-1, 3)
    e = np.concatenate([t[:, [0, 1]], t[:, [1, 2]], t[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    e = e[e[:, 0] != e[:, 1]]  # a degenerate triangle's zero edge joins nothing
    length = np.linalg.norm(points[e[:, 0]] - points[e[:, 1]], axis=1)
    src = np.concatenate([e[:, 0], e[:, 1]])
    dst = np.concatenate([e[:, 1], e[:, 0]])
    both = np.concatenate([length, length])
    order = np.lexsort((dst, src))
    n = len(points)
    indptr = np.zeros(n + 1, dtype=np.int64)
    np.cumsum(np.bincount(src, minlength=n), out=indptr[1:])
    return EdgeGraph(n, indptr, dst[order], both[order])


def shortest_paths(graph: EdgeGraph, source: int, limit: float = np.inf) -> np.ndarray:
    """Length of the shortest edge path from ``source`` to every vertex (Dijkstra).

    Vertices farther than ``limit`` (or unreachable) get ``inf``.
    """
    if not 0 <= source < graph.vertex_count:
        raise ValueError("key vertex %d is not on the mesh (it has %d vertices)"
                         % (source, graph.vertex_count))
    indptr, indices, lengths = graph._lists
    inf = float("inf")
    limit = float(limit)
    dist = [inf] * graph.vertex_count
    dist[source] = 0.0
    done = bytearray(graph.vertex_count)
    heap = [(0.0, source)]
    while heap:
        d, u = heapq.heappop(heap)
        if done[u]:
            continue
        done[u] = 1
        for k in range(indptr[u], indptr[u + 1]):
            v = indices[k]
            nd = d + lengths[k]
            if nd < dist[v] and nd <= limit:
                dist[v] = nd
                heapq.heappush(heap, (nd, v))
    return np.array(dist, dtype=np.float64)


def distances(points: np.ndarray, triangles: Optional[np.ndarray], source: int,
              mode: str = "surface", limit: float = np.inf, graph: Optional[EdgeGraph] = None,
              center: Optional[np.ndarray] = None) -> np.ndarray:
    """Distance of every vertex from the key point (vertex ``source``, or ``center``).

    ``surface`` mode walks mesh edges from ``source``; ``volume`` measures straight lines from
    ``center`` (default: the source vertex). Vertices beyond ``limit`` get ``inf``.
    """
    points = np.asarray(points, dtype=np.float64)
    if mode == "volume":
        c = points[source] if center is None else np.asarray(center, dtype=np.float64)
        d = np.linalg.norm(points - c, axis=1)
        return np.where(d <= limit, d, np.inf)
    if mode != "surface":
        raise ValueError("unknown falloff mode %r; use surface or volume" % (mode,))
    if graph is None:
        if triangles is None:
            raise ValueError("surface falloff needs the mesh triangles")
        graph = edge_graph(points, triangles)
    return shortest_paths(graph, int(source), limit)
