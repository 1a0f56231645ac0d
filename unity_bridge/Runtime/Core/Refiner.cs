// After the linear solve: follow in-betweens and combinations (microexpr/solve/refine.py),
// step for step. From the linear weights w, up to Steps Gauss-Newton steps on
//   phi(w) = sum_i c_i (m_i(w) - d_i)^2 + lam |w|^2 + mu |w - w_prev|^2,   0 <= w <= 1
// with m the piecewise-linear landmark model (SolveModel): linearise m at w (J: each target's
// slope on its segment; a combination adds its slope times the other drivers' product to each
// driver), solve H = J'CJ + (lam + mu) I, g = J'C(d - m + Jw) + mu w_prev with the box QP
// warm-started at w; a step that moves no weight by StepTol ends the frame, else try it at
// lengths 1, 1/2, ... 1/16 and keep the first that lowers phi; none: the steps end. A full
// step over which the model was exact (every in-between weight on its segment, every
// combination with a driver at exactly 0 before and after) ends the steps too. Then up to
// Jumps rounds of segment jumps (a weight moved to the best point of another segment of its
// curve, when that lowers phi), each followed by more steps: a kink can hold the steps in a
// false minimum. Buffers are made in the constructor; a frame allocates nothing.
using System;

namespace MicroExpr.Runtime
{
    public sealed class Refiner
    {
        public const int Steps = 4;
        public const int Halvings = 4;
        /// <summary>A step that moves no weight by this much ends the frame, untaken.</summary>
        public const double StepTol = 1e-6;
        /// <summary>Rounds of segment jumps, each followed by Gauss-Newton steps.</summary>
        public const int Jumps = 2;

        readonly SolveModel model;
        readonly int S, M, C, K;
        readonly double lam, mu;
        readonly bool[] allowed;
        readonly double[] m, J, prods, H, g, v, u, delta;
        readonly int[] idx;
        readonly BoxQp qp;

        /// <summary>Steps kept on the last frame.</summary>
        public int LastKept { get; private set; }

        /// <summary>For <paramref name="rows"/> offsets (68 * k) per frame; lambda and mu as the
        /// linear solver's; <paramref name="allowed"/> false for pinned targets (solve set order).</summary>
        public Refiner(SolveModel solveModel, int rows, int k, double lambda, double temporalMu, bool[] allowed)
        {
            model = solveModel;
            S = model.Size;
            M = rows;
            C = model.Columns;
            K = k;
            lam = lambda;
            mu = temporalMu;
            this.allowed = (bool[])allowed.Clone();
            m = new double[M];
            delta = new double[M];
            J = new double[M * S];
            prods = new double[Math.Max(1, model.Drivers.Length)];
            H = new double[S * S];
            g = new double[S];
            v = new double[S];
            u = new double[S];
            idx = new int[S];
            qp = new BoxQp(S);
        }

        /// <summary>Refines <paramref name="w"/> (the frame's linear weights, solve-set order) in
        /// place. <paramref name="X"/>: the frame's columns [row][column] in key-weight space;
        /// <paramref name="conf"/>: per landmark (null: all 1); <paramref name="wprev"/>: the
        /// previous frame's refined weights. Returns the steps kept.</summary>
        public int Frame(double[] X, double[] d, double[] conf, double[] w, double[] wprev)
        {
            int kept = GaussNewton(X, d, conf, w, wprev);
            for (int round = 0; round < Jumps; round++)
            {
                if (!Jump(X, d, conf, w, wprev)) break;
                kept += 1 + GaussNewton(X, d, conf, w, wprev);
            }
            LastKept = kept;
            return kept;
        }

        int GaussNewton(double[] X, double[] d, double[] conf, double[] w, double[] wprev)
        {
            double best = Objective(X, d, conf, w, wprev);
            int kept = 0;
            for (int step = 0; step < Steps; step++)
            {
                Step(X, d, conf, w, wprev);
                double size = 0.0;
                for (int t = 0; t < S; t++) if (Math.Abs(v[t] - w[t]) > size) size = Math.Abs(v[t] - w[t]);
                if (size < StepTol) break;
                double alpha = 1.0, val = 0.0;
                bool found = false;
                for (int h = 0; h <= Halvings; h++)
                {
                    for (int t = 0; t < S; t++) u[t] = w[t] + alpha * (v[t] - w[t]);
                    val = Objective(X, d, conf, u, wprev);
                    if (val < best) { found = true; break; }
                    alpha *= 0.5;
                }
                if (!found) break;
                bool settled = alpha == 1.0 && SameSegments(w, u);
                for (int t = 0; t < S; t++) w[t] = u[t];
                best = val;
                kept++;
                if (settled) break;
            }
            return kept;
        }

