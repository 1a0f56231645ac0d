// The plain C# rules behind the editor glue: which blend shape a baked curve animates
// (ClipBindings, the driver's BlendShapeMap rules) and which model pairs with which bridge file
// (ModelPairing), including which models must be re-imported after a batch of imports.
using System.Collections.Generic;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class PairingTests
    {
        [Test]
        public void BakedCurvesBindToTheModelsExactShapeNames()
        {
            // a Maya FBX: shapes come in as "<blendShape node>.<target>"
            var face = new RendererShapes("Head/Face", new[] { "blendShape1.jawOpen", "blendShape1.mouthSmile_L" });
            var teeth = new RendererShapes("Head/Teeth", new[] { "teeth_blendShape.jawOpen" });
            var unbound = new List<string>();
            CurveBinding[] b = ClipBindings.Resolve(new[] { "mouthSmile_L", "jawOpen", "cheekPuff" },
                                                    new List<RendererShapes> { face, teeth }, unbound);
            Assert.AreEqual(3, b.Length);
            Assert.AreEqual("Head/Face", b[0].Path);
            Assert.AreEqual("blendShape.blendShape1.mouthSmile_L", b[0].Property);
            Assert.AreEqual(0, b[0].Target);
            Assert.AreEqual("blendShape.blendShape1.jawOpen", b[1].Property);
            Assert.AreEqual(1, b[1].Target);
            Assert.AreEqual("Head/Teeth", b[2].Path, "every renderer with the shape gets a curve, as the driver writes them all");
            Assert.AreEqual("blendShape.teeth_blendShape.jawOpen", b[2].Property);
            CollectionAssert.AreEqual(new[] { "cheekPuff" }, unbound);
        }

        [Test]
        public void ExactAndCaseFoldedNamesFollowTheDriversRules()
        {
            var shapes = new RendererShapes("", new[] { "Face.MouthSmile_L", "jawOpen", "blendShape1.jawOpen" });
            CurveBinding[] b = ClipBindings.Resolve(new[] { "jawOpen", "mouthSmile_L" }, new List<RendererShapes> { shapes }, null);
            Assert.AreEqual("blendShape.jawOpen", b[0].Property, "an exact name wins over a prefixed one");
            Assert.AreEqual("blendShape.Face.MouthSmile_L", b[1].Property, "case differences are tolerated last");
            int[] driver = BlendShapeMap.Build(new[] { "jawOpen", "mouthSmile_L" }, shapes.ShapeNames, null);
            Assert.AreEqual("blendShape." + shapes.ShapeNames[driver[0]], b[0].Property);
            Assert.AreEqual("blendShape." + shapes.ShapeNames[driver[1]], b[1].Property);
        }

        [Test]
        public void WithoutAModelTheNamesAreAssumed()
        {
            CurveBinding[] b = ClipBindings.Assumed(new[] { "jawOpen" }, "Face", "blendShape1.");
            Assert.AreEqual("Face", b[0].Path);
            Assert.AreEqual("blendShape.blendShape1.jawOpen", b[0].Property);
            Assert.AreEqual("blendShape.jawOpen", ClipBindings.Assumed(new[] { "jawOpen" }, null, null)[0].Property);
        }

        static System.Func<string, bool> Files(params string[] files)
        {
            var set = new HashSet<string>(files);
            return set.Contains;
        }

        [Test]
        public void AModelPairsWithTheBridgeFileOfItsName()
        {
            CollectionAssert.AreEqual(new[] { "Assets/Faces/face.microexpr", "Assets/Faces/face.rig.microexpr" },
                                      ModelPairing.BridgeCandidates("Assets/Faces/face.fbx"));
            Assert.AreEqual("Assets/Faces/face.rig.microexpr",
                            ModelPairing.BridgeFileFor("Assets/Faces/face.fbx", Files("Assets/Faces/face.rig.microexpr")));
            Assert.IsNull(ModelPairing.BridgeFileFor("Assets/Faces/face.fbx", Files("Assets/face.microexpr")));
            Assert.AreEqual("Assets/Faces/face.FBX",
                            ModelPairing.ModelFor("Assets/Faces/face.rig.microexpr", Files("Assets/Faces/face.FBX")));
            Assert.IsNull(ModelPairing.ModelFor("Assets/Faces/smile.microexpr", Files("Assets/Faces/face.fbx")));
        }

        [Test]
        public void ModelsImportedWithTheirBridgeFileAreNotImportedAgain()
        {
            var exists = Files("Assets/a/face.fbx", "Assets/a/face.microexpr", "Assets/b/head.obj", "Assets/b/head.rig.microexpr");
            // the rig changed: Unity re-imported the model too (it depends on the rig)
            CollectionAssert.IsEmpty(ModelPairing.ModelsToReimport(new[] { "Assets/a/face.microexpr", "Assets/a/face.fbx" }, exists));
            // a bridge file beside a model imported before it: that model must be re-imported
            CollectionAssert.AreEqual(new[] { "Assets/b/head.obj" },
                                      ModelPairing.ModelsToReimport(new[] { "Assets/b/head.rig.microexpr", "Assets/x.png" }, exists));
        }

        [Test]
        public void TheOnePairedModelOfAFolderIsFound()
        {
            Assert.AreEqual("F/face.fbx", ModelPairing.PairedModelIn(new[] { "F/smile.microexpr", "F/face.fbx", "F/face.microexpr", "F/prop.fbx" }));
            Assert.IsNull(ModelPairing.PairedModelIn(new[] { "F/face.fbx", "F/smile.microexpr" }), "no rig beside it");
            Assert.IsNull(ModelPairing.PairedModelIn(new[] { "F/a.fbx", "F/a.microexpr", "F/b.fbx", "F/b.microexpr" }), "two: ambiguous");
        }

        [Test]
        public void ThePairingReportNamesWhatIsMissing()
        {
            RigData rig = Synthetic.Rig(3);
            PairingReport ok = PairingReport.For("A/face.fbx", "A/face.microexpr", rig,
                                                 new[] { "blendShape1.target0", "blendShape1.target1", "Target2" });
            Assert.IsTrue(ok.Complete);
            Assert.AreEqual("MicroExpr: A/face.fbx paired with A/face.microexpr: 3 of 3 targets found as blend shapes.", ok.Message);
            PairingReport part = PairingReport.For("A/face.fbx", "A/face.microexpr", rig, new[] { "target1" });
            Assert.AreEqual(1, part.Found);
            CollectionAssert.AreEqual(new[] { "target0", "target2" }, part.Missing);
            StringAssert.Contains("missing: target0, target2. Fix: export the model", part.Message);
            Assert.IsNull(PairingReport.FromBridgeText("A/face.fbx", "A/face.microexpr",
                                                       "{\"format\": \"microexpr.clip\"}", new string[0]), "a clip pairs with nothing");
        }
    }
}
