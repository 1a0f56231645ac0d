"""Scene state of the Maya stand-in (an in-memory test double, NOT Maya).

Holds nodes (type, attribute values, DAG parent), connections, namespaces, referenced
(read-only) nodes, aliases, mesh geometry, time unit, selection and the undo queue.  The
``cmds_*`` modules implement ``maya.cmds`` on top of it; tests may read it directly for
stand-in-only assertions (``maya_standin.current()`` returns the live :class:`Scene`).

Attribute values are stored flat under canonical long plug paths such as
``weight[0]`` or ``inputTarget[0].inputTargetGroup[2].inputTargetItem[6000].inputPointsTarget``;
:mod:`.schema` declares which attributes each node type has.

Undo, as modelled here (each point is what MicroExpr relies on):

* Every mutating ``cmds`` command records one entry (or joins the open chunk); a chunk is one
  entry named by its ``chunkName``.  The queue is finite by default (:data:`UNDO_LENGTH`
  entries; Autodesk documents ``undoInfo(infinity=, length=)`` but no default was found, so
  the number is an assumption); when it is full, recording drops the oldest entry, so the
  queue's length stops growing.
* Undo and redo restore a snapshot of :class:`State`, except what the API changed outside
  any command: Maya's undo only reverses commands, so ``MFnMesh.setPoints`` on a node that
  survives the undo keeps its points, and a mesh made by ``MFnMesh.create`` survives the
  undo of the commands around it, under the name it was created with (:meth:`Scene.restore`;
  other command edits of such a node are not undone: a simplification).  Redo puts back the nodes it
  re-creates as they were when undone (assumed: Maya keeps the removed node objects for
  redo; not verified).
"""
from __future__ import annotations

import copy
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from . import schema

_PART = re.compile(r"^([A-Za-z_][A-Za-z0-9_]*)(?:\[(-?\d+)\])?$")
#: Undo queue length of a new session (see the module docstring: an assumption).
UNDO_LENGTH = 50
_BOOKKEEPING = ("uid", "api_name")


class MayaError(RuntimeError):
    """What real Maya raises as RuntimeError from a failing command (stand-in)."""


class NoObjectError(ValueError):
    """Real Maya raises ValueError 'No object matches name' for a missing node/plug."""


@dataclass
class Node:
    name: str
    type: str
    parent: Optional[str] = None
    values: Dict[str, Any] = field(default_factory=dict)
    dynamic: Dict[str, schema.Attr] = field(default_factory=dict)
    aliases: Dict[str, str] = field(default_factory=dict)
    referenced: bool = False
    reference_file: Optional[str] = None
    locked: bool = False
    data: Dict[str, Any] = field(default_factory=dict)
    #: Bookkeeping for undo, left out of :meth:`Scene.dump`: the node's identity across
    #: renames and snapshots, and the name the API (not a command) created it with.
    uid: str = field(default_factory=lambda: uuid.uuid4().hex)
    api_name: str = ""

    def spec(self, long_name: str) -> Optional[schema.Attr]:
        return self.dynamic.get(long_name) or schema.attrs_of(self.type).get(long_name)


@dataclass
class State:
    """Everything cmds.undo restores: a deep copy of this is one undo snapshot."""

    nodes: Dict[str, Node] = field(default_factory=dict)
    order: List[str] = field(default_factory=list)            # creation order
    connections: List[Tuple[str, str]] = field(default_factory=list)  # (src plug, dst plug)
    namespaces: List[str] = field(default_factory=list)
    current_namespace: str = ""
    selection: List[str] = field(default_factory=list)
    time_unit: str = "film"
    linear_unit: str = "cm"
    current_time: float = 1.0
    counters: Dict[str, int] = field(default_factory=dict)


@dataclass
class UndoEntry:
    name: str
    snapshot: State


