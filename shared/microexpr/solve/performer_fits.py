"""The per-frame numbers of 2-D performer mode between the two weight solves, compiled.

``performer_solve`` runs, for every frame of a 2-D take: a camera fit on the rigid landmarks,
the offsets of a pass, the performer's shape with the first pass's expression, its robust
(Cauchy) weights and a second camera fit, and the pose filter's move back to a scaled
rotation. In numpy each is a batched expression over all frames (``key_weights
.weak_perspective_fit``, ``camera_model.in_plane_fit``, ``pose_filter
.nearest_scaled_rotation``); here they are loops over frames and landmarks with no array
made per frame, which took the take's numpy time from ~16 to ~2 us a frame.

The arithmetic is the numpy functions', in closed form where those call LAPACK: the 3x3
normal equations of the affine fit by Gaussian elimination with partial pivoting, the 2-D
Umeyama rotation as ``atan2`` of the 2x2 covariance (its singular values' sum, or difference
when the covariance reflects, is the norm used for the scale), the nearest scaled rotation of
a 2x3 matrix as ``key_weights.nearest_scaled_orthographic`` (one Jacobi rotation). They agree
with numpy to rounding (tests/test_performer_fits.py: 1e-12).

Cameras: ``kind`` 0 is weak perspective, 1 in-plane (``view`` the take's fixed 2x3 view).
"""
from __future__ import annotations

import numpy as np

from microexpr.solve.jit import kernel

WEAK_PERSPECTIVE = 0
IN_PLANE = 1


@kernel()
def _scaled_orthographic(a, out):
    """``key_weights.nearest_scaled_orthographic`` of the 2x3 ``a`` into ``out``."""
    p = a[0, 0] * a[0, 0] + a[0, 1] * a[0, 1] + a[0, 2] * a[0, 2]
    b = a[0, 0] * a[1, 0] + a[0, 1] * a[1, 1] + a[0, 2] * a[1, 2]
    c = a[1, 0] * a[1, 0] + a[1, 1] * a[1, 1] + a[1, 2] * a[1, 2]
    tt = 0.0
    if b != 0.0:
        theta = (c - p) / (2.0 * b)
        if abs(theta) > 1e150:
            tt = 0.5 / theta
        else:
            tt = (1.0 if theta >= 0 else -1.0) / (abs(theta) + np.sqrt(theta * theta + 1.0))
    cs = 1.0 / np.sqrt(tt * tt + 1.0)
    sn = tt * cs
    s0 = np.sqrt(max(p - tt * b, 0.0))
    s1 = np.sqrt(max(c + tt * b, 0.0))
    i0 = 1.0 / s0 if s0 > 0.0 else 0.0
    i1 = 1.0 / s1 if s1 > 0.0 else 0.0
    p00 = cs * cs * i0 + sn * sn * i1
    p01 = -cs * sn * i0 + sn * cs * i1
    p11 = sn * sn * i0 + cs * cs * i1
    scale = 0.5 * (s0 + s1)
    for j in range(3):
        r0 = a[0, j]
        r1 = a[1, j]
        out[0, j] = scale * (p00 * r0 + p01 * r1)
        out[1, j] = scale * (p01 * r0 + p11 * r1)


