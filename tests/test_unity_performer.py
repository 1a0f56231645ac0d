"""Performer mode in the Unity runtime (C# ``PerformerSolver`` under Mono) against the Python
core's batch ``solve_performer``, both reading the same performer file: 2-D and 3-D takes with
head motion, noise, frames without a face and badly tracked landmarks, a rig with in-betweens
and a corrective, mirrored input and the prior options; bad performer files refused by both
readers naming the field; ``verify-unity --performer``; no allocation per frame."""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.solve.performer import calibrate, save_performer
from microexpr.solve.synthetic_tracks import head_motion, image_tracks, space_tracks
from microexpr.unity import net, parity

TOL = 1e-9
F = 240


def _hole(tracks, frames, landmarks=slice(None)):
    """Landmarks missing in some frames: NaN points with confidence 0, as the loader marks them."""
    tracks.points[frames, landmarks] = np.nan
    tracks.confidence[frames, landmarks] = 0.0


def _expressions(targets: int, seed: int) -> np.ndarray:
    """Sparse micro-scale bumps of weight (F, T)."""
    rng = np.random.default_rng(seed)
    W = np.zeros((F, targets))
    for _ in range(8):
        t, a = int(rng.integers(targets)), int(rng.integers(0, F - 40))
        W[a:a + 40, t] += rng.uniform(0.15, 0.4) * np.sin(np.linspace(0, np.pi, 40))
    return np.clip(W, 0.0, 1.0)


def _take(rig, dims: int, seed: int = 0, in_plane: bool = False):
    """A take with smooth head motion (yaw/pitch/roll <= 10 deg, or roll only, scale +-10 %, a
    shift), noise, sparse expressions, two frames before the face is found, a frame without a
    face, a frame with half the face missing and the mouth tracked badly for a while."""
    W = _expressions(len(rig.targets), seed)
    angles = head_motion(F, seed=seed)
    if in_plane:
        angles[:, :2] = 0.0                            # no turn in depth: only roll
    scale = 1.0 + 0.1 * np.sin(np.linspace(0.0, 4.0, F))
    shift = np.c_[15 * np.sin(np.linspace(0, 3, F)), 8 * np.cos(np.linspace(0, 2, F))]
    if dims == 2:
        tr = image_tracks(rig, W, angles, pixels_per_unit=14.0 * scale, noise_px=0.3, seed=seed)
        tr.points += shift[:, None, :]
    else:
        tr = space_tracks(rig, W, angles, scale=scale, noise=0.02, seed=seed)
        tr.points[:, :, :2] += 0.1 * shift[:, None, :]
    _hole(tr, [0, 1])
    _hole(tr, [90])
    _hole(tr, [91], slice(0, 34))
    tr.confidence[120:150, 48:68] = 0.4
    return tr


def _performer_path(tmp_path, rig, tracks, name="performer.json", fingerprint="", frames=None):
    path = str(tmp_path / name)
    save_performer(calibrate(rig.neutral_landmarks(), tracks, frames, rig_fingerprint=fingerprint), path)
    return path


def _assert_parity(r):
    assert r["valid_agree"], "frame validity differs"
    assert r["max_abs_diff"] <= TOL, "weights differ by %g" % r["max_abs_diff"]
    assert r["pose_diff"] <= TOL, "head pose differs by %g" % r["pose_diff"]


@pytest.mark.parametrize("dims,camera", [(2, "weak_perspective"), (2, "in_plane"), (3, "similarity")])
def test_head_motion_noise_and_missing_frames_agree(rt, arkit_rig, tmp_path, dims, camera):
    tracks = _take(arkit_rig, dims, seed=dims, in_plane=camera == "in_plane")
    # the in-plane take is calibrated on a segment (--calibration-frames 2:40): over the whole
    # take its expressions, larger than micro ones, look like turns in depth to the evidence
    path = _performer_path(tmp_path, arkit_rig, tracks, frames=(2, 40) if camera == "in_plane" else None)
    assert json.loads(open(path).read())["camera"] == camera, "the calibration's camera model"
    assert str(rt.Performer.Load(path).Camera) == camera
    rig = parity.RigArrays.from_rig(arkit_rig)
    r = parity.compare_performer(rig, tracks, path)
    _assert_parity(r)
    assert r["invalid_frames"] == 3                    # frames 0, 1 and 90
    py, pose = parity.python_performer_solve(rig, tracks, path)
    assert py.weights.max() > 0.1, "the expressions are solved, so the solvers are exercised"
    assert np.isnan(pose[[0, 1, 90]]).all() and np.isfinite(pose[2:90]).all()
    assert np.ptp(pose[2:90, 2]) > 2.0, "the head rolls"


