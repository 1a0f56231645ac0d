"""bind_key_points: the landmark sources, the created nodes, and the manipulators' motion."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.landmarks import write_landmark_vertices
from microexpr.rig.presets import preset_key_points, preset_targets
from microexpr.rig.softmod import softmod_deltas


def _landmarks_attr(cmds, transform):
    return [int(v) for v in cmds.getAttr(transform + ".microexprLandmarks").split()]


def test_bind_from_vertices_creates_one_manipulator_and_locator_per_key_point(
        make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    handles = mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    keys = preset_key_points("table1")
    assert len(handles) == len(keys)
    assert _landmarks_attr(cmds, head) == small_face.landmark_vertices.tolist()
    manips = cmds.ls(type="microexprSoftModManipulator")
    locators = cmds.ls(type="microexprKeyPoint")
    assert len(manips) == len(locators) == len(keys)
    assert sorted(cmds.getAttr(m + ".keyName") for m in manips) == sorted(k for k, _ in keys)
    for handle, (key, landmark) in zip(handles, keys):
        shape = cmds.listRelatives(handle, shapes=True)[0]
        assert cmds.getAttr(shape + ".keyName") == key
        assert cmds.getAttr(shape + ".landmarkIndex") == landmark


def test_bind_from_file_and_rebind_replaces(make_head, small_face, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    path = tmp_path / "head.lmk"
    write_landmark_vertices(str(path), small_face.landmark_vertices)
    mm.bind_key_points(head, landmark_file=path)
    mm.bind_key_points(head, landmark_file=str(path))
    assert len(cmds.ls(type="microexprSoftModManipulator")) == len(preset_key_points("table1"))
    assert _landmarks_attr(cmds, head) == small_face.landmark_vertices.tolist()


def test_bind_from_selection_in_selection_order(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    cmds.selectPref(trackSelectionOrder=True)
    cmds.select(clear=True)
    for v in small_face.landmark_vertices:
        cmds.select("%s.vtx[%d]" % (head, v), add=True)
    mm.bind_key_points(head)
    assert _landmarks_attr(cmds, head) == small_face.landmark_vertices.tolist()


@pytest.mark.parametrize("orthographic", [True, False])
def test_bind_from_image_landmarks_through_a_front_camera(make_head, small_face, orthographic):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    cam = cmds.createNode("transform", name="frontCam")
    cam_shape = cmds.createNode("camera", name="frontCamShape", parent=cam)
    cmds.setAttr(cam + ".translateZ", 60.0)
    cmds.setAttr(cam_shape + ".orthographic", orthographic)
    cmds.setAttr(cam_shape + ".orthographicWidth", 24.0)
    cmds.setAttr(cam_shape + ".focalLength", 50.0)
    cmds.setAttr(cam_shape + ".horizontalFilmAperture", 1.0)
    cmds.setAttr(cam_shape + ".filmFit", 1)          # horizontal: the picture spans hfa
    size = 1000.0
    lm = small_face.skin.points[small_face.landmark_vertices]
    if orthographic:
        ndc = lm[:, :2] / 12.0
    else:
        tan = 1.0 * 25.4 / 2.0 / 50.0
        ndc = lm[:, :2] / (60.0 - lm[:, 2:3]) / tan
    pixels = np.column_stack([(ndc[:, 0] + 1) * size / 2, (1 - ndc[:, 1]) * size / 2])
    mm.bind_key_points(head, image_landmarks=pixels.tolist(), camera=cam,
                       image_size=(1000, 1000))
    got = np.array(_landmarks_attr(cmds, head))
    pts = small_face.skin.points
    # the chosen vertex lies on the same camera ray (lid and lip margins may be doubled)
    if orthographic:
        np.testing.assert_allclose(pts[got, :2], lm[:, :2], atol=1e-6)
    else:
        np.testing.assert_allclose(pts[got, :2] / (60 - pts[got, 2:3]),
                                   lm[:, :2] / (60 - lm[:, 2:3]), atol=1e-6)


def test_bind_errors_leave_the_scene_unchanged(make_head, small_face, scene_state, tmp_path):
    import microexpr_maya as mm

    head = make_head(small_face)
    before = scene_state()
    with pytest.raises(MicroExprError, match="more than one"):
        mm.bind_key_points(head, landmark_file="x", vertices=[1] * 68)
    bad = tmp_path / "bad.lmk"
    bad.write_text("1 2 3\n")
    with pytest.raises(MicroExprError, match="68"):
        mm.bind_key_points(head, landmark_file=bad)
    with pytest.raises(MicroExprError, match="camera"):
        mm.bind_key_points(head, image_landmarks=np.zeros((68, 2)).tolist())
    with pytest.raises(MicroExprError):
        mm.bind_key_points("noSuchMesh", vertices=small_face.landmark_vertices.tolist())
    assert scene_state() == before


def test_moving_a_key_point_deforms_like_the_core_softmod(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    head = make_head(small_face)
    handles = mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    shape = scene_io.mesh_nodes(head)[1]
    rest = scene_io.read_points(shape)
    np.testing.assert_array_equal(rest, small_face.skin.points)
    handle = [h for h in handles if h.endswith("_mouthOpen_keyPoint")][0]
    cmds.setAttr(handle + ".translate", 0.2, -0.5, 0.1)
    cmds.setAttr(handle + ".rotate", 0.0, 0.0, 8.0)
    cmds.setAttr(handle + ".scale", 1.0, 1.1, 1.0)
    moved = scene_io.read_points(shape)
    skin = small_face.skin
    specs = preset_targets("table1", skin.points, skin.triangles(), small_face.landmark_vertices)
    sm = [m for s in specs for m in s.softmods if m.key_name == "mouthOpen"][0]
    sm = dataclasses.replace(sm, translate=(0.2, -0.5, 0.1), rotate=(0.0, 0.0, 8.0),
                             scale=(1.0, 1.1, 1.0))
    expected = softmod_deltas(skin.points, skin.triangles(), [sm])
    assert np.abs(expected).max() > 0.1
    np.testing.assert_allclose(moved - rest, expected, atol=1e-9)

