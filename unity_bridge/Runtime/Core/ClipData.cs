// A bridge clip: weights per frame and target (0-1), validity, and micro-expression events,
// read from JSON text (version 2 or 3) or a .microexpr container.
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

        /// <summary>Reads a bridge clip from JSON text (version 2 or 3).</summary>
        public static ClipData FromJson(string text, string source = null)
        {
            return FromDocument(BridgeDocument.FromText(text, source));
        }

        public static ClipData FromJson(JsonValue root, string source = null)
        {
            return FromDocument(BridgeDocument.FromJson(root, source));
        }

        /// <summary>Reads a bridge clip from a file's bytes: a .microexpr container or JSON text.
        /// <paramref name="path"/> names the file in errors and locates an external .bin.</summary>
        public static ClipData FromBytes(byte[] data, string path = null)
        {
            using (BridgeDocument doc = BridgeDocument.FromBytes(data, path)) return FromDocument(doc);
        }

        /// <summary>Reads a bridge clip file (a .microexpr container or JSON text).</summary>
        public static ClipData Load(string path)
        {
            using (BridgeDocument doc = BridgeDocument.Load(path)) return FromDocument(doc);
        }

        /// <summary>The clip of a read bridge document: weights (float64 [frames][targets]) and
        /// valid (uint8 [frames]) inline or in the container's payload.</summary>
        public static ClipData FromDocument(BridgeDocument doc)
        {
            JsonValue root = doc.Root;
            string source = doc.Source;
            BridgeFile.Check(root, "clip", source);
            BridgeRules.Check(doc, "clip");
            var c = new ClipData();
            c.Fps = BridgeFile.Need(root, "fps", JsonKind.Number, source, "fps").AsDouble;
            if (!(c.Fps > 0) || double.IsInfinity(c.Fps))
                throw new MicroExprException("the frame rate must be positive", source, "fps", "write e.g. 30");
            c.StartTime = BridgeFile.Number(root, "start_time", 0.0, source, "start_time");
            c.Targets = BridgeFile.Strings(BridgeFile.Need(root, "targets", JsonKind.Array, source, "targets"), source, "targets");
            JsonValue w = doc.NeedArray(root, "weights", "weights");
            int F = doc.Rows(w, "weights"), T = c.Targets.Length;
            c.Weights = doc.Numbers(w, new[] { F, T }, "weights");
            foreach (double x in c.Weights)
                if (!(x >= -1e-9 && x <= 1.0 + 1e-9))
                    throw new MicroExprException("weights must be finite and within 0-1", source, "weights",
                        "mark frames without data in 'valid' instead of writing NaN");
            c.Valid = doc.Flags(doc.NeedArray(root, "valid", "valid"), F, "valid");
            JsonValue hold = root["hold_invalid"];
            c.HoldInvalid = hold != null && hold.Kind == JsonKind.Bool && hold.AsBool;
            JsonValue fp = root["rig_fingerprint"];
            c.RigFingerprint = fp != null && fp.Kind == JsonKind.String ? fp.AsString : null;
            JsonValue ev = root["events"];
            if (ev != null && ev.Kind == JsonKind.Array)
            {
                c.Events = new MicroEvent[ev.Count];
                for (int e = 0; e < ev.Count; e++) c.Events[e] = ReadEvent(ev[e], source, "events[" + e + "]");
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
