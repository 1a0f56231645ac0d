"""Micro-expression synthesis: millimetre sizing on rigs of any unit, events that re-evaluate
to the clip, determinism, layering, one-sidedness, plausibility over 10,000 draws, CLI."""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexpr import bridge
from microexpr.cli.main import main
from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh
from microexpr.micro import emotions, envelope, plausibility
from microexpr.micro.synthesizer import Synthesizer, micro_expression
from microexpr.micro.timing import TimingBounds, draw_timing
from microexpr.rig.build import build_rig, dense_deltas, evaluate, sparse_frame
from microexpr.rig.face import default_face
from microexpr.rig.presets import face_frame

MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0}


def _scaled(mesh: Mesh, k: float) -> Mesh:
    return Mesh(mesh.name, mesh.points * k, mesh.face_counts, mesh.face_indices)


@pytest.fixture(scope="module")
def face():
    return default_face()


@pytest.fixture(scope="module")
def rigs(face):
    """The default face with the arkit preset in cm, and the same face in mm and in m."""
    out = {}
    for unit, k in (("cm", 1.0), ("mm", 10.0), ("m", 0.01)):
        out[unit] = build_rig(_scaled(face.skin, k), face.landmark_vertices, preset="arkit",
                              extra_meshes=[_scaled(face.eyes, k)], unit=unit)
    return out


@pytest.fixture(scope="module")
def synths(rigs):
    return {u: Synthesizer(r) for u, r in rigs.items()}


def oracle_peak(rig, events, t0, t1, step=5e-4):
    """Largest displacement (mm) over every vertex of every mesh on a 0.5 ms time grid, then
    a 5 us one around the best time: plain dense numpy, independent of microexpr.micro."""
    names = rig.target_names()
    k = MM[rig.units.length]
    D = np.concatenate([dense_deltas(rig, m.name) for m in rig.meshes], axis=1) * k
    used = sorted({names.index(e.target) for e in events})
    D = D[used][:, np.abs(D[used]).max(axis=(0, 2)) > 0]         # vertices these targets move
    Du = D.reshape(len(used), -1)

    def best(times):
        W = envelope.event_weights(events, names, times)[:, used]
        X = (W @ Du).reshape(len(times), -1, 3)
        mag = np.sqrt((X * X).sum(axis=2)).max(axis=1)
        i = int(np.argmax(mag))
        return float(mag[i]), float(times[i])

    mm, t = best(np.arange(t0, t1, step))
    return best(np.linspace(t - step, t + step, 401))


# --- millimetres --------------------------------------------------------------------------
@pytest.mark.parametrize("unit", ["mm", "m"])
def test_requested_peak_is_met_on_rigs_of_any_scale(rigs, synths, unit):
    for seed, (emo, mm) in enumerate([("fear", 1.2), ("contempt", 0.5), ("surprise", 2.0)]):
        a = synths["cm"].clip(emotion=emo, peak_mm=mm, seed=seed)
        b = synths[unit].clip(emotion=emo, peak_mm=mm, seed=seed)
        for rig, clip in ((rigs["cm"], a), (rigs[unit], b)):
            got, _ = oracle_peak(rig, clip.events, clip.events[0].onset - 0.01,
                                 max(e.offset for e in clip.events))
            assert abs(got - mm) <= 0.05 * mm, (rig.units.length, emo, got)
            assert abs(got - mm) <= 0.005 * mm          # in fact much closer than 5 %
        # same physical size: the same weights on both rigs
        wa = [e.peak_weight for e in a.events]
        wb = [e.peak_weight for e in b.events]
        assert np.allclose(wa, wb, rtol=1e-6)


