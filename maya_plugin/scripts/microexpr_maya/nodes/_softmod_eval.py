"""What the soft-mod manipulator deformer computes, free of Maya so it can be tested alone.

Weights come from the core (:func:`microexpr.rig.softmod.softmod_weights`) and are cached until
the radius, curve, mode, inner radius, key vertex, centre or the topology change; the handle
offset is the core's :func:`microexpr.rig.softmod.handle_offsets`, optionally followed by a
handle matrix applied about the key point.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from microexpr.rig.softmod import SoftMod, handle_offsets, softmod_weights

Vec3 = Tuple[float, float, float]
_IDENTITY = np.eye(4)
_ZERO: Vec3 = (0.0, 0.0, 0.0)
_ONE: Vec3 = (1.0, 1.0, 1.0)


def at_rest(sm: SoftMod) -> SoftMod:
    """A copy of the soft-mod with its handle at rest: what its weights depend on."""
    return replace(sm, translate=_ZERO, rotate=_ZERO, scale=_ONE)


def _vec(v: Sequence[float]) -> Vec3:
    return (float(v[0]), float(v[1]), float(v[2]))


class WeightCache:
    """Falloff weights of the moving vertices, recomputed only when the key changes."""

    def __init__(self) -> None:
        self.key: Optional[tuple] = None
        self.indices = np.zeros(0, dtype=np.int64)
        self.weights = np.zeros(0)
        self.computed = 0  # how many times the weights were computed (for tests)

    def get(self, softmod: SoftMod, points: np.ndarray,
            triangles: Callable[[], Optional[np.ndarray]],
            topology: Tuple[int, int]) -> Tuple[np.ndarray, np.ndarray]:
        key = (at_rest(softmod), topology)
        if key != self.key:
            if not 0 <= softmod.vertex < len(points) or softmod.radius <= 0.0:
                self.indices, self.weights = np.zeros(0, dtype=np.int64), np.zeros(0)
            else:
                tris = triangles() if softmod.mode == "surface" else None
                w = softmod_weights(points, tris, softmod)
                self.indices = np.nonzero(w)[0]
                self.weights = w[self.indices]
            self.key = key
            self.computed += 1
        return self.indices, self.weights


def is_rest(translate: Sequence[float], rotate: Sequence[float], scale: Sequence[float],
            matrix: Optional[np.ndarray] = None) -> bool:
    """True when the handle does not move anything."""
    still = (np.allclose(translate, 0.0, atol=0.0) and np.allclose(rotate, 0.0, atol=0.0)
             and np.allclose(scale, 1.0, atol=0.0))
    return still and (matrix is None or np.array_equal(matrix, _IDENTITY))


def deform(points: np.ndarray, softmod: SoftMod, cache: WeightCache,
           triangles: Callable[[], Optional[np.ndarray]], topology: Tuple[int, int],
           translate: Sequence[float] = (0.0, 0.0, 0.0),
           rotate: Sequence[float] = (0.0, 0.0, 0.0),
           scale: Sequence[float] = (1.0, 1.0, 1.0),
           matrix: Optional[np.ndarray] = None,
           envelope: float = 1.0) -> Optional[Tuple[np.ndarray, np.ndarray]]:
    """(indices, new positions of those vertices), or None when nothing moves.

    ``softmod`` is the manipulator's key point and falloff (its own handle transform is
    ignored); the handle's ``translate``/``rotate``/``scale`` move it, then ``matrix`` (4x4,
    row vectors) is applied about the key point.
    """
    if envelope == 0.0 or is_rest(translate, rotate, scale, matrix):
        return None
    pts = np.asarray(points, dtype=np.float64)
    idx, w = cache.get(softmod, pts, triangles, topology)
    if not len(idx):
        return None
    centre = pts[softmod.vertex] if softmod.center is None else np.asarray(softmod.center)
    moved_sm = replace(softmod, translate=_vec(translate), rotate=_vec(rotate), scale=_vec(scale))
    moved = pts[idx] + handle_offsets(pts[idx], moved_sm, center=centre)
    if matrix is not None and not np.array_equal(matrix, _IDENTITY):
        m = np.asarray(matrix, dtype=np.float64)
        moved = (moved - centre) @ m[:3, :3] + m[3, :3] + centre
    return idx, pts[idx] + (envelope * w)[:, None] * (moved - pts[idx])
