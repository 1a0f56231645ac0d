using System;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class KeyWeightsTests
    {
        [Test]
        public void SimilarityFitRecoversAKnownTransform()
        {
            double[] X = Synthetic.Neutral();
            double yaw = 0.4, pitch = -0.2, s = 1.7;
            double cy = Math.Cos(yaw), sy = Math.Sin(yaw), cp = Math.Cos(pitch), sp = Math.Sin(pitch);
            var R = new[] { cy, sy * sp, sy * cp, 0, cp, -sp, -sy, cy * sp, cy * cp };
            var Y = new double[X.Length];
            for (int l = 0; l < 68; l++)
                for (int i = 0; i < 3; i++)
                    Y[l * 3 + i] = s * (R[i * 3] * X[l * 3] + R[i * 3 + 1] * X[l * 3 + 1] + R[i * 3 + 2] * X[l * 3 + 2]) + (i + 1);
            var w = new double[68];
            for (int l = 0; l < 68; l++) w[l] = 0.5 + (l % 3) * 0.25;
            var Rf = new double[9];
            var t = new double[3];
            double sf = HeadFit.Similarity(X, Y, Landmarks.Rigid, w, Rf, t, new double[24]);
            Assert.That(sf, Is.EqualTo(s).Within(1e-12));
            for (int k = 0; k < 9; k++) Assert.That(Rf[k], Is.EqualTo(R[k]).Within(1e-12));
            for (int i = 0; i < 3; i++) Assert.That(t[i], Is.EqualTo(i + 1.0).Within(1e-11));
        }

        [Test]
        public void WeakPerspectiveFitRecoversAKnownCamera()
        {
            double[] X = Synthetic.Neutral();
            double yaw = 0.5, s = 20.0, c = Math.Cos(yaw), sn = Math.Sin(yaw);
            var M = new[] { s * c, 0, s * sn, 0, s, 0 };
            var x = new double[68 * 2];
            for (int l = 0; l < 68; l++)
            {
                x[l * 2] = M[0] * X[l * 3] + M[1] * X[l * 3 + 1] + M[2] * X[l * 3 + 2] + 320;
                x[l * 2 + 1] = M[3] * X[l * 3] + M[4] * X[l * 3 + 1] + M[5] * X[l * 3 + 2] + 240;
            }
            var w = new double[68];
            for (int l = 0; l < 68; l++) w[l] = 1.0;
            var Mf = new double[6];
            var t = new double[2];
            HeadFit.WeakPerspective(X, x, Landmarks.Rigid, w, Mf, t, new double[24]);
            for (int k = 0; k < 6; k++) Assert.That(Mf[k], Is.EqualTo(M[k]).Within(1e-6));
            Assert.That(t[0], Is.EqualTo(320.0).Within(1e-5));
        }

        [TestCase(3, Compensation.Raw, 0.0)]
        [TestCase(3, Compensation.Reference, 0.0)]
        [TestCase(3, Compensation.Rigid, 0.5)]
        [TestCase(2, Compensation.Raw, 0.0)]
        [TestCase(2, Compensation.Rigid, 0.4)]
        public void KnownWeightsAreRecovered(int dims, Compensation mode, double yaw)
        {
            RigData rig = Synthetic.Rig(8);
            var solver = new FaceSolver(rig, dims, mode, 1e-10, 0.0, false);
            solver.SetNeutral(Synthetic.Frame(rig, new double[8], dims, 0.0, 1.5), null);
            var truth = new[] { 0.0, 0.3, 1.0, 0.55, 0.0, 0.8, 0.1, 0.45 };
            var w = new double[8];
            double scale = mode == Compensation.Rigid ? 1.3 : 1.5;     // raw and reference keep the head's size
            Assert.IsTrue(solver.Solve(Synthetic.Frame(rig, truth, dims, yaw, scale), null, w));
            for (int t = 0; t < 8; t++) Assert.That(w[t], Is.EqualTo(truth[t]).Within(1e-5), "target " + t);
        }

        [Test]
        public void MirroredInputGivesTheSameWeights()
        {
            RigData rig = Synthetic.Rig(8);
            var truth = new[] { 0.2, 0.3, 0.9, 0.55, 0.0, 0.8, 0.1, 0.45 };
            double[] neutral = Synthetic.Frame(rig, new double[8], 3, 0.0, 1.5);
            double[] frame = Synthetic.Frame(rig, truth, 3, 0.0, 1.5);
            var direct = new FaceSolver(rig, 3, Compensation.Raw);
            direct.SetNeutral(neutral, null);
            var w0 = new double[8];
            direct.Solve(frame, null, w0);
            var mirrored = new FaceSolver(rig, 3, Compensation.Raw, FaceSolver.DefaultReg, 0.0, true);
            mirrored.SetNeutral(Mirror(neutral), null);
            var w1 = new double[8];
            mirrored.Solve(Mirror(frame), null, w1);
            for (int t = 0; t < 8; t++) Assert.That(w1[t], Is.EqualTo(w0[t]).Within(1e-12));
        }

        static double[] Mirror(double[] p)
        {
            var q = new double[p.Length];
            for (int l = 0; l < 68; l++)
            {
                int m = Landmarks.Mirror[l];
                q[m * 3] = -p[l * 3];
                q[m * 3 + 1] = p[l * 3 + 1];
                q[m * 3 + 2] = p[l * 3 + 2];
            }
            return q;
        }

        [Test]
        public void FramesWithoutAFaceHoldTheWeights()
        {
            RigData rig = Synthetic.Rig(6);
            var solver = new FaceSolver(rig, 2, Compensation.Rigid);
            solver.SetNeutral(Synthetic.Frame(rig, new double[6], 2, 0, 1.5), null);
            var w = new double[6];
            Assert.IsTrue(solver.Solve(Synthetic.Frame(rig, new[] { 0.5, 0.5, 0.5, 0.5, 0.5, 0.5 }, 2, 0, 1.5), null, w));
            var held = (double[])w.Clone();
            var empty = new double[68 * 2];
            for (int i = 0; i < empty.Length; i++) empty[i] = double.NaN;
            Assert.IsFalse(solver.Solve(empty, null, w));
            for (int t = 0; t < 6; t++) Assert.AreEqual(held[t], w[t]);
            var conf = new double[68];
            for (int l = 0; l < 68; l++) conf[l] = 1.0;
            foreach (int r in rig.Rigid) conf[r] = 0.0;                   // no rigid landmarks left
            Assert.IsFalse(solver.Solve(Synthetic.Frame(rig, new double[6], 2, 0, 1.5), conf, w));
            for (int t = 0; t < 6; t++) Assert.AreEqual(held[t], w[t]);
        }

        [Test]
        public void UnobservableTargetsArePinned()
        {
            RigData rig = Synthetic.Rig(5, true);
            var solver = new FaceSolver(rig, 3, Compensation.Raw, 1e-6);
            solver.SetNeutral(Synthetic.Frame(rig, new double[5], 3, 0, 1.0), null);
            var w = new double[5];
            solver.Solve(Synthetic.Frame(rig, new[] { 0.5, 0.5, 0.5, 0.5, 1.0 }, 3, 0, 1.0), null, w);
            Assert.AreEqual(0.0, w[4]);
        }

        [Test]
        public void ANeutralWithoutTheRigidSetIsRefused()
        {
            RigData rig = Synthetic.Rig(4);
            var solver = new FaceSolver(rig, 2, Compensation.Rigid);
            var conf = new double[68];
            try
            {
                solver.SetNeutral(Synthetic.Frame(rig, new double[4], 2, 0, 1.5), conf);
                Assert.Fail("a neutral frame without landmarks was accepted");
            }
            catch (MicroExprException e)
            {
                Assert.IsTrue(e.Message.Contains("rigid"), e.Message);
            }
        }
    }
}
