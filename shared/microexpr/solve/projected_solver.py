"""The weight solver for 2-D tracks under head rotation: a basis projected per frame.

With 2-D tracks in ``rigid`` mode each frame has its own weak-perspective camera ``P_n``
(2x3, normalised to the neutral frame's scale), and the landmark offsets of the targets are
seen through it: ``r_n ~ (P_n B_l) w`` for each landmark l, with ``B_l`` the rig's 3x T
landmark delta block. So a jaw thrust or a lip roll, which moves landmarks in depth, shows up
correctly when the head turns, instead of being mistaken for another target.

Per frame, with ``A = P^T P`` (3x3) and ``G_ab = sum_l B_l[a]^T B_l[b]`` precomputed once
(``packed_gram``: its upper triangle, the nine ``G_ab`` of an entry side by side):

    H = sum_{a,b} A_ab G_ab - sum_{l: c_l < 1} (1 - c_l) B_l^T A B_l + diag(lam + mu)
    g = sum_l c_l B_l^T P^T r_l + mu w_prev

The sums over landmarks run over the targets that move each landmark only (``nz_start``,
``nz_target``: a landmark moved by 10 of 52 targets costs 10 x 10, not 52 x 52; the skipped
terms are exact zeros, so the bits do not change). In performer mode the robust weights put
almost every landmark below 1, where this made the frame about N times faster.

then the same box QP as ``solver.box_qp``. ``lam`` and ``mu`` are scaled by the neutral view's
basis (``P_0 B``), as in ``solver.WeightSolver``.
"""
from __future__ import annotations

from typing import Optional

import numpy as np

from microexpr.solve.jit import kernel, run
from microexpr.solve.weight_solver import box_qp


def _frame_numpy(B3, G, P, r, c, lam, mu, wprev, H, g, A, nz_start, nz_target):
    """``_frame`` without numba: numpy over whole rows, the same operations in the same order
    for each entry (so the same bits as ``_frame`` run by Python), ~50x faster than that."""
    L, _, T = B3.shape
    for a in range(3):
        for b in range(3):
            A[a, b] = P[0, a] * P[0, b] + P[1, a] * P[1, b]
    upper = np.triu_indices(T)
    packed = np.zeros(G.shape[0])
    for a in range(3):
        for b in range(3):
            packed += A[a, b] * G[:, 3 * a + b]
    S = np.zeros((T, T))
    S[upper] = packed
    for l in range(L):
        if c[l] < 1.0:
            k = 1.0 - c[l]
            nz = nz_target[nz_start[l]:nz_start[l + 1]]
            b = B3[l][:, nz]
            ai0 = A[0, 0] * b[0] + A[0, 1] * b[1] + A[0, 2] * b[2]
            ai1 = A[1, 0] * b[0] + A[1, 1] * b[1] + A[1, 2] * b[2]
            ai2 = A[2, 0] * b[0] + A[2, 1] * b[1] + A[2, 2] * b[2]
            S[np.ix_(nz, nz)] -= k * (np.multiply.outer(ai0, b[0]) + np.multiply.outer(ai1, b[1])
                                      + np.multiply.outer(ai2, b[2]))
    H[upper] = S[upper]
    H[upper[1], upper[0]] = S[upper]
    H[np.arange(T), np.arange(T)] += lam + mu
    g[:] = mu * wprev
    for l in range(L):
        if c[l] > 0.0:
            q0 = c[l] * (P[0, 0] * r[l, 0] + P[1, 0] * r[l, 1])
            q1 = c[l] * (P[0, 1] * r[l, 0] + P[1, 1] * r[l, 1])
            q2 = c[l] * (P[0, 2] * r[l, 0] + P[1, 2] * r[l, 1])
            nz = nz_target[nz_start[l]:nz_start[l + 1]]
            g[nz] += B3[l, 0, nz] * q0 + B3[l, 1, nz] * q1 + B3[l, 2, nz] * q2


