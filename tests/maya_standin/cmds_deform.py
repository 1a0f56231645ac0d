"""Stand-in (NOT Maya) deformer commands: blendShape, deformer, skinCluster, joint.

Deformers are chained like Maya does it: the first deformer on a shape creates an
intermediate ``<shape>Orig`` mesh; ``Orig.outMesh -> d1.input[0].inputGeometry``,
``d1.outputGeometry[0] -> d2.input[0].inputGeometry`` ... ``dN.outputGeometry[0] ->
shape.inMesh``.  ``frontOfChain`` inserts right after the Orig shape; otherwise the new
deformer goes last (Maya's default).  :func:`chain` lists the order for tests.
"""
from __future__ import annotations

from typing import Any, List, Tuple

import numpy as np

from . import schema
from .cmds_nodes import _create
from .deformer_data import set_members, split_components
from .evaluate import deformer_input, evaluate_plug
from .registry import command
from .scene import MayaError, Scene
from .state import current, flatten_args, only, opt


def visible_shape(scene: Scene, name: str) -> str:
    node = scene.node(name)
    if node.type == "mesh":
        return node.name
    for child in scene.children(node.name):
        cn = scene.nodes[child]
        if cn.type == "mesh" and not cn.values.get("intermediateObject"):
            return child
    raise MayaError(f"'{name}' has no mesh shape")


def chain(scene: Scene, shape: str) -> List[str]:
    """Deformers feeding ``shape``, upstream (first applied) to downstream."""
    out: List[str] = []
    src = scene.incoming(f"{scene.node(shape).name}.inMesh")
    while src is not None:
        node = scene.node(src)
        if not schema.is_a(node.type, "geometryFilter"):
            break
        out.append(node.name)
        idx = src.split("[")[-1].rstrip("]")
        src = scene.incoming(f"{node.name}.input[{idx}].inputGeometry")
    return list(reversed(out))


def insert(scene: Scene, deformer: str, shape: str, front: bool) -> None:
    node = scene.node(shape)
    existing = scene.incoming(f"{node.name}.inMesh")
    if existing is None:
        orig = _create(scene, "mesh", node.name.split(":")[-1] + "Orig", node.parent)
        on = scene.nodes[orig]
        on.values["intermediateObject"] = True
        data = scene.mesh_data(node.name)
        on.data["mesh"] = {k: np.array(v) for k, v in data.items()}
        scene.connect(f"{orig}.outMesh", f"{deformer}.input[0].inputGeometry")
        scene.connect(f"{deformer}.outputGeometry[0]", f"{node.name}.inMesh")
        return
    if front:
        first = chain(scene, node.name)
        if first:
            head = first[0]
            dst = f"{head}.input[0].inputGeometry"
            src = scene.incoming(dst)
            assert src is not None
            scene.disconnect(src, dst)
            scene.connect(src, f"{deformer}.input[0].inputGeometry")
            scene.connect(f"{deformer}.outputGeometry[0]", dst)
            return
    scene.disconnect(existing, f"{node.name}.inMesh")
    scene.connect(existing, f"{deformer}.input[0].inputGeometry")
    scene.connect(f"{deformer}.outputGeometry[0]", f"{node.name}.inMesh")


def geometry_of(scene: Scene, deformer: str) -> List[str]:
    out = []
    node = scene.node(deformer)
    for k in scene.indices(node, "outputGeometry"):
        for dst in scene.outgoing(f"{node.name}.outputGeometry[{k}]"):
            n = scene.node(dst)
            while schema.is_a(n.type, "geometryFilter"):
                nxt = scene.outgoing(f"{n.name}.outputGeometry[0]")
                if not nxt:
                    break
                n = scene.node(nxt[0])
            if n.type == "mesh":
                out.append(n.name)
    return out


def _add_target(scene: Scene, bs: str, base: str, index: int, target: str, value: float,
                inbetween: bool, topology_check: bool) -> None:
    node = scene.node(bs)
    tshape = visible_shape(scene, target)
    n_base = len(scene.mesh_data(visible_shape(scene, base))["points"])
    if topology_check and len(scene.mesh_data(tshape)["points"]) != n_base:
        raise MayaError(f"blendShape: target '{target}' does not match the base topology")
    item = int(round(5000 + 1000 * value))
    if not 5000 < item <= 6000 and not inbetween:
        raise MayaError("blendShape: the full target value must be in (0, 1]")
    items = scene.indices(node, f"inputTarget[0].inputTargetGroup[{index}].inputTargetItem")
    if inbetween and not items:
        raise MayaError(f"blendShape: no target at index {index} to add an in-between to")
    if not inbetween and items:
        raise MayaError(f"blendShape: target index {index} is already in use")
    plug = f"{bs}.inputTarget[0].inputTargetGroup[{index}].inputTargetItem[{item}].inputGeomTarget"
    scene.connect(f"{tshape}.worldMesh[0]", plug)
    if not inbetween:
        alias = scene.node(target).name.split(":")[-1]
        if alias in node.aliases:
            raise MayaError(f"blendShape: an alias named '{alias}' already exists on {bs}")
        node.values[f"weight[{index}]"] = 0.0
        node.aliases[alias] = f"weight[{index}]"


