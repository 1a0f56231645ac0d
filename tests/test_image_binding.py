"""Image landmarks through a camera, bound to the skin (capture.image_binding), the
perspective renderer (rig.render.render_perspective) and Maya's film fit (rig.film).

Accuracy is the measure of tests/test_markerless.py: mean 3-D distance to the default
face's shipped landmark vertices, in % of their outer-eye-corner distance (printed with
``pytest -s``).
"""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.rig.film import FILM_FITS, film_window, orthographic_view, perspective_view
from render_gate import render_gate


@pytest.fixture(scope="module")
def face():
    from microexpr.rig.face import default_face

    return default_face()


def look_at(eye, target, up=(0.0, 1.0, 0.0)) -> np.ndarray:
    """A camera's 4x4 world matrix (row vectors) at ``eye`` looking at ``target``."""
    eye, target = np.asarray(eye, float), np.asarray(target, float)
    back = (eye - target) / np.linalg.norm(eye - target)
    right = np.cross(up, back)
    right /= np.linalg.norm(right)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3], m[3, :3] = right, np.cross(back, right), back, eye
    return m


def pinhole(points, to_world, focal_px, size):
    """Pixels of ``points`` through an ideal centred pinhole (focal length in pixels)."""
    inv = np.linalg.inv(to_world)
    c = np.c_[points, np.ones(len(points))] @ inv
    w, h = size
    return np.column_stack([w / 2 + focal_px * c[:, 0] / -c[:, 2],
                            h / 2 - focal_px * c[:, 1] / -c[:, 2]])


def error_pct(face, vertices) -> np.ndarray:
    p, lm = face.skin.points, face.landmark_vertices
    return 100 * np.linalg.norm(p[vertices] - p[lm], axis=1) / np.linalg.norm(p[lm[36]] - p[lm[45]])


# ------------------------------------------------------------------ film fit (no renderer)
@pytest.mark.parametrize("fit", FILM_FITS)
@pytest.mark.parametrize("aspect", [0.75, 1.0, 16 / 9.0])
def test_film_window_keeps_the_picture_aspect_and_its_fit(fit, aspect):
    ax, ay = 1.417, 0.945
    left, right, bottom, top = film_window((ax, ay), aspect, fit)
    width, height = right - left, top - bottom
    assert width / height == pytest.approx(aspect)
    assert (left + right, bottom + top) == pytest.approx((0.0, 0.0))
    inside = width <= ax + 1e-12 and height <= ay + 1e-12
    around = width >= ax - 1e-12 and height >= ay - 1e-12
    if fit == "fill":
        assert inside and (width == pytest.approx(ax) or height == pytest.approx(ay))
    elif fit == "overscan":
        assert around and (width == pytest.approx(ax) or height == pytest.approx(ay))
    elif fit == "horizontal":
        assert width == pytest.approx(ax)
    else:
        assert height == pytest.approx(ay)


def test_film_offset_and_fit_offset_move_the_window():
    base = film_window((1.0, 1.0), 2.0, "vertical")
    moved = film_window((1.0, 1.0), 2.0, "vertical", offset=(0.1, -0.2))
    assert np.subtract(moved, base) == pytest.approx([0.1, 0.1, -0.2, -0.2])
    shifted = film_window((1.0, 1.0), 2.0, "vertical", fit_offset=1.0)
    assert shifted[0] - base[0] == pytest.approx((1.0 - 2.0) / 2.0)   # the film's edge: left
    with pytest.raises(MicroExprError, match="film fit"):
        film_window((1.0, 1.0), 1.0, "stretch")


def test_views_refuse_bad_cameras():
    m = np.eye(4)
    with pytest.raises(MicroExprError, match="focalLength"):
        perspective_view(m, (640, 480), 0.0)
    sheared = np.eye(4)
    sheared[1, 0] = 0.5
    with pytest.raises(MicroExprError, match="sheared"):
        perspective_view(sheared, (640, 480), 35.0)
    with pytest.raises(MicroExprError, match="image size"):
        orthographic_view(m, (0, 480), 30.0)


