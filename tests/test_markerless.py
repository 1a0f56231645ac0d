"""Markerless binding (``microexpr landmarks find``): the 68 landmark vertices of a head mesh
found by dlib on renders.

Accuracy is measured as in issue #12: the mean 3-D distance between the vertices found and
the reference landmarks, in % of the reference's outer-eye-corner distance (36-45), over the
51 inner points and over the 17 jaw points, on the embedded default face (its shipped
landmark vertices) and on a real scan (menpo3d's james.obj and its 68 hand-placed
landmarks, fetched by the set-up command; see tools/fetch_scan.py).

The issue's goals are ``GOAL_INNER`` and ``GOAL_JAW``; ``LIMITS`` holds each mesh to what
the binding reaches today, a little above it, so a regression fails (the figures are
printed: ``pytest -s``). The renderer, dlib's model and the scan are installed by the
set-up command: a test that needs one skips with the reason locally and fails under CI.
"""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from microexpr.landmarks import COUNT, read_landmark_vertices
from render_gate import render_gate

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
GOAL_INNER, GOAL_JAW = 3.0, 8.0
LIMITS = {"default face": (3.2, 9.0), "scan": (4.5, 16.0), "scan, textured": (3.3, 16.0),
          "scan, Z up, metres, eyeballs": (4.5, 16.0)}


def _gate(why: str) -> None:
    """Skip locally, fail under CI (the set-up command installs everything these need)."""
    render_gate(why)


@pytest.fixture(scope="module")
def dlib_model(renderer):
    from microexpr.capture.detect import load_models
    from microexpr.errors import MicroExprError

    try:
        return load_models()
    except MicroExprError as exc:
        _gate("no face detector: %s" % exc)


@pytest.fixture(scope="module")
def scan():
    from fetch_scan import data_dir, ibug_landmarks, scan_files

    from microexpr.formats.obj import read_obj

    files = scan_files()
    if files is None:
        _gate("the head scan is not in %s: run 'python tools/fetch_scan.py'" % data_dir())
    return read_obj(files["james.obj"]), ibug_landmarks(files["james.ljson"]), files


def errors_pct(found: np.ndarray, reference: np.ndarray):
    """(inner mean, jaw mean) 3-D distance in % of the outer-eye-corner distance."""
    d = np.linalg.norm(found - reference, axis=1) / np.linalg.norm(reference[36] - reference[45])
    return 100.0 * float(d[17:].mean()), 100.0 * float(d[:17].mean())


def check_accuracy(name: str, found: np.ndarray, reference: np.ndarray) -> None:
    inner, jaw = errors_pct(found, reference)
    limit_inner, limit_jaw = LIMITS[name]
    print("\n%s: inner %.2f %% (goal %.0f %%), jaw %.2f %% (goal %.0f %%)"
          % (name, inner, GOAL_INNER, jaw, GOAL_JAW))
    assert inner <= limit_inner, (name, inner)
    assert jaw <= limit_jaw, (name, jaw)


def uv_sphere(centre, radius, rings=12, segments=24):
    """(points, triangles) of a closed sphere, polygons facing out."""
    from scipy.spatial import ConvexHull

    t, p = np.meshgrid(np.linspace(0.1, np.pi - 0.1, rings), np.linspace(0, 2 * np.pi, segments,
                                                                       endpoint=False))
    pts = np.c_[np.sin(t).ravel() * np.cos(p).ravel(), np.sin(t).ravel() * np.sin(p).ravel(),
                np.cos(t).ravel()]
    pts = np.vstack([pts, [[0, 0, 1], [0, 0, -1]]])
    tri = ConvexHull(pts).simplices
    normal = np.cross(pts[tri[:, 1]] - pts[tri[:, 0]], pts[tri[:, 2]] - pts[tri[:, 0]])
    flip = np.einsum("ij,ij->i", normal, pts[tri].mean(axis=1)) < 0
    tri[flip] = tri[flip][:, ::-1]
    return np.asarray(centre) + radius * pts, tri


