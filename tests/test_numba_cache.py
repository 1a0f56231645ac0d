"""The solver's numba cache (where it lives, how it is warmed) and its plain-Python fallback.

- The cache folder is the user's ``NUMBA_CACHE_DIR``, untouched, else a per-user folder put
  into ``NUMBA_CACHE_DIR`` before numba is imported (``microexpr.solve.jit``).
- ``python -m microexpr.solve.warm`` compiles every loop into that folder; the next process
  loads them instead of compiling.
- Without numba, with numba disabled, or when numba fails to compile, the solver runs as plain
  Python after one warning line naming why, and gives the compiled path's weights (<= 1e-12).
  A cache folder that cannot be written is not traded for numba's own fallbacks.

The fallbacks run in child processes (a fallback switches the whole process to plain Python).
"""
from __future__ import annotations

import glob
import importlib.util
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from microexpr.solve import jit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(ROOT, "shared")
SOLVE = os.path.join(SHARED, "microexpr", "solve")
TOL = 1e-12

#: Solves the same small problems through every path of both solvers; saves the weights to
#: argv[1] and prints how the loops ran. PRELUDE (a mode below) runs first.
SCRIPT = """
import sys
import numpy as np
PRELUDE
from microexpr.solve import jit
from microexpr.solve.projected_solver import ProjectedSolver
from microexpr.solve.weight_solver import WeightSolver

rng = np.random.default_rng(7)
L, T, F = 68, 9, 25
B3 = rng.normal(size=(L, 3, T))
view = 3.0 * np.eye(3)[:2]
B = np.einsum("ij,ljt->lit", view, B3).reshape(-1, T)
W = np.clip(rng.normal(0.3, 0.4, (F, T)), 0, 1)
D = W @ B.T + rng.normal(0, 0.1, (F, 2 * L))
conf = np.ones((F, L))
conf[3:9, 10:20] = 0.4
conf[12, :30] = 0.0
pinned = np.zeros(T, bool)
pinned[2] = True
valid = np.ones(F, bool)
valid[5] = False
out = {
    "parallel": WeightSolver(B, 2, pinned=pinned).solve(D),
    "sequence": WeightSolver(B, 2, temporal=0.05, pinned=pinned).solve(D, conf, valid),
    "frame": WeightSolver(B, 2, temporal=0.05).solve_frame(D[4], conf[4], W[3]),
}
if "frame-only" not in sys.argv:
    cams = np.stack([view] * F)
    ps = ProjectedSolver(B3, view, temporal=0.02, pinned=pinned)
    out["projected"] = ps.solve(D, cams, conf, valid)
    out["projected frame"] = ps.solve_frame(D[4], view, conf[4], W[3])
np.savez(sys.argv[1], **out)
print("STATUS", jit.status())
"""

MODES = {
    "no numba": ("sys.modules['numba'] = None    # import numba raises ImportError", {},
                 "numba is not installed"),
    "compile fails": (textwrap.dedent("""
        import numba.core.dispatcher, numba.core.errors
        def _fail(self, sig):
            raise numba.core.errors.NumbaError("injected compile failure")
        numba.core.dispatcher.Dispatcher.compile = _fail
        """), {}, "numba could not compile"),
    "jit disabled": ("", {"NUMBA_DISABLE_JIT": "1"}, "NUMBA_DISABLE_JIT is set"),
}


def _env(**extra):
    env = {k: v for k, v in os.environ.items()
           if k not in ("NUMBA_CACHE_DIR", "NUMBA_DISABLE_JIT", "MICROEXPR_CACHE", "PYTHONPATH")}
    env["PYTHONPATH"] = SHARED
    env.update(extra)
    return env


def _solve_in_child(tmp_path, prelude="", env=None, *flags):
    path = str(tmp_path / "weights.npz")
    script = SCRIPT.replace("PRELUDE", prelude)
    r = subprocess.run([sys.executable, "-c", script, path] + list(flags), capture_output=True,
                       text=True, env=env or _env(), timeout=600, cwd=str(tmp_path))
    assert r.returncode == 0, r.stderr[-3000:]
    with np.load(path) as z:
        return {k: z[k] for k in z.files}, r.stdout, r.stderr


@pytest.fixture(scope="module")
def compiled_weights(tmp_path_factory, warm_cache):
    """The weights of the compiled path, in a child using the warmed cache."""
    pytest.importorskip("numba")
    tmp = tmp_path_factory.mktemp("compiled")
    weights, out, err = _solve_in_child(tmp, env=_env(NUMBA_CACHE_DIR=warm_cache))
    assert "STATUS numba" in out and "microexpr:" not in err, (out, err)
    return weights


