// Imports bridge files (.microexpr: the JSON the Python tools write; Unity already owns
// .json) into a rig asset or a clip asset, and bakes a clip into an AnimationClip of
// "blendShape.<name>" curves when asked.
#if UNITY_5_3_OR_NEWER
using System.IO;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using UnityEditor.AssetImporters;
using UnityEngine;

namespace MicroExpr.EditorTools
{
    [ScriptedImporter(2, "microexpr")]
    public sealed class MicroExprImporter : ScriptedImporter
    {
        [Tooltip("Clips: also make an AnimationClip of blend-shape curves (weights x100).")]
        public bool bakeAnimationClip = true;
        [Tooltip("Path of the SkinnedMeshRenderer below the animated root ('' = the root itself).")]
        public string rendererPath = "";
        [Tooltip("Prefix of the blend-shape names in the model, e.g. 'blendShape1.' (FBX from Maya).")]
        public string blendShapePrefix = "";

        public override void OnImportAsset(AssetImportContext ctx)
        {
            string path = ctx.assetPath;
            string baseName = Path.GetFileNameWithoutExtension(path);
            try
            {
                JsonValue root = Json.Parse(File.ReadAllText(path), path);
                string kind = BridgeFile.Kind(root);
                if (kind == "rig")
                {
                    MicroExprRigAsset rig = MicroExprRigAsset.Create(RigData.FromJson(root, path));
                    rig.name = baseName;
                    ctx.AddObjectToAsset("rig", rig);
                    ctx.SetMainObject(rig);
                }
                else if (kind == "clip")
                {
                    ClipData data = ClipData.FromJson(root, path);
                    MicroExprClipAsset clip = MicroExprClipAsset.Create(data);
                    clip.name = baseName;
                    ctx.AddObjectToAsset("clip", clip);
                    ctx.SetMainObject(clip);
                    if (bakeAnimationClip)
                    {
                        AnimationClip anim = ClipBaker.Bake(data, rendererPath, blendShapePrefix);
                        anim.name = baseName + " (blend shapes)";
                        ctx.AddObjectToAsset("animation", anim);
                    }
                }
                else
                {
                    ctx.LogImportError(path + ": format: not a MicroExpr rig or clip. Fix: write it with the " +
                                       "microexpr tools ('format' must be microexpr.rig or microexpr.clip).");
                }
            }
            catch (MicroExprException e)
            {
                ctx.LogImportError(e.Message);
            }
            catch (IOException e)
            {
                ctx.LogImportError(path + ": cannot read the file (" + e.Message + ").");
            }
        }
    }
}
#endif
