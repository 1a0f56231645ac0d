"""``microexpr``: every subcommand, each in its own module with ``add_parser`` and ``run``."""
from __future__ import annotations

import argparse
import importlib
import sys
from typing import List, Optional

from microexpr._version import __version__
from microexpr.cli import guard

#: Subcommand modules under microexpr.cli, in the order --help lists them.
COMMANDS = ["rig", "landmarks", "calibrate", "solve", "micro", "review", "export", "capture", "batch",
            "verify_unity", "live", "demo"]


class _Formatter(argparse.RawDescriptionHelpFormatter):
    pass


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="microexpr", formatter_class=_Formatter,
        description="Facial micro-expressions for Maya and Unity: build soft-mod rigs, solve "
                    "key weights from landmark tracks, synthesise and review micro-expressions, "
                    "export bridge JSON, FBX and glTF.",
        epilog="Run 'microexpr COMMAND --help' for a command's options and an example.")
    p.add_argument("--version", action="version", version="microexpr " + __version__)
    p.add_argument("--debug", action="store_true",
                   help="print the traceback of an internal error (also accepted after the "
                        "command's options, or as MICROEXPR_DEBUG=1)")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        try:
            mod = importlib.import_module("microexpr.cli." + name)
        except ModuleNotFoundError as exc:
            if exc.name == "microexpr.cli." + name:
                continue            # a command not built into this copy
            raise
        mod.add_parser(sub)
    return p


def main(argv: Optional[List[str]] = None) -> int:
    """Run one command; its exit code (0 done, 1 a verdict, 2 bad input or usage, 3 an
    internal error, 130 interrupted: see ``microexpr.cli.guard``)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    debug = guard.take_debug(argv)
    with guard.quiet_broken_pipe():
        parser = build_parser()
        args = parser.parse_args(argv)
        if not getattr(args, "run", None):
            parser.print_help()
            return 2
        return guard.run(args, parser, debug)


#: Bridge output formats, as ``microexpr.bridge.io.FORMATS`` (kept here so ``--help`` does not
#: import pydantic).
FORMATS = ("microexpr", "microexpr-bin", "json")


def add_format(p: argparse.ArgumentParser, what: str) -> None:
    """``--format`` for a command that writes a bridge ``what`` (rig or clip) to ``--out``."""
    p.add_argument("--format", choices=FORMATS,
                   help="%s file format: microexpr (one file: JSON header + binary payload), "
                        "microexpr-bin (the payload in a .bin beside it) or json (plain JSON); "
                        "default: json when --out ends in .json, else microexpr" % what)


def wrote(files: List[str]) -> str:
    """The files a bridge save wrote, for a 'wrote ...' line (the main file last)."""
    return ", ".join(files)


def command(sub, name: str, help: str, example: str) -> argparse.ArgumentParser:
    """Add a subcommand whose --help ends with an example."""
    return sub.add_parser(name, help=help, description=help, formatter_class=_Formatter,
                          epilog="example:\n  " + example)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
