"""The embedded default face: a skin mesh with split eyelids and lips, plus two eyeballs.

Generated here, deterministically, with no downloaded files. Units are centimetres, Maya
axes (Y up, the face looks toward +Z, the subject's left is +X). Landmarks follow the
iBUG-68 layout, 0-based, "right" meaning the subject's right (-X).

The skin is a Delaunay triangulation of a hex grid in the front (x, y) projection, with
the eye openings and the mouth slit cut out as holes, lifted to 3-D by a sculpted height
field, so it never folds.
"""
from __future__ import annotations

import copy
import functools
from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import numpy as np
from scipy.spatial import Delaunay, cKDTree

from microexpr.mesh import Mesh, vertex_normals
from microexpr.rig import _face_shape as shape

DEFAULT_RESOLUTION = 0.2
# (corner A, landmarks along the upper margin..., corner B) and the same for the lower one,
# both running from A to B with increasing x; A and B are shared by both margins.
_HOLES = (
    ("lid_R", (36, 37, 38, 39), (36, 41, 40, 39)),
    ("lid_L", (42, 43, 44, 45), (42, 47, 46, 45)),
    ("lip", (60, 61, 62, 63, 64), (60, 67, 66, 65, 64)),
)
RIGID_FOREHEAD_Y = 4.0


@dataclass
class DefaultFace:
    """The default face.

    ``skin`` ("face_skin") is a triangle mesh with planar (x, y) UVs in [0, 1];
    ``eyes`` ("face_eyes") holds both eyeballs; ``landmark_vertices[i]`` is the skin vertex
    of iBUG-68 landmark i. ``regions`` maps names to boolean masks over skin vertices:
    the margin rows "upper_lid_R", "lower_lid_R", "upper_lid_L", "lower_lid_L",
    "upper_lip", "lower_lip" (corners in both rows of their opening), "jaw" (below the
    mouth line) and "rigid" (upper forehead, nose bridge, temples).
    """

    skin: Mesh
    eyes: Mesh
    landmark_vertices: np.ndarray
    regions: Dict[str, np.ndarray] = field(default_factory=dict)


def default_face(resolution: float = DEFAULT_RESOLUTION) -> DefaultFace:
    """The default face with skin edges about `resolution` cm long (0.2 gives > 5000
    vertices). Results are cached; every call returns fresh copies."""
    resolution = float(resolution)
    if not 0.05 <= resolution <= 0.5:
        raise ValueError(f"resolution must be between 0.05 and 0.5 cm, got {resolution!r}")
    return copy.deepcopy(_cached_face(resolution))


@functools.lru_cache(maxsize=4)
def _cached_face(resolution: float) -> DefaultFace:
    return _build(resolution)


# --- 2-D layout -----------------------------------------------------------------------
def _breakpoint_samples(breaks: np.ndarray, step: float) -> Tuple[np.ndarray, List[int]]:
    """Samples from breaks[0] to breaks[-1] at most `step` apart that hit every break;
    also returns the sample index of each break."""
    parts, where = [np.array([breaks[0]])], [0]
    for a, b in zip(breaks[:-1], breaks[1:]):
        n = max(int(np.ceil(abs(b - a) / step)), 2)
        parts.append(np.linspace(a, b, n + 1)[1:])
        where.append(where[-1] + n)
    return np.concatenate(parts), where


def _hole_curves(step: float) -> List[Tuple[np.ndarray, np.ndarray, List[int]]]:
    """For each hole in _HOLES: upper xy, lower xy (both corner A -> corner B) and the
    sample indices of the landmarks."""
    out = []
    for side in (-1, 1):
        span = shape.EYE_OUTER_X - shape.EYE_INNER_X
        t, where = _breakpoint_samples(np.array([0.0, 1 / 3, 2 / 3, 1.0]), step / span)
        x, yu, yl = shape.eye_margins(side, t)
        out.append((np.c_[x, yu], np.c_[x, yl], where))
    w, m = shape.MOUTH_HALF, shape.MOUTH_INNER_X
    x, where = _breakpoint_samples(np.array([-w, -m, 0.0, m, w]), step)
    yu, yl = shape.mouth_margins(x)
    out.append((np.c_[x, yu], np.c_[x, yl], where))
    return out


