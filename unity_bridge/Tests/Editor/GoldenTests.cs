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
            RigData rig = RigData.Load(Path.Combine(dir, c["rig"].AsString));    // v2 JSON: still read
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

        // A clip's weights already hold its events: the player plays them as stored (held over
        // invalid frames), and MicroLayer puts the events on a base (zeros, or the stored base).
        [TestCase("clip_events")]
        [TestCase("clip_layered")]
        public void ClipPlaybackAndEventsMatchPython(string name)
        {
            string dir = GoldenFiles.Require();
            JsonValue c = Load(dir, name);
            ClipData clip = ClipData.FromJson(c["clip"], name);
            int F = clip.Frames, T = clip.TargetCount;
            double[] expected = BridgeFile.Numbers(c["expected"]["weights"], new[] { F, T }, name, "expected", false);
            double[] layered = BridgeFile.Numbers(c["expected"]["layered"], new[] { F, T }, name, "layered", false);
            bool onZeros = c["base"] == null || c["base"].Kind == JsonKind.Null;
            double[] baseW = onZeros ? new double[F * T] : BridgeFile.Numbers(c["base"], new[] { F, T }, name, "base", false);
            var player = new ClipPlayer(clip);
            var micro = new MicroLayer(clip.Events, clip.Targets);
            var row = new double[T];
            var baseRow = new double[T];
            for (int f = 0; f < F; f++)
            {
                player.EvaluateFrame(f, row);
                for (int t = 0; t < T; t++)
                    Assert.That(row[t], Is.EqualTo(expected[f * T + t]).Within(1e-12), name + ": played frame " + f + ", target " + clip.Targets[t]);
                Array.Copy(baseW, f * T, baseRow, 0, T);
                micro.Layer(baseRow, clip.FrameTime(f), row);
                for (int t = 0; t < T; t++)
                {
                    Assert.That(row[t], Is.EqualTo(layered[f * T + t]).Within(1e-12), name + ": layered frame " + f + ", target " + clip.Targets[t]);
                    if (onZeros)    // made on a neutral: the events alone give back the stored weights
                        Assert.That(row[t], Is.EqualTo(clip.Weights[f * T + t]).Within(1e-12), name + ": events on zeros, frame " + f);
                }
            }
            Assert.AreEqual(1, micro.Unknown.Length, "the event on a target the clip lacks is reported");
        }
    }
}
