// STAND-IN, NOT UNITY: the UnityEngine types this package uses, with Unity 2021.3 signatures,
// and simple in-memory behaviour so the package's Unity glue runs under Mono in the tests.
// Every public type and member here exists in Unity's API (API.md lists each one with its
// source; a test compares the two); nothing Unity lacks is public. Hooks for the tests are
// internal. Not part of the package (the folder ends in '~', so Unity ignores it).
using System;
using System.Collections.Generic;
using System.Runtime.CompilerServices;

[assembly: InternalsVisibleTo("UnityEditor")]
[assembly: InternalsVisibleTo("MicroExpr.StandInTests")]

namespace UnityEngine
{
    public class Object
    {
        string objectName = "";
        internal bool destroyed;

        public string name
        {
            get { ThrowIfDestroyed(); return NameValue; }
            set { ThrowIfDestroyed(); NameValue = value; }
        }

        internal virtual string NameValue { get { return objectName; } set { objectName = value ?? ""; } }

        internal void ThrowIfDestroyed()
        {
            if (destroyed)
                throw new InvalidOperationException("MissingReferenceException (stand-in): the " + GetType().Name +
                                                    " has been destroyed but you are still trying to access it.");
        }

        static bool IsNull(Object o) { return ReferenceEquals(o, null) || o.destroyed; }

        // As Unity: a destroyed object compares equal to null and is false.
        public static implicit operator bool(Object exists) { return !IsNull(exists); }
        public static bool operator ==(Object x, Object y) { return IsNull(x) ? IsNull(y) : !IsNull(y) && ReferenceEquals(x, y); }
        public static bool operator !=(Object x, Object y) { return !(x == y); }
        public override bool Equals(object other) { return other is Object ? this == (Object)other : other == null && IsNull(this); }
        public override int GetHashCode() { return RuntimeHelpers.GetHashCode(this); }

        public static void DestroyImmediate(Object obj)
        {
            if (IsNull(obj)) return;
            obj.OnDestroyImmediate();
            obj.destroyed = true;
        }

        internal virtual void OnDestroyImmediate() { }

        /// <summary>A copy; a GameObject is copied with its children and components.</summary>
        public static T Instantiate<T>(T original) where T : Object
        {
            if (IsNull(original)) throw new ArgumentException("The Object you want to instantiate is null.");
            return (T)original.CloneObject();
        }

        internal virtual Object CloneObject()
        {
            var copy = (Object)MemberwiseClone();
            copy.objectName = objectName + "(Clone)";
            return copy;
        }
    }

    public class Component : Object
    {
        internal GameObject owner;

        protected Component() { }

        internal override string NameValue
        {
            get { return owner != null ? owner.name : ""; }
            set { if (owner != null) owner.name = value; }
        }

        public GameObject gameObject { get { ThrowIfDestroyed(); return owner; } }
        public Transform transform { get { ThrowIfDestroyed(); return owner.transform; } }
        public T GetComponent<T>() { return gameObject.GetComponent<T>(); }
        public T[] GetComponentsInChildren<T>(bool includeInactive) { return gameObject.GetComponentsInChildren<T>(includeInactive); }

        /// <summary>Copies this component's state onto <paramref name="target"/> (Instantiate).</summary>
        internal virtual void CopyTo(Component target) { }
    }

    public class Transform : Component
    {
        internal Transform() { }

        internal Transform parentTransform;
        internal readonly List<Transform> children = new List<Transform>();

        public Transform parent
        {
            get { ThrowIfDestroyed(); return parentTransform; }
            set { SetParent(value); }
        }

        public void SetParent(Transform p)
        {
            ThrowIfDestroyed();
            for (Transform t = p; t != null; t = t.parentTransform)
                if (ReferenceEquals(t, this)) throw new InvalidOperationException("a Transform cannot be its own ancestor");
            if (parentTransform != null) parentTransform.children.Remove(this);
            parentTransform = p;
            if (p != null) p.children.Add(this);
        }

        public int childCount { get { ThrowIfDestroyed(); return children.Count; } }

        public Transform GetChild(int index)
        {
            ThrowIfDestroyed();
            if (index < 0 || index >= children.Count) throw new IndexOutOfRangeException("Transform child out of bounds");
            return children[index];
        }

        /// <summary>The descendant at a '/'-separated path of names (null if none).</summary>
        public Transform Find(string n)
        {
            ThrowIfDestroyed();
            Transform at = this;
            foreach (string part in n.Split('/'))
            {
                Transform next = null;
                foreach (Transform c in at.children)
                    if (c.name == part) { next = c; break; }
                if (next == null) return null;
                at = next;
            }
            return at;
        }
    }

    public class Behaviour : Component
    {
        protected Behaviour() { }

        bool isEnabled = true;
        public bool enabled { get { return isEnabled; } set { isEnabled = value; } }
    }

    public class MonoBehaviour : Behaviour
    {
        public MonoBehaviour() { }
    }

    public sealed class GameObject : Object
    {
        internal readonly List<Component> components = new List<Component>();

        public GameObject() : this("New Game Object") { }

