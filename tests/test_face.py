"""Tests for the embedded default face (microexpr.rig.face).

Its build time is measured by benchmarks/face.py, never asserted here."""
from __future__ import annotations

from typing import Dict, List, Tuple

import numpy as np
import pytest
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from microexpr.rig import face as face_mod
from microexpr.rig.face import DefaultFace, default_face

MARGINS = ("upper_lid_R", "lower_lid_R", "upper_lid_L", "lower_lid_L", "upper_lip", "lower_lip")
# (upper margin name, lower margin name, upper landmarks, lower landmarks), corner to corner
HOLES = (
    ("upper_lid_R", "lower_lid_R", (36, 37, 38, 39), (36, 41, 40, 39)),
    ("upper_lid_L", "lower_lid_L", (42, 43, 44, 45), (42, 47, 46, 45)),
    ("upper_lip", "lower_lip", (60, 61, 62, 63, 64), (60, 67, 66, 65, 64)),
)
# iBUG-68 left/right mirror pairs (subject's right, subject's left); centre points map to self
MIRROR = dict([(i, 16 - i) for i in range(9)] + [(17 + i, 26 - i) for i in range(5)]
              + [(27, 27), (28, 28), (29, 29), (30, 30), (31, 35), (32, 34), (33, 33)]
              + [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
              + [(48, 54), (49, 53), (50, 52), (51, 51), (59, 55), (58, 56), (57, 57)]
              + [(60, 64), (61, 63), (62, 62), (67, 65), (66, 66)])


@pytest.fixture(scope="module")
def face() -> DefaultFace:
    return default_face()


@pytest.fixture(scope="module")
def lm(face) -> np.ndarray:
    return face.skin.points[face.landmark_vertices]


# --- independent topology helpers -----------------------------------------------------
def directed_edges(tris: np.ndarray) -> np.ndarray:
    return np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])


def boundary_next(tris: np.ndarray) -> Dict[int, int]:
    """Boundary half-edges a -> b (their reverse is in no triangle)."""
    d = directed_edges(tris)
    have = set(map(tuple, d.tolist()))
    return {a: b for a, b in d.tolist() if (b, a) not in have}


def boundary_loops(tris: np.ndarray) -> List[List[int]]:
    nxt = boundary_next(tris)
    assert len(nxt) == len(set(nxt.values())), "a vertex starts two boundary edges"
    loops, seen = [], set()
    for start in sorted(nxt):
        if start in seen:
            continue
        loop, cur = [], start
        while cur not in seen:
            seen.add(cur)
            loop.append(cur)
            cur = nxt[cur]
        assert cur == start
        loops.append(loop)
    return loops


def fan_components(tris: np.ndarray, n: int) -> np.ndarray:
    """For each vertex, how many edge-connected pieces its triangles form."""
    out = np.zeros(n, dtype=np.int64)
    by_vertex: List[List[int]] = [[] for _ in range(n)]
    for t, tri in enumerate(tris.tolist()):
        for v in tri:
            by_vertex[v].append(t)
    for v in range(n):
        ts = by_vertex[v]
        label = list(range(len(ts)))                 # merge triangles sharing an edge
        changed = True
        while changed:
            changed = False
            for i in range(len(ts)):
                for j in range(len(ts)):
                    if label[j] < label[i] and len(set(tris[ts[i]]) & set(tris[ts[j]])) == 2:
                        label[i] = label[j]
                        changed = True
        out[v] = len(set(label))
    return out


def tri_normals(points: np.ndarray, tris: np.ndarray) -> np.ndarray:
    return np.cross(points[tris[:, 1]] - points[tris[:, 0]], points[tris[:, 2]] - points[tris[:, 0]])


def margin_order(face: DefaultFace, name: str) -> np.ndarray:
    """Vertices of one margin sorted by x (margins run corner to corner, x increasing)."""
    idx = np.nonzero(face.regions[name])[0]
    return idx[np.argsort(face.skin.points[idx, 0])]


def margin_curve(face: DefaultFace, name: str) -> Tuple[np.ndarray, np.ndarray]:
    idx = margin_order(face, name)
    return face.skin.points[idx, 0], face.skin.points[idx, 1]


