"""Fake Python API 1.0 (``maya.OpenMaya`` / ``maya.OpenMayaMPx``) of the Maya stand-in.

NOT Maya.  Enough for an ``MPxDeformerNode`` subclass to be defined, registered and run:
the stand-in's evaluation calls ``deform(dataBlock, geomIter, localToWorld, multiIndex)``
(:func:`run_deform`) with a data block that reads the node's attribute values (through
connections) and a geometry iterator over the deformer's member vertices only, each with
its real vertex id; ``weightValue`` reads the painted ``weightList`` (default 1.0).
Every class here is API 1.0's own: API 2.0 objects are refused (``TypeError``).
"""
from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, List, Optional

import numpy as np

from . import api_attrs, deformer_data, schema
from .api_plugin import MFnPluginBase, MObjectBase, MPxNodeBase, MTypeIdBase, attr_of, expect

if TYPE_CHECKING:
    from .scene import Scene


class MObject(MObjectBase):
    _API = 1


MObject.kNullObj = MObject()  # type: ignore[attr-defined]


class MTypeId(MTypeIdBase):
    _API = 1


class MSpace:
    kInvalid, kTransform, kPreTransform, kPostTransform, kWorld, kObject = 0, 1, 2, 3, 4, 2


class MPoint:
    def __init__(self, x: Any = 0.0, y: float = 0.0, z: float = 0.0, w: float = 1.0) -> None:
        if isinstance(x, MPoint):
            x, y, z, w = x.x, x.y, x.z, x.w
        self.x, self.y, self.z, self.w = float(x), float(y), float(z), float(w)


class _Array:
    def __init__(self) -> None:
        self._items: List[Any] = []

    def length(self) -> int:
        return len(self._items)

    def __getitem__(self, i: int) -> Any:
        return self._items[i]

    def append(self, v: Any) -> None:
        self._items.append(v)

    def set(self, v: Any, i: int) -> None:
        self._items[i] = v

    def setLength(self, n: int) -> None:
        self._items = (self._items + [self._zero()] * n)[:n]

    def clear(self) -> None:
        self._items = []

    def _zero(self) -> Any:
        return 0


class MPointArray(_Array):
    def _zero(self) -> Any:
        return MPoint()


class MIntArray(_Array):
    def __len__(self) -> int:
        return len(self._items)


class MMatrix:
    def __init__(self) -> None:
        self._m = np.eye(4)

    def __call__(self, row: int, col: int) -> float:
        return float(self._m[row, col])


class MGlobal:
    @staticmethod
    def displayWarning(msg: str) -> None:
        from .state import current
        current().mel_log.append("// Warning: " + str(msg))


def _mesh_object(points: np.ndarray, counts: np.ndarray, connects: np.ndarray) -> MObject:
    obj = MObject()
    obj._data = (np.asarray(points, dtype=np.float64), counts, connects)
    return obj


class MFnMesh:
    def __init__(self, object: Any = None) -> None:  # noqa: A002 - Autodesk's name
        expect(object, MObject, "MFnMesh(object)")
        if not isinstance(object._data, tuple):
            raise NotImplementedError("stand-in API 1.0 MFnMesh reads deformer input data only")
        self._points, self._counts, self._connects = object._data

    def numVertices(self) -> int:
        return len(self._points)

    def numPolygons(self) -> int:
        return len(self._counts)

    def getVertices(self, vertexCount: MIntArray, vertexList: MIntArray) -> None:
        expect(vertexCount, MIntArray, "MFnMesh.getVertices")
        vertexCount._items = [int(v) for v in self._counts]
        vertexList._items = [int(v) for v in self._connects]

    def getPoints(self, vertexArray: MPointArray, space: int = MSpace.kObject) -> None:
        vertexArray._items = [MPoint(*p) for p in self._points]


class MItGeometry:
    """The deformer's member vertices, in id order; ``index()`` is the real vertex id."""

    def __init__(self) -> None:
        self._points = np.zeros((0, 3))
        self._ids = np.zeros(0, dtype=np.int64)
        self._i = 0

    @classmethod
    def _over(cls, points: np.ndarray, ids: np.ndarray) -> "MItGeometry":
        it = cls()
        it._points, it._ids = np.array(points, dtype=np.float64), np.asarray(ids, np.int64)
        return it

    def count(self) -> int:
        return len(self._ids)

    def isDone(self) -> bool:
        return self._i >= len(self._ids)

    def next(self) -> None:
        self._i += 1

    def reset(self) -> None:
        self._i = 0

    def _current(self) -> int:
        if self.isDone():
            raise RuntimeError("(kFailure): the iteration is done")
        return int(self._ids[self._i])

    def index(self) -> int:
        return self._current()

    def position(self, space: int = MSpace.kObject) -> MPoint:
        return MPoint(*self._points[self._current()])

    def setPosition(self, point: MPoint, space: int = MSpace.kObject) -> None:
        self._points[self._current()] = (point.x, point.y, point.z)

    def allPositions(self, points: MPointArray, space: int = MSpace.kObject) -> None:
        points._items = [MPoint(*self._points[i]) for i in self._ids]

    def setAllPositions(self, points: MPointArray, space: int = MSpace.kObject) -> None:
        if points.length() != len(self._ids):
            raise RuntimeError("(kInvalidParameter): the array must hold one point per "
                               "iterated component")
        for i, p in zip(self._ids, points._items):
            self._points[i] = (p.x, p.y, p.z)


