// FbxPairing (the model postprocessor) run through the stand-in asset pipeline, which keeps an
// import result until the file or a declared dependency changes, as Unity's Asset Database
// does: the pairing report must follow a changed rig, and a rig added beside an imported model
// must pair it.
using System.Collections.Generic;
using System.IO;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    [TestFixture]
    public class PairingGlueTests
    {
        static string Last(List<string> reports)
        {
            Assert.IsTrue(reports.Count > 0, "no pairing report");
            return reports[reports.Count - 1];
        }

        [Test]
        public void ThePairingReportFollowsAChangedRig()
        {
            using (var p = new StandInProject())
            {
                string[] targets = StandInProject.SampleTargets();
                p.Write("Assets/Faces/face.fbx", StandInProject.Model("Face", "blendShape1.", targets));
                p.CopySample("face.microexpr", "Assets/Faces/face.microexpr");
                AssetDatabase.Refresh();
                Assert.AreEqual("MicroExpr: Assets/Faces/face.fbx paired with Assets/Faces/face.microexpr: 10 of 10 " +
                                "targets found as blend shapes.", Last(StandInProject.PairingReports()));
                // the rig is exported again with a renamed target: the model is re-imported with it
                p.Rename("Assets/Faces/face.microexpr", "t09_shape", "t09_other");
                AssetDatabase.Refresh();
                StringAssert.StartsWith("MicroExpr: Assets/Faces/face.fbx paired with Assets/Faces/face.microexpr: 9 of 10 " +
                                        "targets found as blend shapes; missing: t09_other.", Last(StandInProject.PairingReports()));
                Assert.AreEqual(2, StandInProject.ImportCount("Assets/Faces/face.fbx"), "imported once more, not twice");
                bool declared = false;
                foreach (StandInAssets.Dependency d in StandInAssets.ArtifactOf("Assets/Faces/face.fbx").Dependencies)
                    declared |= !d.OnArtifact && d.Path == "Assets/Faces/face.microexpr";
                Assert.IsTrue(declared, "the model's import depends on its bridge file");
            }
        }

        [Test]
        public void ARigAddedBesideAnImportedModelPairsIt()
        {
            using (var p = new StandInProject())
            {
                string[] targets = StandInProject.SampleTargets();
                p.Write("Assets/Heads/head.fbx", StandInProject.Model("Face", "blendShape1.", targets));
                AssetDatabase.Refresh();
                Assert.AreEqual(0, StandInProject.PairingReports().Count);
                p.CopySample("face.microexpr", "Assets/Heads/head.rig.microexpr");
                AssetDatabase.Refresh();
                StringAssert.Contains("Assets/Heads/head.fbx paired with Assets/Heads/head.rig.microexpr: 10 of 10",
                                      Last(StandInProject.PairingReports()));
                Assert.AreEqual(2, StandInProject.ImportCount("Assets/Heads/head.fbx"));
            }
        }

        [Test]
        public void BlendShapesAreSwitchedOnForAPairedModelOnly()
        {
            using (var p = new StandInProject())
            {
                string[] targets = StandInProject.SampleTargets();
                p.Write("Assets/A/face.fbx", StandInProject.Model("Face", "", targets));
                p.CopySample("face.microexpr", "Assets/A/face.microexpr");
                p.Write("Assets/B/prop.fbx", StandInProject.Model("Lid", "", new[] { "open" }));
                ((ModelImporter)AssetImporter.GetAtPath("Assets/A/face.fbx")).importBlendShapes = false;
                ((ModelImporter)AssetImporter.GetAtPath("Assets/B/prop.fbx")).importBlendShapes = false;
                AssetDatabase.Refresh();
                var face = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/A/face.fbx");
                Assert.AreEqual(targets.Length, face.GetComponentsInChildren<SkinnedMeshRenderer>(true)[0].sharedMesh.blendShapeCount);
                Assert.IsTrue(((ModelImporter)AssetImporter.GetAtPath("Assets/A/face.fbx")).importBlendShapes);
                var prop = AssetDatabase.LoadAssetAtPath<GameObject>("Assets/B/prop.fbx");
                Assert.AreEqual(0, prop.GetComponentsInChildren<SkinnedMeshRenderer>(true)[0].sharedMesh.blendShapeCount,
                                "a model without a rig keeps its settings");
            }
        }

        [Test]
        public void AModelWithoutTheRigsShapesIsReportedAsAWarning()
        {
            using (var p = new StandInProject())
            {
                p.Write("Assets/face.fbx", StandInProject.Model("Face", "", new[] { "t00_shape", "t01_shape" }));
                p.CopySample("face.microexpr", "Assets/face.microexpr");
                AssetDatabase.Refresh();
                List<string> warnings = StandInProject.Logged(LogType.Warning);
                StringAssert.Contains("2 of 10 targets found as blend shapes; missing: t02_shape", warnings[warnings.Count - 1]);
                StringAssert.Contains("Fix: export the model with the rig's blend shapes", warnings[warnings.Count - 1]);
            }
        }
    }
}
