// The runtime part of a bridge rig, made by the .microexpr importer: target names, the
// landmark delta matrix and the landmark sets, the solve set, the combinations (correctives)
// and the landmark frames of in-betweens and correctives, flattened into fields Unity
// serialises (no jagged arrays). Vertex data stays in the model (FBX).
#if UNITY_5_3_OR_NEWER
using System.Collections.Generic;
using MicroExpr.Runtime;
using UnityEngine;

namespace MicroExpr.Unity
{
    public sealed class MicroExprRigAsset : ScriptableObject
    {
        [SerializeField] string rigName = "face";
        [SerializeField] string lengthUnit = "cm";
        [SerializeField] string[] targetNames = new string[0];
        [SerializeField] bool[] observable = new bool[0];
        [Tooltip("[target][landmark][xyz], the rig's units")]
        [SerializeField, HideInInspector] double[] deltas = new double[0];
        [SerializeField, HideInInspector] double[] neutral = new double[0];
        [SerializeField] int[] rigid = new int[0];
        [SerializeField] int[] reference = new int[0];
        [SerializeField] string fingerprint = "";
        [Tooltip("The targets the solve drives (false: every target).")]
        [SerializeField] bool hasSolveSet;
        [SerializeField] int[] solveSet = new int[0];
        [Tooltip("Combinations (correctives): each active at the product of its drivers' weights.")]
        [SerializeField] string[] combinationNames = new string[0];
        [Tooltip("Per combination, how many drivers it has (their target indices follow in combinationDrivers).")]
        [SerializeField, HideInInspector] int[] combinationDriverCounts = new int[0];
        [SerializeField, HideInInspector] int[] combinationDrivers = new int[0];
        [Tooltip("Landmark frames of in-betweens and correctives (landmark_deltas.frames).")]
        [SerializeField, HideInInspector] string[] frameShapes = new string[0];
        [SerializeField, HideInInspector] int[] frameTargets = new int[0];
        [SerializeField, HideInInspector] int[] frameCombinations = new int[0];
        [SerializeField, HideInInspector] double[] frameWeights = new double[0];
        [Tooltip("[frame][landmark][xyz], the rig's units")]
        [SerializeField, HideInInspector] double[] frameDeltas = new double[0];

        [System.NonSerialized] RigData cached;

        public string[] TargetNames { get { return targetNames; } }
        public string LengthUnit { get { return lengthUnit; } }
        public string Fingerprint { get { return fingerprint; } }

        /// <summary>The runtime rig (built once, then shared).</summary>
        public RigData ToRigData()
        {
            if (cached == null)
                cached = new RigData(rigName, lengthUnit, targetNames, deltas, neutral, rigid, reference, observable,
                                     fingerprint, name, hasSolveSet ? solveSet : null, combinationNames,
                                     Drivers(), Frames());
            return cached;
        }

        int[][] Drivers()
        {
            int C = combinationNames == null ? 0 : combinationNames.Length, at = 0;
            var drivers = new int[C][];
            for (int c = 0; c < C; c++)
            {
                int n = c < combinationDriverCounts.Length ? combinationDriverCounts[c] : 0;
                if (n < 0 || at + n > combinationDrivers.Length) n = 0;     // RigData names the broken combination
                drivers[c] = new int[n];
                System.Array.Copy(combinationDrivers, at, drivers[c], 0, n);
                at += n;
            }
            return drivers;
        }

        LandmarkFrame[] Frames()
        {
            int n = Landmarks.Count * 3, K = frameShapes == null ? 0 : frameShapes.Length;
            var frames = new LandmarkFrame[K];
            for (int k = 0; k < K; k++)
            {
                var d = new double[n];
                if ((k + 1) * n <= frameDeltas.Length) System.Array.Copy(frameDeltas, k * n, d, 0, n);
                frames[k] = new LandmarkFrame(frameShapes[k], At(frameTargets, k), At(frameCombinations, k),
                                              k < frameWeights.Length ? frameWeights[k] : double.NaN, d);
            }
            return frames;
        }

        static int At(int[] v, int k) { return k < v.Length ? v[k] : -1; }

        public static MicroExprRigAsset Create(RigData rig)
        {
            var a = CreateInstance<MicroExprRigAsset>();
            a.rigName = rig.Name;
            a.lengthUnit = rig.LengthUnit;
            a.targetNames = rig.TargetNames;
            a.observable = rig.Observable;
            a.deltas = rig.Deltas;
            a.neutral = rig.Neutral;
            a.rigid = rig.Rigid;
            a.reference = rig.Reference;
            a.fingerprint = rig.Fingerprint ?? "";
            a.hasSolveSet = rig.HasSolveSet;
            a.solveSet = rig.SolveSet;
            a.combinationNames = rig.CombinationNames;
            var counts = new int[rig.CombinationDrivers.Length];
            var drivers = new List<int>();
            for (int c = 0; c < counts.Length; c++)
            {
                counts[c] = rig.CombinationDrivers[c].Length;
                drivers.AddRange(rig.CombinationDrivers[c]);
            }
            a.combinationDriverCounts = counts;
            a.combinationDrivers = drivers.ToArray();
            int K = rig.Frames.Length, n = Landmarks.Count * 3;
            a.frameShapes = new string[K];
            a.frameTargets = new int[K];
            a.frameCombinations = new int[K];
            a.frameWeights = new double[K];
            a.frameDeltas = new double[K * n];
            for (int k = 0; k < K; k++)
            {
                LandmarkFrame f = rig.Frames[k];
                a.frameShapes[k] = f.Shape;
                a.frameTargets[k] = f.Target;
                a.frameCombinations[k] = f.Combination;
                a.frameWeights[k] = f.Weight;
                System.Array.Copy(f.Deltas, 0, a.frameDeltas, k * n, n);
            }
            a.cached = rig;
            return a;
        }
    }
}
#endif
