"""Fill numba's cache of the solver's loops, at install time: ``python -m microexpr.solve.warm``.

Runs every solver path once on a tiny random problem (both ``WeightSolver`` paths, one frame
at a time, and the projected solver), with the array types a real solve passes, so each loop
is compiled and written to the cache folder (see ``microexpr.solve.jit``) and the next
``microexpr solve`` loads it instead of compiling. Then it builds the same loops ahead of
time into an extension module beside the cache (``microexpr.solve.aot``; needs a C compiler,
skipped with ``--no-aot``), which later processes run without importing numba. Prints how
the loops run, where the cache lives, how many loops were compiled or loaded, and the module.

Exit code: 0 when the loops are compiled and cached, or when numba is not installed (nothing to
cache: the solver runs as plain Python); 1 when numba is there but compiling or caching failed
(the solver still works, as plain Python or compiled in every process). A module that cannot
be built is reported and leaves the code 0: numba's cache does the same work, only slower to
start.
"""
from __future__ import annotations

import argparse
import sys
import time
from typing import List, Optional, Tuple


def warm() -> Tuple[int, int]:
    """Solve tiny problems through every loop; (loops loaded from the cache, loops compiled)."""
    import numpy as np

    from microexpr.solve import jit
    from microexpr.solve.projected_solver import ProjectedSolver
    from microexpr.solve.weight_solver import WeightSolver

    rng = np.random.default_rng(0)
    L, T, F = 68, 4, 3
    B3 = rng.normal(size=(L, 3, T))
    view = np.eye(3)[:2]
    B = np.einsum("ij,ljt->lit", view, B3).reshape(-1, T)
    D = rng.normal(size=(F, 2 * L))
    conf = np.ones((F, L))
    conf[1, :5] = 0.5
    pinned = np.zeros(T, bool)
    pinned[-1] = True
    WeightSolver(B, 2, pinned=pinned).solve(D)                              # parallel chunks
    WeightSolver(B, 2, temporal=0.1, pinned=pinned).solve(D, conf)          # causal sequence
    WeightSolver(B, 2, pinned=pinned).solve_frame(D[0], conf[1])            # one frame
    cams = np.stack([view] * F)
    ps = ProjectedSolver(B3, view, pinned=pinned)
    ps.solve(D, cams, conf)
    ps.solve_frame(D[0], view, conf[1])
    from microexpr.solve.pose_filter import smooth_cameras
    from microexpr.solve.refine import warm_up as refine_warm_up

    refine_warm_up()                                # in-betweens and correctives
    smooth_cameras(cams, np.zeros((F, 2)), np.ones(F, bool), np.full(8, 0.5), np.full(8, 0.1))
    _warm_performer(rng, L, F)
    hits = misses = 0
    for loop in jit.loops():
        hits += sum(loop.stats.cache_hits.values())
        misses += sum(loop.stats.cache_misses.values())
    return hits, misses


def _warm_performer(rng, L: int, F: int) -> None:
    """2-D performer mode's compiled fits (``performer_fits``), with a real solve's types."""
    import numpy as np

    from microexpr.solve import performer_fits as fits
    from microexpr.solve.jit import run

    S = rng.normal(size=(L, 3))
    x = rng.normal(size=(F, L, 2))
    conf, valid = np.ones((F, L)), np.ones(F, np.bool_)
    view = np.eye(3)[:2].copy()
    M, t = np.empty((F, 2, 3)), np.empty((F, 2))
    for kind in (fits.WEAK_PERSPECTIVE, fits.IN_PLANE):
        run(fits.rigid_cameras, kind, view, S, np.arange(10, dtype=np.int64), x, conf, valid, M, t)
    B = rng.normal(size=(L, 3, 2))
    nz_start = np.arange(0, 2 * L + 1, 2, dtype=np.int64)
    nz_target = np.tile(np.arange(2, dtype=np.int64), L)
    M2, t2 = np.empty((F, 2, 3)), np.empty((F, 2))
    run(fits.expression_cameras, fits.WEAK_PERSPECTIVE, view, S, B, nz_start, nz_target,
        np.zeros((F, 2)), x, conf, valid, M, t, 1.0, M2, t2)
    R, P, C = np.empty((F, L, 2)), np.empty((F, 2, 3)), np.empty((F, L))
    run(fits.frame_offsets, x, conf, valid, M, t, S, np.ones(L), R, P, C)
    run(fits.scaled_rotations, np.ones((F, 8)), M2)


def main(argv: Optional[List[str]] = None) -> int:
    import os

    ap = argparse.ArgumentParser(prog="python -m microexpr.solve.warm",
                                 description=(__doc__ or "").splitlines()[0])
    ap.add_argument("--no-aot", action="store_true",
                    help="only fill numba's cache; do not build the ahead-of-time module")
    args = ap.parse_args(argv)
    os.environ["MICROEXPR_AOT"] = "0"          # warm numba's loops, not an older module's
    from microexpr.solve import jit

    start = time.perf_counter()
    hits, misses = warm()
    seconds = time.perf_counter() - start
    print("microexpr solver: %s" % jit.status())
    if not jit.compiled():
        print("nothing cached: the solver runs as plain Python")
        return 0 if jit.numba_missing() else 1
    if jit.cache_dir() is None:
        print("compiled in %.1f s, but not cached: the folder cannot be written" % seconds)
        return 1
    print("%d loop(s) loaded from the cache, %d compiled and cached, in %.1f s"
          % (hits, misses, seconds))
    if not args.no_aot:
        from microexpr.solve import aot

        cache = jit.cache_dir() or ""
        try:
            built, took = aot.build(cache, jit.kernels())
            print("ahead-of-time module: %d loop(s) in %s (%s)" % (
                len(built), aot.folder(cache), "built in %.1f s" % took if took else "up to date"))
        except Exception as exc:                   # no C compiler, an old numba
            print("ahead-of-time module not built (%s: %s); numba's cache runs the loops"
                  % (type(exc).__name__, str(exc).strip().splitlines()[0][:300] if str(exc).strip() else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
