"""The review step: regions from landmarks, displacement in mm, per-target timing, the six
checks with reasons, layers over a base clip, the sheet and the CLI exit codes."""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexpr import bridge
from microexpr.bridge import MicroEvent
from microexpr.cli.main import main
from microexpr.mesh import Mesh
from microexpr.micro import envelope
from microexpr.micro.synthesizer import Synthesizer
from microexpr.micro.timing import TimingBounds
from microexpr.review import Limits, Reviewer, face_regions
from microexpr.review.regions import NAMES
from microexpr.rig.build import build_rig, dense_deltas, evaluate, rig_from_targets
from microexpr.rig.face import default_face


@pytest.fixture(scope="module")
def face():
    return default_face()


@pytest.fixture(scope="module")
def rig(face):
    return build_rig(face.skin, face.landmark_vertices, preset="arkit", extra_meshes=[face.eyes])


@pytest.fixture(scope="module")
def synth(rig):
    return Synthesizer(rig)


@pytest.fixture(scope="module")
def reviewer(rig):
    return Reviewer(rig)


@pytest.fixture(scope="module")
def contempt(synth):
    return synth.clip(emotion="contempt", seed=3, fps=200, peak_mm=1.2)


def hand_clip(rig, curves, fps=200.0, seconds=0.6):
    """A clip from {target: (onset, apex, offset, peak)} smoothstep events."""
    names = rig.target_names()
    t = np.arange(int(round(seconds * fps)) + 1) / fps
    evs = [MicroEvent(au="0", target=k, onset=a, apex=b, offset=c, peak_weight=p)
           for k, (a, b, c, p) in curves.items()]
    W = envelope.layer(np.zeros((len(t), len(names))), evs, names, t)
    return bridge.Clip(fps=fps, targets=names, weights=W.tolist(), valid=[True] * len(t))


# --- regions ------------------------------------------------------------------------------
def test_regions_come_from_the_landmarks(rig, face):
    reg = face_regions(rig)
    lab = reg.labels[rig.mesh().name]
    lv = face.landmark_vertices
    name = lambda i: (NAMES + ("other",))[lab[lv[i]]]          # noqa: E731
    assert name(48) == name(54) == "mouth corners"
    assert {name(i) for i in (19, 24)} == {"brows"}
    assert {name(i) for i in (37, 44)} == {"eyes"}
    assert name(33) == "nose" and name(8) == "jaw" and name(28) == "nose bridge"
    for n in NAMES:
        assert (lab == NAMES.index(n)).sum() > 10, n
    assert (reg.labels[face.eyes.name] == NAMES.index("eyes")).all()


def test_regions_do_not_depend_on_units(rig, face):
    mm = build_rig(Mesh("skin", face.skin.points * 10, face.skin.face_counts,
                        face.skin.face_indices), face.landmark_vertices, preset="table1", unit="mm")
    a = face_regions(rig).labels[rig.mesh().name]
    b = face_regions(mm).labels[mm.mesh().name]
    assert np.array_equal(a, b)


# --- measurement --------------------------------------------------------------------------
def test_region_peaks_match_a_plain_evaluation(rig, reviewer, contempt):
    r = reviewer.review(contempt)
    reg = face_regions(rig)
    lab = reg.labels[rig.mesh().name]
    neutral = np.asarray(rig.mesh().points)
    best = np.zeros(len(NAMES) + 1)
    for w in contempt.weight_array():
        d = np.linalg.norm(evaluate(rig, w) - neutral, axis=1) * 10.0      # cm -> mm
        best = np.maximum(best, [d[lab == k].max() if (lab == k).any() else 0.0
                                 for k in range(len(NAMES) + 1)])
    got = {row["region"]: row["peak_mm"] for row in r.regions()}
    for k, n in enumerate(NAMES + ("other",)):
        assert got[n] == pytest.approx(best[k], abs=2e-4), n
    assert r.to_dict()["peak_mm"] == pytest.approx(best.max(), abs=2e-4)


