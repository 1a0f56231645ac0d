// Head-motion fits of microexpr/solve/key_weights.py on a landmark subset, without allocation:
// the weighted similarity (Umeyama) fit for 3-D tracks and the weighted weak-perspective fit
// (affine fit with a tiny ridge, then the nearest scaled-orthographic camera) for 2-D tracks.
// The small SVDs are done by hand: 3x3 by one-sided Jacobi, 2x3 through a 2x2 eigen problem.
using System;

namespace MicroExpr.Runtime
{
    public static class HeadFit
    {
        const double JacobiEps = 1e-15;

        /// <summary>Weighted similarity fit dst ~ s R src + t over the landmarks <paramref name="idx"/>.
        /// Points are [landmark][xyz] (68*3); weights are per landmark (68). R is row-major 3x3.
        /// <paramref name="scratch"/> needs 24 entries.</summary>
        public static double Similarity(double[] src, double[] dst, int[] idx, double[] w,
                                        double[] R, double[] t, double[] scratch)
        {
            double wsum = 0.0, ms0 = 0.0, ms1 = 0.0, ms2 = 0.0, md0 = 0.0, md1 = 0.0, md2 = 0.0;
            for (int n = 0; n < idx.Length; n++)
            {
                int l = idx[n] * 3;
                double wn = w[idx[n]];
                wsum += wn;
                ms0 += wn * src[l]; ms1 += wn * src[l + 1]; ms2 += wn * src[l + 2];
                md0 += wn * dst[l]; md1 += wn * dst[l + 1]; md2 += wn * dst[l + 2];
            }
            ms0 /= wsum; ms1 /= wsum; ms2 /= wsum;
            md0 /= wsum; md1 /= wsum; md2 /= wsum;
            double[] cov = scratch;                        // [0..8] cov, [9..17] V, [18..23] spare
            double c0 = 0.0, c1 = 0.0, c2 = 0.0, c3 = 0.0, c4 = 0.0, c5 = 0.0, c6 = 0.0, c7 = 0.0, c8 = 0.0;
            double var = 0.0;
            for (int n = 0; n < idx.Length; n++)
            {
                int l = idx[n] * 3;
                double wn = w[idx[n]];
                double a0 = src[l] - ms0, a1 = src[l + 1] - ms1, a2 = src[l + 2] - ms2;
                double b0 = dst[l] - md0, b1 = dst[l + 1] - md1, b2 = dst[l + 2] - md2;
                double wb0 = wn * b0, wb1 = wn * b1, wb2 = wn * b2;
                c0 += wb0 * a0; c1 += wb0 * a1; c2 += wb0 * a2;
                c3 += wb1 * a0; c4 += wb1 * a1; c5 += wb1 * a2;
                c6 += wb2 * a0; c7 += wb2 * a1; c8 += wb2 * a2;
                var += wn * a0 * a0 + wn * a1 * a1 + wn * a2 * a2;
            }
            cov[0] = c0; cov[1] = c1; cov[2] = c2; cov[3] = c3; cov[4] = c4; cov[5] = c5; cov[6] = c6; cov[7] = c7; cov[8] = c8;
            for (int k = 0; k < 9; k++) cov[k] /= wsum;
            var /= wsum;
            double det = Det3(cov);
            double d = det < 0.0 ? -1.0 : 1.0;            // numpy: sign(det(U Vt)), 0 -> 1
            double sumS = PolarRotation3(cov, R, scratch, 9, d);
            double s = sumS / var;
            t[0] = md0 - s * (R[0] * ms0 + R[1] * ms1 + R[2] * ms2);
            t[1] = md1 - s * (R[3] * ms0 + R[4] * ms1 + R[5] * ms2);
            t[2] = md2 - s * (R[6] * ms0 + R[7] * ms1 + R[8] * ms2);
            return s;
        }

        public static double Det3(double[] a)
        {
            return a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
                 + a[2] * (a[3] * a[7] - a[4] * a[6]);
        }

