// STAND-IN, NOT UNITY: the in-memory asset pipeline behind the stand-in AssetDatabase (all
// internal). It keeps what matters for this package's glue, as Unity's Asset Database v2 does:
//   - an import result ("artifact") per asset path, reused while the asset's file and every
//     dependency its importer declared are unchanged: ImportAsset without ForceUpdate is then
//     a no-op (so a stale result stays stale, as in Unity);
//   - DependsOnSourceAsset (a file's content) and DependsOnArtifact (another asset's import);
//     a changed dependency re-imports the dependent asset in the same refresh;
//   - scripted importers found by their [ScriptedImporter] extension; models (.fbx .obj .dae
//     .gltf .glb) imported with the AssetPostprocessor callbacks OnPreprocessModel (context set)
//     and OnPostprocessModel, then OnPostprocessAllAssets after each batch;
//   - asset paths ("Assets/...") relative to the working folder, as in Unity.
// It cannot read FBX: a stand-in model file is text, one line per blend shape,
// "<renderer path>\t<blend-shape name>" ("" = the model's root; '#' starts a comment).
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Security.Cryptography;
using System.Text;
using UnityEditor.AssetImporters;
using UnityEngine;

namespace UnityEditor
{
    internal static class StandInAssets
    {
        internal sealed class Dependency
        {
            public bool OnArtifact;
            public string Path;
            public string Stamp;
        }

        internal sealed class Artifact
        {
            public string SourceStamp;
            public UnityEngine.Object Main;
            public readonly List<UnityEngine.Object> Objects = new List<UnityEngine.Object>();
            public readonly List<Dependency> Dependencies = new List<Dependency>();
        }

        static readonly string[] ModelExtensions = { ".fbx", ".obj", ".dae", ".gltf", ".glb" };
        static readonly Dictionary<string, Artifact> artifacts = new Dictionary<string, Artifact>();
        static readonly Dictionary<string, AssetImporter> importers = new Dictionary<string, AssetImporter>();
        static readonly Dictionary<string, int> versions = new Dictionary<string, int>();
        static readonly List<Assembly> assemblies = new List<Assembly>();
        static readonly List<string> pending = new List<string>();
        static bool postprocessing;

        /// <summary>Every import that ran, in order (asset paths): the tests count them.</summary>
        internal static readonly List<string> ImportLog = new List<string>();

        /// <summary>Forgets every asset and log; the working folder is the project.</summary>
        internal static void Reset()
        {
            artifacts.Clear();
            importers.Clear();
            versions.Clear();
            assemblies.Clear();
            pending.Clear();
            ImportLog.Clear();
            Debug.Logged.Clear();
            postprocessing = false;
        }

        /// <summary>An assembly whose ScriptedImporters and AssetPostprocessors take part.</summary>
        internal static void Register(Assembly assembly)
        {
            if (!assemblies.Contains(assembly)) assemblies.Add(assembly);
        }

        internal static Artifact ArtifactOf(string path)
        {
            Artifact a;
            return artifacts.TryGetValue(Normal(path), out a) ? a : null;
        }

        static string Normal(string path) { return (path ?? "").Replace('\\', '/').TrimEnd('/'); }

        static string Full(string path) { return Path.Combine(Environment.CurrentDirectory, Normal(path)); }

        static string Stamp(string path)
        {
            string full = Full(path);
            if (!File.Exists(full)) return "<missing>";
            using (SHA1 sha = SHA1.Create()) return Convert.ToBase64String(sha.ComputeHash(File.ReadAllBytes(full)));
        }

        static string ArtifactStamp(string path)
        {
            int v;
            return versions.TryGetValue(Normal(path), out v) ? v.ToString() : "<not imported>";
        }

        internal static Dependency SourceDependency(string path)
        {
            return new Dependency { OnArtifact = false, Path = Normal(path), Stamp = Stamp(path) };
        }

        internal static Dependency ArtifactDependency(string path)
        {
            return new Dependency { OnArtifact = true, Path = Normal(path), Stamp = ArtifactStamp(path) };
        }

