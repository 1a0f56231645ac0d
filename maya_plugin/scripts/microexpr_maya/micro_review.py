"""micro_expression / review: the core's micro-expression synthesiser and reviewer on files.

Both call the core directly (``microexpr.micro.synthesizer``, ``microexpr.review``) and print
what the command line would print to the Script Editor; the scene is not touched (key a clip
with :func:`microexpr_maya.apply_clip`).
"""
from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, Optional

from microexpr.atomicio import PathLike
from microexpr.errors import MicroExprError

if TYPE_CHECKING:  # the core's synthesiser and reviewer are imported when first used
    from microexpr.bridge import Clip
    from microexpr.review.checks import Limits
    from microexpr.review.report import Review


def micro_expression(rig: PathLike, out: PathLike, base: Optional[PathLike] = None,
                     **options: Any) -> Clip:
    """Synthesise a micro-expression for the rig file ``rig`` and write the clip to ``out``
    (layered onto the clip file ``base`` if given); returns the clip.

    ``options`` are those of the core's ``micro_expression``: ``emotion`` or ``aus``,
    ``intensity``, ``peak_mm``, ``seed``, ``fps``, ``at``, ``duration``, ``mapping``,
    ``bounds`` (a ``TimingBounds``), ``mirror``, ``strict``.
    """
    from microexpr.micro.synthesizer import clip_summary, write_micro_expression

    clip = write_micro_expression(rig, out, base, **options)
    print(clip_summary(clip, out, base, options.get("fps")))
    return clip


def review(rig: PathLike, clip: PathLike, base: Optional[PathLike] = None,
           sheet: Optional[PathLike] = None, report: Optional[PathLike] = None,
           title: Optional[str] = None, limits: Optional[Limits] = None,
           mapping: Any = None, no_fail: bool = False) -> Review:
    """Review the clip file ``clip`` against the rig file ``rig`` (only the layer on top of
    the clip file ``base``, if given); returns the review and prints its verdict.

    ``sheet`` writes the review sheet PNG (titled ``title``, default the clip's path; needs
    matplotlib), ``report`` the JSON report; ``limits`` are the checks' ``Limits``. A failed
    check raises a MicroExprError (after the files are written) unless ``no_fail``.
    """
    from microexpr.bridge import load_clip, load_rig
    from microexpr.review.report import review as review_clip

    model = load_rig(rig)
    result = review_clip(model, load_clip(clip), load_clip(base) if base else None, limits,
                         mapping)
    if report:
        result.save(report)
    if sheet:
        _write_sheet(sheet, result, model, title or os.fspath(clip))
    print(result.text())
    if not (result.passed or no_fail):
        failed = ", ".join(c.name for c in result.checks if not c.passed)
        raise MicroExprError("the clip fails the review (%s)" % failed, file=os.fspath(clip),
                             fix="see the verdict in the Script Editor; pass no_fail=True "
                                 "to only report")
    return result


def _write_sheet(path: PathLike, result: Review, rig: Any, title: str) -> None:
    from microexpr.review.sheet import write_sheet

    try:
        write_sheet(path, result, rig, title)
    except ImportError as exc:
        raise MicroExprError("cannot draw the review sheet (%s)" % exc, field="sheet",
                             fix="install matplotlib for Maya's Python (mayapy -m pip install "
                                 "matplotlib), or leave out sheet=") from None
