"""The Maya stand-in's API side must be no kinder than Maya: it offers only what maya-stubs
declares, enforces Autodesk's signatures for what we call, keeps the two Python APIs apart
and loads a plug-in only with the API it declares (stand-in only: skipped under real Maya)."""
from __future__ import annotations

import inspect
import os
import sys
import textwrap

import numpy as np
import pytest

STANDIN_DIR = os.path.join(os.path.dirname(__file__), "..", "maya_standin")


@pytest.fixture
def api(standin):
    import maya.api.OpenMaya as om
    import maya.api.OpenMayaRender as omr
    import maya.OpenMaya as om1
    import maya.OpenMayaMPx as ompx1

    return om, omr, om1, ompx1


def test_every_api_name_the_standin_offers_is_in_maya_stubs(standin):
    from maya_standin import api_stubs

    modules = {name: sys.modules[name] for name in api_stubs.STUB_FILES}
    assert api_stubs.problems(modules) == []


def test_the_stubs_check_can_fail(standin):
    from maya_standin import api_stubs

    fake = type(sys)("maya.api.OpenMaya")
    fake.MPoint = type("MPoint", (), {"madeUp": lambda self: None, "__iter__": None})
    fake.MSpace = type("MSpace", (), {"kWorld": 5})
    fake.MNotAClass = object
    found = api_stubs.problems({"maya.api.OpenMaya": fake})
    assert found == ["maya.api.OpenMaya.MPoint.madeUp: not in maya-stubs",
                     "maya.api.OpenMaya.MPoint.__iter__: not in maya-stubs",
                     "maya.api.OpenMaya.MSpace.kWorld = 5; maya-stubs: 4",
                     "maya.api.OpenMaya.MNotAClass: not in maya-stubs"]


def test_reference_rows_exist_in_the_stubs_and_are_enforced(standin):
    from maya_standin import api_check, api_modules, api_reference, api_stubs

    stubs = api_stubs.Stubs()
    spaces = api_modules.namespaces()
    enforced = api_check.enforced()
    for sig in api_reference.signatures():
        members = stubs.members(sig.module, sig.cls)
        assert members, f"{sig.module}.{sig.cls} is not in maya-stubs"
        assert sig.method in members, f"{sig.text}: maya-stubs has no {sig.method}"
        assert sig.source in api_reference.SOURCES, sig.text
        if sig.kind == "call":
            assert sig in enforced[(sig.module, sig.cls, sig.method)]
            method = inspect.getattr_static(spaces[sig.module][sig.cls], sig.method)
            method = getattr(method, "__func__", method)
            assert sig in method.__standin_reference__


def test_the_readme_shows_the_reference_table(standin):
    from maya_standin import api_reference

    with open(os.path.join(STANDIN_DIR, "README.md"), encoding="utf-8") as f:
        readme = f.read()
    assert api_reference.render_markdown() in readme


def test_overrides_take_the_reference_arguments(standin, plugin):
    """What Maya calls on our classes accepts exactly the arguments Maya passes."""
    from maya_standin import api_reference
    from microexpr_maya import commands
    from microexpr_maya.nodes import key_point_locator, softmod_manipulator

    ours = {"MPxGeometryFilter": softmod_manipulator.SoftModManipulator,
            "MPxDrawOverride": key_point_locator.KeyPointDrawOverride,
            "MPxLocatorNode": key_point_locator.KeyPointLocator,
            "MPxCommand": commands.BindKeyPoints}
    checked = 0
    for sig in api_reference.signatures():
        if sig.kind != "override":
            continue
        method = getattr(ours[sig.cls], sig.method)
        bound = inspect.signature(method).bind(object(), *[object()] * len(sig.params))
        assert bound is not None
        with pytest.raises(TypeError):  # one argument too many is refused
            inspect.signature(method).bind(object(), *[object()] * (len(sig.params) + 1))
        checked += 1
    assert checked >= 8


def test_api1_and_api2_objects_do_not_mix(api, plugin):
    om, _omr, om1, ompx1 = api
    num2, num1 = om.MFnNumericAttribute(), om1.MFnNumericAttribute()
    attr2 = num2.create("value", "val", om.MFnNumericData.kDouble, 1.0)
    attr1 = num1.create("value", "val", om1.MFnNumericData.kDouble, 1.0)
    node = om.MSelectionList().add("persp").getDependNode(0)
    om.MPlug(node, attr2)  # API 2.0 objects in an API 2.0 call: fine
    with pytest.raises(TypeError, match="do not mix"):
        om.MPlug(node, attr1)
    with pytest.raises(TypeError, match="do not mix"):
        om1.MFnMesh(om.MObject())
    with pytest.raises(TypeError, match="do not mix"):
        om.MFnTypedAttribute().create("label", "lb", om.MFnData.kString,
                                      om1.MFnStringData().create("x"))
    with pytest.raises(TypeError, match="do not mix"):
        om.MPxNode.addAttribute(attr1)
    with pytest.raises(TypeError, match="do not mix"):
        ompx1.MFnPlugin(om.MObject())


