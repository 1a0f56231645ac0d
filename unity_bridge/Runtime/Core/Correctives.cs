// A rig's combinations (correctives) over a list of driven targets: each is active at the
// product of its drivers' weights (bridge.md, "Combinations"). One rule for the runtime driver
// (WeightDriver) and the clip baker (ClipBaker): clips and solves never carry correctives.
// Built once; Evaluate allocates nothing.
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public sealed class Correctives
    {
        /// <summary>No correctives.</summary>
        public static readonly Correctives None = new Correctives(new string[0], null);

        /// <summary>The correctives kept, in rig order.</summary>
        public readonly string[] Names;
        /// <summary>Per corrective: its drivers' indices in the target list it was built for.</summary>
        public readonly int[][] Drivers;
        /// <summary>Correctives left out: a driver is not among the targets.</summary>
        public readonly string[] Skipped;

        /// <summary>The correctives of <paramref name="rig"/> (null: none) whose drivers are all
        /// among <paramref name="targets"/> (matched by name).</summary>
        public Correctives(string[] targets, RigData rig)
        {
            var index = new Dictionary<string, int>();
            if (targets != null)
                for (int t = 0; t < targets.Length; t++) index[targets[t]] = t;
            var names = new List<string>();
            var drivers = new List<int[]>();
            var skipped = new List<string>();
            int C = rig == null ? 0 : rig.CombinationNames.Length;
            for (int c = 0; c < C; c++)
            {
                int[] d = rig.CombinationDrivers[c];
                var ours = new int[d.Length];
                bool ok = true;
                for (int k = 0; k < d.Length && ok; k++) ok = index.TryGetValue(rig.TargetNames[d[k]], out ours[k]);
                if (!ok) { skipped.Add(rig.CombinationNames[c]); continue; }
                names.Add(rig.CombinationNames[c]);
                drivers.Add(ours);
            }
            Names = names.ToArray();
            Drivers = drivers.ToArray();
            Skipped = skipped.ToArray();
        }

        public int Count { get { return Names.Length; } }

        /// <summary>The product of <paramref name="weights"/> at <paramref name="drivers"/>.</summary>
        public static double Product(double[] weights, int[] drivers)
        {
            double p = 1.0;
            for (int k = 0; k < drivers.Length; k++) p *= weights[drivers[k]];
            return p;
        }

        /// <summary>outp[offset + c] = the weight of corrective c for the target
        /// <paramref name="weights"/> (0-1, in the order this was built for).</summary>
        public void Evaluate(double[] weights, double[] outp, int offset)
        {
            for (int c = 0; c < Drivers.Length; c++) outp[offset + c] = Product(weights, Drivers[c]);
        }
    }
}
