"""export_rig: a blendShape's targets to a bridge rig file (and optionally FBX through fbxmaya).

The rig file is a ``.microexpr`` container (bridge v3: JSON header + binary payload), or plain
JSON when the path ends in ``.json`` (``fmt`` overrides: "microexpr", "microexpr-bin" for the
payload in a ``.bin`` beside it, or "json").

Deltas are read from the blendShape's ``inputTarget`` plugs (``inputPointsTarget`` +
``inputComponentsTarget``), so target meshes may have been deleted; in-betweens (item
indices other than 6000) are exported as in-between frames.  The rig is built by the core
(``microexpr.rig.build.rig_from_targets``) and written by ``microexpr.bridge.save_rig``.  Points
are read through the API in Maya's internal unit, so the rig's unit is always centimetres.
"""
from __future__ import annotations

import os
from typing import Dict, Literal, Optional, Tuple, Union, cast

import numpy as np

from microexpr.bridge import TargetInfo, save_rig
from microexpr.bridge.io import format_for
from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh
from microexpr.rig.build import rig_from_targets
from microexpr.rig.presets import PRESETS, preset_targets

from . import scene_io
from ._maya import cmds, mel
from .undo import command_chunk

PathLike = Union[str, "os.PathLike[str]"]
Side = Literal["L", "R", "C"]


def export_rig(mesh_or_blendshape: str, path: PathLike,
               fbx_path: Optional[PathLike] = None, fmt: Optional[str] = None) -> str:
    """Write the rig to ``path`` (and the mesh with its shapes to ``fbx_path``); ``fmt`` as in
    ``microexpr.bridge.save`` (default: by the path's extension).

    Returns the rig file's path.  The scene is not changed (the FBX export selects the mesh
    and then restores the selection, in one undo step).
    """
    bs, transform, shape = resolve_blendshape(mesh_or_blendshape)
    lv = scene_io.landmark_vertices(transform)
    base = scene_io.base_mesh(transform, shape)
    targets: Dict[str, np.ndarray] = {}
    inbetweens: Dict[str, Dict[float, np.ndarray]] = {}
    for name, index in sorted(scene_io.weight_aliases(bs).items(), key=lambda kv: kv[1]):
        group = "%s.inputTarget[0].inputTargetGroup[%d]" % (bs, index)
        items = cmds.getAttr(group + ".inputTargetItem", multiIndices=True) or []
        for item in items:
            deltas = scene_io.read_deltas(bs, index, item, base.vertex_count, base.points)
            if item == scene_io.FULL_ITEM:
                targets[name] = deltas
            else:
                inbetweens.setdefault(name, {})[(item - 5000) / 1000.0] = deltas
        if name not in targets and name in inbetweens:
            raise MicroExprError("target %r of %s has in-betweens but no full shape" % (name, bs),
                                 field="inputTarget", fix="add the full-weight shape (1.0)")
    if not targets:
        raise MicroExprError("%s has no targets" % bs, field="targets",
                             fix="run generate_blendshapes first")
    rig = rig_from_targets(base, targets, lv, unit="cm", infos=_preset_infos(bs, base, lv),
                           inbetweens=inbetweens, name=scene_io.short_name(transform),
                           source=bs)
    out = os.fspath(path)
    format_for(out, fmt)                    # an unknown format fails before anything is written
    with command_chunk("MicroExpr: export rig"):
        save_rig(rig, out, fmt)
        if fbx_path is not None:
            export_fbx(transform, fbx_path)
    return out


def resolve_blendshape(node: str) -> Tuple[str, str, str]:
    """(blendShape, mesh transform, mesh shape) for a blendShape or a mesh name."""
    found = cmds.ls(node, type="blendShape") or []
    if found:
        geometry = scene_io.blendshape_geometry(found[0])
        if not geometry:
            raise MicroExprError("%s deforms no mesh" % found[0], field="blendshape",
                                 fix="pass a blendShape that deforms the face mesh")
        transform, shape = scene_io.mesh_nodes(geometry[0])
        return found[0], transform, shape
    transform, shape = scene_io.mesh_nodes(node)
    mine = scene_io.blendshapes_on(shape)
    marked = [b for b in mine if scene_io.get_string_attr(b, scene_io.BLENDSHAPE_ATTR)]
    if marked or len(mine) == 1:
        return (marked or mine)[0], transform, shape
    if not mine:
        raise MicroExprError("%s has no blendShape" % scene_io.short_name(transform),
                             field="blendshape", fix="run generate_blendshapes first")
    raise MicroExprError("%s has %d blendShape nodes" % (scene_io.short_name(transform), len(mine)),
                         field="blendshape", fix="pass the blendShape node itself")


def _preset_infos(bs: str, base: Mesh, lv: np.ndarray) -> Dict[str, TargetInfo]:
    """Target metadata (side, region, AUs, observable) from every preset whose target names
    the node carries: a node may hold targets of several presets. The preset the node was
    made with wins where names overlap."""
    first = scene_io.get_string_attr(bs, scene_io.BLENDSHAPE_ATTR)
    order = ([str(first)] if first in PRESETS else []) + [p for p in PRESETS if p != first]
    out: Dict[str, TargetInfo] = {}
    for preset in order:
        for spec in preset_targets(preset, base.points, base.triangles(), lv.tolist()):
            if spec.name in out:
                continue
            out[spec.name] = TargetInfo(side=cast(Optional[Side], spec.side), region=spec.region,
                                        aus=list(spec.aus), observable=spec.observable,
                                        preset=preset, description=spec.description or None,
                                        mirror_of=spec.mirror_of)
    return out


def export_fbx(transform: str, fbx_path: PathLike) -> str:
    """Export the mesh with its blendShape through Maya's own FBX plug-in (``fbxmaya``)."""
    path = os.path.abspath(os.fspath(fbx_path)).replace("\\", "/")
    if '"' in path:
        raise MicroExprError("the FBX path contains a double quote", file=path,
                             fix="choose a path without quotes")
    cmds.loadPlugin("fbxmaya", quiet=True)
    selection = cmds.ls(selection=True, long=True) or []
    with command_chunk("MicroExpr: export FBX"):
        try:
            cmds.select(transform, replace=True)
            mel.eval("FBXResetExport")
            mel.eval("FBXExportShapes -v true")
            mel.eval("FBXExportSkins -v true")
            mel.eval("FBXExportBakeComplexAnimation -v false")
            mel.eval('FBXExport -f "%s" -s' % path)
        finally:
            if selection:
                cmds.select(*selection, replace=True)
            else:
                cmds.select(clear=True)
    return path
