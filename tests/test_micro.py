"""Micro-expression building blocks: AU catalogue, AU lists, emotions, AU maps, plausibility
rules and timing (microexpr.micro)."""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.micro import emotions, facs, mapping, plausibility, timing
from microexpr.micro import envelope as env
from microexpr.micro.emotions import parse_aus
from microexpr.rig.build import build_rig, dense_deltas, rig_from_targets
from microexpr.rig.face import default_face

REQUIRED = ["1", "2", "4", "5", "6", "7", "9", "10", "12", "14", "15", "16", "17", "18", "20",
            "22", "23", "24", "26", "28", "43", "45"]


@pytest.fixture(scope="module")
def face():
    return default_face()


@pytest.fixture(scope="module")
def arkit(face):
    return build_rig(face.skin, face.landmark_vertices, preset="arkit", extra_meshes=[face.eyes])


@pytest.fixture(scope="module")
def table1(face):
    return build_rig(face.skin, face.landmark_vertices, preset="table1")


# --- catalogue and AU lists ----------------------------------------------------------------
def test_catalogue_has_the_required_aus_with_sides():
    for code in REQUIRED:
        assert code in facs.CATALOGUE, code
    sided = {c for c, au in facs.CATALOGUE.items() if au.sided}
    assert {"1", "2", "4", "5", "6", "7", "12", "14", "15", "20", "43", "45"} <= sided
    assert not {"17", "18", "22", "26", "28"} & sided      # midline AUs have no side


def test_parse_au_list_sides_and_letters():
    reqs = parse_aus("4+7+R12B", intensity="D")
    assert [(r.au, r.side, r.letter) for r in reqs] == [("4", None, None), ("7", None, None),
                                                         ("12", "R", "B")]
    assert reqs[0].level == emotions.INTENSITY["D"] and reqs[2].level == emotions.INTENSITY["B"]
    assert [r.label for r in reqs] == ["4", "7", "R12"]
    assert parse_aus(" au4 + l1a ")[1].side == "L"


@pytest.mark.parametrize("text", ["", "4++7", "99", "L26", "12+R12", "X5", "4+4", "12F"])
def test_parse_au_list_refuses_bad_input(text):
    with pytest.raises(MicroExprError) as err:
        parse_aus(text)
    assert err.value.fix


def test_intensity_letters_increase():
    levels = [emotions.INTENSITY[k] for k in "ABCDE"]
    sizes = [emotions.PEAK_MM[k] for k in "ABCDE"]
    assert levels == sorted(levels) and levels[-1] == 1.0
    assert sizes[0] == 0.5 and sizes[-1] == 2.0 and sizes == sorted(sizes)
    with pytest.raises(MicroExprError):
        emotions.check_letter("F")


def test_emotion_prototypes():
    got = {name: emotions.format_aus(emotions.emotion_aus(name)) for name in emotions.EMOTIONS}
    assert got["happiness"] == "6+12"
    assert got["sadness"] == "1+4+15"
    assert got["surprise"] == "1+2+5B+26"
    assert got["fear"] == "1+2+4+5+7+20+26"
    assert got["anger"] == "4+5+7+23"
    assert got["disgust"] == "9+15+16"
    assert got["contempt"] == "R12A+R14A"
    assert {r.side for r in emotions.emotion_aus("contempt", mirror=True)} == {"L"}
    assert emotions.emotion_name("Angry") == "anger"
    with pytest.raises(MicroExprError):
        emotions.emotion_name("boredom")


# --- AU maps --------------------------------------------------------------------------------
def test_arkit_map_expresses_every_catalogue_au(arkit):
    amap = mapping.au_map(arkit)
    assert amap.source == "arkit"
    assert amap.cannot() == []
    drives, both = amap.drives_for("12", "R")
    assert [d.target for d in drives] == ["mouthSmile_R"] and not both
    assert {d.target for d in amap.drives_for("12", None)[0]} == {"mouthSmile_L", "mouthSmile_R"}
    drives, both = amap.drives_for("1", "L")          # only a centred browInnerUp exists
    assert [d.target for d in drives] == ["browInnerUp"] and both


def test_table1_map_is_partial_and_says_what_it_cannot(table1):
    amap = mapping.au_map(table1)
    assert amap.source == "table1"
    cannot = amap.cannot()
    assert cannot == list(mapping.TABLE1_CANNOT)
    assert {"2", "7", "14", "24"} <= set(cannot)
    for code in ("1", "4", "5", "15", "26", "45"):
        assert amap.expressible(code)
    status = {r["au"]: r["status"] for r in amap.coverage()}
    assert status["12"] == "approximate" and status["2"] == "no" and status["1"] == "yes"


