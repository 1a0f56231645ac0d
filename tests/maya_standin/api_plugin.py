"""Plug-in machinery of the Maya stand-in's APIs (a test double, NOT Maya).

``cmds.loadPlugin`` runs the plug-in file and calls its ``initializePlugin`` with a plug-in
MObject of the API the file declares: API 2.0 when it defines ``maya_useNewAPI``, else API
1.0, as Maya does.  Each API has its own ``MObject``, ``MTypeId``, ``MFnPlugin`` and
``MPxNode`` classes (subclasses of the bases here); handing an object of one API to the
other raises ``TypeError`` (Maya: "you cannot pass an API 1.0 object to an API 2.0 method
and vice versa"), so a plug-in that mixes them fails to load.

``MFnPlugin.registerNode`` runs the node's initializer, collects the attributes it adds and
declares the node type to the stand-in's schema, so ``cmds.createNode``/``cmds.deformer``
of a plug-in type give nodes with exactly those attributes.  Plug-in commands become
``maya.cmds.<name>``.
"""
from __future__ import annotations

import importlib.util
import sys
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple, Type

from . import registry, schema

if TYPE_CHECKING:
    from .scene import Scene

_PENDING: List["MObjectBase"] = []
_LOADING: Dict[str, Any] = {}
API_NAMES = {1: "API 1.0 (maya.OpenMaya)", 2: "API 2.0 (maya.api.OpenMaya)"}


class MObjectBase:
    """A fake MObject: a node name, an attribute declaration, mesh data or a plug-in.

    Each API subclasses it (``_API`` = 1 or 2).  Not hashable: API 2.0's MObject defines
    ``__eq__`` only (maya-stubs), so Maya code keys dictionaries by name, not by MObject.
    """

    _API = 0

    def __init__(self, node: Optional[str] = None) -> None:
        self._node = node
        self._attr: Optional[schema.Attr] = None
        self._children: List["MObjectBase"] = []
        self._plugin: Optional[str] = None
        self._data: Any = None  # mesh or string data

    def isNull(self) -> bool:
        return all(v is None for v in (self._node, self._attr, self._plugin, self._data))

    def hasFn(self, fn: int) -> bool:
        return not self.isNull()

    def __eq__(self, other: object) -> bool:
        return (type(other) is type(self) and other._node == self._node  # type: ignore
                and other._attr is self._attr and other._plugin == self._plugin  # type: ignore
                and other._data is self._data)  # type: ignore

    def __ne__(self, other: object) -> bool:
        return not self == other


def expect(value: Any, cls: Type[Any], where: str) -> Any:
    """``value`` if it is a ``cls``; else the TypeError Maya raises for a wrong argument type
    (naming the API when an object of the other API was passed)."""
    if isinstance(value, cls):
        return value
    mine = getattr(cls, "_API", 0)
    theirs = getattr(type(value), "_API", 0)
    if mine and theirs and mine != theirs:
        raise TypeError(f"{where}: an {API_NAMES[theirs]} {type(value).__name__} was passed "
                        f"where {API_NAMES[mine]} needs its own {cls.__name__}: objects of "
                        "the two Python APIs do not mix")
    raise TypeError(f"{where}: argument must be {cls.__name__}, not {type(value).__name__}")


def attr_of(obj: Any, cls: Type[MObjectBase], where: str) -> schema.Attr:
    """The attribute declaration an attribute MObject of API ``cls`` carries."""
    expect(obj, cls, where)
    if obj._attr is None:
        raise RuntimeError(f"{where}: (kInvalidParameter) the MObject is not an attribute")
    return obj._attr


class MTypeIdBase:
    _API = 0

    def __init__(self, value: int = 0) -> None:
        self._value = int(value)

    def id(self) -> int:
        return self._value


def add_attribute(obj: MObjectBase) -> None:
    _PENDING.append(obj)
    _PENDING.extend(obj._children)


