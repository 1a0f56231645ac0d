"""The gate of the tests that render meshes and find faces."""
from __future__ import annotations

import os

import pytest


def render_gate(why: str) -> None:
    """Skip locally, fail under CI: the set-up command installs the OpenGL renderer, dlib's
    model and the head scan that the rendering and face-finding tests need."""
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail("CI must run the tests that render meshes and find faces, but " + why)
    pytest.skip(why + " (the README's set-up command installs it)")
