"""The Maya API methods MicroExpr uses, with their arity and argument types from Autodesk's
reference (a table for the Maya stand-in, a test double, NOT Maya).

maya-stubs declares these methods as ``(*args, **kwargs)``; this table is what the stand-in
enforces instead (:mod:`.api_check`) and what ``tests/maya_standin/README.md`` shows
(``render_markdown``; a test keeps the two equal).  API 1.0 follows the C++ reference (its
Python wrapper mirrors it; ``MStatus *ReturnStatus`` out-arguments are left out); API 2.0
follows the Python API 2.0 reference.  ``kind`` is ``call`` for methods our code calls and
``override`` for methods Maya calls on our classes.  ``read`` marks rows whose exact
signature was read on the cited page; ``page`` rows cite the class page without the
signature text having been read for this table (UNVERIFIED in detail).
"""
from __future__ import annotations

from typing import List, Tuple

from .api_check import Signature, parse

_REF = "https://help.autodesk.com/cloudhelp"
SOURCES = {
    "cpp-deformer": _REF + "/2022/ENU/Maya-SDK/cpp_ref/class_m_px_deformer_node.html",
    "cpp-itgeometry": _REF + "/2020/ENU/Maya-SDK-MERGED/cpp_ref/class_m_it_geometry-members.html",
    "cpp-plugin": _REF + "/2027/CHS/MAYA-API-REF/cpp_ref/class_m_fn_plugin.html",
    "cpp-numeric": _REF + "/2019/ENU/Maya-SDK-MERGED/cpp_ref/class_m_fn_numeric_attribute-members.html",
    "cpp-unit": _REF + "/2019/ENU/Maya-SDK-MERGED/cpp_ref/class_m_fn_unit_attribute-members.html",
    "cpp-api": _REF + "/2024/ENU/MAYA-API-REF/cpp_ref/ (class pages: class_m_<name>.html)",
    "py2-plugin": _REF + "/2026/CHS/MAYA-API-REF/py_ref/class_open_maya_1_1_m_fn_plugin.html",
    "py2-drawoverride": _REF + "/2024/ENU/MAYA-API-REF/py_ref/"
                               "class_open_maya_render_1_1_m_px_draw_override.html",
    "h-uidrawmanager": "MUIDrawManager.h of the Maya devkit (Autodesk, 2018); class page "
                       + _REF + "/2024/ENU/MAYA-API-REF/py_ref/"
                       "class_open_maya_render_1_1_m_u_i_draw_manager.html",
    "py2-api": _REF + "/2024/ENU/MAYA-API-REF/py_ref/ (class pages: "
                      "class_open_maya_1_1_m_<name>.html)",
}

