// The runtime part of a bridge rig, made by the .microexpr importer: target names, the
// landmark delta matrix and the landmark sets. Vertex data stays in the model (FBX).
#if UNITY_5_3_OR_NEWER
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

        [System.NonSerialized] RigData cached;

        public string[] TargetNames { get { return targetNames; } }
        public string LengthUnit { get { return lengthUnit; } }
        public string Fingerprint { get { return fingerprint; } }

        /// <summary>The runtime rig (built once, then shared).</summary>
        public RigData ToRigData()
        {
            if (cached == null)
                cached = new RigData(rigName, lengthUnit, targetNames, deltas, neutral, rigid, reference,
                                     observable, fingerprint, name);
            return cached;
        }

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
            a.cached = rig;
            return a;
        }
    }
}
#endif
