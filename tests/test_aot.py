"""The solver's loops compiled ahead of time (``microexpr.solve.aot``).

``python -m microexpr.solve.warm`` builds them into an extension module beside numba's cache;
a later process runs them without importing numba, gives numba's weights to the bit, calls
the module only with the argument types it was built for, and never loads a module built for
other sources or a broken file. Built once per module into a fresh cache folder (a child
process: the module is loaded when ``jit`` is imported).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys

import numpy as np
import pytest
from test_numba_cache import SCRIPT, _env

from microexpr.solve import aot

pytest.importorskip("numba")
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    """A numba cache folder with the ahead-of-time module built into it."""
    cache = str(tmp_path_factory.mktemp("aotcache"))
    r = subprocess.run([sys.executable, "-m", "microexpr.solve.warm"], capture_output=True,
                       text=True, env=_env(NUMBA_CACHE_DIR=cache), timeout=900, cwd=cache)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ahead-of-time module: " in r.stdout and "built in" in r.stdout, r.stdout
    return cache


def _child(code, cache, tmp_path, *args, **env):
    r = subprocess.run([sys.executable, "-c", code] + [str(a) for a in args],
                       capture_output=True, text=True, timeout=600, cwd=str(tmp_path),
                       env=_env(NUMBA_CACHE_DIR=cache, **env))
    assert r.returncode == 0, r.stdout + r.stderr[-3000:]
    return r


def test_warm_builds_every_sequential_loop_once(built, tmp_path):
    folder = aot.folder(built)
    module, specs, why = aot.load(built)
    assert why is None and module is not None
    # every loop a solve calls from Python, except the one numba runs in parallel
    assert set(specs) == {"weight_solver__box_qp", "weight_solver___normal",
                          "weight_solver___sequence", "projected_solver___frame",
                          "projected_solver___sequence", "refine___sequence",
                          "pose_filter___alpha_beta", "performer_fits__rigid_cameras",
                          "performer_fits__expression_cameras", "performer_fits__frame_offsets",
                          "performer_fits__scaled_rotations"}
    r = subprocess.run([sys.executable, "-m", "microexpr.solve.warm"], capture_output=True,
                       text=True, env=_env(NUMBA_CACHE_DIR=built), timeout=600)
    assert r.returncode == 0 and "up to date" in r.stdout, r.stdout       # not built again
    assert os.listdir(built).count(os.path.basename(folder)) == 1


SOLVE_SCRIPT = SCRIPT.replace("PRELUDE", "").replace('np.savez(sys.argv[1], **out)', '''
from microexpr.solve.pose_filter import smooth_cameras
from microexpr.solve.refine import warm_up
Mf, tf = smooth_cameras(np.stack([view] * F) * (1 + 0.01 * rng.normal(size=(F, 2, 3))),
                        rng.normal(size=(F, 2)), valid, np.full(8, 0.4), np.full(8, 0.05))
out["filter"] = np.concatenate([Mf.reshape(F, -1), tf], axis=1)
np.savez(sys.argv[1], **out)
print("AOT", jit.ahead_of_time())''')


@pytest.mark.parametrize("aot_on", ["1", "0"])
def test_the_module_gives_numbas_weights_to_the_bit(built, tmp_path, aot_on):
    """The same problems through every solver path, with the module and with numba alone."""
    _child(SOLVE_SCRIPT, built, tmp_path, tmp_path / "a.npz", MICROEXPR_AOT=aot_on)
    ref = tmp_path / "ref.npz"
    _child(SOLVE_SCRIPT, built, tmp_path, ref, MICROEXPR_AOT="0")
    with np.load(tmp_path / "a.npz") as a, np.load(ref) as b:
        assert set(a.files) == set(b.files) and len(a.files) >= 6
        for name in a.files:
            assert np.array_equal(a[name], b[name]), name


CLI = ("import sys, runpy; sys.argv = ['microexpr'] + sys.argv[1:]; "
       "from microexpr.cli.main import main; rc = main(sys.argv[1:]); "
       "print('NUMBA', 'numba' in sys.modules); sys.exit(rc)")


@pytest.mark.parametrize("mode", ["rigid", "performer"])
def test_a_solve_imports_no_numba(built, tmp_path, mode, default_rig_file, other_identity_tracks):
    """``microexpr solve`` on tracks of another face: with the module, numba is never
    imported, and the clip is the numba path's, bit for bit."""
    outs = {}
    for on in ("1", "0"):
        out = tmp_path / ("clip%s.json" % on)
        r = _child(CLI, built, tmp_path, "solve", "--rig", default_rig_file, "--landmarks",
                   other_identity_tracks, "--compensation", mode, "--out", out,
                   "--format", "json", MICROEXPR_AOT=on)
        assert ("NUMBA False" if on == "1" else "NUMBA True") in r.stdout, r.stdout
        outs[on] = out.read_text()
    assert outs["1"] == outs["0"]


