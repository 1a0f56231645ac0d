// The MicroExpressionDriver's rules, frame by frame, in plain C# (the MonoBehaviour only passes
// Unity's time and renderers in):
//   source     Live Landmarks: the weights solved from a landmark source (no face: the last
//              weights are held; the first face, or the first after Recalibrate, is the neutral;
//              in performer mode, a PerformerSolver with its performer file, no neutral frame is
//              needed and Recalibrate restarts its pose filter);
//              Play Clip: the clip's stored weights at the clip time (they already include the
//              clip's own events); Micro Only: zeros;
//   micro      the events of the Micro Expressions clip, layered on top (clamped to 0-1), unless
//              that clip is the one being played (its events are in its weights already);
//   intensity  scales the result (0-1) before it is written x100;
//   blend      Additive: added to what the Animator/Timeline wrote this frame (or, when nothing
//              wrote, to what was under our value last frame), capped at 100; Override: replaces it;
//   correctives  a combination of the rig (SetCombinations) is driven by the product of its
//              drivers' weights (after intensity), written to its own blend shape by the same
//              blend rule: clips and solves never carry them (bridge.md, "Combinations").
// Set-up allocates; Step and Write allocate nothing.
using System.Collections.Generic;
using MicroExpr.Unity;

namespace MicroExpr.Runtime
{
    public enum DriverSource { LiveLandmarks = 0, PlayClip = 1, MicroOnly = 2 }

    public enum DriverBlend { Additive = 0, Override = 1 }

    /// <summary>One renderer's blend-shape weights (Unity's 0-100 scale).</summary>
    public interface IBlendShapeWeights
    {
        /// <summary>False when the renderer is gone: it is skipped.</summary>
        bool Present { get; }
        float GetWeight(int shape);
        void SetWeight(int shape, float value);
    }

    public sealed class WeightDriver
    {
        public readonly string[] Targets;
        public DriverSource Source = DriverSource.LiveLandmarks;
        public DriverBlend Blend = DriverBlend.Additive;
        /// <summary>0-1: scales the weights before they are written.</summary>
        public float Intensity = 1f;
        public bool Loop = true;
        public double Speed = 1.0;
        /// <summary>Set-up and frame warnings for the Console, oldest first; the caller clears it.</summary>
        public readonly List<string> Warnings = new List<string>();

        readonly double[] baseWeights, outWeights, points, confidence;
        FaceSolver solver;
        PerformerSolver performer;
        ILandmarkSource live;
        ClipPlayer player;
        double[] clipRow;
        int[] clipToTarget;
        MicroLayer micro;
        double microClipStart, microStart = double.NaN, clipTime;
        bool microIsClip, recalibrate = true, warnedNeutral;
        int[][] shapeIndex = new int[0][];      // [renderer][target] -> blend-shape index or -1
        float[][] lastWritten = new float[0][], lastBase = new float[0][];
        string[] comboNames = new string[0];
        int[][] comboDrivers = new int[0][];    // [combination] -> our target indices
        Correctives combos = Correctives.None;
        double[] comboWeights = new double[0], comboScaled = new double[0];
        IList<IList<string>> rendererShapes;
        int[][] comboIndex = new int[0][];      // [renderer][combination] -> blend-shape index or -1
        float[][] comboWritten = new float[0][], comboBase = new float[0][];

        public WeightDriver(string[] targets)
        {
            Targets = targets ?? new string[0];
            baseWeights = new double[Targets.Length];
            outWeights = new double[Targets.Length];
            points = new double[Landmarks.Count * 3];
            confidence = new double[Landmarks.Count];
            micro = new MicroLayer(new MicroEvent[0], Targets);
        }

        /// <summary>The weights of the last frame (0-1, in target order).</summary>
        public double[] Weights { get { return outWeights; } }
        /// <summary>The combinations' (correctives') weights of the last frame: the product of
        /// their drivers' weights (0-1, before intensity).</summary>
        public double[] CombinationWeights { get { return comboWeights; } }
        public string[] CombinationNames { get { return comboNames; } }
        public bool Calibrated { get { return performer != null || (solver != null && solver.Ready); } }
        /// <summary>Seconds into the played clip (from its start time).</summary>
        public double ClipTime { get { return clipTime; } }
        /// <summary>When the micro-expression events were started (NaN: not started).</summary>
        public double MicroStart { get { return microStart; } }
        /// <summary>The micro clip is the played clip: its events are in the weights already.</summary>
        public bool MicroIsPlayedClip { get { return Source == DriverSource.PlayClip && microIsClip; } }

        /// <summary>Live landmarks from <paramref name="source"/> through <paramref name="faceSolver"/>
        /// (the solver's rig must have these targets, in this order).</summary>
        public void SetLive(FaceSolver faceSolver, ILandmarkSource source)
        {
            solver = faceSolver;
            performer = null;
            live = source;
            recalibrate = true;
        }

