// The rules of a valid bridge file between fields, the same as the Python core's
// (shared/microexpr/bridge/validate.py), in the same order and naming the same fields:
// indices within the counts they refer to, counts that agree, names unique and known.
// SchemaWalker calls After once an object's own fields are valid, where the Python model's
// validator runs. Mesh-level arrays in a container are not read (their stored shapes are
// checked), as a lazy Python read does.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public static class BridgeRules
    {
        /// <summary>Fewest rigid landmarks a rig lists.</summary>
        public const int MinRigid = 6;

        /// <summary>Checks a read document as a "rig" or "clip" (the schema, then these rules).</summary>
        public static void Check(BridgeDocument doc, string kind)
        {
            SchemaWalker.Check(doc, kind);
        }

        internal static void After(SchemaWalker w, string def, JsonValue v, string path)
        {
            switch (def)
            {
                case "MeshData": Mesh(w, v, path); break;
                case "ShapeFrame": Frame(w, v, path); break;
                case "MeshShape": FrameWeights(w, v, path); break;
                case "LandmarkPoint": Point(w, v, path); break;
                case "MicroEvent": EventTimes(w, v, path); break;
                case "Clip": Clip(w, v); break;
                case "Rig": RigRules.Check(w, v); break;
            }
        }

        // -- array fields: inline lists or accessors ---------------------------------------------
        internal static bool Present(JsonValue v) { return v != null && !v.IsNull; }

        internal static int Rows(SchemaWalker w, JsonValue v, string path)
        {
            return w.Doc.Rows(v, path);
        }

        /// <summary>The values of an array field (flattened), or null when they stay unread.</summary>
        internal static double[] Values(SchemaWalker w, JsonValue v, string path)
        {
            if (v.Kind == JsonKind.Array)
            {
                var outp = new List<double>();
                Flatten(v, outp);
                return outp.ToArray();
            }
            if (w.Unread(path)) return null;
            return w.Doc.Values(w.Doc.Container.AccessorOf(v, path), path);
        }

        static void Flatten(JsonValue v, List<double> outp)
        {
            if (v.Kind != JsonKind.Array) { outp.Add(v.Kind == JsonKind.Bool ? (v.AsBool ? 1.0 : 0.0) : v.AsDouble); return; }
            for (int i = 0; i < v.Count; i++) Flatten(v[i], outp);
        }

        internal static double Number(JsonValue obj, string key, double fallback)
        {
            JsonValue v = obj[key];
            return v == null ? fallback : v.AsDouble;
        }

        internal static JsonValue List(JsonValue obj, string key)
        {
            JsonValue v = obj[key];
            return v != null && v.Kind == JsonKind.Array ? v : JsonValue.NewArray();
        }

        internal static void Unique(SchemaWalker w, JsonValue names, string field, string what)
        {
            var seen = new HashSet<string>();
            for (int i = 0; i < names.Count; i++)
                if (!seen.Add(names[i].AsString))
                    throw w.Fail(string.Format(field, i), what + " '" + names[i].AsString + "' appears twice", "give each one its own name");
        }

        // -- one object at a time ------------------------------------------------------------------
        static void Mesh(SchemaWalker w, JsonValue v, string path)
        {
            string pf = SchemaWalker.Key(path, "points"), cf = SchemaWalker.Key(path, "face_counts");
            string xf = SchemaWalker.Key(path, "face_indices");
            int n = Rows(w, v["points"], pf);
            double[] counts = Values(w, v["face_counts"], cf), corners = Values(w, v["face_indices"], xf);
            if (counts != null && corners != null)
            {
                double total = 0;
                foreach (double c in counts) total += c;
                if (total != corners.Length)
                    throw w.Fail(xf, "face_counts add up to " + total + " corners but face_indices has " + corners.Length + " entries");
            }
            if (corners != null)
                foreach (double c in corners)
                    if (c >= n) throw w.Fail(xf, "names vertex " + c + "; the mesh has " + n + " points");
            JsonValue uvs = v["uvs"];
            if (Present(uvs) && Rows(w, uvs, SchemaWalker.Key(path, "uvs")) != n)
                throw w.Fail(SchemaWalker.Key(path, "uvs"), "has " + Rows(w, uvs, SchemaWalker.Key(path, "uvs")) + " entries for " + n + " points");
        }

        static void Frame(SchemaWalker w, JsonValue v, string path)
        {
            string idx = SchemaWalker.Key(path, "indices");
            int n = Rows(w, v["indices"], idx);
            if (Rows(w, v["deltas"], SchemaWalker.Key(path, "deltas")) != n)
                throw w.Fail(SchemaWalker.Key(path, "deltas"), "has a different number of offsets than indices (" + n + ")");
            JsonValue nd = v["normal_deltas"];
            if (Present(nd) && Rows(w, nd, SchemaWalker.Key(path, "normal_deltas")) != n)
                throw w.Fail(SchemaWalker.Key(path, "normal_deltas"), "has a different number of offsets than indices (" + n + ")");
            double[] values = Values(w, v["indices"], idx);
            if (values != null && new HashSet<double>(values).Count != values.Length)
                throw w.Fail(idx, "lists a vertex more than once");
        }

        static void FrameWeights(SchemaWalker w, JsonValue v, string path)
        {
            JsonValue frames = v["frames"];
            string field = SchemaWalker.Key(path, "frames");
            if (frames.Count == 0) throw w.Fail(field, "a shape needs at least one frame");
            double last = 0.0;
            for (int k = 0; k < frames.Count; k++)
            {
                double x = Number(frames[k], "weight", 1.0);
                if (k > 0 && !(x > last) || k == frames.Count - 1 && x != 1.0)
                    throw w.Fail(field, "frames must have increasing weights ending at 1.0");
                last = x;
            }
        }

        static void Point(SchemaWalker w, JsonValue v, string path)
        {
            bool vertex = Present(v["vertex"]), tri = Present(v["triangle"]), bary = Present(v["barycentric"]);
            if (vertex == (tri || bary) || (tri || bary) && !(tri && bary))
                throw w.Fail(path, "give either vertex, or triangle and barycentric");
        }

        static void EventTimes(SchemaWalker w, JsonValue v, string path)
        {
            double onset = v["onset"].AsDouble, apex = v["apex"].AsDouble, offset = v["offset"].AsDouble;
            if (!(onset <= apex && apex <= offset))
                throw w.Fail(path, "need onset <= apex <= offset, got " + onset + ", " + apex + ", " + offset);
        }

        static void Clip(SchemaWalker w, JsonValue v)
        {
            JsonValue targets = v["targets"], weights = v["weights"];
            int T = targets.Count;
            Unique(w, targets, "targets[{0}]", "the target");
            int F = Rows(w, weights, "weights");
            if (F > 0)
            {
                int cols = weights.Kind == JsonKind.Array ? weights[0].Count
                    : (int)w.Doc.Container.Shape(w.Doc.Container.AccessorOf(weights, "weights"))[1];
                if (cols != T) throw w.Fail("weights", "has " + cols + " weights per frame for " + T + " targets");
            }
            int valid = Rows(w, v["valid"], "valid");
            if (valid != F) throw w.Fail("valid", "has " + valid + " entries for " + F + " frames");
            foreach (double x in Values(w, weights, "weights"))
                if (!(x >= -1e-9 && x <= 1.0 + 1e-9))
                    throw w.Fail("weights", "weights must be finite and within 0-1",
                        "mark frames without data in 'valid' instead of writing NaN");
            JsonValue events = List(v, "events");          // an event on a target the clip lacks is ignored
            for (int e = 0; e < events.Count; e++)
            {
                string at = "events[" + e + "]";
                JsonValue p = events[e]["params"];
                if (p != null && p["hold"] != null && p["hold"].AsDouble < 0)
                    throw w.Fail(at + ".params.hold", "a hold cannot be negative");
            }
        }
    }
}
