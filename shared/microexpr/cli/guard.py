"""How every command ends: its exit code, its last message, and which files it left.

======  =====================================================================================
code    meaning
======  =====================================================================================
0       done
1       a verdict: ``review`` found a failed check, ``verify-unity`` a difference
2       bad input or usage: the message names the file, the option or field, and the fix
3       an internal error: a short message; ``--debug`` prints the traceback
130     interrupted (Ctrl-C); 143 terminated (SIGTERM)
======  =====================================================================================

A command runs inside one :func:`microexpr.atomicio.transaction`: the files it writes are
renamed into place together when it returns, so a failure or an interrupt replaces none of
them, and the last message says exactly which files were written. Diagnostics documented as
written on failure (``landmarks find --preview/--report``) are written at once and named.
A closed standard output (``microexpr ... | head``) ends the printing quietly, not the command.
"""
from __future__ import annotations

import argparse
import contextlib
import os
import signal
import sys
import threading
import traceback
from typing import Iterator, List, Optional, Tuple

from microexpr import atomicio, limits
from microexpr.cli import preflight
from microexpr.errors import MicroExprError

OK, VERDICT, BAD_INPUT, INTERNAL, INTERRUPTED, TERMINATED = 0, 1, 2, 3, 130, 143
#: Commands that write as they go (each file atomically) instead of in one transaction: the
#: demo reads back what it wrote, a batch keeps each finished take (a re-run skips it).
WRITES_AS_IT_GOES = ("demo", "batch")


class Terminated(BaseException):
    """SIGTERM arrived while a command ran."""


def take_debug(argv: List[str]) -> bool:
    """Remove ``--debug`` from ``argv`` (anywhere before ``--``); whether it was there."""
    end = argv.index("--") if "--" in argv else len(argv)
    found = "--debug" in argv[:end] or os.environ.get("MICROEXPR_DEBUG", "") not in ("", "0")
    argv[:end] = [a for a in argv[:end] if a != "--debug"]
    return found


def leaf_parser(parser: argparse.ArgumentParser, run) -> Optional[argparse.ArgumentParser]:
    """The (sub)parser whose defaults hold ``run``: the one that knows the command's options."""
    if parser._defaults.get("run") is run:
        return parser
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for sub in action.choices.values():
                found = leaf_parser(sub, run)
                if found is not None:
                    return found
    return None


def run(args: argparse.Namespace, parser: argparse.ArgumentParser, debug: bool = False) -> int:
    """Run ``args.run(args)`` under the exit-code contract; the exit code."""
    sub = leaf_parser(parser, args.run) or parser
    txn: Optional[atomicio.Transaction] = None
    try:
        with _sigterm_raises():
            preflight.check_numbers(args, sub)
            preflight.check_outputs(args, sub, getattr(args, "command", None))
            limits.apply_nesting_limit()
            if getattr(args, "command", None) in WRITES_AS_IT_GOES:
                return int(args.run(args) or 0)
            with atomicio.transaction() as txn:
                return int(args.run(args) or 0)
    except SystemExit:
        raise
    except BaseException as exc:      # every way out gets its code and one clear message
        code, message = classify(exc, args, sub)
        if debug:
            traceback.print_exc()
        outputs = [p for _, p in preflight.output_files(args, getattr(args, "command", None))]
        note = _outputs_note(txn, outputs)
        if note:
            message += ("; " if code in (INTERRUPTED, TERMINATED) else "\n  ") + note
        _say("microexpr: " + message)
        return code


def classify(exc: BaseException, args: argparse.Namespace,
             sub: Optional[argparse.ArgumentParser]) -> Tuple[int, str]:
    """(exit code, message) for an exception that ended a command."""
    if isinstance(exc, MicroExprError):
        return BAD_INPUT, "error: %s" % exc
    if isinstance(exc, KeyboardInterrupt):
        return INTERRUPTED, "interrupted"
    if isinstance(exc, Terminated):
        return TERMINATED, "terminated"
    culprit = _input_in_traceback(exc, args)
    if isinstance(exc, RecursionError):
        return BAD_INPUT, "error: %s" % limits.nesting_error(culprit)
    if isinstance(exc, ValueError) and "integer string conversion" in str(exc):
        return BAD_INPUT, "error: %s" % limits.int_digits_error(culprit)
    if _is_validation_error(exc):
        option = _option_of(exc, sub)
        if option is not None:
            return BAD_INPUT, "error: %s" % option
    if isinstance(exc, OSError) and not isinstance(exc, BrokenPipeError):
        where = exc.filename or culprit
        text = exc.strerror or str(exc)
        err = MicroExprError("cannot %s (%s)" % ("use this file" if where else "go on", text),
                             file=os.fspath(where) if where else None,
                             fix="check the path, its permissions and the free disk space")
        return BAD_INPUT, "error: %s" % err
    if isinstance(exc, MemoryError):
        return INTERNAL, ("internal error: ran out of memory (an input or a request is larger "
                          "than MicroExpr's limits caught). Rerun with --debug for the "
                          "traceback and report it")
    text = (str(exc).strip().splitlines() or [""])[0][:300]
    return INTERNAL, ("internal error: %s%s. This is a bug in MicroExpr: rerun with --debug "
                      "for the traceback and report it" % (type(exc).__name__,
                                                           ": " + text if text else ""))


