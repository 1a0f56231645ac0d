"""The bounded weight solver shared by Python and the Unity runtime.

Per frame it minimises

    sum_i c_i |B_i w - d_i|^2 + sum_t lam_t w_t^2 + mu |w - w_prev|^2,   0 <= w <= 1

where ``B_i`` are the rows of landmark i (2 or 3 coordinates), ``c_i`` its confidence (0 drops
a missing landmark), ``lam_t = reg * s`` and
``mu = temporal * s`` with ``s`` = the mean squared column norm of B: the penalties scale with
the basis, so the weights do not depend on the units of the landmarks.

The box QP ``min 1/2 w'Hw - g'w`` is solved by a primal active-set method, simple to repeat
exactly in C#:

1. Start from the previous frame's weights (zeros at first), clipped to [0, 1]; a weight at 0
   or 1 is *bound*, any other is *free*.
2. Solve the free weights with the bound ones fixed (Cholesky of H on the free set).
3. For the first 8 solves (a primal-dual step): take the solution, bind every free weight that
   left [0, 1] at the bound it crossed, and free every bound weight whose pull (see 4, computed
   with the solution before binding) exceeds ``tol``; stop if nothing changed, else go to 2.
   After that (the safe primal steps): if the solution leaves [0, 1], step from the current
   weights toward it until the first free weight reaches a bound (lowest index wins ties),
   bind it and go to 2.
4. Else accept it and compute the gradient ``r = Hw - g``. Every bound weight that wants to
   move inward (pull ``-r`` at 0, ``r`` at 1) by more than ``tol = 1e-12 * (1 + max|g|)`` is
   freed; go to 2. If none does, stop. After a step of length 0 in 3 (no progress), only the
   one with the largest pull (lowest index wins ties) is freed, once, which rules out cycling.
5. Stop after ``4 T + 20`` steps at the latest (never reached in practice).

Pinned targets (unobservable ones) are held at exactly 0. Since H is positive definite the optimum is unique, so any implementation that follows these
steps lands on the same weights to rounding. numba compiles the loops where it is installed
(``pip install microexpr[fast]``) and caches them on disk; without it, or when it fails, the
same code runs as plain Python (see ``microexpr.solve.jit``).
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from microexpr.solve.jit import compiled, kernel, prange, run

#: Whether numba compiles the loops (see ``microexpr.solve.jit``; a later compile may still fail).
HAVE_NUMBA = compiled()


@kernel()
def _chol_factor(A, n):
    """Cholesky factor of A[:n,:n] in its lower triangle (A positive definite), in place."""
    for j in range(n):
        s = A[j, j]
        for k in range(j):
            s -= A[j, k] * A[j, k]
        if s <= 0.0:
            s = 1e-300
        A[j, j] = np.sqrt(s)
        for i in range(j + 1, n):
            s = A[i, j]
            for k in range(j):
                s -= A[i, k] * A[j, k]
            A[i, j] = s / A[j, j]


@kernel()
def _chol_subst(A, b, n):
    """Solve with a factor from ``_chol_factor``."""
    x = np.empty(n)
    for i in range(n):
        s = b[i]
        for k in range(i):
            s -= A[i, k] * x[k]
        x[i] = s / A[i, i]
    for i in range(n - 1, -1, -1):
        s = x[i]
        for k in range(i + 1, n):
            s -= A[k, i] * x[k]
        x[i] = s / A[i, i]
    return x


@kernel()
def _nonzero(w, idx):
    """Indices of the nonzero weights into ``idx``; returns how many."""
    n = 0
    for u in range(w.shape[0]):
        if w[u] != 0.0:
            idx[n] = u
            n += 1
    return n


@kernel()
def _pull(H, g, w, idx, nz, t, state):
    """How strongly bound weight t wants to move inward: -(Hw - g)_t at 0, (Hw - g)_t at 1."""
    r = -g[t]
    for b in range(nz):
        r += H[t, idx[b]] * w[idx[b]]
    return -r if state == 0 else r


@kernel()
def box_qp(H, g, w, allowed, work, rhs, free, cache):
    """Minimise 1/2 w'Hw - g'w over 0 <= w <= 1 (w_t = 0 where not ``allowed``), in place.

    ``work`` (T, T), ``rhs`` (T,) and ``free`` (T,) int are scratch buffers. ``cache`` (T+1,)
    int remembers which free set the factor in ``work`` belongs to: keep ``work`` and ``cache``
    between frames with the same H to skip refactoring (set ``cache[0] = -1`` when H changes).
    Returns the number of steps taken (the steps of the module docstring).
    """
    T = g.shape[0]
    gmax = 0.0
    for t in range(T):
        if abs(g[t]) > gmax:
            gmax = abs(g[t])
    tol = 1e-12 * (1.0 + gmax)
    state = np.empty(T, np.int64)          # 0 at lower, 1 free, 2 at upper, 3 pinned, 4 to free
    upper = np.empty(T, np.int64)
    _clip_start(w, allowed, state)
    steps = 0
    single = False
    fast = 8
    max_steps = 4 * T + 20
    while steps < max_steps:
        steps += 1
        nf, nu = _free_and_upper(state, free, upper)
        x = _solve_free(H, g, free, nf, upper, nu, work, rhs, cache)
        if fast > 0:
            fast -= 1                              # primal-dual step: bind and free at once
            if not _primal_dual_step(H, g, w, x, free, nf, upper, state, tol):
                break
            continue
        if not _inside(x, nf):
            if _step_to_bound(w, x, free, nf, state):
                single = True                      # no progress: free one at a time next
            continue
        if not _free_pulled(H, g, w, x, free, nf, upper, state, tol, single):
            break
        single = False
    return steps


@kernel()
def _clip_start(w, allowed, state):
    """Step 1: clip the start to [0, 1]; mark each weight at lower, free, at upper or pinned."""
    for t in range(w.shape[0]):
        if not allowed[t]:
            w[t] = 0.0
            state[t] = 3
        elif w[t] <= 0.0:
            w[t] = 0.0
            state[t] = 0
        elif w[t] >= 1.0:
            w[t] = 1.0
            state[t] = 2
        else:
            state[t] = 1


@kernel()
def _free_and_upper(state, free, upper):
    """The free weights into ``free`` and those at 1 into ``upper``, ascending; their counts."""
    nf = 0
    nu = 0
    for t in range(state.shape[0]):
        if state[t] == 1:
            free[nf] = t
            nf += 1
        elif state[t] == 2:
            upper[nu] = t
            nu += 1
    return nf, nu


@kernel()
def _solve_free(H, g, free, nf, upper, nu, work, rhs, cache):
    """Step 2: the free weights with the bound ones fixed. ``work`` is refactored only when
    the free set is not the one recorded in ``cache``."""
    same = cache[0] == nf
    if same:
        for a in range(nf):
            if cache[1 + a] != free[a]:
                same = False
                break
    for a in range(nf):
        i = free[a]
        s = g[i]
        for b in range(nu):
            s -= H[i, upper[b]]
        rhs[a] = s
        if not same:
            for b in range(a + 1):
                work[a, b] = H[i, free[b]]
    if not same:
        _chol_factor(work, nf)
        cache[0] = nf
        for a in range(nf):
            cache[1 + a] = free[a]
    return _chol_subst(work, rhs, nf)


@kernel()
def _inside(x, nf):
    """Whether every free weight of the solution ``x`` lies in [0, 1]."""
    for a in range(nf):
        if x[a] < 0.0 or x[a] > 1.0:
            return False
    return True


@kernel()
def _primal_dual_step(H, g, w, x, free, nf, idx, state, tol):
    """Step 3, first solves: take ``x``, free every bound weight whose pull (with ``x``, before
    binding) exceeds ``tol`` and bind every free weight that left [0, 1]. Returns whether
    anything changed. ``idx`` is scratch."""
    T = w.shape[0]
    for a in range(nf):
        w[free[a]] = x[a]
    nz = _nonzero(w, idx)
    changed = False
    for t in range(T):
        if state[t] == 0 or state[t] == 2:
            v = _pull(H, g, w, idx, nz, t, state[t])
            if v > tol:
                state[t] = 4
                changed = True
    for a in range(nf):
        i = free[a]
        if x[a] < 0.0:
            w[i] = 0.0
            state[i] = 0
            changed = True
        elif x[a] > 1.0:
            w[i] = 1.0
            state[i] = 2
            changed = True
    for t in range(T):
        if state[t] == 4:
            state[t] = 1
    return changed


@kernel()
def _step_to_bound(w, x, free, nf, state):
    """Step 3, later solves, when ``x`` leaves [0, 1]: step from ``w`` toward ``x`` until the
    first free weight reaches a bound (lowest index wins ties) and bind it. Returns whether
    the step had length 0 (no progress)."""
    alpha = 1.0
    block = -1
    for a in range(nf):
        i = free[a]
        if x[a] < 0.0:
            r = w[i] / (w[i] - x[a])
        elif x[a] > 1.0:
            r = (1.0 - w[i]) / (x[a] - w[i])
        else:
            continue
        if r < alpha:
            alpha = r
            block = a
    for a in range(nf):
        i = free[a]
        w[i] = w[i] + alpha * (x[a] - w[i])
    if block >= 0:
        i = free[block]
        if x[block] < 0.0:
            w[i] = 0.0
            state[i] = 0
        else:
            w[i] = 1.0
            state[i] = 2
    for a in range(nf):
        i = free[a]
        if state[i] == 1 and w[i] <= 0.0:
            w[i] = 0.0
            state[i] = 0
        elif state[i] == 1 and w[i] >= 1.0:
            w[i] = 1.0
            state[i] = 2
    return alpha <= 0.0


@kernel()
def _free_pulled(H, g, w, x, free, nf, idx, state, tol, single):
    """Step 4: accept ``x`` and free every bound weight pulled inward by more than ``tol``
    (with ``single``, only the strongest). Returns False when none is: the optimum.
    ``idx`` is scratch."""
    T = w.shape[0]
    for a in range(nf):
        w[free[a]] = x[a]
    nz = _nonzero(w, idx)
    best = -1
    pull = tol
    for t in range(T):
        if state[t] == 0 or state[t] == 2:
            v = _pull(H, g, w, idx, nz, t, state[t])
            if v > tol and not single:
                state[t] = 4                       # freed below, after the scan
            if v > pull:
                pull = v
                best = t
    if best < 0:
        return False
    if single:
        state[best] = 1
    else:
        for t in range(T):
            if state[t] == 4:
                state[t] = 1
    return True


def _normal_numpy(B, d, c, k, lam, mu, wprev, H, g):
    """``_normal`` without numba: numpy over whole rows, the same operations in the same order
    for each entry (so the same bits as ``_normal`` run by Python), ~100x faster than that."""
    M, T = B.shape
    S = np.zeros((T, T))
    s = np.zeros(T)
    for i in range(M):
        cb = c[i // k] * B[i]
        S += np.multiply.outer(cb, B[i])
        s += cb * d[i]
    upper = np.triu_indices(T)
    H[upper] = S[upper]
    H[upper[1], upper[0]] = S[upper]
    H[np.arange(T), np.arange(T)] += lam + mu
    g[:] = s + mu * wprev


@kernel(plain=_normal_numpy)
def _normal(B, d, c, k, lam, mu, wprev, H, g):
    """H = B'CB + diag(lam + mu), g = B'Cd + mu wprev, C = confidence per landmark row block."""
    M, T = B.shape
    for a in range(T):
        for b in range(a, T):
            s = 0.0
            for i in range(M):
                s += c[i // k] * B[i, a] * B[i, b]
            H[a, b] = s
            H[b, a] = s
        H[a, a] += lam[a] + mu
        s = 0.0
        for i in range(M):
            s += c[i // k] * B[i, a] * d[i]
        g[a] = s + mu * wprev[a]


@kernel()
def _sequence(B, D, G, C, k, lam, mu, allowed, H0, W, valid, uniform, start):
    """Causal solve of every frame from ``start`` (the weights before the first frame);
    invalid frames hold the last weights (marked by caller)."""
    F, M = D.shape
    T = B.shape[1]
    H = np.empty((T, T))
    g = np.empty(T)
    work = np.empty((T, T))
    rhs = np.empty(T)
    free = np.empty(T, np.int64)
    cache = np.full(T + 1, -1, np.int64)
    w = start.copy()
    for f in range(F):
        if not valid[f]:
            for t in range(T):
                W[f, t] = w[t]
            continue
        if uniform[f]:
            for a in range(T):
                g[a] = G[f, a] + mu * w[a]
            box_qp(H0, g, w, allowed, work, rhs, free, cache)
        else:
            _normal(B, D[f], C[f], k, lam, mu, w, H, g)
            cache[0] = -1
            box_qp(H, g, w, allowed, work, rhs, free, cache)
            cache[0] = -1
        for t in range(T):
            W[f, t] = w[t]


@kernel(parallel=True)
def _independent(B, G, lam, allowed, H0, W, chunks):
    """Frames without a temporal term, solved in parallel chunks (warm start inside a chunk)."""
    F, T = G.shape
    n = chunks.shape[0] - 1
    for c in prange(n):
        work = np.empty((T, T))
        rhs = np.empty(T)
        free = np.empty(T, np.int64)
        cache = np.full(T + 1, -1, np.int64)
        w = np.zeros(T)
        g = np.empty(T)
        for f in range(chunks[c], chunks[c + 1]):
            for t in range(T):
                g[t] = G[f, t]
            box_qp(H0, g, w, allowed, work, rhs, free, cache)
            for t in range(T):
                W[f, t] = w[t]


class WeightSolver:
    """Bounded, regularised, optionally temporal weights from landmark offsets.

    ``basis`` is (L*k, T): rows are landmark coordinates (k = 2 or 3, landmark-major), columns
    targets. ``pinned`` marks targets held at 0 (e.g. unobservable ones).
    """

    def __init__(self, basis: np.ndarray, k: int, reg: float = 1e-3, temporal: float = 0.0,
                 pinned: Optional[np.ndarray] = None) -> None:
        self.B = np.ascontiguousarray(basis, dtype=np.float64)
        self.k = int(k)
        M, T = self.B.shape
        if M % self.k:
            raise ValueError("basis rows (%d) are not a multiple of %d" % (M, self.k))
        scale = float(np.sum(self.B * self.B)) / max(T, 1)
        self.scale = scale if scale > 0 else 1.0
        self.allowed = np.ones(T, dtype=np.bool_) if pinned is None else ~np.asarray(pinned, bool)
        self.lam = np.full(T, reg * self.scale)
        self.mu = temporal * self.scale
        self.H0 = self.B.T @ self.B + np.diag(self.lam + self.mu)
        self._fresh()

    def _fresh(self) -> None:
        """Scratch buffers of ``solve_frame``; the cached factor of H0 is forgotten."""
        T = self.B.shape[1]
        self._work, self._rhs = np.empty((T, T)), np.empty(T)
        self._free, self._cache = np.empty(T, np.int64), np.full(T + 1, -1, np.int64)

    def set_penalties(self, lam, mu: float) -> None:
        """Absolute penalties (not scaled by the basis): ``lam`` per weight (one number, or
        one per target), ``mu`` per change."""
        self.lam = np.broadcast_to(np.asarray(lam, np.float64), (self.B.shape[1],)).copy()
        self.mu = mu
        self.H0 = self.B.T @ self.B + np.diag(self.lam + self.mu)
        self._fresh()

    @property
    def targets(self) -> int:
        return self.B.shape[1]

    def objective(self, w, d, conf=None, w_prev=None) -> float:
        """The value being minimised, for tests and reports."""
        c = np.ones(self.B.shape[0] // self.k) if conf is None else np.asarray(conf, float)
        r = (self.B @ w - d).reshape(-1, self.k)
        val = float(np.sum(c[:, None] * r * r) + np.sum(self.lam * w * w))
        if self.mu and w_prev is not None:
            val += self.mu * float(np.sum((w - w_prev) ** 2))
        return val

    def solve_frame(self, d: np.ndarray, conf: Optional[np.ndarray] = None,
                    w_prev: Optional[np.ndarray] = None) -> np.ndarray:
        """One frame, online: warm-started from (and pulled toward) ``w_prev``. With every
        confidence 1 (or none given) it uses H0 and keeps its Cholesky factor between calls,
        as ``solve`` does; other confidences rebuild the normal matrix."""
        T = self.targets
        w = np.zeros(T) if w_prev is None else np.array(w_prev, dtype=np.float64)
        d = np.ascontiguousarray(d, dtype=np.float64).reshape(-1)
        c = None if conf is None else np.asarray(conf, np.float64)
        if c is None or np.all(c == 1.0):
            g = d @ self.B + self.mu * w
            run(box_qp, self.H0, g, w, self.allowed, self._work, self._rhs, self._free, self._cache)
            return w
        H = np.empty((T, T))
        g = np.empty(T)
        run(_normal, self.B, d, c, self.k, self.lam, self.mu, w.copy(), H, g)
        self._cache[0] = -1                        # the factor no longer belongs to H0
        run(box_qp, H, g, w, self.allowed, self._work, self._rhs, self._free, self._cache)
        self._cache[0] = -1
        return w

    def solve(self, D: np.ndarray, conf: Optional[np.ndarray] = None,
              valid: Optional[np.ndarray] = None, start: Optional[np.ndarray] = None) -> np.ndarray:
        """All frames (F, L*k) causally; returns (F, T). Invalid frames repeat the last weights.
        ``start``: the weights of the frame before the first (a take solved in chunks; the
        last row of the chunk before), else zeros."""
        D = np.ascontiguousarray(D, dtype=np.float64)
        F = D.shape[0]
        T = self.targets
        L = self.B.shape[0] // self.k
        valid = np.ones(F, np.bool_) if valid is None else np.asarray(valid, np.bool_)
        C = np.ones((F, L)) if conf is None else np.ascontiguousarray(conf, dtype=np.float64)
        uniform = np.all(C == 1.0, axis=1)
        W = np.zeros((F, T))
        G = D @ self.B
        w0 = np.zeros(T) if start is None else np.array(start, dtype=np.float64)
        if self.mu == 0.0 and np.all(uniform) and np.all(valid):
            n = max(1, min(64, F // 256))
            chunks = np.linspace(0, F, n + 1).astype(np.int64)
            run(_independent, self.B, G, self.lam, self.allowed, self.H0, W, chunks)
            return W
        run(_sequence, self.B, D, G, C, self.k, self.lam, self.mu, self.allowed, self.H0, W, valid,
            uniform, w0)
        return W
