"""Run the hostile corpus of issue #14 through the command line and count what happened.

    python tools/hostile.py [--fuzz 20] [--seed 14] [--timeout 120] [--memory-gb 3] [--list]

Each case runs ``microexpr.cli.main.main(argv)`` in a forked child (POSIX) with its output
captured, a time limit and an address-space limit, and is sorted into one outcome:

- ``clean``: the expected outcome: exit 2 with a ``microexpr: error:`` message for a case
  that must be refused (exit 0/1/2 for an "any" case, exit 0 for a control);
- ``traceback``: exit 3 (an internal error), an uncaught exception, a crash or a raw
  traceback on stderr;
- ``silent``: a case that must be refused exited 0 or 1;
- ``unbounded``: the time limit, or memory: the address-space limit hit or more than half
  of it resident;
- ``clobbered``: a file the case protects (its inputs) changed.

The counts are printed per group and per item of #14; ``--list`` prints every case that is
not ``clean``. The exit status is 0 whatever the counts (it is a report, not a test;
tests/test_hostile.py asserts on the parts already built).
"""
from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import signal
import sys
import tempfile
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Dict, List, Optional

HERE = os.path.dirname(os.path.abspath(__file__))
for _p in (HERE, os.path.join(os.path.dirname(HERE), "shared")):
    if _p not in sys.path:
        sys.path.insert(0, _p)

OUTCOMES = ("clean", "traceback", "silent", "unbounded", "clobbered")


@dataclass
class Result:
    case: object
    outcome: str
    code: Optional[int]
    detail: str
    max_rss_mb: float


def _digest(path: str) -> Optional[str]:
    try:
        with open(path, "rb") as f:
            return hashlib.sha256(f.read()).hexdigest()
    except OSError:
        return None


def _loose_json(argv: List[str]) -> List[str]:
    """The JSON outputs of a run that hold NaN or Infinity (not JSON; strict readers refuse)."""
    import json

    def refuse(name):
        raise ValueError(name)

    bad = []
    for arg in argv:
        if arg.endswith(".json") and os.path.isfile(arg) and re.search(r"[\\/]o\d{4}[\\/]", arg):
            try:
                with open(arg, encoding="utf-8") as f:
                    json.load(f, parse_constant=refuse)
            except ValueError:
                bad.append(arg)
    return bad


def _vsize() -> int:
    with open("/proc/self/statm") as f:
        return int(f.read().split()[0]) * resource.getpagesize()


def run_case(case, timeout: float, memory: int, work: str) -> Result:
    """Run one case in a forked child and sort it into an outcome."""
    from microexpr.cli.main import main

    before = {p: _digest(p) for p in case.protect}
    out_path, err_path = os.path.join(work, "stdout.txt"), os.path.join(work, "stderr.txt")
    limit = _vsize() + memory
    pid = os.fork()
    if pid == 0:                                    # the child: run, then leave at once
        code = 99
        try:
            for fd, path in ((1, out_path), (2, err_path)):
                f = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
                os.dup2(f, fd)
                os.close(f)
            resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
            signal.signal(signal.SIGALRM, signal.SIG_DFL)
            signal.alarm(int(timeout))
            try:
                code = main(list(case.argv))
            except SystemExit as exc:
                code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 2)
            except BaseException:                   # noqa: B036 - a raw traceback to count
                import traceback

                traceback.print_exc()
                code = 98
            sys.stdout.flush()
            sys.stderr.flush()
        finally:
            os._exit(code if isinstance(code, int) else 97)
    _, status, usage = os.wait4(pid, 0)
    rss = usage.ru_maxrss / 1024.0
    err = open(err_path, encoding="utf-8", errors="replace").read()
    changed = [p for p, d in before.items() if _digest(p) != d]
    if os.WIFSIGNALED(status):
        sig = os.WTERMSIG(status)
        outcome = "unbounded" if sig == signal.SIGALRM else "traceback"
        return Result(case, outcome, None, "signal %d %s" % (sig, err[-300:]), rss)
    code = os.WEXITSTATUS(status)
    loose = _loose_json(case.argv)
    if loose:
        return Result(case, "silent", code, "wrote JSON with NaN/Infinity: %s" % loose, rss)
    if changed:
        return Result(case, "clobbered", code, "changed: %s" % ", ".join(changed), rss)
    if "out of memory" in err or "MemoryError" in err or rss > memory / 2 ** 20 / 2:
        return Result(case, "unbounded", code, "%.0f MB resident: %s" % (rss, err[-300:]), rss)
    if code in (3, 97, 98, 99) or "Traceback (most recent call last)" in err:
        return Result(case, "traceback", code, err.strip()[-400:], rss)
    if case.expect == "reject":
        ok = code == 2 and ("error:" in err or "usage:" in err)
        return Result(case, "clean" if ok else "silent", code, err.strip()[-300:], rss)
    if case.expect == "ok":
        return Result(case, "clean" if code == 0 else "silent", code, err.strip()[-300:], rss)
    return Result(case, "clean", code, "", rss)


