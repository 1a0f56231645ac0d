// The one place where landmarks in Unity's space become the bridge's space.
//
// Bridge space (every rig and clip file): right-handed, Y up, the face looks toward +Z, the
// subject's left is +X, lengths in the rig's units.length (cm by default). Unity: left-handed,
// Y up, Z forward, metres. Unity's model importers turn a right-handed file into its
// left-handed space by mirroring X (glTFast negates X; for FBX the same convention is
// assumed), so a point goes from Unity to the bridge by x -> -x and metres -> rig units.
// 2-D landmarks are image pixels: the bridge wants y up; trackers that report y down
// (OpenCV, dlib, most image libraries) are flipped here, once.
using MicroExpr.Unity;

namespace MicroExpr.Runtime
{
    public static class UnitySpace
    {
        /// <summary>Metres per unit of a bridge length unit (mm, cm, m, in).</summary>
        public static double MetresPerUnit(string unit, string source = null)
        {
            switch (unit)
            {
                case "mm": return 0.001;
                case "cm": return 0.01;
                case "m": return 1.0;
                case "in": return 0.0254;
                default:
                    throw new MicroExprException("unknown length unit '" + unit + "'", source, "units.length",
                        "use mm, cm, m or in");
            }
        }

        /// <summary>3-D points in Unity space (xyz triples, metres, left-handed) to bridge
        /// space in <paramref name="lengthUnit"/>. <paramref name="dst"/> may be <paramref name="src"/>.</summary>
        public static void PointsToBridge(double[] src, int count, string lengthUnit, double[] dst)
        {
            double toUnits = 1.0 / MetresPerUnit(lengthUnit);
            for (int l = 0; l < count; l++)
            {
                dst[l * 3] = -src[l * 3] * toUnits;
                dst[l * 3 + 1] = src[l * 3 + 1] * toUnits;
                dst[l * 3 + 2] = src[l * 3 + 2] * toUnits;
            }
        }

        /// <summary>A bridge-space point back to Unity space (metres, left-handed).</summary>
        public static void PointsToUnity(double[] src, int count, string lengthUnit, double[] dst)
        {
            double toMetres = MetresPerUnit(lengthUnit);
            for (int l = 0; l < count; l++)
            {
                dst[l * 3] = -src[l * 3] * toMetres;
                dst[l * 3 + 1] = src[l * 3 + 1] * toMetres;
                dst[l * 3 + 2] = src[l * 3 + 2] * toMetres;
            }
        }

        /// <summary>2-D image points (xy pairs, pixels) to bridge space: y flipped when the
        /// tracker reports y down.</summary>
        public static void ImageToBridge(double[] src, int count, bool yDown, double[] dst)
        {
            for (int l = 0; l < count; l++)
            {
                dst[l * 2] = src[l * 2];
                dst[l * 2 + 1] = yDown ? -src[l * 2 + 1] : src[l * 2 + 1];
            }
        }

        /// <summary>In place: a landmark source's points, in its declared space, to bridge space
        /// (3-D Unity points: x mirrored, metres to <paramref name="lengthUnit"/>; 2-D: y flipped
        /// when the source reports y down). No allocation.</summary>
        public static void SourceToBridge(double[] points, int dims, LandmarkSpace space, string lengthUnit)
        {
            if (space == LandmarkSpace.Bridge) return;
            if (dims == 3 && space == LandmarkSpace.UnityMetres)
                PointsToBridge(points, Landmarks.Count, lengthUnit, points);
            else if (dims == 2)
                ImageToBridge(points, Landmarks.Count, space == LandmarkSpace.ImagePixelsYDown, points);
        }

        /// <summary>Blend-shape weight for SetBlendShapeWeight: bridge weights are 0-1, Unity's
        /// FBX shapes run 0-100.</summary>
        public const double BlendShapeScale = 100.0;
    }
}
