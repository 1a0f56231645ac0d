// The MicroExpressionDriver's per-frame rules (WeightDriver, plain C#): the three sources,
// holding on lost frames, the neutral, micro-expression layering, intensity and both blends,
// with a fake tracker and fake renderers in place of Unity's.
using System;
using System.Collections.Generic;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    /// <summary>A tracker that reports the frame it is given (or no face).</summary>
    public sealed class FakeTracker : ILandmarkSource
    {
        public double[] Points;
        public bool Face = true;
        public LandmarkSpace PointSpace = LandmarkSpace.Bridge;
        public int Dims = 2;
        public int Calls;

        public int Dimensions { get { return Dims; } }
        public LandmarkSpace Space { get { return PointSpace; } }

        public bool TryGetLandmarks(double[] points, double[] confidence)
        {
            Calls++;
            if (!Face) return false;
            Array.Copy(Points, points, Points.Length);
            for (int l = 0; l < 68; l++) confidence[l] = 1.0;
            return true;
        }
    }

    /// <summary>A renderer's weights in an array; "the Animator" writes by setting them.</summary>
    public sealed class FakeRenderer : IBlendShapeWeights
    {
        public readonly float[] W;
        public bool Gone;
        public FakeRenderer(int shapes) { W = new float[shapes]; }
        public bool Present { get { return !Gone; } }
        public float GetWeight(int shape) { return W[shape]; }
        public void SetWeight(int shape, float value) { W[shape] = value; }
    }

    [TestFixture]
    public class WeightDriverTests
    {
        static readonly string[] Targets = { "jawOpen", "mouthSmile_L", "browDown_L" };

        static ClipData Clip(string[] targets, double[] weights, double fps = 10.0)
        {
            int F = weights.Length / targets.Length;
            var valid = new bool[F];
            for (int f = 0; f < F; f++) valid[f] = true;
            return new ClipData { Fps = fps, Targets = targets, Weights = weights, Valid = valid };
        }

        static WeightDriver Driver(DriverSource source, params IList<string>[] renderers)
        {
            var d = new WeightDriver(Targets) { Source = source, Blend = DriverBlend.Override };
            d.SetRenderers(renderers.Length > 0 ? renderers : new IList<string>[] { Targets });
            return d;
        }

        [Test]
        public void PlayClipPlaysTheStoredWeightsAtTheClipTimeByName()
        {
            // the clip lists its targets in another order, and one the rig lacks
            var clip = Clip(new[] { "browDown_L", "extra", "jawOpen" }, new[] { 0.0, 1.0, 0.2, 1.0, 1.0, 0.6 });
            WeightDriver d = Driver(DriverSource.PlayClip);
            d.Speed = 2.0;
            d.SetClip(clip, "talk");
            StringAssert.Contains("talk has targets the rig lacks (ignored): extra", d.Warnings[d.Warnings.Count - 1]);
            d.Step(0.025, 0.0);                      // clip time 0.05 s: half way from frame 0 to 1
            Assert.That(d.ClipTime, Is.EqualTo(0.05).Within(1e-15));
            Assert.That(d.Weights[0], Is.EqualTo(0.4).Within(1e-12), "jawOpen");
            Assert.AreEqual(0.0, d.Weights[1], "a target the clip lacks stays 0");
            Assert.That(d.Weights[2], Is.EqualTo(0.5).Within(1e-12), "browDown_L");
            d.Loop = false;
            d.Step(10.0, 0.0);                       // past the end: held at the last frame
            Assert.That(d.Weights[0], Is.EqualTo(0.6).Within(1e-12));
        }

        [Test]
        public void MicroExpressionsAreLayeredOnlyOnceStartedAndNeverOnTheirOwnClip()
        {
            var micro = Clip(Targets, new double[3 * 3]);
            micro.Events = new[] { new MicroEvent { Target = "mouthSmile_L", Onset = 0, Apex = 1, Offset = 2, PeakWeight = 0.5 } };
            WeightDriver d = Driver(DriverSource.MicroOnly);
            d.SetMicro(micro, false, "smile");
            d.Step(0.1, 5.0);
            Assert.AreEqual(0.0, d.Weights[1], "not started yet");
            d.StartMicro(5.0);
            d.Step(0.1, 6.0);                        // 1 s after the start: the apex
            Assert.That(d.Weights[1], Is.EqualTo(0.5).Within(1e-15));
            // the same clip played: its events are in its weights already
            micro.Weights[1 * 3 + 1] = 0.25;
            WeightDriver p = Driver(DriverSource.PlayClip);
            p.SetClip(micro, "smile");
            p.SetMicro(micro, true, "smile");
            StringAssert.Contains("not layered again", p.Warnings[p.Warnings.Count - 1]);
            p.StartMicro(0.0);
            p.Step(0.1, 1.0);
            Assert.That(p.Weights[1], Is.EqualTo(0.25).Within(1e-12), "the stored weight, not 0.25 + 0.5");
        }

        [Test]
        public void OverrideWritesTimesOneHundredScaledByIntensity()
        {
            WeightDriver d = Driver(DriverSource.PlayClip, new[] { "blendShape1.mouthSmile_L", "blendShape1.jawOpen" });
            d.SetClip(Clip(Targets, new[] { 0.5, 0.25, 1.0 }), "c");
            d.Intensity = 0.5f;
            d.Step(0.0, 0.0);
            var r = new FakeRenderer(2);
            r.W[0] = 70f;                            // an Animator's value is replaced
            d.Write(new IBlendShapeWeights[] { r });
            Assert.AreEqual(12.5f, r.W[0], "mouthSmile_L found through the 'blendShape1.' prefix");
            Assert.AreEqual(25f, r.W[1]);
            StringAssert.Contains("1 of 3 targets have no blend shape on the renderers: browDown_L", d.Warnings[0]);
        }

        [Test]
        public void AdditiveSitsOnTheAnimatorAndDoesNotAccumulate()
        {
            WeightDriver d = Driver(DriverSource.PlayClip);
            d.Blend = DriverBlend.Additive;
            d.SetClip(Clip(Targets, new[] { 0.3, 0.0, 0.9 }), "c");
            var r = new FakeRenderer(3);
            var writers = new IBlendShapeWeights[] { r };
            r.W[0] = 20f;                            // the Animator wrote 20 this frame
            d.Step(0.0, 0.0);
            d.Write(writers);
            Assert.AreEqual(50f, r.W[0]);
            for (int frame = 0; frame < 3; frame++)  // nothing writes under us: the base stays 20
            {
                d.Step(0.0, 0.0);
                d.Write(writers);
                Assert.AreEqual(50f, r.W[0], "frame " + frame);
            }
            r.W[0] = 40f;                            // the Animator writes a new value
            r.W[2] = 60f;
            d.Step(0.0, 0.0);
            d.Write(writers);
            Assert.AreEqual(70f, r.W[0]);
            Assert.AreEqual(100f, r.W[2], "capped at 100");
        }

        [Test]
        public void GoneRenderersAreSkipped()
        {
            WeightDriver d = Driver(DriverSource.PlayClip, Targets, null);
            d.SetClip(Clip(Targets, new[] { 0.3, 0.1, 0.9 }), "c");
            d.Step(0.0, 0.0);
            var gone = new FakeRenderer(3) { Gone = true };
            d.Write(new IBlendShapeWeights[] { gone, null });
            Assert.AreEqual(0f, gone.W[0]);
            Assert.AreEqual(-1, d.ShapeIndex(1, 0), "a renderer without a mesh drives nothing");
        }

        static WeightDriver LiveDriver(RigData rig, FakeTracker tracker)
        {
            var d = new WeightDriver(rig.TargetNames) { Source = DriverSource.LiveLandmarks, Blend = DriverBlend.Override };
            d.SetLive(new FaceSolver(rig, tracker.Dims, Compensation.Rigid, 0.0), tracker);   // no ridge: exact recovery
            d.SetRenderers(new IList<string>[] { rig.TargetNames });
            return d;
        }

        [Test]
        public void LiveSolvesAfterTheNeutralAndHoldsWhenTheFaceIsLost()
        {
            RigData rig = Synthetic.Rig(6);
            var truth = new[] { 0.0, 0.6, 0.0, 0.3, 0.0, 0.0 };
            var tracker = new FakeTracker { Points = Synthetic.Frame(rig, new double[6], 2, 0.0, 1.5) };
            WeightDriver d = LiveDriver(rig, tracker);
            d.Step(0.03, 0.0);                       // first face: the neutral
            Assert.IsTrue(d.Calibrated);
            Assert.That(d.Weights[1], Is.EqualTo(0.0).Within(1e-9));
            tracker.Points = Synthetic.Frame(rig, truth, 2, 0.1, 1.5);
            d.Step(0.03, 0.0);
            Assert.That(d.Weights[1], Is.EqualTo(0.6).Within(1e-6));
            Assert.That(d.Weights[3], Is.EqualTo(0.3).Within(1e-6));
            tracker.Face = false;                    // lost: hold
            tracker.Points = Synthetic.Frame(rig, new double[6], 2, 0.0, 1.5);
            d.Step(0.03, 0.0);
            Assert.That(d.Weights[1], Is.EqualTo(0.6).Within(1e-6));
            tracker.Face = true;
            d.Recalibrate();                         // the neutral face becomes the new neutral
            tracker.Points = Synthetic.Frame(rig, truth, 2, 0.1, 1.5);
            d.Step(0.03, 0.0);
            Assert.That(d.Weights[1], Is.EqualTo(0.0).Within(1e-6), "a recalibrated frame is the neutral");
        }

        [Test]
        public void ImagePointsWithYDownAreFlippedBeforeSolving()
        {
            RigData rig = Synthetic.Rig(6);
            var truth = new[] { 0.0, 0.5, 0.0, 0.0, 0.2, 0.0 };
            double[] neutral = Synthetic.Frame(rig, new double[6], 2, 0.0, 1.5), smile = Synthetic.Frame(rig, truth, 2, 0.0, 1.5);
            foreach (double[] f in new[] { neutral, smile })
                for (int l = 0; l < 68; l++) f[l * 2 + 1] = -f[l * 2 + 1];   // as a y-down tracker reports them
            var tracker = new FakeTracker { Points = neutral, PointSpace = LandmarkSpace.ImagePixelsYDown };
            WeightDriver d = LiveDriver(rig, tracker);
            d.Step(0.03, 0.0);
            tracker.Points = smile;
            d.Step(0.03, 0.0);
            Assert.That(d.Weights[1], Is.EqualTo(0.5).Within(1e-6));
            Assert.That(d.Weights[4], Is.EqualTo(0.2).Within(1e-6));
        }

        [Test]
        public void AnUnusableNeutralIsReportedOnceAndNothingIsSolved()
        {
            RigData rig = Synthetic.Rig(4);
            double[] pts = Synthetic.Frame(rig, new double[4], 2, 0.0, 1.5);
            foreach (int l in rig.Rigid) { pts[l * 2] = double.NaN; pts[l * 2 + 1] = double.NaN; }
            var tracker = new FakeTracker { Points = pts };
            WeightDriver d = LiveDriver(rig, tracker);
            d.Warnings.Clear();
            d.Step(0.03, 0.0);
            d.Step(0.03, 0.0);
            Assert.IsFalse(d.Calibrated);
            Assert.AreEqual(1, d.Warnings.Count);
            StringAssert.Contains("rigid landmarks", d.Warnings[0]);
            tracker.Points = Synthetic.Frame(rig, new double[4], 2, 0.0, 1.5);
            d.Step(0.03, 0.0);
            Assert.IsTrue(d.Calibrated, "the next good frame becomes the neutral");
        }

        [Test]
        public void AFrameAllocatesNothing()
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            var probe = new double[64];
            if (GC.GetAllocatedBytesForCurrentThread() - before <= 0 || probe.Length == 0)
                Assert.Ignore("this runtime does not count allocations (GC.GetAllocatedBytesForCurrentThread)");
            RigData rig = Synthetic.Rig(8);
            var w = new double[8];
            w[2] = 0.4;
            var tracker = new FakeTracker { Points = Synthetic.Frame(rig, new double[8], 2, 0.0, 1.5) };
            WeightDriver d = LiveDriver(rig, tracker);
            d.Blend = DriverBlend.Additive;
            var micro = Clip(rig.TargetNames, new double[8]);
            micro.Events = new[] { new MicroEvent { Target = "target2", Onset = 0, Apex = 0.5, Offset = 1, PeakWeight = 0.3 } };
            d.SetMicro(micro, false, "m");
            d.StartMicro(0.0);
            var writers = new IBlendShapeWeights[] { new FakeRenderer(8) };
            d.Step(0.03, 0.0);
            tracker.Points = Synthetic.Frame(rig, w, 2, 0.05, 1.5);
            for (int f = 0; f < 50; f++) { d.Step(0.03, f * 0.03); d.Write(writers); }     // warm up (JIT)
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int f = 0; f < 1000; f++)
            {
                tracker.Face = f % 7 != 0;
                d.Step(0.03, f * 0.001);
                d.Write(writers);
            }
            long after = GC.GetAllocatedBytesForCurrentThread();
            Assert.AreEqual(0L, after - before, "bytes allocated by 1000 live frames");
            WeightDriver p = Driver(DriverSource.PlayClip);
            p.SetClip(Clip(Targets, new[] { 0.1, 0.2, 0.3, 0.4, 0.5, 0.6 }), "c");
            p.Step(0.01, 0.0);
            before = GC.GetAllocatedBytesForCurrentThread();
            for (int f = 0; f < 1000; f++) { p.Step(0.01, 0.0); p.Write(writers); }
            Assert.AreEqual(0L, GC.GetAllocatedBytesForCurrentThread() - before, "bytes allocated by 1000 clip frames");
        }
    }
}
