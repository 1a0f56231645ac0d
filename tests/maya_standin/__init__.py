"""Maya stand-in: an in-memory test double of the parts of Maya MicroExpr uses. NOT Maya.

``install()`` puts fake ``maya``, ``maya.cmds``, ``maya.mel``, ``maya.standalone``,
``maya.utils``, ``maya.api.OpenMaya``/``OpenMayaAnim``/``OpenMayaUI``/``OpenMayaRender``,
``maya.OpenMaya``, ``maya.OpenMayaMPx`` and ``maya.OpenMayaUI`` into ``sys.modules`` and
starts a fresh scene; ``reset()`` starts a fresh scene again (plug-ins unloaded, reset hooks
run).  ``current()`` returns the live :class:`~.scene.Scene` for stand-in-only assertions.

Commands live in ``cmds_*.py`` modules of this package; ``install()`` imports all of them.
Each command is checked against the flags maya-stubs declares (see :mod:`.registry`).
"""
from __future__ import annotations

import importlib
import pkgutil
import sys
import types
from typing import Any, Dict, Optional

from . import api1, api2, registry
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
        return registry.lookup(name)

    def __dir__(self) -> Any:
        return sorted(registry.COMMANDS)


def _module(name: str, doc: str, **members: Any) -> types.ModuleType:
    mod = types.ModuleType(name, doc)
    mod.__dict__.update(members)
    mod.__standin__ = True  # type: ignore[attr-defined]
    return mod


def _public(src: types.ModuleType, *names: str) -> Dict[str, Any]:
    return {n: getattr(src, n) for n in names}


def _build() -> Dict[str, types.ModuleType]:
    from . import mel as fake_mel

    doc = "Maya stand-in (test double, not Maya): "
    maya = _module("maya", doc + "package")
    maya.__path__ = []  # type: ignore[attr-defined]
    cmds = _CmdsModule("maya.cmds", doc + "maya.cmds")
    cmds.__standin__ = True  # type: ignore[attr-defined]
    mel = _module("maya.mel", doc + "maya.mel", eval=fake_mel.eval)
    standalone = _module("maya.standalone", doc + "maya.standalone",
                         initialize=lambda *a, **k: None, uninitialize=lambda *a, **k: None)
    utils = _module("maya.utils", doc + "maya.utils",
                    executeDeferred=lambda fn, *a, **k: fn(*a, **k),
                    executeInMainThreadWithResult=lambda fn, *a, **k: fn(*a, **k))
    api = _module("maya.api", doc + "maya.api")
    api.__path__ = []  # type: ignore[attr-defined]
    om = _module("maya.api.OpenMaya", doc + "API 2.0 OpenMaya",
                 **{k: v for k, v in vars(api2).items() if k[:1] == "M" or k == "DrawAPI"})
    oma = _module("maya.api.OpenMayaAnim", doc + "API 2.0 OpenMayaAnim")
    omui = _module("maya.api.OpenMayaUI", doc + "API 2.0 OpenMayaUI",
                   **_public(api2, "MPxLocatorNode", "M3dView"))
    omr = _module("maya.api.OpenMayaRender", doc + "API 2.0 OpenMayaRender",
                  **_public(api2, "MPxDrawOverride", "MDrawRegistry", "MUserData", "DrawAPI",
                            "MRenderer", "MFrameContext", "MUIDrawManager"))
    om1 = _module("maya.OpenMaya", doc + "API 1.0 OpenMaya",
                  **{k: v for k, v in vars(api1).items() if k[:1] == "M"})
    ompx = _module("maya.OpenMayaMPx", doc + "API 1.0 OpenMayaMPx",
                   **_public(api1, "MPxNode", "MPxGeometryFilter", "MPxDeformerNode",
                             "MFnPlugin", "cvar", "asMPxPtr"))
    omui1 = _module("maya.OpenMayaUI", doc + "API 1.0 OpenMayaUI",
                    MQtUtil=type("MQtUtil", (), {"mainWindow": staticmethod(lambda: None)}))
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
    api2.MDrawRegistry.overrides.clear()
    drop()
    registry.run_reset_hooks()
    return current()
