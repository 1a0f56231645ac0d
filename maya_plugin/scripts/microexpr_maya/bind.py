"""bind_key_points: landmark vertices on a mesh, and one manipulator + locator per key point.

The 68 landmark vertices come from a landmark-vertex file, from 68 given (or selected, in
selection order) vertex indices, from 68 landmarks in a picture taken by a camera of the
scene (:mod:`.image_landmarks`: the core renders the mesh through that camera and binds
each landmark to the skin vertex under it), or, with none of these, from dlib on renders
of the mesh (:mod:`.markerless`: the core's markerless binding, as ``microexpr landmarks
find``).
They are stored on the mesh's transform as the string attribute ``microexprLandmarks`` (68
whitespace-separated indices).
"""
from __future__ import annotations

import os
import re
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import parse_landmark_vertices, read_landmark_vertices
from microexpr.rig.presets import preset_key_points, preset_targets
from microexpr.rig.softmod import SoftMod

from . import image_landmarks as images
from . import markerless, scene_io
from ._maya import cmds, names, set_attr
from .nodes import FALLOFF_CURVES, FALLOFF_MODES, LOCATOR_TYPE, MANIPULATOR_TYPE
from .progress import Progress
from .undo import command_chunk

NODES_ATTR = "microexprKeyPointNodes"
PLUGIN = "microexpr_plugin"
PathLike = Union[str, "os.PathLike[str]"]


def ensure_plugin() -> None:
    """Load the MicroExpr plug-in (it registers the node types) if it is not loaded."""
    if not cmds.pluginInfo(PLUGIN, query=True, loaded=True):
        cmds.loadPlugin(PLUGIN + ".py", quiet=True)


def bind_key_points(mesh: str, landmark_file: Optional[PathLike] = None,
                    vertices: Optional[Sequence[int]] = None,
                    image_landmarks: Optional[Sequence[Sequence[float]]] = None,
                    camera: Optional[str] = None, preset: str = "table1",
                    image_size: Optional[Tuple[int, int]] = None,
                    progress: bool = True, up: Optional[str] = None,
                    front: Optional[str] = None,
                    preview: Optional[PathLike] = None) -> List[str]:
    """Bind the preset's key points to ``mesh``; returns the key-point handles (transforms).

    Give at most one of ``landmark_file``, ``vertices`` or ``image_landmarks`` (68 iBUG
    points in a picture taken by ``camera``, any camera of the scene, perspective or
    orthographic; pixels from the picture's top-left corner, in a picture of
    ``image_size`` = (width, height), default the render resolution).  With none, the 68
    selected vertices are used in selection order; with no vertex of the mesh selected,
    the landmarks are found on renders of the mesh (``up``/``front``: the head's axes,
    default +Y and +Z).  With image landmarks or renders, the picture of the binding is
    written to ``preview`` (default: the temp folder; see :func:`preview_path`).  Binding
    again replaces the previous key points.
    """
    ensure_plugin()
    transform, shape = scene_io.mesh_nodes(mesh)
    if (up or front) and any(x is not None for x in (landmark_file, vertices,
                                                     image_landmarks)):
        raise MicroExprError("up and front are only used when the landmarks are found on "
                             "renders", field="up/front",
                             fix="leave up and front out, or give no landmark source")
    base = scene_io.base_mesh(transform, shape)
    shown = markerless.preview_file(transform) if preview is None else os.fspath(preview)
    lv = resolve_landmarks(transform, shape, landmark_file, vertices, image_landmarks, camera,
                           image_size, shown)
    if lv is not None and (up or front):
        raise MicroExprError("up and front are only used when the landmarks are found on "
                             "renders", field="up/front",
                             fix="leave up and front out, or deselect the mesh's vertices")
    pictured = lv is None or image_landmarks is not None
    keys = preset_key_points(preset)
    with command_chunk("MicroExpr: bind key points"), \
            Progress("MicroExpr: binding key points", len(keys) + 1, progress) as bar:
        bar.step("finding the landmarks" if lv is None else "landmarks")
        if lv is None:
            lv = markerless.find_landmark_vertices(transform, shape, up, front, shown)
        if pictured:
            scene_io.set_string_attr(transform, markerless.PREVIEW_ATTR, shown)
        mods = _softmods_by_key(preset, base.points, base.triangles(), lv)
        _remove_previous(transform)
        scene_io.set_string_attr(transform, scene_io.LANDMARK_ATTR,
                                 " ".join(str(int(v)) for v in lv))
        scene_io.set_string_attr(transform, scene_io.PRESET_ATTR, preset)
        label = scene_io.short_name(transform)
        group = cmds.createNode("transform", name=label + "_microexprKeyPoints",
                                skipSelect=True)
        created: List[str] = [group]
        handles: List[str] = []
        scale = scene_io.ui_per_cm()
        world = scene_io.world_matrix(transform)
        for key, landmark in keys:
            bar.step(key)
            sm = mods[key]
            manip, handle = _key_point(label, shape, key, landmark, sm, base.points, world,
                                       scale, group)
            created.append(manip)
            handles.append(handle)
        scene_io.set_string_attr(transform, NODES_ATTR, " ".join(created))
        return handles


def preview_path(mesh: str) -> Optional[str]:
    """The preview picture written by the last bind of ``mesh`` from image landmarks or
    renders, or None (bound from a file or vertices, or the file is gone)."""
    transform, _shape = scene_io.mesh_nodes(mesh)
    path = scene_io.get_string_attr(transform, markerless.PREVIEW_ATTR)
    return path if path and os.path.isfile(path) else None