        public GameObject(string name)
        {
            this.name = name;
            Attach(new Transform());
        }

        T Attach<T>(T c) where T : Component
        {
            c.owner = this;
            components.Add(c);
            return c;
        }

        public Transform transform { get { ThrowIfDestroyed(); return (Transform)components[0]; } }

        /// <summary>Adds a component; no messages are sent (as in Edit Mode for scripts without
        /// ExecuteAlways).</summary>
        public T AddComponent<T>() where T : Component
        {
            ThrowIfDestroyed();
            if (typeof(T) == typeof(Transform)) throw new InvalidOperationException("a GameObject has one Transform");
            var c = (T)Activator.CreateInstance(typeof(T), true);
            return Attach(c);
        }

        public T GetComponent<T>()
        {
            ThrowIfDestroyed();
            foreach (Component c in components)
                if (c is T && !c.destroyed) return (T)(object)c;
            return default(T);
        }

        public T[] GetComponentsInChildren<T>(bool includeInactive)
        {
            ThrowIfDestroyed();
            var found = new List<T>();
            Collect(transform, found);
            return found.ToArray();
        }

        static void Collect<T>(Transform t, List<T> found)
        {
            foreach (Component c in t.owner.components)
                if (c is T && !c.destroyed) found.Add((T)(object)c);
            foreach (Transform child in t.children) Collect(child, found);
        }

        internal override void OnDestroyImmediate()
        {
            foreach (Transform child in transform.children.ToArray()) DestroyImmediate(child.owner);
            foreach (Component c in components) c.destroyed = true;
            if (transform.parentTransform != null) transform.parentTransform.children.Remove(transform);
        }

        internal override Object CloneObject()
        {
            GameObject copy = CloneTree(this);
            copy.name = name + "(Clone)";
            return copy;
        }

        static GameObject CloneTree(GameObject source)
        {
            var copy = new GameObject(source.name);
            for (int i = 1; i < source.components.Count; i++)
            {
                Component c = source.components[i];
                var clone = (Component)Activator.CreateInstance(c.GetType(), true);
                c.CopyTo(clone);
                copy.Attach(clone);
            }
            foreach (Transform child in source.transform.children) CloneTree(child.owner).transform.SetParent(copy.transform);
            return copy;
        }
    }

    public class ScriptableObject : Object
    {
        public ScriptableObject() { }

        public static T CreateInstance<T>() where T : ScriptableObject
        {
            return (T)Activator.CreateInstance(typeof(T), true);
        }
    }

    /// <summary>A text file asset (a .json, .txt ... in the project): its text.</summary>
    public class TextAsset : Object
    {
        readonly string contents;

        public TextAsset(string text) { contents = text ?? ""; }

        public string text { get { ThrowIfDestroyed(); return contents; } }
    }

    public class Renderer : Component
    {
        internal Renderer() { }
    }

    public class SkinnedMeshRenderer : Renderer
    {
        internal SkinnedMeshRenderer() { }

        Mesh mesh;
        float[] weights = new float[0];

        public Mesh sharedMesh
        {
            get { ThrowIfDestroyed(); return mesh; }
            set { ThrowIfDestroyed(); mesh = value; weights = new float[value != null ? value.blendShapeCount : 0]; }
        }

        float[] Weights()
        {
            int n = mesh != null ? mesh.blendShapeCount : 0;
            if (weights.Length != n) Array.Resize(ref weights, n);
            return weights;
        }

        public float GetBlendShapeWeight(int index)
        {
            ThrowIfDestroyed();
            float[] w = Weights();
            if (index < 0 || index >= w.Length) throw new IndexOutOfRangeException("Array index (" + index + ") is out of bounds (size=" + w.Length + ")");
            return w[index];
        }

        public void SetBlendShapeWeight(int index, float value)
        {
            ThrowIfDestroyed();
            float[] w = Weights();
            if (index < 0 || index >= w.Length) throw new IndexOutOfRangeException("Array index (" + index + ") is out of bounds (size=" + w.Length + ")");
            w[index] = value;
        }

        internal override void CopyTo(Component target)
        {
            var t = (SkinnedMeshRenderer)target;
            t.mesh = mesh;
            t.weights = (float[])weights.Clone();
        }
    }

    public sealed class Mesh : Object
    {
        Vector3[] points = new Vector3[0];
        readonly List<string> shapeNames = new List<string>();
        readonly List<List<float>> frameWeights = new List<List<float>>();

        public Mesh() { }

        public Vector3[] vertices
        {
            get { return (Vector3[])points.Clone(); }
            set { points = value != null ? (Vector3[])value.Clone() : new Vector3[0]; }
        }

        public int vertexCount { get { return points.Length; } }
        public int blendShapeCount { get { return shapeNames.Count; } }

        void CheckShape(int shapeIndex)
        {
            if (shapeIndex < 0 || shapeIndex >= shapeNames.Count)
                throw new ArgumentException("Index (" + shapeIndex + ") must be in the range 0.." + (shapeNames.Count - 1) + ".");
        }

