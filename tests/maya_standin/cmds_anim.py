"""Stand-in (NOT Maya) animation commands: keys, tangents, layers, time units.

A keyed plug gets an ``animCurveTU`` node (``<node>_<attr>``) whose ``output`` drives the
plug; keys are ``[time, value, inTangentType, outTangentType]`` in the scene's current
time unit.  Keys set on an animation layer go to a separate curve per (layer, plug),
found with ``animLayer(layer, query=True, findCurveForPlug=plug)`` as in Maya.
"""
from __future__ import annotations

import re
from typing import Any, List, Optional

import numpy as np

from . import schema
from .cmds_nodes import _create
from .registry import command
from .scene import MayaError, Scene
from .state import current, flatten_args, only, opt

TANGENTS = ("spline", "linear", "fast", "slow", "flat", "step", "stepnext", "fixed", "clamped",
            "plateau", "auto", "autoease", "automix", "autocustom")
UNITS = ("game", "film", "pal", "ntsc", "show", "palf", "ntscf", "sec", "millisec",
         "23.976fps", "29.97fps", "29.97df", "47.952fps", "59.94fps")


def _plug(scene: Scene, target: str, attribute: Optional[str]) -> str:
    return scene.canonical(f"{target}.{attribute}" if attribute else target)


def _curve_name(scene: Scene, plug: str, layer: Optional[str]) -> str:
    node_name, path = plug.split(".", 1)
    node = scene.node(node_name)
    label = next((a for a, p in node.aliases.items() if p == path), None) or \
        re.sub(r"[\[\].]", "_", path).strip("_")
    base = f"{node_name.split(':')[-1]}_{label}" + (f"_{layer}" if layer else "")
    return scene.unique_name(base)


def find_curve(scene: Scene, plug: str, layer: Optional[str] = None) -> Optional[str]:
    if layer and layer != "BaseAnimation":
        for name in scene.state.order:
            n = scene.nodes[name]
            if schema.is_a(n.type, "animCurve") and n.data.get("layer") == layer \
                    and n.data.get("plug") == plug:
                return name
        return None
    src = scene.incoming(plug)
    if src and schema.is_a(scene.node(src).type, "animCurve"):
        return scene.node(src).name
    return None


def _time(value: Any) -> float:
    if isinstance(value, (list, tuple)):
        if len(value) == 2 and value[0] != value[1]:
            raise NotImplementedError("stand-in: time ranges")
        value = value[0]
    return float(value)


@command
def setKeyframe(*args: Any, **flags: Any) -> int:
    only("setKeyframe", flags, ("attribute", "time", "value", "inTangentType", "outTangentType",
                                "animLayer"))
    scene = current()
    targets = list(flatten_args(args)) or list(scene.state.selection)
    for key in ("inTangentType", "outTangentType"):
        if key in flags and flags[key] not in TANGENTS:
            raise MayaError(f"setKeyframe: invalid {key} '{flags[key]}'")
    layer = flags.get("animLayer")
    count = 0
    with scene.undoable("setKeyframe"):
        for target in targets:
            plug = _plug(scene, target, flags.get("attribute"))
            node, path = scene.split_plug(plug)
            if layer and layer != "BaseAnimation":
                lay = scene.node(layer)
                if lay.type != "animLayer":
                    raise MayaError(f"setKeyframe: '{layer}' is not an animation layer")
                if plug not in lay.data.get("attributes", []):
                    raise MayaError(f"setKeyframe: '{plug}' is not in layer '{layer}'")
            else:
                src = scene.incoming(plug)
                if src and not schema.is_a(scene.node(src).type, "animCurve"):
                    raise MayaError(f"setKeyframe: '{plug}' is connected and cannot be keyed")
            curve = find_curve(scene, plug, layer)
            if curve is None:
                curve = _create(scene, "animCurveTU", _curve_name(scene, plug, layer), None)
                scene.nodes[curve].data.update({"keys": [], "plug": plug, "layer": layer})
                if not layer or layer == "BaseAnimation":
                    scene.connect(f"{curve}.output", plug)
            t = _time(flags["time"]) if "time" in flags else scene.state.current_time
            v = float(flags["value"]) if "value" in flags else float(scene.get_value(node, path))
            keys = [k for k in scene.nodes[curve].data["keys"] if k[0] != t]
            keys.append([t, v, flags.get("inTangentType", "auto"),
                         flags.get("outTangentType", "auto")])
            keys.sort(key=lambda k: k[0])
            scene.nodes[curve].data["keys"] = keys
            count += 1
    return count


def _curves_for(scene: Scene, args: Any, flags: Any) -> List[str]:
    out = []
    for target in flatten_args(args):
        node = scene.node(target)
        if schema.is_a(node.type, "animCurve") and "." not in target:
            out.append(node.name)
            continue
        curve = find_curve(scene, _plug(scene, target, flags.get("attribute")))
        if curve:
            out.append(curve)
    return out


