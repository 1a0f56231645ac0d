// OpenSeeFace packets (OpenSeeFacePacket.cs) built here field by field from the layout of
// OpenSeeFace's facetracker.py, decoded into the 68 iBUG points.
using System;
using System.IO;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    [TestFixture]
    public class OpenSeeFacePacketTests
    {
        // OpenSeeFace landmark j sits at column 100 + j, row 200 + 2 j, with confidence 0.5 + j / 200
        static byte[] Face(double time, float width = 640f, float height = 480f, int badConf = -1,
                           int nanPoint = -1, int faces = 1)
        {
            var mem = new MemoryStream();
            var w = new BinaryWriter(mem);                 // little-endian, as facetracker.py on x86
            for (int f = 0; f < faces; f++)
            {
                w.Write(time + f);                          // f64 time
                w.Write(f);                                 // i32 face id
                w.Write(width);
                w.Write(height);
                w.Write(0.9f);
                w.Write(0.8f);                              // eyes open, right and left
                w.Write((byte)1);                           // 3-D fit succeeded
                w.Write(0.01f);                             // PnP error
                for (int i = 0; i < 4 + 3 + 3; i++) w.Write(0.25f);   // quaternion, euler, translation
                for (int j = 0; j < 68; j++) w.Write(j == badConf ? 1.5f : 0.5f + j / 200f);
                for (int j = 0; j < 68; j++)
                {
                    w.Write(j == nanPoint ? float.NaN : 100f + j + 1000f * f);   // column (x)
                    w.Write(200f + 2f * j);                                      // row (y down)
                }
                for (int i = 0; i < 70 * 3; i++) w.Write(-1f);                   // 3-D points
                for (int i = 0; i < 14; i++) w.Write(0.1f);                      // features
            }
            return mem.ToArray();
        }

        static bool Decode(byte[] data, double[] p, double[] c, out LivePacketHeader h, out LivePacketProblem problem)
        {
            return OpenSeeFacePacket.TryDecode(data, data.Length, p, c, out h, out problem);
        }

        [Test]
        public void AFaceDecodesIntoTheIbugPoints()
        {
            byte[] data = Face(1700000000.25);
            Assert.AreEqual(1785, data.Length);
            Assert.AreEqual(1785, OpenSeeFacePacket.FaceSize);
            var p = new double[136];
            var c = new double[68];
            LivePacketHeader h;
            LivePacketProblem problem;
            Assert.IsTrue(Decode(data, p, c, out h, out problem), problem.ToString());
            Assert.AreEqual(1700000000.25, h.Timestamp);
            Assert.IsTrue(h.Valid);
            Assert.AreEqual(2, h.Dims);
            Assert.AreEqual(0, h.WeightCount);
            // the table of OpenSeeFacePacket.cs, written out
            var want = new int[68];
            for (int i = 0; i < 68; i++)
            {
                if (i < 48) want[i] = i;                   // jaw, brows, nose, eyes
                else if (i == 48 || i == 54) want[i] = -1;  // outer mouth corners: none
                else if (i < 54) want[i] = i - 1;           // upper outer lip
                else want[i] = i - 2;                       // lower outer lip, inner lip
            }
            for (int i = 0; i < 68; i++)
            {
                int j = want[i];
                Assert.AreEqual(j, OpenSeeFacePacket.SourceOf(i), "iBUG " + i);
                if (j < 0)
                {
                    Assert.IsTrue(double.IsNaN(p[2 * i]) && double.IsNaN(p[2 * i + 1]), "iBUG " + i + " is missing");
                    Assert.AreEqual(0.0, c[i]);
                    continue;
                }
                Assert.AreEqual(100.0 + j, p[2 * i], "x of iBUG " + i);
                Assert.AreEqual(200.0 + 2 * j, p[2 * i + 1], "y of iBUG " + i);
                Assert.AreEqual((double)(0.5f + j / 200f), c[i]);
            }
            Assert.AreEqual(58, OpenSeeFacePacket.SourceOf(60));  // the inner mouth corners
            Assert.AreEqual(62, OpenSeeFacePacket.SourceOf(64));
            Assert.AreEqual(65, OpenSeeFacePacket.SourceOf(67));
            Assert.AreEqual(-1, OpenSeeFacePacket.SourceOf(68));
        }

        [Test]
        public void TheFirstOfSeveralFacesIsRead()
        {
            var p = new double[136];
            var c = new double[68];
            LivePacketHeader h;
            LivePacketProblem problem;
            Assert.IsTrue(Decode(Face(5.0, faces: 3), p, c, out h, out problem));
            Assert.AreEqual(5.0, h.Timestamp);
            Assert.AreEqual(100.0, p[0]);
        }

        [Test]
        public void AMissingPointHasNoConfidenceAndBadPacketsAreNamed()
        {
            var p = new double[136];
            var c = new double[68];
            LivePacketHeader h;
            LivePacketProblem problem;
            Assert.IsTrue(Decode(Face(1.0, nanPoint: 10), p, c, out h, out problem));
            Assert.IsTrue(double.IsNaN(p[20]) && double.IsNaN(p[21]));
            Assert.AreEqual(0.0, c[10]);
            Assert.IsTrue(Decode(Face(1.0, badConf: 66), p, c, out h, out problem), "pupils are not read");
            byte[] good = Face(1.0);
            var cases = new[]
            {
                Tuple.Create(new byte[0], LivePacketProblem.Size),
                Tuple.Create(Slice(good, 1784), LivePacketProblem.Size),
                Tuple.Create(Slice(Face(1.0, faces: 2), 1785 + 10), LivePacketProblem.Size),
                Tuple.Create(Face(double.NaN), LivePacketProblem.Timestamp),
                Tuple.Create(Face(double.PositiveInfinity), LivePacketProblem.Timestamp),
                Tuple.Create(Face(1.0, width: 0f), LivePacketProblem.ImageSize),
                Tuple.Create(Face(1.0, height: float.NaN), LivePacketProblem.ImageSize),
                Tuple.Create(Face(1.0, badConf: 3), LivePacketProblem.Confidence),
            };
            foreach (var k in cases)
            {
                Assert.IsFalse(Decode(k.Item1, p, c, out h, out problem), k.Item2.ToString());
                Assert.AreEqual(k.Item2, problem);
            }
            Assert.IsFalse(OpenSeeFacePacket.TryDecode(null, 0, p, c, out h, out problem));
            Assert.IsFalse(OpenSeeFacePacket.TryDecode(good, good.Length, new double[10], c, out h, out problem));
            Assert.IsFalse(OpenSeeFacePacket.TryDecode(good, good.Length + 1, p, c, out h, out problem));
            var rng = new Random(3);
            for (int n = 0; n < 300; n++)                     // random bytes never throw
            {
                var junk = new byte[n % 2 == 0 ? 1785 : rng.Next(0, 4000)];
                rng.NextBytes(junk);
                Decode(junk, p, c, out h, out problem);
            }
        }

        static byte[] Slice(byte[] b, int n)
        {
            var s = new byte[n];
            Array.Copy(b, s, n);
            return s;
        }
    }
}
