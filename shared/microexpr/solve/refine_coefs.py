"""The refinement's model in the matrix's columns: coefficients, Gram matrix, sparse changes.

The landmark model of ``refine`` is linear in the columns of the solve model's matrix:
``m(w) = X a(w)``, where ``a`` holds each column's coefficient (a linear target's weight; for
a curve, the two hat functions of the knots around its weight, or around its drivers'
product for a combination) and the Jacobian is ``J = X A(w)`` with a few entries of ``A`` per
target. With the frame's Gram matrix ``Q = X'CX`` and ``b = X'Cd``, the data term is
``a'Qa - 2a'b + d'Cd`` and a Gauss-Newton step's matrix is ``A'QA``: sums over the columns
in use, not over the landmarks. ``Q`` is made the way ``projected_solver`` makes its ``H``:
``sum_pq A_pq G_pq`` from the camera (``A = P'P``; the identity without one) and the columns'
Gram per coordinate pair ``G``, less the landmarks whose confidence is below 1.
"""
from __future__ import annotations

from microexpr.solve.jit import kernel


@kernel()
def _gram(Bk, G, A, r, c, Q, b, nz_start, nz_col):
    """Q = X'CX (N, N) and b = X'Cd for the frame whose rows are ``A``-weighted blocks: X's
    rows of landmark l are P Bk[l] (A = P'P) and r[l] = P'd_l (projected), or Bk[l] itself
    (A = I, r[l] = d_l). Returns d'Cd's part held in r: the caller adds it."""
    L, D, N = Bk.shape
    for i in range(N):
        for j in range(i, N):
            Q[i, j] = 0.0
    for p in range(D):
        for q in range(D):
            apq = A[p, q]
            if apq == 0.0:
                continue
            Gpq = G[p, q]
            for i in range(N):
                for j in range(i, N):
                    Q[i, j] += apq * Gpq[i, j]
    for l in range(L):
        if c[l] < 1.0:
            k = 1.0 - c[l]
            end = nz_start[l + 1]
            for e in range(nz_start[l], end):
                i = nz_col[e]
                for f in range(e, end):
                    j = nz_col[f]
                    s = 0.0
                    for p in range(D):
                        for q in range(D):
                            s += Bk[l, p, i] * A[p, q] * Bk[l, q, j]
                    Q[i, j] -= k * s
    for i in range(N):
        for j in range(i + 1, N):
            Q[j, i] = Q[i, j]
        b[i] = 0.0
    for l in range(L):
        if c[l] > 0.0:
            for e in range(nz_start[l], nz_start[l + 1]):
                i = nz_col[e]
                s = 0.0
                for p in range(D):
                    s += Bk[l, p, i] * r[l, p]
                b[i] += c[l] * s


@kernel()
def _segment(x, a0, ns, kn):
    """The segment (0 .. ns-1) of a curve (knots from a0) that weight x lies on."""
    seg = 0
    for q in range(1, ns):
        if kn[a0 + q] <= x:
            seg = q
    return seg


@kernel()
def _hat(x, k, sign, kstart, kn, kc, col, val, n):
    """Appends sign times curve k's coefficients at x (its two knots' hat functions) to
    (col, val) from n; returns the new count."""
    a0 = kstart[k]
    seg = _segment(x, a0, kstart[k + 1] - a0 - 1, kn)
    k0 = kn[a0 + seg]
    tau = (x - k0) / (kn[a0 + seg + 1] - k0)
    if kc[a0 + seg] >= 0:
        col[n] = kc[a0 + seg]
        val[n] = sign * (1.0 - tau)
        n += 1
    if kc[a0 + seg + 1] >= 0:
        col[n] = kc[a0 + seg + 1]
        val[n] = sign * tau
        n += 1
    return n


