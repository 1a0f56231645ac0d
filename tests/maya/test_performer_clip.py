"""A take solved in performer mode (#11) drives the rig made in Maya: bind -> generate ->
export -> solve another face's take with head motion -> apply the clip. Runs unchanged under
the stand-in and a real mayapy."""
from __future__ import annotations

import numpy as np

from microexpr.bridge import load_clip, load_rig, save_clip
from microexpr.solve.performer import region_gains
from microexpr.solve.tracks_to_clip import FRONTAL, MIN_VISIBILITY, solve_tracks, visibility
from performer_cases import other_identity, performance, sparse_micro


def test_a_performer_mode_clip_keys_the_blendshape(make_head, face, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    head = make_head(face)
    cmds.currentUnit(time="ntsc")                        # 30 fps scene, 60 fps take
    mm.bind_key_points(head, vertices=face.landmark_vertices.tolist())
    bs = mm.generate_blendshapes(head)
    rig = load_rig(mm.export_rig(bs, tmp_path / "rig.json"))
    X, B = rig.neutral_landmarks(), rig.landmark_delta_matrix()
    P0 = other_identity(X, 9)                            # not the rig's face
    names = rig.target_names()
    seen = visibility(B, FRONTAL) >= MIN_VISIBILITY
    active = [n for n, ok, size in zip(names, seen, np.linalg.norm(B, axis=(0, 1))) if ok and size > 0.3]
    truth = sparse_micro(names, 9, active[::2])
    tracks, _, _ = performance(P0, B * region_gains(P0, X)[:, None, None], truth, X, 9)
    clip = solve_tracks(rig, tracks, "performer")
    assert clip.source["performer"].startswith("calibrated on the fly")
    err = np.abs(clip.weight_array() - truth).mean()
    print("performer-mode clip on the Maya rig: mean error %.4f" % err)
    assert err < 0.03
    save_clip(clip, str(tmp_path / "clip.json"))
    mm.apply_clip(bs, tmp_path / "clip.json", start_frame=1.0)
    W = load_clip(str(tmp_path / "clip.json")).weight_array()
    for f in (0, 120, 300):                              # clip frame f sits at 1 + f / 2
        cmds.currentTime(1.0 + f / 2.0)
        keyed = [cmds.getAttr(bs + "." + n) for n in names]
        np.testing.assert_allclose(keyed, W[f], atol=1e-6)
