"""Stand-in (NOT Maya) attribute, connection, alias and history commands."""
from __future__ import annotations

from typing import Any, List, Optional

import numpy as np

from . import schema
from .cmds_nodes import world_matrix
from .evaluate import curve_value
from .registry import command
from .scene import MayaError, Node, Scene
from .state import current, flatten_args, only, opt

_ATTR_TYPES = {"double": "double", "float": "float", "long": "long", "short": "short",
               "bool": "bool", "enum": "enum", "message": "message", "double3": "double3",
               "float3": "float3", "matrix": "matrix", "time": "time", "byte": "long"}
_DATA_TYPES = {"string": "string", "matrix": "matrix", "pointArray": "pointArray",
               "componentList": "componentList", "mesh": "mesh", "doubleArray": "doubleArray",
               "Int32Array": "Int32Array"}


def _read(scene: Scene, node: Node, path: str) -> Any:
    spec = scene.leaf_spec(node, path)
    if path.startswith("worldMatrix"):
        return [float(v) for v in world_matrix(scene, node.name).reshape(-1)]
    value = scene.get_value(node, path)
    if spec.kind in ("double3", "float3"):
        return [tuple(float(v) for v in value)]
    if spec.kind == "pointArray":
        if value is None:
            return []
        arr = np.asarray(value, dtype=np.float64).reshape(-1, 4)
        return [tuple(float(v) for v in row) for row in arr]
    if spec.kind == "componentList":
        return list(value or [])
    if spec.kind == "mesh" or spec.kind == "geometry":
        raise NotImplementedError("stand-in getAttr of geometry data")
    if spec.kind == "compound":
        raise NotImplementedError(f"stand-in getAttr of compound/multi {path}")
    return value


@command
def getAttr(plug: str, **flags: Any) -> Any:
    only("getAttr", flags, ("asString", "multiIndices", "size", "type", "time", "silent",
                            "lock", "keyable", "settable"))
    scene = current()
    node, path = scene.split_plug(plug)
    spec = scene.leaf_spec(node, path)
    if flags.get("multiIndices"):
        return opt(scene.indices(node, path))
    if flags.get("size"):
        if spec.multi and not path.endswith("]"):
            return len(scene.indices(node, path))
        value = scene.get_value(node, path)
        return 0 if value is None else len(value)
    if flags.get("type"):
        return {"compound": "TdataCompound"}.get(spec.kind, spec.kind)
    if flags.get("lock"):
        return path in node.data.get("locked_attrs", [])
    if flags.get("keyable"):
        return spec.keyable
    if flags.get("settable"):
        return spec.writable and scene.incoming(f"{node.name}.{path}") is None
    if "time" in flags:
        src = scene.incoming(f"{node.name}.{path}")
        if src and schema.is_a(scene.node(src).type, "animCurve"):
            return curve_value(scene.node(src).data.get("keys", []), float(flags["time"]))
    value = _read(scene, node, path)
    if flags.get("asString") and spec.kind == "enum":
        enum = spec.enum or tuple(node.data.get("enums", {}).get(spec.long, ()))
        return enum[int(value)] if enum else str(value)
    return value