@pytest.fixture(scope="module")
def default_rig_file(tmp_path_factory):
    from microexpr import bridge
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face

    face = default_face()
    path = str(tmp_path_factory.mktemp("rig") / "arkit.microexpr")
    bridge.save_rig(build_rig(face.skin, face.landmark_vertices, "arkit"), path)
    return path


@pytest.fixture(scope="module")
def other_identity_tracks(tmp_path_factory, default_rig_file):
    """240 frames of a face that is not the rig's, turning its head, with noise."""
    from microexpr import bridge
    from performer_cases import micro_take

    pts = micro_take(bridge.load_rig(default_rig_file), 240, 2, 5)
    pts[:, :, 1] *= -1.0                                  # image space: y down
    path = str(tmp_path_factory.mktemp("tracks") / "take.npy")
    np.save(path, pts)
    return path


def test_arguments_of_other_types_never_reach_the_module():
    """The module checks nothing itself (a float32 array would crash it): ``matches``."""
    spec = [["array", "float64", 2, "C", True], ["array", "bool", 1, "C", False],
            ["scalar", "float64"], ["scalar", "int64"], ["scalar", "bool"]]
    H, ok = np.zeros((3, 3)), np.ones(3, bool)
    assert aot.matches([H, ok, 1.5, 2, True], spec)
    assert aot.matches([H, ok, 1, np.int64(2), np.bool_(False)], spec)   # an int is a float
    bad = [
        [H.astype(np.float32), ok, 1.5, 2, True],          # dtype
        [H[None], ok, 1.5, 2, True],                        # dimensions
        [np.asfortranarray(np.zeros((3, 4))), ok, 1.5, 2, True],   # layout
        [np.zeros((3, 6))[:, ::2], ok, 1.5, 2, True],       # a view with strides
        [H.tolist(), ok, 1.5, 2, True],                      # not an array
        [H, ok, 1.5, 2.0, True],                             # a float for an int
        [H, ok, 1.5, True, True],                            # a bool for an int
        [H, ok, True, 2, True],                              # a bool for a float
        [H, ok, 1.5, 2, 1],                                  # an int for a bool
        [H, ok, 1.5, 2],                                     # too few
    ]
    ro = np.zeros((3, 3))
    ro.flags.writeable = False
    bad.append([ro, ok, 1.5, 2, True])                      # written to: read-only refused
    for args in bad:
        assert not aot.matches(args, spec), args
    ro1 = np.ones(3, bool)
    ro1.flags.writeable = False
    assert aot.matches([H, ro1, 1.5, 2, True], spec)        # read only where never written


def test_a_call_with_other_types_runs_through_numba(built, tmp_path):
    code = """
import numpy as np
from microexpr.solve import jit
from microexpr.solve.weight_solver import box_qp
T = 6
rng = np.random.default_rng(1)
A = rng.normal(size=(20, T)); H = A.T @ A + np.eye(T); g = rng.normal(size=T) * 3
def call(Hm):
    w = np.zeros(T)
    jit.run(box_qp, Hm, g, w, np.ones(T, bool), np.empty((T, T)), np.empty(T),
            np.empty(T, np.int64), np.full(T + 1, -1, np.int64))
    return w
a = call(H)                             # the module
import sys; print("BEFORE", "numba" in sys.modules)
b = call(np.asfortranarray(H))          # another layout: numba
print("AFTER", "numba" in sys.modules, float(np.abs(a - b).max()))
"""
    r = _child(code, built, tmp_path)
    assert "BEFORE False" in r.stdout, r.stdout
    after = r.stdout.split("AFTER ")[1].split()
    assert after[0] == "True" and float(after[1]) <= 1e-12, r.stdout