def test_a_perspective_view_projects_like_a_pinhole():
    rng = np.random.default_rng(3)
    m = look_at((20.0, 10.0, 50.0), (0.0, 0.0, 0.0))
    # a 36 x 24 mm back, 50 mm lens, 1500 x 1000 picture: a centred pinhole of
    # 50 / 36 * 1500 pixels focal length
    view = perspective_view(m, (1500, 1000), 50.0, (36 / 25.4, 24 / 25.4))
    pts = rng.normal(0.0, 5.0, (50, 3))
    xy, depth = view.to_pixels(pts)
    np.testing.assert_allclose(xy, pinhole(pts, m, 50.0 / 36.0 * 1500, (1500, 1000)), atol=1e-9)
    np.testing.assert_allclose(view.from_pixels(xy, depth), pts, atol=1e-9)


# ------------------------------------------------------------------ the renderer
def _ray_hits(points, tris, origin, dirs):
    """Nearest triangle (or -1) and distance along each ray (Moller-Trumbore, numpy)."""
    a, b, c = (points[tris[:, k]] for k in range(3))
    e1, e2 = b - a, c - a
    best = np.full(len(dirs), -1)
    dist = np.full(len(dirs), np.inf)
    for k, d in enumerate(dirs):
        p = np.cross(d, e2)
        det = np.einsum("ij,ij->i", e1, p)
        ok = np.abs(det) > 1e-12
        inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
        s = origin - a
        u = np.einsum("ij,ij->i", s, p) * inv
        q = np.cross(s, e1)
        v = (q @ d) * inv
        t = np.einsum("ij,ij->i", e2, q) * inv
        hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 0)
        if hit.any():
            j = np.flatnonzero(hit)[np.argmin(t[hit])]
            best[k], dist[k] = j, t[j]
    return best, dist


def test_render_perspective_agrees_with_ray_casting(renderer):
    from microexpr.rig.face import default_face
    from microexpr.rig.render import render_perspective

    small = default_face(0.5).skin
    pts, tris = small.points, small.triangles()
    m = look_at((6.0, 3.0, 25.0), (0.0, -2.0, 0.0))
    view = perspective_view(m, (320, 240), 35.0)
    frame = render_perspective(pts, tris, view)
    rng = np.random.default_rng(0)
    cols, rows = rng.integers(0, 320, 300), rng.integers(0, 240, 300)
    centres = np.column_stack([cols + 0.5, rows + 0.5])
    far = view.from_pixels(centres, np.ones(len(centres)))
    dirs = far - view.eye
    dirs /= np.linalg.norm(dirs, axis=1)[:, None]
    tri, dist = _ray_hits(pts, tris, view.eye, dirs)
    got = frame.triangle[rows, cols]
    agree = np.mean(got == tri)
    assert agree >= 0.97, agree          # pixels on a triangle edge may go either way
    both = (got == tri) & (tri >= 0)
    axial = dist[both] * (dirs[both] @ -view.rotation[2])
    np.testing.assert_allclose(frame.depth[rows, cols][both], axial, rtol=1e-4)
    surf, _ = frame.surface(pts, tris, centres[both])
    back, _ = view.to_pixels(surf)
    np.testing.assert_allclose(back, centres[both], atol=0.02)   # exact barycentrics


# ------------------------------------------------------------------ binding image landmarks
def test_projected_landmarks_bind_to_the_shipped_vertices(renderer, face):
    from microexpr.capture.image_binding import bind_image_landmarks

    lm = face.skin.points[face.landmark_vertices]
    m = look_at(lm.mean(axis=0) + (12.0, 5.0, 55.0), lm.mean(axis=0))
    view = perspective_view(m, (1920, 1080), 50.0)
    xy, _ = view.to_pixels(lm)
    got = bind_image_landmarks(face.skin, xy, view, others=[face.eyes])
    err = error_pct(face, got.vertices)
    rng = np.random.default_rng(7)
    noisy = bind_image_landmarks(face.skin, xy + rng.normal(0.0, 2.0, xy.shape), view,
                                 others=[face.eyes])
    noisy_err = error_pct(face, noisy.vertices)
    print("\nprojected: %.2f %% (max %.2f); with 2 px noise: %.2f %% (max %.2f)"
          % (err.mean(), err.max(), noisy_err.mean(), noisy_err.max()))
    assert err.mean() <= 0.5 and err.max() <= 2.0
    assert noisy_err.mean() <= 2.0
    assert got.preview.ndim == 3 and got.preview.shape[2] == 3