def test_the_python_side_is_the_core_solve(rt, arkit_rig, tmp_path):
    from microexpr.solve.tracks_to_clip import solve_tracks

    tracks = _take(arkit_rig, 2, seed=5)
    path = _performer_path(tmp_path, arkit_rig, tracks)
    clip = solve_tracks(arkit_rig, tracks, "performer", performer=path)
    ours = parity.python_performer_solve(parity.RigArrays.from_rig(arkit_rig), tracks, path)[0]
    assert np.array_equal(clip.weight_array(), ours.weights)
    assert np.array_equal(clip.valid_array(), ours.valid)


@pytest.mark.parametrize("dims", [2, 3])
def test_mirrored_input_and_the_prior_options_agree(rt, arkit_rig, tmp_path, dims):
    tracks = _take(arkit_rig, dims, seed=7)
    path = _performer_path(tmp_path, arkit_rig, tracks.mirrored())
    rig = parity.RigArrays.from_rig(arkit_rig)
    _assert_parity(parity.compare_performer(rig, tracks, path, mirrored=True))
    # no temporal prior (mu = 0), a weaker prior, another frame rate
    _assert_parity(parity.compare_performer(rig, tracks, path, prior=0.5, speed=0.0, fps=30.0, mirrored=True))
    # the C# mirror is undone as Python's: mirrored input equals the plain solve of plain tracks
    plain = parity.csharp_performer_solve(rig, tracks.mirrored(), path)[0]
    undone = parity.csharp_performer_solve(rig, tracks, path, mirrored=True)[0]
    assert np.max(np.abs(plain.weights - undone.weights)) <= 1e-12


@pytest.mark.parametrize("dims", [2, 3])
def test_inbetweens_and_a_corrective_are_followed_as_python(rt, arkit_rig, face, tmp_path, dims):
    from nonlinear_rig import activations, landmarks, nonlinear_rig
    from nonlinear_rig import tracks as posed

    from microexpr import bridge

    names = arkit_rig.target_names()
    rig = nonlinear_rig(arkit_rig, face.landmark_vertices,
                        solve_set=[n for i, n in enumerate(names) if i % 4 != 3])
    rig_path = str(tmp_path / "rig.microexpr")
    bridge.save_rig(rig, rig_path)
    rig_cs = parity.csharp_rig_file(rig_path)
    W = activations(F, len(names), seed=3)
    W[:, names.index("jawOpen")] = 0.6 * np.sin(np.linspace(0, 3, F)) ** 2
    W[:, names.index("mouthSmile_L")] = 0.5 * np.sin(np.linspace(0, 4, F)) ** 2
    conf = np.ones((F, 68))
    conf[30:50, 48:60] = 0.4
    tracks = posed(landmarks(rig, W), dims, angles=head_motion(F, seed=4), confidence=conf)
    _hole(tracks, [60])
    path = _performer_path(tmp_path, rig, tracks, fingerprint=rig.mesh().fingerprint)
    arrays = parity.RigArrays.from_rig(rig)
    _assert_parity(parity.compare_performer(arrays, tracks, path, rig_cs=rig_cs))
    ps = rt.PerformerSolver(rig_cs, rt.Performer.Load(path), dims)
    assert ps.Model.Nonlinear, "the refinement runs"
    out = [i for i, n in enumerate(names) if n not in rig.solve_set]
    cs = parity.csharp_performer_solve(arrays, tracks, path, rig_cs=rig_cs)[0]
    assert np.all(cs.weights[:, out] == 0.0)


