// What the runtime needs from a bridge rig: target names, the landmark delta matrix, the
// neutral landmarks and the rigid / reference sets, the solve set, the combinations
// (correctives) and the landmark offsets of in-betweens and combination frames, read from JSON
// text (version 2 or 3) or from a .microexpr container (its header and the landmark arrays of
// its payload). Never vertex indices: Unity's importer reorders vertices, the landmark delta
// matrix does not depend on them.
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
        /// <summary>The targets the solver drives (rig indices, ascending): the rig's
        /// solve_set, or every target when it declares none. The others stay at 0.</summary>
        public readonly int[] SolveSet;
        /// <summary>Whether the rig declares a solve_set.</summary>
        public readonly bool HasSolveSet;
        /// <summary>Combinations (correctives), each active at the product of its drivers' weights.</summary>
        public readonly string[] CombinationNames;
        /// <summary>Per combination: its drivers' target indices.</summary>
        public readonly int[][] CombinationDrivers;
        /// <summary>The landmark offsets of in-betweens and combination frames (landmark_deltas.frames).</summary>
        public readonly LandmarkFrame[] Frames;

        public int TargetCount { get { return TargetNames.Length; } }

        public RigData(string name, string lengthUnit, string[] targetNames, double[] deltas,
                       double[] neutral, int[] rigid, int[] reference, bool[] observable,
                       string fingerprint = null, string source = null)
            : this(name, lengthUnit, targetNames, deltas, neutral, rigid, reference, observable, fingerprint,
                   source, null, null, null, null)
        {
        }

        /// <summary>A rig with a solve set (null: every target), combinations (names and driver
        /// indices; null: none) and landmark frames (null: none).</summary>
        public RigData(string name, string lengthUnit, string[] targetNames, double[] deltas,
                       double[] neutral, int[] rigid, int[] reference, bool[] observable,
                       string fingerprint, string source, int[] solveSet, string[] combinationNames,
                       int[][] combinationDrivers, LandmarkFrame[] frames)
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
            HasSolveSet = solveSet != null;
            SolveSet = CheckSolveSet(solveSet, T, source);
            CombinationNames = combinationNames ?? new string[0];
            CombinationDrivers = combinationDrivers ?? new int[0][];
            CheckCombinations(T, source);
            Frames = frames ?? new LandmarkFrame[0];
            CheckFrames(source);
        }

        static int[] CheckSolveSet(int[] solveSet, int T, string source)
        {
            if (solveSet == null)
            {
                var all = new int[T];
                for (int t = 0; t < T; t++) all[t] = t;
                return all;
            }
            if (solveSet.Length == 0)
                throw new MicroExprException("is empty", source, "solve_set",
                    "list the targets the solve drives, or leave solve_set out to solve every target");
            var seen = new bool[T];
            foreach (int t in solveSet)
            {
                if (t < 0 || t >= T)
                    throw new MicroExprException("names target " + t + " of " + T, source, "solve_set", "name targets of the rig");
                if (seen[t])
                    throw new MicroExprException("lists target " + t + " twice", source, "solve_set", "list each target once");
                seen[t] = true;
            }
            var sorted = (int[])solveSet.Clone();
            Array.Sort(sorted);
            return sorted;
        }

        void CheckCombinations(int T, string source)
        {
            if (CombinationDrivers.Length != CombinationNames.Length)
                throw new MicroExprException("needs drivers for every combination", source, "combinations",
                    "re-export the rig with microexpr");
            for (int c = 0; c < CombinationNames.Length; c++)
            {
                int[] d = CombinationDrivers[c];
                if (d == null || d.Length < 2)
                    throw new MicroExprException("needs at least two drivers", source, "combinations[" + c + "].drivers",
                        "name the targets that drive the corrective");
                foreach (int t in d)
                    if (t < 0 || t >= T)
                        throw new MicroExprException("names target " + t + " of " + T, source,
                            "combinations[" + c + "].drivers", "name targets of the rig");
            }
        }

        void CheckFrames(string source)
        {
            for (int k = 0; k < Frames.Length; k++)
            {
                LandmarkFrame f = Frames[k];
                string field = "landmark_deltas.frames[" + k + "]";
                if (f == null || f.Deltas == null || f.Deltas.Length != Landmarks.Count * 3)
                    throw new MicroExprException("needs 68 landmark offsets of 3 coordinates", source, field,
                        "re-export the rig with microexpr");
                bool target = f.Target >= 0 && f.Target < TargetCount && f.Combination < 0;
                bool combo = f.Combination >= 0 && f.Combination < CombinationNames.Length && f.Target < 0;
                if (!target && !combo)
                    throw new MicroExprException("belongs to no target or combination", source, field + ".shape",
                        "name a target or a combination of the rig");
                if (!(f.Weight > 0.0 && f.Weight <= 1.0) || (target && f.Weight >= 1.0))
                    throw new MicroExprException("has weight " + f.Weight + (target ? " (an in-between needs 0 < weight < 1)" :
                        " (needs 0 < weight <= 1)"), source, field + ".weight", "re-export the rig with microexpr");
                for (int i = 0; i < f.Deltas.Length; i++)
                    if (double.IsNaN(f.Deltas[i]) || double.IsInfinity(f.Deltas[i]))
                        throw new MicroExprException("holds NaN or infinite values", source, field + ".deltas",
                            "re-export the rig with microexpr");
                for (int j = 0; j < k; j++)
                    if (Frames[j].Target == f.Target && Frames[j].Combination == f.Combination && Frames[j].Weight == f.Weight)
                        throw new MicroExprException("repeats '" + f.Shape + "' at weight " + f.Weight, source, field,
                            "give each frame once");
            }
            for (int c = 0; c < CombinationNames.Length; c++)
            {
                bool any = false, full = false;
                foreach (LandmarkFrame f in Frames)
                    if (f.Combination == c) { any = true; if (f.Weight == 1.0) full = true; }
                if (any && !full)
                    throw new MicroExprException("has frames of '" + CombinationNames[c] + "' but not the one at weight 1",
                        source, "landmark_deltas.frames", "give every frame of a combination (rig.curves.landmark_frames)");
            }
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
            BridgeRules.Check(doc, "rig");
            JsonValue targets = BridgeFile.Need(root, "targets", JsonKind.Array, source, "targets");
            int T = targets.Count;
            if (T == 0) throw new MicroExprException("the rig has no targets", source, "targets", "export a rig with targets");
            var names = new string[T];
            var observable = new bool[T];
            for (int t = 0; t < T; t++)
            {
                JsonValue tv = targets[t];
                names[t] = BridgeFile.Need(tv, "name", JsonKind.String, source, "targets[" + t + "].name").AsString;
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
            var index = new Dictionary<string, int>();
            for (int t = 0; t < T; t++) index[names[t]] = t;
            string[] comboNames;
            int[][] drivers = ReadCombinations(root, index, source, out comboNames);
            int[] solveSet = ReadSolveSet(root, index, comboNames, source);
            LandmarkFrame[] frames = ReadFrames(doc, ld, index, comboNames);
            return new RigData(name, unit, names, deltas, neutral, rigid, reference, observable, fingerprint, source,
                               solveSet, comboNames, drivers, frames);
        }

        static int[][] ReadCombinations(JsonValue root, Dictionary<string, int> index, string source, out string[] names)
        {
            JsonValue combos = root["combinations"];
            if (combos == null || combos.Kind == JsonKind.Null) { names = new string[0]; return new int[0][]; }
            if (combos.Kind != JsonKind.Array)
                throw new MicroExprException("must be an array", source, "combinations", "re-export the rig with microexpr");
            names = new string[combos.Count];
            var drivers = new int[combos.Count][];
            for (int c = 0; c < combos.Count; c++)
            {
                names[c] = BridgeFile.Need(combos[c], "name", JsonKind.String, source, "combinations[" + c + "].name").AsString;
                string field = "combinations[" + c + "].drivers";
                string[] dn = BridgeFile.Strings(BridgeFile.Need(combos[c], "drivers", JsonKind.Array, source, field), source, field);
                drivers[c] = new int[dn.Length];
                for (int k = 0; k < dn.Length; k++)
                    if (!index.TryGetValue(dn[k], out drivers[c][k]))
                        throw new MicroExprException("names '" + dn[k] + "', which is not a target", source, field,
                            "name targets of the rig");
            }
            return drivers;
        }

        static int[] ReadSolveSet(JsonValue root, Dictionary<string, int> index, string[] comboNames, string source)
        {
            JsonValue set = root["solve_set"];
            if (set == null || set.Kind == JsonKind.Null) return null;
            string[] names = BridgeFile.Strings(set, source, "solve_set");
            var outp = new int[names.Length];
            for (int k = 0; k < names.Length; k++)
            {
                if (Array.IndexOf(comboNames, names[k]) >= 0)
                    throw new MicroExprException("lists '" + names[k] + "', a combination: combinations follow their drivers",
                        source, "solve_set", "list the drivers instead");
                if (!index.TryGetValue(names[k], out outp[k]))
                    throw new MicroExprException("lists '" + names[k] + "', which is not a target of the rig", source,
                        "solve_set", "name targets of the rig");
            }
            return outp;
        }

        static LandmarkFrame[] ReadFrames(BridgeDocument doc, JsonValue ld, Dictionary<string, int> index, string[] comboNames)
        {
            JsonValue frames = ld["frames"];
            if (frames == null || frames.Kind == JsonKind.Null) return new LandmarkFrame[0];
            if (frames.Kind != JsonKind.Array)
                throw new MicroExprException("must be an array", doc.Source, "landmark_deltas.frames", "re-export the rig with microexpr");
            var outp = new LandmarkFrame[frames.Count];
            for (int k = 0; k < frames.Count; k++)
            {
                string field = "landmark_deltas.frames[" + k + "]";
                JsonValue f = frames[k];
                string shape = BridgeFile.Need(f, "shape", JsonKind.String, doc.Source, field + ".shape").AsString;
                double weight = BridgeFile.Need(f, "weight", JsonKind.Number, doc.Source, field + ".weight").AsDouble;
                double[] d = doc.Numbers(doc.NeedArray(f, "deltas", field + ".deltas"), new[] { Landmarks.Count, 3 }, field + ".deltas");
                int t;
                if (!index.TryGetValue(shape, out t)) t = -1;
                int c = t >= 0 ? -1 : Array.IndexOf(comboNames, shape);
                if (t < 0 && c < 0)
                    throw new MicroExprException("names '" + shape + "', neither a target nor a combination", doc.Source,
                        field + ".shape", "re-export the rig with microexpr");
                outp[k] = new LandmarkFrame(shape, t, c, weight, d);
            }
            return outp;
        }
    }

    /// <summary>How one in-between frame of a target (Target >= 0, Weight < 1), or one frame of
    /// a combination (Combination >= 0), moves the 68 landmarks: [landmark][xyz].</summary>
    public sealed class LandmarkFrame
    {
        public readonly string Shape;
        public readonly int Target;
        public readonly int Combination;
        public readonly double Weight;
        public readonly double[] Deltas;

        public LandmarkFrame(string shape, int target, int combination, double weight, double[] deltas)
        {
            Shape = shape;
            Target = target;
            Combination = combination;
            Weight = weight;
            Deltas = deltas;
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
            int version = v != null && v.IsInteger && Math.Abs(v.AsDouble) < 1e9 ? (int)v.AsDouble : 1;
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
