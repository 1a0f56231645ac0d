"""How a shape's offsets follow its weight: through its in-betweens, and for a combination
(a corrective) at the product of its drivers' weights.

A shape with frames at weights 0 < w_1 < ... < w_n = 1 moves piecewise-linearly: nothing at
weight 0, each frame at its weight, straight lines between them; the first segment continues
below 0 and the last beyond 1. The same offsets are a sum over the segments,
``offset(w) = sum_k r_k(w) * slope_k``, where ``r_k`` is how far segment k has been travelled
(``segment_weights``) and ``slope_k`` its change per unit of weight (``slopes``). Review and
sizing use that form: displacement is linear in the segment weights, so a whole clip is one
matrix product. A shape without in-betweens has one segment, ``r_0 = w``: it stays linear.

``landmark_frames`` gives the 68 landmarks' offsets of every in-between and combination frame
on the landmark mesh: what the solve needs to follow them (``rig.landmark_deltas.frames``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Iterable, List, Sequence, Tuple

import numpy as np

from microexpr import bridge as B

if TYPE_CHECKING:
    from microexpr.bridge.models import LandmarkFrame


def knots(weights: Iterable[float]) -> np.ndarray:
    """0 followed by the distinct frame weights, ascending (1 is always among them)."""
    return np.concatenate([[0.0], np.unique(np.append(np.asarray(list(weights), dtype=np.float64), 1.0))])


def segment_weights(w, knot: np.ndarray) -> np.ndarray:
    """(..., n) how far each of the n segments between ``knot`` has been travelled at weight
    ``w`` (any shape): the segments' lengths before ``w``, the part of the one it lies on, 0
    after; the first segment takes weights below 0, the last weights above 1."""
    w = np.asarray(w, dtype=np.float64)[..., None]
    if len(knot) == 2:                       # no in-betweens: linear
        return w.copy()
    lo, hi = knot[:-1], knot[1:]
    r = np.clip(w - lo, 0.0, hi - lo)
    r[..., 0] = np.minimum(w[..., 0], hi[0])
    r[..., -1] = np.maximum(w[..., 0] - lo[-1], 0.0)
    return r


def segment_of(w: float, knot: np.ndarray) -> int:
    """The segment weight ``w`` lies on (a knot belongs to the segment above it; 1 and beyond
    to the last segment, 0 and below to the first)."""
    return int(min(max(np.searchsorted(knot, w, side="right") - 1, 0), len(knot) - 2))


def slopes(knot: np.ndarray, values: np.ndarray) -> np.ndarray:
    """(n, ...) each segment's change per unit of weight; ``values`` (n, ...) holds the
    offsets at ``knot[1:]`` (the offset at weight 0 is 0)."""
    v = np.concatenate([np.zeros((1,) + values.shape[1:]), values])
    step = np.diff(knot).reshape((-1,) + (1,) * (v.ndim - 1))
    return np.diff(v, axis=0) / step


def resample(knot_from: np.ndarray, values: np.ndarray, knot_to: np.ndarray) -> np.ndarray:
    """Offsets at ``knot_to[1:]`` of a shape whose offsets at ``knot_from[1:]`` are ``values``
    (n, ...): the piecewise-linear curve read at other knots (``knot_to`` includes every
    knot of ``knot_from``, e.g. the union over a target's meshes)."""
    if len(knot_from) == len(knot_to) and np.array_equal(knot_from, knot_to):
        return values
    r = segment_weights(knot_to[1:], knot_from)                   # (m, n)
    s = slopes(knot_from, values).reshape(len(knot_from) - 1, -1)
    return (r @ s).reshape((len(knot_to) - 1,) + values.shape[1:])


def shape_knots(shapes: Sequence[B.MeshShape]) -> np.ndarray:
    """The knots of a target or combination over all its meshes."""
    return knots(f.weight for s in shapes for f in s.frames)


def frame_values(frames: Sequence[B.ShapeFrame], rows: np.ndarray) -> np.ndarray:
    """(n, len(rows), 3) each frame's offsets of the vertices ``rows`` (0 where it moves none)."""
    out = np.zeros((len(frames), len(rows), 3))
    for k, f in enumerate(frames):
        out[k] = offsets_at(f, rows)
    return out


def offsets_at(frame: B.ShapeFrame, vertices: np.ndarray) -> np.ndarray:
    """(len(vertices), 3) a sparse frame's offsets of the given vertices (0 where none)."""
    idx = np.asarray(frame.indices, dtype=np.int64)
    out = np.zeros((len(vertices), 3))
    if not len(idx):
        return out
    order = np.argsort(idx, kind="stable")
    pos = np.minimum(np.searchsorted(idx[order], vertices), len(idx) - 1)
    hit = idx[order][pos] == vertices
    out[hit] = np.asarray(frame.deltas, dtype=np.float64)[order[pos[hit]]]
    return out


def landmark_corners(rig: B.Rig) -> Tuple[np.ndarray, np.ndarray]:
    """(68, 3) vertices and (68, 3) barycentric weights of the landmark points (a vertex
    landmark is its vertex three times with weights 1, 0, 0)."""
    verts = np.zeros((68, 3), dtype=np.int64)
    bary = np.zeros((68, 3))
    for i, p in enumerate(rig.landmarks.points):
        if p.vertex is not None:
            verts[i] = p.vertex
            bary[i, 0] = 1.0
        else:
            verts[i] = p.triangle
            bary[i] = p.barycentric
    return verts, bary


def landmark_frames(rig: B.Rig) -> List[LandmarkFrame]:
    """The landmarks' offsets of every in-between (target frames below 1) and every
    combination frame on the landmark mesh, for ``rig.landmark_deltas.frames``."""
    from microexpr.bridge.models import LandmarkFrame

    verts, bary = landmark_corners(rig)
    flat = verts.ravel()
    out = []
    for owner, below_one in [(t, True) for t in rig.targets] + [(c, False) for c in rig.combinations]:
        for s in owner.shapes:
            if s.mesh != rig.landmarks.mesh:
                continue
            for f in s.frames:
                if below_one and f.weight >= 1.0:
                    continue
                d = np.einsum("lc,lcj->lj", bary, offsets_at(f, flat).reshape(68, 3, 3))
                out.append(LandmarkFrame(shape=owner.name, weight=f.weight, deltas=d.tolist()))
    return out
