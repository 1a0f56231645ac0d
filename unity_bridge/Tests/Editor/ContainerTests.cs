// The .microexpr container reader: rigs and clips read bit for bit from the payload, an
// external .bin beside the file, and malformed files refused with the field the Python reader
// names. The containers are written here by a small test-side writer of the same layout.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;
using MicroExpr.Runtime;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    /// <summary>Writes containers for the tests: preamble, a space-padded JSON chunk, a BIN chunk.</summary>
    public static class ContainerWriter
    {
        public static byte[] Pack(string header, byte[] payload)
        {
            var outp = new List<byte>();
            byte[] text = Encoding.UTF8.GetBytes(header);
            var json = new List<byte>(text);
            while (json.Count % 8 != 0) json.Add((byte)' ');
            AddChunk(outp, "JSON", json.ToArray());
            if (payload != null && payload.Length > 0) AddChunk(outp, "BIN\0", payload);
            var all = new List<byte>(Encoding.ASCII.GetBytes("MXPR"));
            all.AddRange(Le(1u));
            all.AddRange(Le((ulong)(16 + outp.Count)));
            all.AddRange(outp);
            return all.ToArray();
        }

        static void AddChunk(List<byte> outp, string kind, byte[] data)
        {
            outp.AddRange(Le((ulong)data.Length));
            outp.AddRange(Encoding.ASCII.GetBytes(kind));
            outp.AddRange(new byte[4]);
            outp.AddRange(data);
        }

        public static byte[] Le(uint v) { return new[] { (byte)v, (byte)(v >> 8), (byte)(v >> 16), (byte)(v >> 24) }; }

        public static byte[] Le(ulong v)
        {
            var b = new byte[8];
            for (int i = 0; i < 8; i++) b[i] = (byte)(v >> (8 * i));
            return b;
        }

        public static byte[] Doubles(double[] v)
        {
            var b = new List<byte>();
            foreach (double d in v) b.AddRange(Le((ulong)BitConverter.DoubleToInt64Bits(d)));
            return b.ToArray();
        }

        static string Names(string[] names)
        {
            return "[\"" + string.Join("\",\"", names) + "\"]";
        }

        /// <summary>The skin's 68 points (all at the origin), inline.</summary>
        public static readonly string InlinePoints = "[" + string.Join(",", Repeat("[0,0,0]", 68)) + "]";
        /// <summary>A shape of a target or combination on the skin: one empty frame at weight 1.</summary>
        public const string Shape = "{\"mesh\":\"skin\",\"frames\":[{\"indices\":[],\"deltas\":[]}]}";

        static string[] Repeat(string s, int n)
        {
            var outp = new string[n];
            for (int i = 0; i < n; i++) outp[i] = s.Replace("#", i.ToString(CultureInfo.InvariantCulture));
            return outp;
        }

        /// <summary>A valid rig document (as the Python core writes it) with the neutral landmarks
        /// and the landmark delta matrix as given (JSON values or accessors), the extra members
        /// <paramref name="tail"/> ("name":value,... with a trailing comma, or "").</summary>
        public static string RigDocument(RigData rig, string neutral, string deltas, string tail = "")
        {
            var targets = new List<string>();
            foreach (string n in rig.TargetNames) targets.Add("{\"name\":\"" + n + "\",\"shapes\":[" + Shape + "]}");
            return "{\"format\":\"microexpr.rig\",\"version\":3,\"name\":\"face\",\"units\":{\"length\":\"cm\"}," +
                   "\"meshes\":[{\"name\":\"skin\",\"fingerprint\":\"fp1\",\"face_counts\":[3],\"face_indices\":[0,1,2]," +
                   "\"points\":" + InlinePoints + "}],\"targets\":[" + string.Join(",", targets.ToArray()) + "]," +
                   "\"landmarks\":{\"mesh\":\"skin\",\"points\":[" + string.Join(",", Repeat("{\"vertex\":#}", 68)) + "]," +
                   "\"neutral\":" + neutral + ",\"rigid\":[" +
                   string.Join(",", Array.ConvertAll(rig.Rigid, x => x.ToString(CultureInfo.InvariantCulture))) +
                   "],\"reference_points\":[27]},\"landmark_deltas\":{\"targets\":" + Names(rig.TargetNames) +
                   ",\"deltas\":" + deltas + "}," + tail;
        }

        /// <summary>The rig as plain bridge JSON, arrays inline.</summary>
        public static string RigJson(RigData rig)
        {
            string doc = RigDocument(rig, Rows(rig.Neutral, 68), Rows(rig.Deltas, rig.TargetCount * 68));
            return doc.Substring(0, doc.Length - 1) + "}";
        }

        /// <summary>Rows of three numbers, grouped by 68 when there is more than one landmark block.</summary>
        static string Rows(double[] v, int rows)
        {
            var outp = new List<string>();
            for (int r = 0; r < rows; r++)
                outp.Add("[" + string.Join(",", Array.ConvertAll(new[] { v[3 * r], v[3 * r + 1], v[3 * r + 2] },
                    x => x.ToString("R", CultureInfo.InvariantCulture))) + "]");
            if (rows == 68) return "[" + string.Join(",", outp.ToArray()) + "]";
            var blocks = new List<string>();
            for (int t = 0; t < rows / 68; t++) blocks.Add("[" + string.Join(",", outp.GetRange(t * 68, 68).ToArray()) + "]");
            return "[" + string.Join(",", blocks.ToArray()) + "]";
        }

        /// <summary>A rig's header: neutral (accessor 0) and landmark deltas (accessor 1), float64,
        /// in buffer 0 (the BIN chunk, or <paramref name="uri"/>).</summary>
        public static string RigHeader(RigData rig, string uri = null)
        {
            int T = rig.TargetCount, deltasAt = 68 * 3 * 8, total = deltasAt + T * 68 * 3 * 8;
            return RigDocument(rig, "{\"$accessor\":0}", "{\"$accessor\":1}") +
                   "\"accessors\":[{\"buffer\":0,\"byteOffset\":0,\"dtype\":\"float64\",\"shape\":[68,3],\"units\":\"cm\"}," +
                   "{\"buffer\":0,\"byteOffset\":" + deltasAt + ",\"dtype\":\"float64\",\"shape\":[" + T + ",68,3],\"units\":\"cm\"}]," +
                   "\"buffers\":[{\"byteLength\":" + total + (uri == null ? "" : ",\"uri\":\"" + uri + "\"") + "}]}";
        }

        public static byte[] RigPayload(RigData rig)
        {
            var b = new List<byte>(Doubles(rig.Neutral));
            b.AddRange(Doubles(rig.Deltas));
            return b.ToArray();
        }

        public static byte[] Rig(RigData rig) { return Pack(RigHeader(rig), RigPayload(rig)); }
    }

    [TestFixture]
    public class ContainerTests
    {
        static readonly RigData Sample = Synthetic.Rig(4);

        static MicroExprException Refused(byte[] data, string path = "bad.microexpr")
        {
            try
            {
                RigData.FromBytes(data, path);
            }
            catch (MicroExprException e)
            {
                return e;
            }
            Assert.Fail("read a malformed container");
            return null;
        }

        [Test]
        public void ARigReadsBitForBitFromThePayload()
        {
            byte[] data = ContainerWriter.Rig(Sample);
            Assert.IsTrue(BridgeContainer.HasMagic(data));
            RigData rig = RigData.FromBytes(data, "face.microexpr");
            CollectionAssert.AreEqual(Sample.TargetNames, rig.TargetNames);
            Assert.AreEqual(Sample.Deltas.Length, rig.Deltas.Length);
            for (int i = 0; i < rig.Deltas.Length; i++)
                Assert.AreEqual(BitConverter.DoubleToInt64Bits(Sample.Deltas[i]), BitConverter.DoubleToInt64Bits(rig.Deltas[i]));
            for (int i = 0; i < rig.Neutral.Length; i++)
                Assert.AreEqual(BitConverter.DoubleToInt64Bits(Sample.Neutral[i]), BitConverter.DoubleToInt64Bits(rig.Neutral[i]));
            Assert.AreEqual("fp1", rig.Fingerprint);
            using (BridgeDocument doc = BridgeDocument.FromBytes(data, "face.microexpr"))
            {
                Assert.AreEqual("rig", doc.Kind);
                Assert.AreEqual(2, doc.Container.AccessorCount);
                CollectionAssert.AreEqual(new long[] { 4, 68, 3 }, doc.Container.Shape(1));
                Assert.AreEqual("cm", doc.Container.Units(1));
            }
        }

        /// <summary>A stream that records which bytes were read.</summary>
        sealed class RecordingStream : MemoryStream
        {
            public long BytesRead;
            public RecordingStream(byte[] data) : base(data, false) { }

            public override int Read(byte[] buffer, int offset, int count)
            {
                int n = base.Read(buffer, offset, count);
                BytesRead += n;
                return n;
            }
        }

        [Test]
        public void ARigReadsTheHeaderAndTheLandmarkArraysOnly()
        {
            const int meshBytes = 20000 * 3 * 4;                    // float32 points the runtime never needs
            string header = ContainerWriter.RigHeader(Sample);
            int total = 68 * 3 * 8 * (1 + Sample.TargetCount);
            header = header.Replace("\"points\":" + ContainerWriter.InlinePoints, "\"points\":{\"$accessor\":2}")
                           .Replace("\"units\":\"cm\"}],\"buffers\":[{\"byteLength\":" + total + "}]",
                                    "\"units\":\"cm\"},{\"buffer\":0,\"byteOffset\":" + total +
                                    ",\"dtype\":\"float32\",\"shape\":[20000,3],\"units\":\"cm\"}],\"buffers\":[{\"byteLength\":" +
                                    (total + meshBytes) + "}]");
            var payload = new List<byte>(ContainerWriter.RigPayload(Sample));
            payload.AddRange(new byte[meshBytes]);
            byte[] data = ContainerWriter.Pack(header, payload.ToArray());
            var stream = new RecordingStream(data);
            using (BridgeDocument doc = BridgeDocument.FromContainer(BridgeContainer.Parse(stream, "face.microexpr", true)))
            {
                Assert.AreEqual(3, doc.Container.AccessorCount);
                long headerBytes = stream.BytesRead;
                Assert.Less(headerBytes, 4096, "the preamble, two chunk headers and the JSON");
                RigData rig = RigData.FromDocument(doc);
                CollectionAssert.AreEqual(Sample.Deltas, rig.Deltas);
                Assert.AreEqual(total, stream.BytesRead - headerBytes, "the two landmark arrays and nothing else");
            }
            Assert.Greater(data.Length, meshBytes);
        }

        [Test]
        public void AClipReadsItsWeightsAndValidityFromThePayload()
        {
            var weights = new[] { 0.0, 0.25, 1.0, 0.5, 0.125, 0.75 };
            var payload = new List<byte>(ContainerWriter.Doubles(weights));
            payload.AddRange(new byte[] { 1, 0, 1, 0, 0, 0, 0, 0 });
            string header = "{\"format\":\"microexpr.clip\",\"version\":3,\"fps\":30,\"targets\":[\"a\",\"b\"]," +
                            "\"weights\":{\"$accessor\":0},\"valid\":{\"$accessor\":1},\"hold_invalid\":true," +
                            "\"accessors\":[{\"buffer\":0,\"byteOffset\":0,\"dtype\":\"float64\",\"shape\":[3,2],\"units\":null}," +
                            "{\"buffer\":0,\"byteOffset\":48,\"dtype\":\"uint8\",\"shape\":[3],\"units\":null}]," +
                            "\"buffers\":[{\"byteLength\":56}]}";
            ClipData clip = ClipData.FromBytes(ContainerWriter.Pack(header, payload.ToArray()), "c.microexpr");
            Assert.AreEqual(3, clip.Frames);
            CollectionAssert.AreEqual(weights, clip.Weights);
            CollectionAssert.AreEqual(new[] { true, false, true }, clip.Valid);
            Assert.IsTrue(clip.HoldInvalid);
            // the valid flags must be one per frame
            string short2 = header.Replace("\"shape\":[3],", "\"shape\":[2],");
            try
            {
                ClipData.FromBytes(ContainerWriter.Pack(short2, payload.ToArray()), "c.microexpr");
                Assert.Fail("read 2 flags for 3 frames");
            }
            catch (MicroExprException e)
            {
                Assert.AreEqual("valid", e.Field);
            }
        }

        [Test]
        public void APayloadBesideTheFileIsReadAndMustStayInItsFolder()
        {
            string dir = Path.Combine(Path.GetTempPath(), "microexpr-container-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(dir);
            try
            {
                string path = Path.Combine(dir, "face.microexpr");
                File.WriteAllBytes(path, ContainerWriter.Pack(ContainerWriter.RigHeader(Sample, "face.bin"), null));
                File.WriteAllBytes(Path.Combine(dir, "face.bin"), ContainerWriter.RigPayload(Sample));
                RigData rig = RigData.Load(path);
                CollectionAssert.AreEqual(Sample.Deltas, rig.Deltas);
                using (BridgeDocument doc = BridgeDocument.Load(path))
                    CollectionAssert.AreEqual(new[] { "face.bin" }, doc.ExternalUris);
                CollectionAssert.AreEqual(Sample.Neutral, RigData.FromBytes(File.ReadAllBytes(path), path).Neutral);
                foreach (string uri in new[] { "../face.bin", "/etc/passwd", "sub\\\\face.bin", "c:face.bin", ".." })
                {
                    File.WriteAllBytes(path, ContainerWriter.Pack(ContainerWriter.RigHeader(Sample, uri), null));
                    MicroExprException e = Refused(File.ReadAllBytes(path), path);
                    Assert.AreEqual("buffers[0].uri", e.Field, uri + ": " + e.Message);
                }
                File.WriteAllBytes(path, ContainerWriter.Pack(ContainerWriter.RigHeader(Sample, "gone.bin"), null));
                StringAssert.Contains("cannot read its payload gone.bin", Refused(File.ReadAllBytes(path), path).Message);
                File.WriteAllBytes(path, ContainerWriter.Pack(ContainerWriter.RigHeader(Sample, "face.bin"), null));
                Assert.AreEqual("buffers[0].uri", Refused(File.ReadAllBytes(path), null).Field, "no path: no folder to look in");
            }
            finally
            {
                Directory.Delete(dir, true);
            }
        }

        [TestCase("\"byteOffset\":0,", "\"byteOffset\":1000000000,", "accessors[0].shape")]
        [TestCase("\"byteOffset\":0,", "\"byteOffset\":3,", "accessors[0].byteOffset")]
        [TestCase("\"byteOffset\":0,", "\"byteOffset\":0.0,", "accessors[0].byteOffset")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":[4,68,3e0]", "accessors[1].shape")]
        [TestCase("\"dtype\":\"float64\",\"shape\":[4", "\"dtype\":\"float16\",\"shape\":[4", "accessors[1].dtype")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":[4,68,3000]", "accessors[1].shape")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":[1099511627776,1099511627776]", "accessors[1].shape")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":[4611686018427387000,4611686018427387000,8]", "accessors[1].shape")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":\"4x68\"", "accessors[1].shape")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":[1,1,1,1,1]", "accessors[1].shape")]
        [TestCase("\"buffer\":0,\"byteOffset\":0,", "\"buffer\":5,\"byteOffset\":0,", "accessors[0].buffer")]
        [TestCase("\"buffer\":0,\"byteOffset\":0,", "\"buffer\":true,\"byteOffset\":0,", "accessors[0].buffer")]
        [TestCase("\"units\":\"cm\"}]", "\"units\":3}]", "accessors[1].units")]
        [TestCase("\"units\":\"cm\"}]", "\"units\":\"cm\",\"extra\":1}]", "accessors[1]")]
        [TestCase("\"accessors\":[{", "\"accessors\":{\"0\":1},\"unused\":[{", "accessors")]
        [TestCase("\"buffers\":[{\"byteLength\":", "\"buffers\":[{\"byteLength\":9", "buffers[0].byteLength")]
        [TestCase("\"buffers\":[{\"byteLength\":", "\"buffers\":[{\"byteLength\":-", "buffers[0].byteLength")]
        [TestCase("\"buffers\":[{\"byteLength\":", "\"buffers\":[{\"uri\":\"../outside.bin\",\"byteLength\":", "buffers[0].uri")]
        [TestCase("\"buffers\":[{", "\"buffers\":[{\"byteLength\":0},{", "buffers[1]")]
        [TestCase("\"buffers\":[{", "\"buffers\":{\"0\":{", "JSON")]
        [TestCase("\"version\":3", "\"version\":NaN", "JSON")]
        [TestCase("\"shape\":[4,68,3]", "\"shape\":[3,68,3]", "landmark_deltas.deltas")]
        [TestCase("{\"$accessor\":1}", "{\"$accessor\":7}", "$accessor")]
        [TestCase("\"version\":3", "\"version\":4", "version")]
        public void BadHeadersNameTheField(string find, string replace, string field)
        {
            string header = ContainerWriter.RigHeader(Sample);
            Assert.IsTrue(header.Contains(find), find);
            byte[] data = ContainerWriter.Pack(header.Replace(find, replace), ContainerWriter.RigPayload(Sample));
            MicroExprException e = Refused(data);
            Assert.AreEqual(field, e.Field, e.Message);
            StringAssert.StartsWith("bad.microexpr: " + field + ": ", e.Message);
        }

        static byte[] Patched(byte[] data, int at, byte[] bytes)
        {
            var copy = (byte[])data.Clone();
            Array.Copy(bytes, 0, copy, at, bytes.Length);
            return copy;
        }

        static byte[] Cut(byte[] data, int length)
        {
            var copy = new byte[length];
            Array.Copy(data, copy, length);
            return copy;
        }

        static byte[] WithTotal(List<byte> data)
        {
            byte[] b = data.ToArray();
            return Patched(b, 8, ContainerWriter.Le((ulong)b.Length));
        }

        [Test]
        public void BadLayoutsNameTheField()
        {
            byte[] good = ContainerWriter.Rig(Sample);
            Assert.AreEqual("header.length", Refused(Cut(good, good.Length - 8)).Field);
            Assert.AreEqual("header", Refused(Encoding.ASCII.GetBytes("MXPR\u0001")).Field);
            Assert.AreEqual("header.version", Refused(Patched(good, 4, ContainerWriter.Le(9u))).Field);
            Assert.AreEqual("chunks[0].length", Refused(Patched(good, 16, ContainerWriter.Le(1000000000000UL))).Field);
            Assert.AreEqual("chunks[0].length", Refused(Patched(good, 16, ContainerWriter.Le(12UL))).Field, "not padded");
            var cutHeader = new List<byte>(good);
            cutHeader.AddRange(new byte[8]);
            Assert.AreEqual("chunks[2]", Refused(WithTotal(cutHeader)).Field);
            var extra = new List<byte>(good);
            extra.AddRange(ContainerWriter.Le(8UL));
            extra.AddRange(Encoding.ASCII.GetBytes("JSON"));
            extra.AddRange(new byte[4]);
            extra.AddRange(Encoding.ASCII.GetBytes("{}      "));
            Assert.AreEqual("chunks", Refused(WithTotal(extra)).Field, "a second JSON chunk");
            byte[] noJson = Patched(good, 24, Encoding.ASCII.GetBytes("JSOM"));
            Assert.AreEqual("chunks", Refused(noJson).Field);
            byte[] array = ContainerWriter.Pack("[1, 2, 3]", null);
            Assert.AreEqual("JSON", Refused(array).Field);
            byte[] latin = ContainerWriter.Pack("{\"name\": \"\u00e9\"}", null);
            Assert.AreEqual("JSON", Refused(Patched(latin, 32 + 10, new byte[] { 0xE9, 0x22, 0x7D, 0x20 })).Field, "not UTF-8");
        }

        [Test]
        public void EveryCutOfAGoodFileFailsCleanly()
        {
            byte[] good = ContainerWriter.Rig(Sample);
            for (int n = 4; n < good.Length; n += 7)             // 4 bytes "MXPR" make it a container
            {
                MicroExprException e = Refused(Cut(good, n));
                Assert.IsTrue(e.Field == "header" || e.Field == "header.length", n + ": " + e.Message);
            }
        }

        [Test]
        public void AnEmptyShapeDimensionHoldsNothingAndPlainJsonHasNoAccessors()
        {
            string header = ContainerWriter.RigHeader(Sample).Replace("\"dtype\":\"float64\",\"shape\":[68,3]",
                                                                      "\"dtype\":\"float64\",\"shape\":[0,1099511627776]");
            MicroExprException e = Refused(ContainerWriter.Pack(header, ContainerWriter.RigPayload(Sample)));
            Assert.AreEqual("landmarks.neutral", e.Field, "an empty accessor fits; the rig then needs [68][3]");
            try
            {
                RigData.FromJson(ContainerWriter.RigHeader(Sample), "plain.microexpr");
                Assert.Fail("read an accessor from plain JSON");
            }
            catch (MicroExprException err)
            {
                Assert.AreEqual("landmarks.neutral", err.Field, "the first array, as the Python reader names it");
                StringAssert.Contains("plain JSON", err.Message);
            }
        }
    }
}
