"""Bridge v3 in the Unity runtime: rigs and clips the Python core writes as ``.microexpr``
containers (one file, or with the payload in a ``.bin`` beside it) and as v3 JSON, read by the
C# reader (under Mono, through pythonnet) to the same numbers and solved to the same weights;
malformed containers refused by both readers naming the same field; ``verify-unity`` handing
the files themselves to C#."""
from __future__ import annotations

import json
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_bytes import mutated
from fuzz_bytes import sample_doc as _doc
from microexpr.bridge import container as C
from microexpr.errors import MicroExprError
from microexpr.solve.key_weights import MODES

FORMATS = {"microexpr": "face.microexpr", "microexpr-bin": "face.microexpr", "json": "face.json"}
TOL = 1e-12


@pytest.fixture(scope="module")
def arkit():
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face

    f = default_face()
    return build_rig(f.skin, f.landmark_vertices, "arkit")


@pytest.fixture(scope="module")
def happy(arkit):
    from microexpr.micro import micro_expression

    return micro_expression(arkit, emotion="happiness", seed=4, fps=60.0)


def _save(model, folder, fmt, stem="face"):
    from microexpr import bridge

    path = os.path.join(str(folder), FORMATS[fmt].replace("face", stem))
    written = bridge.save(model, path, fmt)
    assert (len(written) == 2) == (fmt == "microexpr-bin")
    with open(path, "rb") as f:
        assert (f.read(4) == b"MXPR") == (fmt != "json")
    return path


def _csharp(call, *args):
    from microexpr.unity import net

    with net.csharp_errors():
        return call(*args)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_rigs_read_the_same_numbers_and_solve_the_same_weights(rt, arkit, tmp_path, fmt):
    import parity_rigs as synth
    from microexpr import bridge
    from microexpr.unity import net, parity

    path = _save(arkit, tmp_path, fmt)
    rig = bridge.load_rig(path)
    with open(path, "rb") as f:
        raw = f.read()
    for rig_cs in (_csharp(rt.RigData.Load, path), _csharp(rt.RigData.FromBytes, net.bytes_to_net(raw), path)):
        read = parity.compare_rig_file(rig, rig_cs)
        assert read == {"max_abs_diff": 0.0, "names_agree": True, "observable_agree": True}
        assert rig_cs.Fingerprint == rig.mesh(rig.landmarks.mesh).fingerprint
        assert rig_cs.LengthUnit == rig.units.length and list(rig_cs.Rigid) == list(rig.landmarks.rigid)
    arrays = parity.RigArrays.from_rig(rig)
    for dims in (2, 3):
        tracks = synth.random_tracks(arrays, 40, dims, seed=dims + 20, smooth=True)
        for mode, r in parity.compare_tracks(arrays, tracks, MODES, rig_cs=rig_cs).items():
            assert r["valid_agree"] and r["max_abs_diff"] <= TOL, (fmt, dims, mode, r)


@pytest.mark.parametrize("fmt", sorted(FORMATS))
def test_clips_read_the_same_weights_and_play_the_same(rt, happy, tmp_path, fmt):
    from microexpr import bridge
    from microexpr.unity import clip_parity, net

    clip = happy.model_copy()
    valid = clip.valid_array().copy()
    valid[[3, 4, 20]] = False                    # held frames, stored as uint8 in the container
    clip.valid = valid.tolist()
    clip.hold_invalid = True
    path = _save(clip, tmp_path, fmt, "happy")
    loaded = bridge.load_clip(path)
    data = _csharp(rt.ClipData.Load, path)
    assert np.array_equal(net.from_net(data.Weights, (data.Frames, data.TargetCount)), loaded.weight_array())
    assert np.array_equal(net.from_net(data.Valid), loaded.valid_array())
    assert list(data.Targets) == loaded.targets and data.Events.Length == len(loaded.events)
    r = clip_parity.compare_clip(loaded, data)
    assert r["max_abs_diff"] <= TOL and r["baked_diff"] is not None, r


