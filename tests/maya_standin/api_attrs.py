"""Attribute function sets of the Maya stand-in's APIs (a test double, NOT Maya).

The logic is written once here; each API builds its own classes from it (``api1``, ``api2``)
with its own MObject type and its own way to set flags: API 1.0 has methods
(``fn.setKeyable(True)``), API 2.0 has properties (``fn.keyable = True``), as in Maya.
``create`` returns an MObject of that API carrying the attribute's schema declaration.
Type constants are maya-stubs' values (a test compares them).
"""
from __future__ import annotations

import math
from typing import Any, Dict, List, Optional, Type

from . import schema
from .api_plugin import MObjectBase, attr_of, expect

_IDENTITY = tuple(float(i == j) for i in range(4) for j in range(4))


class NumericTypes:
    """``MFnNumericData`` type constants (both APIs)."""

    kBoolean, kShort, kInt, kLong, kFloat, kDouble, k3Float, k3Double = 1, 4, 7, 7, 11, 14, 13, 16


class DataTypes:
    """``MFnData`` type constants (both APIs)."""

    kString, kMatrix, kPointArray, kComponentList, kMesh, kNurbsCurve, kAny = \
        4, 5, 10, 13, 14, 16, 24


_NUMERIC_KIND = {NumericTypes.kBoolean: "bool", NumericTypes.kShort: "short",
                 NumericTypes.kInt: "long", NumericTypes.kFloat: "float",
                 NumericTypes.kDouble: "double", NumericTypes.k3Float: "float3",
                 NumericTypes.k3Double: "double3"}
_TYPED_KIND = {DataTypes.kString: "string", DataTypes.kMatrix: "matrix",
               DataTypes.kMesh: "mesh", DataTypes.kPointArray: "pointArray",
               DataTypes.kComponentList: "componentList"}


class StringDataSet:
    """``MFnStringData``: ``create`` returns string data as an MObject of the API."""

    _MOBJECT: Type[MObjectBase] = MObjectBase

    def create(self, str: str = "") -> MObjectBase:  # noqa: A002 - Autodesk's name
        obj = self._MOBJECT()
        obj._data = str
        return obj


class AttributeSet:
    """The shared core of ``MFnAttribute``: the attribute being edited and its creation."""

    _MOBJECT: Type[MObjectBase] = MObjectBase

    def __init__(self, object: Optional[MObjectBase] = None) -> None:  # noqa: A002
        self._obj: Optional[MObjectBase] = None
        if object is not None:
            attr_of(object, self._MOBJECT, type(self).__name__ + "(object)")
            self._obj = object

    def _attr(self) -> schema.Attr:
        if self._obj is None or self._obj._attr is None:
            raise RuntimeError("stand-in: (kInvalidParameter) the function set has no "
                               "attribute: call create() first")
        return self._obj._attr

    def _set(self, name: str, value: Any) -> None:
        a = self._attr()
        if name in ("keyable", "writable", "readable"):
            setattr(a, name, bool(value))
        elif name == "array":
            a.multi = bool(value)

    def _make(self, long: str, short: str, kind: str, default: Any,
              children: Optional[List[MObjectBase]] = None) -> MObjectBase:
        kids = list(children or [])
        attr = schema.Attr(long, short, kind, default,
                           children=tuple(c._attr.long for c in kids if c._attr is not None))
        obj = self._MOBJECT()
        obj._attr = attr
        obj._children = kids
        for c in kids:
            if c._attr is not None:
                c._attr.parent = long
        self._obj = obj
        return obj


def _flag(name: str) -> property:
    """An API 2.0 attribute flag property (``fn.keyable = True``)."""

    def get(self: AttributeSet) -> Any:
        return getattr(self._attr(), name, False)

    def put(self: AttributeSet, value: Any) -> None:
        self._set(name, value)

    return property(get, put)


class Api2Flags:
    """API 2.0 ``MFnAttribute`` flag properties."""

    keyable = _flag("keyable")
    storable = _flag("storable")
    readable = _flag("readable")
    writable = _flag("writable")
    hidden = _flag("hidden")
    connectable = _flag("connectable")
    channelBox = _flag("channelBox")
    array = _flag("array")
    affectsAppearance = _flag("affectsAppearance")


class Api1Flags:
    """API 1.0 ``MFnAttribute`` flag setters."""

    def setKeyable(self, state: bool) -> None: self._set("keyable", state)  # type: ignore
    def setStorable(self, state: bool) -> None: self._set("storable", state)  # type: ignore
    def setReadable(self, state: bool) -> None: self._set("readable", state)  # type: ignore
    def setWritable(self, state: bool) -> None: self._set("writable", state)  # type: ignore
    def setHidden(self, state: bool) -> None: self._set("hidden", state)  # type: ignore
    def setConnectable(self, state: bool) -> None: self._set("connectable", state)  # type: ignore
    def setChannelBox(self, state: bool) -> None: self._set("channelBox", state)  # type: ignore
    def setArray(self, state: bool) -> None: self._set("array", state)  # type: ignore


