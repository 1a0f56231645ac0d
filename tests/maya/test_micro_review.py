"""micro_expression and review inside Maya: the core's synthesiser and reviewer on files."""
from __future__ import annotations

import json

import numpy as np
import pytest

from microexpr.bridge import load_clip, save_clip, save_rig
from microexpr.errors import MicroExprError
from microexpr.micro.synthesizer import micro_expression as core_micro_expression
from microexpr.review.checks import Limits
from microexpr.review.report import review as core_review
from microexpr.rig.build import build_rig


@pytest.fixture(scope="module")
def rig(small_face):
    return build_rig(small_face.skin, small_face.landmark_vertices, "table1")


def test_micro_expression_writes_the_core_clip(maya_scene, rig, tmp_path, capsys):
    import microexpr_maya as mm

    rig_path, out = tmp_path / "rig.json", tmp_path / "contempt.json"
    save_rig(rig, str(rig_path))
    clip = mm.micro_expression(rig=str(rig_path), out=str(out), emotion="contempt",
                               peak_mm=1.0, seed=7, fps=60)
    want = core_micro_expression(rig, emotion="contempt", peak_mm=1.0, seed=7, fps=60)
    np.testing.assert_array_equal(load_clip(str(out)).weights, want.weights)
    assert clip.targets == want.targets and len(clip.events) == len(want.events) > 0
    said = capsys.readouterr().out
    assert said.startswith("wrote %s: contempt (" % out) and "peak 1.000 mm" in said
    with pytest.raises(MicroExprError, match="give either an emotion or an AU list"):
        mm.micro_expression(rig=str(rig_path), out=str(out))
    with pytest.raises(TypeError, match="peak"):
        mm.micro_expression(rig=str(rig_path), out=str(out), emotion="fear", peak=1.0)


def test_a_base_clip_from_another_mesh_is_named(maya_scene, rig, tmp_path):
    import microexpr_maya as mm

    rig_path, base = tmp_path / "rig.json", tmp_path / "base.json"
    save_rig(rig, str(rig_path))
    other = core_micro_expression(rig, emotion="fear", seed=1)
    other.rig_fingerprint = "0" * len(other.rig_fingerprint or "")
    save_clip(other, str(base))
    with pytest.raises(MicroExprError) as err:
        mm.micro_expression(rig=str(rig_path), out=str(tmp_path / "x.json"), base=str(base),
                            emotion="contempt")
    assert err.value.file == str(base) and "another mesh" in str(err.value)
    assert not (tmp_path / "x.json").exists()


def test_review_reports_like_the_core_and_raises_on_a_failed_check(maya_scene, rig, tmp_path,
                                                                   capsys):
    import microexpr_maya as mm

    rig_path, clip_path = tmp_path / "rig.json", tmp_path / "clip.json"
    save_rig(rig, str(rig_path))
    clip = core_micro_expression(rig, emotion="surprise", peak_mm=1.0, seed=3, fps=60)
    save_clip(clip, str(clip_path))
    report = tmp_path / "review.json"
    result = mm.review(rig=str(rig_path), clip=str(clip_path), report=str(report),
                       no_fail=True)
    want = core_review(rig, load_clip(str(clip_path)))
    assert result.to_dict() == want.to_dict()
    assert json.loads(report.read_text())["passed"] == want.passed
    assert capsys.readouterr().out.startswith("review: ")
    tight = Limits(ceiling_mm=0.05, floor_mm=0.01)          # 1 mm is far from subtle here
    with pytest.raises(MicroExprError, match="fails the review") as err:
        mm.review(rig=str(rig_path), clip=str(clip_path), limits=tight, report=str(report))
    assert err.value.file == str(clip_path)
    assert json.loads(report.read_text())["passed"] is False  # written before the raise
    assert not mm.review(rig=str(rig_path), clip=str(clip_path), limits=tight,
                         no_fail=True).passed


def test_review_sheet(maya_scene, rig, tmp_path, monkeypatch):
    import microexpr.review.sheet as sheet
    import microexpr_maya as mm

    rig_path, clip_path = tmp_path / "rig.json", tmp_path / "clip.json"
    save_rig(rig, str(rig_path))
    save_clip(core_micro_expression(rig, emotion="surprise", seed=3), str(clip_path))
    titles = []
    monkeypatch.setattr(sheet, "render_sheet",
                        lambda review, rig, title=None: titles.append(title) or b"PNG")
    mm.review(rig=str(rig_path), clip=str(clip_path), sheet=str(tmp_path / "s.png"),
              no_fail=True)
    assert (tmp_path / "s.png").read_bytes() == b"PNG" and titles == [str(clip_path)]

    def no_matplotlib(*args, **kwargs):
        raise ImportError("No module named 'matplotlib'")

    monkeypatch.setattr(sheet, "render_sheet", no_matplotlib)
    with pytest.raises(MicroExprError, match="mayapy -m pip install matplotlib") as err:
        mm.review(rig=str(rig_path), clip=str(clip_path), sheet=str(tmp_path / "t.png"),
                  no_fail=True)
    assert err.value.field == "sheet"
