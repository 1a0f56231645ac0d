// STAND-IN, NOT UNITY: the UnityEditor types this package uses, with Unity 2021.3 signatures.
// Every public type and member exists in Unity's API (API.md lists each one with its source;
// a test compares the two). The behaviour behind them is the small in-memory asset pipeline in
// UnityEditor.AssetPipeline.cs (internal). Not part of the package (the folder ends in '~').
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;
using UnityEditor.AssetImporters;
using UnityEngine;

[assembly: InternalsVisibleTo("MicroExpr.StandInTests")]

namespace UnityEditor
{
    public class AssetImporter : UnityEngine.Object
    {
        internal string path = "";

        protected internal AssetImporter() { }

        public string assetPath { get { return path; } }

        /// <summary>The importer of an asset (its settings live as long as the test project).</summary>
        public static AssetImporter GetAtPath(string path) { return StandInAssets.ImporterAt(path); }

        /// <summary>Keeps the settings and imports the asset again.</summary>
        public void SaveAndReimport() { AssetDatabase.ImportAsset(path, ImportAssetOptions.ForceUpdate); }
    }

    public class ModelImporter : AssetImporter
    {
        internal ModelImporter() { }

        bool blendShapes = true;
        public bool importBlendShapes { get { return blendShapes; } set { blendShapes = value; } }
    }

    public class AssetPostprocessor
    {
        public string assetPath { get; set; }
        public AssetImportContext context { get; internal set; }
        public AssetImporter assetImporter { get { return AssetImporter.GetAtPath(assetPath); } }
        public virtual uint GetVersion() { return 0; }
        public virtual int GetPostprocessOrder() { return 0; }
    }

    [Flags]
    public enum ImportAssetOptions
    {
        Default = 0,
        ForceUpdate = 1,
        ForceSynchronousImport = 8,
    }

    public sealed class AssetDatabase
    {
        AssetDatabase() { }

        /// <summary>Imports the asset unless its import is up to date (its file and every
        /// declared dependency unchanged); ForceUpdate imports it anyway. Assets depending on it
        /// are imported after it; then OnPostprocessAllAssets runs.</summary>
        public static void ImportAsset(string path) { ImportAsset(path, ImportAssetOptions.Default); }

        public static void ImportAsset(string path, ImportAssetOptions options)
        {
            StandInAssets.Import(path, (options & ImportAssetOptions.ForceUpdate) != 0);
        }

        /// <summary>Imports every new or changed asset below Assets/ (and what depends on it).</summary>
        public static void Refresh() { StandInAssets.Refresh(); }

        public static T LoadAssetAtPath<T>(string assetPath) where T : UnityEngine.Object
        {
            return StandInAssets.Load(assetPath, typeof(T)) as T;
        }

        public static UnityEngine.Object[] LoadAllAssetsAtPath(string assetPath) { return StandInAssets.LoadAll(assetPath); }

        public static string GetAssetPath(UnityEngine.Object assetObject) { return StandInAssets.PathOf(assetObject); }

        public static bool DeleteAsset(string path) { return StandInAssets.Delete(path); }
    }

    public struct EditorCurveBinding
    {
        Type bound;
        public string path;
        public string propertyName;
        /// <summary>A property in Unity (not a field).</summary>
        public Type type { get { return bound; } set { bound = value; } }

        public static EditorCurveBinding FloatCurve(string inPath, Type inType, string inPropertyName)
        {
            return new EditorCurveBinding { path = inPath, type = inType, propertyName = inPropertyName };
        }
    }

    public class AnimationUtility
    {
        public enum TangentMode { Free = 0, Auto = 1, Linear = 2, Constant = 3, ClampedAuto = 4 }

        AnimationUtility() { }

        /// <summary>Stores a copy of the curve under the binding (null removes it).</summary>
        public static void SetEditorCurve(AnimationClip clip, EditorCurveBinding binding, AnimationCurve curve)
        {
            if (clip == null) throw new ArgumentNullException("clip");
            clip.SetCurveInternal(binding.path, binding.type, binding.propertyName, curve);
        }

        public static AnimationCurve GetEditorCurve(AnimationClip clip, EditorCurveBinding binding)
        {
            if (clip == null) throw new ArgumentNullException("clip");
            int i = clip.FindCurve(binding.path ?? "", binding.type, binding.propertyName);
            return i < 0 ? null : new AnimationCurve(clip.curves[i].Value.keys);
        }