class NumericSet(AttributeSet):
    """``MFnNumericAttribute.create``: a number, or a compound of numeric children."""

    def create(self, long: str, short: str, kind_or_child: Any, default: Any = 0.0,
               *more: Any) -> MObjectBase:
        where = type(self).__name__ + ".create"
        if isinstance(kind_or_child, MObjectBase):  # compound of numeric children
            kids = [kind_or_child] + [m for m in (default,) + more
                                      if isinstance(m, MObjectBase) and not m.isNull()]
            for k in kids:
                attr_of(k, self._MOBJECT, where)
            return self._make(long, short, "double3",
                              tuple(k._attr.default for k in kids if k._attr), kids)
        kind = _NUMERIC_KIND.get(int(kind_or_child))
        if kind is None:
            raise RuntimeError(f"{where}: (kInvalidParameter) numeric type {kind_or_child} "
                               "is not one the stand-in models")
        if kind in ("double3", "float3"):
            kids = [type(self)()._make(long + ax, short + ax.lower(), kind[:-1],
                                       float(default)) for ax in "XYZ"]
            return self._make(long, short, kind, (float(default),) * 3, kids)
        value: Any = bool(default) if kind == "bool" else int(default) \
            if kind in ("long", "short") else float(default)
        return self._make(long, short, kind, value)

    def setMin(self, *_: Any) -> None: self._attr()
    def setMax(self, *_: Any) -> None: self._attr()
    def setSoftMin(self, *_: Any) -> None: self._attr()
    def setSoftMax(self, *_: Any) -> None: self._attr()


class UnitSet(AttributeSet):
    """Distances and angles: the stand-in stores UI values (cm, degrees); API data handles
    see internal units (cm, radians), as in Maya."""

    kInvalid, kAngle, kDistance, kTime, kLast = 0, 1, 2, 3, 4

    def create(self, long: str, short: str, unit: int, default: float = 0.0) -> MObjectBase:
        kind = {self.kAngle: "doubleAngle", self.kDistance: "doubleLinear"}.get(unit, "double")
        value = float(default)
        if kind == "doubleAngle":  # the API default is in radians; store degrees
            value = math.degrees(value)
        return self._make(long, short, kind, value)

    def setMin(self, *_: Any) -> None: self._attr()
    def setMax(self, *_: Any) -> None: self._attr()


class TypedSet(AttributeSet):
    def create(self, long: str, short: str, data_type: int,
               default: Optional[MObjectBase] = None) -> MObjectBase:
        kind = _TYPED_KIND.get(int(data_type), "geometry")
        text = ""
        if default is not None:
            expect(default, self._MOBJECT, type(self).__name__ + ".create(defaultValue)")
            text = "" if default._data is None else str(default._data)
        return self._make(long, short, kind, text if kind == "string" else None)


class EnumSet(AttributeSet):
    def create(self, long: str, short: str, default: int = 0) -> MObjectBase:
        return self._make(long, short, "enum", int(default))

    def addField(self, name: str, value: int) -> None:
        attr = self._attr()
        fields = list(attr.enum)
        while len(fields) <= value:
            fields.append("")
        fields[value] = name
        attr.enum = tuple(fields)


class MatrixSet(AttributeSet):
    kFloat, kDouble = 0, 1

    def create(self, long: str, short: str, kind: int = 1) -> MObjectBase:
        return self._make(long, short, "matrix", _IDENTITY)


class CompoundSet(AttributeSet):
    def create(self, long: str, short: str) -> MObjectBase:
        return self._make(long, short, "compound", None)

    def addChild(self, child: MObjectBase) -> None:
        kid = attr_of(child, self._MOBJECT, type(self).__name__ + ".addChild")
        attr = self._attr()
        attr.children = attr.children + (kid.long,)
        kid.parent = attr.long
        assert self._obj is not None
        self._obj._children.append(child)


class MessageSet(AttributeSet):
    def create(self, long: str, short: str) -> MObjectBase:
        return self._make(long, short, "message", None)


def function_sets(mobject: type, flags: type, module: str) -> Dict[str, type]:
    """One API's attribute function sets, as classes of their own (API 1.0 and 2.0 objects must
    not mix), built on the shared behaviour above: ``MFnNumericData`` ... ``MFnMessageAttribute``."""
    here = {"__module__": module}
    attribute = type("MFnAttribute", (flags, AttributeSet), dict(here, _MOBJECT=mobject))
    sets: Dict[str, type] = {
        "MFnNumericData": type("MFnNumericData", (NumericTypes,), dict(here)),
        "MFnData": type("MFnData", (DataTypes,), dict(here)),
        "MFnStringData": type("MFnStringData", (StringDataSet,), dict(here, _MOBJECT=mobject)),
        "MFnAttribute": attribute,
    }
    for name, base in (("MFnNumericAttribute", NumericSet), ("MFnUnitAttribute", UnitSet),
                       ("MFnTypedAttribute", TypedSet), ("MFnEnumAttribute", EnumSet),
                       ("MFnMatrixAttribute", MatrixSet), ("MFnCompoundAttribute", CompoundSet),
                       ("MFnMessageAttribute", MessageSet)):
        sets[name] = type(name, (base, attribute), dict(here))
    return sets
