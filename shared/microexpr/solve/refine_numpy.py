"""The refinement's loops in numpy, for machines where numba cannot compile them: the same
steps as ``refine._refine_frame`` (sums in another order, so the weights agree to rounding)."""
from __future__ import annotations

from typing import Tuple

import numpy as np

from microexpr.rig.curves import segment_of
from microexpr.solve.jit import run
from microexpr.solve.weight_solver import box_qp

#: Gauss-Newton steps per frame at most (each one box QP of the solve set's size).
REFINE_STEPS = 4
#: Halvings of a step that does not lower the objective before the steps end.
HALVINGS = 4
#: Rounds of segment jumps (each followed by Gauss-Newton steps).
JUMPS = 2
#: A step that moves no weight by this much ends the steps without being taken: the weights
#: have settled, and smaller steps would lower the objective by less than its rounding (where
#: two implementations could decide differently).
STEP_TOL = 1e-6


def sequence_numpy(X0, B3, cams, projected, D, C, valid, W, out, kd, lam, mu, allowed, lin,
                   target, kstart, kn, kc, dstart, dr, start, *gram):
    """``_sequence`` without numba: numpy per frame (the same steps, sums over the landmarks;
    ``gram``, ``refine``'s Gram-matrix arrays, is not used)."""
    wprev = start.copy()
    kept = 0
    ref = NumpyFrame(lam, mu, allowed, kd, (lin, target, kstart, kn, kc, dstart, dr))
    for f in range(len(W)):
        if valid[f]:
            X = np.einsum("ia,lac->lic", cams[f], B3).reshape(-1, B3.shape[2]) if projected else X0
            w, n = ref.frame(X, D[f], C[f], W[f], wprev)
            kept += n
            wprev = w
        out[f] = wprev
    return kept


