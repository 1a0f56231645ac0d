"""Fake Python API 2.0 ``maya.api.OpenMaya`` of the Maya stand-in (NOT Maya).

Just the classes MicroExpr's Maya layer touches: selection lists, DAG paths, MFnMesh for
reading/writing/creating meshes, points and matrices, MGlobal, the MPx base classes and
attribute function sets for plug-ins, and a command syntax/argument database.  Every class
is API 2.0's own: API 1.0 objects are refused (``TypeError``).  DAG paths, selection lists,
dependency-node and mesh function sets and plugs are in :mod:`.api2_dag`; the UI and render
classes in :mod:`.api2_render`.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, Iterable, List, Optional

import numpy as np

from . import api_attrs
from .api_plugin import MFnPluginBase, MObjectBase, MPxNodeBase, MTypeIdBase, expect
from .state import current


class MObject(MObjectBase):
    _API = 2


MObject.kNullObj = MObject()  # type: ignore[attr-defined]


class MTypeId(MTypeIdBase):
    _API = 2


class MSpace:
    kInvalid, kTransform, kPreTransform, kPostTransform, kWorld, kObject = 0, 1, 2, 3, 4, 2


class MFn:
    kInvalid, kTransform, kMesh, kDependencyNode, kDagNode = 0, 110, 296, 4, 107


class MPoint:
    """x, y, z, w; also a sequence of four numbers, as API 2.0's MPoint is."""

    def __init__(self, x: Any = 0.0, y: float = 0.0, z: float = 0.0, w: float = 1.0) -> None:
        if isinstance(x, (list, tuple, MPoint)):
            vals = [x[i] for i in range(len(x))]
            x, y, z = vals[0], vals[1], vals[2]
            w = vals[3] if len(vals) > 3 else 1.0
        self.x, self.y, self.z, self.w = float(x), float(y), float(z), float(w)

    def __getitem__(self, i: int) -> float:
        return (self.x, self.y, self.z, self.w)[i]

    def __len__(self) -> int:
        return 4

    def __repr__(self) -> str:
        return f"MPoint({self.x}, {self.y}, {self.z}, {self.w})"


class MVector:
    def __init__(self, x: Any = 0.0, y: float = 0.0, z: float = 0.0) -> None:
        if isinstance(x, (list, tuple, MVector)):
            x, y, z = x[0], x[1], x[2]
        self.x, self.y, self.z = float(x), float(y), float(z)

    def __getitem__(self, i: int) -> float:
        return (self.x, self.y, self.z)[i]

    def __len__(self) -> int:
        return 3


