"""Solver throughput: 100,000 frames of 68 2-D landmarks against 52 targets.

Prints frames per second of MicroExpr's bounded solver (without and with the temporal term,
and the per-frame projected form used by 2-D rigid mode), each as a ratio to the named
baseline measured in this same run: scipy.optimize.lsq_linear (BVLS) frame by frame on a
500-frame subsample.

Speed goals on a 2-core machine (reported, never enforced): >= 100,000 frames/s without the
temporal term, >= 20,000 with it. Correctness checks: the worst relative objective gap
against scipy is <= 1e-6, and every solved weight lies in [0, 1].
Exit code (see benchmarks/verdict.py): 0 when the checks pass, whatever the speed; 1 when a
check fails or the script crashes; 2 on bad arguments.
Run: ``python benchmarks/solver.py [--frames N] [--smoke]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from scipy.optimize import lsq_linear  # noqa: E402

from microexpr.rig.build import build_rig  # noqa: E402
from microexpr.rig.face import default_face  # noqa: E402
from microexpr.rig.softmod import rotation_matrix  # noqa: E402
from microexpr.solve.projected_solver import ProjectedSolver  # noqa: E402
from microexpr.solve.weight_solver import HAVE_NUMBA, WeightSolver  # noqa: E402
from verdict import Verdict, add_smoke_flag, times  # noqa: E402

PLAIN_GOAL = 100_000       # frames per second, no temporal term
TEMPORAL_GOAL = 20_000     # frames per second, temporal term
GAP_LIMIT = 1e-6           # worst relative objective gap against scipy


def basis_52():
    """The ARKit preset on the default face, plus Table-1 targets up to 52 columns (68, 3, 52)."""
    face = default_face()
    a = build_rig(face.skin, face.landmark_vertices, "arkit").landmark_delta_matrix()
    t = build_rig(face.skin, face.landmark_vertices, "table1").landmark_delta_matrix()
    return np.concatenate([a, t[:, :, : 52 - a.shape[2]]], axis=2)


def activations(frames, T, rng):
    """Sparse, smooth micro-expression-like weights: a few targets active at a time."""
    W = np.zeros((frames, T))
    for _ in range(frames // 25):
        t0, tgt = rng.integers(frames), rng.integers(T)
        dur = int(rng.integers(12, 60))
        x = np.sin(np.pi * np.arange(dur) / dur) * rng.uniform(0.05, 0.8)
        n = min(dur, frames - t0)
        W[t0:t0 + n, tgt] += x[:n]
    return np.clip(W, 0, 1)


def rate(fn, frames):
    """(frames per second, the weights of the timed run) after one warm-up call."""
    fn(min(frames, 2000))                       # compile / warm up
    t = time.perf_counter()
    out = fn(frames)
    return frames / (time.perf_counter() - t), out


def in_unit_box(W) -> bool:
    W = np.asarray(W)
    return bool(np.all(np.isfinite(W)) and W.min() >= 0.0 and W.max() <= 1.0)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", type=int, default=100_000)
    ap.add_argument("--oracle-frames", type=int, default=500)
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.smoke:
        args.frames, args.oracle_frames = 300, 10
    verdict = Verdict(args.smoke)
    rng = np.random.default_rng(0)
    B3 = basis_52()
    T = B3.shape[2]
    view = 14.0 * np.eye(3)[:2]                  # 14 px per cm, frontal
    B = np.einsum("ij,ljt->lit", view, B3).reshape(-1, T)
    W = activations(args.frames, T, rng)
    D = W @ B.T + rng.normal(0, 0.3, (args.frames, B.shape[0]))     # 0.3 px landmark noise

    plain = WeightSolver(B, 2, reg=1e-3)
    temporal = WeightSolver(B, 2, reg=1e-3, temporal=0.05)
    fps_plain, w_plain = rate(lambda n: plain.solve(D[:n]), args.frames)
    fps_temp, w_temp = rate(lambda n: temporal.solve(D[:n]), args.frames)

    cams = np.stack([14.0 * rotation_matrix(a)[:2] for a in rng.uniform(-10, 10, (args.frames, 3))])
    R = np.einsum("fij,ljt,ft->fli", cams, B3, W) + rng.normal(0, 0.3, (args.frames, 68, 2))
    proj = ProjectedSolver(B3, view, reg=1e-3)
    fps_proj, w_proj = rate(lambda n: proj.solve(R[:n], cams[:n]), args.frames)

    n = args.oracle_frames
    A = np.vstack([B, np.diag(np.sqrt(plain.lam))])
    t = time.perf_counter()
    ref = [lsq_linear(A, np.concatenate([D[f], np.zeros(T)]), bounds=(0, 1), method="bvls",
                      tol=1e-15).x for f in range(n)]
    fps_scipy = n / (time.perf_counter() - t)
    ours = plain.solve(D[:n])
    gaps = np.array([(plain.objective(ours[f], D[f]) - plain.objective(ref[f], D[f]))
                     / plain.objective(ref[f], D[f]) for f in range(n)])
    print("solver benchmark: %d frames, 68 2-D landmarks, %d targets, numba=%s, %d cores"
          % (args.frames, T, HAVE_NUMBA, os.cpu_count() or 1))
    print("%-44s %14s %10s" % ("", "frames/s", "x scipy"))
    rows = [("scipy lsq_linear BVLS per frame (baseline)", fps_scipy),
            ("MicroExpr, no temporal term", fps_plain),
            ("MicroExpr, temporal term (causal)", fps_temp),
            ("MicroExpr, per-frame camera (2-D rigid)", fps_proj)]
    for name, r in rows:
        print("%-44s %14.0f %10s" % (name, r, times(r, fps_scipy)))
    print("objective gap vs scipy on %d frames: median %.2e, worst %.2e (ours - scipy) / scipy"
          % (n, np.median(gaps), gaps.max()))
    verdict.goal(">= %d frames/s, no temporal term" % PLAIN_GOAL, fps_plain >= PLAIN_GOAL)
    verdict.goal(">= %d frames/s, temporal term" % TEMPORAL_GOAL, fps_temp >= TEMPORAL_GOAL)
    verdict.check("worst objective gap vs scipy <= %g" % GAP_LIMIT, gaps.max() <= GAP_LIMIT)
    verdict.check("every solved weight in [0, 1] (all three solvers)",
                  all(in_unit_box(w) for w in (w_plain, w_temp, w_proj)))
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
