"""Markerless binding in Maya: the 68 landmark vertices found on renders of the mesh.

This module only reads the mesh from the scene (the undeformed points, object space,
centimetres) and writes the preview picture. The core's
:func:`microexpr.capture.markerless.find_landmarks` renders the mesh, runs dlib's detector
and maps the points to vertices through the render's id buffer: the same code as
``microexpr landmarks find``, so the CLI and Maya bind a head alike.
"""
from __future__ import annotations

import os
import tempfile
from typing import Optional, Union

import numpy as np

from . import scene_io

#: String attribute on the mesh's transform: the preview picture of the last bind.
PREVIEW_ATTR = "microexprBindPreview"
PathLike = Union[str, "os.PathLike[str]"]
FIX = ("give the head's axes as up= and front= (its top and the side the face looks at, "
       "e.g. up='+Z', front='-Y'), or bind from a landmark file (landmark_file=...) or from "
       "68 vertices selected in iBUG order")


def preview_file(transform: str) -> str:
    """Where the preview of ``transform``'s binding goes by default (the temp folder)."""
    return os.path.join(tempfile.gettempdir(),
                        "microexpr_%s_landmarks.png" % scene_io.short_name(transform))


def find_landmark_vertices(transform: str, shape: str, up: Optional[str] = None,
                           front: Optional[str] = None,
                           preview: Optional[PathLike] = None) -> np.ndarray:
    """The 68 landmark vertices of the mesh, found on renders of it (Maya's axes, +Y up and
    +Z front, unless ``up``/``front`` are given). Writes the preview PNG to ``preview``
    (default :func:`preview_file`) even when no face is found; returns the vertices."""
    from microexpr.capture.markerless import LandmarkError, find_landmarks

    path = preview_file(transform) if preview is None else os.fspath(preview)
    mesh = scene_io.base_mesh(transform, shape)
    try:
        binding = find_landmarks(mesh, up=up, front=front, stated_axes=True)
    except LandmarkError as exc:
        seen = write_preview(path, exc.preview)
        note = " (what the renders showed: %s)" % path if seen else ""
        raise LandmarkError("%s: %s%s" % (scene_io.short_name(transform), exc.problem, note),
                            field="mesh", fix=FIX, preview=exc.preview,
                            report=exc.report) from exc
    write_preview(path, binding.preview)
    return np.asarray(binding.vertices, dtype=np.int64)


def write_preview(path: str, image: Optional[np.ndarray]) -> bool:
    from microexpr.atomicio import immediate, write_bytes
    from microexpr.capture.bind_preview import png

    if image is None:
        return False
    with immediate():           # a diagnostic: written even when the bind fails
        write_bytes(path, png(image))
    return True
