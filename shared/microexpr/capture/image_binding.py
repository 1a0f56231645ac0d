"""Image landmarks seen through a camera, bound to the skin vertices under them.

A user's own detector gives 68 iBUG landmarks on a picture taken by a known camera (in
Maya: any camera of the scene, perspective or orthographic). :func:`bind_image_landmarks`
renders the mesh through that camera (``microexpr.rig.render``: the same renderer, with
its triangle-id buffer) and binds each landmark the way the markerless finder binds the
points dlib finds on its renders (``capture.skin``, ``capture.binding``):

- skin is the mesh's main shell, front faces only: eyeballs, teeth, a tongue, other meshes
  and the inside of the head seen through an opening are not skin;
- a landmark over a hole or over something that is not skin (an eye opening, parted lips)
  goes to the nearest skin pixel of the picture, the margin around the hole, never to what
  lies behind it;
- each point binds to the nearest skin vertex the camera sees.

Pixels have their origin at the image's top-left corner, x right and y down; the centre of
the top-left pixel is (0.5, 0.5) (add 0.5 to a detector's whole-pixel positions).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, Sequence, Union

import numpy as np

from microexpr.capture import skin as skinmod
from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT
from microexpr.mesh import Mesh
from microexpr.rig.render import PerspectiveView, View

AnyView = Union[View, PerspectiveView]
#: The render's longer side, pixels (the image is scaled to it, up or down).
RENDER_PIXELS = 1600
#: A vertex is visible when nothing nearer hides it by more than this share of the skin's size.
VISIBLE_TOLERANCE = 0.005


@dataclass
class ImageBinding:
    """``vertices`` (68,) index the mesh; ``points`` (68, 3) the skin points the landmarks
    landed on; ``moved`` (68,) how far each had to move to reach skin, in % of the
    outer-eye-corner distance of the image landmarks (0 when it was on skin); ``preview`` the
    render through the camera with the bound landmarks drawn (RGB)."""

    vertices: np.ndarray
    points: np.ndarray
    moved: np.ndarray
    preview: np.ndarray
    report: Dict = field(default_factory=dict)


def image_landmark_pixels(image_landmarks, image_size) -> np.ndarray:
    """The 68 image landmarks as a checked (68, 2) array inside the picture."""
    xy = np.asarray(image_landmarks, dtype=np.float64)
    if xy.shape != (COUNT, 2) or not np.all(np.isfinite(xy)):
        raise MicroExprError("image landmarks must be %d finite (x, y) pixel positions, got "
                             "shape %s" % (COUNT, xy.shape), field="image_landmarks",
                             fix="pass the %d iBUG landmarks of the image" % COUNT)
    w, h = image_size
    out = np.flatnonzero((xy[:, 0] < 0) | (xy[:, 0] > w) | (xy[:, 1] < 0) | (xy[:, 1] > h))
    if len(out):
        raise MicroExprError("image landmark %d (%.1f, %.1f) is outside the %dx%d image"
                             % (out[0], xy[out[0], 0], xy[out[0], 1], w, h),
                             field="image_landmarks",
                             fix="give the image's size (image_size=(width, height)) and pixel "
                                 "positions from its top-left corner")
    return xy


def _resized(view: AnyView, pixels) -> AnyView:
    if isinstance(view, PerspectiveView):
        return PerspectiveView(view.rotation, view.eye, view.window, pixels)
    return View(view.rotation, view.centre, view.width, pixels)


def bind_image_landmarks(mesh: Mesh, image_landmarks, view: AnyView,
                         others: Sequence[Mesh] = (), render_pixels: int = RENDER_PIXELS
                         ) -> ImageBinding:
    """Bind the 68 ``image_landmarks`` (pixels of a picture of ``view.pixels``) seen by
    ``view`` to the skin vertices of ``mesh`` (world space of the view), drawn with
    ``others`` (eyes, teeth: never skin)."""
    from microexpr.capture import binding as bd
    from microexpr.capture.bind_preview import draw
    from microexpr.rig.render import render, render_perspective

    w, h = view.pixels
    xy = image_landmark_pixels(image_landmarks, (w, h))
    k = render_pixels / float(max(w, h))
    size = (max(8, int(round(w * k))), max(8, int(round(h * k))))
    big = _resized(view, size)
    rxy = xy * np.array([size[0] / float(w), size[1] / float(h)])
    skin = skinmod.prepare(mesh, others)
    grey = np.where(skin.skin_vertex[:, None], 0.78, 0.3) * np.ones(3)
    if isinstance(big, PerspectiveView):
        frame = render_perspective(skin.points, skin.triangles, big, grey,
                                   normals=skin.normals)
    else:
        frame = render(skin.points, skin.triangles, big, grey, normals=skin.normals)
    mask = skinmod.skin_pixels(frame, skin)
    if not mask.any():
        raise MicroExprError("the camera does not see the front of %s's skin" % mesh.name,
                             field="camera",
                             fix="use the camera the picture was taken with (its position, "
                                 "lens and film back), and the image's size")
    eye_px = float(np.linalg.norm(rxy[36] - rxy[45]))
    if eye_px < 2.0:
        raise MicroExprError("the outer eye corners (landmarks 36 and 45) are %.1f pixels "
                             "apart" % (eye_px / k), field="image_landmarks",
                             fix="pass the 68 iBUG landmarks in their order")
    points, moved_px = skinmod.to_skin(frame, skin, rxy, mask)
    candidates, _ = skinmod.visible_vertices(frame, skin, VISIBLE_TOLERANCE * skin.size)
    candidates = candidates[candidates < skin.vertex_count]
    if not len(candidates):
        raise MicroExprError("no vertex of %s is visible from the camera" % mesh.name,
                             field="camera", fix="use the camera the picture was taken with")
    vertices = bd.choose_vertices(points, skin.points, candidates)
    moved = 100.0 * moved_px / eye_px
    seen, _ = frame.view.to_pixels(skin.points[vertices])
    conf = bd.confidence(np.ones(COUNT), np.zeros(COUNT), moved / 100.0, 1.0)
    preview = draw(frame.image, seen, conf,
                   title="%s: image landmarks on the skin (%d moved onto it)"
                         % (mesh.name, int(np.count_nonzero(moved_px > 0))))
    report = {"moved_to_skin_pct": [round(float(m), 2) for m in moved],
              "render_pixels": list(size), "perspective": isinstance(view, PerspectiveView)}
    return ImageBinding(np.asarray(vertices, dtype=np.int64), points, moved, preview, report)
