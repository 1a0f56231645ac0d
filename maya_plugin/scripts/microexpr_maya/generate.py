"""generate_blendshapes: the preset's expressions as named targets on one blendShape node.

Deltas are the core's (``microexpr.rig.presets.preset_targets`` + ``microexpr.rig.softmod
.softmod_deltas``) on the undeformed mesh, with any radius/falloff the artist changed on the
bound soft-mod manipulators.  Each target is added with the blendShape command (so Maya
sets up its weight, alias and editor data) and its exact deltas are then written into
``inputPointsTarget``/``inputComponentsTarget``; target meshes are kept only on request.
"""
from __future__ import annotations

from dataclasses import replace as dc_replace
from typing import Dict, List, NamedTuple, Optional

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.rig.falloff import edge_graph
from microexpr.rig.presets import TargetSpec, preset_targets
from microexpr.rig.softmod import SoftMod, softmod_deltas

from . import scene_io
from ._maya import cmds, names
from .nodes import FALLOFF_CURVES, FALLOFF_MODES, MANIPULATOR_TYPE
from .progress import Progress
from .undo import command_chunk


def generate_blendshapes(mesh: str, preset: str = "table1", keep_targets: bool = False,
                         blendshape: Optional[str] = None, progress: bool = True,
                         replace: bool = False) -> str:
    """Make every expression of ``preset`` a target of one blendShape on ``mesh``.

    An existing blendShape (``blendshape``, or the MicroExpr one found on the mesh) is
    extended: new targets get new indices, and a target whose name already exists is
    replaced only when ``replace`` is True (otherwise the command fails and changes
    nothing).  On a skinned mesh a new blendShape is put in front of the chain.
    Returns the blendShape node's name.
    """
    transform, shape = scene_io.mesh_nodes(mesh)
    lv = scene_io.landmark_vertices(transform)
    base = scene_io.base_mesh(transform, shape)
    tris = base.triangles()
    specs = apply_manipulator_edits(preset_targets(preset, base.points, tris, lv.tolist()), shape)
    graph = edge_graph(base.points, tris)
    with command_chunk("MicroExpr: generate blendShapes"), \
            Progress("MicroExpr: generating targets", len(specs), progress) as bar:
        bs = _blendshape_for(shape, blendshape, preset)
        existing = scene_io.weight_aliases(bs)
        clash = [s.name for s in specs if s.name in existing]
        if clash and not replace:
            raise MicroExprError("%s already has target(s) %s" % (bs, ", ".join(clash)),
                                 field="targets",
                                 fix="pass replace=True to rebuild them, or use another "
                                     "blendShape")
        next_index = _next_index(bs)
        for spec in specs:
            bar.step(spec.name)
            deltas = softmod_deltas(base.points, tris, spec.softmods, graph=graph)
            if spec.name in existing:
                _replace_target(bs, existing[spec.name], deltas)
                continue
            _add_target(bs, shape, next_index, spec.name, base.points + deltas, keep_targets)
            scene_io.write_deltas(bs, next_index, deltas)
            next_index += 1
        return bs


class _Edit(NamedTuple):
    radius: float
    inner_radius: float
    curve: str
    mode: str

    def differs(self, sm: SoftMod) -> bool:
        return (abs(self.radius - sm.radius) > 1e-9 * max(1.0, sm.radius)
                or abs(self.inner_radius - sm.inner_radius) > 1e-9
                or self.curve != sm.curve or self.mode != sm.mode)


def apply_manipulator_edits(specs: List[TargetSpec], shape: str) -> List[TargetSpec]:
    """Use the radius/falloff of bound manipulators where the artist changed them."""
    edits: Dict[str, _Edit] = {}
    history = cmds.ls(*names(cmds.listHistory(shape)), type=MANIPULATOR_TYPE) or []
    for manip in history:
        key = cmds.getAttr(manip + ".keyName")
        if key:
            edits[str(key)] = _Edit(
                float(cmds.getAttr(manip + ".radius")),
                float(cmds.getAttr(manip + ".innerRadius")),
                FALLOFF_CURVES[int(cmds.getAttr(manip + ".falloffCurve"))],
                FALLOFF_MODES[int(cmds.getAttr(manip + ".falloffMode"))])
    if not edits:
        return specs
    out = []
    for spec in specs:
        mods: List[SoftMod] = []
        for sm in spec.softmods:
            e = edits.get(sm.key_name)
            if e is not None and e.differs(sm):
                sm = dc_replace(sm, radius=e.radius, inner_radius=e.inner_radius,
                                curve=e.curve, mode=e.mode)
            mods.append(sm)
        out.append(dc_replace(spec, softmods=mods))
    return out




