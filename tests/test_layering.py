"""The core's stage folders depend only downward, and the core never imports a host.

Every module under shared/microexpr is parsed (nothing is imported) and each of its imports,
at module level or inside a function, is checked against ``STAGES``:

- an import may go to a lower stage, or sideways within the same folder;
- two folders at the same stage never import each other (bridge and formats, solve and
  micro, review and capture and unity are independent);
- nothing imports ``microexpr`` itself: its lazy public API is the top, above ``cli``;
- nothing imports Maya, Unity or the Maya layer.

A new stage folder (the coming ``live/`` and ``batch/``) needs a line in ``STAGES``; see
docs/architecture.md for where each belongs.
"""
from __future__ import annotations

import ast
import os
from typing import List, Optional

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PACKAGE = os.path.join(ROOT, "shared", "microexpr")

#: stage (a folder, or "root" for the modules at the top of the package) -> level.
STAGES = {
    "root": 0,           # errors, atomicio, mesh, landmarks, _version, _lazy, limits
    "bridge": 1, "formats": 1,
    "rig": 2,
    "solve": 3, "micro": 3,
    "review": 4, "capture": 4, "unity": 4,
    "batch": 5,          # runs the capture, solve, review and export stages as jobs
    "cli": 6,
    "microexpr": 7,      # microexpr/__init__: the lazy public API, above everything
}
#: Modules that make up the root stage.
ROOT_MODULES = {"errors", "atomicio", "mesh", "landmarks", "_version", "_lazy", "limits"}
#: Host packages the core must never import.
HOSTS = {"maya", "pymel", "UnityEngine", "UnityEditor", "microexpr_maya"}


def module_name(path: str) -> str:
    rel = os.path.relpath(path, os.path.dirname(PACKAGE))[: -len(".py")]
    parts = rel.split(os.sep)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _is_module(dotted: str) -> bool:
    base = os.path.join(os.path.dirname(PACKAGE), *dotted.split("."))
    return os.path.isfile(base + ".py") or os.path.isfile(os.path.join(base, "__init__.py"))


def stage_of(dotted: str) -> Optional[str]:
    """The stage of a ``microexpr`` module (None outside the package)."""
    parts = dotted.split(".")
    if parts[0] != "microexpr":
        return None
    if len(parts) == 1:
        return "microexpr"
    if parts[1] in ROOT_MODULES:
        return "root"
    return parts[1]


def imported_modules(tree: ast.AST, module: str, is_package: bool):
    """(line, imported module) for every import in ``tree``; ``from a import b`` gives
    ``a.b`` when that is a module, else ``a``."""
    here = module.split(".") if is_package else module.split(".")[:-1]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = here[: len(here) - node.level + 1]
                base = ".".join(anchor + ([base] if base else []))
            for alias in node.names:
                full = base + "." + alias.name
                yield node.lineno, full if _is_module(full) else base


def upward_imports(path: str, source: str) -> List[str]:
    """Every import in ``source`` (the file at ``path``) that breaks the layering."""
    module = module_name(path)
    stage = stage_of(module)
    rel = os.path.relpath(path, ROOT)
    if stage not in STAGES:
        return ["%s: stage folder %r is not in STAGES (tests/test_layering.py)" % (rel, stage)]
    tree = ast.parse(source, filename=path)
    out = []
    for line, target in imported_modules(tree, module, path.endswith("__init__.py")):
        top = target.split(".")[0]
        if top in HOSTS:
            out.append("%s:%d imports %s: the core never imports a host" % (rel, line, target))
            continue
        other = stage_of(target)
        if other is None or other == stage:
            continue
        if other not in STAGES:
            out.append("%s:%d imports %s from unknown stage %r" % (rel, line, target, other))
        elif STAGES[other] >= STAGES[stage]:
            way = "upward" if STAGES[other] > STAGES[stage] else "sideways"
            out.append("%s:%d (stage %s, level %d) imports %s %s (stage %s, level %d)" % (
                rel, line, stage, STAGES[stage], target, way, other, STAGES[other]))
    return out


def _files():
    out = []
    for dirpath, dirnames, filenames in os.walk(PACKAGE):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith((".", "__")))
        out += [os.path.join(dirpath, f) for f in sorted(filenames) if f.endswith(".py")]
    return out


def test_the_tree_is_covered():
    files = _files()
    assert len(files) > 50
    stages = {stage_of(module_name(f)) for f in files}
    assert stages == set(STAGES), "stages in the tree %s, in STAGES %s" % (
        sorted(stages), sorted(STAGES))
    roots = {module_name(f).split(".")[1] for f in files if stage_of(module_name(f)) == "root"}
    assert roots == ROOT_MODULES


def test_stages_depend_only_downward():
    found = []
    for path in _files():
        if path == os.path.join(PACKAGE, "__init__.py"):
            continue            # the public API's lazy table names every stage by design
        with open(path, encoding="utf-8") as f:
            found += upward_imports(path, f.read())
    assert not found, "\n".join(found)


def test_the_public_api_reaches_only_into_stages():
    import microexpr

    for name, module in microexpr.API.items():
        assert stage_of(module) in STAGES and stage_of(module) != "microexpr", (name, module)


@pytest.mark.parametrize("source,words", [
    ("from microexpr.cli.main import main\n", ["micro/fake.py:1", "stage micro", "upward", "stage cli"]),
    ("x = 1\n\ndef f():\n    from microexpr.solve import tracks\n",
     ["micro/fake.py:4", "sideways", "stage solve"]),
    ("import microexpr\n", ["micro/fake.py:1", "upward", "stage microexpr"]),
    ("from .. import cli\n", ["micro/fake.py:1", "microexpr.cli", "stage cli"]),
    ("import maya.cmds as cmds\n", ["micro/fake.py:1", "maya.cmds", "host"]),
    ("from UnityEngine import Vector3\n", ["micro/fake.py:1", "UnityEngine", "host"]),
])
def test_a_bad_import_is_named_with_file_line_and_stages(source, words):
    problems = upward_imports(os.path.join(PACKAGE, "micro", "fake.py"), source)
    assert len(problems) == 1
    for word in words:
        assert word in problems[0], problems[0]


@pytest.mark.parametrize("source", [
    "from microexpr.rig.build import dense_deltas\n",       # down
    "from microexpr.micro import facs\n",                   # same folder
    "from . import envelope\n",
    "from microexpr.errors import MicroExprError\nimport numpy as np\n",
])
def test_allowed_imports_pass(source):
    assert upward_imports(os.path.join(PACKAGE, "micro", "fake.py"), source) == []
