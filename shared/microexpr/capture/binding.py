"""From landmarks found on several renders to 68 vertices: combine, mirror, choose, judge.

Each render of the head gives 68 points on the skin (3-D). Here they become one binding:

- :func:`combine`: per landmark, the mean of the views that agree with their median
  (outliers dropped), with how many agreed and how far they spread.
- :func:`mirror_map`: a mesh with a mirror symmetry (most modelled heads) gets a
  mirror-symmetric binding: a landmark and its counterpart (``landmarks.MIRROR``) bind to
  mirror vertices, centre-line landmarks to vertices on the mirror plane.
- :func:`choose_vertices`: the nearest skin vertex the front view shows.
- :func:`confidence` and :func:`problems`: how far each landmark can be trusted, and
  whether the face found is a face at all (a hollow face seen from behind is not).
"""
from __future__ import annotations

from typing import List, Optional, Tuple

import numpy as np

from microexpr.landmarks import COUNT, MIRROR

#: Left/right pairs that do not depend on the view (not the jaw line).
STABLE_PAIRS = ((36, 45), (39, 42), (37, 44), (38, 43), (40, 47), (41, 46), (31, 35),
                (32, 34), (48, 54), (17, 26), (21, 22), (19, 24))
#: Landmarks on the face's centre line.
CENTRE = tuple(int(i) for i in np.flatnonzero(MIRROR == np.arange(COUNT)))


def combine(estimates: np.ndarray, eye: float, outlier: float
            ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per landmark, the mean of the estimates (E, 68, 3) within ``outlier * eye`` of their
    median (the median alone when none is); also the share of estimates kept and their
    spread (RMS distance to the result, in eye-corner distances)."""
    med = np.median(estimates, axis=0)
    keep = np.linalg.norm(estimates - med, axis=2) <= outlier * eye
    w = keep.astype(np.float64)
    total = w.sum(axis=0)
    mean = np.einsum("ek,ekd->kd", w, estimates) / np.maximum(total, 1)[:, None]
    out = np.where(total[:, None] > 0, mean, med)
    dist2 = np.linalg.norm(estimates - out, axis=2) ** 2
    spread = np.sqrt(np.einsum("ek,ek->k", w, dist2) / np.maximum(total, 1)) / eye
    return out, total / len(estimates), spread


def face_axes(points: np.ndarray, up: np.ndarray) -> np.ndarray:
    """Rows: the face's right (subject's right to left), up (``up`` made square to it) and
    front, from its landmarks (68, 3)."""
    x = sum(points[b] - points[a] for a, b in STABLE_PAIRS)
    x = x / np.linalg.norm(x)
    u = np.asarray(up, dtype=np.float64) - (np.asarray(up) @ x) * x
    u = u / np.linalg.norm(u)
    return np.stack([x, u, np.cross(x, u)])


def mirror_map(points: np.ndarray, skin: np.ndarray, candidates: np.ndarray,
               landmarks: np.ndarray, tolerance: float
               ) -> Optional[Tuple[np.ndarray, np.ndarray, float]]:
    """The mirror symmetry of the skin vertices ``skin`` (indices into ``points``), if they
    have one: (the mirror vertex of each of ``candidates``, plane normal, plane offset).

    A symmetric point set is symmetric about a plane through its centroid whose normal is
    one of its principal axes: the one nearest the landmarks' left-right direction. None
    when a tenth of the skin has no vertex within ``tolerance`` of its mirror image (a
    scan, a sculpted asymmetry) or no principal axis is near that direction."""
    from scipy.spatial import cKDTree

    pairs = [(a, int(MIRROR[a])) for a in range(COUNT) if MIRROR[a] > a]
    guess = sum(landmarks[b] - landmarks[a] for a, b in pairs)
    guess = guess / np.linalg.norm(guess)
    p = points[skin]
    centre = p.mean(axis=0)
    _, axes = np.linalg.eigh(np.cov((p - centre).T))
    k = int(np.argmax(np.abs(axes.T @ guess)))
    n = axes[:, k] * np.sign(axes[:, k] @ guess)
    if n @ guess < np.cos(np.radians(10.0)):
        return None
    offset = float(centre @ n)
    tree = cKDTree(p)
    dist, _ = tree.query(p - 2.0 * ((p @ n) - offset)[:, None] * n)
    if (dist <= tolerance).mean() < 0.9:
        return None
    q = points[candidates]
    _, nearest = tree.query(q - 2.0 * ((q @ n) - offset)[:, None] * n)
    return skin[nearest], n, offset


def symmetrise(landmarks: np.ndarray, normal: np.ndarray, offset: float) -> np.ndarray:
    """Landmarks made mirror-symmetric: each pair averaged with its mirror image."""
    def reflect(q):
        return q - 2.0 * ((q @ normal) - offset) * normal

    out = landmarks.copy()
    for a in range(COUNT):
        b = int(MIRROR[a])
        out[a] = (landmarks[a] + reflect(landmarks[b])) / 2.0
    return out


def choose_vertices(landmarks: np.ndarray, points: np.ndarray, candidates: np.ndarray,
                    mirror: Optional[np.ndarray] = None) -> np.ndarray:
    """The nearest candidate vertex to each landmark (68, 3). With ``mirror`` (the mirror
    vertex of each candidate), each left-side landmark takes the mirror of its right-side
    partner's vertex, and centre-line landmarks the nearest vertex on the plane."""
    from scipy.spatial import cKDTree

    tree = cKDTree(points[candidates])
    _, near = tree.query(landmarks)
    if mirror is None:
        return candidates[near]
    out = candidates[near].copy()
    where = {int(v): k for k, v in enumerate(candidates)}
    on_plane = candidates[mirror == candidates] if np.any(mirror == candidates) else None
    for a in range(COUNT):
        b = int(MIRROR[a])
        if b > a:
            out[b] = mirror[where[int(out[a])]]
        elif b == a and on_plane is not None:
            d = np.linalg.norm(points[on_plane] - landmarks[a], axis=1)
            if d.min() <= 1.5 * np.linalg.norm(points[out[a]] - landmarks[a]) + 1e-12:
                out[a] = on_plane[int(np.argmin(d))]
    return out


def confidence(share: np.ndarray, spread: np.ndarray, moved: np.ndarray,
               score: float) -> np.ndarray:
    """0-1 per landmark: the detector's score (0.5 at its threshold, 1 from score 1 up),
    times the share of views that agreed, times how tightly (1 at no spread, 0.37 at 4 %
    of the eye-corner distance), times how little it had to move onto skin (0.37 at 8 %)."""
    detector = float(np.clip(0.5 + 0.5 * score, 0.05, 1.0)) if np.isfinite(score) else 0.05
    c = detector * share * np.exp(-(spread / 0.04) ** 2) * np.exp(-(moved / 0.08) ** 2)
    return np.clip(c, 0.0, 1.0)


def problems(landmarks: np.ndarray, front: np.ndarray, eye: float, views_found: int,
             views_tried: int, spread: np.ndarray) -> List[str]:
    """Why the face found cannot be trusted (empty when it can)."""
    out = []
    if views_found * 2 < views_tried:
        out.append("the face was found on only %d of %d renders" % (views_found, views_tried))
    nose = float((landmarks[30] - (landmarks[36] + landmarks[45]) / 2.0) @ front) / eye
    if nose < 0.05:
        out.append("the nose tip is not in front of the eyes (%.2f eye widths): a hollow "
                   "face, seen from behind?" % nose)
    inner = float(np.median(spread[17:]))
    if inner > 0.06:
        out.append("the renders disagree by %.0f %% of the eye-corner distance" % (100 * inner))
    return out
