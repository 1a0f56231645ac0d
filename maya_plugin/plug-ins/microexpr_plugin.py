"""MicroExpr Maya plug-in (Python API 2.0).

Registers the key-point locator with its Viewport 2.0 draw override and the microexpr*
commands, and loads ``microexpr_deformer.py`` (API 1.0) for the soft-mod manipulator
deformer, because API 2.0 has no deformer proxy.  Everything else lives in the
``microexpr_maya`` package.
"""
from __future__ import annotations

import os

from microexpr._version import __version__
from microexpr_maya import commands
from microexpr_maya._maya import cmds, om, omr
from microexpr_maya.nodes import key_point_locator as locator

VENDOR = "MicroExpr"
VERSION = __version__
DEFORMER_PLUGIN = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                               "microexpr_deformer.py")


def maya_useNewAPI() -> None:
    """Tells Maya this plug-in uses Python API 2.0."""


def initializePlugin(mobject: object) -> None:
    plugin = om.MFnPlugin(mobject, VENDOR, VERSION, "Any")
    plugin.registerNode(locator.TYPE_NAME, locator.type_id(), locator.creator,
                        locator.initialize, om.MPxNode.kLocatorNode,
                        locator.DRAW_CLASSIFICATION)
    omr.MDrawRegistry.registerDrawOverrideCreator(locator.DRAW_CLASSIFICATION,
                                                  locator.DRAW_REGISTRANT,
                                                  locator.KeyPointDrawOverride.creator)
    for name, creator, syntax in commands.registrations():
        plugin.registerCommand(name, creator, syntax)
    cmds.loadPlugin(DEFORMER_PLUGIN, quiet=True)


def uninitializePlugin(mobject: object) -> None:
    plugin = om.MFnPlugin(mobject)
    for name, _creator, _syntax in commands.registrations():
        plugin.deregisterCommand(name)
    omr.MDrawRegistry.deregisterDrawOverrideCreator(locator.DRAW_CLASSIFICATION,
                                                    locator.DRAW_REGISTRANT)
    plugin.deregisterNode(locator.type_id())
    name = os.path.splitext(os.path.basename(DEFORMER_PLUGIN))[0]
    if cmds.pluginInfo(name, query=True, loaded=True):
        try:
            cmds.unloadPlugin(name)
        except RuntimeError:  # its nodes are still in the scene: leave it loaded
            pass
