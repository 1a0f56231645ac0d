"""export_rig: deltas from the blendShape's plugs (targets deleted), in-betweens, FBX."""
from __future__ import annotations

import os

import numpy as np
import pytest
from test_generate import bound_head, core_deltas

from microexpr.bridge import load_rig
from microexpr.errors import MicroExprError
from microexpr.rig.build import SPARSE_EPS, dense_deltas


def test_export_reads_deltas_from_the_plugs(make_head, small_face, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    bs = mm.generate_blendshapes(head)
    assert not cmds.ls("mouthOpen")  # no target meshes left to read from
    out = mm.export_rig(bs, tmp_path / "rig.json")
    assert out == str(tmp_path / "rig.json")
    rig = load_rig(out)
    expected = core_deltas(small_face)
    assert rig.target_names() == list(expected)
    dense = dense_deltas(rig)
    for k, name in enumerate(rig.target_names()):
        # the rig file drops offsets below the core's SPARSE_EPS
        np.testing.assert_allclose(dense[k], expected[name], atol=SPARSE_EPS, rtol=0)
    assert [p.vertex for p in rig.landmarks.points] == small_face.landmark_vertices.tolist()
    np.testing.assert_allclose(rig.mesh().points, small_face.skin.points)
    assert rig.units.length == "cm"
    info = {t.name: t.info for t in rig.targets}
    assert info["mouthMove_L"].side == "L" and info["mouthMove_L"].preset == "table1"
    # the mesh name works as well as the blendShape's
    assert load_rig(mm.export_rig(head, tmp_path / "rig2.json")).target_names() == \
        rig.target_names()


def test_export_includes_in_betweens(make_head, small_face, tmp_path):
    import microexpr_maya as mm
    from microexpr_maya import scene_io

    head = bound_head(make_head, small_face)
    bs = mm.generate_blendshapes(head)
    index = scene_io.weight_aliases(bs)["noseUp"]
    half = core_deltas(small_face)["noseUp"] * 0.7
    scene_io.write_deltas(bs, index, half, item=5500)
    rig = load_rig(mm.export_rig(bs, tmp_path / "rig.json"))
    target = [t for t in rig.targets if t.name == "noseUp"][0]
    frames = target.shapes[0].frames
    assert [f.weight for f in frames] == [0.5, 1.0]
    got = np.zeros_like(half)
    got[frames[0].indices] = frames[0].deltas
    np.testing.assert_allclose(got, half, atol=1e-9)


def test_export_fbx_through_fbxmaya(make_head, small_face, tmp_path, is_standin):
    from maya import cmds

    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    mm.generate_blendshapes(head)
    cmds.select(clear=True)
    fbx = tmp_path / "head.fbx"
    mm.export_rig(head, tmp_path / "rig.json", fbx_path=fbx)
    assert cmds.pluginInfo("fbxmaya", query=True, loaded=True)
    assert cmds.ls(selection=True) == []  # the selection is restored
    if is_standin:
        from maya_standin import current
        log = current().mel_log
        path = str(fbx).replace("\\", "/")
        assert log[-5:] == ["FBXResetExport", "FBXExportShapes -v true",
                            "FBXExportSkins -v true", "FBXExportBakeComplexAnimation -v false",
                            'FBXExport -f "%s" -s' % path]
    assert os.path.getsize(str(fbx)) > 0


def test_export_needs_targets_and_landmarks(make_head, small_face, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(small_face)
    with pytest.raises(MicroExprError, match="no blendShape"):
        mm.export_rig(head, tmp_path / "rig.json")
    cmds.blendShape(head, name="empty")
    with pytest.raises(MicroExprError, match="landmark"):
        mm.export_rig("empty", tmp_path / "rig.json")
    assert not (tmp_path / "rig.json").exists()
