"""Maya stand-in: an in-memory test double of the parts of Maya MicroExpr uses. NOT Maya.

``install()`` puts fake ``maya``, ``maya.cmds``, ``maya.mel``, ``maya.standalone``,
``maya.utils``, ``maya.api.OpenMaya``/``OpenMayaAnim``/``OpenMayaUI``/``OpenMayaRender``,
``maya.OpenMaya``, ``maya.OpenMayaMPx`` and ``maya.OpenMayaUI`` into ``sys.modules`` and
starts a fresh scene; ``reset()`` starts a fresh scene again (plug-ins unloaded, reset hooks
run).  ``current()`` returns the live :class:`~.scene.Scene` for stand-in-only assertions.

Commands live in ``cmds_*.py`` modules of this package; ``install()`` imports all of them.
Each command is checked against the flags maya-stubs declares (see :mod:`.registry`).
``MSyntax``/``MArgDatabase`` come from :mod:`.api_args` (flags only with their dash);
``maya.standalone`` is :mod:`.standalone`; ``tests/maya_standin/mayapy.py`` runs a script or
module as a fresh ``mayapy`` would (commands and module paths only after ``initialize``).
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import types
from typing import Any, Dict, Optional

from . import api_modules, registry
from . import standalone as fake_standalone
from .scene import Scene
from .state import current, drop

__all__ = ["install", "uninstall", "reset", "current", "installed", "Scene"]

_SAVED: Dict[str, Optional[types.ModuleType]] = {}
_MODULES = ("maya", "maya.cmds", "maya.mel", "maya.standalone", "maya.utils", "maya.api",
            "maya.api.OpenMaya", "maya.api.OpenMayaAnim", "maya.api.OpenMayaUI",
            "maya.api.OpenMayaRender", "maya.OpenMaya", "maya.OpenMayaMPx", "maya.OpenMayaUI")


class _CmdsModule(types.ModuleType):
    """``maya.cmds`` of the stand-in: attribute look-up goes to the command registry."""

    def __getattr__(self, name: str) -> Any:
        if not fake_standalone.commands_available() and not name.startswith("__"):
            # a fresh mayapy: maya.cmds is empty until maya.standalone.initialize()
            raise AttributeError(f"module 'maya.cmds' has no attribute '{name}' "
                                 f"(stand-in mayapy: call maya.standalone.initialize() first)")
        return registry.lookup(name)

    def __dir__(self) -> Any:
        return sorted(registry.COMMANDS)


def _module(name: str, doc: str, **members: Any) -> types.ModuleType:
    mod = types.ModuleType(name, doc)
    mod.__dict__.update(members)
    mod.__standin__ = True  # type: ignore[attr-defined]
    return mod


def _build() -> Dict[str, types.ModuleType]:
    from . import mel as fake_mel

    doc = "Maya stand-in (test double, not Maya): "
    maya = _module("maya", doc + "package")
    maya.__path__ = []  # type: ignore[attr-defined]
    cmds = _CmdsModule("maya.cmds", doc + "maya.cmds")
    cmds.__standin__ = True  # type: ignore[attr-defined]
    mel = _module("maya.mel", doc + "maya.mel", eval=fake_mel.eval)
    standalone = _module("maya.standalone", doc + "maya.standalone",
                         initialize=fake_standalone.initialize,
                         uninitialize=fake_standalone.uninitialize)
    utils = _module("maya.utils", doc + "maya.utils",
                    executeDeferred=lambda fn, *a, **k: fn(*a, **k),
                    executeInMainThreadWithResult=lambda fn, *a, **k: fn(*a, **k))
    api = _module("maya.api", doc + "maya.api")
    api.__path__ = []  # type: ignore[attr-defined]
    apis = api_modules.build(doc)  # the API modules, laid out as maya-stubs has them
    om, oma, omui, omr = (apis["maya.api." + n] for n in
                          ("OpenMaya", "OpenMayaAnim", "OpenMayaUI", "OpenMayaRender"))
    om1, ompx, omui1 = (apis["maya." + n] for n in ("OpenMaya", "OpenMayaMPx", "OpenMayaUI"))
    for child, attr in ((cmds, "cmds"), (mel, "mel"), (standalone, "standalone"),
                        (utils, "utils"), (api, "api"), (om1, "OpenMaya"),
                        (ompx, "OpenMayaMPx"), (omui1, "OpenMayaUI")):
        setattr(maya, attr, child)
    for child, attr in ((om, "OpenMaya"), (oma, "OpenMayaAnim"), (omui, "OpenMayaUI"),
                        (omr, "OpenMayaRender")):
        setattr(api, attr, child)
    mods = [maya, cmds, mel, standalone, utils, api, om, oma, omui, omr, om1, ompx, omui1]
    return {m.__name__: m for m in mods}


def _import_command_modules() -> None:
    for info in pkgutil.iter_modules(__path__):  # type: ignore[name-defined]
        if info.name.startswith("cmds_"):
            importlib.import_module(f"{__name__}.{info.name}")


def installed() -> bool:
    mod = sys.modules.get("maya.cmds")
    return bool(mod is not None and getattr(mod, "__standin__", False))


def install() -> Scene:
    """Put the stand-in's fake Maya modules into ``sys.modules``; return a fresh scene."""
    if not installed():
        for name in _MODULES:
            _SAVED.setdefault(name, sys.modules.get(name))
        sys.modules.update(_build())
        _import_command_modules()
    return reset()


def uninstall() -> None:
    """Remove the fake modules (restoring whatever was there before)."""
    for name, mod in _SAVED.items():
        if mod is None:
            sys.modules.pop(name, None)
        else:
            sys.modules[name] = mod
    _SAVED.clear()


def reset() -> Scene:
    """A fresh, empty scene: plug-ins unloaded, undo queue empty, reset hooks run."""
    from .api_plugin import unload_all

    unload_all()
    drop()
    registry.run_reset_hooks()
    return current()
