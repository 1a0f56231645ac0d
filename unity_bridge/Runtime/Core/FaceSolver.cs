// The online pipeline: key weights from a frame of landmarks, then the bounded solver on the
// rig's solve set (the other targets stay at 0), then, when solved targets have in-betweens
// or drive combinations, the Refiner (Python's solve.tracks_to_clip). Frames without enough
// data hold the last weights (Python's solve: invalid frames repeat the last weights).
// Set-up allocates; Solve allocates nothing.
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
        /// <summary>The solved targets and their landmark model.</summary>
        public readonly SolveModel Model;
        WeightSolver solver;
        ProjectedSolver projected;
        Refiner refiner;
        readonly double[] deltas;
        readonly double[] conf;
        readonly double[] weights;
        readonly double[] linear;       // the linear solver's weights (solve-set order)
        readonly double[] refined;      // the refined weights (solve-set order)
        readonly double[] previous;     // the last valid frame's refined weights
        readonly double[] columns;      // the model's columns in key-weight space [row][column]

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
            Model = new SolveModel(rig);
            linear = new double[Model.Size];
            refined = new double[Model.Size];
            previous = new double[Model.Size];
            columns = new double[Landmarks.Count * dims * Model.Columns];
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
            bool[] pinnedAll = PinnedTargets(Rig, Dims == 2 ? FrontalView() : null);
            int S = Model.Size, C = Model.Columns, rows = Landmarks.Count * Dims;
            var pinned = new bool[S];
            var allowed = new bool[S];
            for (int k = 0; k < S; k++)
            {
                pinned[k] = pinnedAll[Model.Solved[k]];
                allowed[k] = !pinned[k];
            }
            double lambda, mu;
            if (Keys.Projected)
            {
                var full = new double[S * Landmarks.Count * 3];
                Array.Copy(Model.Cols, full, full.Length);
                projected = new ProjectedSolver(full, S, Keys.View0, Reg, Temporal, pinned);
                solver = null;
                lambda = projected.Lambda;
                mu = projected.Mu;
            }
            else
            {
                Keys.ViewColumns(Model.Cols, C, columns);
                var basis = new double[rows * S];
                for (int i = 0; i < rows; i++) Array.Copy(columns, i * C, basis, i * S, S);
                solver = new WeightSolver(basis, rows, S, Dims, Reg, Temporal, pinned);
                projected = null;
                lambda = solver.Lambda;
                mu = solver.Mu;
            }
            refiner = Model.Nonlinear ? new Refiner(Model, rows, Dims, lambda, mu, allowed) : null;
            Array.Clear(weights, 0, weights.Length);
            Array.Clear(linear, 0, linear.Length);
            Array.Clear(refined, 0, refined.Length);
            Array.Clear(previous, 0, previous.Length);
        }

        /// <summary>A target whose landmark motion the rig seen from the front shows at less
        /// than this share of its 3-D size (motion in depth: a lip roll, a funnel) is pinned for
        /// 2-D tracks (Python's solve.tracks_to_clip.MIN_VISIBILITY).</summary>
        public const double MinVisibility = 0.3;

        /// <summary>The camera model's view for the pinned targets of 2-D tracks: the rig from
        /// the front, [[1, 0, 0], [0, 1, 0]] (Python's solve.tracks_to_clip.FRONTAL). A new array.</summary>
        public static double[] FrontalView() { return new double[] { 1.0, 0.0, 0.0, 0.0, 1.0, 0.0 }; }

        /// <summary>Per target: |landmark motion seen by the camera <paramref name="view0"/>| /
        /// (camera scale * |3-D motion|); 1 for 3-D tracks (<paramref name="view0"/> null), 0 for
        /// a target that moves no landmark (Python's solve.tracks_to_clip.visibility).</summary>
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
        /// (2-D tracks, <paramref name="view0"/> = FrontalView()) seen at less than MinVisibility
        /// of their size. SetNeutral and PerformerSolver pin by the rig and the camera model only
        /// (FrontalView for 2-D, none for 3-D), never by the take (Python's pinned_targets).</summary>
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
            int k = Array.BinarySearch(Model.Solved, target);
            if (k < 0) return false;
            return projected != null ? projected.IsPinned(k) : (solver != null && solver.IsPinned(k));
        }

        /// <summary>Whether the solver drives <paramref name="target"/> (the rig's solve set).</summary>
        public bool IsSolved(int target) { return Array.BinarySearch(Model.Solved, target) >= 0; }

        /// <summary>Refinement steps kept on the last valid frame (0 without in-betweens or combinations).</summary>
        public int LastRefineSteps { get { return refiner != null ? refiner.LastKept : 0; } }

        /// <summary>Solves one frame; copies the weights into <paramref name="outWeights"/>
        /// when given. Returns false when the frame was invalid (weights held).</summary>
        public bool Solve(double[] points, double[] confidence, double[] outWeights)
        {
            bool valid = Keys.Frame(points, confidence, deltas, conf);
            if (valid)
            {
                if (projected != null) projected.SolveFrame(deltas, Keys.Camera, conf, linear);
                else solver.SolveFrame(deltas, conf, linear);
                double[] w = linear;
                if (refiner != null)
                {
                    if (projected != null) Refiner.ProjectColumns(Model, Keys.Camera, columns);
                    Array.Copy(linear, refined, refined.Length);
                    refiner.Frame(columns, deltas, conf, refined, previous);
                    Array.Copy(refined, previous, previous.Length);
                    w = refined;
                }
                for (int k = 0; k < w.Length; k++) weights[Model.Solved[k]] = w[k];
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
            int n = Landmarks.Count * Dims;
            if (neutralFrame < 0 || neutralFrame >= frames)
                throw new MicroExprException("neutral frame " + neutralFrame + " is outside the " + frames + " frames",
                    null, "neutral frame", "pick a frame between 0 and " + (frames - 1));
            var frame = new double[n];
            var c = confidence == null ? null : new double[Landmarks.Count];
            Array.Copy(points, neutralFrame * n, frame, 0, n);
            if (c != null) Array.Copy(confidence, neutralFrame * Landmarks.Count, c, 0, Landmarks.Count);
            SetNeutral(frame, c);
            SolveFrames(points, confidence, frames, outWeights, outValid);
        }

        /// <summary>The next <paramref name="frames"/> frames of a track (laid out as in
        /// <see cref="SolveSequence"/>), continuing from the frames solved before: the neutral
        /// is the one set last, and the previous frame's weights carry over. A long take fed
        /// a block at a time gives the weights of the whole take fed at once.</summary>
        public void SolveFrames(double[] points, double[] confidence, int frames,
                                double[] outWeights, bool[] outValid)
        {
            int n = Landmarks.Count * Dims, T = Rig.TargetCount;
            var frame = new double[n];
            var c = confidence == null ? null : new double[Landmarks.Count];
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
