"""The .microexpr container: round trips, external payloads, and every malformed layout giving
a clear error that names the field (fuzzed with Hypothesis)."""
from __future__ import annotations

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


def test_round_trip_keeps_values_dtypes_units_and_alignment(tmp_path):
    doc = _doc()
    path = tmp_path / "face.microexpr"
    assert C.write(path, doc) == [str(path)]
    c = C.read(path)
    got = c.document()
    assert got["mesh"]["points"].dtype == np.float32
    np.testing.assert_array_equal(got["mesh"]["points"], doc["mesh"]["points"].array.astype(np.float32))
    np.testing.assert_array_equal(got["mesh"]["face_indices"], doc["mesh"]["face_indices"].array)
    np.testing.assert_array_equal(got["deltas"], doc["deltas"].array)       # float64 bit for bit
    assert got["small"] == [1, 2, 3] and got["name"] == "face"
    assert [a["units"] for a in c.header["accessors"]] == ["cm", None, "cm"]
    assert all(a["byteOffset"] % 8 == 0 for a in c.header["accessors"])
    raw = path.read_bytes()
    assert raw[:4] == b"MXPR" and struct.unpack_from("<Q", raw, 8)[0] == len(raw)
    assert C.is_container(path) and not C.is_container(__file__)


def test_external_payload_sits_beside_the_file(tmp_path):
    path = tmp_path / "face.microexpr"
    written = C.write(path, _doc(), external_bin=True)
    assert written == [str(tmp_path / "face.bin"), str(path)]
    assert os.path.getsize(path) < 2000                       # the header only
    assert C.read(path).header["buffers"][0]["uri"] == "face.bin"
    np.testing.assert_array_equal(C.read(path).document()["deltas"], _doc()["deltas"].array)


def _tamper(tmp_path, edit):
    """Write a container whose JSON header ``edit`` changed (lengths fixed up)."""
    header, payload = C.encode(_doc())
    edit(header)
    path = tmp_path / "bad.microexpr"
    path.write_bytes(C._assemble(header, payload))
    return path


@pytest.mark.parametrize("edit, field", [
    (lambda h: h["accessors"][0].update(byteOffset=10 ** 9), "accessors[0].shape"),
    (lambda h: h["accessors"][0].update(byteOffset=3), "accessors[0].byteOffset"),
    (lambda h: h["accessors"][1].update(dtype="float16"), "accessors[1].dtype"),
    (lambda h: h["accessors"][2].update(shape=[4, 68, 3000]), "accessors[2].shape"),
    (lambda h: h["accessors"][2].update(shape=[2 ** 40, 2 ** 40]), "accessors[2].shape"),
    (lambda h: h["accessors"][2].update(shape="4x68"), "accessors[2].shape"),
    (lambda h: h["accessors"][0].update(buffer=5), "accessors[0].buffer"),
    (lambda h: h["accessors"][0].update(buffer=True), "accessors[0].buffer"),
    (lambda h: h["buffers"][0].update(byteLength=10 ** 8), "buffers[0].byteLength"),
    (lambda h: h["buffers"][0].update(byteLength=-1), "buffers[0].byteLength"),
    (lambda h: h["buffers"][0].update(uri="../outside.bin"), "buffers[0].uri"),
    (lambda h: h["buffers"][0].update(uri="/etc/passwd"), "buffers[0].uri"),
    (lambda h: h.update(accessors={"0": 1}), "accessors"),
])
def test_bad_headers_name_the_field(tmp_path, edit, field):
    with pytest.raises(MicroExprError) as err:
        C.read(_tamper(tmp_path, edit)).document()
    assert err.value.field == field and "bad.microexpr" in str(err.value)


def test_a_link_out_of_the_folder_is_refused(tmp_path):
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "secret.bin").write_bytes(b"\0" * 4096)
    folder = tmp_path / "rig"
    folder.mkdir()
    os.symlink(outside / "secret.bin", folder / "face.bin")
    header, _ = C.encode(_doc())
    header["buffers"][0]["uri"] = "face.bin"
    (folder / "face.microexpr").write_bytes(C._assemble(header, None))
    with pytest.raises(MicroExprError, match="links outside"):
        C.read(folder / "face.microexpr")


def test_truncation_and_bad_layout_are_named(tmp_path):
    good = C.pack(_doc())
    cases = {
        "header.length": good[:-8],
        "header": b"MXP",
        "header.version": good[:4] + struct.pack("<I", 9) + good[8:],
    }
    for field, data in cases.items():
        with pytest.raises(MicroExprError) as err:
            C.parse(data, "x.microexpr")
        assert err.value.field == field
    # a chunk that claims more than the file holds (total length fixed up to match)
    body = bytearray(good)
    struct.pack_into("<Q", body, 16, 10 ** 12)
    with pytest.raises(MicroExprError) as err:
        C.parse(bytes(body), "x.microexpr")
    assert err.value.field == "chunks[0].length"
    # JSON with NaN, or not an object
    for text in (b'{"a": NaN}      ', b"[1, 2, 3]       "):
        data = C.CHUNK.pack(len(text), C.JSON_CHUNK) + text
        blob = C.PREAMBLE.pack(C.MAGIC, 1, C.PREAMBLE.size + len(data)) + data
        with pytest.raises(MicroExprError, match="JSON"):
            C.parse(blob, "x.microexpr")


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_fuzzed_containers_fail_cleanly(data):
    good = mutated(data, C.pack(_doc()))
    try:
        doc = C.parse(bytes(good), "fuzz.microexpr").document()
    except MicroExprError:
        return
    assert isinstance(doc, dict)            # a mutation the layout tolerates (e.g. in a name)


@pytest.mark.parametrize("text, problem", [
    (b'{"a": 1, "a": 2}', "duplicate key"),
    (b'{"a": 1e400}', "too large"),
])
def test_json_header_refuses_what_the_csharp_reader_refuses(text, problem):
    text = text + b" " * (-len(text) % 8)
    data = C.CHUNK.pack(len(text), C.JSON_CHUNK) + text
    blob = C.PREAMBLE.pack(C.MAGIC, 1, C.PREAMBLE.size + len(data)) + data
    with pytest.raises(MicroExprError, match=problem) as err:
        C.parse(blob, "x.microexpr")
    assert err.value.field == "JSON"


@pytest.mark.parametrize("edit, field", [
    (lambda h: h["accessors"][1].update(dtype=["float32"]), "accessors[1].dtype"),
    (lambda h: h["buffers"][0].update(uri="face\0.bin"), "buffers[0].uri"),
])
def test_odd_types_in_the_header_are_named(tmp_path, edit, field):
    with pytest.raises(MicroExprError) as err:
        C.read(_tamper(tmp_path, edit)).document()
    assert err.value.field == field
