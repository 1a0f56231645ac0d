import numpy as np
import pytest

from microexpr.rig.falloff import CURVES, distances, falloff
from microexpr.rig.softmod import SoftMod, handle_offsets, rotation_matrix, softmod_deltas


@pytest.mark.parametrize("curve", CURVES)
def test_falloff_is_one_at_the_key_point_zero_at_the_radius_and_monotone(curve):
    d = np.linspace(0, 3, 301)
    w = falloff(d, 2.0, curve)
    assert w[0] == pytest.approx(1.0)
    assert np.all(w[d >= 2.0 + 1e-9] == 0.0)
    assert np.all(np.diff(w) <= 1e-12)


def test_falloff_curves_differ_as_documented():
    x = np.array([0.5])
    assert falloff(x, 1.0, "linear")[0] == pytest.approx(0.5)
    assert falloff(x, 1.0, "smooth")[0] == pytest.approx(0.5)
    assert falloff(np.array([0.25]), 1.0, "smooth")[0] == pytest.approx(1 - (3 * 0.0625 - 2 * 0.015625))
    g = falloff(x, 1.0, "gaussian")[0]
    assert g == pytest.approx((np.exp(-1.0) - np.exp(-4.0)) / (1 - np.exp(-4.0)))
    assert falloff(np.array([0.99]), 1.0, "constant")[0] == 1.0


def test_inner_radius_is_a_plateau():
    w = falloff(np.array([0.0, 0.5, 0.99, 1.5]), 2.0, "smooth", inner_radius=1.0)
    assert w[:3].tolist() == [1.0, 1.0, 1.0]
    assert 0 < w[3] < 1


def test_bad_falloff_arguments_are_refused():
    with pytest.raises(ValueError, match="unknown falloff curve"):
        falloff([0.0], 1.0, "cubic")
    with pytest.raises(ValueError, match="radius"):
        falloff([0.0], 0.0)


def test_rotation_is_x_then_y_then_z():
    r = rotation_matrix((90, 0, 0))
    assert np.allclose(r @ [0, 1, 0], [0, 0, 1])
    r = rotation_matrix((90, 90, 0))
    # X first: y -> z, then Y: z -> x
    assert np.allclose(r @ [0, 1, 0], [1, 0, 0])


def test_handle_offsets_translate_rotate_scale_about_the_centre():
    pts = np.array([[1.0, 0, 0], [0, 0, 0]])
    sm = SoftMod("k", 0, 1, 5.0, translate=(0, 0, 1), rotate=(0, 0, 90), scale=(2, 2, 2))
    off = handle_offsets(pts, sm)
    # p=(1,0,0) about c=(0,0,0): scale -> (2,0,0), rotate z 90 -> (0,2,0), + (0,0,1)
    assert np.allclose(pts + off, [[0, 2, 1], [0, 0, 1]])


def test_surface_falloff_keeps_the_upper_lip_still_when_the_lower_lip_moves(face):
    lv = face.landmark_vertices
    sm = SoftMod("lower", 66, int(lv[66]), 1.5, mode="surface", translate=(0, -0.5, 0))
    d = softmod_deltas(face.skin.points, face.skin.triangles(), [sm])
    assert np.linalg.norm(d[lv[66]]) == pytest.approx(0.5)
    assert np.linalg.norm(d[lv[62]]) < 0.05 * 0.5          # upper lip, 0.7 mm away in space
    vol = SoftMod("lower", 66, int(lv[66]), 1.5, mode="volume", translate=(0, -0.5, 0))
    dv = softmod_deltas(face.skin.points, face.skin.triangles(), [vol])
    assert np.linalg.norm(dv[lv[62]]) > 0.4                  # volume falloff drags it along


def test_surface_distances_are_at_least_the_straight_line(face):
    p = face.skin.points
    src = int(face.landmark_vertices[30])
    ds = distances(p, face.skin.triangles(), src, "surface", limit=4.0)
    dv = distances(p, None, src, "volume", limit=4.0)
    ok = np.isfinite(ds)
    assert ok.sum() > 100
    assert np.all(ds[ok] >= dv[ok] - 1e-9)


def test_surface_distances_match_scipy_dijkstra_on_the_default_face(face):
    """The numpy-only shortest paths give scipy's distances (scipy is only the reference)."""
    csgraph = pytest.importorskip("scipy.sparse.csgraph")
    from scipy.sparse import coo_matrix

    from microexpr.rig.falloff import edge_graph

    pts, tris = face.skin.points, face.skin.triangles()
    e = np.concatenate([tris[:, [0, 1]], tris[:, [1, 2]], tris[:, [2, 0]]])
    e = np.unique(np.sort(e, axis=1), axis=0)
    length = np.linalg.norm(pts[e[:, 0]] - pts[e[:, 1]], axis=1)
    n = len(pts)
    reference = coo_matrix((np.concatenate([length, length]),
                            (np.concatenate([e[:, 0], e[:, 1]]),
                             np.concatenate([e[:, 1], e[:, 0]]))), shape=(n, n)).tocsr()
    graph = edge_graph(pts, tris)
    assert graph.edge_count == len(e)
    for vertex in face.landmark_vertices[::7].tolist() + [0, n - 1]:
        for limit in (0.75, 2.5, np.inf):
            ours = distances(pts, tris, vertex, limit=limit, graph=graph)
            theirs = csgraph.dijkstra(reference, directed=False, indices=vertex, limit=limit)
            np.testing.assert_array_equal(np.isinf(ours), np.isinf(theirs))
            finite = np.isfinite(ours)
            np.testing.assert_allclose(ours[finite], theirs[finite], rtol=0, atol=1e-9)


def test_surface_distances_refuse_a_vertex_off_the_mesh():
    pts = np.array([[0.0, 0, 0], [1, 0, 0], [0, 1, 0]])
    with pytest.raises(ValueError, match="not on the mesh"):
        distances(pts, np.array([[0, 1, 2]]), 3)
