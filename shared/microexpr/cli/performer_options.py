"""The performer-mode options shared by ``solve``, ``capture``, ``calibrate`` and
``verify-unity``: ``--performer``, ``--calibration-frames``, ``--prior``, ``--speed``."""
from __future__ import annotations

import math
from typing import Optional, Tuple

from microexpr.errors import MicroExprError

MODES_HELP = ("performer (default: pose and expression on the performer's own neutral), "
              "rigid, reference or raw")


def add_calibration_frames(p) -> None:
    p.add_argument("--calibration-frames", metavar="A:B",
                   help="calibrate the performer on frames A to B-1 (e.g. a neutral head turn "
                        "at the start); default: the first 600 frames with a face")


def add_performer_options(p) -> None:
    p.add_argument("--performer", metavar="performer.json",
                   help="the performer file from 'microexpr calibrate'; without it the "
                        "performer is calibrated on the fly from the take")
    add_calibration_frames(p)
    p.add_argument("--prior", type=float,
                   help="performer mode: weights are expected within this of 0 (default 0.2)")
    p.add_argument("--speed", type=float,
                   help="performer mode: weights are expected to change by this much per "
                        "second (default 3; 0 = no temporal prior)")


def calibration_frames(text: Optional[str]) -> Optional[Tuple[int, int]]:
    """``--calibration-frames A:B`` as (A, B); None stays None."""
    from microexpr.solve.performer import frame_segment

    return frame_segment(text, "--calibration-frames")


def performer_settings(args) -> dict:
    """The keyword arguments of ``solve_tracks`` from the options (checked)."""
    for name, value in (("--prior", args.prior), ("--speed", args.speed)):
        if value is not None and not (math.isfinite(value) and value >= 0):
            raise MicroExprError("%s must be a finite number >= 0, got %r" % (name, value),
                                 field=name, fix="e.g. %s %s" % (name, "0.2" if name == "--prior" else "3"))
    if args.prior is not None and args.prior == 0:
        raise MicroExprError("--prior 0 would hold every weight at 0", field="--prior",
                             fix="e.g. --prior 0.2 (larger: weaker prior)")
    return {"performer": args.performer,
            "calibration_frames": calibration_frames(args.calibration_frames),
            "prior": args.prior, "speed": args.speed}
