"""Picking mesh vertices under image landmarks (microexpr.rig.landmark_picking).

The meshes here are not made by MicroExpr: a UV sphere built below, and (when installed) a
model from assimp's test models. Pixels come from a pinhole projection written in this file,
and ray hits from analytic ray/sphere and ray/triangle intersection, so the picker is judged
against geometry it did not compute.
"""
from __future__ import annotations

import os

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh
from microexpr.rig.landmark_picking import (
    Camera,
    median_edge_length,
    nearest_vertices_to_rays,
    vertices_under_landmarks,
)

WUSON = "/usr/share/assimp/models/OBJ/WusonOBJ.obj"
RADIUS = 5.0
CENTRE = np.array([1.0, 2.0, 3.0])
W, H = 800, 600


def uv_sphere(radius: float, centre: np.ndarray, rings: int = 24, segments: int = 48) -> Mesh:
    """A triangulated UV sphere: poles on Z, ``rings`` latitude bands."""
    pts = [[0.0, 0.0, radius]]
    for i in range(1, rings):
        theta = np.pi * i / rings
        for j in range(segments):
            phi = 2 * np.pi * j / segments
            pts.append([radius * np.sin(theta) * np.cos(phi),
                        radius * np.sin(theta) * np.sin(phi), radius * np.cos(theta)])
    pts.append([0.0, 0.0, -radius])

    def ring(i: int, j: int) -> int:
        return 1 + (i - 1) * segments + j % segments

    tris = [[0, ring(1, j), ring(1, j + 1)] for j in range(segments)]
    for i in range(1, rings - 1):
        for j in range(segments):
            a, b, c, d = ring(i, j), ring(i, j + 1), ring(i + 1, j), ring(i + 1, j + 1)
            tris += [[a, c, b], [b, c, d]]
    south = len(pts) - 1
    tris += [[ring(rings - 1, j), south, ring(rings - 1, j + 1)] for j in range(segments)]
    return Mesh.from_triangles("sphere", np.array(pts) + centre, np.array(tris))


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """Camera-to-world matrix (row vectors) of a camera at ``eye`` looking at ``target``."""
    back = (eye - target) / np.linalg.norm(eye - target)
    right = np.cross([0.0, 1.0, 0.0], back)
    right /= np.linalg.norm(right)
    m = np.eye(4)
    m[0, :3], m[1, :3], m[2, :3], m[3, :3] = right, np.cross(back, right), back, eye
    return m


def project(points: np.ndarray, to_world: np.ndarray, tan_half_fov=None, ortho_width=None):
    """Pixels (origin top-left, y down) of world points, horizontal fit."""
    local = (points - to_world[3, :3]) @ to_world[:3, :3].T
    if ortho_width is not None:
        ndc = local[:, :2] / (ortho_width / 2.0)
    else:
        ndc = local[:, :2] / -local[:, 2:3] / tan_half_fov
    ndc[:, 1] *= W / H
    return np.column_stack([(ndc[:, 0] + 1) * W / 2, (1 - ndc[:, 1]) * H / 2])


def sphere_camera(kind: str):
    to_world = look_at(CENTRE + np.array([20.0, 10.0, 5.0]), CENTRE)
    lens = {"tan_half_fov": 0.3} if kind == "perspective" else {"ortho_width": 14.0}
    return to_world, lens


def facing(points: np.ndarray, normals: np.ndarray, to_world: np.ndarray, ortho: bool):
    """Cosine between each normal and the direction back to the camera."""
    view = np.tile(-to_world[2, :3], (len(points), 1)) if ortho else points - to_world[3, :3]
    view /= np.linalg.norm(view, axis=1)[:, None]
    return -(normals * view).sum(axis=1)


