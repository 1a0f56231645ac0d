"""Image landmarks seen through a Maya camera, bound to the mesh's skin vertices.

This module only reads the scene: the camera (its world matrix and the attributes that
shape its view: focal length, film aperture, film offset, film fit, camera scale, or the
orthographic width) and the mesh as the camera sees it (world space, centimetres). The
core's :func:`microexpr.capture.image_binding.bind_image_landmarks` renders the mesh
through the camera and binds each landmark to the skin vertex under it, with the same
id-buffer and skin logic as the markerless finder.
"""
from __future__ import annotations

import os
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh
from microexpr.rig.film import FILM_FITS, orthographic_view, perspective_view

from . import scene_io
from ._maya import cmds

PathLike = Union[str, "os.PathLike[str]"]
#: Camera attributes that change the picture in ways the binding does not model, with the
#: value that leaves the picture alone (Maya's default).
UNMODELLED = (("lensSqueezeRatio", 1.0), ("preScale", 1.0), ("postScale", 1.0),
              ("filmTranslateH", 0.0), ("filmTranslateV", 0.0), ("filmRollValue", 0.0))


def camera_nodes(camera: str) -> Tuple[str, str]:
    """(transform, shape) of a camera given by either name."""
    found = cmds.ls(camera, long=True) or []
    if not found:
        raise MicroExprError("no camera named %r" % camera, field="camera",
                             fix="pass an existing camera, e.g. 'persp' or 'front'")
    node = found[0]
    if cmds.nodeType(node) == "camera":
        return (cmds.listRelatives(node, parent=True, fullPath=True) or [node])[0], node
    shapes = cmds.listRelatives(node, shapes=True, fullPath=True, type="camera") or []
    if not shapes:
        raise MicroExprError("%r is not a camera" % camera, field="camera",
                             fix="pass a camera transform or shape")
    return node, shapes[0]


def render_size() -> Tuple[int, int]:
    """The scene's render resolution (Render Settings > Image Size), pixels."""
    return (int(cmds.getAttr("defaultResolution.width")),
            int(cmds.getAttr("defaultResolution.height")))


def _attr(shape: str, name: str) -> float:
    return float(cmds.getAttr(shape + "." + name))


def camera_view(camera: str, image_size: Tuple[int, int]):
    """The core renderer's view of a Maya camera for a picture of ``image_size`` pixels
    (square pixels), in centimetres."""
    transform, shape = camera_nodes(camera)
    for name, neutral in UNMODELLED:
        value = _attr(shape, name)
        if abs(value - neutral) > 1e-9:
            raise MicroExprError("%s.%s is %g: the binding does not model it"
                                 % (scene_io.short_name(shape), name, value),
                                 field="camera", fix="set %s to %g on the camera the picture "
                                                     "was taken with" % (name, neutral))
    fit = FILM_FITS[int(cmds.getAttr(shape + ".filmFit"))]
    to_world = scene_io.world_matrix(transform)
    scale = _attr(shape, "cameraScale")
    if cmds.getAttr(shape + ".orthographic"):
        width = _attr(shape, "orthographicWidth") / scene_io.ui_per_cm()
        return orthographic_view(to_world, image_size, width, fit,
                                 _attr(shape, "filmFitOffset"), scale)
    return perspective_view(to_world, image_size, _attr(shape, "focalLength"),
                            (_attr(shape, "horizontalFilmAperture"),
                             _attr(shape, "verticalFilmAperture")), fit,
                            (_attr(shape, "horizontalFilmOffset"),
                             _attr(shape, "verticalFilmOffset")),
                            _attr(shape, "filmFitOffset"), scale)


def bind_image_landmarks(transform: str, shape: str, image_landmarks: Sequence[Sequence[float]],
                         camera: str, image_size: Optional[Tuple[int, int]] = None,
                         preview: Optional[PathLike] = None) -> np.ndarray:
    """The 68 landmark vertices under ``image_landmarks`` (pixels of a picture of
    ``image_size``, default the render resolution, seen by ``camera``); the render with
    the bound points is written to ``preview`` when given."""
    from microexpr.capture.image_binding import bind_image_landmarks as bind

    from .markerless import write_preview

    view = camera_view(camera, render_size() if image_size is None else image_size)
    counts, connects = scene_io.read_topology(shape)
    mesh = Mesh(scene_io.short_name(transform), scene_io.read_points(shape, world=True),
                counts, connects)
    result = bind(mesh, image_landmarks, view)
    if preview is not None:
        write_preview(os.fspath(preview), result.preview)
    return result.vertices
