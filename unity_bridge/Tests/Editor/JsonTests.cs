using System;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class JsonTests
    {
        // the bits Python's float() gives for the same text
        [TestCase("0.1", 0x3FB999999999999AL)]
        [TestCase("0.30000000000000004", 0x3FD3333333333334L)]
        [TestCase("123456789012345678901234567890", 0x45F8EE90FF6C373EL)]
        [TestCase("1.7976931348623157e308", 0x7FEFFFFFFFFFFFFFL)]
        [TestCase("-0.0", unchecked((long)0x8000000000000000UL))]
        [TestCase("-2.5e3", unchecked((long)0xC0A3880000000000UL))]
        public void NumbersAreCorrectlyRounded(string text, long bits)
        {
            JsonValue v = Json.Parse("[" + text + "]");
            Assert.AreEqual(bits, BitConverter.DoubleToInt64Bits(v[0].AsDouble), text);
        }

        [Test]
        public void NestedArraysObjectsAndEscapes()
        {
            JsonValue v = Json.Parse("{\"a\": [[1, 2], [3, 4.5]], \"s\": \"caf\\u00e9\\n\\\"q\\\"\", \"t\": true, \"n\": null}");
            Assert.AreEqual(JsonKind.Object, v.Kind);
            Assert.AreEqual(4.5, v["a"][1][1].AsDouble);
            Assert.AreEqual("caf\u00e9\n\"q\"", v["s"].AsString);
            Assert.IsTrue(v["t"].AsBool);
            Assert.IsTrue(v["n"].IsNull);
            Assert.IsNull(v["missing"]);
            Assert.AreEqual("a", v.Keys[0]);
        }

        [TestCase("{\n  \"a\": [1, 2,, 3]\n}", "line 2")]
        [TestCase("{\"a\": 1, \"a\": 2}", "appears twice")]
        [TestCase("[1, 2", "ends inside an array")]
        [TestCase("[NaN]", "NaN")]
        [TestCase("", "empty")]
        [TestCase("{\"a\": 1} x", "after the JSON value")]
        public void BadJsonSaysWhereAndWhat(string text, string expected)
        {
            try
            {
                Json.Parse(text, "bad.microexpr");
                Assert.Fail("no error for " + text);
            }
            catch (MicroExprException e)
            {
                Assert.IsTrue(e.Message.Contains(expected), e.Message);
                Assert.IsTrue(e.Message.StartsWith("bad.microexpr: "), e.Message);
            }
        }

        [Test]
        public void RigFileErrorsNameTheField()
        {
            RigData one = Synthetic.Rig(1);
            string doc = ContainerWriter.RigDocument(one, ContainerWriter.InlinePoints, "[[[0, 0, 0]]]");
            string text = doc.Substring(0, doc.Length - 1) + "}";
            try
            {
                RigData.FromJson(text, "face.microexpr");
                Assert.Fail("a rig with one landmark was read");
            }
            catch (MicroExprException e)
            {
                Assert.AreEqual("landmark_deltas.deltas", e.Field);
            }
        }

        [TestCase("{\"format\": \"microexpr.rig\", \"version\": 4}", "newer")]
        [TestCase("{\"format\": \"microexpr.rig\", \"version\": 1}", "older")]
        [TestCase("{\"format\": \"microexpr.clip\", \"version\": 2}", "not a rig")]
        public void VersionsAndKinds(string text, string expected)
        {
            try
            {
                RigData.FromJson(text, "x.microexpr");
                Assert.Fail("read " + text);
            }
            catch (MicroExprException e)
            {
                Assert.IsTrue(e.Message.Contains(expected), e.Message);
            }
        }

        [Test]
        public void ClipEventsAreRead()
        {
            string text = "{\"format\":\"microexpr.clip\",\"version\":2,\"fps\":25,\"start_time\":0.5," +
                          "\"targets\":[\"a\",\"b\"],\"weights\":[[0,1],[0.5,0.25]],\"valid\":[true,false]," +
                          "\"hold_invalid\":true,\"events\":[{\"au\":\"12\",\"target\":\"b\",\"onset\":0.1," +
                          "\"apex\":0.2,\"offset\":0.5,\"peak_weight\":0.8,\"envelope\":\"smoothstep-asym\"," +
                          "\"params\":{\"hold\":0.05}}]}";
            ClipData c = ClipData.FromJson(text, "c.microexpr");
            Assert.AreEqual(2, c.Frames);
            Assert.AreEqual(0.25, c.Weights[3]);
            Assert.IsFalse(c.Valid[1]);
            Assert.IsTrue(c.HoldInvalid);
            Assert.AreEqual(0.05, c.Events[0].Hold);
            Assert.That(c.FrameTime(1), Is.EqualTo(0.54).Within(1e-15));
        }
    }
}