# --- API, caching, determinism ----------------------------------------------------------
def test_api_shapes(face):
    skin, eyes = face.skin, face.eyes
    assert skin.name == "face_skin" and eyes.name == "face_eyes"
    assert skin.vertex_count >= 5000
    assert np.all(skin.face_counts == 3)
    lv = face.landmark_vertices
    assert lv.shape == (68,) and lv.dtype == np.int64
    assert len(np.unique(lv)) == 68 and lv.min() >= 0 and lv.max() < skin.vertex_count
    for name in MARGINS + ("jaw", "rigid"):
        mask = face.regions[name]
        assert mask.dtype == bool and mask.shape == (skin.vertex_count,) and mask.any()
    assert skin.uvs.shape == (skin.vertex_count, 2)


def test_deterministic_and_cache_is_protected():
    a, b = default_face(), default_face()
    assert a.skin.fingerprint() == b.skin.fingerprint()
    assert np.array_equal(a.skin.points, b.skin.points)
    assert np.array_equal(a.skin.face_indices, b.skin.face_indices)
    assert np.array_equal(a.eyes.points, b.eyes.points)
    assert np.array_equal(a.landmark_vertices, b.landmark_vertices)
    assert all(np.array_equal(a.regions[k], b.regions[k]) for k in a.regions)
    fresh = face_mod._build(face_mod.DEFAULT_RESOLUTION)          # bypasses the cache
    assert fresh.skin.fingerprint() == a.skin.fingerprint()
    assert np.array_equal(fresh.skin.points, a.skin.points)
    a.skin.points[:] = 0.0
    a.landmark_vertices[:] = 0
    a.regions["jaw"][:] = True
    a.eyes.points[:] = 0.0
    c = default_face()
    assert np.array_equal(c.skin.points, b.skin.points)
    assert np.array_equal(c.landmark_vertices, b.landmark_vertices)
    assert np.array_equal(c.regions["jaw"], b.regions["jaw"])
    assert np.array_equal(c.eyes.points, b.eyes.points)


def test_resolution_controls_density():
    coarse = default_face(0.3)
    assert 1000 < coarse.skin.vertex_count < default_face().skin.vertex_count
    assert len(boundary_loops(coarse.skin.triangles())) == 4
    with pytest.raises(ValueError):
        default_face(0.0)


# --- landmark layout and proportions ----------------------------------------------------
def test_axes_and_ibug_order(lm):
    x, y, z = lm[:, 0], lm[:, 1], lm[:, 2]
    for r, l in MIRROR.items():                     # mirror symmetry pins the left/right order
        assert abs(x[r] + x[l]) < 1e-6 and abs(y[r] - y[l]) < 1e-6
        if r != l:
            assert x[r] < 0.0 < x[l], (r, l)       # subject's right is -X
    assert np.all(np.diff(x[0:17]) > 0) and np.argmin(y[0:17]) == 8
    assert x[17] < x[21] < 0 < x[22] < x[26]        # brows: 17 outer right ... 26 outer left
    assert y[17:27].min() > y[36:48].max()          # brows above the eyes
    assert np.all(np.diff(y[27:31]) < 0)            # bridge runs down to the tip
    assert np.argmax(z) == 30                       # the nose tip points toward +Z
    assert x[31] < x[32] < x[33] < x[34] < x[35] and y[33] < y[30]
    assert x[36] < x[37] < x[38] < x[39] < 0 < x[42] < x[43] < x[44] < x[45]
    for up, lo in ((37, 41), (38, 40), (43, 47), (44, 46), (61, 67), (62, 66), (63, 65)):
        assert abs(x[up] - x[lo]) < 1e-9 and y[up] > y[lo], (up, lo)
    assert np.all(np.diff(x[48:55]) > 0) and np.all(np.diff(x[54:60]) < 0)
    assert abs(x[51]) < 1e-9 and abs(x[57]) < 1e-9 and y[51] > y[62] > y[66] > y[57]
    assert np.all(np.diff(x[60:65]) > 0) and x[65] > x[66] > x[67]
    assert y[30] > y[33] > y[51] > y[57] > y[8]


