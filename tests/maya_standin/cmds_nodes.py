"""Stand-in (NOT Maya) node, DAG, namespace, selection and transform commands."""
from __future__ import annotations

import fnmatch
import re
from typing import Any, List, Optional

import numpy as np

from . import schema
from .registry import command
from .scene import MayaError, NoObjectError, Scene
from .state import current, flatten_args, one, only, opt, short

_COMP = re.compile(r"^(?P<node>[^.]+)\.vtx\[(?P<a>\d+|\*)(?::(?P<b>\d+))?\]$")


def _create(scene: Scene, typ: str, name: Optional[str], parent: Optional[str]) -> str:
    if not schema.known(typ):
        raise MayaError(f"createNode: Unknown object type: {typ}")
    # outside any command (MFnMesh.create) a new node is an API edit, which undo keeps
    api = not scene.in_command
    if schema.is_a(typ, "shape") and parent is None:
        made = scene.add_node(scene.unique_name(scene.qualify("transform1")), "transform")
        made.api_name = made.name if api else ""
        parent = made.name
    base = scene.qualify(name) if name else typ + "1"
    node = scene.add_node(scene.unique_name(base), typ,
                          parent=scene.node(parent).name if parent else None)
    node.api_name = node.name if api else ""
    if typ in scene.node_classes:
        from .api_plugin import instantiate
        instantiate(scene, node.name)
    return node.name


@command
def createNode(typ: str, **flags: Any) -> str:
    only("createNode", flags, ("name", "parent", "skipSelect", "shared"))
    scene = current()
    with scene.undoable("createNode"):
        name = _create(scene, typ, flags.get("name"), flags.get("parent"))
        if not flags.get("skipSelect"):
            scene.state.selection = [name]
        return name


@command
def objExists(name: str) -> bool:
    return current().exists(str(name))


@command
def nodeType(name: str, **flags: Any) -> Any:
    only("nodeType", flags, ("inherited", "apiType", "isTypeName"))
    scene = current()
    typ = name if flags.get("isTypeName") else scene.node(name).type
    if flags.get("inherited"):
        return list(reversed([t for t in schema.ancestry(typ) if t not in ("plugin",)]))
    return typ


def _delete_node(scene: Scene, name: str) -> None:
    node = scene.node(name)
    if schema.is_a(node.type, "geometryFilter"):  # reconnect the chain around it
        for k in scene.indices(node, "outputGeometry"):
            src = scene.incoming(f"{node.name}.input[{k}].inputGeometry")
            for dst in scene.outgoing(f"{node.name}.outputGeometry[{k}]"):
                scene.disconnect(f"{node.name}.outputGeometry[{k}]", dst)
                if src is not None:
                    scene.connect(src, dst)
    from .cmds_deform import bake_live_targets
    for name in [node.name] + _descendants(scene, node.name):
        if scene.nodes[name].type == "mesh":  # a deleted live target keeps its deltas
            bake_live_targets(scene, name)
    scene.remove_node(node.name)


def _descendants(scene: Scene, name: str) -> List[str]:
    out, stack = [], list(scene.children(name))
    while stack:
        c = stack.pop(0)
        out.append(c)
        stack += scene.children(c)
    return out


@command
def delete(*names: Any, **flags: Any) -> None:
    only("delete", flags, ())
    scene = current()
    targets = list(flatten_args(names)) or list(scene.state.selection)
    if not targets:
        raise MayaError("delete: Not enough objects or values.")
    with scene.undoable("delete"):
        for name in targets:
            if scene.exists(name):
                _delete_node(scene, name)
            else:
                raise NoObjectError(f"No object matches name: {name}")


