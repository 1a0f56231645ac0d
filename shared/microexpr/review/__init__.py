"""The review step: judge a clip the way an artist would (regions in mm, timing, checks),
and draw it on one sheet. Start with ``review`` (``sheet.write_sheet`` for the PNG)."""
from microexpr._lazy import lazy_exports

_EXPORTS = {
    "Check": "microexpr.review.checks", "Limits": "microexpr.review.checks",
    "Measurement": "microexpr.review.measure", "Measurer": "microexpr.review.measure",
    "FaceRegions": "microexpr.review.regions", "face_regions": "microexpr.review.regions",
    "Review": "microexpr.review.report", "Reviewer": "microexpr.review.report",
    "review": "microexpr.review.report",
}
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
