// A recorded take (a tracks CSV imported as a TextAsset: rename take.csv to take.txt, or keep
// .csv, which Unity also imports as text) played as a landmark source in time with Time.time,
// from when the component is enabled. Assign it to the driver's Landmark Source.
#if UNITY_5_3_OR_NEWER
using MicroExpr.Runtime;
using UnityEngine;

namespace MicroExpr.Unity
{
    [AddComponentMenu("MicroExpr/Recorded Tracks")]
    [DisallowMultipleComponent]
    public sealed class RecordedTracksBehaviour : MonoBehaviour, ILandmarkSource
    {
        [Tooltip("The tracks CSV (microexpr capture / live --record) as a text asset.")]
        public TextAsset tracks;
        [Tooltip("Frame rate of a take without a time column.")]
        public float fps = 30f;
        public bool loop = true;

        RecordedTracksSource source;
        TextAsset loaded;
        double started;

        /// <summary>The take (parsed on first use), or null when the asset is missing or unreadable.</summary>
        public RecordedTracksSource Source { get { Load(); return source; } }

        public int Dimensions { get { Load(); return source != null ? source.Dimensions : 2; } }
        public LandmarkSpace Space { get { Load(); return source != null ? source.Space : LandmarkSpace.ImagePixelsYDown; } }

        void OnEnable() { Restart(); }

        /// <summary>Play the take from its first frame now.</summary>
        public void Restart()
        {
            started = Time.timeAsDouble;
            if (source != null) source.Rewind();
        }

        void Load()
        {
            if (ReferenceEquals(tracks, loaded)) return;        // parsed (or refused) already
            loaded = tracks;
            source = null;
            if (tracks == null) return;
            try
            {
                source = RecordedTracksSource.Parse(tracks.text, tracks.name, fps);
            }
            catch (MicroExprException e)
            {
                Debug.LogError("MicroExpr: " + e.Message, this);
            }
        }

        public bool TryGetLandmarks(double[] points, double[] confidence)
        {
            Load();
            if (source == null) return false;
            source.Loop = loop;
            source.SetTime(Time.timeAsDouble - started);
            return source.TryGetLandmarks(points, confidence);
        }
    }
}
#endif
