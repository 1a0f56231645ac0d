"""Scene I/O: finding meshes and blendShapes, reading and writing points, attributes, units.

Everything Maya-specific that the commands share.  Points are read and written through API
2.0 in internal units (centimetres) and object space, which is what the core expects.
"""
from __future__ import annotations

import re
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh

from ._maya import cmds, names, om, set_attr

LANDMARK_ATTR = "microexprLandmarks"
PRESET_ATTR = "microexprPreset"
BLENDSHAPE_ATTR = "microexprBlendShape"
FULL_ITEM = 6000

# cmds.currentUnit(query=True, time=True) -> frames per second
TIME_UNITS: Dict[str, float] = {
    "game": 15.0, "film": 24.0, "pal": 25.0, "ntsc": 30.0, "show": 48.0, "palf": 50.0,
    "ntscf": 60.0, "23.976fps": 24000 / 1001, "29.97fps": 30000 / 1001,
    "29.97df": 30000 / 1001, "47.952fps": 48000 / 1001, "59.94fps": 60000 / 1001,
    "sec": 1.0, "millisec": 1000.0,
}
# internal centimetres -> UI linear unit
UI_PER_CM = {"mm": 10.0, "cm": 1.0, "m": 0.01, "km": 1e-5, "in": 1 / 2.54, "ft": 1 / 30.48,
             "yd": 1 / 91.44, "mi": 1 / 160934.4}


def _err(problem: str, fix: str, field: Optional[str] = None) -> MicroExprError:
    return MicroExprError(problem, field=field, fix=fix)


# ------------------------------------------------------------------ names
def short_name(path: str) -> str:
    """``|grp|ns:head`` -> ``head`` (no DAG path, no namespace)."""
    return path.split("|")[-1].split(":")[-1]


def mesh_nodes(name: str) -> Tuple[str, str]:
    """(transform, visible mesh shape) as full DAG paths for a transform or shape name."""
    found = cmds.ls(name, long=True) or []
    if not found:
        raise _err("no object named %r" % name, "give the name of a polygon mesh", "mesh")
    if len(found) > 1:
        raise _err("%r names %d objects" % (name, len(found)), "give a unique DAG path", "mesh")
    node = found[0]
    if cmds.nodeType(node) == "mesh":
        parent = cmds.listRelatives(node, parent=True, fullPath=True) or [node]
        return parent[0], node
    shapes = cmds.listRelatives(node, shapes=True, noIntermediate=True, fullPath=True,
                                type="mesh") or []
    if not shapes:
        raise _err("%r is not a polygon mesh" % name, "select or name a polygon mesh", "mesh")
    return node, shapes[0]


def original_shape(transform: str, shape: str) -> str:
    """The deformation chain's input shape (``...Orig``), or ``shape`` when it has none."""
    if not cmds.listConnections(shape + ".inMesh", source=True, destination=False):
        return shape
    for cand in cmds.listRelatives(transform, shapes=True, fullPath=True, type="mesh") or []:
        if cand == shape or not cmds.getAttr(cand + ".intermediateObject"):
            continue
        if not cmds.listConnections(cand + ".inMesh", source=True, destination=False):
            return cand
    return shape


def _dag(node: str) -> "om.MDagPath":
    sel = om.MSelectionList()
    sel.add(node)
    return sel.getDagPath(0)


# ------------------------------------------------------------------ geometry
def read_points(shape: str, world: bool = False) -> np.ndarray:
    """(N, 3) float64 points in centimetres, object space unless ``world``."""
    fn = om.MFnMesh(_dag(shape))
    pts = fn.getPoints(om.MSpace.kWorld if world else om.MSpace.kObject)
    return np.array([(p.x, p.y, p.z) for p in pts], dtype=np.float64).reshape(-1, 3)


def read_topology(shape: str) -> Tuple[np.ndarray, np.ndarray]:
    counts, connects = om.MFnMesh(_dag(shape)).getVertices()
    return np.asarray(list(counts), dtype=np.int64), np.asarray(list(connects), dtype=np.int64)


