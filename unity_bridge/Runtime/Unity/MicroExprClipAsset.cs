// A bridge clip as an asset: weights per frame, validity, and micro-expression events.
#if UNITY_5_3_OR_NEWER
using System;
using MicroExpr.Runtime;
using UnityEngine;

namespace MicroExpr.Unity
{
    [Serializable]
    public sealed class MicroEventEntry
    {
        public string au = "";
        public string target = "";
        public double onset, apex, offset, peakWeight, hold;
    }

    public sealed class MicroExprClipAsset : ScriptableObject
    {
        [SerializeField] double fps = 30.0;
        [SerializeField] double startTime;
        [SerializeField] string[] targets = new string[0];
        [Tooltip("[frame][target], 0-1")]
        [SerializeField, HideInInspector] double[] weights = new double[0];
        [SerializeField, HideInInspector] bool[] valid = new bool[0];
        [SerializeField] bool holdInvalid;
        [SerializeField] MicroEventEntry[] events = new MicroEventEntry[0];
        [SerializeField] string rigFingerprint = "";

        [NonSerialized] ClipData cached;

        public string[] Targets { get { return targets; } }
        public int Frames { get { return valid.Length; } }
        public double Duration { get { return ToClipData().Duration; } }

        public ClipData ToClipData()
        {
            if (cached != null) return cached;
            var c = new ClipData();
            c.Fps = fps; c.StartTime = startTime; c.Targets = targets; c.Weights = weights; c.Valid = valid;
            c.HoldInvalid = holdInvalid; c.RigFingerprint = rigFingerprint;
            c.Events = new MicroEvent[events.Length];
            for (int e = 0; e < events.Length; e++)
            {
                MicroEventEntry m = events[e];
                c.Events[e] = new MicroEvent
                {
                    Au = m.au, Target = m.target, Onset = m.onset, Apex = m.apex, Offset = m.offset,
                    PeakWeight = m.peakWeight, Hold = m.hold,
                };
            }
            cached = c;
            return c;
        }

        public static MicroExprClipAsset Create(ClipData clip)
        {
            var a = CreateInstance<MicroExprClipAsset>();
            a.fps = clip.Fps; a.startTime = clip.StartTime; a.targets = clip.Targets; a.weights = clip.Weights;
            a.valid = clip.Valid; a.holdInvalid = clip.HoldInvalid; a.rigFingerprint = clip.RigFingerprint ?? "";
            a.events = new MicroEventEntry[clip.Events.Length];
            for (int e = 0; e < clip.Events.Length; e++)
            {
                MicroEvent m = clip.Events[e];
                a.events[e] = new MicroEventEntry
                {
                    au = m.Au, target = m.Target, onset = m.Onset, apex = m.Apex, offset = m.Offset,
                    peakWeight = m.PeakWeight, hold = m.Hold,
                };
            }
            a.cached = clip;
            return a;
        }
    }
}
#endif
