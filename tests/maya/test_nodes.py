"""The plug-in: node types, the manipulator's cached weights, the locator's drawing, the
MEL/Python commands."""
from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from test_generate import bound_head

from microexpr.bridge import Clip, load_rig, save_clip
from microexpr.landmarks import write_landmark_vertices
from microexpr.rig.presets import preset_targets


def test_plugin_registers_nodes_and_commands(plugin):
    cmds = plugin
    assert cmds.pluginInfo("microexpr_plugin", query=True, loaded=True)
    assert cmds.pluginInfo("microexpr_deformer", query=True, loaded=True)
    loc = cmds.createNode("microexprKeyPoint")
    for attr in ("keyName", "landmarkIndex", "size", "localPosition"):
        assert cmds.attributeQuery(attr, node=loc, exists=True)
    manip = cmds.createNode("microexprSoftModManipulator")
    for attr in ("keyName", "landmarkIndex", "vertexIndex", "radius", "innerRadius",
                 "falloffCurve", "falloffMode", "envelope", "handleMatrix", "handleTranslate",
                 "handleRotate", "handleScale", "center", "useCenter"):
        assert cmds.attributeQuery(attr, node=manip, exists=True), attr
    assert cmds.attributeQuery("falloffCurve", node=manip, listEnum=True) == \
        ["linear:smooth:gaussian:constant"]
    assert cmds.attributeQuery("falloffMode", node=manip, listEnum=True) == ["surface:volume"]
    for name in ("microexprBindKeyPoints", "microexprGenerateBlendShapes",
                 "microexprExportRig", "microexprApplyClip"):
        assert callable(getattr(cmds, name))


def test_envelope_scales_the_manipulator(make_head, small_face):
    from maya import cmds

    from microexpr_maya import scene_io

    head = bound_head(make_head, small_face)
    shape = scene_io.mesh_nodes(head)[1]
    manip = [m for m in cmds.ls(type="microexprSoftModManipulator")
             if cmds.getAttr(m + ".keyName") == "noseUp"][0]
    handle = cmds.listConnections(manip + ".handleTranslate", source=True)[0]
    cmds.setAttr(handle + ".translateY", 1.0)
    full = scene_io.read_points(shape) - small_face.skin.points
    cmds.setAttr(manip + ".envelope", 0.5)
    np.testing.assert_allclose(scene_io.read_points(shape) - small_face.skin.points, full / 2,
                               atol=1e-12)
    cmds.setAttr(manip + ".envelope", 0.0)
    np.testing.assert_array_equal(scene_io.read_points(shape), small_face.skin.points)


def test_weight_cache_recomputes_only_when_the_falloff_changes(small_face):
    from microexpr_maya.nodes._softmod_eval import WeightCache, deform

    skin = small_face.skin
    tris = skin.triangles()
    spec = [s for s in preset_targets("table1", skin.points, tris, small_face.landmark_vertices)
            if s.name == "mouthOpen"][0]
    sm = spec.softmods[0]
    params = dataclasses.replace(sm, translate=(0.5, 0.0, 0.0))  # its own handle is ignored
    cache = WeightCache()
    topo = (skin.vertex_count, len(skin.face_counts))
    assert deform(skin.points, params, cache, lambda: tris, topo) is None  # at rest
    assert cache.computed == 0
    for ty in (0.1, 0.2, 0.3):
        deform(skin.points, params, cache, lambda: tris, topo, translate=(0, ty, 0))
    assert cache.computed == 1
    deform(skin.points, sm, cache, lambda: tris, topo, translate=(0, 0.4, 0))  # same falloff
    assert cache.computed == 1
    wider = dataclasses.replace(sm, radius=sm.radius * 1.5)
    deform(skin.points, wider, cache, lambda: tris, topo, translate=(0, 0.1, 0))
    assert cache.computed == 2
    deform(skin.points, wider, cache, lambda: tris, (topo[0], topo[1] + 1), translate=(0, 1, 0))
    assert cache.computed == 3


def test_locator_draws_its_key_name(standin, plugin):
    from maya_standin.api2_render import draw

    cmds = plugin
    loc = cmds.createNode("microexprKeyPoint", name="kpShape")
    cmds.setAttr(loc + ".keyName", "mouthOpen", type="string")
    cmds.setAttr(loc + ".landmarkIndex", 8)
    drawn = draw(standin, loc)  # Viewport 2.0's calls, as the stand-in plays them
    names = [name for name, _ in drawn.calls]
    assert [args[1] for name, args in drawn.calls if name == "text"] == ["mouthOpen (8)"]
    assert names[0] == "beginDrawable" and names[-1] == "endDrawable"


