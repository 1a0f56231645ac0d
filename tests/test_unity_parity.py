"""The Unity runtime (C# under Mono, loaded with pythonnet) against the Python core: random
rigs and tracks in every mode, 2-D and 3-D, NaN frames, mirrored input, temporal smoothing,
the real ARKit rig, micro-expression clips (played as stored; their events layered onto zeros
or a base), and the verify-unity command."""
from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr.errors import MicroExprError
from microexpr.solve.key_weights import MODES, key_weights

TOL = 1e-9


@pytest.fixture(scope="module")
def arkit():
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face

    f = default_face()
    return build_rig(f.skin, f.landmark_vertices, "arkit")


def _assert_parity(results):
    for mode, r in results.items():
        assert r["valid_agree"], "%s: frame validity differs" % mode
        assert r["max_abs_diff"] <= TOL, "%s: weights differ by %g" % (mode, r["max_abs_diff"])


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_random_rigs_every_mode_agree(rt, dims, seed):
    import parity_rigs as synth
    from microexpr.unity import parity

    rig = synth.random_rig(8 + 5 * seed, seed=seed, pinned=seed % 2)
    tracks = synth.random_tracks(rig, 20, dims, seed=seed + 10)
    assert np.isnan(tracks.points).any() and (tracks.confidence == 0.5).any()
    results = parity.compare_tracks(rig, tracks, MODES)
    _assert_parity(results)
    assert all(r["invalid_frames"] >= 1 for r in results.values())
    # the data reaches the bounds, so the active set is exercised
    W = parity.python_solve(rig, tracks, "rigid").weights
    assert (W == 0).any() and (W > 0).any()


@pytest.mark.parametrize("dims", [2, 3])
def test_mirrored_input_temporal_term_and_late_neutral_agree(rt, dims):
    import parity_rigs as synth
    from microexpr.unity import parity

    rig = synth.random_rig(14, seed=7)
    tracks = synth.random_tracks(rig, 24, dims, seed=8).mirrored()
    _assert_parity(parity.compare_tracks(rig, tracks, MODES, neutral_frame=1, temporal=0.4,
                                         mirrored=True))
    # mirroring is undone: the mirrored solve equals the plain solve of the plain tracks
    plain = parity.csharp_solve(rig, tracks.mirrored(), "rigid")
    undone = parity.csharp_solve(rig, tracks, "rigid", mirrored=True)
    assert np.max(np.abs(plain.weights - undone.weights)) <= 1e-12


@pytest.mark.parametrize("dims", [2, 3])
@pytest.mark.parametrize("mode", MODES)
def test_key_weights_agree_frame_by_frame(rt, dims, mode):
    import parity_rigs as synth
    from microexpr.unity import parity

    rig = synth.random_rig(10, seed=3)
    tracks = synth.random_tracks(rig, 16, dims, seed=4)
    kw = key_weights(rig.basis3, rig.neutral, tracks, mode, 0, rig.rigid, rig.reference)
    D, C, V, B = parity.csharp_key_weights(rig, tracks, mode)
    scale = max(1.0, float(np.abs(kw.deltas).max()))
    assert np.array_equal(V, kw.valid)
    assert np.array_equal(C, kw.confidence)
    assert np.max(np.abs(D - kw.deltas)) <= 1e-11 * scale
    assert np.max(np.abs(B - kw.basis)) <= 1e-11 * max(1.0, float(np.abs(kw.basis).max()))


def test_arkit_rig_smooth_video_agrees(rt, arkit):
    import parity_rigs as synth
    from microexpr.unity import parity

    rig = parity.RigArrays.from_rig(arkit)
    assert (~rig.observable_mask()).any(), "the preset pins unobservable targets"
    for dims in (2, 3):
        tracks = synth.random_tracks(rig, 150, dims, seed=dims, smooth=True)
        _assert_parity(parity.compare_tracks(rig, tracks, MODES))


def test_python_side_is_the_core_solve(rt, arkit):
    import parity_rigs as synth
    from microexpr.solve.tracks_to_clip import solve_tracks
    from microexpr.unity import parity

    rig = parity.RigArrays.from_rig(arkit)
    tracks = synth.random_tracks(rig, 30, 2, seed=9)
    clip = solve_tracks(arkit, tracks, "rigid", temporal=0.1)
    ours = parity.python_solve(rig, tracks, "rigid", temporal=0.1)
    assert np.array_equal(clip.weight_array(), ours.weights)
    assert np.array_equal(clip.valid_array(), ours.valid)


