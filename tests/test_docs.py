"""Every code block in README.md and docs/*.md runs here (as cmdx does for its README).

A block's info string says how:

- ``python``: executed in a fresh namespace, in a temporary folder.
- ``python maya``: executed with the Maya stand-in installed (tests/maya_standin).
- ``console``: each ``$ `` line is run by the shell in a temporary folder (``microexpr`` is
  this checkout's command line) and must exit 0.
- ``csharp``: compiled with Mono's mcs against the Unity runtime sources (skipped with a reason
  only where mcs is absent outside CI).
- ``json``: parsed; a bridge file is validated against the checked-in schema.
- ``console-setup``: set-up commands (apt, virtual environment, Unity/Maya GUI steps): not run,
  because they install system packages; CI runs the same script as .ci/run.
- ``text``: sample output, not code.

Any other info string fails the test, so no block is silently skipped.
"""
from __future__ import annotations

import glob
import json
import os
import re
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FENCE = re.compile(r"^```([^\n`]*)\n(.*?)^```", re.S | re.M)
NOT_RUN = {"console-setup": "installs system packages; CI runs it as .ci/run",
           "text": "sample output"}
RUN = {"python", "python maya", "console", "csharp", "json"}


def _blocks():
    files = [os.path.join(ROOT, "README.md")] + sorted(glob.glob(os.path.join(ROOT, "docs", "*.md")))
    files += [os.path.join(ROOT, "unity_bridge", "README.md")]
    out = []
    for path in files:
        if not os.path.exists(path):
            continue
        text = open(path, encoding="utf-8").read()
        for n, m in enumerate(FENCE.finditer(text)):
            line = text[: m.start()].count("\n") + 1
            out.append(pytest.param(m.group(1).strip(), m.group(2), path,
                                    id="%s:%d" % (os.path.relpath(path, ROOT), line)))
    return out


BLOCKS = _blocks()


def test_there_are_documented_examples():
    kinds = {b.values[0] for b in BLOCKS}
    assert len(BLOCKS) >= 10 and {"python", "console"} <= kinds


def _env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(ROOT, "shared"),
                                         os.path.join(ROOT, "maya_plugin", "scripts"),
                                         env.get("PYTHONPATH", "")])
    bindir = os.path.dirname(sys.executable)
    env["PATH"] = bindir + os.pathsep + env.get("PATH", "")
    env["MPLBACKEND"] = "Agg"
    return env


@pytest.mark.parametrize("kind,code,path", BLOCKS)
def test_block(kind, code, path, tmp_path, monkeypatch):
    assert kind in RUN or kind in NOT_RUN, "unknown code block kind %r in %s" % (kind, path)
    if kind in NOT_RUN:
        if kind == "console-setup":
            assert all(line.startswith(("bash .ci/", "#", "python install_maya_module.py", "mayapy"))
                       or not line.strip() for line in code.splitlines()), code
        return
    monkeypatch.chdir(tmp_path)
    if kind == "python":
        subprocess.run([sys.executable, "-c", code], check=True, env=_env(), cwd=tmp_path, timeout=300)
    elif kind == "python maya":
        sys.path.insert(0, os.path.join(ROOT, "tests"))
        import maya_standin

        maya_standin.install()
        try:
            exec(compile(code, path, "exec"), {"__name__": "__doc__"})
        finally:
            maya_standin.reset()
    elif kind == "console":
        for line in code.splitlines():
            if line.startswith("$ "):
                r = subprocess.run(line[2:], shell=True, env=_env(), cwd=tmp_path, timeout=600,
                                   capture_output=True, text=True)
                assert r.returncode == 0, "%s\n%s\n%s" % (line, r.stdout[-2000:], r.stderr[-2000:])
    elif kind == "json":
        data = json.loads(code)
        fmt = data.get("format") if isinstance(data, dict) else None
        if fmt in ("microexpr.rig", "microexpr.clip"):
            jsonschema = pytest.importorskip("jsonschema")
            name = fmt.split(".")[1]
            with open(os.path.join(ROOT, "shared", "schema", "microexpr-%s.schema.json" % name)) as f:
                jsonschema.validate(data, json.load(f))
    elif kind == "csharp":
        mcs = shutil.which("mcs")
        if not mcs:
            if os.environ.get("CI"):
                pytest.fail("mcs is missing in CI")
            pytest.skip("Mono's mcs is not installed here")
        src = tmp_path / "Example.cs"
        src.write_text(code)
        runtime = glob.glob(os.path.join(ROOT, "unity_bridge", "Runtime", "**", "*.cs"), recursive=True)
        standin = glob.glob(os.path.join(ROOT, "unity_bridge", "Tests", "CompileStandIn~", "**", "*.cs"),
                            recursive=True)
        r = subprocess.run([mcs, "-langversion:7.2", "-target:library", "-define:UNITY_5_3_OR_NEWER",
                            "-out:" + str(tmp_path / "ex.dll"), str(src)] + runtime + standin,
                           capture_output=True, text=True, timeout=300)
        assert r.returncode == 0, r.stdout + r.stderr
