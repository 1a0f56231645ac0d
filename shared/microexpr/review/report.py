"""The review of a clip: measurements, checks, a JSON report and a terminal summary."""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from microexpr.atomicio import PathLike, write_text
from microexpr.bridge import Clip, Rig
from microexpr.bridge.validate import check_clip_for_rig
from microexpr.micro import plausibility
from microexpr.micro.mapping import au_map
from microexpr.review.checks import Burst, Check, Limits, run_checks
from microexpr.review.measure import Measurement, Measurer
from microexpr.review.regions import RIGID

PLAUSIBLE_THRESHOLD = 0.05


@dataclass
class Review:
    clip: Clip
    measurement: Measurement
    checks: List[Check]
    bursts: List[Burst]
    limits: Limits
    layered: bool = False
    notes: List[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    def check(self, name: str) -> Check:
        return next(c for c in self.checks if c.name == name)

    def regions(self) -> List[dict]:
        m = self.measurement
        out = []
        for n in list(m.regions.names) + ["other"]:
            mm, t = m.region_peak(n)
            kind = m.regions.kinds.get(n, "other")
            limit = (self.limits.rigid_mm if kind == RIGID else
                     self.limits.region_ceiling(n) if kind != "other" else None)
            out.append({"region": n, "kind": kind, "peak_mm": mm, "time": t, "limit_mm": limit})
        return out

    def to_dict(self) -> dict:
        m = self.measurement
        return {
            "format": "microexpr.review", "passed": self.passed, "layered": self.layered,
            "fps": self.clip.fps, "frames": len(m.times),
            "peak_mm": float(m.curve.max()) if len(m.curve) else 0.0,
            "apex_time": float(m.times[m.apex_frame]) if len(m.times) else None,
            "checks": [c.to_dict() for c in self.checks],
            "regions": self.regions(),
            "targets": [{"target": t.target, "peak_weight": t.peak_weight, "onset": t.onset,
                         "apex": t.apex, "offset": t.offset} for t in m.target_timing],
            "bursts": [{"start": b.start, "end": b.end, "span": b.span, "peak_mm": b.peak_mm,
                        "peak_time": b.peak_time, "visible": b.visible} for b in self.bursts],
            "events": [e.model_dump(mode="json") for e in self.clip.events],
            "end_mm": list(m.end_mm), "ignored_targets": m.ignored_targets,
            "limits": {k: v for k, v in vars(self.limits).items()}, "notes": self.notes,
        }

    def save(self, path: PathLike) -> None:
        """Write the report (``to_dict``) as JSON, atomically."""
        write_text(path, json.dumps(self.to_dict(), indent=1) + "\n")

    def text(self) -> str:
        """A short summary for the terminal."""
        lines = ["review: %s" % ("PASS" if self.passed else "FAIL")]
        for c in self.checks:
            lines.append("  %-10s %s  %s" % (c.name, "pass" if c.passed else "FAIL", c.reason))
        lines.append("  regions (peak mm):")
        for r in self.regions():
            if r["peak_mm"] > 0 or r["kind"] == RIGID:
                lines.append("    %-14s %6.3f%s" % (r["region"], r["peak_mm"],
                                                   "  (limit %.2f)" % r["limit_mm"]
                                                   if r["limit_mm"] is not None else ""))
        tt = self.measurement.target_timing
        if tt:
            lines.append("  targets (onset / apex / offset, s):")
            for t in tt:
                lines.append("    %-18s %.3f / %.3f / %.3f  peak %.3f"
                             % (t.target, t.onset, t.apex, t.offset, t.peak_weight))
        lines += ["  note: " + n for n in self.notes]
        return "\n".join(lines)


class Reviewer:
    """Reviews many clips on one rig (the rig's regions and offsets are prepared once)."""

    def __init__(self, rig: Rig, limits: Optional[Limits] = None, mapping=None) -> None:
        self.rig = rig
        self.limits = (limits or Limits()).checked()
        self.measurer = Measurer(rig)
        self.map = au_map(rig, mapping)

    def review(self, clip: Clip, base: Optional[Clip] = None, clip_file: Optional[str] = None,
               base_file: Optional[str] = None) -> Review:
        """Judge ``clip`` (made for this rig, with frames; ``base`` likewise); the files name
        the clips in errors."""
        check_clip_for_rig(clip, self.rig, clip_file)
        if base is not None:
            check_clip_for_rig(base, self.rig, base_file, what="base clip")
        m = self.measurer.measure(clip, base)
        full, _ = self.measurer.layer(clip, None)
        involve = np.abs(m.layer) > PLAUSIBLE_THRESHOLD if base is not None else None
        bad = plausibility.clip_violations(full, m.targets, m.times, self.map.target_aus(),
                                           PLAUSIBLE_THRESHOLD, involve)
        checks, found = run_checks(m, self.limits, clip.fps, [v.message() for v in bad])
        notes = []
        if m.ignored_targets:
            notes.append("targets not in the rig, not judged: " + ", ".join(m.ignored_targets))
        if base is not None and (len(base.weights) != len(clip.weights) or base.fps != clip.fps):
            notes.append("the base clip was resampled at the clip's frames")
        return Review(clip, m, checks, found, self.limits, base is not None, notes)


def review(rig: Rig, clip: Clip, base: Optional[Clip] = None, limits: Optional[Limits] = None,
           mapping=None) -> Review:
    """Judge a clip (or, with ``base``, the layer on top of the base) the way an artist would."""
    return Reviewer(rig, limits, mapping).review(clip, base)