@pytest.mark.parametrize("kind", ["perspective", "orthographic"])
def test_vertices_facing_the_camera_are_found_exactly(kind):
    sphere = uv_sphere(RADIUS, CENTRE)
    to_world, lens = sphere_camera(kind)
    cos = facing(sphere.points, (sphere.points - CENTRE) / RADIUS, to_world, "ortho_width" in lens)
    wanted = np.nonzero(cos > 0.5)[0]
    wanted = wanted[np.linspace(0, len(wanted) - 1, 68).astype(int)]  # 68, spread out
    pixels = project(sphere.points[wanted], to_world, **lens)
    got = vertices_under_landmarks(sphere, pixels.tolist(), (W, H), Camera(to_world, **lens))
    assert got.tolist() == wanted.tolist()


@pytest.mark.parametrize("kind", ["perspective", "orthographic"])
def test_picked_vertex_lies_near_where_the_ray_meets_the_sphere(kind):
    sphere = uv_sphere(RADIUS, CENTRE)
    edge = median_edge_length(sphere)
    to_world, lens = sphere_camera(kind)
    camera = Camera(to_world, **lens)
    pixels = np.random.default_rng(1).uniform([0, 0], [W, H], (3000, 2))
    origins, dirs = camera.rays(pixels, (W, H))
    dirs = dirs / np.linalg.norm(dirs, axis=1)[:, None]
    # analytic first hit: |o + t d - c| = r
    oc = origins - CENTRE
    b = (oc * dirs).sum(axis=1)
    disc = b * b - ((oc * oc).sum(axis=1) - RADIUS ** 2)
    hit_rows = disc > 0
    assert 1000 < hit_rows.sum() < 2900  # the sphere fills part of the view
    t = -b[hit_rows] - np.sqrt(disc[hit_rows])
    hits = origins[hit_rows] + t[:, None] * dirs[hit_rows]
    got = nearest_vertices_to_rays(sphere.points, origins[hit_rows], dirs[hit_rows], edge)
    miss = np.linalg.norm(sphere.points[got] - hits, axis=1) / edge
    cos = -(((hits - CENTRE) / RADIUS) * dirs[hit_rows]).sum(axis=1)
    # Measured: median 0.39 edges; where the surface faces the camera (cos > 0.3) at most
    # 1.09 edges (perspective) / 0.97 (orthographic); at grazing angles at most 2.5 edges.
    assert np.median(miss) < 0.5
    assert miss[cos > 0.3].max() < 1.25
    assert miss.max() < 3.0


@pytest.mark.skipif(not os.path.exists(WUSON), reason="assimp test models not installed")
def test_visible_vertices_of_an_assimp_test_model_are_found():
    from microexpr.formats.obj import read_obj

    mesh = read_obj(WUSON)          # a low-poly mascot, 2117 vertices, about 1 x 1.5 x 3.2
    edge = median_edge_length(mesh)
    centre = (mesh.points.min(axis=0) + mesh.points.max(axis=0)) / 2
    to_world = look_at(centre + np.array([8.0, 0.0, 0.0]), centre)  # its right side
    eye = to_world[3, :3]
    tris = mesh.triangles()
    visible = [i for i, p in enumerate(mesh.points)
               if np.linalg.norm(_first_hit(eye, p - eye, mesh.points, tris) - p) < 1e-6]
    visible = np.array(visible)
    cos = facing(mesh.points[visible], mesh.vertex_normals()[visible], to_world, False)
    wanted = visible[cos > 0.5]
    assert len(wanted) > 250
    pixels = project(mesh.points[wanted], to_world, tan_half_fov=0.25)
    origins, dirs = Camera(to_world, tan_half_fov=0.25).rays(pixels, (W, H))
    got = nearest_vertices_to_rays(mesh.points, origins, dirs, edge)
    miss = np.linalg.norm(mesh.points[got] - mesh.points[wanted], axis=1) / edge
    # Measured: 95% of the 319 visible vertices facing the camera come back exactly; the
    # others lie up to 9.5 median edges away, where a nearby surface closer to the camera
    # (this model's triangles are up to 14 median edges long) takes the ray.
    assert np.mean(got == wanted) > 0.9
    assert np.median(miss) == 0.0
    assert miss.max() < 12.0


