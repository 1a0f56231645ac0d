"""Maya node types of MicroExpr: the soft-mod manipulator deformer and the key-point locator.

Node type names and ids live here so commands can use them without importing the node
modules (which need Maya's API classes at import time).
"""
from __future__ import annotations

MANIPULATOR_TYPE = "microexprSoftModManipulator"
MANIPULATOR_ID = 0x0007E1A0
LOCATOR_TYPE = "microexprKeyPoint"
LOCATOR_ID = 0x0007E1A1
LOCATOR_DRAW_CLASSIFICATION = "drawdb/geometry/microexprKeyPoint"
LOCATOR_DRAW_REGISTRANT = "microexprKeyPointDrawOverride"
# Ids in 0x00000-0x7ffff are for internal use only; ask Autodesk for a vendor block before
# distributing scenes that contain these nodes.

FALLOFF_CURVES = ("linear", "smooth", "gaussian", "constant")
FALLOFF_MODES = ("surface", "volume")
