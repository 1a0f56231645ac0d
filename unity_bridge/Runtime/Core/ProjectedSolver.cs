// The solver for 2-D tracks in rigid mode (microexpr/solve/projected_solver.py): the targets' 3-D
// landmark offsets are seen through each frame's own weak-perspective camera P (2x3,
// normalised to the neutral frame's scale), r_l ~ (P B_l) w. Per frame, with A = P'P and
// G_ab = sum_l B_l[a]' B_l[b] precomputed:
//   H = sum_ab A_ab G_ab - sum_{l: c_l < 1} (1 - c_l) B_l' A B_l + diag(lam + mu)
//   g = sum_l c_l B_l' P' r_l + mu w_prev
// then the same box QP. lam and mu scale with the neutral view's basis P_0 B, or are given as
// they are (performer mode).
// Rigs move each landmark with few targets: the sums skip exact zeros (which change nothing),
// so the work follows the rig's sparsity. H's entries are summed in another order than
// Python's (six terms instead of nine, A being symmetric): equal to rounding.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class ProjectedSolver
    {
        public readonly int Targets;
        public readonly double Scale;
        public readonly double Lambda;
        public readonly double Mu;
        readonly int L;
        readonly double[] B3;        // [l][a][t] (the rig's (68, 3, T))
        readonly int[] pairIndex;    // i*T + j (i <= j) where some G_ab[i, j] may be nonzero, and every (i, i)
        readonly int[] pairMirror;   // j*T + i
        readonly double[] pairG;     // [pair][6] the symmetric combinations of G_ab[i, j]
        readonly int[] nzStart;      // per landmark: its targets with a nonzero delta, ascending
        readonly int[] nzTarget;
        readonly bool[] allowed;
        readonly double[] H;
        readonly double[] g;
        readonly double[] A = new double[9];
        readonly double[] wprev;
        readonly BoxQp qp;

        public int LastSteps { get; private set; }

        /// <summary><paramref name="deltas"/> in rig file order [target][landmark][xyz];
        /// <paramref name="view0"/> the neutral camera (2x3 row-major). With
        /// <paramref name="absolute"/>, <paramref name="reg"/> and <paramref name="temporal"/>
        /// are the penalties lam and mu themselves (performer mode).</summary>
        public ProjectedSolver(double[] deltas, int targets, double[] view0, double reg = 1e-3,
                               double temporal = 0.0, bool[] pinned = null, bool absolute = false)
        {
            Targets = targets;
            L = Landmarks.Count;
            int T = targets;
            B3 = new double[L * 3 * T];
            for (int t = 0; t < T; t++)
                for (int l = 0; l < L; l++)
                    for (int a = 0; a < 3; a++) B3[(l * 3 + a) * T + t] = deltas[(t * L + l) * 3 + a];
            double sum = 0.0;
            for (int l = 0; l < L; l++)
                for (int i = 0; i < 2; i++)
                    for (int t = 0; t < T; t++)
                    {
                        double v = view0[i * 3] * B3[(l * 3) * T + t] + view0[i * 3 + 1] * B3[(l * 3 + 1) * T + t]
                                 + view0[i * 3 + 2] * B3[(l * 3 + 2) * T + t];
                        sum += v * v;
                    }
            double scale = sum / Math.Max(T, 1);
            Scale = scale > 0 ? scale : 1.0;
            Lambda = absolute ? reg : reg * Scale;
            Mu = absolute ? temporal : temporal * Scale;
            allowed = new bool[T];
            for (int t = 0; t < T; t++) allowed[t] = pinned == null || !pinned[t];
            // which targets move each landmark
            nzStart = new int[L + 1];
            var nz = new List<int>();
            for (int l = 0; l < L; l++)
            {
                nzStart[l] = nz.Count;
                for (int t = 0; t < T; t++)
                    if (B3[(l * 3) * T + t] != 0.0 || B3[(l * 3 + 1) * T + t] != 0.0 || B3[(l * 3 + 2) * T + t] != 0.0)
                        nz.Add(t);
            }
            nzStart[L] = nz.Count;
            nzTarget = nz.ToArray();
            // G on the pairs of targets that share a landmark, summed over landmarks in order
            var G = new double[9 * T * T];
            var touched = new bool[T * T];
            for (int t = 0; t < T; t++) touched[t * T + t] = true;
            for (int l = 0; l < L; l++)
                for (int p = nzStart[l]; p < nzStart[l + 1]; p++)
                    for (int q = nzStart[l]; q < nzStart[l + 1]; q++)
                    {
                        int i = nzTarget[p], j = nzTarget[q];
                        if (i <= j) touched[i * T + j] = true;
                        for (int a = 0; a < 3; a++)
                            for (int b = 0; b < 3; b++)
                                G[((a * 3 + b) * T + i) * T + j] += B3[(l * 3 + a) * T + i] * B3[(l * 3 + b) * T + j];
                    }
            var pairs = new List<int>();
            for (int i = 0; i < T; i++)
                for (int j = i; j < T; j++)
                    if (touched[i * T + j]) pairs.Add(i * T + j);
            pairIndex = pairs.ToArray();
            pairMirror = new int[pairIndex.Length];
            for (int p = 0; p < pairIndex.Length; p++) pairMirror[p] = (pairIndex[p] % T) * T + pairIndex[p] / T;
            // A = P'P is symmetric, so G_ab and G_ba share a coefficient: six sums per pair
            // (G_00, G_01 + G_10, G_02 + G_20, G_11, G_12 + G_21, G_22) instead of nine
            pairG = new double[pairIndex.Length * 6];
            int TT = T * T;
            for (int p = 0; p < pairIndex.Length; p++)
            {
                int o = pairIndex[p];
                pairG[p * 6] = G[o];
                pairG[p * 6 + 1] = G[1 * TT + o] + G[3 * TT + o];
                pairG[p * 6 + 2] = G[2 * TT + o] + G[6 * TT + o];
                pairG[p * 6 + 3] = G[4 * TT + o];
                pairG[p * 6 + 4] = G[5 * TT + o] + G[7 * TT + o];
                pairG[p * 6 + 5] = G[8 * TT + o];
            }
            H = new double[T * T];
            g = new double[T];
            wprev = new double[T];
            qp = new BoxQp(T, BoxQp.PatternOfGroups(T, nzStart, nzTarget));
        }

        public bool IsPinned(int target) { return !allowed[target]; }

        /// <summary>Pairs of targets that share a landmark (the nonzero pattern of H).</summary>
        public int PairCount { get { return pairIndex.Length; } }

        /// <summary>One frame: <paramref name="r"/> the offsets (68*2), <paramref name="P"/> the
        /// frame's camera (2x3), <paramref name="conf"/> per landmark (null = all 1);
        /// <paramref name="w"/> previous weights in, new weights out.</summary>
        public void SolveFrame(double[] r, double[] P, double[] conf, double[] w)
        {
            int T = Targets;
            for (int t = 0; t < T; t++) wprev[t] = w[t];
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++) A[a * 3 + b] = P[a] * P[b] + P[3 + a] * P[3 + b];
            double A0 = A[0], A1 = A[1], A2 = A[2], A3 = A[3], A4 = A[4], A5 = A[5], A6 = A[6], A7 = A[7], A8 = A[8];
            for (int p = 0; p < pairIndex.Length; p++)
            {
                int o = p * 6;
                double v = A0 * pairG[o] + A1 * pairG[o + 1] + A2 * pairG[o + 2]
                         + A4 * pairG[o + 3] + A5 * pairG[o + 4] + A8 * pairG[o + 5];
                H[pairIndex[p]] = v;
                H[pairMirror[p]] = v;
            }
            bool downdated = false;
            for (int l = 0; l < L; l++)
            {
                double cl = conf == null ? 1.0 : conf[l];
                if (!(cl < 1.0)) continue;
                downdated = true;
                double k = 1.0 - cl;
                int r0 = (l * 3) * T, r1 = r0 + T, r2 = r1 + T;
                int end = nzStart[l + 1];
                for (int p = nzStart[l]; p < end; p++)
                {
                    int i = nzTarget[p];
                    double b0 = B3[r0 + i], b1 = B3[r1 + i], b2 = B3[r2 + i];
                    double ai0 = A0 * b0 + A1 * b1 + A2 * b2;
                    double ai1 = A3 * b0 + A4 * b1 + A5 * b2;
                    double ai2 = A6 * b0 + A7 * b1 + A8 * b2;
                    int hi = i * T;
                    for (int q = p; q < end; q++)
                    {
                        int j = nzTarget[q];
                        H[hi + j] -= k * (ai0 * B3[r0 + j] + ai1 * B3[r1 + j] + ai2 * B3[r2 + j]);
                    }
                }
            }
            if (downdated)
                for (int p = 0; p < pairIndex.Length; p++) H[pairMirror[p]] = H[pairIndex[p]];
            for (int i = 0; i < T; i++)
            {
                H[i * T + i] += Lambda + Mu;
                g[i] = Mu * wprev[i];
            }
            for (int l = 0; l < L; l++)
            {
                double cl = conf == null ? 1.0 : conf[l];
                if (!(cl > 0.0)) continue;
                double x = r[l * 2], y = r[l * 2 + 1];
                double q0 = cl * (P[0] * x + P[3] * y);
                double q1 = cl * (P[1] * x + P[4] * y);
                double q2 = cl * (P[2] * x + P[5] * y);
                int r0 = (l * 3) * T, r1 = r0 + T, r2 = r1 + T;
                int end = nzStart[l + 1];
                for (int p = nzStart[l]; p < end; p++)
                {
                    int i = nzTarget[p];
                    g[i] += B3[r0 + i] * q0 + B3[r1 + i] * q1 + B3[r2 + i] * q2;
                }
            }
            qp.InvalidateFactor();                       // H differs every frame
            LastSteps = qp.Solve(H, g, w, allowed);
        }
    }
}
