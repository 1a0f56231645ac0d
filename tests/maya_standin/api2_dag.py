"""Fake API 2.0 scene access of the Maya stand-in (NOT Maya): DAG paths, selection lists,
the dependency-node, DAG-node and mesh function sets, and plugs (``maya.api.OpenMaya``).

API 1.0 objects are refused (``TypeError``), as Maya refuses them.
"""
from __future__ import annotations

from typing import Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

from .api2 import MFn, MIntArray, MMatrix, MObject, MPointArray, MSpace
from .api_plugin import attr_of, expect
from .state import current

__all__ = ["MDagPath", "MSelectionList", "MFnDependencyNode", "MFnDagNode", "MFnMesh", "MPlug"]


class MDagPath:
    def __init__(self) -> None:
        self._name: Optional[str] = None

    @classmethod
    def _of(cls, name: Optional[str]) -> "MDagPath":
        path = cls()
        path._name = name
        return path

    def _node(self) -> Any:
        if self._name is None:
            raise RuntimeError("(kFailure): invalid MDagPath")
        return current().node(self._name)

    def fullPathName(self) -> str:
        return current().dag_path(self._node().name)

    def partialPathName(self) -> str:
        return self._node().name

    def node(self) -> MObject:
        return MObject(self._node().name)

    def transform(self) -> MObject:
        n = self._node()
        return MObject(n.name if n.type == "transform" or not n.parent else n.parent)

    def extendToShape(self) -> "MDagPath":
        from .cmds_deform import visible_shape
        self._name = visible_shape(current(), self._node().name)
        return self

    def inclusiveMatrix(self) -> MMatrix:
        from .cmds_nodes import world_matrix
        n = self._node()
        return MMatrix(world_matrix(current(), n.parent if n.type != "transform" and n.parent
                                    else n.name).reshape(-1))

    def isValid(self) -> bool:
        return self._name is not None and current().exists(self._name)

    def apiType(self) -> int:
        return MFn.kMesh if self._node().type == "mesh" else MFn.kTransform

    def hasFn(self, type: int) -> bool:  # noqa: A002 - Autodesk's name
        return type == self.apiType() or type == MFn.kDagNode


class MSelectionList:
    def __init__(self) -> None:
        self._items: List[str] = []

    def add(self, pattern: Any, searchChildNamespaces: bool = False) -> "MSelectionList":
        name = pattern._name if isinstance(pattern, MDagPath) else \
            pattern._node if isinstance(pattern, MObject) else str(pattern)
        if name is None or not current().exists(name):
            raise RuntimeError("(kInvalidParameter): Object does not exist")
        self._items.append(current().node(name).name)
        return self

    def length(self) -> int:
        return len(self._items)

    def getDagPath(self, index: int) -> MDagPath:
        if not current().is_dag(self._items[index]):
            raise TypeError("(kInvalidParameter): not a DAG node")
        return MDagPath._of(self._items[index])

    def getDependNode(self, index: int) -> MObject:
        return MObject(self._items[index])


def _name(arg: Any) -> Optional[str]:
    if arg is None:
        return None
    if isinstance(arg, MDagPath):
        return arg._name
    return expect(arg, MObject, "function set (object)")._node


class MFnDependencyNode:
    def __init__(self, object: Any = None) -> None:  # noqa: A002 - Autodesk's name
        self._obj = _name(object)

    def name(self) -> str:
        return current().node(str(self._obj)).name

    def typeName(self) -> str:
        return current().node(str(self._obj)).type

    def userNode(self) -> Any:
        from .api_plugin import instantiate
        return instantiate(current(), self.name())


class MFnDagNode(MFnDependencyNode):
    def fullPathName(self) -> str:
        return current().dag_path(self.name())

    def partialPathName(self) -> str:
        return self.name()


class MFnMesh(MFnDagNode):
    def _mesh(self) -> Dict[str, Any]:
        return current().mesh_data(self.name())

    def create(self, vertices: Iterable[Any], polygonCounts: Iterable[int],
               polygonConnects: Iterable[int], uValues: Any = None, vValues: Any = None,
               parent: Any = None) -> MObject:
        from .cmds_nodes import _create
        scene = current()
        pts = np.array([[p[0], p[1], p[2]] for p in vertices], dtype=np.float64).reshape(-1, 3)
        counts = np.asarray(list(polygonCounts), dtype=np.int64)
        connects = np.asarray(list(polygonConnects), dtype=np.int64)
        if counts.sum() != len(connects) or (len(connects) and connects.max() >= len(pts)):
            raise RuntimeError("(kInvalidParameter): bad polygon data")
        par = _name(parent) if parent is not None and not parent.isNull() else None
        made_transform = par is None
        if par is None:
            par = _create(scene, "transform", "polySurface1", None)
        shape = _create(scene, "mesh", "polySurfaceShape1", par)
        scene.nodes[shape].data["mesh"] = {"points": pts, "face_counts": counts,
                                          "face_indices": connects}
        self._obj = shape
        return MObject(par if made_transform else shape)

    def numVertices(self) -> int:
        return len(self._mesh()["points"])

    def numPolygons(self) -> int:
        return len(self._mesh()["face_counts"])

    def getPoints(self, space: int = MSpace.kObject) -> MPointArray:
        scene = current()
        pts = scene.mesh_points(self.name())
        if space == MSpace.kWorld:
            from .cmds_nodes import world_matrix
            node = scene.node(self.name())
            m = world_matrix(scene, node.parent) if node.parent else np.eye(4)
            pts = np.hstack([pts, np.ones((len(pts), 1))]) @ m
        return MPointArray(tuple(p[:3]) for p in pts)

    def setPoints(self, points: Iterable[Any], space: int = MSpace.kObject) -> None:
        if space != MSpace.kObject:
            raise NotImplementedError("stand-in MFnMesh.setPoints only in object space")
        pts = np.array([[p[0], p[1], p[2]] for p in points], dtype=np.float64)
        data = self._mesh()
        if pts.shape != data["points"].shape:
            raise RuntimeError("(kInvalidParameter): point count differs from the mesh")
        data["points"] = pts

    def getVertices(self) -> Tuple[MIntArray, MIntArray]:
        d = self._mesh()
        return MIntArray(d["face_counts"]), MIntArray(d["face_indices"])


class MPlug:
    def __init__(self, node: Any = None, attribute: Any = None) -> None:
        self._node_name = _name(node)
        self._attr = attr_of(attribute, MObject, "MPlug(node, attribute)").long

    def _value(self) -> Any:
        scene = current()
        node = scene.node(str(self._node_name))
        return scene.get_value(node, scene.plug_path(node, self._attr))

    def asString(self) -> str:
        return str(self._value())

    def asDouble(self) -> float:
        return float(self._value())

    def asFloat(self) -> float:
        """A C++ float: the stored value rounded to single precision."""
        return float(np.float32(self._value()))

    def asInt(self) -> int:
        return int(self._value())

    asShort = asInt

    def asBool(self) -> bool:
        return bool(self._value())
