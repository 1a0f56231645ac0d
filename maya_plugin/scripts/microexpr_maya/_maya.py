"""The only module of ``microexpr_maya`` that imports Maya.

Every other module imports the Maya names it needs from here, so a test can swap in a
stand-in (see ``tests/maya_standin``) and a reader sees in one place which Maya APIs the
module depends on.

* ``cmds``, ``mel``            -- maya.cmds / maya.mel
* ``om``, ``oma``, ``omui``, ``omr`` -- Python API 2.0 (maya.api.*)
* ``om1``, ``ompx1``           -- Python API 1.0, needed only for the deformer node
  (API 2.0 has no MPxDeformerNode).
"""
from __future__ import annotations

import maya.api.OpenMaya as om
import maya.api.OpenMayaAnim as oma
import maya.api.OpenMayaRender as omr
import maya.api.OpenMayaUI as omui
import maya.OpenMaya as om1
import maya.OpenMayaMPx as ompx1
from maya import cmds, mel

__all__ = ["cmds", "mel", "om", "oma", "omui", "omr", "om1", "ompx1", "is_batch"]


def is_batch() -> bool:
    """True in mayapy / ``maya -batch`` (no UI: no progress bar, no dialogs)."""
    return bool(cmds.about(batch=True))