def run_all(fuzz: int, seed: int, timeout: float, memory_gb: float,
            groups: Optional[List[str]] = None, progress: bool = False) -> List[Result]:
    import hostile_corpus

    os.environ.setdefault("MPLBACKEND", "Agg")
    work = tempfile.mkdtemp(prefix="microexpr-hostile-")
    cwd = os.getcwd()
    os.chdir(work)
    try:
        _warm_up()
        todo = [c for c in hostile_corpus.cases(os.path.join(work, "corpus"), seed, fuzz)
                if groups is None or c.group in groups]
        results = []
        for n, case in enumerate(todo):
            results.append(run_case(case, timeout, int(memory_gb * 2 ** 30), work))
            if progress:
                print("\r%d/%d" % (n + 1, len(todo)), end="", file=sys.stderr, flush=True)
        if progress:
            print(file=sys.stderr)
        return results
    finally:
        os.chdir(cwd)
        import shutil

        shutil.rmtree(work, ignore_errors=True)


def _warm_up() -> None:
    """Import (and compile) what the commands use once, so each forked child starts warm."""
    import microexpr.cli.main  # noqa: F401
    from microexpr.cli.main import build_parser
    from microexpr.solve import tracks_to_clip  # noqa: F401

    build_parser()


def table(results: List[Result]) -> str:
    """Counts per group and per item of #14, and the totals."""
    rows: Dict[str, Counter] = defaultdict(Counter)
    for r in results:
        rows["group " + r.case.group][r.outcome] += 1
        rows["item " + r.case.item][r.outcome] += 1
        rows["total"][r.outcome] += 1
    width = max(len(k) for k in rows) + 2
    lines = ["%-*s %6s " % (width, "", "tried") + " ".join("%9s" % o for o in OUTCOMES)]
    for key in sorted(rows, key=lambda k: (k == "total", k)):
        c = rows[key]
        lines.append("%-*s %6d " % (width, key, sum(c.values()))
                     + " ".join("%9d" % c[o] for o in OUTCOMES))
    return "\n".join(lines)


def main(argv: Optional[List[str]] = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--fuzz", type=int, default=20, help="byte mutations per file format (20)")
    p.add_argument("--seed", type=int, default=14)
    p.add_argument("--timeout", type=float, default=120.0, help="seconds per case (120)")
    p.add_argument("--memory-gb", type=float, default=3.0,
                   help="address space each case may add (3 GB)")
    p.add_argument("--group", action="append", help="only these groups")
    p.add_argument("--list", action="store_true", help="list every case that is not clean")
    p.add_argument("--json", action="store_true", help="print one JSON line per case instead")
    a = p.parse_args(argv)
    results = run_all(a.fuzz, a.seed, a.timeout, a.memory_gb, a.group,
                      progress=sys.stderr.isatty())
    if a.json:
        import json

        for r in results:
            print(json.dumps({"name": r.case.name, "group": r.case.group, "item": r.case.item,
                              "expect": r.case.expect, "outcome": r.outcome, "code": r.code,
                              "detail": r.detail[-300:], "max_rss_mb": round(r.max_rss_mb)}))
        return 0
    print(table(results))
    if a.list:
        for r in results:
            if r.outcome != "clean":
                print("%-9s [%s] %s: exit %s: %s" % (r.outcome, r.case.item, r.case.name, r.code,
                                                    r.detail.replace("\n", " | ")[-300:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
