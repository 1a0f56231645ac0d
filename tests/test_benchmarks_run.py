"""Every benchmark script runs with --smoke (tiny sizes, every code path once) and prints its
figures next to its named baseline, its goals unjudged and its correctness checks.

Speed is never asserted: only what a smoke run must print, and its exit code, which is
non-zero only when the script crashes or one of its correctness checks fails (see
benchmarks/verdict.py). The full-size figures come from running the scripts by hand."""
import os
import re
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, "benchmarks")

# script -> the figure rows a smoke run prints, baseline first: label, a number, ..., a ratio
ROWS = {
    "solver.py": ["scipy lsq_linear BVLS per frame (baseline)", "MicroExpr, no temporal term",
                  "MicroExpr, temporal term (causal)", "MicroExpr, per-frame camera (2-D rigid)"],
    "micro.py": ["baseline: dense 1 ms grid, every vertex", "microexpr (pruned continuous-time sizing)",
                 "baseline: float64 numpy, every vertex", "microexpr review, no PNG"],
    "export.py": ["numpy.savez (baseline)", "write_gltf .glb", "write_fbx .fbx"],
    "face.py": ["scipy Delaunay of the skin (baseline)", "microexpr default face build"],
    "capture.py": ["plain dlib up1 (baseline)", "plain dlib up0", "microexpr capture",
                   "microexpr capture command"],
    "markerless.py": ["one render + one dlib detection (baseline)", "microexpr landmarks find"],
    "unity_runtime.py": ["rigid 2-D ", "rigid 2-D (3 landmarks c<1)", "raw 2-D", "reference 2-D",
                         "rigid 3-D", "performer 2-D", "performer 3-D"],
    "rig_import.py": ["line-by-line OBJ reader (baseline)", "numpy OBJ reader, 1 thread",
                      "numpy OBJ reader, threads (rig import)"],
    "solve_set.py": ["default ARKit rig, 52 targets (baseline)", "40 targets, every one solved",
                     "40 targets, solve set of 12, linear",
                     "40 targets, solve set of 12, in-betweens and correctives",
                     "review, targets taken as linear (baseline)",
                     "review, in-betweens and correctives evaluated"],
    "live_latency.py": ["Python PerformerStream.step (baseline)", "live, landmarks only, C# solves",
                        "live --weights, C# solves"],
    "performer.py": ["rigid mode, 2-D, temporal term (baseline)",
                     "performer mode, 2 passes, filter, temporal"],
    "scaling.py": ["2000 x 6 (baseline)", "4000 x 10"],
    "verify_clip.py": ["per-frame pythonnet calls, 500 frames (baseline)", "verify-unity, 1000 frames, chunked",
                       "verify-unity, 3000 frames, chunked"],
    "long_take.py": ["whole take in memory, 3000 frames (baseline)",
                     "microexpr solve in chunks, 3000 frames", "microexpr solve in chunks, 9000 frames"],
    "startup.py": ["numba, cold cache (baseline)", "numba, warm cache",
                   "no numba (plain Python and numpy)"],
    "batch_scale.py": ["one local worker (baseline)", "two local workers",
                       "per-job overhead, ms (x the 50 ms goal)",
                       "whole batch (x the 2-minute goal)"],
}
#: modules the scripts share, not benchmarks themselves
HELPERS = {"verdict.py", "bigrig.py"}
EXTRA = {"unity_runtime.py": ["baseline: the Python core in the same run"],
         "solver.py": ["objective gap vs scipy on 10 frames"]}


def smoke(path: str) -> str:
    """Run one script with --smoke; its stdout. Fails on a crash or a failed check."""
    env = dict(os.environ, MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, path, "--smoke"], capture_output=True, text=True,
                       env=env, timeout=600, cwd=ROOT)
    assert r.returncode == 0, "%s exited %d\n%s\n%s" % (path, r.returncode, r.stdout[-3000:],
                                                        r.stderr[-3000:])
    assert "check FAILED" not in r.stdout, r.stdout[-3000:]
    return r.stdout


def _needs(script: str) -> None:
    if script == "capture.py":
        for module in ("cv2", "dlib", "imageio_ffmpeg"):
            pytest.importorskip(module)
    if script == "markerless.py":
        for module in ("cv2", "dlib", "moderngl"):
            pytest.importorskip(module)
    if script in ("live_latency.py", "verify_clip.py"):
        for module in ("cv2", "dlib") if script == "live_latency.py" else ():
            pytest.importorskip(module)
        from microexpr.unity import build, net

        gate = build.test_gate(build.missing_mono() or net.missing_pythonnet())
        if gate:
            getattr(pytest, gate[0])(gate[1])
    if script == "unity_runtime.py":
        from microexpr.unity import build

        gate = build.test_gate(build.missing_mono())
        if gate:
            getattr(pytest, gate[0])(gate[1])


def test_every_benchmark_is_smoke_tested():
    scripts = {f for f in os.listdir(BENCH) if f.endswith(".py") and f not in HELPERS}
    assert scripts == set(ROWS)


@pytest.mark.parametrize("script", sorted(ROWS))
def test_benchmark_smoke_run(script):
    _needs(script)
    out = smoke(os.path.join(BENCH, script))
    for label in ROWS[script]:
        row = re.search(r"^\s*%s\s+[\d.]+\s.*\d\.\d+x\b" % re.escape(label), out, re.M)
        assert row, "no figure row %r (number ... ratio to the baseline) in:\n%s" % (label, out)
    for text in EXTRA.get(script, []):
        assert text in out, out
    assert "baseline" in out
    assert re.search(r"^goal not judged \(--smoke\): \S", out, re.M), out
    assert not re.search(r"^goal (met|missed)", out, re.M), out       # smoke never judges speed
    assert re.search(r"^check ok: \S", out, re.M), out


FAKE = """import sys
sys.path.insert(0, %r)
from verdict import Verdict
verdict = Verdict(smoke=%r)
%s
sys.exit(verdict.exit_code())
"""


@pytest.mark.parametrize("body,smoke_mode,passes,printed", [
    ("verdict.goal('>= 1000 clips/s', False)\nverdict.check('gap', True)", False, True,
     "goal missed: >= 1000 clips/s"),
    ("verdict.goal('>= 1000 clips/s', False)\nverdict.check('gap', True)", True, True,
     "goal not judged (--smoke): >= 1000 clips/s"),
    ("verdict.goal('>= 1000 clips/s', True)\nverdict.check('gap <= 1e-6', False)", True, False,
     "check FAILED: gap <= 1e-6"),
    ("raise RuntimeError('the benchmark broke')", True, False, ""),
])
def test_only_a_crash_or_a_failed_check_fails_the_run(tmp_path, body, smoke_mode, passes, printed):
    """A missed speed goal never fails the run; a failed check or a crash always does."""
    path = tmp_path / "fake_bench.py"
    path.write_text(FAKE % (BENCH, smoke_mode, body))
    if passes:
        assert printed in smoke(str(path))
    else:
        with pytest.raises(AssertionError) as err:
            smoke(str(path))
        assert printed in str(err.value)
