"""Fixtures for the Maya module's tests: real Maya under mayapy, else the stand-in.

Under ``mayapy`` (``import maya.cmds`` works for real) the session starts Maya with
``maya.standalone.initialize``; anywhere else it installs ``tests/maya_standin`` (an
in-memory test double, not Maya).  Tests use only public ``maya.cmds``/API calls so they
run unchanged in both; assertions that need the stand-in's internals take the
``standin`` fixture, which skips under real Maya.
"""
from __future__ import annotations

import importlib.util
import os
import sys
from types import ModuleType
from typing import Any, Iterator, Optional

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
PLUGIN_DIR = os.path.join(REPO, "maya_plugin", "plug-ins")
STANDIN_DIR = os.path.join(REPO, "tests", "maya_standin")

for _p in (os.path.join(REPO, "maya_plugin", "scripts"), os.path.join(REPO, "shared")):
    if _p not in sys.path:
        sys.path.insert(0, _p)
if PLUGIN_DIR not in os.environ.get("MAYA_PLUG_IN_PATH", "").split(os.pathsep):
    os.environ["MAYA_PLUG_IN_PATH"] = os.pathsep.join(
        p for p in (PLUGIN_DIR, os.environ.get("MAYA_PLUG_IN_PATH")) if p)


def _real_maya() -> bool:
    if "maya.cmds" in sys.modules:
        return not getattr(sys.modules["maya.cmds"], "__standin__", False)
    try:
        import maya.standalone  # noqa: F401
    except ImportError:
        for name in [n for n in sys.modules if n == "maya" or n.startswith("maya.")]:
            del sys.modules[name]
        return False
    return True


def load_standin() -> ModuleType:
    """The ``maya_standin`` package (loaded from tests/maya_standin by path)."""
    if "maya_standin" in sys.modules:
        return sys.modules["maya_standin"]
    spec = importlib.util.spec_from_file_location(
        "maya_standin", os.path.join(STANDIN_DIR, "__init__.py"),
        submodule_search_locations=[STANDIN_DIR])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["maya_standin"] = module
    spec.loader.exec_module(module)
    return module


REAL_MAYA = _real_maya()
STANDIN: Optional[ModuleType] = None
if REAL_MAYA:
    import maya.standalone

    maya.standalone.initialize(name="python")
else:
    STANDIN = load_standin()
    STANDIN.install()


def pytest_report_header(config: Any) -> str:
    return "maya: " + ("real Maya (mayapy)" if REAL_MAYA else "MicroExpr stand-in (not Maya)")


@pytest.fixture
def maya_scene() -> Iterator[Any]:
    """A new, empty scene with an empty undo queue and undo enabled; yields maya.cmds."""
    from maya import cmds

    if STANDIN is not None:
        STANDIN.reset()
    else:
        cmds.file(newFile=True, force=True)
        cmds.flushUndo()
        cmds.undoInfo(state=True)
    yield cmds


@pytest.fixture
def standin(maya_scene: Any) -> Any:
    """The live stand-in Scene, for stand-in-only assertions (skips under real Maya)."""
    if STANDIN is None:
        pytest.skip("stand-in-only assertion (running in real Maya)")
    return STANDIN.current()


@pytest.fixture
def is_standin() -> bool:
    return STANDIN is not None


@pytest.fixture
def plugin(maya_scene: Any) -> Any:
    """The MicroExpr plug-in loaded in a new scene; yields maya.cmds."""
    maya_scene.loadPlugin(os.path.join(PLUGIN_DIR, "microexpr_plugin.py"), quiet=True)
    yield maya_scene


# ---------------------------------------------------------------- shared helpers
@pytest.fixture(scope="session")
def face() -> Any:
    """The core's default face (> 5000 vertices) with its 68 landmark vertices."""
    from microexpr.rig.face import default_face

    return default_face()


@pytest.fixture(scope="session")
def small_face() -> Any:
    """A coarser default face for tests that do not need 5000 vertices."""
    from microexpr.rig.face import default_face

    return default_face(resolution=0.4)


@pytest.fixture
def make_head(plugin: Any) -> Any:
    """make_head(core_face, name="head") -> transform: the face's skin as a Maya mesh."""
    from microexpr_maya import scene_io

    def make(core_face: Any, name: str = "head") -> str:
        return scene_io.create_mesh(core_face.skin, name)

    return make


def public_state(cmds: Any) -> Any:
    """A comparable picture of the scene through public commands only: every node's
    type, incoming connections, user attributes, aliases, mesh points and keys."""
    from microexpr_maya import scene_io

    out = {}
    for node in sorted(cmds.ls(long=True) or []):
        typ = cmds.nodeType(node)
        pairs = cmds.listConnections(node, connections=True, plugs=True, source=True,
                                     destination=False) or []
        entry = {"type": typ, "in": sorted(zip(pairs[0::2], pairs[1::2]))}
        for attr in cmds.listAttr(node, userDefined=True) or []:
            try:
                entry["attr:" + attr] = cmds.getAttr(node + "." + attr)
            except (RuntimeError, ValueError):
                pass
        if typ == "mesh":
            entry["points"] = scene_io.read_points(node).round(12).tolist()
        if typ == "blendShape":
            entry["aliases"] = cmds.aliasAttr(node, query=True)
            entry["weights"] = cmds.blendShape(node, query=True, weight=True)
        if typ.startswith("animCurve"):
            entry["keys"] = list(zip(cmds.keyframe(node, query=True, timeChange=True) or [],
                                     cmds.keyframe(node, query=True, valueChange=True) or []))
        out[node] = entry
    return out


@pytest.fixture
def scene_state() -> Any:
    """scene_state() -> (public picture, stand-in dump or None) for exact comparisons."""
    from maya import cmds

    def snap() -> Any:
        dump = STANDIN.current().dump() if STANDIN is not None else None
        return public_state(cmds), dump

    return snap


@pytest.fixture
def qt():
    """PySide6 off-screen (the panel's widgets without a display)."""
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
    pytest.importorskip("PySide6")
    from microexpr_maya import _qt

    _qt.application()
    return _qt
