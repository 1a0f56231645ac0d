// A clip's weights (they already include its micro-expression events; invalid frames held as
// the clip says) as an AnimationClip: one linear "blendShape.<shape>" curve per bound target,
// values x100. Which shape a target animates is decided in the plain C# core (ClipBindings,
// the BlendShapeMap rules of the runtime driver): with the model at hand, the mesh's exact
// shape name ("blendShape1.mouthSmile_L" from a Maya FBX binds the target mouthSmile_L).
// Given the rig, its correctives are baked too: each the product of its drivers (Correctives),
// on the blend shape of its name (clips never carry them).
#if UNITY_5_3_OR_NEWER
using System.Collections.Generic;
using MicroExpr.Runtime;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.EditorTools
{
    public static class ClipBaker
    {
        /// <summary>The model's renderers (paths below its root) and their blend-shape names.</summary>
        public static List<RendererShapes> ShapesOf(GameObject model)
        {
            var list = new List<RendererShapes>();
            foreach (SkinnedMeshRenderer smr in model.GetComponentsInChildren<SkinnedMeshRenderer>(true))
            {
                Mesh mesh = smr.sharedMesh;
                if (mesh == null) continue;
                var names = new List<string>(mesh.blendShapeCount);
                for (int s = 0; s < mesh.blendShapeCount; s++) names.Add(mesh.GetBlendShapeName(s));
                list.Add(new RendererShapes(AnimationUtility.CalculateTransformPath(smr.transform, model.transform), names));
            }
            return list;
        }

        /// <summary>Bakes for a model: curves bound to the exact names of its blend shapes;
        /// targets the model lacks are appended to <paramref name="unbound"/> and left out.</summary>
        public static AnimationClip Bake(ClipData data, GameObject model, List<string> unbound)
        {
            return Bake(data, null, model, unbound);
        }

        /// <summary>As above, plus the correctives of <paramref name="rig"/> (null: none) whose
        /// drivers the clip animates, each a curve of the product of its drivers (x100) on the
        /// blend shape of its name, when the model has it.</summary>
        public static AnimationClip Bake(ClipData data, RigData rig, GameObject model, List<string> unbound)
        {
            var correctives = new Correctives(data.Targets, rig);
            return Bake(data, ClipBindings.WithCorrectives(data.Targets, correctives, ShapesOf(model), unbound, null, null),
                        correctives);
        }

        /// <summary>Bakes without a model: every target at <paramref name="rendererPath"/>, its
        /// shape assumed to be named <paramref name="blendShapePrefix"/> + target.</summary>
        public static AnimationClip Bake(ClipData data, string rendererPath, string blendShapePrefix)
        {
            return Bake(data, null, rendererPath, blendShapePrefix);
        }

        /// <summary>As above, plus the correctives of <paramref name="rig"/> (null: none), named
        /// the same way.</summary>
        public static AnimationClip Bake(ClipData data, RigData rig, string rendererPath, string blendShapePrefix)
        {
            var correctives = new Correctives(data.Targets, rig);
            return Bake(data, ClipBindings.WithCorrectives(data.Targets, correctives, null, null, rendererPath,
                                                           blendShapePrefix), correctives);
        }

        public static AnimationClip Bake(ClipData data, CurveBinding[] bindings)
        {
            return Bake(data, bindings, Correctives.None);
        }

        /// <summary>Bakes <paramref name="bindings"/>: Target t below the clip's target count is
        /// that target's weight, above it the corrective t - targets (ClipBindings.BakedRow).</summary>
        public static AnimationClip Bake(ClipData data, CurveBinding[] bindings, Correctives correctives)
        {
            var anim = new AnimationClip();
            anim.frameRate = (float)data.Fps;
            var player = new ClipPlayer(data);
            int F = data.Frames, T = data.TargetCount, N = T + correctives.Count;
            var row = new double[N];
            var curves = new AnimationCurve[N];
            foreach (CurveBinding b in bindings)
                if (curves[b.Target] == null) curves[b.Target] = new AnimationCurve();
            for (int f = 0; f < F; f++)
            {
                player.EvaluateFrame(f, row);
                ClipBindings.BakedRow(row, T, correctives);
                float time = (float)(f / data.Fps);
                for (int t = 0; t < N; t++)
                    if (curves[t] != null) curves[t].AddKey(new Keyframe(time, (float)(row[t] * UnitySpace.BlendShapeScale)));
            }
            foreach (AnimationCurve curve in curves)
            {
                if (curve == null) continue;
                for (int k = 0; k < curve.length; k++)
                {
                    AnimationUtility.SetKeyLeftTangentMode(curve, k, AnimationUtility.TangentMode.Linear);
                    AnimationUtility.SetKeyRightTangentMode(curve, k, AnimationUtility.TangentMode.Linear);
                }
            }
            foreach (CurveBinding b in bindings)
            {
                EditorCurveBinding binding = EditorCurveBinding.FloatCurve(b.Path, typeof(SkinnedMeshRenderer), b.Property);
                AnimationUtility.SetEditorCurve(anim, binding, curves[b.Target]);
            }
            return anim;
        }
    }
}
#endif
