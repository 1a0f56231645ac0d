"""The review's pass/fail checks, each with a reason an artist can act on.

* **subtle** - the largest displacement anywhere stays below ``ceiling_mm`` (2 mm).
* **readable** - some expressive region (brows, eyes, nose, cheeks, mouth corners, lips, jaw)
  moves at least ``floor_mm`` (0.3 mm): enough to be read at a glance.
* **timing** - each burst of motion (where the face moves more than ``threshold`` of its
  peak) lasts ``min_span``-``max_span`` (40-500 ms, give or take one frame: the clip only
  shows whole frames) and stays above half its peak for at least ``min_visible`` (1/60 s):
  long enough to be seen.
* **restraint** - no expressive region goes beyond its own ceiling (``region_ceilings``:
  eyes and nose 1.5 mm, the rest ``ceiling_mm``).
* **identity** - rigid regions (forehead, nose bridge, temples) drift less than
  ``rigid_mm`` (0.1 mm), and the first and last frames are back on the reference (the
  neutral, or the base clip's own frames) within ``end_mm``.
* **plausible** - no contradictory AUs are active together (``micro.plausibility``).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.review.measure import Measurement, crossing
from microexpr.review.regions import EXPRESSIVE, RIGID

SIGNIFICANT = 0.25            # bursts below this fraction of the peak are ignored


@dataclass
class Limits:
    ceiling_mm: float = 2.0
    floor_mm: float = 0.3
    region_ceilings: Dict[str, float] = field(default_factory=lambda: {"eyes": 1.5, "nose": 1.5})
    rigid_mm: float = 0.1
    end_mm: float = 0.05
    min_span: float = 0.04
    max_span: float = 0.5
    min_visible: float = 1.0 / 60.0
    threshold: float = 0.01

    def checked(self) -> "Limits":
        for name in ("ceiling_mm", "floor_mm", "rigid_mm", "end_mm", "min_span", "max_span"):
            v = getattr(self, name)
            if not (isinstance(v, (int, float)) and v > 0 and np.isfinite(v)):
                raise MicroExprError("%s must be a positive number, got %r" % (name, v),
                                     field=name, fix="see microexpr review --help")
        if self.floor_mm >= self.ceiling_mm:
            raise MicroExprError("the readable floor (%g mm) must be below the subtle ceiling "
                                 "(%g mm)" % (self.floor_mm, self.ceiling_mm), field="--floor-mm",
                                 fix="e.g. --floor-mm 0.3 --ceiling-mm 2")
        if self.min_span > self.max_span:
            raise MicroExprError("min span is above max span", field="--min-span-ms",
                                 fix="e.g. 40 and 500 ms")
        return self

    def region_ceiling(self, region: str) -> float:
        return float(self.region_ceilings.get(region, self.ceiling_mm))


@dataclass
class Check:
    name: str
    passed: bool
    reason: str

    def to_dict(self) -> dict:
        return {"name": self.name, "passed": self.passed, "reason": self.reason}


@dataclass
class Burst:
    start: float
    end: float
    peak_mm: float
    peak_time: float
    visible: float           # time above half its peak

    @property
    def span(self) -> float:
        return self.end - self.start


def bursts(times: np.ndarray, curve: np.ndarray, threshold: float) -> List[Burst]:
    """Runs of frames where ``curve`` exceeds ``threshold`` x its peak, with sub-frame ends."""
    peak = float(curve.max()) if len(curve) else 0.0
    if peak <= 0:
        return []
    level = threshold * peak
    above = curve > level
    out = []
    edges = np.flatnonzero(np.diff(np.r_[0, above.astype(np.int8), 0]))
    for a, b in zip(edges[::2], edges[1::2] - 1):
        seg = curve[a:b + 1]
        p = int(np.argmax(seg)) + a
        half = 0.5 * curve[p]
        h = np.nonzero(curve[a:b + 1] >= half)[0] + a
        vis = crossing(times, curve, half, int(h[-1]), 1) - crossing(times, curve, half, int(h[0]), -1)
        out.append(Burst(crossing(times, curve, level, int(a), -1),
                         crossing(times, curve, level, int(b), 1), float(curve[p]),
                         float(times[p]), vis))
    return [x for x in out if x.peak_mm >= SIGNIFICANT * peak]


def _mm(x: float) -> str:
    return "%.2f mm" % x


def run_checks(m: Measurement, limits: Limits, fps: float,
               violations: Sequence[str] = ()) -> Tuple[List[Check], List[Burst]]:
    names = list(m.regions.names)
    peaks = {n: m.region_peak(n) for n in names + ["other"]}
    kinds = m.regions.kinds
    total = float(m.curve.max()) if len(m.curve) else 0.0
    where = max(peaks, key=lambda n: peaks[n][0]) if total > 0 else "-"
    t_at = float(m.times[m.apex_frame]) if len(m.times) else 0.0
    checks = []
    # subtle
    ok = total < limits.ceiling_mm
    checks.append(Check("subtle", ok, "the largest motion is %s (%s, %.3f s), %s the %s ceiling"
                        % (_mm(total), where, t_at, "below" if ok else "ABOVE",
                           _mm(limits.ceiling_mm))))
    # readable
    expr = [n for n in names if kinds[n] == EXPRESSIVE]
    best = max(expr, key=lambda n: peaks[n][0])
    ok = peaks[best][0] >= limits.floor_mm
    checks.append(Check("readable", ok, "%s move %s, %s the %s floor%s"
                        % (best, _mm(peaks[best][0]), "above" if ok else "below",
                           _mm(limits.floor_mm), "" if ok else ": too faint to read")))
    # timing
    found = bursts(m.times, m.curve, limits.threshold)
    frame = 1.0 / fps
    if not found:
        checks.append(Check("timing", False, "nothing moves"))
    else:
        bad = []
        for b in found:
            if b.span < limits.min_span - frame:
                bad.append("%.0f ms at %.3f s is shorter than %.0f ms"
                           % (b.span * 1e3, b.start, limits.min_span * 1e3))
            elif b.span > limits.max_span + frame:
                bad.append("%.0f ms at %.3f s is longer than %.0f ms (not a micro-expression)"
                           % (b.span * 1e3, b.start, limits.max_span * 1e3))
            if b.visible < limits.min_visible:
                bad.append("at %.3f s it shows for only %.1f ms above half its peak (< %.1f ms)"
                           % (b.start, b.visible * 1e3, limits.min_visible * 1e3))
        spans = ", ".join("%.0f ms (%.3f-%.3f s)" % (b.span * 1e3, b.start, b.end) for b in found)
        checks.append(Check("timing", not bad, ("; ".join(bad) if bad else
                                                "lasts %s, within %.0f-%.0f ms, visible %.0f ms"
                                                % (spans, limits.min_span * 1e3,
                                                   limits.max_span * 1e3,
                                                   min(b.visible for b in found) * 1e3))))
    # restraint
    over = ["%s %s > %s" % (n, _mm(peaks[n][0]), _mm(limits.region_ceiling(n)))
            for n in expr if peaks[n][0] > limits.region_ceiling(n)]
    checks.append(Check("restraint", not over, "; ".join(over) if over else
                        "every region stays within its ceiling"))
    # identity
    rigid = [n for n in names if kinds[n] == RIGID]
    drift = max(((peaks[n][0], n) for n in rigid), default=(0.0, "-"))
    probs = []
    if drift[0] >= limits.rigid_mm:
        probs.append("%s drifts %s (limit %s)" % (drift[1], _mm(drift[0]), _mm(limits.rigid_mm)))
    for label, v in (("first", m.end_mm[0]), ("last", m.end_mm[1])):
        if v >= limits.end_mm:
            probs.append("the %s frame is %s off the reference" % (label, _mm(v)))
    checks.append(Check("identity", not probs, "; ".join(probs) if probs else
                        "rigid regions drift %s at most; first and last frames on the reference"
                        % _mm(drift[0])))
    # plausible
    checks.append(Check("plausible", not violations, "; ".join(violations[:3]) if violations
                        else "no contradictory AUs act together"))
    return checks, found