        /// <summary>Umeyama's rotation R = U diag(1, 1, d) V^T of a 3x3 matrix A = U S V^T, and
        /// S0 + S1 + d S2. One-sided Jacobi: rotate A's columns (and V) until they are orthogonal;
        /// the columns' norms are S, their directions U. A is overwritten; V lives in
        /// work[v0 .. v0+8].</summary>
        public static double PolarRotation3(double[] A, double[] R, double[] work, int v0, double d)
        {
            for (int k = 0; k < 9; k++) work[v0 + k] = (k % 4 == 0) ? 1.0 : 0.0;
            for (int sweep = 0; sweep < 40; sweep++)
            {
                bool rotated = false;
                for (int p = 0; p < 2; p++)
                    for (int q = p + 1; q < 3; q++)
                    {
                        double alpha = 0.0, beta = 0.0, gamma = 0.0;
                        for (int i = 0; i < 3; i++)
                        {
                            double gp = A[i * 3 + p], gq = A[i * 3 + q];
                            alpha += gp * gp; beta += gq * gq; gamma += gp * gq;
                        }
                        if (gamma == 0.0 || Math.Abs(gamma) <= JacobiEps * Math.Sqrt(alpha * beta)) continue;
                        rotated = true;
                        double zeta = (beta - alpha) / (2.0 * gamma);
                        double tt = (zeta >= 0 ? 1.0 : -1.0) / (Math.Abs(zeta) + Math.Sqrt(1.0 + zeta * zeta));
                        double c = 1.0 / Math.Sqrt(1.0 + tt * tt), s = c * tt;
                        for (int i = 0; i < 3; i++)
                        {
                            double gp = A[i * 3 + p], gq = A[i * 3 + q];
                            A[i * 3 + p] = c * gp - s * gq;
                            A[i * 3 + q] = s * gp + c * gq;
                            double vp = work[v0 + i * 3 + p], vq = work[v0 + i * 3 + q];
                            work[v0 + i * 3 + p] = c * vp - s * vq;
                            work[v0 + i * 3 + q] = s * vp + c * vq;
                        }
                    }
                if (!rotated) break;
            }
            double n0 = Norm3Col(A, 0), n1 = Norm3Col(A, 1), n2 = Norm3Col(A, 2);
            // the two largest singular values keep their vectors; the smallest one's pair is
            // fixed by the cross products, so R is a rotation whatever the rank
            int small = 2;
            if (n0 <= n1 && n0 <= n2) small = 0; else if (n1 <= n0 && n1 <= n2) small = 1;
            int a = small == 0 ? 1 : 0, b = small == 2 ? 1 : 2;
            double na = small == 0 ? n1 : n0, nb = small == 2 ? n1 : n2, ns = small == 0 ? n0 : (small == 1 ? n1 : n2);
            double ua0 = A[a] / na, ua1 = A[3 + a] / na, ua2 = A[6 + a] / na;
            double ub0 = A[b] / nb, ub1 = A[3 + b] / nb, ub2 = A[6 + b] / nb;
            double va0 = work[v0 + a], va1 = work[v0 + 3 + a], va2 = work[v0 + 6 + a];
            double vb0 = work[v0 + b], vb1 = work[v0 + 3 + b], vb2 = work[v0 + 6 + b];
            double uc0 = ua1 * ub2 - ua2 * ub1, uc1 = ua2 * ub0 - ua0 * ub2, uc2 = ua0 * ub1 - ua1 * ub0;
            double vc0 = va1 * vb2 - va2 * vb1, vc1 = va2 * vb0 - va0 * vb2, vc2 = va0 * vb1 - va1 * vb0;
            R[0] = ua0 * va0 + ub0 * vb0 + uc0 * vc0;
            R[1] = ua0 * va1 + ub0 * vb1 + uc0 * vc1;
            R[2] = ua0 * va2 + ub0 * vb2 + uc0 * vc2;
            R[3] = ua1 * va0 + ub1 * vb0 + uc1 * vc0;
            R[4] = ua1 * va1 + ub1 * vb1 + uc1 * vc1;
            R[5] = ua1 * va2 + ub1 * vb2 + uc1 * vc2;
            R[6] = ua2 * va0 + ub2 * vb0 + uc2 * vc0;
            R[7] = ua2 * va1 + ub2 * vb1 + uc2 * vc1;
            R[8] = ua2 * va2 + ub2 * vb2 + uc2 * vc2;
            return na + nb + d * ns;
        }