@command
def rename(old: str, new: str, **flags: Any) -> str:
    only("rename", flags, ())
    scene = current()
    node = scene.node(old)
    if node.referenced:
        raise MayaError(f"Cannot rename a read-only node '{old}'.")
    with scene.undoable("rename"):
        new = scene.unique_name(scene.qualify(new))
        if ":" in new and new.rsplit(":", 1)[0] not in scene.state.namespaces:
            raise MayaError(f"Namespace '{new.rsplit(':', 1)[0]}' does not exist")
        st = scene.state
        st.nodes[new] = st.nodes.pop(node.name)
        st.order[st.order.index(node.name)] = new
        for other in st.nodes.values():
            if other.parent == node.name:
                other.parent = new

        def fix(plug: str) -> str:
            head, _, tail = plug.partition(".")
            return new + "." + tail if head == node.name else plug

        st.connections = [(fix(a), fix(b)) for a, b in st.connections]
        st.selection = [new if s == node.name else s for s in st.selection]
        if node.name in scene.instances:
            scene.instances[new] = scene.instances.pop(node.name)
        node.name = new
        return new


def _expand(scene: Scene, pattern: str, flatten: bool) -> List[str]:
    m = _COMP.match(pattern)
    if m:
        node = scene.node(m.group("node"))
        shape = node
        if node.type == "transform":
            shapes = [c for c in scene.children(node.name) if scene.nodes[c].type == "mesh"
                      and not scene.nodes[c].values.get("intermediateObject")]
            shape = scene.nodes[shapes[0]]
        owner = shape.parent or shape.name
        count = len(scene.mesh_data(shape.name)["points"])
        if m.group("a") == "*":
            a, b = 0, count - 1
        else:
            a = int(m.group("a"))
            b = int(m.group("b")) if m.group("b") else a
        if b >= count:
            raise NoObjectError(f"No object matches name: {pattern}")
        if flatten:
            return [f"{owner}.vtx[{i}]" for i in range(a, b + 1)]
        return [f"{owner}.vtx[{a}]" if a == b else f"{owner}.vtx[{a}:{b}]"]
    if "." in pattern:
        return [scene.canonical(pattern)] if scene.exists(pattern) else []
    key = pattern.split("|")[-1]
    if any(ch in key for ch in "*?"):
        return [n for n in scene.state.order if fnmatch.fnmatchcase(n, key)]
    return [scene.node(key).name] if scene.exists(key) else []


@command
def ls(*args: Any, **flags: Any) -> List[str]:
    only("ls", flags, ("type", "long", "selection", "orderedSelection", "flatten", "transforms",
                       "shapes", "dagObjects", "intermediateObjects", "noIntermediate",
                       "referencedNodes", "exactType", "readOnly"))
    scene = current()
    if flags.get("selection") or flags.get("orderedSelection"):
        names = list(scene.state.selection)
        items: List[str] = []
        for n in names:
            items += _expand(scene, n, bool(flags.get("flatten"))) if "." in n else [n]
    elif args:
        items = []
        for pat in flatten_args(args):
            found = _expand(scene, pat, bool(flags.get("flatten")))
            if flags.get("dagObjects"):  # with objects: them and everything below them
                found = [x for n in found for x in [n] + ([] if "." in n else
                                                          _descendants(scene, n))]
            items += found
    else:
        items = list(scene.state.order)
    types = flags.get("type")
    if isinstance(types, str):
        types = [types]
    out: List[str] = []
    for item in items:
        if "." in item:
            out.append(item)
            continue
        node = scene.node(item)
        if types and not any(schema.is_a(node.type, t) for t in types):
            continue
        if flags.get("exactType") and node.type != flags["exactType"]:
            continue
        if flags.get("transforms") and not schema.is_a(node.type, "transform"):
            continue
        if flags.get("shapes") and not schema.is_a(node.type, "shape"):
            continue
        if flags.get("dagObjects") and not scene.is_dag(node.name):
            continue
        io = bool(node.values.get("intermediateObject"))
        if (flags.get("intermediateObjects") and not io) or (flags.get("noIntermediate") and io):
            continue
        if (flags.get("referencedNodes") or flags.get("readOnly")) and not node.referenced:
            continue
        out.append(short(scene, node.name, bool(flags.get("long"))))
    return out