def test_target_timing_matches_the_events(reviewer, contempt):
    r = reviewer.review(contempt)
    timing = {t.target: t for t in r.measurement.target_timing}
    assert set(timing) == {e.target for e in contempt.events}
    frame = 1.0 / contempt.fps
    for e in contempt.events:
        t = timing[e.target]
        rise, fall = e.apex - e.onset, e.offset - e.apex - e.params["hold"]
        assert e.onset <= t.onset <= e.onset + 0.3 * rise + frame
        assert e.apex - frame <= t.apex <= e.apex + e.params["hold"] + frame
        assert e.offset - 0.3 * fall - frame <= t.offset <= e.offset
        assert t.peak_weight == pytest.approx(e.peak_weight, rel=0.01)


# --- checks -------------------------------------------------------------------------------
def _failed(review):
    return {c.name for c in review.checks if not c.passed}


def test_a_synthesised_micro_expression_passes(synth, reviewer):
    for seed, emo in enumerate(["happiness", "sadness", "surprise", "anger", "disgust"]):
        r = reviewer.review(synth.clip(emotion=emo, seed=seed, fps=200))
        assert r.passed, (emo, [(c.name, c.reason) for c in r.checks if not c.passed])
        assert all(c.reason for c in r.checks)


def test_too_big_fails_subtle_and_restraint(synth, reviewer):
    r = reviewer.review(synth.clip(aus="12", seed=1, fps=200, peak_mm=3.0))
    assert _failed(r) == {"subtle", "restraint"}
    assert "3.00 mm" in r.check("subtle").reason and "mouth corners" in r.check("restraint").reason


def test_too_faint_fails_readable(synth, reviewer):
    r = reviewer.review(synth.clip(aus="12", seed=1, fps=200, peak_mm=0.2))
    assert _failed(r) == {"readable"}
    assert "too faint" in r.check("readable").reason


def test_eyes_have_their_own_ceiling(synth, reviewer):
    r = reviewer.review(synth.clip(aus="45", seed=2, fps=200, peak_mm=1.8))
    assert _failed(r) == {"restraint"} and "eyes" in r.check("restraint").reason


def test_timing_too_long_or_too_short(synth, reviewer):
    slow = synth.clip(aus="12", seed=1, fps=200, bounds=TimingBounds(0.7, 0.9))
    assert "timing" in _failed(reviewer.review(slow))
    fast = synth.clip(aus="12", seed=1, fps=200, bounds=TimingBounds(0.012, 0.016))
    r = reviewer.review(fast)
    assert "timing" in _failed(r) and "shorter than 40 ms" in r.check("timing").reason
    ok = reviewer.review(synth.clip(aus="12", seed=1, fps=200, bounds=TimingBounds(0.05, 0.06)))
    assert ok.check("timing").passed