class _Sequence:
    """API 2.0 arrays are Python sequences."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items: List[Any] = [self._convert(v) for v in items]

    def _convert(self, v: Any) -> Any:
        return v

    def __getitem__(self, i: int) -> Any:
        return self._items[i]

    def __setitem__(self, i: int, v: Any) -> None:
        self._items[i] = self._convert(v)

    def __len__(self) -> int:
        return len(self._items)

    def append(self, v: Any) -> None:
        self._items.append(self._convert(v))

    def clear(self) -> None:
        self._items = []


class MPointArray(_Sequence):
    def _convert(self, v: Any) -> Any:
        return v if isinstance(v, MPoint) else MPoint(v)


class MIntArray(_Sequence):
    def _convert(self, v: Any) -> Any:
        return int(v)


class MMatrix:
    kIdentity: "MMatrix"

    def __init__(self, values: Optional[Iterable[Any]] = None) -> None:
        flat = list(values) if values is not None else list(np.eye(4).reshape(-1))
        if flat and isinstance(flat[0], (list, tuple)):
            flat = [v for row in flat for v in row]
        self._m = np.asarray(flat, dtype=np.float64).reshape(4, 4)

    def getElement(self, row: int, col: int) -> float:
        return float(self._m[row, col])

    def __getitem__(self, i: int) -> float:
        return float(self._m.reshape(-1)[i])

    def __len__(self) -> int:
        return 16

    def __mul__(self, other: "MMatrix") -> "MMatrix":
        return MMatrix((self._m @ expect(other, MMatrix, "MMatrix * MMatrix")._m).reshape(-1))

    def inverse(self) -> "MMatrix":
        return MMatrix(np.linalg.inv(self._m).reshape(-1))


MMatrix.kIdentity = MMatrix()


class MColor:
    def __init__(self, *rgba: Any) -> None:
        vals = tuple(rgba[0]) if len(rgba) == 1 else tuple(rgba)
        self.r, self.g, self.b = (float(v) for v in vals[:3])
        self.a = float(vals[3]) if len(vals) > 3 else 1.0

    def __getitem__(self, i: int) -> float:
        return (self.r, self.g, self.b, self.a)[i]

    def __len__(self) -> int:
        return 4


class MBoundingBox:
    def __init__(self, corner1: Optional[MPoint] = None,
                 corner2: Optional[MPoint] = None) -> None:
        if corner1 is None or corner2 is None:
            self._lo = self._hi = np.zeros(3)
        else:
            a, b = np.array(corner1[:3]), np.array(corner2[:3])
            self._lo, self._hi = np.minimum(a, b), np.maximum(a, b)

    @property
    def min(self) -> MPoint:
        return MPoint(*self._lo)

    @property
    def max(self) -> MPoint:
        return MPoint(*self._hi)

    @property
    def width(self) -> float:
        return float(self._hi[0] - self._lo[0])

    @property
    def height(self) -> float:
        return float(self._hi[1] - self._lo[1])

    @property
    def depth(self) -> float:
        return float(self._hi[2] - self._lo[2])


class MUserData:
    def __init__(self, deleteAfterUse: bool = True) -> None:
        self._delete_after_use = bool(deleteAfterUse)

    def deleteAfterUse(self) -> bool:
        return self._delete_after_use


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


# ------------------------------------------------------------------ attribute function sets
_SETS = api_attrs.function_sets(MObject, api_attrs.Api2Flags, __name__)
globals().update(_SETS)   # MFnNumericData ... MFnMessageAttribute, this API's own classes


# ------------------------------------------------------------------ plug-ins
class MPxNode(MPxNodeBase):
    _API = 2
    _MOBJECT = MObject


class MSyntax:
    kNoArg, kBoolean, kLong, kDouble, kString, kUnsigned, kDistance, kAngle = \
        1, 2, 3, 4, 5, 6, 7, 8
    kNone, kStringObjects, kSelectionItem = 1, 2, 10

    def __init__(self) -> None:
        self._flags: Dict[str, str] = {}  # short -> long (without dashes)

    def addFlag(self, shortName: str, longName: str, *argTypes: int) -> "MSyntax":
        self._flags[shortName.lstrip("-")] = longName.lstrip("-")
        return self

    def setObjectType(self, objectType: int, minimumObjects: int = 0,
                      maximumObjects: int = 0) -> "MSyntax":
        return self

    def useSelectionAsDefault(self, useSelectionAsDefault: bool) -> "MSyntax":
        return self


class MArgList:
    def __init__(self) -> None:
        self._args: List[Any] = []
        self._flags: Dict[str, Any] = {}

    @classmethod
    def _make(cls, args: List[Any], flags: Dict[str, Any]) -> "MArgList":
        out = cls()
        out._args, out._flags = args, flags
        return out


class MArgDatabase:
    def __init__(self, syntax: MSyntax, argList: MArgList) -> None:
        longs = set(syntax._flags.values()) | set(syntax._flags)
        bad = [k for k in argList._flags if k not in longs]
        if bad:
            raise TypeError(f"Invalid flag(s): {bad}")
        self._values = {syntax._flags.get(k, k): v for k, v in argList._flags.items()}
        self._syntax, self._objects = syntax, [str(a) for a in argList._args]

    def _get(self, flag: str) -> Any:
        return self._values[self._syntax._flags.get(flag.lstrip("-"), flag.lstrip("-"))]

    def isFlagSet(self, flag: str) -> bool:
        return self._syntax._flags.get(flag.lstrip("-"), flag.lstrip("-")) in self._values

    def flagArgumentString(self, flag: str, index: int) -> str:
        return str(self._get(flag))

    def flagArgumentDouble(self, flag: str, index: int) -> float:
        return float(self._get(flag))

    def flagArgumentInt(self, flag: str, index: int) -> int:
        return int(self._get(flag))

    def flagArgumentBool(self, flag: str, index: int) -> bool:
        return bool(self._get(flag))

    def getObjectStrings(self) -> List[str]:
        return list(self._objects)


class MPxCommand:
    _result: Any = None

    def __init__(self) -> None:
        self._syntax: Optional[MSyntax] = None

    def syntax(self) -> MSyntax:
        return self._syntax or MSyntax()

    def isUndoable(self) -> bool:
        return False

    @staticmethod
    def setResult(result: Any) -> None:
        MPxCommand._result = result

    @staticmethod
    def clearResult() -> None:
        MPxCommand._result = None

    @staticmethod
    def displayWarning(msg: str) -> None:
        MGlobal.displayWarning(msg)


class MFnPlugin(MFnPluginBase):
    _API = 2
    _MOBJECT = MObject
    _TYPEID = MTypeId
    _PXNODE = MPxNode
    _PXCOMMAND = MPxCommand


def run_command(creator: Callable[[], Any], syntax: Optional[Callable[[], MSyntax]],
                args: MArgList) -> Any:
    cmd = creator()
    cmd._syntax = syntax() if syntax else MSyntax()
    MPxCommand._result = None
    cmd.doIt(args)
    return MPxCommand._result
