"""Hostile inputs beyond the bridge files: CSV tracks (a quoted line break, times that do not
increase), OBJ files (no faces, absurd or non-finite positions, one target given twice, a
landmark file made for another mesh), and a clip checked against its rig where it is used
(review, verify-unity's comparison): each refused with the file, the field and the fix."""
from __future__ import annotations

import numpy as np
import pytest

from microexpr import bridge
from microexpr.errors import MicroExprError

HEADER = "frame,time," + ",".join("x%d,y%d" % (i, i) for i in range(68))


def _row(frame: int, time, value: str = "1") -> str:
    return "%d,%s,%s" % (frame, time, ",".join([value] * 136))


def _tracks(tmp_path, rows, name="t.csv"):
    from microexpr.solve.tracks import load_tracks

    p = tmp_path / name
    p.write_text(HEADER + "\n" + "\n".join(rows) + "\n", newline="")
    return load_tracks(str(p))


def test_good_csv_times_are_read(tmp_path):
    t = _tracks(tmp_path, [_row(0, 0.0), _row(1, 0.04), _row(2, 0.08)])
    assert t.frames == 3 and t.fps() == pytest.approx(25.0)


@pytest.mark.parametrize("rows, field, words", [
    ([_row(0, 0.0), _row(1, '"1\n2"')], "row 3", "line break"),
    ([_row(0, 0.0), '1,0.1,"1\r\n2"' + ",1" * 135], "row 3", "line break"),
    ([_row(0, 0.5), _row(1, 0.4), _row(2, 0.6)], "row 3", "is not after the previous row's"),
    ([_row(0, 0.0), _row(1, 0.04), _row(2, 0.04)], "row 4", "times must increase"),
    ([_row(0, 0.0), _row(1, ""), _row(2, 0.08)], "row 3", "has no time"),
    ([_row(0, 0.0), _row(1, "nan")], "row 3", "has no time"),
])
def test_bad_csv_rows_are_named(tmp_path, rows, field, words):
    with pytest.raises(MicroExprError) as err:
        _tracks(tmp_path, rows)
    assert err.value.field == field and words in str(err.value) and err.value.fix
    assert "t.csv" in str(err.value)


def test_a_quoted_number_split_over_two_lines_is_never_read_as_one(tmp_path):
    """The red-team case: "1\\n2" in a coordinate cell once read as 12.0."""
    rows = [_row(0, 0.0), "1,0.04," + '"1\n2"' + ",1" * 135]
    with pytest.raises(MicroExprError, match="line break"):
        _tracks(tmp_path, rows)


# -- OBJ --------------------------------------------------------------------------------------
TRI = "v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n"


@pytest.mark.parametrize("text, field, words", [
    ("v 0 0 0\nv 1 0 0\nv 0 1 0\n", "f", "no faces"),
    ("v 0 0 0\nv 1e300 0 0\nv 0 1 0\nf 1 2 3\n", "v", "absurd"),
    ("v 0 0 0\nv -2e12 0 0\nv 0 1 0\nf 1 2 3\n", "v", "absurd"),
    ("v 0 0 0\nv inf 0 0\nv 0 1 0\nf 1 2 3\n", None, "NaN or infinite"),
])
def test_objs_that_are_no_face_mesh_are_refused(tmp_path, text, field, words):
    from microexpr.formats.obj import read_obj

    p = tmp_path / "bad.obj"
    p.write_text(text)
    with pytest.raises(MicroExprError) as err:
        read_obj(str(p))
    assert words in str(err.value) and str(p) in str(err.value) and err.value.fix
    assert field is None or err.value.field == field
    p.write_text(TRI.replace("v 1 0 0", "v 999999999999 0 0"))       # 1e12 - 1: large but read
    assert read_obj(str(p)).vertex_count == 3


