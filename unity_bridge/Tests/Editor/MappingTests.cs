using System.Collections.Generic;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class MappingTests
    {
        [Test]
        public void DccPrefixesAreTolerated()
        {
            var shapes = new List<string> { "blendShape1.jawOpen", "Face_blendShapes.eyeBlink_L", "MouthSmile_R", "browDown_L" };
            var missing = new List<string>();
            int[] map = BlendShapeMap.Build(new[] { "browDown_L", "jawOpen", "eyeBlink_L", "mouthSmile_R", "cheekPuff" }, shapes, missing);
            Assert.AreEqual(3, map[0]);
            Assert.AreEqual(0, map[1]);
            Assert.AreEqual(1, map[2]);
            Assert.AreEqual(2, map[3], "case differences are tolerated last");
            Assert.AreEqual(-1, map[4]);
            Assert.AreEqual(1, missing.Count);
            Assert.AreEqual("cheekPuff", missing[0]);
        }

        [Test]
        public void ExactNamesWinOverPrefixedOnes()
        {
            var shapes = new List<string> { "blendShape1.jawOpen", "jawOpen" };
            Assert.AreEqual(1, BlendShapeMap.Build(new[] { "jawOpen" }, shapes, null)[0]);
        }

        [Test]
        public void UnitySpaceToBridgeMirrorsXAndScalesUnits()
        {
            var p = new[] { 0.01, 0.02, -0.03 };
            var q = new double[3];
            UnitySpace.PointsToBridge(p, 1, "cm", q);
            Assert.That(q[0], Is.EqualTo(-1.0).Within(1e-12));
            Assert.That(q[1], Is.EqualTo(2.0).Within(1e-12));
            Assert.That(q[2], Is.EqualTo(-3.0).Within(1e-12));
            var back = new double[3];
            UnitySpace.PointsToUnity(q, 1, "cm", back);
            for (int i = 0; i < 3; i++) Assert.That(back[i], Is.EqualTo(p[i]).Within(1e-15));
            var img = new[] { 10.0, 20.0 };
            UnitySpace.ImageToBridge(img, 1, true, img);
            Assert.AreEqual(-20.0, img[1]);
        }

        [Test]
        public void MirrorTableIsAnInvolution()
        {
            for (int l = 0; l < 68; l++) Assert.AreEqual(l, Landmarks.Mirror[Landmarks.Mirror[l]]);
            Assert.AreEqual(45, Landmarks.Mirror[36]);
            Assert.AreEqual(27, Landmarks.Mirror[27]);
        }
    }
}
