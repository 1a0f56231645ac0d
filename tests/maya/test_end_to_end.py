"""bind -> generate -> export -> apply clip -> undo: the scene comes back exactly."""
from __future__ import annotations

import numpy as np
from test_generate import aliases, core_deltas, plug_deltas

from microexpr.bridge import Clip, load_rig, save_clip
from microexpr.rig.build import SPARSE_EPS, dense_deltas


def test_end_to_end_and_back(make_head, face, tmp_path, scene_state):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    assert face.skin.vertex_count >= 5000
    head = make_head(face)
    cmds.currentUnit(time="film")
    start = scene_state()

    handles = mm.bind_key_points(head, vertices=face.landmark_vertices.tolist())
    bs = mm.generate_blendshapes(head)
    expected = core_deltas(face)
    for name, index in aliases(cmds, bs).items():  # the blendShape holds the core's deltas
        np.testing.assert_allclose(plug_deltas(cmds, bs, index, face.skin.vertex_count),
                                   expected[name], atol=1e-9, rtol=0)
    rig = load_rig(mm.export_rig(bs, tmp_path / "rig.json", fbx_path=tmp_path / "rig.fbx"))
    for k, name in enumerate(rig.target_names()):
        # the rig file drops offsets below the core's SPARSE_EPS
        np.testing.assert_allclose(dense_deltas(rig)[k], expected[name], atol=SPARSE_EPS, rtol=0)

    n = 25
    weights = np.zeros((n, len(rig.target_names())))
    weights[:, 0] = np.sin(np.linspace(0, np.pi, n))
    weights[:, 13] = np.linspace(0, 1, n)
    valid = [True] * n
    valid[12] = False
    clip = Clip(fps=60.0, targets=rig.target_names(), weights=weights.tolist(), valid=valid)
    save_clip(clip, str(tmp_path / "clip.json"))
    keys = mm.apply_clip(bs, tmp_path / "clip.json", start_frame=1.0)
    assert keys == (n - 1) * len(rig.target_names())
    shape = scene_io.mesh_nodes(head)[1]
    cmds.currentTime(1.0 + 10 * 24.0 / 60.0)
    w0 = cmds.getAttr(bs + "." + rig.target_names()[0])
    assert 0.0 < w0 <= 1.0
    assert len(handles) == 21

    # one undo step per command (export's FBX selection round trip may be one too)
    undone = []
    while scene_state() != start and len(undone) < 4:
        undone.append(cmds.undoInfo(query=True, undoName=True))
        cmds.undo()
    assert scene_state() == start
    assert 3 <= len(undone) <= 4 and all(n.startswith("MicroExpr:") for n in undone)
    np.testing.assert_array_equal(scene_io.read_points(shape), face.skin.points)
