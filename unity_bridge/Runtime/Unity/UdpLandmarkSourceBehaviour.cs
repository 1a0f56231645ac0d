// Landmarks from 'microexpr live --send HOST:PORT' (or from OpenSeeFace's facetracker, with
// format OpenSeeFace and its port, 11573) as a component: assign it to the driver's
// Landmark Source. It listens while enabled (UdpLandmarkSource: a background receive thread,
// the drop rules, counters); the driver reads the newest packet in LateUpdate.
#if UNITY_5_3_OR_NEWER
using MicroExpr.Runtime;
using UnityEngine;

namespace MicroExpr.Unity
{
    [AddComponentMenu("MicroExpr/UDP Landmark Source")]
    [DisallowMultipleComponent]
    public sealed class UdpLandmarkSourceBehaviour : MonoBehaviour, ILandmarkSource
    {
        [Tooltip("The UDP port microexpr live sends to (--send HOST:PORT).")]
        public int port = 9870;        // microexpr live's default --send port
        [Tooltip("Listen to other machines too (0.0.0.0); off: this machine only (127.0.0.1).")]
        public bool anyInterface;
        [Tooltip("3-D landmarks (microexpr live with 3-D tracks); off: 2-D image points.")]
        public bool threeD;
        [Tooltip("The sender: microexpr live, or OpenSeeFace's facetracker (2-D; its port is 11573).")]
        public LivePacketFormat format = LivePacketFormat.MicroExpr;
        [Tooltip("Drop packets captured this long (seconds) before the newest one.")]
        public float staleSeconds = 0.25f;

        UdpLandmarkSource source;

        /// <summary>The receiver while enabled (counters: Received, Accepted, Dropped, Malformed), else null.</summary>
        public UdpLandmarkSource Source { get { return source; } }

        bool ThreeD { get { return threeD && format == LivePacketFormat.MicroExpr; } }

        public int Dimensions { get { return ThreeD ? 3 : 2; } }
        public LandmarkSpace Space { get { return ThreeD ? LandmarkSpace.Bridge : LandmarkSpace.ImagePixelsYDown; } }

        void OnEnable()
        {
            try
            {
                source = new UdpLandmarkSource(port, Dimensions, anyInterface ? "0.0.0.0" : "127.0.0.1");
                source.StaleSeconds = staleSeconds;
                source.Format = format;
                source.Start();
            }
            catch (MicroExprException e)
            {
                Debug.LogError("MicroExpr: " + e.Message, this);
                source = null;
            }
        }

        void OnDisable()
        {
            if (source != null) source.Dispose();
            source = null;
        }

        public bool TryGetLandmarks(double[] points, double[] confidence)
        {
            return source != null && source.TryGetLandmarks(points, confidence);
        }
    }
}
#endif