#: (module, signature, source, kind, read) -- overloads are consecutive rows.
ROWS: Tuple[Tuple[str, str, str, str, str], ...] = (
    # ---------------------------------------------------------------- API 1.0: deformer
    ("maya.OpenMayaMPx", "MFnPlugin(object: MObject, vendor: str = 'Unknown', "
     "version: str = 'Unknown', requiredApiVersion: str = 'Any') -> MFnPlugin",
     "cpp-plugin", "call", "read"),
    ("maya.OpenMayaMPx", "MFnPlugin.registerNode(typeName: str, typeId: MTypeId, "
     "creatorFunction: callable, initFunction: callable, type: int = kDependNode, "
     "classification: str | None = None) -> MStatus", "cpp-plugin", "call", "page"),
    ("maya.OpenMayaMPx", "MFnPlugin.deregisterNode(typeId: MTypeId) -> MStatus",
     "cpp-plugin", "call", "page"),
    ("maya.OpenMayaMPx", "MPxNode.addAttribute(attr: MObject) -> MStatus", "cpp-api", "call",
     "page"),
    ("maya.OpenMayaMPx", "MPxNode.attributeAffects(whenChanges: MObject, isAffected: MObject) "
     "-> MStatus", "cpp-api", "call", "page"),
    ("maya.OpenMayaMPx", "MPxDeformerNode.weightValue(mblock: MDataBlock, multiIndex: int, "
     "wtIndex: int) -> float", "cpp-deformer", "call", "read"),
    ("maya.OpenMayaMPx", "MPxGeometryFilter.deform(block: MDataBlock, iter: MItGeometry, "
     "mat: MMatrix, multiIndex: int) -> MStatus", "cpp-deformer", "override", "read"),
    ("maya.OpenMaya", "MItGeometry.isDone() -> bool", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.next() -> MStatus", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.index() -> int", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.count() -> int", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.position(space: int = kObject) -> MPoint",
     "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.setPosition(point: MPoint, space: int = kObject) "
     "-> MStatus", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.allPositions(points: MPointArray, space: int = kObject) "
     "-> MStatus", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MItGeometry.setAllPositions(points: MPointArray, "
     "space: int = kObject) -> MStatus", "cpp-itgeometry", "call", "read"),
    ("maya.OpenMaya", "MDataBlock.inputValue(attribute: MObject) -> MDataHandle", "cpp-api",
     "call", "page"),
    ("maya.OpenMaya", "MDataBlock.outputArrayValue(attribute: MObject) -> MArrayDataHandle",
     "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MArrayDataHandle.jumpToElement(index: int) -> MStatus", "cpp-api",
     "call", "page"),
    ("maya.OpenMaya", "MArrayDataHandle.outputValue() -> MDataHandle", "cpp-api", "call",
     "page"),
    ("maya.OpenMaya", "MDataHandle.asDouble() -> float", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asFloat() -> float", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asShort() -> int", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asInt() -> int", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asBool() -> bool", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asString() -> str", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asMatrix() -> MMatrix", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.asMesh() -> MObject", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MDataHandle.child(attribute: MObject) -> MDataHandle", "cpp-api",
     "call", "page"),
    ("maya.OpenMaya", "MMatrix.__call__(row: int, col: int) -> float", "cpp-api", "call",
     "page"),
    ("maya.OpenMaya", "MFnMesh(object: MObject) -> MFnMesh", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnMesh.numVertices() -> int", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnMesh.numPolygons() -> int", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnMesh.getPoints(vertexArray: MPointArray, space: int = kObject) "
     "-> MStatus", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnMesh.getVertices(vertexCount: MIntArray, vertexList: MIntArray) "
     "-> MStatus", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MIntArray() -> MIntArray", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MIntArray.length() -> int", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MPointArray() -> MPointArray", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MPointArray.length() -> int", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MPoint() -> MPoint", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MPoint(x: float, y: float, z: float, w: float = 1.0) -> MPoint",
     "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MTypeId(id: int) -> MTypeId", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnAttribute.setKeyable(state: bool) -> MStatus", "cpp-api", "call",
     "page"),
    ("maya.OpenMaya", "MFnNumericAttribute.create(fullName: str, briefName: str, "
     "unitType: int, defaultValue: float = 0) -> MObject", "cpp-numeric", "call", "read"),
    ("maya.OpenMaya", "MFnNumericAttribute.create(fullName: str, briefName: str, "
     "child1: MObject, child2: MObject, child3: MObject = kNullObj) -> MObject",
     "cpp-numeric", "call", "read"),
    ("maya.OpenMaya", "MFnNumericAttribute.setMin(min: float) -> MStatus", "cpp-numeric",
     "call", "page"),
    ("maya.OpenMaya", "MFnUnitAttribute.create(fullName: str, briefName: str, "
     "unitType: int, defaultValue: float = 0.0) -> MObject", "cpp-unit", "call", "read"),
    ("maya.OpenMaya", "MFnEnumAttribute.create(fullName: str, briefName: str, "
     "defaultValue: int = 0) -> MObject", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnEnumAttribute.addField(fieldString: str, index: int) -> MStatus",
     "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnMatrixAttribute.create(fullName: str, briefName: str, "
     "type: int = kDouble) -> MObject", "cpp-api", "call", "page"),
    ("maya.OpenMaya", "MFnTypedAttribute.create(fullName: str, briefName: str, type: int, "
     "defaultValue: MObject = kNullObj) -> MObject", "cpp-api", "call", "page"),
    # ---------------------------------------------------------------- API 2.0
    ("maya.api.OpenMaya", "MFnPlugin(plugin: MObject | None = None, vendor: str = 'Unknown',"
     " version: str = 'Unknown', apiVersion: str = 'Any') -> MFnPlugin", "py2-plugin",
     "call", "read"),
    ("maya.api.OpenMaya", "MFnPlugin.registerNode(typeName: str, typeId: MTypeId, "
     "creator: callable, initialize: callable, type: int = MPxNode.kDependNode, "
     "classification: str | None = None) -> None", "py2-plugin", "call", "page"),
    ("maya.api.OpenMaya", "MFnPlugin.deregisterNode(typeId: MTypeId) -> None",
     "py2-plugin", "call", "page"),
    ("maya.api.OpenMaya", "MFnPlugin.registerCommand(commandName: str, creator: callable, "
     "syntaxCreator: callable | None = None) -> None", "py2-plugin", "call", "page"),
    ("maya.api.OpenMaya", "MFnPlugin.deregisterCommand(commandName: str) -> None",
     "py2-plugin", "call", "page"),
    ("maya.api.OpenMaya", "MPxNode.addAttribute(attr: MObject) -> None", "py2-api", "call",
     "page"),
    ("maya.api.OpenMaya", "MPxNode.attributeAffects(whenChanges: MObject, "
     "isAffected: MObject) -> None", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MPxNode.thisMObject() -> MObject", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MTypeId(id: int) -> MTypeId", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnNumericAttribute.create(longName: str, shortName: str, "
     "type: int, defaultValue: float = 0) -> MObject", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnNumericAttribute.setMin(min: float) -> MFnNumericAttribute",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnTypedAttribute.create(longName: str, shortName: str, "
     "type: int, defaultValue: MObject | None = None) -> MObject", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnStringData.create(str: str = '') -> MObject", "py2-api",
     "call", "page"),
    ("maya.api.OpenMaya", "MPlug(node: MObject, attribute: MObject) -> MPlug", "py2-api",
     "call", "page"),
    ("maya.api.OpenMaya", "MPlug.asDouble() -> float", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MPlug.asFloat() -> float", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MPlug.asInt() -> int", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MPlug.asString() -> str", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MSelectionList() -> MSelectionList", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MSelectionList.add(pattern: str | MObject | MDagPath, "
     "searchChildNamespaces: bool = False) -> MSelectionList", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MSelectionList.getDagPath(index: int) -> MDagPath", "py2-api",
     "call", "page"),
    ("maya.api.OpenMaya", "MDagPath.node() -> MObject", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MDagPath.inclusiveMatrix() -> MMatrix", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MMatrix.getElement(row: int, col: int) -> float", "py2-api",
     "call", "page"),
    ("maya.api.OpenMaya", "MFnDependencyNode(object: MObject | None = None) "
     "-> MFnDependencyNode", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnDependencyNode.name() -> str", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnMesh(object: MObject | MDagPath | None = None) -> MFnMesh",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnMesh.create(vertices: sequence, polygonCounts: sequence, "
     "polygonConnects: sequence, uValues: sequence | None = None, "
     "vValues: sequence | None = None, parent: MObject | None = None) -> MObject",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnMesh.getPoints(space: int = MSpace.kObject) -> MPointArray",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnMesh.setPoints(points: sequence, space: int = MSpace.kObject) "
     "-> None", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnMesh.getVertices() -> tuple", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MFnMesh.numVertices() -> int", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MPoint() -> MPoint", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MPoint(src: MPoint | sequence) -> MPoint", "py2-api", "call",
     "page"),
    ("maya.api.OpenMaya", "MPoint(x: float, y: float, z: float = 0.0, w: float = 1.0) "
     "-> MPoint", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MColor(rgba: sequence) -> MColor", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MBoundingBox() -> MBoundingBox", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MBoundingBox(corner1: MPoint, corner2: MPoint) -> MBoundingBox",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MUserData(deleteAfterUse: bool = True) -> MUserData", "py2-api",
     "call", "page"),
    ("maya.api.OpenMaya", "MGlobal.displayError(msg: str) -> None", "py2-api", "call",
     "page"),
    ("maya.api.OpenMaya", "MPxCommand.setResult(result: Any) -> None", "py2-api", "call",
     "page"),
    ("maya.api.OpenMaya", "MPxCommand.doIt(args: MArgList) -> None", "py2-api", "override",
     "page"),
    ("maya.api.OpenMaya", "MSyntax() -> MSyntax", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MSyntax.addFlag(shortName: str, longName: str, *argTypes: int) "
     "-> MSyntax", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MSyntax.setObjectType(objectType: int, minimumObjects: int = 0, "
     "maximumObjects: int = 0) -> MSyntax", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MArgDatabase(syntax: MSyntax, argList: MArgList) "
     "-> MArgDatabase", "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MArgDatabase.isFlagSet(flag: str) -> bool", "py2-api", "call",
     "page"),
    ("maya.api.OpenMaya", "MArgDatabase.flagArgumentString(flag: str, index: int) -> str",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MArgDatabase.flagArgumentDouble(flag: str, index: int) -> float",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MArgDatabase.flagArgumentBool(flag: str, index: int) -> bool",
     "py2-api", "call", "page"),
    ("maya.api.OpenMaya", "MArgDatabase.getObjectStrings() -> list", "py2-api", "call",
     "page"),
    ("maya.api.OpenMayaUI", "MPxLocatorNode.isBounded() -> bool", "py2-api", "override",
     "page"),
    ("maya.api.OpenMayaUI", "MPxLocatorNode.boundingBox() -> MBoundingBox", "py2-api",
     "override", "page"),
    ("maya.api.OpenMayaRender", "MDrawRegistry.registerDrawOverrideCreator("
     "drawClassification: str, registrantId: str, creator: callable) -> None", "py2-api",
     "call", "page"),
    ("maya.api.OpenMayaRender", "MDrawRegistry.deregisterDrawOverrideCreator("
     "drawClassification: str, registrantId: str) -> None", "py2-api", "call", "page"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride(obj: MObject, callback: callable | None, "
     "isAlwaysDirty: bool = True) -> MPxDrawOverride", "py2-drawoverride", "call", "read"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride.supportedDrawAPIs() -> int",
     "py2-drawoverride", "override", "page"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride.isBounded(objPath: MDagPath, "
     "cameraPath: MDagPath) -> bool", "py2-drawoverride", "override", "page"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride.boundingBox(objPath: MDagPath, "
     "cameraPath: MDagPath) -> MBoundingBox", "py2-drawoverride", "override", "page"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride.hasUIDrawables() -> bool",
     "py2-drawoverride", "override", "page"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride.prepareForDraw(objPath: MDagPath, "
     "cameraPath: MDagPath, frameContext: MFrameContext, oldData: MUserData | None) "
     "-> MUserData", "py2-drawoverride", "override", "page"),
    ("maya.api.OpenMayaRender", "MPxDrawOverride.addUIDrawables(objPath: MDagPath, "
     "drawManager: MUIDrawManager, frameContext: MFrameContext, data: MUserData) -> None",
     "py2-drawoverride", "override", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.beginDrawable(selectability: int = kAutomatic,"
     " selectionName: int = 0) -> None", "h-uidrawmanager", "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.endDrawable() -> None", "h-uidrawmanager",
     "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.setColor(color: MColor) -> None",
     "h-uidrawmanager", "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.setPointSize(value: float) -> None",
     "h-uidrawmanager", "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.point(point: MPoint) -> None",
     "h-uidrawmanager", "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.sphere(center: MPoint, radius: float, "
     "filled: bool = False) -> None", "h-uidrawmanager", "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.sphere(center: MPoint, radius: float, "
     "subdivisionsAxis: int, subdivisionsHeight: int, filled: bool = False) -> None",
     "h-uidrawmanager", "call", "read"),
    ("maya.api.OpenMayaRender", "MUIDrawManager.text(position: MPoint, text: str, "
     "alignment: int = kLeft, backgroundSize: sequence | None = None, "
     "backgroundColor: MColor | None = None, dynamic: bool = False) -> None",
     "h-uidrawmanager", "call", "read"),
)


def signatures() -> List[Signature]:
    return [parse(module, text, source, kind) for module, text, source, kind, _ in ROWS]


def render_markdown() -> str:
    """The README's table (one row per reference row)."""
    lines = ["| Module | Signature | Kind | Source | Read |", "|---|---|---|---|---|"]
    for module, text, source, kind, read in ROWS:
        cell = text.replace("|", "\\|")  # a union's bar must not end the table cell
        lines.append(f"| `{module}` | `{cell}` | {kind} | {source} | {read} |")
    lines += ["", "Sources:", ""]
    lines += [f"- {key}: {value}" for key, value in SOURCES.items()]
    return "\n".join(lines)
