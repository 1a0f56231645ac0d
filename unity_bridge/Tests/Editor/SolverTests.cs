using System;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class SolverTests
    {
        [Test]
        public void DiagonalProblemClipsToTheBox()
        {
            var qp = new BoxQp(4);
            var H = new double[16];
            for (int i = 0; i < 4; i++) H[i * 4 + i] = 1.0;
            var g = new[] { 2.0, -1.0, 0.5, 0.25 };
            var w = new double[4];
            qp.Solve(H, g, w, new[] { true, true, true, false });
            Assert.AreEqual(1.0, w[0]);
            Assert.AreEqual(0.0, w[1]);
            Assert.That(w[2], Is.EqualTo(0.5).Within(1e-15));
            Assert.AreEqual(0.0, w[3], "a pinned target stays at 0");
        }

        /// <summary>Random positive definite problems: the result satisfies the optimality
        /// conditions of the box (gradient zero inside, pointing outward at a bound).</summary>
        [TestCase(1, 6)]
        [TestCase(2, 20)]
        [TestCase(3, 52)]
        public void RandomProblemsMeetTheOptimalityConditions(int seed, int T)
        {
            var rng = new Random(seed);
            var M = new double[T * T];
            for (int i = 0; i < M.Length; i++) M[i] = rng.NextDouble() - 0.5;
            var H = new double[T * T];
            for (int i = 0; i < T; i++)
                for (int j = 0; j < T; j++)
                {
                    double s = i == j ? 0.1 : 0.0;
                    for (int k = 0; k < T; k++) s += M[i * T + k] * M[j * T + k];
                    H[i * T + j] = s;
                }
            var g = new double[T];
            for (int i = 0; i < T; i++) g[i] = 3.0 * (rng.NextDouble() - 0.3);
            var w = new double[T];
            var allowed = new bool[T];
            for (int i = 0; i < T; i++) allowed[i] = true;
            var qp = new BoxQp(T);
            int steps = qp.Solve(H, g, w, allowed);
            Assert.IsTrue(steps < 4 * T + 20, "stopped by its own rule");
            for (int t = 0; t < T; t++)
            {
                double r = -g[t];
                for (int u = 0; u < T; u++) r += H[t * T + u] * w[u];
                Assert.IsTrue(w[t] >= 0.0 && w[t] <= 1.0);
                if (w[t] > 0.0 && w[t] < 1.0) Assert.That(r, Is.EqualTo(0.0).Within(1e-9), "free weight " + t);
                else if (w[t] == 0.0) Assert.IsTrue(r >= -1e-9, "weight " + t + " at 0 wants to rise");
                else Assert.IsTrue(r <= 1e-9, "weight " + t + " at 1 wants to fall");
            }
        }

        [Test]
        public void WarmStartReachesTheSameOptimum()
        {
            var B = new double[] { 1, 0, 0.5, 0, 1, 0.5, 1, 1, 0, 0, 0, 1 };   // 4 rows x 3 targets
            var s = new WeightSolver(B, 4, 3, 2, 1e-3, 0.0, null);
            var d = new[] { 0.9, 0.2, 1.4, 0.7 };
            var cold = new double[3];
            s.SolveFrame(d, null, cold);
            var warm = new[] { 1.0, 1.0, 0.5 };
            s.SolveFrame(d, null, warm);
            for (int t = 0; t < 3; t++) Assert.That(warm[t], Is.EqualTo(cold[t]).Within(1e-12));
        }

        [Test]
        public void ObjectiveIsSmallestAtTheSolution()
        {
            var rng = new Random(7);
            int rows = 12, T = 5;
            var B = new double[rows * T];
            for (int i = 0; i < B.Length; i++) B[i] = rng.NextDouble() - 0.5;
            var d = new double[rows];
            for (int i = 0; i < rows; i++) d[i] = rng.NextDouble() - 0.2;
            var conf = new double[rows / 2];
            for (int l = 0; l < conf.Length; l++) conf[l] = l == 2 ? 0.0 : 0.5 + 0.5 * rng.NextDouble();
            var prev = new[] { 0.2, 0.4, 0.0, 1.0, 0.5 };
            var s = new WeightSolver(B, rows, T, 2, 1e-2, 0.5, null);
            var w = (double[])prev.Clone();
            s.SolveFrame(d, conf, w);
            double best = s.Objective(w, d, conf, prev);
            var probe = new double[T];
            for (int trial = 0; trial < 200; trial++)
            {
                for (int t = 0; t < T; t++) probe[t] = Math.Min(1, Math.Max(0, w[t] + 0.05 * (rng.NextDouble() - 0.5)));
                Assert.IsTrue(s.Objective(probe, d, conf, prev) >= best - 1e-12, "a nearby point does better");
            }
        }

        [Test]
        public void SolvingAFrameAllocatesNothing()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var probe = new double[64];
            long after = GC.GetAllocatedBytesForCurrentThread();
            if (after - before <= 0 || probe.Length == 0)
                Assert.Ignore("this runtime does not count allocations (GC.GetAllocatedBytesForCurrentThread)");
            FaceSolver solver = Synthetic.Solver(2, Compensation.Rigid, 12);
            var pts = Synthetic.Frame(2, 12, 0.3, 0.1);
            var conf = new double[68];
            for (int l = 0; l < 68; l++) conf[l] = l == 40 ? 0.5 : 1.0;
            var w = new double[12];
            for (int f = 0; f < 50; f++) solver.Solve(pts, conf, w);         // warm up (JIT)
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int f = 0; f < 1000; f++)
            {
                pts[0] += 1e-4;
                solver.Solve(pts, conf, w);
            }
            after = GC.GetAllocatedBytesForCurrentThread();
            Assert.AreEqual(0L, after - before, "bytes allocated by 1000 frames");
        }
    }
}