def test_a_module_for_other_sources_is_never_loaded(built, tmp_path):
    """The folder is named by the sources' key: a changed loop looks elsewhere."""
    copy = tmp_path / "microexpr_copy" / "solve"
    shutil.copytree(os.path.dirname(aot.__file__), str(copy))
    here = aot.key()
    with open(str(copy / "projected_solver.py"), "a", encoding="utf-8") as f:
        f.write("\n# a changed loop\n")
    code = ("import importlib.util, sys; s = importlib.util.spec_from_file_location('k', sys.argv[1]);"
            " m = importlib.util.module_from_spec(s); s.loader.exec_module(m); print(m.key())")
    r = subprocess.run([sys.executable, "-c", code, str(copy / "aot.py")], capture_output=True,
                       text=True, env=_env(), timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() != here and len(r.stdout.strip()) == len(here)


def test_a_broken_module_is_said_and_numba_runs(built, tmp_path):
    cache = str(tmp_path / "cache")
    shutil.copytree(built, cache)
    folder = aot.folder(cache)
    so = [f for f in os.listdir(folder) if f.startswith(aot.MODULE)][0]
    with open(os.path.join(folder, so), "wb") as f:
        f.write(b"\x7fELF not really")
    weights = tmp_path / "w.npz"
    r = _child(SOLVE_SCRIPT, cache, tmp_path, weights)
    assert "AOT False" in r.stdout, r.stdout
    warn = [ln for ln in r.stderr.splitlines() if "ahead-of-time module" in ln]
    assert len(warn) == 1 and so in warn[0] and "microexpr.solve.warm" in warn[0], r.stderr
    ref = tmp_path / "ref.npz"
    _child(SOLVE_SCRIPT, built, tmp_path, ref, MICROEXPR_AOT="0")
    with np.load(weights) as a, np.load(ref) as b:
        for name in a.files:
            assert np.array_equal(a[name], b[name]), name


def test_without_pycc_the_warm_up_says_so_and_succeeds(built, tmp_path):
    """numba marks pycc as pending deprecation: a numba without it builds no module, says so,
    and the warm-up still succeeds (numba's cache runs the loops)."""
    cache = str(tmp_path / "cache")
    shutil.copytree(built, cache)                      # numba's loops cached, no module
    shutil.rmtree(aot.folder(cache))
    code = ("import sys; sys.modules['numba.pycc'] = None; "
            "from microexpr.solve.warm import main; sys.exit(main([]))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       env=_env(NUMBA_CACHE_DIR=cache), timeout=900, cwd=str(tmp_path))
    assert r.returncode == 0, r.stdout + r.stderr
    assert "ahead-of-time module not built (ModuleNotFoundError" in r.stdout, r.stdout
    assert not os.path.exists(aot.folder(cache))


def test_numba_brought_in_later_rebinds_the_loops_other_modules_call(built, tmp_path):
    """A loop the module lacks (the parallel one) brings numba in: every module's name for a
    loop must then be numba's, also where one loop module imports another's (refine's
    ``box_qp``), or numba could not compile the loops that call it."""
    code = """
import numpy as np
from microexpr.solve import jit, refine, weight_solver as ws
assert jit.ahead_of_time()
ws.WeightSolver(np.random.default_rng(0).normal(size=(136, 4)), 2).solve(np.zeros((3, 136)))
print("REFINE", type(refine.box_qp).__name__, type(ws.box_qp).__name__)
"""
    r = _child(code, built, tmp_path)
    assert "REFINE CPUDispatcher CPUDispatcher" in r.stdout, r.stdout
