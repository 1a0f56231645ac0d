"""The key-point panel's logic, without Qt: read and edit a mesh's key points, call the API.

A bound mesh lists its nodes in the string attribute ``microexprKeyPointNodes`` (written by
:func:`~microexpr_maya.bind.bind_key_points`). Each key point is one
``microexprSoftModManipulator`` deformer (``keyName``, ``landmarkIndex``, ``radius``,
``falloffCurve``) whose ``handleTranslate`` is driven by a key-point transform; the offsets
the panel shows are that transform's ``translateX/Y/Z`` (Maya's UI unit), and with no
handle connected the manipulator's own ``handleTranslate``.

Every edit is validated (finite, inside :attr:`PanelModel.radius_range` /
:attr:`PanelModel.offset_range`, a known falloff curve) and raises
:class:`~microexpr.errors.MicroExprError` otherwise. ``begin_edit``/``end_edit`` group a
slider drag into one undo step.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable, List, Optional, Tuple, cast

from microexpr.errors import MicroExprError

from . import scene_io
from ._maya import cmds
from .bind import NODES_ATTR
from .nodes import FALLOFF_CURVES, MANIPULATOR_TYPE

__all__ = ["KeyPoint", "PanelModel", "AXES", "SLIDER_STEPS", "to_slider", "from_slider"]

AXES = ("x", "y", "z")
SLIDER_STEPS = 1000
RADIUS_MIN = 0.01


def _set(plug: str, value: float) -> None:
    # maya-stubs types setAttr's values as str; Maya takes numbers
    cmds.setAttr(plug, cast(Any, value))


def to_slider(value: float, lo: float, hi: float, steps: int = SLIDER_STEPS) -> int:
    """``value`` in [lo, hi] as an integer slider position in [0, steps] (clamped)."""
    if hi <= lo:
        return 0
    t = (float(value) - lo) / (hi - lo)
    return int(round(min(max(t, 0.0), 1.0) * steps))


def from_slider(position: int, lo: float, hi: float, steps: int = SLIDER_STEPS) -> float:
    """The value at integer slider ``position`` (inverse of :func:`to_slider`)."""
    return lo + (hi - lo) * min(max(int(position), 0), steps) / float(steps)


@dataclass
class KeyPoint:
    """One row of the panel."""

    key: str
    landmark: int
    manipulator: str
    handle: Optional[str]
    radius: float
    falloff: str
    offset: Tuple[float, float, float]


class PanelModel:
    """Key points of one mesh, their edits, and the API commands, for any front end.

    ``api`` is the module whose functions the command methods call (default: the package
    ``microexpr_maya``); tests may pass a stand-in object.
    """

    def __init__(self, mesh: Optional[str] = None, api: Any = None) -> None:
        self._api = api
        self.mesh: Optional[str] = None
        self.key_points: List[KeyPoint] = []
        self.radius_range: Tuple[float, float] = (RADIUS_MIN, 1.0)
        self.offset_range: Tuple[float, float] = (-1.0, 1.0)
        self.listeners: List[Callable[[], None]] = []
        self._chunk_open = False
        if mesh is not None:
            self.load(mesh)

    # ------------------------------------------------------------------ reading
    @property
    def api(self) -> Any:
        if self._api is None:
            import microexpr_maya

            self._api = microexpr_maya
        return self._api

    def load(self, mesh: str) -> None:
        """Read the key points of ``mesh`` (a transform or shape name)."""
        transform, _shape = scene_io.mesh_nodes(mesh)
        self.mesh = transform
        self.refresh()

    def load_selection(self) -> str:
        """Load the selected mesh; returns its name."""
        from .shelf import selected_mesh

        mesh = selected_mesh()
        self.load(mesh)
        return mesh

    def refresh(self) -> None:
        """Re-read every key point from the scene (after an undo, a bind, ...)."""
        self.key_points = []
        if self.mesh is not None and cmds.objExists(self.mesh):
            names = (scene_io.get_string_attr(self.mesh, NODES_ATTR) or "").split()
            for name in names:
                if cmds.objExists(name) and cmds.nodeType(name) == MANIPULATOR_TYPE:
                    self.key_points.append(self._read(name))
        radii = [kp.radius for kp in self.key_points] or [1.0]
        reach = max(max(radii), 0.1)
        self.radius_range = (RADIUS_MIN, max(3.0 * reach, max(radii)))
        limit = max([reach * scene_io.ui_per_cm()]
                    + [abs(v) for kp in self.key_points for v in kp.offset])
        self.offset_range = (-limit, limit)
        self._notify()

    def _read(self, manip: str) -> KeyPoint:
        sources = cmds.listConnections(manip + ".handleTranslate", source=True,
                                       destination=False) or []
        handle = str(sources[0]) if sources else None
        if handle is not None:
            offset = tuple(float(cmds.getAttr("%s.translate%s" % (handle, a.upper())))
                           for a in AXES)
        else:
            offset = tuple(float(v) for v in cmds.getAttr(manip + ".handleTranslate")[0])
        curve = int(cmds.getAttr(manip + ".falloffCurve"))
        return KeyPoint(key=str(cmds.getAttr(manip + ".keyName") or ""),
                        landmark=int(cmds.getAttr(manip + ".landmarkIndex")),
                        manipulator=manip, handle=handle,
                        radius=float(cmds.getAttr(manip + ".radius")),
                        falloff=FALLOFF_CURVES[min(max(curve, 0), len(FALLOFF_CURVES) - 1)],
                        offset=(offset[0], offset[1], offset[2]))

    def _notify(self) -> None:
        for listener in list(self.listeners):
            listener()

    # ------------------------------------------------------------------ validation
    def _row(self, row: int) -> KeyPoint:
        if not 0 <= row < len(self.key_points):
            raise MicroExprError("there is no key point in row %d" % row, field="row",
                                 fix="refresh the panel")
        return self.key_points[row]

    @staticmethod
    def _number(value: float, lo: float, hi: float, field: str) -> float:
        v = float(value)
        if not math.isfinite(v) or not lo <= v <= hi:
            raise MicroExprError("%s must be between %g and %g, got %r" % (field, lo, hi, value),
                                 field=field, fix="use a value inside the slider's range")
        return v

    def validate_radius(self, value: float) -> float:
        return self._number(value, self.radius_range[0], self.radius_range[1], "radius")

    def validate_offset(self, value: float) -> float:
        return self._number(value, self.offset_range[0], self.offset_range[1], "offset")

    # ------------------------------------------------------------------ editing
    def set_radius(self, row: int, value: float) -> float:
        kp = self._row(row)
        v = self.validate_radius(value)
        _set(kp.manipulator + ".radius", v)
        kp.radius = v
        return v

    def set_falloff(self, row: int, curve: str) -> str:
        kp = self._row(row)
        if curve not in FALLOFF_CURVES:
            raise MicroExprError("unknown falloff curve %r" % (curve,), field="falloff",
                                 fix="use one of " + ", ".join(FALLOFF_CURVES))
        _set(kp.manipulator + ".falloffCurve", FALLOFF_CURVES.index(curve))
        kp.falloff = curve
        return curve

    def set_offset(self, row: int, axis: str, value: float) -> float:
        kp = self._row(row)
        if axis not in AXES:
            raise MicroExprError("unknown axis %r" % (axis,), field="axis", fix="use x, y or z")
        v = self.validate_offset(value)
        i = AXES.index(axis)
        if kp.handle is not None:
            _set("%s.translate%s" % (kp.handle, axis.upper()), v)
        else:
            _set("%s.handleTranslate%s" % (kp.manipulator, axis.upper()), v)
        offset = list(kp.offset)
        offset[i] = v
        kp.offset = (offset[0], offset[1], offset[2])
        return v

    def begin_edit(self, name: str = "MicroExpr: edit key point") -> None:
        """Start one undo step (e.g. on slider press); nested calls are ignored."""
        if not self._chunk_open:
            cmds.undoInfo(openChunk=True, chunkName=name)
            self._chunk_open = True

    def end_edit(self) -> None:
        """Close the undo step opened by :meth:`begin_edit` (safe to call twice)."""
        if self._chunk_open:
            self._chunk_open = False
            cmds.undoInfo(closeChunk=True)

    # ------------------------------------------------------------------ API commands
    def _need_mesh(self) -> str:
        if self.mesh is None:
            raise MicroExprError("no mesh is loaded in the panel", field="mesh",
                                 fix="select the face mesh and press 'Use selected'")
        return self.mesh

    def _blendshape(self) -> str:
        from .export import resolve_blendshape

        return resolve_blendshape(self._need_mesh())[0]

    def bind(self, landmark_file: Optional[str] = None) -> Any:
        """Bind from ``landmark_file``; without one, from the selected vertices or, with
        none selected, from landmarks found on renders (see :attr:`preview`)."""
        if landmark_file is None:
            result = self.api.bind_key_points(self._need_mesh())
        else:
            result = self.api.bind_key_points(self._need_mesh(), landmark_file=landmark_file)
        self.refresh()
        return result

    @property
    def preview(self) -> Optional[str]:
        """The picture of the landmarks found by the last bind on renders, or None."""
        if self.mesh is None or not cmds.objExists(self.mesh):
            return None
        return cast(Optional[str], self.api.preview_path(self.mesh))

    def move_key_point(self, row: int, vertex: Any = None) -> Any:
        """Move the key point of ``row`` to ``vertex`` (default: the selected vertex)."""
        kp = self._row(row)
        result = self.api.move_key_point(kp.handle or kp.manipulator, vertex)
        self.refresh()
        return result

    def generate(self) -> Any:
        result = self.api.generate_blendshapes(self._need_mesh())
        self.refresh()
        return result

    def add_pose(self, name: str, replace: bool = False) -> Any:
        """Keep the face as the key points shape it now as target ``name`` on the mesh's
        blendShape; the handles go back to rest (so the rows show zero offsets again)."""
        from .pose import check_target_name

        target = check_target_name(name.strip() if isinstance(name, str) else name)
        result = self.api.add_pose_target(self._need_mesh(), target, replace=replace)
        self.refresh()
        return result

    def export(self, path: str, fbx_path: Optional[str] = None) -> Any:
        return self.api.export_rig(self._need_mesh(), path, fbx_path=fbx_path)

    def apply_clip(self, clip_path: str, start_frame: float = 1.0) -> Any:
        return self.api.apply_clip(self._blendshape(), clip_path, start_frame=start_frame)

    def micro_expression(self, rig: str, out: str, apply: bool = True,
                         **options: Any) -> Any:
        """``micro_expression(rig=RIG, out=OUT, **options)``; then key the clip on this
        mesh's blendShape at the current frame unless ``apply`` is False."""
        result = self.api.micro_expression(rig=rig, out=out, **options)
        if apply:
            self.apply_clip(out, start_frame=float(cmds.currentTime(query=True)))
        return result

    def review(self, *args: Any, **options: Any) -> Any:
        return self.api.review(*args, **options)