        /// <summary>Segment jumps: for each target with in-betweens, the best weight on each
        /// other segment with the other weights held (the 1-D least squares of its own curve),
        /// kept when the objective (with the combinations it drives) goes down. Whether any
        /// weight moved.</summary>
        bool Jump(double[] X, double[] d, double[] conf, double[] w, double[] wprev)
        {
            Model(X, w, false);
            bool moved = false;
            int[] ks = model.KnotStart;
            double[] kn = model.Knots;
            for (int k = 0; k < model.CurveTarget.Length; k++)
            {
                int t = model.CurveTarget[k], a = ks[k], ns = ks[k + 1] - a - 1;
                if (t < 0 || ns < 2 || !allowed[t]) continue;
                double x = w[t];
                int cur = 0;
                for (int q = 1; q < ns; q++) if (kn[a + q] <= x) cur = q;
                double best = 0.0;
                for (int i = 0; i < M; i++)
                {
                    double r = m[i] - d[i];
                    best += Conf(conf, i) * r * r;
                }
                best += lam * x * x + mu * (x - wprev[t]) * (x - wprev[t]);
                double bestX = x;
                int bestS = cur;
                for (int sg = 0; sg < ns; sg++)
                {
                    if (sg == cur) continue;
                    double y = SegmentMinimum(X, d, conf, x, cur, sg, a, wprev[t]);
                    if (Math.Abs(y - x) < StepTol) continue;
                    Change(X, w, t, x, y, k, cur, sg);
                    double val = 0.0;
                    for (int i = 0; i < M; i++)
                    {
                        double r = m[i] + delta[i] - d[i];
                        val += Conf(conf, i) * r * r;
                    }
                    val += lam * y * y + mu * (y - wprev[t]) * (y - wprev[t]);
                    if (val < best) { best = val; bestX = y; bestS = sg; }
                }
                if (bestS != cur)
                {
                    Change(X, w, t, x, bestX, k, cur, bestS);
                    for (int i = 0; i < M; i++) m[i] += delta[i];
                    w[t] = bestX;
                    moved = true;
                }
            }
            return moved;
        }

        /// <summary>delta = the model's change when target t (curve k) moves from x on segment
        /// cur to y on segment s, with the combinations it drives.</summary>
        void Change(double[] X, double[] w, int t, double x, double y, int k, int cur, int s)
        {
            int[] ks = model.KnotStart, ds = model.DriverStart, dr = model.Drivers;
            double[] kn = model.Knots;
            int a = ks[k];
            for (int i = 0; i < M; i++) delta[i] = OnSegment(X, i, s, a, y) - OnSegment(X, i, cur, a, x);
            for (int k2 = 0; k2 < model.CurveTarget.Length; k2++)
            {
                if (model.CurveTarget[k2] >= 0) continue;
                bool has = false;
                double p = 1.0, q = 1.0;
                for (int e = ds[k2]; e < ds[k2 + 1]; e++)
                {
                    p *= w[dr[e]];
                    if (dr[e] == t) { has = true; q *= y; }
                    else q *= w[dr[e]];
                }
                if (!has) continue;
                int a2 = ks[k2], sp = 0, sq = 0;
                for (int j = 1; j < ks[k2 + 1] - a2 - 1; j++)
                {
                    if (kn[a2 + j] <= p) sp = j;
                    if (kn[a2 + j] <= q) sq = j;
                }
                for (int i = 0; i < M; i++) delta[i] += OnSegment(X, i, sq, a2, q) - OnSegment(X, i, sp, a2, p);
            }
        }

        /// <summary>Row i of a curve's offset at weight y, read on segment s (knots from a).</summary>
        double OnSegment(double[] X, int i, int s, int a, double y)
        {
            int clo = model.KnotColumn[a + s];
            double lo = clo >= 0 ? X[i * C + clo] : 0.0;
            double slope = (X[i * C + model.KnotColumn[a + s + 1]] - lo) / (model.Knots[a + s + 1] - model.Knots[a + s]);
            return lo + (y - model.Knots[a + s]) * slope;
        }

        double SegmentMinimum(double[] X, double[] d, double[] conf, double x, int cur, int s, int a, double wp)
        {
            double num = 0.0, den = 0.0;
            for (int i = 0; i < M; i++)
            {
                double sl = OnSegment(X, i, s, a, 1.0) - OnSegment(X, i, s, a, 0.0);
                double r0 = m[i] - OnSegment(X, i, cur, a, x) + OnSegment(X, i, s, a, 0.0) - d[i];
                double ci = Conf(conf, i);
                num += ci * r0 * sl;
                den += ci * sl * sl;
            }
            double y = (mu * wp - num) / (den + lam + mu);
            double lo = Math.Max(model.Knots[a + s], 0.0), hi = Math.Min(model.Knots[a + s + 1], 1.0);
            return y < lo ? lo : (y > hi ? hi : y);
        }

        /// <summary>The frame's columns of the 3-D model seen by camera P (2x3): [l*2+i][column].</summary>
        public static void ProjectColumns(SolveModel model, double[] P, double[] X)
        {
            int L = Landmarks.Count, C = model.Columns;
            double[] B = model.Cols;
            for (int l = 0; l < L; l++)
                for (int i = 0; i < 2; i++)
                    for (int c = 0; c < C; c++)
                    {
                        int o = (c * L + l) * 3;
                        X[(l * 2 + i) * C + c] = P[i * 3] * B[o] + P[i * 3 + 1] * B[o + 1] + P[i * 3 + 2] * B[o + 2];
                    }
        }

