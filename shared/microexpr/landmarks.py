"""The iBUG-68 landmark scheme (0-based, as dlib reports it) and landmark-vertex files.

"Right" and "left" are always the subject's own sides: point 36 is the outer corner of the
subject's right eye, which a non-mirrored camera image shows on the image's left.
"""
from __future__ import annotations

import os
from typing import Dict, Optional, Tuple

import numpy as np

from microexpr.errors import MicroExprError

COUNT = 68

REGIONS: Dict[str, Tuple[int, ...]] = {
    "jaw": tuple(range(0, 17)),
    "brow_R": tuple(range(17, 22)),
    "brow_L": tuple(range(22, 27)),
    "nose_bridge": tuple(range(27, 31)),
    "nose_base": tuple(range(31, 36)),
    "eye_R": tuple(range(36, 42)),
    "eye_L": tuple(range(42, 48)),
    "mouth_outer": tuple(range(48, 60)),
    "mouth_inner": tuple(range(60, 68)),
}

#: Points that stay put under expression (OpenFace's rigid set): used to remove head motion.
RIGID: Tuple[int, ...] = (1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35,
                          36, 39, 40, 41, 42, 45, 46, 47)

#: Default stable reference point E0 for the paper's ``reference`` mode: the top of the
#: nose bridge, between the eyes, which no expression in Table 1 moves.
REFERENCE_POINT = 27


def _names() -> Tuple[str, ...]:
    names = []
    for i in range(17):
        names.append("chin" if i == 8 else "jaw_%s%d" % ("R" if i < 8 else "L", abs(8 - i)))
    names += ["brow_R_outer", "brow_R_2", "brow_R_3", "brow_R_4", "brow_R_inner",
              "brow_L_inner", "brow_L_4", "brow_L_3", "brow_L_2", "brow_L_outer",
              "nose_bridge_top", "nose_bridge_2", "nose_bridge_3", "nose_tip",
              "nose_base_R", "nose_base_R2", "nose_base_centre", "nose_base_L2", "nose_base_L",
              "eye_R_outer", "eye_R_upper_outer", "eye_R_upper_inner", "eye_R_inner",
              "eye_R_lower_inner", "eye_R_lower_outer",
              "eye_L_inner", "eye_L_upper_inner", "eye_L_upper_outer", "eye_L_outer",
              "eye_L_lower_outer", "eye_L_lower_inner",
              "mouth_corner_R", "lip_upper_R2", "lip_upper_R1", "lip_upper_centre",
              "lip_upper_L1", "lip_upper_L2", "mouth_corner_L", "lip_lower_L2", "lip_lower_L1",
              "lip_lower_centre", "lip_lower_R1", "lip_lower_R2",
              "mouth_inner_corner_R", "lip_inner_upper_R", "lip_inner_upper_centre",
              "lip_inner_upper_L", "mouth_inner_corner_L", "lip_inner_lower_L",
              "lip_inner_lower_centre", "lip_inner_lower_R"]
    return tuple(names)


NAMES: Tuple[str, ...] = _names()


def _mirror() -> np.ndarray:
    """Index of each point's left/right counterpart (the centre line maps to itself)."""
    m = np.arange(COUNT)
    pairs = [(i, 16 - i) for i in range(8)]
    pairs += [(17 + i, 26 - i) for i in range(5)]
    pairs += [(31, 35), (32, 34)]
    pairs += [(36, 45), (37, 44), (38, 43), (39, 42), (40, 47), (41, 46)]
    pairs += [(48, 54), (49, 53), (50, 52), (59, 55), (58, 56)]
    pairs += [(60, 64), (61, 63), (67, 65)]
    for a, b in pairs:
        m[a], m[b] = b, a
    return m


MIRROR: np.ndarray = _mirror()


def region_of(index: int) -> str:
    for name, idx in REGIONS.items():
        if index in idx:
            return name
    raise ValueError("landmark index %r is outside 0-67" % index)


def read_landmark_vertices(path: str, vertex_count: Optional[int] = None) -> np.ndarray:
    """Read a landmark-vertex file: 68 whitespace-separated 0-based vertex indices.

    ``#`` starts a comment. ``vertex_count`` (the mesh's) bounds the indices.
    """
    try:
        with open(path, "r", encoding="utf-8") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise MicroExprError("cannot read the landmark-vertex file (%s)" % exc, file=path,
                             fix="pass a text file of 68 vertex indices") from None
    tokens = []
    for line in text.splitlines():
        tokens += line.split("#", 1)[0].split()
    return parse_landmark_vertices(tokens, vertex_count, source=path)


def parse_landmark_vertices(tokens, vertex_count: Optional[int] = None,
                            source: str = "<landmark vertices>") -> np.ndarray:
    """Validate 68 vertex indices given as strings or integers."""
    values = []
    for k, tok in enumerate(tokens):
        try:
            v = int(str(tok))
        except ValueError:
            raise MicroExprError("entry %d is %r, not an integer vertex index" % (k, tok),
                                 file=source, field="landmark_vertices",
                                 fix="write 68 whole numbers, 0-based") from None
        values.append(v)
    if len(values) != COUNT:
        raise MicroExprError("has %d vertex indices, expected 68 (one per iBUG-68 landmark)"
                             % len(values), file=source, field="landmark_vertices",
                             fix="list exactly 68 0-based vertex indices in iBUG order")
    arr = np.asarray(values, dtype=np.int64)
    if arr.min() < 0:
        raise MicroExprError("negative vertex index %d" % arr.min(), file=source,
                             field="landmark_vertices", fix="indices are 0-based and >= 0")
    if vertex_count is not None and arr.max() >= vertex_count:
        raise MicroExprError("vertex index %d is beyond the mesh's %d vertices"
                             % (arr.max(), vertex_count), file=source, field="landmark_vertices",
                             fix="use 0-based indices of this mesh (was the file made for "
                                 "another mesh, or 1-based?)")
    return arr


def write_landmark_vertices(path: str, indices) -> None:
    from microexpr.atomicio import write_text
    arr = parse_landmark_vertices(list(indices), source=os.fspath(path))
    lines = ["# iBUG-68 landmark vertices, 0-based, one per line in landmark order"]
    lines += ["%d  # %d %s" % (v, i, NAMES[i]) for i, v in enumerate(arr)]
    write_text(path, "\n".join(lines) + "\n")
