"""The key-point locator (Python API 2.0): a dot with its key name, drawn in Viewport 2.0.

``microexprKeyPoint`` is a locator shape whose Viewport 2.0 draw override draws a point and
the key name next to it; the transform above it is the handle an animator moves (its
translate/rotate/scale drive the key point's soft-mod manipulator).
"""
from __future__ import annotations

from typing import Any, Optional

from .._maya import om, omr, omui
from . import LOCATOR_DRAW_CLASSIFICATION, LOCATOR_DRAW_REGISTRANT, LOCATOR_ID, LOCATOR_TYPE

TYPE_NAME = LOCATOR_TYPE
DRAW_CLASSIFICATION = LOCATOR_DRAW_CLASSIFICATION
DRAW_REGISTRANT = LOCATOR_DRAW_REGISTRANT
COLOR = (1.0, 0.55, 0.1, 1.0)


class KeyPointLocator(omui.MPxLocatorNode):
    """Locator shape ``microexprKeyPoint``: keyName, landmarkIndex, size."""

    keyName: Any = None
    landmarkIndex: Any = None
    size: Any = None

    def __init__(self) -> None:
        omui.MPxLocatorNode.__init__(self)

    def isBounded(self) -> bool:
        return True

    def boundingBox(self) -> Any:
        return _box(om.MPlug(self.thisMObject(), KeyPointLocator.size).asDouble())


def _box(size: float) -> Any:
    """The cube around the drawn sphere of radius ``size``."""
    return om.MBoundingBox(om.MPoint(-size, -size, -size), om.MPoint(size, size, size))


def creator() -> KeyPointLocator:
    return KeyPointLocator()


def initialize() -> None:
    typed = om.MFnTypedAttribute()
    KeyPointLocator.keyName = typed.create("keyName", "kn", om.MFnData.kString,
                                           om.MFnStringData().create(""))
    num = om.MFnNumericAttribute()
    KeyPointLocator.landmarkIndex = num.create("landmarkIndex", "lmi", om.MFnNumericData.kInt, 0)
    KeyPointLocator.size = num.create("size", "sz", om.MFnNumericData.kDouble, 0.25)
    num.setMin(0.0)
    num.keyable = True
    for attr in (KeyPointLocator.keyName, KeyPointLocator.landmarkIndex, KeyPointLocator.size):
        om.MPxNode.addAttribute(attr)


def type_id() -> Any:
    return om.MTypeId(LOCATOR_ID)


class KeyPointData(om.MUserData):
    """What prepareForDraw reads once per frame for addUIDrawables."""

    def __init__(self) -> None:
        om.MUserData.__init__(self, False)
        self.label = ""
        self.size = 0.25


class KeyPointDrawOverride(omr.MPxDrawOverride):
    """Draws the key point as a dot plus its key name (and landmark number)."""

    def __init__(self, obj: Any) -> None:
        omr.MPxDrawOverride.__init__(self, obj, None, False)

    @staticmethod
    def creator(obj: Any) -> "KeyPointDrawOverride":
        return KeyPointDrawOverride(obj)

    def supportedDrawAPIs(self) -> int:
        return int(omr.MRenderer.kAllDevices)

    def isBounded(self, obj_path: Any, camera_path: Any) -> bool:
        """Bounded, so Viewport 2.0 can cull the drawing and frame the key point."""
        return True

    def boundingBox(self, obj_path: Any, camera_path: Any) -> Any:
        """The locator's box: the sphere of radius ``size`` about its origin (the text label
        is drawn in screen space and has no extent in the scene)."""
        return _box(om.MPlug(obj_path.node(), KeyPointLocator.size).asDouble())

    def hasUIDrawables(self) -> bool:
        return True

    def prepareForDraw(self, obj_path: Any, camera_path: Any, frame_context: Any,
                       old_data: Optional[Any]) -> KeyPointData:
        data = old_data if isinstance(old_data, KeyPointData) else KeyPointData()
        node = obj_path.node()
        name = om.MPlug(node, KeyPointLocator.keyName).asString()
        landmark = om.MPlug(node, KeyPointLocator.landmarkIndex).asInt()
        data.label = "%s (%d)" % (name, landmark) if name else str(landmark)
        data.size = om.MPlug(node, KeyPointLocator.size).asDouble()
        return data

    def addUIDrawables(self, obj_path: Any, draw_manager: Any, frame_context: Any,
                       data: Any) -> None:
        if not isinstance(data, KeyPointData):
            return
        draw_manager.beginDrawable()
        draw_manager.setColor(om.MColor(COLOR))
        draw_manager.setPointSize(8.0)
        draw_manager.point(om.MPoint(0.0, 0.0, 0.0))
        draw_manager.sphere(om.MPoint(0.0, 0.0, 0.0), data.size, False)
        draw_manager.text(om.MPoint(0.0, data.size * 1.6, 0.0), data.label,
                          omr.MUIDrawManager.kCenter)
        draw_manager.endDrawable()
