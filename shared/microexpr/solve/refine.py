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

``w_prev`` is the previous frame's refined weights; invalid frames hold them. The C# runtime
(``Refiner.cs``) takes the same steps; ``refine_numpy`` runs them without numba.

Measured on the ARKit rig with in-betweens on a third of its targets and a corrective (tracks
made by ``rig.build.evaluate``): the rms landmark error of the linear solve drops some 300
times (docs/key-weights.md, "Solve set, in-betweens and correctives").
"""
from __future__ import annotations

from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr.solve.jit import kernel, run
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


# -- the loops (numba) ---------------------------------------------------------------------
@kernel()
def _model(X, w, lin, target, kstart, kn, kc, dstart, dr, m, J, prods, jac):
    """m = the landmark model at w (M,); with ``jac`` also its Jacobian J (M, S)."""
    M, S = J.shape
    for i in range(M):
        s = 0.0
        for t in range(S):
            if jac:
                J[i, t] = X[i, t]
            if lin[t]:
                s += X[i, t] * w[t]
        m[i] = s
    for k in range(target.shape[0]):
        t = target[k]
        if t >= 0:
            x = w[t]
        else:
            x = 1.0
            for e in range(dstart[k], dstart[k + 1]):
                x *= w[dr[e]]
            for j in range(dstart[k], dstart[k + 1]):
                p = 1.0
                for e in range(dstart[k], dstart[k + 1]):
                    if e != j:
                        p *= w[dr[e]]
                prods[j - dstart[k]] = p
        a = kstart[k]
        ns = kstart[k + 1] - a - 1
        seg = 0
        for q in range(1, ns):
            if kn[a + q] <= x:
                seg = q
        k0 = kn[a + seg]
        k1 = kn[a + seg + 1]
        clo = kc[a + seg]
        chi = kc[a + seg + 1]
        for i in range(M):
            lo = X[i, clo] if clo >= 0 else 0.0
            slope = (X[i, chi] - lo) / (k1 - k0)
            m[i] += lo + (x - k0) * slope
            if jac:
                if t >= 0:
                    J[i, t] = slope
                else:
                    for j in range(dstart[k], dstart[k + 1]):
                        J[i, dr[j]] += slope * prods[j - dstart[k]]


@kernel()
def _objective(X, d, c, kd, w, wprev, lam, mu, lin, target, kstart, kn, kc, dstart, dr, m, J, prods):
    _model(X, w, lin, target, kstart, kn, kc, dstart, dr, m, J, prods, False)
    val = 0.0
    for i in range(m.shape[0]):
        r = m[i] - d[i]
        val += c[i // kd] * r * r
    for t in range(w.shape[0]):
        val += lam[t] * w[t] * w[t]
    if mu != 0.0:
        for t in range(w.shape[0]):
            val += mu * (w[t] - wprev[t]) * (w[t] - wprev[t])
    return val


@kernel()
def _step(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc, dstart, dr,
          m, J, prods, H, g, v, idx, work, rhs, free, cache):
    """One Gauss-Newton step's box QP: its solution into v (warm-started at w)."""
    M, S = J.shape
    _model(X, w, lin, target, kstart, kn, kc, dstart, dr, m, J, prods, True)
    for a in range(S):
        g[a] = 0.0
        for b in range(S):
            H[a, b] = 0.0
    for i in range(M):
        ci = c[i // kd]
        if ci == 0.0:
            continue
        nz = 0
        r = d[i] - m[i]
        for t in range(S):
            if J[i, t] != 0.0:
                idx[nz] = t
                nz += 1
                r += J[i, t] * w[t]
        for p in range(nz):
            a = idx[p]
            va = ci * J[i, a]
            g[a] += va * r
            for q in range(p, nz):
                H[a, idx[q]] += va * J[i, idx[q]]
    for a in range(S):
        for b in range(a + 1, S):
            H[b, a] = H[a, b]
        H[a, a] += lam[a] + mu
        g[a] += mu * wprev[a]
        v[a] = w[a]
    cache[0] = -1
    box_qp(H, g, v, allowed, work, rhs, free, cache)


@kernel()
def _refine_frame(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc, dstart,
                  dr, m, J, prods, H, g, v, u, idx, work, rhs, free, cache):
    """Refines w (S,) in place: Gauss-Newton steps, then segment jumps each followed by more
    steps; returns the steps and jumps kept."""
    kept = _gauss_newton(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc,
                         dstart, dr, m, J, prods, H, g, v, u, idx, work, rhs, free, cache)
    for _ in range(JUMPS):
        if not _jump(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc, dstart,
                     dr, m, J, prods):
            break
        kept += 1 + _gauss_newton(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart,
                                  kn, kc, dstart, dr, m, J, prods, H, g, v, u, idx, work, rhs,
                                  free, cache)
    return kept


@kernel()
def _gauss_newton(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc, dstart,
                  dr, m, J, prods, H, g, v, u, idx, work, rhs, free, cache):
    """Up to REFINE_STEPS steps on w (S,) in place; returns the steps kept."""
    S = w.shape[0]
    best = _objective(X, d, c, kd, w, wprev, lam, mu, lin, target, kstart, kn, kc, dstart, dr, m, J, prods)
    kept = 0
    for _ in range(REFINE_STEPS):
        _step(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc, dstart, dr,
              m, J, prods, H, g, v, idx, work, rhs, free, cache)
        size = 0.0
        for t in range(S):
            if abs(v[t] - w[t]) > size:
                size = abs(v[t] - w[t])
        if size < STEP_TOL:
            break
        alpha = 1.0
        found = False
        for _h in range(HALVINGS + 1):
            for t in range(S):
                u[t] = w[t] + alpha * (v[t] - w[t])
            val = _objective(X, d, c, kd, u, wprev, lam, mu, lin, target, kstart, kn, kc, dstart,
                             dr, m, J, prods)
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
def _jump(X, d, c, kd, w, wprev, lam, mu, allowed, lin, target, kstart, kn, kc, dstart, dr, m, J,
          prods):
    """Segment jumps: for each target with in-betweens, the best weight on each other segment
    with the other weights held (the 1-D least squares of its own curve), kept when the
    objective (with the combinations it drives) goes down. Returns whether any weight moved."""
    _model(X, w, lin, target, kstart, kn, kc, dstart, dr, m, J, prods, False)
    M = m.shape[0]
    delta = np.empty(M)
    moved = False
    for k in range(target.shape[0]):
        t = target[k]
        a = kstart[k]
        ns = kstart[k + 1] - a - 1
        if t < 0 or ns < 2 or not allowed[t]:
            continue
        x = w[t]
        cur = 0
        for q in range(1, ns):
            if kn[a + q] <= x:
                cur = q
        best = 0.0
        for i in range(M):
            r = m[i] - d[i]
            best += c[i // kd] * r * r
        best += lam[t] * x * x + mu * (x - wprev[t]) * (x - wprev[t])
        best_x = x
        best_s = cur
        for s in range(ns):
            if s == cur:
                continue
            y = _segment_minimum(X, d, c, kd, m, x, cur, s, a, kn, kc, lam[t], mu, wprev[t])
            if abs(y - x) < STEP_TOL:
                continue
            _change(X, w, t, x, y, k, cur, s, target, kstart, kn, kc, dstart, dr, delta)
            val = 0.0
            for i in range(M):
                r = m[i] + delta[i] - d[i]
                val += c[i // kd] * r * r
            val += lam[t] * y * y + mu * (y - wprev[t]) * (y - wprev[t])
            if val < best:
                best, best_x, best_s = val, y, s
        if best_s != cur:
            _change(X, w, t, x, best_x, k, cur, best_s, target, kstart, kn, kc, dstart, dr, delta)
            for i in range(M):
                m[i] += delta[i]
            w[t] = best_x
            moved = True
    return moved


@kernel()
def _change(X, w, t, x, y, k, cur, s, target, kstart, kn, kc, dstart, dr, delta):
    """delta = the change of the model when target t (curve k) moves from x on segment cur to
    y on segment s, with the combinations it drives."""
    a = kstart[k]
    for i in range(delta.shape[0]):
        delta[i] = _on_segment(X, i, s, a, kn, kc, y) - _on_segment(X, i, cur, a, kn, kc, x)
    for k2 in range(target.shape[0]):
        if target[k2] >= 0:
            continue
        has = False
        p = 1.0
        q = 1.0
        for e in range(dstart[k2], dstart[k2 + 1]):
            p *= w[dr[e]]
            if dr[e] == t:
                has = True
                q *= y
            else:
                q *= w[dr[e]]
        if not has:
            continue
        a2 = kstart[k2]
        sp = 0
        sq = 0
        for j in range(1, kstart[k2 + 1] - a2 - 1):
            if kn[a2 + j] <= p:
                sp = j
            if kn[a2 + j] <= q:
                sq = j
        for i in range(delta.shape[0]):
            delta[i] += _on_segment(X, i, sq, a2, kn, kc, q) - _on_segment(X, i, sp, a2, kn, kc, p)


@kernel()
def _on_segment(X, i, s, a, kn, kc, y):
    """Row i of a curve's offset at weight y, read on segment s (knots from a)."""
    clo = kc[a + s]
    lo = X[i, clo] if clo >= 0 else 0.0
    slope = (X[i, kc[a + s + 1]] - lo) / (kn[a + s + 1] - kn[a + s])
    return lo + (y - kn[a + s]) * slope


@kernel()
def _segment_minimum(X, d, c, kd, m, x, cur, s, a, kn, kc, lam, mu, wp):
    """The weight on segment s (within 0-1) that minimises the objective along one target's
    own curve (m: the model with it at x on segment cur; its combinations held)."""
    num = 0.0
    den = 0.0
    for i in range(m.shape[0]):
        sl = _on_segment(X, i, s, a, kn, kc, 1.0) - _on_segment(X, i, s, a, kn, kc, 0.0)
        r0 = m[i] - _on_segment(X, i, cur, a, kn, kc, x) + _on_segment(X, i, s, a, kn, kc, 0.0) - d[i]
        ci = c[i // kd]
        num += ci * r0 * sl
        den += ci * sl * sl
    y = (mu * wp - num) / (den + lam + mu)
    lo = max(kn[a + s], 0.0)
    hi = min(kn[a + s + 1], 1.0)
    return lo if y < lo else (hi if y > hi else y)


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


@kernel()
def _frame_columns(B3, P, X):
    """X = P B3: the 3-D columns (L, 3, C) seen by camera P (2x3), rows landmark-major."""
    L, _, C = B3.shape
    for l in range(L):
        for i in range(2):
            for col in range(C):
                X[l * 2 + i, col] = (P[i, 0] * B3[l, 0, col] + P[i, 1] * B3[l, 1, col]
                                     + P[i, 2] * B3[l, 2, col])



@kernel(plain=sequence_numpy)
def _sequence(X0, B3, cams, projected, D, C, valid, W, out, kd, lam, mu, allowed, lin, target,
              kstart, kn, kc, dstart, dr, start):
    """Every frame in order from its linear weights W (F, S) into ``out``; returns the steps
    kept. ``projected``: frame f's columns are cams[f] B3, else X0. ``start``: the refined
    weights of the frame before the first (zeros for a take's start)."""
    F, S = W.shape
    M = D.shape[1]
    X = X0 if not projected else np.empty((M, B3.shape[2]))
    m = np.empty(M)
    J = np.empty((M, S))
    prods = np.empty(max(1, dr.shape[0]))
    H = np.empty((S, S))
    g = np.empty(S)
    v = np.empty(S)
    u = np.empty(S)
    idx = np.empty(S, np.int64)
    work = np.empty((S, S))
    rhs = np.empty(S)
    free = np.empty(S, np.int64)
    cache = np.full(S + 1, -1, np.int64)
    w = np.zeros(S)
    wprev = start.copy()
    kept = 0
    for f in range(F):
        if valid[f]:
            if projected:
                _frame_columns(B3, cams[f], X)
            for t in range(S):
                w[t] = W[f, t]
            kept += _refine_frame(X, D[f], C[f], kd, w, wprev, lam, mu, allowed, lin, target,
                                  kstart, kn, kc, dstart, dr, m, J, prods, H, g, v, u, idx, work,
                                  rhs, free, cache)
            for t in range(S):
                wprev[t] = w[t]
        for t in range(S):
            out[f, t] = wprev[t]
    return kept


def refine(model: SolveModel, W: np.ndarray, kw, lam: np.ndarray, mu: float,
           allowed: np.ndarray, B3: np.ndarray, start: Optional[np.ndarray] = None
           ) -> Tuple[np.ndarray, Dict[str, int]]:
    """Refined weights (F, S) from the linear ones ``W`` of key weights ``kw`` made from
    ``model.matrix``; ``B3`` the 3-D columns (68, 3, S + E) seen by each frame's camera in
    2-D rigid mode (``kw.cameras``), else ``kw.basis`` is used. ``start``: the refined weights
    of the frame before the first (a take solved in chunks), else zeros."""
    cv = Curves(model)
    projected = kw.cameras is not None
    out = np.zeros_like(W)
    X0 = np.ascontiguousarray(kw.basis) if not projected else np.zeros((1, 1))
    B = np.ascontiguousarray(B3) if projected else np.zeros((1, 1, 1))
    cams = np.ascontiguousarray(kw.cameras) if projected else np.zeros((1, 2, 3))
    kept = run(_sequence, X0, B, cams, projected, np.ascontiguousarray(kw.deltas),
               np.ascontiguousarray(kw.confidence), np.asarray(kw.valid, np.bool_),
               np.ascontiguousarray(W), out, kw.k, np.asarray(lam, np.float64), float(mu),
               np.asarray(allowed, np.bool_), *cv.arrays(),
               np.zeros(W.shape[1]) if start is None else np.array(start, np.float64))
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
