// A small synthetic face for the tests: 68 landmarks on an ellipsoid, targets that each move
// one group of landmarks, and frames made from known weights and a known head pose.
using System;
using MicroExpr.Runtime;

namespace MicroExpr.Tests
{
    public static class Synthetic
    {
        public static double[] Neutral()
        {
            var X = new double[68 * 3];
            for (int l = 0; l < 68; l++)
            {
                double a = l * 2.399963, r = 3.0 + (l % 7) * 0.6;
                X[l * 3] = r * Math.Cos(a);
                X[l * 3 + 1] = r * Math.Sin(a) * 1.3;
                X[l * 3 + 2] = 2.0 - 0.05 * (X[l * 3] * X[l * 3] + X[l * 3 + 1] * X[l * 3 + 1]) * 0.3;
            }
            return X;
        }

        public static RigData Rig(int T, bool pinLast = false)
        {
            var names = new string[T];
            var deltas = new double[T * 68 * 3];
            var observable = new bool[T];
            var rigid = new[] { 1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35 };
            for (int t = 0; t < T; t++)
            {
                names[t] = "target" + t;
                observable[t] = !(pinLast && t == T - 1);
                for (int l = 36 + (t * 5) % 32, n = 0; n < 6; n++, l = 36 + (l - 36 + 1) % 32)
                {
                    deltas[(t * 68 + l) * 3] = 0.3 * Math.Sin(t + n);
                    deltas[(t * 68 + l) * 3 + 1] = 0.4 * Math.Cos(2 * t + n);
                    deltas[(t * 68 + l) * 3 + 2] = 0.2 * Math.Sin(3 * t - n);
                }
            }
            return new RigData("synthetic", "cm", names, deltas, Neutral(), rigid, new[] { 27 }, observable);
        }

        /// <summary>Landmarks for weights w under a rotation (yaw) and scale; 2-D: x, y of it (pixels).</summary>
        public static double[] Frame(RigData rig, double[] w, int dims, double yaw, double scale)
        {
            var outp = new double[68 * dims];
            double c = Math.Cos(yaw), s = Math.Sin(yaw);
            for (int l = 0; l < 68; l++)
            {
                double x = rig.Neutral[l * 3], y = rig.Neutral[l * 3 + 1], z = rig.Neutral[l * 3 + 2];
                for (int t = 0; t < rig.TargetCount; t++)
                {
                    x += w[t] * rig.Delta(l, 0, t);
                    y += w[t] * rig.Delta(l, 1, t);
                    z += w[t] * rig.Delta(l, 2, t);
                }
                double xr = c * x + s * z, zr = -s * x + c * z;
                outp[l * dims] = scale * xr + 5.0;
                outp[l * dims + 1] = scale * y - 2.0;
                if (dims == 3) outp[l * dims + 2] = scale * zr + 1.0;
            }
            return outp;
        }

        public static double[] Frame(int dims, int T, double yaw, double weight)
        {
            RigData rig = Rig(T);
            var w = new double[T];
            for (int t = 0; t < T; t++) w[t] = weight * ((t % 3) / 2.0);
            return Frame(rig, w, dims, yaw, 1.5);
        }

        public static FaceSolver Solver(int dims, Compensation mode, int T)
        {
            RigData rig = Rig(T);
            var solver = new FaceSolver(rig, dims, mode);
            solver.SetNeutral(Frame(rig, new double[T], dims, 0.0, 1.5), null);
            return solver;
        }
    }
}