@pytest.mark.parametrize("unit", ["cm", "mm"])
def test_peak_is_met_when_the_apex_falls_between_frames(rigs, synths, unit):
    s, rig = synths[unit], rigs[unit]
    fps = 60.0
    # a seed whose smile has (almost) no hold at its apex, so the peak is sharp
    seed = min(range(40), key=lambda k: s.clip(aus="R12", seed=k).events[0].params["hold"])
    first = s.clip(aus="R12", peak_mm=1.0, seed=seed, fps=fps)
    t_peak = first.source["peak_time"]
    # move the whole micro-expression so its peak sits half-way between two frames
    shift = (np.floor(t_peak * fps) + 0.5) / fps - t_peak
    clip = s.clip(aus="R12", peak_mm=1.0, seed=seed, fps=fps, at=0.1 + shift + 1.0 / fps)
    t_new = clip.source["peak_time"]
    assert abs((t_new * fps) % 1.0 - 0.5) < 0.01
    frames = clip.source["peak_mm_frames"]
    assert frames < 0.995                              # the frames miss the true apex ...
    got, _ = oracle_peak(rig, clip.events, 0.0, clip.times()[-1])
    assert abs(got - 1.0) < 0.01                       # ... yet the true peak is as asked
    # scaling to the frames instead would have overshot
    assert 1.0 / frames > 1.005


def test_targets_on_other_meshes_count(rigs):
    """A target that moves only the eyeballs (a second mesh) is sized like any other."""
    rig = rigs["cm"]
    eyes = next(m for m in rig.meshes if m.role == "eyes")
    ep = np.asarray(eyes.points)
    d = np.zeros_like(ep)
    d[ep[:, 0] > 0] = (0.0, 0.3, 0.0)                   # the left eye looks up, 3 mm
    look = bridge.Target(name="eyeLookUp_L", info=bridge.TargetInfo(side="L"),
                         shapes=[bridge.MeshShape(mesh=eyes.name, frames=[sparse_frame(d)])])
    targets = list(rig.targets) + [look]
    rig2 = rig.model_copy(update={"targets": targets, "landmark_deltas": bridge.LandmarkDeltas(
        targets=[t.name for t in targets],
        deltas=list(rig.landmark_deltas.deltas) + [np.zeros((68, 3)).tolist()])})
    s = Synthesizer(rig2, {"aus": {"5": [{"target": "eyeLookUp_L", "side": "L"}]}})
    clip = s.clip(aus="L5", peak_mm=0.8, seed=1)
    assert [e.target for e in clip.events] == ["eyeLookUp_L"]
    assert clip.events[0].peak_weight == pytest.approx(0.8 / 3.0, rel=1e-6)
    got, _ = oracle_peak(rig2, clip.events, 0.0, clip.times()[-1])
    assert got == pytest.approx(0.8, rel=1e-3)


def test_unreachable_peak_is_reported_not_faked(synths, rigs, tmp_path):
    s = synths["cm"]
    with pytest.raises(MicroExprError) as err:
        s.clip(aus="L5", peak_mm=30.0)
    msg = str(err.value)
    assert "cannot reach" in msg and err.value.field == "--peak-mm"
    reach = float(msg.split("most it can do is ")[1].split(" mm")[0])
    ok = s.clip(aus="L5", peak_mm=reach * 0.98)
    assert max(e.peak_weight for e in ok.events) <= 1.0
    with pytest.raises(MicroExprError):
        s.clip(aus="L5", peak_mm=reach * 1.05)
    # the CLI exits 2 and writes nothing
    rig_path = tmp_path / "rig.json"
    bridge.save_rig(rigs["cm"], rig_path)
    out = tmp_path / "clip.json"
    assert main(["micro", "--rig", str(rig_path), "--aus", "L5", "--peak-mm", "30",
                 "--out", str(out)]) == 2
    assert not out.exists()


def test_default_peak_follows_intensity(synths):
    s = synths["cm"]
    for letter, mm in emotions.PEAK_MM.items():
        c = s.clip(emotion="happiness", intensity=letter, seed=1)
        assert c.source["peak_mm"] == mm
    assert 0.5 <= min(emotions.PEAK_MM.values()) and max(emotions.PEAK_MM.values()) <= 2.0


