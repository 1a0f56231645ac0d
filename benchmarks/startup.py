"""Start-up benchmark: ``microexpr solve`` of 600 frames, from process start to file written.

The rig is the default face's ARKit rig (``microexpr rig build --preset arkit``, a
``.microexpr`` file); the tracks are 600 frames of 68 2-D landmarks with head motion and
0.3 px of noise, solved in ``rigid`` mode (the per-frame camera solver). Each run is a fresh
child process, measured from start to exit (wall and CPU seconds, and its peak memory,
``ru_maxrss`` from ``os.wait4``):

- numba with a cold cache (baseline): a fresh, empty ``NUMBA_CACHE_DIR``, so every loop is
  compiled, as on a farm node or in a Maya install whose cache was never warmed;
- numba with a warm cache: the same folder again, every loop loaded from it, the
  ahead-of-time module switched off (``MICROEXPR_AOT=0``);
- ahead of time: ``python -m microexpr.solve.warm`` (what the bootstrap and the Maya
  installer run) has built the loops into an extension module beside the cache
  (``microexpr.solve.aot``): numba is not imported at all; also in the default
  ``--compensation performer``, with a performer file (``microexpr calibrate`` once per
  performer, as a batch of takes does) and without (calibrated on the take, ~0.5 s more);
- no numba: numba made unimportable, the solver runs as plain Python and numpy;
- for reference, a bare ``import microexpr.solve.weight_solver`` (numba and a warm cache).

Each child runs ``--repeat`` times (fresh cache folder for every cold run); the medians are
printed. Speed goals (issue #15; reported, never enforced): with a warm cache under 1 s, and
under 200 MB above the bare import, judged on what an install runs (the ahead-of-time
module), with numba's warm cache printed beside it. Checks: every run writes the same weights
as the cold run (<= 1e-12), the cold run fills the cache and the warm run writes nothing to
it, the ahead-of-time run imports no numba, the no-numba run says why in one warning line.
Exit code (see benchmarks/verdict.py): 0 when the checks pass, whatever the speed; 1 when a
check fails or the script crashes; 2 on bad arguments.
Run: ``python benchmarks/startup.py [--frames N] [--repeat N] [--smoke]``.
"""
from __future__ import annotations

import argparse
import glob
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Dict, List, NamedTuple

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(os.path.dirname(HERE), "shared")
sys.path[:0] = [HERE, SHARED]

from verdict import Verdict, add_smoke_flag, times  # noqa: E402

WARM_GOAL_S = 1.0          # solve with a warm cache, process start to file written
ABOVE_IMPORT_GOAL_MB = 200.0
SAME = 1e-12               # weights of every run against the cold run
NO_NUMBA = "import sys; sys.modules['numba'] = None; "
CLI = "from microexpr.cli.main import main; sys.exit(main(sys.argv[1:]))"
#: CLI, saying on stderr whether numba was imported before it exits.
AOT_CLI = ("from microexpr.cli.main import main; rc = main(sys.argv[1:]); "
           "sys.stderr.write('numba imported: %s\\n' % ('numba' in sys.modules)); sys.exit(rc)")


class Run(NamedTuple):
    wall: float        # seconds, start to exit
    cpu: float         # user + system seconds
    peak_mb: float     # peak resident memory
    stderr: str


def child(code: str, args: List[str], env: Dict[str, str], cwd: str) -> Run:
    """Run ``python -c code args`` to its end; its times and peak memory (os.wait4)."""
    with tempfile.TemporaryFile("w+") as err:
        start = time.perf_counter()
        p = subprocess.Popen([sys.executable, "-c", code] + args, env=env, cwd=cwd,
                             stdout=subprocess.DEVNULL, stderr=err)
        _, status, usage = os.wait4(p.pid, 0)
        wall = time.perf_counter() - start
        p.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        text = err.read()
    if p.returncode != 0:
        raise RuntimeError("child exited %d: %s" % (p.returncode, text[-2000:]))
    scale = 1.0 if sys.platform == "darwin" else 1024.0       # ru_maxrss: bytes or KiB
    return Run(wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * scale / 2 ** 20, text)


