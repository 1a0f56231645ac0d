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

from ..errors import MicroExprError

UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
COARSE = 129          # coarse samples over the events' span
FINE = 41             # fine samples around each of the best local maxima
REFINE = 3            # how many local maxima are refined
PROBE = 24            # vertices evaluated first to get a lower bound


def mm_per_unit(rig) -> float:
    return UNIT_MM[rig.units.length]


class RigDeltas:
    """Full-weight offsets of every target in mm, over all meshes, on moved vertices only."""

    def __init__(self, rig) -> None:
        from ..rig import dense_deltas

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
        self.norms = np.sqrt((self.deltas ** 2).sum(axis=2))
        self.mesh_of = np.concatenate(mesh_of) if mesh_of else np.zeros(0, int)
        self.vertex_of = np.concatenate(vert_of) if vert_of else np.zeros(0, int)
        self.target_max = self.norms.max(axis=1) if self.norms.size else np.zeros(T)


def envelopes(t, onset, apex, top, offset) -> np.ndarray:
    """(S, E) envelope values, the same formula as ``microexpr.envelope.envelope`` but for
    many events at once (``top`` = end of the hold)."""
    t = np.asarray(t, dtype=np.float64)[:, None]
    onset, apex, top, offset = (np.asarray(a, dtype=np.float64)[None, :]
                                for a in (onset, apex, top, offset))
    with np.errstate(divide="ignore", invalid="ignore"):
        u = (t - onset) / (apex - onset)
        v = (t - top) / (offset - top)
    out = np.zeros(np.broadcast(t, onset).shape)
    rise = (t > onset) & (t < apex)
    out = np.where(rise, u * u * (3.0 - 2.0 * u), out)
    out = np.where((t >= apex) & (t <= top), 1.0, out)
    fall = (t > top) & (t < offset)
    return np.where(fall, 1.0 - v * v * (3.0 - 2.0 * v), out)


@dataclass
class Peak:
    mm: float                  # largest displacement
    time: float                # when (seconds)
    vertex: int                # index into RigDeltas (mesh_of / vertex_of)
    max_weight: np.ndarray     # (k,) largest summed weight of each active target
    active: np.ndarray         # (k,) rig target indices


def max_displacement(rd: RigDeltas, active: np.ndarray, W: np.ndarray
                     ) -> Tuple[float, int, int, np.ndarray, np.ndarray]:
    """Largest |displacement| (mm) over samples W (S, k) of the ``active`` targets.

    Returns (mm, sample, vertex, per-sample maximum over candidate vertices, candidates).
    Exact: every vertex that could exceed the probe's lower bound is evaluated."""
    if W.size == 0 or rd.norms.shape[1] == 0:
        return 0.0, 0, 0, np.zeros(len(W)), np.zeros(0, int)
    bound = np.abs(W).max(axis=0) @ rd.norms[active]                  # (M,)
    m = min(PROBE, bound.size)
    probe = np.argpartition(-bound, m - 1)[:m]
    low = float(np.sqrt(_eval(rd, active, W, probe).max()))
    cand = np.nonzero(bound >= low * (1.0 - 1e-12))[0]
    mag = _eval(rd, active, W, cand)                                   # (S, C)
    s, c = np.unravel_index(int(np.argmax(mag)), mag.shape)
    return float(np.sqrt(mag[s, c])), int(s), int(cand[c]), np.sqrt(mag.max(axis=1)), cand


def _eval(rd: RigDeltas, active: np.ndarray, W: np.ndarray, verts: np.ndarray) -> np.ndarray:
    """Squared displacement (S, V) of ``verts``."""
    D = rd.deltas[np.ix_(active, verts)]                                # (k, V, 3)
    X = W @ D.reshape(len(active), -1)
    X = X.reshape(len(W), len(verts), 3)
    return np.einsum("svc,svc->sv", X, X)


def event_peak(rd: RigDeltas, target_idx: Sequence[int], peaks: Sequence[float],
               onset, apex, top, offset) -> Peak:
    """Continuous-time peak displacement of events (arrays, one entry per event)."""
    target_idx = np.asarray(target_idx, dtype=np.int64)
    active, col = np.unique(target_idx, return_inverse=True)
    P = np.zeros((len(target_idx), len(active)))
    P[np.arange(len(target_idx)), col] = np.asarray(peaks, dtype=np.float64)
    onset, apex, top, offset = (np.asarray(a, dtype=np.float64) for a in (onset, apex, top, offset))
    lo, hi = float(onset.min()), float(offset.max())
    grid = np.unique(np.concatenate([np.linspace(lo, hi, COARSE), apex, np.minimum(top, offset)]))
    W1 = envelopes(grid, onset, apex, top, offset) @ P
    mm, s, v, curve, _ = max_displacement(rd, active, W1)
    # fine grids around the best local maxima of the sampled curve
    inner = (curve >= np.r_[-1.0, curve[:-1]]) & (curve >= np.r_[curve[1:], -1.0])
    tops = np.nonzero(inner)[0]
    tops = tops[np.argsort(-curve[tops])][:REFINE]
    fine = [np.linspace(grid[max(i - 1, 0)], grid[min(i + 1, len(grid) - 1)], FINE) for i in tops]
    grid2 = np.concatenate(fine) if fine else grid[:0]
    W2 = envelopes(grid2, onset, apex, top, offset) @ P
    mm2, s2, v2, _, _ = max_displacement(rd, active, W2)
    wmax = np.maximum(W1.max(axis=0), W2.max(axis=0) if len(W2) else 0.0)
    if mm2 > mm:
        return Peak(mm2, float(grid2[s2]), v2, wmax, active)
    return Peak(mm, float(grid[s]), v, wmax, active)


def frame_peak(rd: RigDeltas, weights: np.ndarray, times: np.ndarray) -> Tuple[float, float]:
    """Largest displacement (mm) and its time over sampled weights (F, T) of all targets."""
    w = np.asarray(weights, dtype=np.float64)
    active = np.nonzero(np.abs(w).max(axis=0) > 0)[0]
    if not len(active):
        return 0.0, float(times[0]) if len(times) else 0.0
    mm, s, _, _, _ = max_displacement(rd, active, w[:, active])
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
