"""Bridge v3 in memory and on the load path: numpy-backed model fields (lists or arrays in,
arrays out, vectorised checks naming the field), unchanged JSON, lazy container reads that
check what is used, --format on the commands, and fuzzed containers failing cleanly."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr import bridge
from microexpr.bridge import container, io
from microexpr.bridge.arrays import Deferred
from microexpr.cli.main import main
from microexpr.errors import MicroExprError


def small_rig(seed: int = 0, vertices: int = 80, targets: int = 3) -> bridge.Rig:
    """A tiny but complete rig built from the models (no mesh tools): fast to fuzz."""
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(vertices, 3))
    tris = np.array([[0, i, i + 1] for i in range(1, vertices - 1)])
    lv = np.arange(68)
    frames, ldeltas = [], []
    for t in range(targets):
        idx = np.sort(rng.choice(vertices, 10, replace=False))
        d = rng.normal(scale=0.1, size=(10, 3))
        dense = np.zeros((vertices, 3))
        dense[idx] = d
        frames.append(bridge.ShapeFrame(indices=idx, deltas=d))
        ldeltas.append(dense[lv])
    names = ["t%d" % t for t in range(targets)]
    return bridge.Rig(
        meshes=[bridge.MeshData(name="skin", fingerprint="fp", points=pts,
                                face_counts=np.full(len(tris), 3), face_indices=tris.ravel())],
        targets=[bridge.Target(name=n, shapes=[bridge.MeshShape(mesh="skin", frames=[f])])
                 for n, f in zip(names, frames)],
        landmarks=bridge.Landmarks(mesh="skin", points=[bridge.LandmarkPoint(vertex=int(v)) for v in lv],
                                   neutral=pts[lv], rigid=list(range(17, 27))),
        landmark_deltas=bridge.LandmarkDeltas(targets=names, deltas=np.array(ldeltas)))


def small_clip() -> bridge.Clip:
    rng = np.random.default_rng(1)
    return bridge.Clip(fps=30, targets=["t0", "t1", "t2"], weights=rng.uniform(0, 1, (7, 3)),
                       valid=[True, True, False, True, True, True, False], rig_fingerprint="fp")


# -- numpy in memory, the same JSON on disk ------------------------------------------------
def test_fields_are_arrays_of_their_own_from_lists_or_arrays():
    pts = np.arange(12.0).reshape(4, 3)
    a = bridge.MeshData(name="m", fingerprint="f", points=pts, face_counts=[3, 3],
                        face_indices=[0, 1, 2, 0, 2, 3])
    b = bridge.MeshData(name="m", fingerprint="f", points=pts.tolist(), face_counts=np.array([3, 3]),
                        face_indices=np.array([0, 1, 2, 0, 2, 3], np.int32))
    assert a.points.dtype == np.float64 and a.face_indices.dtype == np.int64
    assert b.face_indices.dtype == np.int64 and a == b
    pts[0, 0] = 99.0                                   # the model kept its own copy
    assert a.points[0, 0] == 0.0
    assert io.dumps(a) == io.dumps(b)
    clip = small_clip()
    assert clip.weights.shape == (7, 3) and clip.valid.dtype == bool
    clip.weights = clip.weights.tolist()               # set later: converted and checked too
    assert isinstance(clip.weights, np.ndarray)
    with pytest.raises(ValueError, match="Clip.weights"):
        clip.weights = [[0.1, 0.2], [0.3]]


def test_json_text_is_what_lists_gave():
    clip = bridge.Clip(fps=30, targets=["a", "b"], weights=np.array([[0.0, 0.5], [1.0, 0.25]]),
                       valid=np.array([True, False]))
    doc = json.loads(io.dumps(clip))
    assert doc["weights"] == [[0.0, 0.5], [1.0, 0.25]] and doc["valid"] == [True, False]
    assert '"weights":[[0.0,0.5],[1.0,0.25]],"valid":[true,false]' in io.dumps(clip)
    empty = bridge.Clip(fps=30, targets=["a", "b"], weights=[], valid=[])
    assert empty.weights.shape == (0, 2) and json.loads(io.dumps(empty))["weights"] == []
    rig = small_rig()
    again = bridge.Rig.model_validate(json.loads(io.dumps(rig)))
    assert again == rig and io.dumps(again) == io.dumps(rig)


@pytest.mark.parametrize("path, value, field, words", [
    (("meshes", 0, "points"), [[0.0, 1.0]] * 80, "meshes[0].points", "[n, 3]"),
    (("meshes", 0, "points", 3, 1), float("nan"), "line 1, column ", "NaN is not a number"),
    (("meshes", 0, "face_indices", 5), 80, "meshes[0].face_indices", "names vertex 80; the mesh has 80 points (0..79)"),
    (("meshes", 0, "face_indices", 5), 1.5, "meshes[0].face_indices", "whole numbers"),
    (("targets", 1, "shapes", 0, "frames", 0, "indices", 0), -1, "frames[0].indices", "0 or more"),
    (("targets", 1, "shapes", 0, "frames", 0, "deltas", 2), [1.0, 2.0], "frames[0].deltas", "[n, 3]"),
    (("landmarks", "neutral"), [[0.0, 0.0, 0.0]] * 67, "landmarks.neutral", "[68, 3]"),
    (("landmark_deltas", "deltas", 0, 5, 0), "x", "landmark_deltas.deltas", "numbers"),
])
def test_bad_arrays_in_json_name_the_field(tmp_path, path, value, field, words):
    doc = json.loads(io.dumps(small_rig()))
    node = doc
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(doc))
    with pytest.raises(MicroExprError) as err:
        bridge.load_rig(p)
    assert field in err.value.field and words in str(err.value) and "bad.json" in str(err.value)


def test_a_frame_beyond_its_mesh_and_bad_clip_arrays_are_refused(tmp_path):
    doc = json.loads(io.dumps(small_rig()))
    doc["targets"][2]["shapes"][0]["frames"][0]["indices"][0] = 500
    (tmp_path / "r.json").write_text(json.dumps(doc))
    with pytest.raises(MicroExprError, match="moves vertex 500 beyond mesh 'skin'"):
        bridge.load_rig(tmp_path / "r.json")
    for key, value, words in (("valid", [1, 2, 0, 1, 1, 1, 0], "true/false values, not numbers"),
                              ("weights", [[0.1, 0.2, 0.3]] * 6 + [[0.1, 0.2]], "rows of equal length"),
                              ("weights", [[0.1, 0.2, 1.5]] * 7, "within 0-1")):
        doc = json.loads(io.dumps(small_clip()))
        doc[key] = value
        (tmp_path / "c.json").write_text(json.dumps(doc))
        with pytest.raises(MicroExprError, match=words):
            bridge.load_clip(tmp_path / "c.json")


def test_schema_gives_the_shapes_of_the_json_arrays():
    jsonschema = pytest.importorskip("jsonschema")
    from microexpr.bridge.schema import schemas

    schema = json.loads(schemas()["microexpr-rig.schema.json"])
    doc = json.loads(io.dumps(small_rig()))
    jsonschema.validate(doc, schema)
    doc["meshes"][0]["points"][0] = [0.0, 1.0]
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(doc, schema)
    clip_schema = json.loads(schemas()["microexpr-clip.schema.json"])
    jsonschema.validate(json.loads(io.dumps(small_clip())), clip_schema)


# -- the container: eager and lazy ---------------------------------------------------------
def test_container_round_trip_and_lazy_read(tmp_path):
    rig = small_rig()
    path = tmp_path / "face.microexpr"
    bridge.save(rig, path)
    eager = bridge.load_rig(path)
    lazy = bridge.load_rig(path, lazy=True)
    raw = lazy.meshes[0]._raw()
    assert all(isinstance(raw[k], Deferred) for k in ("points", "face_counts", "face_indices"))
    assert "float32[80, 3]" in repr(lazy.meshes[0])
    np.testing.assert_array_equal(lazy.landmark_delta_matrix(), rig.landmark_delta_matrix())
    assert isinstance(lazy.targets[0].shapes[0].frames[0]._raw()["deltas"], Deferred)
    # reading a field reads (and checks) the whole object, in float64, as an eager load does
    pts = lazy.meshes[0].points
    assert pts.dtype == np.float64 and not isinstance(lazy.meshes[0]._raw()["face_indices"], Deferred)
    np.testing.assert_array_equal(pts, rig.meshes[0].points.astype(np.float32))
    assert lazy == eager
    # saving a lazy rig writes what the eager one writes
    bridge.save(bridge.load_rig(path, lazy=True), tmp_path / "again.microexpr")
    bridge.save(eager, tmp_path / "eager.microexpr")
    assert (tmp_path / "again.microexpr").read_bytes() == (tmp_path / "eager.microexpr").read_bytes()
    assert io.dumps(bridge.load_rig(path, lazy=True)) == io.dumps(eager)


def _write_tampered(path, rig, where, edit):
    """A container of ``rig`` whose stored array at ``where`` (a document path) ``edit`` changed."""
    doc = io._document(rig)
    node = doc
    for key in where[:-1]:
        node = node[key]
    stored = node[where[-1]]
    node[where[-1]] = container.Stored(edit(np.array(stored.array)), stored.dtype, stored.units)
    container.write(path, doc)


def _set(index, value):
    def edit(a):
        a[index] = value
        return a
    return edit


@pytest.mark.parametrize("where, edit, field, words", [
    (("meshes", 0, "points"), _set((4, 1), np.nan), "meshes[0].points", "finite"),
    (("meshes", 0, "face_indices"), _set(7, 10 ** 6), "meshes[0].face_indices", "names vertex 1000000"),
    (("targets", 1, "shapes", 0, "frames", 0, "indices"), _set(0, 999),
     "targets[1].shapes[0].frames[0].indices", "moves vertex 999 beyond mesh"),
])
def test_lazy_reads_check_what_is_used(tmp_path, where, edit, field, words):
    path = tmp_path / "bad.microexpr"
    _write_tampered(path, small_rig(), where, edit)
    with pytest.raises(MicroExprError, match=words):
        bridge.load_rig(path)                                    # eager: refused on load
    lazy = bridge.load_rig(path, lazy=True)                       # lazy: the solve's part is fine
    assert lazy.landmark_delta_matrix().shape == (68, 3, 3)
    owner = lazy.meshes[0] if where[0] == "meshes" else lazy.targets[1].shapes[0].frames[0]
    for _ in range(2):                                           # and stays refused
        with pytest.raises(MicroExprError) as err:
            owner.model_dump()
        assert err.value.field.startswith(field) and words in str(err.value)
        assert "bad.microexpr" in str(err.value)


def test_stored_shapes_are_checked_even_when_lazy(tmp_path):
    path = tmp_path / "bad.microexpr"
    _write_tampered(path, small_rig(), ("targets", 0, "shapes", 0, "frames", 0, "deltas"),
                    lambda a: a[:, :2].copy())
    for lazy in (False, True):
        with pytest.raises(MicroExprError) as err:
            bridge.load_rig(path, lazy=lazy)
        assert err.value.field == "targets[0].shapes[0].frames[0].deltas" and "[n, 3]" in str(err.value)


def test_an_accessor_outside_the_known_places_is_not_an_array(tmp_path):
    doc = io._document(small_rig())
    doc["meshes"][0]["extras"] = {"secret": container.Stored(np.zeros(100), "float64")}
    container.write(tmp_path / "x.microexpr", doc)
    rig = bridge.load_rig(tmp_path / "x.microexpr")
    assert rig.meshes[0].extras["secret"] == {"$accessor": 0}
    json.loads(io.dumps(rig))                                   # still plain JSON data


def test_solve_reads_no_mesh_array(tmp_path, arkit_rig, monkeypatch):
    from microexpr.bridge import models
    from microexpr.solve.synthetic_tracks import image_tracks

    rig_path = tmp_path / "face.microexpr"
    bridge.save(arkit_rig, rig_path)
    W = np.clip(np.random.default_rng(2).normal(0.2, 0.2, (20, len(arkit_rig.targets))), 0, 1)
    pts = image_tracks(arkit_rig, W).points.copy()
    pts[:, :, 1] *= -1
    np.save(tmp_path / "tracks.npy", pts)
    reads = []
    real = models.materialise
    monkeypatch.setattr(models, "materialise", lambda m: reads.append(type(m).__name__) or real(m))
    assert main(["solve", "--rig", str(rig_path), "--landmarks", str(tmp_path / "tracks.npy"),
                 "--out", str(tmp_path / "clip.microexpr")]) == 0
    assert reads == []
    assert main(["solve", "--rig", str(rig_path), "--landmarks", str(tmp_path / "tracks.npy"),
                 "--out", str(tmp_path / "clip.json"), "--format", "json"]) == 0
    packed, plain = bridge.load_clip(tmp_path / "clip.microexpr"), bridge.load_clip(tmp_path / "clip.json")
    assert container.is_container(tmp_path / "clip.microexpr")
    assert not container.is_container(tmp_path / "clip.json")
    assert packed == plain and packed.rig_fingerprint == arkit_rig.mesh().fingerprint


def test_format_flag_on_the_rig_commands(tmp_path, capsys):
    out = tmp_path / "face.microexpr"
    assert main(["rig", "build", "--preset", "table1", "--out", str(out), "--format", "json"]) == 0
    assert not container.is_container(out) and json.loads(out.read_text())["version"] == 3
    assert main(["rig", "build", "--preset", "table1", "--out", str(tmp_path / "b.microexpr"),
                 "--format", "microexpr-bin"]) == 0
    assert "b.bin, " in capsys.readouterr().out
    assert sorted(os.listdir(tmp_path)) == ["b.bin", "b.microexpr", "face.microexpr"]
    assert bridge.load_rig(tmp_path / "b.microexpr").target_names() == bridge.load_rig(out).target_names()
    for command in (["rig", "build"], ["solve", "--rig", str(out), "--landmarks", "x.csv"],
                    ["micro", "--rig", str(out), "--emotion", "fear"]):
        with pytest.raises(SystemExit) as exit_:
            main(command + ["--out", str(tmp_path / "c.microexpr"), "--format", "xml"])
        assert exit_.value.code == 2 and "invalid choice: 'xml'" in capsys.readouterr().err
    assert not os.path.exists(tmp_path / "c.microexpr")


def test_cli_formats_match_the_bridge():
    from microexpr.cli.main import FORMATS

    assert FORMATS == io.FORMATS


# -- fuzzing the v3 load path ---------------------------------------------------------------
_RIG_BYTES = container.pack(io._document(small_rig(vertices=70, targets=2)))
_CLIP_BYTES = container.pack(io._document(small_clip()))


def _mutate(data, good: bytes) -> bytes:
    out = bytearray(good)
    for _ in range(data.draw(st.integers(1, 4))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert", "payload"]))
        pos = data.draw(st.integers(0, max(len(out) - 1, 0)))
        if kind == "flip":
            out[pos] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del out[pos:pos + data.draw(st.integers(1, 64))]
        elif kind == "insert":
            out[pos:pos + 0] = data.draw(st.binary(min_size=1, max_size=16))
        else:                                   # an aligned 8-byte word in the payload: NaN, huge
            pos = len(out) - 8 * data.draw(st.integers(1, 64))
            if pos > 16:
                out[pos:pos + 8] = data.draw(st.sampled_from(
                    [b"\xff" * 8, b"\x00\x00\xc0\x7f" * 2, b"\x00" * 8, b"\x7f" * 8]))
    return bytes(out or b"\0")


def _touch(model) -> None:
    """Read everything a lazy model left in the file."""
    model.model_dump()


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_rig_and_clip_containers_give_clear_errors_only(tmp_path_factory, data):
    folder = tmp_path_factory.mktemp("fuzz")
    kind = data.draw(st.sampled_from(["rig", "rig-lazy", "clip"]))
    path = folder / "fuzz.microexpr"
    path.write_bytes(_mutate(data, _CLIP_BYTES if kind == "clip" else _RIG_BYTES))
    try:
        if kind == "clip":
            bridge.load_clip(path)
        else:
            _touch(bridge.load_rig(path, lazy=kind == "rig-lazy"))
    except MicroExprError as exc:
        assert exc.file and str(path) in str(exc)
