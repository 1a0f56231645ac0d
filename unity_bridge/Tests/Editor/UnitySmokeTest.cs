// The smoke test for the first person with a real Unity (Window > General > Test Runner >
// EditMode > MicroExpr.Tests.UnitySmokeTest): copies a face (FBX), its bridge rig and a clip
// from SmokeData~ into Assets/MicroExprSmokeTest, lets Unity import them, checks the pairing,
// the baked AnimationClip's bindings and one played frame, then deletes the folder. Compiled
// only inside Unity, and against the stand-in: there the fixture (category RealUnity) is not
// run, but SmokeRun's checks are, on a stand-in model (Tests/StandInTests~/DriverGlueTests.cs).
#if UNITY_5_3_OR_NEWER
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.Tests
{
    [TestFixture]
    [Category(UnitySmokeTest.Category)]
    public class UnitySmokeTest
    {
        /// <summary>Needs a real Unity (its FBX importer): excluded from the stand-in run.</summary>
        public const string Category = "RealUnity";

        [Test]
        public void ImportsAFaceAndAClipThenPlaysOneFrame()
        {
            string data = SmokeRun.DataFolder();
            if (data == null) Assert.Ignore("SmokeData~ not found beside the tests (a package without its test data)");
            Debug.Log(SmokeRun.Run(data, SmokeRun.ProjectFolder));
        }
    }

    public static class SmokeRun
    {
        public const string ProjectFolder = "Assets/MicroExprSmokeTest";
        public static readonly string[] Files = { "face.fbx", "face.microexpr", "smile.microexpr" };

        /// <summary>SmokeData~ beside this source file, or in the installed package; null if absent.</summary>
        public static string DataFolder([CallerFilePath] string here = "")
        {
            var candidates = new List<string>();
            if (!string.IsNullOrEmpty(here)) candidates.Add(Path.Combine(Path.GetDirectoryName(here), "SmokeData~"));
            candidates.Add(Path.GetFullPath("Packages/com.microexpr.bridge/Tests/Editor/SmokeData~"));
            foreach (string c in candidates)
                if (File.Exists(Path.Combine(c, "face.microexpr"))) return c;
            return null;
        }

        /// <summary>Copies the sample into <paramref name="folder"/> (below Assets), imports it,
        /// checks it and plays a frame; deletes the folder again. Returns what it saw.</summary>
        public static string Run(string dataFolder, string folder)
        {
            Directory.CreateDirectory(folder);
            try
            {
                foreach (string f in Files) File.Copy(Path.Combine(dataFolder, f), Path.Combine(folder, f), true);
                AssetDatabase.Refresh();
                return Check(folder);
            }
            finally
            {
                AssetDatabase.DeleteAsset(folder);
            }
        }

        static string Check(string folder)
        {
            string modelPath = folder + "/face.fbx", rigPath = folder + "/face.microexpr", clipPath = folder + "/smile.microexpr";
            var model = AssetDatabase.LoadAssetAtPath<GameObject>(modelPath);
            var rig = AssetDatabase.LoadAssetAtPath<MicroExprRigAsset>(rigPath);
            var clip = AssetDatabase.LoadAssetAtPath<MicroExprClipAsset>(clipPath);
            Assert.IsNotNull(model, modelPath + " did not import as a model");
            Assert.IsNotNull(rig, rigPath + " did not import as a rig asset (see the Console)");
            Assert.IsNotNull(clip, clipPath + " did not import as a clip asset (see the Console)");
            AnimationClip anim = null;
            foreach (Object o in AssetDatabase.LoadAllAssetsAtPath(clipPath))
                if (o is AnimationClip) anim = (AnimationClip)o;
            Assert.IsNotNull(anim, "no baked AnimationClip inside " + clipPath);

            // pairing: every rig target is a blend shape of the model (prefixes tolerated)
            var names = new List<string>();
            SkinnedMeshRenderer[] renderers = model.GetComponentsInChildren<SkinnedMeshRenderer>(true);
            foreach (SkinnedMeshRenderer smr in renderers)
                for (int s = 0; s < smr.sharedMesh.blendShapeCount; s++) names.Add(smr.sharedMesh.GetBlendShapeName(s));
            Assert.IsTrue(names.Count > 0, modelPath + " has no blend shapes (Import BlendShapes off?)");
            RigData rigData = rig.ToRigData();
            PairingReport report = PairingReport.For(modelPath, rigPath, rigData, names);
            Assert.IsTrue(report.Complete, report.Message);

            // baking: every curve animates a shape the mesh at its path really has, every target has one
            ClipData clipData = clip.ToClipData();
            var bound = new HashSet<string>();
            EditorCurveBinding[] bindings = AnimationUtility.GetCurveBindings(anim);
            foreach (EditorCurveBinding b in bindings)
            {
                Transform t = b.path == "" ? model.transform : model.transform.Find(b.path);
                Assert.IsNotNull(t, "a curve's path '" + b.path + "' is not in the model");
                SkinnedMeshRenderer smr = t.GetComponent<SkinnedMeshRenderer>();
                Assert.IsNotNull(smr, "no SkinnedMeshRenderer at '" + b.path + "'");
                Assert.IsTrue(b.propertyName.StartsWith(ClipBindings.PropertyPrefix), b.propertyName);
                string shape = b.propertyName.Substring(ClipBindings.PropertyPrefix.Length);
                Assert.IsTrue(smr.sharedMesh.GetBlendShapeIndex(shape) >= 0,
                              "the curve '" + b.propertyName + "' names no blend shape of '" + b.path + "' (unbound)");
                bound.Add(BlendShapeMap.StripPrefix(shape));
            }
            foreach (string target in clipData.Targets)
                Assert.IsTrue(bound.Contains(target), "no curve animates the target " + target);

            // one frame: the driver plays the clip onto an instance of the model
            GameObject face = Object.Instantiate(model);
            try
            {
                return report.Message + " Baked " + bindings.Length + " curves (e.g. '" + bindings[0].propertyName +
                       "'). " + PlayOneFrame(face, rig, clip, clipData);
            }
            finally
            {
                Object.DestroyImmediate(face);
            }
        }

        static string PlayOneFrame(GameObject face, MicroExprRigAsset rig, MicroExprClipAsset clip, ClipData clipData)
        {
            var driver = face.AddComponent<MicroExpressionDriver>();
            driver.rig = rig;
            driver.renderers = face.GetComponentsInChildren<SkinnedMeshRenderer>(true);
            driver.source = MicroExpressionDriver.Source.PlayClip;
            driver.clip = clip;
            driver.loop = false;
            driver.blend = MicroExpressionDriver.Blend.Override;
            driver.intensity = 1f;
            driver.Setup();
            float dt = (float)(15.0 / clipData.Fps);                      // the clip's frame 15
            driver.UpdateFrame(dt, 0.0);
            var expected = new double[clipData.TargetCount];
            new ClipPlayer(clipData).Evaluate(clipData.StartTime + dt, false, expected);
            string[] targets = rig.ToRigData().TargetNames;
            double shown = 0.0;
            string sample = "";
            foreach (SkinnedMeshRenderer smr in driver.renderers)
            {
                var names = new List<string>();
                for (int s = 0; s < smr.sharedMesh.blendShapeCount; s++) names.Add(smr.sharedMesh.GetBlendShapeName(s));
                int[] map = BlendShapeMap.Build(targets, names, null);
                for (int t = 0; t < targets.Length; t++)
                {
                    if (map[t] < 0) continue;
                    int c = System.Array.IndexOf(clipData.Targets, targets[t]);
                    double want = c >= 0 ? expected[c] * 100.0 : 0.0;
                    float got = smr.GetBlendShapeWeight(map[t]);
                    Assert.AreEqual(want, got, 1e-3, "weight of " + names[map[t]] + " after one frame");
                    if (got > shown) { shown = got; sample = names[map[t]] + " = " + got.ToString("0.0"); }
                }
            }
            Assert.IsTrue(shown > 0.0, "the frame shows nothing");
            return "One frame played (" + sample + ").";
        }
    }
}
#endif
