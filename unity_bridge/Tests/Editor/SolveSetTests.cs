// The solve set, in-betweens and correctives in the runtime: RigData reads them from a
// container's header, the FaceSolver drives only the solve set and follows an in-between, and
// the WeightDriver writes a corrective as the product of its drivers.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class SolveSetTests
    {
        static string Rows(double[] v)
        {
            var sb = new StringBuilder("[");
            for (int l = 0; l < 68; l++)
            {
                if (l > 0) sb.Append(',');
                sb.Append('[');
                for (int j = 0; j < 3; j++)
                {
                    if (j > 0) sb.Append(',');
                    sb.Append(v[l * 3 + j].ToString("R", CultureInfo.InvariantCulture));
                }
                sb.Append(']');
            }
            return sb.Append(']').ToString();
        }

        static double[] Column(RigData rig, int t)
        {
            var outp = new double[68 * 3];
            Array.Copy(rig.Deltas, t * 68 * 3, outp, 0, 68 * 3);
            return outp;
        }

        static double[] Mix(double a, double[] x, double b, double[] y)
        {
            var outp = new double[x.Length];
            for (int i = 0; i < x.Length; i++) outp[i] = a * x[i] + b * y[i];
            return outp;
        }

        static RigData With(RigData rig, int[] solveSet, string[] combos, int[][] drivers, LandmarkFrame[] frames)
        {
            return new RigData(rig.Name, rig.LengthUnit, rig.TargetNames, rig.Deltas, rig.Neutral, rig.Rigid,
                               rig.Reference, rig.Observable, null, null, solveSet, combos, drivers, frames);
        }

        static string Header(RigData rig, string extra, string frames)
        {
            string h = ContainerWriter.RigHeader(rig);
            h = "{" + extra + h.Substring(1);
            h = h.Replace("{\"name\":\"target1\",\"shapes\":[{\"mesh\":\"skin\",\"frames\":[",
                          "{\"name\":\"target1\",\"shapes\":[{\"mesh\":\"skin\",\"frames\":[{\"weight\":0.5,\"indices\":[],\"deltas\":[]},");
            return h.Replace("\"landmark_deltas\":{", "\"landmark_deltas\":{\"frames\":" + frames + ",");
        }

        [Test]
        public void RigDataReadsTheSolveSetCorrectivesAndLandmarkFrames()
        {
            RigData rig = Synthetic.Rig(4);
            double[] ib = Mix(0.3, Column(rig, 1), 0.1, Column(rig, 2)), fix = Mix(-0.2, Column(rig, 3), 0.0, ib);
            string frames = "[{\"shape\":\"target1\",\"weight\":0.5,\"deltas\":" + Rows(ib) + "}," +
                            "{\"shape\":\"fix\",\"weight\":1.0,\"deltas\":" + Rows(fix) + "}]";
            string extra = "\"solve_set\":[\"target3\",\"target1\"],\"combinations\":[{\"name\":\"fix\"," +
                           "\"drivers\":[\"target1\",\"target3\"],\"shapes\":[" + ContainerWriter.Shape + "]}],";
            RigData read = RigData.FromBytes(ContainerWriter.Pack(Header(rig, extra, frames), ContainerWriter.RigPayload(rig)),
                                             "face.microexpr");
            Assert.IsTrue(read.HasSolveSet);
            CollectionAssert.AreEqual(new[] { 1, 3 }, read.SolveSet);
            CollectionAssert.AreEqual(new[] { "fix" }, read.CombinationNames);
            CollectionAssert.AreEqual(new[] { 1, 3 }, read.CombinationDrivers[0]);
            Assert.AreEqual(2, read.Frames.Length);
            Assert.AreEqual(1, read.Frames[0].Target);
            Assert.AreEqual(0, read.Frames[1].Combination);
            CollectionAssert.AreEqual(ib, read.Frames[0].Deltas);
            var model = new SolveModel(read);
            Assert.IsTrue(model.Nonlinear);
            Assert.AreEqual(2 + 2, model.Columns, "two solved targets, the in-between and the corrective");

            Assert.IsFalse(RigData.FromBytes(ContainerWriter.Rig(rig), "plain.microexpr").HasSolveSet);
            Assert.AreEqual(4, RigData.FromBytes(ContainerWriter.Rig(rig), "plain.microexpr").SolveSet.Length);
            string[] bad = { "\"solve_set\":[\"target1\",\"grin\"],", "\"solve_set\":[],",
                             "\"solve_set\":[\"fix\"],\"combinations\":[{\"name\":\"fix\",\"drivers\":[\"target1\",\"target3\"],\"shapes\":[]}]," };
            foreach (string b in bad)
            {
                try
                {
                    RigData.FromBytes(ContainerWriter.Pack(Header(rig, b, "[]"), ContainerWriter.RigPayload(rig)), "bad.microexpr");
                    Assert.Fail("read " + b);
                }
                catch (MicroExprException e)
                {
                    Assert.AreEqual("solve_set", e.Field, b);
                    Assert.AreEqual("bad.microexpr", e.File);
                }
            }
        }

        [Test]
        public void TargetsOutsideTheSolveSetStayAtZero()
        {
            RigData full = Synthetic.Rig(6);
            RigData sub = With(full, new[] { 4, 0, 2 }, null, null, null);
            var only = new RigData("only", "cm", new[] { "target0", "target2", "target4" },
                                   Concat(Column(full, 0), Column(full, 2), Column(full, 4)), full.Neutral, full.Rigid,
                                   full.Reference, new[] { true, true, true });
            double[] w = { 0.3, 0.5, 0.2, 0.6, 0.4, 0.1 };
            double[] neutral = Synthetic.Frame(full, new double[6], 3, 0.2, 1.5);
            double[] frame = Synthetic.Frame(full, w, 3, 0.25, 1.5);
            var a = new FaceSolver(sub, 3, Compensation.Rigid, 1e-4, 0.0);
            var b = new FaceSolver(only, 3, Compensation.Rigid, 1e-4, 0.0);
            a.SetNeutral(neutral, null);
            b.SetNeutral(neutral, null);
            var wa = new double[6];
            var wb = new double[3];
            a.Solve(frame, null, wa);
            b.Solve(frame, null, wb);
            Assert.AreEqual(0.0, wa[1]);
            Assert.AreEqual(0.0, wa[3]);
            Assert.AreEqual(0.0, wa[5]);
            Assert.IsFalse(a.IsSolved(3));
            for (int k = 0; k < 3; k++) Assert.That(wa[2 * k], Is.EqualTo(wb[k]).Within(1e-12));
        }

        static double[] Concat(params double[][] parts)
        {
            var outp = new List<double>();
            foreach (double[] p in parts) outp.AddRange(p);
            return outp.ToArray();
        }

        [Test]
        public void TheSolverFollowsAnInBetween()
        {
            RigData full = Synthetic.Rig(4);
            double[] d0 = Column(full, 0), ib = Mix(0.2, d0, 0.3, Column(full, 1));
            RigData rig = With(full, null, null, null, new[] { new LandmarkFrame("target0", 0, -1, 0.5, ib) });
            // the mesh at target0 = 0.7 (past the in-between) and target2 = 0.3
            double a = (0.7 - 0.5) / 0.5;
            var points = new double[68 * 3];
            for (int i = 0; i < points.Length; i++)
                points[i] = full.Neutral[i] + ib[i] + a * (d0[i] - ib[i]) + 0.3 * full.Deltas[2 * 68 * 3 + i];
            var curved = new FaceSolver(rig, 3, Compensation.Raw, 1e-9);
            var linear = new FaceSolver(full, 3, Compensation.Raw, 1e-9);
            var wc = new double[4];
            var wl = new double[4];
            curved.SetNeutral(full.Neutral, null);
            linear.SetNeutral(full.Neutral, null);
            curved.Solve(points, null, wc);
            linear.Solve(points, null, wl);
            Assert.IsTrue(curved.Model.Nonlinear);
            Assert.Greater(curved.LastRefineSteps, 0);
            Assert.That(wc[0], Is.EqualTo(0.7).Within(1e-6));
            Assert.That(wc[2], Is.EqualTo(0.3).Within(1e-6));
            Assert.That(wc[1], Is.EqualTo(0.0).Within(1e-6));
            Assert.Greater(Math.Abs(wl[0] - 0.7) + Math.Abs(wl[1]), 0.01, "the linear model cannot follow the path");
        }

        [Test]
        public void CorrectivesAreWrittenAsTheProductOfTheirDrivers()
        {
            RigData syn = Synthetic.Rig(3);
            string[] names = { "jawOpen", "mouthSmile_L", "browDown_L" };
            var rig = new RigData("face", "cm", names, syn.Deltas, syn.Neutral, syn.Rigid, syn.Reference, syn.Observable,
                                  null, null, null, new[] { "jawOpen_mouthSmile_L", "browDown_L_x_fix" },
                                  new[] { new[] { 0, 1 }, new[] { 2, 1 } }, null);
            var d = new WeightDriver(names) { Source = DriverSource.PlayClip, Blend = DriverBlend.Override, Intensity = 0.5f };
            d.SetRenderers(new IList<string>[] { new[] { "jawOpen", "mouthSmile_L", "browDown_L", "blendShape1.jawOpen_mouthSmile_L" } });
            d.SetCombinations(rig);
            var clip = new ClipData { Fps = 10.0, Targets = names, Weights = new[] { 0.8, 0.5, 0.0 }, Valid = new[] { true } };
            d.SetClip(clip, "talk");
            d.Step(0.0, 0.0);
            Assert.That(d.CombinationWeights[0], Is.EqualTo(0.4).Within(1e-15));
            Assert.AreEqual(0.0, d.CombinationWeights[1]);
            var renderer = new FakeRenderer(4);
            d.Write(new IBlendShapeWeights[] { renderer });
            Assert.That(renderer.W[0], Is.EqualTo(40f).Within(1e-4f));
            Assert.That(renderer.W[3], Is.EqualTo(10f).Within(1e-4f), "(0.5 x 0.8) (0.5 x 0.5) x 100");
            var half = new WeightDriver(new[] { "jawOpen" });
            half.SetCombinations(rig);
            Assert.AreEqual(0, half.CombinationNames.Length);
            StringAssert.Contains("jawOpen_mouthSmile_L", half.Warnings[half.Warnings.Count - 1]);
        }
    }
}