def vertex_count(shape: str) -> int:
    return int(om.MFnMesh(_dag(shape)).numVertices())


def base_mesh(transform: str, shape: str) -> Mesh:
    """The undeformed mesh as the core sees it (points of the Orig shape)."""
    src = original_shape(transform, shape)
    counts, connects = read_topology(src)
    return Mesh(short_name(transform), read_points(src), counts, connects)


def set_points(shape: str, points: np.ndarray) -> None:
    fn = om.MFnMesh(_dag(shape))
    fn.setPoints([om.MPoint(float(x), float(y), float(z)) for x, y, z in points],
                 om.MSpace.kObject)


def create_mesh(mesh: Mesh, name: Optional[str] = None) -> str:
    """A new polygon mesh from a core Mesh; returns the transform's name."""
    fn = om.MFnMesh()
    obj = fn.create([om.MPoint(*p) for p in mesh.points.tolist()],
                    [int(c) for c in mesh.face_counts], [int(i) for i in mesh.face_indices])
    transform = om.MFnDependencyNode(obj).name()
    transform = cmds.rename(transform, name or mesh.name or "mesh")
    cmds.rename(names(cmds.listRelatives(transform, shapes=True, fullPath=True))[0],
                short_name(transform) + "Shape")
    cmds.sets(transform, edit=True, forceElement="initialShadingGroup")
    return transform


def world_matrix(node: str) -> np.ndarray:
    """4x4 world matrix (row vectors, translation in the last row, centimetres)."""
    m = _dag(node).inclusiveMatrix()
    return np.array([[m.getElement(r, c) for c in range(4)] for r in range(4)])


# ------------------------------------------------------------------ components
def vertex_components(indices: Sequence[int]) -> List[str]:
    """Sorted vertex indices as compact ``vtx[a:b]`` component strings."""
    out: List[str] = []
    idx = sorted(int(i) for i in indices)
    k = 0
    while k < len(idx):
        end = k
        while end + 1 < len(idx) and idx[end + 1] == idx[end] + 1:
            end += 1
        out.append("vtx[%d]" % idx[k] if end == k else "vtx[%d:%d]" % (idx[k], idx[end]))
        k = end + 1
    return out


_VTX = re.compile(r"vtx\[(\d+)(?::(\d+))?\]$")


def expand_components(components: Sequence[str]) -> List[int]:
    out: List[int] = []
    for comp in components:
        m = _VTX.search(str(comp))
        if m is None:
            raise _err("unexpected component %r in a blendShape target" % comp,
                       "targets must list vertices (vtx[...])")
        a = int(m.group(1))
        b = int(m.group(2)) if m.group(2) is not None else a
        out.extend(range(a, b + 1))
    return out


# ------------------------------------------------------------------ attributes
def set_string_attr(node: str, attr: str, value: str) -> None:
    if not cmds.attributeQuery(attr, node=node, exists=True):
        cmds.addAttr(node, longName=attr, dataType="string")
    set_attr(node + "." + attr, value, type="string")


def get_string_attr(node: str, attr: str) -> Optional[str]:
    if not cmds.attributeQuery(attr, node=node, exists=True):
        return None
    value = cmds.getAttr(node + "." + attr)
    return None if value is None else str(value)


def landmark_vertices(transform: str) -> np.ndarray:
    from microexpr.landmarks import parse_landmark_vertices

    text = get_string_attr(transform, LANDMARK_ATTR)
    if not text:
        raise _err("%s has no landmark vertices" % short_name(transform),
                   "run bind_key_points on the mesh first", LANDMARK_ATTR)
    return np.asarray(parse_landmark_vertices(text.split()), dtype=np.int64)


