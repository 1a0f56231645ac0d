"""Face regions on any rig, found from its 68 landmarks: brows, eyes, nose, cheeks, mouth
corners, lips, jaw (expressive) and forehead, nose bridge, temples (rigid: they should not
move in a micro-expression).

Each region is a set of anchor points (landmarks, or points placed from landmarks such as the
middle of the cheek) with a radius. A vertex belongs to the region whose nearest anchor is
closest relative to that region's radius, if it lies within the radius; otherwise it is
"other". Radii are in centimetres for a face whose outer eye corners are 9 cm apart and scale
with the face, so regions fit any rig in any unit. Vertices of eye meshes are "eyes".
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Dict, List, Tuple

import numpy as np
from scipy.spatial import cKDTree

from microexpr.rig.presets import face_frame

EXPRESSIVE = "expressive"
RIGID = "rigid"
OTHER = "other"


def _lms(*idx: int) -> Callable:
    return lambda lm, fr: lm[list(idx)]


def _cheeks(lm: np.ndarray, fr: np.ndarray) -> np.ndarray:
    out = []
    for lid, corner, jaw, sign in (((40, 41), 48, 2, -1.0), ((46, 47), 54, 14, 1.0)):
        under_eye = lm[list(lid)].mean(axis=0)
        mid = under_eye + 0.5 * (lm[corner] - under_eye) + sign * 1.0 * fr[0]
        out += [mid, 0.5 * (mid + lm[jaw]), under_eye + 0.3 * (lm[corner] - under_eye) + sign * 1.6 * fr[0]]
    return np.array(out)


def _forehead(lm: np.ndarray, fr: np.ndarray) -> np.ndarray:
    return lm[[17, 19, 21, 22, 24, 26]] + 3.6 * fr[1]


def _temples(lm: np.ndarray, fr: np.ndarray) -> np.ndarray:
    return np.array([lm[0] + 1.2 * fr[1], lm[16] + 1.2 * fr[1]])


def _chin(lm: np.ndarray, fr: np.ndarray) -> np.ndarray:
    return np.vstack([lm[5:12], 0.5 * (lm[57] + lm[8])])


# name, kind, anchors(landmarks, frame scaled to face-cm), radius (face-cm)
REGIONS: Tuple[Tuple[str, str, Callable, float], ...] = (
    ("brows", EXPRESSIVE, _lms(*range(17, 27)), 1.1),
    ("eyes", EXPRESSIVE, _lms(*range(36, 48)), 0.8),
    ("nose", EXPRESSIVE, _lms(30, 31, 32, 33, 34, 35), 0.9),
    ("cheeks", EXPRESSIVE, _cheeks, 1.5),
    ("mouth corners", EXPRESSIVE, _lms(48, 54, 60, 64), 0.7),
    ("lips", EXPRESSIVE, _lms(49, 50, 51, 52, 53, 55, 56, 57, 58, 59, 61, 62, 63, 65, 66, 67), 0.5),
    ("jaw", EXPRESSIVE, _chin, 1.3),
    ("forehead", RIGID, _forehead, 1.6),
    ("nose bridge", RIGID, _lms(28, 29), 0.35),
    ("temples", RIGID, _temples, 1.0),
)
NAMES: Tuple[str, ...] = tuple(r[0] for r in REGIONS)
KINDS: Dict[str, str] = {r[0]: r[1] for r in REGIONS}


@dataclass
class FaceRegions:
    """Per mesh, each vertex's region index into ``names`` (len(names) = "other")."""

    names: Tuple[str, ...]
    kinds: Dict[str, str]
    labels: Dict[str, np.ndarray]
    anchors: Dict[str, np.ndarray]       # region -> anchor points (rig units)
    size: float                          # rig units per face-cm

    def mask(self, mesh: str, region: str) -> np.ndarray:
        return self.labels[mesh] == self.names.index(region)


def label_points(points: np.ndarray, anchors: Dict[str, np.ndarray], radii: Dict[str, float],
                 names: Tuple[str, ...]) -> np.ndarray:
    """Region index per point (``len(names)`` where no region reaches)."""
    best = np.full(len(points), np.inf)
    label = np.full(len(points), len(names), dtype=np.int64)
    for r, name in enumerate(names):
        d, _ = cKDTree(anchors[name]).query(points, distance_upper_bound=radii[name])
        ratio = d / radii[name]
        take = ratio < best
        best[take] = ratio[take]
        label[take] = r
    return label


def face_regions(rig) -> FaceRegions:
    """Regions of every mesh of ``rig`` from its neutral landmarks."""
    lm = rig.neutral_landmarks()
    frame, s = face_frame(lm)
    fr = frame * s
    anchors = {name: np.asarray(fn(lm, fr), dtype=np.float64).reshape(-1, 3)
               for name, _k, fn, _r in REGIONS}
    radii = {name: r * s for name, _k, _fn, r in REGIONS}
    labels = {}
    for m in rig.meshes:
        pts = np.asarray(m.points, dtype=np.float64).reshape(-1, 3)
        if m.role == "eyes":
            labels[m.name] = np.full(len(pts), NAMES.index("eyes"), dtype=np.int64)
        else:
            labels[m.name] = label_points(pts, anchors, radii, NAMES)
    return FaceRegions(NAMES, dict(KINDS), labels, anchors, s)


def expressive(regions: FaceRegions) -> List[str]:
    return [n for n in regions.names if regions.kinds[n] == EXPRESSIVE]


def rigid(regions: FaceRegions) -> List[str]:
    return [n for n in regions.names if regions.kinds[n] == RIGID]
