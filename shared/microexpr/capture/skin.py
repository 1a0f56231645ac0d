"""Which rendered surface is skin, and the skin point a landmark found on a render binds to.

A render (``microexpr.rig.render``) says which triangle lies under each pixel. This module
decides which of those pixels are *skin* and moves landmark pixels onto it:

- Skin is the skin mesh's main shell: connected parts smaller than ``PART_SHARE`` of the
  largest (eyeballs, teeth, a tongue, scan crumbs) are not skin, nor is any other mesh
  drawn with it, nor a back face (the inside of a shell seen through a hole). Vertices that
  share a position are welded first, so UV seams do not cut the shell apart.
- A landmark over a hole or a non-skin part (an eye opening, parted lips) goes to the
  nearest skin pixel of the picture: the margin around the hole, never what lies behind.
- An eye or mouth opening, where the mesh has one, fixes the corners and margins of the
  landmarks drawn around it (:func:`fit_opening`).
- A jaw-line landmark goes to the face's silhouette when one is near (:func:`to_contour`):
  to a visible vertex of the mesh's occluding contour (the vertices between triangles
  facing the camera and triangles facing away), so its depth is that of the silhouette,
  not of the surface just in front of it (on a scan's cheek, a vertex whose normal merely
  leans away sits up to a fifth of the eye-corner distance in front of the silhouette).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from microexpr.mesh import Mesh, vertex_normals

#: A connected part of the skin mesh with fewer vertices than this share of the largest
#: part's is not skin (an eyeball, teeth).
PART_SHARE = 0.15
#: A skin vertex whose surface turns this far from the camera (the z of its unit normal in
#: camera space is below it) is on the silhouette.
CONTOUR_NZ = 0.3


@dataclass
class Skin:
    """The meshes drawn for binding. ``points``/``triangles``: the skin mesh's, then the
    other meshes'; the first ``vertex_count`` points are the skin mesh's own.
    ``skin_triangle`` and ``skin_vertex`` mark the skin; ``flipped``: the skin mesh's
    polygons faced inward and were turned; ``size``: the skin's bounding-box diagonal;
    ``edge``: its median edge length; ``parts``: connected parts counted as skin."""

    points: np.ndarray
    triangles: np.ndarray
    vertex_count: int
    skin_triangle: np.ndarray
    skin_vertex: np.ndarray
    normals: np.ndarray
    flipped: bool
    size: float
    edge: float
    parts: int


def welded_parts(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    """A connected-part label per point; points at the same place count as one."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    p = np.asarray(points, dtype=np.float64)
    span = float(np.ptp(p, axis=0).max()) if len(p) else 1.0
    key = np.round(p / max(span * 1e-7, 1e-12)).astype(np.int64)
    _, weld = np.unique(key, axis=0, return_inverse=True)
    weld = weld.reshape(-1)
    t = weld[np.asarray(triangles, dtype=np.int64)]
    rows = np.concatenate([t[:, 0], t[:, 1], t[:, 2]])
    cols = np.concatenate([t[:, 1], t[:, 2], t[:, 0]])
    n = int(weld.max()) + 1 if len(weld) else 0
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(n, n))
    _, label = connected_components(graph, directed=False)
    return label[weld]


def _faces_outward(points: np.ndarray, triangles: np.ndarray) -> bool:
    """True when the triangles (counter-clockwise seen from outside) face away from the
    points' centre on the whole: a head, or a face mask curving around its centre."""
    p = points[triangles]
    n = np.cross(p[:, 1] - p[:, 0], p[:, 2] - p[:, 0])
    return float(np.einsum("ij,ij->", n, p.mean(axis=1) - points.mean(axis=0))) >= 0.0


