"""The plug-in's commands read every flag (looked up by its dashed name, as Autodesk's
examples do), and the stand-in refuses flag names written without their dash."""
from __future__ import annotations

import pytest

#: command -> (module, function, keyword flags given, options the function must receive)
CASES = {
    "microexprBindKeyPoints": (
        "bind", "bind_key_points",
        {"landmarkFile": "head.lmk", "preset": "table1", "up": "+Z", "front": "-Y",
         "preview": "head_lm.png"},
        {"landmark_file": "head.lmk", "preset": "table1", "up": "+Z", "front": "-Y",
         "preview": "head_lm.png"}),
    "microexprGenerateBlendShapes": (
        "generate", "generate_blendshapes",
        {"preset": "table1", "keepTargets": True, "blendShape": "bs1", "replace": True},
        {"preset": "table1", "keep_targets": True, "blendshape": "bs1", "replace": True}),
    "microexprAddPoseTarget": (
        "pose", "add_pose_target",
        {"name": "smirk_L", "blendShape": "bs1", "resetHandles": False, "replace": True},
        {"name": "smirk_L", "blendshape": "bs1", "reset_handles": False, "replace": True}),
    "microexprExportRig": (
        "export", "export_rig", {"file": "rig.json", "fbxFile": "rig.fbx"},
        {"path": "rig.json", "fbx_path": "rig.fbx"}),
    "microexprApplyClip": (
        "apply_clip", "apply_clip",
        {"clip": "clip.json", "startFrame": 5.0, "tangent": "linear", "animLayer": "micro"},
        {"clip_path": "clip.json", "start_frame": 5.0, "tangent": "linear",
         "anim_layer": "micro"}),
}


@pytest.mark.parametrize("command", sorted(CASES))
def test_every_flag_reaches_the_function(plugin, monkeypatch, command):
    import importlib

    module, function, flags, expected = CASES[command]
    seen = {}

    def record(obj, **options):
        seen.update(options, object=obj)
        return "done"

    monkeypatch.setattr(importlib.import_module("microexpr_maya." + module), function, record)
    plugin.createNode("transform", name="thing")
    assert getattr(plugin, command)("thing", **flags) == "done"
    assert seen == dict(expected, object="thing")


def test_standin_refuses_flag_names_without_their_dash(standin, maya_scene):
    import maya.api.OpenMaya as om

    from maya_standin import api2

    syntax = om.MSyntax()
    with pytest.raises(RuntimeError, match="leading dash"):
        syntax.addFlag("lf", "landmarkFile", om.MSyntax.kString)
    with pytest.raises(RuntimeError, match="1-3 letters"):
        syntax.addFlag("-land", "-landmarkFile", om.MSyntax.kString)
    syntax.addFlag("-lf", "-landmarkFile", om.MSyntax.kString)
    db = om.MArgDatabase(syntax, api2.MArgList._make([], {"landmarkFile": "a.lmk"}))
    assert db.isFlagSet("-lf") and db.isFlagSet("-landmarkFile")
    assert db.flagArgumentString("-lf", 0) == "a.lmk"
    for call in (lambda: db.isFlagSet("lf"), lambda: db.flagArgumentString("lf", 0),
                 lambda: db.isFlagSet("--lf")):
        with pytest.raises(RuntimeError, match="leading dash"):
            call()
