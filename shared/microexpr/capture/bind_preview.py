"""The binding preview: the front render with the 68 landmarks and their numbers drawn, so a
person can check a markerless binding at a glance. OpenCV is imported inside functions."""
from __future__ import annotations

from typing import Optional

import numpy as np

from microexpr.landmarks import REGIONS

_LINES = [REGIONS[k] for k in ("jaw", "brow_R", "brow_L", "nose_bridge", "nose_base")]
_LOOPS = [REGIONS[k] for k in ("eye_R", "eye_L", "mouth_outer", "mouth_inner")]
#: RGB by confidence: sure, unsure, doubtful.
GOOD, FAIR, POOR = (40, 200, 60), (240, 190, 30), (230, 40, 40)


def colour_of(confidence: float):
    return GOOD if confidence >= 0.6 else FAIR if confidence >= 0.3 else POOR


def draw(image: np.ndarray, xy: np.ndarray, confidence: Optional[np.ndarray] = None,
         title: str = "") -> np.ndarray:
    """A copy of ``image`` (RGB) with landmarks ``xy`` (68, 2) pixels drawn: the feature
    lines, a dot per landmark coloured by ``confidence`` (green, amber, red) and its
    number."""
    import cv2

    img = np.ascontiguousarray(image.copy())
    size = max(img.shape[:2])
    r = max(2, int(round(size / 300)))
    font = max(0.3, size / 2600.0)
    pts = np.round(np.asarray(xy, dtype=np.float64) - 0.5).astype(np.int32)
    for seg in _LINES:
        cv2.polylines(img, [pts[list(seg)]], False, (90, 170, 255), 1, cv2.LINE_AA)
    for seg in _LOOPS:
        cv2.polylines(img, [pts[list(seg)]], True, (90, 170, 255), 1, cv2.LINE_AA)
    conf = np.ones(len(pts)) if confidence is None else np.asarray(confidence)
    for i, (x, y) in enumerate(pts):
        cv2.circle(img, (int(x), int(y)), r, colour_of(float(conf[i])), -1, cv2.LINE_AA)
        cv2.putText(img, str(i), (int(x) + r + 1, int(y) - r), cv2.FONT_HERSHEY_SIMPLEX, font,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return note(img, title) if title else img


def note(image: np.ndarray, text: str) -> np.ndarray:
    """``image`` with ``text`` (lines split on newlines) on a dark band above it."""
    import cv2

    font = max(0.45, image.shape[1] / 1400.0)
    step = int(round(26 * font / 0.6))
    lines = text.splitlines() or [""]
    band = np.full((step * len(lines) + step // 2, image.shape[1], 3), 32, dtype=np.uint8)
    for k, line in enumerate(lines):
        cv2.putText(band, line, (8, step * (k + 1)), cv2.FONT_HERSHEY_SIMPLEX, font,
                    (255, 255, 255), 1, cv2.LINE_AA)
    return np.ascontiguousarray(np.vstack([band, image]))


def png(image: np.ndarray) -> bytes:
    """``image`` (RGB) as PNG bytes."""
    import cv2

    ok, buf = cv2.imencode(".png", np.ascontiguousarray(image[:, :, ::-1]))
    if not ok:
        raise RuntimeError("OpenCV could not encode the preview as PNG")
    return buf.tobytes()
