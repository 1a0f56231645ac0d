"""How every benchmark reports its goals and checks, and what its exit code means.

A benchmark prints its figures, each speed figure next to a named baseline measured in the
same run. It then prints two kinds of verdict lines:

- ``goal met: ...`` / ``goal missed: ...``: a speed goal. Speed depends on the machine and
  its load, so a missed goal is reported, never enforced: it does not change the exit code.
  With ``--smoke`` (tiny sizes) the line reads ``goal not judged (--smoke): ...``.
- ``check ok: ...`` / ``check FAILED: ...``: a correctness check (a parity, an objective
  gap, a round trip). These do not depend on speed.

Exit code: 0 when every check passed (whatever the goals), 1 when a check failed (or the
script crashed: Python exits 1 on an uncaught exception), 2 when it could not run at all
(bad arguments, a missing tool).
"""
from __future__ import annotations

import argparse
from typing import List

SMOKE_HELP = ("tiny sizes: run every code path once and print the figures, "
              "without judging speed (for the tests)")


def add_smoke_flag(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--smoke", action="store_true", help=SMOKE_HELP)


def times(value: float, baseline: float) -> str:
    """``value / baseline`` as "12.3x" ("n/a" when the baseline took no measurable time)."""
    return "%.1fx" % (value / baseline) if baseline > 0 else "n/a"


class Verdict:
    """Collects the goal and check lines of one run and turns them into the exit code."""

    def __init__(self, smoke: bool) -> None:
        self.smoke = smoke
        self.failed: List[str] = []

    def goal(self, text: str, met: bool) -> None:
        state = "not judged (--smoke)" if self.smoke else ("met" if met else "missed")
        print("goal %s: %s" % (state, text))

    def check(self, text: str, ok: bool) -> None:
        print("check %s: %s" % ("ok" if ok else "FAILED", text))
        if not ok:
            self.failed.append(text)

    def exit_code(self) -> int:
        if self.failed:
            print("%d correctness check(s) failed" % len(self.failed))
            return 1
        return 0
