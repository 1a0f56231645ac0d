"""Dependency-graph evaluation of the Maya stand-in (a test double, NOT Maya).

Pull-based and uncached: reading a mesh shape's points walks its ``inMesh`` connection
back through the deformer chain.  blendShape output = base + envelope * sum_i w_i * delta_i
(in-betweens interpolated piecewise-linearly between item weights, item index
= 5000 + 1000 * weight); skinCluster is the identity (bind pose); plug-in deformers run
their own ``deform()`` through the stand-in's API 1.0 classes, over their member vertices
only, with the painted ``weightList`` behind ``weightValue()`` (:mod:`.deformer_data`).
"""
from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any, List, Optional, Tuple

import numpy as np

from . import schema

if TYPE_CHECKING:
    from .scene import Scene

_OUT_GEOM = re.compile(r"^outputGeometry\[(\d+)\]$")


def evaluate_plug(scene: "Scene", plug: str) -> Any:
    node_name, path = plug.split(".", 1)
    node = scene.nodes[node_name]
    if node.type == "mesh" and (path == "outMesh" or path.startswith("worldMesh")):
        return scene.mesh_points(node_name)
    m = _OUT_GEOM.match(path)
    if m and schema.is_a(node.type, "geometryFilter"):
        return deformer_output(scene, node_name, int(m.group(1)))
    if schema.is_a(node.type, "animCurve") and path == "output":
        return curve_value(node.data.get("keys", []), scene.state.current_time)
    if node.type == "time" and path == "outTime":
        return scene.state.current_time
    return scene.get_value(node, path)


def deformer_input(scene: "Scene", name: str, index: int) -> np.ndarray:
    node = scene.nodes[name]
    value = scene.get_value(node, f"input[{index}].inputGeometry")
    if value is None:
        return np.zeros((0, 3))
    return np.array(value, dtype=np.float64)


def deformer_output(scene: "Scene", name: str, index: int) -> np.ndarray:
    node = scene.nodes[name]
    points = deformer_input(scene, name, index)
    env = float(scene.get_value(node, "envelope"))
    if env == 0.0:
        return points
    if node.type == "blendShape":
        return points + env * blendshape_delta(scene, name, index, points)
    if node.type in scene.node_classes:
        from .api1 import run_deform
        return run_deform(scene, name, index, points)
    return points  # skinCluster at bind pose, tweak, softMod at rest


def target_delta(scene: "Scene", name: str, geo: int, tgt: int, item: int,
                 base: np.ndarray) -> np.ndarray:
    node = scene.nodes[name]
    prefix = f"inputTarget[{geo}].inputTargetGroup[{tgt}].inputTargetItem[{item}]"
    delta = np.zeros_like(base)
    live = scene.incoming(f"{name}.{prefix}.inputGeomTarget")
    if live is not None:
        pts = evaluate_plug(scene, live)
        if pts is not None and len(pts) == len(base):
            return np.asarray(pts, dtype=np.float64) - base
    pts = node.values.get(prefix + ".inputPointsTarget")
    comps = node.values.get(prefix + ".inputComponentsTarget")
    if pts is None or comps is None:
        return delta
    idx = expand_components(comps)
    arr = np.asarray(pts, dtype=np.float64).reshape(len(idx), -1)[:, :3]
    delta[np.asarray(idx, dtype=np.int64)] = arr
    return delta


def blendshape_delta(scene: "Scene", name: str, geo: int, base: np.ndarray) -> np.ndarray:
    node = scene.nodes[name]
    total = np.zeros_like(base)
    for tgt in scene.indices(node, f"inputTarget[{geo}].inputTargetGroup"):
        w = float(scene.get_value(node, f"weight[{tgt}]"))
        if w == 0.0:
            continue
        items = scene.indices(node, f"inputTarget[{geo}].inputTargetGroup[{tgt}].inputTargetItem")
        if not items:
            continue
        stops: List[Tuple[float, Optional[int]]] = [(0.0, None)]
        stops += [((i - 5000) / 1000.0, i) for i in items]
        stops.sort(key=lambda s: s[0])
        k = 1
        while k < len(stops) - 1 and stops[k][0] < w:
            k += 1
        (w0, i0), (w1, i1) = stops[k - 1], stops[k]
        d0 = np.zeros_like(base) if i0 is None else target_delta(scene, name, geo, tgt, i0, base)
        d1 = np.zeros_like(base) if i1 is None else target_delta(scene, name, geo, tgt, i1, base)
        t = (w - w0) / (w1 - w0) if w1 != w0 else 1.0
        total += d0 + t * (d1 - d0)
    return total


def expand_components(comps: Any) -> List[int]:
    """'vtx[3]', 'vtx[3:7]', 'vtx[*]'-free component strings -> vertex indices."""
    out: List[int] = []
    for c in comps:
        m = re.match(r"^(?:.*\.)?vtx\[(\d+)(?::(\d+))?\]$", str(c))
        if not m:
            raise ValueError(f"stand-in: unsupported component '{c}'")
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) is not None else a
        out.extend(range(a, b + 1))
    return out


# ------------------------------------------------------------------ animation curves
def curve_value(keys: List[List[Any]], t: float) -> float:
    """Value of a curve of [time, value, inTangent, outTangent] keys (sorted by time).

    linear/clamped between keys (clamped as linear: no overshoot), step holds the value.
    """
    if not keys:
        return 0.0
    if t <= keys[0][0]:
        return float(keys[0][1])
    if t >= keys[-1][0]:
        return float(keys[-1][1])
    for a, b in zip(keys, keys[1:]):
        if a[0] <= t <= b[0]:
            if a[3] == "step":
                return float(a[1]) if t < b[0] else float(b[1])
            u = (t - a[0]) / (b[0] - a[0])
            return float(a[1] + u * (b[1] - a[1]))
    return float(keys[-1][1])
