// Drives a face's blend shapes from one source, with micro-expression events layered on top:
//   Live Landmarks  the weights solved from a landmark source (the same math as the Python
//                   tools: with a Performer file, performer mode, pose and expression on the
//                   performer's own neutral; without, the first face is the neutral) + the
//                   events of the Micro Expressions clip;
//   Play Clip       the clip's weights, as stored (they already include the clip's own
//                   events) + the events of the Micro Expressions clip, when that is another
//                   clip (the played clip's own events are never added a second time);
//   Micro Only      zeros + the events of the Micro Expressions clip (for a clip made on a
//                   neutral this is its weights).
// Only a clip's events are layered (MicroLayer), never its weights. Weights are written x100
// in LateUpdate, after the Animator and Timeline have written theirs, so the result sits on
// top of that frame's animation (Additive) or replaces it (Override).
// The rules live in the plain C# core (WeightDriver, tested without Unity); this component
// passes Unity's clock, renderers and Console in. Set-up allocates; a frame allocates nothing.
#if UNITY_5_3_OR_NEWER
using System.Collections.Generic;
using MicroExpr.Runtime;
using UnityEngine;

namespace MicroExpr.Unity
{
    /// <summary>Blend-shape weights from live landmarks, a clip's stored weights, or nothing,
    /// plus the <em>events</em> of the Micro Expressions clip layered on top (clamped to 0-1).
    /// A played clip's weights already include its own events: they are not added again.</summary>
    [AddComponentMenu("MicroExpr/Micro Expression Driver")]
    [DisallowMultipleComponent]
    public sealed class MicroExpressionDriver : MonoBehaviour
    {
        public enum Source { LiveLandmarks = 0, PlayClip = 1, MicroOnly = 2 }
        public enum Blend { Additive = 0, Override = 1 }

        [Header("Face")]
        [Tooltip("The rig imported from a .microexpr rig file (targets and landmark deltas).")]
        public MicroExprRigAsset rig;
        [Tooltip("Renderers whose blend shapes carry the rig's targets (prefixes such as 'blendShape1.' are fine).")]
        public SkinnedMeshRenderer[] renderers = new SkinnedMeshRenderer[0];

        [Header("Source")]
        public Source source = Source.LiveLandmarks;
        [Tooltip("A component implementing ILandmarkSource (a face tracker).")]
        public MonoBehaviour landmarkSource;
        public Compensation compensation = Compensation.Rigid;
        [Tooltip("The performer file (performer.json from 'microexpr calibrate'): live landmarks are then " +
                 "solved in performer mode, head pose and expression on the performer's own neutral, with " +
                 "no neutral frame (Compensation, Regularisation and Temporal are unused). Empty: the first " +
                 "face is the neutral.")]
        public TextAsset performer;
        [Tooltip("Performer mode: the tracker's frame rate (0: the performer file's).")]
        public float performerFps;
        [Tooltip("Performer mode: a weight is expected within this of 0 (Python's --prior).")]
        public float performerPrior = 0.2f;
        [Tooltip("Performer mode: a weight is expected to change by this much per second (Python's --speed; " +
                 "0: no temporal prior).")]
        public float performerSpeed = 3f;
        [Tooltip("The camera image is mirrored (selfie view).")]
        public bool mirrored;
        [Tooltip("Ridge weight, relative to the basis (Python's --reg).")]
        public float regularisation = 1e-3f;
        [Tooltip("Weight of |w - w_prev|^2, relative (Python's --temporal).")]
        public float temporal;
        public MicroExprClipAsset clip;
        public bool loop = true;
        public float speed = 1f;

        [Header("Micro-expressions")]
        [Tooltip("A clip whose events (not its weights) are layered on top of the source: onto the solved " +
                 "weights, the played clip (when it is another clip) or zeros.")]
        public MicroExprClipAsset microExpressions;
        public bool playMicroOnEnable;

        [Header("Output")]
        public Blend blend = Blend.Additive;
        [Range(0f, 1f)] public float intensity = 1f;

        WeightDriver core;
        RendererWeights[] writers = new RendererWeights[0];
        double microStartBeforeSetup = double.NaN;

        /// <summary>The weights written last frame (0-1, in rig target order).</summary>
        public double[] Weights { get { return core != null ? core.Weights : null; } }
        public string[] Targets { get { return core != null ? core.Targets : new string[0]; } }
        public bool Calibrated { get { return core != null && core.Calibrated; } }

        /// <summary>The next frame with a face becomes the neutral.</summary>
        public void Recalibrate() { if (core != null) core.Recalibrate(); }

        /// <summary>Starts the micro-expression events now (of <paramref name="asset"/>, or the
        /// assigned ones): their times run from the clip's start time.</summary>
        public void PlayMicroExpressions(MicroExprClipAsset asset = null)
        {
            if (asset != null && asset != microExpressions)
            {
                microExpressions = asset;
                if (core != null) SetupMicro();
            }
            if (core != null) core.StartMicro(Time.timeAsDouble);
            else microStartBeforeSetup = Time.timeAsDouble;
            FlushWarnings();
        }

