// The runtime reproduces the Python core's golden vectors (shared/golden) to 1e-9.
using System;
using System.IO;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class GoldenTests
    {
        static JsonValue Load(string dir, string name)
        {
            string path = Path.Combine(dir, name + ".json");
            Assert.IsTrue(File.Exists(path), "missing golden file " + path);
            JsonValue c = Json.Parse(File.ReadAllText(path), path);
            Assert.AreEqual("microexpr.golden", c["format"].AsString);
            return c;
        }

        [TestCase("solve_2d_raw")]
        [TestCase("solve_2d_reference")]
        [TestCase("solve_2d_rigid")]
        [TestCase("solve_3d_raw")]
        [TestCase("solve_3d_reference")]
        [TestCase("solve_3d_rigid")]
        [TestCase("solve_2d_rigid_mirrored")]
        [TestCase("solve_3d_rigid_mirrored")]
        [TestCase("solve_2d_rigid_temporal")]
        public void SolveMatchesPython(string name)
        {
            string dir = GoldenFiles.Require();
            JsonValue c = Load(dir, name);
            RigData rig = RigData.FromJson(File.ReadAllText(Path.Combine(dir, c["rig"].AsString)), c["rig"].AsString);
            int F = (int)c["frames"].AsDouble, k = (int)c["dims"].AsDouble, T = rig.TargetCount;
            string mode = c["mode"].AsString;
            Compensation comp = mode == "raw" ? Compensation.Raw : (mode == "reference" ? Compensation.Reference : Compensation.Rigid);
            double[] pts = BridgeFile.Numbers(c["points"], new[] { F, 68 * k }, name, "points", true);
            double[] conf = BridgeFile.Numbers(c["confidence"], new[] { F, 68 }, name, "confidence", false);
            double[] expected = BridgeFile.Numbers(c["expected"]["weights"], new[] { F, T }, name, "expected", false);
            var solver = new FaceSolver(rig, k, comp, c["reg"].AsDouble, c["temporal"].AsDouble, c["mirrored"].AsBool);
            var w = new double[F * T];
            var valid = new bool[F];
            solver.SolveSequence(pts, conf, F, (int)c["neutral_frame"].AsDouble, w, valid);
            double tol = c["tolerance"].AsDouble;
            double worst = 0.0;
            for (int i = 0; i < w.Length; i++) worst = Math.Max(worst, Math.Abs(w[i] - expected[i]));
            Assert.That(worst, Is.EqualTo(0.0).Within(tol), name + ": largest weight difference");
            for (int f = 0; f < F; f++)
                Assert.AreEqual(c["expected"]["valid"][f].AsBool, valid[f], name + ": validity of frame " + f);
        }

        [Test]
        public void ClipEventsMatchPython()
        {
            string dir = GoldenFiles.Require();
            JsonValue c = Load(dir, "clip_events");
            ClipData clip = ClipData.FromJson(c["clip"], "clip_events");
            int F = clip.Frames, T = clip.TargetCount;
            double[] expected = BridgeFile.Numbers(c["expected"]["weights"], new[] { F, T }, "clip_events", "expected", false);
            var player = new ClipPlayer(clip);
            var row = new double[T];
            for (int f = 0; f < F; f++)
            {
                player.EvaluateFrame(f, row);
                for (int t = 0; t < T; t++)
                    Assert.That(row[t], Is.EqualTo(expected[f * T + t]).Within(1e-12), "frame " + f + ", target " + clip.Targets[t]);
            }
            Assert.AreEqual(1, player.Layer.Unknown.Length, "the event on a target the clip lacks is reported");
        }
    }
}
