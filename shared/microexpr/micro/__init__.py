"""Micro-expression synthesis: FACS action units, EMFACS emotions, timing, millimetre sizing,
plausibility rules and layering onto clips. Start with ``micro_expression`` or
``Synthesizer``."""
from .emotions import EMOTIONS, INTENSITY, PEAK_MM, AURequest, emotion_aus, parse_aus, random_aus
from .facs import CATALOGUE, ActionUnit
from .mapping import TABLE1_CANNOT, AUMap, au_map
from .plausibility import RULES, violations
from .synth import Synthesizer, micro_expression
from .timing import TimingBounds

__all__ = ["EMOTIONS", "INTENSITY", "PEAK_MM", "AURequest", "emotion_aus", "parse_aus",
           "random_aus", "CATALOGUE", "ActionUnit", "TABLE1_CANNOT", "AUMap", "au_map", "RULES",
           "violations", "Synthesizer", "micro_expression", "TimingBounds"]