def test_names_match_loosely():
    assert mapping.norm_name("browDown_L") == mapping.norm_name("BrowDownLeft")
    assert mapping.norm_name("mouthSmile_R") == mapping.norm_name("mouth_smile_right")


def _custom_rig(face, arkit):
    """The ARKit shapes under other names, without AU metadata."""
    d = dense_deltas(arkit)
    names = arkit.target_names()
    rename = {"mouthSmile_L": "smileL", "mouthSmile_R": "smileR", "browInnerUp": "brows_up",
              "jawOpen": "jaw_drop"}
    targets = {rename[n]: d[names.index(n)] for n in rename}
    return rig_from_targets(face.skin, targets, face.landmark_vertices)


def test_mapping_file_drives_any_rig(face, arkit, tmp_path):
    rig = _custom_rig(face, arkit)
    assert mapping.au_map(rig).cannot() == list(sorted(facs.CATALOGUE, key=facs.sort_key))
    path = tmp_path / "map.json"
    path.write_text(json.dumps({"format": "microexpr.aumap", "aus": {
        "12": [{"target": "smileL", "side": "L"}, {"target": "smileR", "side": "R", "gain": 0.5}],
        "1": ["brows_up"], "26": [{"target": "jaw_drop"}]}}))
    amap = mapping.au_map(rig, str(path))
    assert amap.cannot() == [c for c in sorted(facs.CATALOGUE, key=facs.sort_key)
                             if c not in ("1", "12", "26")]
    right = amap.drives_for("12", "R")[0]
    assert right[0].target == "smileR" and right[0].gain == 0.5


@pytest.mark.parametrize("aus,field", [
    ({"12": [{"target": "nope"}]}, "aus.12[0]"),
    ({"99": ["smileL"]}, "aus.99"),
    ({"12": [{"target": "smileL", "side": "X"}]}, "aus.12[0].side"),
    ({"12": [{"target": "smileL", "gain": -1}]}, "aus.12[0].gain"),
    ({"12": "smileL"}, "aus.12"),
])
def test_mapping_file_errors_name_the_field(face, arkit, aus, field):
    rig = _custom_rig(face, arkit)
    with pytest.raises(MicroExprError) as err:
        mapping.au_map(rig, {"aus": aus})
    assert err.value.field == field and err.value.fix


def test_metadata_fills_a_rig_without_known_names(face, arkit):
    d = dense_deltas(arkit)
    names = arkit.target_names()
    from microexpr.bridge import TargetInfo
    rig = rig_from_targets(face.skin, {"a": d[names.index("mouthFrown_L")]},
                           face.landmark_vertices,
                           infos={"a": TargetInfo(side="L", aus=["15"])})
    amap = mapping.au_map(rig)
    assert amap.source == "metadata" and amap.expressible("15") and not amap.expressible("12")


# --- plausibility rules ---------------------------------------------------------------------
@pytest.mark.parametrize("text,bad", [
    ("5+45", True), ("L5+L43", True), ("L5+R45", False), ("5+R45", True),
    ("24+26", True), ("24+25", True), ("24+27", True), ("24+17", False),
    ("28+22", True), ("28+18", True), ("12+15", False), ("1+2+4+5", False),
])
def test_contradiction_rules(text, bad):
    assert bool(plausibility.violations(parse_aus(text))) == bad
    if bad:
        with pytest.raises(MicroExprError):
            plausibility.check(parse_aus(text))


def test_emotion_prototypes_are_plausible():
    for name in emotions.EMOTIONS:
        assert plausibility.violations(emotions.emotion_aus(name)) == [], name


def test_unconstrained_draws_do_break_rules():
    """The blind sampler shows the rules have something to catch (so 0 below means something)."""
    rng = np.random.default_rng(0)
    bad = sum(bool(plausibility.violations(emotions.random_aus(rng, 6, plausible=False)))
              for _ in range(2000))
    assert bad > 20


def test_layer_violations_read_the_base(arkit):
    names = arkit.target_names()
    amap = mapping.au_map(arkit)
    times = np.arange(30) / 30.0
    base = np.zeros((30, len(names)))
    base[10:20, names.index("jawOpen")] = 0.4
    found = plausibility.layer_violations(parse_aus("24"), [(0.4, 0.5)], base, names, times,
                                          amap.target_aus())
    assert len(found) == 1 and "jawOpen" in found[0].message()
    assert not plausibility.layer_violations(parse_aus("24"), [(0.8, 0.9)], base, names, times,
                                             amap.target_aus())
    assert not plausibility.layer_violations(parse_aus("12"), [(0.4, 0.5)], base, names, times,
                                             amap.target_aus())


