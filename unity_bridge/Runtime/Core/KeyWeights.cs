// Online key weights (microexpr/solve/key_weights.py): set up from the neutral frame, then one frame
// at a time, the landmark offsets D with head motion compensated, and the basis that maps
// target weights to them. Landmarks are in bridge space (y up; 2-D tracks in image pixels,
// 3-D in any unit): see UnitySpace for Unity's space. Nothing is allocated per frame.
//   raw:       D = E - E_ori
//   reference: D = E - E0 - (E_ori - E0_ori), E0 = the (weighted) mean of the reference points
//   rigid:     3-D: each frame mapped onto the neutral frame by a weighted similarity fit on
//              the rigid set; 2-D: a weak-perspective camera fitted on the rigid set.
// The basis is the rig's landmark delta matrix seen in the neutral frame's view: M_0 B for
// 2-D tracks, s_0 R_0 B for 3-D. In 2-D rigid mode the offsets are the residual r = x - (M S0 + t)
// divided by the frame's scale relative to the neutral, and the solver sees the targets
// through that frame's camera M / (s_n / s_0) (Camera; see ProjectedSolver).
using System;

namespace MicroExpr.Runtime
{
    public enum Compensation { Raw = 0, Reference = 1, Rigid = 2 }

    public sealed class KeyWeights
    {
        public const int L = Landmarks.Count;

        public readonly int K;
        public readonly int Targets;
        public readonly Compensation Mode;
        public readonly bool Mirrored;
        readonly double[] X;            // rig neutral [l][3]
        readonly double[] B3;           // rig deltas [t][l][3]
        readonly int[] rigid;
        readonly int[] reference;
        /// <summary>[l*K+i][t]: valid after SetNeutral.</summary>
        public readonly double[] Basis;
        readonly double[] x0;           // neutral frame [l][K], missing -> 0
        readonly bool[] present0;
        readonly double[] S0;           // 2-D rigid: the subject's neutral 3-D landmarks
        readonly double[] M0 = new double[6];
        readonly double[] t0 = new double[3];
        readonly double[] R0 = new double[9];
        double s0;
        readonly double[] e0ori = new double[3];
        // per-frame scratch
        readonly double[] filled;
        readonly double[] conf;
        readonly double[] M = new double[6];
        readonly double[] R = new double[9];
        readonly double[] t = new double[3];
        readonly double[] scratch = new double[24];

        /// <summary>2-D rigid mode: the last valid frame's camera (2x3, scaled to the neutral);
        /// the solver sees the targets through it (ProjectedSolver).</summary>
        public readonly double[] Camera = new double[6];
        /// <summary>2-D tracks: the neutral frame's camera M_0 (2x3).</summary>
        public double[] View0 { get { return M0; } }
        /// <summary>True when the solver must see the targets through each frame's camera.</summary>
        public bool Projected { get { return K == 2 && Mode == Compensation.Rigid; } }

        public bool Ready { get; private set; }
        /// <summary>2-D: |first row of M_0|; 3-D: s_0.</summary>
        public double NeutralScale { get; private set; }
        /// <summary>2-D: the neutral camera sees the face's front.</summary>
        public bool FacingCamera { get; private set; }
        /// <summary>2-D rigid: the last valid frame's head scale relative to the neutral.</summary>
        public double HeadScale { get; private set; }

        public KeyWeights(RigData rig, int dims, Compensation mode, bool mirrored = false)
        {
            if (dims != 2 && dims != 3)
                throw new MicroExprException("landmarks must have 2 or 3 coordinates, not " + dims, null, "dims",
                    "give 2-D image points or 3-D points");
            K = dims;
            Mode = mode;
            Mirrored = mirrored;
            Targets = rig.TargetCount;
            X = rig.Neutral;
            B3 = rig.Deltas;
            rigid = rig.Rigid;
            reference = rig.Reference;
            Basis = new double[L * K * Targets];
            x0 = new double[L * K];
            present0 = new bool[L];
            S0 = new double[L * 3];
            filled = new double[L * K];
            conf = new double[L];
        }

