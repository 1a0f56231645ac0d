"""Mesh vertices under image landmarks seen from a camera.

Binding key points from a front image: each landmark's pixel becomes a ray from the camera,
and the vertex nearest to that ray on the surface the camera sees first is the landmark's
vertex. numpy only; the host reads the camera and the mesh and calls
:func:`vertices_under_landmarks`.

The camera looks down its local -Z axis with +Y up (Maya's convention); pixels have their
origin at the image's top-left corner, x to the right and y down.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional, Sequence, Tuple, Union

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT
from microexpr.mesh import Mesh

#: (N, 2) pixel positions: an array or a list of (x, y).
Pixels = Union[np.ndarray, Sequence[Sequence[float]]]


@dataclass(frozen=True)
class Camera:
    """Where a camera is and how wide it sees.

    ``to_world`` is its 4x4 camera-to-world matrix (row vectors: translation in the last row).
    Give exactly one of ``tan_half_fov`` (perspective: the tangent of half the horizontal
    angle of view) and ``ortho_width`` (orthographic: the width of the view, in the mesh's
    unit).
    """

    to_world: np.ndarray
    tan_half_fov: Optional[float] = None
    ortho_width: Optional[float] = None

    def __post_init__(self) -> None:
        m = np.asarray(self.to_world, dtype=np.float64)
        if m.shape != (4, 4) or not np.all(np.isfinite(m)):
            raise MicroExprError("the camera matrix must be 4x4 and finite, got shape %s"
                                 % (m.shape,), field="camera",
                                 fix="pass the camera's world matrix")
        object.__setattr__(self, "to_world", m)
        given = [v for v in (self.tan_half_fov, self.ortho_width) if v is not None]
        if len(given) != 1 or not (math.isfinite(given[0]) and given[0] > 0):
            raise MicroExprError("a camera needs one positive angle of view (perspective) or "
                                 "view width (orthographic)", field="camera",
                                 fix="give tan_half_fov or ortho_width, not both")

    def rays(self, pixels: Pixels, image_size: Tuple[float, float]
             ) -> Tuple[np.ndarray, np.ndarray]:
        """World-space (origins, directions) of the rays through ``pixels`` (N, 2) of an
        image ``image_size`` = (width, height) pixels; directions are not normalised."""
        width, height = _checked_size(image_size)
        xy = np.asarray(pixels, dtype=np.float64).reshape(-1, 2)
        n = len(xy)
        aspect = width / height
        ndc = np.stack([2.0 * xy[:, 0] / width - 1.0, 1.0 - 2.0 * xy[:, 1] / height], axis=1)
        if self.ortho_width is not None:
            half = self.ortho_width / 2.0
            origins = np.column_stack([ndc[:, 0] * half, ndc[:, 1] * half / aspect, np.zeros(n)])
            dirs = np.tile([0.0, 0.0, -1.0], (n, 1))
        else:
            tan = float(self.tan_half_fov or 0.0)
            origins = np.zeros((n, 3))
            dirs = np.column_stack([ndc[:, 0] * tan, ndc[:, 1] * tan / aspect, -np.ones(n)])
        m = self.to_world
        return origins @ m[:3, :3] + m[3, :3], dirs @ m[:3, :3]


def _checked_size(image_size: Tuple[float, float]) -> Tuple[float, float]:
    try:
        width, height = (float(v) for v in image_size)
    except (TypeError, ValueError):
        width = height = float("nan")
    if not (width > 0 and height > 0 and math.isfinite(width) and math.isfinite(height)):
        raise MicroExprError("the image size must be two positive numbers (width, height), "
                             "got %r" % (image_size,), field="image_size",
                             fix="pass the size in pixels of the image the landmarks are in")
    return width, height


def image_landmark_pixels(image_landmarks: Pixels) -> np.ndarray:
    """The 68 image landmarks as a (68, 2) array of pixels, checked."""
    xy = np.asarray(image_landmarks, dtype=np.float64)
    if xy.shape != (COUNT, 2) or not np.all(np.isfinite(xy)):
        raise MicroExprError("image landmarks must be %d finite (x, y) pixel positions, got "
                             "shape %s" % (COUNT, xy.shape), field="image_landmarks",
                             fix="pass the %d iBUG landmarks of the front image" % COUNT)
    return xy


def vertices_under_landmarks(mesh: Mesh, image_landmarks: Pixels,
                             image_size: Tuple[float, float], camera: Camera) -> np.ndarray:
    """The 68 landmark vertices: for each image landmark (pixels), the vertex of ``mesh``
    (points in the camera's world space) nearest to its camera ray on the visible surface."""
    origins, dirs = camera.rays(image_landmark_pixels(image_landmarks), image_size)
    return nearest_vertices_to_rays(mesh.points, origins, dirs, median_edge_length(mesh))


def median_edge_length(mesh: Mesh) -> float:
    """The median length of the polygon edges (0 for a mesh without polygons)."""
    counts, connects = mesh.face_counts, mesh.face_indices
    ends = np.cumsum(counts)
    starts = ends - counts
    nxt = np.arange(len(connects)) + 1
    nxt[ends - 1] = starts
    lengths = np.linalg.norm(mesh.points[connects] - mesh.points[connects[nxt]], axis=1)
    return float(np.median(lengths)) if len(lengths) else 0.0


def nearest_vertices_to_rays(points: np.ndarray, origins: np.ndarray, dirs: np.ndarray,
                             tolerance: float = 0.0) -> np.ndarray:
    """For each ray, the vertex nearest to it on the surface the camera sees first.

    Vertices within ``tolerance`` (about an edge length) of the ray are candidates; of
    those, the ones within two tolerances of the nearest depth form the visible surface
    (the back of a head is farther), and the one nearest the ray among them wins.
    """
    points = np.asarray(points, dtype=np.float64)
    out = np.zeros(len(origins), dtype=np.int64)
    for k, (o, d) in enumerate(zip(np.asarray(origins, dtype=np.float64),
                                   np.asarray(dirs, dtype=np.float64))):
        d = d / np.linalg.norm(d)
        rel = points - o
        t = rel @ d
        perp = np.linalg.norm(rel - t[:, None] * d, axis=1)
        perp[t <= 0] = np.inf
        best = float(perp.min()) if len(perp) else math.inf
        if not np.isfinite(best):
            raise MicroExprError("landmark %d's ray misses the mesh (everything is behind "
                                 "the camera)" % k, field="camera",
                                 fix="use the camera the image was taken from")
        near = np.nonzero(perp <= best + tolerance)[0]
        front = near[t[near] <= t[near].min() + 2.0 * tolerance]
        out[k] = int(front[np.argmin(perp[front])])
    return out