        static double Norm3Col(double[] A, int j)
        {
            return Math.Sqrt(A[j] * A[j] + A[3 + j] * A[3 + j] + A[6 + j] * A[6 + j]);
        }

        /// <summary>Weighted weak-perspective fit x ~ M X + t over the landmarks <paramref name="idx"/>:
        /// X is [landmark][xyz] (68*3), x is [landmark][xy] (68*2), M row-major 2x3.
        /// <paramref name="scratch"/> needs 24 entries.</summary>
        public static void WeakPerspective(double[] X, double[] x, int[] idx, double[] w,
                                           double[] M, double[] t, double[] scratch)
        {
            double wsum = 0.0, mX0 = 0.0, mX1 = 0.0, mX2 = 0.0, mx0 = 0.0, mx1 = 0.0;
            for (int n = 0; n < idx.Length; n++)
            {
                int l = idx[n], o = l * 3, p = l * 2;
                double wn = w[l];
                wsum += wn;
                mX0 += wn * X[o]; mX1 += wn * X[o + 1]; mX2 += wn * X[o + 2];
                mx0 += wn * x[p]; mx1 += wn * x[p + 1];
            }
            mX0 /= wsum; mX1 /= wsum; mX2 /= wsum; mx0 /= wsum; mx1 /= wsum;
            double[] XX = scratch;          // [0..8] XX, [9..14] xX, [15..20] affine
            double xx0 = 0.0, xx1 = 0.0, xx2 = 0.0, xx4 = 0.0, xx5 = 0.0, xx8 = 0.0;
            double xy0 = 0.0, xy1 = 0.0, xy2 = 0.0, xy3 = 0.0, xy4 = 0.0, xy5 = 0.0;
            for (int n = 0; n < idx.Length; n++)
            {
                int l = idx[n], o = l * 3, p = l * 2;
                double wn = w[l];
                double a0 = X[o] - mX0, a1 = X[o + 1] - mX1, a2 = X[o + 2] - mX2;
                double b0 = x[p] - mx0, b1 = x[p + 1] - mx1;
                double wa0 = wn * a0, wa1 = wn * a1, wa2 = wn * a2;
                xx0 += wa0 * a0; xx1 += wa0 * a1; xx2 += wa0 * a2;
                xx4 += wa1 * a1; xx5 += wa1 * a2; xx8 += wa2 * a2;
                double wb0 = wn * b0, wb1 = wn * b1;
                xy0 += wb0 * a0; xy1 += wb0 * a1; xy2 += wb0 * a2;
                xy3 += wb1 * a0; xy4 += wb1 * a1; xy5 += wb1 * a2;
            }
            XX[0] = xx0; XX[1] = xx1; XX[2] = xx2; XX[4] = xx4; XX[5] = xx5; XX[8] = xx8;
            XX[9] = xy0; XX[10] = xy1; XX[11] = xy2; XX[12] = xy3; XX[13] = xy4; XX[14] = xy5;
            XX[3] = XX[1]; XX[6] = XX[2]; XX[7] = XX[5];
            // a tiny ridge keeps a flat (planar) rigid set solvable
            double ridge = 1e-10 * (XX[0] + XX[4] + XX[8]);
            XX[0] += ridge; XX[4] += ridge; XX[8] += ridge;
            Solve3Rows(XX, scratch, 9, 15);                 // affine rows: XX aff_i = xX_i
            double r00 = scratch[15], r01 = scratch[16], r02 = scratch[17];
            double r10 = scratch[18], r11 = scratch[19], r12 = scratch[20];
            NearestScaledOrthographic(r00, r01, r02, r10, r11, r12, M);
            t[0] = mx0 - (M[0] * mX0 + M[1] * mX1 + M[2] * mX2);
            t[1] = mx1 - (M[3] * mX0 + M[4] * mX1 + M[5] * mX2);
        }

