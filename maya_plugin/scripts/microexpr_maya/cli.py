"""micro_expression / review: the core's command line, run inside Maya.

Both build an argument list for ``microexpr.cli.main.main`` (the ``microexpr`` console
command), so every option the command line has works here too: positional ``args`` are
passed as they are, and ``option=value`` becomes ``--option value`` (``True`` adds a bare
flag, ``False``/``None`` leave it out, lists repeat their values after the flag).
"""
from __future__ import annotations

from typing import Any, Dict, List, Sequence

from microexpr.errors import MicroExprError


def cli_args(command: str, args: Sequence[Any], options: Dict[str, Any]) -> List[str]:
    argv = [command] + [str(a) for a in args]
    for key, value in options.items():
        flag = "--" + key.replace("_", "-")
        if value is None or value is False:
            continue
        if value is True:
            argv.append(flag)
        elif isinstance(value, (list, tuple)):
            argv += [flag] + [str(v) for v in value]
        else:
            argv += [flag, str(value)]
    return argv


def run_cli(argv: List[str]) -> int:
    """Run ``microexpr ARGV``; a non-zero exit becomes a MicroExprError."""
    from microexpr.cli.main import main

    try:
        code = int(main(argv) or 0)
    except SystemExit as exc:  # argparse exits on bad options and on --help
        code = exc.code if isinstance(exc.code, int) else 2
    if code:
        raise MicroExprError("'microexpr %s' failed (exit code %d)" % (" ".join(argv), code),
                             fix="see the Script Editor for its message")
    return code


def micro_expression(*args: Any, **options: Any) -> int:
    """``microexpr micro ARGS --OPTIONS``: synthesise a micro-expression clip."""
    return run_cli(cli_args("micro", args, options))


def review(*args: Any, **options: Any) -> int:
    """``microexpr review ARGS --OPTIONS``: review a clip against a rig."""
    return run_cli(cli_args("review", args, options))
