"""Stand-in (NOT Maya) polygon primitives: ``polySphere`` without construction history.

The sphere has Maya's counts: ``subdivisionsAxis * (subdivisionsHeight - 1) + 2`` vertices
(rings from the bottom up, then the bottom and top poles) and ``subdivisionsAxis *
subdivisionsHeight`` faces (quads, then the bottom and top triangle fans), Y up, normals
outward.  Maya's exact vertex order and UVs are not modelled.  Only
``constructionHistory=False`` is implemented: the stand-in has no polySphere node to
evaluate.
"""
from __future__ import annotations

from typing import Any, List

import numpy as np

from .cmds_nodes import _create
from .registry import command
from .scene import MayaError
from .state import current, only


def sphere(radius: float, axis: int, height: int) -> Any:
    """(points, face counts, face vertex indices) of a UV sphere."""
    rings = [np.pi * (k / height) - np.pi / 2 for k in range(1, height)]
    angles = [2 * np.pi * i / axis for i in range(axis)]
    pts = [(radius * np.cos(lat) * np.cos(a), radius * np.sin(lat), -radius * np.cos(lat)
            * np.sin(a)) for lat in rings for a in angles]
    bottom, top = len(pts), len(pts) + 1
    pts += [(0.0, -radius, 0.0), (0.0, radius, 0.0)]
    faces: List[List[int]] = []
    for r in range(height - 2):
        for i in range(axis):
            j = (i + 1) % axis
            faces.append([r * axis + i, r * axis + j, (r + 1) * axis + j, (r + 1) * axis + i])
    faces += [[bottom, (i + 1) % axis, i] for i in range(axis)]
    last = (height - 2) * axis
    faces += [[last + i, last + (i + 1) % axis, top] for i in range(axis)]
    counts = np.array([len(f) for f in faces], dtype=np.int64)
    return np.array(pts, dtype=np.float64), counts, np.array(sum(faces, []), dtype=np.int64)


@command
def polySphere(*args: Any, **flags: Any) -> List[str]:
    only("polySphere", flags, ("name", "radius", "subdivisionsAxis", "subdivisionsHeight",
                               "constructionHistory"))
    if flags.get("constructionHistory", True):
        raise NotImplementedError("stand-in polySphere: only constructionHistory=False (the "
                                  "stand-in has no polySphere node to evaluate)")
    axis = int(flags.get("subdivisionsAxis", 20))
    height = int(flags.get("subdivisionsHeight", 20))
    if axis < 3 or height < 2:
        raise MayaError("polySphere: subdivisionsAxis must be >= 3, subdivisionsHeight >= 2")
    scene = current()
    with scene.undoable("polySphere"):
        transform = _create(scene, "transform", flags.get("name") or "pSphere1", None)
        short = transform.split(":")[-1]
        shape = _create(scene, "mesh", short.replace("pSphere", "pSphereShape")
                        if short.startswith("pSphere") else short + "Shape", transform)
        pts, counts, idx = sphere(float(flags.get("radius", 1.0)), axis, height)
        scene.nodes[shape].data["mesh"] = {"points": pts, "face_counts": counts,
                                           "face_indices": idx}
        scene.state.selection = [transform]
    return [transform]