class NumpyFrame:
    """``_refine_frame`` in numpy (what runs when numba cannot)."""

    def __init__(self, lam, mu, allowed, kd, curves) -> None:
        self.lam, self.mu, self.allowed, self.kd = np.asarray(lam, np.float64), float(mu), allowed, int(kd)
        self.lin, self.target, self.kstart, self.kn, self.kc, self.dstart, self.dr = curves
        S = len(self.lin)
        self._qp = (np.empty((S, S)), np.empty(S), np.empty(S, np.int64), np.empty(S + 1, np.int64))

    def model(self, X: np.ndarray, w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
        S = len(w)
        J = np.array(X[:, :S])
        m = J[:, self.lin] @ w[self.lin]
        for k in range(len(self.target)):
            t = self.target[k]
            drivers = self.dr[self.dstart[k]:self.dstart[k + 1]]
            x = w[t] if t >= 0 else float(np.prod(w[drivers]))
            knot = self.kn[self.kstart[k]:self.kstart[k + 1]]
            cols = self.kc[self.kstart[k]:self.kstart[k + 1]]
            s = segment_of(x, knot)
            lo = X[:, cols[s]] if cols[s] >= 0 else np.zeros(len(X))
            slope = (X[:, cols[s + 1]] - lo) / (knot[s + 1] - knot[s])
            m = m + (lo + (x - knot[s]) * slope)
            if t >= 0:
                J[:, t] = slope
            for j, dj in enumerate(drivers):
                J[:, dj] += slope * float(np.prod(np.delete(w[drivers], j)))
        return m, J

    def objective(self, X, d, c, w, wprev) -> float:
        r = self.model(X, w)[0] - d
        val = float(np.sum(c * r * r) + np.sum(self.lam * w * w))
        return val + (self.mu * float(np.sum((w - wprev) ** 2)) if self.mu else 0.0)

    def frame(self, X, d, conf, w, wprev) -> Tuple[np.ndarray, int]:
        c = np.repeat(np.asarray(conf, dtype=np.float64), self.kd)
        w = np.array(w, dtype=np.float64)
        kept = self.gauss_newton(X, d, c, w, wprev)
        for _ in range(JUMPS):
            if not self.jump(X, d, c, w, wprev):
                break
            kept += 1 + self.gauss_newton(X, d, c, w, wprev)
        return w, kept

    def gauss_newton(self, X, d, c, w, wprev) -> int:
        """``_gauss_newton``: steps on w in place; the steps kept."""
        best = self.objective(X, d, c, w, wprev)
        kept = 0
        for _ in range(REFINE_STEPS):
            m, J = self.model(X, w)
            CJ = c[:, None] * J
            H = J.T @ CJ
            H[np.diag_indices(len(w))] += self.lam + self.mu
            g = CJ.T @ (d - m + J @ w) + self.mu * wprev
            v = w.copy()
            self._qp[3][0] = -1
            run(box_qp, H, g, v, self.allowed, *self._qp)
            if np.max(np.abs(v - w)) < STEP_TOL:
                break
            for h in range(HALVINGS + 1):
                u = w + 0.5 ** h * (v - w)
                val = self.objective(X, d, c, u, wprev)
                if val < best:
                    break
            else:
                break
            settled = h == 0 and self.same_segments(w, u)
            w[:] = u
            best, kept = val, kept + 1
            if settled:
                break
        return kept

    def jump(self, X, d, c, w, wprev) -> bool:
        """``_jump``: segment jumps on w in place; whether any weight moved."""
        m, _ = self.model(X, w)
        moved = False
        for k, t in enumerate(self.target):
            knot = self.kn[self.kstart[k]:self.kstart[k + 1]]
            if t < 0 or len(knot) < 3 or not self.allowed[t]:
                continue
            x = float(w[t])
            cur = segment_of(x, knot)
            best = self.cost(c, m - d, t, x, wprev)
            best_x, best_s = x, cur
            for s in range(len(knot) - 1):
                if s == cur:
                    continue
                sl = self.on(X, k, s, 1.0) - self.on(X, k, s, 0.0)
                r0 = m - self.on(X, k, cur, x) + self.on(X, k, s, 0.0) - d
                y = (self.mu * wprev[t] - float(np.sum(c * r0 * sl))) / (
                    float(np.sum(c * sl * sl)) + self.lam[t] + self.mu)
                y = min(max(y, max(knot[s], 0.0)), min(knot[s + 1], 1.0))
                if abs(y - x) < STEP_TOL:
                    continue
                r = m + self.change(X, w, t, x, y, k, cur, s) - d
                val = self.cost(c, r, t, y, wprev)
                if val < best:
                    best, best_x, best_s = val, y, s
            if best_s != cur:
                m = m + self.change(X, w, t, x, best_x, k, cur, best_s)
                w[t] = best_x
                moved = True
        return moved

    def on(self, X: np.ndarray, k: int, s: int, y: float) -> np.ndarray:
        """``_on_segment`` for every row: curve k's offsets at weight y, read on segment s."""
        a = self.kstart[k]
        lo = X[:, self.kc[a + s]] if self.kc[a + s] >= 0 else np.zeros(len(X))
        slope = (X[:, self.kc[a + s + 1]] - lo) / (self.kn[a + s + 1] - self.kn[a + s])
        return lo + (y - self.kn[a + s]) * slope

    def cost(self, c: np.ndarray, r: np.ndarray, t: int, y: float, wprev: np.ndarray) -> float:
        """The parts of the objective that change with target t's weight y (r: residuals)."""
        return float(np.sum(c * r * r)) + self.lam[t] * y * y + self.mu * (y - wprev[t]) * (y - wprev[t])

    def change(self, X, w, t, x, y, k, cur, s) -> np.ndarray:
        """``_change``: the model's change when target t moves from x to y."""
        delta = self.on(X, k, s, y) - self.on(X, k, cur, x)
        for k2, t2 in enumerate(self.target):
            drivers = self.dr[self.dstart[k2]:self.dstart[k2 + 1]]
            if t2 >= 0 or t not in drivers:
                continue
            p = q = 1.0
            for e in drivers:
                p *= w[e]
                q *= y if e == t else w[e]
            knot = self.kn[self.kstart[k2]:self.kstart[k2 + 1]]
            delta = delta + (self.on(X, k2, segment_of(q, knot), q) - self.on(X, k2, segment_of(p, knot), p))
        return delta

    def same_segments(self, w: np.ndarray, u: np.ndarray) -> bool:
        for k, t in enumerate(self.target):
            if t < 0:
                drivers = self.dr[self.dstart[k]:self.dstart[k + 1]]
                if not np.any((w[drivers] == 0.0) & (u[drivers] == 0.0)):
                    return False
                continue
            inner = self.kn[self.kstart[k] + 1:self.kstart[k + 1] - 1]
            if np.any((inner <= w[t]) != (inner <= u[t])):
                return False
        return True