        /// <summary>A frame into filled and conf (Landmarks.Sanitize).</summary>
        void Sanitize(double[] points, double[] confidence)
        {
            Landmarks.Sanitize(points, confidence, K, Mirrored, filled, conf);
        }

        /// <summary>Sets up from the neutral frame: points (68*K), confidence (68, null = all 1).</summary>
        public void SetNeutral(double[] points, double[] confidence)
        {
            Sanitize(points, confidence);
            int present = 0;
            for (int l = 0; l < L; l++) present0[l] = conf[l] > 0;
            foreach (int r in rigid) if (present0[r]) present++;
            if (present < Landmarks.MinRigid)
                throw new MicroExprException("the neutral frame has only " + present + " of the rigid landmarks",
                    null, "neutral frame", "pick a frame where the face is found");
            Array.Copy(filled, x0, L * K);
            if (K == 2)
            {
                HeadFit.WeakPerspective(X, x0, rigid, conf, M0, t0, scratch);
                NeutralScale = Math.Sqrt(M0[0] * M0[0] + M0[1] * M0[1] + M0[2] * M0[2]);
                FacingCamera = M0[0] * M0[4] - M0[1] * M0[3] > 0;
                double s2 = M0[0] * M0[0] + M0[1] * M0[1] + M0[2] * M0[2];
                for (int l = 0; l < L; l++)
                {
                    double r0 = x0[l * 2] - (M0[0] * X[l * 3] + M0[1] * X[l * 3 + 1] + M0[2] * X[l * 3 + 2]) - t0[0];
                    double r1 = x0[l * 2 + 1] - (M0[3] * X[l * 3] + M0[4] * X[l * 3 + 1] + M0[5] * X[l * 3 + 2]) - t0[1];
                    for (int j = 0; j < 3; j++) S0[l * 3 + j] = X[l * 3 + j] + (r0 * M0[j] + r1 * M0[3 + j]) / s2;
                }
            }
            else
            {
                s0 = HeadFit.Similarity(X, x0, rigid, conf, R0, t0, scratch);
                NeutralScale = s0;
                FacingCamera = true;
            }
            for (int i = 0; i < K; i++)
            {
                double s = 0.0;
                foreach (int r in reference) s += x0[r * K + i];
                e0ori[i] = s / reference.Length;
            }
            BuildBasis();
            HeadScale = 1.0;
            Ready = true;
        }

        void BuildBasis()
        {
            ViewColumns(B3, Targets, Basis);
        }

        /// <summary>Columns of landmark offsets <paramref name="cols"/> ([c][landmark][xyz],
        /// <paramref name="count"/> of them, the rig's units) seen as the basis sees the
        /// targets: in the neutral frame's view (reference mode: minus the reference points'
        /// mean), into <paramref name="outBasis"/> [l*K+i][c]. Valid after SetNeutral; allocates.</summary>
        public void ViewColumns(double[] cols, int count, double[] outBasis)
        {
            int T = count;
            double[] b = new double[3];
            double[] refMean = new double[3 * T];
            if (Mode == Compensation.Reference)
                for (int tt = 0; tt < T; tt++)
                    for (int j = 0; j < 3; j++)
                    {
                        double s = 0.0;
                        foreach (int r in reference) s += cols[(tt * L + r) * 3 + j];
                        refMean[tt * 3 + j] = s / reference.Length;
                    }
            for (int l = 0; l < L; l++)
                for (int tt = 0; tt < T; tt++)
                {
                    for (int j = 0; j < 3; j++)
                    {
                        b[j] = cols[(tt * L + l) * 3 + j];
                        if (Mode == Compensation.Reference) b[j] = b[j] - refMean[tt * 3 + j];
                    }
                    for (int i = 0; i < K; i++)
                    {
                        double v = K == 2
                            ? M0[i * 3] * b[0] + M0[i * 3 + 1] * b[1] + M0[i * 3 + 2] * b[2]
                            : s0 * (R0[i * 3] * b[0] + R0[i * 3 + 1] * b[1] + R0[i * 3 + 2] * b[2]);
                        outBasis[(l * K + i) * T + tt] = v;
                    }
                }
        }