class Scene:
    """The stand-in's whole world: :class:`State` plus things undo does not touch."""

    def __init__(self) -> None:
        self.state = State()
        self.undo_queue: List[UndoEntry] = []
        self.redo_queue: List[UndoEntry] = []
        self.undo_enabled = True
        self.undo_length: Optional[int] = UNDO_LENGTH  # None: infinite
        self.last_finite_length = UNDO_LENGTH
        self.chunk_depth = 0
        self._chunk_snapshot: Optional[State] = None
        self._chunk_name = ""
        self._chunk_dirty = False
        self._in_command = 0
        self.batch = True                      # cmds.about(batch=True)
        self.mel_log: List[str] = []           # every mel.eval string
        self.progress: Dict[str, Any] = {"active": False, "cancel_after": None, "steps": 0,
                                         "history": []}
        self.plugins: Dict[str, Dict[str, Any]] = {}
        self.node_classes: Dict[str, Any] = {}  # plug-in node type -> python class
        self.instances: Dict[str, Any] = {}     # node name -> plug-in node instance
        self.file_name = ""
        self._make_defaults()

    # ------------------------------------------------------------------ defaults
    def _make_defaults(self) -> None:
        for name, typ in (("time1", "time"), ("defaultResolution", "resolution")):
            self.add_node(name, typ)
        for cam, pos in (("persp", (28.0, 21.0, 28.0)), ("front", (0.0, 0.0, 1000.1))):
            self.add_node(cam, "transform")
            self.add_node(cam + "Shape", "camera", parent=cam)
            for axis, v in zip("XYZ", pos):
                self.state.nodes[cam].values["translate" + axis] = v
        self.state.nodes["frontShape"].values["orthographic"] = True

    # ------------------------------------------------------------------ nodes
    @property
    def nodes(self) -> Dict[str, Node]:
        return self.state.nodes

    def unique_name(self, base: str) -> str:
        base = base.lstrip(":")
        if base.endswith("#"):
            base = base[:-1]
        if base not in self.nodes:
            return base
        stem = re.sub(r"\d+$", "", base) or base
        n = 1
        while f"{stem}{n}" in self.nodes:
            n += 1
        return f"{stem}{n}"

    def qualify(self, name: str) -> str:
        """Apply the current namespace unless ``name`` already names one."""
        if name.startswith(":"):
            return name[1:]
        if ":" in name or not self.state.current_namespace:
            return name
        return self.state.current_namespace + ":" + name

    def add_node(self, name: str, typ: str, parent: Optional[str] = None,
                 referenced: bool = False) -> Node:
        if ":" in name:
            ns = name.rsplit(":", 1)[0]
            if ns not in self.state.namespaces:
                raise MayaError(f"Namespace '{ns}' does not exist")
        if name in self.nodes:
            raise MayaError(f"stand-in: node name '{name}' already exists")
        node = Node(name, typ, parent=parent, referenced=referenced)
        self.nodes[name] = node
        self.state.order.append(name)
        return node

    def node(self, name: str) -> Node:
        """The node named by ``name`` (a short name, DAG path, or plug's node part)."""
        key = name.split(".", 1)[0].split("|")[-1]
        if key.startswith(":"):
            key = key[1:]
        try:
            return self.nodes[key]
        except KeyError:
            raise NoObjectError(f"No object matches name: {name}") from None

    def exists(self, name: str) -> bool:
        try:
            n = self.node(name)
        except NoObjectError:
            return False
        if "." in name:
            try:
                self.plug_path(n, name.split(".", 1)[1])
            except NoObjectError:
                return False
        return True

    def children(self, name: str) -> List[str]:
        return [n for n in self.state.order if self.nodes[n].parent == name]

    def dag_path(self, name: str) -> str:
        node = self.node(name)
        parts = [node.name]
        while node.parent:
            node = self.nodes[node.parent]
            parts.append(node.name)
        return "|" + "|".join(reversed(parts))

    def is_dag(self, name: str) -> bool:
        return schema.is_a(self.node(name).type, "dagNode")

    def remove_node(self, name: str) -> None:
        node = self.node(name)
        if node.referenced:
            raise MayaError(f"Cannot delete node '{name}' from a referenced file.")
        if node.locked:
            raise MayaError(f"Cannot delete locked node '{name}'.")
        for child in self.children(node.name):
            self.remove_node(child)
        self.state.connections = [c for c in self.state.connections
                                  if c[0].split(".")[0] != node.name
                                  and c[1].split(".")[0] != node.name]
        del self.nodes[node.name]
        self.state.order.remove(node.name)
        self.state.selection = [s for s in self.state.selection
                                if s.split(".")[0].split("|")[-1] != node.name]
        self.instances.pop(node.name, None)

    # ------------------------------------------------------------------ plugs
    def plug_path(self, node: Node, attr: str) -> str:
        """Canonical long path of ``attr`` on ``node`` (resolves short names, aliases)."""
        parts = attr.split(".")
        if parts[0] in node.aliases:
            parts = node.aliases[parts[0]].split(".") + parts[1:]
        out: List[str] = []
        parent: Optional[str] = None
        for i, part in enumerate(parts):
            m = _PART.match(part)
            if not m:
                raise NoObjectError(f"No object matches name: {node.name}.{attr}")
            long_name = schema.long_name(node.type, m.group(1), node.dynamic)
            spec = node.spec(long_name) if long_name else None
            if spec is None or (i and spec.parent != parent) or (not i and spec.parent
                                                                 and spec.parent != parent):
                raise NoObjectError(f"No object matches name: {node.name}.{attr}")
            out.append(long_name + (f"[{m.group(2)}]" if m.group(2) is not None else ""))
            parent = long_name
        return ".".join(out)

    def split_plug(self, plug: str) -> Tuple[Node, str]:
        if "." not in plug:
            raise NoObjectError(f"No object matches name: {plug}")
        node_part, attr = plug.split(".", 1)
        node = self.node(node_part)
        return node, self.plug_path(node, attr)

    def canonical(self, plug: str) -> str:
        node, path = self.split_plug(plug)
        return f"{node.name}.{path}"

    def leaf_spec(self, node: Node, path: str) -> schema.Attr:
        name = re.sub(r"\[-?\d+\]", "", path.split(".")[-1])
        spec = node.spec(name)
        assert spec is not None
        return spec

    def get_value(self, node: Node, path: str) -> Any:
        src = self.incoming(f"{node.name}.{path}")
        if src is not None:  # a connected plug reads its source (pull evaluation)
            value = self.evaluate_output(src)
            if value is not None:
                return value
        spec = self.leaf_spec(node, path)
        if spec.parent:  # a child of a connected double3 takes the source's component
            parent = node.spec(spec.parent)
            if parent is not None and parent.kind in ("double3", "float3"):
                psrc = self.incoming(f"{node.name}.{_sibling(path, spec.parent)}")
                if psrc is not None:
                    value = self.evaluate_output(psrc)
                    return float(value[parent.children.index(spec.long)])
        if path in node.values:
            return node.values[path]
        if spec.children and spec.kind in ("double3", "float3"):
            return tuple(self.get_value(node, _sibling(path, c)) for c in spec.children)
        return copy.deepcopy(spec.default)

    def set_value(self, node: Node, path: str, value: Any) -> None:
        spec = self.leaf_spec(node, path)
        if spec.children and spec.kind in ("double3", "float3"):
            for c, v in zip(spec.children, value):
                node.values[_sibling(path, c)] = float(v)
            return
        node.values[path] = value

    def indices(self, node: Node, path: str) -> List[int]:
        """Existing logical indices of the multi plug ``path`` (values or connections)."""
        prefix = path + "["
        found = set()
        keys = list(node.values) + [c[i].split(".", 1)[1] for c in self.state.connections
                                    for i in (0, 1) if c[i].split(".", 1)[0] == node.name]
        keys += list(node.aliases.values())
        for key in keys:
            if key.startswith(prefix):
                found.add(int(key[len(prefix):].split("]", 1)[0]))
        return sorted(found)

    # ------------------------------------------------------------------ connections
    def incoming(self, plug: str) -> Optional[str]:
        for src, dst in self.state.connections:
            if dst == plug:
                return src
        return None

    def outgoing(self, plug: str) -> List[str]:
        return [dst for src, dst in self.state.connections if src == plug]

    def connect(self, src: str, dst: str, force: bool = False) -> None:
        existing = self.incoming(dst)
        if existing is not None:
            if existing == src:
                raise MayaError(f"'{src}' is already connected to '{dst}'.")
            if not force:
                raise MayaError(f"'{dst}' already has an incoming connection from '{existing}'.")
            self.disconnect(existing, dst)
        self.state.connections.append((src, dst))

    def disconnect(self, src: str, dst: str) -> None:
        try:
            self.state.connections.remove((src, dst))
        except ValueError:
            raise MayaError(f"There is no connection from '{src}' to '{dst}'.") from None

    # ------------------------------------------------------------------ geometry
    def mesh_data(self, name: str) -> Dict[str, Any]:
        node = self.node(name)
        if node.type != "mesh":
            raise MayaError(f"'{name}' is not a mesh")
        return node.data.setdefault("mesh", {"points": np.zeros((0, 3)),
                                             "face_counts": np.zeros(0, np.int64),
                                             "face_indices": np.zeros(0, np.int64)})

    def mesh_points(self, name: str) -> np.ndarray:
        """Points a reader sees on the shape: evaluated through its deformer chain."""
        node = self.node(name)
        src = self.incoming(f"{node.name}.inMesh")
        if src is not None:
            pts = self.evaluate_output(src)
            if pts is not None:
                return np.array(pts, dtype=np.float64)
        return np.array(self.mesh_data(node.name)["points"], dtype=np.float64)

    def evaluate_output(self, plug: str) -> Optional[np.ndarray]:
        from .evaluate import evaluate_plug  # local: evaluate imports scene
        return evaluate_plug(self, plug)

    # ------------------------------------------------------------------ undo
    def snapshot(self) -> State:
        return copy.deepcopy(self.state)

    def restore(self, state: State) -> None:
        """Go back (or forward) to ``state``, keeping what the API changed outside commands:
        the points of meshes that exist in both, and nodes the API created."""
        now = self.state
        self.state = copy.deepcopy(state)
        self._keep_api_edits(now)
        self.instances = {k: v for k, v in self.instances.items() if k in self.state.nodes}

    def _keep_api_edits(self, now: State) -> None:
        # the stand-in's commands never edit a mesh's points in place, so a mesh's points
        # differ between two states only through the API (MFnMesh.setPoints)
        by_uid = {n.uid: n for n in self.state.nodes.values()}
        for name in now.order:
            node = now.nodes[name]
            mine = by_uid.get(node.uid)
            if mine is not None:
                if "mesh" in node.data and "mesh" in mine.data:
                    mine.data["mesh"]["points"] = np.array(node.data["mesh"]["points"])
                continue
            if not node.api_name:
                continue
            # made by the API after ``state``: every command since (a rename, say) is undone
            # with the rest, so it gets back the name it was created with
            kept = copy.deepcopy(node)
            if kept.parent is not None:
                parent = by_uid.get(now.nodes[kept.parent].uid)
                kept.parent = parent.name if parent is not None else None
            kept.name = self.unique_name(kept.api_name)
            self.state.nodes[kept.name] = kept
            self.state.order.append(kept.name)
            by_uid[kept.uid] = kept

    def _record(self, entry: UndoEntry) -> None:
        self.undo_queue.append(entry)
        if self.undo_length is not None and len(self.undo_queue) > self.undo_length:
            del self.undo_queue[:len(self.undo_queue) - self.undo_length]

    def set_undo_length(self, length: Optional[int]) -> None:
        """``undoInfo(length=N)`` (None: ``infinity=True``); a shorter queue drops the oldest."""
        if length is not None and length < 0:
            raise MayaError("undoInfo: the queue length must be 0 or more")
        self.undo_length = length
        if length is not None and len(self.undo_queue) > length:
            del self.undo_queue[:len(self.undo_queue) - length]

    @contextmanager
    def undoable(self, name: str) -> Iterator[None]:
        """Record a mutating command on the undo queue (one entry, or the open chunk)."""
        if not self.undo_enabled or self._in_command:
            self._in_command += 1
            try:
                yield
            finally:
                self._in_command -= 1
            return
        before = self.snapshot() if self.chunk_depth == 0 else None
        self._in_command += 1
        try:
            yield
        except Exception:
            # a failing Maya command leaves the scene as it was
            if before is not None:
                self.restore(before)
            raise
        finally:
            self._in_command -= 1
        if before is not None:
            self._record(UndoEntry(name, before))
        else:
            self._chunk_dirty = True
        self.redo_queue.clear()

    @property
    def in_command(self) -> bool:
        """True while a stand-in command runs (a change now is not an API edit)."""
        return self._in_command > 0

    def open_chunk(self, name: str) -> None:
        if self.chunk_depth == 0:
            self._chunk_snapshot = self.snapshot()
            self._chunk_name = name or "chunk"
            self._chunk_dirty = False
        self.chunk_depth += 1

    def close_chunk(self) -> None:
        if self.chunk_depth == 0:
            raise MayaError("stand-in: undoInfo(closeChunk=True) without an open chunk "
                            "(unbalanced chunks corrupt Maya's undo queue)")
        self.chunk_depth -= 1
        if self.chunk_depth == 0:
            if self._chunk_dirty and self._chunk_snapshot is not None:
                self._record(UndoEntry(self._chunk_name, self._chunk_snapshot))
            self._chunk_snapshot = None

    def undo(self) -> bool:
        if self.chunk_depth:
            raise MayaError("stand-in: cmds.undo() while an undo chunk is open")
        if not self.undo_queue:
            return False
        entry = self.undo_queue.pop()
        self.redo_queue.append(UndoEntry(entry.name, self.snapshot()))
        self.restore(entry.snapshot)
        return True

    def redo(self) -> bool:
        if not self.redo_queue:
            return False
        entry = self.redo_queue.pop()
        self._record(UndoEntry(entry.name, self.snapshot()))
        self.restore(entry.snapshot)
        return True

    # ------------------------------------------------------------------ comparison
    def dump(self) -> Dict[str, Any]:
        """A plain, comparable picture of the state (numpy arrays as lists)."""
        return _plain(self.state)


def _sibling(path: str, child: str) -> str:
    head, _, _ = path.rpartition(".")
    return (head + "." if head else "") + child


def _plain(obj: Any) -> Any:
    if isinstance(obj, np.ndarray):
        return obj.tolist()
    if isinstance(obj, (State, Node, schema.Attr)):
        return {k: _plain(v) for k, v in vars(obj).items() if k not in _BOOKKEEPING}
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    return obj