def test_adult_proportions(lm):
    d = lambda a, b: float(np.linalg.norm(lm[a] - lm[b]))
    pupils = np.linalg.norm(0.5 * (lm[36] + lm[39]) - 0.5 * (lm[42] + lm[45]))
    assert 6.0 <= pupils <= 6.6
    assert 8.6 <= d(36, 45) <= 9.5
    assert 2.9 <= d(39, 42) <= 3.5
    assert 4.6 <= d(48, 54) <= 5.4
    eye_line = lm[36:48, 1].mean()
    assert 10.0 <= eye_line - lm[8, 1] <= 11.0
    assert 13.0 <= d(0, 16) <= 14.0
    ahead = lm[30, 2] - lm[[36, 39, 42, 45], 2]
    assert 2.0 <= ahead.mean() <= 2.5 and ahead.min() > 1.5


def test_landmarks_on_the_right_kind_of_vertex(face):
    on_boundary = np.zeros(face.skin.vertex_count, dtype=bool)
    on_boundary[list(boundary_next(face.skin.triangles()))] = True
    lv = face.landmark_vertices
    slit = list(range(36, 48)) + list(range(60, 68))
    interior = [i for i in range(68) if i not in slit]
    assert on_boundary[lv[slit]].all()
    assert not on_boundary[lv[interior]].any()     # jaw line, brows, nose, outer lips


# --- topology -----------------------------------------------------------------------------
def test_manifold_with_consistent_orientation(face):
    tris, n = face.skin.triangles(), face.skin.vertex_count
    assert np.array_equal(np.unique(tris), np.arange(n))          # no unused vertices
    d = directed_edges(tris)
    assert len(np.unique(d, axis=0)) == len(d)                    # consistent orientation
    und = np.sort(d, axis=1)
    _, counts = np.unique(und, axis=0, return_counts=True)
    assert counts.max() <= 2
    assert np.all(fan_components(tris, n) == 1)                   # one disc or half-disc
    nxt = boundary_next(tris)                                     # half-disc: one way in/out
    assert len(nxt) == len(set(nxt.values()))
    nz = tri_normals(face.skin.points, tris)
    assert np.all(nz[:, 2] > 0)                                   # every triangle faces +Z


def test_no_degenerate_triangles(face):
    p, t = face.skin.points, face.skin.triangles()
    area = 0.5 * np.linalg.norm(tri_normals(p, t), axis=1)
    assert area.min() > 1e-3
    angles = []
    for k in range(3):
        u = p[t[:, (k + 1) % 3]] - p[t[:, k]]
        v = p[t[:, (k + 2) % 3]] - p[t[:, k]]
        cos = (u * v).sum(1) / np.linalg.norm(u, axis=1) / np.linalg.norm(v, axis=1)
        angles.append(np.degrees(np.arccos(np.clip(cos, -1, 1))))
    assert np.min(angles) > 10.0


def test_eyelids_and_lips_are_split(face):
    tris = face.skin.triangles()
    loops = boundary_loops(tris)
    assert len(loops) == 4                                        # outline, two eyes, mouth
    lv = face.landmark_vertices
    edges = set(map(tuple, np.sort(directed_edges(tris), axis=1).tolist()))
    for up_name, lo_name, up_lm, lo_lm in HOLES:
        up, lo = face.regions[up_name], face.regions[lo_name]
        corners = {int(lv[up_lm[0]]), int(lv[up_lm[-1]])}
        assert set(np.nonzero(up & lo)[0]) == corners             # only the corners shared
        loop = [lp for lp in loops if int(lv[up_lm[1]]) in lp]
        assert len(loop) == 1 and set(loop[0]) == set(np.nonzero(up | lo)[0])
        pos = {v: i for i, v in enumerate(loop[0])}               # landmarks in loop order
        ring = [pos[int(lv[i])] for i in list(up_lm) + list(lo_lm[-2:0:-1])]
        steps = np.diff(ring + ring[:1]) % len(loop[0])
        assert steps.sum() == len(loop[0]) or (-np.diff(ring + ring[:1]) % len(loop[0])).sum() == len(loop[0])
        only_up = set(np.nonzero(up & ~lo)[0])
        only_lo = set(np.nonzero(lo & ~up)[0])
        assert not any((a in only_up and b in only_lo) or (a in only_lo and b in only_up)
                       for a, b in edges)
        for a, b in zip(up_lm[:-1], up_lm[1:]):                   # margin rows follow x
            assert face.skin.points[lv[a], 0] < face.skin.points[lv[b], 0]
    assert 0.05 <= np.linalg.norm(face.skin.points[lv[62]] - face.skin.points[lv[66]]) <= 0.1


