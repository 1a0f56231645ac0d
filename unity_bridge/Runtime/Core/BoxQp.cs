// The primal active-set box QP of microexpr/solver.py (box_qp, _chol_solve), step for step:
// minimise 1/2 w'Hw - g'w over 0 <= w <= 1 (w_t = 0 where not allowed), warm-started from w.
//  1. Clip the start to [0, 1]; a weight at 0 or 1 is bound, any other free.
//  2. Solve the free weights with the bound ones fixed (Cholesky of H on the free set).
//  3. If that leaves [0, 1]: the first 8 times bind every weight that left at the bound it
//     crossed; after that step toward the solution until the first free weight reaches a
//     bound (lowest index wins ties) and bind it. Go to 2.
//  4. Else accept; free every bound weight whose pull inward exceeds tol = 1e-12 (1 + max|g|)
//     (after a zero-length step, only the strongest, once). None: stop.
//  5. At most 4 T + 20 steps.
// A Cholesky factor of a constant H on an unchanged free set is reused: the same numbers in
// the same order, so the result is identical to refactoring.
using System;

namespace MicroExpr.Runtime
{
    public sealed class BoxQp
    {
        readonly int T;
        readonly double[] work;      // T x T factor
        readonly double[] rhs;
        readonly double[] x;
        readonly int[] free;
        readonly int[] state;        // 0 at lower, 1 free, 2 at upper, 3 pinned, 4 to be freed
        readonly double[] cacheFactor;
        readonly int[] cacheFree;
        int cacheCount = -1;
        double[] cacheOwner;

        public BoxQp(int targets)
        {
            T = targets;
            work = new double[T * T];
            rhs = new double[T];
            x = new double[T];
            free = new int[T];
            state = new int[T];
            cacheFactor = new double[T * T];
            cacheFree = new int[T];
        }

        /// <summary>Solves in place; returns the number of steps. <paramref name="constantH"/>
        /// says H is the same matrix (same contents) as in earlier calls with this flag.</summary>
        public int Solve(double[] H, double[] g, double[] w, bool[] allowed, bool constantH)
        {
            double gmax = 0.0;
            for (int t = 0; t < T; t++) if (Math.Abs(g[t]) > gmax) gmax = Math.Abs(g[t]);
            double tol = 1e-12 * (1.0 + gmax);
            for (int t = 0; t < T; t++)
            {
                if (!allowed[t]) { w[t] = 0.0; state[t] = 3; }
                else if (w[t] <= 0.0) { w[t] = 0.0; state[t] = 0; }
                else if (w[t] >= 1.0) { w[t] = 1.0; state[t] = 2; }
                else state[t] = 1;
            }
            if (!constantH || !ReferenceEquals(cacheOwner, H)) { cacheCount = -1; cacheOwner = constantH ? H : null; }
            int steps = 0;
            bool single = false;
            int fast = 8;
            int maxSteps = 4 * T + 20;
            while (steps < maxSteps)
            {
                steps++;
                int nf = 0;
                for (int t = 0; t < T; t++) if (state[t] == 1) free[nf++] = t;
                for (int a = 0; a < nf; a++)
                {
                    int i = free[a];
                    double s = g[i];
                    int hi = i * T;
                    for (int t = 0; t < T; t++) if (state[t] == 2) s -= H[hi + t];
                    rhs[a] = s;
                }
                Factor(H, nf, constantH);
                SolveFactored(nf);
                bool feasible = true;
                for (int a = 0; a < nf; a++) if (x[a] < 0.0 || x[a] > 1.0) { feasible = false; break; }
                if (!feasible && fast > 0)
                {
                    fast--;                                   // bind every weight that left [0, 1]
                    for (int a = 0; a < nf; a++)
                    {
                        int i = free[a];
                        if (x[a] < 0.0) { w[i] = 0.0; state[i] = 0; }
                        else if (x[a] > 1.0) { w[i] = 1.0; state[i] = 2; }
                        else w[i] = x[a];
                    }
                    continue;
                }
                if (!feasible)
                {
                    double alpha = 1.0;
                    int block = -1;
                    for (int a = 0; a < nf; a++)
                    {
                        int i = free[a];
                        double r;
                        if (x[a] < 0.0) r = w[i] / (w[i] - x[a]);
                        else if (x[a] > 1.0) r = (1.0 - w[i]) / (x[a] - w[i]);
                        else continue;
                        if (r < alpha) { alpha = r; block = a; }
                    }
                    if (alpha <= 0.0) single = true;          // no progress: free one at a time next
                    for (int a = 0; a < nf; a++)
                    {
                        int i = free[a];
                        w[i] = w[i] + alpha * (x[a] - w[i]);
                    }
                    if (block >= 0)
                    {
                        int i = free[block];
                        if (x[block] < 0.0) { w[i] = 0.0; state[i] = 0; }
                        else { w[i] = 1.0; state[i] = 2; }
                    }
                    for (int a = 0; a < nf; a++)
                    {
                        int i = free[a];
                        if (state[i] == 1 && w[i] <= 0.0) { w[i] = 0.0; state[i] = 0; }
                        else if (state[i] == 1 && w[i] >= 1.0) { w[i] = 1.0; state[i] = 2; }
                    }
                    continue;
                }
                for (int a = 0; a < nf; a++) w[free[a]] = x[a];
                int best = -1;
                double pull = tol;
                for (int t = 0; t < T; t++)
                {
                    if (state[t] != 0 && state[t] != 2) continue;
                    double r = -g[t];
                    int ht = t * T;
                    for (int u = 0; u < T; u++) r += H[ht + u] * w[u];
                    double v = state[t] == 0 ? -r : r;
                    if (v > tol && !single) state[t] = 4;     // freed below, after the scan
                    if (v > pull) { pull = v; best = t; }
                }
                if (best < 0) break;
                if (single) state[best] = 1;
                else for (int t = 0; t < T; t++) if (state[t] == 4) state[t] = 1;
                single = false;
            }
            return steps;
        }

