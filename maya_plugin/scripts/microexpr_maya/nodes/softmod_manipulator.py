"""The soft-mod manipulator deformer (Python API 1.0: API 2.0 has no MPxDeformerNode).

One node per key point.  Its weights are the core's falloff about the key vertex
(``microexpr.rig.softmod.softmod_weights``), cached until radius, curve, mode, inner radius, key
vertex, centre or topology change; ``deform()`` moves each vertex by weight x the handle's
offset (translate/rotate/scale about the key point, then ``handleMatrix`` about it), in the
mesh's object space and internal units (centimetres).  Only the deformer's member vertices
move (those its iterator visits, by their real ids), each scaled by its painted weight
(Deform > Paint Weights writes ``weightList``, read through ``weightValue``).
"""
from __future__ import annotations

from typing import Any, List, Optional, Tuple

import numpy as np

from microexpr.mesh import Mesh
from microexpr.rig.softmod import SoftMod

from .._maya import om1, ompx1
from . import FALLOFF_CURVES, FALLOFF_MODES, MANIPULATOR_ID, MANIPULATOR_TYPE
from ._softmod_eval import WeightCache, deform, is_rest

TYPE_NAME = MANIPULATOR_TYPE


def _inherited(name: str) -> Any:
    """An attribute MPxGeometryFilter declares (``cvar`` in Maya 2016+, class attr later)."""
    cvar = getattr(ompx1, "cvar", None)
    for prefix in ("MPxGeometryFilter_", "MPxDeformerNode_"):
        obj = getattr(cvar, prefix + name, None)
        if obj is not None:
            return obj
    return getattr(ompx1.MPxGeometryFilter, name)


class SoftModManipulator(ompx1.MPxDeformerNode):
    """Deformer node ``microexprSoftModManipulator``."""

    # attribute MObjects, filled by initialize()
    keyName: Any = None
    landmarkIndex: Any = None
    vertexIndex: Any = None
    radius: Any = None
    innerRadius: Any = None
    falloffCurve: Any = None
    falloffMode: Any = None
    useCenter: Any = None
    center: Any = None
    handleTranslate: Any = None
    handleRotate: Any = None
    handleScale: Any = None
    handleMatrix: Any = None
    _vec3_children: dict = {}

    def __init__(self) -> None:
        ompx1.MPxDeformerNode.__init__(self)
        self._cache = WeightCache()

    # -- reading the data block -----------------------------------------------------------
    @classmethod
    def _vec(cls, data: Any, name: str) -> Tuple[float, float, float]:
        kids = cls._vec3_children[name]
        return (data.inputValue(kids[0]).asDouble(), data.inputValue(kids[1]).asDouble(),
                data.inputValue(kids[2]).asDouble())

    def _softmod(self, data: Any) -> SoftMod:
        """The key point and falloff as the core's soft-mod, its handle at rest."""
        cls = type(self)
        curve = int(data.inputValue(cls.falloffCurve).asShort())
        mode = int(data.inputValue(cls.falloffMode).asShort())
        center: Optional[Tuple[float, float, float]] = None
        if data.inputValue(cls.useCenter).asBool():
            center = cls._vec(data, "center")
        return SoftMod(
            key_name=data.inputValue(cls.keyName).asString(),
            landmark=int(data.inputValue(cls.landmarkIndex).asInt()),
            vertex=int(data.inputValue(cls.vertexIndex).asInt()),
            radius=float(data.inputValue(cls.radius).asDouble()),
            curve=FALLOFF_CURVES[min(max(curve, 0), len(FALLOFF_CURVES) - 1)],
            mode=FALLOFF_MODES[min(max(mode, 0), len(FALLOFF_MODES) - 1)],
            inner_radius=float(data.inputValue(cls.innerRadius).asDouble()),
            center=center)

    def deform(self, data: Any, geom_iter: Any, local_to_world: Any, multi_index: int) -> None:
        """Move the member vertices the iterator visits, each by its falloff weight times its
        painted weight (``weightValue``), keyed by the iterator's real vertex id."""
        cls = type(self)
        envelope = float(data.inputValue(_inherited("envelope")).asFloat())
        m = data.inputValue(cls.handleMatrix).asMatrix()
        matrix = np.array([[m(r, c) for c in range(4)] for r in range(4)])
        translate = cls._vec(data, "handleTranslate")
        rotate = tuple(np.degrees(cls._vec(data, "handleRotate")))  # radians internally
        scale = cls._vec(data, "handleScale")
        if envelope == 0.0 or is_rest(translate, rotate, scale, matrix):
            return  # nothing moves: leave the points alone without reading them
        handle = data.outputArrayValue(_inherited("input"))
        handle.jumpToElement(multi_index)
        fn = om1.MFnMesh(handle.outputValue().child(_inherited("inputGeom")).asMesh())
        topology = (int(fn.numVertices()), int(fn.numPolygons()))
        # the falloff needs the whole mesh, members or not: read it from the input geometry
        all_points = om1.MPointArray()
        fn.getPoints(all_points, om1.MSpace.kObject)
        points = np.array([(all_points[i].x, all_points[i].y, all_points[i].z)
                           for i in range(all_points.length())]).reshape(-1, 3)

        def triangles() -> Optional[np.ndarray]:
            counts, connects = om1.MIntArray(), om1.MIntArray()
            fn.getVertices(counts, connects)
            return Mesh("input", points, np.array([counts[i] for i in range(counts.length())]),
                        np.array([connects[i] for i in range(connects.length())])).triangles()

        result = deform(points, self._softmod(data), self._cache, triangles, topology,
                        translate, rotate, scale, matrix, envelope)
        if result is not None:
            self._move_members(data, geom_iter, multi_index, points, *result)

    def _move_members(self, data: Any, geom_iter: Any, multi_index: int, points: np.ndarray,
                      idx: np.ndarray, moved: np.ndarray) -> None:
        """Set each visited vertex that moves; a painted weight scales its offset."""
        target = dict(zip(idx.tolist(), moved.tolist()))
        while not geom_iter.isDone():
            vertex = int(geom_iter.index())
            new = target.get(vertex)
            if new is not None:
                painted = float(self.weightValue(data, multi_index, vertex))
                if painted != 0.0:
                    x, y, z = points[vertex] + painted * (np.asarray(new) - points[vertex])
                    geom_iter.setPosition(om1.MPoint(float(x), float(y), float(z)))
            geom_iter.next()


