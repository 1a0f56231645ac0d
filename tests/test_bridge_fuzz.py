"""Hypothesis fuzz of the bridge models and of both readers: random edits of a valid rig and
clip (a value replaced by any JSON value, a field removed or added, a number nudged to a
boundary) are either read by both the Python and the C# reader, or refused by both naming the
same field, and never raise anything but a MicroExprError (Python) or MicroExprException (C#).
The models alone take any Python structure and raise only pydantic's ValidationError."""
from __future__ import annotations

import json
import os
import tempfile

import invalid_corpus as corpus
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from microexpr import bridge
from microexpr.errors import MicroExprError

DOCS = {"rig": corpus.json_doc(corpus.base_rig()), "clip": corpus.json_doc(corpus.base_clip())}
BOUNDARY = [-1, 0, 1, 2, 3, 0.5, 1.0, 3.0, 67, 68, 79, 80, 1e13, -1e-12, 10000, 10001, 2 ** 62,
            "3", "", True, False, None, [], {}]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2 ** 70, 2 ** 70) | st.sampled_from(BOUNDARY)
    | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=6),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=8)


def _paths(node, prefix=(), out=None):
    """Every place in the document (dict keys and list items), long arrays sampled."""
    out = [] if out is None else out
    if isinstance(node, dict):
        for k, v in node.items():
            out.append(prefix + (k,))
            _paths(v, prefix + (k,), out)
    elif isinstance(node, list):
        for i in sorted({0, 1, len(node) // 2, len(node) - 1} & set(range(len(node)))):
            out.append(prefix + (i,))
            _paths(node[i], prefix + (i,), out)
    return out


PATHS = {kind: _paths(doc) for kind, doc in DOCS.items()}


@st.composite
def edited(draw):
    kind = draw(st.sampled_from(["rig", "clip"]))
    doc = json.loads(json.dumps(DOCS[kind]))
    for _ in range(draw(st.integers(1, 2))):
        path = draw(st.sampled_from(PATHS[kind]))
        node = doc
        try:
            for key in path[:-1]:
                node = node[key]
            node[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue                                   # an earlier edit removed the place
        how = draw(st.sampled_from(["value", "boundary", "delete", "add"]))
        if how == "delete" and isinstance(node, dict):
            del node[path[-1]]
        elif how == "add" and isinstance(node, dict):
            node[draw(st.sampled_from(["nmae", "extra", "$accessor"]))] = draw(JSON_VALUES)
        elif how == "boundary":
            node[path[-1]] = draw(st.sampled_from(BOUNDARY))
        else:
            node[path[-1]] = draw(JSON_VALUES)
    return kind, json.dumps(doc)


def _python_field(kind: str, text: str):
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "fuzz.json")
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        try:
            (bridge.load_rig if kind == "rig" else bridge.load_clip)(path)
        except MicroExprError as exc:
            assert exc.file == path and exc.fix
            return "refused", exc.field
    return "read", None


def _csharp_field(rt, kind: str, text: str):
    from microexpr.unity import net

    try:
        with net.csharp_errors():
            (rt.RigData if kind == "rig" else rt.ClipData).FromJson(text, "fuzz.json")
    except MicroExprError as exc:
        return "refused", exc.field
    return "read", None


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture,
                                 HealthCheck.data_too_large])
@given(edited())
def test_fuzzed_files_get_the_same_verdict_and_field_from_both_readers(rt, case):
    kind, text = case
    python = _python_field(kind, text)
    assert _csharp_field(rt, kind, text) == python, text[:300]


MODEL_INPUT = st.dictionaries(st.sampled_from(["fps", "start_time", "targets", "weights", "valid",
                                               "events", "hold_invalid", "units", "extras"]),
                              JSON_VALUES | st.builds(lambda n: np.zeros((n, 2)), st.integers(0, 3)),
                              max_size=6)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(MODEL_INPUT)
def test_the_models_raise_only_validation_errors(data):
    for model in (bridge.Clip, bridge.Rig, bridge.MeshData, bridge.Landmarks, bridge.Symmetry):
        try:
            model.model_validate(data)
        except ValidationError:
            pass


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.sampled_from(["float64", "float32", "int64", "int32", "uint8", "bool", "U2", "O"]),
       st.integers(0, 4), st.sampled_from([np.nan, np.inf, -1, 0, 1, 2, 10 ** 6]))
def test_array_fields_take_any_numpy_array_or_refuse_it(dtype, rows, value):
    base = np.zeros((rows, 2))
    if rows:
        base[0, 0] = value
    with np.errstate(invalid="ignore", over="ignore"):
        arr = base.astype(dtype)
    try:
        clip = bridge.Clip(fps=30, targets=["a", "b"], weights=arr, valid=np.ones(rows, bool))
    except ValidationError:
        return
    w = clip.weight_array()
    assert np.all(np.isfinite(w)) and w.min(initial=0) >= -1e-9 and w.max(initial=0) <= 1 + 1e-9


def test_the_fuzz_reaches_both_verdicts(rt):
    """The base files are read; a broken one is refused (the fuzz is not all one verdict)."""
    for kind, doc in DOCS.items():
        assert _python_field(kind, json.dumps(doc)) == ("read", None)
        assert _csharp_field(rt, kind, json.dumps(doc)) == ("read", None)
        broken = dict(doc, version="3")
        assert _python_field(kind, json.dumps(broken)) == _csharp_field(rt, kind, json.dumps(broken)) \
            == ("refused", "version")


pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
