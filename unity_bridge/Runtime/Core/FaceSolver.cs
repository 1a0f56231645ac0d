// The online pipeline: key weights from a frame of landmarks, then the bounded solver.
// Frames without enough data hold the last weights (Python's solve: invalid frames repeat
// the last weights). Set-up allocates; Solve allocates nothing.
using System;

namespace MicroExpr.Runtime
{
    public sealed class FaceSolver
    {
        public const double DefaultReg = 1e-3;
        public const double DefaultTemporal = 0.0;

        public readonly RigData Rig;
        public readonly KeyWeights Keys;
        public readonly double Reg;
        public readonly double Temporal;
        WeightSolver solver;
        ProjectedSolver projected;
        readonly double[] deltas;
        readonly double[] conf;
        readonly double[] weights;

        public FaceSolver(RigData rig, int dims, Compensation mode, double reg = DefaultReg,
                          double temporal = DefaultTemporal, bool mirrored = false)
        {
            if (!(reg >= 0) || !(temporal >= 0))
                throw new MicroExprException("reg and temporal must be 0 or more", null, "reg", "use e.g. reg 1e-3, temporal 0");
            Rig = rig;
            Reg = reg;
            Temporal = temporal;
            Keys = new KeyWeights(rig, dims, mode, mirrored);
            deltas = new double[Landmarks.Count * dims];
            conf = new double[Landmarks.Count];
            weights = new double[rig.TargetCount];
        }

        public int Dims { get { return Keys.K; } }
        public int TargetCount { get { return Rig.TargetCount; } }
        public bool Ready { get { return Keys.Ready; } }
        /// <summary>The current weights (0-1, rig target order). Do not modify.</summary>
        public double[] Weights { get { return weights; } }
        /// <summary>Whether the last frame had enough data (false: weights were held).</summary>
        public bool LastValid { get; private set; }
        /// <summary>The solver of raw, reference and 3-D rigid mode (null in 2-D rigid mode).</summary>
        public WeightSolver Solver { get { return solver; } }
        /// <summary>The solver of 2-D rigid mode (null otherwise).</summary>
        public ProjectedSolver Projected { get { return projected; } }
        public int LastSteps { get { return projected != null ? projected.LastSteps : (solver != null ? solver.LastSteps : 0); } }
        /// <summary>The last frame's offsets and confidences, as the solver saw them.</summary>
        public double[] LastDeltas { get { return deltas; } }
        public double[] LastConfidence { get { return conf; } }

        /// <summary>Sets up from the neutral frame (68 * dims points, bridge space); weights reset to 0.</summary>
        public void SetNeutral(double[] points, double[] confidence)
        {
            Keys.SetNeutral(points, confidence);
            bool[] pinned = PinnedTargets(Rig, Dims == 2 ? Keys.View0 : null);
            if (Keys.Projected)
            {
                projected = new ProjectedSolver(Rig.Deltas, Rig.TargetCount, Keys.View0, Reg, Temporal, pinned);
                solver = null;
            }
            else
            {
                solver = new WeightSolver(Keys.Basis, Landmarks.Count * Dims, Rig.TargetCount, Dims, Reg, Temporal, pinned);
                projected = null;
            }
            Array.Clear(weights, 0, weights.Length);
        }

        /// <summary>A target whose landmark motion the neutral camera sees at less than this
        /// share of its 3-D size (motion in depth: a lip roll, a funnel) is pinned for 2-D
        /// tracks (Python's solve.tracks_to_clip.MIN_VISIBILITY).</summary>
        public const double MinVisibility = 0.3;

