"""When each AU of a micro-expression starts, peaks and ends.

The whole micro-expression lasts ``span`` seconds (first onset to last offset), drawn around
``typical`` (log-normal, 30 % spread) and kept within ``[min_span, max_span]`` (default
40-500 ms, typical 200 ms). Inside it each AU has its own timing:

* it starts late by up to 35 % of the span (AUs start asynchronously; one leads at 0);
* it rises in 22-38 % of its own duration, may hold up to 12 %, and falls in the rest,
  so the offset is always slower than the onset (smoothstep curves, ``microexpr.micro.envelope``);
* with probability ``stop_short`` (30 %) it stops short of its apex: it reaches only
  45-85 % of its planned peak, sooner;
* of two opposing AUs acting together (``facs.OPPOSING``, e.g. 12 and 15) the later one
  damps the earlier to 50-80 % and cuts its hold.

Every choice comes from the given random generator, in a fixed order, so the same seed gives
the same timing at any frame rate and on any rig.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, List, Optional, Sequence

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.micro import facs
from microexpr.micro.facs import AURequest


@dataclass(frozen=True)
class TimingBounds:
    """Span of a micro-expression in seconds."""

    min_span: float = 0.04
    max_span: float = 0.5
    typical: float = 0.2
    stop_short: float = 0.3

    def checked(self) -> "TimingBounds":
        if not 0.0 < self.min_span <= self.max_span:
            raise MicroExprError("need 0 < min span <= max span, got %g-%g ms"
                                 % (self.min_span * 1e3, self.max_span * 1e3),
                                 field="--min-span-ms/--max-span-ms", fix="e.g. 40 and 500")
        if self.max_span > 5.0:
            raise MicroExprError("a span of %g s is not a micro-expression" % self.max_span,
                                 field="--max-span-ms", fix="keep it under 5000 ms (default 500)")
        if not 0.0 <= self.stop_short <= 1.0:
            raise MicroExprError("stop-short probability must be 0-1", field="stop_short",
                                 fix="e.g. 0.3")
        typical = min(max(self.typical, self.min_span), self.max_span)
        if typical != self.typical:
            return TimingBounds(self.min_span, self.max_span, typical, self.stop_short)
        return self


@dataclass
class AUTiming:
    """Times relative to the micro-expression's start; ``reached`` and ``damping`` scale
    the AU's peak."""

    onset: float
    apex: float
    hold: float
    offset: float
    reached: float = 1.0
    damping: float = 1.0
    damped_by: Optional[str] = None

    @property
    def rise(self) -> float:
        return self.apex - self.onset

    @property
    def fall(self) -> float:
        return self.offset - self.apex - self.hold


def draw_span(rng: np.random.Generator, bounds: TimingBounds) -> float:
    s = bounds.typical * float(np.exp(0.3 * rng.standard_normal()))
    return min(max(s, bounds.min_span), bounds.max_span)


def draw_timing(rng: np.random.Generator, reqs: Sequence[AURequest],
                bounds: Optional[TimingBounds] = None) -> List[AUTiming]:
    """One AUTiming per request, in request order (see the module doc for the rules)."""
    bounds = bounds or TimingBounds()
    n = len(reqs)
    if n == 0:
        return []
    span = draw_span(rng, bounds)
    u = rng.random((n, 6))                       # every draw at once: order fixed
    lead = int(rng.integers(n))
    delay = 0.35 * u[:, 0]
    delay[lead] = 0.0
    end = np.maximum(1.0 - 0.25 * u[:, 1], delay + 0.3)
    scale = span / float(end.max())
    delay, end = delay * scale, end * scale
    out = []
    for i in range(n):
        dur = end[i] - delay[i]
        rise = dur * (0.22 + 0.16 * u[i, 2])
        hold = dur * 0.12 * u[i, 3]
        reached = 1.0
        if u[i, 4] < bounds.stop_short:
            reached = 0.45 + 0.4 * u[i, 5]
            rise *= 0.5 + 0.5 * reached
        out.append(AUTiming(delay[i], delay[i] + rise, hold, end[i], reached))
    _damp(rng, reqs, out)
    return out


def _damp(rng: np.random.Generator, reqs: Sequence[AURequest], times: List[AUTiming]) -> None:
    where: Dict[str, List[int]] = {}
    for i, r in enumerate(reqs):
        where.setdefault(r.au, []).append(i)
    for a, b in facs.OPPOSING:
        for i in where.get(a, ()):
            for j in where.get(b, ()):
                if not set(reqs[i].sides()) & set(reqs[j].sides()):
                    continue
                k, by = (i, j) if times[i].onset <= times[j].onset else (j, i)
                times[k].damping = min(times[k].damping, 0.5 + 0.3 * float(rng.random()))
                times[k].damped_by = reqs[by].label
                times[k].hold = 0.0


def span_of(timings: Sequence[AUTiming]) -> float:
    return max(t.offset for t in timings) - min(t.onset for t in timings)