class MDataHandle:
    def __init__(self) -> None:
        self._value: Any = None
        self._kids: dict = {}

    @classmethod
    def _of(cls, value: Any, children: Optional[dict] = None) -> "MDataHandle":
        h = cls()
        h._value, h._kids = value, children or {}
        return h

    def asDouble(self) -> float:
        return float(self._value)

    def asFloat(self) -> float:
        """A C++ float: the stored value rounded to single precision."""
        return float(np.float32(self._value))

    def asInt(self) -> int:
        return int(self._value)

    asShort = asInt
    asLong = asInt

    def asBool(self) -> bool:
        return bool(self._value)

    def asString(self) -> str:
        return "" if self._value is None else str(self._value)

    def asMatrix(self) -> MMatrix:
        m = MMatrix()
        m._m = np.asarray(list(self._value), dtype=np.float64).reshape(4, 4)
        return m

    def asMesh(self) -> MObject:
        return self._value

    def child(self, attribute: MObject) -> "MDataHandle":
        return self._kids[attr_of(attribute, MObject, "MDataHandle.child").long]

    def setClean(self) -> None:
        pass


class MArrayDataHandle:
    def __init__(self) -> None:
        self._elements: dict = {}
        self._at: Optional[int] = None

    def jumpToElement(self, index: int) -> None:
        if index not in self._elements:
            raise RuntimeError("(kInvalidParameter): no such element")
        self._at = index

    jumpToArrayElement = jumpToElement

    def outputValue(self) -> MDataHandle:
        return self._elements[self._at]

    inputValue = outputValue


class MDataBlock:
    def __init__(self) -> None:
        self._scene: Any = None
        self._node = ""
        self._mesh: Optional[MObject] = None
        self._index = 0

    def inputValue(self, attribute: MObject) -> MDataHandle:
        attr = attr_of(attribute, MObject, "MDataBlock.inputValue")
        node = self._scene.node(self._node)
        value = self._scene.get_value(node, attr.long)
        if attr.kind == "doubleAngle":  # internal unit: radians
            value = np.radians(float(value))
        return MDataHandle._of(value)

    outputValue = inputValue

    def inputArrayValue(self, attribute: MObject) -> MArrayDataHandle:
        if attr_of(attribute, MObject, "MDataBlock.inputArrayValue").long != "input":
            raise NotImplementedError("stand-in: only the 'input' array is readable")
        handle = MArrayDataHandle()
        handle._elements = {self._index: MDataHandle._of(None, {
            "inputGeometry": MDataHandle._of(self._mesh), "groupId": MDataHandle._of(0)})}
        return handle

    outputArrayValue = inputArrayValue


# ------------------------------------------------------------------ attribute function sets
_SETS = api_attrs.function_sets(MObject, api_attrs.Api1Flags, __name__)
globals().update(_SETS)   # MFnNumericData ... MFnMessageAttribute, this API's own classes


class MFnNumericAttribute(_SETS["MFnNumericAttribute"]):  # type: ignore[misc,valid-type]
    def setDefault(self, *value: Any) -> None:
        self._attr().default = value[0] if len(value) == 1 else value


# ------------------------------------------------------------------ OpenMayaMPx
class MPxNode(MPxNodeBase):
    _API = 1
    _MOBJECT = MObject


class MPxGeometryFilter(MPxNode):
    pass


class MPxDeformerNode(MPxGeometryFilter):
    def weightValue(self, mblock: MDataBlock, multiIndex: int, wtIndex: int) -> float:
        if mblock._node != self._standin_node:
            raise RuntimeError("(kInvalidParameter): the data block is another node's")
        return deformer_data.painted_weight(mblock._scene, mblock._node, multiIndex, wtIndex)


class MFnPlugin(MFnPluginBase):
    _API = 1
    _MOBJECT = MObject
    _TYPEID = MTypeId
    _PXNODE = MPxNode
    _PXCOMMAND = None  # the stand-in has no API 1.0 MPxCommand


def _inherited(name: str) -> MObject:
    obj = MObject()
    obj._attr = schema.attrs_of("geometryFilter")[name]
    return obj


cvar = SimpleNamespace()
for _prefix in ("MPxGeometryFilter_", "MPxDeformerNode_"):
    for _api, _long in (("envelope", "envelope"), ("input", "input"),
                        ("inputGeom", "inputGeometry"), ("outputGeom", "outputGeometry"),
                        ("groupId", "groupId")):
        setattr(cvar, _prefix + _api, _inherited(_long))


def asMPxPtr(obj: Any) -> Any:
    return obj


def run_deform(scene: "Scene", name: str, index: int, points: np.ndarray) -> np.ndarray:
    """Run a plug-in deformer's own ``deform()`` on ``points`` (the stand-in's evaluation):
    the iterator visits the member vertices only; the others keep their input positions."""
    from .api_plugin import instantiate

    counts, connects = _upstream_topology(scene, name, index)
    inst = instantiate(scene, name)
    ids = deformer_data.members(scene, name, index, len(points))
    it = MItGeometry._over(points, ids)
    block = MDataBlock()
    block._scene, block._node, block._index = scene, name, index
    block._mesh = _mesh_object(np.array(points), counts, connects)
    inst.deform(block, it, MMatrix(), index)
    return it._points


def _upstream_topology(scene: "Scene", name: str, index: int) -> Any:
    src = scene.incoming(f"{name}.input[{index}].inputGeometry")
    while src is not None:
        node = scene.node(src)
        if node.type == "mesh":
            d = scene.mesh_data(node.name)
            return d["face_counts"], d["face_indices"]
        src = scene.incoming(f"{node.name}.input[0].inputGeometry")
    return np.zeros(0, np.int64), np.zeros(0, np.int64)
