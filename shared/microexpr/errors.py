"""One error type for bad input: it names the file, the field and the fix."""
from __future__ import annotations

from typing import Optional


class MicroExprError(Exception):
    """Bad input or a request that cannot be met.

    ``str(err)`` reads ``FILE: FIELD: PROBLEM. Fix: FIX`` so that a terminal user, a Maya
    artist and a log reader all see which file, which field and what to do.
    """

    def __init__(self, problem: str, *, file: Optional[str] = None, field: Optional[str] = None,
                 fix: Optional[str] = None) -> None:
        self.problem = problem
        self.file = None if file is None else str(file)
        self.field = field
        self.fix = fix
        super().__init__(self.message())

    def message(self) -> str:
        parts = []
        if self.file:
            parts.append(self.file)
        if self.field:
            parts.append(self.field)
        parts.append(self.problem.rstrip("."))
        text = ": ".join(parts) + "."
        if self.fix:
            text += " Fix: " + self.fix.rstrip(".") + "."
        return text

    def with_file(self, file: str) -> "MicroExprError":
        """The same error, naming ``file`` if it named none."""
        if self.file:
            return self
        return MicroExprError(self.problem, file=file, field=self.field, fix=self.fix)
