"""apply_clip: key a blendShape's weights from a clip file (``microexpr.bridge.load_clip``: a
``.microexpr`` container or JSON, bridge v1-v3).

Clip frame ``k`` (at ``k / clip.fps`` seconds into the clip) lands on scene frame
``start_frame + k * scene_fps / clip.fps``, the scene's frame rate read from
``currentUnit``; keys may fall between whole frames so no sample is lost.  Tangents are
linear or clamped (weights never overshoot 0-1) and frames the clip marks invalid get no
key: the last valid key before a gap has a stepped out-tangent, so the weight holds until
the next valid frame.  Existing keys inside the clip's range are removed first.
"""
from __future__ import annotations

import os
from typing import List, Optional, Union

import numpy as np

from microexpr.bridge import load_clip
from microexpr.errors import MicroExprError

from . import scene_io
from ._maya import cmds, names, set_keyframe
from .export import resolve_blendshape
from .progress import Progress
from .undo import command_chunk

TANGENTS = ("linear", "clamped")
PathLike = Union[str, "os.PathLike[str]"]


def clip_frames(n: int, clip_fps: float, scene_fps: float, start_frame: float) -> np.ndarray:
    """Scene frames of clip frames 0..n-1."""
    return start_frame + np.arange(n, dtype=np.float64) * (scene_fps / clip_fps)


def apply_clip(blendshape: str, clip_path: PathLike, start_frame: float = 1.0,
               tangent: str = "linear", anim_layer: Optional[str] = None,
               progress: bool = True) -> int:
    """Key the clip's weights on ``blendshape`` (or the blendShape of a mesh); returns the
    number of keys set.  ``anim_layer`` keys onto that animation layer (made if missing)."""
    if tangent not in TANGENTS:
        raise MicroExprError("tangent %r would let weights overshoot" % tangent,
                             field="tangent", fix="use 'linear' or 'clamped'")
    clip = load_clip(os.fspath(clip_path))
    bs = resolve_blendshape(blendshape)[0]
    aliases = scene_io.weight_aliases(bs)
    missing = [t for t in clip.targets if t not in aliases]
    if missing:
        raise MicroExprError("%s has no target(s) %s" % (bs, ", ".join(missing)),
                             file=os.fspath(clip_path), field="targets",
                             fix="generate the clip's preset on this mesh, or use a clip "
                                 "made for this rig")
    weights = np.clip(clip.weight_array(), 0.0, 1.0)
    valid = clip.valid_array()
    frames = clip_frames(len(weights), clip.fps, scene_io.scene_fps(), float(start_frame))
    layer = anim_layer if anim_layer and anim_layer != "BaseAnimation" else None
    count = 0
    with command_chunk("MicroExpr: apply clip"), \
            Progress("MicroExpr: applying clip", len(clip.targets), progress) as bar:
        if layer is not None:
            _prepare_layer(layer, ["%s.%s" % (bs, t) for t in clip.targets])
        for j, name in enumerate(clip.targets):
            bar.step(name)
            count += _key_target(bs, name, frames, weights[:, j], valid, tangent, layer)
    return count


def _prepare_layer(layer: str, plugs: List[str]) -> None:
    if not cmds.animLayer(layer, query=True, exists=True):
        cmds.animLayer(layer)
    cmds.animLayer(layer, edit=True, attribute=plugs)


def _key_target(bs: str, name: str, frames: np.ndarray, values: np.ndarray,
                valid: np.ndarray, tangent: str, layer: Optional[str]) -> int:
    plug = "%s.%s" % (bs, name)
    keyed = np.nonzero(valid)[0]
    if not len(keyed):
        return 0
    _clear_range(plug, float(frames[0]), float(frames[-1]), layer)
    count = 0
    for k in keyed.tolist():
        held = k + 1 < len(valid) and not valid[k + 1]
        count += set_keyframe(bs, name, float(frames[k]), float(values[k]), tangent,
                              "step" if held else tangent, layer)
    return count


def _clear_range(plug: str, first: float, last: float, layer: Optional[str]) -> None:
    if layer is None:
        cmds.cutKey(plug, time=(first, last), clear=True)
        return
    for curve in names(cmds.animLayer(layer, query=True, findCurveForPlug=plug)):
        cmds.cutKey(curve, time=(first, last), clear=True)
