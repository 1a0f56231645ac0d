"""Node types and attributes the Maya stand-in knows (a test double, NOT Maya).

Only the attributes the MicroExpr module and its tests touch are declared; reading or
writing any other attribute fails the way Maya does ("No object matches name"), so a
typo in a plug name is caught.  Plug-in node types add their attributes when the
stand-in ``loadPlugin`` runs the plug-in's initializer (see ``api_plugin.py``).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, Iterable, List, Optional, Tuple


@dataclass
class Attr:
    long: str
    short: str
    kind: str  # double float bool long short enum string double3 float3 matrix message mesh
    #            geometry pointArray componentList compound time doubleLinear doubleAngle
    default: Any = 0.0
    multi: bool = False
    parent: Optional[str] = None
    children: Tuple[str, ...] = ()
    keyable: bool = False
    enum: Tuple[str, ...] = ()
    readable: bool = True
    writable: bool = True


_TYPES: Dict[str, Dict[str, Attr]] = {}
_BASES: Dict[str, Tuple[str, ...]] = {}
_SHORT: Dict[str, Dict[str, str]] = {}


def define(typ: str, bases: Iterable[str], attrs: Iterable[Attr]) -> None:
    table: Dict[str, Attr] = {}
    for base in bases:
        table.update(_TYPES.get(base, {}))
    for a in attrs:
        table[a.long] = a
    _TYPES[typ] = table
    _BASES[typ] = tuple(bases)
    _SHORT[typ] = {a.short: a.long for a in table.values()}


def undefine(typ: str) -> None:
    for table in (_TYPES, _BASES, _SHORT):
        table.pop(typ, None)


def known(typ: str) -> bool:
    return typ in _TYPES


def attrs_of(typ: str) -> Dict[str, Attr]:
    return _TYPES.get(typ, {})


def long_name(typ: str, name: str, dynamic: Optional[Dict[str, Attr]] = None) -> Optional[str]:
    table = _TYPES.get(typ, {})
    if name in table or (dynamic and name in dynamic):
        return name
    if dynamic:
        for a in dynamic.values():
            if a.short == name:
                return a.long
    return _SHORT.get(typ, {}).get(name)


def ancestry(typ: str) -> List[str]:
    out = [typ]
    for base in _BASES.get(typ, ()):
        for t in ancestry(base):
            if t not in out:
                out.append(t)
    return out


def is_a(typ: str, base: str) -> bool:
    return base in ancestry(typ)


def vec3(long: str, short: str, default: float = 0.0, parent: Optional[str] = None,
         keyable: bool = True, kind: str = "double3", child_kind: str = "double") -> List[Attr]:
    kids = tuple(long + ax for ax in "XYZ")
    out = [Attr(long, short, kind, (default,) * 3, parent=parent, children=kids)]
    out += [Attr(long + ax, short + ax.lower(), child_kind, default, parent=parent,
                 keyable=keyable) for ax in "XYZ"]
    return out


_IDENTITY = tuple(float(i == j) for i in range(4) for j in range(4))

define("node", (), [Attr("message", "msg", "message", None), Attr("caching", "cch", "bool", False),
                    Attr("nodeState", "nds", "enum", 0)])
define("dagNode", ("node",), [
    Attr("visibility", "v", "bool", True, keyable=True),
    Attr("worldMatrix", "wm", "matrix", _IDENTITY, multi=True, writable=False),
    Attr("matrix", "m", "matrix", _IDENTITY, writable=False),
    Attr("intermediateObject", "io", "bool", False),
])
define("transform", ("dagNode",), vec3("translate", "t", child_kind="doubleLinear")
       + vec3("rotate", "r", child_kind="doubleAngle")
       + vec3("scale", "s", 1.0) + [Attr("rotateOrder", "ro", "enum", 0)])
define("joint", ("transform",), vec3("jointOrient", "jo", keyable=False)
       + [Attr("radius", "radi", "double", 1.0)])
define("shape", ("dagNode",), [])
define("surfaceShape", ("shape",), [])
define("deformableShape", ("surfaceShape",), [])
define("controlPoint", ("deformableShape",), [])
define("mesh", ("controlPoint",), [
    Attr("inMesh", "i", "mesh", None), Attr("outMesh", "o", "mesh", None, writable=False),
    Attr("worldMesh", "w", "mesh", None, multi=True, writable=False),
])
define("camera", ("shape",), [
    Attr("focalLength", "fl", "double", 35.0),
    Attr("horizontalFilmAperture", "hfa", "double", 1.417),
    Attr("verticalFilmAperture", "vfa", "double", 0.945),
    Attr("orthographic", "o", "bool", False),
    Attr("orthographicWidth", "ow", "double", 30.0),
    Attr("nearClipPlane", "ncp", "double", 0.1),
    # The attributes that shape the picture (Maya's camera node; filmFit in MFnCamera's
    # FilmFit order, Fill by default as in the Attribute Editor).
    Attr("horizontalFilmOffset", "hfo", "double", 0.0),
    Attr("verticalFilmOffset", "vfo", "double", 0.0),
    Attr("filmFit", "ff", "enum", 0, enum=("fill", "horizontal", "vertical", "overscan")),
    Attr("filmFitOffset", "ffo", "double", 0.0),
    Attr("cameraScale", "cs", "double", 1.0),
    Attr("lensSqueezeRatio", "lsr", "double", 1.0),
    Attr("preScale", "psc", "double", 1.0),
    Attr("postScale", "ptsc", "double", 1.0),
    Attr("filmTranslateH", "fth", "double", 0.0),
    Attr("filmTranslateV", "ftv", "double", 0.0),
    Attr("filmRollValue", "frv", "doubleAngle", 0.0),
])
define("locator", ("shape",), vec3("localPosition", "lp", keyable=False)
       + vec3("localScale", "ls", 1.0, keyable=False))
define("time", ("node",), [Attr("outTime", "o", "time", 1.0)])
define("resolution", ("node",), [Attr("width", "w", "long", 640), Attr("height", "h", "long", 480)])
define("geometryFilter", ("node",), [
    Attr("envelope", "en", "float", 1.0, keyable=True),
    Attr("input", "ip", "compound", None, multi=True, children=("inputGeometry", "groupId")),
    Attr("inputGeometry", "ig", "geometry", None, parent="input"),
    Attr("groupId", "gi", "long", 0, parent="input"),
    Attr("outputGeometry", "og", "geometry", None, multi=True, writable=False),
    Attr("originalGeometry", "orggeom", "geometry", None, multi=True),
])
define("weightGeometryFilter", ("geometryFilter",), [  # painted weights, per geometry
    Attr("weightList", "wl", "compound", None, multi=True, children=("weights",)),
    Attr("weights", "w", "float", 1.0, multi=True, parent="weightList"),
])
define("blendShape", ("weightGeometryFilter",), [
    Attr("weight", "w", "float", 0.0, multi=True, keyable=True),
    Attr("origin", "or", "enum", 1, enum=("world", "local", "user")),
    Attr("topologyCheck", "tc", "bool", True),
    Attr("inputTarget", "it", "compound", None, multi=True, children=("inputTargetGroup",)),
    Attr("inputTargetGroup", "itg", "compound", None, multi=True, parent="inputTarget",
         children=("inputTargetItem",)),
    Attr("inputTargetItem", "iti", "compound", None, multi=True, parent="inputTargetGroup",
         children=("inputGeomTarget", "inputPointsTarget", "inputComponentsTarget")),
    Attr("inputGeomTarget", "igt", "geometry", None, parent="inputTargetItem"),
    Attr("inputPointsTarget", "ipt", "pointArray", None, parent="inputTargetItem"),
    Attr("inputComponentsTarget", "ict", "componentList", None, parent="inputTargetItem"),
    Attr("inbetweenInfoGroup", "ibig", "compound", None, multi=True, children=("inbetweenInfo",)),
    Attr("inbetweenInfo", "ibi", "compound", None, multi=True, parent="inbetweenInfoGroup",
         children=("inbetweenTargetName",)),
    Attr("inbetweenTargetName", "ibtn", "string", "", parent="inbetweenInfo"),
])
define("skinCluster", ("geometryFilter",), [
    Attr("matrix", "ma", "matrix", _IDENTITY, multi=True),
    Attr("bindPreMatrix", "pm", "matrix", _IDENTITY, multi=True),
])
define("tweak", ("geometryFilter",), [])
define("animCurve", ("node",), [Attr("output", "o", "double", 0.0, writable=False)])
define("animCurveTU", ("animCurve",), [])
define("animLayer", ("node",), [Attr("weight", "w", "double", 1.0, keyable=True),
                                 Attr("mute", "m", "bool", False)])
define("reference", ("node",), [])
define("objectSet", ("node",), [])
define("softMod", ("weightGeometryFilter",), [Attr("falloffRadius", "fr", "double", 5.0)])
define("plugin", ("node",), [])  # base of plug-in dependency nodes