def test_lid_almond_shape(face, lm):
    for up_name, lo_name, up_lm, lo_lm in HOLES[:2]:
        ux, uy = margin_curve(face, up_name)
        lx, ly = margin_curve(face, lo_name)
        x = np.linspace(ux[0], ux[-1], 201)
        gap = np.interp(x, ux, uy) - np.interp(x, lx, ly)
        assert abs(gap[0]) < 1e-9 and abs(gap[-1]) < 1e-9
        assert np.all(gap[1:-1] > 0)                              # upper above lower
        g1 = lm[up_lm[1], 1] - lm[lo_lm[1], 1]
        g2 = lm[up_lm[2], 1] - lm[lo_lm[2], 1]
        assert 0.8 <= g1 <= 0.9 and abs(g1 - g2) < 0.02
        t = (x - x[0]) / (x[-1] - x[0])
        parabola = 4.0 * gap.max() * t * (1.0 - t)
        assert np.abs(gap - parabola).max() < 0.1 * gap.max()     # smooth, roughly parabolic
        half = len(x) // 2
        assert np.all(np.diff(gap[:half - 5]) > 0) and np.all(np.diff(gap[half + 5:]) < 0)


def test_lip_slit_shape(face):
    ux, uy = margin_curve(face, "upper_lip")
    lx, ly = margin_curve(face, "lower_lip")
    assert np.allclose(ux[[0, -1]], lx[[0, -1]]) and np.allclose(uy[[0, -1]], ly[[0, -1]])
    inner = (lx > ux[0] + 1e-9) & (lx < ux[-1] - 1e-9)
    assert np.all(np.interp(lx[inner], ux, uy) > ly[inner])
    assert np.all(np.interp(ux[1:-1], lx, ly) < uy[1:-1])


# --- eyes ---------------------------------------------------------------------------------
def test_eyeballs_behind_openings_and_clear_of_skin(face):
    eyes, skin = face.eyes, face.skin
    tri = eyes.triangles()
    graph = coo_matrix((np.ones(len(tri) * 2), (np.r_[tri[:, 0], tri[:, 1]],
                                                np.r_[tri[:, 1], tri[:, 2]])),
                       shape=(eyes.vertex_count,) * 2)
    count, label = connected_components(graph, directed=False)
    assert count == 2
    centres = []
    for k in range(2):
        p = eyes.points[label == k]
        c = p.mean(axis=0)
        r = np.linalg.norm(p - c, axis=1)
        assert np.ptp(r) < 1e-9 and 1.1 <= r.mean() <= 1.35
        centres.append((c, r.mean()))
    centres.sort(key=lambda cr: cr[0][0])
    samples = np.concatenate([skin.points, skin.points[skin.triangles()].mean(axis=1)])
    for (c, r), (up_name, lo_name, _, _) in zip(centres, HOLES[:2]):
        assert np.linalg.norm(samples - c, axis=1).min() > r + 0.02     # never inside
        ux, uy = margin_curve(face, up_name)
        lx, ly = margin_curve(face, lo_name)
        assert ux[0] < c[0] < ux[-1]                                     # seen through the hole
        assert np.interp(c[0], lx, ly) < c[1] < np.interp(c[0], ux, uy)
        lid_z = np.interp(c[0], ux, skin.points[margin_order(face, up_name), 2])
        assert 0.0 < lid_z - (c[2] + r) < 0.6          # just behind the lid, not sunk deep
    assert centres[0][0][0] < 0 < centres[1][0][0]


