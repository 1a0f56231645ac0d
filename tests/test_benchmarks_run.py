"""The benchmark scripts still run (tiny sizes) and print their figures next to a baseline.

Speed itself is never asserted here: the figures come from running the scripts in full
(see each script's docstring)."""
import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("script,args,expect", [
    ("solver.py", ["--frames", "3000", "--oracle-frames", "20"], "scipy lsq_linear"),
    ("micro.py", ["--clips", "20", "--repeats", "1"], "baseline"),
    ("export.py", ["--repeats", "1"], "numpy.savez"),
])
def test_benchmark_script_runs(script, args, expect):
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "shared"), MPLBACKEND="Agg")
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", script)] + args,
                       capture_output=True, text=True, env=env, timeout=600, cwd=ROOT)
    assert r.returncode == 0, r.stderr[-3000:]
    assert expect in r.stdout, r.stdout[-3000:]
