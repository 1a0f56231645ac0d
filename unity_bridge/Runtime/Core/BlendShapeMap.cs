// Maps rig target names to a mesh's blend-shape indices, tolerating the prefixes DCC tools
// add ("blendShape1.browDown_L", "Face_blendShapes.jawOpen").
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public static class BlendShapeMap
    {
        /// <summary>The shape name without a DCC prefix: the part after the last '.'.</summary>
        public static string StripPrefix(string shapeName)
        {
            if (shapeName == null) return "";
            int dot = shapeName.LastIndexOf('.');
            return dot >= 0 && dot < shapeName.Length - 1 ? shapeName.Substring(dot + 1) : shapeName;
        }

        /// <summary>Index into <paramref name="shapeNames"/> per target (-1 when absent):
        /// an exact name first, then the name without a prefix, then that ignoring case.
        /// Absent targets are appended to <paramref name="missing"/> when given.</summary>
        public static int[] Build(string[] targetNames, IList<string> shapeNames, List<string> missing)
        {
            var exact = new Dictionary<string, int>();
            var bare = new Dictionary<string, int>();
            var folded = new Dictionary<string, int>();
            for (int i = 0; i < shapeNames.Count; i++)
            {
                string n = shapeNames[i] ?? "";
                if (!exact.ContainsKey(n)) exact[n] = i;
                string b = StripPrefix(n);
                if (!bare.ContainsKey(b)) bare[b] = i;
                string f = b.ToLowerInvariant();
                if (!folded.ContainsKey(f)) folded[f] = i;
            }
            var map = new int[targetNames.Length];
            for (int t = 0; t < targetNames.Length; t++)
            {
                string name = targetNames[t];
                int idx;
                if (exact.TryGetValue(name, out idx) || bare.TryGetValue(name, out idx)
                    || bare.TryGetValue(StripPrefix(name), out idx)
                    || folded.TryGetValue(StripPrefix(name).ToLowerInvariant(), out idx))
                    map[t] = idx;
                else
                {
                    map[t] = -1;
                    if (missing != null) missing.Add(name);
                }
            }
            return map;
        }
    }
}
