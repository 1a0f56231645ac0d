// A recorded take played as a landmark source: the tracks CSV that 'microexpr capture' and
// 'microexpr live --record' write (Python's solve.tracks.write_tracks_csv: a header
// 'frame[,time],x0,y0[,z0],...,c0,...,c67', one row per frame, an empty cell for a missing
// landmark; an optional 'success' column, 0 for a frame without a face), or arrays.
// Played in time with a clock the caller passes (Unity: Time.timeAsDouble): at clock time
// 'now' the source holds the latest frame whose time, counted from the first frame, is <= now.
// Frame times come from the 'time' (or 'timestamp') column, else frame / fps.
// Parsing allocates; TryGetLandmarks allocates nothing.
using System;
using System.Collections.Generic;
using System.Globalization;
using MicroExpr.Runtime;

namespace MicroExpr.Unity
{
    public sealed class RecordedTracksSource : ILandmarkSource
    {
        const int L = Landmarks.Count;
        readonly double[] points, confidence, times;
        readonly bool[] valid;
        readonly int dims;
        readonly LandmarkSpace space;
        double now;
        int lastReturned = -1;

        /// <summary>A take of <c>times.Length</c> frames: <paramref name="points"/> (frames * 68 *
        /// dims, NaN for a missing landmark) in <paramref name="space"/>, <paramref name="confidence"/>
        /// (frames * 68) and each frame's time in seconds (increasing).</summary>
        public RecordedTracksSource(double[] points, double[] confidence, double[] times, int dims,
                                    LandmarkSpace space = LandmarkSpace.ImagePixelsYDown, string name = "tracks")
        {
            if (dims != 2 && dims != 3)
                throw new MicroExprException("tracks have 2 or 3 dimensions, not " + dims, name, "dims", "use 2 or 3");
            int frames = times == null ? 0 : times.Length;
            if (frames == 0)
                throw new MicroExprException("the take has no frames", name, "frames", "record a take first");
            if (points == null || points.Length != frames * L * dims || confidence == null || confidence.Length != frames * L)
                throw new MicroExprException("expected " + frames * L * dims + " coordinates and " + frames * L +
                    " confidences for " + frames + " frames", name, "points", "give 68 landmarks per frame");
            for (int f = 0; f < frames; f++)
                if (double.IsNaN(times[f]) || double.IsInfinity(times[f]) || (f > 0 && !(times[f] > times[f - 1])))
                    throw new MicroExprException("frame " + f + "'s time is not later than the frame before", name,
                        "time", "give every frame its time in seconds, increasing");
            this.points = (double[])points.Clone();
            this.confidence = (double[])confidence.Clone();
            this.times = (double[])times.Clone();
            this.dims = dims;
            this.space = space;
            valid = new bool[frames];
            for (int f = 0; f < frames; f++)
                for (int l = 0; l < L && !valid[f]; l++)
                    valid[f] = this.confidence[f * L + l] > 0 && !double.IsNaN(this.points[(f * L + l) * dims]);
        }

        public int Dimensions { get { return dims; } }
        public LandmarkSpace Space { get { return space; } }
        public int FrameCount { get { return times.Length; } }
        /// <summary>Seconds from the first frame to the last.</summary>
        public double Duration { get { return times[times.Length - 1] - times[0]; } }
        /// <summary>Start again after the last frame (after one more frame interval).</summary>
        public bool Loop { get; set; }
        /// <summary>Return the held frame on every call (false: each frame once, then false
        /// until the next one, so a solver steps once per recorded frame).</summary>
        public bool RepeatFrames { get; set; }

        /// <summary>Seconds of a frame: the median spacing of the frame times.</summary>
        public double FrameInterval
        {
            get
            {
                if (times.Length < 2) return 0.0;
                var d = new double[times.Length - 1];
                for (int i = 0; i < d.Length; i++) d[i] = times[i + 1] - times[i];
                Array.Sort(d);
                return d[d.Length / 2];
            }
        }

        /// <summary>Set the clock (seconds since playback started).</summary>
        public void SetTime(double seconds) { now = seconds; }

        /// <summary>Start the take again (the next call returns its current frame).</summary>
        public void Rewind() { lastReturned = -1; }

        /// <summary>The frame held at clock time <paramref name="seconds"/> (-1 before the first).</summary>
        public int FrameAt(double seconds)
        {
            if (double.IsNaN(seconds) || seconds < 0) return -1;
            if (Loop)
            {
                double period = Duration + loopGap;
                if (period > 0) seconds -= Math.Floor(seconds / period) * period;
            }
            double t = times[0] + seconds;
            int lo = 0, hi = times.Length - 1;
            if (t < times[0]) return -1;
            while (lo < hi)                   // the last frame with times[f] <= t
            {
                int mid = (lo + hi + 1) >> 1;
                if (times[mid] <= t) lo = mid; else hi = mid - 1;
            }
            return lo;
        }

        double loopGap { get { return times.Length > 1 ? (times[1] - times[0]) : 1.0 / 30.0; } }

        /// <summary>The frame held now (SetTime's clock).</summary>
        public int CurrentFrame { get { return FrameAt(now); } }