def _first_hit(origin, direction, points, tris):
    """Where a ray first meets the triangles (Moller-Trumbore), or NaN."""
    v0, e1, e2 = points[tris[:, 0]], points[tris[:, 1]] - points[tris[:, 0]], \
        points[tris[:, 2]] - points[tris[:, 0]]
    p = np.cross(direction, e2)
    det = (e1 * p).sum(axis=1)
    ok = np.abs(det) > 1e-12
    inv = np.where(ok, 1.0 / np.where(ok, det, 1.0), 0.0)
    s = origin - v0
    u = (s * p).sum(axis=1) * inv
    q = np.cross(s, e1)
    v = (q @ direction) * inv
    t = (q * e2).sum(axis=1) * inv
    hit = ok & (u >= 0) & (v >= 0) & (u + v <= 1) & (t > 1e-9)
    if not hit.any():
        return np.full(3, np.nan)
    return origin + np.min(np.where(hit, t, np.inf)) * direction


def test_nearest_vertex_prefers_the_visible_surface():
    points = np.array([[0.0, 0.0, -5.0],     # back of the head, exactly on the ray
                       [0.02, 0.0, 5.0],     # front surface, a little off the ray
                       [0.3, 0.0, 5.0]])
    got = nearest_vertices_to_rays(points, np.array([[0.0, 0.0, 50.0]]),
                                   np.array([[0.0, 0.0, -1.0]]), tolerance=0.1)
    assert got.tolist() == [1]
    assert nearest_vertices_to_rays(points, np.array([[0.0, 0.0, 50.0]]),
                                    np.array([[0.0, 0.0, -1.0]])).tolist() == [0]
    with pytest.raises(MicroExprError, match="behind"):
        nearest_vertices_to_rays(points, np.array([[0.0, 0.0, -50.0]]),
                                 np.array([[0.0, 0.0, -1.0]]))


def test_median_edge_length():
    cube = Mesh("cube", 2.0 * np.array([[x, y, z] for x in (0, 1) for y in (0, 1) for z in (0, 1)]),
                [4] * 6, [0, 1, 3, 2, 4, 6, 7, 5, 0, 4, 5, 1, 2, 3, 7, 6, 0, 2, 6, 4, 1, 5, 7, 3])
    assert median_edge_length(cube) == pytest.approx(2.0)
    right = Mesh.from_triangles("t", [[0, 0, 0], [3, 0, 0], [0, 4, 0]], [[0, 1, 2]])
    assert median_edge_length(right) == pytest.approx(4.0)      # sides 3, 5, 4
    assert median_edge_length(Mesh("empty", np.zeros((2, 3)), [], [])) == 0.0


def test_bad_input_names_the_field():
    sphere = uv_sphere(RADIUS, CENTRE, 6, 8)
    cam = Camera(np.eye(4), tan_half_fov=0.5)
    good = np.full((68, 2), 100.0)
    with pytest.raises(MicroExprError, match="image_landmarks"):
        vertices_under_landmarks(sphere, good[:67], (W, H), cam)
    with pytest.raises(MicroExprError, match="image_landmarks"):
        vertices_under_landmarks(sphere, np.where(good == 100.0, np.nan, good), (W, H), cam)
    for size in [(0, 600), (800, -1), (800,), "big"]:
        with pytest.raises(MicroExprError, match="image_size"):
            vertices_under_landmarks(sphere, good, size, cam)
    with pytest.raises(MicroExprError, match="camera"):
        Camera(np.eye(4), tan_half_fov=0.5, ortho_width=10.0)
    with pytest.raises(MicroExprError, match="camera"):
        Camera(np.eye(4))
    with pytest.raises(MicroExprError, match="camera"):
        Camera(np.eye(4), ortho_width=-1.0)
    with pytest.raises(MicroExprError, match="4x4"):
        Camera(np.eye(3), tan_half_fov=0.5)
