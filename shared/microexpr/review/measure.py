"""What a clip does to the face: per-region displacement in mm over time, per-target timing.

The judged motion is the face the clip makes minus a reference face: the neutral (all
weights 0), or the face of a base clip (then only the layer on top of it is judged), on every
vertex of every mesh, in millimetres. Shapes are evaluated as ``rig.build.evaluate`` does:
in-betweens along their segments, combinations at the product of their drivers' weights.
The rig's offsets are columns (``micro.rig_deltas``: one per segment), so a frame's
displacement is its column weights (``RigDeltas.expand``) of the clip minus those of the
reference, times the columns; on a rig without in-betweens or combinations the columns are
the targets and the column weights the weights.

Speed: only columns that move and vertices that any column moves are evaluated, in float32,
frames in blocks; region maxima come from one ``maximum.reduceat`` over vertices sorted by
region.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr.bridge import Clip, Rig
from microexpr.errors import MicroExprError
from microexpr.micro.amplitude import RigDeltas
from microexpr.review.regions import FaceRegions, face_regions

BLOCK = 256                   # frames per block
ACTIVE_EPS = 1e-4             # a target is active when its layer weight exceeds this


@dataclass
class TargetTiming:
    target: str
    peak_weight: float
    onset: float
    apex: float
    offset: float


@dataclass
class Measurement:
    times: np.ndarray                       # (F,)
    layer: np.ndarray                       # (F, T) judged weights (clip - reference weights)
    targets: List[str]                      # rig targets, columns of ``layer``
    regions: FaceRegions
    region_curves: np.ndarray               # (F, R + 1) max mm per region ("other" last)
    curve: np.ndarray                       # (F,) max mm over all vertices
    apex_frame: int
    apex_mm: Dict[str, np.ndarray]          # per mesh: (N,) mm at the apex frame
    end_mm: Tuple[float, float]             # first and last frame vs the reference
    target_timing: List[TargetTiming]
    ignored_targets: List[str] = field(default_factory=list)

    def region_peak(self, name: str) -> Tuple[float, float]:
        """(mm, time) of a region's largest displacement."""
        k = (list(self.regions.names) + ["other"]).index(name)
        f = int(np.argmax(self.region_curves[:, k]))
        return float(self.region_curves[f, k]), float(self.times[f])


