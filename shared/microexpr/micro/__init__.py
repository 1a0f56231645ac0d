"""Micro-expression synthesis: FACS action units, EMFACS emotions, timing, millimetre sizing,
plausibility rules and layering onto clips. Start with ``micro_expression`` or
``Synthesizer``.

Modules: ``facs`` (the AU catalogue, intensity letters, ``AURequest``), ``emotions`` (EMFACS
prototypes, AU lists), ``mapping`` (AUs to a rig's targets), ``timing`` (onset/apex/offset
draws), ``amplitude`` (sizing in mm), ``plausibility`` (which AUs may fire together),
``envelope`` (the event curve, mirrored in C#), ``synthesizer`` (all of it, into a clip).
"""
from microexpr._lazy import lazy_exports

_EXPORTS = {
    "EMOTIONS": "microexpr.micro.emotions", "PEAK_MM": "microexpr.micro.emotions",
    "emotion_aus": "microexpr.micro.emotions", "parse_aus": "microexpr.micro.emotions",
    "random_aus": "microexpr.micro.emotions",
    "CATALOGUE": "microexpr.micro.facs", "ActionUnit": "microexpr.micro.facs",
    "AURequest": "microexpr.micro.facs", "INTENSITY": "microexpr.micro.facs",
    "TABLE1_CANNOT": "microexpr.micro.mapping", "AUMap": "microexpr.micro.mapping",
    "au_map": "microexpr.micro.mapping",
    "RULES": "microexpr.micro.plausibility", "violations": "microexpr.micro.plausibility",
    "Synthesizer": "microexpr.micro.synthesizer", "micro_expression": "microexpr.micro.synthesizer",
    "TimingBounds": "microexpr.micro.timing",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