def _plugin_file(tmp_path, name, body):
    path = tmp_path / (name + ".py")
    path.write_text(textwrap.dedent(body), encoding="utf-8")
    return str(path)


PLUGIN_API2 = """
    import maya.api.OpenMaya as om
    import maya.OpenMayaMPx as ompx1

    {declare}

    class Node({base}):
        pass

    def initializePlugin(mobject):
        plugin = {fnplugin}(mobject, "test", "1.0", "Any")
        plugin.registerNode("{name}", {typeid}(0x7E1F0), Node, lambda: None)

    def uninitializePlugin(mobject):
        {fnplugin}(mobject).deregisterNode({typeid}(0x7E1F0))
"""


@pytest.mark.parametrize("declare, base, fnplugin, typeid, ok", [
    ("def maya_useNewAPI(): pass", "om.MPxNode", "om.MFnPlugin", "om.MTypeId", True),
    ("", "ompx1.MPxNode", "ompx1.MFnPlugin", "om.MTypeId", False),   # API 1.0 + 2.0 type id
    ("", "om.MPxNode", "om.MFnPlugin", "om.MTypeId", False),         # undeclared API 2.0
    ("def maya_useNewAPI(): pass", "ompx1.MPxNode", "ompx1.MFnPlugin", "om.MTypeId", False),
    ("def maya_useNewAPI(): pass", "ompx1.MPxNode", "om.MFnPlugin", "om.MTypeId", False),
])
def test_a_plugin_loads_only_with_the_api_it_declares(standin, maya_scene, tmp_path,
                                                      declare, base, fnplugin, typeid, ok):
    cmds = maya_scene
    path = _plugin_file(tmp_path, "mixtest", PLUGIN_API2.format(
        declare=declare, base=base, fnplugin=fnplugin, typeid=typeid, name="mixNode"))
    if ok:
        cmds.loadPlugin(path, quiet=True)
        assert cmds.pluginInfo("mixtest", query=True, loaded=True)
        cmds.createNode("mixNode")
        return
    with pytest.raises(TypeError):
        cmds.loadPlugin(path, quiet=True)
    assert not cmds.pluginInfo("mixtest", query=True, loaded=True)
    with pytest.raises(RuntimeError):
        cmds.createNode("mixNode")


def test_draw_manager_has_only_mayas_methods_and_arities(api):
    om, omr, _om1, _ompx1 = api
    dm = omr.MUIDrawManager()
    with pytest.raises(AttributeError):
        dm.line(om.MPoint(), om.MPoint(1, 0, 0))  # real, but not one the stand-in offers
    with pytest.raises(AttributeError):
        dm.drawText(om.MPoint(), "x")  # not Maya's
    with pytest.raises(RuntimeError, match="beginDrawable"):
        dm.point(om.MPoint())
    dm.beginDrawable()
    with pytest.raises(TypeError):
        dm.point(om.MPoint(), 2.0)
    with pytest.raises(TypeError):
        dm.point((0.0, 0.0, 0.0))
    with pytest.raises(TypeError):
        dm.text(om.MPoint(), 5)
    with pytest.raises(TypeError):
        dm.sphere(om.MPoint(), 1.0, 8, 8, True, 1)  # one argument too many for either form
    with pytest.raises(TypeError):
        dm.setColor((1.0, 0.0, 0.0, 1.0))
    dm.sphere(om.MPoint(), 1.0, 8, 8, True)
    dm.text(om.MPoint(), "label", omr.MUIDrawManager.kCenter)
    dm.endDrawable()


def test_as_float_is_single_precision(api, maya_scene):
    om, _omr, om1, _ompx1 = api
    from maya_standin.api1 import MDataHandle

    handle = MDataHandle._of(0.1)
    assert handle.asDouble() == 0.1
    assert handle.asFloat() == float(np.float32(0.1)) != 0.1
    maya_scene.createNode("transform", name="t")
    maya_scene.setAttr("t.translateX", 0.1)
    attr = om.MFnNumericAttribute().create("translateX", "tx", om.MFnNumericData.kDouble)
    plug = om.MPlug(om.MSelectionList().add("t").getDependNode(0), attr)
    assert plug.asDouble() == 0.1
    assert plug.asFloat() == float(np.float32(0.1))


def test_calls_are_checked_against_the_reference(api):
    om, _omr, om1, _ompx1 = api
    with pytest.raises(TypeError, match="Autodesk reference"):
        om1.MItGeometry().setPosition((0.0, 0.0, 0.0))
    with pytest.raises(TypeError, match="Autodesk reference"):
        om.MSelectionList().getDagPath()
    with pytest.raises(TypeError, match="Autodesk reference"):
        om.MFnNumericAttribute().create("a", "a")
