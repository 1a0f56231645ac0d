// Checks a bridge document against the JSON Schema the Python core generates from its pydantic
// models (BridgeSchema.cs), as strictly as the Python reader: types exactly as written (no
// number in quotes, no true/false for a number, no 3.0 for a whole number), no unknown
// fields, ranges, lengths. Array fields ("x-array") are checked as one field, inline nested
// lists or a container accessor (its stored shape and type; its values too, except the mesh
// arrays the runtime never reads, which the Python reader also checks only when used). After
// an object's fields pass, BridgeRules checks the rules between them, where the Python model's
// validator runs; so the first problem found is the one the Python reader reports, and both
// name the same field, as a JSON path (targets[3].name).
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    internal sealed class SchemaWalker
    {
        static JsonValue rigSchema, clipSchema;
        static readonly object Gate = new object();

        public readonly BridgeDocument Doc;
        readonly JsonValue defs;
        readonly bool rig;

        SchemaWalker(BridgeDocument doc, JsonValue schema, bool rig)
        {
            Doc = doc;
            defs = schema["$defs"];
            this.rig = rig;
        }

        /// <summary>Checks the document as a "rig" or a "clip"; throws naming the first problem.</summary>
        public static void Check(BridgeDocument doc, string kind)
        {
            bool isRig = kind == "rig";
            JsonValue schema;
            lock (Gate)
            {
                if (isRig) schema = rigSchema ?? (rigSchema = Json.Parse(BridgeSchema.Rig, "BridgeSchema.Rig"));
                else schema = clipSchema ?? (clipSchema = Json.Parse(BridgeSchema.Clip, "BridgeSchema.Clip"));
            }
            new SchemaWalker(doc, schema, isRig).Value(doc.Root, schema, "", isRig ? "Rig" : "Clip");
        }

        public MicroExprException Fail(string path, string problem, string fix = "correct this field")
        {
            return new MicroExprException(problem, Doc.Source, path.Length == 0 ? "(top level)" : path, fix);
        }

        public static string Key(string path, string key) { return path.Length == 0 ? key : path + "." + key; }
        public static string At(string path, int i) { return path + "[" + i + "]"; }

        static string Kind(JsonValue v)
        {
            switch (v.Kind)
            {
                case JsonKind.Null: return "null";
                case JsonKind.Bool: return v.AsBool ? "true" : "false";
                case JsonKind.Number: return v.IsInteger ? "a whole number" : "a fraction";
                case JsonKind.String: return "text \"" + (v.AsString.Length > 30 ? v.AsString.Substring(0, 27) + "..." : v.AsString) + "\"";
                case JsonKind.Array: return "a list";
                default: return "an object";
            }
        }

        void Value(JsonValue v, JsonValue s, string path, string def)
        {
            JsonValue r = s["$ref"];
            if (r != null)
            {
                string name = r.AsString.Substring(r.AsString.LastIndexOf('/') + 1);
                Value(v, defs[name], path, name);
                return;
            }
            JsonValue any = s["anyOf"];
            if (any != null)
            {
                JsonValue other = null;
                bool nullable = false;
                for (int b = 0; b < any.Count; b++)
                {
                    JsonValue t = any[b]["type"];
                    if (t != null && t.Kind == JsonKind.String && t.AsString == "null") nullable = true;
                    else if (other == null) other = any[b];
                }
                if (v.IsNull && nullable) return;
                Value(v, other, path, null);
                return;
            }
            if (s.Has("x-array")) { ArrayField(v, s["x-array"], path); return; }
            JsonValue type = s["type"];
            switch (type == null ? "" : type.AsString)
            {
                case "object": Object(v, s, path, def); return;
                case "array": List(v, s, path); return;
                case "string": Text(v, s, path); return;
                case "integer":
                    if (!v.IsInteger) throw Fail(path, "is " + Kind(v) + ", expected a whole number", "write a whole number, without quotes or a fraction");
                    Range(v.AsDouble, s, path);
                    return;
                case "number":
                    if (v.Kind != JsonKind.Number) throw Fail(path, "is " + Kind(v) + ", expected a number", "write a number, without quotes");
                    Range(v.AsDouble, s, path);
                    return;
                case "boolean":
                    if (v.Kind != JsonKind.Bool) throw Fail(path, "is " + Kind(v) + ", expected true or false", "write true or false");
                    return;
            }
        }

        void Object(JsonValue v, JsonValue s, string path, string def)
        {
            if (v.Kind != JsonKind.Object) throw Fail(path, "is " + Kind(v) + ", expected an object", "write an object {...}");
            JsonValue props = s["properties"], required = s["required"], extra = s["additionalProperties"];
            if (props != null)
                foreach (string key in props.Keys)
                {
                    JsonValue child = v[key];
                    if (child != null) Value(child, props[key], Key(path, key), null);
                    else if (required != null && Contains(required, key)) throw Fail(Key(path, key), "missing", "add the field");
                }
            foreach (string key in v.Keys)
            {
                if (props != null && props.Has(key)) continue;
                if (path.Length == 0 && Doc.Container != null && (key == "accessors" || key == "buffers")) continue;
                if (extra == null || extra.Kind == JsonKind.Bool && extra.AsBool) continue;
                if (extra.Kind == JsonKind.Bool)
                    throw Fail(Key(path, key), "is not a field of " + (def ?? "this object"), "remove it (or keep it under 'extras')");
                Value(v[key], extra, Key(path, key), null);
            }
            if (def != null) BridgeRules.After(this, def, v, path);
        }

        static bool Contains(JsonValue names, string key)
        {
            for (int i = 0; i < names.Count; i++) if (names[i].AsString == key) return true;
            return false;
        }

        void List(JsonValue v, JsonValue s, string path)
        {
            if (v.Kind != JsonKind.Array) throw Fail(path, "is " + Kind(v) + ", expected a list", "write a list [...]");
            JsonValue items = s["items"], lo = s["minItems"], hi = s["maxItems"];
            // as pydantic: a list too long is refused before its items, one too short after them
            if (hi != null && v.Count > hi.AsDouble) throw Fail(path, "has " + v.Count + " entries; it needs at most " + hi.AsDouble);
            if (items != null) for (int i = 0; i < v.Count; i++) Value(v[i], items, At(path, i), null);
            if (lo != null && v.Count < lo.AsDouble) throw Fail(path, "has " + v.Count + " entries; it needs at least " + lo.AsDouble);
        }

        void Text(JsonValue v, JsonValue s, string path)
        {
            if (v.Kind != JsonKind.String) throw Fail(path, "is " + Kind(v) + ", expected text", "write a quoted name");
            JsonValue c = s["const"], e = s["enum"], lo = s["minLength"];
            if (c != null && v.AsString != c.AsString) throw Fail(path, "must be \"" + c.AsString + "\"");
            if (e != null && !Contains(e, v.AsString))
            {
                var names = new string[e.Count];
                for (int i = 0; i < e.Count; i++) names[i] = e[i].AsString;
                throw Fail(path, "\"" + v.AsString + "\" is not one of " + string.Join(", ", names));
            }
            if (lo != null && v.AsString.Length < lo.AsDouble) throw Fail(path, "must not be empty", "write a name");
        }

        void Range(double x, JsonValue s, string path)
        {
            JsonValue lo = s["minimum"], hi = s["maximum"], xlo = s["exclusiveMinimum"], xhi = s["exclusiveMaximum"];
            if (lo != null && !(x >= lo.AsDouble)) throw Fail(path, x + " is below the smallest allowed, " + lo.AsDouble);
            if (hi != null && !(x <= hi.AsDouble)) throw Fail(path, x + " is above the largest allowed, " + hi.AsDouble);
            if (xlo != null && !(x > xlo.AsDouble)) throw Fail(path, "must be more than " + xlo.AsDouble);
            if (xhi != null && !(x < xhi.AsDouble)) throw Fail(path, "must be less than " + xhi.AsDouble);
        }

        // -- array fields: nested lists or a container accessor ---------------------------------
        /// <summary>True for the mesh-level arrays a lazy Python read and this runtime leave unread.</summary>
        public bool Unread(string path)
        {
            if (!rig) return false;
            if (path.StartsWith("meshes[", StringComparison.Ordinal)) return true;
            return (path.StartsWith("targets[", StringComparison.Ordinal) || path.StartsWith("combinations[", StringComparison.Ordinal))
                   && path.Contains(".frames[");
        }

        void ArrayField(JsonValue v, JsonValue spec, string path)
        {
            string kind = spec["kind"].AsString;
            JsonValue shape = spec["shape"];
            double low = spec["low"].AsDouble;
            string what = Describe(kind, shape);
            if (BridgeContainer.IsAccessorNode(v) && Doc.Container != null)
            {
                int k = Doc.Container.AccessorOf(v, path);
                long[] stored = Doc.Container.Shape(k);
                bool fits = stored.Length == shape.Count;
                for (int d = 0; fits && d < stored.Length; d++) fits = shape[d].IsNull || stored[d] == shape[d].AsDouble;
                if (!fits) throw Fail(path, "must be " + what + ", got shape [" + string.Join(", ", Array.ConvertAll(stored, x => x.ToString())) + "]");
                string dtype = Doc.Container.DType(k);
                if (kind != "float" && dtype.StartsWith("float", StringComparison.Ordinal))
                    throw Fail(path, "is stored as " + dtype + "; it must be " + what, "re-export the file from MicroExpr");
                if (Unread(path)) return;
                double[] values = Doc.Values(k, path);
                bool finite = kind == "float" && spec["finite"].AsBool;     // the kind compared once, not per value
                bool index = kind == "index", flag = kind == "bool";
                foreach (double x in values)
                {
                    if (finite && (double.IsNaN(x) || double.IsInfinity(x)))
                        throw Fail(path, "must be finite numbers (no NaN or infinity)", "re-export the file from MicroExpr");
                    if (index && x < low) throw Fail(path, "must be " + low + " or more, got " + x);
                    if (flag && x != 0.0 && x != 1.0) throw Fail(path, "must be " + what + " (0 or 1)");
                }
                return;
            }
            if (BridgeContainer.IsAccessorNode(v))
                throw Fail(path, "holds an accessor ({\"$accessor\": ...}) but the file is plain JSON, not a .microexpr container",
                    "re-export the file from MicroExpr");
            Nested(v, kind, shape, 0, low, path, what);
        }

        static string Describe(string kind, JsonValue shape)
        {
            var dims = new string[shape.Count];
            for (int d = 0; d < dims.Length; d++) dims[d] = shape[d].IsNull ? "n" : shape[d].AsDouble.ToString();
            string items = kind == "float" ? "numbers" : kind == "index" ? "whole numbers" : "true/false values";
            return "[" + string.Join(", ", dims) + "] " + items;
        }

        void Nested(JsonValue v, string kind, JsonValue shape, int level, double low, string path, string what)
        {
            if (level == shape.Count)
            {
                if (kind == "bool" ? v.Kind != JsonKind.Bool : kind == "index" ? !v.IsInteger : v.Kind != JsonKind.Number)
                    throw Fail(path, "must be " + what + ", not " + Kind(v));
                if (kind == "index" && !(v.AsDouble >= low && v.AsDouble < 4611686018427387904.0))
                    throw Fail(path, "must be " + low + " or more, got " + v.AsDouble);
                return;
            }
            if (v.Kind != JsonKind.Array) throw Fail(path, "must be " + what + " (rows of equal length)");
            if (level == 0 && v.Count == 0 && shape[0].IsNull) return;
            if (!shape[level].IsNull && v.Count != shape[level].AsDouble)
                throw Fail(path, "must be " + what + ", got " + v.Count + " entries where " + shape[level].AsDouble + " belong");
            int width = -1;
            for (int i = 0; i < v.Count; i++)
            {
                JsonValue row = v[i];
                if (level + 1 < shape.Count)
                {
                    if (row.Kind != JsonKind.Array) throw Fail(path, "must be " + what + " (rows of equal length)");
                    if (width >= 0 && row.Count != width) throw Fail(path, "must be " + what + " (rows of equal length)");
                    width = row.Count;
                }
                Nested(row, kind, shape, level + 1, low, path, what);
            }
        }
    }
}
