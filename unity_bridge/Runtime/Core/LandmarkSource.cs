// A pluggable source of 68 iBUG landmarks per frame (a face tracker, a recorded track ...).
// Plain C# (no UnityEngine), so the driver's per-frame rules are tested without Unity; the
// namespace stays MicroExpr.Unity, where trackers have always found it.
namespace MicroExpr.Unity
{
    /// <summary>Where a source's landmark coordinates live.</summary>
    public enum LandmarkSpace
    {
        /// <summary>2-D image pixels with y down (OpenCV, dlib, most trackers).</summary>
        ImagePixelsYDown = 0,
        /// <summary>2-D pixels with y up (Unity screen space).</summary>
        ImagePixelsYUp = 1,
        /// <summary>3-D Unity space: left-handed, metres.</summary>
        UnityMetres = 2,
        /// <summary>Already in the bridge's space (right-handed, y up, the rig's units).</summary>
        Bridge = 3,
    }

    /// <summary>Implement on a MonoBehaviour and assign it to MicroExpressionDriver.landmarkSource.</summary>
    public interface ILandmarkSource
    {
        /// <summary>2 (image points) or 3.</summary>
        int Dimensions { get; }

        LandmarkSpace Space { get; }

        /// <summary>Fills <paramref name="points"/> (68 * Dimensions, iBUG order, NaN for a
        /// missing landmark) and <paramref name="confidence"/> (68, 0-1). Returns false when no
        /// face was found this frame (the driver then holds the last weights). Called once per
        /// frame from LateUpdate; must not allocate.</summary>
        bool TryGetLandmarks(double[] points, double[] confidence);
    }
}
