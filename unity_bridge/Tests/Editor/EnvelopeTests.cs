using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class EnvelopeTests
    {
        // onset 1, apex 2, offset 4, hold 0.5: rise 1-2, plateau 2-2.5, fall 2.5-4
        [TestCase(0.5, 0.0)]
        [TestCase(1.0, 0.0)]
        [TestCase(1.5, 0.5)]
        [TestCase(1.25, 0.15625)]
        [TestCase(2.0, 1.0)]
        [TestCase(2.5, 1.0)]
        [TestCase(3.25, 0.5)]
        [TestCase(4.0, 0.0)]
        [TestCase(9.0, 0.0)]
        public void SmoothstepRiseHoldFall(double t, double expected)
        {
            Assert.That(Envelope.Value(t, 1.0, 2.0, 4.0, 0.5), Is.EqualTo(expected).Within(1e-15));
        }

        [Test]
        public void HoldNeverPassesTheOffset()
        {
            // as Python's envelope(): the plateau ends at the offset, inclusive
            Assert.AreEqual(1.0, Envelope.Value(3.9, 1.0, 2.0, 4.0, 10.0));
            Assert.AreEqual(1.0, Envelope.Value(4.0, 1.0, 2.0, 4.0, 10.0));
            Assert.AreEqual(0.0, Envelope.Value(4.01, 1.0, 2.0, 4.0, 10.0));
        }

        [Test]
        public void EventsAddAndClamp()
        {
            var events = new[]
            {
                new MicroEvent { Target = "a", Onset = 0, Apex = 1, Offset = 2, PeakWeight = 0.7 },
                new MicroEvent { Target = "a", Onset = 0, Apex = 1, Offset = 2, PeakWeight = 0.6 },
                new MicroEvent { Target = "zz", Onset = 0, Apex = 1, Offset = 2, PeakWeight = 1.0 },
            };
            var layer = new MicroLayer(events, new[] { "a", "b" });
            var sum = new double[2];
            layer.EventWeights(1.0, sum);
            Assert.That(sum[0], Is.EqualTo(1.3).Within(1e-12));
            Assert.AreEqual(0.0, sum[1]);
            var outW = new double[2];
            layer.Layer(new[] { 0.2, -0.5 }, 1.0, outW);
            Assert.AreEqual(1.0, outW[0]);
            Assert.AreEqual(0.0, outW[1]);
            Assert.AreEqual(1, layer.Unknown.Length);
            Assert.AreEqual("zz", layer.Unknown[0]);
        }

        [Test]
        public void InvalidFramesHoldWhenTheClipSaysSo()
        {
            var clip = new ClipData
            {
                Fps = 10, Targets = new[] { "a" }, Weights = new[] { 0.1, 0.9, 0.2, 0.4 },
                Valid = new[] { true, false, false, true }, HoldInvalid = true,
            };
            var row = new double[1];
            var player = new ClipPlayer(clip);
            player.EvaluateFrame(2, row);
            Assert.AreEqual(0.1, row[0]);
            clip.HoldInvalid = false;
            new ClipPlayer(clip).EvaluateFrame(2, row);
            Assert.AreEqual(0.2, row[0]);
        }

        [Test]
        public void PlayerPlaysBakedWeightsWithoutAddingEvents()
        {
            // a clip made on a neutral: its weights are its events layered onto zeros
            var events = new[] { new MicroEvent { Target = "a", Onset = 0.0, Apex = 0.2, Offset = 0.4, PeakWeight = 0.6 } };
            var clip = new ClipData { Fps = 10, Targets = new[] { "a" }, Events = events, Valid = new bool[5], Weights = new double[5] };
            var micro = new MicroLayer(events, clip.Targets);
            var row = new double[1];
            for (int f = 0; f < 5; f++)
            {
                clip.Valid[f] = true;
                micro.Layer(new[] { 0.0 }, clip.FrameTime(f), row);
                clip.Weights[f] = row[0];
            }
            Assert.AreEqual(0.6, clip.Weights[2]);                        // the apex
            var player = new ClipPlayer(clip);
            for (int f = 0; f < 5; f++)
            {
                player.EvaluateFrame(f, row);
                Assert.AreEqual(clip.Weights[f], row[0], "frame " + f + ": the events are not added twice");
                player.Evaluate(clip.FrameTime(f), false, row);
                Assert.That(row[0], Is.EqualTo(clip.Weights[f]).Within(1e-12), "time of frame " + f);
            }
        }

        [Test]
        public void PlaybackInterpolatesBetweenFrames()
        {
            var clip = new ClipData
            {
                Fps = 10, StartTime = 1.0, Targets = new[] { "a" }, Weights = new[] { 0.0, 1.0, 0.5 },
                Valid = new[] { true, true, true },
            };
            var player = new ClipPlayer(clip);
            var row = new double[1];
            player.Evaluate(1.05, false, row);
            Assert.That(row[0], Is.EqualTo(0.5).Within(1e-12));
            player.Evaluate(5.0, false, row);
            Assert.That(row[0], Is.EqualTo(0.5).Within(1e-12));
            player.Evaluate(1.25, true, row);               // wraps from the last frame to the first
            Assert.That(row[0], Is.EqualTo(0.25).Within(1e-12));
        }
    }
}
