// The .microexpr importer and the clip baker, run through the stand-in asset pipeline on the
// sample files: curves bound to the model's real blend-shape names (a Maya FBX's
// "blendShape1.<target>"), re-baked when the model changes or arrives later, the prefix
// settings when there is no model.
using System.Collections.Generic;
using MicroExpr.EditorTools;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    [TestFixture]
    public class BakeGlueTests
    {
        static void AssertBoundTo(string clipPath, GameObject model, string path, string prefix, string[] targets)
        {
            EditorCurveBinding[] bindings = AnimationUtility.GetCurveBindings(StandInProject.Baked(clipPath));
            Assert.AreEqual(targets.Length, bindings.Length);
            Mesh mesh = model.transform.Find(path).GetComponent<SkinnedMeshRenderer>().sharedMesh;
            for (int t = 0; t < targets.Length; t++)
            {
                string shape = bindings[t].propertyName.Substring("blendShape.".Length);
                Assert.IsTrue(mesh.GetBlendShapeIndex(shape) >= 0, "the curve '" + bindings[t].propertyName +
                              "' names no blend shape of the model: Unity would leave it unbound");
                Assert.AreEqual("blendShape." + prefix + targets[t], bindings[t].propertyName);
                Assert.AreEqual(path, bindings[t].path);
                Assert.AreEqual(typeof(SkinnedMeshRenderer), bindings[t].type);
            }
        }

        [Test]
        public void ABakedClipAnimatesTheBlendShapesOfAMayaFbx()
        {
            using (var p = new StandInProject())
            {
                string[] targets = StandInProject.SampleTargets();
                p.Write("Assets/Faces/face.fbx", StandInProject.Model("Head/Face", "blendShape1.", targets));
                p.CopySample("face.microexpr", "Assets/Faces/face.microexpr");
                p.CopySample("smile.microexpr", "Assets/Faces/smile.microexpr");
                AssetDatabase.Refresh();
                StandInProject.AssertNoErrors();
                var model = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/Faces/face.fbx");
                AssertBoundTo("Assets/Faces/smile.microexpr", model, "Head/Face", "blendShape1.", targets);
                // the values: x100, linear between the stored frames
                AnimationClip anim = StandInProject.Baked("Assets/Faces/smile.microexpr");
                AnimationCurve smile = AnimationUtility.GetEditorCurve(anim, EditorCurveBinding.FloatCurve(
                    "Head/Face", typeof(SkinnedMeshRenderer), "blendShape.blendShape1.t02_shape"));
                ClipData clip = AssetDatabase.LoadAssetAtPath<MicroExprClipAsset>("Assets/Faces/smile.microexpr").ToClipData();
                Assert.AreEqual(30f, anim.frameRate);
                Assert.AreEqual(clip.Frames, smile.length);
                Assert.AreEqual(80f, smile.Evaluate(0.5f), 1e-3, "the peak, frame 15");
                double w15 = clip.Weights[15 * clip.TargetCount + 2], w16 = clip.Weights[16 * clip.TargetCount + 2];
                Assert.AreEqual(50.0 * (w15 + w16), smile.Evaluate(15.5f / 30f), 1e-3, "half way between frames 15 and 16");
            }
        }

        [Test]
        public void TheClipIsBakedAgainWhenItsModelChangesOrArrivesLater()
        {
            using (var p = new StandInProject())
            {
                string[] targets = StandInProject.SampleTargets();
                // "zface" sorts after "smile": the clip is imported before its model exists
                p.CopySample("face.microexpr", "Assets/F/zface.microexpr");
                p.CopySample("smile.microexpr", "Assets/F/smile.microexpr");
                p.Write("Assets/F/zface.fbx", StandInProject.Model("Face", "blendShape1.", targets));
                AssetDatabase.Refresh();
                Assert.AreEqual(2, StandInProject.ImportCount("Assets/F/smile.microexpr"), "baked again once the model was imported");
                var model = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/F/zface.fbx");
                AssertBoundTo("Assets/F/smile.microexpr", model, "Face", "blendShape1.", targets);
                // the model is exported again with other shape names: the clip follows
                p.Write("Assets/F/zface.fbx", StandInProject.Model("Face", "zface_blendShape.", targets));
                AssetDatabase.Refresh();
                model = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/F/zface.fbx");
                AssertBoundTo("Assets/F/smile.microexpr", model, "Face", "zface_blendShape.", targets);
                StandInProject.AssertNoErrors();
            }
        }

        [Test]
        public void WithoutAModelThePrefixSettingsAreUsedAndTheModelFieldWins()
        {
            using (var p = new StandInProject())
            {
                string[] targets = StandInProject.SampleTargets();
                p.CopySample("smile.microexpr", "Assets/Clips/smile.microexpr");
                AssetDatabase.Refresh();
                EditorCurveBinding[] b = AnimationUtility.GetCurveBindings(StandInProject.Baked("Assets/Clips/smile.microexpr"));
                Assert.AreEqual("", b[0].path);
                Assert.AreEqual("blendShape." + targets[0], b[0].propertyName);
                var importer = (MicroExprImporter)AssetImporter.GetAtPath("Assets/Clips/smile.microexpr");
                importer.rendererPath = "Face";
                importer.blendShapePrefix = "blendShape1.";
                importer.SaveAndReimport();
                b = AnimationUtility.GetCurveBindings(StandInProject.Baked("Assets/Clips/smile.microexpr"));
                Assert.AreEqual("Face", b[0].path);
                Assert.AreEqual("blendShape.blendShape1." + targets[0], b[0].propertyName);
                // a model elsewhere, named in the Model field; it lacks one target
                var some = new List<string>(targets);
                some.Remove("t09_shape");
                p.Write("Assets/Models/head.fbx", StandInProject.Model("Geo/Skin", "head_blendShape.", some));
                AssetDatabase.Refresh();
                importer.model = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/Models/head.fbx");
                importer.SaveAndReimport();
                b = AnimationUtility.GetCurveBindings(StandInProject.Baked("Assets/Clips/smile.microexpr"));
                Assert.AreEqual(targets.Length - 1, b.Length);
                Assert.AreEqual("Geo/Skin", b[0].path);
                Assert.AreEqual("blendShape.head_blendShape." + targets[0], b[0].propertyName);
                List<string> warnings = StandInProject.Logged(LogType.Warning);
                StringAssert.Contains("1 of 10 targets are not blend shapes of Assets/Models/head.fbx", warnings[warnings.Count - 1]);
                StringAssert.Contains("t09_shape", warnings[warnings.Count - 1]);
            }
        }

        [Test]
        public void ABrokenBridgeFileIsAnImportErrorNamingTheField()
        {
            using (var p = new StandInProject())
            {
                p.Write("Assets/bad.microexpr", "{\"format\": \"microexpr.clip\", \"version\": 2, \"fps\": -1}");
                AssetDatabase.Refresh();
                List<string> errors = StandInProject.Logged(LogType.Error);
                Assert.AreEqual(1, errors.Count);
                StringAssert.Contains("Assets/bad.microexpr: fps:", errors[0]);
                Assert.IsNull(AssetDatabase.LoadAssetAtPath<MicroExprClipAsset>("Assets/bad.microexpr"));
            }
        }
    }
}
