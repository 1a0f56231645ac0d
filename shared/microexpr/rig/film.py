"""A camera as Maya describes it (focal length, film back, film fit) as a renderer view.

Maya's camera model has two gates: the film gate (the aperture, in inches) and the
resolution gate (the picture, ``image_size`` pixels, square pixels assumed). ``film_fit``
says how one is fitted to the other when their aspect ratios differ:

- ``fill``: the picture lies inside the film gate (the film's width when the picture is
  wider than the film, else its height); Maya's default;
- ``horizontal``/``vertical``: the picture spans the film's width/height;
  ``fit_offset`` then shifts it when it is taller/wider than the film;
- ``overscan``: the film gate lies inside the picture.

The film offset (inches) moves the picture off the lens axis; ``camera_scale`` widens the
view (a scale of 2 sees what half the focal length would). An orthographic camera's
``orthographicWidth`` is the side of a square film gate (film aperture and offset do not
apply), fitted to the picture the same way, so with a landscape picture and ``fill`` or
``horizontal`` it is the picture's width.
"""
from __future__ import annotations

import math
from typing import Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.rig.render import PerspectiveView, View

FILM_FITS = ("fill", "horizontal", "vertical", "overscan")
MM_PER_INCH = 25.4


def _positive(value: float, what: str, fix: str) -> float:
    v = float(value)
    if not (math.isfinite(v) and v > 0):
        raise MicroExprError("%s must be a positive number, got %r" % (what, value),
                             field=what, fix=fix)
    return v


def _image_aspect(image_size: Tuple[int, int]) -> Tuple[Tuple[int, int], float]:
    try:
        w, h = (int(v) for v in image_size)
    except (TypeError, ValueError):
        w = h = 0
    if w <= 0 or h <= 0:
        raise MicroExprError("the image size must be two positive whole numbers (width, "
                             "height), got %r" % (image_size,), field="image_size",
                             fix="pass the size in pixels of the image the landmarks are in")
    return (w, h), w / float(h)


def film_window(aperture: Tuple[float, float], image_aspect: float, film_fit: str = "fill",
                offset: Tuple[float, float] = (0.0, 0.0), fit_offset: float = 0.0
                ) -> Tuple[float, float, float, float]:
    """(left, right, bottom, top) of the picture on the film plane, in the aperture's unit,
    relative to the lens axis."""
    fit = str(film_fit).strip().lower()
    if fit not in FILM_FITS:
        raise MicroExprError("unknown film fit %r" % (film_fit,), field="filmFit",
                             fix="use one of %s" % ", ".join(FILM_FITS))
    ax = _positive(aperture[0], "horizontalFilmAperture", "give the film back's width")
    ay = _positive(aperture[1], "verticalFilmAperture", "give the film back's height")
    film_aspect = ax / ay
    sx = sy = 1.0
    tx = ty = 0.0
    if fit == "fill":
        if image_aspect < film_aspect:
            sx = image_aspect / film_aspect
        else:
            sy = film_aspect / image_aspect
    elif fit == "horizontal":
        sy = film_aspect / image_aspect
        if sy > 1.0:
            ty = fit_offset * (ay - ay * sy) / 2.0
    elif fit == "vertical":
        sx = image_aspect / film_aspect
        if sx > 1.0:
            tx = fit_offset * (ax - ax * sx) / 2.0
    elif image_aspect < film_aspect:      # overscan
        sy = film_aspect / image_aspect
    else:
        sx = image_aspect / film_aspect
    cx, cy = float(offset[0]) + tx, float(offset[1]) + ty
    return (cx - 0.5 * ax * sx, cx + 0.5 * ax * sx, cy - 0.5 * ay * sy, cy + 0.5 * ay * sy)


def camera_axes(to_world) -> Tuple[np.ndarray, np.ndarray]:
    """(rotation rows right/up/back, position) of a camera from its 4x4 world matrix (row
    vectors, translation in the last row); scale is taken out, shear refused."""
    m = np.asarray(to_world, dtype=np.float64)
    if m.shape != (4, 4) or not np.all(np.isfinite(m)):
        raise MicroExprError("the camera matrix must be 4x4 and finite, got shape %s"
                             % (m.shape,), field="camera", fix="pass the camera's world matrix")
    axes = m[:3, :3]
    lengths = np.linalg.norm(axes, axis=1)
    if np.any(lengths < 1e-12):
        raise MicroExprError("the camera's matrix has a zero scale", field="camera",
                             fix="give the camera's transform a non-zero scale")
    rot = axes / lengths[:, None]
    if np.abs(rot @ rot.T - np.eye(3)).max() > 1e-6 or np.linalg.det(rot) < 0:
        raise MicroExprError("the camera's matrix is sheared or mirrored", field="camera",
                             fix="remove shear and negative scale from the camera's transform "
                                 "and its parents")
    return rot, m[3, :3].copy()


def perspective_view(to_world, image_size: Tuple[int, int], focal_length: float,
                     aperture: Tuple[float, float] = (1.417, 0.945), film_fit: str = "fill",
                     offset: Tuple[float, float] = (0.0, 0.0), fit_offset: float = 0.0,
                     camera_scale: float = 1.0) -> PerspectiveView:
    """The view of a perspective camera: ``focal_length`` in millimetres, ``aperture`` and
    ``offset`` in inches (Maya's units), world units those of ``to_world``."""
    pixels, aspect = _image_aspect(image_size)
    focal = _positive(focal_length, "focalLength", "give the lens' focal length in mm")
    scale = _positive(camera_scale, "cameraScale", "set the camera scale to 1")
    rot, eye = camera_axes(to_world)
    left, right, bottom, top = film_window(aperture, aspect, film_fit, offset, fit_offset)
    k = scale * MM_PER_INCH / focal
    return PerspectiveView(rot, eye, (left * k, right * k, bottom * k, top * k), pixels)


def orthographic_view(to_world, image_size: Tuple[int, int], width: float,
                      film_fit: str = "fill", fit_offset: float = 0.0,
                      camera_scale: float = 1.0) -> View:
    """The view of an orthographic camera ``width`` (world units) wide (see the module)."""
    pixels, aspect = _image_aspect(image_size)
    side = _positive(width, "orthographicWidth", "give the camera's orthographic width")
    side *= _positive(camera_scale, "cameraScale", "set the camera scale to 1")
    rot, eye = camera_axes(to_world)
    left, right, bottom, top = film_window((side, side), aspect, film_fit, (0.0, 0.0),
                                           fit_offset)
    centre = eye + rot[0] * (left + right) / 2.0 + rot[1] * (bottom + top) / 2.0
    return View(rot, centre, right - left, pixels)