@kernel()
def _coefs(w, tcol, target, kstart, kn, kc, dstart, dr, a, ep, ej, ev, jac):
    """a = the columns' coefficients at w (m = X a); with ``jac`` also A's entries (column
    ep[e], target ej[e], value ev[e]): J = X A. Returns the number of entries."""
    S = w.shape[0]
    for p in range(a.shape[0]):
        a[p] = 0.0
    n = 0
    for t in range(S):
        if tcol[t] >= 0:
            a[tcol[t]] = w[t]
            if jac:
                ep[n] = tcol[t]
                ej[n] = t
                ev[n] = 1.0
                n += 1
    for k in range(target.shape[0]):
        t = target[k]
        x = w[t] if t >= 0 else 1.0
        if t < 0:
            for e in range(dstart[k], dstart[k + 1]):
                x *= w[dr[e]]
        a0 = kstart[k]
        seg = _segment(x, a0, kstart[k + 1] - a0 - 1, kn)
        k0 = kn[a0 + seg]
        span = kn[a0 + seg + 1] - k0
        clo = kc[a0 + seg]
        chi = kc[a0 + seg + 1]
        tau = (x - k0) / span
        if clo >= 0:
            a[clo] += 1.0 - tau
        if chi >= 0:
            a[chi] += tau
        if not jac:
            continue
        first = dstart[k] if t < 0 else 0
        last = dstart[k + 1] if t < 0 else 1
        for j in range(first, last):
            who = t
            slope = 1.0 / span
            if t < 0:
                who = dr[j]
                prod = 1.0
                for e in range(dstart[k], dstart[k + 1]):
                    if e != j:
                        prod *= w[dr[e]]
                slope = prod / span
            if chi >= 0:
                ep[n] = chi
                ej[n] = who
                ev[n] = slope
                n += 1
            if clo >= 0:
                ep[n] = clo
                ej[n] = who
                ev[n] = -slope
                n += 1
    return n


@kernel()
def _data(a, Q, b, dd, nzi):
    """sum_i c_i (m_i - d_i)^2 = a'Qa - 2a'b + d'Cd over a's non-zero coefficients."""
    n = 0
    for i in range(a.shape[0]):
        if a[i] != 0.0:
            nzi[n] = i
            n += 1
    s = 0.0
    for p in range(n):
        i = nzi[p]
        row = 0.0
        for q in range(n):
            row += Q[i, nzi[q]] * a[nzi[q]]
        s += a[i] * (row - 2.0 * b[i])
    return s + dd


@kernel()
def _change(w, t, x, y, k, target, kstart, kn, kc, dstart, dr, col, val):
    """(col, val): the coefficients' change when target t (curve k) moves from x to y, with
    the combinations it drives; returns the count."""
    n = _hat(y, k, 1.0, kstart, kn, kc, col, val, 0)
    n = _hat(x, k, -1.0, kstart, kn, kc, col, val, n)
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
        if has:
            n = _hat(q, k2, 1.0, kstart, kn, kc, col, val, n)
            n = _hat(p, k2, -1.0, kstart, kn, kc, col, val, n)
    return n


@kernel()
def _moved_data(data, ga, Q, col, val, n):
    """The data term after the coefficients change by (col, val): data + 2 delta'(Qa - b) +
    delta'Q delta."""
    s = data
    for e in range(n):
        row = 2.0 * ga[col[e]]
        for f in range(n):
            row += Q[col[e], col[f]] * val[f]
        s += val[e] * row
    return s


@kernel()
def _segment_minimum(Q, ga, x, k, s, kstart, kn, kc, lam, mu, wp, col, val):
    """The weight on segment s (within 0-1) that minimises the objective along curve k's own
    target (ga = Qa - b at the current coefficients, the target at x; combinations held)."""
    a0 = kstart[k]
    k0 = kn[a0 + s]
    span = kn[a0 + s + 1] - k0
    lo = kc[a0 + s]
    hi = kc[a0 + s + 1]
    # r0 = X(a - hat(x) + on_s(0)) - d; on_s(y) = on_s(0) + y u1, u1 = (X_hi - X_lo) / span
    n = _hat(x, k, -1.0, kstart, kn, kc, col, val, 0)
    if lo >= 0:
        col[n] = lo
        val[n] = 1.0 + k0 / span
        n += 1
    if hi >= 0:
        col[n] = hi
        val[n] = -k0 / span
        n += 1
    num = 0.0
    den = 0.0
    for side in range(2):
        p = hi if side == 0 else lo
        if p < 0:
            continue
        up = 1.0 / span if side == 0 else -1.0 / span
        r = ga[p]
        for e in range(n):
            r += Q[p, col[e]] * val[e]
        num += up * r
        if hi >= 0:
            den += up * Q[p, hi] / span
        if lo >= 0:
            den -= up * Q[p, lo] / span
    y = (mu * wp - num) / (den + lam + mu)
    lo_w = max(k0, 0.0)
    hi_w = min(kn[a0 + s + 1], 1.0)
    return lo_w if y < lo_w else (hi_w if y > hi_w else y)
