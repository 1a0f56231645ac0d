// Drives a face's blend shapes from one source, with micro-expression events layered on top:
//   Live Landmarks  the weights solved from a landmark source (the same math as the Python
//                   tools) + the events of the Micro Expressions clip;
//   Play Clip       the clip's weights, as stored (they already include the clip's own
//                   events) + the events of the Micro Expressions clip, when that is another
//                   clip (the played clip's own events are never added a second time);
//   Micro Only      zeros + the events of the Micro Expressions clip (for a clip made on a
//                   neutral this is its weights).
// Only a clip's events are layered (MicroLayer), never its weights. Weights are written x100
// in LateUpdate, after the Animator and Timeline have written theirs, so the result sits on
// top of that frame's animation (Additive) or replaces it (Override).
// Set-up allocates; a frame allocates nothing.
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

        string[] targets = new string[0];
        double[] baseWeights, outWeights, clipRow, points, confidence;
        int[] clipToTarget;
        int[][] shapeIndex;              // [renderer][target] -> blend-shape index or -1
        float[][] lastWritten, lastBase;
        FaceSolver solver;
        ClipPlayer player;
        MicroLayer micro;
        ILandmarkSource live;
        double clipTime, microStart = double.NaN, microClipStart;
        bool recalibrate = true, warnedNeutral;

        /// <summary>The weights written last frame (0-1, in rig target order).</summary>
        public double[] Weights { get { return outWeights; } }
        public string[] Targets { get { return targets; } }
        public bool Calibrated { get { return solver != null && solver.Ready; } }

        /// <summary>The next frame with a face becomes the neutral.</summary>
        public void Recalibrate() { recalibrate = true; }

        /// <summary>Starts the micro-expression events now (of <paramref name="asset"/>, or the
        /// assigned ones): their times run from the clip's start time.</summary>
        public void PlayMicroExpressions(MicroExprClipAsset asset = null)
        {
            if (asset != null && asset != microExpressions)
            {
                microExpressions = asset;
                SetupMicro();
            }
            microStart = Time.timeAsDouble;
        }

        /// <summary>True when the micro clip is the clip being played: its events are in the
        /// weights already, so layering them again would count them twice.</summary>
        bool MicroIsPlayedClip { get { return source == Source.PlayClip && microExpressions != null && microExpressions == clip; } }

        void SetupMicro()
        {
            ClipData m = microExpressions != null ? microExpressions.ToClipData() : null;
            if (MicroIsPlayedClip)
                Debug.LogWarning("MicroExpr: '" + clip.name + "' is played and is also the micro-expression clip: " +
                                 "its events are already in its weights, so they are not layered again.", this);
            micro = new MicroLayer(m != null ? m.Events : new MicroEvent[0], targets);
            microClipStart = m != null ? m.StartTime : 0.0;
            if (micro.Unknown.Length > 0)
                Debug.LogWarning("MicroExpr: micro-expression targets not in the rig: " + string.Join(", ", micro.Unknown), this);
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
            targets = rigData != null ? rigData.TargetNames : (clipData != null ? clipData.Targets : new string[0]);
            int T = targets.Length;
            baseWeights = new double[T];
            outWeights = new double[T];
            points = new double[Landmarks.Count * 3];
            confidence = new double[Landmarks.Count];
            solver = null;
            live = landmarkSource as ILandmarkSource;
            if (source == Source.LiveLandmarks)
            {
                if (rigData == null) Debug.LogWarning("MicroExpr: live landmarks need a rig asset.", this);
                else if (live == null) Debug.LogWarning("MicroExpr: the landmark source must implement ILandmarkSource.", this);
                else solver = new FaceSolver(rigData, live.Dimensions, compensation, regularisation, temporal, mirrored);
            }
            player = null;
            if (clipData != null)
            {
                player = new ClipPlayer(clipData);
                clipRow = new double[clipData.TargetCount];
                clipToTarget = MapNames(clipData.Targets, targets, "clip " + clip.name);
            }
            SetupMicro();
            MapRenderers();
            clipTime = 0.0;
            recalibrate = true;
        }

        int[] MapNames(string[] from, string[] to, string what)
        {
            var index = new Dictionary<string, int>();
            for (int t = 0; t < to.Length; t++) index[to[t]] = t;
            var map = new int[from.Length];
            var missing = new List<string>();
            for (int i = 0; i < from.Length; i++)
            {
                int k;
                map[i] = index.TryGetValue(from[i], out k) ? k : -1;
                if (map[i] < 0) missing.Add(from[i]);
            }
            if (missing.Count > 0)
                Debug.LogWarning("MicroExpr: " + what + " has targets the rig lacks (ignored): " + string.Join(", ", missing.ToArray()), this);
            return map;
        }

        void MapRenderers()
        {
            int R = renderers == null ? 0 : renderers.Length, T = targets.Length;
            shapeIndex = new int[R][];
            lastWritten = new float[R][];
            lastBase = new float[R][];
            var found = new bool[T];
            for (int r = 0; r < R; r++)
            {
                shapeIndex[r] = new int[T];
                lastWritten[r] = new float[T];
                lastBase[r] = new float[T];
                for (int t = 0; t < T; t++) { shapeIndex[r][t] = -1; lastWritten[r][t] = float.NaN; }
                SkinnedMeshRenderer smr = renderers[r];
                if (smr == null || smr.sharedMesh == null) continue;
                Mesh mesh = smr.sharedMesh;
                var names = new List<string>(mesh.blendShapeCount);
                for (int s = 0; s < mesh.blendShapeCount; s++) names.Add(mesh.GetBlendShapeName(s));
                shapeIndex[r] = BlendShapeMap.Build(targets, names, null);
                for (int t = 0; t < T; t++) if (shapeIndex[r][t] >= 0) found[t] = true;
            }
            var missing = new List<string>();
            for (int t = 0; t < T; t++) if (!found[t]) missing.Add(targets[t]);
            if (missing.Count > 0)
                Debug.LogWarning("MicroExpr: " + missing.Count + " of " + T + " targets have no blend shape on the renderers: " +
                                 string.Join(", ", missing.ToArray()), this);
        }

        void LateUpdate()
        {
            if (outWeights == null) return;
            int T = targets.Length;
            if (source == Source.LiveLandmarks) UpdateLive();
            else if (source == Source.PlayClip && player != null)
            {
                clipTime += Time.deltaTime * speed;
                player.Evaluate(player.Clip.StartTime + clipTime, loop, clipRow);   // weights only
                for (int t = 0; t < T; t++) baseWeights[t] = 0.0;
                for (int i = 0; i < clipRow.Length; i++) if (clipToTarget[i] >= 0) baseWeights[clipToTarget[i]] = clipRow[i];
            }
            else for (int t = 0; t < T; t++) baseWeights[t] = 0.0;
            if (micro.EventCount > 0 && !double.IsNaN(microStart) && !MicroIsPlayedClip)
                micro.Layer(baseWeights, microClipStart + (Time.timeAsDouble - microStart), outWeights);
            else for (int t = 0; t < T; t++) outWeights[t] = baseWeights[t] < 0 ? 0 : (baseWeights[t] > 1 ? 1 : baseWeights[t]);
            Write();
        }

        void UpdateLive()
        {
            if (solver == null) return;
            int dims = solver.Dims;
            if (!live.TryGetLandmarks(points, confidence)) return;        // no face: hold
            UnityLandmarks.ToBridge(points, dims, live.Space, solver.Rig.LengthUnit);
            if (recalibrate || !solver.Ready)
            {
                try
                {
                    solver.SetNeutral(points, confidence);
                    recalibrate = false;
                    warnedNeutral = false;
                }
                catch (MicroExprException e)
                {
                    if (!warnedNeutral) Debug.LogWarning("MicroExpr: " + e.Message, this);
                    warnedNeutral = true;
                    return;
                }
            }
            solver.Solve(points, confidence, baseWeights);
        }

        void Write()
        {
            float scale = (float)UnitySpace.BlendShapeScale * intensity;
            for (int r = 0; r < shapeIndex.Length; r++)
            {
                SkinnedMeshRenderer smr = renderers[r];
                if (smr == null) continue;
                int[] map = shapeIndex[r];
                for (int t = 0; t < map.Length; t++)
                {
                    int s = map[t];
                    if (s < 0) continue;
                    float v = (float)outWeights[t] * scale;
                    if (blend == Blend.Additive)
                    {
                        // what the Animator/Timeline wrote this frame, or (if nothing did) the
                        // base we added to last frame
                        float current = smr.GetBlendShapeWeight(s);
                        float under = current == lastWritten[r][t] ? lastBase[r][t] : current;
                        lastBase[r][t] = under;
                        v = Mathf.Min(under + v, 100f);
                    }
                    smr.SetBlendShapeWeight(s, v);
                    lastWritten[r][t] = v;
                }
            }
        }

        void OnValidate()
        {
            if (regularisation < 0) regularisation = 0;
            if (temporal < 0) temporal = 0;
        }
    }
}
#endif
