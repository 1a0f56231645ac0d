// A clip's weights (they already include its micro-expression events; invalid frames held as
// the clip says) as an AnimationClip: one linear "blendShape.<prefix><target>" curve per
// target, values x100.
#if UNITY_5_3_OR_NEWER
using MicroExpr.Runtime;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.EditorTools
{
    public static class ClipBaker
    {
        public static AnimationClip Bake(ClipData data, string rendererPath, string blendShapePrefix)
        {
            var anim = new AnimationClip();
            anim.frameRate = (float)data.Fps;
            var player = new ClipPlayer(data);
            int F = data.Frames, T = data.TargetCount;
            var row = new double[T];
            var curves = new AnimationCurve[T];
            for (int t = 0; t < T; t++) curves[t] = new AnimationCurve();
            for (int f = 0; f < F; f++)
            {
                player.EvaluateFrame(f, row);
                float time = (float)(f / data.Fps);
                for (int t = 0; t < T; t++)
                    curves[t].AddKey(new Keyframe(time, (float)(row[t] * UnitySpace.BlendShapeScale)));
            }
            for (int t = 0; t < T; t++)
            {
                for (int k = 0; k < curves[t].length; k++)
                {
                    AnimationUtility.SetKeyLeftTangentMode(curves[t], k, AnimationUtility.TangentMode.Linear);
                    AnimationUtility.SetKeyRightTangentMode(curves[t], k, AnimationUtility.TangentMode.Linear);
                }
                EditorCurveBinding binding = EditorCurveBinding.FloatCurve(
                    rendererPath ?? "", typeof(SkinnedMeshRenderer), "blendShape." + (blendShapePrefix ?? "") + data.Targets[t]);
                AnimationUtility.SetEditorCurve(anim, binding, curves[t]);
            }
            return anim;
        }
    }
}
#endif