        double Conf(double[] conf, int row) { return conf == null ? 1.0 : conf[row / K]; }

        /// <summary>m = the landmark model at w; with <paramref name="jac"/> also J.</summary>
        void Model(double[] X, double[] w, bool jac)
        {
            bool[] lin = model.Linear;
            for (int i = 0; i < M; i++)
            {
                double s = 0.0;
                int row = i * C;
                for (int t = 0; t < S; t++)
                {
                    if (jac) J[i * S + t] = X[row + t];
                    if (lin[t]) s += X[row + t] * w[t];
                }
                m[i] = s;
            }
            int[] ds = model.DriverStart, dr = model.Drivers, ks = model.KnotStart, kc = model.KnotColumn;
            double[] kn = model.Knots;
            for (int k = 0; k < model.CurveTarget.Length; k++)
            {
                int t = model.CurveTarget[k];
                double x;
                if (t >= 0) x = w[t];
                else
                {
                    x = 1.0;
                    for (int e = ds[k]; e < ds[k + 1]; e++) x *= w[dr[e]];
                    for (int j = ds[k]; j < ds[k + 1]; j++)
                    {
                        double p = 1.0;
                        for (int e = ds[k]; e < ds[k + 1]; e++) if (e != j) p *= w[dr[e]];
                        prods[j - ds[k]] = p;
                    }
                }
                int a = ks[k], ns = ks[k + 1] - a - 1, seg = 0;
                for (int q = 1; q < ns; q++) if (kn[a + q] <= x) seg = q;
                double k0 = kn[a + seg], k1 = kn[a + seg + 1];
                int clo = kc[a + seg], chi = kc[a + seg + 1];
                for (int i = 0; i < M; i++)
                {
                    double lo = clo >= 0 ? X[i * C + clo] : 0.0;
                    double slope = (X[i * C + chi] - lo) / (k1 - k0);
                    m[i] += lo + (x - k0) * slope;
                    if (!jac) continue;
                    if (t >= 0) J[i * S + t] = slope;
                    else for (int j = ds[k]; j < ds[k + 1]; j++) J[i * S + dr[j]] += slope * prods[j - ds[k]];
                }
            }
        }

        double Objective(double[] X, double[] d, double[] conf, double[] w, double[] wprev)
        {
            Model(X, w, false);
            double val = 0.0;
            for (int i = 0; i < M; i++)
            {
                double r = m[i] - d[i];
                val += Conf(conf, i) * r * r;
            }
            for (int t = 0; t < S; t++) val += lam * w[t] * w[t];
            if (mu != 0.0)
                for (int t = 0; t < S; t++) val += mu * (w[t] - wprev[t]) * (w[t] - wprev[t]);
            return val;
        }

        /// <summary>The step's box QP, solved into v (warm-started at w).</summary>
        void Step(double[] X, double[] d, double[] conf, double[] w, double[] wprev)
        {
            Model(X, w, true);
            for (int a = 0; a < S; a++)
            {
                g[a] = 0.0;
                for (int b = 0; b < S; b++) H[a * S + b] = 0.0;
            }
            for (int i = 0; i < M; i++)
            {
                double ci = Conf(conf, i);
                if (ci == 0.0) continue;
                int nz = 0, row = i * S;
                double r = d[i] - m[i];
                for (int t = 0; t < S; t++)
                    if (J[row + t] != 0.0)
                    {
                        idx[nz++] = t;
                        r += J[row + t] * w[t];
                    }
                for (int p = 0; p < nz; p++)
                {
                    int a = idx[p];
                    double va = ci * J[row + a];
                    g[a] += va * r;
                    for (int q = p; q < nz; q++) H[a * S + idx[q]] += va * J[row + idx[q]];
                }
            }
            for (int a = 0; a < S; a++)
            {
                for (int b = a + 1; b < S; b++) H[b * S + a] = H[a * S + b];
                H[a * S + a] += lam + mu;
                g[a] += mu * wprev[a];
                v[a] = w[a];
            }
            qp.InvalidateFactor();
            qp.Solve(H, g, v, allowed);
        }

        bool SameSegments(double[] w, double[] next)
        {
            int[] ks = model.KnotStart;
            double[] kn = model.Knots;
            int[] ds = model.DriverStart, dr = model.Drivers;
            for (int k = 0; k < model.CurveTarget.Length; k++)
            {
                int t = model.CurveTarget[k];
                if (t < 0)
                {
                    bool zero = false;
                    for (int e = ds[k]; e < ds[k + 1]; e++) if (w[dr[e]] == 0.0 && next[dr[e]] == 0.0) zero = true;
                    if (!zero) return false;
                    continue;
                }
                int a = ks[k];
                for (int q = 1; q < ks[k + 1] - a - 1; q++)
                    if ((kn[a + q] <= w[t]) != (kn[a + q] <= next[t])) return false;
            }
            return true;
        }
    }
}
