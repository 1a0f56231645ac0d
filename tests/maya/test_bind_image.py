"""bind_key_points with image landmarks seen through a scene camera (perspective or
orthographic, with Maya's film fit): the core renders the mesh through the camera and binds
each landmark to the skin vertex under it (capture.image_binding).

The expected pixels come from the camera as Maya states it (``xform`` world matrix, focal
length, apertures), computed here by hand, not by the code under test.
"""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.errors import MicroExprError


def _landmarks(cmds, head):
    return np.array([int(v) for v in cmds.getAttr(head + ".microexprLandmarks").split()])


def _camera(cmds, name, translate, rotate, **attrs):
    cam = cmds.createNode("transform", name=name)
    shape = cmds.createNode("camera", name=name + "Shape", parent=cam)
    for axis, t, r in zip("XYZ", translate, rotate):
        cmds.setAttr("%s.translate%s" % (cam, axis), t)
        cmds.setAttr("%s.rotate%s" % (cam, axis), r)
    for attr, value in attrs.items():
        cmds.setAttr(shape + "." + attr, value)
    return cam, shape


def _to_camera(cmds, cam, points):
    """Camera-space points (x right, y up, looking down -z) from ``xform``'s world matrix."""
    m = np.array(cmds.xform(cam, query=True, matrix=True, worldSpace=True)).reshape(4, 4)
    return (np.c_[points, np.ones(len(points))] @ np.linalg.inv(m))[:, :3]


def _error_pct(face, got):
    p, lm = face.skin.points, face.landmark_vertices
    return 100 * np.linalg.norm(p[got] - p[lm], axis=1) / np.linalg.norm(p[lm[36]] - p[lm[45]])


def test_perspective_camera_with_the_default_fill_fit(renderer, make_head, face, tmp_path):
    """A turned 50 mm camera, a 16:9 render (wider than the 1.417 x 0.945 film): Fill
    fits the picture to the film's width."""
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(face)
    cam, shape = _camera(cmds, "shotCam", (14.0, 6.0, 52.0), (-6.0, 15.0, 0.0),
                         focalLength=50.0)
    cmds.setAttr("defaultResolution.width", 1280)
    cmds.setAttr("defaultResolution.height", 720)
    c = _to_camera(cmds, cam, face.skin.points[face.landmark_vertices])
    focal_px = 1280 * 50.0 / (1.417 * 25.4)
    pixels = np.column_stack([640 + focal_px * c[:, 0] / -c[:, 2],
                              360 - focal_px * c[:, 1] / -c[:, 2]])
    mm.bind_key_points(head, image_landmarks=pixels.tolist(), camera=cam,
                       preview=tmp_path / "shot.png")
    err = _error_pct(face, _landmarks(cmds, head))
    print("\nMaya perspective camera, projected landmarks: %.2f %% (max %.2f)"
          % (err.mean(), err.max()))
    assert err.max() <= 0.5
    assert mm.preview_path(head) == str(tmp_path / "shot.png")
    cmds.undo()
    assert not cmds.attributeQuery("microexprLandmarks", node=head, exists=True)


def test_orthographic_camera_with_a_vertical_fit_and_a_tall_picture(renderer, make_head,
                                                                    face):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(face)
    cam, _ = _camera(cmds, "sideCam", (20.0, -2.0, 40.0), (0.0, 25.0, 0.0),
                     orthographic=True, orthographicWidth=26.0, filmFit=2)
    size = (600, 900)
    c = _to_camera(cmds, cam, face.skin.points[face.landmark_vertices])
    per_cm = 900 / 26.0                 # vertical fit: the picture's height is the width
    pixels = np.column_stack([300 + per_cm * c[:, 0], 450 - per_cm * c[:, 1]])
    mm.bind_key_points(head, image_landmarks=pixels.tolist(), camera=cam, image_size=size)
    assert _error_pct(face, _landmarks(cmds, head)).max() <= 0.5


def test_a_point_over_the_eye_opening_binds_to_the_lid_margin(renderer, make_head, face):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(face)
    cam, _ = _camera(cmds, "frontCam", (0.0, 0.0, 60.0), (0.0, 0.0, 0.0), focalLength=60.0,
                     filmFit=1)
    size = (1000, 800)
    c = _to_camera(cmds, cam, face.skin.points[face.landmark_vertices])
    focal_px = 1000 * 60.0 / (1.417 * 25.4)
    pixels = np.column_stack([500 + focal_px * c[:, 0] / -c[:, 2],
                              400 - focal_px * c[:, 1] / -c[:, 2]])
    opening = pixels[42:48].mean(axis=0)         # the left eye's opening: no skin there
    pixels[44] = opening
    mm.bind_key_points(head, image_landmarks=pixels.tolist(), camera=cam, image_size=size)
    v = int(_landmarks(cmds, head)[44])
    tri = face.skin.triangles()
    edges = np.sort(np.concatenate([tri[:, [0, 1]], tri[:, [1, 2]], tri[:, [2, 0]]]), axis=1)
    uniq, count = np.unique(edges, axis=0, return_counts=True)
    assert v in set(uniq[count == 1].ravel().tolist())   # a vertex on the opening's rim
    lid = face.skin.points[v]
    upper, lower = face.skin.points[face.landmark_vertices[[44, 46]]]
    assert min(np.linalg.norm(lid - upper), np.linalg.norm(lid - lower)) \
        < np.linalg.norm(upper - lower)


def test_unmodelled_camera_settings_are_refused_and_nothing_changes(make_head, small_face,
                                                                    scene_state):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    cam, shape = _camera(cmds, "anamorphic", (0.0, 0.0, 60.0), (0.0, 0.0, 0.0),
                         lensSqueezeRatio=2.0)
    before = scene_state()
    with pytest.raises(MicroExprError, match="lensSqueezeRatio"):
        mm.bind_key_points(head, image_landmarks=np.full((68, 2), 100.0).tolist(), camera=cam)
    with pytest.raises(MicroExprError, match="up and front"):
        mm.bind_key_points(head, image_landmarks=np.full((68, 2), 100.0).tolist(),
                           camera=cam, up="+Y")
    with pytest.raises(MicroExprError, match="not a camera"):
        mm.bind_key_points(head, image_landmarks=np.full((68, 2), 100.0).tolist(),
                           camera=head)
    assert scene_state() == before


def test_the_command_takes_up_and_front(make_head, small_face, tmp_path):
    """-up/-front reach bind_key_points: with a landmark file they are refused by it."""
    from maya import cmds

    from microexpr.landmarks import write_landmark_vertices

    head = make_head(small_face)
    path = str(tmp_path / "head.txt")
    write_landmark_vertices(path, [int(v) for v in small_face.landmark_vertices])
    with pytest.raises(Exception, match="up and front"):
        cmds.microexprBindKeyPoints(head, landmarkFile=path, up="+Y", front="+Z")
    cmds.microexprBindKeyPoints(head, landmarkFile=path)
    assert _landmarks(cmds, head).tolist() == small_face.landmark_vertices.tolist()