def test_the_golden_v2_rig_still_loads_on_both_sides(rt):
    import unity_golden as golden
    from microexpr import bridge
    from microexpr.unity import parity

    path = os.path.join(golden.golden_dir(), golden.RIG_FILE)
    with open(path, "rb") as f:
        assert json.loads(f.read())["version"] == 2
    rig = bridge.load_rig(path)
    assert parity.compare_rig_file(rig, _csharp(rt.RigData.Load, path))["max_abs_diff"] == 0.0
    assert parity.file_version(path) == 2 and parity.describe_file(path) == "bridge JSON v2"


# -- malformed containers: the same field from both readers ---------------------------------
def _tampered(edit) -> bytes:
    header, payload = C.encode(_doc())
    edit(header)
    return C._assemble(header, payload)


def _python_field(data: bytes, path: str = "bad.microexpr"):
    try:
        C.parse(data, path)
    except MicroExprError as exc:
        return exc.field
    return None


def _csharp_field(rt, data: bytes, path: str = "bad.microexpr"):
    from microexpr.unity import net

    try:
        with net.csharp_errors():
            rt.BridgeContainer.FromBytes(net.bytes_to_net(data), path).Dispose()
    except MicroExprError as exc:
        assert exc.file == path
        return exc.field
    return None


HEADER_EDITS = [
    (lambda h: h["accessors"][0].update(byteOffset=10 ** 9), "accessors[0].shape"),
    (lambda h: h["accessors"][0].update(byteOffset=3), "accessors[0].byteOffset"),
    (lambda h: h["accessors"][1].update(dtype="float16"), "accessors[1].dtype"),
    (lambda h: h["accessors"][2].update(shape=[4, 68, 3000]), "accessors[2].shape"),
    (lambda h: h["accessors"][2].update(shape=[2 ** 40, 2 ** 40]), "accessors[2].shape"),
    (lambda h: h["accessors"][2].update(shape=[2 ** 61, 2 ** 61, 2 ** 61, 8]), "accessors[2].shape"),
    (lambda h: h["accessors"][2].update(shape="4x68"), "accessors[2].shape"),
    (lambda h: h["accessors"][0].update(buffer=5), "accessors[0].buffer"),
    (lambda h: h["accessors"][0].update(buffer=True), "accessors[0].buffer"),
    (lambda h: h["accessors"][0].update(units=7), "accessors[0].units"),
    (lambda h: h["accessors"][0].update(stride=12), "accessors[0]"),
    (lambda h: h["buffers"][0].update(byteLength=10 ** 8), "buffers[0].byteLength"),
    (lambda h: h["buffers"][0].update(byteLength=-1), "buffers[0].byteLength"),
    (lambda h: h["buffers"].append({"byteLength": 0}), "buffers[1]"),
    (lambda h: h["buffers"][0].update(uri="../outside.bin"), "buffers[0].uri"),
    (lambda h: h["buffers"][0].update(uri="/etc/passwd"), "buffers[0].uri"),
    (lambda h: h["buffers"][0].update(uri="a\\b.bin"), "buffers[0].uri"),
    (lambda h: h["buffers"][0].update(uri=""), "buffers[0].uri"),
    (lambda h: h.update(accessors={"0": 1}), "accessors"),
    (lambda h: h.update(buffers=None), "buffers"),
]


@pytest.mark.parametrize("edit, field", HEADER_EDITS, ids=[f for _, f in HEADER_EDITS])
def test_bad_headers_name_the_same_field_as_python(rt, edit, field):
    data = _tampered(edit)
    assert _python_field(data) == field
    assert _csharp_field(rt, data) == field


