"""Fake ``maya.api.OpenMayaUI`` and ``maya.api.OpenMayaRender`` of the Maya stand-in (NOT Maya).

The locator base class, draw-override registration and a strict ``MUIDrawManager``: it has
only the drawing methods MicroExpr calls, with the arity and argument types of Autodesk's
reference (:mod:`.api_reference`), and refuses drawing outside ``beginDrawable()`` /
``endDrawable()`` ("All drawing operations ... must occur between calls to beginDrawable()
and endDrawable()", MUIDrawManager.h).  :func:`draw` plays Viewport 2.0: it builds the
registered override for a node and calls it the way Maya does, checking what it returns.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Callable, Dict, List, Optional, Tuple

from . import registry, schema
from .api2 import MBoundingBox, MColor, MObject, MPoint, MPxNode, MUserData
from .api2_dag import MDagPath
from .api_plugin import expect

if TYPE_CHECKING:
    from .scene import Scene


def _attr(name: str) -> MObject:
    obj = MObject()
    obj._attr = schema.attrs_of("locator")[name]
    return obj


# ------------------------------------------------------------------ OpenMayaUI
class MPxLocatorNode(MPxNode):
    localPosition = _attr("localPosition")
    localScale = _attr("localScale")

    def isBounded(self) -> bool:
        return False

    def boundingBox(self) -> MBoundingBox:
        return MBoundingBox()


# ------------------------------------------------------------------ OpenMayaRender
class MRenderer:
    kNone, kOpenGL, kDirectX11, kOpenGLCoreProfile, kAllDevices = 0, 1, 2, 4, 7


class MFrameContext:
    pass


class MUIDrawManager:
    """Records what is drawn; ``recorded(manager)`` reads it (stand-in only)."""

    kLeft, kCenter, kRight = 0, 1, 2
    kNonSelectable, kSelectable, kAutomatic = 0, 1, 2

    def __init__(self) -> None:
        self._calls: List[Tuple[str, Tuple[Any, ...]]] = []
        self._open = False

    def _draw(self, name: str, *args: Any) -> None:
        if not self._open:
            raise RuntimeError(f"MUIDrawManager.{name}: drawing must happen between "
                               "beginDrawable() and endDrawable()")
        self._calls.append((name, args))

    def beginDrawable(self, selectability: int = 2, selectionName: int = 0) -> None:
        if self._open:
            raise RuntimeError("MUIDrawManager.beginDrawable: the previous drawable is open")
        self._open = True
        self._calls.append(("beginDrawable", (selectability, selectionName)))

    def endDrawable(self) -> None:
        self._draw("endDrawable")
        self._open = False

    def setColor(self, color: MColor) -> None:
        self._draw("setColor", color)

    def setPointSize(self, value: float) -> None:
        self._draw("setPointSize", value)

    def point(self, point: MPoint) -> None:
        self._draw("point", point)

    def sphere(self, center: MPoint, radius: float, *more: Any) -> None:
        self._draw("sphere", center, radius, *more)

    def text(self, position: MPoint, text: str, alignment: int = 0,
             backgroundSize: Any = None, backgroundColor: Any = None,
             dynamic: bool = False) -> None:
        self._draw("text", position, text, alignment)


def recorded(manager: MUIDrawManager) -> List[Tuple[str, Tuple[Any, ...]]]:
    """Every call a draw manager received, in order (stand-in only)."""
    return list(manager._calls)


class MPxDrawOverride:
    def __init__(self, obj: Any, callback: Optional[Callable[..., Any]],
                 isAlwaysDirty: bool = True) -> None:
        self._obj = expect(obj, MObject, "MPxDrawOverride(obj, callback, isAlwaysDirty)")

    def supportedDrawAPIs(self) -> int:
        return MRenderer.kOpenGL

    def isBounded(self, objPath: MDagPath, cameraPath: MDagPath) -> bool:
        return False

    def boundingBox(self, objPath: MDagPath, cameraPath: MDagPath) -> MBoundingBox:
        return MBoundingBox()

    def hasUIDrawables(self) -> bool:
        return False


class MDrawRegistry:
    _overrides: Dict[str, Tuple[str, Callable[[Any], Any]]] = {}

    @staticmethod
    def registerDrawOverrideCreator(drawClassification: str, registrantId: str,
                                    creator: Callable[[Any], Any]) -> None:
        MDrawRegistry._overrides[drawClassification] = (registrantId, creator)

    @staticmethod
    def deregisterDrawOverrideCreator(drawClassification: str, registrantId: str) -> None:
        MDrawRegistry._overrides.pop(drawClassification, None)


@registry.on_reset
def _forget_overrides() -> None:
    MDrawRegistry._overrides.clear()


# ------------------------------------------------------------------ Viewport 2.0
@dataclass
class Drawn:
    """What one emulated Viewport 2.0 refresh got from a node's draw override."""

    draw_apis: int
    bounded: bool
    box: Optional[MBoundingBox]
    data: Any
    calls: List[Tuple[str, Tuple[Any, ...]]]


def _check(value: Any, kind: type, method: str) -> Any:
    if not isinstance(value, kind):
        raise TypeError(f"MPxDrawOverride.{method} returned {type(value).__name__}; Maya "
                        f"expects {kind.__name__}")
    return value


def draw(scene: "Scene", shape: str, camera: str = "perspShape",
         old_data: Optional[MUserData] = None) -> Drawn:
    """Draw ``shape`` once through its registered override, as Viewport 2.0 calls it."""
    node = scene.node(shape)
    info = scene.node_classes.get(node.type) or {}
    classification = str(info.get("classification") or "")
    if classification not in MDrawRegistry._overrides:
        raise LookupError(f"no draw override is registered for '{classification}'")
    _registrant, creator = MDrawRegistry._overrides[classification]
    override = _check(creator(MObject(node.name)), MPxDrawOverride, "creator")
    apis = _check(override.supportedDrawAPIs(), int, "supportedDrawAPIs")
    obj_path, cam_path = MDagPath._of(node.name), MDagPath._of(camera)
    bounded = _check(override.isBounded(obj_path, cam_path), bool, "isBounded")
    box = _check(override.boundingBox(obj_path, cam_path), MBoundingBox, "boundingBox") \
        if bounded else None
    frame = MFrameContext()
    data = _check(override.prepareForDraw(obj_path, cam_path, frame, old_data), MUserData,
                  "prepareForDraw")
    manager = MUIDrawManager()
    if _check(override.hasUIDrawables(), bool, "hasUIDrawables"):
        override.addUIDrawables(obj_path, manager, frame, data)
        if manager._open:
            raise RuntimeError("addUIDrawables left a drawable open (no endDrawable())")
    return Drawn(apis, bounded, box, data, recorded(manager))
