"""Command flags as the API takes them (stand-in, NOT Maya): always with their dash.

Autodesk's command examples declare and look flags up by their dashed names
(``kShortFlagName = '-mf'``, ``kLongFlagName = '-myFlag'``; ``syntax.addFlag("-f",
"-firstFlagLongName", ...)``), and say short names have three letters or less, long names
four or more.  The stand-in's ``maya.api.OpenMaya`` exports these stricter versions of
:mod:`.api2`'s ``MSyntax`` and ``MArgDatabase``: a flag written without its dash is refused
(the real parser would not find it, so the option would be silently lost).
"""
from __future__ import annotations

from typing import Any

from . import api2


def dashed(flag: Any, where: str) -> str:
    """``flag`` if it is a dashed flag name; RuntimeError naming the fix otherwise."""
    text = str(flag)
    if not text.startswith("-") or text.startswith("--") or len(text) < 2:
        raise RuntimeError("stand-in %s: flag %r must be written with one leading dash, "
                           "e.g. '-%s'" % (where, text, text.lstrip("-")))
    return text


class MSyntax(api2.MSyntax):
    def addFlag(self, shortName: str, longName: str, *argTypes: int) -> Any:
        short = dashed(shortName, "MSyntax.addFlag")
        long = dashed(longName, "MSyntax.addFlag")
        if not 2 <= len(short) <= 4 or len(long) < 5:
            raise RuntimeError("stand-in MSyntax.addFlag(%r, %r): a short flag has 1-3 "
                               "letters, a long flag 4 or more" % (shortName, longName))
        return super().addFlag(short, long, *argTypes)


class MArgDatabase(api2.MArgDatabase):
    def isFlagSet(self, flag: str) -> bool:
        return super().isFlagSet(dashed(flag, "MArgDatabase.isFlagSet"))

    def flagArgumentString(self, flag: str, index: int) -> str:
        return super().flagArgumentString(dashed(flag, "MArgDatabase.flagArgumentString"),
                                          index)

    def flagArgumentDouble(self, flag: str, index: int) -> float:
        return super().flagArgumentDouble(dashed(flag, "MArgDatabase.flagArgumentDouble"),
                                          index)

    def flagArgumentInt(self, flag: str, index: int) -> int:
        return super().flagArgumentInt(dashed(flag, "MArgDatabase.flagArgumentInt"), index)

    def flagArgumentBool(self, flag: str, index: int) -> bool:
        return super().flagArgumentBool(dashed(flag, "MArgDatabase.flagArgumentBool"), index)
