using System;
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

        static ClipData BlockClip()
        {
            // 3 targets, 23 frames at 30 fps from 0.5 s; invalid runs at the start, the middle and the end
            const int F = 23, T = 3;
            var clip = new ClipData
            {
                Fps = 30, StartTime = 0.5, Targets = new[] { "a", "b", "c" }, Weights = new double[F * T],
                Valid = new bool[F], HoldInvalid = true,
                Events = new[]
                {
                    new MicroEvent { Target = "a", Onset = 0.55, Apex = 0.6, Offset = 0.8, PeakWeight = 0.7, Hold = 0.02 },
                    new MicroEvent { Target = "c", Onset = 0.7, Apex = 0.75, Offset = 1.1, PeakWeight = 0.9 },
                    new MicroEvent { Target = "zz", Onset = 0.5, Apex = 0.6, Offset = 1.0, PeakWeight = 1.0 },
                },
            };
            for (int i = 0; i < F * T; i++) clip.Weights[i] = ((i * 37) % 101) / 100.0;
            for (int f = 0; f < F; f++) clip.Valid[f] = !(f < 2 || (f >= 9 && f < 13) || f == 16 || f >= 21);
            return clip;
        }

        [TestCase(true)]
        [TestCase(false)]
        public void EvaluateFramesGivesWhatEvaluateFrameGives(bool hold)
        {
            ClipData clip = BlockClip();
            clip.HoldInvalid = hold;
            int F = clip.Frames, T = clip.TargetCount;
            var player = new ClipPlayer(clip);
            var row = new double[T];
            foreach (int[] block in new[] { new[] { 0, F }, new[] { 0, 1 }, new[] { 7, 9 }, new[] { 20, 3 }, new[] { 5, 0 } })
            {
                int first = block[0], count = block[1];
                var into = new double[count * T + 2];
                into[count * T] = into[count * T + 1] = -7.0;
                player.EvaluateFrames(first, count, into);
                for (int i = 0; i < count; i++)
                {
                    player.EvaluateFrame(first + i, row);
                    for (int t = 0; t < T; t++) Assert.AreEqual(row[t], into[i * T + t], "frame " + (first + i) + ", target " + t);
                }
                Assert.AreEqual(-7.0, into[count * T], "nothing written past count rows");
                Assert.AreEqual(-7.0, into[count * T + 1]);
            }
            var all = new double[F * T];
            player.EvaluateFrames(0, F, all);
            Assert.AreEqual(hold ? clip.Weights[8 * T + 1] : clip.Weights[10 * T + 1], all[10 * T + 1], "frame 10 holds frame 8");
            Assert.AreEqual(clip.Weights[0], all[0], "before the first valid frame: its own weights");
        }

        [Test]
        public void LayerFramesGivesWhatLayerGivesAtTheFrameTimes()
        {
            ClipData clip = BlockClip();
            int F = clip.Frames, T = clip.TargetCount;
            var micro = new MicroLayer(clip.Events, clip.Targets);
            var baseRow = new double[T];
            var row = new double[T];
            var zeros = new double[F * T];
            var onZeros = new double[F * T];
            var onBase = new double[F * T];
            micro.LayerFrames(clip, 0, F, null, onZeros);
            micro.LayerFrames(clip, 0, F, clip.Weights, onBase);
            var inPlace = (double[])clip.Weights.Clone();
            micro.LayerFrames(clip, 0, F, inPlace, inPlace);
            var part = new double[6 * T];
            micro.LayerFrames(clip, 4, 6, zeros, part);
            for (int f = 0; f < F; f++)
            {
                micro.Layer(baseRow, clip.FrameTime(f), row);
                for (int t = 0; t < T; t++) Assert.AreEqual(row[t], onZeros[f * T + t], "on zeros, frame " + f);
                if (f >= 4 && f < 10)
                    for (int t = 0; t < T; t++) Assert.AreEqual(row[t], part[(f - 4) * T + t], "frames 4-9, frame " + f);
                Array.Copy(clip.Weights, f * T, baseRow, 0, T);
                micro.Layer(baseRow, clip.FrameTime(f), row);
                for (int t = 0; t < T; t++)
                {
                    Assert.AreEqual(row[t], onBase[f * T + t], "on the weights, frame " + f);
                    Assert.AreEqual(row[t], inPlace[f * T + t], "in place, frame " + f);
                }
                Array.Clear(baseRow, 0, T);
            }
            Assert.That(onZeros[6 * T], Is.GreaterThan(0.1), "an event shows");
        }

        [Test]
        public void BlockMethodsRefuseFramesOutsideTheClipAndShortArrays()
        {
            ClipData clip = BlockClip();
            int F = clip.Frames, T = clip.TargetCount;
            var player = new ClipPlayer(clip);
            var micro = new MicroLayer(clip.Events, clip.Targets);
            var buf = new double[(F + 1) * T];
            Assert.Throws<ArgumentOutOfRangeException>(() => player.EvaluateFrames(F - 2, 3, buf));
            Assert.Throws<ArgumentOutOfRangeException>(() => player.EvaluateFrames(-1, 2, buf));
            Assert.Throws<ArgumentException>(() => player.EvaluateFrames(0, 4, new double[4 * T - 1]));
            Assert.Throws<ArgumentOutOfRangeException>(() => micro.LayerFrames(clip, F, 1, null, buf));
            Assert.Throws<ArgumentException>(() => micro.LayerFrames(clip, 0, 4, new double[3 * T], buf));
            Assert.Throws<ArgumentException>(() => micro.LayerFrames(clip, 0, 4, null, new double[3 * T]));
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