# --- events and clips ---------------------------------------------------------------------
def test_clip_weights_are_the_events_re_evaluated(synths):
    s = synths["cm"]
    for seed, emo in enumerate(emotions.EMOTIONS):
        clip = s.clip(emotion=emo, seed=seed, fps=60 if seed % 2 else 200)
        W = clip.weight_array()
        base = np.zeros_like(W)
        assert np.array_equal(W, envelope.layer(base, clip.events, clip.targets, clip.times()))
        # and after a JSON round trip
        back = bridge.Clip.model_validate_json(clip.model_dump_json())
        assert np.array_equal(back.weight_array(),
                              envelope.layer(base, back.events, back.targets, back.times()))


def test_events_record_every_resolved_choice(synths):
    clip = synths["cm"].clip(aus="1+4+12+15", seed=4)
    for e in clip.events:
        assert e.envelope == envelope.ENVELOPE
        assert e.onset < e.apex < e.offset and 0 < e.peak_weight <= 1
        assert set(e.params) >= {"hold", "level", "gain"}
    labels = {e.au for e in clip.events}
    assert labels == {"1", "4", "12", "15"}
    assert clip.source["damped"]                      # 12 / 15 and 1 / 4 oppose
    assert any("damping" in e.params for e in clip.events)


def test_deterministic_given_the_seed_at_any_frame_rate(synths):
    s = synths["cm"]
    a = s.clip(emotion="fear", seed=9, fps=60)
    b = s.clip(emotion="fear", seed=9, fps=60)
    c = s.clip(emotion="fear", seed=9, fps=200)
    d = s.clip(emotion="fear", seed=10, fps=60)
    assert a == b
    assert [e.model_dump() for e in a.events] == [e.model_dump() for e in c.events]
    assert len(c.weights) > 3 * len(a.weights)
    assert [e.model_dump() for e in a.events] != [e.model_dump() for e in d.events]


def test_first_and_last_frames_are_neutral_and_span_in_bounds(synths):
    s = synths["cm"]
    for seed in range(20):
        clip = s.clip(emotion="surprise", seed=seed, fps=200,
                      bounds=TimingBounds(0.06, 0.3))
        W = clip.weight_array()
        assert not W[0].any() and not W[-1].any()
        span = max(e.offset for e in clip.events) - min(e.onset for e in clip.events)
        assert 0.06 - 1e-6 <= span <= 0.3 + 1e-6


def test_duration_and_start(synths):
    clip = synths["cm"].clip(emotion="anger", seed=2, fps=60, duration=1.0, at=0.3)
    assert len(clip.weights) == 61
    assert min(e.onset for e in clip.events) == pytest.approx(0.3, abs=1e-6)


def test_contempt_is_one_sided(rigs, synths, face):
    rig = rigs["cm"]
    sides = {t.name: t.info.side for t in rig.targets}
    frame, _ = face_frame(rig.neutral_landmarks())
    x = (face.skin.points - face.skin.points.mean(axis=0)) @ frame[0]
    for mirror, side, sign in ((False, "R", -1.0), (True, "L", 1.0)):
        clip = synths["cm"].clip(emotion="contempt", seed=3, mirror=mirror)
        assert {sides[e.target] for e in clip.events} == {side}
        apex = clip.weight_array()[int(np.argmax(clip.weight_array().sum(axis=1)))]
        moved = np.linalg.norm(evaluate(rig, apex) - face.skin.points, axis=1)
        own = moved[sign * x > 0.5].max()
        other = moved[sign * x < -0.5].max()
        assert own > 0.03 and other < 0.02 * own


def test_unexpressible_aus_are_reported_not_dropped_silently(face):
    rig = build_rig(face.skin, face.landmark_vertices, preset="table1")
    clip = micro_expression(rig, emotion="fear", seed=1)
    assert clip.source["unexpressed"] == ["2", "7"]
    assert {e.au for e in clip.events} == {"1", "4", "5", "20", "26"}
    with pytest.raises(MicroExprError) as err:
        micro_expression(rig, emotion="fear", seed=1, strict=True)
    assert "2, 7" in str(err.value)
    with pytest.raises(MicroExprError):
        micro_expression(rig, aus="2+7")               # nothing left to synthesise