def _mouth_band(slit_x: np.ndarray, step: float, rows: int = 2) -> np.ndarray:
    """Rows of points parallel to the lips above and below the slit, continued straight
    past the corners along the mouth line, odd rows staggered by half a step. Around the
    corners this keeps every edge between the lips and the jaw running so that dropping the
    jaw (and lower lip) cannot flip a triangle."""
    w, o = shape.MOUTH_HALF, shape.MOUTH_OUTER_X
    ext, _ = _breakpoint_samples(np.array([w, o, o + (o - w)]), step)
    ext = np.concatenate([-ext[::-1], ext])            # corners and past them
    pts = [np.c_[ext, np.full(len(ext), shape.MOUTH_Y)][np.abs(ext) > w]]
    for j in range(1, rows + 1):
        xs = 0.5 * (slit_x[1:] + slit_x[:-1]) if j % 2 else slit_x
        xe = 0.5 * (ext[1:] + ext[:-1]) if j % 2 else ext
        xe = xe[np.abs(xe) > w]
        yu, yl = shape.mouth_margins(xs)
        dy = j * step
        pts += [np.c_[xs, yu + dy], np.c_[xs, yl - dy],
                np.c_[xe, np.full(len(xe), shape.MOUTH_Y + dy)],
                np.c_[xe, np.full(len(xe), shape.MOUTH_Y - dy)]]
    return np.concatenate(pts)


def _hex_grid(spacing: float) -> np.ndarray:
    """Hex lattice over the outline's bounding box, symmetric about x = 0."""
    dy = spacing * np.sqrt(3.0) / 2.0
    y0 = shape.OUTLINE_CENTRE_Y - shape.OUTLINE_AY
    y1 = shape.OUTLINE_CENTRE_Y + shape.OUTLINE_AY
    rows = np.arange(np.floor(y0 / dy), np.ceil(y1 / dy) + 1).astype(np.int64)
    ni = int(np.ceil(shape.OUTLINE_AX / spacing)) + 1
    cols = np.arange(-ni, ni + 1, dtype=np.float64)
    pts = [np.c_[(cols + 0.5 * (r % 2)) * spacing, np.full(cols.shape, r * dy)] for r in rows]
    return np.concatenate(pts)


def inside_polygon(xy: np.ndarray, poly: np.ndarray) -> np.ndarray:
    """Even-odd test of points (M, 2) against a closed polygon (K, 2)."""
    x, y = xy[:, 0:1], xy[:, 1:2]
    ax, ay = poly[:, 0], poly[:, 1]
    bx, by = np.roll(ax, -1), np.roll(ay, -1)
    straddle = (ay > y) != (by > y)
    with np.errstate(divide="ignore", invalid="ignore"):
        cross_x = ax + (y - ay) * (bx - ax) / (by - ay)
    return np.count_nonzero(straddle & (x < cross_x), axis=1) % 2 == 1


# --- topology checks --------------------------------------------------------------------
def _edge_keys(tris: np.ndarray, n: int) -> np.ndarray:
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e.sort(axis=1)
    return e[:, 0] * n + e[:, 1]