@command
def setAttr(plug: str, *values: Any, **flags: Any) -> None:
    only("setAttr", flags, ("type", "lock", "keyable", "channelBox", "clamp", "size"))
    scene = current()
    node, path = scene.split_plug(plug)
    spec = scene.leaf_spec(node, path)
    full = f"{node.name}.{path}"
    with scene.undoable("setAttr"):
        if "lock" in flags and not values:
            locked = node.data.setdefault("locked_attrs", [])
            if flags["lock"] and path not in locked:
                locked.append(path)
            elif not flags["lock"] and path in locked:
                locked.remove(path)
            return
        if not spec.writable:
            raise MayaError(f"setAttr: The attribute '{full}' is not writable.")
        if scene.incoming(full) is not None or path in node.data.get("locked_attrs", []):
            raise MayaError(f"setAttr: The attribute '{full}' is locked or connected "
                            "and cannot be modified.")
        if spec.multi and not path.endswith("]"):
            raise MayaError(f"setAttr: '{full}' is a multi attribute: give an index")
        typ = flags.get("type")
        kind = spec.kind
        if kind in ("string", "pointArray", "componentList", "matrix") and typ != kind:
            raise MayaError(f"setAttr: '{full}' needs type='{kind}' (got {typ!r})")
        if kind == "string":
            value: Any = "" if not values or values[0] is None else str(values[0])
        elif kind == "pointArray":
            n = int(values[0])
            pts = [tuple(p) for p in values[1:]]
            if len(pts) != n or any(len(p) != 4 for p in pts):
                raise MayaError("setAttr: pointArray needs a count then that many "
                                "(x, y, z, w) tuples")
            value = np.asarray(pts, dtype=np.float64).reshape(-1, 4)
        elif kind == "componentList":
            n = int(values[0])
            comps = [str(c) for c in values[1:]]
            if len(comps) != n:
                raise MayaError("setAttr: componentList needs a count then that many strings")
            value = comps
        elif kind == "matrix":
            flat = list(flatten_args([values]))
            if len(flat) != 16:
                raise MayaError("setAttr: matrix needs 16 values")
            value = [float(v) for v in flat]
        elif kind in ("double3", "float3"):
            flat = [float(v) for v in (values[0] if len(values) == 1 else values)]
            if len(flat) != 3:
                raise MayaError(f"setAttr: '{full}' needs 3 values")
            value = flat
        else:
            if len(values) != 1 or isinstance(values[0], (list, tuple, str)) and kind != "enum":
                raise MayaError(f"setAttr: '{full}' takes one number")
            v = values[0]
            if kind == "bool":
                value = bool(v)
            elif kind in ("long", "short", "enum"):
                value = int(v)
            else:
                value = float(v)
        scene.set_value(node, path, value)


@command
def addAttr(*args: Any, **flags: Any) -> Any:
    only("addAttr", flags, ("longName", "shortName", "dataType", "attributeType", "defaultValue",
                            "keyable", "multi", "minValue", "maxValue", "niceName", "hidden",
                            "enumName", "query", "exists", "parent", "numberOfChildren"))
    scene = current()
    target = list(flatten_args(args))
    if flags.get("query"):
        if flags.get("exists"):
            return scene.exists(target[0])
        raise NotImplementedError("stand-in addAttr query")
    if not target:
        target = scene.state.selection[:1]
    node = scene.node(target[0])
    long_name = flags.get("longName")
    if not long_name:
        raise MayaError("addAttr: a longName is required")
    if schema.long_name(node.type, long_name, node.dynamic):
        raise MayaError(f"addAttr: Found '{node.name}.{long_name}' already exists")
    if "dataType" in flags:
        kind = _DATA_TYPES.get(flags["dataType"])
    else:
        kind = _ATTR_TYPES.get(flags.get("attributeType", "double"))
    if kind is None:
        raise MayaError(f"addAttr: unknown type {flags.get('dataType') or flags.get('attributeType')}")
    default: Any = flags.get("defaultValue", "" if kind == "string" else None if kind in
                             ("message", "pointArray", "componentList", "matrix") else 0.0)
    enum = tuple(str(flags.get("enumName", "")).split(":")) if kind == "enum" else ()
    with scene.undoable("addAttr"):
        node.dynamic[long_name] = schema.Attr(long_name, flags.get("shortName", long_name), kind,
                                              default, multi=bool(flags.get("multi")),
                                              keyable=bool(flags.get("keyable")), enum=enum)
    return None


@command
def deleteAttr(*args: Any, **flags: Any) -> None:
    only("deleteAttr", flags, ())
    scene = current()
    for plug in flatten_args(args):
        node, path = scene.split_plug(plug)
        if path not in node.dynamic:
            raise MayaError(f"deleteAttr: '{plug}' is not a dynamic attribute")
        with scene.undoable("deleteAttr"):
            del node.dynamic[path]
            node.values = {k: v for k, v in node.values.items()
                           if k != path and not k.startswith(path + "[")}
            scene.state.connections = [c for c in scene.state.connections
                                       if f"{node.name}.{path}" not in (c[0], c[1])]


@command
def attributeQuery(attr: str, **flags: Any) -> Any:
    only("attributeQuery", flags, ("node", "exists", "multi", "listEnum", "attributeType"))
    scene = current()
    node = scene.node(flags["node"])
    long_name = schema.long_name(node.type, attr, node.dynamic)
    spec = node.spec(long_name) if long_name else None
    if flags.get("exists"):
        return spec is not None
    if spec is None:
        raise MayaError(f"attributeQuery: No attribute '{attr}' on '{node.name}'")
    if flags.get("multi"):
        return spec.multi
    if flags.get("listEnum"):
        return [":".join(spec.enum)]
    if flags.get("attributeType"):
        return spec.kind
    raise NotImplementedError("stand-in attributeQuery")


