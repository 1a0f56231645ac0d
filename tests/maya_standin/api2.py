"""Fake Python API 2.0 (``maya.api.OpenMaya*``) of the Maya stand-in (NOT Maya).

Just the classes MicroExpr's Maya layer touches: selection lists, DAG paths, MFnMesh for
reading/writing/creating meshes, points and matrices, MGlobal, the MPx base classes and
attribute function sets for plug-ins, and a minimal command syntax/argument database.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional

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
from .api_plugin import AttrObj, MFnPluginBase, MObject, MPxNodeBase, MTypeId
from .state import current

__all__ = ["MObject", "MTypeId", "MFnAttribute", "MFnCompoundAttribute", "MFnData",
           "MFnEnumAttribute", "MFnMatrixAttribute", "MFnMessageAttribute",
           "MFnNumericAttribute", "MFnNumericData", "MFnStringData", "MFnTypedAttribute", "MFnUnitAttribute"]


class MSpace:
    kInvalid, kTransform, kPreTransform, kPostTransform, kWorld, kObject = 0, 1, 2, 3, 4, 2


class MFn:
    kInvalid, kTransform, kMesh, kDependencyNode, kDagNode = 0, 110, 296, 4, 107


class MPoint:
    def __init__(self, x: Any = 0.0, y: float = 0.0, z: float = 0.0, w: float = 1.0) -> None:
        if isinstance(x, (list, tuple, MPoint)):
            vals = list(x)
            x, y, z = vals[0], vals[1], vals[2]
            w = vals[3] if len(vals) > 3 else 1.0
        self.x, self.y, self.z, self.w = float(x), float(y), float(z), float(w)

    def __iter__(self) -> Any:
        return iter((self.x, self.y, self.z, self.w))

    def __getitem__(self, i: int) -> float:
        return (self.x, self.y, self.z, self.w)[i]

    def __len__(self) -> int:
        return 4

    def __repr__(self) -> str:
        return f"MPoint({self.x}, {self.y}, {self.z}, {self.w})"


MFloatPoint = MPoint


class MVector(MPoint):
    def __init__(self, x: Any = 0.0, y: float = 0.0, z: float = 0.0) -> None:
        super().__init__(x, y, z, 0.0)

    def __len__(self) -> int:
        return 3

    def __iter__(self) -> Any:
        return iter((self.x, self.y, self.z))


class MPointArray(list):  # type: ignore[type-arg]
    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__(MPoint(p) if not isinstance(p, MPoint) else p for p in items)


MFloatPointArray = MPointArray


class MIntArray(list):  # type: ignore[type-arg]
    pass


class MMatrix:
    def __init__(self, values: Optional[Iterable[float]] = None) -> None:
        flat = list(values) if values is not None else list(np.eye(4).reshape(-1))
        if flat and isinstance(flat[0], (list, tuple)):
            flat = [v for row in flat for v in row]
        self.m = np.asarray(flat, dtype=np.float64).reshape(4, 4)

    def getElement(self, row: int, col: int) -> float:
        return float(self.m[row, col])

    def __getitem__(self, i: int) -> float:
        return float(self.m.reshape(-1)[i])

    def __iter__(self) -> Any:
        return iter(float(v) for v in self.m.reshape(-1))

    def __len__(self) -> int:
        return 16

    def __mul__(self, other: "MMatrix") -> "MMatrix":
        return MMatrix((self.m @ other.m).reshape(-1))

    def inverse(self) -> "MMatrix":
        return MMatrix(np.linalg.inv(self.m).reshape(-1))


MMatrix.kIdentity = MMatrix()  # type: ignore[attr-defined]


class MColor:
    def __init__(self, *rgba: Any) -> None:
        self.rgba = tuple(rgba[0]) if len(rgba) == 1 else tuple(rgba)


class MBoundingBox:
    def __init__(self, a: Any = None, b: Any = None) -> None:
        self.min, self.max = a, b


class MGlobal:
    kInteractive, kBatch, kLibraryApp, kBaseUIMode = 0, 1, 2, 3

    @staticmethod
    def mayaState() -> int:
        return MGlobal.kBatch if current().batch else MGlobal.kInteractive

    @staticmethod
    def displayWarning(msg: str) -> None:
        current().mel_log.append("// Warning: " + str(msg))

    @staticmethod
    def displayInfo(msg: str) -> None:
        current().mel_log.append("// Info: " + str(msg))

    @staticmethod
    def displayError(msg: str) -> None:
        current().mel_log.append("// Error: " + str(msg))


# ------------------------------------------------------------------ DAG access
class MDagPath:
    def __init__(self, name: Optional[str] = None) -> None:
        self.name = name

    def _node(self) -> Any:
        if self.name is None:
            raise RuntimeError("(kFailure): invalid MDagPath")
        return current().node(self.name)

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
        self.name = visible_shape(current(), self._node().name)
        return self

    def inclusiveMatrix(self) -> MMatrix:
        from .cmds_nodes import world_matrix
        n = self._node()
        return MMatrix(world_matrix(current(), n.parent if n.type != "transform" and n.parent
                                    else n.name).reshape(-1))

    def isValid(self) -> bool:
        return self.name is not None and current().exists(self.name)

    def apiType(self) -> int:
        return MFn.kMesh if self._node().type == "mesh" else MFn.kTransform

    def hasFn(self, fn: int) -> bool:
        return fn == self.apiType() or fn == MFn.kDagNode


class MSelectionList:
    def __init__(self) -> None:
        self.items: List[str] = []

    def add(self, name: Any) -> "MSelectionList":
        name = name.name if isinstance(name, (MDagPath, MObject)) else str(name)
        if not current().exists(name):
            raise RuntimeError("(kInvalidParameter): Object does not exist")
        self.items.append(current().node(name).name)
        return self

    def length(self) -> int:
        return len(self.items)

    def getDagPath(self, i: int) -> MDagPath:
        if not current().is_dag(self.items[i]):
            raise TypeError("(kInvalidParameter): not a DAG node")
        return MDagPath(self.items[i])

    def getDependNode(self, i: int) -> MObject:
        return MObject(self.items[i])


def _name(arg: Any) -> Optional[str]:
    if arg is None:
        return None
    return arg.name if isinstance(arg, MDagPath) else arg.node


class MFnDependencyNode:
    def __init__(self, obj: Any = None) -> None:
        self._obj = _name(obj)

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
    def _data(self) -> Dict[str, Any]:
        return current().mesh_data(self.name())

    def create(self, vertices: Iterable[Any], counts: Iterable[int], connects: Iterable[int],
               uValues: Any = None, vValues: Any = None, parent: Any = None) -> MObject:
        from .cmds_nodes import _create
        scene = current()
        pts = np.array([[p[0], p[1], p[2]] for p in vertices], dtype=np.float64).reshape(-1, 3)
        counts = np.asarray(list(counts), dtype=np.int64)
        connects = np.asarray(list(connects), dtype=np.int64)
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
        return len(self._data()["points"])

    def numPolygons(self) -> int:
        return len(self._data()["face_counts"])

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
        data = self._data()
        if pts.shape != data["points"].shape:
            raise RuntimeError("(kInvalidParameter): point count differs from the mesh")
        data["points"] = pts

    def getVertices(self) -> Any:
        d = self._data()
        return MIntArray(int(v) for v in d["face_counts"]), \
            MIntArray(int(v) for v in d["face_indices"])


# ------------------------------------------------------------------ plug-ins
class MFnPlugin(MFnPluginBase):
    pass


class MPxNode(MPxNodeBase):
    pass


class MPlug:
    def __init__(self, obj: Any = None, attr: Any = None) -> None:
        self.node_name = _name(obj)
        self.attr = attr.attr.long if isinstance(attr, AttrObj) else str(attr)

    def _value(self) -> Any:
        scene = current()
        node = scene.node(str(self.node_name))
        return scene.get_value(node, scene.plug_path(node, self.attr))

    def asString(self) -> str:
        return str(self._value())

    def asDouble(self) -> float:
        return float(self._value())

    asFloat = asDouble

    def asInt(self) -> int:
        return int(self._value())

    asShort = asInt

    def asBool(self) -> bool:
        return bool(self._value())


class MSyntax:
    kNoArg, kBoolean, kLong, kDouble, kString, kUnsigned, kDistance, kAngle = range(8)
    kNone, kStringObjects, kSelectionItem = range(3)

    def __init__(self) -> None:
        self.flags: Dict[str, str] = {}  # short -> long (without dashes)

    def addFlag(self, short: str, long: str, *types: int) -> None:
        self.flags[short.lstrip("-")] = long.lstrip("-")

    def setObjectType(self, *args: Any) -> None:
        pass

    def useSelectionAsDefault(self, *args: Any) -> None:
        pass

    def enableQuery(self, *args: Any) -> None:
        pass

    def enableEdit(self, *args: Any) -> None:
        pass


class MArgList:
    def __init__(self, args: List[Any], flags: Dict[str, Any]) -> None:
        self.args, self.flags = args, flags


class MArgDatabase:
    def __init__(self, syntax: MSyntax, args: MArgList) -> None:
        longs = set(syntax.flags.values()) | set(syntax.flags)
        bad = [k for k in args.flags if k not in longs]
        if bad:
            raise TypeError(f"Invalid flag(s): {bad}")
        self.values = {syntax.flags.get(k, k): v for k, v in args.flags.items()}
        self.syntax, self.objects = syntax, [str(a) for a in args.args]

    def _get(self, flag: str) -> Any:
        return self.values[self.syntax.flags.get(flag.lstrip("-"), flag.lstrip("-"))]

    def isFlagSet(self, flag: str) -> bool:
        return self.syntax.flags.get(flag.lstrip("-"), flag.lstrip("-")) in self.values

    def flagArgumentString(self, flag: str, i: int) -> str:
        return str(self._get(flag))

    def flagArgumentDouble(self, flag: str, i: int) -> float:
        return float(self._get(flag))

    def flagArgumentInt(self, flag: str, i: int) -> int:
        return int(self._get(flag))

    def flagArgumentBool(self, flag: str, i: int) -> bool:
        return bool(self._get(flag))

    def getObjectStrings(self) -> List[str]:
        return list(self.objects)


class MPxCommand:
    _result: Any = None

    def __init__(self) -> None:
        self._syntax: Optional[MSyntax] = None

    def syntax(self) -> MSyntax:
        return self._syntax or MSyntax()

    def isUndoable(self) -> bool:
        return False

    @staticmethod
    def setResult(value: Any) -> None:
        MPxCommand._result = value

    @staticmethod
    def clearResult() -> None:
        MPxCommand._result = None

    @staticmethod
    def displayWarning(msg: str) -> None:
        MGlobal.displayWarning(msg)


def run_command(creator: Callable[[], Any], syntax: Optional[Callable[[], MSyntax]],
                args: MArgList) -> Any:
    cmd = creator()
    cmd._syntax = syntax() if syntax else MSyntax()
    MPxCommand._result = None
    cmd.doIt(args)
    return MPxCommand._result


# ------------------------------------------------------------------ UI / render / anim
class MPxLocatorNode(MPxNode):
    localPosition = AttrObj(schema.attrs_of("locator")["localPosition"])
    localScale = AttrObj(schema.attrs_of("locator")["localScale"])

    def isBounded(self) -> bool:
        return False


class M3dView:
    kLeftAlign, kCenter, kRightAlign = 0, 1, 2


class MUserData:
    def __init__(self, deleteAfterUse: bool = False) -> None:
        self.deleteAfterUse = deleteAfterUse


class DrawAPI:
    kNone, kOpenGL, kDirectX11, kOpenGLCoreProfile, kAllDevices = 0, 1, 2, 4, 7


class MRenderer(DrawAPI):
    pass


class MFrameContext:
    pass


class MUIDrawManager:
    kLeft, kCenter, kRight = 0, 1, 2

    def __init__(self) -> None:
        self.calls: List[Any] = []

    def __getattr__(self, name: str) -> Callable[..., None]:
        def record(*args: Any, **kw: Any) -> None:
            self.calls.append((name, args))
        return record


class MPxDrawOverride:
    def __init__(self, obj: Any = None, callback: Any = None, isAlwaysDirty: bool = True) -> None:
        self.obj = obj


class MDrawRegistry:
    overrides: Dict[str, Any] = {}

    @staticmethod
    def registerDrawOverrideCreator(classification: str, registrant: str, creator: Any) -> None:
        MDrawRegistry.overrides[classification] = (registrant, creator)

    @staticmethod
    def deregisterDrawOverrideCreator(classification: str, registrant: str) -> None:
        MDrawRegistry.overrides.pop(classification, None)