@kernel()
def _fit_one(kind, view, X, x, w, idx, n, M, t, a):
    """Camera ``x ~ M X + t`` of one frame on landmarks ``idx[:n]`` weighted by ``w`` (the
    landmark's weight, indexed like ``x``); ``a`` (2, 3) is scratch."""
    ws = 0.0
    m = np.zeros(3)
    mx = np.zeros(2)
    if kind == IN_PLANE:
        for q in range(n):
            l = idx[q]
            ws += w[l]
        for q in range(n):
            l = idx[q]
            for i in range(2):
                m[i] += w[l] * (view[i, 0] * X[l, 0] + view[i, 1] * X[l, 1] + view[i, 2] * X[l, 2])
                mx[i] += w[l] * x[l, i]
        for i in range(2):
            m[i] /= ws
            mx[i] /= ws
        c00 = c01 = c10 = c11 = var = 0.0
        for q in range(n):
            l = idx[q]
            a0 = view[0, 0] * X[l, 0] + view[0, 1] * X[l, 1] + view[0, 2] * X[l, 2] - m[0]
            a1 = view[1, 0] * X[l, 0] + view[1, 1] * X[l, 1] + view[1, 2] * X[l, 2] - m[1]
            b0 = x[l, 0] - mx[0]
            b1 = x[l, 1] - mx[1]
            c00 += b0 * w[l] * a0
            c01 += b0 * w[l] * a1
            c10 += b1 * w[l] * a0
            c11 += b1 * w[l] * a1
            var += w[l] * (a0 * a0 + a1 * a1)
        u = c00 + c11
        v = c10 - c01
        angle = np.arctan2(v, u)
        s = np.sqrt(u * u + v * v) / var          # the covariance's 1/ws cancels
        co = s * np.cos(angle)
        si = s * np.sin(angle)
        for j in range(3):
            M[0, j] = co * view[0, j] - si * view[1, j]
            M[1, j] = si * view[0, j] + co * view[1, j]
        t[0] = mx[0] - (co * m[0] - si * m[1])
        t[1] = mx[1] - (si * m[0] + co * m[1])
        return
    for q in range(n):
        l = idx[q]
        ws += w[l]
        for j in range(3):
            m[j] += w[l] * X[l, j]
        for i in range(2):
            mx[i] += w[l] * x[l, i]
    for j in range(3):
        m[j] /= ws
    for i in range(2):
        mx[i] /= ws
    xx = np.zeros((3, 3))
    xb = np.zeros((3, 2))                         # (x - mx)^T w A, transposed
    for q in range(n):
        l = idx[q]
        d0 = X[l, 0] - m[0]
        d1 = X[l, 1] - m[1]
        d2 = X[l, 2] - m[2]
        wd0 = w[l] * d0
        wd1 = w[l] * d1
        wd2 = w[l] * d2
        xx[0, 0] += d0 * wd0
        xx[0, 1] += d0 * wd1
        xx[0, 2] += d0 * wd2
        xx[1, 1] += d1 * wd1
        xx[1, 2] += d1 * wd2
        xx[2, 2] += d2 * wd2
        for i in range(2):
            b = x[l, i] - mx[i]
            xb[0, i] += b * wd0
            xb[1, i] += b * wd1
            xb[2, i] += b * wd2
    xx[1, 0] = xx[0, 1]
    xx[2, 0] = xx[0, 2]
    xx[2, 1] = xx[1, 2]
    ridge = 1e-10 * (xx[0, 0] + xx[1, 1] + xx[2, 2])
    for j in range(3):
        xx[j, j] += ridge
    _solve3(xx, xb)                               # xb <- XX^-1 xb = aff^T
    for i in range(2):
        for j in range(3):
            a[i, j] = xb[j, i]
    _scaled_orthographic(a, M)
    for i in range(2):
        t[i] = mx[i] - (M[i, 0] * m[0] + M[i, 1] * m[1] + M[i, 2] * m[2])


@kernel()
def _solve3(A, B):
    """B <- A^-1 B for a 3x3 ``A`` (overwritten), by elimination with partial pivoting."""
    for k in range(3):
        p = k
        for i in range(k + 1, 3):
            if abs(A[i, k]) > abs(A[p, k]):
                p = i
        if p != k:
            for j in range(3):
                A[k, j], A[p, j] = A[p, j], A[k, j]
            for j in range(B.shape[1]):
                B[k, j], B[p, j] = B[p, j], B[k, j]
        for i in range(k + 1, 3):
            f = A[i, k] / A[k, k]
            for j in range(k, 3):
                A[i, j] -= f * A[k, j]
            for j in range(B.shape[1]):
                B[i, j] -= f * B[k, j]
    for k in range(2, -1, -1):
        for j in range(B.shape[1]):
            s = B[k, j]
            for i in range(k + 1, 3):
                s -= A[k, i] * B[i, j]
            B[k, j] = s / A[k, k]


