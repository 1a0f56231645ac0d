// Pairs a model (FBX ...) with its bridge rig: "face.fbx" with "face.microexpr" or
// "face.rig.microexpr" in the same folder. Before import, blend shapes are switched on; after
// import, the model's blend-shape names are checked against the rig's targets (DCC prefixes
// tolerated) and the result is logged once. A changed bridge file re-imports its model.
#if UNITY_5_3_OR_NEWER
using System.Collections.Generic;
using System.IO;
using MicroExpr.Runtime;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.EditorTools
{
    public sealed class FbxPairing : AssetPostprocessor
    {
        static readonly string[] ModelExtensions = { ".fbx", ".obj", ".gltf", ".glb", ".dae" };

        /// <summary>The bridge rig file beside a model, or null.</summary>
        public static string BridgeFileFor(string modelPath)
        {
            string dir = Path.GetDirectoryName(modelPath) ?? "";
            string stem = Path.GetFileNameWithoutExtension(modelPath);
            foreach (string candidate in new[] { stem + ".microexpr", stem + ".rig.microexpr" })
            {
                string p = Path.Combine(dir, candidate).Replace('\\', '/');
                if (File.Exists(p)) return p;
            }
            return null;
        }

        /// <summary>The model beside a bridge file, or null.</summary>
        public static string ModelFor(string bridgePath)
        {
            string dir = Path.GetDirectoryName(bridgePath) ?? "";
            string stem = Path.GetFileNameWithoutExtension(bridgePath);
            if (stem.EndsWith(".rig")) stem = stem.Substring(0, stem.Length - 4);
            foreach (string ext in ModelExtensions)
            {
                string p = Path.Combine(dir, stem + ext).Replace('\\', '/');
                if (File.Exists(p)) return p;
            }
            return null;
        }

        void OnPreprocessModel()
        {
            if (BridgeFileFor(assetPath) == null) return;
            var importer = assetImporter as ModelImporter;
            if (importer != null && !importer.importBlendShapes) importer.importBlendShapes = true;
        }

        void OnPostprocessModel(GameObject root)
        {
            string bridge = BridgeFileFor(assetPath);
            if (bridge == null) return;
            RigData rig;
            try
            {
                JsonValue json = Json.Parse(File.ReadAllText(bridge), bridge);
                if (BridgeFile.Kind(json) != "rig") return;
                rig = RigData.FromJson(json, bridge);
            }
            catch (MicroExprException e)
            {
                Debug.LogWarning("MicroExpr: " + e.Message);
                return;
            }
            var names = new List<string>();
            foreach (SkinnedMeshRenderer smr in root.GetComponentsInChildren<SkinnedMeshRenderer>(true))
            {
                Mesh mesh = smr.sharedMesh;
                if (mesh == null) continue;
                for (int s = 0; s < mesh.blendShapeCount; s++) names.Add(mesh.GetBlendShapeName(s));
            }
            var missing = new List<string>();
            BlendShapeMap.Build(rig.TargetNames, names, missing);
            int found = rig.TargetCount - missing.Count;
            string msg = "MicroExpr: " + assetPath + " paired with " + bridge + ": " + found + " of " +
                         rig.TargetCount + " targets found as blend shapes";
            if (missing.Count == 0) Debug.Log(msg + ".");
            else Debug.LogWarning(msg + "; missing: " + string.Join(", ", missing.ToArray()) +
                                  ". Fix: export the model with the rig's blend shapes (microexpr export).");
        }

        static void OnPostprocessAllAssets(string[] importedAssets, string[] deletedAssets, string[] movedAssets,
                                           string[] movedFromAssetPaths)
        {
            foreach (string path in importedAssets)
            {
                if (!path.EndsWith(".microexpr")) continue;
                string model = ModelFor(path);
                if (model != null) AssetDatabase.ImportAsset(model);
            }
        }
    }
}
#endif