        /// <summary>Cholesky of H on the free set into work (Python's _chol_solve, first half).</summary>
        void Factor(double[] H, int n, bool constantH)
        {
            if (constantH && cacheCount == n)
            {
                bool same = true;
                for (int a = 0; a < n; a++) if (cacheFree[a] != free[a]) { same = false; break; }
                if (same) { Array.Copy(cacheFactor, work, n * T); return; }
            }
            for (int a = 0; a < n; a++)
            {
                int hi = free[a] * T;
                for (int b = 0; b < n; b++) work[a * T + b] = H[hi + free[b]];
            }
            for (int j = 0; j < n; j++)
            {
                int rj = j * T;
                double s = work[rj + j];
                for (int k = 0; k < j; k++) s -= work[rj + k] * work[rj + k];
                if (s <= 0.0) s = 1e-300;
                work[rj + j] = Math.Sqrt(s);
                for (int i = j + 1; i < n; i++)
                {
                    int ri = i * T;
                    s = work[ri + j];
                    for (int k = 0; k < j; k++) s -= work[ri + k] * work[rj + k];
                    work[ri + j] = s / work[rj + j];
                }
            }
            if (constantH)
            {
                Array.Copy(work, cacheFactor, n * T);
                for (int a = 0; a < n; a++) cacheFree[a] = free[a];
                cacheCount = n;
            }
        }

        /// <summary>Forward and back substitution (Python's _chol_solve, second half).</summary>
        void SolveFactored(int n)
        {
            for (int i = 0; i < n; i++)
            {
                int ri = i * T;
                double s = rhs[i];
                for (int k = 0; k < i; k++) s -= work[ri + k] * x[k];
                x[i] = s / work[ri + i];
            }
            for (int i = n - 1; i >= 0; i--)
            {
                double s = x[i];
                for (int k = i + 1; k < n; k++) s -= work[k * T + i] * x[k];
                x[i] = s / work[i * T + i];
            }
        }
    }
}
