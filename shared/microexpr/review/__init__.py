"""The review step: judge a clip the way an artist would (regions in mm, timing, checks),
and draw it on one sheet. Start with ``review`` (``sheet.write_sheet`` for the PNG)."""
from .checks import Check, Limits
from .measure import Measurement, Measurer
from .regions import FaceRegions, face_regions
from .report import Review, Reviewer, review

__all__ = ["Check", "Limits", "Measurement", "Measurer", "FaceRegions", "face_regions", "Review",
           "Reviewer", "review"]
