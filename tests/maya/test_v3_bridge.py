"""The Maya layer on bridge v3: export_rig writes the .microexpr container (or its .bin beside
it, or plain JSON by extension), apply_clip keys a container clip like a JSON one."""
from __future__ import annotations

import os

import numpy as np
import pytest
from test_generate import bound_head

from microexpr import bridge
from microexpr.bridge import container
from microexpr.errors import MicroExprError


@pytest.fixture
def rigged(make_head, small_face):
    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    return mm.generate_blendshapes(head)


def test_export_writes_the_container_and_json_by_extension(rigged, tmp_path):
    import microexpr_maya as mm

    packed = mm.export_rig(rigged, tmp_path / "face.microexpr")
    assert packed == str(tmp_path / "face.microexpr") and container.is_container(packed)
    plain = mm.export_rig(rigged, tmp_path / "face.json")
    assert not container.is_container(plain)
    a, b = bridge.load_rig(packed), bridge.load_rig(plain)
    assert a.version == b.version == bridge.FORMAT_VERSION
    assert a.target_names() == b.target_names()
    assert a.mesh().fingerprint == b.mesh().fingerprint
    np.testing.assert_array_equal(a.landmark_delta_matrix(), b.landmark_delta_matrix())
    # mesh positions are stored as float32 in the container
    np.testing.assert_array_equal(a.mesh().points, b.mesh().points.astype(np.float32))
    assert os.path.getsize(packed) < os.path.getsize(plain) / 2


def test_export_puts_the_payload_beside_the_file(rigged, tmp_path):
    import microexpr_maya as mm

    out = mm.export_rig(rigged, tmp_path / "face.microexpr", fmt="microexpr-bin")
    assert sorted(os.listdir(tmp_path)) == ["face.bin", "face.microexpr"]
    assert os.path.getsize(out) < os.path.getsize(tmp_path / "face.bin")
    assert bridge.load_rig(out).target_names()
    with pytest.raises(MicroExprError, match="unknown bridge format"):
        mm.export_rig(rigged, tmp_path / "other.microexpr", fmt="xml")
    assert not os.path.exists(tmp_path / "other.microexpr")


def test_apply_clip_reads_a_container_clip(rigged, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    cmds.currentUnit(time="ntsc")                                     # 30 fps
    n = 12
    weights = np.column_stack([np.linspace(0.0, 1.0, n), np.linspace(1.0, 0.0, n)])
    valid = np.ones(n, dtype=bool)
    valid[5] = False
    clip = bridge.Clip(fps=30.0, targets=["mouthOpen", "noseUp"], weights=weights, valid=valid)
    path = tmp_path / "clip.microexpr"
    bridge.save_clip(clip, path)
    assert container.is_container(path)
    assert mm.apply_clip(rigged, path, start_frame=1.0) == 2 * (n - 1)
    for j, name in enumerate(clip.targets):
        plug = "%s.%s" % (rigged, name)
        np.testing.assert_allclose(cmds.keyframe(plug, query=True, timeChange=True),
                                   1.0 + np.flatnonzero(valid), atol=1e-9)
        np.testing.assert_allclose(cmds.keyframe(plug, query=True, valueChange=True),
                                   weights[valid, j], atol=1e-12)
    # a damaged container is refused with the file named
    raw = bytearray(path.read_bytes())
    bad = tmp_path / "bad.microexpr"
    bad.write_bytes(bytes(raw[:-8]))
    with pytest.raises(MicroExprError, match="bad.microexpr"):
        mm.apply_clip(rigged, bad)
