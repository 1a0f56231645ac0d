"""generate_blendshapes: exact core deltas, extending, replacing, skinned, namespaced and
referenced meshes."""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.rig.presets import preset_targets
from microexpr.rig.softmod import softmod_deltas


def core_deltas(face, preset="table1"):
    skin = face.skin
    tris = skin.triangles()
    return {s.name: softmod_deltas(skin.points, tris, s.softmods)
            for s in preset_targets(preset, skin.points, tris, face.landmark_vertices)}


def plug_deltas(cmds, bs, index, count, item=6000):
    """Dense deltas read straight from the blendShape's plugs (public getAttr only)."""
    plug = "%s.inputTarget[0].inputTargetGroup[%d].inputTargetItem[%d]" % (bs, index, item)
    pts = cmds.getAttr(plug + ".inputPointsTarget") or []
    comps = cmds.getAttr(plug + ".inputComponentsTarget") or []
    idx = []
    for c in comps:
        rng = c[c.index("[") + 1:-1].split(":")
        idx += range(int(rng[0]), int(rng[-1]) + 1)
    out = np.zeros((count, 3))
    out[idx] = np.asarray([p[:3] for p in pts]).reshape(-1, 3)
    return out


def aliases(cmds, bs):
    flat = cmds.aliasAttr(bs, query=True) or []
    return {a: int(p[p.index("[") + 1:-1]) for a, p in zip(flat[0::2], flat[1::2])}


def bound_head(make_head, face, name="head"):
    import microexpr_maya as mm

    head = make_head(face, name)
    mm.bind_key_points(head, vertices=face.landmark_vertices.tolist())
    return head