def _softmods_by_key(preset: str, points: np.ndarray, triangles: np.ndarray,
                     lv: np.ndarray) -> Dict[str, SoftMod]:
    out: Dict[str, SoftMod] = {}
    for spec in preset_targets(preset, points, triangles, lv.tolist()):
        for sm in spec.softmods:
            out.setdefault(sm.key_name, sm)
    return out


def _remove_previous(transform: str) -> None:
    text = scene_io.get_string_attr(transform, NODES_ATTR) or ""
    old = [n for n in text.split() if cmds.objExists(n)]
    if old:
        cmds.delete(*old)


def _key_point(label: str, shape: str, key: str, landmark: int, sm: SoftMod,
               points: np.ndarray, world: np.ndarray, scale: float,
               group: str) -> Tuple[str, str]:
    base = "%s_%s" % (label, key)
    manip = names(cmds.deformer(shape, type=MANIPULATOR_TYPE, name=base + "_softMod"))[0]
    set_attr(manip + ".keyName", key, type="string")
    set_attr(manip + ".landmarkIndex", int(landmark))
    set_attr(manip + ".vertexIndex", int(sm.vertex))
    set_attr(manip + ".radius", float(sm.radius))
    set_attr(manip + ".innerRadius", float(sm.inner_radius))
    set_attr(manip + ".falloffCurve", FALLOFF_CURVES.index(sm.curve))
    set_attr(manip + ".falloffMode", FALLOFF_MODES.index(sm.mode))
    centre = points[sm.vertex] if sm.center is None else np.asarray(sm.center, dtype=float)
    if sm.center is not None:
        set_attr(manip + ".useCenter", True)
        set_attr(manip + ".center", *[float(c) for c in centre], type="double3")
    pos = (np.append(centre, 1.0) @ world)[:3] * scale
    holder = cmds.createNode("transform", name=base + "_keyPoint_grp", parent=group,
                             skipSelect=True)
    cmds.xform(holder, translation=(float(pos[0]), float(pos[1]), float(pos[2])),
               worldSpace=True)
    handle = cmds.createNode("transform", name=base + "_keyPoint", parent=holder,
                             skipSelect=True)
    loc = cmds.createNode(LOCATOR_TYPE, name=base + "_keyPointShape", parent=handle,
                          skipSelect=True)
    set_attr(loc + ".keyName", key, type="string")
    set_attr(loc + ".landmarkIndex", int(landmark))
    set_attr(loc + ".size", max(float(sm.radius) * 0.08, 0.05))
    for src, dst in (("translate", "handleTranslate"), ("rotate", "handleRotate"),
                     ("scale", "handleScale")):
        cmds.connectAttr(handle + "." + src, manip + "." + dst)
    return manip, handle


# ------------------------------------------------------------------ landmark sources
def resolve_landmarks(transform: str, shape: str, landmark_file: Optional[PathLike],
                      vertices: Optional[Sequence[int]],
                      image_landmarks: Optional[Sequence[Sequence[float]]],
                      camera: Optional[str],
                      image_size: Optional[Tuple[int, int]] = None,
                      preview: Optional[PathLike] = None) -> Optional[np.ndarray]:
    """The 68 landmark vertices from the source given (or the selection); None when there
    is none (the caller finds them on renders). ``preview``: where the picture of an image
    binding goes."""
    count = scene_io.vertex_count(shape)
    given = [x is not None for x in (landmark_file, vertices, image_landmarks)]
    if sum(given) > 1:
        raise MicroExprError("more than one landmark source was given", field="landmarks",
                             fix="give only one of landmark_file, vertices, image_landmarks")
    if landmark_file is not None:
        return read_landmark_vertices(os.fspath(landmark_file), count)
    if vertices is not None:
        return parse_landmark_vertices(list(vertices), count, source="vertices")
    if image_landmarks is not None:
        if not camera:
            raise MicroExprError("image landmarks need the camera they were seen from",
                                 field="camera", fix="pass camera='front' (or your camera)")
        return images.bind_image_landmarks(transform, shape, image_landmarks, camera,
                                           image_size, preview)
    if not _picked(transform, shape):
        return None
    return selected_vertices(transform, shape, count)


_VTX = re.compile(r"^(?P<node>.+)\.vtx\[(?P<i>\d+)\]$")


def selected_vertices(transform: str, shape: str, count: int) -> np.ndarray:
    """The 68 selected vertices of this mesh, in the order they were selected."""
    ordered = bool(cmds.selectPref(query=True, trackSelectionOrder=True))
    picked = _picked(transform, shape)
    if not picked:
        raise MicroExprError("no landmark source: no file, no vertices and no vertices of %s "
                             "selected" % scene_io.short_name(transform), field="landmarks",
                             fix="pass landmark_file=... or select 68 vertices in iBUG order")
    if not ordered:
        raise MicroExprError("Maya is not tracking selection order, so the 68 selected "
                             "vertices have no landmark order", field="selection",
                             fix="turn on Preferences > Selection > Track selection order "
                                 "and select the vertices again")
    return parse_landmark_vertices(picked, count, source="selection")


def _picked(transform: str, shape: str) -> List[int]:
    """The selected vertices of this mesh, in selection order (when Maya tracks it)."""
    picked: List[int] = []
    mine = set(cmds.ls(transform, shape, long=True) or [])
    for item in cmds.ls(orderedSelection=True, flatten=True) or []:
        m = _VTX.match(item)
        if m and (cmds.ls(m.group("node"), long=True) or [""])[0] in mine:
            picked.append(int(m.group("i")))
    return picked