def test_bad_requests(synths):
    s = synths["cm"]
    for kw in ({"emotion": "fear", "aus": "12"}, {}, {"aus": "5+45"}, {"emotion": "x"},
               {"aus": "12", "peak_mm": -1}, {"aus": "12", "fps": 0}, {"aus": "12", "seed": -3},
               {"aus": "12", "intensity": "Z"}, {"aus": "12", "at": -1.0}):
        with pytest.raises(MicroExprError):
            s.clip(**kw)


# --- layering -----------------------------------------------------------------------------
def _base(rig, fps=30.0, frames=61, smile=0.5, jaw=0.0):
    names = rig.target_names()
    t = np.arange(frames) / fps
    W = np.zeros((frames, len(names)))
    ramp = np.sin(np.pi * t / t[-1])
    W[:, names.index("mouthSmile_L")] = smile * ramp
    W[:, names.index("mouthSmile_R")] = smile * ramp
    W[:, names.index("jawOpen")] = jaw * ramp
    return bridge.Clip(fps=fps, start_time=5.0, targets=names, weights=W.tolist(),
                       valid=[True] * frames, rig_fingerprint=rig.mesh().fingerprint)


def test_layering_keeps_the_base_and_its_frame_rate(rigs, synths):
    rig, s = rigs["cm"], synths["cm"]
    base = _base(rig)
    clip = s.clip(emotion="sadness", seed=5, fps=200, base=base, at=5.6)
    assert clip.fps == base.fps and clip.start_time == base.start_time
    assert len(clip.weights) == len(base.weights) and clip.targets[:len(base.targets)] == base.targets
    W, B = clip.weight_array(), base.weight_array()
    assert np.array_equal(W, envelope.layer(B, clip.events, clip.targets, clip.times()))
    t = clip.times()
    first = min(e.onset for e in clip.events)
    last = max(e.offset for e in clip.events)
    outside = (t <= first) | (t >= last)
    assert np.array_equal(W[outside], B[outside])     # the base is untouched around it
    assert not np.array_equal(W[~outside], B[~outside])
    assert first == pytest.approx(5.6, abs=1e-6)
    centred = s.clip(emotion="sadness", seed=5, base=base)
    mid = (min(e.onset for e in centred.events) + max(e.offset for e in centred.events)) / 2
    assert mid == pytest.approx(6.0, abs=1e-3)


def test_layering_clamps_and_says_how_much_survives(rigs, synths):
    rig, s = rigs["cm"], synths["cm"]
    base = _base(rig, smile=1.0)
    clip = s.clip(aus="12", seed=2, peak_mm=1.5, base=base, at=5.8)
    assert clip.weight_array().max() <= 1.0
    assert clip.source["peak_mm_layered"] < 0.7 * clip.source["peak_mm"]
    free = s.clip(aus="12", seed=2, peak_mm=1.5, base=_base(rig, smile=0.0), at=5.8)
    assert free.source["peak_mm_layered"] == pytest.approx(free.source["peak_mm_frames"], rel=1e-9)


def test_layered_peak_on_a_rig_with_inbetweens_is_measured_against_the_base(rigs, face):
    """With in-betweens the layered peak is the offsets at the final weights minus those at the
    base (the mesh evaluated at both), not the displacement of their difference."""
    from nonlinear_rig import nonlinear_rig

    rig = nonlinear_rig(rigs["cm"], face.landmark_vertices, every=1, combination=False)
    base = _base(rig, smile=0.5)
    clip = Synthesizer(rig).clip(aus="12", seed=2, peak_mm=1.0, base=base, at=5.8)
    W, B = clip.weight_array(), base.weight_array()
    assert clip.targets == base.targets == rig.target_names()
    oracle = max(np.linalg.norm(evaluate(rig, w) - evaluate(rig, b), axis=1).max()
                 for w, b in zip(W, B)) * MM[rig.units.length]
    assert clip.source["peak_mm_layered"] == pytest.approx(oracle, rel=1e-6)
    # the displacement of W - B alone (the events from zero) is another number on this rig
    assert abs(clip.source["peak_mm"] - oracle) > 0.1 * oracle


