// The rules that pair a model (FBX ...) with its bridge rig file, in plain C# so they are tested
// without Unity: "face.fbx" goes with "face.microexpr" or "face.rig.microexpr" in the same folder.
// Paths are Unity asset paths ("Assets/Faces/face.fbx", '/' separated); whether a file exists is
// asked through a callback, so the editor passes File.Exists and the tests a list.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public static class ModelPairing
    {
        public const string BridgeExtension = ".microexpr";
        public static readonly string[] ModelExtensions = { ".fbx", ".obj", ".gltf", ".glb", ".dae" };

        static string Folder(string path)
        {
            string p = (path ?? "").Replace('\\', '/');
            int slash = p.LastIndexOf('/');
            return slash >= 0 ? p.Substring(0, slash + 1) : "";
        }

        static string FileName(string path)
        {
            string p = (path ?? "").Replace('\\', '/');
            return p.Substring(p.LastIndexOf('/') + 1);
        }

        static string Stem(string path)
        {
            string name = FileName(path);
            int dot = name.LastIndexOf('.');
            return dot > 0 ? name.Substring(0, dot) : name;
        }

        public static bool IsBridgeFile(string path)
        {
            return path != null && path.EndsWith(BridgeExtension, StringComparison.OrdinalIgnoreCase);
        }

        public static bool IsModel(string path)
        {
            if (path == null) return false;
            foreach (string ext in ModelExtensions)
                if (path.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        /// <summary>The bridge files a model would pair with, in the order they are tried.</summary>
        public static string[] BridgeCandidates(string modelPath)
        {
            string dir = Folder(modelPath), stem = Stem(modelPath);
            return new[] { dir + stem + BridgeExtension, dir + stem + ".rig" + BridgeExtension };
        }

        /// <summary>The bridge file beside a model, or null.</summary>
        public static string BridgeFileFor(string modelPath, Func<string, bool> exists)
        {
            foreach (string p in BridgeCandidates(modelPath))
                if (exists(p)) return p;
            return null;
        }

        /// <summary>The model beside a bridge file ("face.microexpr" or "face.rig.microexpr"), or null.</summary>
        public static string ModelFor(string bridgePath, Func<string, bool> exists)
        {
            string dir = Folder(bridgePath), stem = Stem(bridgePath);
            if (stem.EndsWith(".rig", StringComparison.OrdinalIgnoreCase)) stem = stem.Substring(0, stem.Length - 4);
            foreach (string ext in ModelExtensions)
            {
                string lower = dir + stem + ext, upper = dir + stem + ext.ToUpperInvariant();
                if (exists(lower)) return lower;
                if (exists(upper)) return upper;
            }
            return null;
        }

        /// <summary>After a batch of imports: the models paired with an imported bridge file that
        /// were not imported in the same batch. A model declares a dependency on its bridge file
        /// when it is imported, so Unity re-imports it with the bridge file; a model imported
        /// before its bridge file existed has no such dependency and must be re-imported by hand
        /// (forced: its own file did not change).</summary>
        public static List<string> ModelsToReimport(IList<string> importedAssets, Func<string, bool> exists)
        {
            var imported = new HashSet<string>(importedAssets);
            var models = new List<string>();
            foreach (string path in importedAssets)
            {
                if (!IsBridgeFile(path)) continue;
                string model = ModelFor(path, exists);
                if (model != null && !imported.Contains(model) && !models.Contains(model)) models.Add(model);
            }
            return models;
        }

        /// <summary>The one model of a folder that has a bridge file beside it, or null when the
        /// folder has none or several. <paramref name="folderFiles"/>: the folder's asset paths.</summary>
        public static string PairedModelIn(IList<string> folderFiles)
        {
            var files = new HashSet<string>(folderFiles);
            string found = null;
            foreach (string path in folderFiles)
            {
                if (!IsModel(path) || BridgeFileFor(path, files.Contains) == null) continue;
                if (found != null) return null;
                found = path;
            }
            return found;
        }
    }

    /// <summary>How many of a rig's targets a model carries as blend shapes, as the Console
    /// reports it after the model is imported.</summary>
    public sealed class PairingReport
    {
        public readonly int Found;
        public readonly int Total;
        public readonly string[] Missing;
        public readonly string Message;

        public bool Complete { get { return Missing.Length == 0; } }

        PairingReport(int found, int total, string[] missing, string message)
        {
            Found = found;
            Total = total;
            Missing = missing;
            Message = message;
        }

        /// <summary>The report for a model whose meshes have <paramref name="shapeNames"/>
        /// (DCC prefixes tolerated, BlendShapeMap rules).</summary>
        public static PairingReport For(string modelPath, string bridgePath, RigData rig, IList<string> shapeNames)
        {
            var missing = new List<string>();
            BlendShapeMap.Build(rig.TargetNames, shapeNames, missing);
            int found = rig.TargetCount - missing.Count;
            string msg = "MicroExpr: " + modelPath + " paired with " + bridgePath + ": " + found + " of " +
                         rig.TargetCount + " targets found as blend shapes";
            if (missing.Count == 0) msg += ".";
            else msg += "; missing: " + string.Join(", ", missing.ToArray()) +
                        ". Fix: export the model with the rig's blend shapes (microexpr export).";
            return new PairingReport(found, rig.TargetCount, missing.ToArray(), msg);
        }

        /// <summary>The report from a read bridge file, or null when the file is not a rig (a
        /// clip beside a model pairs with nothing). Throws MicroExprException for a broken file.</summary>
        public static PairingReport FromBridgeDocument(string modelPath, BridgeDocument doc, IList<string> shapeNames)
        {
            if (doc.Kind != "rig") return null;
            return For(modelPath, doc.Source, RigData.FromDocument(doc), shapeNames);
        }

        /// <summary>The report from a bridge file (a .microexpr container or JSON text) on disk.</summary>
        public static PairingReport FromBridgeFile(string modelPath, string bridgePath, IList<string> shapeNames)
        {
            using (BridgeDocument doc = BridgeDocument.Load(bridgePath))
                return FromBridgeDocument(modelPath, doc, shapeNames);
        }

        /// <summary>The report from a bridge file's bytes (a .microexpr container or JSON text).</summary>
        public static PairingReport FromBridgeBytes(string modelPath, string bridgePath, byte[] data, IList<string> shapeNames)
        {
            using (BridgeDocument doc = BridgeDocument.FromBytes(data, bridgePath))
                return FromBridgeDocument(modelPath, doc, shapeNames);
        }

        /// <summary>The report from a bridge file's JSON text.</summary>
        public static PairingReport FromBridgeText(string modelPath, string bridgePath, string text, IList<string> shapeNames)
        {
            return FromBridgeDocument(modelPath, BridgeDocument.FromText(text, bridgePath), shapeNames);
        }
    }
}
