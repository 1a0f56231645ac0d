"""The stand-in's ``maya.cmds`` against maya-stubs: every command it offers, every flag it
implements or reads, and every positional argument it takes must exist in the stubs (the
``.pyi`` of ``maya.cmds`` lists each command's keyword flags).  Stand-in only."""
from __future__ import annotations

import ast
import glob
import inspect
import os
import sys
from typing import Any, Dict, Iterator, List, Set, Tuple

STANDIN_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
                           "maya_standin")


def _stub_functions() -> Dict[str, ast.FunctionDef]:
    import maya_standin.registry as registry

    tree = ast.parse(registry.stub_path().read_text(encoding="utf-8"))
    return {n.name: n for n in tree.body if isinstance(n, ast.FunctionDef)}


def _command_name(fn: ast.FunctionDef) -> Any:
    for deco in fn.decorator_list:
        if isinstance(deco, ast.Name) and deco.id == "command":
            return fn.name.rstrip("_")
        if isinstance(deco, ast.Call) and getattr(deco.func, "id", "") == "command":
            return deco.args[0].value if deco.args else fn.name.rstrip("_")
    return None


def _flags_read(fn: ast.FunctionDef, module: Any) -> Tuple[Set[str], List[str]]:
    """Flags named in ``only(...)`` and flags the body reads from ``**flags``; plus the
    command names given to ``only``."""
    kw = fn.args.kwarg.arg if fn.args.kwarg else None
    flags: Set[str] = set()
    names: List[str] = []
    for node in ast.walk(fn):
        if isinstance(node, ast.Call) and getattr(node.func, "id", "") == "only":
            names.append(node.args[0].value)  # type: ignore[attr-defined]
            expr = ast.Expression(node.args[2])
            flags |= set(eval(compile(expr, module.__file__, "eval"), vars(module)))
        if kw is None:
            continue
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and getattr(node.func.value, "id", "") == kw and node.args \
                and isinstance(node.args[0], ast.Constant):
            flags.add(node.args[0].value)  # flags.get("x")
        if isinstance(node, ast.Subscript) and getattr(node.value, "id", "") == kw \
                and isinstance(node.slice, ast.Constant):
            flags.add(node.slice.value)  # flags["x"]
        if isinstance(node, ast.Compare) and isinstance(node.left, ast.Constant) \
                and any(getattr(c, "id", "") == kw for c in node.comparators):
            flags.add(node.left.value)  # "x" in flags
    return flags, names


def _standin_commands() -> Iterator[Tuple[str, ast.FunctionDef, Any]]:
    for path in sorted(glob.glob(os.path.join(STANDIN_DIR, "cmds_*.py"))):
        module = sys.modules["maya_standin." + os.path.basename(path)[:-3]]
        with open(path, encoding="utf-8") as f:
            tree = ast.parse(f.read())
        for fn in tree.body:
            if isinstance(fn, ast.FunctionDef) and _command_name(fn):
                yield _command_name(fn), fn, module


def test_every_command_module_is_scanned(standin):
    import maya_standin.registry as registry

    found = {name for name, _, _ in _standin_commands()}
    assert found == set(registry.COMMANDS)  # no plug-in is loaded in a fresh scene


def test_every_command_exists_in_the_stubs(standin):
    stubs = _stub_functions()
    missing = sorted(name for name, _, _ in _standin_commands() if name not in stubs)
    assert missing == []


def test_every_flag_the_standin_offers_exists_in_the_stubs(standin):
    import maya_standin.registry as registry

    bad, unchecked, no_only = [], [], []
    for name, fn, module in _standin_commands():
        flags, only_names = _flags_read(fn, module)
        if any(n != name for n in only_names):
            bad.append((name, "only() names %s" % only_names))
        if fn.args.kwarg is not None and not only_names:
            no_only.append(name)  # would accept a flag it does not implement, silently
        declared = registry.declared_flags(name)
        if declared is None:
            unchecked.append(name)  # the stub takes **kwargs: nothing to check against
            continue
        bad += [(name, flag) for flag in sorted(flags - set(declared))]
    assert bad == []
    assert no_only == []
    assert unchecked == []


def test_positional_arguments_only_where_the_stubs_take_them(standin):
    import maya_standin.registry as registry

    stubs = _stub_functions()
    bad = []
    for name, func in sorted(registry.COMMANDS.items()):
        stub = stubs.get(name)
        if stub is None:  # a plug-in's command, registered at load time
            continue
        params = inspect.signature(inspect.unwrap(func)).parameters.values()
        takes = any(p.kind in (p.VAR_POSITIONAL, p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)
                    for p in params)
        stub_takes = bool(stub.args.vararg or stub.args.args or stub.args.posonlyargs)
        if takes and not stub_takes:
            bad.append(name)
    assert bad == []


def test_the_check_can_fail(standin):
    """A made-up flag read from **flags is reported (the scan is not vacuous)."""
    import types

    import maya_standin.registry as registry

    src = ("@command\ndef ls(*args, **flags):\n"
           "    only('ls', flags, ('long', 'noSuchFlag'))\n"
           "    return flags.get('alsoMadeUp')\n")
    fn = ast.parse(src).body[0]
    assert isinstance(fn, ast.FunctionDef)
    flags, names = _flags_read(fn, types.SimpleNamespace(__file__="<test>"))
    assert names == ["ls"]
    assert flags - set(registry.declared_flags("ls") or ()) == {"noSuchFlag", "alsoMadeUp"}