@pytest.mark.parametrize("dims", [2, 3])
def test_pinned_targets_depend_on_the_rig_and_camera_model_only(rt, arkit_rig, tmp_path, dims):
    from microexpr.solve.tracks_to_clip import pinned_targets

    tracks = _take(arkit_rig, dims, seed=1)
    path = _performer_path(tmp_path, arkit_rig, tracks)
    rig_cs = parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig))
    want = list(pinned_targets(arkit_rig, dims))
    ps = rt.PerformerSolver(rig_cs, rt.Performer.Load(path), dims)
    fs = rt.FaceSolver(rig_cs, dims, rt.Compensation.Rigid)
    fs.SetNeutral(net.to_net(tracks.points[5].reshape(-1)), net.to_net(tracks.confidence[5]))
    T = len(arkit_rig.targets)
    assert [bool(ps.IsPinned(t)) for t in range(T)] == want
    assert [bool(fs.IsPinned(t)) for t in range(T)] == want
    assert any(want) == (dims == 2 or not arkit_rig.observable_mask().all())


def test_step_by_step_equals_the_sequence_and_reset_starts_over(rt, arkit_rig, tmp_path):
    tracks = _take(arkit_rig, 2, seed=9)
    path = _performer_path(tmp_path, arkit_rig, tracks)
    rig = parity.RigArrays.from_rig(arkit_rig)
    whole = parity.csharp_performer_solve(rig, tracks, path)[0].weights
    ps = rt.PerformerSolver(parity.csharp_rig(rig), rt.Performer.Load(path), 2, tracks.fps())
    w = net.new_doubles(rig.targets)
    for _ in range(2):                                  # the second time after Reset
        got = []
        for f in range(30):
            ps.Step(net.to_net(tracks.points[f].reshape(-1)), net.to_net(tracks.confidence[f]), w)
            got.append(net.from_net(w))
        assert np.array_equal(np.array(got), whole[:30])
        ps.Reset()


