// STAND-IN, NOT UNITY: the animation types of UnityEngine this package uses (Unity 2021.3
// signatures) with in-memory behaviour: clips keep their float curves, curves their keys. Part
// of the stand-in UnityEngine (see UnityEngine.cs and API.md). Not part of the package.
using System;
using System.Collections.Generic;

namespace UnityEngine
{
    public class Motion : Object
    {
        internal Motion() { }
    }

    public sealed class AnimationClip : Motion
    {
        /// <summary>The clip's float curves by (path, type, property), in the order set.</summary>
        internal readonly List<KeyValuePair<string[], AnimationCurve>> curves = new List<KeyValuePair<string[], AnimationCurve>>();
        internal readonly List<Type> curveTypes = new List<Type>();
        float rate = 60f;

        public AnimationClip() { }

        public float frameRate { get { return rate; } set { rate = value; } }
        public bool legacy { get; set; }

        public void SetCurve(string relativePath, Type type, string propertyName, AnimationCurve curve)
        {
            SetCurveInternal(relativePath, type, propertyName, curve);
        }

        public void ClearCurves()
        {
            curves.Clear();
            curveTypes.Clear();
        }

        internal int FindCurve(string path, Type type, string property)
        {
            for (int i = 0; i < curves.Count; i++)
                if (curves[i].Key[0] == path && curves[i].Key[1] == property && curveTypes[i] == type) return i;
            return -1;
        }

        /// <summary>Stores a copy of the curve (as Unity does); null removes it.</summary>
        internal void SetCurveInternal(string path, Type type, string property, AnimationCurve curve)
        {
            int i = FindCurve(path ?? "", type, property);
            if (curve == null)
            {
                if (i >= 0) { curves.RemoveAt(i); curveTypes.RemoveAt(i); }
                return;
            }
            var entry = new KeyValuePair<string[], AnimationCurve>(new[] { path ?? "", property }, new AnimationCurve(curve.keys));
            if (i >= 0) curves[i] = entry;
            else { curves.Add(entry); curveTypes.Add(type); }
        }
    }

    public struct Keyframe
    {
        float keyTime, keyValue, inSlope, outSlope;

        public Keyframe(float time, float value) : this(time, value, 0f, 0f) { }

        public Keyframe(float time, float value, float inTangent, float outTangent)
        {
            keyTime = time;
            keyValue = value;
            inSlope = inTangent;
            outSlope = outTangent;
        }

        public float time { get { return keyTime; } set { keyTime = value; } }
        public float value { get { return keyValue; } set { keyValue = value; } }
        public float inTangent { get { return inSlope; } set { inSlope = value; } }
        public float outTangent { get { return outSlope; } set { outSlope = value; } }
    }

    public class AnimationCurve
    {
        readonly List<Keyframe> list = new List<Keyframe>();

        public AnimationCurve(params Keyframe[] keys) { this.keys = keys; }

        /// <summary>Index of the new key; -1 when a key already sits at that time (as Unity).</summary>
        public int AddKey(Keyframe key)
        {
            int i = 0;
            while (i < list.Count && list[i].time < key.time) i++;
            if (i < list.Count && list[i].time == key.time) return -1;
            list.Insert(i, key);
            return i;
        }

        public int AddKey(float time, float value) { return AddKey(new Keyframe(time, value)); }

        public int length { get { return list.Count; } }

        public Keyframe this[int index] { get { return list[index]; } }

        public Keyframe[] keys
        {
            get { return list.ToArray(); }
            set
            {
                list.Clear();
                if (value != null) foreach (Keyframe k in value) AddKey(k);
            }
        }

        internal void SetKeyInternal(int index, Keyframe key) { list[index] = key; }

        /// <summary>Cubic Hermite between keys with their tangents; constant outside.</summary>
        public float Evaluate(float time)
        {
            if (list.Count == 0) return 0f;
            if (time <= list[0].time) return list[0].value;
            if (time >= list[list.Count - 1].time) return list[list.Count - 1].value;
            int i = 0;
            while (list[i + 1].time < time) i++;
            Keyframe a = list[i], b = list[i + 1];
            float dt = b.time - a.time, u = (time - a.time) / dt, u2 = u * u, u3 = u2 * u;
            return (2 * u3 - 3 * u2 + 1) * a.value + (u3 - 2 * u2 + u) * a.outTangent * dt
                   + (-2 * u3 + 3 * u2) * b.value + (u3 - u2) * b.inTangent * dt;
        }
    }
}