def test_rig_file_reads_exactly(rt, arkit):
    from microexpr.bridge.io import dumps
    from microexpr.unity import net

    data = rt.RigData.FromJson(dumps(arkit), "arkit.microexpr")
    assert list(data.TargetNames) == arkit.target_names()
    deltas = net.from_net(data.Deltas, (len(arkit.targets), 68, 3))
    assert np.array_equal(deltas, arkit.landmark_delta_matrix().transpose(2, 0, 1))
    assert np.array_equal(net.from_net(data.Neutral, (68, 3)), arkit.neutral_landmarks())
    assert list(data.Rigid) == list(arkit.landmarks.rigid)
    assert [bool(b) for b in data.Observable] == list(arkit.observable_mask())


def test_csharp_errors_name_file_and_field(rt):
    from microexpr.unity import net

    with pytest.raises(MicroExprError) as err:
        with net.csharp_errors():
            rt.RigData.FromJson('{"format": "microexpr.rig", "version": 2, "targets": []}', "bad.microexpr")
    assert err.value.file == "bad.microexpr" and err.value.field == "meshes"     # the first missing
    with pytest.raises(MicroExprError, match="line 2"):
        with net.csharp_errors():
            rt.Json.Parse('{\n "a": [1,,2]}', "broken.microexpr")


_event = st.builds(
    lambda onset, rise, hold, fall, peak, target: dict(
        au="12", target=target, onset=onset, apex=onset + rise, offset=onset + rise + fall,
        peak_weight=peak, params={"hold": hold} if hold else {}),
    st.floats(0.0, 2.0), st.floats(0.0, 0.5), st.sampled_from([0.0, 0.1, 0.3]),
    st.floats(0.0, 1.0), st.floats(0.0, 1.0), st.sampled_from(["a", "b", "c", "elsewhere"]))


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(events=st.lists(_event, max_size=6), fps=st.sampled_from([24.0, 30.0, 59.94]),
       start=st.floats(-1.0, 1.0), seed=st.integers(0, 1000), hold=st.booleans(),
       neutral=st.booleans())
def test_micro_envelopes_agree_on_random_clips(rt, events, fps, start, seed, hold, neutral):
    from microexpr.bridge import Clip
    from microexpr.micro.envelope import layer
    from microexpr.unity import clip_parity

    rng = np.random.default_rng(seed)
    F = int(rng.integers(1, 80))
    valid = (rng.random(F) > 0.2).tolist()
    base = Clip(fps=fps, start_time=start, targets=["a", "b"], weights=rng.random((F, 2)).tolist(),
                valid=[True] * F)
    clip = Clip(fps=fps, start_time=start, targets=["a", "b", "c"], weights=np.zeros((F, 3)).tolist(),
                valid=valid, hold_invalid=hold, events=events,
                source={"base": None if neutral else {"frames": F}})
    B = np.zeros((F, 3)) if neutral else np.c_[base.weight_array(), np.zeros(F)]
    clip.weights = layer(B, clip.events, clip.targets, clip.times()).tolist()     # baked, as synth does
    r = clip_parity.compare_clip(clip, base=None if neutral else base)
    assert r["player_diff"] <= 1e-12 and r["events_diff"] <= 1e-12
    assert (r["baked_diff"] is not None) == neutral
    assert r["max_abs_diff"] <= 1e-12


@pytest.fixture(scope="module")
def happy(arkit):
    from microexpr.micro import micro_expression

    return micro_expression(arkit, emotion="happiness", seed=4, fps=60.0)


def test_micro_clip_plays_its_weights_and_its_events_on_zeros_give_them(rt, happy):
    """The double counting a player made when it added a clip's events to its (baked) weights."""
    from microexpr.bridge.io import dumps
    from microexpr.unity import clip_parity

    W = happy.weight_array()
    assert happy.source["base"] is None and W.max() > 0.05, "a visible micro-expression on a neutral"
    text = dumps(happy)
    assert np.max(np.abs(clip_parity.csharp_clip(text) - W)) <= 1e-12           # the player adds nothing
    assert np.max(np.abs(clip_parity.csharp_events(text) - W)) <= 1e-9           # events on zeros: the weights
    # adding the events on top of the weights (the old player) is far off, and caught
    doubled = clip_parity.python_events(happy, W)
    assert np.max(np.abs(doubled - W)) > 0.05
    r = clip_parity.compare_clip(happy)
    assert r["baked_diff"] is not None and r["max_abs_diff"] <= TOL


def test_a_player_that_adds_events_again_is_caught(rt, happy, monkeypatch):
    from microexpr.unity import clip_parity

    doubled = clip_parity.python_events(happy, clip_parity.held_weights(happy))
    monkeypatch.setattr(clip_parity, "csharp_clip_frames", lambda cs, first, count: doubled[first:first + count])
    r = clip_parity.compare_clip(happy)
    assert r["player_diff"] > 0.05 and r["max_abs_diff"] == r["player_diff"]


