"""MicroExpr soft-mod manipulator deformer (Python API 1.0: API 2.0 has no MPxDeformerNode).

Loaded by ``microexpr_plugin.py``; registers ``microexprSoftModManipulator`` only.  It imports
just the node module (numpy and the core's falloff and soft-mod), so a scene that contains
the node opens on a Maya without pydantic or scipy, e.g. on a render-farm node.
"""
from __future__ import annotations

from microexpr._version import __version__
from microexpr_maya._maya import ompx1
from microexpr_maya.nodes import softmod_manipulator as manipulator

VENDOR = "MicroExpr"
VERSION = __version__


def initializePlugin(mobject: object) -> None:
    plugin = ompx1.MFnPlugin(mobject, VENDOR, VERSION, "Any")
    plugin.registerNode(manipulator.TYPE_NAME, manipulator.type_id(), manipulator.creator,
                        manipulator.initialize, ompx1.MPxNode.kDeformerNode)


def uninitializePlugin(mobject: object) -> None:
    ompx1.MFnPlugin(mobject).deregisterNode(manipulator.type_id())
