// Performer mode, one frame at a time (Python's solve/performer_solve.py): head pose and
// expression estimated together on the performer's own neutral landmarks S (Performer), in
// two passes per frame:
//  1. Pose on the rigid set: a camera of the performer's camera model (2-D tracks: weak
//     perspective, or in_plane: M = s R2 V, a 2-D similarity of the shape seen through the fixed
//     view V; 3-D tracks: a similarity M = s R) fitted to S on the rigid landmarks (weights:
//     confidence + 1e-12), and a first solve of the weights w1 on its offsets.
//  2. Pose with the expression: the camera fitted on all 68 landmarks to S + (g B) w1 (B the
//     rig's landmark deltas, g the retargeting gain per landmark), each landmark weighted by
//     its confidence times the Cauchy weight 1 / (1 + (e / s / (3 noise))^2) of its residual
//     e under the first camera; then the pose filter (an alpha-beta filter per camera number
//     [M row by row, t] with the file's gains, then the nearest scaled rotation), and the
//     second solve on the filtered camera's offsets: the frame's weights.
// Offsets: r = (x - M S - t) / s / g per landmark, s = |M's first row|. 2-D tracks see the
// targets through P = M / s (ProjectedSolver); 3-D tracks turn the offsets back into the rig's
// frame (P' r) against the rig's deltas (WeightSolver). Penalties from the noise:
// lam = (noise / prior)^2, mu = (noise / (speed / fps))^2. Pinned targets depend on the rig and
// the camera model only (FaceSolver.PinnedTargets: FrontalView for 2-D, none for 3-D). Each pass
// follows in-betweens and combinations (Refiner) as FaceSolver does and keeps its own previous
// weights (3-D: its own WeightSolver, so each keeps its factor of the constant matrix). A frame
// with fewer than 6 rigid landmarks holds the weights and the filter. Causal: frames fed one by
// one give the weights of Python's batch solve of the same take.
// Set-up allocates; Step allocates nothing.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class PerformerSolver
    {
        /// <summary>A weight is expected within this of 0 (Python's DEFAULT_PRIOR).</summary>
        public const double DefaultPrior = 0.2;
        /// <summary>A weight is expected to change by this much per second (Python's DEFAULT_SPEED).</summary>
        public const double DefaultSpeed = 3.0;
        /// <summary>Cauchy scale of the robust weights, in noise units (Python's performer.ROBUST).</summary>
        public const double Robust = 3.0;
        const double Tiny = 1e-12;
        const int L = Landmarks.Count;

        public readonly RigData Rig;
        public readonly Performer Performer;
        public readonly SolveModel Model;
        public readonly int Dims;
        public readonly double Fps;
        public readonly double Prior;
        public readonly double Speed;
        /// <summary>The weight solver's penalties: lam per weight, mu per change.</summary>
        public readonly double Lambda;
        public readonly double Mu;
        public readonly bool Mirrored;

        readonly ProjectedSolver projected;     // 2-D tracks
        readonly WeightSolver solver, solver1;  // 3-D tracks: pass 2's and pass 1's (each keeps its factor)
        readonly Refiner refiner;               // null for a linear rig
        readonly double[] columns;              // the refiner's columns [row][column]
        readonly double[] neutral, gains;
        readonly int[] all = new int[L];
        readonly int[] exprStart;               // per landmark: the solved targets that move it, ascending,
        readonly Move[] expr;                   // expr[exprStart[l] ..], with their retargeted deltas g B
        readonly double[] x, conf, fitWeights, shape, r;
        readonly double[] P = new double[9], M = new double[9], R = new double[9], t = new double[3];
        readonly double[] Mf = new double[9], tf = new double[3], A = new double[9], spare = new double[9];
        readonly double[] scratch = new double[24], work = new double[18];
        readonly bool inPlane;                  // the in_plane camera with its fixed view
        readonly double[] view, seen;
        readonly double[] state, velocity;      // the pose filter
        readonly double[] linear1, refined1, previous1, linear2, refined2, previous2, weights;
        bool started;

        /// <summary>For <paramref name="dims"/>-D tracks (the performer's) at <paramref name="fps"/>
        /// frames per second (0: the performer file's); <paramref name="prior"/> and
        /// <paramref name="speed"/> as Python's --prior and --speed.</summary>
        public PerformerSolver(RigData rig, Performer performer, int dims, double fps = 0.0,
                               double prior = DefaultPrior, double speed = DefaultSpeed, bool mirrored = false)
        {
            if (rig == null || performer == null)
                throw new MicroExprException("a rig and a performer are needed", null, rig == null ? "rig" : "performer",
                    "load them first");
            Check(rig, performer, dims);
            double rate = fps > 0 ? fps : performer.Fps;
            if (!(rate > 0) || double.IsInfinity(rate))
                throw new MicroExprException("the frame rate must be positive", null, "fps", "e.g. 60");
            if (!(prior > 0) || double.IsInfinity(prior))
                throw new MicroExprException("must be a finite number above 0", null, "prior", "e.g. 0.2 (larger: weaker prior)");
            if (!(speed >= 0) || double.IsInfinity(speed))
                throw new MicroExprException("must be a finite number 0 or more", null, "speed", "e.g. 3 (0: no temporal prior)");
            Rig = rig; Performer = performer; Dims = dims; Fps = rate; Prior = prior; Speed = speed; Mirrored = mirrored;
            double a = performer.Noise / prior;
            Lambda = a * a;
            double b = speed > 0 ? performer.Noise / (speed / rate) : 0.0;
            Mu = b * b;
            Model = new SolveModel(rig);
            int S = Model.Size, C = Model.Columns, rows = L * dims;
            var pinned = new bool[S];
            var allowed = new bool[S];
            bool[] pinnedAll = FaceSolver.PinnedTargets(rig, dims == 2 ? FaceSolver.FrontalView() : null);
            for (int k = 0; k < S; k++) { pinned[k] = pinnedAll[Model.Solved[k]]; allowed[k] = !pinned[k]; }
            columns = Model.Nonlinear ? new double[rows * C] : null;
            if (dims == 2)
            {
                var full = new double[S * L * 3];
                Array.Copy(Model.Cols, full, full.Length);
                projected = new ProjectedSolver(full, S, FaceSolver.FrontalView(), Lambda, Mu, pinned, true);
            }
            else
            {
                var basis = new double[rows * S];
                for (int k = 0; k < S; k++)
                    for (int i = 0; i < rows; i++) basis[i * S + k] = Model.Cols[k * rows + i];
                solver = new WeightSolver(basis, rows, S, 3, Lambda, Mu, pinned, true);
                solver1 = new WeightSolver(basis, rows, S, 3, Lambda, Mu, pinned, true);
                if (columns != null)
                    for (int c = 0; c < C; c++)
                        for (int i = 0; i < rows; i++) columns[i * C + c] = Model.Cols[c * rows + i];
            }
            refiner = Model.Nonlinear ? new Refiner(Model, rows, dims, Lambda, Mu, allowed) : null;
            neutral = performer.Neutral;
            gains = performer.Gains;
            inPlane = performer.Camera == "in_plane";
            view = performer.View;
            seen = new double[L * 2];
            for (int l = 0; l < L; l++) all[l] = l;
            exprStart = new int[L + 1];
            expr = ExpressionEntries(rig, Model, gains, exprStart);
            x = new double[rows]; conf = new double[L]; fitWeights = new double[L];
            shape = new double[L * 3]; r = new double[rows];
            state = new double[4 * dims]; velocity = new double[4 * dims];
            linear1 = new double[S]; refined1 = new double[S]; previous1 = new double[S];
            linear2 = new double[S]; refined2 = new double[S]; previous2 = new double[S];
            weights = new double[rig.TargetCount];
        }

        /// <summary>Per landmark (from <paramref name="start"/>), the solved targets that move it
        /// (positions in the solve set) with their retargeted deltas g B.</summary>
        static Move[] ExpressionEntries(RigData rig, SolveModel model, double[] gains, int[] start)
        {
            var moves = new List<Move>();
            int S = model.Size;
            for (int l = 0; l < L; l++)
            {
                start[l] = moves.Count;
                for (int k = 0; k < S; k++)
                {
                    int t = model.Solved[k];
                    if (rig.Delta(l, 0, t) == 0.0 && rig.Delta(l, 1, t) == 0.0 && rig.Delta(l, 2, t) == 0.0) continue;
                    moves.Add(new Move(k, rig.Delta(l, 0, t) * gains[l], rig.Delta(l, 1, t) * gains[l], rig.Delta(l, 2, t) * gains[l]));
                }
            }
            start[L] = moves.Count;
            return moves.ToArray();
        }

        /// <summary>Python's checks of a performer against the tracks and the rig: the same
        /// dimensions, and (when both are known) the rig it was calibrated for.</summary>
        static void Check(RigData rig, Performer performer, int dims)
        {
            if (dims != 2 && dims != 3)
                throw new MicroExprException("landmarks must have 2 or 3 coordinates, not " + dims, null, "dims",
                    "give 2-D image points or 3-D points");
            if (performer.Dims != dims)
                throw new MicroExprException("the performer was calibrated on " + performer.Dims + "-D tracks, these are " +
                    dims + "-D", performer.Source, "dims", "calibrate on tracks from the same tracker");
            if (!string.IsNullOrEmpty(performer.RigFingerprint) && !string.IsNullOrEmpty(rig.Fingerprint) &&
                performer.RigFingerprint != rig.Fingerprint)
                throw new MicroExprException("the performer was calibrated for another rig", performer.Source,
                    "calibration.rig_fingerprint", "run 'microexpr calibrate' with this rig");
        }

        public int TargetCount { get { return Rig.TargetCount; } }
        /// <summary>The current weights (0-1, rig target order). Do not modify.</summary>
        public double[] Weights { get { return weights; } }
        /// <summary>Whether the last frame had enough data (false: weights and pose were held).</summary>
        public bool LastValid { get; private set; }
        /// <summary>Box-QP steps of the last frame's second solve.</summary>
        public int LastSteps { get { return projected != null ? projected.LastSteps : solver.LastSteps; } }
        /// <summary>The filtered camera of the last valid frame: M (Dims x 3, row-major) and t (Dims).</summary>
        public double[] Camera { get { return Mf; } }
        public double[] CameraShift { get { return tf; } }

        /// <summary>Whether target <paramref name="target"/> (rig order) is held at 0.</summary>
        public bool IsPinned(int target)
        {
            int k = Array.BinarySearch(Model.Solved, target);
            if (k < 0) return false;
            return projected != null ? projected.IsPinned(k) : solver.IsPinned(k);
        }

        /// <summary>Forgets the previous frames: weights 0, the pose filter restarts. Allocates nothing.</summary>
        public void Reset()
        {
            started = false;
            LastValid = false;
            Array.Clear(state, 0, state.Length);
            Array.Clear(velocity, 0, velocity.Length);
            Array.Clear(linear1, 0, linear1.Length);
            Array.Clear(refined1, 0, refined1.Length);
            Array.Clear(previous1, 0, previous1.Length);
            Array.Clear(linear2, 0, linear2.Length);
            Array.Clear(refined2, 0, refined2.Length);
            Array.Clear(previous2, 0, previous2.Length);
            Array.Clear(weights, 0, weights.Length);
        }

        /// <summary>Solves one frame: points (68 * Dims, bridge space, NaN = missing), confidence
        /// (68, 0-1; null = all 1). Copies the weights into <paramref name="outWeights"/> when
        /// given. Returns false when the frame lacked data (weights held).</summary>
        public bool Step(double[] points, double[] confidence, double[] outWeights)
        {
            Sanitize(points, confidence);
            int seen = 0;
            for (int n = 0; n < Landmarks.Rigid.Length; n++) if (conf[Landmarks.Rigid[n]] > 0) seen++;
            bool valid = seen >= Landmarks.MinRigid;
            if (valid)
            {
                for (int l = 0; l < L; l++) fitWeights[l] = conf[l] + Tiny;
                Fit(neutral, Landmarks.Rigid);
                double[] w1 = Pass(M, t, linear1, refined1, previous1, solver1);
                RobustWeights(w1);
                Fit(shape, all);
                Filter();
                double[] w = Pass(Mf, tf, linear2, refined2, previous2, solver);
                for (int k = 0; k < w.Length; k++) weights[Model.Solved[k]] = w[k];
            }
            LastValid = valid;
            if (outWeights != null) Array.Copy(weights, outWeights, weights.Length);
            return valid;
        }

        /// <summary>Every frame of a take, in order, through Step: points [frame][68][Dims],
        /// confidence [frame][68] (null = all 1). Fills weights [frame][target], valid [frame]
        /// and, when given, pose [frame][yaw, pitch, roll, scale] (HeadPose).</summary>
        public void SolveSequence(double[] points, double[] confidence, int frames, double[] outWeights,
                                  bool[] outValid, double[] outPose = null)
        {
            int n = L * Dims, T = Rig.TargetCount;
            var frame = new double[n];
            var c = confidence == null ? null : new double[L];
            var pose = new double[4];
            for (int f = 0; f < frames; f++)
            {
                Array.Copy(points, f * n, frame, 0, n);
                if (c != null) Array.Copy(confidence, f * L, c, 0, L);
                outValid[f] = Step(frame, c, null);
                Array.Copy(weights, 0, outWeights, f * T, T);
                if (outPose == null) continue;
                HeadPose(pose);
                Array.Copy(pose, 0, outPose, f * 4, 4);
            }
        }

        /// <summary>The last frame's filtered head pose into <paramref name="pose"/>: yaw, pitch,
        /// roll (degrees; the rig's y up, z toward the camera; R = Rz Ry Rx) and scale (Python's
        /// head_pose). NaN and false when the last frame lacked data (as Python's report).</summary>
        public bool HeadPose(double[] pose)
        {
            if (!started || !LastValid)
            {
                for (int i = 0; i < 4; i++) pose[i] = double.NaN;
                return false;
            }
            double s = Math.Sqrt(Mf[0] * Mf[0] + Mf[1] * Mf[1] + Mf[2] * Mf[2]);
            double a0 = Mf[0] / s, a1 = Mf[1] / s, a2 = Mf[2] / s;
            double b0 = Mf[3] / s, b1 = Mf[4] / s, b2 = Mf[5] / s;
            double c0 = a1 * b2 - a2 * b1, c1 = a2 * b0 - a0 * b2, c2 = a0 * b1 - a1 * b0;
            double deg = 180.0 / Math.PI;
            pose[0] = Math.Asin(Math.Max(-1.0, Math.Min(1.0, -c0))) * deg;
            pose[1] = Math.Atan2(c1, c2) * deg;
            pose[2] = Math.Atan2(b0, a0) * deg;
            pose[3] = s;
            return true;
        }

        /// <summary>One pass: the offsets under camera (cam, shift), the linear solve warm-started
        /// from (and pulled toward) this pass's previous weights, then the refinement.</summary>
        double[] Pass(double[] cam, double[] shift, double[] linear, double[] refined, double[] previous,
                      WeightSolver weightSolver)
        {
            Offsets(cam, shift);
            if (projected != null) projected.SolveFrame(r, P, conf, linear);
            else weightSolver.SolveFrame(r, conf, linear);
            if (refiner == null) return linear;
            if (projected != null) Refiner.ProjectColumns(Model, P, columns);
            Array.Copy(linear, refined, refined.Length);
            refiner.Frame(columns, r, conf, refined, previous);
            Array.Copy(refined, previous, previous.Length);
            return refined;
        }

        /// <summary>r = (x - cam S - shift) / s / g (0 where a landmark is missing), P = cam / s;
        /// 3-D: r turned back into the rig's frame (P' r). One division per landmark (times
        /// 1 / (s g)): equal to Python's two to rounding.</summary>
        void Offsets(double[] cam, double[] shift)
        {
            int K = Dims;
            double s = Math.Sqrt(cam[0] * cam[0] + cam[1] * cam[1] + cam[2] * cam[2]);
            for (int q = 0; q < 3 * K; q++) P[q] = cam[q] / s;
            double[] r = this.r, x = this.x, conf = this.conf, neutral = this.neutral, gains = this.gains;
            if (K == 2)
            {
                double c0 = cam[0], c1 = cam[1], c2 = cam[2], c3 = cam[3], c4 = cam[4], c5 = cam[5];
                double t0 = shift[0], t1 = shift[1];
                for (int l = 0, o = 0, n = 0; l < L; l++, o += 2, n += 3)
                {
                    if (!(conf[l] > 0))
                    {
                        r[o] = 0.0;
                        r[o + 1] = 0.0;
                        continue;
                    }
                    double X0 = neutral[n], X1 = neutral[n + 1], X2 = neutral[n + 2], k = 1.0 / (s * gains[l]);
                    r[o] = (x[o] - (c0 * X0 + c1 * X1 + c2 * X2) - t0) * k;
                    r[o + 1] = (x[o + 1] - (c3 * X0 + c4 * X1 + c5 * X2) - t1) * k;
                }
                return;
            }
            double m0 = cam[0], m1 = cam[1], m2 = cam[2], m3 = cam[3], m4 = cam[4], m5 = cam[5], m6 = cam[6], m7 = cam[7], m8 = cam[8];
            double p0 = P[0], p1 = P[1], p2 = P[2], p3 = P[3], p4 = P[4], p5 = P[5], p6 = P[6], p7 = P[7], p8 = P[8];
            double u0 = shift[0], u1 = shift[1], u2 = shift[2];
            for (int l = 0, o = 0; l < L; l++, o += 3)
            {
                if (!(conf[l] > 0))
                {
                    r[o] = 0.0;
                    r[o + 1] = 0.0;
                    r[o + 2] = 0.0;
                    continue;
                }
                double X0 = neutral[o], X1 = neutral[o + 1], X2 = neutral[o + 2], k = 1.0 / (s * gains[l]);
                double r0 = (x[o] - (m0 * X0 + m1 * X1 + m2 * X2) - u0) * k;
                double r1 = (x[o + 1] - (m3 * X0 + m4 * X1 + m5 * X2) - u1) * k;
                double r2 = (x[o + 2] - (m6 * X0 + m7 * X1 + m8 * X2) - u2) * k;
                r[o] = p0 * r0 + p3 * r1 + p6 * r2;
                r[o + 1] = p1 * r0 + p4 * r1 + p7 * r2;
                r[o + 2] = p2 * r0 + p5 * r1 + p8 * r2;
            }
        }

        /// <summary>The camera fitted to <paramref name="X"/> on the landmarks <paramref name="idx"/>
        /// with fitWeights, into M, t.</summary>
        void Fit(double[] X, int[] idx)
        {
            if (inPlane)
            {
                InPlaneFit(X, idx);
                return;
            }
            if (Dims == 2)
            {
                HeadFit.WeakPerspective(X, x, idx, fitWeights, M, t, scratch);
                return;
            }
            double s = HeadFit.Similarity(X, x, idx, fitWeights, R, t, scratch);
            for (int q = 0; q < 9; q++) M[q] = s * R[q];
        }

        /// <summary>The in_plane camera (Python's camera_model.in_plane_fit): the shape seen through
        /// the fixed view V, a weighted 2-D similarity (Umeyama) onto x, M = s R2 V. The best
        /// rotation of a 2 x 2 covariance C is the angle atan2(C10 - C01, C00 + C11), and the sum
        /// of singular values with the reflection sign is their hypotenuse.</summary>
        void InPlaneFit(double[] X, int[] idx)
        {
            double wsum = 0.0, ms0 = 0.0, ms1 = 0.0, md0 = 0.0, md1 = 0.0;
            for (int n = 0; n < idx.Length; n++)
            {
                int l = idx[n];
                double X0 = X[l * 3], X1 = X[l * 3 + 1], X2 = X[l * 3 + 2], wn = fitWeights[l];
                double s0 = view[0] * X0 + view[1] * X1 + view[2] * X2;
                double s1 = view[3] * X0 + view[4] * X1 + view[5] * X2;
                seen[l * 2] = s0;
                seen[l * 2 + 1] = s1;
                wsum += wn;
                ms0 += wn * s0; ms1 += wn * s1;
                md0 += wn * x[l * 2]; md1 += wn * x[l * 2 + 1];
            }
            ms0 /= wsum; ms1 /= wsum; md0 /= wsum; md1 /= wsum;
            double c00 = 0.0, c01 = 0.0, c10 = 0.0, c11 = 0.0, var = 0.0;
            for (int n = 0; n < idx.Length; n++)
            {
                int l = idx[n];
                double wn = fitWeights[l];
                double a0 = seen[l * 2] - ms0, a1 = seen[l * 2 + 1] - ms1;
                double b0 = x[l * 2] - md0, b1 = x[l * 2 + 1] - md1;
                c00 += wn * b0 * a0; c01 += wn * b0 * a1; c10 += wn * b1 * a0; c11 += wn * b1 * a1;
                var += wn * a0 * a0 + wn * a1 * a1;
            }
            c00 /= wsum; c01 /= wsum; c10 /= wsum; c11 /= wsum; var /= wsum;
            double p = c00 + c11, q = c10 - c01, h = Math.Sqrt(p * p + q * q);
            double cos = h > 0.0 ? p / h : 1.0, sin = h > 0.0 ? q / h : 0.0, s = h / var;
            for (int k = 0; k < 3; k++)
            {
                M[k] = s * (cos * view[k] - sin * view[3 + k]);
                M[3 + k] = s * (sin * view[k] + cos * view[3 + k]);
            }
            t[0] = md0 - s * (cos * ms0 - sin * ms1);
            t[1] = md1 - s * (sin * ms0 + cos * ms1);
        }

        /// <summary>shape = S + (g B) w1; fitWeights = confidence x the Cauchy weight (the squared
        /// residual over (s 3 noise)^2, no square root: equal to Python's to rounding) of each
        /// landmark's residual under the first camera (M, t), + 1e-12. Each coordinate of
        /// (g B) w1 sums its targets in ascending order.</summary>
        void RobustWeights(double[] w1)
        {
            int K = Dims;
            double[] shape = this.shape, neutral = this.neutral, x = this.x, M = this.M, t = this.t;
            int[] exprStart = this.exprStart;
            Move[] expr = this.expr;
            double s = Math.Sqrt(M[0] * M[0] + M[1] * M[1] + M[2] * M[2]);
            double scale = Robust * Performer.Noise, inv2 = 1.0 / (s * scale * s * scale);   // (|e| / s / scale)^2 = e2 inv2
            double m0 = M[0], m1 = M[1], m2 = M[2], m3 = M[3], m4 = M[4], m5 = M[5], t0 = t[0], t1 = t[1];
            for (int l = 0; l < L; l++)
            {
                double s0 = 0.0, s1 = 0.0, s2 = 0.0;
                int end = exprStart[l + 1];
                for (int p = exprStart[l]; p < end; p++)
                {
                    ref Move e = ref expr[p];
                    double wk = w1[e.Target];        // at 0: adds a zero, which changes nothing
                    s0 += e.B0 * wk;
                    s1 += e.B1 * wk;
                    s2 += e.B2 * wk;
                }
                int o = l * 3;
                double X0 = neutral[o] + s0, X1 = neutral[o + 1] + s1, X2 = neutral[o + 2] + s2, e2;
                shape[o] = X0; shape[o + 1] = X1; shape[o + 2] = X2;
                double v0 = x[l * K] - (m0 * X0 + m1 * X1 + m2 * X2) - t0;
                double v1 = x[l * K + 1] - (m3 * X0 + m4 * X1 + m5 * X2) - t1;
                if (K == 2) e2 = v0 * v0 + v1 * v1;
                else
                {
                    double v2 = x[o + 2] - (M[6] * X0 + M[7] * X1 + M[8] * X2) - t[2];
                    e2 = v0 * v0 + v1 * v1 + v2 * v2;
                }
                fitWeights[l] = conf[l] * (1.0 / (1.0 + e2 * inv2)) + Tiny;
            }
        }

        /// <summary>The alpha-beta filter on [M row by row, t] (the first valid frame starts it),
        /// then Mf = the nearest scaled rotation of the filtered M, tf = the filtered t.</summary>
        void Filter()
        {
            int n = 3 * Dims;
            double[] alpha = Performer.FilterAlpha, beta = Performer.FilterBeta;
            for (int p = 0; p < state.Length; p++)
            {
                double z = p < n ? M[p] : t[p - n];
                if (!started)
                {
                    state[p] = z;
                    velocity[p] = 0.0;
                    continue;
                }
                double pred = state[p] + velocity[p];
                double res = z - pred;
                state[p] = pred + alpha[p] * res;
                velocity[p] = velocity[p] + beta[p] * res;
            }
            started = true;
            for (int i = 0; i < Dims; i++) tf[i] = state[n + i];
            if (Dims == 2)
            {
                HeadFit.NearestScaledOrthographic(state[0], state[1], state[2], state[3], state[4], state[5], Mf);
                return;
            }
            // s R with s the mean singular value and R = U diag(1, 1, sign det) V' (a rotation)
            Array.Copy(state, A, 9);
            double d = HeadFit.Det3(A) < 0.0 ? -1.0 : 1.0;
            double total = HeadFit.PolarRotation3(A, Mf, work, 9, d);
            if (d < 0.0)
            {
                Array.Copy(state, A, 9);
                total = HeadFit.PolarRotation3(A, spare, work, 9, 1.0);
            }
            double mean = total / 3.0;
            for (int q = 0; q < 9; q++) Mf[q] = mean * Mf[q];
        }

        /// <summary>A frame into x and conf (Landmarks.Sanitize).</summary>
        void Sanitize(double[] points, double[] confidence)
        {
            Landmarks.Sanitize(points, confidence, Dims, Mirrored, x, conf);
        }
    }
}