def test_targets_equal_the_core_deltas(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    head = bound_head(make_head, small_face)
    bs = mm.generate_blendshapes(head)
    expected = core_deltas(small_face)
    got = aliases(cmds, bs)
    assert list(got) == list(expected)
    n = small_face.skin.vertex_count
    for name, index in got.items():
        np.testing.assert_allclose(plug_deltas(cmds, bs, index, n), expected[name], atol=1e-9,
                                   rtol=0)
    assert not cmds.ls(*expected.keys()) if cmds.ls(*expected.keys()) else True
    shape = scene_io.mesh_nodes(head)[1]
    cmds.setAttr(bs + ".mouthOpen", 1.0)
    cmds.setAttr(bs + ".noseUp", 0.5)
    want = small_face.skin.points + expected["mouthOpen"] + 0.5 * expected["noseUp"]
    np.testing.assert_allclose(scene_io.read_points(shape), want, atol=1e-9)


def test_target_meshes_kept_only_on_request(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    head = bound_head(make_head, small_face)
    mm.generate_blendshapes(head)
    assert cmds.ls(type="mesh", noIntermediate=True) == cmds.ls(head, dagObjects=True,
                                                                 type="mesh", noIntermediate=True)
    head2 = bound_head(make_head, small_face, "head2")
    mm.generate_blendshapes(head2, keep_targets=True)
    expected = core_deltas(small_face)
    for name, delta in expected.items():
        shape = scene_io.mesh_nodes(name)[1]
        np.testing.assert_allclose(scene_io.read_points(shape) - small_face.skin.points, delta,
                                   atol=1e-9)


def test_extending_an_existing_blendshape_keeps_its_targets(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    head = bound_head(make_head, small_face)
    custom = scene_io.create_mesh(small_face.skin, "smileCustom")
    pts = small_face.skin.points.copy()
    pts[:10] += (0.0, 0.3, 0.0)
    scene_io.set_points(scene_io.mesh_nodes(custom)[1], pts)
    bs = cmds.blendShape(custom, head, name="faceShapes")[0]
    cmds.delete(custom)
    n = small_face.skin.vertex_count
    old = plug_deltas(cmds, bs, 0, n)
    np.testing.assert_allclose(old[:10], np.tile((0.0, 0.3, 0.0), (10, 1)), atol=1e-12)
    assert mm.generate_blendshapes(head, blendshape=bs) == bs
    got = aliases(cmds, bs)
    assert got["smileCustom"] == 0
    assert sorted(got.values()) == list(range(1 + len(core_deltas(small_face))))
    np.testing.assert_array_equal(plug_deltas(cmds, bs, 0, n), old)
    # found again without naming it (the only blendShape on the mesh)
    with pytest.raises(MicroExprError, match="replace=True"):
        mm.generate_blendshapes(head)


def test_same_name_targets_replaced_only_when_asked(make_head, small_face, scene_state):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    bs = mm.generate_blendshapes(head)
    before = scene_state()
    with pytest.raises(MicroExprError, match="already has target"):
        mm.generate_blendshapes(head)
    assert scene_state() == before
    manip = [m for m in cmds.ls(type="microexprSoftModManipulator")
             if cmds.getAttr(m + ".keyName") == "noseUp"][0]
    cmds.setAttr(manip + ".radius", 2.5)
    index = aliases(cmds, bs)["noseUp"]
    assert mm.generate_blendshapes(head, replace=True) == bs
    assert aliases(cmds, bs)["noseUp"] == index
    skin = small_face.skin
    spec = [s for s in preset_targets("table1", skin.points, skin.triangles(),
                                      small_face.landmark_vertices) if s.name == "noseUp"][0]
    spec.softmods[0].radius = 2.5
    want = softmod_deltas(skin.points, skin.triangles(), spec.softmods)
    np.testing.assert_allclose(plug_deltas(cmds, bs, index, skin.vertex_count), want, atol=1e-9)


def test_skinned_mesh_gets_the_blendshape_before_the_skin(make_head, small_face, is_standin):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    head = make_head(small_face)
    cmds.select(clear=True)
    joint = cmds.joint(name="headJoint")
    skin = cmds.skinCluster(joint, head, toSelectedBones=True)[0]
    mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    bs = mm.generate_blendshapes(head)
    shape = scene_io.mesh_nodes(head)[1]
    history = cmds.listHistory(shape)
    assert history.index(skin) < history.index(bs)  # history lists downstream first
    if is_standin:
        from maya_standin import current
        from maya_standin.cmds_deform import chain
        order = chain(current(), shape)
        assert order.index(bs) < order.index(skin) and order[0] == bs
    cmds.setAttr(bs + ".mouthOpen", 1.0)
    want = small_face.skin.points + core_deltas(small_face)["mouthOpen"]
    np.testing.assert_allclose(scene_io.read_points(shape), want, atol=1e-9)


def test_namespaced_mesh(make_head, small_face):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    cmds.namespace(addNamespace="chr")
    head = cmds.rename(head, "chr:head")
    mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    bs = mm.generate_blendshapes(head)
    assert ":" not in bs and list(aliases(cmds, bs)) == list(core_deltas(small_face))


def test_referenced_mesh_gets_a_blendshape_in_the_main_scene(make_head, small_face, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    make_head(small_face, "head")
    path = str(tmp_path / "head.ma")
    cmds.file(rename=path)
    cmds.file(save=True, type="mayaAscii")
    cmds.file(newFile=True, force=True)
    cmds.file(path, reference=True, namespace="ref")
    head = "ref:head"
    assert cmds.referenceQuery(head, isNodeReferenced=True)
    mm.bind_key_points(head, vertices=small_face.landmark_vertices.tolist())
    bs = mm.generate_blendshapes(head)
    assert not cmds.referenceQuery(bs, isNodeReferenced=True)
    expected = core_deltas(small_face)
    got = aliases(cmds, bs)
    np.testing.assert_allclose(plug_deltas(cmds, bs, got["eyeClose_L"],
                                           small_face.skin.vertex_count),
                               expected["eyeClose_L"], atol=1e-9)