# -- bad performer files ---------------------------------------------------------------------
def _mutations():
    def put(path, value):
        def f(doc):
            node = doc
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
        return f

    def drop(key):
        return lambda doc: doc.pop(key)

    return [
        ("neutral", drop("neutral")),
        ("neutral", lambda d: d["neutral"].pop()),
        ("neutral", lambda d: d["neutral"][3].pop()),
        ("gains", lambda d: d["gains"].__setitem__(5, 0.0)),
        ("gains", put(["gains"], [1.0] * 67)),
        ("noise", put(["noise"], 0.0)),
        ("noise", put(["noise"], "small")),
        ("fps", put(["fps"], -30.0)),
        ("dims", put(["dims"], 4)),
        ("version", put(["version"], 2)),
        ("format", put(["format"], "microexpr.rig")),
        ("pose_filter", put(["pose_filter", "alpha"], [0.5] * 12)),
        ("pose_filter.alpha", put(["pose_filter", "alpha"], [3.0] * 8)),
        ("pose_filter.beta", put(["pose_filter", "beta"], [0.1] * 5)),
        ("pose_filter", drop("pose_filter")),
        ("calibration.residual", put(["calibration", "residual"], -1.0)),
        ("calibration.frames", put(["calibration", "frames"], [0.5, 3])),
        ("units.length", put(["units", "length"], "ft")),
        ("camera", put(["camera"], "fisheye")),
        ("camera", put(["camera"], "similarity")),
        ("camera", put(["view"], [[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])),
        ("view", put(["view"], [[1.0, 0.0, 0.0], [0.0, 0.9, 0.0]])),
        ("view", put(["view"], [[1.0, 0.0, 0.0]])),
        ("shoe_size", put(["shoe_size"], 42)),
    ]


@pytest.fixture(scope="module")
def performer_doc(arkit_rig, tmp_path_factory):
    """A good performer file's JSON (2-D, weak perspective) to break."""
    path = _performer_path(tmp_path_factory.mktemp("performer"), arkit_rig, _take(arkit_rig, 2, seed=2))
    return open(path).read()


@pytest.mark.parametrize("field,mutate", _mutations(), ids=lambda v: v if isinstance(v, str) else "")
def test_bad_performer_files_are_refused_naming_the_field(rt, performer_doc, tmp_path, field, mutate):
    from microexpr.bridge.performer_file import read_performer_file

    doc = json.loads(performer_doc)
    assert doc["camera"] == "weak_perspective" and doc.get("view") is None
    mutate(doc)
    bad = str(tmp_path / "bad.json")
    with open(bad, "w") as f:
        json.dump(doc, f)
    with pytest.raises(MicroExprError) as cs:
        with net.csharp_errors():
            rt.Performer.Load(bad)
    assert cs.value.file == bad and cs.value.field == field, str(cs.value)
    with pytest.raises(MicroExprError) as py:
        read_performer_file(bad)
    assert str(py.value.field).startswith(field), "Python refuses it too: %s" % py.value


def test_a_performer_for_other_tracks_or_another_rig_is_refused(rt, arkit_rig, tmp_path):
    from microexpr import bridge

    tracks = _take(arkit_rig, 2, seed=3)
    rig_path = str(tmp_path / "rig.microexpr")
    bridge.save_rig(arkit_rig, rig_path)
    rig_cs = parity.csharp_rig_file(rig_path)
    path = _performer_path(tmp_path, arkit_rig, tracks, fingerprint="not-this-rig")
    performer = rt.Performer.Load(path)
    for dims, field in ((3, "dims"), (2, "calibration.rig_fingerprint")):
        with pytest.raises(MicroExprError) as err:
            with net.csharp_errors():
                rt.PerformerSolver(rig_cs, performer, dims)
        assert err.value.field == field and err.value.file == path
    with pytest.raises(MicroExprError, match="does not exist"):
        with net.csharp_errors():
            rt.Performer.Load(str(tmp_path / "nowhere.json"))


# -- verify-unity and the per-frame cost -----------------------------------------------------
def test_verify_unity_performer(rt, arkit_rig, tmp_path, capsys):
    from microexpr import bridge
    from microexpr.cli.main import main
    from microexpr.solve.tracks import write_tracks_csv

    rig_path, csv = str(tmp_path / "rig.json"), str(tmp_path / "take.csv")
    bridge.save_rig(arkit_rig, rig_path)
    write_tracks_csv(csv, _take(arkit_rig, 2, seed=4))
    perf, report = str(tmp_path / "performer.json"), tmp_path / "report.json"
    # without a performer file: calibrated on the fly, the same file fed to both sides
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", csv, "--compensation", "performer"]) == 0
    out = capsys.readouterr().out
    assert "calibrated on the fly" in out and "parity proven" in out
    assert main(["calibrate", "--rig", rig_path, "--landmarks", csv, "--out", perf]) == 0
    capsys.readouterr()
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", csv, "--performer", perf,
                 "--compensation", "rigid", "--neutral-frame", "2", "--report", str(report)]) == 0
    out = capsys.readouterr().out
    line = [ln for ln in out.splitlines() if ln.strip().startswith("performer ")]
    assert line and "max |w_C# - w_py| = " in line[0] and "ok" in line[0], out
    results = json.loads(report.read_text())["results"]
    assert set(results) == {"rigid", "performer"}
    assert results["performer"]["max_abs_diff"] <= TOL and results["performer"]["pose_diff"] <= TOL
    assert results["performer"]["performer"] == "performer file %s" % perf


def test_frames_allocate_nothing(rt, tmp_path):
    """The benchmark harness (its own Mono process, as Unity's) over a few thousand frames."""
    import importlib.util
    import os

    here = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    spec = importlib.util.spec_from_file_location("unity_runtime",
                                                  os.path.join(here, "benchmarks", "unity_runtime.py"))
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    import parity_rigs as synth

    rig = bench.bench_rig()
    for dims in (2, 3):
        tracks = synth.random_tracks(rig, 300, dims, seed=11, holes=False, smooth=True)
        path = bench.performer_file(tmp_path, rig, tracks)
        r = bench.run_case(tmp_path, rig, "performer", dims, True, 4000, 500, tracks, path)
        assert r["allocated_bytes"] == 0 and r["gc0_collections"] == 0, r
        assert r["frames"] == 4000 and 0.0 <= r["weight_min"] and r["weight_max"] <= 1.0
