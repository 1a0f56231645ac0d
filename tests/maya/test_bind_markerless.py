"""Markerless binding in Maya (bind_key_points with no landmark source), the preview in the
panel, and move_key_point (a key point bound to another vertex, one undo step).

Accuracy is measured as in tests/test_markerless.py (same measure, same limits): the Maya
layer hands the core the mesh it reads from the scene, so the figures must match the CLI's.
"""
from __future__ import annotations

import time

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.rig.presets import preset_key_points, preset_targets


@pytest.fixture(scope="module")
def finder():
    """The renderer and dlib's model (skips locally without them, fails under CI)."""
    from test_markerless import _gate

    from microexpr.capture.detect import load_models
    from microexpr.rig.render import context

    try:
        context()
        load_models()
    except MicroExprError as exc:
        _gate("no renderer or face detector: %s" % exc)


def _landmarks(cmds, head):
    return np.array([int(v) for v in cmds.getAttr(head + ".microexprLandmarks").split()])


@pytest.mark.slow
def test_bind_with_no_source_finds_the_default_faces_landmarks(finder, make_head, face,
                                                                tmp_path):
    from maya import cmds
    from test_markerless import check_accuracy, errors_pct

    import microexpr_maya as mm
    from microexpr_maya.panel_model import PanelModel

    head = make_head(face)
    cmds.select(clear=True)
    start = time.perf_counter()
    handles = mm.bind_key_points(head, preview=tmp_path / "head_lm.png")
    seconds = time.perf_counter() - start
    got = _landmarks(cmds, head)
    pts = face.skin.points
    inner, jaw = errors_pct(pts[got], pts[face.landmark_vertices])
    print("\nMaya bind, default face: inner %.2f %%, jaw %.2f %%, %.1f s"
          % (inner, jaw, seconds))
    check_accuracy("default face", pts[got], pts[face.landmark_vertices])
    assert len(handles) == len(preset_key_points("table1"))
    assert mm.preview_path(head) == str(tmp_path / "head_lm.png")
    with open(mm.preview_path(head), "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    assert PanelModel(head).preview == mm.preview_path(head)
    cmds.undo()
    assert not cmds.attributeQuery("microexprLandmarks", node=head, exists=True)


@pytest.mark.slow
def test_a_mesh_with_no_face_names_the_fix_and_changes_nothing(finder, plugin, scene_state,
                                                              tmp_path):
    from test_markerless import uv_sphere

    import microexpr_maya as mm
    from microexpr.mesh import Mesh
    from microexpr_maya import scene_io

    points, tri = uv_sphere((0.0, 0.0, 0.0), 10.0)
    ball = scene_io.create_mesh(Mesh("ball", points, np.full(len(tri), 3), tri.ravel()),
                                "ball")
    plugin.select(clear=True)
    before = scene_state()
    with pytest.raises(MicroExprError, match="no face found") as err:
        mm.bind_key_points(ball, preview=tmp_path / "ball.png", progress=False)
    text = str(err.value)
    assert "up=" in text and "front=" in text and "landmark_file" in text
    assert (tmp_path / "ball.png").is_file()         # what the renders showed
    assert scene_state() == before
    assert mm.preview_path(ball) is None


def test_up_and_front_need_no_other_source(make_head, small_face):
    import microexpr_maya as mm

    head = make_head(small_face)
    with pytest.raises(MicroExprError, match="up and front"):
        mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist(), up="+Z")


@pytest.mark.slow
def test_the_panels_bind_button_shows_the_preview(finder, make_head, face, qt):
    from maya import cmds

    from microexpr_maya.panel import KeyPointPanel
    from microexpr_maya.panel_model import PanelModel

    head = make_head(face)
    cmds.select(clear=True)
    panel = KeyPointPanel(PanelModel(head))
    assert panel.preview.pixmap() is None or panel.preview.pixmap().isNull()
    panel.buttons["bind"].click()
    assert panel.status.text().startswith("Bound"), panel.status.text()
    assert panel.key_choice.count() == len(preset_key_points("table1"))
    assert not panel.preview.pixmap().isNull()
    panel.close()


@pytest.mark.slow
def test_the_shelfs_bind_button_finds_the_landmarks_and_shows_them(finder, make_head, face,
                                                                   qt):
    """The shelf's Bind asks for no file: bind_key_points(selected mesh), then the panel
    opens on the mesh with the picture of what was found."""
    from maya import cmds
    from test_markerless import check_accuracy

    from microexpr_maya import panel, shelf

    head = make_head(face)
    cmds.select(head, replace=True)
    button = [b for b in shelf.BUTTONS if b.key == "bind"][0]
    exec(compile(button.command, button.label, "exec"), {"__name__": "__main__"})
    pts = face.skin.points
    check_accuracy("default face", pts[_landmarks(cmds, head)], pts[face.landmark_vertices])
    shown = panel._OPEN[-1]
    assert not shown.preview.pixmap().isNull()
    panel._OPEN.pop().close()


