"""After the linear solve: follow in-betweens and combinations (correctives).

The linear solve models a target's landmark motion as ``w * full`` (its column of the landmark
delta matrix). With in-betweens the landmarks follow a piecewise-linear path, and a
combination adds its own motion at the product of its drivers' weights
(``solve_set.SolveModel``). Per frame, starting from the linear weights, up to
``REFINE_STEPS`` Gauss-Newton steps minimise the linear solver's objective with the true
model ``m(w)``:

    phi(w) = sum_i c_i (m_i(w) - d_i)^2 + sum_t lam_t w_t^2 + mu |w - w_prev|^2,  0 <= w <= 1

A step linearises ``m`` at the current weights, ``m(v) ~ m(w) + J (v - w)`` (J: each target's
slope on the segment its weight lies on; a combination adds its slope times the product of
the other drivers' weights to each driver), and solves that box QP, ``H = J'CJ + diag(lam +
mu)``, ``g = J'C(d - m + J w) + mu w_prev``, with the solver's own ``box_qp`` warm-started at
``w``. A step that moves no weight by ``STEP_TOL`` ends the steps untaken; else it is tried at
lengths 1, 1/2, ... 1/16 (``HALVINGS``) and the first that lowers ``phi`` is kept; if none
does, the steps end. A full step over which the model was exact (every in-between weight
stays on its segment, every combination keeps a driver at exactly 0) ends them too: another
step would end at the same weights.

A kink can hold the steps in a false minimum, on the wrong side of an in-between. Then up to
``JUMPS`` rounds of segment jumps follow, each with more steps: for each target with
in-betweens, the best weight on each other segment of its curve (the 1-D least squares of
its own curve, the others held) replaces the current one when the objective, with the
combinations the target drives, goes down (``_jump``).

**Where the sums run.** The model is linear in the matrix's columns: ``m(w) = X a(w)``, with
``a`` the columns' coefficients (a target's weight; the hat functions of a curve's knots at
its weight or its drivers' product) and ``J = X A(w)`` (``A``: a few entries per target). So
every sum over landmarks is done once per frame, in the Gram matrix ``Q = X'CX`` and
``b = X'Cd`` (``Q`` from the per-frame camera as ``projected_solver`` does it), and a step's
matrix costs ``A'QA``, the columns' size squared, instead of ``J'CJ``, the landmarks times the
targets squared. The box QPs stay: on a 52-of-250-target rig with 57 curves a frame is about
three times faster (``benchmarks/solve_set.py``, docs/key-weights.md). Columns no
allowed target can reach (a pinned target's, a combination with a pinned driver) are left
out. The C# runtime (``Refiner.cs``) and ``refine_numpy`` take the same steps with the sums
over landmarks: the weights agree to rounding.

``w_prev`` is the previous frame's refined weights; invalid frames hold them.

Measured on the ARKit rig with in-betweens on a third of its targets and a corrective (tracks
made by ``rig.build.evaluate``): the rms landmark error of the linear solve drops some 300
times (docs/key-weights.md, "Solve set, in-betweens and correctives").
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr.solve.jit import kernel, run
from microexpr.solve.projected_solver import moving_targets
from microexpr.solve.refine_coefs import (
    _change,
    _coefs,
    _data,
    _gram,
    _moved_data,
    _segment,
    _segment_minimum,
)
from microexpr.solve.refine_numpy import HALVINGS, JUMPS, REFINE_STEPS, STEP_TOL, sequence_numpy
from microexpr.solve.solve_set import SolveModel
from microexpr.solve.weight_solver import box_qp

__all__ = ["HALVINGS", "JUMPS", "REFINE_STEPS", "STEP_TOL", "Curves", "refine", "warm_up"]


class Curves:
    """A ``SolveModel``'s curves as flat arrays for the loops: ``lin`` (S,) targets without
    in-betweens; per curve its target (-1: a combination), knots ``kn`` with their columns
    ``kc`` (-1 for the knot at 0) from ``kstart``, drivers ``dr`` from ``dstart``."""

    def __init__(self, model: SolveModel) -> None:
        S = model.size
        self.lin = np.ones(S, dtype=np.bool_)
        target: List[int] = []
        kn: List[float] = []
        kc: List[int] = []
        dr: List[int] = []
        kstart, dstart = [0], [0]
        for c in model.curves:
            if c.target >= 0:
                self.lin[c.target] = False
            target.append(c.target)
            kn += [float(x) for x in c.knot]
            kc += [-1] + [int(x) for x in c.columns]
            kstart.append(len(kn))
            dr += list(c.drivers)
            dstart.append(len(dr))
        self.target = np.array(target, dtype=np.int64)
        self.kn = np.array(kn, dtype=np.float64)
        self.kc = np.array(kc, dtype=np.int64)
        self.kstart = np.array(kstart, dtype=np.int64)
        self.dr = np.array(dr, dtype=np.int64)
        self.dstart = np.array(dstart, dtype=np.int64)

    def arrays(self):
        return self.lin, self.target, self.kstart, self.kn, self.kc, self.dstart, self.dr

    def live(self, allowed: np.ndarray, columns: int) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(live columns, each target's own live column or -1, ``kc`` in live numbering) for
        the ``allowed`` targets: a column is live when an allowed target's weight can give it
        a coefficient (a linear target's own; the knots of an allowed target's curve; a
        combination's whose drivers are all allowed)."""
        S = len(self.lin)
        used = np.zeros(columns, bool)
        used[:S] = self.lin & allowed
        for k, t in enumerate(self.target):
            drivers = self.dr[self.dstart[k]:self.dstart[k + 1]]
            reach = bool(allowed[t]) if t >= 0 else bool(np.all(allowed[drivers]))
            if reach:
                cols = self.kc[self.kstart[k]:self.kstart[k + 1]]
                used[cols[cols >= 0]] = True
        cols = np.flatnonzero(used)
        number = np.full(columns, -1, np.int64)
        number[cols] = np.arange(len(cols))
        tcol = np.where(self.lin, number[:S], -1)
        kc = np.where(self.kc >= 0, number[np.maximum(self.kc, 0)], -1)
        return cols, tcol.astype(np.int64), kc.astype(np.int64)


