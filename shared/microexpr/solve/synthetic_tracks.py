"""Landmark tracks made from a rig: known weights, head motion and noise, for tests and the demo.

Poses are degrees (yaw about y, pitch about x, roll about z), a scale in pixels per rig unit
and an image-space offset. 2-D tracks come out as a camera sees them: pixels, y down, under a
weak-perspective (scaled orthographic) projection of the posed 3-D landmarks.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from microexpr.bridge import Rig
from microexpr.rig.softmod import rotation_matrix
from microexpr.solve.tracks import Tracks, finish_tracks


def rig_landmarks(rig: Rig, weights: np.ndarray) -> np.ndarray:
    """(F, 68, 3) landmarks of the rig for weights (F, T)."""
    W = np.atleast_2d(np.asarray(weights, dtype=np.float64))
    return rig.neutral_landmarks()[None] + np.einsum("ljt,ft->flj", rig.landmark_delta_matrix(), W)


def head_motion(frames: int, yaw: float = 10.0, pitch: float = 8.0, roll: float = 6.0,
                seed: int = 0) -> np.ndarray:
    """Smooth random head poses (F, 3) in degrees, bounded by the given amplitudes."""
    rng = np.random.default_rng(seed)
    t = np.arange(frames)
    out = np.zeros((frames, 3))
    for k, amp in enumerate((pitch, yaw, roll)):
        f1, f2 = rng.uniform(0.005, 0.03, 2)
        p1, p2 = rng.uniform(0, 2 * np.pi, 2)
        out[:, k] = amp * (0.6 * np.sin(2 * np.pi * f1 * t + p1) + 0.4 * np.sin(2 * np.pi * f2 * t + p2))
    return out


def pose_landmarks(lm: np.ndarray, angles: np.ndarray, scale=1.0,
                   offset=(0.0, 0.0, 0.0)) -> np.ndarray:
    """Rotate (F, 68, 3) landmarks about their centroid by per-frame Euler angles (pitch, yaw,
    roll) in degrees, scale and offset them."""
    out = np.empty_like(lm)
    centre = lm[0].mean(axis=0)
    scale = np.broadcast_to(np.asarray(scale, dtype=np.float64), (len(lm),))
    offset = np.broadcast_to(np.asarray(offset, dtype=np.float64), (len(lm), 3))
    for f in range(len(lm)):
        R = rotation_matrix(angles[f])
        out[f] = scale[f] * ((lm[f] - centre) @ R.T) + offset[f]
    return out


def image_tracks(rig: Rig, weights: np.ndarray, angles: Optional[np.ndarray] = None,
                 pixels_per_unit: float = 14.0, size=(640, 480), noise_px: float = 0.0,
                 seed: int = 0, fps: float = 60.0) -> Tracks:
    """2-D image tracks (pixels, y down) of the rig performing ``weights``."""
    lm = rig_landmarks(rig, weights)
    F = len(lm)
    angles = np.zeros((F, 3)) if angles is None else np.asarray(angles, dtype=np.float64)
    posed = pose_landmarks(lm, angles, pixels_per_unit)
    xy = posed[:, :, :2].copy()
    xy[:, :, 0] += size[0] / 2.0
    xy[:, :, 1] = size[1] / 2.0 - xy[:, :, 1]
    if noise_px:
        xy += np.random.default_rng(seed).normal(0.0, noise_px, xy.shape)
    return finish_tracks(xy, np.ones((F, 68)), np.arange(F) / fps, "<synthetic 2-D>")


def space_tracks(rig: Rig, weights: np.ndarray, angles: Optional[np.ndarray] = None,
                 scale: float = 1.0, noise: float = 0.0, seed: int = 0, fps: float = 60.0) -> Tracks:
    """3-D tracks (rig units times ``scale``) of the rig performing ``weights``."""
    lm = rig_landmarks(rig, weights)
    F = len(lm)
    angles = np.zeros((F, 3)) if angles is None else np.asarray(angles, dtype=np.float64)
    posed = pose_landmarks(lm, angles, scale)
    if noise:
        posed += np.random.default_rng(seed).normal(0.0, noise, posed.shape)
    return finish_tracks(posed, np.ones((F, 68)), np.arange(F) / fps, "<synthetic 3-D>",
                         image_space=False)
