"""The Maya stand-in itself: it must be able to fail, and its scene model must behave like
Maya where MicroExpr relies on it (stand-in only: these tests skip under real Maya)."""
from __future__ import annotations

import numpy as np
import pytest


def _mesh(cmds, name="plane"):
    from microexpr.mesh import Mesh
    from microexpr_maya import scene_io

    pts = np.array([[x, y, 0.0] for y in range(3) for x in range(3)], dtype=float)
    quads = [[0, 1, 4, 3], [1, 2, 5, 4], [3, 4, 7, 6], [4, 5, 8, 7]]
    return scene_io.create_mesh(Mesh(name, pts, [4] * 4, np.ravel(quads)), name)


def test_rejects_short_flag_name(standin, maya_scene):
    import maya_standin.registry as registry

    with pytest.raises(registry.UndeclaredFlagError, match="q"):
        maya_scene.blendShape(q=True)
    with pytest.raises(registry.UndeclaredFlagError):
        maya_scene.getAttr("time1.outTime", q=True)


def test_rejects_made_up_flag(standin, maya_scene):
    import maya_standin.registry as registry

    with pytest.raises(registry.UndeclaredFlagError, match="madeUpFlag"):
        maya_scene.ls(madeUpFlag=True)
    assert registry.declared_flags("blendShape") and "frontOfChain" in \
        registry.declared_flags("blendShape")


def test_rejects_unknown_command_and_unknown_plug(standin, maya_scene):
    with pytest.raises(AttributeError):
        maya_scene.notAMayaCommand()
    with pytest.raises(ValueError, match="No object matches name"):
        maya_scene.getAttr("time1.noSuchAttribute")


def test_registry_rejects_duplicate_and_undeclared_commands(standin):
    import maya_standin.registry as registry

    with pytest.raises(RuntimeError, match="twice"):
        registry.command("ls")(lambda *a, **k: None)
    with pytest.raises(registry.UnknownCommandError):
        registry.command("notAMayaCommand")(lambda *a, **k: None)


def test_undo_chunk_and_redo_restore_exactly(standin, maya_scene, plugin):
    cmds = maya_scene
    _mesh(cmds)
    before = standin.dump()
    cmds.undoInfo(openChunk=True, chunkName="test")
    cmds.createNode("transform", name="a")
    cmds.setAttr("a.translate", 1, 2, 3)
    cmds.addAttr("a", longName="note", dataType="string")
    cmds.setAttr("a.note", "x", type="string")
    cmds.undoInfo(closeChunk=True)
    after = standin.dump()
    assert cmds.undoInfo(query=True, undoName=True) == "test"
    cmds.undo()
    assert standin.dump() == before
    cmds.redo()
    assert standin.dump() == after


def test_undo_inside_open_chunk_is_refused(standin, maya_scene):
    maya_scene.undoInfo(openChunk=True, chunkName="x")
    try:
        with pytest.raises(RuntimeError):
            maya_scene.undo()
    finally:
        maya_scene.undoInfo(closeChunk=True)


def test_blendshape_output_is_base_plus_weighted_deltas(standin, plugin):
    from microexpr_maya import scene_io

    cmds = plugin
    plane = _mesh(cmds)
    shape = scene_io.mesh_nodes(plane)[1]
    base = scene_io.read_points(shape)
    bs = cmds.blendShape(plane, name="bs")[0]
    d0 = np.zeros_like(base)
    d0[4] = (0, 0, 1)
    d1 = np.zeros_like(base)
    d1[[0, 8]] = (1, 0, 0)
    for i, (name, d) in enumerate((("up", d0), ("side", d1))):
        cmds.setAttr("%s.weight[%d]" % (bs, i), 0.0)
        cmds.aliasAttr(name, "%s.weight[%d]" % (bs, i))
        scene_io.write_deltas(bs, i, d)
    cmds.setAttr(bs + ".up", 0.5)
    cmds.setAttr(bs + ".side", 0.25)
    np.testing.assert_allclose(scene_io.read_points(shape), base + 0.5 * d0 + 0.25 * d1)
    scene_io.write_deltas(bs, 0, 2 * d0, item=5500)  # in-between: 2 x d0 at weight 0.5
    np.testing.assert_allclose(scene_io.read_points(shape), base + 2 * d0 + 0.25 * d1)
    cmds.setAttr(bs + ".up", 0.75)  # halfway from the in-between to the full shape
    np.testing.assert_allclose(scene_io.read_points(shape), base + 1.5 * d0 + 0.25 * d1)


def test_front_of_chain_goes_before_skin(standin, plugin):
    from maya_standin.cmds_deform import chain

    cmds = plugin
    plane = _mesh(cmds)
    cmds.select(clear=True)
    joint = cmds.joint(name="j")
    skin = cmds.skinCluster(joint, plane, toSelectedBones=True)[0]
    bs = cmds.blendShape(plane, frontOfChain=True, name="front")[0]
    late = cmds.blendShape(plane, name="late")[0]
    assert chain(standin, "planeShape") == [bs, skin, late]


def test_referenced_nodes_are_read_only(standin, maya_scene, tmp_path):
    cmds = maya_scene
    _mesh(cmds, "prop")
    path = str(tmp_path / "prop.ma")
    cmds.file(rename=path)
    cmds.file(save=True, type="mayaAscii")
    cmds.file(newFile=True, force=True)
    cmds.file(path, reference=True, namespace="ref")
    assert cmds.referenceQuery("ref:prop", isNodeReferenced=True)
    with pytest.raises(RuntimeError):
        cmds.delete("ref:prop")
    with pytest.raises(RuntimeError):
        cmds.rename("ref:prop", "other")


