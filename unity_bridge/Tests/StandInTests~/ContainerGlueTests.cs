// The importer on bridge v3 containers, through the stand-in asset pipeline: a rig whose payload
// sits in a .bin beside it imports, its import depends on the .bin (a changed .bin imports the
// rig again), and a broken container is an import error naming the file and the field.
using System.Collections.Generic;
using System.IO;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    [TestFixture]
    public class ContainerGlueTests
    {
        [Test]
        public void ARigWithItsPayloadBesideItImportsAndFollowsTheBin()
        {
            using (var p = new StandInProject())
            {
                p.CopySampleWithExternalPayload("face.microexpr", "Assets/Faces/face.microexpr", "face.bin");
                AssetDatabase.Refresh();
                StandInProject.AssertNoErrors();
                var asset = AssetDatabase.LoadAssetAtPath<MicroExprRigAsset>("Assets/Faces/face.microexpr");
                Assert.IsNotNull(asset, "the rig did not import");
                RigData rig = asset.ToRigData();
                RigData sample = RigData.Load(Path.Combine(StandInProject.SmokeData(), "face.microexpr"));
                CollectionAssert.AreEqual(sample.TargetNames, rig.TargetNames);
                CollectionAssert.AreEqual(sample.Deltas, rig.Deltas, "the landmark deltas come from face.bin");
                bool declared = false;
                foreach (StandInAssets.Dependency d in StandInAssets.ArtifactOf("Assets/Faces/face.microexpr").Dependencies)
                    declared |= !d.OnArtifact && d.Path == "Assets/Faces/face.bin";
                Assert.IsTrue(declared, "the rig's import depends on its .bin");

                // the .bin is cut short: the rig is imported again and the error names the buffer
                string bin = Path.Combine(p.Root, "Assets/Faces/face.bin");
                byte[] data = File.ReadAllBytes(bin);
                File.WriteAllBytes(bin, new List<byte>(data).GetRange(0, data.Length - 8).ToArray());
                AssetDatabase.Refresh();
                Assert.AreEqual(2, StandInProject.ImportCount("Assets/Faces/face.microexpr"));
                List<string> errors = StandInProject.Logged(LogType.Error);
                Assert.AreEqual(1, errors.Count, string.Join("\n", errors.ToArray()));
                StringAssert.StartsWith("Assets/Faces/face.microexpr: buffers[0].byteLength: declares ", errors[0]);
                StringAssert.Contains("(truncated payload)", errors[0]);
            }
        }

        [Test]
        public void ATruncatedContainerIsAnImportErrorNamingTheField()
        {
            using (var p = new StandInProject())
            {
                p.CopySample("smile.microexpr", "Assets/Clips/smile.microexpr");
                string full = Path.Combine(p.Root, "Assets/Clips/smile.microexpr");
                byte[] data = File.ReadAllBytes(full);
                File.WriteAllBytes(full, new List<byte>(data).GetRange(0, data.Length - 16).ToArray());
                AssetDatabase.Refresh();
                List<string> errors = StandInProject.Logged(LogType.Error);
                Assert.AreEqual(1, errors.Count, string.Join("\n", errors.ToArray()));
                StringAssert.StartsWith("Assets/Clips/smile.microexpr: header.length: the header says ", errors[0]);
                Assert.IsNull(AssetDatabase.LoadAssetAtPath<MicroExprClipAsset>("Assets/Clips/smile.microexpr"));
            }
        }
    }
}
