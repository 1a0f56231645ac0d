// The bounded weight solver of microexpr/solve/weight_solver.py, online form. Per frame it minimises
//   sum_i c_i |B_i w - d_i|^2 + sum_t lam_t w_t^2 + mu |w - w_prev|^2,   0 <= w <= 1
// with lam = reg * s, mu = temporal * s, s = the mean squared column norm of B (or lam and mu
// given as they are: performer mode), by the same box QP (BoxQp). H = B'CB + diag(lam + mu)
// and g = B'Cd + mu w_prev are summed as Python's _normal does; terms that are exact zeros (a
// rig moves each landmark with few targets) are skipped, which changes nothing. With every
// confidence 1, H is the constant H0 and its Cholesky factor is kept between frames. All
// buffers are made in the constructor.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class WeightSolver
    {
        public readonly int Rows;          // L * k
        public readonly int Targets;
        public readonly int K;
        public readonly double Scale;
        public readonly double Lambda;     // reg * Scale (every target)
        public readonly double Mu;         // temporal * Scale
        readonly double[] B;               // [row][target]
        readonly int[] nzStart;            // per row: its nonzero targets, ascending
        readonly int[] nzTarget;
        readonly bool[] allowed;
        readonly double[] H0;              // B'B + diag(lam + mu)
        readonly double[] H;
        readonly double[] g;
        readonly double[] wprev;
        readonly BoxQp qp;

        /// <summary>Steps the last box QP took (for tests and benchmarks).</summary>
        public int LastSteps { get; private set; }

        /// <summary>With <paramref name="absolute"/>, <paramref name="reg"/> and
        /// <paramref name="temporal"/> are the penalties lam and mu themselves, not scaled by
        /// the basis (Python's WeightSolver.set_penalties; performer mode).</summary>
        public WeightSolver(double[] basis, int rows, int targets, int k, double reg = 1e-3,
                            double temporal = 0.0, bool[] pinned = null, bool absolute = false)
        {
            if (k < 1 || rows % k != 0)
                throw new MicroExprException("basis rows (" + rows + ") are not a multiple of " + k);
            if (basis == null || basis.Length != rows * targets)
                throw new MicroExprException("basis must hold rows * targets values");
            Rows = rows; Targets = targets; K = k;
            B = (double[])basis.Clone();
            double sum = 0.0;
            for (int i = 0; i < B.Length; i++) sum += B[i] * B[i];
            double scale = sum / Math.Max(targets, 1);
            Scale = scale > 0 ? scale : 1.0;
            Lambda = absolute ? reg : reg * Scale;
            Mu = absolute ? temporal : temporal * Scale;
            allowed = new bool[targets];
            for (int t = 0; t < targets; t++) allowed[t] = pinned == null || !pinned[t];
            nzStart = new int[rows + 1];
            var nz = new List<int>();
            for (int i = 0; i < rows; i++)
            {
                nzStart[i] = nz.Count;
                for (int t = 0; t < targets; t++) if (B[i * targets + t] != 0.0) nz.Add(t);
            }
            nzStart[rows] = nz.Count;
            nzTarget = nz.ToArray();
            H0 = new double[targets * targets];
            H = new double[targets * targets];
            g = new double[targets];
            wprev = new double[targets];
            Normal(null, H0);
            qp = new BoxQp(targets, BoxQp.PatternOfGroups(targets, nzStart, nzTarget));
        }

        public bool IsPinned(int target) { return !allowed[target]; }

        /// <summary>H = B'CB + diag(lam + mu) (c null = all ones), as Python's _normal sums it.</summary>
        void Normal(double[] c, double[] outH)
        {
            int T = Targets;
            for (int a = 0; a < T * T; a++) outH[a] = 0.0;
            for (int i = 0; i < Rows; i++)
            {
                double ci = c == null ? 1.0 : c[i / K];
                if (ci == 0.0) continue;
                int row = i * T, end = nzStart[i + 1];
                for (int p = nzStart[i]; p < end; p++)
                {
                    int a = nzTarget[p];
                    double cba = ci * B[row + a];
                    int ha = a * T;
                    for (int q = p; q < end; q++)
                    {
                        int b = nzTarget[q];
                        outH[ha + b] += cba * B[row + b];
                    }
                }
            }
            for (int a = 0; a < T; a++)
            {
                for (int b = a + 1; b < T; b++) outH[b * T + a] = outH[a * T + b];
                outH[a * T + a] += Lambda + Mu;
            }
        }

        /// <summary>One frame, online: <paramref name="w"/> holds the previous weights on entry
        /// (warm start, and the anchor of the temporal term) and the new ones on return.
        /// <paramref name="d"/> is the frame's offsets (Rows), <paramref name="conf"/> one
        /// confidence per landmark (Rows / K) or null for all ones.</summary>
        public void SolveFrame(double[] d, double[] conf, double[] w)
        {
            int T = Targets, L = Rows / K;
            for (int t = 0; t < T; t++) wprev[t] = w[t];
            bool uniform = true;
            if (conf != null)
                for (int l = 0; l < L; l++) if (conf[l] != 1.0) { uniform = false; break; }
            double[] g = this.g, B = this.B;
            int[] nzStart = this.nzStart, nzTarget = this.nzTarget;
            for (int a = 0; a < T; a++) g[a] = 0.0;
            for (int l = 0, i = 0; l < L; l++)
            {
                double ci = conf == null ? 1.0 : conf[l];
                for (int j = 0; j < K; j++, i++)
                {
                    double di = d[i];
                    if (ci == 0.0 || di == 0.0) continue;
                    int row = i * T, end = nzStart[i + 1];
                    for (int p = nzStart[i]; p < end; p++)
                    {
                        int a = nzTarget[p];
                        g[a] += ci * B[row + a] * di;
                    }
                }
            }
            for (int a = 0; a < T; a++) g[a] += Mu * wprev[a];
            if (uniform) LastSteps = qp.Solve(H0, g, w, allowed);   // H0: its factor is kept
            else
            {
                Normal(conf, H);
                qp.InvalidateFactor();
                LastSteps = qp.Solve(H, g, w, allowed);
                qp.InvalidateFactor();
            }
        }

        /// <summary>The value being minimised, for tests and reports.</summary>
        public double Objective(double[] w, double[] d, double[] conf, double[] previous)
        {
            double val = 0.0;
            for (int i = 0; i < Rows; i++)
            {
                double r = -d[i];
                for (int t = 0; t < Targets; t++) r += B[i * Targets + t] * w[t];
                val += (conf == null ? 1.0 : conf[i / K]) * r * r;
            }
            for (int t = 0; t < Targets; t++) val += Lambda * w[t] * w[t];
            if (Mu != 0.0 && previous != null)
                for (int t = 0; t < Targets; t++) val += Mu * (w[t] - previous[t]) * (w[t] - previous[t]);
            return val;
        }
    }
}