        public static EditorCurveBinding[] GetCurveBindings(AnimationClip clip)
        {
            if (clip == null) throw new ArgumentNullException("clip");
            var list = new EditorCurveBinding[clip.curves.Count];
            for (int i = 0; i < list.Length; i++)
                list[i] = EditorCurveBinding.FloatCurve(clip.curves[i].Key[0], clip.curveTypes[i], clip.curves[i].Key[1]);
            return list;
        }

        /// <summary>Linear: the tangent on that side becomes the slope to the neighbouring key.</summary>
        public static void SetKeyLeftTangentMode(AnimationCurve curve, int index, TangentMode tangentMode)
        {
            SetTangent(curve, index, tangentMode, true);
        }

        public static void SetKeyRightTangentMode(AnimationCurve curve, int index, TangentMode tangentMode)
        {
            SetTangent(curve, index, tangentMode, false);
        }

        static void SetTangent(AnimationCurve curve, int index, TangentMode mode, bool left)
        {
            if (curve == null) throw new ArgumentNullException("curve");
            if (index < 0 || index >= curve.length) throw new ArgumentException("Index out of bounds.");
            if (mode != TangentMode.Linear) throw new NotSupportedException("the stand-in models Linear tangents only");
            Keyframe k = curve[index];
            int other = left ? index - 1 : index + 1;
            float slope = 0f;
            if (other >= 0 && other < curve.length)
            {
                Keyframe o = curve[other];
                slope = (o.value - k.value) / (o.time - k.time);
            }
            if (left) k.inTangent = slope;
            else k.outTangent = slope;
            curve.SetKeyInternal(index, k);
        }

        public static string CalculateTransformPath(Transform targetTransform, Transform root)
        {
            if (targetTransform == null) throw new ArgumentNullException("targetTransform");
            var names = new List<string>();
            for (Transform t = targetTransform; t != null && !ReferenceEquals(t, root); t = t.parent) names.Insert(0, t.name);
            return string.Join("/", names.ToArray());
        }
    }
}

namespace UnityEditor.AssetImporters
{
    public abstract class ScriptedImporter : AssetImporter
    {
        public abstract void OnImportAsset(AssetImportContext ctx);
    }

    [AttributeUsage(AttributeTargets.Class, Inherited = false)]
    public class ScriptedImporterAttribute : Attribute
    {
        public int version { get; private set; }
        public string[] fileExtensions { get; private set; }

        public ScriptedImporterAttribute(int version, string ext) : this(version, new[] { ext }) { }

        public ScriptedImporterAttribute(int version, string[] exts)
        {
            this.version = version;
            fileExtensions = exts;
        }
    }

    public sealed class AssetImportContext
    {
        internal readonly string path;
        internal UnityEngine.Object main;
        internal readonly List<KeyValuePair<string, UnityEngine.Object>> objects = new List<KeyValuePair<string, UnityEngine.Object>>();
        internal readonly List<StandInAssets.Dependency> dependencies = new List<StandInAssets.Dependency>();

        internal AssetImportContext(string assetPath) { path = assetPath; }

        public string assetPath { get { return path; } }

        public void SetMainObject(UnityEngine.Object obj) { main = obj; }

        public void AddObjectToAsset(string identifier, UnityEngine.Object obj)
        {
            if (obj == null) throw new ArgumentNullException("obj");
            foreach (KeyValuePair<string, UnityEngine.Object> o in objects)
                if (o.Key == identifier) throw new ArgumentException("identifier '" + identifier + "' is used twice in " + path);
            objects.Add(new KeyValuePair<string, UnityEngine.Object>(identifier, obj));
        }

        /// <summary>Re-import when that file changes, appears or goes.</summary>
        public void DependsOnSourceAsset(string path) { dependencies.Add(StandInAssets.SourceDependency(path)); }

        /// <summary>Re-import after that asset is imported again (also when it was not imported yet).</summary>
        public void DependsOnArtifact(string path) { dependencies.Add(StandInAssets.ArtifactDependency(path)); }

        public void LogImportError(string msg, UnityEngine.Object obj = null) { Debug.LogError(msg); }

        public void LogImportWarning(string msg, UnityEngine.Object obj) { Debug.LogWarning(msg); }
    }
}