# -- the loops (numba) ---------------------------------------------------------------------


@kernel()
def _objective(Q, b, dd, w, wprev, lam, mu, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej,
               ev, nzi):
    _coefs(w, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej, ev, False)
    val = _data(a, Q, b, dd, nzi)
    for t in range(w.shape[0]):
        val += lam[t] * w[t] * w[t]
    if mu != 0.0:
        for t in range(w.shape[0]):
            val += mu * (w[t] - wprev[t]) * (w[t] - wprev[t])
    return val


@kernel()
def _step(Q, b, w, wprev, lam, mu, allowed, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej,
          ev, z, y, T1, H, g, v, work, rhs, free, cache):
    """One Gauss-Newton step's box QP: H = A'QA + diag(lam + mu), g = A'(b - Q(a - Aw)) +
    mu w_prev; its solution into v (warm-started at w)."""
    N = a.shape[0]
    S = w.shape[0]
    n = _coefs(w, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej, ev, True)
    for p in range(N):
        z[p] = a[p]
        for t in range(S):
            T1[p, t] = 0.0
    for e in range(n):
        z[ep[e]] -= ev[e] * w[ej[e]]
    for p in range(N):
        s = b[p]
        for q in range(N):
            if z[q] != 0.0:
                s -= Q[p, q] * z[q]
        y[p] = s
    for t in range(S):
        g[t] = mu * wprev[t]
        for u in range(S):
            H[t, u] = 0.0
    for e in range(n):
        g[ej[e]] += ev[e] * y[ep[e]]
        col = ep[e]
        t = ej[e]
        for p in range(N):
            T1[p, t] += ev[e] * Q[p, col]
    for e in range(n):
        i = ej[e]
        for j in range(i, S):
            H[i, j] += ev[e] * T1[ep[e], j]
    for i in range(S):
        for j in range(i + 1, S):
            H[j, i] = H[i, j]
        H[i, i] += lam[i] + mu
        v[i] = w[i]
    cache[0] = -1
    box_qp(H, g, v, allowed, work, rhs, free, cache)