        static bool DependenciesChanged(Artifact a)
        {
            foreach (Dependency d in a.Dependencies)
                if ((d.OnArtifact ? ArtifactStamp(d.Path) : Stamp(d.Path)) != d.Stamp) return true;
            return false;
        }

        static bool UpToDate(string path)
        {
            Artifact a;
            return artifacts.TryGetValue(path, out a) && a.SourceStamp == Stamp(path) && !DependenciesChanged(a);
        }

        static bool IsModel(string path)
        {
            foreach (string ext in ModelExtensions)
                if (path.EndsWith(ext, StringComparison.OrdinalIgnoreCase)) return true;
            return false;
        }

        static IEnumerable<Type> TypesDerivedFrom(Type baseType)
        {
            foreach (Assembly asm in assemblies)
                foreach (Type t in asm.GetTypes())
                    if (baseType.IsAssignableFrom(t) && !t.IsAbstract) yield return t;
        }

        static Type ScriptedImporterFor(string path)
        {
            string ext = Path.GetExtension(path).TrimStart('.');
            foreach (Type t in TypesDerivedFrom(typeof(ScriptedImporter)))
            {
                var attrs = (ScriptedImporterAttribute[])t.GetCustomAttributes(typeof(ScriptedImporterAttribute), false);
                foreach (ScriptedImporterAttribute a in attrs)
                    foreach (string e in a.fileExtensions)
                        if (string.Equals(e.TrimStart('.'), ext, StringComparison.OrdinalIgnoreCase)) return t;
            }
            return null;
        }

        internal static AssetImporter ImporterAt(string path)
        {
            path = Normal(path);
            AssetImporter importer;
            if (importers.TryGetValue(path, out importer)) return importer;
            if (!File.Exists(Full(path))) return null;
            Type scripted = ScriptedImporterFor(path);
            if (scripted != null) importer = (AssetImporter)Activator.CreateInstance(scripted, true);
            else if (IsModel(path)) importer = new ModelImporter();
            else importer = new AssetImporter();
            importer.path = path;
            importers[path] = importer;
            return importer;
        }

        /// <summary>Imports one asset if needed (forced: always); true when its importer ran.</summary>
        static bool ImportOne(string path, bool force)
        {
            if (!force && UpToDate(path)) return false;
            if (!File.Exists(Full(path)))
            {
                artifacts.Remove(path);
                return false;
            }
            AssetImporter importer = ImporterAt(path);
            var ctx = new AssetImportContext(path);
            var artifact = new Artifact { SourceStamp = Stamp(path) };
            if (importer is ScriptedImporter)
            {
                try
                {
                    ((ScriptedImporter)importer).OnImportAsset(ctx);
                }
                catch (Exception e)
                {
                    Debug.LogError(path + ": the importer threw " + e);
                }
            }
            else if (importer is ModelImporter) ImportModel(path, (ModelImporter)importer, ctx);
            foreach (KeyValuePair<string, UnityEngine.Object> o in ctx.objects) artifact.Objects.Add(o.Value);
            artifact.Main = ctx.main ?? (artifact.Objects.Count > 0 ? artifact.Objects[0] : null);
            if (artifact.Main != null && !artifact.Objects.Contains(artifact.Main)) artifact.Objects.Insert(0, artifact.Main);
            artifact.Dependencies.AddRange(ctx.dependencies);
            artifacts[path] = artifact;
            int v;
            versions[path] = versions.TryGetValue(path, out v) ? v + 1 : 1;
            ImportLog.Add(path);
            return true;
        }

        static List<AssetPostprocessor> Postprocessors(string path, AssetImportContext ctx)
        {
            var list = new List<AssetPostprocessor>();
            foreach (Type t in TypesDerivedFrom(typeof(AssetPostprocessor)))
            {
                var p = (AssetPostprocessor)Activator.CreateInstance(t, true);
                p.assetPath = path;
                p.context = ctx;
                list.Add(p);
            }
            list.Sort((a, b) => a.GetPostprocessOrder().CompareTo(b.GetPostprocessOrder()));
            return list;
        }

