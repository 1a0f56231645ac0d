"""One version, written once (shared/microexpr/_version.py), and everything that shows it agrees:
setup.cfg, both Maya plug-ins, the Unity package.json and both changelogs."""
from __future__ import annotations

import configparser
import json
import os
import re
import subprocess
import sys

import pytest

import microexpr

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION_FILE = os.path.join("shared", "microexpr", "_version.py")
#: Files allowed to hold the version as text: the source and the Unity manifest (Unity reads
#: it there; this test keeps it equal).
ALLOWED = {VERSION_FILE, os.path.join("unity_bridge", "package.json")}
#: Where a version written as text would be a second source of truth.
SOURCE_EXTS = (".py", ".cfg", ".toml", ".ini", ".json", ".cs", ".asmdef", ".sh", ".mod")
#: Not searched: recorded outputs (the golden files say which version wrote them), build and
#: tool caches, the virtual environment.
SKIP_DIRS = {os.path.join("shared", "golden"), "build", "dist", "node_modules"}
HEADING = re.compile(r"^## +\[?([^\]\s]+)\]?", re.M)


def _read(*parts):
    with open(os.path.join(ROOT, *parts), encoding="utf-8") as f:
        return f.read()


def newest_release(changelog: str, path: str) -> str:
    """The newest released version of a changelog: its first ``## [X.Y.Z]`` heading. An
    ``## [Unreleased]`` section (changes not yet in a release) may only come first."""
    headings = HEADING.findall(changelog)
    assert headings, "%s has no '## [X.Y.Z]' heading" % path
    if headings[0].lower() == "unreleased":
        headings = headings[1:]
    assert headings, "%s has no released version below 'Unreleased'" % path
    assert "unreleased" not in (h.lower() for h in headings), (
        "%s: 'Unreleased' must be the first section" % path)
    for h in headings:
        assert re.fullmatch(r"\d+\.\d+\.\d+", h), "%s: heading %r is not X.Y.Z or Unreleased" % (path, h)
    return headings[0]


def test_the_version_is_semantic():
    assert re.fullmatch(r"\d+\.\d+\.\d+", microexpr.__version__)


def test_setup_cfg_reads_the_version_file():
    cfg = configparser.ConfigParser()
    cfg.read(os.path.join(ROOT, "setup.cfg"), encoding="utf-8")
    version = cfg["metadata"]["version"].strip()
    if version.startswith("attr:"):
        module, _, name = version[len("attr:"):].strip().rpartition(".")
        assert (module, name) == ("microexpr._version", "__version__"), version
    else:
        assert version == microexpr.__version__, "setup.cfg says %s" % version


def test_maya_plugins_report_the_version():
    """Both plug-ins loaded (with the Maya stand-in, in a fresh interpreter): their VERSION."""
    code = ("import runpy, sys, json\n"
            "sys.path[:0] = sys.argv[1:4]\n"
            "import maya_standin\n"
            "maya_standin.install()\n"
            "print(json.dumps([runpy.run_path(p, run_name='plugin')['VERSION'] for p in sys.argv[4:]]))\n")
    plugins = [os.path.join(ROOT, "maya_plugin", "plug-ins", n)
               for n in ("microexpr_plugin.py", "microexpr_deformer.py")]
    paths = [os.path.join(ROOT, p) for p in ("tests", "shared", os.path.join("maya_plugin", "scripts"))]
    r = subprocess.run([sys.executable, "-c", code] + paths + plugins, capture_output=True, text=True,
                       cwd=ROOT, timeout=120)
    assert r.returncode == 0, r.stderr[-3000:]
    assert json.loads(r.stdout.strip().splitlines()[-1]) == [microexpr.__version__] * 2


def test_unity_package_json():
    manifest = json.loads(_read("unity_bridge", "package.json"))
    assert manifest["version"] == microexpr.__version__


@pytest.mark.parametrize("path", ["CHANGELOG.md", os.path.join("unity_bridge", "CHANGELOG.md")])
def test_changelogs_end_at_this_version(path):
    assert newest_release(_read(path), path) == microexpr.__version__, (
        "%s: the newest release is not %s; a release moves 'Unreleased' under a new heading"
        % (path, microexpr.__version__))


def test_newest_release_reads_keep_a_changelog():
    # (versions far from any real one, so this file never matches the search below)
    text = "# Changelog\n\n## [Unreleased]\n\n- new\n\n## [71.2.0] - 2026-01-01\n\n## 71.1.0\n"
    assert newest_release(text, "x") == "71.2.0"
    assert newest_release("## 70.3.1\n", "x") == "70.3.1"
    with pytest.raises(AssertionError):
        newest_release("## [Unreleased]\n", "x")
    with pytest.raises(AssertionError):
        newest_release("## [71.0.0]\n## [Unreleased]\n", "x")
    with pytest.raises(AssertionError):
        newest_release("## [71.0]\n", "x")


def _source_files():
    for dirpath, dirnames, filenames in os.walk(ROOT):
        rel_dir = os.path.relpath(dirpath, ROOT)
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__"))
                             and not d.endswith(".egg-info")
                             and os.path.normpath(os.path.join(rel_dir, d)) not in SKIP_DIRS)
        for f in sorted(filenames):
            if f.endswith(SOURCE_EXTS):
                yield os.path.normpath(os.path.join(rel_dir, f))


def test_no_other_file_writes_the_version():
    assignment = re.compile(r"^\s*__version__\s*=", re.M)
    literal = re.compile(r"""["']%s["']""" % re.escape(microexpr.__version__))
    found = []
    for rel in _source_files():
        if rel in ALLOWED:
            continue
        text = _read(rel)
        if assignment.search(text) or literal.search(text):
            found.append(rel)
    assert not found, ("these files write the version themselves; import it from "
                       "microexpr._version instead: %s" % found)
