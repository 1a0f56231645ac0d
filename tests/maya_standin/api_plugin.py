"""Plug-in machinery of the Maya stand-in (a test double, NOT Maya).

``cmds.loadPlugin`` executes the plug-in file and calls its ``initializePlugin`` with a fake
MObject; the fake ``MFnPlugin`` (API 1.0 and 2.0 share this code, as their ``MPxNode`` share
``MPxNodeBase``) runs each node's initializer, collects the attributes it adds, and declares
the node type to the stand-in's schema, so ``cmds.createNode``/``cmds.deformer`` of a plug-in
type give nodes with exactly the attributes the plug-in declared.  Plug-in commands become
``maya.cmds.<name>``.
"""
from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import registry, schema

if TYPE_CHECKING:
    from .scene import Scene

_PENDING: List["AttrObj"] = []
_LOADING: Dict[str, Any] = {}


class MObject:
    """Fake MObject (also MObject.kNullObj)."""

    kNullObj: "MObject"

    def __init__(self, node: Optional[str] = None) -> None:
        self.node = node

    def isNull(self) -> bool:
        return self.node is None

    def hasFn(self, _fn: int) -> bool:
        return self.node is not None

    def __eq__(self, other: object) -> bool:
        return isinstance(other, MObject) and other.node == self.node

    def __hash__(self) -> int:
        return hash(self.node)


MObject.kNullObj = MObject()


class AttrObj(MObject):
    """The MObject an attribute function set returns; carries the schema declaration."""

    def __init__(self, attr: schema.Attr) -> None:
        super().__init__(None)
        self.attr = attr

    def isNull(self) -> bool:
        return False


class MTypeId:
    def __init__(self, value: int = 0) -> None:
        self.value = int(value)

    def id(self) -> int:
        return self.value


def add_attribute(obj: Any) -> None:
    if not isinstance(obj, AttrObj):
        raise TypeError("stand-in addAttribute: not an attribute MObject")
    _PENDING.append(obj)
    for child in getattr(obj, "children", ()):
        _PENDING.append(child)


# ------------------------------------------------------------------ MFnPlugin
class MFnPluginBase:
    kDependNode, kLocatorNode, kDeformerNode = 0, 1, 2

    def __init__(self, mobject: Any = None, vendor: str = "Unknown", version: str = "Unknown",
                 apiVersion: str = "Any") -> None:
        self.key = getattr(mobject, "plugin", None)
        self.vendor, self.version = vendor, version

    def _info(self) -> Dict[str, Any]:
        return _LOADING[self.key] if self.key in _LOADING else \
            _scene().plugins[self.key]

    def registerNode(self, name: str, type_id: Any, creator: Callable[[], Any],
                     initializer: Callable[[], Any], node_type: int = 0,
                     classification: Optional[str] = None) -> None:
        scene = _scene()
        if schema.known(name):
            raise RuntimeError(f"stand-in registerNode: node type '{name}' already exists")
        del _PENDING[:]
        initializer()
        attrs = [a.attr for a in _PENDING]
        del _PENDING[:]
        bases: Tuple[str, ...] = {self.kDeformerNode: ("weightGeometryFilter",),
                                  self.kLocatorNode: ("locator",)}.get(node_type, ("plugin",))
        schema.define(name, bases, attrs)
        scene.node_classes[name] = {"creator": creator, "id": type_id,
                                    "classification": classification, "kind": node_type}
        self._info()["nodes"].append(name)

    def deregisterNode(self, type_id: Any) -> None:
        scene = _scene()
        for name, info in list(scene.node_classes.items()):
            if info["id"] is type_id or getattr(info["id"], "value", None) == \
                    getattr(type_id, "value", object()):
                del scene.node_classes[name]
                schema.undefine(name)
                self._info()["nodes"].remove(name)
                return
        raise RuntimeError("stand-in deregisterNode: unknown type id")

    def registerCommand(self, name: str, creator: Callable[[], Any],
                        syntax: Optional[Callable[[], Any]] = None) -> None:
        if name in registry.COMMANDS:
            raise RuntimeError(f"stand-in registerCommand: command '{name}' already exists")

        def run(*args: Any, **flags: Any) -> Any:
            from .api2 import MArgList, run_command
            return run_command(creator, syntax, MArgList(list(args), flags))

        registry.COMMANDS[name] = run
        self._info()["commands"].append(name)

    def deregisterCommand(self, name: str) -> None:
        registry.COMMANDS.pop(name, None)
        self._info()["commands"].remove(name)


class MPxNodeBase:
    """What API 1.0's and 2.0's ``MPxNode`` share (each API subclasses it as its own type)."""

    kDependNode, kLocatorNode, kDeformerNode = 0, 1, 2

    def __init__(self) -> None:
        self._standin_node: Optional[str] = None

    @staticmethod
    def addAttribute(obj: Any) -> None:
        add_attribute(obj)

    @staticmethod
    def attributeAffects(a: Any, b: Any) -> None:
        pass

    def thisMObject(self) -> MObject:
        return MObject(self._standin_node)


def _scene() -> "Scene":
    from .state import current
    return current()


class PluginMObject(MObject):
    def __init__(self, key: str) -> None:
        super().__init__(None)
        self.plugin = key


def load(scene: "Scene", key: str, path: str) -> None:
    spec = importlib.util.spec_from_file_location(f"_standin_plugin_{key}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for fn in ("initializePlugin", "uninitializePlugin"):
        if not callable(getattr(module, fn, None)):
            raise RuntimeError(f"loadPlugin: {path} defines no {fn}()")
    info = {"path": path, "module": module, "nodes": [], "commands": [],
            "api": 2 if hasattr(module, "maya_useNewAPI") else 1}
    _LOADING[key] = info
    try:
        module.initializePlugin(PluginMObject(key))
    except Exception:
        _LOADING.pop(key, None)
        for name in info["nodes"]:
            scene.node_classes.pop(name, None)
            schema.undefine(name)
        for name in info["commands"]:
            registry.COMMANDS.pop(name, None)
        raise
    scene.plugins[key] = _LOADING.pop(key)
    sys.modules.pop(f"_standin_plugin_{key}", None)


def unload(scene: "Scene", key: str, force: bool) -> None:
    info = scene.plugins[key]
    in_use = [n for n in scene.state.order if scene.nodes[n].type in info["nodes"]]
    if in_use and not force:
        from .scene import MayaError
        raise MayaError(f"unloadPlugin: '{key}' is in use by {in_use[:3]}")
    info["module"].uninitializePlugin(PluginMObject(key))
    del scene.plugins[key]


def unload_all() -> None:
    """Forget every plug-in type and command (reset())."""
    from .state import _CURRENT
    scene = _CURRENT.get("scene")
    if scene is None:
        return
    for info in scene.plugins.values():
        for name in info["nodes"]:
            schema.undefine(name)
        for name in info["commands"]:
            registry.COMMANDS.pop(name, None)
    scene.plugins.clear()
    scene.node_classes.clear()


def instantiate(scene: "Scene", node_name: str) -> Any:
    """The plug-in's Python instance for a node (created on first use)."""
    inst = scene.instances.get(node_name)
    if inst is None:
        typ = scene.nodes[node_name].type
        inst = scene.node_classes[typ]["creator"]()
        inst._standin_node = node_name
        if hasattr(inst, "postConstructor"):
            inst.postConstructor()
        scene.instances[node_name] = inst
    return inst