def creator() -> Any:
    return ompx1.asMPxPtr(SoftModManipulator())


def _double3(name: str, short: str, default: float, unit: Optional[int] = None) -> Any:
    """A double3 compound; ``unit`` (MFnUnitAttribute.kDistance/kAngle) makes its children
    distances or angles, so connecting a transform's translate/rotate needs no conversion."""
    kids: List[Any] = []
    for axis in "XYZ":
        if unit is None:
            number = om1.MFnNumericAttribute()
            kids.append(number.create(name + axis, short + axis.lower(),
                                      om1.MFnNumericData.kDouble, default))
            number.setKeyable(True)
        else:
            measure = om1.MFnUnitAttribute()
            kids.append(measure.create(name + axis, short + axis.lower(), unit, default))
            measure.setKeyable(True)
    fn = om1.MFnNumericAttribute()
    obj = fn.create(name, short, kids[0], kids[1], kids[2])
    fn.setKeyable(True)
    SoftModManipulator._vec3_children[name] = kids
    return obj


def initialize() -> None:
    cls = SoftModManipulator
    typed = om1.MFnTypedAttribute()
    cls.keyName = typed.create("keyName", "kn", om1.MFnData.kString)
    num = om1.MFnNumericAttribute()
    cls.landmarkIndex = num.create("landmarkIndex", "lmi", om1.MFnNumericData.kInt, 0)
    cls.vertexIndex = num.create("vertexIndex", "vxi", om1.MFnNumericData.kInt, 0)
    cls.radius = num.create("radius", "rad", om1.MFnNumericData.kDouble, 2.0)
    num.setMin(0.0)
    num.setKeyable(True)
    cls.innerRadius = num.create("innerRadius", "irad", om1.MFnNumericData.kDouble, 0.0)
    num.setMin(0.0)
    num.setKeyable(True)
    cls.useCenter = num.create("useCenter", "uc", om1.MFnNumericData.kBoolean, False)
    enum = om1.MFnEnumAttribute()
    cls.falloffCurve = enum.create("falloffCurve", "fc", 1)
    for i, name in enumerate(FALLOFF_CURVES):
        enum.addField(name, i)
    enum.setKeyable(True)
    cls.falloffMode = enum.create("falloffMode", "fm", 0)
    for i, name in enumerate(FALLOFF_MODES):
        enum.addField(name, i)
    enum.setKeyable(True)
    cls.center = _double3("center", "ctr", 0.0)
    cls.handleTranslate = _double3("handleTranslate", "ht", 0.0, om1.MFnUnitAttribute.kDistance)
    cls.handleRotate = _double3("handleRotate", "hr", 0.0, om1.MFnUnitAttribute.kAngle)
    cls.handleScale = _double3("handleScale", "hs", 1.0)
    mat = om1.MFnMatrixAttribute()
    cls.handleMatrix = mat.create("handleMatrix", "hm", om1.MFnMatrixAttribute.kDouble)
    out = _inherited("outputGeom")
    for attr in (cls.keyName, cls.landmarkIndex, cls.vertexIndex, cls.radius, cls.innerRadius,
                 cls.useCenter, cls.falloffCurve, cls.falloffMode, cls.center,
                 cls.handleTranslate, cls.handleRotate, cls.handleScale, cls.handleMatrix):
        cls.addAttribute(attr)
        cls.attributeAffects(attr, out)
    for kids in cls._vec3_children.values():
        for kid in kids:
            cls.attributeAffects(kid, out)


def type_id() -> Any:
    return om1.MTypeId(MANIPULATOR_ID)
