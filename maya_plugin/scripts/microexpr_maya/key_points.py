"""move_key_point: bind one landmark of a bound mesh to another vertex (before generating).

The artist checks the binding (the preview, the locators) and moves a key point that sits
on the wrong vertex. The mesh's landmark vertices (``microexprLandmarks``) change; every
key point whose place depends on that landmark follows (the core's preset says where each
one sits); radii and falloffs the artist set stay.
"""
from __future__ import annotations

import re
from typing import List, Optional, Tuple, Union

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT

from . import scene_io
from ._maya import cmds, names, set_attr
from .bind import NODES_ATTR, _softmods_by_key
from .nodes import MANIPULATOR_TYPE
from .undo import command_chunk

_VTX = re.compile(r"^(?P<node>.+)\.vtx\[(?P<i>\d+)\]$")


def move_key_point(key_point: Union[str, int], vertex: Union[int, str, None] = None,
                   mesh: Optional[str] = None) -> int:
    """Bind ``key_point`` to ``vertex``; returns its landmark index. One undo step.

    ``key_point``: a key-point handle, its locator or its soft-mod manipulator, or a
    landmark index (0-67) of ``mesh``. ``vertex``: an index, ``"head.vtx[12]"``, or None
    for the one selected vertex.
    """
    transform, landmark = _landmark_of(key_point, mesh)
    _t, shape = scene_io.mesh_nodes(transform)
    index = _vertex_index(vertex, transform, scene_io.vertex_count(shape))
    lv = scene_io.landmark_vertices(transform).copy()
    lv[landmark] = index
    base = scene_io.base_mesh(transform, shape)
    preset = scene_io.get_string_attr(transform, scene_io.PRESET_ATTR) or "table1"
    mods = _softmods_by_key(preset, base.points, base.triangles(), lv)
    world = scene_io.world_matrix(transform)
    scale = scene_io.ui_per_cm()
    with command_chunk("MicroExpr: move key point"):
        scene_io.set_string_attr(transform, scene_io.LANDMARK_ATTR,
                                 " ".join(str(int(v)) for v in lv))
        for manip in _manipulators(transform):
            sm = mods.get(str(cmds.getAttr(manip + ".keyName")))
            if sm is None:
                continue
            set_attr(manip + ".vertexIndex", int(sm.vertex))
            centre = base.points[sm.vertex] if sm.center is None else np.asarray(sm.center)
            set_attr(manip + ".useCenter", sm.center is not None)
            if sm.center is not None:
                set_attr(manip + ".center", *[float(c) for c in centre], type="double3")
            holder = _holder(manip)
            if holder is not None:
                pos = (np.append(centre, 1.0) @ world)[:3] * scale
                cmds.xform(holder, translation=(float(pos[0]), float(pos[1]), float(pos[2])),
                           worldSpace=True)
    return landmark


def _manipulators(transform: str) -> List[str]:
    text = scene_io.get_string_attr(transform, NODES_ATTR) or ""
    return [n for n in text.split()
            if cmds.objExists(n) and cmds.nodeType(n) == MANIPULATOR_TYPE]


def _holder(manip: str) -> Optional[str]:
    """The group above the key point's handle (it carries the rest position)."""
    handle = cmds.listConnections(manip + ".handleTranslate", source=True,
                                  destination=False) or []
    if not handle:
        return None
    parent = cmds.listRelatives(handle[0], parent=True, fullPath=True) or []
    return parent[0] if parent else None


def _landmark_of(key_point: Union[str, int], mesh: Optional[str]) -> Tuple[str, int]:
    """(mesh transform, landmark index) of a key point."""
    if not isinstance(key_point, str):
        if mesh is None:
            raise MicroExprError("a landmark index needs its mesh", field="mesh",
                                 fix="pass mesh='head', or the key point's handle")
        landmark = int(key_point)
        if not 0 <= landmark < COUNT:
            raise MicroExprError("landmark %d is not in 0-%d" % (landmark, COUNT - 1),
                                 field="key_point", fix="give a landmark index 0-67")
        return scene_io.mesh_nodes(mesh)[0], landmark
    manip = _manipulator_of(key_point)
    landmark = int(cmds.getAttr(manip + ".landmarkIndex"))
    for transform in names(cmds.ls(type="transform", long=True)):
        if cmds.attributeQuery(NODES_ATTR, node=transform, exists=True) and \
                manip in (scene_io.get_string_attr(transform, NODES_ATTR) or "").split():
            if mesh is None or scene_io.mesh_nodes(mesh)[0] == transform:
                return transform, landmark
    raise MicroExprError("%s belongs to no bound mesh" % key_point, field="key_point",
                         fix="bind the mesh again (bind_key_points)")


def _manipulator_of(node: str) -> str:
    found = cmds.ls(node, long=True) or []
    if not found:
        raise MicroExprError("no key point named %r" % node, field="key_point",
                             fix="give a key-point handle, e.g. 'head_brow_inner_R_keyPoint'")
    if cmds.nodeType(found[0]) == MANIPULATOR_TYPE:
        return names(cmds.ls(found[0]))[0]
    handle = found[0]
    if cmds.nodeType(handle) != "transform":
        handle = (cmds.listRelatives(handle, parent=True, fullPath=True) or [handle])[0]
    out = cmds.listConnections(handle + ".translate", source=False, destination=True,
                               type=MANIPULATOR_TYPE) or []
    if not out:
        raise MicroExprError("%r is not a key point" % node, field="key_point",
                             fix="give a key-point handle made by bind_key_points")
    return out[0]


def _vertex_index(vertex: Union[int, str, None], transform: str, count: int) -> int:
    if vertex is None:
        picked = [v for v in cmds.ls(selection=True, flatten=True) or [] if _VTX.match(v)]
        if len(picked) != 1:
            raise MicroExprError("%d vertices are selected" % len(picked), field="vertex",
                                 fix="select the one vertex the key point should move to")
        vertex = picked[0]
    if isinstance(vertex, str):
        m = _VTX.match(vertex)
        mine = set((cmds.ls(transform, long=True) or [])
                   + (cmds.listRelatives(transform, shapes=True, fullPath=True) or []))
        if not m or (cmds.ls(m.group("node"), long=True) or [""])[0] not in mine:
            raise MicroExprError("%r is not a vertex of %s" % (vertex, scene_io.short_name(
                transform)), field="vertex", fix="select a vertex of the bound mesh")
        vertex = int(m.group("i"))
    index = int(vertex)
    if not 0 <= index < count:
        raise MicroExprError("vertex %d is not in 0-%d" % (index, count - 1), field="vertex",
                             fix="give a vertex index of the mesh")
    return index