def test_truncated_and_bad_layouts_name_the_same_field_as_python(rt):
    good = C.pack(_doc())
    assert _python_field(good) is None and _csharp_field(rt, good) is None
    long_chunk = bytearray(good)
    struct.pack_into("<Q", long_chunk, 16, 10 ** 12)
    second_json = C.CHUNK.pack(8, C.JSON_CHUNK) + b"{}      "
    cases = {
        "header.length": [good[:-8], good + b"\0" * 8],
        "header": [b"MXPR", b"MXPR" + b"\0" * 11, b"MXPQ" + good[4:]],
        "header.version": [good[:4] + struct.pack("<I", 9) + good[8:]],
        "chunks[0].length": [bytes(long_chunk)],
        "chunks": [good[:8] + struct.pack("<Q", len(good) + len(second_json)) + good[16:] + second_json],
        "JSON": [],
    }
    for text in (b'{"a": NaN}', b"[1, 2, 3]", b'{"a": "\xe9"}', b'{"a": 1, "b": tru}'):
        text = text.ljust(-(-len(text) // 8) * 8)
        data = C.CHUNK.pack(len(text), C.JSON_CHUNK) + text
        cases["JSON"].append(C.PREAMBLE.pack(C.MAGIC, 1, C.PREAMBLE.size + len(data)) + data)
    for field, blobs in cases.items():
        for data in blobs:
            assert _python_field(data) == field, (field, data[:40])
            assert _csharp_field(rt, data) == field, (field, data[:40])
    # every cut of a good file: both refuse it, naming the header
    for n in range(4, len(good), 37):
        assert _python_field(good[:n]) == _csharp_field(rt, good[:n]) in ("header", "header.length")


def test_counts_that_disagree_with_the_rig_are_named(rt, arkit, tmp_path):
    """A well-formed container whose landmark matrix does not match the rig's targets."""
    from microexpr.bridge.io import load_rig
    from microexpr.unity import net

    path = _save(arkit, tmp_path, "microexpr-bin")
    header = C.read(path).header
    payload = (tmp_path / "face.bin").read_bytes()
    del header["buffers"][0]["uri"]
    k = header["landmark_deltas"]["deltas"]["$accessor"]
    header["accessors"][k]["shape"] = [header["accessors"][k]["shape"][0] - 1, 68, 3]
    bad = tmp_path / "bad.microexpr"
    bad.write_bytes(C._assemble(header, payload))
    with pytest.raises(MicroExprError) as py:
        load_rig(str(bad))
    assert "landmark_deltas.deltas must be [targets][68][3]" in str(py.value)   # Python: a model check
    with pytest.raises(MicroExprError) as cs:
        _csharp(rt.RigData.FromBytes, net.bytes_to_net(bad.read_bytes()), "bad.microexpr")
    T = len(arkit.targets)
    assert cs.value.field == py.value.field == "landmark_deltas.deltas"
    assert "%d targets, %d rows" % (T, T - 1) in str(cs.value)


def test_external_payloads_stay_in_their_folder(rt, arkit, tmp_path):
    from microexpr.unity import net

    folder = tmp_path / "rig"
    folder.mkdir()
    path = _save(arkit, folder, "microexpr-bin")
    header = C.read(path).header
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.bin").write_bytes((folder / "face.bin").read_bytes())
    for uri in ("../elsewhere/secret.bin", str(outside / "secret.bin"), "missing.bin", "sub/face.bin"):
        header["buffers"][0]["uri"] = uri
        data = C._assemble(header, None)
        assert _python_field(data, path) == _csharp_field(rt, data, path) == "buffers[0].uri", uri
    # a symlink to a .bin outside the folder: both refuse it
    os.symlink(str(outside / "secret.bin"), str(folder / "link.bin"))
    header["buffers"][0]["uri"] = "link.bin"
    with open(path, "wb") as f:
        f.write(C._assemble(header, None))
    with pytest.raises(MicroExprError, match="links outside") as py:
        C.read(path)
    with pytest.raises(MicroExprError, match="is a link") as cs:
        _csharp(rt.RigData.Load, path)
    assert py.value.field == cs.value.field == "buffers[0].uri"
    # bytes without a path: an external payload cannot be found
    header["buffers"][0]["uri"] = "face.bin"
    with pytest.raises(MicroExprError) as err:
        _csharp(rt.RigData.FromBytes, net.bytes_to_net(C._assemble(header, None)), None)
    assert err.value.field == "buffers[0].uri"


@settings(max_examples=200, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.data())
def test_fuzzed_containers_get_the_same_verdict_from_both_readers(rt, data):
    good = mutated(data, C.pack(_doc()))
    blob = bytes(good)
    if blob[:4] != b"MXPR":
        return                                   # not a container: JSON text to both readers
    assert _csharp_field(rt, blob) == _python_field(blob)


# -- verify-unity on containers -------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["microexpr", "microexpr-bin"])
def test_verify_unity_hands_the_container_to_csharp(rt, arkit, happy, tmp_path, capsys, fmt):
    import parity_rigs as synth
    from microexpr.cli.main import main
    from microexpr.solve.tracks import write_tracks_csv
    from microexpr.unity import parity

    rig_path = _save(arkit, tmp_path, fmt)
    clip_path = _save(happy, tmp_path, fmt, "happy")
    tracks = synth.random_tracks(parity.RigArrays.from_rig(arkit), 25, 2, seed=2)
    tracks.image_space = True
    write_tracks_csv(str(tmp_path / "t.csv"), tracks)
    report = tmp_path / "report.json"
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", str(tmp_path / "t.csv"),
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    how = ".microexpr container" + (" + face.bin" if fmt == "microexpr-bin" else "")
    assert "%s: C# read %s; landmark arrays max |diff| = 0  ok" % (rig_path, how) in out
    assert "parity proven" in out
    figures = json.loads(report.read_text())
    assert figures["rig_file"]["max_abs_diff"] == 0.0
    assert set(figures["results"]) == set(MODES) | {"performer"}
    assert main(["verify-unity", "--rig", rig_path, "--clip", clip_path]) == 0
    out = capsys.readouterr().out
    clip_how = ".microexpr container" + (" + happy.bin" if fmt == "microexpr-bin" else "")
    assert "%s: C# read %s;" % (clip_path, clip_how) in out and "parity proven" in out
    # a C# reader that misreads the rig file is caught: exit 1
    real = parity.csharp_rig_file

    def misread(path, rig=None):
        cs = real(path, rig)
        cs.Deltas[5] += 1e-6
        return cs

    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(parity, "csharp_rig_file", misread)
    try:
        assert main(["verify-unity", "--rig", rig_path, "--clip", clip_path]) == 1
    finally:
        monkeypatch.undo()
    out = capsys.readouterr().out
    assert "ABOVE" in out and "FAILED" in out


def test_verify_unity_reads_a_v1_rig_through_the_python_migration(rt, tmp_path, capsys):
    """C# reads versions 2 and 3; an older file reaches it as the Python core migrated it."""
    import parity_rigs as synth
    import unity_golden as golden
    from microexpr import bridge
    from microexpr.cli.main import main
    from microexpr.solve.tracks import write_tracks_csv
    from microexpr.unity import parity

    rig = golden.make_rig(5, seed=4)
    mesh = rig.mesh()
    v1 = {"version": 1, "name": "old",
          "neutral": {"points": np.asarray(mesh.points).tolist(), "face_counts": np.asarray(mesh.face_counts).tolist(),
                      "face_indices": np.asarray(mesh.face_indices).tolist()},
          "targets": [{"name": t.name, "indices": np.asarray(t.shapes[0].frames[-1].indices).tolist(),
                       "deltas": np.asarray(t.shapes[0].frames[-1].deltas).tolist()} for t in rig.targets],
          "landmark_vertices": list(range(68))}
    rig_path = str(tmp_path / "old.json")
    with open(rig_path, "w") as f:
        json.dump(v1, f)
    migrated = bridge.load_rig(rig_path)
    with pytest.raises(MicroExprError, match="older"):
        _csharp(rt.RigData.Load, rig_path)
    tracks = synth.random_tracks(parity.RigArrays.from_rig(migrated), 12, 3, seed=5)
    write_tracks_csv(str(tmp_path / "t.csv"), tracks)
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", str(tmp_path / "t.csv")]) == 0
    out = capsys.readouterr().out
    assert "C# read bridge JSON v1, migrated by the Python core first" in out and "parity proven" in out
