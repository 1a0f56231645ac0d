// Little-endian numbers read from a byte buffer without allocating: the live packet readers
// (LivePacket, OpenSeeFacePacket) share them.
using System.Runtime.InteropServices;

namespace MicroExpr.Runtime
{
    /// <summary>Reads little-endian integers and IEEE floats from a byte array at an offset,
    /// whatever the machine's byte order; allocates nothing.</summary>
    internal static class LittleEndian
    {
        [StructLayout(LayoutKind.Explicit)]
        struct Bits
        {
            [FieldOffset(0)] public int I;
            [FieldOffset(0)] public float F;
            [FieldOffset(0)] public long J;
            [FieldOffset(0)] public double D;
        }

        internal static int U16(byte[] b, int o) { return b[o] | (b[o + 1] << 8); }

        internal static int I32(byte[] b, int o) { return b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24); }

        internal static float F32(byte[] b, int o)
        {
            var bits = new Bits();
            bits.I = I32(b, o);
            return bits.F;
        }

        internal static double F64(byte[] b, int o)
        {
            var bits = new Bits();
            bits.J = (uint)I32(b, o) | ((long)I32(b, o + 4) << 32);
            return bits.D;
        }
    }
}
