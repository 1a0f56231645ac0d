"""Shape of the embedded default face: landmark layout, hole curves and the z(x, y) sculpt.

Centimetres, Maya axes (Y up, the face looks toward +Z, subject's left is +X). The eye
corners sit near y = 0, the chin at y = -10.5. Everything here is a pure function of
(x, y) so the face is a height field over its front projection and cannot fold.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np
from scipy.interpolate import PchipInterpolator

# --- eyes --------------------------------------------------------------------------
EYE_INNER_X = 1.62          # |x| of the inner corners 39 / 42
EYE_OUTER_X = 4.65          # |x| of the outer corners 36 / 45
EYE_INNER_Y = 0.0
EYE_OUTER_Y = 0.12          # slight upward canthal tilt
LID_UP = 0.56               # upper-margin rise above the corner line at mid-eye
LID_DOWN = 0.40             # lower-margin drop below it (gap at 37-41 = 0.96 * 8/9)
EYE_RADIUS = 1.25
EYE_CLEARANCE = 0.1         # lid skin stays at least this far in front of the eyeball
EYE_BULGE = 0.3             # lid apex in front of the socket floor

# --- mouth -------------------------------------------------------------------------
MOUTH_Y = -6.1              # the mouth line (centre of the slit)
MOUTH_HALF = 2.2            # |x| of the inner corners 60 / 64
MOUTH_GAP = 0.07            # closed-mouth gap between 62 and 66
MOUTH_INNER_X = 0.8         # |x| of 61/63 and 65/67
MOUTH_OUTER_X = 2.5         # |x| of the outer corners 48 / 54 (on the mouth line)

# --- outline: an ellipse around the face, past the jaw line and up the forehead -----
OUTLINE_CENTRE_Y = -2.3
OUTLINE_AX = 7.7
OUTLINE_AY = 9.6

_HALF_JAW = [(0.0, -10.5), (1.55, -10.25), (3.0, -9.6), (4.25, -8.5), (5.3, -7.1),
             (6.05, -5.5), (6.5, -3.8), (6.75, -1.9), (6.85, 0.0)]          # 8 .. 16
_LEFT_BROW = [(1.15, 1.95), (2.15, 2.3), (3.2, 2.42), (4.25, 2.25), (5.15, 1.75)]  # 22..26
_NOSE = [(0.0, 0.55), (0.0, -0.6), (0.0, -1.75), (0.0, -2.9),                     # 27..30
         (-1.15, -3.55), (-0.6, -3.75), (0.0, -3.85), (0.6, -3.75), (1.15, -3.55)]  # 31..35
_OUTER_LIP = [(-2.5, -6.1), (-1.5, -5.6), (-0.5, -5.3), (0.0, -5.42), (0.5, -5.3),
              (1.5, -5.6), (2.5, -6.1), (1.55, -6.75), (0.65, -7.0), (0.0, -7.05),
              (-0.65, -7.0), (-1.55, -6.75)]                                     # 48..59


def lid_profile(t: np.ndarray) -> np.ndarray:
    """Opening profile along an eye, 0 at both corners, 1 mid-eye (a parabola)."""
    t = np.asarray(t, dtype=np.float64)
    return 4.0 * t * (1.0 - t)


def eye_margins(side: int, t: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(x, y_upper, y_lower) along one eye; side -1 = subject's right, +1 = left.

    t runs 0..1 with increasing x: right eye 36 -> 39, left eye 42 -> 45.
    """
    t = np.asarray(t, dtype=np.float64)
    if side < 0:
        x0, x1, y0, y1 = -EYE_OUTER_X, -EYE_INNER_X, EYE_OUTER_Y, EYE_INNER_Y
    else:
        x0, x1, y0, y1 = EYE_INNER_X, EYE_OUTER_X, EYE_INNER_Y, EYE_OUTER_Y
    x = x0 + (x1 - x0) * t
    yc = y0 + (y1 - y0) * t
    h = lid_profile(t)
    return x, yc + LID_UP * h, yc - LID_DOWN * h


