import json
import os

import numpy as np
import pytest

from microexpr import bridge
from microexpr.bridge.schema import SCHEMA_DIR, schemas
from microexpr.errors import MicroExprError


def test_rig_round_trips_through_json_unchanged(table1_rig, tmp_path):
    path = tmp_path / "rig.json"
    bridge.save_rig(table1_rig, path)
    again = bridge.load_rig(path)
    assert again == table1_rig
    assert np.array_equal(again.landmark_delta_matrix(), table1_rig.landmark_delta_matrix())
    assert [m.name for m in again.meshes] == ["face_skin", "face_eyes"]
    assert again.units.length == "cm" and again.units.weight_scale == 1.0


def test_clip_round_trip_and_validation(tmp_path):
    clip = bridge.Clip(fps=60, targets=["a", "b"], weights=[[0, 0.5], [1, 0]], valid=[True, False])
    p = tmp_path / "c.json"
    bridge.save_clip(clip, p)
    assert bridge.load_clip(p) == clip
    with pytest.raises(Exception, match="within 0-1"):
        bridge.Clip(fps=60, targets=["a"], weights=[[1.5]], valid=[True])
    with pytest.raises(Exception, match="valid: has"):
        bridge.Clip(fps=60, targets=["a"], weights=[[0.5]], valid=[])


def test_checked_in_schema_is_current():
    for name, text in schemas().items():
        with open(os.path.join(SCHEMA_DIR, name), encoding="utf-8") as f:
            assert f.read() == text, "stale %s: run python -m microexpr.bridge.schema" % name


def test_schema_accepts_a_written_rig(table1_rig):
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads(schemas()["microexpr-rig.schema.json"])
    jsonschema.validate(table1_rig.model_dump(mode="json"), schema)


def _write(tmp_path, data, name="x.json"):
    p = tmp_path / name
    p.write_text(json.dumps(data) if not isinstance(data, str) else data)
    return str(p)


def test_errors_name_the_file_the_field_and_the_fix(tmp_path, table1_rig):
    d = table1_rig.model_dump(mode="json")
    d["targets"][0]["nmae"] = "typo"
    p = _write(tmp_path, d)
    with pytest.raises(MicroExprError) as e:
        bridge.load_rig(p)
    msg = str(e.value)
    assert p in msg and "targets[0].nmae" in msg and "Fix:" in msg
    for bad, what in (("", "empty"), ("{", "not valid JSON"), ("[]", "not an object")):
        with pytest.raises(MicroExprError, match=what):
            bridge.load_rig(_write(tmp_path, bad))
    with pytest.raises(MicroExprError, match="does not exist|cannot read"):
        bridge.load_rig(str(tmp_path / "missing.json"))
    with pytest.raises(MicroExprError, match="not a rig"):
        bridge.load_rig(_write(tmp_path, {"format": "microexpr.clip", "version": 2}))


def test_newer_versions_are_refused_older_are_migrated(tmp_path, face):
    with pytest.raises(MicroExprError, match="newer MicroExpr"):
        bridge.load_clip(_write(tmp_path, {"format": "microexpr.clip", "version": 99}))
    v1 = {"version": 1, "fps": 30, "targets": ["a"], "weights": [[0.1], [0.2]]}
    clip = bridge.load_clip(_write(tmp_path, v1))
    assert clip.valid.tolist() == [True, True] and clip.version == bridge.FORMAT_VERSION == 3
    skin = face.skin
    lv = face.landmark_vertices.tolist()
    delta = [[0.0, 0.1, 0.0]]
    v1rig = {"version": 1, "neutral": {"points": skin.points.tolist(),
                                       "face_counts": skin.face_counts.tolist(),
                                       "face_indices": skin.face_indices.tolist()},
             "targets": [{"name": "up", "indices": [lv[30]], "deltas": delta}],
             "landmark_vertices": lv}
    rig = bridge.load_rig(_write(tmp_path, v1rig, "r.json"))
    assert rig.target_names() == ["up"]
    assert rig.landmark_delta_matrix()[30, :, 0].tolist() == delta[0]
    assert rig.meshes[0].fingerprint == skin.fingerprint()


def test_a_failed_write_leaves_the_previous_file(tmp_path, monkeypatch):
    p = tmp_path / "c.json"
    good = bridge.Clip(fps=30, targets=["a"], weights=[[0.5]], valid=[True])
    bridge.save_clip(good, p)
    before = p.read_bytes()
    import microexpr.bridge.io as bio

    def boom(model):
        raise RuntimeError("disk full")

    monkeypatch.setattr(bio, "dumps", boom)
    with pytest.raises(RuntimeError):
        bio.save(good, p)
    assert p.read_bytes() == before
    assert os.listdir(tmp_path) == ["c.json"]


def test_rig_consistency_checks(table1_rig):
    d = table1_rig.model_dump()
    d["targets"][1]["name"] = d["targets"][0]["name"]
    d["landmark_deltas"]["targets"][1] = d["targets"][0]["name"]
    with pytest.raises(Exception, match="targets\\[1\\].name: the target name .* appears twice"):
        bridge.Rig.model_validate(d)
    d = table1_rig.model_dump()
    d["targets"][0]["shapes"][0]["mesh"] = "nope"
    with pytest.raises(Exception, match="unknown mesh"):
        bridge.Rig.model_validate(d)


def test_landmark_may_sit_on_a_triangle():
    p = bridge.LandmarkPoint(triangle=[0, 1, 2], barycentric=[0.2, 0.3, 0.5])
    assert p.vertex is None
    with pytest.raises(Exception):
        bridge.LandmarkPoint(vertex=1, triangle=[0, 1, 2], barycentric=[1, 0, 0])
