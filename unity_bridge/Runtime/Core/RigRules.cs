// The rules of a valid rig between its parts, as the Python core's validate.check_rig (same
// order, same fields): unique mesh, target and combination names; shapes on meshes of the rig
// moving their own vertices; landmarks, key points and soft-mods on vertices that exist; the
// landmark delta matrix in rig order; symmetry maps within range; the solve set; the
// landmark frames of in-betweens and combinations.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    internal static class RigRules
    {
        public static void Check(SchemaWalker w, JsonValue root)
        {
            JsonValue meshes = root["meshes"], targets = root["targets"];
            BridgeRules.Unique(w, Names(meshes), "meshes[{0}].name", "the mesh name");
            var sizes = new Dictionary<string, int>();
            for (int m = 0; m < meshes.Count; m++)
                sizes[meshes[m]["name"].AsString] = BridgeRules.Rows(w, meshes[m]["points"], "meshes[" + m + "].points");
            JsonValue names = Names(targets);
            BridgeRules.Unique(w, names, "targets[{0}].name", "the target name");
            var index = new Dictionary<string, int>();
            for (int t = 0; t < names.Count; t++) index[names[t].AsString] = t;
            JsonValue combos = BridgeRules.List(root, "combinations");
            Combinations(w, combos, index);
            Shapes(w, targets, "targets", sizes);
            Shapes(w, combos, "combinations", sizes);
            JsonValue lm = root["landmarks"];
            Landmarks(w, lm, sizes);
            int lmSize = sizes[lm["mesh"].AsString];
            for (int t = 0; t < targets.Count; t++)
            {
                JsonValue mods = BridgeRules.List(targets[t], "softmods");
                for (int j = 0; j < mods.Count; j++)
                    if (mods[j]["vertex"].AsDouble >= lmSize)
                        throw w.Fail("targets[" + t + "].softmods[" + j + "].vertex", "names vertex " + mods[j]["vertex"].AsDouble +
                            "; the landmark mesh has " + lmSize + " points");
            }
            JsonValue keys = BridgeRules.List(root, "key_points");
            for (int i = 0; i < keys.Count; i++)
            {
                string mesh = keys[i]["mesh"].AsString;
                if (!sizes.ContainsKey(mesh)) throw w.Fail("key_points[" + i + "].mesh", "'" + mesh + "' is not a mesh of the rig");
                if (keys[i]["vertex"].AsDouble >= sizes[mesh])
                    throw w.Fail("key_points[" + i + "].vertex", "names vertex " + keys[i]["vertex"].AsDouble + "; mesh '" + mesh +
                        "' has " + sizes[mesh] + " points");
            }
            JsonValue ld = root["landmark_deltas"];
            JsonValue ldNames = ld["targets"];
            bool same = ldNames.Count == names.Count;
            for (int t = 0; same && t < names.Count; t++) same = ldNames[t].AsString == names[t].AsString;
            if (!same) throw w.Fail("landmark_deltas.targets", "must list the rig's " + names.Count + " targets in rig order");
            int rows = BridgeRules.Rows(w, ld["deltas"], "landmark_deltas.deltas");
            if (rows != names.Count)
                throw w.Fail("landmark_deltas.deltas", "landmark_deltas.deltas must be [targets][68][3]: " + names.Count +
                    " targets, " + rows + " rows");
            JsonValue sym = root["symmetry"];
            if (BridgeRules.Present(sym)) Symmetry(w, sym, index, sizes);
            SolveSet(w, root["solve_set"], index, combos);
            Frames(w, root, targets, combos, lm["mesh"].AsString);
        }

        static JsonValue Names(JsonValue objects)
        {
            JsonValue outp = JsonValue.NewArray();
            for (int i = 0; i < objects.Count; i++) outp.Add(objects[i]["name"]);
            return outp;
        }

        static void Combinations(SchemaWalker w, JsonValue combos, Dictionary<string, int> index)
        {
            var seen = new HashSet<string>();
            for (int k = 0; k < combos.Count; k++)
            {
                string name = combos[k]["name"].AsString;
                if (index.ContainsKey(name) || seen.Contains(name))
                    throw w.Fail("combinations[" + k + "].name", "'" + name + "' is already the name of a " +
                        (index.ContainsKey(name) ? "target" : "combination"));
                seen.Add(name);
                JsonValue drivers = combos[k]["drivers"];
                var used = new HashSet<string>();
                for (int d = 0; d < drivers.Count; d++)
                    if (!index.ContainsKey(drivers[d].AsString))
                        throw w.Fail("combinations[" + k + "].drivers", "'" + drivers[d].AsString + "' is not a target");
                for (int d = 0; d < drivers.Count; d++)
                    if (!used.Add(drivers[d].AsString)) throw w.Fail("combinations[" + k + "].drivers", "a driver is listed twice");
            }
        }

        static void Shapes(SchemaWalker w, JsonValue owners, string group, Dictionary<string, int> sizes)
        {
            for (int i = 0; i < owners.Count; i++)
            {
                string name = owners[i]["name"].AsString;
                JsonValue shapes = owners[i]["shapes"];
                var seen = new HashSet<string>();
                for (int j = 0; j < shapes.Count; j++)
                {
                    string at = group + "[" + i + "].shapes[" + j + "]";
                    string mesh = shapes[j]["mesh"].AsString;
                    int n;
                    if (!sizes.TryGetValue(mesh, out n)) throw w.Fail(at + ".mesh", "'" + name + "' refers to unknown mesh '" + mesh + "'");
                    if (!seen.Add(mesh)) throw w.Fail(at + ".mesh", "'" + name + "' has two shapes on mesh '" + mesh + "'");
                    JsonValue frames = shapes[j]["frames"];
                    for (int k = 0; k < frames.Count; k++)
                    {
                        string field = at + ".frames[" + k + "].indices";
                        double[] idx = BridgeRules.Values(w, frames[k]["indices"], field);
                        if (idx == null) continue;
                        foreach (double v in idx)
                            if (v >= n) throw w.Fail(field, "target '" + name + "' moves vertex " + v + " beyond mesh '" + mesh + "''s " + n + " points");
                    }
                }
            }
        }

        static void Landmarks(SchemaWalker w, JsonValue lm, Dictionary<string, int> sizes)
        {
            string mesh = lm["mesh"].AsString;
            int n;
            if (!sizes.TryGetValue(mesh, out n)) throw w.Fail("landmarks.mesh", "'" + mesh + "' is not a mesh of the rig");
            JsonValue points = lm["points"];
            for (int i = 0; i < points.Count; i++)
            {
                string at = "landmarks.points[" + i + "]";
                JsonValue v = points[i]["vertex"], tri = points[i]["triangle"];
                if (BridgeRules.Present(v) && v.AsDouble >= n)
                    throw w.Fail(at + ".vertex", "names vertex " + v.AsDouble + "; mesh '" + mesh + "' has " + n +
                        " points (a landmark file made for another mesh?)");
                if (BridgeRules.Present(tri))
                    for (int c = 0; c < tri.Count; c++)
                        if (tri[c].AsDouble >= n) throw w.Fail(at + ".triangle", "names vertex " + tri[c].AsDouble + "; mesh '" + mesh + "' has " + n + " points");
            }
            JsonValue rigid = lm["rigid"], reference = lm["reference_points"];
            if (Repeats(rigid)) throw w.Fail("landmarks.rigid", "lists a landmark more than once");
            if (reference != null && Repeats(reference)) throw w.Fail("landmarks.reference_points", "lists a landmark more than once");
            if (rigid.Count < BridgeRules.MinRigid)
                throw w.Fail("landmarks.rigid", "lists " + rigid.Count + " landmarks; at least " + BridgeRules.MinRigid + " are needed");
        }

        static bool Repeats(JsonValue values)
        {
            var seen = new HashSet<double>();
            for (int i = 0; i < values.Count; i++) if (!seen.Add(values[i].AsDouble)) return true;
            return false;
        }

        static void Symmetry(SchemaWalker w, JsonValue sym, Dictionary<string, int> index, Dictionary<string, int> sizes)
        {
            JsonValue map = sym["landmark_map"];
            for (int i = 0; i < map.Count; i++)
            {
                int j = (int)map[i].AsDouble;
                if ((int)map[j].AsDouble != i)
                    throw w.Fail("symmetry.landmark_map", "maps landmark " + i + " to " + j + " but " + j + " back to " +
                        map[j].AsDouble + ": each landmark and its mirror must map to each other");
            }
            JsonValue pairs = BridgeRules.List(sym, "target_pairs");
            for (int k = 0; k < pairs.Count; k++)
                for (int s = 0; s < pairs[k].Count; s++)
                    if (!index.ContainsKey(pairs[k][s].AsString))
                        throw w.Fail("symmetry.target_pairs[" + k + "]", "'" + pairs[k][s].AsString + "' is not a target");
            JsonValue maps = sym["vertex_maps"];
            if (maps == null) return;
            foreach (string mesh in maps.Keys)
            {
                string at = "symmetry.vertex_maps." + mesh;
                int n;
                if (!sizes.TryGetValue(mesh, out n)) throw w.Fail(at, "'" + mesh + "' is not a mesh of the rig");
                int rows = BridgeRules.Rows(w, maps[mesh], at);
                if (rows != n) throw w.Fail(at, "has " + rows + " entries for " + n + " points");
                foreach (double v in BridgeRules.Values(w, maps[mesh], at))
                    if (v >= rows) throw w.Fail(at, "names vertex " + v + " of " + rows);
            }
        }

        static void SolveSet(SchemaWalker w, JsonValue set, Dictionary<string, int> index, JsonValue combos)
        {
            if (!BridgeRules.Present(set)) return;
            if (set.Count == 0)
                throw w.Fail("solve_set", "solve_set is empty", "list the targets the solve drives, or leave solve_set out to solve every target");
            var comboNames = new HashSet<string>();
            for (int c = 0; c < combos.Count; c++) comboNames.Add(combos[c]["name"].AsString);
            for (int k = 0; k < set.Count; k++)
            {
                string n = set[k].AsString;
                if (comboNames.Contains(n))
                    throw w.Fail("solve_set", "solve_set lists '" + n + "', a combination: combinations follow their drivers",
                        "list the drivers instead");
                if (!index.ContainsKey(n)) throw w.Fail("solve_set", "solve_set lists '" + n + "', which is not a target of the rig",
                    "name targets of the rig");
            }
            var seen = new HashSet<string>();
            for (int k = 0; k < set.Count; k++)
                if (!seen.Add(set[k].AsString)) throw w.Fail("solve_set", "solve_set lists '" + set[k].AsString + "' more than once",
                    "list each target once");
        }

        /// <summary>Each landmark frame belongs to an in-between of a target or a frame of a
        /// combination on the landmark mesh, once; a shape has frames for all those weights or none.</summary>
        static void Frames(SchemaWalker w, JsonValue root, JsonValue targets, JsonValue combos, string mesh)
        {
            var needed = new Dictionary<string, List<double>>();
            for (int t = 0; t < targets.Count; t++) needed[targets[t]["name"].AsString] = Weights(targets[t], mesh, true);
            for (int c = 0; c < combos.Count; c++) needed[combos[c]["name"].AsString] = Weights(combos[c], mesh, false);
            var given = new Dictionary<string, List<double>>();
            var order = new List<string>();
            JsonValue frames = BridgeRules.List(root["landmark_deltas"], "frames");
            for (int k = 0; k < frames.Count; k++)
            {
                string at = "landmark_deltas.frames[" + k + "]";
                string shape = frames[k]["shape"].AsString;
                double weight = frames[k]["weight"].AsDouble;
                if (!needed.ContainsKey(shape)) throw w.Fail(at + ".shape", "'" + shape + "' is neither a target nor a combination");
                if (!needed[shape].Contains(weight))
                    throw w.Fail(at + ".weight", "'" + shape + "' has no frame at weight " + weight + " on the landmark mesh '" + mesh + "'");
                if (!given.ContainsKey(shape)) { given[shape] = new List<double>(); order.Add(shape); }
                if (given[shape].Contains(weight)) throw w.Fail(at, "repeats '" + shape + "' at weight " + weight, "give each frame once");
                given[shape].Add(weight);
            }
            foreach (string shape in order)
                foreach (double x in needed[shape])
                    if (!given[shape].Contains(x))
                        throw w.Fail("landmark_deltas.frames", "has '" + shape + "' but not at weight " + x,
                            "give every frame of a shape or none (rig.curves.landmark_frames)");
        }

        static List<double> Weights(JsonValue owner, string mesh, bool inbetweensOnly)
        {
            var outp = new List<double>();
            JsonValue shapes = owner["shapes"];
            for (int s = 0; s < shapes.Count; s++)
            {
                if (shapes[s]["mesh"].AsString != mesh) continue;
                JsonValue frames = shapes[s]["frames"];
                for (int f = 0; f < frames.Count; f++)
                {
                    double x = BridgeRules.Number(frames[f], "weight", 1.0);
                    if (!inbetweensOnly || x < 1.0) outp.Add(x);
                }
            }
            return outp;
        }
    }
}
