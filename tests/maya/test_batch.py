"""Headless batch export (microexpr_maya.batch) on stand-in scenes saved by the stand-in."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCH = os.path.join(REPO, "maya_plugin", "scripts", "microexpr_maya", "batch.py")


def _save_rig_scene(cmds, path: str, name: str, generate: bool = True) -> None:
    from microexpr.rig.face import default_face
    from microexpr_maya import bind_key_points, generate_blendshapes, scene_io

    cmds.file(newFile=True, force=True)
    f = default_face(0.5)
    mesh = scene_io.create_mesh(f.skin, name)
    bind_key_points(mesh, vertices=[int(v) for v in f.landmark_vertices], progress=False)
    if generate:
        generate_blendshapes(mesh, progress=False)
    cmds.file(rename=path)
    cmds.file(save=True)


@pytest.fixture
def scenes(plugin, standin, tmp_path):
    """good1.ma (rig 'head'), broken.ma (not a scene), good2.ma (rig 'face'), in that order."""
    cmds = plugin
    good1, broken, good2 = (str(tmp_path / n) for n in ("good1.ma", "broken.ma", "good2.ma"))
    _save_rig_scene(cmds, good1, "head")
    _save_rig_scene(cmds, good2, "face")
    with open(broken, "wb") as f:
        f.write(b"//Maya ASCII 2024 scene\nthis is not a scene the stand-in can read\n")
    cmds.file(newFile=True, force=True)
    return [good1, broken, good2]


def test_two_good_one_broken(scenes, tmp_path, capsys):
    from microexpr_maya import batch

    out = tmp_path / "out"
    code = batch.main(scenes + ["--out", str(out)])
    text = capsys.readouterr().out
    assert code == 1
    assert sorted(os.listdir(out)) == ["good1_head.json", "good2_face.json"]
    for name in os.listdir(out):
        with open(out / name, encoding="utf-8") as f:
            assert json.load(f)
    lines = text.splitlines()
    assert lines[0].split()[:3] == ["SCENE", "RIG", "STATUS"]
    failed = [ln for ln in lines if "FAILED" in ln]
    assert len(failed) == 1 and failed[0].startswith("broken.ma") and "cannot open" in failed[0]
    assert lines[-1] == "2 exported, 1 failed"


def test_all_good_is_exit_0_and_fbx(plugin, standin, tmp_path, capsys):
    from microexpr_maya import batch

    scene = str(tmp_path / "only.ma")
    _save_rig_scene(plugin, scene, "head")
    out = tmp_path / "out"
    assert batch.main([scene, "--out", str(out), "--fbx"]) == 0
    assert "1 exported, 0 failed" in capsys.readouterr().out
    import maya_standin  # the scene object changes when a file is opened

    log = maya_standin.current().mel_log
    assert any("FBXExport" in m and "only_head.fbx" in m for m in log)


def test_scene_without_rig_and_failing_rig(plugin, standin, tmp_path, capsys):
    from microexpr_maya import batch

    empty = str(tmp_path / "empty.ma")
    plugin.file(newFile=True, force=True)
    plugin.file(rename=empty)
    plugin.file(save=True)
    bound_only = str(tmp_path / "bound.ma")
    _save_rig_scene(plugin, bound_only, "head", generate=False)  # landmarks, no blendShape
    code = batch.main([empty, bound_only, "--out", str(tmp_path / "out")])
    text = capsys.readouterr().out
    assert code == 1
    assert "no MicroExpr rig" in text
    assert [ln for ln in text.splitlines() if ln.startswith("bound.ma")][0].split()[1:3] == \
        ["head", "FAILED"]
    assert os.listdir(tmp_path / "out") == []


def test_usage_errors(tmp_path, capsys):
    from microexpr_maya import batch

    assert batch.main([]) == 2
    assert batch.main(["a.ma"]) == 2  # --out missing
    not_dir = tmp_path / "file.txt"
    not_dir.write_text("x")
    assert batch.main(["a.ma", "--out", str(not_dir)]) == 2
    assert batch.main(["--help"]) == 0
    capsys.readouterr()


def test_find_rigs_skips_unmarked_blendshapes(plugin, standin):
    import numpy as np

    from microexpr.mesh import Mesh
    from microexpr_maya import batch, scene_io

    pts = np.array([[x, y, 0.0] for y in range(2) for x in range(2)], dtype=float)
    base = scene_io.create_mesh(Mesh("plain", pts, [4], [0, 1, 3, 2]), "plain")
    target = scene_io.create_mesh(Mesh("plainTgt", pts + 0.1, [4], [0, 1, 3, 2]), "plainTgt")
    plugin.blendShape(target, base)
    assert batch.find_rigs() == []


def test_runs_by_path_in_subprocess(scenes, tmp_path):
    out = tmp_path / "sub_out"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MAYA_PLUG_IN_PATH")}
    env["MICROEXPR_MAYA_STANDIN"] = "1"  # test-only switch: use the stand-in, not Maya
    proc = subprocess.run([sys.executable, BATCH] + scenes + ["--out", str(out)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 1, proc.stderr
    assert sorted(os.listdir(out)) == ["good1_head.json", "good2_face.json"]
    assert "broken.ma" in proc.stdout and "2 exported, 1 failed" in proc.stdout


def test_subprocess_usage_error_exit_2(tmp_path):
    env = dict(os.environ, MICROEXPR_MAYA_STANDIN="1")
    proc = subprocess.run([sys.executable, BATCH, "scene.ma"], cwd=str(tmp_path), env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 2
    assert "--out" in proc.stderr
