// The iBUG-68 landmark scheme as the Python core defines it (microexpr/landmarks.py).
namespace MicroExpr.Runtime
{
    public static class Landmarks
    {
        public const int Count = 68;

        /// <summary>Fewest rigid landmarks a frame needs for head motion to be removed.</summary>
        public const int MinRigid = 6;

        /// <summary>Default E0 of the reference mode: the top of the nose bridge.</summary>
        public const int ReferencePoint = 27;

        /// <summary>OpenFace's rigid set; a rig file names its own (landmarks.rigid).</summary>
        public static readonly int[] Rigid = {
            1, 2, 3, 4, 12, 13, 14, 15, 27, 28, 29, 31, 32, 33, 34, 35, 36, 39, 40, 41, 42, 45, 46, 47 };

        /// <summary>Each landmark's left/right counterpart (the centre line maps to itself).</summary>
        public static readonly int[] Mirror = BuildMirror();

        /// <summary>One frame (68 * k coordinates, 68 confidences or null) into <paramref name="x"/>
        /// and <paramref name="conf"/>, as Python's load_tracks reads one: mirrored if asked
        /// (x flipped, left and right swapped), a landmark with a non-finite coordinate zeroed
        /// with confidence 0, confidences clipped to 0-1. Allocates nothing.</summary>
        public static void Sanitize(double[] points, double[] confidence, int k, bool mirrored,
                                    double[] x, double[] conf)
        {
            for (int l = 0; l < Count; l++)
            {
                int src = mirrored ? Mirror[l] : l;
                double c = confidence == null ? 1.0 : confidence[src];
                if (double.IsNaN(c)) c = 0.0;
                c = c < 0.0 ? 0.0 : (c > 1.0 ? 1.0 : c);
                bool finite = true;
                for (int i = 0; i < k; i++)
                {
                    double v = points[src * k + i];
                    if (!(v - v == 0.0)) finite = false;        // NaN or infinite
                }
                if (!finite) c = 0.0;
                for (int i = 0; i < k; i++)
                {
                    double v = finite ? points[src * k + i] : 0.0;
                    x[l * k + i] = (mirrored && i == 0) ? -v : v;
                }
                conf[l] = c;
            }
        }

        static int[] BuildMirror()
        {
            var m = new int[Count];
            for (int i = 0; i < Count; i++) m[i] = i;
            int[] pairs = {
                0, 16, 1, 15, 2, 14, 3, 13, 4, 12, 5, 11, 6, 10, 7, 9,
                17, 26, 18, 25, 19, 24, 20, 23, 21, 22,
                31, 35, 32, 34,
                36, 45, 37, 44, 38, 43, 39, 42, 40, 47, 41, 46,
                48, 54, 49, 53, 50, 52, 59, 55, 58, 56,
                60, 64, 61, 63, 67, 65 };
            for (int p = 0; p < pairs.Length; p += 2)
            {
                m[pairs[p]] = pairs[p + 1];
                m[pairs[p + 1]] = pairs[p];
            }
            return m;
        }
    }
}