@pytest.mark.slow
def test_the_command_takes_the_heads_axes(finder, plugin, face):
    """A Z-up head (front -Y): -up/-front tell the finder; the binding matches +Y up."""
    from test_markerless import check_accuracy

    from microexpr.mesh import Mesh
    from microexpr_maya import scene_io

    p = face.skin.points
    z_up = np.column_stack([p[:, 0], -p[:, 2], p[:, 1]])       # +Y -> +Z, +Z -> -Y
    head = scene_io.create_mesh(Mesh("zup", z_up, face.skin.face_counts,
                                     face.skin.face_indices), "zup")
    plugin.select(clear=True)
    plugin.microexprBindKeyPoints(head, up="+Z", front="-Y")
    got = _landmarks(plugin, head)
    check_accuracy("default face", p[got], p[face.landmark_vertices])


# ------------------------------------------------------------------ move_key_point
@pytest.fixture
def bound_head(make_head, small_face):
    import microexpr_maya as mm

    head = make_head(small_face)
    handles = mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist(),
                                 progress=False)
    return head, dict(zip([k for k, _ in preset_key_points("table1")], handles))


def _expected(small_face, lv, key):
    skin = small_face.skin
    specs = preset_targets("table1", skin.points, skin.triangles(), lv)
    return [m for s in specs for m in s.softmods if m.key_name == key][0]


def test_move_key_point_rebinds_its_landmark_and_is_one_undo_step(bound_head, small_face):
    from maya import cmds

    import microexpr_maya as mm

    head, handles = bound_head
    key, landmark = preset_key_points("table1")[0]
    handle = handles[key]
    manip = cmds.listConnections(handle + ".translate", type="microexprSoftModManipulator")[0]
    before = _landmarks(cmds, head)
    old_vertex = cmds.getAttr(manip + ".vertexIndex")
    holder = cmds.listRelatives(handle, parent=True, fullPath=True)[0]
    old_pos = cmds.xform(holder, query=True, translation=True, worldSpace=True)
    target = int(np.argsort(np.linalg.norm(
        small_face.skin.points - small_face.skin.points[before[landmark]], axis=1))[5])
    assert mm.move_key_point(handle, target) == landmark
    after = _landmarks(cmds, head)
    assert after[landmark] == target
    assert np.array_equal(np.delete(after, landmark), np.delete(before, landmark))
    sm = _expected(small_face, after, key)
    assert cmds.getAttr(manip + ".vertexIndex") == sm.vertex != old_vertex
    centre = small_face.skin.points[sm.vertex] if sm.center is None else sm.center
    np.testing.assert_allclose(cmds.xform(holder, query=True, translation=True,
                                          worldSpace=True), centre, atol=1e-9)
    cmds.undo()
    assert np.array_equal(_landmarks(cmds, head), before)
    assert cmds.getAttr(manip + ".vertexIndex") == old_vertex
    np.testing.assert_allclose(cmds.xform(holder, query=True, translation=True,
                                          worldSpace=True), old_pos, atol=1e-9)


def test_move_key_point_by_landmark_index_and_selected_vertex(bound_head):
    from maya import cmds

    import microexpr_maya as mm

    head, _handles = bound_head
    cmds.select("%s.vtx[7]" % head, replace=True)
    assert mm.move_key_point(30, mesh=head) == 30
    assert _landmarks(cmds, head)[30] == 7
    with pytest.raises(MicroExprError, match="needs its mesh"):
        mm.move_key_point(30, 7)
    with pytest.raises(MicroExprError, match="not in 0-67"):
        mm.move_key_point(68, 7, mesh=head)
    with pytest.raises(MicroExprError, match="not in 0-"):
        mm.move_key_point(30, 10 ** 7, mesh=head)
    cmds.select(clear=True)
    with pytest.raises(MicroExprError, match="0 vertices are selected"):
        mm.move_key_point(30, mesh=head)
    with pytest.raises(MicroExprError, match="not a key point"):
        mm.move_key_point(head, 7)


def test_panel_moves_the_chosen_key_point_to_the_selected_vertex(bound_head, qt):
    from maya import cmds

    from microexpr_maya.panel import KeyPointPanel
    from microexpr_maya.panel_model import PanelModel

    head, _handles = bound_head
    model = PanelModel(head)
    panel = KeyPointPanel(model)
    assert panel.key_choice.count() == len(model.key_points)
    assert panel.preview.pixmap() is None or panel.preview.pixmap().isNull()  # from vertices
    row = 3
    landmark = model.key_points[row].landmark
    panel.key_choice.setCurrentIndex(row)
    cmds.select("%s.vtx[11]" % head, replace=True)
    panel.move_button.click()
    assert not panel.status.text().startswith("Error"), panel.status.text()
    assert _landmarks(cmds, head)[landmark] == 11
    assert panel.key_choice.currentIndex() == row
    cmds.undo()
    assert _landmarks(cmds, head)[landmark] != 11
    cmds.select(clear=True)
    panel.move_button.click()
    assert panel.status.text().startswith("Error:") and "select the one vertex" in \
        panel.status.text()
    panel.close()
