// Pairs a model (FBX ...) with its bridge rig: "face.fbx" with "face.microexpr" or
// "face.rig.microexpr" in the same folder (rules: ModelPairing, plain C#). Before import, blend
// shapes are switched on and the model's import is made to depend on the bridge file; after
// import, the model's blend-shape names are checked against the rig's targets (DCC prefixes
// tolerated) and the result is logged once per import. The bridge file is read by the runtime's
// reader (a .microexpr container: its header and landmark arrays only; or JSON text).
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
        /// <summary>The bridge rig file beside a model, or null.</summary>
        public static string BridgeFileFor(string modelPath)
        {
            return ModelPairing.BridgeFileFor(modelPath, File.Exists);
        }

        /// <summary>The model beside a bridge file, or null.</summary>
        public static string ModelFor(string bridgePath)
        {
            return ModelPairing.ModelFor(bridgePath, File.Exists);
        }

        void OnPreprocessModel()
        {
            string bridge = BridgeFileFor(assetPath);
            if (bridge == null) return;
            // The pairing report reads the bridge file, so the model's import depends on it: a
            // changed rig re-imports the model and the report stays current. Unity 2021.3 docs,
            // AssetPostprocessor.context and AssetImportContext.DependsOnSourceAsset:
            // https://docs.unity3d.com/2021.3/Documentation/ScriptReference/AssetPostprocessor-context.html
            // https://docs.unity3d.com/2021.3/Documentation/ScriptReference/AssetImporters.AssetImportContext.DependsOnSourceAsset.html
            if (context != null) context.DependsOnSourceAsset(bridge);
            var importer = assetImporter as ModelImporter;
            if (importer != null && !importer.importBlendShapes) importer.importBlendShapes = true;
        }

        void OnPostprocessModel(GameObject root)
        {
            string bridge = BridgeFileFor(assetPath);
            if (bridge == null) return;
            var names = new List<string>();
            foreach (SkinnedMeshRenderer smr in root.GetComponentsInChildren<SkinnedMeshRenderer>(true))
            {
                Mesh mesh = smr.sharedMesh;
                if (mesh == null) continue;
                for (int s = 0; s < mesh.blendShapeCount; s++) names.Add(mesh.GetBlendShapeName(s));
            }
            PairingReport report;
            try
            {
                report = PairingReport.FromBridgeFile(assetPath, bridge, names);
            }
            catch (MicroExprException e)
            {
                Debug.LogWarning("MicroExpr: " + e.Message);
                return;
            }
            if (report == null) return;
            if (report.Complete) Debug.Log(report.Message);
            else Debug.LogWarning(report.Message);
        }

        static void OnPostprocessAllAssets(string[] importedAssets, string[] deletedAssets, string[] movedAssets,
                                           string[] movedFromAssetPaths)
        {
            // A model imported before its bridge file existed does not depend on it yet: import it
            // again, forced, since its own file is unchanged and a plain ImportAsset would keep
            // the cached result. Unity docs, ImportAssetOptions.ForceUpdate ("User initiated
            // asset import ... e.g. by clicking Reimport"):
            // https://docs.unity3d.com/2021.3/Documentation/ScriptReference/ImportAssetOptions.ForceUpdate.html
            foreach (string model in ModelPairing.ModelsToReimport(importedAssets, File.Exists))
                AssetDatabase.ImportAsset(model, ImportAssetOptions.ForceUpdate);
        }
    }
}
#endif
