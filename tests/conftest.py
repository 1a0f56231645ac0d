"""Shared fixtures: the default face and rigs built once per session."""
from __future__ import annotations

import os
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
for sub in ("shared", os.path.join("maya_plugin", "scripts"), "tools"):
    path = os.path.join(ROOT, sub)
    if path not in sys.path:
        sys.path.insert(0, path)


@pytest.fixture(scope="session")
def face():
    from microexpr.rig.face import default_face

    return default_face()


@pytest.fixture(scope="session")
def table1_rig(face):
    from microexpr.rig.build import build_rig

    return build_rig(face.skin, face.landmark_vertices, "table1", extra_meshes=[face.eyes])


@pytest.fixture(scope="session")
def arkit_rig(face):
    from microexpr.rig.build import build_rig

    return build_rig(face.skin, face.landmark_vertices, "arkit")


@pytest.fixture(scope="session")
def rt():
    """The C# runtime loaded through pythonnet on Mono (fails under CI when Mono is missing,
    skips with the reason elsewhere)."""
    from microexpr.unity import build, net

    gate = build.test_gate(build.missing_mono() or net.missing_pythonnet())
    if gate:
        getattr(pytest, gate[0])(gate[1])
    return net.runtime()


@pytest.fixture(scope="session")
def renderer():
    """The headless OpenGL context (moderngl on Mesa EGL), gated by ``render_gate``."""
    from microexpr.errors import MicroExprError
    from microexpr.rig.render import context
    from render_gate import render_gate

    try:
        return context()
    except MicroExprError as exc:
        render_gate("no OpenGL renderer: %s" % exc)


@pytest.fixture
def mu(rt):
    """The Unity package's ``MicroExpr.Unity`` namespace (C# under Mono, via ``rt``)."""
    import MicroExpr.Unity as unity

    return unity
