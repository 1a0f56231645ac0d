"""Landmark smoothing that removes jitter but keeps fast onsets: the One Euro filter.

The One Euro filter (Casiez, Roussel and Vogel, CHI 2012) is a first-order low-pass whose
cutoff rises with the signal's speed: ``cutoff = min_cutoff + beta * |speed|``, the speed
itself low-passed at ``d_cutoff``. Still landmarks are smoothed hard (about 1 Hz); a moving
one opens the filter so an onset is not flattened.

Units: the pipeline feeds landmarks in millimetres on the face (pixels times
``EYE_SPAN_MM / outer eye corner distance``), so the settings do not depend on the image
size. Defaults (tuned by simulation, checked in tests/test_capture_smooth.py): at 60 fps a
1 mm, 40 ms onset keeps >= 90 % of its amplitude at the end of the onset, and still jitter
of 0.3 mm drops to about 60 % (two passes).

Offline (:func:`smooth_track`) the filter runs forward and backward and the two are
averaged: the backward pass has already seen the end of an onset, so the average keeps
onsets that a single causal pass would round off, with stronger smoothing. Live use (one
frame at a time) takes :class:`OneEuroFilter` directly.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

#: Mean adult distance between the outer eye corners (landmarks 36 and 45), in mm. Used to
#: read pixels as millimetres on the face; a rough scale, good to about 10 %.
EYE_SPAN_MM = 90.0


@dataclass
class SmoothSettings:
    min_cutoff: float = 1.0    # Hz, the cutoff for still landmarks
    beta: float = 4.0          # cutoff increase per mm/s of speed
    d_cutoff: float = 1.0      # Hz, the low-pass on the speed estimate
    two_pass: bool = True      # forward + backward (offline); False = causal


def _alpha(cutoff, dt):
    tau = 1.0 / (2.0 * math.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)


class OneEuroFilter:
    """Streaming One Euro filter for arrays of any fixed shape.

    ``f(x, t)`` returns the filtered array for a sample at time ``t`` (seconds, increasing).
    """

    def __init__(self, min_cutoff: float = 1.0, beta: float = 4.0, d_cutoff: float = 1.0):
        if not (min_cutoff > 0 and d_cutoff > 0 and beta >= 0):
            raise ValueError("One Euro settings must be positive (beta may be 0)")
        self.min_cutoff, self.beta, self.d_cutoff = min_cutoff, beta, d_cutoff
        self.reset()

    def reset(self) -> None:
        self.x: Optional[np.ndarray] = None
        self.dx: Optional[np.ndarray] = None
        self.t: Optional[float] = None

    def __call__(self, x, t: float) -> np.ndarray:
        x = np.asarray(x, dtype=np.float64)
        if self.x is None:
            self.x, self.dx, self.t = x.copy(), np.zeros_like(x), float(t)
            return self.x.copy()
        dt = float(t) - float(self.t if self.t is not None else t)
        if not dt > 0:
            dt = 1e-3                         # repeated timestamp: treat as 1 ms
        speed = (x - self.x) / dt
        self.dx = self.dx + _alpha(self.d_cutoff, dt) * (speed - self.dx)
        cutoff = self.min_cutoff + self.beta * np.abs(self.dx)
        self.x = self.x + _alpha(cutoff, dt) * (x - self.x)
        self.t = float(t)
        return self.x.copy()


def _run(x: np.ndarray, t: np.ndarray, s: SmoothSettings) -> np.ndarray:
    f = OneEuroFilter(s.min_cutoff, s.beta, s.d_cutoff)
    return np.stack([f(x[i], t[i]) for i in range(len(x))])


def smooth_signal(x: np.ndarray, t: np.ndarray, settings: Optional[SmoothSettings] = None
                  ) -> np.ndarray:
    """Smooth one unbroken run of samples ``x`` (F, ...) at times ``t`` (F,)."""
    s = settings or SmoothSettings()
    x = np.asarray(x, dtype=np.float64)
    t = np.asarray(t, dtype=np.float64)
    if len(x) < 2:
        return x.copy()
    fwd = _run(x, t, s)
    if not s.two_pass:
        return fwd
    bwd = _run(x[::-1], -t[::-1], s)[::-1]
    return 0.5 * (fwd + bwd)


def runs(valid: np.ndarray):
    """(start, stop) of each run of True in ``valid``."""
    v = np.concatenate([[False], np.asarray(valid, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(v.astype(np.int8)))
    return list(zip(edges[0::2].tolist(), edges[1::2].tolist()))


def mm_per_pixel(points: np.ndarray, valid: np.ndarray) -> float:
    """Millimetres on the face per image pixel, from the outer eye corner distance."""
    p = np.asarray(points)[np.asarray(valid, dtype=bool)]
    if not len(p):
        return 1.0
    span = np.linalg.norm(p[:, 45] - p[:, 36], axis=1)
    span = span[np.isfinite(span) & (span > 0)]
    return EYE_SPAN_MM / float(np.median(span)) if len(span) else 1.0


def smooth_track(points: np.ndarray, times: np.ndarray, valid: np.ndarray,
                 settings: Optional[SmoothSettings] = None) -> np.ndarray:
    """Smooth landmarks (F, 68, 2) in pixels, each unbroken run of valid frames on its own
    (the filter restarts after a gap); invalid frames are returned untouched.

    Head motion is taken out first: each frame is moved onto the run's first frame by a
    similarity fit on the rigid landmarks, the steadied landmarks are smoothed, then moved
    back by the smoothed head pose. Smoothing raw pixels would lag the fast-moving points of
    a turning head more than the slow ones and bend the face into a false expression."""
    from microexpr.landmarks import RIGID
    from microexpr.solve.key_weights import similarity_fit

    pts = np.array(points, dtype=np.float64)
    valid = np.asarray(valid, dtype=bool)
    k = mm_per_pixel(pts, valid)
    rigid = list(RIGID)
    for a, b in runs(valid):
        centre = pts[a, rigid].mean(axis=0)      # rotate about the face, not the image corner
        run = pts[a:b] - centre
        ref = np.broadcast_to(run[0, rigid], (b - a, len(rigid), 2))
        sc, R, t = similarity_fit(ref, run[:, rigid])              # first frame -> frame
        steady = np.einsum("fji,fnj->fni", R, run - t[:, None, :]) / sc[:, None, None]
        steady = smooth_signal(steady * k, times[a:b], settings) / k
        # the pose as millimetres: shift, eye-span change, arc at the eye corners
        angle = np.unwrap(np.arctan2(R[:, 1, 0], R[:, 0, 0]))
        pose = np.column_stack([t * k, (sc - 1.0) * EYE_SPAN_MM, angle * EYE_SPAN_MM / 2])
        pose = smooth_signal(pose, times[a:b], settings)
        t, sc = pose[:, :2] / k, 1.0 + pose[:, 2] / EYE_SPAN_MM
        angle = pose[:, 3] / (EYE_SPAN_MM / 2)
        c, s_ = np.cos(angle), np.sin(angle)
        R = np.stack([np.stack([c, -s_], axis=1), np.stack([s_, c], axis=1)], axis=1)
        pts[a:b] = sc[:, None, None] * np.einsum("fij,fnj->fni", R, steady) + t[:, None, :] + centre
    return pts