def check_manifold(tris: np.ndarray, n: int) -> None:
    """Raise ValueError unless every edge is in 1 or 2 consistently oriented triangles and
    every vertex's triangles form one disc or half-disc."""
    tris = np.asarray(tris, dtype=np.int64)
    _, counts = np.unique(_edge_keys(tris, n), return_counts=True)
    if counts.max() > 2:
        raise ValueError("an edge is shared by more than two triangles")
    directed = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    keys = directed[:, 0] * n + directed[:, 1]
    if len(np.unique(keys)) != len(keys):
        raise ValueError("inconsistent triangle orientation")
    nxt: List[Dict[int, int]] = [{} for _ in range(n)]
    for a, b, c in tris.tolist():   # link of a vertex: b -> c for each triangle (v, b, c)
        nxt[a][b] = c
        nxt[b][c] = a
        nxt[c][a] = b
    for v in range(n):
        link = nxt[v]
        if not link:
            raise ValueError(f"vertex {v} is in no triangle")
        targets = set(link.values())
        starts = [a for a in link if a not in targets]
        if len(starts) > 1:
            raise ValueError(f"vertex {v}: its triangles form more than one fan")
        start = starts[0] if starts else next(iter(link))
        cur, steps = start, 0
        while cur in link and steps <= len(link):
            cur = link[cur]
            steps += 1
            if cur == start:
                break
        if steps != len(link):
            raise ValueError(f"vertex {v}: its triangles form more than one fan")


# --- build ------------------------------------------------------------------------------
def _build(spacing: float) -> DefaultFace:
    step = min(0.1, 0.5 * spacing)          # hole margins are sampled finer than the grid
    lm_xy = shape.landmarks_xy()
    pts: List[np.ndarray] = [lm_xy]
    count = 68
    margins: Dict[str, np.ndarray] = {}     # margin name -> global ids, corner A -> B
    rings: List[np.ndarray] = []
    curves = _hole_curves(step)
    for (name, up_lm, lo_lm), (up_xy, lo_xy, where) in zip(_HOLES, curves):
        for label, lms, xy in (("upper", up_lm, up_xy), ("lower", lo_lm, lo_xy)):
            ids = np.full(len(xy), -1, dtype=np.int64)
            ids[where] = lms
            free = ids < 0
            ids[free] = np.arange(count, count + free.sum())
            count += int(free.sum())
            pts.append(xy[free])
            margins[f"{label}_{name}"] = ids
        rings.append(np.concatenate([margins["upper_" + name],
                                     margins["lower_" + name][-2:0:-1]]))
    band = _mouth_band(curves[2][0][:, 0], step)
    band = band[cKDTree(lm_xy).query(band)[0] > 1e-6]     # 48 and 54 lie on the band
    pts.append(band)
    count += len(band)
    outline = shape.outline_xy(spacing)
    pts.append(outline)
    count += len(outline)
    special = np.concatenate(pts)
    grid = _hex_grid(spacing)
    keep = shape.inside_outline(grid)
    keep &= cKDTree(outline).query(grid)[0] > 0.6 * spacing
    keep &= cKDTree(special[:count - len(outline)]).query(grid)[0] > 0.6 * spacing
    for ring in rings:
        keep &= ~inside_polygon(grid, special[ring])
    xy = np.concatenate([special, grid[keep]])
    n = len(xy)

    # A fixed, tiny perturbation (1e-6 of the spacing) breaks the exact ties of cocircular
    # points (mirror-symmetric pairs, row-aligned samples) the same way on every platform.
    nudge = np.random.RandomState(68).uniform(-1.0, 1.0, xy.shape) * (1e-6 * spacing)
    tris = Delaunay(xy + nudge).simplices.astype(np.int64)
    tris = _orient_ccw(xy, tris)
    drop = np.zeros(len(tris), dtype=bool)
    centroids = xy[tris].mean(axis=1)
    for hole, ring in enumerate(rings):
        drop |= inside_polygon(centroids, xy[ring])
        name = _HOLES[hole][0]
        up = np.zeros(n, dtype=bool)
        lo = np.zeros(n, dtype=bool)
        up[margins["upper_" + name][1:-1]] = True
        lo[margins["lower_" + name][1:-1]] = True
        drop |= up[tris].any(axis=1) & lo[tris].any(axis=1)
    tris = tris[~drop]
    _check_margin_edges(tris, n, margins)

    used = np.unique(tris)
    remap = np.full(n, -1, dtype=np.int64)
    remap[used] = np.arange(len(used))
    tris, xy = remap[tris], xy[used]
    margins = {k: remap[v] for k, v in margins.items()}
    landmarks = remap[np.arange(68)]
    check_manifold(tris, len(xy))

    points = np.c_[xy, shape.skin_z(xy[:, 0], xy[:, 1])]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    uvs = (xy - lo) / float((hi - lo).max())
    skin = Mesh.from_triangles("face_skin", points, tris, uvs=uvs,
                               normals=vertex_normals(points, tris))
    return DefaultFace(skin, _eyes_mesh(), landmarks, _regions(xy, margins))