# --- timing ---------------------------------------------------------------------------------
@pytest.mark.parametrize("bounds", [timing.TimingBounds(), timing.TimingBounds(0.1, 0.15, 0.2),
                                    timing.TimingBounds(0.3, 0.45)])
def test_span_stays_within_bounds(bounds):
    reqs = parse_aus("1+2+4+5+7+20+26")
    spans = []
    for seed in range(300):
        t = timing.draw_timing(np.random.default_rng(seed), reqs, bounds.checked())
        spans.append(timing.span_of(t))
    spans = np.array(spans)
    assert spans.min() >= bounds.min_span - 1e-12 and spans.max() <= bounds.max_span + 1e-12
    if bounds == timing.TimingBounds():
        assert 0.15 < np.median(spans) < 0.25         # typical near 200 ms


def test_each_au_rises_fast_falls_slow_and_starts_on_its_own():
    reqs = parse_aus("1+2+4+5+12+15")
    onsets_equal = 0
    for seed in range(200):
        ts = timing.draw_timing(np.random.default_rng(seed), reqs)
        for t in ts:
            assert t.onset < t.apex <= t.apex + t.hold < t.offset
            assert t.fall > t.rise > 0
        onsets = [t.onset for t in ts]
        assert min(onsets) == 0.0
        onsets_equal += len(set(onsets)) < len(onsets)
    assert onsets_equal == 0                            # asynchronous onsets


def test_some_stop_short_and_opposing_aus_damp_each_other():
    reqs = parse_aus("12+15+1")
    short = damped = 0
    n = 400
    for seed in range(n):
        ts = timing.draw_timing(np.random.default_rng(seed), reqs)
        short += sum(t.reached < 1.0 for t in ts)
        d = [t for t in ts[:2] if t.damping < 1.0]
        assert len(d) == 1 and 0.5 <= d[0].damping <= 0.8       # exactly one of 12 / 15
        assert d[0].damped_by in ("12", "15") and ts[2].damping == 1.0
        damped += 1
    assert 0.2 < short / (3 * n) < 0.4
    # opposing AUs on different sides do not damp each other
    ts = timing.draw_timing(np.random.default_rng(1), parse_aus("L12+R15"))
    assert all(t.damping == 1.0 for t in ts)


def test_same_seed_same_timing():
    reqs = parse_aus("4+7+R12B")
    a = timing.draw_timing(np.random.default_rng(5), reqs)
    b = timing.draw_timing(np.random.default_rng(5), reqs)
    c = timing.draw_timing(np.random.default_rng(6), reqs)
    assert a == b and a != c


def test_bad_bounds_are_refused():
    with pytest.raises(MicroExprError):
        timing.TimingBounds(0.5, 0.1).checked()
    with pytest.raises(MicroExprError):
        timing.TimingBounds(0.0, 0.1).checked()


def test_envelope_is_smooth_not_linear():
    t = np.array([0.0, 0.025, 0.05, 0.1, 0.1 + 1e-6, 0.3])
    e = env.envelope(t, 0.0, 0.1, 0.3)
    assert e[0] == 0.0 and e[3] == 1.0 and e[-1] == 0.0
    assert abs(e[1] - 0.15625) < 1e-12                  # smoothstep(1/4), a ramp gives 0.25
    assert 1.0 - e[4] < 1e-9                            # zero slope at the apex


def test_vectorised_envelopes_equal_the_runtime_envelope_bit_for_bit():
    from microexpr.micro.amplitude import envelopes

    rng = np.random.default_rng(3)
    t = np.concatenate([np.linspace(0, 1, 801), rng.random(200)])
    for _ in range(200):
        on = rng.random() * 0.5
        ap = on + 1e-3 + rng.random() * 0.2
        hold = rng.random() * 0.05 * rng.integers(2)
        off = ap + hold + 1e-3 + rng.random() * 0.3
        tt = np.concatenate([t, [on, ap, ap + hold, off]])
        got = envelopes(tt, [on], [ap], [min(ap + hold, off)], [off])[:, 0]
        assert np.array_equal(got, env.envelope(tt, on, ap, off, hold))