@command
def listRelatives(*args: Any, **flags: Any) -> Optional[List[str]]:
    only("listRelatives", flags, ("shapes", "children", "parent", "allDescendents", "fullPath",
                                  "type", "noIntermediate", "path", "allParents"))
    scene = current()
    out: List[str] = []
    for name in flatten_args(args):
        node = scene.node(name)
        if flags.get("parent") or flags.get("allParents"):
            found = [node.parent] if node.parent else []
        elif flags.get("allDescendents"):
            found, stack = [], list(scene.children(node.name))
            while stack:
                c = stack.pop(0)
                found.append(c)
                stack += scene.children(c)
            found.reverse()
        else:
            found = scene.children(node.name)
        for c in found:
            cn = scene.nodes[c]
            if flags.get("shapes") and not schema.is_a(cn.type, "shape"):
                continue
            if flags.get("type") and not any(schema.is_a(cn.type, t) for t in
                                             ([flags["type"]] if isinstance(flags["type"], str)
                                              else flags["type"])):
                continue
            if flags.get("noIntermediate") and cn.values.get("intermediateObject"):
                continue
            out.append(short(scene, c, bool(flags.get("fullPath") or flags.get("path"))))
    return opt(out)


@command
def select(*args: Any, **flags: Any) -> None:
    only("select", flags, ("replace", "add", "clear", "deselect", "noExpand"))
    scene = current()
    items: List[str] = []
    for pat in flatten_args(args):
        found = _expand(scene, pat, False)
        if not found:
            raise NoObjectError(f"No object matches name: {pat}")
        items += found
    with scene.undoable("select"):  # selection changes are undoable in Maya
        if flags.get("clear"):
            scene.state.selection = []
        elif flags.get("add"):
            scene.state.selection += [i for i in items if i not in scene.state.selection]
        elif flags.get("deselect"):
            scene.state.selection = [s for s in scene.state.selection if s not in items]
        else:
            scene.state.selection = items


@command
def namespace(**flags: Any) -> Any:
    only("namespace", flags, ("addNamespace", "setNamespace", "exists", "removeNamespace",
                              "parent", "query", "deleteNamespaceContent",
                              "mergeNamespaceWithRoot"))
    scene = current()
    st = scene.state
    if "exists" in flags:
        return str(flags["exists"]).strip(":") in st.namespaces
    if flags.get("query"):
        raise NotImplementedError("stand-in: namespace(query=True) not implemented")
    if "addNamespace" in flags:
        with scene.undoable("namespace"):
            parent = str(flags.get("parent", "")).strip(":")
            ns = (parent + ":" if parent else "") + str(flags["addNamespace"]).strip(":")
            if ns in st.namespaces:
                raise MayaError(f"Namespace '{ns}' is already in use.")
            st.namespaces.append(ns)
            return ns
    if "setNamespace" in flags:
        ns = str(flags["setNamespace"]).strip(":")
        if ns and ns not in st.namespaces:
            raise MayaError(f"Namespace '{ns}' not found.")
        st.current_namespace = ns
        return None
    if "removeNamespace" in flags:
        with scene.undoable("namespace"):
            ns = str(flags["removeNamespace"]).strip(":")
            members = [n for n in st.order if n.startswith(ns + ":")]
            if members and not flags.get("deleteNamespaceContent"):
                raise MayaError(f"Namespace '{ns}' is not empty.")
            for n in members:
                if n in st.nodes:
                    _delete_node(scene, n)
            st.namespaces.remove(ns)
        return None
    raise NotImplementedError(f"stand-in: namespace{flags} not implemented")


@command
def referenceQuery(name: str, **flags: Any) -> Any:
    only("referenceQuery", flags, ("isNodeReferenced", "filename", "namespace"))
    node = current().node(name)
    if flags.get("isNodeReferenced"):
        return node.referenced
    if not node.referenced:
        raise MayaError(f"referenceQuery: '{name}' is not from a referenced file.")
    if flags.get("filename"):
        return node.reference_file
    if flags.get("namespace"):
        return ":" + node.name.rsplit(":", 1)[0]
    raise NotImplementedError("stand-in referenceQuery")