def test_one_target_given_twice_is_refused(tmp_path, face):
    from microexpr.formats.obj import write_obj
    from microexpr.rig.convert import import_rig

    write_obj(str(tmp_path / "neutral.obj"), face.skin)
    pts = face.skin.points.copy()
    pts[face.landmark_vertices[48], 1] += 0.2
    write_obj(str(tmp_path / "smile.obj"), face.skin, pts)
    lm = face.landmark_vertices
    with pytest.raises(MicroExprError, match="duplicate blend-shape names: smile"):
        import_rig(lm, neutral=str(tmp_path / "neutral.obj"),
                   targets=[str(tmp_path / "smile.obj"), str(tmp_path / "smile.obj")])
    rig = import_rig(lm, neutral=str(tmp_path / "neutral.obj"), targets=[str(tmp_path / "smile.obj")])
    assert rig.target_names() == ["smile"]


def test_a_landmark_file_made_for_another_mesh_is_refused(tmp_path, face):
    from microexpr.formats.obj import write_obj
    from microexpr.rig.build import rig_from_targets
    from microexpr.rig.convert import import_rig

    write_obj(str(tmp_path / "neutral.obj"), face.skin)
    write_obj(str(tmp_path / "t.obj"), face.skin, face.skin.points + 0.01)
    lm_file = tmp_path / "lm.txt"
    lm = face.landmark_vertices.copy()
    lm[5] = face.skin.vertex_count + 10
    lm_file.write_text("\n".join(str(v) for v in lm))
    with pytest.raises(MicroExprError, match="another mesh") as err:
        import_rig(str(lm_file), neutral=str(tmp_path / "neutral.obj"), targets=[str(tmp_path / "t.obj")])
    assert err.value.field == "landmark_vertices"
    with pytest.raises(MicroExprError, match="beyond the mesh"):                    # indices from code
        rig_from_targets(face.skin, {"t": face.skin.points * 0.0 + 0.01}, lm)


# -- a clip on its rig ------------------------------------------------------------------------
def test_review_refuses_a_clip_for_another_rig_or_without_frames(arkit_rig):
    from microexpr.review import review

    names = arkit_rig.target_names()
    fp = arkit_rig.mesh().fingerprint
    good = bridge.Clip(fps=30, targets=names[:2], weights=np.zeros((5, 2)), valid=[True] * 5,
                       rig_fingerprint=fp)
    assert review(arkit_rig, good).clip is good
    cases = [(good.model_copy(update={"rig_fingerprint": "0" * 40}), "rig_fingerprint", "another mesh"),
             (bridge.Clip(fps=30, targets=["brow", names[0]], weights=np.zeros((5, 2)), valid=[True] * 5),
              "targets", "the rig lacks: brow"),
             (bridge.Clip(fps=30, targets=names[:2], weights=np.zeros((0, 2)), valid=[]), "weights", "no frames")]
    for clip, field, words in cases:
        with pytest.raises(MicroExprError) as err:
            review(arkit_rig, clip)
        assert err.value.field == field and words in str(err.value) and err.value.fix
        with pytest.raises(MicroExprError) as err:
            review(arkit_rig, good, base=clip)
        assert err.value.field == field and "base clip" in str(err.value)


def test_verify_unity_comparison_refuses_an_empty_clip_and_another_rigs_clip(arkit_rig):
    from microexpr.unity import clip_parity

    names = arkit_rig.target_names()
    empty = bridge.Clip(fps=30, targets=names[:2], weights=np.zeros((0, 2)), valid=[])
    with pytest.raises(MicroExprError, match="no frames") as err:
        clip_parity.compare_clip(empty, clip_file="empty.json")
    assert err.value.field == "weights" and err.value.file == "empty.json"
    other = bridge.Clip(fps=30, targets=names[:2], weights=np.zeros((3, 2)), valid=[True] * 3,
                        rig_fingerprint="f" * 40)
    with pytest.raises(MicroExprError, match="another mesh"):
        clip_parity.compare_clip(other, rig=arkit_rig)