def test_progress_bar_fails_in_batch_mode(standin, maya_scene):
    assert maya_scene.about(batch=True)
    with pytest.raises(RuntimeError, match="batch"):
        maya_scene.progressBar("MainProgressBar", edit=True, beginProgress=True)


def test_mel_is_recorded_and_unknown_mel_fails(standin, maya_scene, tmp_path):
    from maya import mel

    from maya_standin.mel import FBX_PLACEHOLDER

    path = (tmp_path / "x.fbx").as_posix()
    with pytest.raises(RuntimeError, match="FBXExport"):
        mel.eval('FBXExport -f "%s"' % path)  # fbxmaya not loaded yet
    maya_scene.loadPlugin("fbxmaya", quiet=True)
    mel.eval('FBXExport -f "%s" -s' % path)
    assert (tmp_path / "x.fbx").read_bytes() == FBX_PLACEHOLDER  # a placeholder, not FBX
    with pytest.raises(RuntimeError, match="does not understand"):
        mel.eval("polyCube")
    assert standin.mel_log[-1] == "polyCube"


def test_maya_imports_live_in_one_module():
    """Only microexpr_maya/_maya.py imports Maya (maya.standalone, which must be started
    before maya.cmds exists, is the one exception)."""
    import os
    import re

    root = os.path.join(os.path.dirname(__file__), "..", "..", "maya_plugin", "scripts",
                        "microexpr_maya")
    pattern = re.compile(r"^\s*(?:import maya(?!\.standalone\b)|from maya[ .])", re.M)
    offenders = []
    for folder, _dirs, files in os.walk(root):
        for name in files:
            if name.endswith(".py") and name != "_maya.py":
                with open(os.path.join(folder, name), encoding="utf-8") as f:
                    if pattern.search(f.read()):
                        offenders.append(name)
    assert offenders == []


def test_finite_undo_queue_drops_the_oldest_entry(standin, maya_scene):
    cmds = maya_scene
    from maya_standin.scene import UNDO_LENGTH

    assert not cmds.undoInfo(query=True, infinity=True)
    assert cmds.undoInfo(query=True, length=True) == UNDO_LENGTH
    cmds.undoInfo(infinity=False, length=3)
    for i in range(5):
        cmds.createNode("transform", name="n%d" % i)
    assert cmds.undoInfo(query=True) == 3
    while cmds.undoInfo(query=True):
        cmds.undo()
    assert cmds.ls("n*") == ["n0", "n1"]  # their entries fell off the full queue
    cmds.undoInfo(length=1)  # shortening keeps the newest entries
    assert cmds.undoInfo(query=True) == 0
    cmds.undoInfo(infinity=True, length=2)  # infinity overrides length
    for i in range(4):
        cmds.createNode("transform", name="m%d" % i)
    assert cmds.undoInfo(query=True) == 4
    assert cmds.undoInfo(query=True, length=True) == 2
    cmds.undoInfo(infinity=False)
    assert cmds.undoInfo(query=True) == 2
    with pytest.raises(RuntimeError):
        cmds.undoInfo(length=-1)


def test_undo_settings_survive_a_new_file(standin, maya_scene):
    cmds = maya_scene
    cmds.undoInfo(infinity=False, length=7)
    cmds.file(newFile=True, force=True)
    assert cmds.undoInfo(query=True, length=True) == 7
    assert not cmds.undoInfo(query=True, infinity=True)


def test_undo_keeps_api_edits(standin, maya_scene):
    """Maya's undo reverses commands only: points set and meshes made by the API stay."""
    from microexpr_maya import scene_io

    cmds = maya_scene
    plane = _mesh(cmds)
    shape = scene_io.mesh_nodes(plane)[1]
    start = scene_io.read_points(shape)
    cmds.undoInfo(openChunk=True, chunkName="mixed")
    cmds.setAttr(plane + ".translateX", 4.0)
    scene_io.set_points(shape, start + 1.0)          # API: not on the undo queue
    cmds.rename(plane, "renamed")
    made = _mesh(cmds, "apiMade")      # MFnMesh.create, then renamed by commands
    cmds.undoInfo(closeChunk=True)
    cmds.undo()
    assert cmds.getAttr(plane + ".translateX") == 0.0 and not cmds.objExists("renamed")
    assert np.allclose(scene_io.read_points(shape), start + 1.0)
    assert not cmds.objExists(made)    # the renames were commands: undone
    kept = [m for m in cmds.ls(type="mesh") if m != shape.split("|")[-1]]
    assert len(kept) == 1 and scene_io.vertex_count(kept[0]) == len(start)
    cmds.redo()
    assert cmds.objExists("renamed") and cmds.getAttr("renamed.translateX") == 4.0
    assert np.allclose(scene_io.read_points(scene_io.mesh_nodes("renamed")[1]), start + 1.0)


def test_undo_still_removes_command_made_nodes_with_api_points(standin, maya_scene):
    """What generate relies on: a duplicate (a command) with points set by the API goes
    away with the undo of its chunk."""
    from microexpr_maya import scene_io

    cmds = maya_scene
    plane = _mesh(cmds)
    cmds.undoInfo(openChunk=True, chunkName="target")
    copy = cmds.duplicate(plane, name="target1", returnRootsOnly=True)[0]
    shape = scene_io.mesh_nodes(copy)[1]
    scene_io.set_points(shape, scene_io.read_points(shape) * 2.0)
    cmds.undoInfo(closeChunk=True)
    cmds.undo()
    assert not cmds.objExists("target1")
