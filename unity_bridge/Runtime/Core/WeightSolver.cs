// The bounded weight solver of microexpr/solver.py, online form. Per frame it minimises
//   sum_i c_i |B_i w - d_i|^2 + sum_t lam_t w_t^2 + mu |w - w_prev|^2,   0 <= w <= 1
// with lam = reg * s, mu = temporal * s, s = the mean squared column norm of B, by the same
// primal active-set box QP (same steps, same stopping rule; see BoxQp). All buffers are made
// in the constructor: solving a frame allocates nothing.
using System;

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
        readonly bool[] allowed;
        readonly double[] gram;            // B'B, upper and lower triangle
        readonly double[] H0;              // B'B + diag(lam + mu)
        readonly double[] H;
        readonly double[] g;
        readonly double[] wprev;
        readonly BoxQp qp;

        /// <summary>Steps the last box QP took (for tests and benchmarks).</summary>
        public int LastSteps { get; private set; }

        public WeightSolver(double[] basis, int rows, int targets, int k, double reg = 1e-3,
                            double temporal = 0.0, bool[] pinned = null)
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
            Lambda = reg * Scale;
            Mu = temporal * Scale;
            allowed = new bool[targets];
            for (int t = 0; t < targets; t++) allowed[t] = pinned == null || !pinned[t];
            gram = new double[targets * targets];
            H0 = new double[targets * targets];
            H = new double[targets * targets];
            g = new double[targets];
            wprev = new double[targets];
            AccumulateGram(null, gram);
            for (int a = 0; a < targets * targets; a++) H0[a] = gram[a];
            for (int a = 0; a < targets; a++) H0[a * targets + a] += Lambda + Mu;
            qp = new BoxQp(targets);
        }

        public bool IsPinned(int target) { return !allowed[target]; }

        /// <summary>sum_i c_i B_i' B_i into <paramref name="outH"/> (c null = all ones), in the
        /// summation order of Python's _normal.</summary>
        void AccumulateGram(double[] c, double[] outH)
        {
            int T = Targets;
            for (int a = 0; a < T * T; a++) outH[a] = 0.0;
            for (int i = 0; i < Rows; i++)
            {
                double ci = c == null ? 1.0 : c[i / K];
                if (ci == 0.0) continue;
                int row = i * T;
                for (int a = 0; a < T; a++)
                {
                    double cba = ci * B[row + a];
                    int ha = a * T;
                    for (int b = a; b < T; b++) outH[ha + b] += cba * B[row + b];
                }
            }
            for (int a = 0; a < T; a++)
                for (int b = a + 1; b < T; b++) outH[b * T + a] = outH[a * T + b];
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
            double[] h;
            if (uniform) h = H0;
            else
            {
                // H = B'CB + diag(lam + mu): only the landmarks with c != 1 change B'B
                int changed = 0;
                for (int l = 0; l < L; l++) if (conf[l] != 1.0) changed++;
                if (changed * 3 <= L)
                {
                    for (int a = 0; a < T * T; a++) H[a] = gram[a];
                    for (int l = 0; l < L; l++)
                    {
                        double drop = 1.0 - conf[l];
                        if (drop == 0.0) continue;
                        for (int j = 0; j < K; j++)
                        {
                            int row = (l * K + j) * T;
                            for (int a = 0; a < T; a++)
                            {
                                double cba = drop * B[row + a];
                                if (cba == 0.0) continue;
                                int ha = a * T;
                                for (int b = a; b < T; b++) H[ha + b] -= cba * B[row + b];
                            }
                        }
                    }
                    for (int a = 0; a < T; a++)
                        for (int b = a + 1; b < T; b++) H[b * T + a] = H[a * T + b];
                }
                else AccumulateGram(conf, H);
                for (int a = 0; a < T; a++) H[a * T + a] += Lambda + Mu;
                h = H;
            }
            for (int a = 0; a < T; a++) g[a] = 0.0;
            for (int i = 0; i < Rows; i++)
            {
                double ci = conf == null ? 1.0 : conf[i / K];
                double di = d[i];
                if (ci == 0.0 || di == 0.0) continue;
                int row = i * T;
                for (int a = 0; a < T; a++) g[a] += ci * B[row + a] * di;
            }
            if (Mu != 0.0) for (int a = 0; a < T; a++) g[a] += Mu * wprev[a];
            LastSteps = qp.Solve(h, g, w, allowed, uniform);
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