def run_cli(*args):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "shared"))
    return subprocess.run([sys.executable, "-m", "microexpr.cli.main"] + [str(a) for a in args],
                          capture_output=True, text=True, env=env, timeout=300, cwd=ROOT)


# -- accuracy ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def default_binding(dlib_model, face):
    from microexpr.capture.markerless import find_landmarks

    return find_landmarks(face.skin, [face.eyes], stated_axes=True)


@pytest.mark.slow
def test_the_default_face_binds_near_its_shipped_landmarks(default_binding, face):
    b = default_binding
    assert b.vertices.shape == (COUNT,) and b.vertices.max() < face.skin.vertex_count
    assert (b.up, b.front) == ("+Y", "+Z")
    check_accuracy("default face", face.skin.points[b.vertices],
                   face.skin.points[face.landmark_vertices])
    assert b.report["symmetric"], "the default face is mirror-symmetric"
    assert b.preview.ndim == 3 and b.preview.shape[2] == 3
    assert np.all((b.confidence >= 0) & (b.confidence <= 1))


def test_a_symmetric_mesh_gets_a_mirror_symmetric_binding(default_binding, face):
    from microexpr.landmarks import MIRROR

    p = face.skin.points[default_binding.vertices]
    mirrored = p[MIRROR] * np.array([-1.0, 1.0, 1.0])      # the face's mirror plane is x = 0
    assert np.abs(mirrored - p).max() < 1e-3


def test_eye_landmarks_sit_on_the_lid_margins_not_on_the_eyeballs(default_binding, face):
    """Points over an opening bind to the skin around it: the eyes' six points each lie on the
    lid margin (a vertex next to the opening), and no landmark is an eyeball vertex."""
    assert default_binding.vertices.max() < face.skin.vertex_count
    margins = face.regions["upper_lid_R"] | face.regions["lower_lid_R"] | \
        face.regions["upper_lid_L"] | face.regions["lower_lid_L"]
    assert margins[default_binding.vertices[36:48]].all()


@pytest.mark.slow
def test_the_scan_binds_near_its_hand_placed_landmarks(dlib_model, scan):
    from microexpr.capture.markerless import find_landmarks

    mesh, reference, _ = scan
    b = find_landmarks(mesh, stated_axes=False)
    assert (b.up, b.front) == ("+Y", "+Z")
    check_accuracy("scan", mesh.points[b.vertices], reference)


@pytest.mark.slow
def test_the_textured_scan_binds_near_its_hand_placed_landmarks(dlib_model, scan):
    import cv2
    from fetch_scan import corner_uvs

    from microexpr.capture.markerless import find_landmarks

    mesh, reference, files = scan
    texture = cv2.imread(files["james.jpg"])[:, :, ::-1]
    b = find_landmarks(mesh, texture=texture, uvs=corner_uvs(files["james.obj"]),
                       stated_axes=True)
    check_accuracy("scan, textured", mesh.points[b.vertices], reference)


@pytest.mark.slow
def test_a_z_up_scan_in_metres_with_eyeballs_is_found_by_the_axis_search(dlib_model, scan,
                                                                       tmp_path):
    """The scan turned 90 degrees (Z up, looking down -Y, as Blender and 3ds Max have it),
    scaled from mm to metres, with two eyeball shells in the same OBJ: the OBJ axis search
    finds it, and no landmark binds to an eyeball."""
    from microexpr.capture.binding import face_axes
    from microexpr.formats.obj import write_obj
    from microexpr.mesh import Mesh

    mesh, reference, _ = scan
    axes = face_axes(reference, np.array([0.0, 1.0, 0.0]))
    pts, tris, n = [mesh.points], [mesh.triangles()], mesh.vertex_count
    for eye in (reference[36:42], reference[42:48]):
        ball, tri = uv_sphere(eye.mean(axis=0) - 13.0 * axes[2], 11.0)
        pts.append(ball)
        tris.append(tri + sum(len(p) for p in pts[:-1]))
    turn = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])   # (x, y, z) -> (x, -z, y)
    head = Mesh.from_triangles("head", np.vstack(pts) @ turn * 0.001, np.vstack(tris))
    path = tmp_path / "head_zup_m.obj"
    write_obj(str(path), head)
    r = run_cli("landmarks", "find", "--mesh", path, "--out", tmp_path / "lm.txt",
                "--report", tmp_path / "lm.json")
    assert r.returncode == 0, r.stderr
    assert "+Z up, -Y front" in r.stdout
    found = read_landmark_vertices(str(tmp_path / "lm.txt"), head.vertex_count)
    assert found.max() < n, "a landmark bound to an eyeball"
    check_accuracy("scan, Z up, metres, eyeballs", mesh.points[found], reference)