@command
def keyframe(*args: Any, **flags: Any) -> Any:
    only("keyframe", flags, ("query", "timeChange", "valueChange", "keyframeCount", "attribute"))
    scene = current()
    if not flags.get("query"):
        raise NotImplementedError("stand-in: keyframe edit")
    keys: List[List[Any]] = []
    for curve in _curves_for(scene, args, flags):
        keys += scene.nodes[curve].data["keys"]
    if flags.get("keyframeCount"):
        return len(keys)
    if flags.get("timeChange"):
        return opt([k[0] for k in keys])
    if flags.get("valueChange"):
        return opt([k[1] for k in keys])
    raise NotImplementedError("stand-in keyframe query")


@command
def keyTangent(*args: Any, **flags: Any) -> Any:
    only("keyTangent", flags, ("query", "inTangentType", "outTangentType", "attribute"))
    scene = current()
    if not flags.get("query"):
        raise NotImplementedError("stand-in: keyTangent edit")
    keys: List[List[Any]] = []
    for curve in _curves_for(scene, args, flags):
        keys += scene.nodes[curve].data["keys"]
    if flags.get("inTangentType"):
        return opt([k[2] for k in keys])
    if flags.get("outTangentType"):
        return opt([k[3] for k in keys])
    raise NotImplementedError("stand-in keyTangent query")


@command
def cutKey(*args: Any, **flags: Any) -> int:
    only("cutKey", flags, ("attribute", "clear", "time"))
    scene = current()
    lo, hi = -np.inf, np.inf
    if "time" in flags:
        t = flags["time"]
        lo, hi = (float(t[0]), float(t[-1])) if isinstance(t, (list, tuple)) else (float(t),) * 2
    n = 0
    with scene.undoable("cutKey"):
        for curve in _curves_for(scene, args, flags):
            keys = scene.nodes[curve].data["keys"]
            kept = [k for k in keys if not lo <= k[0] <= hi]
            n += len(keys) - len(kept)
            if kept:
                scene.nodes[curve].data["keys"] = kept
            else:  # Maya deletes a curve whose last key is cut
                scene.remove_node(curve)
    return n


@command
def animLayer(*args: Any, **flags: Any) -> Any:
    only("animLayer", flags, ("edit", "query", "attribute", "findCurveForPlug", "exists", "root",
                              "parent", "removeAttribute"))
    scene = current()
    names = list(flatten_args(args))
    if flags.get("query"):
        if flags.get("root"):
            return "BaseAnimation" if scene.exists("BaseAnimation") else None
        if flags.get("exists"):
            return bool(names) and scene.exists(names[0]) and \
                scene.node(names[0]).type == "animLayer"
        layer = scene.node(names[0])
        if flags.get("attribute"):
            return opt(list(layer.data.get("attributes", [])))
        if "findCurveForPlug" in flags:
            curve = find_curve(scene, scene.canonical(flags["findCurveForPlug"]), layer.name)
            return opt([curve] if curve else [])
        raise NotImplementedError("stand-in animLayer query")
    if flags.get("edit"):
        layer = scene.node(names[0])
        with scene.undoable("animLayer"):
            attrs = layer.data.setdefault("attributes", [])
            for key, add in (("attribute", True), ("removeAttribute", False)):
                plugs = flags.get(key)
                if plugs is None:
                    continue
                for p in [plugs] if isinstance(plugs, str) else plugs:
                    c = scene.canonical(p)
                    if add and c not in attrs:
                        attrs.append(c)
                    elif not add and c in attrs:
                        attrs.remove(c)
        return None
    with scene.undoable("animLayer"):
        if not scene.exists("BaseAnimation"):
            scene.add_node("BaseAnimation", "animLayer")
        name = _create(scene, "animLayer", names[0] if names else "AnimLayer1", None)
        scene.nodes[name].data["parent"] = flags.get("parent", "BaseAnimation")
        return name


@command
def currentUnit(**flags: Any) -> Any:
    only("currentUnit", flags, ("query", "time", "linear", "fullName", "updateAnimation"))
    st = current().state
    if flags.get("query"):
        if flags.get("time"):
            return st.time_unit
        if flags.get("linear"):
            return {"cm": "centimeter", "mm": "millimeter", "m": "meter"}.get(
                st.linear_unit, st.linear_unit) if flags.get("fullName") else st.linear_unit
        raise NotImplementedError("stand-in currentUnit query")
    if "time" in flags:
        unit = str(flags["time"])
        if unit not in UNITS and not re.match(r"^\d+(\.\d+)?fps$", unit):
            raise MayaError(f"currentUnit: invalid time unit '{unit}'")
        st.time_unit = unit
    if "linear" in flags:
        if flags["linear"] not in ("mm", "cm", "m", "km", "in", "ft", "yd", "mi"):
            raise MayaError(f"currentUnit: invalid linear unit '{flags['linear']}'")
        st.linear_unit = flags["linear"]
    return None


@command
def currentTime(*args: Any, **flags: Any) -> Any:
    only("currentTime", flags, ("query", "edit", "update"))
    st = current().state
    if flags.get("query"):
        return st.current_time
    if args:
        st.current_time = float(args[0])
    return st.current_time