def _orient_ccw(xy: np.ndarray, tris: np.ndarray) -> np.ndarray:
    a, b, c = xy[tris[:, 0]], xy[tris[:, 1]], xy[tris[:, 2]]
    area = (b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (b[:, 1] - a[:, 1]) * (c[:, 0] - a[:, 0])
    tris = tris.copy()
    flip = area < 0
    tris[flip] = tris[flip][:, [0, 2, 1]]
    return tris


def _check_margin_edges(tris: np.ndarray, n: int, margins: Dict[str, np.ndarray]) -> None:
    """Every consecutive pair along a lid or lip margin must be a boundary edge."""
    keys, counts = np.unique(_edge_keys(tris, n), return_counts=True)
    boundary = set(keys[counts == 1].tolist())
    for name, ids in margins.items():
        pair = np.sort(np.c_[ids[:-1], ids[1:]], axis=1)
        missing = set((pair[:, 0] * n + pair[:, 1]).tolist()) - boundary
        if missing:
            raise RuntimeError(f"default face: margin {name} lost {len(missing)} edges")


def _regions(xy: np.ndarray, margins: Dict[str, np.ndarray]) -> Dict[str, np.ndarray]:
    n = len(xy)
    out: Dict[str, np.ndarray] = {}
    for name, ids in margins.items():       # upper_lid_R, lower_lid_R, ..., lower_lip
        out[name] = np.zeros(n, dtype=bool)
        out[name][ids] = True
    x, y = xy[:, 0], xy[:, 1]
    out["jaw"] = y < shape.MOUTH_Y
    bridge = (np.abs(x) < 0.7) & (y > -0.9) & (y < 1.3)
    temples = (np.abs(x) > 5.9) & (y > 0.6)
    out["rigid"] = (y > RIGID_FOREHEAD_Y) | bridge | temples
    return out


def _eyes_mesh(segments: int = 24, rings: int = 12) -> Mesh:
    """Two UV spheres with their poles on the Z axis (front pole = cornea).

    UVs are a planar front projection per eye: (0.5, 0.5) is the front pole."""
    theta = np.linspace(0.0, np.pi, rings + 1)[1:-1]
    phi = np.linspace(0.0, 2.0 * np.pi, segments, endpoint=False)
    st, ct = np.sin(theta)[:, None], np.cos(theta)[:, None]
    unit = np.c_[(st * np.cos(phi)).ravel(), (st * np.sin(phi)).ravel(), (ct + 0 * phi).ravel()]
    unit = np.concatenate([[(0.0, 0.0, 1.0)], unit, [(0.0, 0.0, -1.0)]])
    nv = len(unit)
    ring = lambda i, j: 1 + i * segments + (j % segments)
    counts: List[int] = []
    faces: List[int] = []
    for j in range(segments):
        counts.append(3)
        faces += [0, ring(0, j), ring(0, j + 1)]
        for i in range(rings - 2):
            counts.append(4)
            faces += [ring(i, j), ring(i + 1, j), ring(i + 1, j + 1), ring(i, j + 1)]
        counts.append(3)
        faces += [nv - 1, ring(rings - 2, j + 1), ring(rings - 2, j)]
    pts, idx, uvs = [], [], []
    for k, centre in enumerate(shape.eye_centres()):
        pts.append(centre + shape.EYE_RADIUS * unit)
        idx.append(np.asarray(faces) + k * nv)
        uvs.append(0.5 + 0.5 * unit[:, :2])
    return Mesh("face_eyes", np.concatenate(pts), np.tile(counts, 2), np.concatenate(idx),
                uvs=np.concatenate(uvs), normals=np.tile(unit, (2, 1)))
