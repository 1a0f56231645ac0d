import numpy as np
import pytest

from microexpr.landmarks import MIRROR
from microexpr.rig import build as R
from microexpr.rig.presets import PRESETS, preset_key_points, preset_targets


def _eval(rig, name, w=1.0):
    ws = np.zeros(len(rig.targets))
    ws[rig.target_names().index(name)] = w
    return R.evaluate(rig, ws)


def _margin(points, upper, lower):
    """Smallest height of an upper margin above the lower one, over the upper's x range."""
    lo = points[lower]
    order = np.argsort(lo[:, 0])
    below = np.interp(points[upper][:, 0], lo[order, 0], lo[order, 1])
    return float(np.min(points[upper][:, 1] - below))


def test_table1_has_the_papers_seven_parts_split_into_one_way_targets(table1_rig):
    names = table1_rig.target_names()
    for n in ("mouthOpen", "mouthMove_L", "mouthMove_R", "mouthPullDown_L", "mouthPullDown_R",
              "eyeClose_L", "eyeOpen_L", "eyeUp_L", "eyeDown_L", "eyeClose_R", "eyeOpen_R",
              "eyeUp_R", "eyeDown_R", "noseUp", "noseDown", "faceUp", "faceDown",
              "browInnerUp_L", "browInnerDown_L", "browInnerUp_R", "browInnerDown_R"):
        assert n in names
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("side,pairs", [("R", ((37, 41), (38, 40))), ("L", ((43, 47), (44, 46)))])
def test_blink_closes_the_lid_gap_without_crossing(face, table1_rig, side, pairs):
    lv = face.landmark_vertices
    p0 = face.skin.points
    p1 = _eval(table1_rig, "eyeClose_" + side)
    for a, b in pairs:
        before = np.linalg.norm(p0[lv[a]] - p0[lv[b]])
        after = np.linalg.norm(p1[lv[a]] - p1[lv[b]])
        assert before > 0.5 and after < 0.15 * before
    assert _margin(p1, face.regions["upper_lid_" + side], face.regions["lower_lid_" + side]) >= -1e-9


def test_jaw_open_opens_the_lips_without_crossing(face, table1_rig, arkit_rig):
    lv = face.landmark_vertices
    for rig, name in ((table1_rig, "mouthOpen"), (arkit_rig, "jawOpen")):
        p1 = _eval(rig, name)
        assert np.linalg.norm(p1[lv[62]] - p1[lv[66]]) > 0.6
        assert _margin(p1, face.regions["upper_lip"], face.regions["lower_lip"]) >= -1e-9


def test_no_target_moves_the_forehead(face, arkit_rig):
    p0 = face.skin.points
    rigid = face.regions["rigid"]
    for n in arkit_rig.target_names():
        d = np.linalg.norm(_eval(arkit_rig, n) - p0, axis=1)
        assert d.max() > 0.05, n                       # every target does something
        if not n.startswith(("brow", "jaw", "cheekPuff")):
            assert d[rigid].max() < 0.05, n


@pytest.mark.parametrize("preset", PRESETS)
def test_every_observable_target_moves_the_landmarks(face, preset):
    """A target the solver drives must move the 68 landmarks by a fair share of its own
    motion: one whose landmarks see a tenth of it (the former mouthShrugLower, a soft-mod
    centred inside the chin: 0.09) turns a tracker's error of 0.1 % of the eye span into a
    weight of 0.2. Flag it unobservable or move the landmarks."""
    rig = R.build_rig(face.skin, face.landmark_vertices, preset)
    p0 = face.skin.points
    lm = face.landmark_vertices
    observable = rig.observable_mask()
    names = rig.target_names()
    shares = {}
    for k, n in enumerate(names):
        if not observable[k]:
            continue
        d = np.linalg.norm(_eval(rig, n) - p0, axis=1)
        shares[n] = float(d[lm].max() / d.max())
    weakest = min(shares, key=shares.get)
    print("weakest landmark share: %s %.2f" % (weakest, shares[weakest]))
    assert shares[weakest] >= 0.15, shares


def test_left_and_right_targets_are_mirror_images(face, arkit_rig):
    vmap = np.asarray(arkit_rig.symmetry.vertex_maps[face.skin.name])
    p0 = face.skin.points
    for left, right in arkit_rig.symmetry.target_pairs:
        dl = _eval(arkit_rig, left) - p0
        dr = _eval(arkit_rig, right) - p0
        ok = vmap >= 0
        mirrored = dl[vmap[ok]].copy()
        mirrored[:, 0] *= -1
        assert np.abs(mirrored - dr[ok]).max() < 0.05, (left, right)
    assert ["mouthSmile_L", "mouthSmile_R"] in arkit_rig.symmetry.target_pairs


def test_subject_left_is_plus_x(arkit_rig, face):
    d = _eval(arkit_rig, "mouthSmile_L") - face.skin.points
    lv = face.landmark_vertices
    assert np.linalg.norm(d[lv[54]]) > 0.3 and np.linalg.norm(d[lv[48]]) < 0.01
    assert face.skin.points[lv[54], 0] > 0


def test_presets_scale_with_the_mesh(face):
    small = preset_targets("table1", face.skin.points * 10.0, face.skin.triangles(), face.landmark_vertices)
    base = preset_targets("table1", face.skin.points, face.skin.triangles(), face.landmark_vertices)
    for a, b in zip(small, base):
        for ma, mb in zip(a.softmods, b.softmods):
            assert ma.radius == pytest.approx(mb.radius * 10)
            assert np.allclose(ma.translate, np.asarray(mb.translate) * 10)


def test_unknown_preset_and_key_points(face):
    with pytest.raises(ValueError, match="unknown preset"):
        preset_targets("fancy", face.skin.points, None, face.landmark_vertices)
    keys = preset_key_points("table1")
    assert ("mouthOpen", 8) in keys and all(0 <= lm < 68 for _, lm in keys)
    assert set(PRESETS) == {"table1", "arkit"}
    assert MIRROR[54] == 48