@kernel(plain=_frame_numpy)
def _frame(B3, G, P, r, c, lam, mu, wprev, H, g, A, nz_start, nz_target):
    L, _, T = B3.shape
    for a in range(3):
        for b in range(3):
            A[a, b] = P[0, a] * P[0, b] + P[1, a] * P[1, b]
    a00, a01, a02 = A[0, 0], A[0, 1], A[0, 2]
    a10, a11, a12 = A[1, 0], A[1, 1], A[1, 2]
    a20, a21, a22 = A[2, 0], A[2, 1], A[2, 2]
    p = 0
    for i in range(T):
        for j in range(i, T):
            s = 0.0                              # the nine terms in the order a, b
            s += a00 * G[p, 0]
            s += a01 * G[p, 1]
            s += a02 * G[p, 2]
            s += a10 * G[p, 3]
            s += a11 * G[p, 4]
            s += a12 * G[p, 5]
            s += a20 * G[p, 6]
            s += a21 * G[p, 7]
            s += a22 * G[p, 8]
            H[i, j] = s
            p += 1
    for l in range(L):
        if c[l] < 1.0:
            k = 1.0 - c[l]
            end = nz_start[l + 1]
            for p in range(nz_start[l], end):
                i = nz_target[p]
                ai0 = A[0, 0] * B3[l, 0, i] + A[0, 1] * B3[l, 1, i] + A[0, 2] * B3[l, 2, i]
                ai1 = A[1, 0] * B3[l, 0, i] + A[1, 1] * B3[l, 1, i] + A[1, 2] * B3[l, 2, i]
                ai2 = A[2, 0] * B3[l, 0, i] + A[2, 1] * B3[l, 1, i] + A[2, 2] * B3[l, 2, i]
                for q in range(p, end):
                    j = nz_target[q]
                    H[i, j] -= k * (ai0 * B3[l, 0, j] + ai1 * B3[l, 1, j] + ai2 * B3[l, 2, j])
    for i in range(T):
        for j in range(i + 1, T):
            H[j, i] = H[i, j]
        H[i, i] += lam[i] + mu
        g[i] = mu * wprev[i]
    for l in range(L):
        if c[l] > 0.0:
            q0 = c[l] * (P[0, 0] * r[l, 0] + P[1, 0] * r[l, 1])
            q1 = c[l] * (P[0, 1] * r[l, 0] + P[1, 1] * r[l, 1])
            q2 = c[l] * (P[0, 2] * r[l, 0] + P[1, 2] * r[l, 1])
            for p in range(nz_start[l], nz_start[l + 1]):
                i = nz_target[p]
                g[i] += B3[l, 0, i] * q0 + B3[l, 1, i] * q1 + B3[l, 2, i] * q2


@kernel()
def _sequence(B3, G, Ps, R, C, lam, mu, allowed, valid, W, start, nz_start, nz_target):
    F = R.shape[0]
    T = B3.shape[2]
    H = np.empty((T, T))
    g = np.empty(T)
    A = np.empty((3, 3))
    work = np.empty((T, T))
    rhs = np.empty(T)
    free = np.empty(T, np.int64)
    cache = np.full(T + 1, -1, np.int64)
    w = start.copy()
    for f in range(F):
        if valid[f]:
            _frame(B3, G, Ps[f], R[f], C[f], lam, mu, w, H, g, A, nz_start, nz_target)
            cache[0] = -1                          # H differs every frame
            box_qp(H, g, w, allowed, work, rhs, free, cache)
        for t in range(T):
            W[f, t] = w[t]


def packed_gram(B3: np.ndarray) -> np.ndarray:
    """``G_ab[i, j] = sum_l B_l[a, i] B_l[b, j]`` on the upper triangle (i <= j, row by row),
    the nine (a, b) of a pair side by side: (T (T + 1) / 2, 9). One frame reads it once, in
    order (the (3, 3, T, T) array took nine scattered reads per entry, 3x the time)."""
    T = B3.shape[2]
    G = np.einsum("lai,lbj->abij", B3, B3)
    i, j = np.triu_indices(T)
    return np.ascontiguousarray(G[:, :, i, j].reshape(9, -1).T)


