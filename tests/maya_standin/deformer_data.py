"""Deformer membership and painted weights of the Maya stand-in (a test double, NOT Maya).

Maya keeps which components a deformer moves in its deformer set; ``MItGeometry`` in
``deform()`` visits only those, with their real vertex ids.  The stand-in keeps the member
ids per geometry index in the deformer node's data (so undo restores them) and nothing when
the whole object is a member.  Painted weights are the weightGeometryFilter attribute
``weightList[g].weights[v]`` (default 1.0), which Deform > Paint Weights writes.
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, Dict, Iterable, List, Optional, Tuple

import numpy as np

if TYPE_CHECKING:
    from .scene import Scene

_VTX = re.compile(r"^(?P<obj>[^.]+)\.vtx\[(?P<a>\d+)(?::(?P<b>\d+))?\]$")
_KEY = "deformerMembers"


def split_components(scene: "Scene", items: Iterable[str]) -> List[Tuple[str, Optional[List[int]]]]:
    """``[(object, member vertex ids or None for all)]`` in first-seen order.

    ``plane.vtx[2]``, ``plane.vtx[4:7]`` and whole objects; several components of one object
    add up.
    """
    found: Dict[str, Optional[List[int]]] = {}
    for item in items:
        m = _VTX.match(str(item))
        if m is None:
            found[str(item)] = None
            continue
        obj = m.group("obj")
        a = int(m.group("a"))
        b = int(m.group("b")) if m.group("b") is not None else a
        ids = found.setdefault(obj, [])
        if ids is not None:
            ids.extend(range(a, b + 1))
    return [(obj, None if ids is None else sorted(set(ids))) for obj, ids in found.items()]


def set_members(scene: "Scene", deformer: str, index: int, ids: Optional[List[int]]) -> None:
    """Make ``ids`` (None: the whole geometry) the members of geometry ``index``."""
    table = scene.node(deformer).data.setdefault(_KEY, {})
    if ids is None:
        table.pop(index, None)
    else:
        table[index] = [int(i) for i in ids]


def members(scene: "Scene", deformer: str, index: int, count: int) -> np.ndarray:
    """Vertex ids ``deform()`` iterates for geometry ``index`` of ``count`` points, in order."""
    ids: Any = scene.node(deformer).data.get(_KEY, {}).get(index)
    if ids is None:
        return np.arange(count, dtype=np.int64)
    out = np.asarray(ids, dtype=np.int64)
    return out[(out >= 0) & (out < count)]


def painted_weight(scene: "Scene", deformer: str, index: int, vertex: int) -> float:
    """``weightList[index].weights[vertex]`` as Maya stores it (a float, default 1.0)."""
    node = scene.node(deformer)
    value = scene.get_value(node, f"weightList[{int(index)}].weights[{int(vertex)}]")
    return float(np.float32(value))