def test_eyes_mesh_orientation(face):
    p, t = face.eyes.points, face.eyes.triangles()
    n = tri_normals(p, t)
    centroid = p[t].mean(axis=1)
    centre = np.where(centroid[:, :1] < 0, p[p[:, 0] < 0].mean(0), p[p[:, 0] > 0].mean(0))
    assert np.all((n * (centroid - centre)).sum(1) > 0)                 # normals point out


# --- UVs and regions ----------------------------------------------------------------------
def test_planar_uvs(face):
    uv, p = face.skin.uvs, face.skin.points
    assert uv.min() >= 0.0 and uv.max() <= 1.0 and np.isclose(uv.max(), 1.0)
    a = np.c_[p[:, :2], np.ones(len(p))]
    coef, *_ = np.linalg.lstsq(a, uv, rcond=None)
    assert np.abs(a @ coef - uv).max() < 1e-9
    assert coef[0, 0] > 0 and coef[1, 1] > 0 and abs(coef[1, 0]) < 1e-12


def test_region_masks(face, lm):
    r, p, lv = face.regions, face.skin.points, face.landmark_vertices
    for name, ids in (("upper_lid_R", (36, 37, 38, 39)), ("lower_lid_R", (39, 40, 41, 36)),
                      ("upper_lid_L", (42, 43, 44, 45)), ("lower_lid_L", (45, 46, 47, 42)),
                      ("upper_lip", (60, 61, 62, 63, 64)), ("lower_lip", (64, 65, 66, 67, 60))):
        assert r[name][lv[list(ids)]].all(), name
        assert (p[r[name], 0] < 0).all() if name.endswith("_R") else True
        assert (p[r[name], 0] > 0).all() if name.endswith("_L") else True
    assert r["rigid"][lv[[27, 28]]].all()
    forehead = p[:, 1] > lm[17:27, 1].max() + 2.0
    assert forehead.any() and r["rigid"][forehead].all()
    moving = np.zeros(len(p), dtype=bool)
    for name in MARGINS:
        moving |= r[name]
    assert not (r["rigid"] & moving).any()
    assert not r["rigid"][lv[list(range(17, 27)) + list(range(48, 68))]].any()
    assert r["jaw"][lv[[7, 8, 9, 57, 66]]].all() and not r["jaw"][lv[[51, 62, 30, 0]]].any()
    assert (p[r["jaw"], 1] < lm[62, 1]).all()
    mouth_line = 0.5 * (lm[62, 1] + lm[66, 1])
    assert r["jaw"][p[:, 1] < mouth_line - 1e-9].all()


# --- deformation sanity ---------------------------------------------------------------------
@pytest.mark.parametrize("resolution", [0.2, 0.15])
def test_crude_jaw_open_opens_the_slit_without_flips(resolution):
    face = default_face(resolution)
    p, t, lv, r = face.skin.points, face.skin.triangles(), face.landmark_vertices, face.regions
    moved = p.copy()
    moved[r["lower_lip"] | r["jaw"], 1] -= 1.0
    before = np.linalg.norm(p[lv[62]] - p[lv[66]])
    after = np.linalg.norm(moved[lv[62]] - moved[lv[66]])
    assert after > before + 0.9
    n0, n1 = tri_normals(p, t), tri_normals(moved, t)
    front = n0[:, 2] > 0.2 * np.linalg.norm(n0, axis=1)
    assert front.mean() > 0.9
    assert np.all(np.sign(n1[front, 2]) == np.sign(n0[front, 2]))


def test_blink_does_not_cross(face):
    for up_name, lo_name, _, _ in HOLES[:2]:
        up = margin_order(face, up_name)
        lx, ly = margin_curve(face, lo_name)
        x, y = face.skin.points[up, 0], face.skin.points[up, 1]
        gap = y - np.interp(x, lx, ly)
        assert gap.max() > 0.8
        closed = y - 0.95 * gap
        dense = np.linspace(x[0], x[-1], 1001)[1:-1]
        assert np.all(np.interp(dense, x, closed) > np.interp(dense, lx, ly))
        assert np.all(np.abs(closed[[0, -1]] - y[[0, -1]]) < 1e-9)     # corners stay put