@command
def lockNode(*args: Any, **flags: Any) -> Any:
    only("lockNode", flags, ("lock", "query"))
    scene = current()
    nodes = [scene.node(n) for n in flatten_args(args)]
    if flags.get("query"):
        return [n.locked for n in nodes]
    with scene.undoable("lockNode"):
        for n in nodes:
            n.locked = bool(flags.get("lock", True))
    return None


# ------------------------------------------------------------------ transforms
def _euler(r: Any) -> np.ndarray:
    x, y, z = np.radians(np.asarray(r, dtype=np.float64))
    rx = np.array([[1, 0, 0], [0, np.cos(x), np.sin(x)], [0, -np.sin(x), np.cos(x)]])
    ry = np.array([[np.cos(y), 0, -np.sin(y)], [0, 1, 0], [np.sin(y), 0, np.cos(y)]])
    rz = np.array([[np.cos(z), np.sin(z), 0], [-np.sin(z), np.cos(z), 0], [0, 0, 1]])
    return rx @ ry @ rz  # row-vector convention, rotate order xyz


def local_matrix(scene: Scene, name: str) -> np.ndarray:
    node = scene.node(name)
    m = np.eye(4)
    if schema.is_a(node.type, "transform"):
        t = scene.get_value(node, "translate")
        r = scene.get_value(node, "rotate")
        s = scene.get_value(node, "scale")
        m[:3, :3] = np.diag(s) @ _euler(r)
        m[3, :3] = t
    return m


def world_matrix(scene: Scene, name: str) -> np.ndarray:
    node = scene.node(name)
    m = local_matrix(scene, node.name)
    while node.parent:
        node = scene.nodes[node.parent]
        m = m @ local_matrix(scene, node.name)
    return m


@command
def xform(*args: Any, **flags: Any) -> Any:
    only("xform", flags, ("query", "matrix", "translation", "rotation", "scale", "worldSpace",
                          "objectSpace", "absolute", "relative"))
    scene = current()
    name = one(args, "xform")
    node = scene.node(name)
    if flags.get("query"):
        m = world_matrix(scene, name) if flags.get("worldSpace") else local_matrix(scene, name)
        if flags.get("matrix"):
            return [float(v) for v in m.reshape(-1)]
        if flags.get("translation"):
            return [float(v) for v in m[3, :3]]
        for attr in ("rotation", "scale"):
            if flags.get(attr):
                return [float(v) for v in scene.get_value(node, "rotate" if attr == "rotation"
                                                          else "scale")]
        raise NotImplementedError("stand-in xform query")
    with scene.undoable("xform"):
        for flag, attr in (("translation", "translate"), ("rotation", "rotate"), ("scale", "scale")):
            if flag in flags:
                value = [float(v) for v in flags[flag]]
                if flags.get("relative"):
                    value = [a + b for a, b in zip(scene.get_value(node, attr), value)]
                scene.set_value(node, attr, value)
    return None


@command
def duplicate(*args: Any, **flags: Any) -> List[str]:
    only("duplicate", flags, ("name", "returnRootsOnly"))
    scene = current()
    src = scene.node(one(args, "duplicate"))
    with scene.undoable("duplicate"):
        new = _create(scene, src.type, flags.get("name") or src.name.split(":")[-1] + "1", None)
        copy_values(scene, src.name, new)
        for child in scene.children(src.name):
            cn = scene.nodes[child]
            shape = _create(scene, cn.type, new.split(":")[-1] + "Shape", new)
            copy_values(scene, child, shape)
            if cn.type == "mesh":
                data = scene.mesh_data(child)
                scene.nodes[shape].data["mesh"] = {
                    "points": scene.mesh_points(child),
                    "face_counts": data["face_counts"].copy(),
                    "face_indices": data["face_indices"].copy()}
        scene.state.selection = [new]
        return [new]


def copy_values(scene: Scene, src: str, dst: str) -> None:
    import copy as _copy
    a, b = scene.node(src), scene.node(dst)
    b.values = _copy.deepcopy(a.values)
    b.dynamic = _copy.deepcopy(a.dynamic)
