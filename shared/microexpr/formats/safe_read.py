"""Run a function in a child Python process, so a native reader cannot take the caller down.

Native readers (ufbx, assimp) can segfault or hang on hostile files, and ufbx's Python
wrappers can crash while they are freed. :func:`run_isolated` imports ``module`` in a fresh
interpreter, calls ``func(*args)``, and passes the pickled result back through a file in a
private temporary folder; the child leaves with ``os._exit`` right after writing it, so
crashes during interpreter teardown cannot lose a finished result. A crash, a timeout or an
unpicklable result becomes a :class:`~microexpr.errors.MicroExprError` naming the file (the
first argument, when it is a path). A MicroExprError raised in the child is raised again
here with its file, field and fix.

The child is ``sys.executable``, except inside Maya, where that is the Maya binary and the
sibling ``mayapy`` is used; ``MICROEXPR_PYTHON`` overrides both.
"""
from __future__ import annotations

import os
import pickle
import shutil
import subprocess
import sys
import tempfile
from typing import Any, Optional

from microexpr.errors import MicroExprError

_CHILD = r"""
import os, pickle, sys, importlib
req, res = sys.argv[1], sys.argv[2]
with open(req, "rb") as f:
    job = pickle.load(f)
for p in reversed(job["path"]):
    if p not in sys.path:
        sys.path.insert(0, p)
try:
    value = getattr(importlib.import_module(job["module"]), job["func"])(*job["args"])
    out = {"ok": True, "value": value}
except BaseException as e:
    out = {"ok": False, "type": type(e).__name__, "text": str(e)}
    if type(e).__name__ == "MicroExprError":
        out.update(problem=e.problem, file=e.file, field=e.field, fix=e.fix)
try:
    data = pickle.dumps(out, protocol=4)
except Exception as e:
    data = pickle.dumps({"ok": False, "type": "PicklingError", "text": str(e)}, protocol=4)
with open(res + ".part", "wb") as f:
    f.write(data)
    f.flush()
os.replace(res + ".part", res)
sys.stdout.flush()
sys.stderr.flush()
os._exit(0)
"""


def python_executable() -> str:
    """The interpreter to run children with (``mayapy`` when running inside Maya)."""
    override = os.environ.get("MICROEXPR_PYTHON")
    if override:
        return override
    exe = sys.executable or "python3"
    base = os.path.basename(exe).lower()
    if base.startswith("maya") and not base.startswith("mayapy"):
        for name in ("mayapy.exe", "mayapy"):
            candidate = os.path.join(os.path.dirname(exe), name)
            if os.path.isfile(candidate):
                return candidate
    return exe


def _file_of(args: tuple) -> Optional[str]:
    if args and isinstance(args[0], (str, os.PathLike)):
        return os.fspath(args[0])
    return None


def _tail(text: bytes, lines: int = 3) -> str:
    rows = [r for r in text.decode("utf-8", "replace").strip().splitlines() if r.strip()]
    return " | ".join(rows[-lines:])


def _signal_name(code: int) -> str:
    if code < 0:
        try:
            import signal
            return "signal %s" % signal.Signals(-code).name
        except (ValueError, ImportError):
            return "signal %d" % -code
    return "exit code %d" % code


def run_isolated(module: str, func: str, *args, timeout: float = 60.0) -> Any:
    """Call ``module.func(*args)`` in a child process and return its (pickled) result.

    Raises MicroExprError if the child crashes, hangs past ``timeout`` seconds, or raises.
    """
    file = _file_of(args)
    where = "%s.%s" % (module, func)
    folder = tempfile.mkdtemp(prefix="microexpr-isolated-")
    try:
        req = os.path.join(folder, "request.pkl")
        res = os.path.join(folder, "result.pkl")
        job = {"path": [p for p in sys.path if isinstance(p, str)], "module": module,
               "func": func, "args": args}
        with open(req, "wb") as f:
            pickle.dump(job, f, protocol=4)
        cmd = [python_executable(), "-c", _CHILD, req, res]
        try:
            proc = subprocess.run(cmd, check=False, stdin=subprocess.DEVNULL,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                  timeout=timeout, cwd=folder)
        except subprocess.TimeoutExpired:
            raise MicroExprError(
                "the reader (%s) did not finish within %g s" % (where, timeout), file=file,
                fix="check that the file is a valid, not absurdly large export; "
                    "re-export it from the DCC tool") from None
        except OSError as e:
            raise MicroExprError("cannot start a child Python (%s)" % e, file=file,
                                 fix="set MICROEXPR_PYTHON to a Python 3 interpreter") from None
        if not os.path.exists(res):
            detail = _tail(proc.stderr)
            raise MicroExprError(
                "the reader (%s) crashed (%s)%s" % (where, _signal_name(proc.returncode),
                                                    ": " + detail if detail else ""),
                file=file, fix="the file is probably corrupt; re-export it from the DCC tool")
        with open(res, "rb") as f:
            out = pickle.load(f)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    if out["ok"]:
        return out["value"]
    if out["type"] == "MicroExprError" and "problem" in out:
        raise MicroExprError(out["problem"], file=out.get("file") or file, field=out.get("field"),
                             fix=out.get("fix"))
    raise MicroExprError("the reader (%s) failed: %s: %s" % (where, out["type"], out["text"]),
                         file=file, fix="the file may be corrupt; re-export it from the DCC tool")
