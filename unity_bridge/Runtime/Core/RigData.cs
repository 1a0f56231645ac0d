// What the runtime needs from a bridge rig: target names, the landmark delta matrix, the
// neutral landmarks and the rigid / reference sets, read from JSON text (version 2 or 3) or
// from a .microexpr container (its header and the two landmark arrays of its payload). Never
// vertex indices: Unity's importer reorders vertices, the landmark delta matrix does not
// depend on them.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class RigData
    {
        /// <summary>The newest bridge format version this package reads (3: the .microexpr
        /// container, or the same document as plain JSON).</summary>
        public const int FormatVersion = 3;
        /// <summary>The oldest version read (older files: migrate them with the Python tools).</summary>
        public const int OldestFormatVersion = 2;

        public readonly string Name;
        /// <summary>Length unit of deltas and neutral: mm, cm, m or in.</summary>
        public readonly string LengthUnit;
        public readonly string[] TargetNames;
        /// <summary>Landmark offsets per target, file order [target][landmark][xyz] (T*68*3).</summary>
        public readonly double[] Deltas;
        /// <summary>Neutral landmark positions [landmark][xyz] (68*3).</summary>
        public readonly double[] Neutral;
        public readonly int[] Rigid;
        public readonly int[] Reference;
        /// <summary>False for targets 68 landmarks cannot see: the solver holds them at 0.</summary>
        public readonly bool[] Observable;
        public readonly string Fingerprint;

        public int TargetCount { get { return TargetNames.Length; } }

        public RigData(string name, string lengthUnit, string[] targetNames, double[] deltas,
                       double[] neutral, int[] rigid, int[] reference, bool[] observable,
                       string fingerprint = null, string source = null)
        {
            int T = targetNames == null ? 0 : targetNames.Length;
            if (T == 0) throw new MicroExprException("the rig has no targets", source, "targets", "export a rig with targets");
            if (deltas == null || deltas.Length != T * Landmarks.Count * 3)
                throw new MicroExprException("landmark deltas must be [targets][68][3]", source,
                    "landmark_deltas.deltas", "re-export the rig with microexpr");
            if (neutral == null || neutral.Length != Landmarks.Count * 3)
                throw new MicroExprException("needs 68 neutral landmarks of 3 coordinates", source,
                    "landmarks.neutral", "re-export the rig with microexpr");
            if (observable == null || observable.Length != T)
                throw new MicroExprException("needs one observable flag per target", source,
                    "targets.info.observable", "re-export the rig with microexpr");
            CheckIndices(rigid, "landmarks.rigid", source);
            CheckIndices(reference, "landmarks.reference_points", source);
            if (rigid.Length < Landmarks.MinRigid)
                throw new MicroExprException("needs at least " + Landmarks.MinRigid + " rigid landmarks, has " + rigid.Length,
                    source, "landmarks.rigid", "list the landmarks no expression moves");
            if (reference.Length == 0)
                throw new MicroExprException("needs at least one reference point", source,
                    "landmarks.reference_points", "use [27], the top of the nose bridge");
            for (int i = 0; i < deltas.Length; i++)
                if (double.IsNaN(deltas[i]) || double.IsInfinity(deltas[i]))
                    throw new MicroExprException("landmark deltas hold NaN or infinite values", source,
                        "landmark_deltas.deltas", "re-export the rig with microexpr");
            for (int i = 0; i < neutral.Length; i++)
                if (double.IsNaN(neutral[i]) || double.IsInfinity(neutral[i]))
                    throw new MicroExprException("neutral landmarks hold NaN or infinite values", source,
                        "landmarks.neutral", "re-export the rig with microexpr");
            Name = name ?? "face";
            LengthUnit = lengthUnit ?? "cm";
            UnitySpace.MetresPerUnit(LengthUnit, source);
            TargetNames = targetNames;
            Deltas = deltas;
            Neutral = neutral;
            Rigid = rigid;
            Reference = reference;
            Observable = observable;
            Fingerprint = fingerprint;
        }

        static void CheckIndices(int[] idx, string field, string source)
        {
            if (idx == null) throw new MicroExprException("missing", source, field, "re-export the rig with microexpr");
            foreach (int v in idx)
                if (v < 0 || v >= Landmarks.Count)
                    throw new MicroExprException("landmark index " + v + " is outside 0-67", source, field,
                        "use iBUG-68 indices");
        }

        /// <summary>The rig's landmark delta matrix as (68, 3, T), landmark-major: [l*3+j][t].</summary>
        public double Delta(int landmark, int axis, int target)
        {
            return Deltas[(target * Landmarks.Count + landmark) * 3 + axis];
        }

        /// <summary>Reads a bridge rig from JSON text (version 2 or 3).</summary>
        public static RigData FromJson(string text, string source = null)
        {
            return FromDocument(BridgeDocument.FromText(text, source));
        }

        public static RigData FromJson(JsonValue root, string source = null)
        {
            return FromDocument(BridgeDocument.FromJson(root, source));
        }

        /// <summary>Reads a bridge rig from a file's bytes: a .microexpr container or JSON text.
        /// <paramref name="path"/> names the file in errors and locates an external .bin.</summary>
        public static RigData FromBytes(byte[] data, string path = null)
        {
            using (BridgeDocument doc = BridgeDocument.FromBytes(data, path)) return FromDocument(doc);
        }

        /// <summary>Reads a bridge rig file: of a container, only the header and the landmark
        /// arrays (never the meshes or the target deltas).</summary>
        public static RigData Load(string path)
        {
            using (BridgeDocument doc = BridgeDocument.Load(path)) return FromDocument(doc);
        }

        /// <summary>The rig of a read bridge document (its arrays inline or in the container).</summary>
        public static RigData FromDocument(BridgeDocument doc)
        {
            JsonValue root = doc.Root;
            string source = doc.Source;
            BridgeFile.Check(root, "rig", source);
            JsonValue targets = BridgeFile.Need(root, "targets", JsonKind.Array, source, "targets");
            int T = targets.Count;
            if (T == 0) throw new MicroExprException("the rig has no targets", source, "targets", "export a rig with targets");
            var names = new string[T];
            var observable = new bool[T];
            for (int t = 0; t < T; t++)
            {
                JsonValue tv = targets[t];
                names[t] = BridgeFile.Need(tv, "name", JsonKind.String, source, "targets." + t + ".name").AsString;
                JsonValue info = tv["info"];
                JsonValue obs = info == null ? null : info["observable"];
                observable[t] = obs == null || obs.Kind != JsonKind.Bool || obs.AsBool;
            }
            JsonValue ld = BridgeFile.Need(root, "landmark_deltas", JsonKind.Object, source, "landmark_deltas");
            JsonValue ldNames = BridgeFile.Need(ld, "targets", JsonKind.Array, source, "landmark_deltas.targets");
            if (ldNames.Count != T)
                throw new MicroExprException("lists " + ldNames.Count + " targets, the rig has " + T, source,
                    "landmark_deltas.targets", "re-export the rig with microexpr");
            for (int t = 0; t < T; t++)
                if (ldNames[t].Kind != JsonKind.String || ldNames[t].AsString != names[t])
                    throw new MicroExprException("must list the targets in rig order", source,
                        "landmark_deltas.targets", "re-export the rig with microexpr");
            double[] deltas = doc.Numbers(doc.NeedArray(ld, "deltas", "landmark_deltas.deltas"),
                new[] { T, Landmarks.Count, 3 }, "landmark_deltas.deltas");
            JsonValue lm = BridgeFile.Need(root, "landmarks", JsonKind.Object, source, "landmarks");
            double[] neutral = doc.Numbers(doc.NeedArray(lm, "neutral", "landmarks.neutral"),
                new[] { Landmarks.Count, 3 }, "landmarks.neutral");
            int[] rigid = BridgeFile.Ints(BridgeFile.Need(lm, "rigid", JsonKind.Array, source, "landmarks.rigid"),
                source, "landmarks.rigid");
            int[] reference = lm.Has("reference_points")
                ? BridgeFile.Ints(lm["reference_points"], source, "landmarks.reference_points")
                : new[] { Landmarks.ReferencePoint };
            string unit = "cm";
            JsonValue units = root["units"];
            if (units != null && units["length"] != null && units["length"].Kind == JsonKind.String)
                unit = units["length"].AsString;
            string name = root["name"] != null && root["name"].Kind == JsonKind.String ? root["name"].AsString : "face";
            string fingerprint = null;
            JsonValue meshes = root["meshes"];
            if (meshes != null && meshes.Kind == JsonKind.Array)
            {
                string lmMesh = lm["mesh"] != null ? lm["mesh"].AsString : null;
                for (int m = 0; m < meshes.Count; m++)
                    if (meshes[m]["name"] != null && meshes[m]["name"].AsString == lmMesh && meshes[m]["fingerprint"] != null)
                        fingerprint = meshes[m]["fingerprint"].AsString;
            }
            return new RigData(name, unit, names, deltas, neutral, rigid, reference, observable, fingerprint, source);
        }
    }

    /// <summary>Checks shared by rig and clip files.</summary>
    public static class BridgeFile
    {
        /// <summary>"rig" or "clip" from the file's format field (null when it has none).</summary>
        public static string Kind(JsonValue root)
        {
            if (root == null || root.Kind != JsonKind.Object) return null;
            JsonValue f = root["format"];
            if (f == null || f.Kind != JsonKind.String) return null;
            if (f.AsString == "microexpr.rig") return "rig";
            if (f.AsString == "microexpr.clip") return "clip";
            return null;
        }

        public static void Check(JsonValue root, string kind, string source)
        {
            if (root.Kind != JsonKind.Object)
                throw new MicroExprException("the top level is not an object", source, null,
                    "pass a " + kind + " file written by MicroExpr");
            JsonValue f = root["format"];
            if (f != null && (f.Kind != JsonKind.String || f.AsString != "microexpr." + kind))
                throw new MicroExprException("is a '" + (f.Kind == JsonKind.String ? f.AsString : "?") +
                    "' file, not a " + kind, source, "format", "pass the " + kind + " file here");
            JsonValue v = root["version"];
            int version = v != null && v.Kind == JsonKind.Number ? (int)v.AsDouble : 1;
            if (version > RigData.FormatVersion)
                throw new MicroExprException("format version " + version + " is newer than this package reads (" +
                    RigData.FormatVersion + ")", source, "version", "update the com.microexpr.bridge package");
            if (version < RigData.OldestFormatVersion)
                throw new MicroExprException("format version " + version + " is older than this package reads (" +
                    RigData.OldestFormatVersion + " to " + RigData.FormatVersion + ")", source, "version",
                    "migrate it with the Python tools: microexpr export (or load and save it once)");
        }

        public static JsonValue Need(JsonValue obj, string key, JsonKind kind, string source, string field)
        {
            JsonValue v = obj == null ? null : obj[key];
            if (v == null)
                throw new MicroExprException("missing", source, field, "re-export the file with microexpr");
            if (v.Kind != kind)
                throw new MicroExprException("is " + v.Kind.ToString().ToLowerInvariant() + ", expected " +
                    kind.ToString().ToLowerInvariant(), source, field, "re-export the file with microexpr");
            return v;
        }

        /// <summary>A nested array of numbers of the given shape, flattened in row-major order.
        /// With <paramref name="nullIsNaN"/>, null entries read as NaN (golden vectors).</summary>
        public static double[] Numbers(JsonValue arr, int[] shape, string source, string field, bool nullIsNaN)
        {
            int n = 1;
            foreach (int d in shape) n *= d;
            var outp = new double[n];
            int pos = 0;
            Fill(arr, shape, 0, outp, ref pos, source, field, nullIsNaN);
            return outp;
        }

        static void Fill(JsonValue v, int[] shape, int level, double[] outp, ref int pos, string source,
                         string field, bool nullIsNaN)
        {
            if (level == shape.Length)
            {
                if (v.Kind == JsonKind.Number) outp[pos++] = v.AsDouble;
                else if (v.Kind == JsonKind.Null && nullIsNaN) outp[pos++] = double.NaN;
                else throw new MicroExprException("holds a " + v.Kind.ToString().ToLowerInvariant() + " where a number belongs",
                    source, field, "write numbers only");
                return;
            }
            if (v.Kind != JsonKind.Array || v.Count != shape[level])
                throw new MicroExprException("must be shaped [" + string.Join("][", Array.ConvertAll(shape, x => x.ToString())) +
                    "] (level " + level + " has " + (v.Kind == JsonKind.Array ? v.Count.ToString() : "no array") + ")",
                    source, field, "re-export the file with microexpr");
            for (int k = 0; k < v.Count; k++) Fill(v[k], shape, level + 1, outp, ref pos, source, field, nullIsNaN);
        }

        public static int[] Ints(JsonValue arr, string source, string field)
        {
            if (arr == null || arr.Kind != JsonKind.Array)
                throw new MicroExprException("must be an array of integers", source, field, "re-export the file with microexpr");
            var outp = new int[arr.Count];
            for (int k = 0; k < arr.Count; k++)
            {
                JsonValue v = arr[k];
                if (v.Kind != JsonKind.Number || v.AsDouble != Math.Floor(v.AsDouble))
                    throw new MicroExprException("entry " + k + " is not an integer", source, field, "write whole numbers");
                outp[k] = (int)v.AsDouble;
            }
            return outp;
        }

        public static string[] Strings(JsonValue arr, string source, string field)
        {
            if (arr == null || arr.Kind != JsonKind.Array)
                throw new MicroExprException("must be an array of names", source, field, "re-export the file with microexpr");
            var outp = new string[arr.Count];
            var seen = new HashSet<string>();
            for (int k = 0; k < arr.Count; k++)
            {
                if (arr[k].Kind != JsonKind.String)
                    throw new MicroExprException("entry " + k + " is not a name", source, field, "write quoted names");
                outp[k] = arr[k].AsString;
                if (!seen.Add(outp[k]))
                    throw new MicroExprException("the name '" + outp[k] + "' appears twice", source, field, "keep names unique");
            }
            return outp;
        }

        public static double Number(JsonValue obj, string key, double fallback, string source, string field)
        {
            JsonValue v = obj[key];
            if (v == null) return fallback;
            if (v.Kind != JsonKind.Number)
                throw new MicroExprException("is not a number", source, field, "write a number");
            return v.AsDouble;
        }
    }
}