def test_key_point_drawing_is_bounded_by_the_locator_box(standin, plugin):
    """Viewport 2.0 culls and frames the drawing by the override's box (isBounded True)."""
    from maya_standin.api2_render import draw

    cmds = plugin
    loc = cmds.createNode("microexprKeyPoint", name="kpShape")
    cmds.setAttr(loc + ".size", 0.5)
    drawn = draw(standin, loc)
    assert drawn.bounded is True
    assert list(drawn.box.min)[:3] == [-0.5] * 3 and list(drawn.box.max)[:3] == [0.5] * 3
    spheres = [args for name, args in drawn.calls if name == "sphere"]
    assert [args[1] for args in spheres] == [0.5]  # what is drawn fits the box


def _grid(cmds, name="grid"):
    """A 5 x 5 grid of vertices 1 cm apart in the XY plane; vertex 12 is the centre."""
    from microexpr.mesh import Mesh
    from microexpr_maya import scene_io

    pts = np.array([[x, y, 0.0] for y in range(5) for x in range(5)], dtype=float)
    quads = [[r * 5 + c, r * 5 + c + 1, r * 5 + c + 6, r * 5 + c + 5]
             for r in range(4) for c in range(4)]
    return scene_io.create_mesh(Mesh(name, pts, [4] * 16, np.ravel(quads)), name)


def test_manipulator_moves_only_its_members_by_their_painted_weights(plugin):
    """A deformer on some vertices moves those only, by their real ids, and Paint Weights
    (weightList) scales each one's motion."""
    from microexpr_maya import scene_io
    from microexpr_maya.nodes import MANIPULATOR_TYPE

    cmds = plugin
    grid = _grid(cmds)
    shape = scene_io.mesh_nodes(grid)[1]
    before = scene_io.read_points(shape)
    # members 7, 11, 13 and 18: not the key vertex 12 itself, and not 17 though it is in reach
    manip = cmds.deformer(grid + ".vtx[7]", grid + ".vtx[11]", grid + ".vtx[13]",
                          grid + ".vtx[18]", type=MANIPULATOR_TYPE)[0]
    cmds.setAttr(manip + ".vertexIndex", 12)
    cmds.setAttr(manip + ".radius", 1.2)  # one edge (1 cm) away is inside, a diagonal is not
    cmds.setAttr(manip + ".weightList[0].weights[13]", 0.25)  # painted
    cmds.setAttr(manip + ".weightList[0].weights[11]", 0.0)
    cmds.setAttr(manip + ".handleTranslate", 0.0, 0.0, 1.0)
    moved = scene_io.read_points(shape)
    x = 1.0 / 1.2
    edge = 1.0 - x * x * (3.0 - 2.0 * x)  # the smooth falloff one edge away
    expected = np.zeros(25)
    expected[7], expected[13] = edge, np.float32(0.25) * edge
    np.testing.assert_allclose(moved[:, 2], expected, atol=1e-12)
    np.testing.assert_array_equal(moved[:, :2], before[:, :2])
    cmds.setAttr(manip + ".weightList[0].weights[13]", 1.0)  # repainted: full motion again
    assert scene_io.read_points(shape)[13, 2] == pytest.approx(edge)


def test_commands_run_the_public_api(make_head, small_face, tmp_path):
    from maya import cmds

    head = make_head(small_face)
    lm = tmp_path / "head.lmk"
    write_landmark_vertices(str(lm), small_face.landmark_vertices)
    handles = cmds.microexprBindKeyPoints(head, landmarkFile=str(lm))
    assert len(handles) == 21
    bs = cmds.microexprGenerateBlendShapes(head, preset="table1")
    assert cmds.nodeType(bs) == "blendShape"
    out = cmds.microexprExportRig(bs, file=str(tmp_path / "rig.json"))
    rig = load_rig(out)
    clip = Clip(fps=24.0, targets=rig.target_names()[:2], weights=[[0.0, 1.0], [1.0, 0.0]],
                valid=[True, True])
    save_clip(clip, str(tmp_path / "clip.json"))
    assert cmds.microexprApplyClip(bs, clip=str(tmp_path / "clip.json"), startFrame=5.0) == 4
    with pytest.raises(Exception):
        cmds.microexprExportRig(bs)

