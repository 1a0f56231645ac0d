// The corrective rule shared by the runtime driver and the clip baker: a combination is active
// at the product of its drivers' weights, mapped onto a target list by name; baked rows and
// curve bindings put the correctives after the clip's targets.
using System.Collections.Generic;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class CorrectivesTests
    {
        /// <summary>Synthetic 4-target rig with the correctives "fix13" (target1 x target3) and
        /// "fix012" (target0 x target1 x target2).</summary>
        static RigData Rig()
        {
            RigData r = Synthetic.Rig(4);
            return new RigData(r.Name, r.LengthUnit, r.TargetNames, r.Deltas, r.Neutral, r.Rigid, r.Reference,
                               r.Observable, null, null, null, new[] { "fix13", "fix012" },
                               new[] { new[] { 1, 3 }, new[] { 0, 1, 2 } }, null);
        }

        [Test]
        public void ACorrectiveIsTheProductOfItsDriversMatchedByName()
        {
            // the clip lists the targets in another order, and lacks target0
            var c = new Correctives(new[] { "target3", "target2", "target1" }, Rig());
            CollectionAssert.AreEqual(new[] { "fix13" }, c.Names);
            CollectionAssert.AreEqual(new[] { "fix012" }, c.Skipped);
            CollectionAssert.AreEqual(new[] { 2, 0 }, c.Drivers[0]);
            var row = new[] { 0.5, 0.9, 0.8, -1.0 };
            c.Evaluate(row, row, 3);
            Assert.AreEqual(0.8 * 0.5, row[3], 1e-15);
            Assert.AreEqual(0.0, Correctives.Product(new[] { 0.0, 0.7 }, new[] { 0, 1 }));
            Assert.AreEqual(0, new Correctives(new[] { "target1" }, null).Count, "no rig: no correctives");
        }

        [Test]
        public void BakedBindingsPutTheCorrectivesAfterTheTargets()
        {
            string[] targets = { "target0", "target1", "target2", "target3" };
            var c = new Correctives(targets, Rig());
            var shapes = new List<RendererShapes>
            {
                new RendererShapes("Head/Face", new[] { "bs.target0", "bs.target1", "bs.target2", "bs.target3", "bs.fix012" }),
            };
            var unbound = new List<string>();
            CurveBinding[] b = ClipBindings.WithCorrectives(targets, c, shapes, unbound, null, null);
            Assert.AreEqual(5, b.Length, "fix13 has no blend shape: no curve");
            Assert.AreEqual("blendShape.bs.fix012", b[4].Property);
            Assert.AreEqual(4 + 1, b[4].Target, "the second corrective, after the 4 targets");
            Assert.AreEqual(0, unbound.Count, "a corrective without a shape is not an unbound target");
            CurveBinding[] assumed = ClipBindings.WithCorrectives(targets, c, null, null, "Face", "p.");
            Assert.AreEqual("blendShape.p.fix13", assumed[4].Property);
            Assert.AreEqual(4, assumed[4].Target);
            Assert.AreEqual("Face", assumed[5].Path);
            var row = new[] { 0.5, 0.4, 0.2, 0.9, double.NaN, double.NaN };
            ClipBindings.BakedRow(row, 4, c);
            Assert.AreEqual(0.4 * 0.9, row[4], 1e-15);
            Assert.AreEqual(0.5 * 0.4 * 0.2, row[5], 1e-15);
        }
    }
}