def test_dlib_landmarks_on_a_perspective_render_bind_near_the_shipped_vertices(renderer, face):
    """Image landmarks from elsewhere: dlib's, on a shaded perspective render."""
    from test_markerless import GOAL_INNER, LIMITS

    from microexpr.capture.detect import FaceTracker, load_models
    from microexpr.capture.image_binding import bind_image_landmarks
    from microexpr.rig.render import gray, render_perspective

    try:
        detector, _ = load_models()
    except MicroExprError as exc:
        render_gate("no face detector: %s" % exc)
    lm = face.skin.points[face.landmark_vertices]
    m = look_at(lm.mean(axis=0) + (6.0, 3.0, 45.0), lm.mean(axis=0))
    view = perspective_view(m, (1000, 1000), 60.0, (1.0, 1.0))
    picture = gray(render_perspective(face.skin.points, face.skin.triangles(), view), 0)
    found = detector(picture, 1)
    assert len(found) == 1, len(found)
    r = found[0]
    xy = FaceTracker().predict(picture, (r.left(), r.top(), r.right(), r.bottom())) + 0.5
    got = bind_image_landmarks(face.skin, xy, view, others=[face.eyes])
    err = error_pct(face, got.vertices)
    inner, jaw = float(err[17:].mean()), float(err[:17].mean())
    print("\ndlib on one perspective render: inner %.2f %% (markerless goal %.0f %%), jaw "
          "%.2f %%" % (inner, GOAL_INNER, jaw))
    limit_inner, limit_jaw = LIMITS["default face"]
    assert inner <= 2 * limit_inner and jaw <= 2 * limit_jaw


def _boundary_vertices(mesh) -> set:
    tri = mesh.triangles()
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    uniq, count = np.unique(edges, axis=0, return_counts=True)
    return set(uniq[count == 1].ravel().tolist())


@pytest.mark.parametrize("with_eyeballs", [False, True])
def test_a_point_over_the_eye_opening_lands_on_its_margin(renderer, face, with_eyeballs):
    from microexpr.capture.image_binding import bind_image_landmarks

    p, lm = face.skin.points, face.landmark_vertices
    m = look_at(p[lm].mean(axis=0) + (0.0, 2.0, 50.0), p[lm].mean(axis=0))
    view = perspective_view(m, (1600, 1200), 50.0)
    xy, depth = view.to_pixels(p[lm])
    eye = xy[36:42].mean(axis=0)                 # the middle of the right eye's opening
    xy[37] = eye
    got = bind_image_landmarks(face.skin, xy, view, others=[face.eyes] if with_eyeballs else ())
    v = int(got.vertices[37])
    assert v in _boundary_vertices(face.skin)    # the lid margin, not the eyeball or the back
    seen, d = view.to_pixels(p[[v]])
    assert abs(d[0] - depth[36:42].mean()) < 0.5
    assert np.linalg.norm(seen[0] - eye) < 0.6 * np.linalg.norm(xy[36] - xy[39])
    assert got.moved[37] > 0