# ------------------------------------------------------------------ blendShapes
def blendshape_geometry(bs: str) -> List[str]:
    geometry = names(cmds.blendShape(bs, query=True, geometry=True))
    return cmds.ls(*geometry, long=True) if geometry else []


def blendshapes_on(shape: str) -> List[str]:
    """blendShape nodes that deform ``shape`` (not those of its targets)."""
    history = names(cmds.listHistory(shape))
    history = (cmds.ls(*history, type="blendShape") or []) if history else []
    mine = cmds.ls(shape, long=True)
    return [bs for bs in history if any(g in mine for g in blendshape_geometry(bs))]


def weight_aliases(bs: str) -> Dict[str, int]:
    """Target name -> weight index, from the blendShape's aliases."""
    flat = cmds.aliasAttr(bs, query=True) or []
    out: Dict[str, int] = {}
    for alias, plug in zip(flat[0::2], flat[1::2]):
        m = re.match(r"^(?:weight|w)\[(\d+)\]$", plug)
        if m:
            out[alias] = int(m.group(1))
    return out


def target_item_plug(bs: str, index: int, item: int = FULL_ITEM, geo: int = 0) -> str:
    return "%s.inputTarget[%d].inputTargetGroup[%d].inputTargetItem[%d]" % (bs, geo, index, item)


def write_deltas(bs: str, index: int, deltas: np.ndarray, item: int = FULL_ITEM) -> None:
    """Store dense (N, 3) deltas as the target's sparse point/component lists."""
    d = np.asarray(deltas, dtype=np.float64)
    idx = np.nonzero(np.any(d != 0.0, axis=1))[0]
    plug = target_item_plug(bs, index, item)
    pts = [(float(x), float(y), float(z), 1.0) for x, y, z in d[idx]]
    comps = vertex_components(idx.tolist())
    set_attr(plug + ".inputPointsTarget", len(pts), *pts, type="pointArray")
    set_attr(plug + ".inputComponentsTarget", len(comps), *comps, type="componentList")


def read_deltas(bs: str, index: int, item: int, count: int,
                base: Optional[np.ndarray] = None) -> np.ndarray:
    """Dense (count, 3) deltas of one target item, from ``inputPointsTarget`` and
    ``inputComponentsTarget``; a live target mesh is read only when those are empty."""
    plug = target_item_plug(bs, index, item)
    out = np.zeros((count, 3))
    pts = cmds.getAttr(plug + ".inputPointsTarget") or []
    comps = cmds.getAttr(plug + ".inputComponentsTarget") or []
    idx = expand_components(comps)
    if pts and len(idx) == len(pts):
        if idx and max(idx) >= count:
            raise _err("target %d of %s moves vertex %d of a %d-vertex mesh"
                       % (index, bs, max(idx), count), "rebuild the target on this mesh")
        out[idx] = np.asarray([p[:3] for p in pts], dtype=np.float64)
        return out
    live = cmds.listConnections(plug + ".inputGeomTarget", source=True, destination=False,
                                shapes=True) or []
    if live and base is not None:
        shapes = cmds.ls(live[0], long=True) or []
        if shapes and cmds.nodeType(shapes[0]) != "mesh":
            shapes = [mesh_nodes(shapes[0])[1]]
        return read_points(shapes[0]) - base
    if pts:
        raise _err("target %d of %s lists %d points for %d components"
                   % (index, bs, len(pts), len(idx)), "re-create the target")
    return out


# ------------------------------------------------------------------ units
def scene_fps() -> float:
    unit = str(cmds.currentUnit(query=True, time=True))
    if unit in TIME_UNITS:
        return TIME_UNITS[unit]
    m = re.match(r"^(\d+(?:\.\d+)?)fps$", unit)
    if m:
        return float(m.group(1))
    raise _err("unknown scene time unit %r" % unit, "set a frame rate in Preferences > Settings")


def ui_per_cm() -> float:
    unit = str(cmds.currentUnit(query=True, linear=True))
    return UI_PER_CM.get(unit, 1.0)
