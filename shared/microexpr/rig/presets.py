"""Target presets: each expression as soft-mods on key points bound to iBUG-68 landmarks.

``table1`` follows the paper's Table 1 (11 key expressions in 7 parts). Its printed landmark
numbers do not all match the 0-based iBUG-68 scheme, so each row uses the points its name
means (the mapping is in ``docs/table1.md``); weights are bounded to [0, 1], so every two-way
row becomes two one-way targets (left/right, up/down, open/close).

``arkit`` makes the ARKit-52 shapes that a soft-mod can make on the skin. Those 68 landmarks
cannot observe (cheekPuff, mouthDimple, jawForward) are flagged ``observable=False`` so the
solver pins them; eye gaze (eyeLook*) and tongueOut need eye and tongue meshes, and mouthClose
needs a jaw joint (it is lips pressed shut against an open jaw): those are left out.

Sizes are given for a face whose outer eye corners (36-45) are 9 cm apart and scale with the
mesh; directions are in the face's own frame (x: subject's left, y: up, z: forward), found from
the landmarks, so a preset works on any mesh in any unit and orientation.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from numpy.typing import ArrayLike

from microexpr.landmarks import MIRROR
from microexpr.rig.softmod import SoftMod

PRESETS = ("table1", "arkit")
#: How far an eyelid soft-mod reaches toward the eye corners (1 = to the nearer corner).
LID_REACH = 0.98
LID_CLOSE = 0.92


@dataclass
class TargetSpec:
    name: str
    softmods: List[SoftMod]
    side: Optional[str] = None
    region: Optional[str] = None
    aus: List[str] = field(default_factory=list)
    observable: bool = True
    description: str = ""
    mirror_of: Optional[str] = None


@dataclass
class _Mod:
    anchor: Tuple[int, ...]          # landmarks; the key point sits at their mean
    move: Tuple[float, float, float]  # face-frame translation, cm at 9 cm eye width
    radius: float
    inner: float = 0.0
    mode: str = "surface"
    curve: str = "smooth"
    special: str = ""                # "lid_close": move the upper lid onto the lower lid


@dataclass
class _Spec:
    name: str
    region: str
    aus: Tuple[str, ...]
    mods: Tuple[_Mod, ...]
    observable: bool = True
    description: str = ""
    sided: bool = True               # define the subject's left; the right is mirrored


def _m(anchor, move, radius, inner=0.0, mode="surface", curve="smooth", special=""):
    return _Mod(tuple(anchor), tuple(move), radius, inner, mode, curve, special)


# Left-side (subject's left, +x) definitions; "_L" names are mirrored to "_R".
_TABLE1: Tuple[_Spec, ...] = (
    _Spec("mouthOpen", "mouth", ("26",), (_m([8], (0, -1.0, -0.15), 6.5, 4.5),), sided=False,
          description="A: open mouth (key point 57 / chin)"),
    _Spec("mouthMove_L", "mouth", (), (_m([54], (0.45, 0, 0), 2.8, 0.3),),
          description="A: move the mouth corner to the subject's left (Table 1: 53/45 -> 54/48)"),
    _Spec("mouthPullDown_L", "mouth", ("15",), (_m([54], (0, -0.35, 0), 2.0, 0.2),),
          description="A: pull the mouth corner down (Table 1: 55/56 -> 54/48)"),
    _Spec("eyeClose_L", "eye", ("45",), (_m([43, 44], (0, 0, 0), 0, special="lid_close"),),
          description="B: close the left eye (43, 44)"),
    _Spec("eyeOpen_L", "eye", ("5",), (_m([43, 44], (0, 0.22, 0.03), 0, special="lid_open"),),
          description="B: open the left eye wide (43, 44)"),
    _Spec("eyeUp_L", "eye", ("6",), (_m([42, 43, 44, 45, 46, 47], (0, 0.25, 0), 2.3, 1.3, "volume"),),
          description="B: move the left eye region up (42/45)"),
    _Spec("eyeDown_L", "eye", (), (_m([42, 43, 44, 45, 46, 47], (0, -0.2, 0), 2.3, 1.3, "volume"),),
          description="B: move the left eye region down (42/45)"),
    _Spec("noseUp", "nose", ("9",), (_m([33], (0, 0.25, 0), 1.6, 0.3),), sided=False,
          description="D: nose base up (Table 1: 32 -> 33)"),
    _Spec("noseDown", "nose", (), (_m([33], (0, -0.2, 0), 1.6, 0.3),), sided=False,
          description="D: nose base down (Table 1: 32 -> 33)"),
    _Spec("faceUp", "cheek", ("6", "10"), (_m([31, 32, 33, 34, 35], (0, 0.3, 0.05), 4.5, 1.5),),
          sided=False, description="E: mid-face up (Table 1: 33/31 -> nose base 31-35)"),
    _Spec("faceDown", "cheek", (), (_m([31, 32, 33, 34, 35], (0, -0.25, 0), 4.5, 1.5),),
          sided=False, description="E: mid-face down (Table 1: 33/31 -> nose base 31-35)"),
    _Spec("browInnerUp_L", "brow", ("1",), (_m([22], (0, 0.4, 0), 2.0, 0.2),),
          description="F: left inner brow up (Table 1: 21 -> 22)"),
    _Spec("browInnerDown_L", "brow", ("4",), (_m([22], (-0.12, -0.3, 0), 2.0, 0.2),),
          description="F: left inner brow down and in (Table 1: 21 -> 22)"),
)

_ARKIT: Tuple[_Spec, ...] = (
    _Spec("browDown_L", "brow", ("4",), (_m([23, 24], (-0.12, -0.35, 0), 2.2, 0.6),)),
    _Spec("browInnerUp", "brow", ("1",), (_m([21], (0, 0.4, 0), 1.6, 0.2), _m([22], (0, 0.4, 0), 1.6, 0.2)),
          sided=False),
    _Spec("browOuterUp_L", "brow", ("2",), (_m([25, 26], (0, 0.4, 0), 2.0, 0.4),)),
    _Spec("cheekSquint_L", "cheek", ("6",), (_m([46, 35, 15], (0, 0.3, 0.08), 2.2, 0.4),)),
    _Spec("cheekPuff", "cheek", (), (_m([46, 54, 14], (0.35, 0, 0.15), 2.5, 0.5),
                                      _m([41, 48, 2], (-0.35, 0, 0.15), 2.5, 0.5)),
          observable=False, sided=False),
    _Spec("eyeBlink_L", "eye", ("45",), (_m([43, 44], (0, 0, 0), 0, special="lid_close"),)),
    _Spec("eyeSquint_L", "eye", ("7",), (_m([46, 47], (0, 0.2, 0.02), 0, special="lower_lid"),)),
    _Spec("eyeWide_L", "eye", ("5",), (_m([43, 44], (0, 0.22, 0.03), 0, special="lid_open"),)),
    _Spec("jawOpen", "jaw", ("26", "27"), (_m([8], (0, -1.0, -0.15), 6.5, 4.5),), sided=False),
    _Spec("jawLeft", "jaw", ("30",), (_m([8], (0.5, 0, 0), 6.5, 4.0),)),
    _Spec("jawForward", "jaw", ("29",), (_m([8], (0, 0, 0.5), 6.5, 4.0),), observable=False,
          sided=False),
    _Spec("mouthFunnel", "mouth", ("22",), (_m([51], (0, 0.03, 0.3), 2.0, 0.5),
                                            _m([57], (0, -0.03, 0.3), 2.0, 0.5)), sided=False),
    _Spec("mouthPucker", "mouth", ("18",), (_m([48], (0.45, 0, 0.2), 1.8, 0.2),
                                            _m([54], (-0.45, 0, 0.2), 1.8, 0.2)), sided=False),
    _Spec("mouthLeft", "mouth", (), (_m([51], (0.4, 0, 0), 3.0, 1.2), _m([57], (0.4, 0, 0), 3.0, 1.2))),
    _Spec("mouthSmile_L", "mouth", ("12",), (_m([54], (0.3, 0.35, -0.08), 2.4, 0.3),)),
    _Spec("mouthFrown_L", "mouth", ("15",), (_m([54], (0, -0.35, 0), 2.0, 0.2),)),
    _Spec("mouthDimple_L", "mouth", ("14",), (_m([54], (0.2, 0, -0.25), 1.5, 0.2),), observable=False),
    _Spec("mouthStretch_L", "mouth", ("20",), (_m([54], (0.35, -0.25, 0), 2.5, 0.3),)),
    _Spec("mouthRollLower", "mouth", ("28",), (_m([57], (0, 0.05, -0.25), 1.8, 0.4),), sided=False),
    _Spec("mouthRollUpper", "mouth", ("28",), (_m([51], (0, -0.02, -0.25), 1.8, 0.4),), sided=False),
    _Spec("mouthShrugLower", "mouth", ("17",), (_m([57, 8], (0, 0.3, 0.05), 2.0, 0.5, "volume"),
                                                _m([57], (0, 0.4, 0.08), 1.8, 0.4)), sided=False),
    _Spec("mouthShrugUpper", "mouth", ("10",), (_m([51], (0, 0.2, 0.02), 2.0, 0.4),), sided=False),
    _Spec("mouthPress_L", "mouth", ("24",), (_m([53, 55], (-0.08, 0, -0.15), 1.5, 0.3),)),
    _Spec("mouthLowerDown_L", "mouth", ("16",), (_m([55, 56], (0, -0.3, 0), 1.6, 0.3),)),
    _Spec("mouthUpperUp_L", "mouth", ("10",), (_m([52, 53], (0, 0.3, 0.02), 1.6, 0.3),)),
    _Spec("noseSneer_L", "nose", ("9",), (_m([35], (0, 0.25, 0.05), 1.5, 0.2),)),
)

_SPECS: Dict[str, Tuple[_Spec, ...]] = {"table1": _TABLE1, "arkit": _ARKIT}
_RENAME_RIGHT = {"mouthLeft": "mouthRight", "jawLeft": "jawRight"}


def face_frame(lm: np.ndarray) -> Tuple[np.ndarray, float]:
    """Rows x (subject's left), y (up), z (forward) of the face, and its size factor."""
    x = lm[45] - lm[36]
    width = float(np.linalg.norm(x))
    if width <= 0:
        raise ValueError("landmarks 36 and 45 coincide: cannot find the face's size")
    x = x / width
    up = lm[17:27].mean(axis=0) - lm[8]
    y = up - x * float(up @ x)
    y /= np.linalg.norm(y)
    return np.stack([x, y, np.cross(x, y)]), width / 9.0


def _names(spec: _Spec) -> List[Tuple[str, str, bool]]:
    if not spec.sided:
        return [(spec.name, "C", False)]
    right = _RENAME_RIGHT.get(spec.name, spec.name[:-2] + "_R")
    return [(spec.name, "L", False), (right, "R", True)]


def _build(mod: _Mod, mirror: bool, key: str, points: np.ndarray, lm: np.ndarray,
           lv: np.ndarray, frame: np.ndarray, s: float) -> SoftMod:
    anchor = [int(MIRROR[a]) if mirror else a for a in mod.anchor]
    move = np.asarray(mod.move, dtype=np.float64) * s
    if mirror:
        move[0] = -move[0]
    centre = lm[anchor].mean(axis=0)
    radius, inner = mod.radius * s, mod.inner * s
    if mod.special:
        centre, radius, inner, translate = _lid(mod.special, anchor, mirror, lm, frame, s, move)
    else:
        translate = move @ frame
    if len(anchor) == 1:
        vertex = int(lv[anchor[0]])
    else:
        vertex = int(np.argmin(np.linalg.norm(points - centre, axis=1)))
    use_centre = None if (len(anchor) == 1 and not mod.special) else _xyz(centre)
    if mod.mode == "surface":
        use_centre = None        # surface distances start at the vertex
    return SoftMod(key, anchor[0], vertex, float(radius), mod.curve, mod.mode, float(inner),
                   _xyz(translate), center=use_centre)


def _xyz(v: np.ndarray) -> Tuple[float, float, float]:
    """A 3-vector as a tuple of plain floats."""
    return (float(v[0]), float(v[1]), float(v[2]))


def _lid(kind: str, anchor: Sequence[int], mirror: bool, lm: np.ndarray, frame: np.ndarray,
         s: float, move: np.ndarray):
    """Eyelid soft-mods: full strength between the two lid landmarks, zero at the corners."""
    a, b = anchor[0], anchor[1]
    below = {37: 41, 38: 40, 43: 47, 44: 46}
    above = {v: k for k, v in below.items()}
    corners = (36, 39) if min(a, b) < 42 else (42, 45)
    centre = (lm[a] + lm[b]) / 2.0
    radius = min(np.linalg.norm(lm[c] - centre) for c in corners) * LID_REACH
    inner = max(np.linalg.norm(lm[a] - centre), np.linalg.norm(lm[b] - centre))
    if kind == "lid_close":
        gap = ((lm[below[a]] - lm[a]) + (lm[below[b]] - lm[b])) / 2.0
        return centre, radius, inner, gap * LID_CLOSE
    if kind == "lower_lid":
        gap = ((lm[above[a]] - lm[a]) + (lm[above[b]] - lm[b])) / 2.0
        lift = min(float(np.linalg.norm(gap)) * 0.3, float(np.linalg.norm(move)))
        return centre, radius, inner, gap / np.linalg.norm(gap) * lift
    return centre, radius, inner, move @ frame


def _describe(text: str, mirror: bool) -> str:
    """The right-side description of a left-side target: sides and landmark pairs swapped."""
    if not mirror:
        return text
    swap = {"left": "right", "right": "left", "Left": "Right", "Right": "Left"}
    return re.sub(r"\b(left|right|Left|Right)\b", lambda m: swap[m.group(1)], text)


def preset_key_points(preset: str) -> List[Tuple[str, int]]:
    """(key name, landmark) of every key point the preset binds, in order, without repeats."""
    out: List[Tuple[str, int]] = []
    for spec in _specs(preset):
        for name, _side, mirror in _names(spec):
            for k, mod in enumerate(spec.mods):
                lmk = int(MIRROR[mod.anchor[0]]) if mirror else mod.anchor[0]
                item = (_key(name, k, len(spec.mods)), lmk)
                if item not in out:
                    out.append(item)
    return out


def _key(name: str, k: int, count: int) -> str:
    return name if count == 1 else "%s_%d" % (name, k + 1)


def _specs(preset: str) -> Tuple[_Spec, ...]:
    if preset not in _SPECS:
        raise ValueError("unknown preset %r; use one of %s" % (preset, ", ".join(PRESETS)))
    return _SPECS[preset]


def preset_targets(preset: str, points: np.ndarray, triangles: Optional[np.ndarray],
                   landmark_vertices: ArrayLike) -> List[TargetSpec]:
    """The preset's targets as soft-mods placed on this mesh."""
    pts = np.asarray(points, dtype=np.float64)
    lv = np.asarray(landmark_vertices, dtype=np.int64)
    lm = pts[lv]
    frame, s = face_frame(lm)
    out = []
    for spec in _specs(preset):
        for name, side, mirror in _names(spec):
            mods = [_build(m, mirror, _key(name, k, len(spec.mods)), pts, lm, lv, frame, s)
                    for k, m in enumerate(spec.mods)]
            out.append(TargetSpec(name, mods, side, spec.region, list(spec.aus),
                                  spec.observable, _describe(spec.description, mirror),
                                  spec.name if mirror else None))
    return out