def moving_targets(B3: np.ndarray):
    """(nz_start (L + 1,), nz_target): for each landmark ``l`` of ``B3`` (L, k, T), the targets
    (columns) with a nonzero delta there, ascending, at ``nz_target[nz_start[l]:nz_start[l + 1]]``.
    The loops' sums run over these only, so their work follows the rig's sparsity."""
    moves = np.any(B3 != 0.0, axis=1)                              # (L, T): column moves l
    nz_start = np.zeros(len(B3) + 1, np.int64)
    nz_start[1:] = np.cumsum(moves.sum(axis=1))
    return nz_start, np.ascontiguousarray(np.nonzero(moves)[1], dtype=np.int64)


class ProjectedSolver:
    """Bounded weights from 2-D offsets seen through a per-frame camera (see module doc)."""

    def __init__(self, basis3: np.ndarray, view0: np.ndarray, reg: float = 1e-3,
                 temporal: float = 0.0, pinned: Optional[np.ndarray] = None) -> None:
        self.B3 = np.ascontiguousarray(basis3, dtype=np.float64)      # (L, 3, T)
        T = self.B3.shape[2]
        neutral = np.einsum("ij,ljt->lit", np.asarray(view0, dtype=np.float64), self.B3)
        scale = float(np.sum(neutral * neutral)) / max(T, 1)
        self.scale = scale if scale > 0 else 1.0
        self.lam = np.full(T, reg * self.scale)
        self.mu = temporal * self.scale
        self.allowed = np.ones(T, np.bool_) if pinned is None else ~np.asarray(pinned, bool)
        self.G = packed_gram(self.B3)
        self.nz_start, self.nz_target = moving_targets(self.B3)

    @property
    def targets(self) -> int:
        return self.B3.shape[2]

    def objective(self, w, r, P, conf=None, w_prev=None) -> float:
        c = np.ones(self.B3.shape[0]) if conf is None else np.asarray(conf, float)
        pred = np.einsum("ij,ljt,t->li", P, self.B3, w)
        val = float(np.sum(c[:, None] * (pred - r) ** 2) + np.sum(self.lam * w * w))
        if self.mu and w_prev is not None:
            val += self.mu * float(np.sum((w - w_prev) ** 2))
        return val

    def solve_frame(self, r, P, conf=None, w_prev=None) -> np.ndarray:
        T = self.targets
        L = self.B3.shape[0]
        w = np.zeros(T) if w_prev is None else np.array(w_prev, dtype=np.float64)
        c = np.ones(L) if conf is None else np.asarray(conf, dtype=np.float64)
        H, g = np.empty((T, T)), np.empty(T)
        run(_frame, self.B3, self.G, np.asarray(P, dtype=np.float64),
            np.asarray(r, dtype=np.float64).reshape(L, 2), c, self.lam, self.mu, w.copy(), H, g,
            np.empty((3, 3)), self.nz_start, self.nz_target)
        run(box_qp, H, g, w, self.allowed, np.empty((T, T)), np.empty(T), np.empty(T, np.int64),
            np.full(T + 1, -1, np.int64))
        return w

    def solve(self, R, Ps, conf=None, valid=None, start=None) -> np.ndarray:
        """R (F, L*2) offsets, Ps (F, 2, 3) cameras; causal; invalid frames hold. ``start``:
        the weights of the frame before the first (a take solved in chunks), else zeros."""
        F = len(Ps)
        L, _, T = self.B3.shape
        R = np.ascontiguousarray(np.asarray(R, dtype=np.float64).reshape(F, L, 2))
        C = np.ones((F, L)) if conf is None else np.ascontiguousarray(conf, dtype=np.float64)
        valid = np.ones(F, np.bool_) if valid is None else np.asarray(valid, np.bool_)
        W = np.zeros((F, T))
        run(_sequence, self.B3, self.G, np.ascontiguousarray(Ps, dtype=np.float64), R, C,
            self.lam, self.mu, self.allowed, valid, W,
            np.zeros(T) if start is None else np.array(start, dtype=np.float64),
            self.nz_start, self.nz_target)
        return W
