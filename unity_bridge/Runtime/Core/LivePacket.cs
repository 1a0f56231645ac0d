// The live packet, version 1: one UDP datagram per frame from 'microexpr live' (Python's
// microexpr/capture/live_packet.py writes it; docs/unity.md, "Live sources"). Little-endian,
// a fixed size for a given number of dimensions and weights:
//   0  4 bytes  magic "MXLM"          4  u16 version (1)       6  u16 flags (bit 0 valid, bit 1 weights)
//   8  u32 sequence number           12  f64 capture time, seconds on the sender's clock
//  20  u16 landmark count (68)       22  u8 dims (2 or 3)     23  u8 reserved (0)
//  24  u16 weight count T            26  u16 reserved (0)
//  28  f32 x 68*dims landmarks (x0 y0 x1 y1 ...; 2-D: image pixels, y down; NaN missing),
//      f32 x 68 confidences 0-1, f32 x T weights 0-1 (only with flag bit 1).
// Size = 28 + 4 * (68 * dims + 68 + T): 844 bytes for 2-D landmarks without weights.
// Decoding never throws and allocates nothing: a malformed packet returns false with the
// check that failed.
using System;

namespace MicroExpr.Runtime
{
    /// <summary>Why a packet was refused (Ok: it decoded).</summary>
    public enum LivePacketProblem
    {
        Ok = 0, Size, Magic, Version, Flags, Count, Dims, Reserved, Weights, Timestamp, Confidence,
        /// <summary>An OpenSeeFace packet's image width or height is not a positive number.</summary>
        ImageSize,
    }

    /// <summary>A decoded packet's header fields.</summary>
    public struct LivePacketHeader
    {
        public uint Sequence;
        /// <summary>Capture time, seconds on the sender's clock.</summary>
        public double Timestamp;
        /// <summary>A face was found (flag bit 0).</summary>
        public bool Valid;
        public int Dims;
        /// <summary>Weights in the packet (0 without).</summary>
        public int WeightCount;
    }

    public static class LivePacket
    {
        public const int Version = 1;
        public const int HeaderSize = 28;
        public const int FlagValid = 1;
        public const int FlagWeights = 2;
        /// <summary>The largest UDP payload: a receive buffer of this size holds any datagram.</summary>
        public const int MaxDatagram = 65507;
        const int L = Landmarks.Count;

        /// <summary>Bytes of a packet with <paramref name="dims"/>-D landmarks and
        /// <paramref name="weights"/> weights.</summary>
        public static int Size(int dims, int weights)
        {
            return HeaderSize + 4 * (L * dims + L + weights);
        }

        static int U16(byte[] b, int o) { return LittleEndian.U16(b, o); }

        static int I32(byte[] b, int o) { return LittleEndian.I32(b, o); }

        static float F32(byte[] b, int o) { return LittleEndian.F32(b, o); }

        static double F64(byte[] b, int o) { return LittleEndian.F64(b, o); }

        /// <summary>Decodes <paramref name="length"/> bytes of <paramref name="buffer"/> as a packet of
        /// <paramref name="dims"/>-D landmarks into <paramref name="points"/> (68 * dims, as
        /// float32 widened to double; a landmark with a non-finite coordinate becomes NaN in all
        /// its coordinates with confidence 0), <paramref name="confidence"/> (68) and, when the
        /// packet has weights, <paramref name="weights"/> (its first min(T, length) entries; may be
        /// null). Returns false, with the failed check in <paramref name="problem"/>, for a malformed
        /// packet (the arrays may then hold part of it). Never throws, allocates nothing.</summary>
        public static bool TryDecode(byte[] buffer, int length, int dims, double[] points, double[] confidence,
                                     double[] weights, out LivePacketHeader header, out LivePacketProblem problem)
        {
            header = new LivePacketHeader();
            problem = Check(buffer, length, dims, ref header);
            if (problem != LivePacketProblem.Ok) return false;
            if (points == null || points.Length < L * dims || confidence == null || confidence.Length < L)
            {
                problem = LivePacketProblem.Size;      // the caller's arrays cannot hold it
                return false;
            }
            int o = HeaderSize, c = HeaderSize + 4 * L * dims;
            for (int l = 0; l < L; l++)
            {
                double conf = F32(buffer, c + 4 * l);
                if (!(conf >= 0.0 && conf <= 1.0))
                {
                    problem = LivePacketProblem.Confidence;
                    return false;
                }
                bool finite = true;
                for (int k = 0; k < dims; k++)
                {
                    double v = F32(buffer, o + 4 * (l * dims + k));
                    points[l * dims + k] = v;
                    finite &= !double.IsNaN(v) && !double.IsInfinity(v);
                }
                if (!finite)
                {
                    for (int k = 0; k < dims; k++) points[l * dims + k] = double.NaN;
                    conf = 0.0;
                }
                confidence[l] = conf;
            }
            int w = c + 4 * L;
            for (int t = 0; t < header.WeightCount; t++)
            {
                double v = F32(buffer, w + 4 * t);
                if (!(v >= 0.0 && v <= 1.0))
                {
                    problem = LivePacketProblem.Weights;
                    return false;
                }
                if (weights != null && t < weights.Length) weights[t] = v;
            }
            return true;
        }

        static LivePacketProblem Check(byte[] b, int n, int dims, ref LivePacketHeader h)
        {
            if (b == null || n < HeaderSize || n > b.Length) return LivePacketProblem.Size;
            if (b[0] != (byte)'M' || b[1] != (byte)'X' || b[2] != (byte)'L' || b[3] != (byte)'M')
                return LivePacketProblem.Magic;
            if (U16(b, 4) != Version) return LivePacketProblem.Version;
            int flags = U16(b, 6);
            if ((flags & ~(FlagValid | FlagWeights)) != 0) return LivePacketProblem.Flags;
            if (U16(b, 20) != L) return LivePacketProblem.Count;
            int k = b[22];
            if ((k != 2 && k != 3) || k != dims) return LivePacketProblem.Dims;
            if (b[23] != 0 || U16(b, 26) != 0) return LivePacketProblem.Reserved;
            int T = U16(b, 24);
            if (((flags & FlagWeights) != 0) != (T > 0)) return LivePacketProblem.Weights;
            if (n != Size(k, T)) return LivePacketProblem.Size;
            double stamp = F64(b, 12);
            if (double.IsNaN(stamp) || double.IsInfinity(stamp)) return LivePacketProblem.Timestamp;
            h.Sequence = (uint)I32(b, 8);
            h.Timestamp = stamp;
            h.Valid = (flags & FlagValid) != 0;
            h.Dims = k;
            h.WeightCount = T;
            return LivePacketProblem.Ok;
        }

        /// <summary>Whether sequence number <paramref name="seq"/> comes after <paramref name="last"/>
        /// (serial-number arithmetic: 1 to 2^31 - 1 ahead, modulo 2^32).</summary>
        public static bool Newer(uint seq, uint last)
        {
            uint d = unchecked(seq - last);
            return d != 0 && d < 0x80000000u;
        }
    }
}