        /// <summary>Solves the 3x3 system A y = b for two right-hand sides (rows of 3 at
        /// work[rhs..], results at work[res..]) by Gaussian elimination with partial pivoting.
        /// A (work[0..8]) is overwritten.</summary>
        static void Solve3Rows(double[] m, double[] work, int rhs, int res)
        {
            for (int k = 0; k < 6; k++) work[res + k] = work[rhs + k];
            for (int col = 0; col < 3; col++)
            {
                int piv = col;
                double best = Math.Abs(m[col * 3 + col]);
                for (int r = col + 1; r < 3; r++)
                    if (Math.Abs(m[r * 3 + col]) > best) { best = Math.Abs(m[r * 3 + col]); piv = r; }
                if (piv != col)
                {
                    for (int c = 0; c < 3; c++)
                    {
                        double tmp = m[col * 3 + c]; m[col * 3 + c] = m[piv * 3 + c]; m[piv * 3 + c] = tmp;
                    }
                    for (int k = 0; k < 2; k++)
                    {
                        double tmp = work[res + k * 3 + col];
                        work[res + k * 3 + col] = work[res + k * 3 + piv];
                        work[res + k * 3 + piv] = tmp;
                    }
                }
                double p = m[col * 3 + col];
                if (p == 0.0) { p = 1e-300; m[col * 3 + col] = p; }
                for (int r = col + 1; r < 3; r++)
                {
                    double f = m[r * 3 + col] / p;
                    for (int c = col; c < 3; c++) m[r * 3 + c] -= f * m[col * 3 + c];
                    for (int k = 0; k < 2; k++) work[res + k * 3 + r] -= f * work[res + k * 3 + col];
                }
            }
            for (int k = 0; k < 2; k++)
                for (int r = 2; r >= 0; r--)
                {
                    double acc = work[res + k * 3 + r];
                    for (int c = r + 1; c < 3; c++) acc -= m[r * 3 + c] * work[res + k * 3 + c];
                    work[res + k * 3 + r] = acc / m[r * 3 + r];
                }
        }

        /// <summary>The nearest scaled-orthographic M = mean(S) U V^T of a 2x3 matrix
        /// A = U S V^T, from the 2x2 eigen problem A A^T = U S^2 U^T (one Jacobi rotation):
        /// U V^T = U diag(1/S) U^T A.</summary>
        public static void NearestScaledOrthographic(double r00, double r01, double r02,
                                                     double r10, double r11, double r12, double[] M)
        {
            double a = r00 * r00 + r01 * r01 + r02 * r02;
            double b = r00 * r10 + r01 * r11 + r02 * r12;
            double c = r10 * r10 + r11 * r11 + r12 * r12;
            double l0, l1, cs, sn;
            if (b == 0.0) { l0 = a; l1 = c; cs = 1.0; sn = 0.0; }
            else
            {
                double theta = (c - a) / (2.0 * b);
                double tt = Math.Abs(theta) > 1e150 ? 0.5 / theta
                    : (theta >= 0 ? 1.0 : -1.0) / (Math.Abs(theta) + Math.Sqrt(theta * theta + 1.0));
                cs = 1.0 / Math.Sqrt(tt * tt + 1.0);
                sn = tt * cs;
                l0 = a - tt * b;
                l1 = c + tt * b;
            }
            double s0 = Math.Sqrt(Math.Max(l0, 0.0)), s1 = Math.Sqrt(Math.Max(l1, 0.0));
            // eigenvectors u0 = (cs, -sn), u1 = (sn, cs); P = sum_i u_i u_i^T / S_i
            double i0 = s0 > 0.0 ? 1.0 / s0 : 0.0, i1 = s1 > 0.0 ? 1.0 / s1 : 0.0;
            double p00 = cs * cs * i0 + sn * sn * i1;
            double p01 = -cs * sn * i0 + sn * cs * i1;
            double p11 = sn * sn * i0 + cs * cs * i1;
            double scale = 0.5 * (s0 + s1);
            M[0] = scale * (p00 * r00 + p01 * r10);
            M[1] = scale * (p00 * r01 + p01 * r11);
            M[2] = scale * (p00 * r02 + p01 * r12);
            M[3] = scale * (p01 * r00 + p11 * r10);
            M[4] = scale * (p01 * r01 + p11 * r11);
            M[5] = scale * (p01 * r02 + p11 * r12);
        }
    }
}