# ------------------------------------------------------------------ MFnPlugin
class MFnPluginBase:
    """MFnPlugin of one API: ``_MOBJECT``, ``_TYPEID``, ``_PXNODE`` and ``_PXCOMMAND`` are
    that API's classes (None: the API has no such proxy in the stand-in)."""

    _API = 0
    _MOBJECT: Type[MObjectBase] = MObjectBase
    _TYPEID: Type[MTypeIdBase] = MTypeIdBase
    _PXNODE: Optional[type] = None
    _PXCOMMAND: Optional[type] = None

    def __init__(self, plugin: Optional[MObjectBase] = None, vendor: str = "Unknown",
                 version: str = "Unknown", apiVersion: str = "Any") -> None:
        where = "MFnPlugin(plugin, vendor, version, apiVersion)"
        self._key = None if plugin is None else expect(plugin, self._MOBJECT, where)._plugin
        self._vendor, self._version = vendor, version

    def _info(self) -> Dict[str, Any]:
        if self._key is None:
            raise RuntimeError("MFnPlugin: (kInvalidParameter) no plug-in object attached")
        return _LOADING[self._key] if self._key in _LOADING else _scene().plugins[self._key]

    def _check_product(self, product: Any, base: Optional[type], what: str) -> None:
        if base is None or not isinstance(product, base):
            raise TypeError(f"MFnPlugin.{what}: the creator made a {type(product).__name__}, "
                            f"not an {API_NAMES[self._API]} proxy: this plug-in "
                            f"{'defines' if self._API == 2 else 'does not define'} "
                            "maya_useNewAPI, so Maya hands it that API's objects only")

    def registerNode(self, typeName: str, typeId: MTypeIdBase, creator: Callable[[], Any],
                     initialize: Callable[[], Any], type: int = 0,
                     classification: Optional[str] = None) -> None:
        scene = _scene()
        expect(typeId, self._TYPEID, "MFnPlugin.registerNode(typeName, typeId, ...)")
        if schema.known(typeName):
            raise RuntimeError(f"stand-in registerNode: node type '{typeName}' already exists")
        del _PENDING[:]
        initialize()
        attrs = [a._attr for a in _PENDING if a._attr is not None]
        del _PENDING[:]
        # the stand-in builds one instance now to check its API (Maya builds it at createNode)
        self._check_product(creator(), self._PXNODE, "registerNode")
        bases: Tuple[str, ...] = {2: ("weightGeometryFilter",), 1: ("locator",)}.get(
            type, ("plugin",))
        schema.define(typeName, bases, attrs)
        scene.node_classes[typeName] = {"creator": creator, "id": typeId,
                                        "classification": classification, "kind": type}
        self._info()["nodes"].append(typeName)

    def deregisterNode(self, typeId: MTypeIdBase) -> None:
        expect(typeId, self._TYPEID, "MFnPlugin.deregisterNode(typeId)")
        scene = _scene()
        for name, info in list(scene.node_classes.items()):
            if info["id"].id() == typeId.id():
                del scene.node_classes[name]
                schema.undefine(name)
                self._info()["nodes"].remove(name)
                return
        raise RuntimeError("stand-in deregisterNode: unknown type id")

    def registerCommand(self, commandName: str, creator: Callable[[], Any],
                        syntaxCreator: Optional[Callable[[], Any]] = None) -> None:
        if commandName in registry.COMMANDS:
            raise RuntimeError(f"stand-in registerCommand: command '{commandName}' exists")
        self._check_product(creator(), self._PXCOMMAND, "registerCommand")

        def run(*args: Any, **flags: Any) -> Any:
            from .api2 import MArgList, run_command
            return run_command(creator, syntaxCreator, MArgList._make(list(args), flags))

        registry.COMMANDS[commandName] = run
        self._info()["commands"].append(commandName)

    def deregisterCommand(self, commandName: str) -> None:
        registry.COMMANDS.pop(commandName, None)
        self._info()["commands"].remove(commandName)


class MPxNodeBase:
    """What API 1.0's and 2.0's ``MPxNode`` share (each API subclasses it as its own type)."""

    _API = 0
    _MOBJECT: Type[MObjectBase] = MObjectBase
    kDependNode, kLocatorNode, kDeformerNode = 0, 1, 2

    def __init__(self) -> None:
        self._standin_node: Optional[str] = None

    @classmethod
    def addAttribute(cls, attr: MObjectBase) -> None:
        attr_of(attr, cls._MOBJECT, "MPxNode.addAttribute(attr)")
        add_attribute(attr)

    @classmethod
    def attributeAffects(cls, whenChanges: MObjectBase, isAffected: MObjectBase) -> None:
        attr_of(whenChanges, cls._MOBJECT, "MPxNode.attributeAffects(whenChanges, isAffected)")
        attr_of(isAffected, cls._MOBJECT, "MPxNode.attributeAffects(whenChanges, isAffected)")

    def thisMObject(self) -> MObjectBase:
        return self._MOBJECT(self._standin_node)


def _scene() -> "Scene":
    from .state import current
    return current()


def _plugin_object(api: int, key: str) -> MObjectBase:
    from . import api1, api2
    obj: MObjectBase = (api2.MObject if api == 2 else api1.MObject)()
    obj._plugin = key
    return obj


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
        module.initializePlugin(_plugin_object(info["api"], key))
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
    info["module"].uninitializePlugin(_plugin_object(info["api"], key))
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
