"""add_pose_target: a key-point pose kept as a named target (API, command, panel)."""
from __future__ import annotations

import numpy as np
import pytest
from test_generate import aliases, bound_head, core_deltas, plug_deltas

from microexpr.bridge import load_rig
from microexpr.errors import MicroExprError
from microexpr.rig.build import SPARSE_EPS, dense_deltas

SMIRK = (0.3, 0.2, 0.0)


def key_point(cmds, key):
    """(manipulator, handle) of key point ``key``."""
    manip = [m for m in cmds.ls(type="microexprSoftModManipulator")
             if cmds.getAttr(m + ".keyName") == key][0]
    handle = cmds.listConnections(manip + ".handleTranslate", source=True, destination=False)[0]
    return manip, handle


def move(cmds, head_key, offset):
    _manip, handle = key_point(cmds, head_key)
    cmds.setAttr(handle + ".translate", *offset, type="double3")
    return handle


def points(head):
    from microexpr_maya import scene_io

    return scene_io.read_points(scene_io.mesh_nodes(head)[1])


def test_pose_becomes_a_target_and_the_face_returns_to_neutral(make_head, small_face,
                                                               tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    neutral = points(head)
    np.testing.assert_array_equal(neutral, small_face.skin.points)
    handle = move(cmds, "mouthMove_L", SMIRK)
    posed = points(head)
    assert np.abs(posed - neutral).max() > 0.1

    bs = mm.add_pose_target(head, "smirk_L")
    names = aliases(cmds, bs)
    assert list(names) == ["smirk_L"]
    n = small_face.skin.vertex_count
    deltas = plug_deltas(cmds, bs, names["smirk_L"], n)
    np.testing.assert_allclose(deltas, posed - neutral, atol=1e-9, rtol=0)

    # only vertices within the manipulator's reach of landmark 54 move
    manip, _handle = key_point(cmds, "mouthMove_L")
    assert cmds.getAttr(manip + ".landmarkIndex") == 54
    centre = small_face.skin.points[cmds.getAttr(manip + ".vertexIndex")]
    reach = cmds.getAttr(manip + ".radius")
    moved = np.nonzero(np.any(deltas != 0.0, axis=1))[0]
    assert 0 < len(moved) < n // 4
    assert np.linalg.norm(small_face.skin.points[moved] - centre, axis=1).max() <= reach + 1e-9
    assert np.linalg.norm(deltas[small_face.landmark_vertices[54]]) > 0.1

    # the handle is back at rest, so the face is neutral; weight 1 brings the pose back
    assert cmds.getAttr(handle + ".translate") == [(0.0, 0.0, 0.0)]
    np.testing.assert_allclose(points(head), neutral, atol=1e-12, rtol=0)
    cmds.setAttr(bs + ".smirk_L", 1.0)
    np.testing.assert_allclose(points(head), posed, atol=1e-9, rtol=0)

    rig = load_rig(mm.export_rig(head, tmp_path / "rig.json"))
    assert rig.target_names() == ["smirk_L"]
    assert rig.targets[0].info.preset is None  # a pose has no preset metadata
    np.testing.assert_allclose(dense_deltas(rig)[0], posed - neutral, atol=SPARSE_EPS, rtol=0)


def test_pose_joins_the_preset_targets_and_leaves_dialled_targets_out(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    bs = mm.generate_blendshapes(head, progress=False)
    expected = core_deltas(small_face)
    n = small_face.skin.vertex_count
    cmds.setAttr(bs + ".mouthOpen", 0.5)  # a target dialled in: not part of the pose
    before = points(head)
    move(cmds, "mouthMove_L", SMIRK)
    posed = points(head)
    assert mm.add_pose_target(head, "smirk_L") == bs
    names = aliases(cmds, bs)
    assert names["smirk_L"] == len(expected) and len(names) == len(expected) + 1
    np.testing.assert_allclose(plug_deltas(cmds, bs, names["smirk_L"], n), posed - before,
                               atol=1e-9, rtol=0)
    for name, index in names.items():
        if name != "smirk_L":
            np.testing.assert_allclose(plug_deltas(cmds, bs, index, n), expected[name],
                                       atol=1e-9, rtol=0)
    np.testing.assert_allclose(points(head), before, atol=1e-12, rtol=0)


def test_undo_removes_the_target_and_restores_the_handle(make_head, small_face, scene_state):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    bs = mm.generate_blendshapes(head, progress=False)
    handle = move(cmds, "mouthMove_L", SMIRK)
    posed = points(head)
    start = scene_state()
    mm.add_pose_target(head, "smirk_L")
    assert "smirk_L" in aliases(cmds, bs)
    assert cmds.undoInfo(query=True, undoName=True).startswith("MicroExpr: add pose target")
    cmds.undo()
    assert "smirk_L" not in aliases(cmds, bs)
    assert cmds.getAttr(handle + ".translate") == [pytest.approx(SMIRK)]
    np.testing.assert_allclose(points(head), posed, atol=1e-12, rtol=0)
    assert scene_state() == start


def test_keep_handles_when_asked(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    handle = move(cmds, "browInnerUp_L", (0.0, 0.25, 0.0))
    posed = points(head)
    bs = mm.add_pose_target(head, "browRaise_L", reset_handles=False)
    assert cmds.getAttr(handle + ".translate") == [pytest.approx((0.0, 0.25, 0.0))]
    np.testing.assert_allclose(points(head), posed, atol=1e-12, rtol=0)
    assert "browRaise_L" in aliases(cmds, bs)


@pytest.mark.parametrize("name, moved", [
    ("smirk_L", False),  # nothing moved: the pose is the neutral face
    ("1smirk", True), ("smirk L", True), ("smirk-L", True), ("", True), (None, True),
    ("envelope", True),  # an attribute the blendShape already has
])
def test_refused_pose_changes_nothing(make_head, small_face, scene_state, name, moved):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    mm.generate_blendshapes(head, progress=False)
    if moved:
        move(cmds, "mouthMove_L", SMIRK)
    before = scene_state()
    with pytest.raises(MicroExprError) as exc:
        mm.add_pose_target(head, name)
    assert scene_state() == before
    if not moved:
        assert "move a key point first" in str(exc.value)
    else:
        assert exc.value.field == "name"


def test_same_name_needs_replace(make_head, small_face, scene_state):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    move(cmds, "mouthMove_L", SMIRK)
    bs = mm.add_pose_target(head, "smirk_L")
    index = aliases(cmds, bs)["smirk_L"]
    neutral = points(head)
    move(cmds, "mouthMove_L", (0.1, -0.2, 0.05))
    posed = points(head)
    before = scene_state()
    with pytest.raises(MicroExprError, match="replace=True"):
        mm.add_pose_target(head, "smirk_L")
    assert scene_state() == before
    assert mm.add_pose_target(head, "smirk_L", replace=True) == bs
    assert aliases(cmds, bs) == {"smirk_L": index}
    np.testing.assert_allclose(plug_deltas(cmds, bs, index, small_face.skin.vertex_count),
                               posed - neutral, atol=1e-9, rtol=0)


def test_unbound_mesh_is_refused(make_head, small_face):
    import microexpr_maya as mm

    head = make_head(small_face)
    with pytest.raises(MicroExprError, match="bind_key_points"):
        mm.add_pose_target(head, "smirk_L")


def test_plugin_command(make_head, small_face):
    from maya import cmds

    head = bound_head(make_head, small_face)
    handle = move(cmds, "mouthMove_L", SMIRK)
    bs = cmds.microexprAddPoseTarget(head, name="smirk_L", resetHandles=False)
    assert "smirk_L" in aliases(cmds, bs)
    assert cmds.getAttr(handle + ".translate") == [pytest.approx(SMIRK)]
    with pytest.raises(MicroExprError, match="-name"):
        cmds.microexprAddPoseTarget(head)


# ------------------------------------------------------------------ the panel
@pytest.fixture
def bound(make_head, small_face):
    from maya import cmds

    head = bound_head(make_head, small_face)
    cmds.flushUndo()
    return cmds, head


def test_panel_model_adds_the_pose(bound):
    from microexpr_maya.panel_model import PanelModel

    cmds, head = bound
    model = PanelModel(head)
    row = [kp.key for kp in model.key_points].index("mouthMove_L")
    model.set_offset(row, "x", 0.3)
    assert model.key_points[row].offset[0] == pytest.approx(0.3)
    seen = []
    model.listeners.append(lambda: seen.append(1))
    bs = model.add_pose(" smirk_L ")
    assert "smirk_L" in aliases(cmds, bs)
    assert model.key_points[row].offset == (0.0, 0.0, 0.0) and seen == [1]
    with pytest.raises(MicroExprError) as exc:
        model.add_pose("smirk L")
    assert exc.value.field == "name"


def test_panel_model_calls_the_api(bound):
    from test_panel import FakeApi

    from microexpr_maya.panel_model import PanelModel

    _cmds, head = bound
    api = FakeApi()
    model = PanelModel(head, api=api)
    model.add_pose("smirk_L", replace=True)
    assert api.calls == [("add_pose_target", (model.mesh, "smirk_L"), {"replace": True})]
    with pytest.raises(MicroExprError):
        model.add_pose("9lives")
    assert len(api.calls) == 1


def test_panel_button_asks_for_a_name(bound, qt):
    from microexpr_maya.panel import KeyPointPanel
    from microexpr_maya.panel_model import PanelModel

    cmds, head = bound
    answers = [None, "smirk_L", "smirk_L"]
    asked = []

    def ask_text(caption, label):
        asked.append(caption)
        return answers.pop(0)

    panel = KeyPointPanel(PanelModel(head), ask_text=ask_text)
    assert panel.buttons["pose"].text() == "Add pose as target"
    panel.buttons["pose"].click()  # cancelled: nothing happens
    assert not cmds.ls(type="blendShape")
    row = [kp.key for kp in panel.model.key_points].index("mouthMove_L")
    panel.sliders[row]["y"].setValue(800)
    assert cmds.getAttr(panel.model.key_points[row].handle + ".translateY") > 0.0
    panel.buttons["pose"].click()
    assert "smirk_L" in panel.status.text() and not panel.status.text().startswith("Error")
    bs = cmds.ls(type="blendShape")[0]
    assert "smirk_L" in aliases(cmds, bs)
    assert cmds.getAttr(panel.model.key_points[row].handle + ".translateY") == 0.0
    panel.buttons["pose"].click()  # the face is neutral again: refused, shown in the status
    assert panel.status.text().startswith("Error:") and "move a key point" in panel.status.text()
    assert asked == ["Add pose as target"] * 3
    panel.close()
