"""Stand-in (NOT Maya) commands for undo, sessions, plug-ins, files and the progress bar.

* Undo: every mutating stand-in command records a snapshot; ``undoInfo(openChunk=True)``
  ... ``closeChunk`` groups them into one entry; ``undo``/``redo`` restore snapshots but
  keep API edits (see :mod:`.scene`). The queue is finite (``undoInfo(infinity=False,
  length=N)``, default :data:`~.scene.UNDO_LENGTH`): a full queue drops its oldest entry.
* ``about(batch=True)`` returns ``Scene.batch`` (True by default, like mayapy); UI commands
  such as ``progressBar`` fail in batch mode as they do in Maya.
* ``progressBar(..., isCancelled=True)`` turns True once ``Scene.progress['cancel_after']``
  steps were made (tests set it to simulate the Esc key).
* ``file(save=True)`` pickles the scene state; ``file(path, reference=True, namespace=ns)``
  loads such a file as read-only nodes ``ns:<name>``.
"""
from __future__ import annotations

import copy
import os
import pickle
import uuid
from typing import Any, List

from .registry import command
from .scene import MayaError, State
from .state import current, flatten_args, new_scene, only

BUILTIN_PLUGINS = ("fbxmaya",)  # Maya's own plug-ins: "loaded" without a file


@command
def undoInfo(**flags: Any) -> Any:
    only("undoInfo", flags, ("openChunk", "closeChunk", "chunkName", "query", "state",
                             "stateWithoutFlush", "undoName", "redoName", "undoQueueEmpty",
                             "redoQueueEmpty", "infinity", "length"))
    scene = current()
    if flags.get("query"):
        if flags.get("state") or flags.get("stateWithoutFlush"):
            return scene.undo_enabled
        if flags.get("infinity"):
            return scene.undo_length is None
        if flags.get("length"):
            return scene.last_finite_length
        if flags.get("undoName"):
            return scene.undo_queue[-1].name if scene.undo_queue else ""
        if flags.get("redoName"):
            return scene.redo_queue[-1].name if scene.redo_queue else ""
        if flags.get("undoQueueEmpty"):
            return not scene.undo_queue
        if flags.get("redoQueueEmpty"):
            return not scene.redo_queue
        if len(flags) == 1:  # query alone: the number of items on the undo queue
            return len(scene.undo_queue)
        raise NotImplementedError("stand-in undoInfo query")
    if flags.get("openChunk"):
        scene.open_chunk(str(flags.get("chunkName", "")))
    elif flags.get("closeChunk"):
        scene.close_chunk()
    elif "state" in flags:
        scene.undo_enabled = bool(flags["state"])
        if not scene.undo_enabled:
            scene.undo_queue.clear()
            scene.redo_queue.clear()
    elif "stateWithoutFlush" in flags:
        scene.undo_enabled = bool(flags["stateWithoutFlush"])
    if "infinity" in flags or "length" in flags:
        _queue_length(scene, flags)
    return None


def _queue_length(scene: Any, flags: Any) -> None:
    """Autodesk: ``length`` is "the maximum number of items in the undo queue. The infinity
    flag overrides this one": a length set while the queue is infinite waits until
    ``infinity=False``."""
    if "length" in flags:
        if int(flags["length"]) < 0:
            raise MayaError("undoInfo: the queue length must be 0 or more")
        scene.last_finite_length = int(flags["length"])
    infinite = bool(flags["infinity"]) if "infinity" in flags else scene.undo_length is None
    scene.set_undo_length(None if infinite else scene.last_finite_length)


@command
def undo() -> bool:
    return current().undo()


@command
def redo() -> bool:
    return current().redo()


@command
def flushUndo() -> None:
    scene = current()
    scene.undo_queue.clear()
    scene.redo_queue.clear()


@command
def about(**flags: Any) -> Any:
    only("about", flags, ("batch", "version", "apiVersion", "majorVersion", "operatingSystem"))
    scene = current()
    if flags.get("batch"):
        return scene.batch
    if flags.get("apiVersion"):
        return 20230000
    if flags.get("version") or flags.get("majorVersion"):
        return "2023"
    if flags.get("operatingSystem"):
        return "linux64"
    raise NotImplementedError("stand-in about")


@command
def warning(*args: Any, **flags: Any) -> bool:
    only("warning", flags, ())
    current().mel_log.append("// Warning: " + " ".join(str(a) for a in args))
    return True


@command
def progressBar(*args: Any, **flags: Any) -> Any:
    only("progressBar", flags, ("edit", "query", "beginProgress", "endProgress", "isCancelled",
                                "isInterruptable", "status", "maxValue", "minValue", "progress",
                                "step", "isMainProgressBar"))
    scene = current()
    if scene.batch:
        raise MayaError("progressBar: UI commands are not available in batch mode "
                        "(stand-in, like mayapy)")
    p = scene.progress
    if flags.get("query"):
        if flags.get("isCancelled"):
            n = p.get("cancel_after")
            return bool(p["active"] and n is not None and p["steps"] >= n)
        if flags.get("progress"):
            return p.get("progress", 0)
        if flags.get("maxValue"):
            return p.get("max", 100)
        raise NotImplementedError("stand-in progressBar query")
    if flags.get("beginProgress"):
        if p["active"]:
            raise MayaError("stand-in: the main progress bar is already in use")
        p.update(active=True, steps=0, progress=flags.get("minValue", 0),
                 max=flags.get("maxValue", 100), interruptable=bool(flags.get("isInterruptable")))
        p["history"].append(("begin", flags.get("status", "")))
    if "step" in flags:
        p["steps"] += 1
        p["progress"] = p.get("progress", 0) + int(flags["step"])
    if "progress" in flags:
        p["steps"] += 1
        p["progress"] = int(flags["progress"])
    if "status" in flags and not flags.get("beginProgress"):
        p["history"].append(("status", flags["status"]))
    if flags.get("endProgress"):
        p["active"] = False
        p["history"].append(("end", ""))
    return args[0] if args else "MainProgressBar"