@pytest.fixture(scope="module")
def warm_cache(tmp_path_factory):
    """A cache folder filled by ``python -m microexpr.solve.warm`` (MICROEXPR_CACHE set,
    NUMBA_CACHE_DIR not): its folder, after checking the first run compiled into it."""
    pytest.importorskip("numba")
    root = str(tmp_path_factory.mktemp("mxcache"))
    # numba's cache alone (the ahead-of-time module has its own tests: tests/test_aot.py)
    r = subprocess.run([sys.executable, "-m", "microexpr.solve.warm", "--no-aot"],
                       capture_output=True, text=True, env=_env(MICROEXPR_CACHE=root),
                       timeout=900, cwd=root)
    folder = os.path.join(root, "numba")
    assert r.returncode == 0, r.stdout + r.stderr
    assert "cache %s (from MICROEXPR_CACHE)" % folder in r.stdout, r.stdout
    assert "0 loop(s) loaded from the cache" in r.stdout, r.stdout
    assert glob.glob(os.path.join(folder, "*", "weight_solver.*.nbi")), os.listdir(folder)
    assert glob.glob(os.path.join(folder, "*", "projected_solver.*.nbi")), os.listdir(folder)
    return folder


def test_cache_folder_follows_the_platform():
    home = {"HOME": "/home/me", "USERPROFILE": "C:/Users/me"}
    assert jit.cache_folder("linux", home) == ("/home/me/.cache/microexpr/numba",
                                               "per-user default")
    xdg = jit.cache_folder("linux", dict(home, XDG_CACHE_HOME="/scratch/c"))[0]
    assert xdg == "/scratch/c/microexpr/numba"
    assert jit.cache_folder("darwin", home)[0] == "/home/me/Library/Caches/microexpr/numba"
    win = jit.cache_folder("win32", dict(home, LOCALAPPDATA="C:/Users/me/AppData/Local"))[0]
    assert win == os.path.join("C:/Users/me/AppData/Local", "microexpr", "Cache", "numba")
    assert jit.cache_folder("win32", home)[0].startswith(os.path.join("C:/Users/me", "AppData"))
    assert jit.cache_folder("linux", dict(home, MICROEXPR_CACHE="/mx")) == (
        os.path.join("/mx", "numba"), "MICROEXPR_CACHE")
    user = dict(home, MICROEXPR_CACHE="/mx", NUMBA_CACHE_DIR="/farm/numba")
    for platform in ("linux", "darwin", "win32"):
        assert jit.cache_folder(platform, user) == ("/farm/numba", "NUMBA_CACHE_DIR")


def test_a_folder_under_a_file_cannot_hold_the_cache(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    assert jit.unwritable(str(blocker / "numba"))
    assert jit.unwritable(str(tmp_path / "new" / "numba")) is None
    assert (tmp_path / "new" / "numba").is_dir()


PROBE = ("import os; from microexpr.solve import jit; "
         "print(os.environ.get('NUMBA_CACHE_DIR')); print(jit.status())")


@pytest.mark.parametrize("user_set", [True, False])
def test_the_cache_folder_is_set_before_numba_without_clobbering_the_user(tmp_path, user_set):
    pytest.importorskip("numba")
    mine = str(tmp_path / "farm" / "numba")
    env = _env(NUMBA_CACHE_DIR=mine) if user_set else _env(MICROEXPR_CACHE=str(tmp_path))
    want = mine if user_set else os.path.join(str(tmp_path), "numba")
    probe = PROBE.replace("from microexpr", "import numba.core.config as c; "
                          "print(c.CACHE_DIR); from microexpr")
    r = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, env=env,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0] == (mine if user_set else "")           # numba imported first: unset
    assert lines[1] == want                                 # the environment, for children
    assert "cache %s (from %s)" % (want, "NUMBA_CACHE_DIR" if user_set else "MICROEXPR_CACHE") \
        in lines[2]
    assert os.path.isdir(want)


