// COMPILE CHECK ONLY: declarations of the UnityEngine types the package uses (Unity 2021.3
// signatures), with no behaviour. Not part of the package (the folder ends in '~').
using System;

namespace UnityEngine
{
    public class Object
    {
        public string name { get; set; }
        public static implicit operator bool(Object o) { return !ReferenceEquals(o, null); }
    }

    public class Component : Object
    {
        public GameObject gameObject { get { return null; } }
        public Transform transform { get { return null; } }
        public T[] GetComponentsInChildren<T>(bool includeInactive) { return new T[0]; }
        public T GetComponent<T>() { return default(T); }
    }

    public class Transform : Component { }
    public class Behaviour : Component { public bool enabled { get; set; } }
    public class MonoBehaviour : Behaviour { }

    public sealed class GameObject : Object
    {
        public T[] GetComponentsInChildren<T>(bool includeInactive) { return new T[0]; }
        public T AddComponent<T>() where T : Component { return null; }
    }

    public class ScriptableObject : Object
    {
        public static T CreateInstance<T>() where T : ScriptableObject { return null; }
    }

    public class Renderer : Component { }

    public class SkinnedMeshRenderer : Renderer
    {
        public Mesh sharedMesh { get; set; }
        public float GetBlendShapeWeight(int index) { return 0f; }
        public void SetBlendShapeWeight(int index, float value) { }
    }

    public sealed class Mesh : Object
    {
        public int blendShapeCount { get { return 0; } }
        public string GetBlendShapeName(int shapeIndex) { return ""; }
        public int GetBlendShapeIndex(string blendShapeName) { return -1; }
    }

    public class Motion : Object { }

    public sealed class AnimationClip : Motion
    {
        public float frameRate { get; set; }
        public bool legacy { get; set; }
        public void SetCurve(string relativePath, Type type, string propertyName, AnimationCurve curve) { }
    }

    public struct Keyframe
    {
        public Keyframe(float time, float value) { this.time = time; this.value = value; }
        public float time { get; set; }
        public float value { get; set; }
    }

    public class AnimationCurve
    {
        public AnimationCurve(params Keyframe[] keys) { }
        public int AddKey(Keyframe key) { return 0; }
        public int AddKey(float time, float value) { return 0; }
        public int length { get { return 0; } }
        public Keyframe[] keys { get; set; }
        public float Evaluate(float time) { return 0f; }
    }

    public struct Vector2 { public float x, y; }
    public struct Vector3 { public float x, y, z; }

    public static class Mathf
    {
        public static float Min(float a, float b) { return a < b ? a : b; }
        public static float Max(float a, float b) { return a > b ? a : b; }
        public static float Clamp01(float v) { return v < 0 ? 0 : (v > 1 ? 1 : v); }
    }

    public static class Time
    {
        public static float deltaTime { get { return 0f; } }
        public static float time { get { return 0f; } }
        public static double timeAsDouble { get { return 0.0; } }
    }

    public static class Debug
    {
        public static void Log(object message) { }
        public static void Log(object message, Object context) { }
        public static void LogWarning(object message) { }
        public static void LogWarning(object message, Object context) { }
        public static void LogError(object message) { }
        public static void LogError(object message, Object context) { }
    }

    [AttributeUsage(AttributeTargets.Field)] public sealed class SerializeField : Attribute { }
    [AttributeUsage(AttributeTargets.Field)] public sealed class HideInInspector : Attribute { }
    [AttributeUsage(AttributeTargets.Field, AllowMultiple = true)]
    public class HeaderAttribute : Attribute { public HeaderAttribute(string header) { } }
    [AttributeUsage(AttributeTargets.Field)]
    public class TooltipAttribute : Attribute { public TooltipAttribute(string tooltip) { } }
    [AttributeUsage(AttributeTargets.Field)]
    public sealed class RangeAttribute : Attribute { public RangeAttribute(float min, float max) { } }
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute { public AddComponentMenu(string menuName) { } }
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DisallowMultipleComponent : Attribute { }
}