def test_identity_rigid_drift_and_ends(face, rig, synth, reviewer):
    d = dense_deltas(rig)
    names = rig.target_names()
    pts = face.skin.points
    top = pts[:, 1].max()
    bump = np.zeros_like(pts)
    bump[:, 1] = 0.05 * np.exp(-((pts[:, 1] - (top - 1.5)) ** 2 + pts[:, 0] ** 2) / 0.5)
    targets = {n: d[i] for i, n in enumerate(names)}
    targets["foreheadTwitch"] = bump
    rig2 = rig_from_targets(face.skin, targets, face.landmark_vertices)
    clip = hand_clip(rig2, {"browInnerUp": (0.1, 0.16, 0.35, 0.15),
                            "foreheadTwitch": (0.1, 0.16, 0.35, 0.6)})
    r = Reviewer(rig2).review(clip)
    assert "identity" in _failed(r) and "forehead" in r.check("identity").reason
    # a clip cut off mid-expression does not come back to the neutral
    whole = synth.clip(emotion="happiness", seed=4, fps=200)
    cut = whole.model_copy(update={"weights": whole.weights[:len(whole.weights) // 2],
                                   "valid": whole.valid[:len(whole.valid) // 2]})
    r = reviewer.review(cut)
    assert "identity" in _failed(r) and "last frame" in r.check("identity").reason


def test_contradictory_targets_fail_plausible(rig, reviewer):
    clip = hand_clip(rig, {"eyeWide_L": (0.1, 0.15, 0.3, 0.3), "eyeBlink_L": (0.12, 0.18, 0.32, 0.1)})
    r = reviewer.review(clip)
    assert "plausible" in _failed(r) and "AU5" in r.check("plausible").reason
    other_eye = hand_clip(rig, {"eyeWide_L": (0.1, 0.15, 0.3, 0.3),
                                "eyeBlink_R": (0.12, 0.18, 0.32, 0.1)})
    assert reviewer.review(other_eye).check("plausible").passed


def test_the_layer_on_a_base_is_judged(rig, synth, reviewer):
    names = rig.target_names()
    t = np.arange(121) / 60.0
    W = np.zeros((121, len(names)))
    W[:, names.index("jawOpen")] = 0.4 * np.sin(np.pi * t / 2.0)
    base = bridge.Clip(fps=60, targets=names, weights=W.tolist(), valid=[True] * 121)
    clip = synth.clip(emotion="disgust", seed=3, base=base, at=0.8)
    layered = reviewer.review(clip, base)
    assert layered.passed and layered.layered
    assert layered.to_dict()["peak_mm"] == pytest.approx(1.0, abs=0.02)
    alone = reviewer.review(clip)
    assert {"subtle", "timing"} <= _failed(alone)
    # a base at another frame rate is resampled at the clip's frames
    half = bridge.Clip(fps=30, targets=names, weights=W[::2].tolist(), valid=[True] * 61)
    again = reviewer.review(clip, half)
    assert any("resampled" in n for n in again.notes)
    assert again.to_dict()["peak_mm"] == pytest.approx(1.0, abs=0.15)


def test_limits_are_checked():
    from microexpr.errors import MicroExprError

    with pytest.raises(MicroExprError):
        Limits(floor_mm=3.0).checked()
    with pytest.raises(MicroExprError):
        Limits(ceiling_mm=-1).checked()


# --- report, sheet and CLI ----------------------------------------------------------------
def test_report_json_and_sheet(rig, reviewer, contempt):
    from microexpr.review.sheet import render_sheet

    r = reviewer.review(contempt)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["passed"] is True and len(data["checks"]) == 6
    assert {row["region"] for row in data["regions"]} == set(NAMES) | {"other"}
    png = render_sheet(r, rig, "contempt")
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 30_000
    assert "PASS" in r.text() and "mouthSmile_R" in r.text()


def test_cli_review_exit_codes(rig, synth, contempt, tmp_path, capsys):
    rig_path, clip_path = tmp_path / "rig.json", tmp_path / "clip.json"
    bridge.save_rig(rig, rig_path)
    bridge.save_clip(contempt, clip_path)
    png, rep = tmp_path / "r.png", tmp_path / "r.json"
    assert main(["review", "--rig", str(rig_path), "--clip", str(clip_path), "--out", str(png),
                 "--json", str(rep)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG" and json.loads(rep.read_text())["passed"]
    big = tmp_path / "big.json"
    bridge.save_clip(synth.clip(aus="12", seed=1, fps=200, peak_mm=3.0), big)
    assert main(["review", "--rig", str(rig_path), "--clip", str(big)]) == 1
    assert main(["review", "--rig", str(rig_path), "--clip", str(big), "--no-fail"]) == 0
    assert main(["review", "--rig", str(rig_path), "--clip", str(big), "--ceiling-mm", "4",
                 "--no-fail"]) == 0
    assert "FAIL" in capsys.readouterr().out
    out = tmp_path / "none.png"
    assert main(["review", "--rig", str(rig_path), "--clip", str(tmp_path / "missing.json"),
                 "--out", str(out)]) == 2
    assert main(["review", "--rig", str(rig_path), "--clip", str(clip_path), "--floor-mm", "5",
                 "--out", str(out)]) == 2
    assert not out.exists()