@command
def listAttr(*args: Any, **flags: Any) -> Optional[List[str]]:
    only("listAttr", flags, ("userDefined",))
    node = current().node(list(flatten_args(args))[0])
    names = list(node.dynamic) if flags.get("userDefined") else \
        list(schema.attrs_of(node.type)) + list(node.dynamic)
    return opt(names)


@command
def connectAttr(src: str, dst: str, **flags: Any) -> None:
    only("connectAttr", flags, ("force", "nextAvailable"))
    scene = current()
    s, d = scene.canonical(src), scene.canonical(dst)
    node, path = scene.split_plug(d)
    if not scene.leaf_spec(node, path).writable:
        raise MayaError(f"connectAttr: the destination '{dst}' is not writable")
    with scene.undoable("connectAttr"):
        scene.connect(s, d, force=bool(flags.get("force")))


@command
def disconnectAttr(src: str, dst: str, **flags: Any) -> None:
    only("disconnectAttr", flags, ())
    scene = current()
    with scene.undoable("disconnectAttr"):
        scene.disconnect(scene.canonical(src), scene.canonical(dst))


@command
def isConnected(src: str, dst: str, **flags: Any) -> bool:
    only("isConnected", flags, ())
    scene = current()
    return (scene.canonical(src), scene.canonical(dst)) in scene.state.connections


@command
def listConnections(*args: Any, **flags: Any) -> Optional[List[str]]:
    only("listConnections", flags, ("source", "destination", "plugs", "connections", "type",
                                    "shapes", "skipConversionNodes"))
    scene = current()
    src_ok = flags.get("source", True)
    dst_ok = flags.get("destination", True)
    out: List[str] = []
    for name in flatten_args(args):
        mine = scene.canonical(name) if "." in name else None
        node = scene.node(name)
        for a, b in scene.state.connections:
            for here, there, ok in ((b, a, src_ok), (a, b, dst_ok)):
                if not ok:
                    continue
                if (mine and here != mine and not here.startswith(mine + "[")
                        and not here.startswith(mine + ".")) or here.split(".")[0] != node.name:
                    continue
                other = scene.node(there)
                if flags.get("type") and not schema.is_a(other.type, flags["type"]):
                    continue
                item = there if flags.get("plugs") else other.name
                if flags.get("connections"):
                    out += [here, item]
                elif item not in out or flags.get("plugs"):
                    out.append(item)
    return opt(out)


@command
def listHistory(*args: Any, **flags: Any) -> List[str]:
    only("listHistory", flags, ("pruneDagObjects", "future", "levels"))
    scene = current()
    out: List[str] = []
    future = bool(flags.get("future"))
    stack = [scene.node(n).name for n in flatten_args(args)]
    while stack:
        name = stack.pop(0)
        if name in out:
            continue
        out.append(name)
        nxt = []
        for a, b in scene.state.connections:
            here, there = (a, b) if future else (b, a)
            if here.split(".")[0] == name and there.split(".")[0] not in out:
                nxt.append(there.split(".")[0])
        stack = nxt + stack
    if flags.get("pruneDagObjects"):
        out = [n for n in out if not scene.is_dag(n)]
    return out


@command
def aliasAttr(*args: Any, **flags: Any) -> Any:
    only("aliasAttr", flags, ("query", "remove"))
    scene = current()
    items = list(flatten_args(args))
    if flags.get("query"):
        node = scene.node(items[0])
        if "." in items[0]:
            _, path = scene.split_plug(items[0])
            for alias, target in node.aliases.items():
                if target == path:
                    return alias
            return None
        flat: List[str] = []
        for alias, target in node.aliases.items():
            flat += [alias, target]
        return opt(flat)
    with scene.undoable("aliasAttr"):
        if flags.get("remove"):
            node, path = scene.split_plug(items[0])
            node.aliases = {k: v for k, v in node.aliases.items() if v != path}
            return None
        alias, plug = items
        node, path = scene.split_plug(plug)
        if alias in node.aliases or schema.long_name(node.type, alias, node.dynamic):
            raise MayaError(f"aliasAttr: '{alias}' is already used on '{node.name}'")
        node.aliases = {k: v for k, v in node.aliases.items() if v != path}
        node.aliases[alias] = path
    return None