# -- no face, or not a face: a clear error, no landmark file ----------------------------
def test_a_sphere_has_no_face_and_gets_no_landmark_file(dlib_model, tmp_path):
    from microexpr.formats.obj import write_obj
    from microexpr.mesh import Mesh

    pts, tri = uv_sphere((0, 0, 0), 10.0, 24, 48)
    write_obj(str(tmp_path / "ball.obj"), Mesh.from_triangles("ball", pts, tri))
    out, preview = tmp_path / "lm.txt", tmp_path / "lm.png"
    r = run_cli("landmarks", "find", "--mesh", tmp_path / "ball.obj", "--out", out,
                "--preview", preview)
    assert r.returncode == 2
    assert "no face found" in r.stderr and "ball.obj" in r.stderr
    for fix in ("--up", "--front", "--landmark-vertices"):
        assert fix in r.stderr
    assert not out.exists()
    assert preview.exists() and preview.read_bytes()[:4] == b"\x89PNG"


def test_a_face_seen_from_behind_is_not_bound(dlib_model, face, tmp_path):
    """The default face turned to look down -Z, read as looking down +Z: the camera sees the
    back of the mask (the eye and mouth openings make a face-like shape): refused."""
    from microexpr.formats.obj import write_obj
    from microexpr.mesh import Mesh

    back = Mesh("back", face.skin.points * np.array([-1.0, 1.0, -1.0]), face.skin.face_counts,
                face.skin.face_indices)
    write_obj(str(tmp_path / "back.obj"), back)
    out = tmp_path / "lm.txt"
    r = run_cli("landmarks", "find", "--mesh", tmp_path / "back.obj", "--up", "Y", "--front",
                "+Z", "--out", out, "--preview", tmp_path / "lm.png")
    assert r.returncode == 2, r.stdout
    assert "behind" in r.stderr and "--front" in r.stderr
    assert not out.exists() and (tmp_path / "lm.png").exists()


def test_the_axis_search_turns_a_face_seen_from_behind_around(dlib_model, face):
    from microexpr.capture.markerless import find_landmarks
    from microexpr.mesh import Mesh

    back = Mesh("back", face.skin.points * np.array([-1.0, 1.0, -1.0]), face.skin.face_counts,
                face.skin.face_indices)
    b = find_landmarks(back, stated_axes=False)
    assert (b.up, b.front) == ("+Y", "-Z")


@pytest.mark.slow
def test_rig_build_on_a_mesh_without_landmark_vertices_finds_them_and_says_so(
        dlib_model, face, tmp_path, capsys):
    from microexpr import bridge
    from microexpr.cli.main import main
    from microexpr.formats.obj import write_obj

    write_obj(str(tmp_path / "head.obj"), face.skin)
    out = tmp_path / "rig.json"
    assert main(["rig", "build", "--mesh", str(tmp_path / "head.obj"), "--preset", "arkit",
                 "--out", str(out)]) == 0
    said = capsys.readouterr().out
    assert "no --landmark-vertices" in said and "landmarks find" in said
    rig = bridge.load_rig(out)
    found = np.array([p.vertex for p in rig.landmarks.points])
    check_accuracy("default face", face.skin.points[found],
                   face.skin.points[face.landmark_vertices])