        /// <summary>Live landmarks from <paramref name="source"/> through a performer-mode solver
        /// (the performer's own neutral: no neutral frame; the solver's rig must have these
        /// targets, in this order).</summary>
        public void SetLive(PerformerSolver performerSolver, ILandmarkSource source)
        {
            performer = performerSolver;
            solver = null;
            live = source;
            recalibrate = true;
        }

        /// <summary>The clip played by Play Clip; its targets are matched to ours by name (the
        /// ones we lack are ignored, with a warning). The clip time restarts at 0.</summary>
        public void SetClip(ClipData clip, string clipName)
        {
            player = null;
            clipTime = 0.0;
            if (clip == null) return;
            player = new ClipPlayer(clip);
            clipRow = new double[clip.TargetCount];
            var index = new Dictionary<string, int>();
            for (int t = 0; t < Targets.Length; t++) index[Targets[t]] = t;
            clipToTarget = new int[clip.TargetCount];
            var missing = new List<string>();
            for (int i = 0; i < clip.TargetCount; i++)
            {
                int k;
                clipToTarget[i] = index.TryGetValue(clip.Targets[i], out k) ? k : -1;
                if (clipToTarget[i] < 0) missing.Add(clip.Targets[i]);
            }
            if (missing.Count > 0)
                Warnings.Add("MicroExpr: clip " + clipName + " has targets the rig lacks (ignored): " +
                             string.Join(", ", missing.ToArray()));
        }

        /// <summary>The events layered on top (null: none). <paramref name="isPlayedClip"/>: the
        /// same clip is played by Play Clip, so its events are never layered again.</summary>
        public void SetMicro(ClipData microClip, bool isPlayedClip, string clipName)
        {
            microIsClip = isPlayedClip && microClip != null;
            if (MicroIsPlayedClip)
                Warnings.Add("MicroExpr: '" + clipName + "' is played and is also the micro-expression clip: " +
                             "its events are already in its weights, so they are not layered again.");
            micro = new MicroLayer(microClip != null ? microClip.Events : new MicroEvent[0], Targets);
            microClipStart = microClip != null ? microClip.StartTime : 0.0;
            if (micro.Unknown.Length > 0)
                Warnings.Add("MicroExpr: micro-expression targets not in the rig: " + string.Join(", ", micro.Unknown));
        }

        /// <summary>The rig's combinations (correctives), driven by the product of their drivers'
        /// weights; a combination whose drivers are not all among our targets is left out, with
        /// a warning. Call before or after SetRenderers.</summary>
        public void SetCombinations(RigData rig)
        {
            var correctives = new Correctives(Targets, rig);
            if (correctives.Skipped.Length > 0)
                Warnings.Add("MicroExpr: correctives whose drivers are not driven here (left alone): " +
                             string.Join(", ", correctives.Skipped));
            combos = correctives;
            comboNames = correctives.Names;
            comboDrivers = correctives.Drivers;
            comboWeights = new double[comboNames.Length];
            comboScaled = new double[comboNames.Length];
            MapCombinations();
        }

        void MapCombinations()
        {
            int R = rendererShapes == null ? 0 : rendererShapes.Count, C = comboNames.Length;
            comboIndex = new int[R][];
            comboWritten = new float[R][];
            comboBase = new float[R][];
            for (int r = 0; r < R; r++)
            {
                comboWritten[r] = new float[C];
                comboBase[r] = new float[C];
                for (int c = 0; c < C; c++) comboWritten[r][c] = float.NaN;
                if (rendererShapes[r] == null)
                {
                    comboIndex[r] = new int[C];
                    for (int c = 0; c < C; c++) comboIndex[r][c] = -1;
                }
                else comboIndex[r] = BlendShapeMap.Build(comboNames, rendererShapes[r], null);
            }
        }

        /// <summary>The renderers' blend-shape names (null: no renderer or no mesh), matched to
        /// the targets (and the correctives) with BlendShapeMap (DCC prefixes and case tolerated).</summary>
        public void SetRenderers(IList<IList<string>> shapeNames)
        {
            rendererShapes = shapeNames;
            MapCombinations();
            int R = shapeNames == null ? 0 : shapeNames.Count, T = Targets.Length;
            shapeIndex = new int[R][];
            lastWritten = new float[R][];
            lastBase = new float[R][];
            var found = new bool[T];
            for (int r = 0; r < R; r++)
            {
                lastWritten[r] = new float[T];
                lastBase[r] = new float[T];
                for (int t = 0; t < T; t++) lastWritten[r][t] = float.NaN;
                if (shapeNames[r] == null)
                {
                    shapeIndex[r] = new int[T];
                    for (int t = 0; t < T; t++) shapeIndex[r][t] = -1;
                    continue;
                }
                shapeIndex[r] = BlendShapeMap.Build(Targets, shapeNames[r], null);
                for (int t = 0; t < T; t++) if (shapeIndex[r][t] >= 0) found[t] = true;
            }
            var missing = new List<string>();
            for (int t = 0; t < T; t++) if (!found[t]) missing.Add(Targets[t]);
            if (missing.Count > 0)
                Warnings.Add("MicroExpr: " + missing.Count + " of " + T + " targets have no blend shape on the renderers: " +
                             string.Join(", ", missing.ToArray()));
        }