class Measurer:
    """Per-rig data for measuring clips (build once for many clips)."""

    def __init__(self, rig: Rig, deltas: Optional[RigDeltas] = None) -> None:
        self.rig = rig
        self.deltas = deltas or RigDeltas(rig)
        self.regions = face_regions(rig)
        rd = self.deltas
        label = np.array([self.regions.labels[rig.meshes[m].name][v]
                          for m, v in zip(rd.mesh_of, rd.vertex_of)], dtype=np.int64)
        self.order = np.argsort(label, kind="stable")
        lab = label[self.order]
        R = len(self.regions.names) + 1
        self.starts = np.searchsorted(lab, np.arange(R))
        self.present = np.array([np.any(lab == r) for r in range(R)])
        K = rd.columns
        self.D32 = np.empty((K, 3 * len(self.order)), dtype=np.float32)   # (K, 3M) by region
        for j in range(3):
            self.D32[:, j * len(self.order):(j + 1) * len(self.order)] = rd.by_axis[:, j, self.order]

    # -- weights -----------------------------------------------------------------------
    def layer(self, clip: Clip, base: Optional[Clip] = None) -> Tuple[np.ndarray, List[str]]:
        """(F, T) clip weights minus the reference, in rig target order; ignored targets."""
        W, ignored, B = self._weights(clip, base)
        return (W if B is None else W - B), ignored

    def columns(self, clip: Clip, base: Optional[Clip] = None) -> np.ndarray:
        """(F, K) the column weights of the clip minus those of the reference: what moves."""
        W, _, B = self._weights(clip, base)
        X = self.deltas.expand(W)
        return X if B is None else X - self.deltas.expand(B)

    def _weights(self, clip: Clip, base: Optional[Clip]
                 ) -> Tuple[np.ndarray, List[str], Optional[np.ndarray]]:
        """Clip weights (F, T) in rig order, ignored targets, the base resampled (or None)."""
        names = self.deltas.targets
        index = self.deltas.index
        ignored = [t for t in clip.targets if t not in index]
        if len(ignored) == len(clip.targets):
            raise MicroExprError("none of the clip's targets is in the rig (e.g. %s)"
                                 % ", ".join(clip.targets[:3]), field="--clip",
                                 fix="review the clip with the rig it was made for")
        W = np.zeros((len(clip.weights), len(names)))
        cw = clip.weight_array()
        for j, t in enumerate(clip.targets):
            if t in index:
                W[:, index[t]] = cw[:, j]
        B = None if base is None else self._resampled(base, clip.times(), names)
        return W, ignored, B

    @staticmethod
    def _resampled(base: Clip, times: np.ndarray, names: List[str]) -> np.ndarray:
        bt = base.times()
        bw = base.weight_array()
        out = np.zeros((len(times), len(names)))
        same = len(bt) == len(times) and np.allclose(bt, times, atol=1e-9)
        for j, t in enumerate(base.targets):
            if t in names:
                k = names.index(t)
                out[:, k] = bw[:, j] if same else np.interp(times, bt, bw[:, j])
        return out

    # -- displacement ------------------------------------------------------------------
    def region_curves(self, L: np.ndarray) -> np.ndarray:
        """(F, R + 1) largest displacement (mm) per region and frame of column weights L (F, K)
        (``columns``)."""
        F = len(L)
        R = len(self.regions.names) + 1
        out = np.zeros((F, R))
        active = np.nonzero(np.abs(L).max(axis=0) > 0)[0] if F else np.zeros(0, int)
        moving = np.nonzero(np.abs(L[:, active]).max(axis=1) > 0)[0] if len(active) else np.zeros(0, int)
        if not len(moving):
            return out
        M = self.D32.shape[1] // 3
        D = self.D32[active]
        starts = self.starts[self.present]
        cols = np.nonzero(self.present)[0]
        for a in range(0, len(moving), BLOCK):
            rows = moving[a:a + BLOCK]
            X = L[np.ix_(rows, active)].astype(np.float32) @ D
            np.multiply(X, X, out=X)
            mag = X[:, :M]                                  # x^2 + y^2 + z^2, in place
            mag += X[:, M:2 * M]
            mag += X[:, 2 * M:]
            out[np.ix_(rows, cols)] = np.sqrt(np.maximum.reduceat(mag, starts, axis=1))
        return out

    def frame_mm(self, weights: np.ndarray) -> Dict[str, np.ndarray]:
        """Per mesh, (N,) displacement in mm of one column-weight vector (float64)."""
        rd = self.deltas
        d = (np.asarray(weights, dtype=np.float64) @ rd.flat).reshape(3, -1)
        mag = np.sqrt((d * d).sum(axis=0))
        out = {m.name: np.zeros(len(m.points)) for m in self.rig.meshes}
        for mi, m in enumerate(self.rig.meshes):
            sel = rd.mesh_of == mi
            out[m.name][rd.vertex_of[sel]] = mag[sel]
        return out

    def measure(self, clip: Clip, base: Optional[Clip] = None) -> Measurement:
        W, ignored, B = self._weights(clip, base)
        L = W if B is None else W - B
        X = self.deltas.expand(W)
        if B is not None:
            X = X - self.deltas.expand(B)
        times = clip.times()
        curves = self.region_curves(X)
        curve = curves.max(axis=1) if curves.size else np.zeros(len(L))
        apex = int(np.argmax(curve)) if len(curve) else 0
        apex_mm = self.frame_mm(X[apex]) if len(X) else {}
        ends = (self._max_all(X[0]), self._max_all(X[-1])) if len(X) else (0.0, 0.0)
        return Measurement(times, L, list(self.deltas.targets), self.regions, curves, curve,
                           apex, apex_mm, ends, target_timing(L, times, self.deltas.targets),
                           ignored)

    def _max_all(self, w: np.ndarray) -> float:
        return max((float(v.max()) if v.size else 0.0) for v in self.frame_mm(w).values())


def crossing(times: np.ndarray, y: np.ndarray, level: float, i: int, step: int) -> float:
    """Time where ``y`` crosses ``level`` between sample i (above) and i + step (below),
    linearly interpolated; the sample's own time at the clip's ends."""
    j = i + step
    if j < 0 or j >= len(y) or y[i] == y[j]:
        return float(times[i])
    a = (y[i] - level) / (y[i] - y[j])
    return float(times[i] + a * (times[j] - times[i]))


def apex_time(times: np.ndarray, y: np.ndarray, i: int) -> float:
    """Sub-frame apex by a parabola through the peak sample and its neighbours."""
    if 0 < i < len(y) - 1:
        a, b, c = y[i - 1], y[i], y[i + 1]
        den = a - 2.0 * b + c
        if den < 0:
            off = 0.5 * (a - c) / den
            return float(times[i] + max(-1.0, min(1.0, off)) * (times[i + 1] - times[i]))
    return float(times[i])


def target_timing(L: np.ndarray, times: np.ndarray, names: List[str],
                  fraction: float = 0.05) -> List[TargetTiming]:
    """Onset, apex and offset of every active target: where its layer weight crosses
    ``fraction`` of its peak (interpolated between frames), and where it peaks."""
    out = []
    for k, name in enumerate(names):
        y = np.abs(L[:, k])
        p = float(y.max()) if len(y) else 0.0
        if p <= ACTIVE_EPS:
            continue
        above = np.nonzero(y > fraction * p)[0]
        i0, i1 = int(above[0]), int(above[-1])
        peak = int(np.argmax(y))
        out.append(TargetTiming(name, float(L[peak, k]),
                                crossing(times, y, fraction * p, i0, -1), apex_time(times, y, peak),
                                crossing(times, y, fraction * p, i1, +1)))
    return out


def measure(rig: Rig, clip: Clip, base: Optional[Clip] = None) -> Measurement:
    return Measurer(rig).measure(clip, base)