def mouth_margins(x: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """(y_upper, y_lower) of the slit at x in [-MOUTH_HALF, MOUTH_HALF]; parabolic gap."""
    x = np.asarray(x, dtype=np.float64)
    half_gap = 0.5 * MOUTH_GAP * np.clip(1.0 - (x / MOUTH_HALF) ** 2, 0.0, None)
    return MOUTH_Y + half_gap, MOUTH_Y - half_gap


def eye_centre_xy(side: int) -> Tuple[float, float]:
    """Front-projected centre of an eyeball: middle of the opening."""
    x, yu, yl = eye_margins(side, np.array([0.5]))
    return float(x[0]), float(0.5 * (yu[0] + yl[0]))


def landmarks_xy() -> np.ndarray:
    """(68, 2) front positions of the iBUG-68 landmarks (0-based)."""
    lm = np.zeros((68, 2))
    half = np.asarray(_HALF_JAW)
    lm[8:17] = half
    lm[0:8] = half[:0:-1] * (-1.0, 1.0)            # 0..7 mirror 16..9
    brow = np.asarray(_LEFT_BROW)
    lm[22:27] = brow
    lm[17:22] = brow[::-1] * (-1.0, 1.0)           # 17 outer-right .. 21 inner-right
    lm[27:36] = _NOSE
    third = np.array([0.0, 1.0 / 3.0, 2.0 / 3.0, 1.0])
    x, yu, yl = eye_margins(-1, third)             # 36, 37, 38, 39 / 41, 40
    lm[36:40] = np.c_[x, yu]
    lm[40] = (x[2], yl[2])
    lm[41] = (x[1], yl[1])
    x, yu, yl = eye_margins(+1, third)             # 42, 43, 44, 45 / 47, 46
    lm[42:46] = np.c_[x, yu]
    lm[46] = (x[2], yl[2])
    lm[47] = (x[1], yl[1])
    lm[48:60] = _OUTER_LIP
    xs = np.array([-MOUTH_HALF, -MOUTH_INNER_X, 0.0, MOUTH_INNER_X, MOUTH_HALF])
    yu, yl = mouth_margins(xs)
    lm[60:65] = np.c_[xs, yu]                      # 60 .. 64 along the upper inner lip
    lm[65] = (xs[3], yl[3])
    lm[66] = (xs[2], yl[2])
    lm[67] = (xs[1], yl[1])
    return lm


# --- sculpt ------------------------------------------------------------------------
def _bump(x, y, cx, cy, sx, sy, amp):
    return amp * np.exp(-0.5 * (((x - cx) / sx) ** 2 + ((y - cy) / sy) ** 2))


def _pair(x, y, cx, cy, sx, sy, amp):
    return _bump(x, y, -cx, cy, sx, sy, amp) + _bump(x, y, cx, cy, sx, sy, amp)


_NOSE_H = PchipInterpolator(
    [-4.4, -3.95, -3.7, -3.3, -2.9, -2.6, -2.0, -1.0, 0.0, 0.9, 1.7],
    [0.0, 0.08, 0.33, 0.95, 1.22, 1.18, 1.0, 0.74, 0.46, 0.27, 0.0])
_NOSE_W = PchipInterpolator([-4.4, -3.5, -2.9, -2.4, -1.0, 0.5, 1.7],
                            [0.8, 0.8, 0.78, 0.72, 0.55, 0.55, 0.9])


def _nose(x, y):
    yy = np.clip(y, -4.4, 1.7)
    h = np.where((y > -4.4) & (y < 1.7), _NOSE_H(yy), 0.0)
    ridge = h * np.exp(-0.5 * (x / _NOSE_W(yy)) ** 2)
    alae = _pair(x, y, 0.95, -3.35, 0.42, 0.38, 0.55)
    nostrils = _pair(x, y, 0.55, -3.78, 0.2, 0.14, -0.12)
    return ridge + alae + nostrils


def _base(x, y):
    """Ellipsoidal front of a head, 0 at the nose root."""
    q = 1.0 - (x / 8.6) ** 2 - ((y + 2.0) / 16.0) ** 2
    return 7.5 * (np.sqrt(np.clip(q, 1e-3, None)) - 1.0)


def _pre_lid(x, y):
    """Everything but the eyelids' wrap over the eyeballs."""
    z = _base(x, y) + _nose(x, y)
    ex, ey = eye_centre_xy(1)
    z += _pair(x, y, ex, ey + 0.05, 1.45, 1.05, -0.75)       # eye sockets
    z += _pair(x, y, 2.9, 1.95, 2.0, 0.6, 0.35)              # brow ridge
    z += _bump(x, y, 0.0, 1.3, 0.8, 0.6, 0.12)               # glabella
    z += _pair(x, y, 3.9, -2.8, 1.3, 1.3, 0.45)              # cheekbones
    z += _bump(x, y, 0.0, -5.75, 1.5, 0.45, 0.45)            # upper lip
    z += _bump(x, y, 0.0, -6.6, 1.3, 0.45, 0.45)             # lower lip
    z += _pair(x, y, 2.45, -6.15, 0.4, 0.4, -0.1)            # mouth corners
    z += _bump(x, y, 0.0, -7.65, 1.4, 0.35, -0.12)           # mentolabial sulcus
    z += _bump(x, y, 0.0, -9.3, 1.6, 1.0, 0.45)              # chin
    return z


def eye_centres() -> np.ndarray:
    """(2, 3) eyeball centres, subject's right first."""
    out = []
    for side in (-1, 1):
        ex, ey = eye_centre_xy(side)
        apex = float(_pre_lid(np.array([ex]), np.array([ey]))[0]) + EYE_BULGE
        out.append((ex, ey, apex - EYE_RADIUS - EYE_CLEARANCE))
    return np.asarray(out)


def _smooth_max(a, b, k):
    return 0.5 * (a + b + np.sqrt((a - b) ** 2 + k * k))


def skin_z(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Depth of the skin at front position (x, y).

    Over each eyeball the lids follow a paraboloid that osculates the eyeball from outside,
    so z >= sphere front + EYE_CLEARANCE wherever (x, y) lies over the sphere.
    """
    x = np.asarray(x, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    z = _pre_lid(x, y)
    for cx, cy, cz in eye_centres():
        d2 = (x - cx) ** 2 + (y - cy) ** 2
        lid = cz + EYE_RADIUS + EYE_CLEARANCE - d2 / (2.0 * EYE_RADIUS)
        z = _smooth_max(z, lid, 0.15)
    return z


def outline_xy(spacing: float) -> np.ndarray:
    """Face outline (an ellipse) sampled about every `spacing` cm, counter-clockwise."""
    perim = np.pi * (3.0 * (OUTLINE_AX + OUTLINE_AY)
                     - np.sqrt((3 * OUTLINE_AX + OUTLINE_AY) * (OUTLINE_AX + 3 * OUTLINE_AY)))
    n = max(int(np.ceil(perim / spacing)), 16)
    a = np.linspace(0.0, 2.0 * np.pi, n, endpoint=False) - 0.5 * np.pi
    return np.c_[OUTLINE_AX * np.cos(a), OUTLINE_CENTRE_Y + OUTLINE_AY * np.sin(a)]


def inside_outline(xy: np.ndarray) -> np.ndarray:
    xy = np.asarray(xy, dtype=np.float64)
    return (xy[:, 0] / OUTLINE_AX) ** 2 + ((xy[:, 1] - OUTLINE_CENTRE_Y) / OUTLINE_AY) ** 2 < 1.0
