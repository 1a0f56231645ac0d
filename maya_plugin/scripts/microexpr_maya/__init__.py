"""MicroExpr for Maya: bind key points, generate blendShapes, export rigs, apply clips.

The public API (each command is one undo step and leaves the scene unchanged on failure
or cancel):

* :func:`bind_key_points` -- landmark vertices + one soft-mod manipulator and key-point
  locator per preset key point (:func:`preview_path`: the picture of landmarks found on
  renders; :func:`move_key_point`: move one to another vertex);
* :func:`generate_blendshapes` -- the preset's expressions as targets of one blendShape;
* :func:`add_pose_target` -- the face as the moved key points shape it, as a named target
  on that blendShape;
* :func:`export_rig` -- bridge JSON (and FBX) from the blendShape's stored deltas;
* :func:`apply_clip` -- key blendShape weights from a clip JSON;
* :func:`micro_expression`, :func:`review` -- synthesise and review micro-expression clips
  (rig and clip files).

The math lives in the host-agnostic core (``microexpr``); this package only talks to Maya.
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from microexpr._lazy import lazy_exports

#: Public name -> the module that defines it. Each module is imported the first time its
#: name is read, so the plug-ins (which import only ``nodes`` and ``commands``) load on numpy
#: alone: pydantic and scipy are needed only by what exports and reads rig and clip files.
API = {
    "bind_key_points": "microexpr_maya.bind", "ensure_plugin": "microexpr_maya.bind",
    "preview_path": "microexpr_maya.bind", "move_key_point": "microexpr_maya.key_points",
    "generate_blendshapes": "microexpr_maya.generate",
    "add_pose_target": "microexpr_maya.pose",
    "export_rig": "microexpr_maya.export",
    "apply_clip": "microexpr_maya.apply_clip",
    "micro_expression": "microexpr_maya.micro_review", "review": "microexpr_maya.micro_review",
    "Cancelled": "microexpr_maya.progress",
}
__all__ = ["bind_key_points", "preview_path", "move_key_point", "generate_blendshapes",
           "add_pose_target", "export_rig", "apply_clip", "micro_expression", "review", "ensure_plugin", "Cancelled"]
__getattr__, __dir__ = lazy_exports(__name__, API)

if TYPE_CHECKING:  # what type checkers see; at run time the names load lazily
    from .apply_clip import apply_clip
    from .bind import bind_key_points, ensure_plugin, preview_path
    from .export import export_rig
    from .generate import generate_blendshapes
    from .key_points import move_key_point
    from .micro_review import micro_expression, review
    from .pose import add_pose_target
    from .progress import Cancelled
