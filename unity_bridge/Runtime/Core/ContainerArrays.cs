// The .microexpr container's arrays: an accessor read on demand into doubles or flags (any
// stored type widened), from little-endian bytes, in chunks, with the count already checked
// against the buffer (Container.cs checks the layout, the header and every accessor).
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed partial class BridgeContainer
    {
        /// <summary>How many accessors the header lists.</summary>
        public int AccessorCount { get { return accessors.Count; } }

        /// <summary>The payload files named by uri (plain names in the container's folder).</summary>
        public IList<string> ExternalUris { get { return externalUris.AsReadOnly(); } }

        /// <summary>The accessor index of a {"$accessor": k} node, or -1 when the node is not one.
        /// A k that names no accessor is an error (field "$accessor", as the Python reader).</summary>
        public int AccessorOf(JsonValue node, string where)
        {
            if (!IsAccessorNode(node)) return -1;
            JsonValue k = node["$accessor"];
            long index;
            if (!IsCount(k, out index) || index >= accessors.Count)
                throw Fail(Source, "accessor " + Repr(k) + " does not exist (" + accessors.Count + " accessors) at " + where,
                    "$accessor");
            return (int)index;
        }

        /// <summary>True for an object whose only key is "$accessor".</summary>
        public static bool IsAccessorNode(JsonValue node)
        {
            return node != null && node.Kind == JsonKind.Object && node.Count == 1 && node.Has("$accessor");
        }

        public long[] Shape(int accessor) { return (long[])accessors[accessor].Shape.Clone(); }
        public string DType(int accessor) { return DTypes[accessors[accessor].DType]; }
        public string Units(int accessor) { return accessors[accessor].Units; }

        /// <summary>Accessor <paramref name="accessor"/> as doubles (any stored type widened), in
        /// row-major order. <paramref name="field"/> names the document path in errors.</summary>
        public double[] Doubles(int accessor, string field)
        {
            Accessor a = accessors[accessor];
            var outp = new double[Elements(a, field)];
            Convert(a, field, outp, null);
            return outp;
        }

        /// <summary>Accessor <paramref name="accessor"/> as flags: any non-zero value is true.</summary>
        public bool[] Flags(int accessor, string field)
        {
            Accessor a = accessors[accessor];
            var outp = new bool[Elements(a, field)];
            Convert(a, field, null, outp);
            return outp;
        }

        int Elements(Accessor a, string field)
        {
            if (a.Count > int.MaxValue / 8)
                throw Fail(Source, "holds " + a.Count + " values, more than this runtime reads into one array", field,
                    "keep the runtime's arrays (landmarks, clip weights) below 2^28 values");
            return (int)a.Count;
        }

        void Convert(Accessor a, string field, double[] numbers, bool[] flags)
        {
            int n = (int)a.Count, item = ItemSizes[a.DType];
            if (n == 0) return;
            var chunk = new byte[(int)Math.Min((long)n * item, 1 << 16)];
            int per = chunk.Length / item;
            Segment seg = buffers[a.Buffer];
            long pos = seg.Start + a.Offset;
            for (int done = 0; done < n; done += per)
            {
                int m = Math.Min(per, n - done);
                ReadExactly(seg.Stream, pos, chunk, m * item, Source, "buffers[" + a.Buffer + "]");
                pos += (long)m * item;
                if (!BitConverter.IsLittleEndian && item > 1)            // stored little-endian
                    for (int k = 0; k < m * item; k += item) Array.Reverse(chunk, k, item);
                if (numbers != null && a.DType == 1)                      // float64: the bytes as they are
                {
                    Buffer.BlockCopy(chunk, 0, numbers, done * item, m * item);
                    continue;
                }
                for (int k = 0; k < m; k++)
                {
                    double v = Value(chunk, k * item, a.DType);
                    if (numbers != null) numbers[done + k] = v;
                    else flags[done + k] = v != 0.0;
                }
            }
        }

        static double Value(byte[] b, int at, int dtype)
        {
            switch (dtype)
            {
                case 0: return BitConverter.ToSingle(b, at);
                case 1: return BitConverter.ToDouble(b, at);
                case 2: return BitConverter.ToInt32(b, at);
                case 3: return BitConverter.ToUInt32(b, at);
                default: return b[at];
            }
        }
    }
}
