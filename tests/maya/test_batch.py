"""Headless batch export (microexpr_maya.batch) on stand-in scenes saved by the stand-in."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
BATCH = os.path.join(REPO, "maya_plugin", "scripts", "microexpr_maya", "batch.py")
MAYAPY = os.path.join(REPO, "tests", "maya_standin", "mayapy.py")


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


def _mayapy(args, cwd, tmp_path, **env_extra):
    """Run ``mayapy ARGS`` in the stand-in's mayapy emulation (a fresh process, no
    PYTHONPATH; Maya's module files are read only by maya.standalone.initialize)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MAYA_PLUG_IN_PATH", "MAYA_MODULE_PATH")}
    env["MAYA_APP_DIR"] = str(tmp_path / "maya_app")
    env.update(env_extra)
    return subprocess.run([sys.executable, MAYAPY] + list(args), cwd=str(cwd), env=env,
                          capture_output=True, text=True, timeout=300)


def _install_module(tmp_path):
    import importlib.util

    spec = importlib.util.spec_from_file_location("install_maya_module",
                                                  os.path.join(REPO, "install_maya_module.py"))
    inst = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(inst)
    dest = tmp_path / "maya_app" / "modules"
    assert inst.main(["--dest", str(dest)], environ={}) == 0
    return dest


def _documented_batch_lines():
    """Every ``mayapy ... batch ...`` line of README.md and docs/maya.md."""
    out = []
    for doc in ("README.md", os.path.join("docs", "maya.md")):
        with open(os.path.join(REPO, doc), encoding="utf-8") as f:
            out += [(doc, ln.strip()) for ln in f
                    if ln.startswith("mayapy ") and "batch" in ln]
    return out


def test_docs_show_the_batch_form_that_works():
    lines = _documented_batch_lines()
    assert {doc for doc, _ in lines} == {"README.md", os.path.join("docs", "maya.md")}
    for doc, line in lines:
        assert " -m " not in line, (doc, line)  # -m cannot find the package: see below
        assert shlex.split(line)[1].endswith("maya_plugin/scripts/microexpr_maya/batch.py")


@pytest.mark.parametrize("doc,line", _documented_batch_lines())
def test_documented_batch_command_runs_in_a_fresh_mayapy(plugin, standin, tmp_path, doc,
                                                         line):
    """The exact command line of the docs, in a fresh mayapy without the module installed."""
    words = shlex.split(line)
    prefix = "/path/to/microexpr/"
    argv = [REPO + "/" + w[len(prefix):] if w.startswith(prefix) else w for w in words[1:]]
    work = tmp_path / "work"
    scenes = [w for w in argv[1:argv.index("--out")]]
    if any("*" in w for w in scenes):  # a shell glob: two scenes that match it
        folder, pattern = os.path.split(scenes[0])
        scenes = [os.path.join(folder, pattern.replace("*", n)) for n in ("shotA", "shotB")]
    for i, scene in enumerate(scenes):
        os.makedirs(work / os.path.dirname(scene), exist_ok=True)
        _save_rig_scene(plugin, str(work / scene), "head" if i % 2 == 0 else "face")
    argv = argv[:1] + sorted(scenes) + argv[argv.index("--out"):]
    proc = _mayapy(argv, work, tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = work / argv[argv.index("--out") + 1]
    exts = (".json", ".fbx") if "--fbx" in argv else (".json",)
    expected = sorted("%s_%s%s" % (os.path.splitext(os.path.basename(s))[0],
                                   "head" if i % 2 == 0 else "face", ext)
                      for i, s in enumerate(scenes) for ext in exts)
    assert sorted(os.listdir(out)) == expected
    assert "%d exported, 0 failed" % len(scenes) in proc.stdout


def test_dash_m_cannot_find_the_package_in_a_fresh_mayapy(standin, tmp_path, scenes):
    """Even with the module installed, -m looks for the package before Maya reads modules."""
    _install_module(tmp_path)
    proc = _mayapy(["-m", "microexpr_maya.batch"] + scenes + ["--out", "out"], tmp_path,
                   tmp_path)
    assert proc.returncode == 1
    assert "No module named 'microexpr_maya'" in proc.stderr
    assert not (tmp_path / "out").exists()


def test_module_paths_arrive_with_standalone_initialize(standin, tmp_path):
    """The emulation reads the installer's microexpr.mod in initialize(), not before."""
    _install_module(tmp_path)
    code = ("import importlib.util, os, maya.standalone\n"
            "print(importlib.util.find_spec('microexpr_maya') is not None)\n"
            "maya.standalone.initialize(name='python')\n"
            "import microexpr_maya\n"
            "print(os.path.dirname(os.path.dirname(microexpr_maya.__file__)))\n"
            "print(os.environ['MAYA_PLUG_IN_PATH'])\n")
    proc = _mayapy(["-c", code], tmp_path, tmp_path)
    assert proc.returncode == 0, proc.stderr
    before, scripts, plug_ins = proc.stdout.split("\n")[:3]
    assert before == "False"
    assert os.path.samefile(scripts, os.path.join(REPO, "maya_plugin", "scripts"))
    assert os.path.join(REPO, "maya_plugin", "plug-ins") in plug_ins.split(os.pathsep)


def test_commands_need_standalone_initialize_in_a_fresh_mayapy(standin, tmp_path):
    proc = _mayapy(["-c", "from maya import cmds\ncmds.ls()"], tmp_path, tmp_path)
    assert proc.returncode == 1 and "initialize" in proc.stderr


def test_by_path_with_a_broken_scene_reports_and_exits_1(scenes, tmp_path):
    proc = _mayapy([BATCH] + scenes + ["--out", str(tmp_path / "sub_out")], tmp_path, tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert sorted(os.listdir(tmp_path / "sub_out")) == ["good1_head.json", "good2_face.json"]
    assert "broken.ma" in proc.stdout and "2 exported, 1 failed" in proc.stdout


def test_subprocess_usage_error_exit_2(tmp_path):
    proc = _mayapy([BATCH, "scene.ma"], tmp_path, tmp_path)
    assert proc.returncode == 2
    assert "--out" in proc.stderr