        void SetupMicro()
        {
            ClipData m = microExpressions != null ? microExpressions.ToClipData() : null;
            core.SetMicro(m, microExpressions != null && microExpressions == clip, clip != null ? clip.name : "");
        }

        void Reset()
        {
            renderers = GetComponentsInChildren<SkinnedMeshRenderer>(true);
        }

        void OnEnable()
        {
            Setup();
            if (playMicroOnEnable) PlayMicroExpressions();
        }

        /// <summary>Builds maps and buffers; call after changing rig, renderers or clips at runtime.</summary>
        public void Setup()
        {
            RigData rigData = rig != null ? rig.ToRigData() : null;
            ClipData clipData = clip != null ? clip.ToClipData() : null;
            double started = core != null ? core.MicroStart : microStartBeforeSetup;
            core = new WeightDriver(rigData != null ? rigData.TargetNames : (clipData != null ? clipData.Targets : null));
            core.Source = (DriverSource)source;
            var tracker = landmarkSource as ILandmarkSource;
            if (source == Source.LiveLandmarks)
            {
                if (rigData == null) core.Warnings.Add("MicroExpr: live landmarks need a rig asset.");
                else if (tracker == null) core.Warnings.Add("MicroExpr: the landmark source must implement ILandmarkSource.");
                else if (performer != null) SetPerformer(rigData, tracker);
                else core.SetLive(new FaceSolver(rigData, tracker.Dimensions, compensation, regularisation, temporal, mirrored), tracker);
            }
            core.SetCombinations(rigData);       // correctives follow their drivers
            core.SetClip(clipData, clip != null ? clip.name : "");
            SetupMicro();
            if (!double.IsNaN(started)) core.StartMicro(started);
            microStartBeforeSetup = double.NaN;
            int R = renderers == null ? 0 : renderers.Length;
            var names = new List<IList<string>>(R);
            writers = new RendererWeights[R];
            for (int r = 0; r < R; r++)
            {
                SkinnedMeshRenderer smr = renderers[r];
                Mesh mesh = smr != null ? smr.sharedMesh : null;
                writers[r] = smr != null ? new RendererWeights(smr) : null;
                if (mesh == null) { names.Add(null); continue; }
                var shapes = new List<string>(mesh.blendShapeCount);
                for (int s = 0; s < mesh.blendShapeCount; s++) shapes.Add(mesh.GetBlendShapeName(s));
                names.Add(shapes);
            }
            core.SetRenderers(names);
            FlushWarnings();
        }

        /// <summary>Performer mode: a PerformerSolver on the performer file; a bad file, or one for
        /// another rig or tracker, is reported on the Console (naming the field) and nothing is driven.</summary>
        void SetPerformer(RigData rigData, ILandmarkSource tracker)
        {
            try
            {
                Performer p = Performer.FromJson(performer.text, performer.name);
                core.SetLive(new PerformerSolver(rigData, p, tracker.Dimensions, Typed(performerFps),
                                                 Typed(performerPrior), Typed(performerSpeed), mirrored), tracker);
            }
            catch (MicroExprException e)
            {
                core.Warnings.Add("MicroExpr: " + e.Message);
            }
        }

        /// <summary>The number typed in the Inspector: 0.2f is 0.2 (Python's default), through
        /// decimal; a value decimal cannot hold is passed as it is (and refused if not finite).</summary>
        static double Typed(float v)
        {
            return float.IsNaN(v) || float.IsInfinity(v) || System.Math.Abs(v) > 1e15f ? v : (double)(decimal)v;
        }

        void LateUpdate()
        {
            UpdateFrame(Time.deltaTime, Time.timeAsDouble);
        }

        /// <summary>One frame now: the source's weights plus the micro-expression events, written
        /// to the renderers. LateUpdate calls it (after the Animator and Timeline have written);
        /// edit-mode tools and tests may call it with their own clock.</summary>
        public void UpdateFrame(float deltaTime, double time)
        {
            if (core == null) return;
            core.Source = (DriverSource)source;
            core.Blend = (DriverBlend)blend;
            core.Intensity = intensity;
            core.Loop = loop;
            core.Speed = speed;
            core.Step(deltaTime, time);
            core.Write(writers);
            if (core.Warnings.Count > 0) FlushWarnings();
        }

        void FlushWarnings()
        {
            if (core == null) return;
            foreach (string w in core.Warnings) Debug.LogWarning(w, this);
            core.Warnings.Clear();
        }

        /// <summary>A SkinnedMeshRenderer's weights for the core (0-100).</summary>
        sealed class RendererWeights : IBlendShapeWeights
        {
            readonly SkinnedMeshRenderer smr;
            public RendererWeights(SkinnedMeshRenderer renderer) { smr = renderer; }
            public bool Present { get { return smr != null; } }
            public float GetWeight(int shape) { return smr.GetBlendShapeWeight(shape); }
            public void SetWeight(int shape, float value) { smr.SetBlendShapeWeight(shape, value); }
        }

        void OnValidate()
        {
            if (regularisation < 0) regularisation = 0;
            if (temporal < 0) temporal = 0;
            if (performerFps < 0) performerFps = 0;
            if (!(performerPrior > 0)) performerPrior = 0.2f;
            if (performerSpeed < 0) performerSpeed = 0;
        }
    }
}
#endif
