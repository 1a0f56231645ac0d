// What the solve drives (microexpr/solve/solve_set.py): the rig's solve set, the full-weight
// landmark columns of those targets, then the landmark frames of their in-betweens and of the
// combinations whose drivers are all solved (in that order: targets in solve order, frames
// by weight, then combinations in rig order), and those piecewise-linear curves as flat
// arrays for the Refiner. Built once per rig; allocates.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class SolveModel
    {
        /// <summary>The solved targets' rig indices, ascending.</summary>
        public readonly int[] Solved;
        /// <summary>Columns: the S solved targets' full weights, then E landmark frames.</summary>
        public readonly int Columns;
        /// <summary>[column][landmark][xyz] (the rig's units).</summary>
        public readonly double[] Cols;
        /// <summary>Per solved target: no in-betweens (its motion is linear).</summary>
        public readonly bool[] Linear;
        /// <summary>Per curve: its target's position in the solve set, -1 for a combination.</summary>
        public readonly int[] CurveTarget;
        /// <summary>Per curve c: its knots Knots[KnotStart[c] .. KnotStart[c+1]) (0, weights, 1)
        /// and each knot's column (KnotColumn; -1 for the knot at 0).</summary>
        public readonly int[] KnotStart;
        public readonly double[] Knots;
        public readonly int[] KnotColumn;
        /// <summary>Per curve c: its drivers' positions in the solve set, Drivers[DriverStart[c] .. DriverStart[c+1]).</summary>
        public readonly int[] DriverStart;
        public readonly int[] Drivers;

        public int Size { get { return Solved.Length; } }
        /// <summary>True when the landmarks do not move linearly with the weights: the Refiner runs.</summary>
        public bool Nonlinear { get { return CurveTarget.Length > 0; } }

        public SolveModel(RigData rig)
        {
            const int L = Landmarks.Count;
            Solved = rig.SolveSet;
            int S = Solved.Length;
            var position = new int[rig.TargetCount];
            for (int t = 0; t < position.Length; t++) position[t] = -1;
            for (int k = 0; k < S; k++) position[Solved[k]] = k;
            var extra = new List<double[]>();
            var target = new List<int>();
            var knots = new List<double>();
            var knotColumn = new List<int>();
            var kstart = new List<int> { 0 };
            var drivers = new List<int>();
            var dstart = new List<int> { 0 };
            Linear = new bool[S];
            for (int k = 0; k < S; k++)
            {
                List<LandmarkFrame> frames = FramesOf(rig, Solved[k], -1);
                Linear[k] = frames.Count == 0;
                if (frames.Count == 0) continue;
                AddCurve(frames, k, S, extra, knots, knotColumn);
                target.Add(k);
                kstart.Add(knots.Count);
                dstart.Add(drivers.Count);
            }
            for (int c = 0; c < rig.CombinationNames.Length; c++)
            {
                List<LandmarkFrame> frames = FramesOf(rig, -1, c);
                bool solved = frames.Count > 0;
                foreach (int d in rig.CombinationDrivers[c]) if (position[d] < 0) solved = false;
                if (!solved) continue;
                AddCurve(frames, -1, S, extra, knots, knotColumn);
                target.Add(-1);
                kstart.Add(knots.Count);
                foreach (int d in rig.CombinationDrivers[c]) drivers.Add(position[d]);
                dstart.Add(drivers.Count);
            }
            Columns = S + extra.Count;
            Cols = new double[Columns * L * 3];
            for (int k = 0; k < S; k++) Array.Copy(rig.Deltas, Solved[k] * L * 3, Cols, k * L * 3, L * 3);
            for (int e = 0; e < extra.Count; e++) Array.Copy(extra[e], 0, Cols, (S + e) * L * 3, L * 3);
            CurveTarget = target.ToArray();
            KnotStart = kstart.ToArray();
            Knots = knots.ToArray();
            KnotColumn = knotColumn.ToArray();
            DriverStart = dstart.ToArray();
            Drivers = drivers.ToArray();
        }

        /// <summary>A target's (or a combination's) landmark frames, by increasing weight.</summary>
        static List<LandmarkFrame> FramesOf(RigData rig, int target, int combination)
        {
            var outp = new List<LandmarkFrame>();
            foreach (LandmarkFrame f in rig.Frames)
                if ((target >= 0 && f.Target == target) || (combination >= 0 && f.Combination == combination))
                    outp.Add(f);
            outp.Sort((a, b) => a.Weight.CompareTo(b.Weight));
            return outp;
        }

        /// <summary>Knots 0, the frames' weights, 1; a target's knot at 1 is its own column
        /// <paramref name="own"/>, every other knot a new column.</summary>
        static void AddCurve(List<LandmarkFrame> frames, int own, int S, List<double[]> extra,
                             List<double> knots, List<int> knotColumn)
        {
            knots.Add(0.0);
            knotColumn.Add(-1);
            foreach (LandmarkFrame f in frames)
            {
                knots.Add(f.Weight);
                if (f.Weight == 1.0 && own >= 0) { knotColumn.Add(own); continue; }
                knotColumn.Add(S + extra.Count);
                extra.Add(f.Deltas);
            }
            if (frames[frames.Count - 1].Weight < 1.0)
            {
                knots.Add(1.0);
                knotColumn.Add(own);
            }
        }
    }
}
