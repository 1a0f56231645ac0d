"""The ``mayapy`` job kind: Maya scenes exported by the Maya module's batch entry point in a
subprocess, here the stand-in's mayapy emulation (tests/maya_standin/mayapy.py, not Maya)."""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from batch_inputs import check_exactly_once

from microexpr.batch.manifest import kind_of
from microexpr.batch.mayapy import maya_batch_script
from microexpr.cli.main import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MAYAPY = os.path.join(ROOT, "tests", "maya_standin", "mayapy.py")

#: run in the emulated mayapy: a scene with a MicroExpr rig on the default face
MAKE_SCENE = r"""
import os, sys
root = sys.argv[1]
sys.path[:0] = [os.path.join(root, "shared"), os.path.join(root, "maya_plugin", "scripts")]
import maya.standalone
maya.standalone.initialize(name="python")
from maya import cmds
cmds.loadPlugin(os.path.join(root, "maya_plugin", "plug-ins", "microexpr_plugin.py"), quiet=True)
from microexpr.rig.face import default_face
from microexpr_maya import bind_key_points, generate_blendshapes, scene_io
face = default_face(0.5)
mesh = scene_io.create_mesh(face.skin, "head")
bind_key_points(mesh, vertices=[int(v) for v in face.landmark_vertices], progress=False)
generate_blendshapes(mesh, progress=False)
cmds.file(rename=sys.argv[2])
cmds.file(save=True)
"""


def mayapy(tmp_path):
    """The emulation as a mayapy command line: a clean PYTHONPATH and its own MAYA_APP_DIR."""
    return ["env", "-u", "PYTHONPATH", "MAYA_APP_DIR=%s" % (tmp_path / "maya_app"),
            sys.executable, MAYAPY]


def test_maya_scenes_run_as_jobs_and_a_broken_one_is_reported(tmp_path, capsys):
    scenes = tmp_path / "scenes"
    scenes.mkdir()
    proc = subprocess.run(mayapy(tmp_path) + ["-c", MAKE_SCENE, ROOT, str(scenes / "shotA.ma")],
                          capture_output=True, text=True, timeout=300, cwd=str(tmp_path))
    assert proc.returncode == 0, proc.stderr[-3000:]
    (scenes / "broken.ma").write_text("//Maya ASCII 2024 scene\nnot a scene the stand-in reads\n")
    out = tmp_path / "out"
    args = ["batch", str(scenes / "*.ma"), "--out", str(out), "--outputs", "json,fbx",
            "--mayapy", shlex.join(mayapy(tmp_path)), "--jobs", "2", "--quiet"]
    assert main(args) == 1
    text = capsys.readouterr().out
    assert "FAILED broken: " in text and "cannot open" in text
    check_exactly_once(str(out), ["shotA"], ["broken"])
    rec = json.loads((out / "shotA" / "done.json").read_text())
    assert rec["kind"] == "mayapy" and rec["rig"] is None
    assert {k: v["file"] for k, v in rec["outputs"].items()} == {
        "json:shotA_head": "shotA_head.json", "fbx:shotA_head": "shotA_head.fbx"}
    assert json.loads((out / "shotA" / "shotA_head.json").read_text())["targets"]


def test_the_default_script_is_the_maya_modules_batch_entry_point(monkeypatch):
    monkeypatch.delenv("MICROEXPR_MAYA_BATCH", raising=False)
    path = maya_batch_script()
    assert path == os.path.join(ROOT, "maya_plugin", "scripts", "microexpr_maya", "batch.py")
    assert kind_of("shot.ma") == kind_of("SHOT.MB") == "mayapy"
    assert kind_of("shot.mov") == "capture" and kind_of("shot.csv") == "solve"
