"""Golden vectors in shared/golden: small, covering every mode and the hard cases, reproduced
by the Python core (so a change of the core is noticed) and by the C# runtime."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

import unity_golden as golden

FILES = golden.case_files()
NAMES = [os.path.basename(p) for p in FILES]


def test_golden_set_is_small_and_complete():
    d = golden.golden_dir()
    total = sum(os.path.getsize(os.path.join(d, f)) for f in os.listdir(d))
    assert total < 400_000, "keep the golden vectors small (%d bytes)" % total
    assert os.path.isfile(os.path.join(os.path.dirname(os.path.dirname(d)), "tools", "make_golden.py"))
    cases = [golden.load_case(p) for p in FILES]
    solves = [c for c in cases if c["kind"] == "solve"]
    assert {(c["dims"], c["mode"]) for c in solves} == {(k, m) for k in (2, 3) for m in ("raw", "reference", "rigid")}
    assert {c["dims"] for c in solves if c["mirrored"]} == {2, 3}
    assert any(c["temporal"] > 0 for c in solves) and any(c["neutral_frame"] > 0 for c in solves)
    assert any(c["kind"] == "clip" for c in cases)
    for c in solves:
        pts = [v for row in c["points"] for v in row]
        assert None in pts, "%s has missing landmarks" % c["name"]
        assert not all(c["expected"]["valid"]), "%s has invalid frames" % c["name"]
        assert min(min(r) for r in c["confidence"]) == 0.0
        assert any(0 < v < 1 for r in c["confidence"] for v in r), "%s lowers some confidences" % c["name"]
        W = np.asarray(c["expected"]["weights"])
        assert (W == 0).any() and ((W > 0) & (W < 1)).any()
    clips = {c["name"]: c for c in cases if c["kind"] == "clip"}
    assert set(clips) == {"clip_events", "clip_layered"}
    for c in clips.values():
        clip = c["clip"]
        assert clip["hold_invalid"] and not all(clip["valid"]) and any(e["params"] for e in clip["events"])
        # a held frame differs from its own stored weights, so holding is exercised
        W, P = np.asarray(clip["weights"]), np.asarray(c["expected"]["weights"])
        assert not np.array_equal(W, P)
    # made on a neutral: the events on zeros are the stored weights; on a base they are not
    neutral = clips["clip_events"]
    assert neutral["base"] is None and neutral["clip"]["source"]["base"] is None
    assert neutral["expected"]["layered"] == neutral["clip"]["weights"]
    assert np.max(np.asarray(neutral["expected"]["layered"])) == 1.0, "overlapping events reach the clamp"
    on_base = clips["clip_layered"]
    assert on_base["base"] is not None and on_base["clip"]["source"]["base"] is not None
    assert on_base["expected"]["layered"] == on_base["clip"]["weights"]


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_python_core_reproduces(path):
    r = golden.run_case(path, "python")
    assert r["valid_agree"] and r["max_abs_diff"] <= golden.TOLERANCE, (
        "the Python core no longer gives the golden weights (%g): if the change is intended, "
        "regenerate with tools/make_golden.py" % r["max_abs_diff"])


@pytest.mark.parametrize("path", FILES, ids=NAMES)
def test_csharp_runtime_reproduces(rt, path):
    r = golden.run_case(path, "csharp")
    assert r["valid_agree"] and r["max_abs_diff"] <= golden.TOLERANCE, r


def test_generator_is_deterministic(tmp_path):
    from microexpr import bridge

    written = golden.write_all(str(tmp_path))
    assert sorted(os.path.basename(p) for p in written) == sorted(["rig.microexpr"] + NAMES)
    for name in NAMES:
        new = json.loads((tmp_path / name).read_text())
        old = golden.load_case(os.path.join(golden.golden_dir(), name))
        keys = ("points", "confidence") if new["kind"] == "solve" else ("clip", "base")
        for k in keys:
            if k == "clip":         # the committed clips are bridge v2, the generator writes v3
                assert (old[k]["version"], new[k]["version"]) == (2, bridge.FORMAT_VERSION)
                new[k]["version"] = old[k]["version"]
            assert new[k] == old[k], "%s: %s changed" % (name, k)
        for k in new["expected"]:
            if k != "valid":
                np.testing.assert_allclose(new["expected"][k], old["expected"][k], rtol=0, atol=1e-9)
    with open(os.path.join(golden.golden_dir(), "rig.microexpr")) as f:
        assert json.load(f)["landmark_deltas"] == json.loads((tmp_path / "rig.microexpr").read_text())["landmark_deltas"]