def test_warm_fills_the_cache_and_the_next_process_loads_it(warm_cache):
    r = subprocess.run([sys.executable, "-m", "microexpr.solve.warm", "--no-aot"],
                       capture_output=True, text=True, env=_env(NUMBA_CACHE_DIR=warm_cache),
                       timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "cache %s (from NUMBA_CACHE_DIR)" % warm_cache in r.stdout
    assert ", 0 compiled and cached" in r.stdout, r.stdout
    assert "0 loop(s) loaded" not in r.stdout, r.stdout


@pytest.mark.parametrize("mode", sorted(MODES))
def test_the_fallback_gives_the_compiled_weights(tmp_path, compiled_weights, mode):
    prelude, extra, why = MODES[mode]
    weights, out, err = _solve_in_child(tmp_path, prelude, _env(**extra))
    assert "STATUS plain Python: " + why in out, out
    warnings = [ln for ln in err.splitlines() if ln.startswith("microexpr:")]
    assert len(warnings) == 1 and why in warnings[0], err            # one line, naming why
    assert set(weights) == set(compiled_weights)
    for name, w in weights.items():
        gap = float(np.max(np.abs(w - compiled_weights[name])))
        assert gap <= TOL, (mode, name, gap)


def _numba_files_in_the_package():
    return {p: os.path.getmtime(p) for ext in ("nbi", "nbc")
            for p in glob.glob(os.path.join(SHARED, "microexpr", "**", "*." + ext), recursive=True)}


def test_an_unwritable_cache_folder_compiles_in_memory(tmp_path, compiled_weights):
    """Not numba's silent fallback into the package's __pycache__: a warning, and the loops
    compiled for this process only."""
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    before = _numba_files_in_the_package()
    weights, out, err = _solve_in_child(tmp_path, "", _env(NUMBA_CACHE_DIR=str(blocker / "x")),
                                        "frame-only")
    assert "STATUS numba" in out and "no disk cache" in out, out
    warnings = [ln for ln in err.splitlines() if ln.startswith("microexpr:")]
    assert len(warnings) == 1 and "cannot be written" in warnings[0], err
    assert "NUMBA_CACHE_DIR" in warnings[0]
    assert _numba_files_in_the_package() == before
    for name, w in weights.items():
        assert float(np.max(np.abs(w - compiled_weights[name]))) <= TOL, name


def test_numpy_twins_do_the_loops_arithmetic_bit_for_bit():
    """The plain path's numpy versions of the per-frame assembly equal the loops run by
    Python exactly (same operations, same order)."""
    from microexpr.solve import projected_solver as ps
    from microexpr.solve import weight_solver as ws

    loops = {(k.module, k.name): k.func for k in jit.kernels()}     # the loops as written
    rng = np.random.default_rng(3)
    L, T = 68, 11
    B3 = rng.normal(size=(L, 3, T))
    B3[rng.uniform(size=(L, 1, T)).repeat(3, axis=1) < 0.6] = 0.0   # most targets miss a landmark
    solver = ps.ProjectedSolver(B3, np.eye(3)[:2])
    assert 0 < len(solver.nz_target) < L * T                       # the sparse path is taken
    G = solver.G
    assert G.shape == (T * (T + 1) // 2, 9)
    P = rng.normal(size=(2, 3))
    r = rng.normal(size=(L, 2))
    c = np.where(rng.uniform(size=L) < 0.3, rng.uniform(size=L), 1.0)
    c[:4] = 0.0
    lam, mu, wprev = rng.uniform(0.01, 0.1, T), 0.3, rng.uniform(size=T)
    outs = []
    for f in (loops[("microexpr.solve.projected_solver", "_frame")], ps._frame_numpy):
        H, g, A = np.full((T, T), np.nan), np.full(T, np.nan), np.empty((3, 3))
        f(B3, G, P, r, c, lam, mu, wprev, H, g, A, solver.nz_start, solver.nz_target)
        outs.append((H, g, A))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)
    # and the sparse sums are the dense ones: H = sum_l c_l (P B_l)' (P B_l) + diag(lam + mu)
    PB = np.einsum("ij,ljt->lit", P, B3)
    dense = np.einsum("l,lit,lis->ts", c, PB, PB) + np.diag(lam + mu)
    np.testing.assert_allclose(outs[0][0], dense, rtol=1e-10, atol=1e-10)
    B = rng.normal(size=(2 * L, T))
    d = rng.normal(size=2 * L)
    outs = []
    for f in (loops[("microexpr.solve.weight_solver", "_normal")], ws._normal_numpy):
        H, g = np.full((T, T), np.nan), np.full(T, np.nan)
        f(B, d, c, 2, lam, mu, wprev, H, g)
        outs.append((H, g))
    for a, b in zip(*outs):
        assert np.array_equal(a, b)


def _installer():
    path = os.path.join(ROOT, "install_maya_module.py")
    spec = importlib.util.spec_from_file_location("install_maya_module_for_warm", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def test_the_maya_installer_warms_the_cache_with_that_mayapy(tmp_path, capsys, warm_cache):
    """``--install-deps MAYAPY`` runs the warm-up with MAYAPY after pip (shown by --dry-run);
    the command finds the core from a bare interpreter (here: this Python, as MAYAPY)."""
    inst = _installer()
    mayapy = "/usr/autodesk/maya2024/bin/mayapy"
    home = {"HOME": str(tmp_path), "USERPROFILE": str(tmp_path)}
    code = inst.main(["--dest", str(tmp_path), "--dry-run", "--install-deps", mayapy],
                     environ=home)
    ran = [ln for ln in capsys.readouterr().out.splitlines() if "running:" in ln]
    assert code == 0 and len(ran) == 2, ran
    assert "-m pip install" in ran[0] and ran[1].endswith(mayapy + " -m microexpr.solve.warm")
    env = inst.warm_environ(_env(NUMBA_CACHE_DIR=warm_cache, PYTHONPATH="/elsewhere"))
    assert env["PYTHONPATH"].split(os.pathsep) == [SHARED, "/elsewhere"]
    r = subprocess.run(inst.warm_command(sys.executable), capture_output=True, text=True,
                       env=env, cwd=str(tmp_path), timeout=600)
    assert r.returncode == 0 and "compiled and cached" in r.stdout, r.stdout + r.stderr