def _blendshape_for(shape: str, blendshape: Optional[str], preset: str) -> str:
    if blendshape:
        found = cmds.ls(blendshape, type="blendShape") or []
        if not found:
            raise MicroExprError("%r is not a blendShape node" % blendshape, field="blendshape",
                                 fix="pass an existing blendShape, or None to find or make one")
        if names(cmds.ls(shape, long=True))[0] not in scene_io.blendshape_geometry(found[0]):
            raise MicroExprError("%s does not deform %s" % (found[0], scene_io.short_name(shape)),
                                 field="blendshape", fix="pass the blendShape of this mesh")
        return found[0]
    mine = scene_io.blendshapes_on(shape)
    marked = [b for b in mine if scene_io.get_string_attr(b, scene_io.BLENDSHAPE_ATTR)]
    if marked:
        return marked[0]
    if len(mine) == 1:
        return mine[0]
    if len(mine) > 1:
        raise MicroExprError("%s has %d blendShape nodes" % (scene_io.short_name(shape), len(mine)),
                             field="blendshape", fix="pass blendshape=<the one to extend>")
    name = scene_io.short_name(names(cmds.listRelatives(shape, parent=True))[0]) + "_microexpr"
    bs = names(cmds.blendShape(shape, name=name, frontOfChain=True, origin="local"))[0]
    scene_io.set_string_attr(bs, scene_io.BLENDSHAPE_ATTR, preset)
    return bs


def _next_index(bs: str) -> int:
    used = list(cmds.getAttr(bs + ".weight", multiIndices=True) or [])
    used += list(cmds.getAttr(bs + ".inputTarget[0].inputTargetGroup", multiIndices=True) or [])
    return max(used) + 1 if used else 0


def _add_target(bs: str, shape: str, index: int, name: str, points: np.ndarray,
                keep: bool) -> None:
    source = names(cmds.listRelatives(shape, parent=True, fullPath=True))[0]
    target = names(cmds.duplicate(source, name=name, returnRootsOnly=True))[0]
    for extra in cmds.listRelatives(target, shapes=True, fullPath=True) or []:
        if cmds.getAttr(extra + ".intermediateObject"):
            cmds.delete(extra)
    for attr in (scene_io.LANDMARK_ATTR, "microexprKeyPointNodes"):
        if cmds.attributeQuery(attr, node=target, exists=True):
            cmds.deleteAttr(target + "." + attr)
    target_shape = scene_io.mesh_nodes(target)[1]
    scene_io.set_points(target_shape, points)
    cmds.blendShape(bs, edit=True, target=(shape, index, target, 1.0))
    plug = "%s.weight[%d]" % (bs, index)
    if names(cmds.aliasAttr(plug, query=True)) != [name]:
        cmds.aliasAttr(name, plug)
    if not keep:
        cmds.delete(target)


def _replace_target(bs: str, index: int, deltas: np.ndarray) -> None:
    group = "%s.inputTarget[0].inputTargetGroup[%d]" % (bs, index)
    for item in cmds.getAttr(group + ".inputTargetItem", multiIndices=True) or []:
        plug = "%s.inputTargetItem[%d]" % (group, item)
        for src in cmds.listConnections(plug + ".inputGeomTarget", source=True,
                                        destination=False, plugs=True) or []:
            cmds.disconnectAttr(src, plug + ".inputGeomTarget")
        if item != scene_io.FULL_ITEM:
            cmds.removeMultiInstance(plug, b=True)
    scene_io.write_deltas(bs, index, deltas)