# ------------------------------------------------------------------ plug-ins
def _find_plugin(name: str) -> str:
    if os.path.isfile(name):
        return os.path.abspath(name)
    for folder in os.environ.get("MAYA_PLUG_IN_PATH", "").split(os.pathsep):
        for cand in (name, name + ".py"):
            path = os.path.join(folder, cand)
            if folder and os.path.isfile(path):
                return os.path.abspath(path)
    raise MayaError(f"loadPlugin: Plug-in, \"{name}\", was not found on MAYA_PLUG_IN_PATH.")


def _plugin_key(name: str) -> str:
    return os.path.splitext(os.path.basename(name))[0]


@command
def loadPlugin(*args: Any, **flags: Any) -> List[str]:
    only("loadPlugin", flags, ("quiet", "name"))
    from .api_plugin import load
    scene = current()
    out = []
    for name in flatten_args(args):
        key = _plugin_key(name)
        if key in BUILTIN_PLUGINS and key not in scene.plugins:
            scene.plugins[key] = {"path": key, "module": None, "nodes": [], "commands": [],
                                  "api": 0}
        elif key not in scene.plugins:
            load(scene, key, _find_plugin(name))
        out.append(key)
    return out


@command
def unloadPlugin(*args: Any, **flags: Any) -> List[str]:
    only("unloadPlugin", flags, ("force",))
    from .api_plugin import unload
    scene = current()
    out = []
    for name in flatten_args(args):
        key = _plugin_key(name)
        if key not in scene.plugins:
            raise MayaError(f"unloadPlugin: Plug-in '{name}' is not loaded")
        if key in BUILTIN_PLUGINS:
            del scene.plugins[key]
        else:
            unload(scene, key, bool(flags.get("force")))
        out.append(key)
    return out


@command
def pluginInfo(*args: Any, **flags: Any) -> Any:
    only("pluginInfo", flags, ("query", "loaded", "registered", "path", "dependNode",
                               "command", "listPlugins"))
    scene = current()
    if flags.get("listPlugins"):
        return list(scene.plugins)
    key = _plugin_key(str(args[0]))
    info = scene.plugins.get(key)
    if flags.get("loaded") or flags.get("registered"):
        return info is not None
    if info is None:
        raise MayaError(f"pluginInfo: Plug-in '{key}' is not loaded")
    if flags.get("path"):
        return info["path"]
    if flags.get("dependNode"):
        return list(info["nodes"])
    if flags.get("command"):
        return list(info["commands"])
    raise NotImplementedError("stand-in pluginInfo query")


# ------------------------------------------------------------------ files
@command("file")
def file_(*args: Any, **flags: Any) -> Any:
    only("file", flags, ("newFile", "force", "rename", "save", "type", "reference", "namespace",
                         "query", "sceneName", "open"))
    scene = current()
    if flags.get("query"):
        if flags.get("sceneName"):
            return scene.file_name
        raise NotImplementedError("stand-in file query")
    if flags.get("newFile"):
        new_scene()
        return None
    if "rename" in flags:
        scene.file_name = os.path.abspath(str(flags["rename"]))
        return flags["rename"]
    if flags.get("save"):
        path = scene.file_name
        if not path:
            raise MayaError("file: the scene has no name; use rename first")
        with open(path, "wb") as f:
            pickle.dump(scene.state, f)
        return path
    if flags.get("reference"):
        return _reference(str(args[0]), str(flags.get("namespace") or "ref"))
    raise NotImplementedError(f"stand-in file {flags}")


def _reference(path: str, ns: str) -> str:
    scene = current()
    with open(path, "rb") as f:
        loaded: State = pickle.load(f)
    if ns not in scene.state.namespaces:
        scene.state.namespaces.append(ns)
    skip = {"time1", "defaultResolution", "persp", "perspShape", "front", "frontShape"}
    rename = {n: f"{ns}:{n}" for n in loaded.order if n not in skip}
    for old in loaded.order:
        if old in skip:
            continue
        node = copy.deepcopy(loaded.nodes[old])
        node.uid = uuid.uuid4().hex  # a second copy of the file's node, not the same node
        node.name = rename[old]
        node.parent = rename.get(node.parent) if node.parent else None
        node.referenced = True
        node.reference_file = os.path.abspath(path)
        scene.state.nodes[node.name] = node
        scene.state.order.append(node.name)
    for a, b in loaded.connections:
        na, nb = a.split(".", 1)[0], b.split(".", 1)[0]
        if na in rename and nb in rename:
            scene.state.connections.append((rename[na] + "." + a.split(".", 1)[1],
                                            rename[nb] + "." + b.split(".", 1)[1]))
    rn = f"{ns}RN"
    scene.add_node(rn, "reference")
    return os.path.abspath(path)


@command
def polyEvaluate(*args: Any, **flags: Any) -> Any:
    only("polyEvaluate", flags, ("vertex", "face"))
    from .cmds_deform import visible_shape
    scene = current()
    shape = visible_shape(scene, list(flatten_args(args))[0])
    data = scene.mesh_data(shape)
    if flags.get("vertex"):
        return len(data["points"])
    if flags.get("face"):
        return len(data["face_counts"])
    raise NotImplementedError("stand-in polyEvaluate")

