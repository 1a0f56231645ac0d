"""The FACS action units MicroExpr knows: number, name, muscle, face region, sidedness.

Sides are the subject's own: "L" is the subject's left (+X on the default face). An AU with
``sided=True`` may be asked for on one side only ("R12"); the others act on the midline
(chin, lips, jaw) and are always bilateral. ``OPPOSING`` lists AU pairs that pull the same
tissue in opposite directions: they may occur together (SAMM codes R12+R15), and then one
damps the other.

``AURequest`` is one AU as asked for (side and relative activation); ``INTENSITY`` turns the
FACS intensity letters A-E into that activation. Both live here, below ``emotions`` (which
parses AU lists) and ``plausibility`` (which checks them): emotions imports plausibility,
never the reverse.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple

SIDES = ("L", "R")

#: Fraction of an AU's full range (the target at weight 1) per FACS intensity letter.
INTENSITY: Dict[str, float] = {"A": 0.2, "B": 0.4, "C": 0.6, "D": 0.8, "E": 1.0}


@dataclass(frozen=True)
class ActionUnit:
    code: str
    name: str
    muscle: str
    region: str           # brows, eyes, cheeks, nose, mouth, jaw
    sided: bool = True    # may be one-sided ("L12", "R12")


def _au(code, name, muscle, region, sided=True) -> Tuple[str, ActionUnit]:
    return code, ActionUnit(code, name, muscle, region, sided)


#: The catalogue, keyed by AU number as text.
CATALOGUE: Dict[str, ActionUnit] = dict([
    _au("1", "inner brow raiser", "frontalis, pars medialis", "brows"),
    _au("2", "outer brow raiser", "frontalis, pars lateralis", "brows"),
    _au("4", "brow lowerer", "corrugator supercilii, depressor supercilii, procerus", "brows"),
    _au("5", "upper lid raiser", "levator palpebrae superioris", "eyes"),
    _au("6", "cheek raiser", "orbicularis oculi, pars orbitalis", "cheeks"),
    _au("7", "lid tightener", "orbicularis oculi, pars palpebralis", "eyes"),
    _au("9", "nose wrinkler", "levator labii superioris alaeque nasi", "nose"),
    _au("10", "upper lip raiser", "levator labii superioris", "mouth"),
    _au("12", "lip corner puller", "zygomaticus major", "mouth"),
    _au("14", "dimpler", "buccinator", "mouth"),
    _au("15", "lip corner depressor", "depressor anguli oris", "mouth"),
    _au("16", "lower lip depressor", "depressor labii inferioris", "mouth"),
    _au("17", "chin raiser", "mentalis", "jaw", sided=False),
    _au("18", "lip pucker", "incisivii labii superioris and inferioris", "mouth", sided=False),
    _au("20", "lip stretcher", "risorius with platysma", "mouth"),
    _au("22", "lip funneler", "orbicularis oris", "mouth", sided=False),
    _au("23", "lip tightener", "orbicularis oris", "mouth", sided=False),
    _au("24", "lip presser", "orbicularis oris", "mouth", sided=False),
    _au("25", "lips part", "depressor labii inferioris, relaxed mentalis", "mouth", sided=False),
    _au("26", "jaw drop", "relaxed masseter and temporalis", "jaw", sided=False),
    _au("27", "mouth stretch", "pterygoids, digastric", "jaw", sided=False),
    _au("28", "lip suck", "orbicularis oris", "mouth", sided=False),
    _au("43", "eyes closed (lid droop)", "relaxed levator palpebrae superioris", "eyes"),
    _au("45", "blink", "relaxed levator, orbicularis oculi pars palpebralis", "eyes"),
])

#: Frequency order of AUs in micro-expression data sets (most frequent first).
FREQUENT = ("4", "1", "2", "14", "7", "12", "5", "9", "17", "10", "6", "15")

#: Antagonist pairs that can co-occur; the later one damps the earlier (see timing.py).
OPPOSING: Tuple[Tuple[str, str], ...] = (
    ("1", "4"),    # inner brow up / brows down
    ("2", "4"),    # outer brow up / brows down
    ("12", "15"),  # lip corner up / down
    ("16", "17"),  # lower lip down / chin pushes it up
    ("18", "20"),  # lips pushed in and forward / stretched sideways
)


@dataclass(frozen=True)
class AURequest:
    """One AU of a request: number, side (None: both) and relative activation 0-1."""

    au: str
    side: Optional[str] = None
    level: float = INTENSITY["C"]
    letter: Optional[str] = None

    @property
    def label(self) -> str:
        """FACS spelling with the side, as events record it: "12", "R12"."""
        return (self.side or "") + self.au

    def sides(self) -> Tuple[str, ...]:
        return (self.side,) if self.side else SIDES

    def mirrored(self) -> "AURequest":
        return replace(self, side={"L": "R", "R": "L"}.get(self.side or "", None))


def get(code: str) -> ActionUnit:
    """The catalogue entry for an AU number ("12")."""
    return CATALOGUE[code]


def describe(code: str) -> str:
    au = CATALOGUE.get(code)
    return "AU%s" % code if au is None else "AU%s (%s)" % (code, au.name)


def sort_key(code: str) -> Tuple[int, str]:
    digits = "".join(ch for ch in code if ch.isdigit())
    return (int(digits) if digits else 10 ** 6, code)
