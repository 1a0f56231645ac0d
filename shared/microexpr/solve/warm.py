"""Fill numba's cache of the solver's loops, at install time: ``python -m microexpr.solve.warm``.

Runs every solver path once on a tiny random problem (both ``WeightSolver`` paths, one frame
at a time, and the projected solver), with the array types a real solve passes, so each loop
is compiled and written to the cache folder (see ``microexpr.solve.jit``) and the next
``microexpr solve`` loads it instead of compiling. Prints how the loops run, where the cache
lives, and how many loops were compiled or loaded.

Exit code: 0 when the loops are compiled and cached, or when numba is not installed (nothing to
cache: the solver runs as plain Python); 1 when numba is there but compiling or caching failed
(the solver still works, as plain Python or compiled in every process).
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
    from microexpr.solve.refine import warm_up as refine_warm_up

    refine_warm_up()                                # in-betweens and correctives
    hits = misses = 0
    for loop in jit.loops():
        hits += sum(loop.stats.cache_hits.values())
        misses += sum(loop.stats.cache_misses.values())
    return hits, misses


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m microexpr.solve.warm",
                                 description=(__doc__ or "").splitlines()[0])
    ap.parse_args(argv)
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
    return 0


if __name__ == "__main__":
    sys.exit(main())
