"""How large an input or a request may be before MicroExpr refuses it.

Each limit has a default and an environment variable that raises it. A request above a limit
is refused *before* anything of that size is allocated, with an error that names the limit,
its value and the variable::

    frames.check(fps * seconds, "the clip", field="--fps")

The limits are read from the environment on each check, so a test or a host application can
change them at run time.
"""
from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from typing import Optional

from microexpr.errors import MicroExprError


@dataclass(frozen=True)
class Limit:
    """One limit: ``what`` is counted (``"frames"``), up to ``default`` unless ``env`` says
    otherwise."""

    what: str
    env: str
    default: int
    ceiling: Optional[int] = None       # the most it can be raised to

    def value(self) -> int:
        raw = os.environ.get(self.env, "").strip()
        if not raw:
            return self.default
        try:
            value = int(float(raw))
        except (ValueError, OverflowError):
            value = 0
        if value <= 0:
            raise MicroExprError("%r is not a positive whole number" % raw, field=self.env,
                                 fix="set it to the largest number of %s to accept, or unset it"
                                     % self.what)
        if self.ceiling is not None and value > self.ceiling:
            raise MicroExprError("%d is above the most MicroExpr supports (%d %s)"
                                 % (value, self.ceiling, self.what), field=self.env,
                                 fix="set it to %d or less" % self.ceiling)
        return value

    def error(self, amount: float, subject: str, file: Optional[str] = None,
              field: Optional[str] = None, fix: Optional[str] = None) -> MicroExprError:
        """The error for ``subject`` needing ``amount`` (above the limit)."""
        shown = ("%d" % amount) if amount == amount and abs(amount) < 1e18 else ("%g" % amount)
        raise_it = "raise the limit with %s=N (now %d)" % (self.env, self.value())
        return MicroExprError("%s needs %s %s, above the limit of %d %s"
                              % (subject, shown, self.what, self.value(), self.what),
                              file=file, field=field,
                              fix=(fix + "; or " + raise_it) if fix else raise_it)

    def check(self, amount: float, subject: str, file: Optional[str] = None,
              field: Optional[str] = None, fix: Optional[str] = None) -> int:
        """``amount`` as an int when it is within the limit; else the error (NaN and infinity
        are above every limit)."""
        if not amount <= self.value():
            raise self.error(amount, subject, file, field, fix)
        return int(amount)


#: Frames in one clip (``fps`` x seconds): a million frames is 4.6 hours at 60 fps.
FRAMES = Limit("frames", "MICROEXPR_MAX_FRAMES", 1_000_000)
#: Pixels in one image or video frame, read from the header before decoding (100 MP).
IMAGE_PIXELS = Limit("pixels", "MICROEXPR_MAX_IMAGE_PIXELS", 100_000_000)
#: Bytes one declared array of a scene file (FBX, glTF, Collada) may decode to (1 GiB).
ARRAY_BYTES = Limit("bytes", "MICROEXPR_MAX_ARRAY_BYTES", 1 << 30)
#: Nesting depth of a JSON file: bridge files nest about 8 levels, glTF about 6. The
#: interpreter's recursion limit is set from it (``apply_nesting_limit``); beyond 20000 levels
#: the parser would overflow the C stack, so that is as far as it goes.
NESTING = Limit("levels", "MICROEXPR_MAX_NESTING", 900, ceiling=20000)
#: Digits of one integer in a text file: Python's own limit (3.11+), raised with its variable.
INT_DIGITS_ENV = "PYTHONINTMAXSTRDIGITS"
#: The lowest frame rate a command accepts (``--fps``): below it a clip has no motion to show.
MIN_FPS = 1.0
#: The highest frame rate a command accepts (``--fps``): high-speed cameras reach a few thousand.
MAX_FPS = 10_000.0


def apply_nesting_limit() -> None:
    """Let the interpreter nest as deep as ``NESTING`` allows (when it is raised)."""
    want = NESTING.value() + 100
    if want > sys.getrecursionlimit():
        sys.setrecursionlimit(want)


def nesting_error(file: Optional[str] = None) -> MicroExprError:
    """A file nested deeper than the parser can go (a RecursionError while reading it)."""
    return MicroExprError("the file nests deeper than the limit of about %d levels "
                          "(MicroExpr's files nest fewer than 10)" % NESTING.value(),
                          file=file, field="JSON nesting depth",
                          fix="pass a file written by MicroExpr or a DCC tool; to read a "
                              "genuinely deeper file, raise the limit with %s=N" % NESTING.env)


def int_digits_error(file: Optional[str] = None) -> MicroExprError:
    """A number with more digits than Python converts (its int-string limit)."""
    limit = getattr(sys, "get_int_max_str_digits", lambda: 4300)()
    return MicroExprError("holds an integer with more than %d digits (Python's limit on "
                          "integer digits)" % limit, file=file, field="integer digits",
                          fix="check the file: no MicroExpr field needs such a number; to "
                              "read it anyway, raise the limit with %s=N" % INT_DIGITS_ENV)