@kernel()
def _gauss_newton(Q, b, dd, w, wprev, lam, mu, allowed, tcol, target, kstart, kn, kc, dstart, dr,
                  a, ep, ej, ev, nzi, z, y, T1, H, g, v, u, work, rhs, free, cache):
    """Up to REFINE_STEPS steps on w (S,) in place; returns the steps kept."""
    S = w.shape[0]
    best = _objective(Q, b, dd, w, wprev, lam, mu, tcol, target, kstart, kn, kc, dstart, dr, a, ep,
                      ej, ev, nzi)
    kept = 0
    for _ in range(REFINE_STEPS):
        _step(Q, b, w, wprev, lam, mu, allowed, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej,
              ev, z, y, T1, H, g, v, work, rhs, free, cache)
        size = 0.0
        for t in range(S):
            if abs(v[t] - w[t]) > size:
                size = abs(v[t] - w[t])
        if size < STEP_TOL:
            break
        alpha = 1.0
        found = False
        val = best
        for _h in range(HALVINGS + 1):
            for t in range(S):
                u[t] = w[t] + alpha * (v[t] - w[t])
            val = _objective(Q, b, dd, u, wprev, lam, mu, tcol, target, kstart, kn, kc, dstart, dr,
                             a, ep, ej, ev, nzi)
            if val < best:
                found = True
                break
            alpha *= 0.5
        if not found:
            break
        settled = alpha == 1.0 and _same_segments(w, u, target, kstart, kn, dstart, dr)
        for t in range(S):
            w[t] = u[t]
        best = val
        kept += 1
        if settled:
            break
    return kept


@kernel()
def _jump(Q, b, dd, w, wprev, lam, mu, allowed, tcol, target, kstart, kn, kc, dstart, dr, a, ep,
          ej, ev, nzi, ga, col, val):
    """Segment jumps: for each target with in-betweens, the best weight on each other segment
    with the other weights held (the 1-D least squares of its own curve), kept when the
    objective (with the combinations it drives) goes down. Returns whether any weight moved."""
    N = a.shape[0]
    _coefs(w, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej, ev, False)
    for p in range(N):
        s = -b[p]
        for q in range(N):
            if a[q] != 0.0:
                s += Q[p, q] * a[q]
        ga[p] = s
    data = dd
    for p in range(N):
        data += a[p] * (ga[p] - b[p])
    moved = False
    for k in range(target.shape[0]):
        t = target[k]
        a0 = kstart[k]
        ns = kstart[k + 1] - a0 - 1
        if t < 0 or ns < 2 or not allowed[t]:
            continue
        x = w[t]
        cur = _segment(x, a0, ns, kn)
        best = data + lam[t] * x * x + mu * (x - wprev[t]) * (x - wprev[t])
        best_x = x
        best_s = cur
        for s in range(ns):
            if s == cur:
                continue
            y = _segment_minimum(Q, ga, x, k, s, kstart, kn, kc, lam[t], mu, wprev[t], col, val)
            if abs(y - x) < STEP_TOL:
                continue
            n = _change(w, t, x, y, k, target, kstart, kn, kc, dstart, dr, col, val)
            v = _moved_data(data, ga, Q, col, val, n) + lam[t] * y * y + mu * (y - wprev[t]) * (y - wprev[t])
            if v < best:
                best, best_x, best_s = v, y, s
        if best_s != cur:
            n = _change(w, t, x, best_x, k, target, kstart, kn, kc, dstart, dr, col, val)
            data = _moved_data(data, ga, Q, col, val, n)
            for e in range(n):
                a[col[e]] += val[e]
                for p in range(N):
                    ga[p] += Q[p, col[e]] * val[e]
            w[t] = best_x
            moved = True
    return moved


