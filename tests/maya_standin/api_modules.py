"""The fake Maya API modules of the stand-in (a test double, NOT Maya): which class goes in
which module, as maya-stubs places them, and the reference checks switched on.

``build()`` returns ``maya.api.OpenMaya``, ``maya.api.OpenMayaAnim``, ``maya.api.OpenMayaUI``,
``maya.api.OpenMayaRender`` (API 2.0) and ``maya.OpenMaya``, ``maya.OpenMayaMPx``,
``maya.OpenMayaUI`` (API 1.0).  Each module holds exactly the names listed in
:data:`CONTENTS`; tests/maya/test_standin_api.py checks every one against maya-stubs.
"""
from __future__ import annotations

import types
from typing import Any, Dict, Tuple

from . import api1, api2, api2_dag, api2_render, api_args, api_check, api_reference

_MQtUtil = type("MQtUtil", (), {"mainWindow": staticmethod(lambda: None)})

#: API 2.0 commands take flags with their dash: api_args' stricter classes replace api2's.
_OPENMAYA2 = dict(vars(api2), **{n: getattr(api2_dag, n) for n in api2_dag.__all__},
                  MSyntax=api_args.MSyntax, MArgDatabase=api_args.MArgDatabase)

#: module name -> (stand-in Python module or namespace, names it exports)
CONTENTS: Dict[str, Tuple[Any, Tuple[str, ...]]] = {
    "maya.api.OpenMaya": (_OPENMAYA2, (
        "MObject", "MTypeId", "MSpace", "MFn", "MPoint", "MVector", "MPointArray",
        "MIntArray", "MMatrix", "MColor", "MBoundingBox", "MUserData", "MGlobal", "MDagPath",
        "MSelectionList", "MFnDependencyNode", "MFnDagNode", "MFnMesh", "MFnNumericData",
        "MFnData", "MFnStringData", "MFnAttribute", "MFnNumericAttribute",
        "MFnUnitAttribute", "MFnTypedAttribute", "MFnEnumAttribute", "MFnMatrixAttribute",
        "MFnCompoundAttribute", "MFnMessageAttribute", "MPxNode", "MPlug", "MSyntax",
        "MArgList", "MArgDatabase", "MPxCommand", "MFnPlugin")),
    "maya.api.OpenMayaAnim": (api2, ()),
    "maya.api.OpenMayaUI": (api2_render, ("MPxLocatorNode",)),
    "maya.api.OpenMayaRender": (api2_render, (
        "MPxDrawOverride", "MDrawRegistry", "MRenderer", "MFrameContext", "MUIDrawManager")),
    "maya.OpenMaya": (api1, (
        "MObject", "MTypeId", "MSpace", "MPoint", "MPointArray", "MIntArray", "MMatrix",
        "MGlobal", "MFnMesh", "MItGeometry", "MDataHandle", "MArrayDataHandle", "MDataBlock",
        "MFnNumericData", "MFnData", "MFnStringData", "MFnAttribute", "MFnNumericAttribute",
        "MFnUnitAttribute", "MFnTypedAttribute", "MFnEnumAttribute", "MFnMatrixAttribute",
        "MFnCompoundAttribute", "MFnMessageAttribute")),
    "maya.OpenMayaMPx": (api1, (
        "MFnPlugin", "MPxNode", "MPxGeometryFilter", "MPxDeformerNode", "cvar", "asMPxPtr")),
    "maya.OpenMayaUI": ({"MQtUtil": _MQtUtil}, ("MQtUtil",)),
}

_DOC = {"maya.api.OpenMaya": "API 2.0 OpenMaya", "maya.api.OpenMayaAnim": "API 2.0 OpenMayaAnim",
        "maya.api.OpenMayaUI": "API 2.0 OpenMayaUI",
        "maya.api.OpenMayaRender": "API 2.0 OpenMayaRender",
        "maya.OpenMaya": "API 1.0 OpenMaya", "maya.OpenMayaMPx": "API 1.0 OpenMayaMPx",
        "maya.OpenMayaUI": "API 1.0 OpenMayaUI"}


def namespaces() -> Dict[str, Dict[str, Any]]:
    """module name -> {exported name: object}."""
    out: Dict[str, Dict[str, Any]] = {}
    for module, (source, names) in CONTENTS.items():
        get = source.get if isinstance(source, dict) else (lambda n, s=source: getattr(s, n))
        out[module] = {n: get(n) for n in names}
    return out


def build(doc: str) -> Dict[str, types.ModuleType]:
    """The seven API modules, with the reference table's checks in force."""
    spaces = namespaces()
    api_check.enforce(api_reference.signatures(), spaces)
    mods = {}
    for name, members in spaces.items():
        mod = types.ModuleType(name, doc + _DOC[name])
        mod.__dict__.update(members)
        mod.__standin__ = True  # type: ignore[attr-defined]
        mods[name] = mod
    return mods
