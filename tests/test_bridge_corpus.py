"""One definition of a valid bridge file, in Python and in C#: the shared corpus of invalid
files (``invalid_corpus``) is refused by both readers, each naming the same field, and the
valid base files load in both. A clip is checked against its rig in review and verify-unity."""
from __future__ import annotations

import json
import os

import invalid_corpus as corpus
import pytest

from microexpr import bridge
from microexpr.errors import MicroExprError

CASES = corpus.cases()


def _write(tmp_path, case) -> str:
    path = os.path.join(str(tmp_path), "bad." + ("json" if case.fmt == "json" else "microexpr"))
    with open(path, "wb") as f:
        f.write(case.data)
    return path


def _python(path: str, kind: str, lazy: bool = False):
    if kind == "rig":
        return bridge.load_rig(path, lazy=lazy)
    return bridge.load_clip(path)


def _csharp(rt, path: str, kind: str):
    from microexpr.unity import net

    with net.csharp_errors():
        return (rt.RigData if kind == "rig" else rt.ClipData).Load(path)


def test_the_corpus_is_large_and_each_case_is_named_once():
    names = [(c.kind, c.fmt, c.name) for c in CASES]
    assert len(names) == len(set(names)) and len(CASES) >= 150
    assert {c.fmt for c in CASES} == {"json", "microexpr"} and {c.kind for c in CASES} == {"rig", "clip"}


@pytest.mark.parametrize("case", corpus.valid_files(), ids=lambda c: "%s-%s" % (c.kind, c.fmt))
def test_the_base_files_are_valid_for_both_readers(rt, tmp_path, case):
    path = _write(tmp_path, case)
    _python(path, case.kind)
    _csharp(rt, path, case.kind)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "%s-%s-%s" % (c.kind, c.fmt, c.name))
def test_python_refuses_each_case_naming_the_field(tmp_path, case):
    path = _write(tmp_path, case)
    for lazy in (False, True) if case.fmt == "microexpr" and case.kind == "rig" else (False,):
        with pytest.raises(MicroExprError) as err:
            _python(path, case.kind, lazy)
        assert err.value.field == case.field, (lazy, str(err.value))
        assert err.value.file == path and err.value.fix and str(err.value).startswith(path)


@pytest.mark.parametrize("case", CASES, ids=lambda c: "%s-%s-%s" % (c.kind, c.fmt, c.name))
def test_csharp_refuses_each_case_naming_the_same_field(rt, tmp_path, case):
    path = _write(tmp_path, case)
    with pytest.raises(MicroExprError) as err:
        _csharp(rt, path, case.kind)
    assert err.value.field == case.field, str(err.value)
    assert err.value.file == path and err.value.fix


def test_the_csharp_reader_checks_against_the_schema_the_models_generate():
    from microexpr.bridge import schema

    with open(schema.CSHARP_FILE, encoding="utf-8") as f:
        assert f.read() == schema.csharp_source(), "stale BridgeSchema.cs: run python -m microexpr.bridge.schema"
    rig = json.loads(schema.schemas()["microexpr-rig.schema.json"])
    assert rig["$defs"]["MeshData"]["properties"]["face_counts"]["x-array"] == {
        "kind": "index", "shape": [None], "low": 3, "finite": True}
    clip = json.loads(schema.schemas()["microexpr-clip.schema.json"])["properties"]["fps"]
    assert (clip["minimum"], clip["maximum"]) == (1.0, 10000.0)
