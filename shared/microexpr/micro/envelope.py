"""Onset-apex-offset envelopes of micro-expression events (the part Unity re-evaluates).

An event rises from 0 at ``onset`` to 1 at ``apex``, holds for ``params['hold']`` seconds
(default 0), and falls back to 0 at ``offset``; rise and fall are smoothstep curves
``s(u) = u^2 (3 - 2u)`` (zero slope at both ends, never linear ramps). Asymmetry comes from the
times (a fast onset, a slower offset). Its weight is ``peak_weight * envelope``.

Events layer additively on a base (a clip or live solve) and the sum is clamped to [0, 1]:
``w_t(time) = clamp(base_t(time) + sum_e peak_e * env_e(time), 0, 1)``.
"""
from __future__ import annotations

from typing import Iterable, Sequence

import numpy as np

ENVELOPE = "smoothstep-asym"


def envelope(t, onset: float, apex: float, offset: float, hold: float = 0.0) -> np.ndarray:
    """Envelope value in [0, 1] at times ``t`` (seconds)."""
    t = np.asarray(t, dtype=np.float64)
    top = min(apex + max(hold, 0.0), offset)
    out = np.zeros_like(t)
    rise = (t > onset) & (t < apex)
    if apex > onset:
        u = (t[rise] - onset) / (apex - onset)
        out[rise] = u * u * (3.0 - 2.0 * u)
    out[(t >= apex) & (t <= top)] = 1.0
    fall = (t > top) & (t < offset)
    if offset > top:
        v = (t[fall] - top) / (offset - top)
        out[fall] = 1.0 - v * v * (3.0 - 2.0 * v)
    return out


def event_weights(events: Iterable, targets: Sequence[str], times) -> np.ndarray:
    """Summed event weights (F, T) at ``times`` for the named targets (unclamped)."""
    times = np.asarray(times, dtype=np.float64)
    index = {n: i for i, n in enumerate(targets)}
    out = np.zeros((len(times), len(targets)))
    for e in events:
        if e.target not in index:
            continue
        hold = float(e.params.get("hold", 0.0)) if e.params else 0.0
        out[:, index[e.target]] += e.peak_weight * envelope(times, e.onset, e.apex, e.offset, hold)
    return out


def layer(base: np.ndarray, events: Iterable, targets: Sequence[str], times) -> np.ndarray:
    """``base`` (F, T) plus the events, clamped to [0, 1]."""
    return np.clip(np.asarray(base, dtype=np.float64) + event_weights(events, targets, times), 0.0, 1.0)