@kernel()
def rigid_cameras(kind, view, S, rigid, x, conf, valid, M, t):
    """Pass 1: each frame's camera of the performer's neutral ``S`` on the ``rigid``
    landmarks, weighted by their confidence + 1e-12 (1 on a frame that is not ``valid``)."""
    F, L = conf.shape
    w = np.empty(L)
    a = np.empty((2, 3))
    n = rigid.shape[0]
    for f in range(F):
        for q in range(n):
            l = rigid[q]
            w[l] = (conf[f, l] if valid[f] else 1.0) + 1e-12
        _fit_one(kind, view, S, x[f], w, rigid, n, M[f], t[f], a)


@kernel()
def expression_cameras(kind, view, S, B, nz_start, nz_target, W1, x, conf, valid, M1, t1,
                       cauchy, M, t):
    """Pass 2: each frame's camera of the performer's shape with the first pass's weights
    ``W1`` (``S + B W1``, ``B`` the retargeted deltas (L, 3, T) whose nonzero targets per
    landmark are ``nz_target[nz_start[l]:nz_start[l + 1]]``) on every landmark, weighted by
    confidence (1 on an invalid frame) times the Cauchy weight of its residual after the
    first camera ``M1``, ``t1`` (Cauchy scale ``cauchy``: ``ROBUST`` noises), + 1e-12."""
    F, L = conf.shape
    shape = np.empty((L, 3))
    w = np.empty(L)
    idx = np.arange(L)
    a = np.empty((2, 3))
    for f in range(F):
        Mf = M1[f]
        s = np.sqrt(Mf[0, 0] * Mf[0, 0] + Mf[0, 1] * Mf[0, 1] + Mf[0, 2] * Mf[0, 2])
        for l in range(L):
            for j in range(3):
                v = 0.0
                for p in range(nz_start[l], nz_start[l + 1]):
                    v += B[l, j, nz_target[p]] * W1[f, nz_target[p]]
                shape[l, j] = S[l, j] + v
            e2 = 0.0
            for i in range(2):
                d = x[f, l, i] - (Mf[i, 0] * shape[l, 0] + Mf[i, 1] * shape[l, 1]
                                  + Mf[i, 2] * shape[l, 2]) - t1[f, i]
                e2 += d * d
            r = np.sqrt(e2) / s / cauchy
            w[l] = (conf[f, l] if valid[f] else 1.0) * (1.0 / (1.0 + r * r)) + 1e-12
        _fit_one(kind, view, shape, x[f], w, idx, L, M[f], t[f], a)


@kernel()
def frame_offsets(x, conf, valid, M, t, S, gains, R, P, C):
    """A pass's offsets ``R`` (F, L, 2): ``(x - M S - t) / s / gain``, 0 where the
    confidence ``C`` (conf, 0 on an invalid frame) is 0; cameras ``P = M / s``."""
    F, L = conf.shape
    for f in range(F):
        s = np.sqrt(M[f, 0, 0] * M[f, 0, 0] + M[f, 0, 1] * M[f, 0, 1] + M[f, 0, 2] * M[f, 0, 2])
        for i in range(2):
            for j in range(3):
                P[f, i, j] = M[f, i, j] / s
        for l in range(L):
            c = conf[f, l] if valid[f] else 0.0
            C[f, l] = c
            for i in range(2):
                if c > 0:
                    d = x[f, l, i] - (S[l, 0] * M[f, i, 0] + S[l, 1] * M[f, i, 1]
                                      + S[l, 2] * M[f, i, 2]) - t[f, i]
                    R[f, l, i] = d / s / gains[l]
                else:
                    R[f, l, i] = 0.0


@kernel()
def scaled_rotations(Z, M):
    """The pose filter's output ``Z`` (F, 8: M row by row, then t) with each M moved to the
    nearest scaled orthographic camera, into ``M`` (F, 2, 3)."""
    a = np.empty((2, 3))
    for f in range(Z.shape[0]):
        for i in range(2):
            for j in range(3):
                a[i, j] = Z[f, 3 * i + j]
        _scaled_orthographic(a, M[f])