# -- the pieces, without dlib -------------------------------------------------------------
def test_the_render_knows_which_triangle_is_under_each_pixel(renderer):
    """Two triangles facing the camera and one facing away, in a known orthographic view:
    the id buffer, barycentric weights and depth agree with the geometry."""
    from microexpr.rig.render import View, render

    pts = np.array([[0, 0, 0], [2, 0, 0], [0, 2, 0], [2, 2, -1.0],
                    [-2, -2, 1.0], [-1, -2, 1.0], [-2, -1, 1.0]])
    tris = np.array([[0, 1, 2], [1, 3, 2], [4, 6, 5]])       # the last one turns its back
    view = View(np.eye(3), np.zeros(3), 5.0, (100, 100))     # 20 px per unit, centre at 50
    frame = render(pts, tris, view)
    probes = np.array([[0.4, 0.4], [1.5, 1.5], [-1.7, -1.7], [2.3, 0.0]])
    xy, _ = view.to_pixels(np.c_[probes, np.zeros(len(probes))])
    surf, tri = frame.surface(pts, tris, xy)
    assert tri.tolist() == [0, 1, 2, -1]
    assert np.allclose(surf[:3, :2], np.floor(xy[:3]) / 20.0 * [1, -1] + [-2.5 + 0.025,
                                                                       2.5 - 0.025], atol=0.03)
    ix, iy = frame.pixel_index(xy[:3])
    assert frame.front[iy, ix].tolist() == [True, True, False]
    assert np.allclose(frame.bary[iy, ix].sum(axis=1), 1.0, atol=1e-5)
    assert frame.depth[iy[1], ix[1]] == pytest.approx(-surf[1, 2], abs=1e-3)
    assert np.isinf(frame.depth[0, 99]) and frame.triangle[0, 99] == -1
    back = view.from_pixels(xy, -surf[:, 2])
    assert np.allclose(back[:3], np.c_[probes[:3], surf[:3, 2]], atol=1e-9)


def test_eyeballs_and_crumbs_are_not_skin_and_inward_polygons_are_turned(face):
    from microexpr.capture.skin import prepare
    from microexpr.mesh import Mesh

    n = face.skin.vertex_count
    merged = Mesh.from_triangles("merged", np.vstack([face.skin.points, face.eyes.points]),
                                 np.vstack([face.skin.triangles(), face.eyes.triangles() + n]))
    skin = prepare(merged)
    assert skin.skin_vertex[:n].all() and not skin.skin_vertex[n:].any()
    assert not skin.flipped and skin.parts == 1
    inward = Mesh.from_triangles("inward", face.skin.points, face.skin.triangles()[:, ::-1])
    turned = prepare(inward)
    assert turned.flipped
    assert np.array_equal(turned.triangles, face.skin.triangles())


def test_an_opening_fixes_the_corners_and_margins_around_it():
    """An almond hole in a skin mask: eye points drawn loosely around it (corners inside,
    lids off the margin) are moved to its corners and onto its margins."""
    from microexpr.capture.skin import fit_opening

    h, w = 120, 200
    y, x = np.mgrid[0:h, 0:w] + 0.5
    hole = ((x - 100) / 50.0) ** 2 + ((y - 60) / 15.0) ** 2 < 1.0
    xy = np.zeros((68, 2))
    xy[36:42] = [[62, 62], [85, 50], [115, 50], [138, 62], [115, 70], [85, 70]]
    out = fit_opening(xy, (36, 39), (37, 38), (41, 40), ~hole)
    assert out is not None
    assert np.allclose(out[36], [50.5, 60.5], atol=1.5) and np.allclose(out[39], [149.5, 60.5],
                                                                          atol=1.5)
    for k in (37, 38, 40, 41):
        r = ((out[k, 0] - 100) / 50.0) ** 2 + ((out[k, 1] - 60) / 15.0) ** 2
        assert 0.8 < r < 1.25, (k, out[k])
    assert fit_opening(xy, (36, 39), (37, 38), (41, 40), np.ones((h, w), bool)) is None


