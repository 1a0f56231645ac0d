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
        readonly PairTerm[] pairs;   // (i, j), i <= j, where some G_ab[i, j] may be nonzero, and every (i, i)
        readonly int[] nzStart;      // per landmark: its targets with a nonzero delta, ascending,
        readonly Move[] moves;       // moves[nzStart[l] ..], with their deltas
        readonly bool[] allowed;
        readonly double[] H;
        readonly double[] g;
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
            var B3 = new double[L * 3 * T];          // [l][a][t] (the rig's (68, 3, T))
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
            int[] nzTarget = nz.ToArray();
            moves = new Move[nzTarget.Length];
            for (int l = 0; l < L; l++)
                for (int p = nzStart[l]; p < nzStart[l + 1]; p++)
                    moves[p] = new Move(nzTarget[p], B3[(l * 3) * T + nzTarget[p]], B3[(l * 3 + 1) * T + nzTarget[p]],
                                        B3[(l * 3 + 2) * T + nzTarget[p]]);
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
            // A = P'P is symmetric, so G_ab and G_ba share a coefficient: six sums per pair
            // (G_00, G_01 + G_10, G_02 + G_20, G_11, G_12 + G_21, G_22) instead of nine
            var list = new List<PairTerm>();
            int TT = T * T;
            for (int i = 0; i < T; i++)
                for (int j = i; j < T; j++)
                {
                    if (!touched[i * T + j]) continue;
                    int o = i * T + j;
                    list.Add(new PairTerm
                    {
                        Index = o, Mirror = j * T + i,
                        G0 = G[o], G1 = G[1 * TT + o] + G[3 * TT + o], G2 = G[2 * TT + o] + G[6 * TT + o],
                        G3 = G[4 * TT + o], G4 = G[5 * TT + o] + G[7 * TT + o], G5 = G[8 * TT + o],
                    });
                }
            pairs = list.ToArray();
            H = new double[T * T];
            g = new double[T];
            qp = new BoxQp(T, BoxQp.PatternOfGroups(T, nzStart, nzTarget));
        }

        public bool IsPinned(int target) { return !allowed[target]; }

        /// <summary>Pairs of targets that share a landmark (the nonzero pattern of H).</summary>
        public int PairCount { get { return pairs.Length; } }

        /// <summary>One frame: <paramref name="r"/> the offsets (68*2), <paramref name="P"/> the
        /// frame's camera (2x3), <paramref name="conf"/> per landmark (null = all 1);
        /// <paramref name="w"/> previous weights in, new weights out.</summary>
        public void SolveFrame(double[] r, double[] P, double[] conf, double[] w)
        {
            int T = Targets;
            double[] H = this.H, g = this.g;
            PairTerm[] pairs = this.pairs;
            Move[] moves = this.moves;
            int[] nzStart = this.nzStart;
            double P0 = P[0], P1 = P[1], P2 = P[2], P3 = P[3], P4 = P[4], P5 = P[5];
            double A0 = P0 * P0 + P3 * P3, A1 = P0 * P1 + P3 * P4, A2 = P0 * P2 + P3 * P5;
            double A3 = P1 * P0 + P4 * P3, A4 = P1 * P1 + P4 * P4, A5 = P1 * P2 + P4 * P5;
            double A6 = P2 * P0 + P5 * P3, A7 = P2 * P1 + P5 * P4, A8 = P2 * P2 + P5 * P5;
            for (int p = 0; p < pairs.Length; p++)
            {
                ref PairTerm e = ref pairs[p];
                double v = A0 * e.G0 + A1 * e.G1 + A2 * e.G2 + A4 * e.G3 + A5 * e.G4 + A8 * e.G5;
                H[e.Index] = v;
                H[e.Mirror] = v;
            }
            bool downdated = false;
            if (conf != null)
                for (int l = 0; l < L; l++)
                {
                    double cl = conf[l];
                    if (!(cl < 1.0)) continue;
                    downdated = true;
                    double k = 1.0 - cl;
                    int end = nzStart[l + 1];
                    for (int p = nzStart[l]; p < end; p++)
                    {
                        ref Move mi = ref moves[p];
                        int hi = mi.Target * T;
                        double ai0 = A0 * mi.B0 + A1 * mi.B1 + A2 * mi.B2;
                        double ai1 = A3 * mi.B0 + A4 * mi.B1 + A5 * mi.B2;
                        double ai2 = A6 * mi.B0 + A7 * mi.B1 + A8 * mi.B2;
                        for (int q = p; q < end; q++)
                        {
                            ref Move mj = ref moves[q];
                            H[hi + mj.Target] -= k * (ai0 * mj.B0 + ai1 * mj.B1 + ai2 * mj.B2);
                        }
                    }
                }
            if (downdated)
                for (int p = 0; p < pairs.Length; p++) H[pairs[p].Mirror] = H[pairs[p].Index];
            double diag = Lambda + Mu, mu = Mu;
            for (int i = 0; i < T; i++)
            {
                H[i * T + i] += diag;
                g[i] = mu * w[i];                        // w: the previous weights until the QP
            }
            for (int l = 0; l < L; l++)
            {
                double cl = conf == null ? 1.0 : conf[l];
                if (!(cl > 0.0)) continue;
                double x = r[l * 2], y = r[l * 2 + 1];
                double q0 = cl * (P0 * x + P3 * y);
                double q1 = cl * (P1 * x + P4 * y);
                double q2 = cl * (P2 * x + P5 * y);
                int end = nzStart[l + 1];
                for (int p = nzStart[l]; p < end; p++)
                {
                    ref Move m = ref moves[p];
                    g[m.Target] += m.B0 * q0 + m.B1 * q1 + m.B2 * q2;
                }
            }
            qp.InvalidateFactor();                       // H differs every frame
            LastSteps = qp.Solve(H, g, w, allowed);
        }
    }

    /// <summary>One pair of targets (i, j) of H: its entries (i*T+j, j*T+i) and the six
    /// combinations of G_ab[i, j] (ProjectedSolver).</summary>
    struct PairTerm
    {
        public double G0, G1, G2, G3, G4, G5;
        public int Index, Mirror;
    }

    /// <summary>A target that moves a landmark, with its delta there (x, y, z).</summary>
    struct Move
    {
        public readonly double B0, B1, B2;
        public readonly int Target;

        public Move(int target, double b0, double b1, double b2) { Target = target; B0 = b0; B1 = b1; B2 = b2; }
    }
}