        /// <summary>The blend-shape index that target <paramref name="target"/> drives on renderer
        /// <paramref name="renderer"/> (-1: none).</summary>
        public int ShapeIndex(int renderer, int target) { return shapeIndex[renderer][target]; }

        /// <summary>The next frame with a face becomes the neutral.</summary>
        public void Recalibrate() { recalibrate = true; }

        /// <summary>Starts the micro-expression events at <paramref name="now"/> (seconds): their
        /// times run from the micro clip's start time.</summary>
        public void StartMicro(double now) { microStart = now; }

        /// <summary>One frame: the source's weights and the micro-expression events into
        /// <see cref="Weights"/>. <paramref name="deltaTime"/> advances the clip (times Speed);
        /// <paramref name="now"/> is the clock the micro-expressions were started on.</summary>
        public void Step(double deltaTime, double now)
        {
            int T = Targets.Length;
            if (Source == DriverSource.LiveLandmarks) StepLive();
            else if (Source == DriverSource.PlayClip && player != null)
            {
                clipTime += deltaTime * Speed;
                player.Evaluate(player.Clip.StartTime + clipTime, Loop, clipRow);   // weights only
                for (int t = 0; t < T; t++) baseWeights[t] = 0.0;
                for (int i = 0; i < clipRow.Length; i++) if (clipToTarget[i] >= 0) baseWeights[clipToTarget[i]] = clipRow[i];
            }
            else for (int t = 0; t < T; t++) baseWeights[t] = 0.0;
            if (micro.EventCount > 0 && !double.IsNaN(microStart) && !MicroIsPlayedClip)
                micro.Layer(baseWeights, microClipStart + (now - microStart), outWeights);
            else for (int t = 0; t < T; t++) outWeights[t] = baseWeights[t] < 0 ? 0 : (baseWeights[t] > 1 ? 1 : baseWeights[t]);
            combos.Evaluate(outWeights, comboWeights, 0);
        }

        void StepLive()
        {
            if (performer != null && live != null)
            {
                if (!live.TryGetLandmarks(points, confidence)) return;    // no face: hold
                UnitySpace.SourceToBridge(points, performer.Dims, live.Space, performer.Rig.LengthUnit);
                if (recalibrate) performer.Reset();
                recalibrate = false;
                performer.Step(points, confidence, baseWeights);          // an invalid frame holds
                return;
            }
            if (solver == null || live == null) return;
            if (!live.TryGetLandmarks(points, confidence)) return;        // no face: hold
            UnitySpace.SourceToBridge(points, solver.Dims, live.Space, solver.Rig.LengthUnit);
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
                    if (!warnedNeutral) Warnings.Add("MicroExpr: " + e.Message);
                    warnedNeutral = true;
                    return;                                               // hold until a usable neutral
                }
            }
            solver.Solve(points, confidence, baseWeights);                // an invalid frame holds
        }

        /// <summary>Writes <see cref="Weights"/> x100 x Intensity to the renderers, in the order
        /// given to SetRenderers, by the Blend rule.</summary>
        public void Write(IBlendShapeWeights[] renderers)
        {
            float scale = (float)UnitySpace.BlendShapeScale * Intensity;
            int R = renderers.Length < shapeIndex.Length ? renderers.Length : shapeIndex.Length;
            // a corrective follows its drivers as written: the product of (intensity x weight)
            for (int c = 0; c < comboWeights.Length; c++)
            {
                double v = comboWeights[c];
                for (int k = 0; k < comboDrivers[c].Length; k++) v *= Intensity;
                comboScaled[c] = v;
            }
            for (int r = 0; r < R; r++)
            {
                IBlendShapeWeights shapes = renderers[r];
                if (shapes == null || !shapes.Present) continue;
                WriteShapes(shapes, shapeIndex[r], outWeights, scale, lastWritten[r], lastBase[r]);
                if (r < comboIndex.Length)
                    WriteShapes(shapes, comboIndex[r], comboScaled, (float)UnitySpace.BlendShapeScale,
                                comboWritten[r], comboBase[r]);
            }
        }

        /// <summary>Writes values[k] x scale to the shapes map[k] by the Blend rule.</summary>
        void WriteShapes(IBlendShapeWeights shapes, int[] map, double[] values, float scale, float[] written,
                         float[] under)
        {
            for (int t = 0; t < map.Length; t++)
            {
                int s = map[t];
                if (s < 0) continue;
                float v = (float)values[t] * scale;
                if (Blend == DriverBlend.Additive)
                {
                    // what the Animator/Timeline wrote this frame, or (if nothing did) the
                    // base we added to last frame
                    float current = shapes.GetWeight(s);
                    float below = current == written[t] ? under[t] : current;
                    under[t] = below;
                    float sum = below + v;
                    v = sum < 100f ? sum : 100f;
                }
                shapes.SetWeight(s, v);
                written[t] = v;
            }
        }
    }
}