def test_the_silhouette_is_the_occluding_contour_not_the_surface_before_it(renderer):
    """A sphere seen front on: its silhouette vertices lie on the equator square to the view
    (depth within a few edge lengths of the centre's), not on the band in front of it where
    the normal merely leans away (a normal's z of 0.3 sits 0.3 radii in front)."""
    from microexpr.capture.skin import contour_vertices, prepare
    from microexpr.mesh import Mesh
    from microexpr.rig.render import front_view, render

    pts, tri = uv_sphere((0, 0, 0), 10.0, 60, 120)
    skin = prepare(Mesh.from_triangles("ball", pts, tri))
    view = front_view(pts, pixels=400)
    frame = render(skin.points, skin.triangles, view, normals=skin.normals)
    idx, xy = contour_vertices(frame, skin, 0.005 * skin.size)
    assert len(idx) > 50
    assert np.abs(skin.points[idx, 2]).max() < 1.5 * skin.edge
    radius = np.linalg.norm(xy - np.array(view.pixels) / 2.0, axis=1) / view.scale
    assert radius.min() > 9.8


def test_jaw_points_go_to_the_silhouette_only_when_it_is_near():
    from microexpr.capture.skin import to_contour

    contour = np.array([[100.0, 50.0], [100.0, 60.0], [20.0, 55.0]])
    near = to_contour([[95.0, 55.0], [60.0, 55.0]], (50.0, 55.0), contour, 8.0)
    assert near.tolist() == [0, -1] or near.tolist() == [1, -1]


def test_views_that_disagree_are_dropped_and_counted():
    from microexpr.capture.binding import combine

    est = np.zeros((5, COUNT, 3))
    est[:, :, 0] = np.arange(5)[:, None] * 0.01
    est[4, 10] = [5.0, 0, 0]                      # one view puts landmark 10 far away
    points, share, spread = combine(est, 1.0, 0.05)
    assert points[10, 0] == pytest.approx(0.015)
    assert share[10] == pytest.approx(0.8) and share[0] == 1.0
    assert spread[10] < 0.05


def test_mirror_symmetry_is_found_on_symmetric_meshes_only(face):
    from microexpr.capture.binding import mirror_map

    p = face.skin.points
    own = np.arange(len(p))
    lm = p[face.landmark_vertices]
    sym = mirror_map(p, own, own, lm, 0.02)
    assert sym is not None
    mirror, normal, offset = sym
    assert abs(abs(normal[0]) - 1.0) < 1e-6 and abs(offset) < 1e-6
    assert np.allclose(p[mirror], p * [-1, 1, 1], atol=0.02)
    bumped = p.copy()
    bumped[:, 2] += 0.3 * np.clip(p[:, 0], 0, None)          # one cheek pushed out
    assert mirror_map(bumped, own, own, bumped[face.landmark_vertices], 0.02) is None


def test_a_hollow_face_is_refused():
    from microexpr.capture.binding import problems

    lm = np.zeros((COUNT, 3))
    lm[36], lm[45], lm[30] = [-4.5, 0, 0], [4.5, 0, 0], [0, -3, 2.0]
    assert problems(lm, np.array([0, 0, 1.0]), 9.0, 10, 10, np.zeros(COUNT)) == []
    lm[30, 2] = -2.0
    assert "hollow" in problems(lm, np.array([0, 0, 1.0]), 9.0, 10, 10, np.zeros(COUNT))[0]
    assert "only 3 of 10" in problems(lm, np.array([0, 0, 1.0]), 9.0, 3, 10, np.zeros(COUNT))[0]


def test_axis_candidates():
    from microexpr.capture.markerless import AXIS_ORDER, axis_candidates
    from microexpr.errors import MicroExprError

    assert axis_candidates(None, None, True) == [("+Y", "+Z")]
    assert axis_candidates(None, None, False) == list(AXIS_ORDER) and len(AXIS_ORDER) == 24
    assert axis_candidates("z", "-y", False) == [("+Z", "-Y")]
    assert axis_candidates(None, "-Y", False) == [("+Z", "-Y"), ("-Z", "-Y"), ("+X", "-Y"),
                                                  ("-X", "-Y")]
    with pytest.raises(MicroExprError, match="same axis"):
        axis_candidates("Y", "-Y", False)
