import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr import bridge
from microexpr.errors import MicroExprError
from microexpr.formats.obj import read_obj, write_obj
from microexpr.mesh import Mesh
from microexpr.rig.build import evaluate, rig_from_targets, rigid_landmarks
from microexpr.rig.convert import rig_to_scene, scene_to_rig


def test_inbetweens_and_combinations_evaluate_as_documented(face):
    n = face.skin.vertex_count
    full = np.zeros((n, 3))
    full[:, 1] = 1.0
    half = np.zeros((n, 3))
    half[:, 0] = 1.0                       # the in-between at 0.5 goes sideways
    other = np.zeros((n, 3))
    other[:, 2] = 2.0
    rig = rig_from_targets(face.skin, {"a": full, "b": other}, face.landmark_vertices,
                           inbetweens={"a": {0.5: half}})
    p0 = face.skin.points
    assert np.allclose(evaluate(rig, [0.25, 0])[0] - p0[0], [0.5, 0, 0])      # 0 -> half
    assert np.allclose(evaluate(rig, [0.75, 0])[0] - p0[0], [0.5, 0.5, 0])    # half -> full
    assert np.allclose(evaluate(rig, [1.0, 0.5])[0] - p0[0], [0, 1, 1])
    d = rig.model_dump()
    d["combinations"] = [{"name": "a_b", "drivers": ["a", "b"], "shapes": [
        {"mesh": face.skin.name, "frames": [{"indices": [0], "deltas": [[0, 0, -4.0]]}]}]}]
    combo = bridge.Rig.model_validate(d)
    assert np.allclose(evaluate(combo, [1.0, 0.5])[0] - p0[0], [0, 1, 1 - 2.0])
    scene = rig_to_scene(combo, bridge.Clip(fps=30, targets=["a", "b"], weights=[[1, 0.5]], valid=[True]))
    assert scene.animation.channel_names == ["a", "b", "a_b"]
    assert scene.animation.weights[0].tolist() == [1.0, 0.5, 0.5]


def test_scene_round_trip_keeps_every_mesh(table1_rig):
    scene = rig_to_scene(table1_rig)
    assert [m.mesh.name for m in scene.meshes] == ["face_skin", "face_eyes"]
    lv = [p.vertex for p in table1_rig.landmarks.points]
    back = scene_to_rig(scene, lv)
    assert back.target_names() == table1_rig.target_names()
    assert np.allclose(back.landmark_delta_matrix(), table1_rig.landmark_delta_matrix())


def test_scene_to_rig_reports_bad_names(table1_rig):
    scene = rig_to_scene(table1_rig)
    scene.meshes[0].channels[1].name = scene.meshes[0].channels[0].name
    with pytest.raises(MicroExprError, match="duplicate blend-shape names"):
        scene_to_rig(scene, [p.vertex for p in table1_rig.landmarks.points], source="x.fbx")
    scene.meshes[0].channels[1].name = " "
    with pytest.raises(MicroExprError, match="empty name"):
        scene_to_rig(scene, [p.vertex for p in table1_rig.landmarks.points], source="x.fbx")


def test_rigid_set_drops_points_the_rig_moves(arkit_rig):
    rigid = arkit_rig.landmarks.rigid
    assert 40 not in rigid and 31 not in rigid          # lower lid (squint), nose base (sneer)
    assert {1, 15, 27, 36, 45} <= set(rigid)
    moving = np.zeros((3, 68, 3))
    moving[:, :, 1] = 1.0                              # everything moves: fall back
    assert len(rigid_landmarks(moving)) == 12


def test_obj_round_trip_keeps_vertex_order(tmp_path, face):
    p = tmp_path / "f.obj"
    write_obj(str(p), face.skin)
    m = read_obj(str(p))
    assert np.allclose(m.points, face.skin.points) and m.fingerprint() == face.skin.fingerprint()
    assert np.allclose(m.uvs, face.skin.uvs, atol=1e-8)


def test_obj_errors(tmp_path):
    p = tmp_path / "bad.obj"
    p.write_text("v 0 0 0\nv 1 0 0\nf 1 2 9\n")
    with pytest.raises(MicroExprError, match="line 3"):
        read_obj(str(p))
    p.write_text("# nothing\n")
    with pytest.raises(MicroExprError, match="no vertices"):
        read_obj(str(p))
    p.write_bytes(b"\xff\xfe\x00")
    with pytest.raises(MicroExprError, match="cannot read"):
        read_obj(str(p))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet="vft/0123456789.-e \n#", max_size=300))
def test_fuzz_obj_reader(tmp_path, text):
    p = tmp_path / "fuzz.obj"
    p.write_text(text)
    try:
        m = read_obj(str(p))
    except MicroExprError as e:
        assert str(p) in str(e)
    else:
        assert isinstance(m, Mesh) and m.vertex_count > 0
        assert m.face_indices.size == 0 or m.face_indices.max() < m.vertex_count


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.recursive(st.none() | st.booleans() | st.floats(allow_nan=False) | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=4) | st.dictionaries(
                        st.sampled_from(["format", "version", "fps", "targets", "weights", "valid",
                                         "start_time", "events", "x"]), c, max_size=6), max_leaves=20))
def test_fuzz_clip_loader(tmp_path, data):
    import json

    p = tmp_path / "fuzz.json"
    p.write_text(json.dumps(data))
    try:
        bridge.load_clip(str(p))
    except MicroExprError as e:
        assert str(p) in str(e)