@kernel()
def _same_segments(w, u, target, kstart, kn, dstart, dr):
    """True when the model was exact over the step from w to u: every target curve's weight
    stays on its segment, and every combination keeps a driver at exactly 0 (its product, and
    the step's linear change of it, are 0). Another step would then end at u."""
    for k in range(target.shape[0]):
        t = target[k]
        if t < 0:
            zero = False
            for e in range(dstart[k], dstart[k + 1]):
                if w[dr[e]] == 0.0 and u[dr[e]] == 0.0:
                    zero = True
            if not zero:
                return False
            continue
        a = kstart[k]
        for q in range(1, kstart[k + 1] - a - 1):
            if (kn[a + q] <= w[t]) != (kn[a + q] <= u[t]):
                return False
    return True


@kernel(plain=sequence_numpy)
def _sequence(X0, B3, cams, projected, D, C, valid, W, out, kd, lam, mu, allowed, lin, target,
              kstart, kn, kc, dstart, dr, start, Bk, G, tcol, kcl, nz_start, nz_col):
    """Every frame in order from its linear weights W (F, S) into ``out``; returns the steps
    kept. ``projected``: frame f's rows are cams[f] B3, else X0 (both held as the blocks Bk,
    Gram G of ``refine``). ``start``: the refined weights of the frame before the first
    (zeros for a take's start)."""
    F, S = W.shape
    L, Dm, N = Bk.shape
    cap = S + 4 * (dr.shape[0] + target.shape[0]) + 4
    Q = np.empty((N, N))
    b = np.empty(N)
    A = np.zeros((Dm, Dm))
    r = np.empty((L, Dm))
    a = np.empty(N)
    ep = np.empty(cap, np.int64)
    ej = np.empty(cap, np.int64)
    ev = np.empty(cap)
    nzi = np.empty(N, np.int64)
    z = np.empty(N)
    y = np.empty(N)
    ga = np.empty(N)
    col = np.empty(cap, np.int64)
    val = np.empty(cap)
    T1 = np.empty((N, S))
    H = np.empty((S, S))
    g = np.empty(S)
    v = np.empty(S)
    u = np.empty(S)
    work = np.empty((S, S))
    rhs = np.empty(S)
    free = np.empty(S, np.int64)
    cache = np.full(S + 1, -1, np.int64)
    w = np.zeros(S)
    wprev = start.copy()
    kept = 0
    if not projected:
        for p in range(Dm):
            A[p, p] = 1.0
    for f in range(F):
        if valid[f]:
            d = D[f]
            c = C[f]
            dd = 0.0
            for l in range(L):
                for i in range(kd):
                    dd += c[l] * d[l * kd + i] * d[l * kd + i]
            if projected:
                P = cams[f]
                for p in range(3):
                    for q in range(3):
                        A[p, q] = P[0, p] * P[0, q] + P[1, p] * P[1, q]
                for l in range(L):
                    for p in range(3):
                        r[l, p] = P[0, p] * d[l * 2] + P[1, p] * d[l * 2 + 1]
            else:
                for l in range(L):
                    for p in range(Dm):
                        r[l, p] = d[l * kd + p]
            _gram(Bk, G, A, r, c, Q, b, nz_start, nz_col)
            for t in range(S):
                w[t] = W[f, t]
            kept += _gauss_newton(Q, b, dd, w, wprev, lam, mu, allowed, tcol, target, kstart, kn,
                                  kcl, dstart, dr, a, ep, ej, ev, nzi, z, y, T1, H, g, v, u, work,
                                  rhs, free, cache)
            for _ in range(JUMPS):
                if not _jump(Q, b, dd, w, wprev, lam, mu, allowed, tcol, target, kstart, kn, kcl,
                             dstart, dr, a, ep, ej, ev, nzi, ga, col, val):
                    break
                kept += 1 + _gauss_newton(Q, b, dd, w, wprev, lam, mu, allowed, tcol, target,
                                          kstart, kn, kcl, dstart, dr, a, ep, ej, ev, nzi, z, y,
                                          T1, H, g, v, u, work, rhs, free, cache)
            for t in range(S):
                wprev[t] = w[t]
        for t in range(S):
            out[f, t] = wprev[t]
    return kept


