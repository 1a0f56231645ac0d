"""tests/maya/smoke_real_maya.py (for the first run in a real Maya) runs here through the
stand-in's mayapy emulation, and its report can show a failure."""
from __future__ import annotations

import importlib.util
import os
import shlex
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SMOKE = os.path.join(HERE, "smoke_real_maya.py")
MAYAPY = os.path.join(REPO, "tests", "maya_standin", "mayapy.py")


def _smoke_module():
    spec = importlib.util.spec_from_file_location("smoke_real_maya", SMOKE)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_smoke_script_passes_in_a_fresh_standin_mayapy(tmp_path):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "MAYA_PLUG_IN_PATH", "MAYA_MODULE_PATH")}
    env["MAYA_APP_DIR"] = str(tmp_path / "maya_app")
    mayapy = [sys.executable, MAYAPY]
    out = tmp_path / "out"
    proc = subprocess.run(mayapy + [SMOKE, "--out", str(out), "--mayapy", shlex.join(mayapy)],
                          cwd=str(tmp_path), env=env, capture_output=True, text=True,
                          timeout=900)
    report = [ln for ln in proc.stdout.splitlines() if ln[:4] in ("PASS", "FAIL", "SKIP")]
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert [ln.split("  ")[1] for ln in report] == [s.name for s in _smoke_module().STEPS]
    assert all(ln.startswith("PASS  ") for ln in report), proc.stdout
    assert "SMOKE PASSED: 10 passed, 0 failed, 0 skipped" in proc.stdout
    assert {"smoke_scene.ma", "smokeHead_rig.json", "smokeHead.fbx"} <= set(os.listdir(out))
    assert sorted(os.listdir(out / "batch")) == ["smoke_scene_smokeHead.json",
                                                 "smoke_scene_smokeSphere.json"]


def test_a_failing_step_is_reported_and_its_dependents_skipped(capsys):
    smoke = _smoke_module()

    def broken(ctx):
        raise RuntimeError("plug-in did not load\nmore text")

    steps = (smoke.Step("first", (), lambda ctx: "fine"),
             smoke.Step("second", ("first",), broken),
             smoke.Step("third", ("second",), lambda ctx: "never runs"),
             smoke.Step("fourth", ("first",), lambda ctx: "runs"))
    assert smoke.run_steps(steps, {}) == (2, 1, 1)
    lines = capsys.readouterr().out.splitlines()
    assert lines == ["PASS  first  fine",
                     "FAIL  second  RuntimeError: plug-in did not load",
                     "SKIP  third  (needs: second)",
                     "PASS  fourth  runs",
                     "SMOKE FAILED: 2 passed, 1 failed, 1 skipped"]
