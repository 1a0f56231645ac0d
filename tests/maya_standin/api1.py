"""Fake Python API 1.0 (``maya.OpenMaya`` / ``maya.OpenMayaMPx``) of the Maya stand-in.

NOT Maya.  Enough for an ``MPxDeformerNode`` subclass to be defined, registered and run:
the stand-in's evaluation calls ``deform(dataBlock, geomIter, localToWorld, multiIndex)`` with
a data block that reads the node's attribute values (through connections) and a geometry
iterator over the incoming points (:func:`run_deform`).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, Iterable, List, Optional

import numpy as np

from . import schema
from .api_attrs import (
    MFnAttribute,
    MFnCompoundAttribute,
    MFnData,
    MFnEnumAttribute,
    MFnMatrixAttribute,
    MFnMessageAttribute,
    MFnNumericAttribute,
    MFnNumericData,
    MFnStringData,
    MFnTypedAttribute,
    MFnUnitAttribute,
)
from .api_plugin import AttrObj, MFnPluginBase, MObject, MPxNodeBase, MTypeId, instantiate

if TYPE_CHECKING:
    from .scene import Scene

__all__ = ["MObject", "MTypeId", "MFnAttribute", "MFnCompoundAttribute", "MFnData",
           "MFnEnumAttribute", "MFnMatrixAttribute", "MFnMessageAttribute", "MFnNumericAttribute",
           "MFnNumericData", "MFnStringData", "MFnTypedAttribute", "MFnUnitAttribute"]


class MSpace:
    kInvalid, kTransform, kPreTransform, kPostTransform, kWorld, kObject = 0, 1, 2, 3, 4, 2


class MPoint:
    def __init__(self, x: Any = 0.0, y: float = 0.0, z: float = 0.0, w: float = 1.0) -> None:
        if isinstance(x, MPoint):
            x, y, z, w = x.x, x.y, x.z, x.w
        self.x, self.y, self.z, self.w = float(x), float(y), float(z), float(w)


class MVector(MPoint):
    pass


class _Array:
    def __init__(self, items: Iterable[Any] = ()) -> None:
        self.items: List[Any] = list(items)

    def length(self) -> int:
        return len(self.items)

    def __len__(self) -> int:
        return len(self.items)

    def __getitem__(self, i: int) -> Any:
        return self.items[i]

    def append(self, v: Any) -> None:
        self.items.append(v)

    def set(self, v: Any, i: int) -> None:
        self.items[i] = v

    def setLength(self, n: int) -> None:
        self.items = (self.items + [self._zero()] * n)[:n]

    def clear(self) -> None:
        self.items = []

    def _zero(self) -> Any:
        return 0


class MPointArray(_Array):
    def _zero(self) -> Any:
        return MPoint()


class MIntArray(_Array):
    pass


class MMatrix:
    def __init__(self, flat: Optional[Iterable[float]] = None) -> None:
        self.m = np.eye(4) if flat is None else np.asarray(list(flat), dtype=np.float64).reshape(4, 4)

    def __call__(self, r: int, c: int) -> float:
        return float(self.m[r, c])

    def isEquivalent(self, other: "MMatrix", tol: float = 1e-10) -> bool:
        return bool(np.allclose(self.m, other.m, atol=tol))


class MGlobal:
    @staticmethod
    def displayWarning(msg: str) -> None:
        from .state import current
        current().mel_log.append("// Warning: " + str(msg))


class _MeshData(MObject):
    def __init__(self, points: np.ndarray, counts: np.ndarray, connects: np.ndarray) -> None:
        super().__init__("<mesh data>")
        self.points, self.counts, self.connects = points, counts, connects


class MFnMesh:
    def __init__(self, obj: Any = None) -> None:
        if not isinstance(obj, _MeshData):
            raise NotImplementedError("stand-in API 1.0 MFnMesh reads deformer input data only")
        self.data = obj

    def numVertices(self) -> int:
        return len(self.data.points)

    def numPolygons(self) -> int:
        return len(self.data.counts)

    def getVertices(self, counts: MIntArray, connects: MIntArray) -> None:
        counts.items = [int(v) for v in self.data.counts]
        connects.items = [int(v) for v in self.data.connects]

    def getPoints(self, out: MPointArray, space: int = MSpace.kObject) -> None:
        out.items = [MPoint(*p) for p in self.data.points]


class MItGeometry:
    def __init__(self, points: np.ndarray) -> None:
        self.points = np.array(points, dtype=np.float64)
        self.i = 0

    def count(self) -> int:
        return len(self.points)

    def allPositions(self, out: MPointArray, space: int = MSpace.kObject) -> None:
        out.items = [MPoint(*p) for p in self.points]

    def setAllPositions(self, pts: MPointArray, space: int = MSpace.kObject) -> None:
        if len(pts) != len(self.points):
            raise RuntimeError("(kInvalidParameter): point count differs")
        self.points = np.array([[p.x, p.y, p.z] for p in pts.items], dtype=np.float64)

    def isDone(self) -> bool:
        return self.i >= len(self.points)

    def next(self) -> None:
        self.i += 1

    def index(self) -> int:
        return self.i

    def position(self, space: int = MSpace.kObject) -> MPoint:
        return MPoint(*self.points[self.i])

    def setPosition(self, p: MPoint, space: int = MSpace.kObject) -> None:
        self.points[self.i] = (p.x, p.y, p.z)


class MDataHandle:
    def __init__(self, value: Any, children: Optional[dict] = None) -> None:
        self.value, self.children = value, children or {}

    def asDouble(self) -> float:
        return float(self.value)

    asFloat = asDouble

    def asInt(self) -> int:
        return int(self.value)

    asShort = asInt
    asLong = asInt

    def asBool(self) -> bool:
        return bool(self.value)

    def asString(self) -> str:
        return "" if self.value is None else str(self.value)

    def asMatrix(self) -> MMatrix:
        return MMatrix(self.value)

    def asVector(self) -> MVector:
        return MVector(*self.value)

    def asMesh(self) -> Any:
        return self.value

    def child(self, attr: AttrObj) -> "MDataHandle":
        return self.children[attr.attr.long]

    def setClean(self) -> None:
        pass


class MArrayDataHandle:
    def __init__(self, elements: dict) -> None:
        self.elements, self.current = elements, None

    def jumpToElement(self, i: int) -> None:
        if i not in self.elements:
            raise RuntimeError("(kInvalidParameter): no such element")
        self.current = i

    jumpToArrayElement = jumpToElement

    def outputValue(self) -> MDataHandle:
        return self.elements[self.current]

    inputValue = outputValue


class MDataBlock:
    def __init__(self, scene: "Scene", node_name: str, mesh: _MeshData, index: int) -> None:
        self.scene, self.node, self.mesh, self.index = scene, node_name, mesh, index

    def inputValue(self, attr: AttrObj) -> MDataHandle:
        node = self.scene.node(self.node)
        value = self.scene.get_value(node, attr.attr.long)
        if attr.attr.kind == "doubleAngle":  # internal unit: radians
            value = np.radians(float(value))
        return MDataHandle(value)

    outputValue = inputValue

    def _geometry(self) -> MArrayDataHandle:
        return MArrayDataHandle({self.index: MDataHandle(None, {"inputGeometry": MDataHandle(
            self.mesh), "groupId": MDataHandle(0)})})

    def inputArrayValue(self, attr: AttrObj) -> MArrayDataHandle:
        if attr.attr.long != "input":
            raise NotImplementedError("stand-in: only the 'input' array is readable")
        return self._geometry()

    outputArrayValue = inputArrayValue


# ------------------------------------------------------------------ OpenMayaMPx
class MFnPlugin(MFnPluginBase):
    pass


class MPxNode(MPxNodeBase):
    pass


class MPxGeometryFilter(MPxNode):
    pass


class MPxDeformerNode(MPxGeometryFilter):
    pass


def _inherited(name: str) -> AttrObj:
    return AttrObj(schema.attrs_of("geometryFilter")[name])


cvar = SimpleNamespace()
for _prefix in ("MPxGeometryFilter_", "MPxDeformerNode_"):
    for _api, _long in (("envelope", "envelope"), ("input", "input"),
                        ("inputGeom", "inputGeometry"), ("outputGeom", "outputGeometry"),
                        ("groupId", "groupId")):
        setattr(cvar, _prefix + _api, _inherited(_long))


def asMPxPtr(obj: Any) -> Any:
    return obj


def run_deform(scene: "Scene", name: str, index: int, points: np.ndarray) -> np.ndarray:
    """Run a plug-in deformer's own ``deform()`` on ``points`` (the stand-in's evaluation)."""
    topo = _upstream_topology(scene, name, index)
    inst = instantiate(scene, name)
    it = MItGeometry(points)
    block = MDataBlock(scene, name, _MeshData(np.array(points), *topo), index)
    inst.deform(block, it, MMatrix(), index)
    return it.points


def _upstream_topology(scene: "Scene", name: str, index: int) -> Any:
    src = scene.incoming(f"{name}.input[{index}].inputGeometry")
    while src is not None:
        node = scene.node(src)
        if node.type == "mesh":
            d = scene.mesh_data(node.name)
            return d["face_counts"], d["face_indices"]
        src = scene.incoming(f"{node.name}.input[0].inputGeometry")
    return np.zeros(0, np.int64), np.zeros(0, np.int64)