def test_a_point_between_parted_lips_lands_on_a_lip(renderer, face):
    from microexpr.capture.image_binding import bind_image_landmarks
    from microexpr.mesh import Mesh

    p, lm = face.skin.points.copy(), face.landmark_vertices
    mouth_y = p[lm[[62, 66]], 1].mean()
    half = 0.6 * np.linalg.norm(p[lm[48]] - p[lm[54]])
    below = p[:, 1] < mouth_y
    pull = np.exp(-((p[:, 0] / half) ** 2) - (((p[:, 1] - mouth_y) / (2 * half)) ** 2))
    p[below, 1] -= 1.2 * pull[below]             # the jaw drops: the lips part
    opened = Mesh("open", p, face.skin.face_counts, face.skin.face_indices)
    teeth = Mesh("teeth", np.array([[-2.0, mouth_y - 1.5, -1.0], [2.0, mouth_y - 1.5, -1.0],
                                    [2.0, mouth_y + 0.5, -1.0], [-2.0, mouth_y + 0.5, -1.0]]),
                 [4], [0, 1, 2, 3])
    m = look_at(p[lm].mean(axis=0) + (3.0, 1.0, 50.0), p[lm].mean(axis=0))
    view = perspective_view(m, (1600, 1200), 50.0)
    xy, _ = view.to_pixels(p[lm])
    gap = (xy[62] + xy[66]) / 2.0
    assert np.linalg.norm(xy[62] - xy[66]) > 20.0   # parted by many pixels
    xy[66] = gap
    got = bind_image_landmarks(opened, xy, view, others=[teeth])
    v = int(got.vertices[66])
    assert v in _boundary_vertices(face.skin)
    seen, _ = view.to_pixels(p[[v]])
    assert min(np.linalg.norm(seen[0] - xy[62]), np.linalg.norm(seen[0] - view.to_pixels(
        p[lm[[66]]])[0][0])) < 0.75 * np.linalg.norm(xy[62] - view.to_pixels(p[lm[[66]]])[0][0])


def test_orthographic_is_the_limit_of_perspective(renderer, face):
    """A camera far away with a long lens sees what the orthographic camera sees."""
    from microexpr.capture.image_binding import bind_image_landmarks

    p, lm = face.skin.points, face.landmark_vertices
    target = p[lm].mean(axis=0)
    width, size = 24.0, (1200, 900)
    ortho = orthographic_view(look_at(target + (0.0, 0.0, 40.0), target), size, width)
    rng = np.random.default_rng(11)
    xy, _ = ortho.to_pixels(p[lm])
    xy = xy + rng.uniform(-3.0, 3.0, xy.shape)
    want = bind_image_landmarks(face.skin, xy, ortho).vertices
    agree = []
    for distance in (200.0, 2000.0, 200000.0):
        # the view is ``width`` wide at the target: focal = distance * aperture / width
        focal = distance * 1.417 * 25.4 / width
        persp = perspective_view(look_at(target + (0.0, 0.0, distance), target), size, focal,
                                 film_fit="horizontal")
        a, _ = ortho.to_pixels(p)
        b, _ = persp.to_pixels(p)
        spread = float(np.abs(a - b).max())
        got = bind_image_landmarks(face.skin, xy, persp).vertices
        agree.append((distance, spread, int(np.sum(got == want))))
    print("\northo vs perspective (distance, max pixel gap, same vertices):", agree)
    assert agree[-1][1] < 0.01 and agree[-1][2] >= 67
    assert agree[0][1] > agree[-1][1] * 50


def test_bad_image_landmarks_are_refused(renderer, face):
    from microexpr.capture.image_binding import bind_image_landmarks

    view = perspective_view(look_at((0.0, 0.0, 60.0), (0.0, 0.0, 0.0)), (640, 480), 50.0)
    good = np.full((68, 2), 300.0)
    with pytest.raises(MicroExprError, match="68"):
        bind_image_landmarks(face.skin, good[:67], view)
    out = good.copy()
    out[5] = (700.0, 10.0)
    with pytest.raises(MicroExprError, match="landmark 5 .* outside"):
        bind_image_landmarks(face.skin, out, view)
    away = perspective_view(look_at((0.0, 0.0, 60.0), (0.0, 0.0, 120.0)), (640, 480), 50.0)
    with pytest.raises(MicroExprError, match="camera"):
        bind_image_landmarks(face.skin, good, away)