        static void Send(List<AssetPostprocessor> processors, string message, object[] args)
        {
            const BindingFlags flags = BindingFlags.Instance | BindingFlags.Public | BindingFlags.NonPublic;
            foreach (AssetPostprocessor p in processors)
            {
                MethodInfo m = p.GetType().GetMethod(message, flags);
                if (m != null) m.Invoke(p, args);
            }
        }

        static void ImportModel(string path, ModelImporter importer, AssetImportContext ctx)
        {
            List<AssetPostprocessor> processors = Postprocessors(path, ctx);
            Send(processors, "OnPreprocessModel", new object[0]);
            GameObject root = ReadModel(path, importer.importBlendShapes);
            Send(processors, "OnPostprocessModel", new object[] { root });
            ctx.AddObjectToAsset("model", root);
            ctx.SetMainObject(root);
            foreach (SkinnedMeshRenderer smr in root.GetComponentsInChildren<SkinnedMeshRenderer>(true))
                ctx.AddObjectToAsset("mesh:" + AnimationUtility.CalculateTransformPath(smr.transform, root.transform), smr.sharedMesh);
        }

        /// <summary>A stand-in model file: "<renderer path>\t<blend-shape name>" per line.</summary>
        static GameObject ReadModel(string path, bool blendShapes)
        {
            byte[] bytes = File.ReadAllBytes(Full(path));
            string text = Encoding.UTF8.GetString(bytes);
            if (text.StartsWith("Kaydara FBX Binary", StringComparison.Ordinal))
                throw new NotSupportedException(path + ": the stand-in cannot read FBX. Write a stand-in model " +
                                                "instead: one line per blend shape, '<renderer path>\\t<shape name>'.");
            var root = new GameObject(Path.GetFileNameWithoutExtension(path));
            foreach (string raw in text.Split('\n'))
            {
                string line = raw.TrimEnd('\r');
                if (line.Trim().Length == 0 || line.TrimStart().StartsWith("#")) continue;
                string[] parts = line.Split('\t');
                Transform node = root.transform;
                foreach (string part in parts[0].Split(new[] { '/' }, StringSplitOptions.RemoveEmptyEntries))
                {
                    Transform child = node.Find(part);
                    if (child == null)
                    {
                        child = new GameObject(part).transform;
                        child.SetParent(node);
                    }
                    node = child;
                }
                SkinnedMeshRenderer smr = node.gameObject.GetComponent<SkinnedMeshRenderer>();
                if (smr == null)
                {
                    smr = node.gameObject.AddComponent<SkinnedMeshRenderer>();
                    var mesh = new Mesh();
                    mesh.name = node.name;
                    mesh.vertices = new Vector3[1];
                    smr.sharedMesh = mesh;
                }
                if (parts.Length > 1 && blendShapes)
                    smr.sharedMesh.AddBlendShapeFrame(parts[1], 100f, new Vector3[1], null, null);
            }
            return root;
        }

        /// <summary>Imports the roots (if needed), then everything whose dependencies changed.</summary>
        static List<string> ImportBatch(IEnumerable<string> roots, bool force)
        {
            var imported = new List<string>();
            foreach (string r in roots)
                if (ImportOne(r, force) && !imported.Contains(r)) imported.Add(r);
            for (int round = 0; round < 20; round++)
            {
                bool any = false;
                var keys = new List<string>(artifacts.Keys);
                keys.Sort(StringComparer.Ordinal);
                foreach (string p in keys)
                {
                    Artifact a;
                    if (!artifacts.TryGetValue(p, out a) || !DependenciesChanged(a)) continue;
                    if (ImportOne(p, false))
                    {
                        any = true;
                        if (!imported.Contains(p)) imported.Add(p);
                    }
                }
                if (!any) return imported;
            }
            throw new InvalidOperationException("stand-in: the import dependencies never settle (a cycle?)");
        }

        internal static void Import(string path, bool force)
        {
            List<string> imported = ImportBatch(new[] { Normal(path) }, force);
            PostprocessAll(imported, new List<string>());
        }

