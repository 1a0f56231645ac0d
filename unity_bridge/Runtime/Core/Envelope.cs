// Onset-apex-offset envelopes of micro-expression events, as microexpr/micro/envelope.py: rise and
// fall are smoothstep curves u^2 (3 - 2u); events add to a base and the sum is clamped to 0-1.
// A clip's weights already hold its events: ClipPlayer plays the weights, MicroLayer puts
// events on any other weights (a live solve); never both on the same clip.
using System;
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    public static class Envelope
    {
        public const string Name = "smoothstep-asym";

        /// <summary>Envelope value in [0, 1] at time t (seconds).</summary>
        public static double Value(double t, double onset, double apex, double offset, double hold)
        {
            double top = Math.Min(apex + Math.Max(hold, 0.0), offset);
            if (t > onset && t < apex)
            {
                double u = (t - onset) / (apex - onset);
                return u * u * (3.0 - 2.0 * u);
            }
            if (t >= apex && t <= top) return 1.0;
            if (t > top && t < offset)
            {
                double v = (t - top) / (offset - top);
                return 1.0 - v * v * (3.0 - 2.0 * v);
            }
            return 0.0;
        }
    }

    /// <summary>Events layered onto any base weights at a time: clamp(base + events, 0, 1).
    /// Resolved to target indices once; evaluation allocates nothing. For a clip made on a
    /// neutral, layering its events onto zeros at its frame times gives back its weights.</summary>
    public sealed class MicroLayer
    {
        readonly MicroEvent[] events;
        readonly int[] index;
        readonly double[] sum;
        /// <summary>Event target names not among the targets (their events are skipped).</summary>
        public readonly string[] Unknown;

        public MicroLayer(MicroEvent[] events, string[] targets)
        {
            this.events = events ?? new MicroEvent[0];
            index = new int[this.events.Length];
            sum = new double[targets.Length];
            var map = new Dictionary<string, int>();
            for (int t = 0; t < targets.Length; t++) map[targets[t]] = t;
            var unknown = new List<string>();
            for (int e = 0; e < this.events.Length; e++)
            {
                int k;
                index[e] = map.TryGetValue(this.events[e].Target, out k) ? k : -1;
                if (index[e] < 0 && !unknown.Contains(this.events[e].Target)) unknown.Add(this.events[e].Target);
            }
            Unknown = unknown.ToArray();
        }

        public int EventCount { get { return events.Length; } }

        /// <summary>Summed event weights (unclamped) at <paramref name="time"/> into <paramref name="outWeights"/>.</summary>
        public void EventWeights(double time, double[] outWeights)
        {
            for (int t = 0; t < outWeights.Length; t++) outWeights[t] = 0.0;
            for (int e = 0; e < events.Length; e++)
            {
                int t = index[e];
                if (t < 0) continue;
                MicroEvent m = events[e];
                outWeights[t] += m.PeakWeight * Envelope.Value(time, m.Onset, m.Apex, m.Offset, m.Hold);
            }
        }

        /// <summary>clamp(base + events, 0, 1); <paramref name="outWeights"/> may be <paramref name="baseWeights"/>
        /// (null: a base of zeros).</summary>
        public void Layer(double[] baseWeights, double time, double[] outWeights)
        {
            LayerRow(baseWeights, 0, time, outWeights, 0);
        }

        /// <summary>Frames <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1
        /// of <paramref name="clip"/> at once: row i of <paramref name="outWeights"/> ([frame][target],
        /// at least count x the layer's targets) is <see cref="Layer"/> of row i of
        /// <paramref name="baseWeights"/> (the same layout; null: zeros) at
        /// <c>clip.FrameTime(first + i)</c>, the same numbers as calling <see cref="Layer"/> frame by
        /// frame. <paramref name="outWeights"/> may be <paramref name="baseWeights"/>. Allocates
        /// nothing; for a whole take in a few calls (a bake, a parity check) instead of one per frame.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The frames are not all in the clip.</exception>
        /// <exception cref="ArgumentException">An array is too short for count rows.</exception>
        public void LayerFrames(ClipData clip, int first, int count, double[] baseWeights, double[] outWeights)
        {
            if (clip == null) throw new ArgumentNullException("clip");
            if (outWeights == null) throw new ArgumentNullException("outWeights");
            if (first < 0 || count < 0 || first > clip.Frames - count)
                throw new ArgumentOutOfRangeException("first", "frames " + first + " + " + count + " are not all in the clip's " + clip.Frames);
            int T = sum.Length;
            if ((long)count * T > outWeights.Length || (baseWeights != null && (long)count * T > baseWeights.Length))
                throw new ArgumentException("the arrays hold fewer than " + count + " rows of " + T + " weights");
            for (int i = 0; i < count; i++)
                LayerRow(baseWeights, i * T, clip.FrameTime(first + i), outWeights, i * T);
        }

        void LayerRow(double[] baseWeights, int at, double time, double[] outWeights, int to)
        {
            EventWeights(time, sum);
            for (int t = 0; t < sum.Length; t++)
            {
                double v = (baseWeights == null ? 0.0 : baseWeights[at + t]) + sum[t];
                outWeights[to + t] = v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
            }
        }
    }

    /// <summary>Plays a clip: its weights, invalid frames held when the clip says so. A clip's
    /// weights already include its micro-expression events (they were baked when it was made),
    /// so the player adds nothing; to put a clip's events on other weights (a live solve), use
    /// a <see cref="MicroLayer"/> of <c>clip.Events</c>.</summary>
    public sealed class ClipPlayer
    {
        public readonly ClipData Clip;
        readonly int[] rows;             // per frame, the frame whose weights it shows (itself, or the
                                         // last valid one when HoldInvalid): 4 bytes a frame, no copy

        /// <summary>A player of <paramref name="clip"/>'s weights as they are (not a copy of them):
        /// which frame each invalid frame holds is settled here, from the clip's validity.</summary>
        public ClipPlayer(ClipData clip)
        {
            Clip = clip;
            int F = clip.Frames;
            rows = new int[F];
            int last = -1;
            for (int f = 0; f < F; f++)
            {
                if (clip.Valid[f]) last = f;
                rows[f] = clip.HoldInvalid && !clip.Valid[f] && last >= 0 ? last : f;
            }
        }

        /// <summary>The held weights of frame f (as Python's clip_parity.held_weights).</summary>
        public void EvaluateFrame(int f, double[] outWeights)
        {
            Array.Copy(Clip.Weights, rows[f] * Clip.TargetCount, outWeights, 0, Clip.TargetCount);
        }

        /// <summary>Frames <paramref name="first"/> .. <paramref name="first"/> + <paramref name="count"/> - 1
        /// at once into <paramref name="into"/> ([frame][target], at least count x TargetCount): row i
        /// is what <see cref="EvaluateFrame"/> gives for frame first + i, the same numbers. Allocates
        /// nothing; for a whole take in a few calls (a bake, a parity check) instead of one per frame.</summary>
        /// <exception cref="ArgumentOutOfRangeException">The frames are not all in the clip.</exception>
        /// <exception cref="ArgumentException"><paramref name="into"/> is too short.</exception>
        public void EvaluateFrames(int first, int count, double[] into)
        {
            if (into == null) throw new ArgumentNullException("into");
            if (first < 0 || count < 0 || first > Clip.Frames - count)
                throw new ArgumentOutOfRangeException("first", "frames " + first + " + " + count + " are not all in the clip's " + Clip.Frames);
            int T = Clip.TargetCount;
            if ((long)count * T > into.Length)
                throw new ArgumentException("into holds fewer than " + count + " rows of " + T + " weights", "into");
            int i = 0;
            while (i < count)
            {
                int run = 1;                       // frames showing consecutive rows: one copy
                while (i + run < count && rows[first + i + run] == rows[first + i] + run) run++;
                Array.Copy(Clip.Weights, rows[first + i] * T, into, i * T, run * T);
                i += run;
            }
        }

        /// <summary>Held weights at any time: frames interpolated linearly, clamped at the ends
        /// (or wrapped when <paramref name="loop"/>).</summary>
        public void Evaluate(double time, bool loop, double[] outWeights)
        {
            int F = Clip.Frames, T = Clip.TargetCount;
            if (F == 0) { for (int t = 0; t < T; t++) outWeights[t] = 0.0; return; }
            double local = time - Clip.StartTime;
            double span = F / Clip.Fps;
            if (loop && span > 0) { local %= span; if (local < 0) local += span; }
            double u = local * Clip.Fps;
            int f0 = (int)Math.Floor(u);
            double a = u - f0;
            if (f0 < 0) { f0 = 0; a = 0.0; }
            if (f0 > F - 1 || (f0 == F - 1 && !loop)) { f0 = F - 1; a = 0.0; }
            int f1 = f0 + 1 < F ? f0 + 1 : (loop ? 0 : f0);
            double[] W = Clip.Weights;
            int r0 = rows[f0] * T, r1 = rows[f1] * T;
            for (int t = 0; t < T; t++)
            {
                double w0 = W[r0 + t];
                outWeights[t] = w0 + a * (W[r1 + t] - w0);
            }
        }
    }
}
