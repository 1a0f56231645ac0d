"""Attribute function sets of the Maya stand-in's fake APIs (a test double, NOT Maya).

One implementation serves API 2.0 (properties: ``fn.keyable = True``) and API 1.0 (methods:
``fn.setKeyable(True)``); ``create`` returns an :class:`AttrObj` carrying the declaration.
"""
from __future__ import annotations

import math
from typing import Any, List, Optional

from . import schema
from .api_plugin import AttrObj

_NUMERIC_KIND = {0: "bool", 1: "long", 2: "short", 3: "float", 4: "double", 5: "double3",
                 6: "float3", 7: "long"}
_IDENTITY = tuple(float(i == j) for i in range(4) for j in range(4))


class MFnNumericData:
    kBoolean, kLong, kShort, kFloat, kDouble, k3Double, k3Float, kInt = range(8)


class MFnData:
    kString, kMatrix, kMesh, kPointArray, kComponentList, kNurbsCurve, kAny = range(7)


class MFnStringData:
    def create(self, value: str = "") -> Any:
        return value


class MFnAttribute:
    _FLAGS = ("keyable", "storable", "readable", "writable", "hidden", "connectable",
              "channelBox", "array", "usesArrayDataBuilder", "affectsAppearance",
              "disconnectBehavior", "cached", "indexMatters", "internal", "affectsWorldSpace")

    def __init__(self, obj: Optional[AttrObj] = None) -> None:
        object.__setattr__(self, "obj", obj)

    @property
    def attr(self) -> schema.Attr:
        if self.obj is None:
            raise RuntimeError("stand-in: attribute function set has no attribute")
        return self.obj.attr

    def __setattr__(self, name: str, value: Any) -> None:  # API 2.0 properties
        if name in self._FLAGS:
            self._set(name, value)
            return
        object.__setattr__(self, name, value)

    def _set(self, name: str, value: Any) -> None:
        a = self.attr
        if name == "keyable":
            a.keyable = bool(value)
        elif name == "writable":
            a.writable = bool(value)
        elif name == "readable":
            a.readable = bool(value)
        elif name == "array":
            a.multi = bool(value)

    def _make(self, long: str, short: str, kind: str, default: Any,
              children: List[AttrObj] = ()) -> AttrObj:  # type: ignore[assignment]
        attr = schema.Attr(long, short, kind, default,
                           children=tuple(c.attr.long for c in children))
        obj = AttrObj(attr)
        obj.children = list(children)  # type: ignore[attr-defined]
        for c in children:
            c.attr.parent = long
        object.__setattr__(self, "obj", obj)
        return obj

    # API 1.0 setters
    def setKeyable(self, v: bool) -> None: self._set("keyable", v)
    def setStorable(self, v: bool) -> None: self._set("storable", v)
    def setReadable(self, v: bool) -> None: self._set("readable", v)
    def setWritable(self, v: bool) -> None: self._set("writable", v)
    def setHidden(self, v: bool) -> None: self._set("hidden", v)
    def setConnectable(self, v: bool) -> None: self._set("connectable", v)
    def setChannelBox(self, v: bool) -> None: self._set("channelBox", v)
    def setArray(self, v: bool) -> None: self._set("array", v)
    def setAffectsAppearance(self, v: bool) -> None: self._set("affectsAppearance", v)


class MFnNumericAttribute(MFnAttribute):
    def create(self, long: str, short: str, kind_or_child: Any, default: Any = 0.0,
               *more: Any) -> AttrObj:
        if isinstance(kind_or_child, AttrObj):  # compound of 3 numeric children
            kids = [kind_or_child] + [m for m in (default,) + more if isinstance(m, AttrObj)]
            return self._make(long, short, "double3",
                              tuple(k.attr.default for k in kids), kids)
        kind = _NUMERIC_KIND[int(kind_or_child)]
        if kind in ("double3", "float3"):
            kids = [self.__class__()._make(long + ax, short + ax.lower(), "double",
                                           float(default)) for ax in "XYZ"]
            return self._make(long, short, kind, (float(default),) * 3, kids)
        value: Any = bool(default) if kind == "bool" else int(default) \
            if kind in ("long", "short") else float(default)
        return self._make(long, short, kind, value)

    def setMin(self, *_: Any) -> None: pass
    def setMax(self, *_: Any) -> None: pass
    def setSoftMin(self, *_: Any) -> None: pass
    def setSoftMax(self, *_: Any) -> None: pass
    def setDefault(self, *v: Any) -> None: self.attr.default = v[0] if len(v) == 1 else v


class MFnUnitAttribute(MFnAttribute):
    """Distances and angles: the stand-in stores UI values (cm, degrees); API data handles
    see internal units (cm, radians), as in Maya."""

    kInvalid, kAngle, kDistance, kTime, kLast = 0, 1, 2, 3, 4

    def create(self, long: str, short: str, unit: int, default: float = 0.0) -> AttrObj:
        kind = {self.kAngle: "doubleAngle", self.kDistance: "doubleLinear"}.get(unit, "double")
        value = float(default)
        if kind == "doubleAngle":  # the API default is in radians; store degrees
            value = math.degrees(value)
        return self._make(long, short, kind, value)

    def setMin(self, *_: Any) -> None: pass
    def setMax(self, *_: Any) -> None: pass


class MFnTypedAttribute(MFnAttribute):
    def create(self, long: str, short: str, data_type: int, default: Any = None) -> AttrObj:
        kind = {MFnData.kString: "string", MFnData.kMatrix: "matrix", MFnData.kMesh: "mesh",
                MFnData.kPointArray: "pointArray",
                MFnData.kComponentList: "componentList"}.get(data_type, "geometry")
        dflt = (default if isinstance(default, str) else "") if kind == "string" else None
        return self._make(long, short, kind, dflt)


class MFnEnumAttribute(MFnAttribute):
    def create(self, long: str, short: str, default: int = 0) -> AttrObj:
        return self._make(long, short, "enum", int(default))

    def addField(self, name: str, value: int) -> None:
        fields = list(self.attr.enum)
        while len(fields) <= value:
            fields.append("")
        fields[value] = name
        self.attr.enum = tuple(fields)


class MFnMatrixAttribute(MFnAttribute):
    kFloat, kDouble = 0, 1

    def create(self, long: str, short: str, kind: int = 1) -> AttrObj:
        return self._make(long, short, "matrix", _IDENTITY)


class MFnCompoundAttribute(MFnAttribute):
    def create(self, long: str, short: str) -> AttrObj:
        return self._make(long, short, "compound", None)

    def addChild(self, child: AttrObj) -> None:
        self.attr.children = self.attr.children + (child.attr.long,)
        child.attr.parent = self.attr.long
        self.obj.children.append(child)  # type: ignore[union-attr]


class MFnMessageAttribute(MFnAttribute):
    def create(self, long: str, short: str) -> AttrObj:
        return self._make(long, short, "message", None)
