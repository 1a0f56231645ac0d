// MicroExpressionDriver (the MonoBehaviour) on the stand-in: a tracker component feeding live
// landmarks in Unity's space, the driver's warnings reaching the Console, and the smoke test of
// Tests/Editor run on a stand-in model (the stand-in cannot read the sample's binary FBX).
using System.IO;
using MicroExpr.Runtime;
using MicroExpr.Tests;
using MicroExpr.Unity;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    /// <summary>A face tracker component reporting 3-D points in Unity's space (metres).</summary>
    public sealed class TestTracker : MonoBehaviour, ILandmarkSource
    {
        public double[] Frame = new double[68 * 3];
        public int Dimensions { get { return 3; } }
        public LandmarkSpace Space { get { return LandmarkSpace.UnityMetres; } }

        public bool TryGetLandmarks(double[] points, double[] confidence)
        {
            System.Array.Copy(Frame, points, Frame.Length);
            for (int l = 0; l < 68; l++) confidence[l] = 1.0;
            return true;
        }
    }

    [TestFixture]
    public class DriverGlueTests
    {
        static RigData SampleRig()
        {
            return RigData.Load(Path.Combine(StandInProject.SmokeData(), "face.microexpr"));
        }

        /// <summary>The rig's landmarks for weights w, in bridge space.</summary>
        static double[] Landmarks(RigData rig, double[] w)
        {
            var pts = (double[])rig.Neutral.Clone();
            for (int l = 0; l < 68; l++)
                for (int k = 0; k < 3; k++)
                    for (int t = 0; t < rig.TargetCount; t++) pts[l * 3 + k] += w[t] * rig.Delta(l, k, t);
            return pts;
        }

        [Test]
        public void LiveLandmarksFromATrackerComponentDriveTheBlendShapes()
        {
            RigData rig = SampleRig();
            GameObject face;
            SkinnedMeshRenderer smr;
            TestTracker tracker;
            MicroExpressionDriver driver = TrackedFace(rig, out face, out smr, out tracker);
            driver.compensation = Compensation.Rigid;
            var truth = new double[rig.TargetCount];
            truth[2] = 0.6;
            truth[4] = 0.3;
            double[] neutral = Landmarks(rig, new double[rig.TargetCount]), smile = Landmarks(rig, truth);
            UnitySpace.PointsToUnity(neutral, 68, rig.LengthUnit, tracker.Frame);
            driver.Setup();
            driver.UpdateFrame(0.03f, 0.0);
            Assert.IsTrue(driver.Calibrated);
            UnitySpace.PointsToUnity(smile, 68, rig.LengthUnit, tracker.Frame);
            driver.UpdateFrame(0.03f, 0.03);
            // the same solve done directly on the bridge-space points
            var solver = new FaceSolver(rig, 3, Compensation.Rigid, driver.regularisation, driver.temporal);
            solver.SetNeutral(neutral, null);
            var want = new double[rig.TargetCount];
            solver.Solve(smile, null, want);
            Assert.That(want[2], Is.EqualTo(0.6).Within(0.05), "the solve sees the smile");
            for (int t = 0; t < rig.TargetCount; t++)
            {
                Assert.That(driver.Weights[t], Is.EqualTo(want[t]).Within(1e-9), rig.TargetNames[t]);
                Assert.AreEqual((float)want[t] * 100f, smr.GetBlendShapeWeight(t), 1e-3);
            }
            Object.DestroyImmediate(face);
        }

        /// <summary>A face with a one-vertex skin holding the rig's targets as blendShape1.*,
        /// a tracker component and a driver overriding the skin's weights from it.</summary>
        static MicroExpressionDriver TrackedFace(RigData rig, out GameObject face,
                                                 out SkinnedMeshRenderer smr, out TestTracker tracker)
        {
            face = new GameObject("face");
            var skin = new GameObject("Skin");
            skin.transform.SetParent(face.transform);
            smr = skin.AddComponent<SkinnedMeshRenderer>();
            var mesh = new Mesh();
            mesh.vertices = new Vector3[1];
            foreach (string t in rig.TargetNames) mesh.AddBlendShapeFrame("blendShape1." + t, 100f, new Vector3[1], null, null);
            smr.sharedMesh = mesh;
            tracker = face.AddComponent<TestTracker>();
            var driver = face.AddComponent<MicroExpressionDriver>();
            driver.rig = MicroExprRigAsset.Create(rig);
            driver.renderers = new[] { smr };
            driver.landmarkSource = tracker;
            driver.blend = MicroExpressionDriver.Blend.Override;
            return driver;
        }

        static string Repeat(string value, int n)
        {
            var items = new string[n];
            for (int i = 0; i < n; i++) items[i] = value;
            return string.Join(",", items);
        }

        /// <summary>A performer file for the rig's own face (3-D tracks, no smoothing).</summary>
        static string PerformerJson(RigData rig, bool withDims)
        {
            var inv = System.Globalization.CultureInfo.InvariantCulture;
            var pts = new string[68];
            for (int l = 0; l < 68; l++)
                pts[l] = "[" + rig.Neutral[l * 3].ToString("R", inv) + "," + rig.Neutral[l * 3 + 1].ToString("R", inv) + "," +
                         rig.Neutral[l * 3 + 2].ToString("R", inv) + "]";
            string ones = Repeat("1.0", 68);
            return "{\"format\": \"microexpr.performer\", \"version\": 1," + (withDims ? " \"dims\": 3," : "") +
                   " \"fps\": 30.0, \"neutral\": [" + string.Join(",", pts) + "], \"gains\": [" + ones + "]," +
                   " \"noise\": 0.01, \"pose_filter\": {\"alpha\": [" + Repeat("1.0", 12) +
                   "], \"beta\": [" + Repeat("0.0", 12) + "]}, \"camera\": \"similarity\"," +
                   " \"calibration\": {\"frames\": [0, 1], \"residual\": 0.0}}";
        }

        [Test]
        public void APerformerFileDrivesTheBlendShapesWithoutANeutralFrame()
        {
            using (new StandInProject())
            {
                RigData rig = SampleRig();
                GameObject face;
                SkinnedMeshRenderer smr;
                TestTracker tracker;
                MicroExpressionDriver driver = TrackedFace(rig, out face, out smr, out tracker);
                driver.performer = new TextAsset(PerformerJson(rig, true)) { name = "performer" };
                var truth = new double[rig.TargetCount];
                truth[2] = 0.6;
                double[] smile = Landmarks(rig, truth);
                UnitySpace.PointsToUnity(smile, 68, rig.LengthUnit, tracker.Frame);
                driver.Setup();
                driver.UpdateFrame(0.03f, 0.0);                      // the first face: no neutral needed
                Assert.IsTrue(driver.Calibrated);
                // the Inspector's 0.2 and 3 are the defaults of the Python tools, exactly
                var solver = new PerformerSolver(rig, Performer.FromJson(PerformerJson(rig, true)), 3, 0.0,
                                                 PerformerSolver.DefaultPrior, PerformerSolver.DefaultSpeed);
                var want = new double[rig.TargetCount];
                solver.Step(smile, null, want);
                Assert.That(want[2], Is.GreaterThan(0.4), "the solve sees the smile");
                for (int t = 0; t < rig.TargetCount; t++)
                {
                    Assert.That(driver.Weights[t], Is.EqualTo(want[t]).Within(1e-9), rig.TargetNames[t]);
                    Assert.AreEqual((float)want[t] * 100f, smr.GetBlendShapeWeight(t), 1e-3);
                }
                // a bad performer file is reported on the Console, naming the field
                driver.performer = new TextAsset(PerformerJson(rig, false)) { name = "performer" };
                driver.Setup();
                driver.UpdateFrame(0.03f, 0.03);
                Assert.IsTrue(StandInProject.Logged(LogType.Warning).Exists(m => m.Contains("performer: dims: missing")),
                              string.Join("\n", StandInProject.Logged(LogType.Warning).ToArray()));
                Assert.IsFalse(driver.Calibrated);
                Object.DestroyImmediate(face);
            }
        }

        [Test]
        public void TheDriversWarningsReachTheConsole()
        {
            using (new StandInProject())
            {
                var face = new GameObject("face");
                var driver = face.AddComponent<MicroExpressionDriver>();
                driver.source = MicroExpressionDriver.Source.LiveLandmarks;
                driver.Setup();
                driver.UpdateFrame(0.03f, 0.0);
                CollectionAssert.Contains(StandInProject.Logged(LogType.Warning), "MicroExpr: live landmarks need a rig asset.");
                Assert.AreEqual(0, driver.Weights.Length, "no targets without a rig or a clip");
            }
        }

        [Test]
        public void TheUnitySmokeTestPassesOnAStandInModel()
        {
            using (var p = new StandInProject())
            {
                // the sample's rig and clip, and a stand-in model in place of its binary FBX
                string data = Path.Combine(p.Root, "sample");
                Directory.CreateDirectory(data);
                foreach (string f in new[] { "face.microexpr", "smile.microexpr" })
                    File.Copy(Path.Combine(StandInProject.SmokeData(), f), Path.Combine(data, f));
                File.WriteAllText(Path.Combine(data, "face.fbx"),
                                  StandInProject.Model("Head/Face", "blendShape1.", StandInProject.SampleTargets()));
                string report = SmokeRun.Run(data, SmokeRun.ProjectFolder);
                StringAssert.Contains("10 of 10 targets found as blend shapes.", report);
                StringAssert.Contains("One frame played (blendShape1.t02_shape = 80.0)", report);
                Assert.IsFalse(Directory.Exists(Path.Combine(p.Root, SmokeRun.ProjectFolder)), "the test cleans up");
                StandInProject.AssertNoErrors();
            }
        }
    }
}
