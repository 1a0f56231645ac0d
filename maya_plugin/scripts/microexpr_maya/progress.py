"""Maya's main progress bar for long commands, shown only in interactive sessions.

In batch mode (mayapy, ``maya -batch``) UI commands do not exist, so :class:`Progress` does
nothing there.  Interactively the bar is interruptable: :meth:`Progress.step` raises
:class:`Cancelled` when the user pressed Esc, and the command's undo chunk then restores
the scene (see :mod:`.undo`).
"""
from __future__ import annotations

from types import TracebackType
from typing import Optional, Type

from microexpr.errors import MicroExprError

from ._maya import cmds, is_batch, mel


class Cancelled(MicroExprError):
    """The user cancelled a long command; the scene was restored."""


class Progress:
    """``with Progress("Generating", total) as p: ... p.step("target 3")``."""

    def __init__(self, title: str, total: int, enabled: bool = True) -> None:
        self.title = title
        self.total = max(int(total), 1)
        self.enabled = bool(enabled)
        self.bar: Optional[str] = None
        self.done = 0

    def __enter__(self) -> "Progress":
        if self.enabled and not is_batch():
            self.bar = str(mel.eval("$microexprTmp = $gMainProgressBar"))
            cmds.progressBar(self.bar, edit=True, beginProgress=True, isInterruptable=True,
                             status=self.title, minValue=0, maxValue=self.total)
        return self

    def check(self) -> None:
        """Raise :class:`Cancelled` if the user pressed Esc."""
        if self.bar is not None and cmds.progressBar(self.bar, query=True, isCancelled=True):
            raise Cancelled("%s was cancelled; the scene was restored" % self.title,
                            fix="run it again and let it finish")

    def step(self, status: Optional[str] = None) -> None:
        """Check for cancel, then advance the bar by one."""
        self.check()
        self.done += 1
        if self.bar is not None:
            text = "%s: %s" % (self.title, status) if status else self.title
            cmds.progressBar(self.bar, edit=True, step=1, status=text)

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> None:
        if self.bar is not None:
            cmds.progressBar(self.bar, edit=True, endProgress=True)
            self.bar = None
