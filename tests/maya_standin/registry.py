"""Command registry of the Maya stand-in (a test double, NOT Maya).

Each stand-in command is a plain Python function registered with :func:`command`;
the fake ``maya.cmds`` module resolves attribute look-ups through :data:`COMMANDS`.

Every call is checked against the flags that ``maya-stubs`` declares for that command
(``maya-stubs/cmds/__init__.pyi``, parsed once with :mod:`ast`).  The stubs declare long
flag names only, so a short name such as ``q=True`` or a made-up flag is rejected at
call time with :class:`UndeclaredFlagError` -- this is how the stand-in keeps the code
under test honest about the flags real Maya accepts.

Usage from another ``cmds_*.py`` module of the stand-in::

    from .registry import command

    @command                       # registers maya.cmds.window
    def window(*args, **flags): ...

    @command("file")               # explicit name (for names that clash with builtins)
    def file_(*args, **flags): ...

State that must be cleared by ``maya_standin.reset()`` registers a callback with
:func:`on_reset`.
"""
from __future__ import annotations

import ast
import functools
import importlib.util
import os
import sys
import sysconfig
from pathlib import Path
from typing import Any, Callable, Dict, FrozenSet, List, Optional, Union

__all__ = [
    "COMMANDS", "UndeclaredFlagError", "UnknownCommandError", "command", "declared_flags",
    "stub_path", "on_reset", "run_reset_hooks", "call_log", "accepts_any_flag",
]

COMMANDS: Dict[str, Callable[..., Any]] = {}
"""name -> checked callable, as ``maya.cmds.<name>`` exposes it."""

_ORIGIN: Dict[str, str] = {}
_RESET_HOOKS: List[Callable[[], None]] = []
call_log: List[tuple] = []
"""Every stand-in command call as ``(name, args, flags)``; cleared by reset()."""


class UndeclaredFlagError(TypeError):
    """A keyword flag that maya-stubs does not declare for the command (stand-in check)."""


class UnknownCommandError(AttributeError):
    """The command is not declared by maya-stubs or not implemented by the stand-in."""


# --------------------------------------------------------------------------- stubs
_FLAGS: Optional[Dict[str, Optional[FrozenSet[str]]]] = None
_STUB_PATH: Optional[Path] = None


def stub_path() -> Path:
    """Location of ``maya-stubs/cmds/__init__.pyi`` (importlib first, then site-packages)."""
    global _STUB_PATH
    if _STUB_PATH is not None:
        return _STUB_PATH
    candidates: List[Path] = []
    try:
        spec = importlib.util.find_spec("maya-stubs")
    except (ImportError, ValueError):
        spec = None
    if spec is not None and spec.submodule_search_locations:
        candidates += [Path(p) for p in spec.submodule_search_locations]
    roots = [sysconfig.get_paths().get("purelib", ""), sysconfig.get_paths().get("platlib", "")]
    roots += [p for p in sys.path if p]
    candidates += [Path(r) / "maya-stubs" for r in roots if r]
    env = os.environ.get("MAYA_STUBS_DIR")
    if env:
        candidates.insert(0, Path(env))
    for cand in candidates:
        pyi = cand / "cmds" / "__init__.pyi"
        if pyi.is_file():
            _STUB_PATH = pyi
            return pyi
    raise RuntimeError("maya-stubs not found: the Maya stand-in needs it to check command flags. "
                       "Fix: pip install maya-stubs (or set MAYA_STUBS_DIR).")


def _parse_stubs() -> Dict[str, Optional[FrozenSet[str]]]:
    tree = ast.parse(stub_path().read_text(encoding="utf-8"))
    flags: Dict[str, Optional[FrozenSet[str]]] = {}
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        a = node.args
        if a.kwarg is not None:  # declared as **kwargs: anything goes
            flags[node.name] = None
            continue
        names = [x.arg for x in a.kwonlyargs] + [x.arg for x in a.args]
        flags[node.name] = frozenset(names)
    return flags


def _flags() -> Dict[str, Optional[FrozenSet[str]]]:
    global _FLAGS
    if _FLAGS is None:
        _FLAGS = _parse_stubs()
    return _FLAGS


def declared_flags(name: str) -> Optional[FrozenSet[str]]:
    """Flags maya-stubs declares for ``name`` (None: the stub takes ``**kwargs``)."""
    table = _flags()
    if name not in table:
        raise UnknownCommandError(f"maya-stubs declares no command cmds.{name}")
    return table[name]


def accepts_any_flag(name: str) -> bool:
    return declared_flags(name) is None


def check_flags(name: str, flags: Dict[str, Any]) -> None:
    """Raise :class:`UndeclaredFlagError` for any flag maya-stubs lacks for ``name``."""
    allowed = declared_flags(name)
    if allowed is None:
        return
    bad = sorted(k for k in flags if k not in allowed)
    if bad:
        raise UndeclaredFlagError(
            f"cmds.{name}: flag(s) {', '.join(bad)} not declared by maya-stubs "
            f"(the stubs list long names only; use e.g. query= not q=)")


# --------------------------------------------------------------------------- registry
def command(name_or_func: Union[str, Callable[..., Any], None] = None, *,
            check: bool = True) -> Any:
    """Register a stand-in implementation of ``maya.cmds.<name>``.

    ``@command`` uses the function name (a trailing underscore is dropped: ``file_`` ->
    ``file``); ``@command("name")`` names it explicitly.  The name must be declared by
    maya-stubs, and registering the same name twice is an error (two stand-in modules
    implementing one command would silently shadow each other).
    """

    def register(func: Callable[..., Any], name: str) -> Callable[..., Any]:
        declared_flags(name)  # the command must exist in Maya (per the stubs)
        if name in COMMANDS:
            raise RuntimeError(f"stand-in command cmds.{name} registered twice "
                               f"({_ORIGIN[name]} and {func.__module__})")

        @functools.wraps(func)
        def checked(*args: Any, **flags: Any) -> Any:
            if check:
                check_flags(name, flags)
            call_log.append((name, args, dict(flags)))
            return func(*args, **flags)

        COMMANDS[name] = checked
        _ORIGIN[name] = func.__module__
        return func

    if callable(name_or_func):
        func = name_or_func
        return register(func, func.__name__.rstrip("_"))

    def deco(func: Callable[..., Any]) -> Callable[..., Any]:
        name = name_or_func if isinstance(name_or_func, str) else func.__name__.rstrip("_")
        return register(func, name)

    return deco


def on_reset(hook: Callable[[], None]) -> Callable[[], None]:
    """Register ``hook`` to run on every ``maya_standin.reset()`` (usable as decorator)."""
    if hook not in _RESET_HOOKS:
        _RESET_HOOKS.append(hook)
    return hook


def run_reset_hooks() -> None:
    del call_log[:]
    for hook in list(_RESET_HOOKS):
        hook()


def lookup(name: str) -> Callable[..., Any]:
    """The checked command ``name`` or :class:`UnknownCommandError`."""
    try:
        return COMMANDS[name]
    except KeyError:
        if name.startswith("__"):
            raise AttributeError(name) from None
        raise UnknownCommandError(
            f"cmds.{name} is not implemented by the Maya stand-in"
            + ("" if name in _flags() else " (and maya-stubs declares no such command)")) from None
