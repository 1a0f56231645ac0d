"""The format-neutral scene that exporters write and importers return.

A scene is one or more meshes, each with named blend-shape channels (sparse deltas, optional
normal deltas, optional in-betweens), plus an optional weight animation. Lengths are in
``unit`` (the rig's unit, centimetres by default), axes are Y-up, right-handed (Maya's), and
weights are 0-1 (writers scale to 0-100 where a format wants percent, e.g. FBX DeformPercent).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from microexpr.mesh import Mesh


@dataclass
class ShapeFrame:
    """One shape of a channel at ``weight`` (1.0 = the full target, 0.5 = an in-between)."""

    weight: float
    indices: np.ndarray            # (K,) int64, vertex indices that move
    deltas: np.ndarray             # (K, 3) float64 position offsets
    normal_deltas: Optional[np.ndarray] = None   # (K, 3) float64, or None

    def dense(self, vertex_count: int) -> np.ndarray:
        out = np.zeros((vertex_count, 3))
        out[np.asarray(self.indices, dtype=np.int64)] = self.deltas
        return out


@dataclass
class ShapeChannel:
    """A named blend-shape channel: frames sorted by weight, the last one at 1.0."""

    name: str
    frames: List[ShapeFrame]

    @property
    def full(self) -> ShapeFrame:
        return self.frames[-1]


@dataclass
class SceneMesh:
    mesh: Mesh
    channels: List[ShapeChannel] = field(default_factory=list)


@dataclass
class WeightAnimation:
    """Channel weights per frame, 0-1, sampled at ``fps`` from ``start_time`` seconds."""

    fps: float
    channel_names: List[str]
    weights: np.ndarray            # (F, C) float64
    start_time: float = 0.0

    def times(self) -> np.ndarray:
        return self.start_time + np.arange(self.weights.shape[0]) / float(self.fps)


@dataclass
class Scene:
    meshes: List[SceneMesh]
    animation: Optional[WeightAnimation] = None
    unit: str = "cm"
    up_axis: str = "Y"
    name: str = "MicroExprFace"
