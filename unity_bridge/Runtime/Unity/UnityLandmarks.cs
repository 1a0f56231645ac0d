// Unity vectors to the runtime's flat arrays, through the one conversion in UnitySpace.
#if UNITY_5_3_OR_NEWER
using MicroExpr.Runtime;
using UnityEngine;

namespace MicroExpr.Unity
{
    public static class UnityLandmarks
    {
        /// <summary>68 points in Unity space (metres, left-handed) to bridge space in the
        /// rig's unit. <paramref name="dst"/> holds 68*3 values. No allocation.</summary>
        public static void FromUnity(Vector3[] points, string lengthUnit, double[] dst)
        {
            for (int l = 0; l < Landmarks.Count; l++)
            {
                dst[l * 3] = points[l].x;
                dst[l * 3 + 1] = points[l].y;
                dst[l * 3 + 2] = points[l].z;
            }
            UnitySpace.PointsToBridge(dst, Landmarks.Count, lengthUnit, dst);
        }

        /// <summary>68 image points (pixels) to bridge space (y up). <paramref name="dst"/> holds 68*2.</summary>
        public static void FromImage(Vector2[] points, bool yDown, double[] dst)
        {
            for (int l = 0; l < Landmarks.Count; l++)
            {
                dst[l * 2] = points[l].x;
                dst[l * 2 + 1] = points[l].y;
            }
            UnitySpace.ImageToBridge(dst, Landmarks.Count, yDown, dst);
        }

        /// <summary>In place: a source's points, in its declared space, to bridge space.</summary>
        public static void ToBridge(double[] points, int dims, LandmarkSpace space, string lengthUnit)
        {
            UnitySpace.SourceToBridge(points, dims, space, lengthUnit);
        }
    }
}
#endif