        /// <summary>One frame: writes the offsets (68*K) and the confidences the solver uses
        /// (68; all 0 on an invalid frame). Returns false for a frame without enough data.</summary>
        public bool Frame(double[] points, double[] confidence, double[] deltas, double[] confOut)
        {
            if (!Ready)
                throw new MicroExprException("no neutral frame yet", null, null, "call SetNeutral first");
            Sanitize(points, confidence);
            for (int l = 0; l < L; l++) if (!present0[l]) conf[l] = 0.0;
            bool valid;
            if (Mode == Compensation.Raw) valid = FrameRaw(deltas);
            else if (Mode == Compensation.Reference) valid = FrameReference(deltas);
            else if (K == 3) valid = FrameRigid3(deltas);
            else valid = FrameRigid2(deltas);
            for (int l = 0; l < L; l++)
            {
                double c = valid ? conf[l] : 0.0;
                confOut[l] = c;
                if (!(c > 0)) for (int i = 0; i < K; i++) deltas[l * K + i] = 0.0;
            }
            return valid;
        }

        bool FrameRaw(double[] D)
        {
            int n = 0;
            for (int l = 0; l < L; l++) if (conf[l] > 0) n++;
            for (int k = 0; k < L * K; k++) D[k] = filled[k] - x0[k];
            return n >= L / 2;
        }

        bool FrameReference(double[] D)
        {
            foreach (int r in reference) if (!(conf[r] > 0)) return false;
            double wsum = 0.0;
            foreach (int r in reference) wsum += conf[r];
            for (int i = 0; i < K; i++)
            {
                double s = 0.0;
                foreach (int r in reference) s += conf[r] * filled[r * K + i];
                scratch[i] = s / wsum;
            }
            for (int l = 0; l < L; l++)
                for (int i = 0; i < K; i++)
                {
                    int k = l * K + i;
                    D[k] = (filled[k] - scratch[i]) - (x0[k] - e0ori[i]);
                }
            return true;
        }

        bool RigidCount()
        {
            int n = 0;
            foreach (int r in rigid) if (conf[r] > 0) n++;
            return n >= Landmarks.MinRigid;
        }

        bool FrameRigid3(double[] D)
        {
            if (!RigidCount()) return false;
            double s = HeadFit.Similarity(filled, x0, rigid, conf, R, t, scratch);
            for (int l = 0; l < L; l++)
            {
                double p0 = filled[l * 3], p1 = filled[l * 3 + 1], p2 = filled[l * 3 + 2];
                for (int i = 0; i < 3; i++)
                    D[l * 3 + i] = s * (R[i * 3] * p0 + R[i * 3 + 1] * p1 + R[i * 3 + 2] * p2) + t[i] - x0[l * 3 + i];
            }
            return true;
        }

        bool FrameRigid2(double[] D)
        {
            if (!RigidCount()) return false;
            HeadFit.WeakPerspective(S0, filled, rigid, conf, M, t, scratch);
            double s2 = M[0] * M[0] + M[1] * M[1] + M[2] * M[2];
            double rel = Math.Sqrt(s2) / NeutralScale;               // s_n / s_0
            for (int l = 0; l < L; l++)
            {
                double X0 = S0[l * 3], X1 = S0[l * 3 + 1], X2 = S0[l * 3 + 2];
                double r0 = filled[l * 2] - (M[0] * X0 + M[1] * X1 + M[2] * X2) - t[0];
                double r1 = filled[l * 2 + 1] - (M[3] * X0 + M[4] * X1 + M[5] * X2) - t[1];
                D[l * 2] = r0 / rel;
                D[l * 2 + 1] = r1 / rel;
            }
            for (int k = 0; k < 6; k++) Camera[k] = M[k] / rel;
            HeadScale = rel;
            return true;
        }
    }
}
