// COMPILE CHECK ONLY: declarations of the UnityEditor types the package uses (Unity 2021.3
// signatures), with no behaviour. Not part of the package (the folder ends in '~').
using System;
using UnityEngine;

namespace UnityEditor
{
    public class AssetImporter : UnityEngine.Object
    {
        public string assetPath { get { return ""; } }
    }

    public class ModelImporter : AssetImporter
    {
        public bool importBlendShapes { get; set; }
    }

    public class AssetPostprocessor
    {
        public string assetPath { get; set; }
        public AssetImporter assetImporter { get { return null; } }
        public virtual uint GetVersion() { return 0; }
        public virtual int GetPostprocessOrder() { return 0; }
    }

    public static class AssetDatabase
    {
        public static void ImportAsset(string path) { }
        public static T LoadAssetAtPath<T>(string assetPath) where T : UnityEngine.Object { return null; }
    }

    public struct EditorCurveBinding
    {
        public string path;
        public string propertyName;
        public Type type;
        public static EditorCurveBinding FloatCurve(string inPath, Type inType, string inPropertyName)
        {
            return new EditorCurveBinding { path = inPath, type = inType, propertyName = inPropertyName };
        }
    }

    public static class AnimationUtility
    {
        public enum TangentMode { Free = 0, Auto = 1, Linear = 2, Constant = 3, ClampedAuto = 4 }
        public static void SetEditorCurve(AnimationClip clip, EditorCurveBinding binding, AnimationCurve curve) { }
        public static void SetKeyLeftTangentMode(AnimationCurve curve, int index, TangentMode tangentMode) { }
        public static void SetKeyRightTangentMode(AnimationCurve curve, int index, TangentMode tangentMode) { }
    }
}

namespace UnityEditor.AssetImporters
{
    public abstract class ScriptedImporter : AssetImporter
    {
        public abstract void OnImportAsset(AssetImportContext ctx);
    }

    [AttributeUsage(AttributeTargets.Class)]
    public class ScriptedImporterAttribute : Attribute
    {
        public ScriptedImporterAttribute(int version, string ext) { }
        public ScriptedImporterAttribute(int version, string[] exts) { }
    }

    public sealed class AssetImportContext
    {
        public string assetPath { get { return ""; } }
        public void SetMainObject(UnityEngine.Object obj) { }
        public void AddObjectToAsset(string identifier, UnityEngine.Object obj) { }
        public void DependsOnSourceAsset(string path) { }
        public void LogImportError(string msg, UnityEngine.Object obj = null) { }
    }
}
