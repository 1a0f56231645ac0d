// A bridge clip: weights per frame and target (0-1), validity, and micro-expression events.
using System;

namespace MicroExpr.Runtime
{
    /// <summary>One action unit of a micro-expression, every random choice already resolved.</summary>
    public sealed class MicroEvent
    {
        public string Au;
        public string Target;
        public double Onset;
        public double Apex;
        public double Offset;
        public double PeakWeight;
        /// <summary>Seconds at full weight after the apex (params.hold, default 0).</summary>
        public double Hold;
        public string Envelope = MicroExpr.Runtime.Envelope.Name;
    }

    public sealed class ClipData
    {
        public double Fps;
        public double StartTime;
        public string[] Targets;
        /// <summary>[frame][target] row-major, 0-1.</summary>
        public double[] Weights;
        public bool[] Valid;
        public bool HoldInvalid;
        public MicroEvent[] Events = new MicroEvent[0];
        public string RigFingerprint;

        public int Frames { get { return Valid == null ? 0 : Valid.Length; } }
        public int TargetCount { get { return Targets == null ? 0 : Targets.Length; } }

        /// <summary>Time of frame f: start_time + f / fps, as Python's Clip.times().</summary>
        public double FrameTime(int f) { return StartTime + f / Fps; }

        public double Duration { get { return Frames > 0 ? (Frames - 1) / Fps : 0.0; } }

        public static ClipData FromJson(string text, string source = null)
        {
            return FromJson(Json.Parse(text, source), source);
        }

        public static ClipData FromJson(JsonValue root, string source = null)
        {
            BridgeFile.Check(root, "clip", source);
            var c = new ClipData();
            c.Fps = BridgeFile.Need(root, "fps", JsonKind.Number, source, "fps").AsDouble;
            if (!(c.Fps > 0) || double.IsInfinity(c.Fps))
                throw new MicroExprException("the frame rate must be positive", source, "fps", "write e.g. 30");
            c.StartTime = BridgeFile.Number(root, "start_time", 0.0, source, "start_time");
            c.Targets = BridgeFile.Strings(BridgeFile.Need(root, "targets", JsonKind.Array, source, "targets"), source, "targets");
            JsonValue w = BridgeFile.Need(root, "weights", JsonKind.Array, source, "weights");
            int F = w.Count, T = c.Targets.Length;
            c.Weights = BridgeFile.Numbers(w, new[] { F, T }, source, "weights", false);
            foreach (double x in c.Weights)
                if (!(x >= -1e-9 && x <= 1.0 + 1e-9))
                    throw new MicroExprException("weights must be finite and within 0-1", source, "weights",
                        "mark frames without data in 'valid' instead of writing NaN");
            JsonValue valid = BridgeFile.Need(root, "valid", JsonKind.Array, source, "valid");
            if (valid.Count != F)
                throw new MicroExprException("has " + valid.Count + " entries for " + F + " frames", source, "valid",
                    "write one true/false per frame");
            c.Valid = new bool[F];
            for (int f = 0; f < F; f++)
            {
                if (valid[f].Kind != JsonKind.Bool)
                    throw new MicroExprException("entry " + f + " is not true or false", source, "valid", "write booleans");
                c.Valid[f] = valid[f].AsBool;
            }
            JsonValue hold = root["hold_invalid"];
            c.HoldInvalid = hold != null && hold.Kind == JsonKind.Bool && hold.AsBool;
            JsonValue fp = root["rig_fingerprint"];
            c.RigFingerprint = fp != null && fp.Kind == JsonKind.String ? fp.AsString : null;
            JsonValue ev = root["events"];
            if (ev != null && ev.Kind == JsonKind.Array)
            {
                c.Events = new MicroEvent[ev.Count];
                for (int e = 0; e < ev.Count; e++) c.Events[e] = ReadEvent(ev[e], source, "events." + e);
            }
            return c;
        }

        static MicroEvent ReadEvent(JsonValue v, string source, string field)
        {
            if (v.Kind != JsonKind.Object)
                throw new MicroExprException("is not an object", source, field, "re-export the clip with microexpr");
            var m = new MicroEvent();
            m.Au = v["au"] != null && v["au"].Kind == JsonKind.String ? v["au"].AsString : "";
            m.Target = BridgeFile.Need(v, "target", JsonKind.String, source, field + ".target").AsString;
            m.Onset = BridgeFile.Need(v, "onset", JsonKind.Number, source, field + ".onset").AsDouble;
            m.Apex = BridgeFile.Need(v, "apex", JsonKind.Number, source, field + ".apex").AsDouble;
            m.Offset = BridgeFile.Need(v, "offset", JsonKind.Number, source, field + ".offset").AsDouble;
            m.PeakWeight = BridgeFile.Need(v, "peak_weight", JsonKind.Number, source, field + ".peak_weight").AsDouble;
            if (!(m.Onset <= m.Apex && m.Apex <= m.Offset))
                throw new MicroExprException("needs onset <= apex <= offset", source, field, "fix the event times");
            if (!(m.PeakWeight >= 0.0 && m.PeakWeight <= 1.0))
                throw new MicroExprException("peak_weight must lie in 0-1", source, field + ".peak_weight", "fix the weight");
            JsonValue env = v["envelope"];
            if (env != null && env.Kind == JsonKind.String) m.Envelope = env.AsString;
            if (m.Envelope != Envelope.Name)
                throw new MicroExprException("unknown envelope '" + m.Envelope + "'", source, field + ".envelope",
                    "use '" + Envelope.Name + "' or update the package");
            JsonValue p = v["params"];
            m.Hold = p != null && p.Kind == JsonKind.Object ? BridgeFile.Number(p, "hold", 0.0, source, field + ".params.hold") : 0.0;
            return m;
        }
    }
}
