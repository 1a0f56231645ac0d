"""apply_clip: frame-rate conversion, tangents that never overshoot, invalid frames held,
animation layers, and clear errors."""
from __future__ import annotations

import numpy as np
import pytest
from test_generate import bound_head

from microexpr.bridge import Clip, save_clip
from microexpr.errors import MicroExprError


@pytest.fixture
def rigged(make_head, small_face):
    import microexpr_maya as mm

    head = bound_head(make_head, small_face)
    return mm.generate_blendshapes(head)


def write_clip(path, fps, targets, weights, valid):
    clip = Clip(fps=fps, targets=list(targets), weights=np.asarray(weights).tolist(),
                valid=list(valid))
    save_clip(clip, str(path))
    return path


def test_60fps_clip_in_a_24fps_scene(rigged, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    cmds.currentUnit(time="film")
    n = 31
    t = np.arange(n) / 60.0
    up = 0.5 - 0.5 * np.cos(2 * np.pi * t / t[-1])          # 0 -> 1 -> 0
    step = (np.arange(n) >= 15).astype(float)               # a jump: splines would overshoot
    valid = np.ones(n, dtype=bool)
    valid[[7, 8, 20]] = False
    path = write_clip(tmp_path / "clip.json", 60.0, ["mouthOpen", "noseUp"],
                      np.column_stack([up, step]), valid)
    count = mm.apply_clip(rigged, path, start_frame=10.0)
    assert count == 2 * int(valid.sum())
    frames = 10.0 + np.arange(n) * 24.0 / 60.0
    for name, values in (("mouthOpen", up), ("noseUp", step)):
        plug = "%s.%s" % (rigged, name)
        times = cmds.keyframe(plug, query=True, timeChange=True)
        np.testing.assert_allclose(times, frames[valid], atol=1e-9)
        np.testing.assert_allclose(cmds.keyframe(plug, query=True, valueChange=True),
                                   values[valid], atol=1e-9)
        outs = cmds.keyTangent(plug, query=True, outTangentType=True)
        held = [i for i, k in enumerate(np.nonzero(valid)[0]) if k + 1 < n and not valid[k + 1]]
        assert [i for i, o in enumerate(outs) if o == "step"] == held
        for f in np.linspace(5.0, 30.0, 301):
            w = cmds.getAttr(plug, time=float(f))
            assert -1e-9 <= w <= 1 + 1e-9
    # a held gap: frames 7 and 8 are invalid, so the value of frame 6 holds until frame 9
    held_value = cmds.getAttr("%s.mouthOpen" % rigged, time=float(frames[8]))
    assert held_value == pytest.approx(up[6])


@pytest.mark.parametrize("unit,fps", [("game", 15), ("film", 24), ("pal", 25), ("ntsc", 30),
                                      ("show", 48), ("palf", 50), ("ntscf", 60),
                                      ("100fps", 100)])
def test_scene_frame_rates(rigged, tmp_path, unit, fps):
    from maya import cmds

    import microexpr_maya as mm
    from microexpr_maya import scene_io

    cmds.currentUnit(time=unit)
    assert scene_io.scene_fps() == pytest.approx(fps)
    path = write_clip(tmp_path / "c.json", 30.0, ["noseUp"], [[0.0], [1.0], [0.5]],
                      [True] * 3)
    mm.apply_clip(rigged, path, start_frame=1.0, tangent="clamped")
    times = cmds.keyframe(rigged + ".noseUp", query=True, timeChange=True)
    np.testing.assert_allclose(times, 1.0 + np.arange(3) * fps / 30.0)
    assert set(cmds.keyTangent(rigged + ".noseUp", query=True, inTangentType=True)) == {"clamped"}


def test_keys_go_onto_an_animation_layer(rigged, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    path = write_clip(tmp_path / "c.json", 24.0, ["noseUp"], [[0.0], [1.0]], [True, True])
    assert mm.apply_clip(rigged, path, anim_layer="microexpr") == 2
    assert cmds.animLayer("microexpr", query=True, exists=True)
    curves = cmds.animLayer("microexpr", query=True, findCurveForPlug=rigged + ".noseUp")
    assert curves and cmds.keyframe(curves[0], query=True, valueChange=True) == [0.0, 1.0]


def test_reapplying_replaces_keys_in_the_range(rigged, tmp_path):
    from maya import cmds

    import microexpr_maya as mm

    cmds.currentUnit(time="film")
    a = write_clip(tmp_path / "a.json", 24.0, ["noseUp"], [[0.2]] * 5, [True] * 5)
    b = write_clip(tmp_path / "b.json", 12.0, ["noseUp"], [[0.9]] * 3, [True] * 3)
    mm.apply_clip(rigged, a, start_frame=1.0)
    mm.apply_clip(rigged, b, start_frame=1.0)
    assert cmds.keyframe(rigged + ".noseUp", query=True, timeChange=True) == [1.0, 3.0, 5.0]


def test_bad_requests_change_nothing(rigged, tmp_path, scene_state):
    import microexpr_maya as mm

    before = scene_state()
    path = write_clip(tmp_path / "c.json", 24.0, ["noseUp", "notATarget"], [[0.0, 0.0]],
                      [True])
    with pytest.raises(MicroExprError, match="notATarget"):
        mm.apply_clip(rigged, path)
    ok = write_clip(tmp_path / "ok.json", 24.0, ["noseUp"], [[0.0]], [True])
    with pytest.raises(MicroExprError, match="overshoot"):
        mm.apply_clip(rigged, ok, tangent="spline")
    (tmp_path / "broken.json").write_text("{")
    with pytest.raises(MicroExprError, match="JSON"):
        mm.apply_clip(rigged, tmp_path / "broken.json")
    assert scene_state() == before
