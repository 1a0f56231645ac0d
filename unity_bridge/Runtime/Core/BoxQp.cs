// The active-set box QP of microexpr/solve/weight_solver.py (box_qp and its step helpers,
// _chol_factor, _chol_subst), step for step: minimise 1/2 w'Hw - g'w over 0 <= w <= 1
// (w_t = 0 where not allowed), warm-started.
//  1. Clip the start to [0, 1]; a weight at 0 or 1 is bound, any other free.
//  2. Solve the free weights with the bound ones fixed (Cholesky of H on the free set).
//  3. The first 8 solves are primal-dual steps: take the solution, bind every free weight that
//     left [0, 1], free every bound weight whose pull (computed before binding) exceeds tol;
//     stop if nothing changed. Later, if the solution leaves [0, 1], step toward it until the
//     first free weight reaches a bound (lowest index wins ties) and bind it.
//  4. Else accept; free every bound weight pulled inward by more than tol = 1e-12 (1 + max|g|)
//     (after a zero-length step, only the strongest, once). None: stop.
//  5. At most 4 T + 20 steps.
// The Cholesky factor stays in `work` with the free set it belongs to, across steps and
// frames, until H changes (InvalidateFactor), as Python's `cache`; it is kept per connected
// component of H's pattern (no nonzero between them), so a step that frees or binds a weight
// refactors only that weight's component (the same bits: each component's factor is what the
// whole one holds there).
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class BoxQp
    {
        readonly int T;
        readonly double[] work;      // the factor: U = L', one packed block per component
        readonly double[] rhs;
        readonly double[] x;
        readonly int[] free;
        readonly int[] posOf;        // target -> its position in free (free targets only)
        readonly int[] upper;        // weights at 1
        readonly int[] state;        // 0 at lower, 1 free, 2 at upper, 3 pinned, 4 to be freed

        readonly int compCount;      // connected components of H's pattern
        readonly int[] compStart;    // component c: its targets compMembers[compStart[c] ..], ascending
        readonly int[] compMembers;
        readonly int[] compBase;     // component c's block in work
        readonly int[] freeStart;    // this step: component c's free targets grouped[freeStart[c] ..]
        readonly int[] grouped;
        readonly int[] cacheCount;   // component c: size of the free set its block holds the factor of (-1: none)
        readonly int[] cacheSet;     // ... and that set, at compStart[c]
        readonly double[] xl;        // one component's unknowns
        readonly double[] xsol;      // per target: its component's last solution ...
        readonly bool[] solved;      // ... valid for the component's current factor and right-hand side
        readonly int[] lastUpper;    // the weights at 1 of the last solve
        int lastNu;
        readonly int[] rowStart;     // pattern of H: row t's possibly nonzero columns, ascending
        readonly int[] rowCols;

        /// <summary>A solver for <paramref name="targets"/> weights. <paramref name="pattern"/>
        /// lists for each target the targets it may share a nonzero entry of H with (itself
        /// included); null means dense. Sums over the pattern skip only exact zeros, so the
        /// results are the same as dense ones.</summary>
        public BoxQp(int targets, List<int>[] pattern = null)
        {
            T = targets;
            work = new double[Math.Max(1, T * T)];
            rhs = new double[T];
            x = new double[T];
            free = new int[T];
            posOf = new int[T];
            upper = new int[T];
            state = new int[T];
            xl = new double[T];
            xsol = new double[T];
            lastUpper = new int[T];
            rowStart = new int[T + 1];
            var cols = new List<int>();
            for (int t = 0; t < T; t++)
            {
                rowStart[t] = cols.Count;
                if (pattern == null) { for (int u = 0; u < T; u++) cols.Add(u); continue; }
                var row = new List<int>(pattern[t]);
                if (!row.Contains(t)) row.Add(t);
                row.Sort();
                for (int k = 0; k < row.Count; k++) if (k == 0 || row[k] != row[k - 1]) cols.Add(row[k]);
            }
            rowStart[T] = cols.Count;
            rowCols = cols.ToArray();
            var targetComp = new int[T];
            for (int t = 0; t < T; t++) targetComp[t] = -1;
            var stack = new Stack<int>();
            int n = 0;
            for (int t = 0; t < T; t++)
            {
                if (targetComp[t] >= 0) continue;
                targetComp[t] = n;
                stack.Push(t);
                while (stack.Count > 0)
                {
                    int v = stack.Pop();
                    for (int p = rowStart[v]; p < rowStart[v + 1]; p++)
                        if (targetComp[rowCols[p]] < 0) { targetComp[rowCols[p]] = n; stack.Push(rowCols[p]); }
                }
                n++;
            }
            compCount = n;
            compStart = new int[n + 1];
            compMembers = new int[T];
            compBase = new int[n + 1];
            freeStart = new int[n + 1];
            grouped = new int[T];
            cacheCount = new int[n];
            cacheSet = new int[T];
            solved = new bool[n];
            for (int c = 0, m = 0; c < n; c++)
            {
                compStart[c] = m;
                for (int t = 0; t < T; t++) if (targetComp[t] == c) compMembers[m++] = t;
                compStart[c + 1] = m;
                int size = m - compStart[c];
                compBase[c + 1] = compBase[c] + size * size;
            }
            InvalidateFactor();
        }

        /// <summary>The pattern of H = sum over groups of (members x members): targets sharing a
        /// landmark row. <paramref name="groupStart"/>/<paramref name="groupTargets"/> list each
        /// group's targets.</summary>
        public static List<int>[] PatternOfGroups(int targets, int[] groupStart, int[] groupTargets)
        {
            var sets = new HashSet<int>[targets];
            for (int t = 0; t < targets; t++) sets[t] = new HashSet<int> { t };
            for (int gi = 0; gi + 1 < groupStart.Length; gi++)
                for (int p = groupStart[gi]; p < groupStart[gi + 1]; p++)
                    for (int q = groupStart[gi]; q < groupStart[gi + 1]; q++) sets[groupTargets[p]].Add(groupTargets[q]);
            var outp = new List<int>[targets];
            for (int t = 0; t < targets; t++) outp[t] = new List<int>(sets[t]);
            return outp;
        }

        /// <summary>Forget the factor: call whenever H changes.</summary>
        public void InvalidateFactor()
        {
            for (int c = 0; c < compCount; c++) cacheCount[c] = -1;
        }

        /// <summary>Solves in place; returns the number of steps taken.</summary>
        public int Solve(double[] H, double[] g, double[] w, bool[] allowed)
        {
            double gmax = 0.0;
            for (int t = 0; t < T; t++) if (Math.Abs(g[t]) > gmax) gmax = Math.Abs(g[t]);
            double tol = 1e-12 * (1.0 + gmax);
            ClipStart(w, allowed);
            for (int c = 0; c < compCount; c++) solved[c] = false;   // g is new
            lastNu = -1;
            int steps = 0;
            bool single = false;
            int fast = 8;
            int maxSteps = 4 * T + 20;
            while (steps < maxSteps)
            {
                steps++;
                int nf = SolveFree(H, g);
                if (fast > 0)
                {
                    fast--;                                   // primal-dual step: bind and free at once
                    if (!PrimalDualStep(H, g, w, nf, tol)) break;
                    continue;
                }
                if (!Inside(nf))
                {
                    if (StepToBound(w, nf)) single = true;    // no progress: free one at a time next
                    continue;
                }
                if (!FreePulled(H, g, w, nf, tol, single)) break;
                single = false;
            }
            return steps;
        }

        /// <summary>Step 1: clip the start to [0, 1]; mark each weight at lower, free, at upper
        /// or pinned.</summary>
        void ClipStart(double[] w, bool[] allowed)
        {
            for (int t = 0; t < T; t++)
            {
                if (!allowed[t]) { w[t] = 0.0; state[t] = 3; }
                else if (w[t] <= 0.0) { w[t] = 0.0; state[t] = 0; }
                else if (w[t] >= 1.0) { w[t] = 1.0; state[t] = 2; }
                else state[t] = 1;
            }
        }

        /// <summary>Step 2: the free weights with the bound ones fixed, into x; returns how many
        /// are free. A component's factor is rebuilt only when its free set is not the one its
        /// block holds.</summary>
        int SolveFree(double[] H, double[] g)
        {
            int[] state = this.state, free = this.free, upper = this.upper, posOf = this.posOf;
            int nf = 0, nu = 0;
            for (int t = 0; t < T; t++)
            {
                int st = state[t];
                if (st == 1) { posOf[t] = nf; free[nf++] = t; }
                else if (st == 2) upper[nu++] = t;
            }
            bool sameUpper = nu == lastNu;
            for (int b = 0; sameUpper && b < nu; b++) sameUpper = upper[b] == lastUpper[b];
            if (!sameUpper)                              // every right-hand side changes
            {
                for (int c = 0; c < compCount; c++) solved[c] = false;
                for (int b = 0; b < nu; b++) lastUpper[b] = upper[b];
                lastNu = nu;
            }
            double[] rhs = this.rhs;
            for (int a = 0; a < nf; a++)
            {
                int i = free[a], hi = i * T;
                double s = g[i];
                for (int b = 0; b < nu; b++) s -= H[hi + upper[b]];
                rhs[a] = s;
            }
            int[] grouped = this.grouped, compMembers = this.compMembers, cacheSet = this.cacheSet;
            int q = 0;
            for (int c = 0; c < compCount; c++)
            {
                int q0 = q, m0 = compStart[c], m1 = compStart[c + 1];
                freeStart[c] = q0;
                for (int p = m0; p < m1; p++)
                {
                    int t = compMembers[p];
                    if (state[t] == 1) grouped[q++] = t;
                }
                int m = q - q0;
                bool same = cacheCount[c] == m;
                for (int k = 0; same && k < m; k++) same = cacheSet[m0 + k] == grouped[q0 + k];
                if (same) continue;
                int o = compBase[c];
                for (int qa = 0; qa < m; qa++)
                {
                    int hi = grouped[q0 + qa] * T;
                    for (int qb = 0; qb <= qa; qb++) work[o + qb * m + qa] = H[hi + grouped[q0 + qb]];
                }
                Factor(o, m);
                solved[c] = false;
                cacheCount[c] = m;
                for (int k = 0; k < m; k++) cacheSet[m0 + k] = grouped[q0 + k];
            }
            freeStart[compCount] = q;
            Substitute();
            return nf;
        }

        /// <summary>Whether every free weight of the solution x lies in [0, 1].</summary>
        bool Inside(int nf)
        {
            for (int a = 0; a < nf; a++) if (x[a] < 0.0 || x[a] > 1.0) return false;
            return true;
        }

        /// <summary>Step 3, first solves: take x, free every bound weight whose pull (with x,
        /// before binding) exceeds tol and bind every free weight that left [0, 1]. Returns
        /// whether anything changed.</summary>
        bool PrimalDualStep(double[] H, double[] g, double[] w, int nf, double tol)
        {
            int[] state = this.state, free = this.free, rowStart = this.rowStart, rowCols = this.rowCols;
            double[] x = this.x;
            for (int a = 0; a < nf; a++) w[free[a]] = x[a];
            bool changed = false;
            for (int t = 0; t < T; t++)
            {
                int st = state[t];
                if (st != 0 && st != 2) continue;
                double r = -g[t];                              // Pull(H, g, w, t), inlined
                int ht = t * T, end = rowStart[t + 1];
                for (int p = rowStart[t]; p < end; p++)
                {
                    int u = rowCols[p];
                    double wu = w[u];
                    if (wu != 0.0) r += H[ht + u] * wu;
                }
                double v = st == 0 ? -r : r;
                if (v > tol) { state[t] = 4; changed = true; }
            }
            for (int a = 0; a < nf; a++)
            {
                int i = free[a];
                if (x[a] < 0.0) { w[i] = 0.0; state[i] = 0; changed = true; }
                else if (x[a] > 1.0) { w[i] = 1.0; state[i] = 2; changed = true; }
            }
            for (int t = 0; t < T; t++) if (state[t] == 4) state[t] = 1;
            return changed;
        }

        /// <summary>Step 3, later solves, when x leaves [0, 1]: step from w toward x until the
        /// first free weight reaches a bound (lowest index wins ties) and bind it. Returns
        /// whether the step had length 0 (no progress).</summary>
        bool StepToBound(double[] w, int nf)
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
            return alpha <= 0.0;
        }

        /// <summary>Step 4: accept x and free every bound weight pulled inward by more than tol
        /// (with <paramref name="single"/>, only the strongest). Returns false when none is:
        /// the optimum.</summary>
        bool FreePulled(double[] H, double[] g, double[] w, int nf, double tol, bool single)
        {
            for (int a = 0; a < nf; a++) w[free[a]] = x[a];
            int best = -1;
            double pull = tol;
            for (int t = 0; t < T; t++)
            {
                if (state[t] != 0 && state[t] != 2) continue;
                double r = Pull(H, g, w, t);
                double v = state[t] == 0 ? -r : r;
                if (v > tol && !single) state[t] = 4;         // freed below, after the scan
                if (v > pull) { pull = v; best = t; }
            }
            if (best < 0) return false;
            if (single) state[best] = 1;
            else for (int t = 0; t < T; t++) if (state[t] == 4) state[t] = 1;
            return true;
        }

        /// <summary>r_t = (Hw - g)_t, summed over the nonzero weights in index order (Python's order).</summary>
        double Pull(double[] H, double[] g, double[] w, int t)
        {
            int[] rowCols = this.rowCols;
            double r = -g[t];
            int ht = t * T, end = rowStart[t + 1];
            for (int p = rowStart[t]; p < end; p++)
            {
                int u = rowCols[p];
                double wu = w[u];
                if (wu != 0.0) r += H[ht + u] * wu;
            }
            return r;
        }

        /// <summary>Cholesky factor H_free = U'U, U = L' (row k of U is column k of Python's L),
        /// of one component's free set: its m rows packed from work[o]. Entries between
        /// components are zero and stay zero. Right-looking: each entry receives the same
        /// subtractions in the same order as in Python's _chol_factor, so the factor is the
        /// same to the bit; updates by an exact zero change nothing and are skipped.</summary>
        void Factor(int o, int m)
        {
            double[] work = this.work;
            for (int k = 0; k < m; k++)
            {
                int rk = o + k * m;
                double s = work[rk + k];
                if (s <= 0.0) s = 1e-300;
                double d = Math.Sqrt(s);
                work[rk + k] = d;
                for (int j = k + 1; j < m; j++) work[rk + j] = work[rk + j] / d;
                for (int i = k + 1; i < m; i++)
                {
                    double u = work[rk + i];
                    if (u == 0.0) continue;
                    int ri = o + i * m, j = i;
                    for (; j + 1 < m; j += 2)
                    {
                        work[ri + j] -= u * work[rk + j];
                        work[ri + j + 1] -= u * work[rk + j + 1];
                    }
                    if (j < m) work[ri + j] -= u * work[rk + j];
                }
            }
        }

        /// <summary>Forward and back substitution with the factor, component by component
        /// (Python's _chol_subst: the same nonzero operations in the same order), from rhs
        /// into x (both by position in free). A component whose factor and right-hand side
        /// are those of its last solution keeps it.</summary>
        void Substitute()
        {
            double[] work = this.work, xl = this.xl, rhs = this.rhs, x = this.x, xsol = this.xsol;
            int[] grouped = this.grouped, posOf = this.posOf;
            for (int c = 0; c < compCount; c++)
            {
                int c0 = freeStart[c], m = freeStart[c + 1] - c0, o = compBase[c];
                if (m == 0) continue;
                if (solved[c])
                {
                    for (int q = c0; q < c0 + m; q++) x[posOf[grouped[q]]] = xsol[grouped[q]];
                    continue;
                }
                solved[c] = true;
                for (int q = 0; q < m; q++) xl[q] = rhs[posOf[grouped[c0 + q]]];
                for (int k = 0; k < m; k++)
                {
                    int rk = o + k * m;
                    double xk = xl[k] / work[rk + k];
                    xl[k] = xk;
                    if (xk == 0.0) continue;
                    for (int i = k + 1; i < m; i++)
                    {
                        double u = work[rk + i];
                        if (u != 0.0) xl[i] -= u * xk;
                    }
                }
                for (int i = m - 1; i >= 0; i--)
                {
                    int ri = o + i * m;
                    double s = xl[i];
                    for (int k = i + 1; k < m; k++) s -= work[ri + k] * xl[k];
                    xl[i] = s / work[ri + i];
                }
                for (int q = 0; q < m; q++)
                {
                    int t = grouped[c0 + q];
                    x[posOf[t]] = xl[q];
                    xsol[t] = xl[q];
                }
            }
        }
    }
}
