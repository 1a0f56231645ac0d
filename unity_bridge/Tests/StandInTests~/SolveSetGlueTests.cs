// A rig with a solve set, a corrective and a corrective landmark frame, imported through the
// stand-in asset pipeline: the rig asset keeps them (also after Unity's serialisation, copied
// field by field here), the driver solves only the solve set and writes the corrective as the
// product of its drivers, and a baked clip carries the corrective's curve.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Reflection;
using System.Text;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    [TestFixture]
    public class SolveSetGlueTests
    {
        const string Fix = "fix";
        static readonly string[] SolveSet = { "t02_shape", "t04_shape" };

        static string Numbers(double[] v, int from, int count)
        {
            var sb = new StringBuilder("[");
            for (int i = 0; i < count; i++)
            {
                if (i > 0) sb.Append(',');
                sb.Append(v[from + i].ToString("R", CultureInfo.InvariantCulture));
            }
            return sb.Append(']').ToString();
        }

        /// <summary>[n][68][3] as nested JSON arrays.</summary>
        static string Rows(double[] v, int n)
        {
            var parts = new List<string>();
            for (int k = 0; k < n; k++)
            {
                var pts = new List<string>();
                for (int l = 0; l < 68; l++) pts.Add(Numbers(v, (k * 68 + l) * 3, 3));
                parts.Add("[" + string.Join(",", pts.ToArray()) + "]");
            }
            return string.Join(",", parts.ToArray());
        }

        static string Quoted(IEnumerable<string> names)
        {
            var q = new List<string>();
            foreach (string n in names) q.Add("\"" + n + "\"");
            return "[" + string.Join(",", q.ToArray()) + "]";
        }

        /// <summary>The sample rig as bridge JSON (arrays inline), with a solve set, the corrective
        /// "fix" of t02 x t04 and its landmark frame at weight 1.</summary>
        static string RigJson(RigData rig, double[] fixDeltas)
        {
            const string shape = "{\"mesh\":\"skin\",\"frames\":[{\"indices\":[],\"deltas\":[]}]}";
            var targets = new List<string>();
            foreach (string n in rig.TargetNames) targets.Add("{\"name\":\"" + n + "\",\"shapes\":[" + shape + "]}");
            var rigid = new List<string>();
            foreach (int r in rig.Rigid) rigid.Add(r.ToString(CultureInfo.InvariantCulture));
            var points = new List<string>();
            for (int i = 0; i < 68; i++) points.Add("{\"vertex\":" + i + "}");
            return "{\"format\":\"microexpr.rig\",\"version\":3,\"name\":\"face\",\"units\":{\"length\":\"" + rig.LengthUnit +
                   "\"},\"meshes\":[{\"name\":\"skin\",\"fingerprint\":\"fp\",\"points\":" + Rows(rig.Neutral, 1) +
                   ",\"face_counts\":[3],\"face_indices\":[0,1,2]}],\"targets\":[" + string.Join(",", targets.ToArray()) + "]," +
                   "\"solve_set\":" + Quoted(SolveSet) + "," +
                   "\"combinations\":[{\"name\":\"" + Fix + "\",\"drivers\":" + Quoted(SolveSet) + ",\"shapes\":[" + shape + "]}]," +
                   "\"landmarks\":{\"mesh\":\"skin\",\"points\":[" + string.Join(",", points.ToArray()) + "]," +
                   "\"neutral\":" + Rows(rig.Neutral, 1) + ",\"rigid\":[" + string.Join(",", rigid.ToArray()) +
                   "],\"reference_points\":[27]},\"landmark_deltas\":{\"targets\":" + Quoted(rig.TargetNames) +
                   ",\"deltas\":[" + Rows(rig.Deltas, rig.TargetCount) + "]," +
                   "\"frames\":[{\"shape\":\"" + Fix + "\",\"weight\":1.0,\"deltas\":" + Rows(fixDeltas, 1) + "}]}}";
        }

        /// <summary>What Unity keeps of an asset: its serialised fields, copied to a new instance.</summary>
        static MicroExprRigAsset Reloaded(MicroExprRigAsset asset)
        {
            var copy = ScriptableObject.CreateInstance<MicroExprRigAsset>();
            foreach (FieldInfo f in typeof(MicroExprRigAsset).GetFields(BindingFlags.Instance | BindingFlags.NonPublic | BindingFlags.Public))
            {
                if (f.IsNotSerialized || (!f.IsPublic && f.GetCustomAttributes(typeof(SerializeField), false).Length == 0)) continue;
                Type t = f.FieldType;
                Assert.IsFalse(t.IsArray && t.GetElementType().IsArray, f.Name + ": Unity does not serialise jagged arrays");
                f.SetValue(copy, f.GetValue(asset));
            }
            copy.name = asset.name;
            return copy;
        }

        static double[] Landmarks(RigData rig, double[] w, double fix, double[] fixDeltas)
        {
            var pts = (double[])rig.Neutral.Clone();
            for (int i = 0; i < pts.Length; i++)
            {
                pts[i] += fix * fixDeltas[i];
                for (int t = 0; t < rig.TargetCount; t++) pts[i] += w[t] * rig.Deltas[t * 68 * 3 + i];
            }
            return pts;
        }

        static string Import(StandInProject p, out RigData sample, out double[] fixDeltas)
        {
            sample = RigData.Load(Path.Combine(StandInProject.SmokeData(), "face.microexpr"));
            fixDeltas = new double[68 * 3];
            for (int i = 0; i < fixDeltas.Length; i++) fixDeltas[i] = 0.3 * sample.Deltas[7 * 68 * 3 + i];
            var shapes = new List<string>(sample.TargetNames);
            shapes.Add(Fix);
            p.Write("Assets/Faces/face.microexpr", RigJson(sample, fixDeltas));
            p.Write("Assets/Faces/face.fbx", StandInProject.Model("Head/Face", "blendShape1.", shapes));
            p.CopySample("smile.microexpr", "Assets/Faces/smile.microexpr");
            AssetDatabase.Refresh();
            StandInProject.AssertNoErrors();
            return "Assets/Faces/face.microexpr";
        }

        [Test]
        public void TheRigAssetKeepsTheSolveSetCorrectivesAndFramesThroughSerialisation()
        {
            using (var p = new StandInProject())
            {
                RigData sample;
                double[] fixDeltas;
                string path = Import(p, out sample, out fixDeltas);
                var asset = AssetDatabase.LoadAssetAtPath<MicroExprRigAsset>(path);
                RigData rig = Reloaded(asset).ToRigData();
                Assert.IsTrue(rig.HasSolveSet);
                CollectionAssert.AreEqual(new[] { 2, 4 }, rig.SolveSet);
                CollectionAssert.AreEqual(new[] { Fix }, rig.CombinationNames);
                CollectionAssert.AreEqual(new[] { 2, 4 }, rig.CombinationDrivers[0]);
                Assert.AreEqual(1, rig.Frames.Length);
                Assert.AreEqual(0, rig.Frames[0].Combination);
                Assert.AreEqual(-1, rig.Frames[0].Target);
                Assert.AreEqual(1.0, rig.Frames[0].Weight);
                CollectionAssert.AreEqual(fixDeltas, rig.Frames[0].Deltas);
                CollectionAssert.AreEqual(sample.Deltas, rig.Deltas);
            }
        }

        [Test]
        public void AnImportedRigSolvesItsSolveSetAndDrivesTheCorrective()
        {
            using (var p = new StandInProject())
            {
                RigData sample;
                double[] fixDeltas;
                string path = Import(p, out sample, out fixDeltas);
                MicroExprRigAsset asset = Reloaded(AssetDatabase.LoadAssetAtPath<MicroExprRigAsset>(path));
                var model = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/Faces/face.fbx");
                var face = UnityEngine.Object.Instantiate(model);
                var smr = face.transform.Find("Head/Face").GetComponent<SkinnedMeshRenderer>();
                var tracker = face.AddComponent<TestTracker>();
                var driver = face.AddComponent<MicroExpressionDriver>();
                driver.rig = asset;
                driver.renderers = new[] { smr };
                driver.landmarkSource = tracker;
                driver.blend = MicroExpressionDriver.Blend.Override;
                // the face: the two solve-set targets, their corrective, and t07 (not in the solve set)
                var truth = new double[sample.TargetCount];
                truth[2] = 0.6;
                truth[4] = 0.5;
                truth[7] = 0.4;
                UnitySpace.PointsToUnity(Landmarks(sample, new double[sample.TargetCount], 0.0, fixDeltas), 68,
                                         sample.LengthUnit, tracker.Frame);
                driver.Setup();
                driver.UpdateFrame(0.03f, 0.0);
                UnitySpace.PointsToUnity(Landmarks(sample, truth, 0.6 * 0.5, fixDeltas), 68, sample.LengthUnit, tracker.Frame);
                driver.UpdateFrame(0.03f, 0.03);
                Mesh mesh = smr.sharedMesh;
                for (int t = 0; t < sample.TargetCount; t++)
                {
                    int s = mesh.GetBlendShapeIndex("blendShape1." + sample.TargetNames[t]);
                    if (t == 2 || t == 4) Assert.Greater(driver.Weights[t], 0.1, sample.TargetNames[t] + " is solved");
                    else
                    {
                        Assert.AreEqual(0.0, driver.Weights[t], sample.TargetNames[t] + " is not in the solve set");
                        Assert.AreEqual(0f, smr.GetBlendShapeWeight(s), sample.TargetNames[t]);
                    }
                }
                float fix = smr.GetBlendShapeWeight(mesh.GetBlendShapeIndex("blendShape1." + Fix));
                Assert.Greater(fix, 5f, "the corrective follows its drivers");
                Assert.AreEqual((float)(100.0 * driver.Weights[2] * driver.Weights[4]), fix, 1e-3);
                UnityEngine.Object.DestroyImmediate(face);
                StandInProject.AssertNoErrors();
                Assert.AreEqual(0, StandInProject.Logged(LogType.Warning).Count,
                                string.Join("\n", StandInProject.Logged(LogType.Warning).ToArray()));
            }
        }

        [Test]
        public void ABakedClipCarriesTheCorrectiveCurve()
        {
            using (var p = new StandInProject())
            {
                RigData sample;
                double[] fixDeltas;
                Import(p, out sample, out fixDeltas);
                AnimationClip anim = StandInProject.Baked("Assets/Faces/smile.microexpr");
                Assert.AreEqual(sample.TargetCount + 1, AnimationUtility.GetCurveBindings(anim).Length);
                AnimationCurve fix = AnimationUtility.GetEditorCurve(anim, EditorCurveBinding.FloatCurve(
                    "Head/Face", typeof(SkinnedMeshRenderer), "blendShape.blendShape1." + Fix));
                Assert.IsNotNull(fix, "the corrective's curve");
                ClipData clip = AssetDatabase.LoadAssetAtPath<MicroExprClipAsset>("Assets/Faces/smile.microexpr").ToClipData();
                Assert.AreEqual(clip.Frames, fix.length);
                int T = clip.TargetCount;
                for (int f = 0; f < clip.Frames; f++)
                    Assert.AreEqual(100.0 * clip.Weights[f * T + 2] * clip.Weights[f * T + 4], fix.Evaluate((float)(f / clip.Fps)),
                                    1e-3, "frame " + f);
                Assert.AreEqual(40f, fix.Evaluate(0.5f), 1e-3, "the peak: 0.8 x 0.5");
            }
        }
    }
}