        /// <summary>The held frame's landmarks and confidences; false before the first frame, for a
        /// frame without a face, and (unless RepeatFrames) when the frame was already returned.</summary>
        public bool TryGetLandmarks(double[] points, double[] confidence)
        {
            int f = FrameAt(now);
            if (f < 0) return false;
            if (f == lastReturned && !RepeatFrames) return false;
            lastReturned = f;
            if (!valid[f]) return false;
            Array.Copy(this.points, f * L * dims, points, 0, L * dims);
            Array.Copy(this.confidence, f * L, confidence, 0, L);
            return true;
        }

        /// <summary>A tracks CSV's text (as write_tracks_csv writes it); <paramref name="name"/>
        /// names it in errors; <paramref name="fps"/> times frames without a time column. 2-D
        /// tracks are image pixels with y down, 3-D ones bridge space.</summary>
        public static RecordedTracksSource Parse(string text, string name = "tracks", double fps = 30.0)
        {
            if (string.IsNullOrEmpty(text))
                throw new MicroExprException("the tracks file is empty", name, null, "export a take with microexpr capture");
            string[] lines = text.Replace("\r\n", "\n").Replace('\r', '\n').Split('\n');
            int row = 0;
            while (row < lines.Length && lines[row].Trim().Length == 0) row++;
            if (row == lines.Length)
                throw new MicroExprException("the tracks file is empty", name, null, "export a take with microexpr capture");
            string[] header = lines[row].Split(',');
            var col = new Dictionary<string, int>();
            for (int i = 0; i < header.Length; i++) col[header[i].Trim()] = i;
            if (!col.ContainsKey("x0") || !col.ContainsKey("y0"))
                throw new MicroExprException("no landmark columns (expected x0, y0, ...)", name, "header",
                    "write a header row 'frame,x0,y0,...,x67,y67'");
            int k = col.ContainsKey("z0") ? 3 : 2;
            var xyz = new int[L * k];
            for (int l = 0; l < L; l++)
                for (int j = 0; j < k; j++)
                    xyz[l * k + j] = Column(col, "xyz"[j].ToString() + l, name);
            int[] conf = null;
            if (col.ContainsKey("c0"))
            {
                conf = new int[L];
                for (int l = 0; l < L; l++) conf[l] = Column(col, "c" + l, name);
            }
            int time = col.ContainsKey("time") ? col["time"] : (col.ContainsKey("timestamp") ? col["timestamp"] : -1);
            int success = col.ContainsKey("success") ? col["success"] : -1;
            if (time < 0 && !(fps > 0))
                throw new MicroExprException("no time column and no frame rate", name, "fps", "pass the take's frame rate");
            var pts = new List<double>();
            var cs = new List<double>();
            var ts = new List<double>();
            for (row++; row < lines.Length; row++)
            {
                if (lines[row].Trim().Length == 0) continue;
                string[] cells = lines[row].Split(',');
                if (cells.Length > header.Length)
                    throw new MicroExprException("row " + (row + 1) + " has " + cells.Length + " values for " + header.Length +
                        " header columns", name, "row " + (row + 1), "write one value per header column");
                bool face = success < 0 || Cell(cells, success, name, row, header) != 0;
                int start = pts.Count;
                for (int i = 0; i < xyz.Length; i++) pts.Add(face ? Cell(cells, xyz[i], name, row, header) : double.NaN);
                for (int l = 0; l < L; l++)
                {
                    double c = conf == null ? 1.0 : Cell(cells, conf[l], name, row, header);
                    c = double.IsNaN(c) ? 0.0 : Math.Max(0.0, Math.Min(1.0, c));
                    bool missing = false;
                    for (int j = 0; j < k; j++)
                    {
                        double v = pts[start + l * k + j];
                        missing |= double.IsNaN(v) || double.IsInfinity(v);
                    }
                    if (missing)
                        for (int j = 0; j < k; j++) pts[start + l * k + j] = double.NaN;
                    cs.Add(missing || !face ? 0.0 : c);
                }
                ts.Add(time >= 0 ? Cell(cells, time, name, row, header) : ts.Count / fps);
            }
            if (ts.Count == 0)
                throw new MicroExprException("has a header but no frames", name, null, "export a take with frames");
            return new RecordedTracksSource(pts.ToArray(), cs.ToArray(), ts.ToArray(), k,
                                            k == 2 ? LandmarkSpace.ImagePixelsYDown : LandmarkSpace.Bridge, name);
        }

        static int Column(Dictionary<string, int> col, string key, string name)
        {
            int i;
            if (!col.TryGetValue(key, out i))
                throw new MicroExprException("no column '" + key + "'", name, "header", "give all 68 landmarks");
            return i;
        }

        static double Cell(string[] cells, int c, string name, int row, string[] header)
        {
            if (c >= cells.Length) return double.NaN;
            string s = cells[c].Trim();
            if (s.Length == 0) return double.NaN;
            double v;
            if (!double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out v))
                throw new MicroExprException("row " + (row + 1) + ", column '" + header[c].Trim() + "' holds '" + s +
                    "', not a number", name, header[c].Trim(), "write numbers with a '.' decimal point");
            return v;
        }
    }
}
