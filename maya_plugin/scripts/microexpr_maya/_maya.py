"""The only module of ``microexpr_maya`` that imports Maya.

Every other module imports the Maya names it needs from here, so a test can swap in a
stand-in (see ``tests/maya_standin``) and a reader sees in one place which Maya APIs the
module depends on.

* ``cmds``, ``mel``            -- maya.cmds / maya.mel
* ``om``, ``oma``, ``omui``, ``omr`` -- Python API 2.0 (maya.api.*)
* ``om1``, ``ompx1``           -- Python API 1.0, needed only for the deformer node
  (API 2.0 has no MPxDeformerNode).
* ``omui1``                    -- API 1.0 UI, for ``MQtUtil.mainWindow`` (None if absent).
"""
from __future__ import annotations

from typing import Any, List, Optional

import maya.api.OpenMaya as om
import maya.api.OpenMayaAnim as oma
import maya.api.OpenMayaRender as omr
import maya.api.OpenMayaUI as omui
import maya.OpenMaya as om1
import maya.OpenMayaMPx as ompx1
from maya import cmds, mel

try:  # API 1.0 UI: only for MQtUtil (the main window for Qt panels); absent from mayapy builds
    import maya.OpenMayaUI as omui1
except ImportError:  # pragma: no cover - depends on the Maya build
    omui1 = None  # type: ignore[assignment]

__all__ = ["cmds", "mel", "om", "oma", "omui", "omr", "om1", "ompx1", "omui1", "is_batch", "set_attr",
           "set_keyframe", "names"]


def is_batch() -> bool:
    """True in mayapy / ``maya -batch`` (no UI: no progress bar, no dialogs)."""
    return bool(cmds.about(batch=True))


def set_attr(plug: str, *values: Any, **flags: Any) -> None:
    """``cmds.setAttr`` with any values: maya-stubs types its positional values as ``str``
    only, but Maya takes numbers, bools and tuples (stub bug, see .ci/mypy.ini)."""
    cmds.setAttr(plug, *values, **flags)


def set_keyframe(node: str, attribute: str, time: float, value: float, in_tangent: str,
                 out_tangent: str, anim_layer: Optional[str] = None) -> int:
    """``cmds.setKeyframe``; returns the number of keys set.  maya-stubs types ``time`` as
    ``int``, but Maya keys at any (fractional) time (stub bug, see .ci/mypy.ini)."""
    if anim_layer:
        n = cmds.setKeyframe(node, attribute=attribute, time=time,  # type: ignore[arg-type]
                             value=value, inTangentType=in_tangent,
                             outTangentType=out_tangent, animLayer=anim_layer)
    else:
        n = cmds.setKeyframe(node, attribute=attribute, time=time,  # type: ignore[arg-type]
                             value=value, inTangentType=in_tangent,
                             outTangentType=out_tangent)
    return int(n or 0)


def names(result: Any) -> List[str]:
    """A command's node-name result as a list: commands return None, one name or a list,
    which maya-stubs types as a wide union."""
    if result is None or result is True or result is False:
        return []
    if isinstance(result, str):
        return [result]
    return [str(r) for r in result]