def _blocks(kw, B3: np.ndarray, cols: np.ndarray):
    """The frame rows' blocks (L, D, N) over the live columns, their Gram (D, D, N, N) and
    each landmark's live columns (start, column)."""
    if kw.cameras is not None:
        Bk = np.ascontiguousarray(B3[:, :, cols], dtype=np.float64)
    else:
        X0 = np.asarray(kw.basis, dtype=np.float64)
        Bk = np.ascontiguousarray(X0[:, cols].reshape(X0.shape[0] // kw.k, kw.k, len(cols)))
    G = np.ascontiguousarray(np.einsum("lai,lbj->abij", Bk, Bk))
    nz_start, nz_col = moving_targets(Bk)
    return Bk, G, nz_start, nz_col


def refine(model: SolveModel, W: np.ndarray, kw, lam: np.ndarray, mu: float,
           allowed: np.ndarray, B3: np.ndarray, start: Optional[np.ndarray] = None
           ) -> Tuple[np.ndarray, Dict[str, int]]:
    """Refined weights (F, S) from the linear ones ``W`` of key weights ``kw`` made from
    ``model.matrix``; ``B3`` the 3-D columns (68, 3, S + E) seen by each frame's camera in
    2-D rigid mode (``kw.cameras``), else ``kw.basis`` is used. ``start``: the refined weights
    of the frame before the first (a take solved in chunks), else zeros."""
    cv = Curves(model)
    allowed = np.asarray(allowed, np.bool_)
    projected = kw.cameras is not None
    cols, tcol, kcl = cv.live(allowed, model.columns)
    Bk, G, nz_start, nz_col = _blocks(kw, B3, cols)
    out = np.zeros_like(W)
    X0 = np.ascontiguousarray(kw.basis) if not projected else np.zeros((1, 1))
    B = np.ascontiguousarray(B3) if projected else np.zeros((1, 1, 1))
    cams = np.ascontiguousarray(kw.cameras) if projected else np.zeros((1, 2, 3))
    kept = run(_sequence, X0, B, cams, projected, np.ascontiguousarray(kw.deltas),
               np.ascontiguousarray(kw.confidence), np.asarray(kw.valid, np.bool_),
               np.ascontiguousarray(W), out, kw.k, np.asarray(lam, np.float64), float(mu),
               allowed, *cv.arrays(),
               np.zeros(W.shape[1]) if start is None else np.array(start, np.float64),
               Bk, G, tcol, kcl, nz_start, nz_col)
    return out, {"frames": int(np.sum(kw.valid)), "steps": int(kept)}


def warm_up() -> None:
    """Refine a tiny problem once in each form (a basis; 2-D cameras), so numba compiles and
    caches the loops (``python -m microexpr.solve.warm``)."""
    from microexpr.solve.key_weights import KeyWeights
    from microexpr.solve.solve_set import Curve

    rng = np.random.default_rng(0)
    L, S, F = 68, 3, 2
    matrix = rng.normal(size=(L, 3, S + 2))
    curves = [Curve("a", np.array([0.0, 0.5, 1.0]), np.array([3, 0]), target=0),
              Curve("a_b", np.array([0.0, 1.0]), np.array([4]), drivers=(0, 1))]
    model = SolveModel(np.arange(S), ["a", "b", "c"], matrix, curves)
    view = np.eye(3)[:2]
    basis = np.ascontiguousarray(np.einsum("ij,ljc->lic", view, matrix).reshape(2 * L, -1))
    for cams in (None, np.stack([view] * F)):
        kw = KeyWeights(rng.normal(size=(F, 2 * L)), basis, np.ones((F, L)), np.ones(F, bool), 2,
                        "rigid", {}, cams, view)
        refine(model, np.full((F, S), 0.3), kw, np.full(S, 1e-3), 0.0, np.ones(S, bool), matrix)
