// Imports bridge files (.microexpr: the container the Python tools write, JSON header plus
// binary payload, or bridge JSON renamed; Unity already owns .json) into a rig asset or a clip
// asset, and bakes a clip into an AnimationClip of "blendShape.<name>" curves when asked. The
// curves are bound to the blend-shape names of the model (the Model field, or else the one
// model in the clip's folder that has a bridge rig beside it), by the same rules as the
// runtime driver; without a model, to the rig's target names with the Blend Shape Prefix in
// front. A container's payload in a .bin beside it is read too (an import dependency). The
// correctives of the rig beside the model are baked as the product of their drivers.
#if UNITY_5_3_OR_NEWER
using System.Collections.Generic;
using System.IO;
using MicroExpr.Runtime;
using MicroExpr.Unity;
using UnityEditor;
using UnityEditor.AssetImporters;
using UnityEngine;

namespace MicroExpr.EditorTools
{
    [ScriptedImporter(5, "microexpr")]      // 5: rig assets keep the solve set and correctives (a new version re-imports every file)
    public sealed class MicroExprImporter : ScriptedImporter
    {
        [Tooltip("Clips: also make an AnimationClip of blend-shape curves (weights x100).")]
        public bool bakeAnimationClip = true;
        [Tooltip("Clips: the model whose blend shapes the curves animate (empty: the model in this folder " +
                 "that has a .microexpr rig beside it). Its renderers' paths are used.")]
        public GameObject model;
        [Tooltip("Without a model: path of the SkinnedMeshRenderer below the animated root ('' = the root itself).")]
        public string rendererPath = "";
        [Tooltip("Without a model: prefix of the blend-shape names, e.g. 'blendShape1.' (FBX from Maya).")]
        public string blendShapePrefix = "";

        public override void OnImportAsset(AssetImportContext ctx)
        {
            string path = ctx.assetPath;
            string baseName = Path.GetFileNameWithoutExtension(path);
            try
            {
                using (BridgeDocument doc = BridgeDocument.Load(path))
                {
                    // a payload in a .bin beside the file: a changed .bin imports this file again
                    foreach (string uri in doc.ExternalUris) ctx.DependsOnSourceAsset(Sibling(path, uri));
                    Import(ctx, doc, baseName);
                }
            }
            catch (MicroExprException e)
            {
                // a broken payload beside the file: fixing it imports the file again (a .bin
                // copied in after the file needs a Reimport of the file)
                string bin = Sibling(path, baseName + ".bin");
                if (File.Exists(bin)) ctx.DependsOnSourceAsset(bin);
                ctx.LogImportError(e.Message);
            }
            catch (IOException e)
            {
                ctx.LogImportError(path + ": cannot read the file (" + e.Message + ").");
            }
        }

        void Import(AssetImportContext ctx, BridgeDocument doc, string baseName)
        {
            string kind = doc.Kind;
            if (kind == "rig")
            {
                MicroExprRigAsset rig = MicroExprRigAsset.Create(RigData.FromDocument(doc));
                rig.name = baseName;
                ctx.AddObjectToAsset("rig", rig);
                ctx.SetMainObject(rig);
            }
            else if (kind == "clip")
            {
                ClipData data = ClipData.FromDocument(doc);
                MicroExprClipAsset clip = MicroExprClipAsset.Create(data);
                clip.name = baseName;
                ctx.AddObjectToAsset("clip", clip);
                ctx.SetMainObject(clip);
                if (bakeAnimationClip)
                {
                    AnimationClip anim = BakeFor(ctx, data);
                    anim.name = baseName + " (blend shapes)";
                    ctx.AddObjectToAsset("animation", anim);
                }
            }
            else
            {
                ctx.LogImportError(doc.Source + ": format: not a MicroExpr rig or clip. Fix: write it with the " +
                                   "microexpr tools ('format' must be microexpr.rig or microexpr.clip).");
            }
        }

        /// <summary>The asset path of a file named <paramref name="name"/> in the folder of <paramref name="path"/>.</summary>
        static string Sibling(string path, string name)
        {
            string p = path.Replace('\\', '/');
            int slash = p.LastIndexOf('/');
            return slash >= 0 ? p.Substring(0, slash + 1) + name : name;
        }

        /// <summary>The model the clip's curves are bound to (asset path), or null.</summary>
        string ModelPath(string clipPath)
        {
            if (model != null) return AssetDatabase.GetAssetPath(model);
            string folder = Path.GetDirectoryName(clipPath);
            if (string.IsNullOrEmpty(folder) || !Directory.Exists(folder)) return null;
            var files = new List<string>();
            foreach (string f in Directory.GetFiles(folder))
                if (!f.EndsWith(".meta")) files.Add(f.Replace('\\', '/'));
            return ModelPairing.PairedModelIn(files);
        }

        /// <summary>The rig beside the model (its correctives are baked with the clip), or null.
        /// A changed rig file bakes the clip again.</summary>
        static RigData RigBeside(AssetImportContext ctx, string modelPath)
        {
            string rigPath = ModelPairing.BridgeFileFor(modelPath, File.Exists);
            if (rigPath == null) return null;
            ctx.DependsOnSourceAsset(rigPath);
            try
            {
                return RigData.Load(rigPath);
            }
            catch (MicroExprException e)
            {
                ctx.LogImportWarning(ctx.assetPath + ": the rig's correctives are not baked: " + e.Message, null);
            }
            catch (IOException e)
            {
                ctx.LogImportWarning(ctx.assetPath + ": the rig's correctives are not baked: cannot read " + rigPath +
                                     " (" + e.Message + ").", null);
            }
            return null;
        }

        AnimationClip BakeFor(AssetImportContext ctx, ClipData data)
        {
            string modelPath = ModelPath(ctx.assetPath);
            if (string.IsNullOrEmpty(modelPath)) return ClipBaker.Bake(data, rendererPath, blendShapePrefix);
            // The curves come from the model's import result (its meshes' blend-shape names): an
            // artifact dependency re-bakes the clip whenever the model is re-imported, also when
            // it was not imported yet. Unity 2021.3 docs, AssetImportContext.DependsOnArtifact:
            // https://docs.unity3d.com/2021.3/Documentation/ScriptReference/AssetImporters.AssetImportContext.DependsOnArtifact.html
            ctx.DependsOnArtifact(modelPath);
            RigData rig = RigBeside(ctx, modelPath);
            var loaded = AssetDatabase.LoadAssetAtPath<GameObject>(modelPath);
            if (loaded == null) return ClipBaker.Bake(data, rig, rendererPath, blendShapePrefix);
            var unbound = new List<string>();
            AnimationClip anim = ClipBaker.Bake(data, rig, loaded, unbound);
            if (unbound.Count > 0)
                ctx.LogImportWarning(ctx.assetPath + ": " + unbound.Count + " of " + data.TargetCount +
                                     " targets are not blend shapes of " + modelPath + " and are not animated: " +
                                     string.Join(", ", unbound.ToArray()) + ". Fix: export the model with the rig's " +
                                     "blend shapes (microexpr export), or pick the right Model in the importer.", null);
            return anim;
        }
    }
}
#endif