        /// <summary>Per target: |landmark motion seen by the neutral camera| / (camera scale *
        /// |3-D motion|); 1 for 3-D tracks (<paramref name="view0"/> null), 0 for a target that
        /// moves no landmark (Python's solve.tracks_to_clip.visibility).</summary>
        public static double[] Visibility(RigData rig, double[] view0)
        {
            int T = rig.TargetCount, L = Landmarks.Count;
            var vis = new double[T];
            double scale = view0 == null ? 1.0
                : Math.Sqrt(view0[0] * view0[0] + view0[1] * view0[1] + view0[2] * view0[2]);
            for (int t = 0; t < T; t++)
            {
                double n3 = 0.0, n2 = 0.0;
                for (int l = 0; l < L; l++)
                {
                    double b0 = rig.Delta(l, 0, t), b1 = rig.Delta(l, 1, t), b2 = rig.Delta(l, 2, t);
                    n3 += b0 * b0 + b1 * b1 + b2 * b2;
                    if (view0 == null) continue;
                    double s0 = view0[0] * b0 + view0[1] * b1 + view0[2] * b2;
                    double s1 = view0[3] * b0 + view0[4] * b1 + view0[5] * b2;
                    n2 += s0 * s0 + s1 * s1;
                }
                n3 = Math.Sqrt(n3);
                vis[t] = !(n3 > 0) ? 0.0 : (view0 == null ? 1.0 : Math.Sqrt(n2) / (scale * n3));
            }
            return vis;
        }

        /// <summary>Targets held at 0: flagged unobservable in the rig, moving no landmark, or
        /// (2-D tracks) seen by the neutral camera at less than MinVisibility of their size.</summary>
        public static bool[] PinnedTargets(RigData rig, double[] view0)
        {
            double[] vis = Visibility(rig, view0);
            var pinned = new bool[rig.TargetCount];
            for (int t = 0; t < pinned.Length; t++) pinned[t] = !rig.Observable[t] || vis[t] < MinVisibility;
            return pinned;
        }

        /// <summary>The targets pinned at 0 since SetNeutral.</summary>
        public bool IsPinned(int target)
        {
            return projected != null ? projected.IsPinned(target) : (solver != null && solver.IsPinned(target));
        }

        /// <summary>Solves one frame; copies the weights into <paramref name="outWeights"/>
        /// when given. Returns false when the frame was invalid (weights held).</summary>
        public bool Solve(double[] points, double[] confidence, double[] outWeights)
        {
            bool valid = Keys.Frame(points, confidence, deltas, conf);
            if (valid)
            {
                if (projected != null) projected.SolveFrame(deltas, Keys.Camera, conf, weights);
                else solver.SolveFrame(deltas, conf, weights);
            }
            LastValid = valid;
            if (outWeights != null) Array.Copy(weights, outWeights, weights.Length);
            return valid;
        }

        /// <summary>Every frame of a track, in order, through the online API: points
        /// [frame][68][dims], confidence [frame][68] (null = all 1), the neutral frame first.
        /// Fills weights [frame][target] and valid [frame].</summary>
        public void SolveSequence(double[] points, double[] confidence, int frames, int neutralFrame,
                                  double[] outWeights, bool[] outValid)
        {
            int n = Landmarks.Count * Dims, T = Rig.TargetCount;
            if (neutralFrame < 0 || neutralFrame >= frames)
                throw new MicroExprException("neutral frame " + neutralFrame + " is outside the " + frames + " frames",
                    null, "neutral frame", "pick a frame between 0 and " + (frames - 1));
            var frame = new double[n];
            var c = confidence == null ? null : new double[Landmarks.Count];
            Array.Copy(points, neutralFrame * n, frame, 0, n);
            if (c != null) Array.Copy(confidence, neutralFrame * Landmarks.Count, c, 0, Landmarks.Count);
            SetNeutral(frame, c);
            for (int f = 0; f < frames; f++)
            {
                Array.Copy(points, f * n, frame, 0, n);
                if (c != null) Array.Copy(confidence, f * Landmarks.Count, c, 0, Landmarks.Count);
                outValid[f] = Solve(frame, c, null);
                Array.Copy(weights, 0, outWeights, f * T, T);
            }
        }
    }
}
