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

        /// <summary>clamp(base + events, 0, 1); <paramref name="outWeights"/> may be <paramref name="baseWeights"/>.</summary>
        public void Layer(double[] baseWeights, double time, double[] outWeights)
        {
            EventWeights(time, sum);
            for (int t = 0; t < sum.Length; t++)
            {
                double v = baseWeights[t] + sum[t];
                outWeights[t] = v < 0.0 ? 0.0 : (v > 1.0 ? 1.0 : v);
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
        readonly double[] held;          // [frame][target], invalid frames replaced when HoldInvalid

        public ClipPlayer(ClipData clip)
        {
            Clip = clip;
            int F = clip.Frames, T = clip.TargetCount;
            held = (double[])clip.Weights.Clone();
            if (clip.HoldInvalid)
            {
                int last = -1;
                for (int f = 0; f < F; f++)
                {
                    if (clip.Valid[f]) { last = f; continue; }
                    if (last >= 0) Array.Copy(clip.Weights, last * T, held, f * T, T);
                }
            }
        }

        /// <summary>The held weights of frame f (as Python's parity.held_weights).</summary>
        public void EvaluateFrame(int f, double[] outWeights)
        {
            Array.Copy(held, f * Clip.TargetCount, outWeights, 0, Clip.TargetCount);
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
            for (int t = 0; t < T; t++)
                outWeights[t] = held[f0 * T + t] + a * (held[f1 * T + t] - held[f0 * T + t]);
        }
    }
}