        static List<string> AssetFiles()
        {
            var files = new List<string>();
            string assets = Full("Assets");
            if (!Directory.Exists(assets)) return files;
            foreach (string f in Directory.GetFiles(assets, "*", SearchOption.AllDirectories))
            {
                if (f.EndsWith(".meta", StringComparison.Ordinal)) continue;
                string rel = f.Substring(Environment.CurrentDirectory.Length).TrimStart('/', '\\');
                files.Add(Normal(rel));
            }
            files.Sort(StringComparer.Ordinal);
            return files;
        }

        internal static void Refresh()
        {
            List<string> files = AssetFiles();
            var deleted = new List<string>();
            foreach (string p in new List<string>(artifacts.Keys))
                if (!files.Contains(p)) { artifacts.Remove(p); importers.Remove(p); deleted.Add(p); }
            var changed = new List<string>();
            foreach (string f in files)
                if (!UpToDate(f)) changed.Add(f);
            PostprocessAll(ImportBatch(changed, false), deleted);
        }

        /// <summary>OnPostprocessAllAssets of every postprocessor; imports started from there are
        /// reported in a further round, as Unity does.</summary>
        static void PostprocessAll(List<string> imported, List<string> deleted)
        {
            if (postprocessing)
            {
                foreach (string p in imported) if (!pending.Contains(p)) pending.Add(p);
                return;
            }
            if (imported.Count == 0 && deleted.Count == 0) return;
            postprocessing = true;
            try
            {
                for (int round = 0; imported.Count > 0 || deleted.Count > 0; round++)
                {
                    if (round >= 10) throw new InvalidOperationException("stand-in: OnPostprocessAllAssets keeps importing");
                    var args = new object[] { imported.ToArray(), deleted.ToArray(), new string[0], new string[0] };
                    foreach (Type t in TypesDerivedFrom(typeof(AssetPostprocessor)))
                    {
                        MethodInfo m = t.GetMethod("OnPostprocessAllAssets", BindingFlags.Static | BindingFlags.Public | BindingFlags.NonPublic,
                                                   null, new[] { typeof(string[]), typeof(string[]), typeof(string[]), typeof(string[]) }, null);
                        if (m != null) m.Invoke(null, args);
                    }
                    imported = new List<string>(pending);
                    deleted = new List<string>();
                    pending.Clear();
                }
            }
            finally
            {
                postprocessing = false;
            }
        }

        internal static UnityEngine.Object Load(string path, Type type)
        {
            Artifact a = ArtifactOf(path);
            if (a == null) return null;
            if (a.Main != null && type.IsInstanceOfType(a.Main)) return a.Main;
            foreach (UnityEngine.Object o in a.Objects)
                if (type.IsInstanceOfType(o)) return o;
            return null;
        }

        internal static UnityEngine.Object[] LoadAll(string path)
        {
            Artifact a = ArtifactOf(path);
            return a == null ? new UnityEngine.Object[0] : a.Objects.ToArray();
        }

        internal static string PathOf(UnityEngine.Object obj)
        {
            foreach (KeyValuePair<string, Artifact> kv in artifacts)
                foreach (UnityEngine.Object o in kv.Value.Objects)
                    if (ReferenceEquals(o, obj)) return kv.Key;
            return "";
        }

        internal static bool Delete(string path)
        {
            path = Normal(path);
            string full = Full(path);
            bool isDir = Directory.Exists(full);
            if (!isDir && !File.Exists(full)) return false;
            var deleted = new List<string>();
            foreach (string p in new List<string>(artifacts.Keys))
                if (p == path || p.StartsWith(path + "/", StringComparison.Ordinal))
                {
                    artifacts.Remove(p);
                    importers.Remove(p);
                    deleted.Add(p);
                }
            if (isDir) Directory.Delete(full, true);
            else File.Delete(full);
            if (File.Exists(full + ".meta")) File.Delete(full + ".meta");
            PostprocessAll(new List<string>(), deleted);
            return true;
        }
    }
}