def _is_validation_error(exc: BaseException) -> bool:
    cls = type(exc)
    return cls.__name__ == "ValidationError" and cls.__module__.startswith("pydantic")


def _option_of(exc, sub: Optional[argparse.ArgumentParser]) -> Optional[MicroExprError]:
    """A pydantic error about a setting as a MicroExprError naming its command-line option."""
    if sub is None:
        return None
    dests = {a.dest for a in sub._actions if a.option_strings}
    for err in exc.errors():
        for part in reversed(err.get("loc", ())):
            if isinstance(part, str) and part in dests:
                value = err.get("input")
                shown = "" if isinstance(value, (dict, list)) else " (got %r)" % (value,)
                return MicroExprError("%s%s" % (err.get("msg", "invalid value"), shown),
                                      field=preflight.option_name(sub, part),
                                      fix="see microexpr %s --help" % (sub.prog.split(" ", 1)[-1]))
    return None


def _input_in_traceback(exc: BaseException, args: argparse.Namespace) -> Optional[str]:
    """The input file a failing reader was working on, found in the traceback's frames."""
    files = {os.path.abspath(p): p for _, p in preflight.input_files(args)}
    tb, found = exc.__traceback__, None
    while tb is not None:
        for value in list(tb.tb_frame.f_locals.values()):
            if isinstance(value, (str, os.PathLike)):
                try:
                    key = os.path.abspath(os.fspath(value))
                except (TypeError, ValueError):
                    continue
                if key in files:
                    found = files[key]
        tb = tb.tb_next
    return found


def _outputs_note(txn: Optional[atomicio.Transaction], outputs: List[str]) -> str:
    """What the failed command left on disk (its outputs named on the command line), as the
    end of its message; "" for a command without outputs."""
    written = txn.written() if txn is not None else []
    if not outputs and not written:
        return ""
    if not written:
        return "no output was written"
    done = {os.path.abspath(p) for p in written}
    missing = [p for p in outputs if os.path.abspath(p) not in done]
    if not missing:
        return "every output was written: %s" % ", ".join(written)
    how = (" (written even on failure, as documented)"
           if txn is not None and txn.immediate and not txn.replaced else "")
    return "wrote only %s%s; not written: %s" % (", ".join(written), how, ", ".join(missing))


def _say(text: str) -> None:
    with contextlib.suppress(OSError, ValueError):
        print(text, file=sys.stderr)
        sys.stderr.flush()


@contextlib.contextmanager
def _sigterm_raises() -> Iterator[None]:
    """SIGTERM raises :class:`Terminated` (so temporaries are removed) while a command runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum, frame):
        raise Terminated()

    old = signal.signal(signal.SIGTERM, handler)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, old)


class _QuietStdout:
    """Standard output that stops printing, without an error, once the reader has gone."""

    def __init__(self, stream) -> None:
        self._stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                return self._stream.write(text)
            except BrokenPipeError:
                self._broke()
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self._stream.flush()
            except BrokenPipeError:
                self._broke()

    def _broke(self) -> None:
        self.broken = True
        with contextlib.suppress(OSError, ValueError, AttributeError):
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self._stream.fileno())     # no error again at exit either
            os.close(devnull)

    def __getattr__(self, name):
        return getattr(self._stream, name)


@contextlib.contextmanager
def quiet_broken_pipe() -> Iterator[None]:
    """Print to standard output through :class:`_QuietStdout` inside the block."""
    old = sys.stdout
    if old is None or isinstance(old, _QuietStdout):
        yield
        return
    quiet = _QuietStdout(old)
    sys.stdout = quiet
    try:
        yield
    finally:
        quiet.flush()                   # what is still buffered, while a broken pipe is quiet
        sys.stdout = old