def test_layering_refuses_contradictions_and_misfits(rigs, synths):
    rig, s = rigs["cm"], synths["cm"]
    with pytest.raises(MicroExprError) as err:
        s.clip(aus="24", seed=1, base=_base(rig, jaw=0.5), at=5.8)
    assert "AU24" in str(err.value) and "jawOpen" in str(err.value)
    s.clip(aus="24", seed=1, base=_base(rig, jaw=0.0), at=5.8)     # fine without the jaw
    with pytest.raises(MicroExprError):
        s.clip(aus="12", seed=1, base=_base(rig), at=6.9)            # runs past the end
    other = _base(rig).model_copy(update={"rig_fingerprint": "0" * 40})
    with pytest.raises(MicroExprError):
        s.clip(aus="12", seed=1, base=other)


# --- plausibility over many draws ---------------------------------------------------------
def test_no_contradictions_in_10000_random_draws(synths):
    """The rule-based generator reaches 0 violations (learned generators: < 0.7 %)."""
    s = synths["cm"]
    rng = np.random.default_rng(2024)
    bad = 0
    for i in range(10_000):
        if i % 4 == 0:
            reqs = emotions.emotion_aus(list(emotions.EMOTIONS)[i % 7], "C", bool(i % 8 == 0))
        else:
            reqs = emotions.random_aus(rng, max_aus=5)
        timings = draw_timing(rng, reqs)
        plan = s.plan(reqs, timings, 1.0, 0.1)
        bad += bool(plausibility.violations(reqs) or plausibility.event_violations(plan.events))
    assert bad == 0


# --- CLI ----------------------------------------------------------------------------------
def test_cli_micro_writes_a_clip(rigs, tmp_path, capsys):
    rig_path = tmp_path / "rig.json"
    bridge.save_rig(rigs["mm"], rig_path)
    out = tmp_path / "c.json"
    assert main(["micro", "--rig", str(rig_path), "--emotion", "contempt", "--peak-mm", "1.2",
                 "--seed", "7", "--fps", "200", "--out", str(out)]) == 0
    clip = bridge.load_clip(out)
    assert clip.fps == 200 and clip.events and clip.source["peak_mm"] == 1.2
    assert "peak 1.200 mm" in capsys.readouterr().out
    again = tmp_path / "d.json"
    main(["micro", "--rig", str(rig_path), "--emotion", "contempt", "--peak-mm", "1.2",
          "--seed", "7", "--fps", "200", "--out", str(again)])
    assert json.loads(out.read_text()) == json.loads(again.read_text())
    # layered on a base clip
    base = tmp_path / "base.json"
    bridge.save_clip(_base(rigs["mm"]), base)
    lay = tmp_path / "l.json"
    assert main(["micro", "--rig", str(rig_path), "--aus", "4+7+R12B", "--base", str(base),
                 "--at", "5.5", "--out", str(lay)]) == 0
    assert bridge.load_clip(lay).fps == 30.0
    assert main(["micro", "--rig", str(rig_path), "--coverage"]) == 0
    assert "AU28" in capsys.readouterr().out


@pytest.mark.parametrize("args", [["--aus", "5+45"], ["--emotion", "nope"],
                                  ["--aus", "12", "--fps", "-1"], ["--aus", "12", "--fps", "0"],
                                  ["--aus", "12", "--min-span-ms", "600"], []])
def test_cli_micro_errors_exit_2_without_output(rigs, tmp_path, args, capsys):
    rig_path = tmp_path / "rig.json"
    bridge.save_rig(rigs["cm"], rig_path)
    out = tmp_path / "c.json"
    assert main(["micro", "--rig", str(rig_path), "--out", str(out)] + args) == 2
    assert not out.exists()
    assert "Fix:" in capsys.readouterr().err
