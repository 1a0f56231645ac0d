"""The C# runtime against the Python core on rigs with a solve set, in-betweens and a
corrective: the rig read by C#'s own reader from a container and from JSON, every mode, 2-D and
3-D, the temporal term, partial confidence and a frame without data (<= 1e-12)."""
from __future__ import annotations

import json

import numpy as np
import pytest
from nonlinear_rig import activations, handmade_fbx_text, landmarks, nonlinear_rig, tracks

from microexpr import bridge as B
from microexpr.unity import net, parity

PARITY = 1e-12
F = 150


@pytest.fixture(scope="module")
def rig(arkit_rig, face):
    names = arkit_rig.target_names()
    return nonlinear_rig(arkit_rig, face.landmark_vertices,
                         solve_set=[n for i, n in enumerate(names) if i % 4 != 3])


@pytest.fixture(scope="module")
def lm(rig):
    names = rig.target_names()
    W = activations(F, len(names), seed=11)
    W[:, names.index("jawOpen")] = 0.6 * np.sin(np.linspace(0, 3, F)) ** 2
    W[:, names.index("mouthSmile_L")] = 0.5 * np.sin(np.linspace(0, 4, F)) ** 2
    return landmarks(rig, W)


def _confidence():
    conf = np.ones((F, 68))
    conf[20:40, 48:60] = 0.4          # the mouth tracked badly for a while
    conf[60, :] = 0.0                 # a frame without a face
    return conf


@pytest.mark.parametrize("ext", [".microexpr", ".json"])
def test_csharp_reads_the_solve_set_combinations_and_frames(rt, rig, tmp_path, ext):
    path = str(tmp_path / ("rig" + ext))
    B.save_rig(rig, path)
    rig_cs = parity.csharp_rig_file(path)
    report = parity.compare_rig_file(rig, rig_cs)
    assert report == {"max_abs_diff": 0.0, "names_agree": True, "observable_agree": True}
    names = rig.target_names()
    assert [names[int(t)] for t in rig_cs.SolveSet] == [n for n in names if n in rig.solve_set]
    assert list(rig_cs.CombinationNames) == ["jawOpen_x_mouthSmile_L"]
    assert [names[int(t)] for t in rig_cs.CombinationDrivers[0]] == ["jawOpen", "mouthSmile_L"]


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("temporal", [0.0, 0.1])
def test_csharp_solves_the_solve_set_and_follows_inbetweens_as_python(rt, rig, lm, tmp_path, dims, temporal):
    path = str(tmp_path / "rig.microexpr")
    B.save_rig(rig, path)
    rig_cs = parity.csharp_rig_file(path)
    angles = np.column_stack([4 * np.sin(np.linspace(0, 2, F)), 10 * np.sin(np.linspace(0, 3, F)),
                              np.zeros(F)])
    tr = tracks(lm, dims, angles=angles, confidence=_confidence())
    arrays = parity.RigArrays.from_rig(rig)
    out = [i for i, n in enumerate(rig.target_names()) if n not in rig.solve_set]
    for mode in ("rigid", "raw", "reference"):
        py = parity.python_solve(arrays, tr, mode, temporal=temporal)
        cs = parity.csharp_solve(arrays, tr, mode, temporal=temporal, rig_cs=rig_cs)
        diff = parity.difference(py, cs)
        assert diff["valid_agree"] and diff["max_abs_diff"] <= PARITY, (mode, diff)
        assert np.all(cs.weights[:, out] == 0.0) and np.all(py.weights[:, out] == 0.0)
        assert not py.valid[60]
    # the core's own solve is what python_solve runs
    from microexpr.solve.tracks_to_clip import solve_tracks
    clip = solve_tracks(rig, tr, "rigid", temporal=temporal)
    ours = parity.python_solve(arrays, tr, "rigid", temporal=temporal).weights
    assert np.abs(clip.weight_array() - ours).max() == 0.0


def test_csharp_takes_the_segment_jumps_python_takes(rt, face, tmp_path):
    from microexpr.rig.convert import import_rig

    fbx = tmp_path / "handmade.fbx"
    fbx.write_text(handmade_fbx_text(face))
    rig = import_rig(face.landmark_vertices, source=str(fbx))
    t = np.linspace(0, 1, 90)
    W = np.column_stack([0.9 * np.sin(np.pi * t) ** 2, np.clip(1.2 * t, 0, 1), 0.5 * t])
    tr = tracks(landmarks(rig, W), 3)
    arrays = parity.RigArrays.from_rig(rig)
    for mode in ("rigid", "raw"):
        py = parity.python_solve(arrays, tr, mode, reg=1e-8)
        cs = parity.csharp_solve(arrays, tr, mode, reg=1e-8)
        assert parity.difference(py, cs)["max_abs_diff"] <= PARITY, mode
    assert np.abs(py.weights - W).max() < 1e-3          # raw: the jumps found the corner's far side


def test_csharp_refuses_a_solve_set_naming_no_target(rt, rig):
    from microexpr.bridge.io import dumps
    from microexpr.errors import MicroExprError

    doc = json.loads(dumps(rig))
    doc["solve_set"] = ["jawOpen", "grin"]
    with pytest.raises(MicroExprError, match="'grin', which is not a target") as e:
        with net.csharp_errors():
            rt.RigData.FromJson(json.dumps(doc), "bad.json")
    assert e.value.file == "bad.json" and e.value.field == "solve_set"
    doc["solve_set"] = ["jawOpen_x_mouthSmile_L"]
    with pytest.raises(MicroExprError, match="a combination"):
        with net.csharp_errors():
            rt.RigData.FromJson(json.dumps(doc), "bad.json")
    doc["solve_set"] = None
    doc["landmark_deltas"]["frames"][0]["shape"] = "ghost"
    with pytest.raises(MicroExprError, match="neither a target nor a combination") as e:
        with net.csharp_errors():
            rt.RigData.FromJson(json.dumps(doc), "bad.json")
    assert e.value.field == "landmark_deltas.frames[0].shape"
