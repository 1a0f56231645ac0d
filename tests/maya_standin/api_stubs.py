"""What maya-stubs declares for the Maya API modules, to check the stand-in against (NOT Maya).

:func:`problems` lists every class, method, attribute and constant the stand-in's fake API
modules offer that maya-stubs does not declare (or declares with another value); a test
requires the list to be empty, so the stand-in cannot offer Maya code something real Maya
lacks.  Public names and the operator methods (``__call__``, ``__getitem__``, ...) count;
names starting with ``_`` are the stand-in's own plumbing.
"""
from __future__ import annotations

import ast
import types
from pathlib import Path
from typing import Any, Dict, List, Optional, Set

from .registry import stub_path

#: fake module -> its .pyi file under maya-stubs
STUB_FILES = {
    "maya.api.OpenMaya": "api/OpenMaya.pyi", "maya.api.OpenMayaAnim": "api/OpenMayaAnim.pyi",
    "maya.api.OpenMayaUI": "api/OpenMayaUI.pyi",
    "maya.api.OpenMayaRender": "api/OpenMayaRender.pyi",
    "maya.OpenMaya": "OpenMaya.pyi", "maya.OpenMayaMPx": "OpenMayaMPx.pyi",
    "maya.OpenMayaUI": "OpenMayaUI.pyi",
}
#: dunder methods that change how Maya code may use an object, so the stubs must have them
OPERATORS = {"__call__", "__getitem__", "__setitem__", "__delitem__", "__len__", "__iter__",
             "__contains__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__",
             "__add__", "__sub__", "__mul__", "__truediv__", "__neg__", "__hash__",
             "__getattr__", "__setattr__", "__bool__"}


class StubClass:
    def __init__(self, name: str, bases: List[str], members: Dict[str, Any]) -> None:
        self.name, self.bases, self.members = name, bases, members


class Stubs:
    """The parsed .pyi files (module name -> {top-level name: StubClass or value})."""

    def __init__(self, root: Optional[Path] = None) -> None:
        self.root = root or stub_path().parent.parent
        self._modules: Dict[str, Dict[str, Any]] = {}

    def module(self, name: str) -> Dict[str, Any]:
        if name not in self._modules:
            rel = STUB_FILES.get(name) or name.replace("maya.", "").replace(".", "/") + ".pyi"
            self._modules[name] = _parse(self.root / rel)
        return self._modules[name]

    def members(self, module: str, cls: str, seen: Optional[Set[str]] = None) -> Dict[str, Any]:
        """Everything class ``cls`` of ``module`` declares or inherits, name -> value/None."""
        seen = seen if seen is not None else set()
        if (module + cls) in seen:
            return {}
        seen.add(module + cls)
        entry = self.module(module).get(cls)
        if not isinstance(entry, StubClass):
            return {}
        out: Dict[str, Any] = {}
        for base in entry.bases:
            mod, _, name = base.rpartition(".")
            out.update(self.members(mod or module, name, seen))
        out.update(entry.members)
        return out


def _literal(node: Optional[ast.expr]) -> Any:
    try:
        return ast.literal_eval(node) if node is not None else None
    except ValueError:
        return None


def _parse(path: Path) -> Dict[str, Any]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: Dict[str, Any] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            members: Dict[str, Any] = {}
            for item in node.body:
                if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    members[item.name] = None
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    members[item.target.id] = _literal(item.value)
                elif isinstance(item, ast.Assign):
                    for t in item.targets:
                        if isinstance(t, ast.Name):
                            members[t.id] = _literal(item.value)
            out[node.name] = StubClass(node.name, [ast.unparse(b) for b in node.bases], members)
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            out[node.name] = None
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            out[node.target.id] = _literal(node.value)
    return out


def _offered(cls: type) -> Dict[str, Any]:
    """Names the stand-in class offers (own and inherited, not object's), name -> value."""
    out: Dict[str, Any] = {}
    for klass in reversed(cls.__mro__):
        if klass is object:
            continue
        for name, value in vars(klass).items():
            if (name[:1] != "_" or name in OPERATORS) and not (name == "__hash__" and
                                                                value is None):
                out[name] = value
    return out


def problems(modules: Dict[str, types.ModuleType], stubs: Optional[Stubs] = None) -> List[str]:
    """What the fake API modules offer beyond maya-stubs, one line each."""
    stubs = stubs or Stubs()
    found: List[str] = []
    for mod_name, module in modules.items():
        declared = stubs.module(mod_name)
        for name, value in vars(module).items():
            if name.startswith("_"):
                continue
            if name not in declared:
                found.append(f"{mod_name}.{name}: not in maya-stubs")
                continue
            if not isinstance(value, type):
                continue
            members = stubs.members(mod_name, name)
            for attr, own in _offered(value).items():
                if attr not in members:
                    found.append(f"{mod_name}.{name}.{attr}: not in maya-stubs")
                elif isinstance(own, int) and not isinstance(own, bool) and \
                        isinstance(members[attr], int) and own != members[attr]:
                    found.append(f"{mod_name}.{name}.{attr} = {own}; maya-stubs: "
                                 f"{members[attr]}")
    return found
