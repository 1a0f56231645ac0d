"""Contradictory AU combinations: AUs that cannot act on the same face at the same time.

The rules (``RULES``), each with its reason:

* **lid raised and closed** - AU5 raises the upper lid, AU43/45 lower it: not on the same
  eye at once (a one-sided AU only meets AUs on its own side).
* **lips pressed and apart** - AU24 presses the lips together; AU25 parts them and AU26/27
  drop the jaw, which pulls them apart.
* **lips sucked in and pushed out** - AU28 draws the lips in over the teeth; AU18 (pucker)
  and AU22 (funneler) push the same lips forward and out.

They apply to AU lists (emotion prototypes or free lists: ``violations``), to timed events
(``event_violations``: only AUs that overlap in time) and to clips (``clip_violations``:
AUs read back from active targets through the rig's AU map).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Dict, FrozenSet, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.micro import facs
from microexpr.micro.facs import AURequest


@dataclass(frozen=True)
class Rule:
    name: str
    first: FrozenSet[str]
    second: FrozenSet[str]
    same_side: bool
    reason: str


RULES: Tuple[Rule, ...] = (
    Rule("lid raised and closed", frozenset({"5"}), frozenset({"43", "45"}), True,
         "the upper lid cannot be raised (AU5) and closed (AU43/45) on the same eye"),
    Rule("lips pressed and apart", frozenset({"24"}), frozenset({"25", "26", "27"}), False,
         "pressed lips (AU24) cannot be parted (AU25) or pulled apart by the jaw (AU26/27)"),
    Rule("lips sucked in and pushed out", frozenset({"28"}), frozenset({"18", "22"}), False,
         "lips sucked in (AU28) cannot be pushed out in a pucker (AU18) or funnel (AU22)"),
)


@dataclass(frozen=True)
class Violation:
    rule: Rule
    a: str            # AU labels as written ("L5", "45")
    b: str
    start: Optional[float] = None
    end: Optional[float] = None

    def message(self) -> str:
        when = ("" if self.start is None or self.end is None
                else " at %.3f-%.3f s" % (self.start, self.end))
        return "AU%s with AU%s%s: %s" % (self.a, self.b, when, self.rule.reason)


def _sides(side: Optional[str]) -> FrozenSet[str]:
    return frozenset((side,)) if side in facs.SIDES else frozenset(facs.SIDES)


def conflict(a: AURequest, b: AURequest) -> Optional[Rule]:
    """The rule that ``a`` and ``b`` break together, or None."""
    for rule in RULES:
        if (a.au in rule.first and b.au in rule.second) or (b.au in rule.first and a.au in rule.second):
            if rule.same_side and not (_sides(a.side) & _sides(b.side)):
                continue
            return rule
    return None


def compatible(a: AURequest, b: AURequest) -> bool:
    return conflict(a, b) is None


def violations(reqs: Sequence[AURequest]) -> List[Violation]:
    """Every contradictory pair in an AU list (all assumed to act together)."""
    out = []
    for i in range(len(reqs)):
        for j in range(i + 1, len(reqs)):
            rule = conflict(reqs[i], reqs[j])
            if rule is not None:
                out.append(Violation(rule, reqs[i].label, reqs[j].label))
    return out


def request_of(label: str) -> AURequest:
    """"R12" -> AURequest("12", "R")."""
    side = label[0] if label[:1] in facs.SIDES else None
    return AURequest(label[1:] if side else label, side)


def event_violations(events: Iterable) -> List[Violation]:
    """Contradictory AUs among events that overlap in time (MicroEvent-like objects)."""
    evs = list(events)
    out, seen = [], set()
    for i in range(len(evs)):
        for j in range(i + 1, len(evs)):
            a, b = evs[i], evs[j]
            if a.au == b.au or (a.au, b.au) in seen:
                continue
            start, end = max(a.onset, b.onset), min(a.offset, b.offset)
            if end <= start:
                continue
            rule = conflict(request_of(a.au), request_of(b.au))
            if rule is not None:
                seen.add((a.au, b.au))
                out.append(Violation(rule, a.au, b.au, start, end))
    return out


def _target_conflicts(targets: Sequence[str], target_aus: Dict[str, List[Tuple[str, str]]]
                      ) -> List[Tuple[int, int, Violation]]:
    """Target pairs whose every AU reading contradicts the other's."""
    reads = {}
    for i, name in enumerate(targets):
        pairs = target_aus.get(name)
        if pairs:
            reads[i] = [AURequest(code, None if side == "C" else side) for code, side in pairs]
    out = []
    idx = sorted(reads)
    for n, i in enumerate(idx):
        for j in idx[n + 1:]:
            rules = [conflict(a, b) for a in reads[i] for b in reads[j]]
            broken = [r for r in rules if r is not None]
            if rules and len(broken) == len(rules):
                a, b = reads[i][0], reads[j][0]
                out.append((i, j, Violation(broken[0], a.label, b.label)))
    return out


def clip_violations(weights: np.ndarray, targets: Sequence[str], times: np.ndarray,
                    target_aus: Dict[str, List[Tuple[str, str]]], threshold: float = 0.05,
                    involve: Optional[np.ndarray] = None) -> List[Violation]:
    """Contradictions read from target activity (weight > ``threshold``) frame by frame.

    ``involve`` (F, T) bool limits the result to pairs where at least one target belongs to
    a layer (e.g. the micro-expression on top of a base clip)."""
    w = np.asarray(weights, dtype=np.float64)
    active = w > threshold
    out = []
    for i, j, v in _target_conflicts(targets, target_aus):
        both = active[:, i] & active[:, j]
        if involve is not None:
            both &= involve[:, i] | involve[:, j]
        if both.any():
            f = np.nonzero(both)[0]
            out.append(Violation(v.rule, "%s (%s)" % (v.a, targets[i]), "%s (%s)" % (v.b, targets[j]),
                                 float(times[f[0]]), float(times[f[-1]])))
    return out


def layer_violations(reqs: Sequence[AURequest], spans: Sequence[Tuple[float, float]],
                     base: np.ndarray, targets: Sequence[str], times: np.ndarray,
                     target_aus: Dict[str, List[Tuple[str, str]]], threshold: float = 0.05
                     ) -> List[Violation]:
    """Micro AUs (with their [onset, offset]) that contradict what a base clip's active
    targets stand for during that time."""
    w = np.asarray(base, dtype=np.float64)
    times = np.asarray(times, dtype=np.float64)
    out = []
    for req, (t0, t1) in zip(reqs, spans):
        during = (times >= t0) & (times <= t1)
        if not during.any():
            continue
        for j, name in enumerate(targets):
            reads = target_aus.get(name)
            if not reads:
                continue
            on = during & (w[:, j] > threshold)
            if not on.any():
                continue
            rules = [conflict(req, AURequest(c, None if s == "C" else s)) for c, s in reads]
            broken = [r for r in rules if r is not None]
            if len(broken) == len(rules):
                f = np.nonzero(on)[0]
                out.append(Violation(broken[0], req.label, "%s (base %s)" % (reads[0][0], name),
                                     float(times[f[0]]), float(times[f[-1]])))
    return out


def check(reqs: Sequence[AURequest], context: str = "--aus") -> None:
    """Raise a MicroExprError naming the first contradiction in an AU list."""
    bad = violations(reqs)
    if bad:
        v = bad[0]
        raise MicroExprError("AU%s and AU%s contradict each other: %s" % (v.a, v.b, v.rule.reason),
                             field=context, fix="drop one of them (or give them different sides)"
                             if v.rule.same_side else "drop one of them")