def test_layered_clip_against_its_base(rt, arkit, happy):
    from microexpr.bridge import Clip
    from microexpr.micro import micro_expression
    from microexpr.unity import clip_parity

    names, F = arkit.target_names(), 90
    W = np.zeros((F, len(names)))
    W[:, names.index("browInnerUp")] = 0.4 + 0.2 * np.sin(np.arange(F) / 9.0)   # a capture's brows
    W[:, names.index("jawOpen")] = 0.3
    base = Clip(fps=60.0, targets=names, valid=[True] * F, weights=W.tolist(),
                rig_fingerprint=arkit.mesh().fingerprint)
    clip = micro_expression(arkit, emotion="happiness", seed=2, base=base)
    assert clip.source["base"] is not None
    r = clip_parity.compare_clip(clip, base=base)
    assert r["baked_diff"] is None and r["player_diff"] <= TOL and r["events_diff"] <= TOL
    # the events on the base it was made on give back its weights; on zeros they do not
    B = clip_parity.base_weights(clip, base)
    assert np.max(np.abs(clip_parity.python_events(clip, B) - clip.weight_array())) <= 1e-12
    assert np.max(np.abs(clip_parity.python_events(clip) - clip.weight_array())) > 0.05
    with pytest.raises(MicroExprError, match="frames"):
        clip_parity.compare_clip(clip, base=happy)


def test_verify_unity_command(rt, arkit, tmp_path, capsys, monkeypatch):
    import parity_rigs as synth
    import unity_golden as golden
    from microexpr import bridge
    from microexpr.cli.main import main
    from microexpr.solve.tracks import write_tracks_csv
    from microexpr.unity import parity

    rig_path = str(tmp_path / "rig.json")
    bridge.save_rig(arkit, rig_path)
    tracks = synth.random_tracks(parity.RigArrays.from_rig(arkit), 25, 2, seed=2)
    tracks.image_space = True
    write_tracks_csv(str(tmp_path / "t.csv"), tracks)
    report = tmp_path / "report.json"
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", str(tmp_path / "t.csv"),
                 "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "parity proven" in out and "rigid" in out and "reference" in out
    assert set(json.loads(report.read_text())["results"]) == set(MODES) | {"performer"}   # all: every mode
    clip_path = str(tmp_path / "clip.json")
    bridge.save_clip(golden.make_clip(), clip_path)
    assert main(["verify-unity", "--rig", rig_path, "--clip", clip_path, "--report", str(report)]) == 0
    out = capsys.readouterr().out
    assert "ClipPlayer" in out and "6 events" in out and "parity proven" in out
    assert "on the stored weights" not in out and "vs the stored weights" in out
    figures = json.loads(report.read_text())["results"]["clip"]
    assert all(figures[k] <= TOL for k in ("player_diff", "events_diff", "baked_diff"))
    # a layered clip with its base: events on the base's held weights, no baked check
    layered, base_path = golden.make_clip(layered=True), str(tmp_path / "base.json")
    bridge.save_clip(layered, clip_path)
    bridge.save_clip(bridge.Clip(fps=layered.fps, start_time=layered.start_time, targets=layered.targets,
                                 weights=golden.make_base().tolist(), valid=[True] * len(layered.valid)),
                     base_path)
    assert main(["verify-unity", "--rig", rig_path, "--clip", clip_path, "--base", base_path]) == 0
    out = capsys.readouterr().out
    assert "on %s" % base_path in out and "not checked" in out and "parity proven" in out
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", str(tmp_path / "t.csv"),
                 "--base", base_path]) == 2
    # a clip whose stored weights are not its events on a neutral: exit 1
    bad = golden.make_clip()
    bad.weights = golden.make_base().tolist()
    bridge.save_clip(bad, clip_path)
    assert main(["verify-unity", "--rig", rig_path, "--clip", clip_path]) == 1
    assert "FAILED" in capsys.readouterr().out
    # a runtime that drifts is caught: exit 1
    from microexpr.unity import long_parity

    real = long_parity.csharp_frames

    def drifting(*a, **k):
        W, V = real(*a, **k)
        W[3, 1] += 2e-9
        return W, V

    monkeypatch.setattr(long_parity, "csharp_frames", drifting)
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", str(tmp_path / "t.csv"),
                 "--compensation", "rigid"]) == 1
    assert "FAILED" in capsys.readouterr().out
    assert main(["verify-unity", "--rig", rig_path, "--landmarks", str(tmp_path / "t.csv"),
                 "--compensation", "sideways"]) == 2
