"""Stand-in (NOT Maya): selection preferences, sets and multi-instance removal."""
from __future__ import annotations

from typing import Any

from .registry import command, on_reset
from .scene import MayaError
from .state import current, flatten_args, only

PREFS = {"trackSelectionOrder": False}


@on_reset
def _reset_prefs() -> None:
    PREFS["trackSelectionOrder"] = False


@command
def selectPref(**flags: Any) -> Any:
    only("selectPref", flags, ("query", "trackSelectionOrder"))
    if flags.get("query"):
        return PREFS["trackSelectionOrder"]
    if "trackSelectionOrder" in flags:
        PREFS["trackSelectionOrder"] = bool(flags["trackSelectionOrder"])
    return None


@command
def sets(*args: Any, **flags: Any) -> Any:
    only("sets", flags, ("edit", "forceElement"))
    scene = current()
    for name in flatten_args(args):
        scene.node(name)
    if flags.get("edit") and flags.get("forceElement") == "initialShadingGroup":
        return None  # shading is not modelled by the stand-in
    raise NotImplementedError("stand-in sets")


@command
def removeMultiInstance(plug: str, **flags: Any) -> bool:
    only("removeMultiInstance", flags, ("b",))
    scene = current()
    node, path = scene.split_plug(plug)
    if not path.endswith("]"):
        raise MayaError("removeMultiInstance: give an element plug, e.g. node.attr[3]")
    mine = [c for c in scene.state.connections
            if any(p.split(".", 1)[0] == node.name and p.split(".", 1)[1].startswith(path)
                   for p in c)]
    if mine and not flags.get("b"):
        raise MayaError("removeMultiInstance: the element is connected; use b=True")
    with scene.undoable("removeMultiInstance"):
        for c in mine:
            scene.state.connections.remove(c)
        node.values = {k: v for k, v in node.values.items()
                       if k != path and not k.startswith(path + ".")}
    return True