        public string GetBlendShapeName(int shapeIndex)
        {
            CheckShape(shapeIndex);
            return shapeNames[shapeIndex];
        }

        public int GetBlendShapeIndex(string blendShapeName) { return shapeNames.IndexOf(blendShapeName); }

        public int GetBlendShapeFrameCount(int shapeIndex)
        {
            CheckShape(shapeIndex);
            return frameWeights[shapeIndex].Count;
        }

        public float GetBlendShapeFrameWeight(int shapeIndex, int frameIndex)
        {
            CheckShape(shapeIndex);
            return frameWeights[shapeIndex][frameIndex];
        }

        /// <summary>As Unity: a new name adds a shape; frames go to the last shape only, in
        /// increasing weight; the deltas hold one entry per vertex.</summary>
        public void AddBlendShapeFrame(string shapeName, float frameWeight, Vector3[] deltaVertices, Vector3[] deltaNormals,
                                       Vector3[] deltaTangents)
        {
            if (deltaVertices == null || deltaVertices.Length != points.Length)
                throw new ArgumentException("mesh.vertexCount != deltaVertices.Length");
            if (deltaNormals != null && deltaNormals.Length != points.Length)
                throw new ArgumentException("mesh.vertexCount != deltaNormals.Length");
            if (deltaTangents != null && deltaTangents.Length != points.Length)
                throw new ArgumentException("mesh.vertexCount != deltaTangents.Length");
            int index = shapeNames.IndexOf(shapeName);
            if (index < 0)
            {
                shapeNames.Add(shapeName);
                frameWeights.Add(new List<float> { frameWeight });
                return;
            }
            if (index != shapeNames.Count - 1)
                throw new ArgumentException("You can only add frames to the last blend shape.");
            List<float> frames = frameWeights[index];
            if (!(frameWeight > frames[frames.Count - 1]))
                throw new ArgumentException("Blend shape frame weights must be greater than the previous frame's.");
            frames.Add(frameWeight);
        }

        public void ClearBlendShapes()
        {
            shapeNames.Clear();
            frameWeights.Clear();
        }
    }

    public struct Vector2
    {
        public float x, y;
        public Vector2(float x, float y) { this.x = x; this.y = y; }
    }

    public struct Vector3
    {
        public float x, y, z;
        public Vector3(float x, float y, float z) { this.x = x; this.y = y; this.z = z; }
    }

    public struct Mathf
    {
        public static float Min(float a, float b) { return a < b ? a : b; }
        public static float Max(float a, float b) { return a > b ? a : b; }
        public static float Clamp01(float value) { return value < 0 ? 0 : (value > 1 ? 1 : value); }
    }

    /// <summary>The clock stays where the tests set it.</summary>
    public class Time
    {
        Time() { }

        internal static float delta, seconds;
        internal static double secondsAsDouble;
        public static float deltaTime { get { return delta; } }
        public static float time { get { return seconds; } }
        public static double timeAsDouble { get { return secondsAsDouble; } }
    }

    public enum LogType { Error = 0, Assert = 1, Warning = 2, Log = 3, Exception = 4 }

    /// <summary>Messages are kept for the tests (StandIn.Logged) and not printed.</summary>
    public class Debug
    {
        Debug() { }

        internal static readonly List<KeyValuePair<LogType, string>> Logged = new List<KeyValuePair<LogType, string>>();

        static void Add(LogType type, object message) { Logged.Add(new KeyValuePair<LogType, string>(type, message == null ? "Null" : message.ToString())); }

        public static void Log(object message) { Add(LogType.Log, message); }
        public static void Log(object message, Object context) { Add(LogType.Log, message); }
        public static void LogWarning(object message) { Add(LogType.Warning, message); }
        public static void LogWarning(object message, Object context) { Add(LogType.Warning, message); }
        public static void LogError(object message) { Add(LogType.Error, message); }
        public static void LogError(object message, Object context) { Add(LogType.Error, message); }
    }

    public abstract class PropertyAttribute : Attribute { }

    [AttributeUsage(AttributeTargets.Field)] public sealed class SerializeField : Attribute { }
    [AttributeUsage(AttributeTargets.Field)] public class HideInInspector : Attribute { }
    [AttributeUsage(AttributeTargets.Field, AllowMultiple = true)]
    public class HeaderAttribute : PropertyAttribute { public readonly string header; public HeaderAttribute(string header) { this.header = header; } }
    [AttributeUsage(AttributeTargets.Field)]
    public class TooltipAttribute : PropertyAttribute { public readonly string tooltip; public TooltipAttribute(string tooltip) { this.tooltip = tooltip; } }
    [AttributeUsage(AttributeTargets.Field)]
    public sealed class RangeAttribute : PropertyAttribute
    {
        public readonly float min, max;
        public RangeAttribute(float min, float max) { this.min = min; this.max = max; }
    }
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class AddComponentMenu : Attribute { public AddComponentMenu(string menuName) { } }
    [AttributeUsage(AttributeTargets.Class)]
    public sealed class DisallowMultipleComponent : Attribute { }
}
