"""Shaded pictures of a face for sheets: the mesh lit, coloured per vertex, seen from the
front or turned, on a white ground, with where given key points land on the picture.

Built on :mod:`microexpr.rig.render` (moderngl, headless EGL): every function here raises its
``MicroExprError`` (field ``renderer``) when no OpenGL context can be opened. Typical use::

    frame, size = face_frame(rig.neutral_landmarks())     # rows: subject's left, up, forward
    views = face_views(skin_points, frame, yaws=(0.0, 35.0), pixels=420)
    pic = shade(points, triangles, colours, views[1], keys=landmarks)
    pic.image            # (H, W, 3) uint8, white where no surface
    pic.keys[pic.seen]   # (K, 2) pixel x, y of the key points the surface does not hide
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import List, Optional, Sequence

import numpy as np

from microexpr.rig.render import Light, View, render

#: Three-quarter view: the camera turned this many degrees toward the subject's left.
THREE_QUARTER = 35.0
#: A key point counts as hidden when the surface under it is nearer by more than this share of
#: the picture's world width.
HIDDEN_TOLERANCE = 0.01


@dataclass
class Picture:
    """One shaded view. ``image`` (H, W, 3) uint8; ``covered`` (H, W) True on the surface;
    ``keys`` (K, 2) pixel x, y of the key points; ``seen`` (K,) False where the surface hides
    a key point; ``view`` the camera."""

    image: np.ndarray
    covered: np.ndarray
    keys: np.ndarray
    seen: np.ndarray
    view: View


def turned(frame, yaw: float = 0.0) -> np.ndarray:
    """Camera rotation (rows: picture right, up, toward the viewer) looking at the face whose
    ``frame`` rows are its left, up and forward directions, turned ``yaw`` degrees about its up
    axis (positive: the camera moves to the subject's left, which then faces the viewer)."""
    a = math.radians(yaw)
    ry = np.array([[math.cos(a), 0.0, -math.sin(a)], [0.0, 1.0, 0.0],
                   [math.sin(a), 0.0, math.cos(a)]])
    return ry @ np.asarray(frame, dtype=np.float64)


def face_views(points, frame, yaws: Sequence[float] = (0.0, THREE_QUARTER), pixels: int = 420,
               margin: float = 0.04) -> List[View]:
    """One view per yaw of ``points`` (N, 3), all at the same scale and picture size so they
    sit side by side; ``pixels`` is the larger side of the picture."""
    p = np.asarray(points, dtype=np.float64).reshape(-1, 3)
    rots = [turned(frame, y) for y in yaws]
    boxes = [(c.min(axis=0), c.max(axis=0)) for c in (p @ r.T for r in rots)]
    size = np.max([hi - lo for lo, hi in boxes], axis=0)
    side = float(max(size[0], size[1], 1e-9)) * (1.0 + 2.0 * margin)
    scale = pixels / side
    wpx = max(8, int(round((size[0] * (1.0 + 2.0 * margin)) * scale)))
    hpx = max(8, int(round((size[1] * (1.0 + 2.0 * margin)) * scale)))
    views = []
    for rot, (lo, hi) in zip(rots, boxes):
        mid = (lo + hi) / 2.0
        mid[2] = 0.0
        views.append(View(rot, mid @ rot, wpx / scale, (wpx, hpx)))
    return views


def shade(points, triangles, colours, view: View, keys=None, background: int = 255,
          light: Optional[Light] = None) -> Picture:
    """Render ``triangles`` (T, 3) of ``points`` (N, 3) with per-vertex ``colours`` (N, 3;
    0-1 floats or uint8), lit (diffuse key and fill light), seen by ``view``; ``keys`` (K, 3)
    world points to place on the picture (hidden ones flagged)."""
    frame = render(points, triangles, view, colours=colours, light=light or Light())
    image = frame.image.copy()
    image[~frame.covered] = background
    k = np.zeros((0, 3)) if keys is None else np.asarray(keys, dtype=np.float64).reshape(-1, 3)
    xy, depth = view.to_pixels(k)
    ix, iy = frame.pixel_index(xy)
    h, w = frame.covered.shape
    inside = (xy[:, 0] >= 0) & (xy[:, 0] < w) & (xy[:, 1] >= 0) & (xy[:, 1] < h)
    surface = frame.depth[iy, ix].astype(np.float64)
    seen = inside & ~(surface < depth - HIDDEN_TOLERANCE * view.width)
    return Picture(image, frame.covered, xy, seen, view)
