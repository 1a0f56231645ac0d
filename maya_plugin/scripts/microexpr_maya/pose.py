"""add_pose_target: keep the face the key points shape as a named target on the blendShape.

The artist moves key-point handles (each drives a soft-mod manipulator live); this copies
the moved face out as its own expression, next to the preset targets on the mesh's one
MicroExpr blendShape node, so it exports and keys like any other target.
"""
from __future__ import annotations

import re
from typing import Any, List, Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.rig.presets import PRESETS, preset_key_points

from . import scene_io
from ._maya import cmds, names, set_attr
from .generate import _add_target, _blendshape_for, _next_index, _replace_target
from .nodes import MANIPULATOR_TYPE
from .undo import command_chunk

__all__ = ["add_pose_target", "check_target_name", "key_point_manipulators", "pose_deltas",
           "reset_key_points", "POSE_EPS"]

#: Offsets at or below this (cm) count as "nothing moved".
POSE_EPS = 1e-7
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_REST: Tuple[Tuple[str, Tuple[float, ...]], ...] = (
    ("handleTranslate", (0.0, 0.0, 0.0)), ("handleRotate", (0.0, 0.0, 0.0)),
    ("handleScale", (1.0, 1.0, 1.0)), ("handleMatrix", tuple(np.eye(4).reshape(-1).tolist())))


def add_pose_target(mesh: str, name: str, blendshape: Optional[str] = None,
                    reset_handles: bool = True, replace: bool = False) -> str:
    """Add the mesh's current key-point pose as target ``name``; returns the blendShape.

    The offsets are the mesh's points as the key points deform it now, minus the same
    mesh read again with every key-point manipulator switched off (envelope 0, restored
    right after). Reading the neutral that way, rather than taking the Orig shape, keeps
    only what the key points did: targets already dialled in on the blendShape, or other
    deformers ahead of the manipulators, appear in both readings and cancel out. Offsets
    are in the mesh's object space at the end of its deformer chain, so pose a skinned
    head in its bind pose.

    The target goes on ``blendshape``, or the mesh's MicroExpr blendShape (made, in front
    of the chain, when the mesh has none); an existing target of the same name is rebuilt
    only with ``replace=True``. With ``reset_handles`` the key-point handles go back to
    rest, so the face is neutral again. One undo step; on failure the scene is unchanged.
    """
    check_target_name(name)
    transform, shape = scene_io.mesh_nodes(mesh)
    manips = key_point_manipulators(shape)
    if not manips:
        raise MicroExprError("%s has no key points" % scene_io.short_name(transform),
                             field="mesh", fix="run bind_key_points on the mesh first")
    base = scene_io.base_mesh(transform, shape)
    with command_chunk("MicroExpr: add pose target"):
        deltas = pose_deltas(shape, manips)
        if not np.any(np.abs(deltas) > POSE_EPS):
            raise MicroExprError("the key points of %s are all at rest, so the pose is the "
                                 "neutral face" % scene_io.short_name(transform),
                                 field="pose", fix="move a key point first")
        bs = _blendshape_for(shape, blendshape, _bound_preset(manips))
        existing = scene_io.weight_aliases(bs)
        if name in existing:
            if not replace:
                raise MicroExprError("%s already has a target named %r" % (bs, name),
                                     field="name", fix="pass replace=True to rebuild it, or "
                                                       "choose another name")
            _replace_target(bs, existing[name], deltas)
        else:
            if cmds.attributeQuery(name, node=bs, exists=True):
                raise MicroExprError("%r is already an attribute of %s" % (name, bs),
                                     field="name", fix="choose another target name")
            index = _next_index(bs)
            _add_target(bs, shape, index, name, base.points + deltas, False)
            scene_io.write_deltas(bs, index, deltas)
        if reset_handles:
            reset_key_points(manips)
        return bs


def check_target_name(name: Any) -> str:
    """``name`` if it can be a target (a Maya attribute name), else a MicroExprError."""
    if not isinstance(name, str) or not _NAME.match(name):
        raise MicroExprError("%r cannot be a target name" % (name,), field="name",
                             fix="use letters, digits and _ only, not starting with a digit, "
                                 "e.g. smirk_L")
    return name


def key_point_manipulators(shape: str) -> List[str]:
    """The soft-mod manipulators (key points) in the mesh's deformer history."""
    history = names(cmds.listHistory(shape))
    return (cmds.ls(*history, type=MANIPULATOR_TYPE) or []) if history else []


def pose_deltas(shape: str, manips: Sequence[str]) -> np.ndarray:
    """(N, 3) offsets the manipulators add to the mesh now (posed minus switched off)."""
    posed = scene_io.read_points(shape)
    live = [(m, float(cmds.getAttr(m + ".envelope"))) for m in manips]
    live = [(m, env) for m, env in live if env != 0.0]
    stuck = [m for m, _env in live if not cmds.getAttr(m + ".envelope", settable=True)]
    if stuck:
        raise MicroExprError("the envelope of %s is locked or connected, so the neutral face "
                             "cannot be read" % ", ".join(stuck), field="envelope",
                             fix="unlock or disconnect the envelope")
    try:
        for m, _env in live:
            set_attr(m + ".envelope", 0.0)
        neutral = scene_io.read_points(shape)
    finally:
        for m, env in live:
            set_attr(m + ".envelope", env)
    return posed - neutral


def reset_key_points(manips: Sequence[str]) -> List[str]:
    """Put every key point's handle back at rest; returns the plugs that were set.

    A handle input driven by a transform (the key-point handle) is reset on that transform.
    """
    moves: List[Tuple[str, Tuple[float, ...]]] = []
    for m in manips:
        for attr, rest in _REST:
            src = cmds.listConnections(m + "." + attr, source=True, destination=False,
                                       plugs=True, skipConversionNodes=True) or []
            plug = str(src[0]) if src else m + "." + attr
            value = np.asarray(cmds.getAttr(plug), dtype=np.float64).reshape(-1)
            if value.shape != (len(rest),) or not np.array_equal(value, rest):
                moves.append((plug, rest))
    stuck = [p for p, _rest in moves if not cmds.getAttr(p, settable=True)]
    if stuck:
        raise MicroExprError("cannot put the key points back at rest: %s locked or connected"
                             % ", ".join(stuck), field="handles",
                             fix="unlock or disconnect them, or pass reset_handles=False")
    for plug, rest in moves:
        set_attr(plug, *rest, type="matrix" if len(rest) == 16 else "double3")
    return [p for p, _rest in moves]


def _bound_preset(manips: Sequence[str]) -> str:
    """The preset whose key points are bound (marks a new blendShape), else ``"pose"``."""
    keys = {str(cmds.getAttr(m + ".keyName")) for m in manips}
    for preset in PRESETS:
        if keys == {k for k, _lmk in preset_key_points(preset)}:
            return preset
    return "pose"