def prepare(mesh: Mesh, others: Sequence[Mesh] = ()) -> Skin:
    """The skin of ``mesh`` drawn together with ``others`` (eyes, teeth: never skin)."""
    tri = mesh.triangles()
    label = welded_parts(mesh.points, tri)
    count = np.bincount(label)
    keep = count >= PART_SHARE * count.max()
    skin_vertex = keep[label]
    skin_tri = skin_vertex[tri].all(axis=1)
    flipped = not _faces_outward(mesh.points, tri[skin_tri]) if skin_tri.any() else False
    if flipped:
        tri = tri[:, ::-1]
    pts, tris, n = [mesh.points], [tri], mesh.vertex_count
    for other in others:
        pts.append(other.points)
        tris.append(other.triangles() + n)
        n += other.vertex_count
    points = np.concatenate(pts)
    triangles = np.concatenate(tris).astype(np.int64)
    skin_v = np.zeros(len(points), dtype=bool)
    skin_v[:mesh.vertex_count] = skin_vertex
    skin_t = np.zeros(len(triangles), dtype=bool)
    skin_t[:len(tri)] = skin_tri
    lo, hi = mesh.points[skin_vertex].min(axis=0), mesh.points[skin_vertex].max(axis=0)
    st = tri[skin_tri]
    edges = np.linalg.norm(mesh.points[st] - mesh.points[np.roll(st, 1, axis=1)], axis=2)
    return Skin(points, triangles, mesh.vertex_count, skin_t, skin_v,
                vertex_normals(points, triangles), flipped, float(np.linalg.norm(hi - lo)),
                float(np.median(edges)) if edges.size else 0.0, int(keep.sum()))


def skin_pixels(frame, skin: Skin) -> np.ndarray:
    """(H, W) bool: pixels showing the front of a skin triangle."""
    tri = frame.triangle
    out = np.zeros(tri.shape, dtype=bool)
    hit = tri >= 0
    out[hit] = skin.skin_triangle[tri[hit]] & frame.front[hit]
    return out


def nearest_skin(mask: np.ndarray) -> np.ndarray:
    """(2, H, W): for every pixel, the row and column of the nearest skin pixel."""
    from scipy.ndimage import distance_transform_edt

    if not mask.any():
        rows, cols = np.indices(mask.shape)
        return np.stack([rows, cols])
    return distance_transform_edt(~mask, return_distances=False, return_indices=True)