def make_inputs(folder: str, frames: int, env: Dict[str, str]) -> List[str]:
    """The ARKit rig file and the tracks (.npy); the solve's arguments."""
    rig = os.path.join(folder, "arkit.microexpr")
    subprocess.run([sys.executable, "-c", "import sys; " + CLI, "rig", "build", "--preset",
                    "arkit", "--out", rig], env=env, check=True, stdout=subprocess.DEVNULL)
    from microexpr import bridge
    from microexpr.solve.synthetic_tracks import head_motion, image_tracks

    r = bridge.load_rig(rig)
    T = len(r.targets)
    rng = np.random.default_rng(0)
    W = np.zeros((frames, T))
    for _ in range(max(1, frames // 25)):                 # a few targets active at a time
        t0, tgt, dur = rng.integers(frames), rng.integers(T), int(rng.integers(12, 60))
        n = min(dur, frames - t0)
        W[t0:t0 + n, tgt] += (np.sin(np.pi * np.arange(dur) / dur) * rng.uniform(0.05, 0.8))[:n]
    W[0] = 0.0                                             # the neutral frame
    tracks = image_tracks(r, np.clip(W, 0, 1), head_motion(frames), noise_px=0.3)
    pixels = tracks.points.copy()
    pixels[:, :, 1] *= -1.0                                # back to image space: y down
    path = os.path.join(folder, "tracks.npy")
    np.save(path, pixels)
    return ["solve", "--rig", rig, "--landmarks", path, "--compensation", "rigid"]


def cache_files(folder: str) -> Dict[str, float]:
    return {p: os.path.getmtime(p) for p in glob.glob(os.path.join(folder, "**", "*.nb*"),
                                                      recursive=True)}


def weights(path: str) -> np.ndarray:
    from microexpr import bridge

    return np.asarray(bridge.load_clip(path).weights, dtype=np.float64)


def measure(args, tmp: str, solve: List[str], env: Dict[str, str]):
    """Every kind of run, ``args.repeat`` times; {label: [Run]} and the checks' inputs."""
    runs: Dict[str, List[Run]] = {k: [] for k in ("cold", "warm", "aot", "aot performer",
                                                  "aot performer file", "plain", "import")}
    same, filled, untouched, no_numba = [], [], [], []
    performer = [a for a in solve if a not in ("--compensation", "rigid")]
    for i in range(args.repeat):
        cache = os.path.join(tmp, "cache%d" % i)
        numba_env = dict(env, NUMBA_CACHE_DIR=cache, MICROEXPR_AOT="0")
        aot_env = dict(env, NUMBA_CACHE_DIR=cache)
        outs = {k: os.path.join(tmp, "%s%d.microexpr" % (k, i)) for k in ("cold", "warm", "plain",
                                                                          "aot")}
        runs["cold"].append(child("import sys; " + CLI, solve + ["--out", outs["cold"]],
                                  numba_env, tmp))
        filled.append(bool(cache_files(cache)))
        before = cache_files(cache)
        runs["warm"].append(child("import sys; " + CLI, solve + ["--out", outs["warm"]],
                                  numba_env, tmp))
        untouched.append(cache_files(cache) == before)
        subprocess.run([sys.executable, "-m", "microexpr.solve.warm"], env=aot_env, cwd=tmp,
                       check=True, stdout=subprocess.DEVNULL)
        runs["aot"].append(child("import sys; " + AOT_CLI, solve + ["--out", outs["aot"]],
                                 aot_env, tmp))
        no_numba.append("numba imported: False" in runs["aot"][-1].stderr)
        runs["aot performer"].append(child("import sys; " + CLI, performer + [
            "--out", os.path.join(tmp, "performer%d.microexpr" % i)], aot_env, tmp))
        calibrated = os.path.join(tmp, "performer%d.json" % i)        # once per performer
        subprocess.run([sys.executable, "-c", "import sys; " + CLI, "calibrate", "--rig",
                        solve[2], "--landmarks", solve[4], "--out", calibrated], env=aot_env,
                       cwd=tmp, check=True, stdout=subprocess.DEVNULL)
        runs["aot performer file"].append(child("import sys; " + CLI, performer + [
            "--performer", calibrated, "--out", os.path.join(tmp, "pfile%d.microexpr" % i)],
            aot_env, tmp))
        runs["plain"].append(child(NO_NUMBA + CLI, solve + ["--out", outs["plain"]], numba_env,
                                   tmp))
        runs["import"].append(child("import microexpr.solve.weight_solver", [], aot_env, tmp))
        ref = weights(outs["cold"])
        same += [float(np.max(np.abs(weights(outs[k]) - ref))) for k in ("warm", "plain", "aot")]
    return runs, max(same), all(filled), all(untouched), all(no_numba)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=600)
    ap.add_argument("--repeat", type=int, default=3)
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.smoke:
        args.frames, args.repeat = 60, 1
    verdict = Verdict(args.smoke)
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT", "MICROEXPR_CACHE")}
    env["PYTHONPATH"] = os.pathsep.join([SHARED] + [p for p in [env.get("PYTHONPATH")] if p])
    with tempfile.TemporaryDirectory(prefix="microexpr-startup-") as tmp:
        solve = make_inputs(tmp, args.frames, env)
        runs, gap, filled, untouched, no_numba = measure(args, tmp, solve, env)
    med = {k: Run(statistics.median(r.wall for r in v), statistics.median(r.cpu for r in v),
                  statistics.median(r.peak_mb for r in v), v[-1].stderr) for k, v in runs.items()}
    print("start-up benchmark: microexpr solve, %d frames of 68 2-D landmarks (rigid unless "
          "said), default "
          "ARKit rig; median of %d run(s), %d cores" % (args.frames, args.repeat,
                                                        os.cpu_count() or 1))
    print("%-44s %9s %9s %10s %10s" % ("", "wall s", "CPU s", "peak MB", "x faster"))
    rows = [("numba, cold cache (baseline)", "cold"), ("numba, warm cache", "warm"),
            ("ahead of time (installed)", "aot"),
            ("ahead of time, performer, calibrated here", "aot performer"),
            ("ahead of time, performer, --performer FILE", "aot performer file"),
            ("no numba (plain Python and numpy)", "plain"),
            ("bare import of the solver module", "import")]
    for label, key in rows:
        r = med[key]
        print("%-44s %9.2f %9.2f %10.0f %10s" % (label, r.wall, r.cpu, r.peak_mb,
                                                 times(med["cold"].wall, r.wall)))
    above = med["aot"].peak_mb - med["import"].peak_mb
    print("installed (ahead of time) solve: %.0f MB above the bare import; numba's warm cache "
          "%.2f s" % (above, med["warm"].wall))
    verdict.goal("installed: solve %d frames (rigid) in < %g s, process start to file written "
                 "(%.2f s)" % (args.frames, WARM_GOAL_S, med["aot"].wall),
                 med["aot"].wall < WARM_GOAL_S)
    verdict.goal("installed: solve %d frames (performer, --performer FILE) in < %g s (%.2f s)"
                 % (args.frames, WARM_GOAL_S, med["aot performer file"].wall),
                 med["aot performer file"].wall < WARM_GOAL_S)
    print("(the default performer mode without a file also calibrates on the take's first "
          "600 frames: %.2f s)" % med["aot performer"].wall)
    verdict.goal("installed: < %g MB above a bare import of the solver module"
                 % ABOVE_IMPORT_GOAL_MB, above < ABOVE_IMPORT_GOAL_MB)
    verdict.check("warm, ahead-of-time and no-numba weights equal the cold run's (worst gap "
                  "%.1e <= %g)" % (gap, SAME), gap <= SAME)
    verdict.check("the ahead-of-time run imported no numba", no_numba)
    verdict.check("the cold run filled the cache folder", filled)
    verdict.check("the warm run loaded every loop (wrote nothing to the cache)", untouched)
    verdict.check("the no-numba run said why in one warning line",
                  med["plain"].stderr.count("numba is not installed") == 1)
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
