"""EMFACS emotion prototypes, FACS intensity letters and AU lists such as ``"4+7+R12B"``.

An AU list joins tokens with ``+``; each token is an optional side (``L`` or ``R``, the
subject's own), the AU number (``AU`` prefix allowed) and an optional intensity letter:
``R12B`` is a one-sided lip corner puller at intensity B. Letters set how far each AU goes
relative to the others (``facs.INTENSITY``); an AU without a letter takes the request's letter
(default C). The overall size is set in millimetres (``amplitude.py``); without one it
follows the request's letter (``PEAK_MM``: A 0.5 mm ... E 2 mm).
"""
from __future__ import annotations

import functools
import re
from typing import Dict, List, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.micro import facs
from microexpr.micro.facs import INTENSITY, AURequest
from microexpr.micro.plausibility import compatible

#: Default largest displacement (mm) per letter when no millimetres are asked for.
PEAK_MM: Dict[str, float] = {"A": 0.5, "B": 0.75, "C": 1.0, "D": 1.5, "E": 2.0}
LETTER_NAMES = {"A": "trace", "B": "slight", "C": "marked", "D": "severe", "E": "maximum"}

#: EMFACS prototypes.
EMOTIONS: Dict[str, str] = {
    "happiness": "6+12",
    "sadness": "1+4+15",
    "surprise": "1+2+5B+26",
    "fear": "1+2+4+5+7+20+26",
    "anger": "4+5+7+23",
    "disgust": "9+15+16",
    "contempt": "R12A+R14A",
}
ALIASES = {"happy": "happiness", "joy": "happiness", "sad": "sadness", "surprised": "surprise",
           "afraid": "fear", "scared": "fear", "angry": "anger", "disgusted": "disgust",
           "contemptuous": "contempt"}

_TOKEN = re.compile(r"^(?P<side>[LR])?(?:AU)?(?P<num>\d+)(?P<letter>[A-E])?$")


def check_letter(letter: str, field: str = "--intensity") -> str:
    up = str(letter).strip().upper()
    if up not in INTENSITY:
        raise MicroExprError("intensity must be a letter A-E, got %r" % (letter,), field=field,
                             fix="A trace, B slight, C marked, D severe, E maximum")
    return up


def parse_aus(text: str, intensity: str = "C") -> List[AURequest]:
    """Parse ``"4+7+R12B"``; unlettered AUs take ``intensity``. Bad tokens name the fix."""
    default = check_letter(intensity)
    return [AURequest(r.au, r.side, INTENSITY[r.letter or default], r.letter)
            for r in _parse(str(text))]


@functools.lru_cache(maxsize=256)
def _parse(text: str) -> Tuple[AURequest, ...]:
    tokens = [t.strip().upper() for t in text.replace(" ", "").split("+")]
    if not text.strip() or any(not t for t in tokens):
        raise MicroExprError("empty AU in %r" % text, field="--aus",
                             fix='join AUs with "+", e.g. 4+7+R12B')
    out: List[AURequest] = []
    seen: Dict[str, set] = {}
    for tok in tokens:
        m = _TOKEN.match(tok)
        if not m:
            raise MicroExprError("cannot read %r" % tok, field="--aus",
                                 fix="write [L|R]NUMBER[A-E], e.g. 12, R12, 5B, L1A")
        code = str(int(m.group("num")))
        if code not in facs.CATALOGUE:
            raise MicroExprError("unknown action unit %s in %r" % (code, text), field="--aus",
                                 fix="use one of " + ", ".join(
                                     sorted(facs.CATALOGUE, key=facs.sort_key)))
        side = m.group("side")
        if side and not facs.CATALOGUE[code].sided:
            raise MicroExprError("%s acts on the midline and has no side (%r)"
                                 % (facs.describe(code), tok), field="--aus",
                                 fix="drop the L/R prefix: %s" % tok[1:])
        sides = {side} if side else set(facs.SIDES)
        if seen.get(code, set()) & sides:
            raise MicroExprError("%s is given twice in %r" % (facs.describe(code), text),
                                 field="--aus", fix="list each AU once per side")
        seen.setdefault(code, set()).update(sides)
        out.append(AURequest(code, side, INTENSITY["C"], m.group("letter")))
    return tuple(out)


def emotion_name(name: str) -> str:
    key = str(name).strip().lower()
    key = ALIASES.get(key, key)
    if key not in EMOTIONS:
        raise MicroExprError("unknown emotion %r" % (name,), field="--emotion",
                             fix="use one of " + ", ".join(EMOTIONS) + ", or give --aus")
    return key


def emotion_aus(name: str, intensity: str = "C", mirror: bool = False) -> List[AURequest]:
    """The EMFACS prototype of an emotion; ``mirror`` swaps one-sided AUs (contempt: L)."""
    reqs = parse_aus(EMOTIONS[emotion_name(name)], intensity)
    return [r.mirrored() for r in reqs] if mirror else reqs


def format_aus(reqs: Sequence[AURequest]) -> str:
    return "+".join(r.label + (r.letter or "") for r in reqs)


def random_aus(rng: np.random.Generator, max_aus: int = 4, one_sided: float = 0.2,
               plausible: bool = True) -> List[AURequest]:
    """A random AU list weighted toward the AUs frequent in micro-expression data.

    With ``plausible`` (the default) each AU is drawn only among those compatible with the
    ones already drawn, so no contradictory combination can come out; ``False`` draws
    blindly (used to show what the plausibility rules catch).
    """
    codes = sorted(facs.CATALOGUE, key=facs.sort_key)
    letters = "ABCDE"
    count = int(rng.integers(1, max_aus + 1))
    out: List[AURequest] = []
    for _ in range(count):
        used = {r.au for r in out}
        options, weights = [], []
        for c in codes:
            if c in used:
                continue
            sides = [None, "L", "R"] if facs.CATALOGUE[c].sided else [None]
            if plausible:
                sides = [s for s in sides if all(compatible(AURequest(c, s), r) for r in out)]
            if sides:
                options.append((c, sides))
                weights.append(3.0 if c in facs.FREQUENT else 1.0)
        if not options:
            break
        p = np.asarray(weights) / sum(weights)
        code, sides = options[int(rng.choice(len(options), p=p))]
        one = [s for s in sides if s is not None]
        if one and (None not in sides or rng.random() < one_sided):
            side = one[int(rng.integers(len(one)))]
        else:
            side = None
        letter = letters[int(rng.integers(5))]
        out.append(AURequest(code, side, INTENSITY[letter], letter))
    return out