def to_skin(frame, skin: Skin, xy, mask: np.ndarray, nearest: Optional[np.ndarray] = None
            ) -> Tuple[np.ndarray, np.ndarray]:
    """World points (K, 3) on the skin under pixels ``xy`` (K, 2), and how far (pixels)
    each had to move to reach skin (0 when it was on skin already)."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    ix, iy = frame.pixel_index(xy)
    on = mask[iy, ix]
    out_xy = xy.copy()
    moved = np.zeros(len(xy))
    if not on.all():
        near = nearest_skin(mask) if nearest is None else nearest
        r, c = near[0][iy[~on], ix[~on]], near[1][iy[~on], ix[~on]]
        target = np.column_stack([c + 0.5, r + 0.5])
        moved[~on] = np.linalg.norm(target - xy[~on], axis=1)
        out_xy[~on] = target
    pts, _ = frame.surface(skin.points, skin.triangles, out_xy)
    return pts, moved


def visible_vertices(frame, skin: Skin, tolerance: float) -> Tuple[np.ndarray, np.ndarray]:
    """Indices of the skin vertices the frame shows (none nearer hides them by more than
    ``tolerance``, world units) and their pixels (K, 2)."""
    xy, depth = frame.view.to_pixels(skin.points)
    ix, iy = frame.pixel_index(xy)
    h, w = frame.triangle.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    seen = inside & skin.skin_vertex & (depth <= frame.depth[iy, ix] + tolerance)
    idx = np.flatnonzero(seen)
    return idx, xy[idx]


def contour_vertices(frame, skin: Skin, tolerance: float) -> Tuple[np.ndarray, np.ndarray]:
    """The visible skin vertices on the silhouette and their pixels: vertices of the
    occluding contour (they touch a skin triangle facing the camera and one facing away)
    whose surface turns away (the z of the unit normal in camera space is below
    ``CONTOUR_NZ``: a scan's crumpled triangles on the front of the face are no
    silhouette). The edge of an open mesh is not a silhouette unless the surface turns
    there."""
    idx, xy = visible_vertices(frame, skin, tolerance)
    t = skin.triangles[skin.skin_triangle]
    p = skin.points
    facing = np.cross(p[t[:, 1]] - p[t[:, 0]], p[t[:, 2]] - p[t[:, 0]]) @ frame.view.rotation[2]
    towards = np.zeros(len(p), dtype=bool)
    away = np.zeros(len(p), dtype=bool)
    towards[t[facing > 0].ravel()] = True
    away[t[facing <= 0].ravel()] = True
    keep = (towards & away)[idx] & (skin.normals[idx] @ frame.view.rotation[2] < CONTOUR_NZ)
    return idx[keep], xy[keep]


def to_contour(xy, centre, contour_xy: np.ndarray, radius: float) -> np.ndarray:
    """For jaw-line pixels ``xy`` (K, 2): the nearest silhouette point (a row of
    ``contour_xy``) within ``radius`` pixels, not toward the face ``centre``; -1 for none."""
    xy = np.asarray(xy, dtype=np.float64).reshape(-1, 2)
    out = np.full(len(xy), -1, dtype=np.int64)
    if not len(contour_xy):
        return out
    for k, p in enumerate(xy):
        away = p - np.asarray(centre, dtype=np.float64)
        away /= max(np.linalg.norm(away), 1e-9)
        rel = contour_xy - p
        dist = np.linalg.norm(rel, axis=1)
        ok = (dist <= radius) & (rel @ away >= -0.3 * radius)
        if ok.any():
            out[k] = int(np.flatnonzero(ok)[np.argmin(dist[ok])])
    return out


def fit_opening(xy, ring: Sequence[int], upper: Sequence[int], lower: Sequence[int],
                mask: np.ndarray, search: Optional[np.ndarray] = None):
    """Fit landmarks drawn around an eye or mouth opening to the opening itself.

    ``ring`` = (corner A, ..., corner B): its first and last points are the corners;
    ``upper``/``lower`` the margin points. The opening is the enclosed non-skin region
    (a hole, an eyeball, the dark between parted lips) around the ring's points (or around
    ``search`` (M, 2) pixels when given). Returns the moved (K, 2) copy of ``xy``, or None
    when there is no such opening or it does not match the landmarks (size, place)."""
    from scipy.ndimage import label as label_regions

    xy = np.asarray(xy, dtype=np.float64)
    a, b = xy[ring[0]], xy[ring[-1]]
    span = float(np.linalg.norm(b - a))
    if span < 4.0:
        return None
    area = np.vstack([xy[list(ring)], search]) if search is not None else xy[list(ring)]
    h, w = mask.shape
    pad = 0.45 * span
    x0, y0 = (np.floor(area.min(axis=0) - pad)).astype(int)
    x1, y1 = (np.ceil(area.max(axis=0) + pad)).astype(int)
    if x0 < 0 or y0 < 0 or x1 >= w or y1 >= h:
        return None
    regions, count = label_regions(~mask[y0:y1, x0:x1])
    if not count:
        return None
    border = np.unique(np.concatenate([regions[0], regions[-1], regions[:, 0], regions[:, -1]]))
    u = (b - a) / span
    n = np.array([-u[1], u[0]])              # points down the picture for a level ring
    mid = (a + b) / 2.0
    best, best_score = None, 0.0
    for r in range(1, count + 1):
        if r in border:
            continue
        rows, cols = np.nonzero(regions == r)
        p = np.column_stack([cols + x0 + 0.5, rows + y0 + 0.5])
        t = (p - mid) @ u
        s = (p - mid) @ n
        length = float(t.max() - t.min()) + 1.0
        central = abs(float(np.median(s))) < 0.35 * span and abs(float(np.median(t))) < 0.4 * span
        if central and 0.5 * span <= length <= 2.2 * span and length > best_score:
            best, best_score = (p, t, s), length
    if best is None:
        return None
    p, t, s = best
    out = xy.copy()
    t0, t1 = float(t.min()), float(t.max())
    out[ring[0]] = p[t <= t0 + 1.0].mean(axis=0)      # the tip's pixels, not one of them
    out[ring[-1]] = p[t >= t1 - 1.0].mean(axis=0)
    for points, side in ((upper, -1.0), (lower, 1.0)):
        for k in points:
            frac = float((xy[k] - a) @ u) / span
            tk = t0 + np.clip(frac, 0.05, 0.95) * (t1 - t0)
            near = np.abs(t - tk) <= 1.0
            if not near.any():
                near = np.abs(t - tk) <= np.abs(t - tk).min() + 0.5
            edge = s[near].min() if side < 0 else s[near].max()
            out[k] = mid + tk * u + (edge + 0.5 * side) * n
    return out
