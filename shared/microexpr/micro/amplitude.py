"""Millimetres to weights: size a micro-expression by the largest vertex displacement it causes.

The displacement at time t of vertex v is ``|sum_k w_k(t) * delta_kv|`` over every target k,
every vertex of every mesh of the rig, in millimetres (``rig.units.length`` may be mm, cm, m
or in). Event weights are smooth in time, so the peak is searched in continuous time, not
only at frames: a coarse grid over the events (plus every apex and hold end), then a fine
grid around the best local maxima. Scaling every event by ``request / peak`` then gives the
requested peak exactly, on any rig and at any frame rate.

In-betweens and combinations are followed: the offsets are the rig's columns
(``rig_deltas.RigDeltas``: one per segment of a target or a combination) at their column
weights, so displacement stays a matrix product. Such a rig's peak is not proportional to the
events' scale, so ``scale_for`` searches the scale (a few more peak evaluations).

Vertices are pruned with a bound: ``|sum_k w_k delta_kv| <= sum_k max(w_k) |delta_kv|`` over
columns, so only vertices whose bound reaches a known lower bound of the peak are evaluated;
the result is the same as evaluating them all.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.micro.rig_deltas import UNIT_MM, RigDeltas  # noqa: F401 (RigDeltas: public here)

COARSE = 65           # coarse samples over the events' span
FINE = 21             # fine samples around each of the best local maxima
REFINE = 2            # how many local maxima are refined
_UNIT_COARSE = np.linspace(0.0, 1.0, COARSE)
_UNIT_FINE = np.linspace(0.0, 1.0, FINE)
SINGLE_THREAD_MNK = 200_000   # OpenBLAS runs gemm on one thread below m*n*k = 262,144


def mm_per_unit(rig) -> float:
    return UNIT_MM[rig.units.length]


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
    """The largest displacement of sized events, per unit of their scale: at scale s the
    peak is ``mm * s`` (exactly so on a linear rig; ``scale_for`` measures a rig with
    in-betweens or combinations again at the scale it returns and stores that)."""

    mm: float                  # largest displacement
    time: float                # when (seconds)
    vertex: int                # index into RigDeltas (mesh_of / vertex_of)
    max_weight: np.ndarray     # (k,) largest summed weight of each active target
    active: np.ndarray         # (k,) rig target indices
    frame_mm: Optional[float] = None     # largest displacement at the given frame times
    frame_time: Optional[float] = None
    again: Optional[Callable[[float], "Peak"]] = None   # the peak at another scale (non-linear rigs)
    reach: Optional[float] = None        # mm at the scale that takes the largest weight to 1


def _gather(rd: RigDeltas, active: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """(k, 3V) offsets of ``verts`` for the ``active`` columns, x then y then z."""
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
    ``active`` targets (ascending; exact: pruning only skips vertices that cannot reach it)."""
    if len(W) == 0:
        return 0.0, 0, 0
    return _max_columns(rd, rd.columns_of(active), rd.expand(W, active))


def _max_columns(rd: RigDeltas, cols: np.ndarray, Wc: np.ndarray) -> Tuple[float, int, int]:
    mm, s, v, _ = _Pruned(rd, cols, np.abs(Wc).max(axis=0)).max(Wc)
    return mm, s, v


def event_peak(rd: RigDeltas, target_idx: Sequence[int], peaks: Sequence[float],
               onset, apex, top, offset, frames: Optional[np.ndarray] = None) -> Peak:
    """Continuous-time peak displacement of events (arrays, one entry per event); with
    ``frames`` (times) also the largest displacement at those frames. In-betweens and
    combinations of the rig are followed (``RigDeltas.expand``)."""
    idx = np.asarray(target_idx, dtype=np.int64)
    active, col = np.unique(idx, return_inverse=True)
    P = np.zeros((len(idx), len(active)))
    P[np.arange(len(idx)), col] = np.asarray(peaks, dtype=np.float64)
    ev = np.array([onset, apex, top, offset], dtype=np.float64).reshape(4, 1, -1)
    lo, hi = float(ev[0].min()), float(ev[3].max())
    grid = np.sort(np.concatenate([lo + (hi - lo) * _UNIT_COARSE, ev[1, 0], ev[2, 0]]))
    W1 = _env(grid[:, None], ev) @ P
    cols = rd.columns_of(active)
    # events never exceed their peaks, and column weights grow with target weights
    pruned = _Pruned(rd, cols, rd.expand(P.sum(axis=0)[None], active)[0])
    mm, s, v, curve = pruned.max(rd.expand(W1, active))
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
        mm2, s2, v2, _ = pruned.max(rd.expand(W2, active), low=mm)
        wmax = np.maximum(wmax, W2.max(axis=0))
        if mm2 > mm:
            best = (mm2, float(grid2[s2]), v2)
    peak = Peak(best[0], best[1], best[2], wmax, active)
    if frames is not None:
        f = np.asarray(frames, dtype=np.float64)
        f = f[(f > lo) & (f < hi)]
        if len(f):
            fm, fs, _, _ = pruned.max(rd.expand(_env(f[:, None], ev) @ P, active))
            peak.frame_mm, peak.frame_time = fm, float(f[fs])
        else:
            peak.frame_mm, peak.frame_time = 0.0, lo
    if not rd.linear:
        peak.again = lambda k: event_peak(rd, idx.tolist(), (k * P[np.arange(len(idx)), col]).tolist(),
                                          onset, apex, top, offset, frames)
    return peak


