"""Millimetres to weights: size a micro-expression by the largest vertex displacement it causes.

The displacement at time t of vertex v is ``|sum_k w_k(t) * delta_kv|`` over every target k,
every vertex of every mesh of the rig, in millimetres (``rig.units.length`` may be mm, cm, m
or in). Event weights are smooth in time, so the peak is searched in continuous time, not
only at frames: a coarse grid over the events (plus every apex and hold end), then a fine
grid around the best local maxima. Scaling every event by ``request / peak`` then gives the
requested peak exactly, on any rig and at any frame rate.

Vertices are pruned with a bound: ``|sum_k w_k delta_kv| <= sum_k max(w_k) |delta_kv|``, so
only vertices whose bound reaches a known lower bound of the peak are evaluated; the result
is the same as evaluating them all. Targets are taken as linear (in-between frames and
combination shapes are not used for sizing).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError

UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
COARSE = 65           # coarse samples over the events' span
FINE = 21             # fine samples around each of the best local maxima
REFINE = 2            # how many local maxima are refined
PROBE_EACH = 6        # largest-moving vertices per target, evaluated first for a lower bound
_UNIT_COARSE = np.linspace(0.0, 1.0, COARSE)
_UNIT_FINE = np.linspace(0.0, 1.0, FINE)
SINGLE_THREAD_MNK = 200_000   # OpenBLAS runs gemm on one thread below m*n*k = 262,144


def mm_per_unit(rig) -> float:
    return UNIT_MM[rig.units.length]


class RigDeltas:
    """Full-weight offsets of every target in mm, over all meshes, on moved vertices only."""

    def __init__(self, rig) -> None:
        from microexpr.rig.build import dense_deltas

        self.targets = rig.target_names()
        self.index = {n: i for i, n in enumerate(self.targets)}
        scale = mm_per_unit(rig)
        blocks, mesh_of, vert_of = [], [], []
        for mi, m in enumerate(rig.meshes):
            if not any(s.mesh == m.name for t in rig.targets for s in t.shapes):
                continue
            d = dense_deltas(rig, m.name)
            moved = np.nonzero(np.abs(d).max(axis=(0, 2)) > 0)[0]
            blocks.append(d[:, moved] * scale)
            mesh_of.append(np.full(len(moved), mi))
            vert_of.append(moved)
        T = len(self.targets)
        self.deltas = (np.concatenate(blocks, axis=1) if blocks else np.zeros((T, 0, 3)))
        self.by_axis = np.ascontiguousarray(self.deltas.transpose(0, 2, 1))   # (T, 3, M)
        self.flat = self.by_axis.reshape(T, -1)                                # (T, 3M)
        self.norms = np.sqrt((self.deltas ** 2).sum(axis=2))
        self.support = [np.nonzero(n > 0)[0] for n in self.norms]         # moved vertices
        self.support_norm = [n[i] for n, i in zip(self.norms, self.support)]
        self.mesh_of = np.concatenate(mesh_of) if mesh_of else np.zeros(0, int)
        self.vertex_of = np.concatenate(vert_of) if vert_of else np.zeros(0, int)
        self.target_max = self.norms.max(axis=1) if self.norms.size else np.zeros(T)
        m = min(PROBE_EACH, self.norms.shape[1])
        self.top_vertices = (np.argsort(-self.norms, axis=1)[:, :m] if m
                             else np.zeros((T, 0), int))           # probes per target


def envelopes(t, onset, apex, top, offset) -> np.ndarray:
    """(S, E) envelope values, the same formula as ``microexpr.micro.envelope.envelope`` (bit for
    bit) for many events at once; ``top`` is the end of the hold. Needs onset < apex and
    top < offset (``smooth_ok``)."""
    ev = np.array([onset, apex, top, offset], dtype=np.float64).reshape(4, 1, -1)
    return _env(np.asarray(t, dtype=np.float64).reshape(-1, 1), ev)


def _env(t: np.ndarray, ev: np.ndarray) -> np.ndarray:
    """``envelopes`` for a column of times (S, 1) and events ev (4, 1, E)."""
    onset, apex, top, offset = ev
    u = np.clip((t - onset) / (apex - onset), 0.0, 1.0)
    v = np.clip((t - top) / (offset - top), 0.0, 1.0)
    return np.where(t <= top, u * u * (3.0 - 2.0 * u), 1.0 - v * v * (3.0 - 2.0 * v))


def smooth_ok(onset, apex, top, offset) -> bool:
    """True when ``envelopes`` applies (every event rises and falls over a nonzero time)."""
    return bool(np.all(np.asarray(apex) > np.asarray(onset))
                and np.all(np.asarray(offset) > np.asarray(top)))


@dataclass
class Peak:
    mm: float                  # largest displacement
    time: float                # when (seconds)
    vertex: int                # index into RigDeltas (mesh_of / vertex_of)
    max_weight: np.ndarray     # (k,) largest summed weight of each active target
    active: np.ndarray         # (k,) rig target indices
    frame_mm: Optional[float] = None     # largest displacement at the given frame times
    frame_time: Optional[float] = None


def _gather(rd: RigDeltas, active: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """(k, 3V) offsets of ``verts`` for the ``active`` targets, x then y then z."""
    M = rd.norms.shape[1]
    return rd.flat[np.ix_(active, np.concatenate([verts, verts + M, verts + 2 * M]))]


def small_matmul(A: np.ndarray, B: np.ndarray) -> np.ndarray:
    """``A @ B`` in pieces small enough that BLAS runs each on one thread: the products here
    are tiny, and a multi-threaded BLAS call costs more in hand-over than it saves (much more
    on a busy machine). Same result as ``A @ B``."""
    n = B.shape[1]
    cols = max(1, SINGLE_THREAD_MNK // max(1, A.shape[0] * A.shape[1]))
    if n <= cols:
        return A @ B
    out = np.empty((A.shape[0], n))
    for a in range(0, n, cols):
        out[:, a:a + cols] = A @ B[:, a:a + cols]
    return out


def _mag2(W: np.ndarray, D: np.ndarray) -> np.ndarray:
    """Squared displacement (S, V) for weights W (S, k) and gathered offsets D (k, 3V)."""
    X = small_matmul(W, D)
    X *= X
    X = X.reshape(len(W), 3, -1)
    return X[:, 0] + X[:, 1] + X[:, 2]


class _Pruned:
    """Vertices ranked by the bound ``sum_k max(w_k) |delta_kv|`` (valid for every sample
    whose weights stay below ``wmax``); evaluates only those that can reach the peak.

    The first call finds a lower bound from a few large-moving vertices and keeps every
    vertex whose bound reaches it; later calls reuse that set while it is provably enough
    (their own maximum, or the ``low`` they are given, is at least its threshold)."""

    def __init__(self, rd: RigDeltas, active: np.ndarray, wmax: np.ndarray) -> None:
        self.rd, self.active = rd, active
        idx = [rd.support[k] for k in active]
        w = np.repeat(wmax, [len(i) for i in idx]) * np.concatenate([rd.support_norm[k] for k in active])
        self.bound = np.bincount(np.concatenate(idx), w, minlength=rd.norms.shape[1])
        self.low = np.inf                    # threshold of the cached candidate set
        self.cand: Optional[np.ndarray] = None
        self.D = np.zeros((len(active), 0))

    def _select(self, low: float) -> np.ndarray:
        """Keep the vertices whose bound reaches ``low``; returns them."""
        cand = np.nonzero(self.bound >= low * (1.0 - 1e-12))[0]
        self.cand, self.D, self.low = cand, _gather(self.rd, self.active, cand), low
        return cand

    def max(self, W: np.ndarray, low: Optional[float] = None) -> Tuple[float, int, int, np.ndarray]:
        """(mm, sample, vertex, per-sample max over the evaluated vertices) for W (S, k);
        ``low``: a known lower bound of the answer."""
        if len(W) == 0 or self.bound.size == 0:
            return 0.0, 0, 0, np.zeros(len(W))
        cand = self.cand
        if cand is None:
            probe = np.unique(self.rd.top_vertices[self.active])
            found = float(np.sqrt(_mag2(W, _gather(self.rd, self.active, probe)).max()))
            cand = self._select(max(found, low or 0.0))
        elif low is not None and low < self.low:
            cand = self._select(low)
        mag = _mag2(W, self.D) if len(cand) else np.zeros((len(W), 1))
        if low is None and mag.size and float(np.sqrt(mag.max())) < self.low:
            cand = self._select(float(np.sqrt(mag.max())))      # this W peaks lower: widen the set
            mag = _mag2(W, self.D)
        if not len(cand):
            return 0.0, 0, 0, np.zeros(len(W))
        s, c = np.unravel_index(int(np.argmax(mag)), mag.shape)
        return float(np.sqrt(mag[s, c])), int(s), int(cand[c]), np.sqrt(mag.max(axis=1))


def max_displacement(rd: RigDeltas, active: np.ndarray, W: np.ndarray) -> Tuple[float, int, int]:
    """Largest |displacement| (mm), its sample and vertex, over samples W (S, k) of the
    ``active`` targets (exact: pruning only skips vertices that cannot reach it)."""
    if len(W) == 0:
        return 0.0, 0, 0
    mm, s, v, _ = _Pruned(rd, active, np.abs(W).max(axis=0)).max(W)
    return mm, s, v


def event_peak(rd: RigDeltas, target_idx: Sequence[int], peaks: Sequence[float],
               onset, apex, top, offset, frames: Optional[np.ndarray] = None) -> Peak:
    """Continuous-time peak displacement of events (arrays, one entry per event); with
    ``frames`` (times) also the largest displacement at those frames."""
    idx = np.asarray(target_idx, dtype=np.int64)
    active, col = np.unique(idx, return_inverse=True)
    P = np.zeros((len(idx), len(active)))
    P[np.arange(len(idx)), col] = np.asarray(peaks, dtype=np.float64)
    ev = np.array([onset, apex, top, offset], dtype=np.float64).reshape(4, 1, -1)
    lo, hi = float(ev[0].min()), float(ev[3].max())
    grid = np.sort(np.concatenate([lo + (hi - lo) * _UNIT_COARSE, ev[1, 0], ev[2, 0]]))
    W1 = _env(grid[:, None], ev) @ P
    pruned = _Pruned(rd, active, P.sum(axis=0))         # events never exceed their peaks
    mm, s, v, curve = pruned.max(W1)
    best = (mm, float(grid[s]), v)
    # fine grids around the best local maxima of the sampled curve
    inner = (curve >= np.r_[-1.0, curve[:-1]]) & (curve >= np.r_[curve[1:], -1.0])
    tops = np.nonzero(inner)[0]
    tops = tops[np.argsort(-curve[tops])][:REFINE]
    wmax = W1.max(axis=0)
    if len(tops):
        a = grid[np.maximum(tops - 1, 0)]
        b = grid[np.minimum(tops + 1, len(grid) - 1)]
        grid2 = (a[:, None] + (b - a)[:, None] * _UNIT_FINE).ravel()
        W2 = _env(grid2[:, None], ev) @ P
        mm2, s2, v2, _ = pruned.max(W2, low=mm)
        wmax = np.maximum(wmax, W2.max(axis=0))
        if mm2 > mm:
            best = (mm2, float(grid2[s2]), v2)
    peak = Peak(best[0], best[1], best[2], wmax, active)
    if frames is not None:
        f = np.asarray(frames, dtype=np.float64)
        f = f[(f > lo) & (f < hi)]
        if len(f):
            fm, fs, _, _ = pruned.max(_env(f[:, None], ev) @ P)
            peak.frame_mm, peak.frame_time = fm, float(f[fs])
        else:
            peak.frame_mm, peak.frame_time = 0.0, lo
    return peak


def frame_peak(rd: RigDeltas, weights: np.ndarray, times: np.ndarray) -> Tuple[float, float]:
    """Largest displacement (mm) and its time over sampled weights (F, T) of all targets."""
    w = np.asarray(weights, dtype=np.float64)
    active = np.nonzero(np.abs(w).max(axis=0) > 0)[0]
    if not len(active):
        return 0.0, float(times[0]) if len(times) else 0.0
    mm, s, _ = max_displacement(rd, active, w[:, active])
    return mm, float(times[s])


def scale_for(peak: Peak, request_mm: float, rig_name: str = "the rig") -> float:
    """The factor that makes ``peak`` equal ``request_mm``; refuses what weights <= 1 cannot do."""
    if not request_mm > 0:
        raise MicroExprError("the peak must be positive, got %g mm" % request_mm,
                             field="--peak-mm", fix="e.g. --peak-mm 1.0 (micro-expressions move 0.5-2 mm)")
    if peak.mm <= 0:
        raise MicroExprError("the requested AUs move no vertex of %s" % rig_name,
                             field="--aus", fix="pick AUs this rig can express (--coverage)")
    s = request_mm / peak.mm
    top = float(peak.max_weight.max()) if peak.max_weight.size else 0.0
    if s * top > 1.0 + 1e-9:
        reach = peak.mm / top
        raise MicroExprError("%s cannot reach %.3g mm with these AUs: a target would need "
                             "weight %.2f (> 1); the most it can do is %.3g mm"
                             % (rig_name, request_mm, s * top, reach), field="--peak-mm",
                             fix="ask for at most %.3g mm, give the AUs other intensities, or "
                                 "use a rig with larger targets" % reach)
    return s


def reachable_mm(peak: Peak) -> float:
    top = float(peak.max_weight.max()) if peak.max_weight.size else 0.0
    return peak.mm / top if top > 0 else 0.0


def check_units(rig, where: Optional[str] = None) -> None:
    if rig.units.length not in UNIT_MM:
        raise MicroExprError("unknown length unit %r" % rig.units.length, file=where,
                             field="units.length", fix="use mm, cm, m or in")
