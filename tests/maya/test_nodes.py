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
    from maya.api import OpenMaya as om
    from maya.api import OpenMayaRender as omr

    from microexpr_maya.nodes import LOCATOR_DRAW_CLASSIFICATION

    cmds = plugin
    loc = cmds.createNode("microexprKeyPoint", name="kpShape")
    cmds.setAttr(loc + ".keyName", "mouthOpen", type="string")
    cmds.setAttr(loc + ".landmarkIndex", 8)
    _registrant, creator = omr.MDrawRegistry.overrides[LOCATOR_DRAW_CLASSIFICATION]
    sel = om.MSelectionList()
    sel.add(loc)
    path = sel.getDagPath(0)
    override = creator(path.node())
    data = override.prepareForDraw(path, None, None, None)
    drawn = omr.MUIDrawManager()
    override.addUIDrawables(path, drawn, None, data)
    texts = [args[1] for name, args in drawn.calls if name == "text"]
    assert texts == ["mouthOpen (8)"]
    assert [name for name, _ in drawn.calls][0] == "beginDrawable"


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