@command
def blendShape(*args: Any, **flags: Any) -> Any:
    only("blendShape", flags, ("edit", "query", "name", "frontOfChain", "origin", "topologyCheck",
                               "target", "weight", "inBetween", "weightCount", "geometry",
                               "inBetweenType"))
    scene = current()
    objs = list(flatten_args(args))
    if flags.get("query"):
        node = scene.node(objs[0])
        if flags.get("weightCount"):
            return len(scene.indices(node, "weight"))
        if flags.get("geometry"):
            return opt(geometry_of(scene, node.name))
        if flags.get("weight"):
            return [float(scene.get_value(node, f"weight[{i}]"))
                    for i in scene.indices(node, "weight")]
        if flags.get("target"):
            found = []
            for a, b in scene.state.connections:
                if b.startswith(node.name + ".inputTarget[") and b.endswith("inputGeomTarget"):
                    found.append(scene.node(a).parent or a.split(".")[0])
            return opt(found)
        raise NotImplementedError("stand-in blendShape query")
    if flags.get("edit"):
        node = scene.node(objs[0])
        if node.type != "blendShape":
            raise MayaError(f"blendShape: '{objs[0]}' is not a blendShape node")
        with scene.undoable("blendShape"):
            if "target" in flags:
                tgts: Any = flags["target"]
                if isinstance(tgts, tuple):
                    tgts = [tgts]
                for base, index, target, value in tgts:
                    _add_target(scene, node.name, base, int(index), target, float(value),
                                bool(flags.get("inBetween")), True)
            if "weight" in flags:
                ws: Any = flags["weight"]
                for index, value in ([ws] if isinstance(ws, tuple) else ws):
                    node.values[f"weight[{int(index)}]"] = float(value)
        return None
    if not objs:
        objs = list(scene.state.selection)
    if not objs:
        raise MayaError("blendShape: no base object given or selected")
    base, targets = objs[-1], objs[:-1]
    with scene.undoable("blendShape"):
        shape = visible_shape(scene, base)
        name = _create(scene, "blendShape", flags.get("name") or "blendShape1", None)
        origin = flags.get("origin", "local")
        scene.nodes[name].values["origin"] = 0 if origin == "world" else 1
        scene.nodes[name].values["topologyCheck"] = bool(flags.get("topologyCheck", True))
        insert(scene, name, shape, bool(flags.get("frontOfChain")))
        for j, tgt in enumerate(targets):
            _add_target(scene, name, base, j, tgt, 1.0, False,
                        bool(flags.get("topologyCheck", True)))
        return [name]


@command
def deformer(*args: Any, **flags: Any) -> List[str]:
    only("deformer", flags, ("type", "name", "frontOfChain"))
    scene = current()
    objs = list(flatten_args(args)) or list(scene.state.selection)
    typ = flags.get("type")
    if not typ or not schema.known(typ) or not schema.is_a(typ, "geometryFilter"):
        raise MayaError(f"deformer: '{typ}' is not a known deformer type")
    with scene.undoable("deformer"):
        name = _create(scene, typ, flags.get("name") or typ + "1", None)
        for obj, ids in split_components(scene, objs):  # "plane.vtx[0:5]": those members only
            insert(scene, name, visible_shape(scene, obj), bool(flags.get("frontOfChain")))
            set_members(scene, name, 0, ids)
        return [name]


@command
def joint(*args: Any, **flags: Any) -> str:
    only("joint", flags, ("name", "position"))
    scene = current()
    with scene.undoable("joint"):
        sel = scene.state.selection
        parent = sel[0] if sel and scene.exists(sel[0]) and scene.node(sel[0]).type == "joint" \
            else None
        name = _create(scene, "joint", flags.get("name") or "joint1", parent)
        if "position" in flags:
            scene.set_value(scene.nodes[name], "translate", [float(v) for v in flags["position"]])
        scene.state.selection = [name]
        return name


@command
def skinCluster(*args: Any, **flags: Any) -> List[str]:
    only("skinCluster", flags, ("toSelectedBones", "name", "frontOfChain", "bindMethod",
                                "maximumInfluences"))
    scene = current()
    objs = list(flatten_args(args)) or list(scene.state.selection)
    joints = [o for o in objs if scene.node(o).type == "joint"]
    geos = [o for o in objs if scene.node(o).type != "joint"]
    if not joints or len(geos) != 1:
        raise MayaError("skinCluster: give the joints and one geometry")
    with scene.undoable("skinCluster"):
        name = _create(scene, "skinCluster", flags.get("name") or "skinCluster1", None)
        for i, j in enumerate(joints):
            scene.connect(f"{scene.node(j).name}.worldMatrix[0]", f"{name}.matrix[{i}]")
        insert(scene, name, visible_shape(scene, geos[0]), bool(flags.get("frontOfChain")))
        return [name]


def bake_live_targets(scene: Scene, mesh: str) -> None:
    """Maya keeps a deleted target's shape in the blendShape: bake igt into ipt/ict."""
    plugs = [p for p in list(scene.state.connections)
             if p[0].split(".")[0] == mesh and p[1].endswith(".inputGeomTarget")]
    for src, dst in plugs:
        bs = dst.split(".")[0]
        geo = int(dst.split("inputTarget[")[1].split("]")[0])
        base = deformer_input(scene, bs, geo)
        pts = np.asarray(evaluate_plug(scene, src), dtype=np.float64)
        delta = pts - base
        idx = np.nonzero(np.any(np.abs(delta) > 0, axis=1))[0]
        item = dst[: -len(".inputGeomTarget")].split(".", 1)[1]
        node = scene.node(bs)
        node.values[item + ".inputPointsTarget"] = np.hstack(
            [delta[idx], np.ones((len(idx), 1))])
        node.values[item + ".inputComponentsTarget"] = [f"vtx[{i}]" for i in idx]
        scene.disconnect(src, dst)


def target_items(scene: Scene, bs: str) -> List[Tuple[int, int]]:
    node = scene.node(bs)
    out = []
    for t in scene.indices(node, "inputTarget[0].inputTargetGroup"):
        for i in scene.indices(node, f"inputTarget[0].inputTargetGroup[{t}].inputTargetItem"):
            out.append((t, i))
    return out