def frame_peak(rd: RigDeltas, weights: np.ndarray, times: np.ndarray,
               base: Optional[np.ndarray] = None) -> Tuple[float, float]:
    """Largest displacement (mm) and its time over sampled weights (F, T) of all targets; with
    ``base`` (F, T), of ``weights`` against ``base`` (the shapes' offsets of the one minus
    those of the other: on a rig with in-betweens or combinations this differs from the
    displacement of ``weights - base``)."""
    w = np.asarray(weights, dtype=np.float64)
    moving = np.abs(w).max(axis=0) > 0
    if base is not None:
        base = np.asarray(base, dtype=np.float64)
        moving |= np.abs(base).max(axis=0) > 0
    active = np.nonzero(moving)[0]
    if not len(active):
        return 0.0, float(times[0]) if len(times) else 0.0
    Wc = rd.expand(w[:, active], active)
    if base is not None:
        Wc = Wc - rd.expand(base[:, active], active)
    mm, s, _ = _max_columns(rd, rd.columns_of(active), Wc)
    return mm, float(times[s])


def scale_for(peak: Peak, request_mm: float, rig_name: str = "the rig") -> float:
    """The factor that makes ``peak`` equal ``request_mm``; refuses what weights <= 1 cannot do.

    On a rig with in-betweens or combinations among the events' shapes the peak is not
    proportional to the scale: the scale is found by bracketed secant steps on the peak
    measured again (``Peak.again``), and ``peak`` is updated to the values at that scale,
    per unit of scale (``mm * scale`` is then the requested peak)."""
    if not request_mm > 0:
        raise MicroExprError("the peak must be positive, got %g mm" % request_mm,
                             field="--peak-mm", fix="e.g. --peak-mm 1.0 (micro-expressions move 0.5-2 mm)")
    if peak.mm <= 0:
        raise MicroExprError("the requested AUs move no vertex of %s" % rig_name,
                             field="--aus", fix="pick AUs this rig can express (--coverage)")
    s = request_mm / peak.mm
    top = float(peak.max_weight.max()) if peak.max_weight.size else 0.0
    if peak.again is not None and top > 0:
        peak.reach = peak.again(1.0 / top).mm
        if request_mm > peak.reach * (1.0 + 1e-9):
            raise _unreachable(rig_name, request_mm, peak.reach, None)
        return _solve_scale(peak, request_mm, 1.0 / top)
    if s * top > 1.0 + 1e-9:
        raise _unreachable(rig_name, request_mm, peak.mm / top, s * top)
    return s


def _unreachable(rig_name: str, request_mm: float, reach: float, weight: Optional[float]) -> MicroExprError:
    need = "a target would need weight %.2f (> 1)" % weight if weight is not None else \
        "it would need a target above weight 1"
    return MicroExprError("%s cannot reach %.3g mm with these AUs: %s; the most it can do is "
                          "%.3g mm" % (rig_name, request_mm, need, reach), field="--peak-mm",
                          fix="ask for at most %.3g mm, give the AUs other intensities, or "
                              "use a rig with larger targets" % reach)


#: Relative tolerance of the requested peak on a rig with in-betweens or combinations.
SCALE_TOL = 1e-9


def _solve_scale(peak: Peak, request_mm: float, most: float) -> float:
    """The scale in (0, most] whose peak is ``request_mm`` (the peak at ``most`` reaches it):
    secant steps kept inside a bracket, bisection when a step leaves it."""
    assert peak.again is not None
    lo, f_lo = 0.0, -request_mm
    hi, f_hi = most, peak.reach - request_mm if peak.reach is not None else 0.0
    s = min(request_mm / peak.mm, most)
    at = peak
    for _ in range(60):
        at = peak.again(s)
        f = at.mm - request_mm
        if abs(f) <= SCALE_TOL * request_mm:
            break
        if f < 0:
            lo, f_lo = s, f
        else:
            hi, f_hi = s, f
        s = lo - f_lo * (hi - lo) / (f_hi - f_lo)
        if not lo < s < hi:
            s = 0.5 * (lo + hi)
    peak.mm, peak.time, peak.vertex = at.mm / s, at.time, at.vertex
    if at.frame_mm is not None:
        peak.frame_mm, peak.frame_time = at.frame_mm / s, at.frame_time
    peak.max_weight = at.max_weight / s
    return s


def reachable_mm(peak: Peak) -> float:
    """The largest peak these events can reach before a weight passes 1."""
    if peak.reach is not None:
        return peak.reach
    top = float(peak.max_weight.max()) if peak.max_weight.size else 0.0
    return peak.mm / top if top > 0 else 0.0


def check_units(rig, where: Optional[str] = None) -> None:
    if rig.units.length not in UNIT_MM:
        raise MicroExprError("unknown length unit %r" % rig.units.length, file=where,
                             field="units.length", fix="use mm, cm, m or in")
