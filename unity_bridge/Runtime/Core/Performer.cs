// A performer file (performer.json, written by 'microexpr calibrate'; Python's
// bridge/performer_file.py): the performer's own neutral 68 landmarks in the rig's units and
// frame, the retargeting gain per landmark, the landmark noise, the head-pose filter's gains,
// the camera model chosen by the calibration (weak_perspective or in_plane with its fixed view
// for 2-D tracks, similarity for 3-D) and where the calibration came from. The runtime only reads it: calibration is done by the
// Python tools. A file the Python reader would refuse is refused here too, naming the field.
using System;
using System.Collections.Generic;
using System.IO;

namespace MicroExpr.Runtime
{
    public sealed class Performer
    {
        public const string Format = "microexpr.performer";
        public const int Version = 1;
        const string Rewrite = "write the file again with 'microexpr calibrate'";

        /// <summary>2 or 3: the tracks it was calibrated on.</summary>
        public readonly int Dims;
        /// <summary>The frame rate the filter gains are for.</summary>
        public readonly double Fps;
        /// <summary>The performer's neutral landmarks [landmark][xyz] (68*3), rig units and frame.</summary>
        public readonly double[] Neutral;
        /// <summary>Retargeting gain per landmark (the performer's region size over the rig's).</summary>
        public readonly double[] Gains;
        /// <summary>Landmark noise, rig units.</summary>
        public readonly double Noise;
        /// <summary>The pose filter's alpha and beta per camera number (4 * Dims each).</summary>
        public readonly double[] FilterAlpha;
        public readonly double[] FilterBeta;
        /// <summary>The camera model: "weak_perspective" or "in_plane" (2-D), "similarity" (3-D).</summary>
        public readonly string Camera;
        /// <summary>in_plane: the fixed view, 2 orthonormal rows of 3 (row-major); null otherwise.</summary>
        public readonly double[] View;
        public readonly string LengthUnit;
        /// <summary>[first, last + 1] of the calibration frames.</summary>
        public readonly int[] Frames;
        public readonly double Residual;
        public readonly string CalibrationSource;
        public readonly string RigFingerprint;
        /// <summary>The file it was read from (names it in errors).</summary>
        public readonly string Source;

        public Performer(int dims, double fps, double[] neutral, double[] gains, double noise,
                         double[] alpha, double[] beta, string lengthUnit = "cm", int[] frames = null,
                         double residual = 0.0, string calibrationSource = "", string rigFingerprint = "",
                         string source = null, string camera = null, double[] view = null)
        {
            Dims = dims; Fps = fps; Neutral = neutral; Gains = gains; Noise = noise;
            FilterAlpha = alpha; FilterBeta = beta; LengthUnit = lengthUnit;
            Frames = frames ?? new int[0]; Residual = residual;
            CalibrationSource = calibrationSource ?? ""; RigFingerprint = rigFingerprint ?? "";
            Source = source;
            Camera = camera ?? (dims == 3 ? "similarity" : "weak_perspective");
            View = view;
            Check();
        }

        /// <summary>Reads a performer file.</summary>
        public static Performer Load(string path)
        {
            string text;
            try { text = File.ReadAllText(path); }
            catch (FileNotFoundException) { throw Missing(path); }
            catch (DirectoryNotFoundException) { throw Missing(path); }
            catch (IOException e) { throw new MicroExprException("cannot read the file (" + e.Message + ")", path, null, "check the path"); }
            catch (UnauthorizedAccessException e) { throw new MicroExprException("cannot read the file (" + e.Message + ")", path, null, "check the path"); }
            return FromJson(text, path);
        }

        static MicroExprException Missing(string path)
        {
            return new MicroExprException("the performer file does not exist", path, null,
                "check the path, or write one with 'microexpr calibrate'");
        }

        /// <summary>Reads a performer file's text; <paramref name="source"/> names it in errors.</summary>
        public static Performer FromJson(string text, string source = null)
        {
            JsonValue root = Json.Parse(text, source);
            if (root.Kind != JsonKind.Object)
                throw new MicroExprException("the top level is not an object", source, null, "give the file 'microexpr calibrate' wrote");
            JsonValue f = root["format"];
            if (f != null && (f.Kind != JsonKind.String || f.AsString != Format))
                throw new MicroExprException("this is a '" + (f.Kind == JsonKind.String ? f.AsString : "?") +
                    "' file, not a performer file", source, "format", "give the file 'microexpr calibrate' wrote");
            Only(root, source, null, "format", "version", "generator", "units", "dims", "fps", "neutral", "gains",
                 "noise", "pose_filter", "camera", "view", "calibration");
            JsonValue v = root["version"];
            if (v != null && !(v.IsInteger && v.AsDouble == Version))
                throw new MicroExprException("version " + Show(v) + " is not one this package reads (" + Version + ")",
                    source, "version", "update the com.microexpr.bridge package, or " + Rewrite);
            if (root["generator"] != null) Need(root, "generator", JsonKind.String, source, "generator");
            string unit = Units(root["units"], source);
            JsonValue d = Need(root, "dims", JsonKind.Number, source, "dims");
            if (!d.IsInteger || (d.AsDouble != 2 && d.AsDouble != 3))
                throw new MicroExprException("must be 2 or 3, not " + Show(d), source, "dims", Rewrite);
            double fps = Need(root, "fps", JsonKind.Number, source, "fps").AsDouble;
            if (!(fps > 0 && fps <= 10000))
                throw new MicroExprException("the frame rate must be above 0 and at most 10000", source, "fps", Rewrite);
            double[] neutral = BridgeFile.Numbers(Need(root, "neutral", JsonKind.Array, source, "neutral"),
                                                  new[] { Landmarks.Count, 3 }, source, "neutral", false);
            double[] gains = BridgeFile.Numbers(Need(root, "gains", JsonKind.Array, source, "gains"),
                                                new[] { Landmarks.Count }, source, "gains", false);
            double noise = Need(root, "noise", JsonKind.Number, source, "noise").AsDouble;
            JsonValue pf = Need(root, "pose_filter", JsonKind.Object, source, "pose_filter");
            Only(pf, source, "pose_filter.", "alpha", "beta");
            double[] alpha = FilterGains(pf, "alpha", source), beta = FilterGains(pf, "beta", source);
            string camera = root["camera"] != null ? Need(root, "camera", JsonKind.String, source, "camera").AsString
                                                   : "weak_perspective";
            JsonValue vw = root["view"];
            double[] view = vw == null || vw.IsNull ? null
                : BridgeFile.Numbers(Need(root, "view", JsonKind.Array, source, "view"), new[] { 2, 3 }, source, "view", false);
            JsonValue cal = Need(root, "calibration", JsonKind.Object, source, "calibration");
            Only(cal, source, "calibration.", "frames", "residual", "source", "rig_fingerprint");
            int[] frames = BridgeFile.Ints(Need(cal, "frames", JsonKind.Array, source, "calibration.frames"),
                                           source, "calibration.frames");
            double residual = Need(cal, "residual", JsonKind.Number, source, "calibration.residual").AsDouble;
            string calSource = cal["source"] != null ? Need(cal, "source", JsonKind.String, source, "calibration.source").AsString : "";
            string fp = cal["rig_fingerprint"] != null
                ? Need(cal, "rig_fingerprint", JsonKind.String, source, "calibration.rig_fingerprint").AsString : "";
            return new Performer((int)d.AsDouble, fps, neutral, gains, noise, alpha, beta, unit, frames, residual,
                                 calSource, fp, source, camera, view);
        }

        /// <summary>The checks of Python's PerformerFile on values (also for one made in code).</summary>
        void Check()
        {
            if (Dims != 2 && Dims != 3) throw Bad("must be 2 or 3, not " + Dims, "dims");
            if (!(Fps > 0 && Fps <= 10000)) throw Bad("the frame rate must be above 0 and at most 10000", "fps");
            if (Neutral == null || Neutral.Length != Landmarks.Count * 3 || !Finite(Neutral))
                throw Bad("68 finite [x, y, z] points are expected", "neutral");
            if (Gains == null || Gains.Length != Landmarks.Count || !Finite(Gains) || Min(Gains) <= 0.0)
                throw Bad("68 finite gains above 0 are expected", "gains");
            if (!(Noise > 0) || double.IsInfinity(Noise)) throw Bad("must be a finite number above 0", "noise");
            CheckGains(FilterAlpha, "pose_filter.alpha");
            CheckGains(FilterBeta, "pose_filter.beta");
            if (Camera != "weak_perspective" && Camera != "in_plane" && Camera != "similarity")
                throw Bad("must be weak_perspective, in_plane or similarity, not '" + Camera + "'", "camera");
            if (View != null && !Orthonormal(View)) throw Bad("2 orthonormal rows of 3 finite numbers are expected", "view");
            if ((Camera == "in_plane") != (View != null) || (Camera == "similarity") != (Dims == 3))
                throw Bad("camera '" + Camera + "' does not fit dims " + Dims + " and view " + (View != null ? "given" : "missing"),
                          "camera");
            int P = 4 * Dims;
            if (FilterAlpha.Length != P || FilterBeta.Length != P)
                throw Bad("pose_filter holds " + FilterAlpha.Length + " gains, " + Dims + "-D tracks need " + P, "pose_filter");
            if (!(Residual >= 0) || double.IsInfinity(Residual)) throw Bad("must be a finite number 0 or more", "calibration.residual");
            if (LengthUnit != "mm" && LengthUnit != "cm" && LengthUnit != "m" && LengthUnit != "in")
                throw Bad("must be mm, cm, m or in, not '" + LengthUnit + "'", "units.length");
        }

        void CheckGains(double[] g, string field)
        {
            if (g == null || (g.Length != 8 && g.Length != 12) || !Finite(g) || Min(g) < 0.0 || Max(g) > 2.0)
                throw Bad("8 (2-D) or 12 (3-D) finite gains between 0 and 2 are expected", field);
        }

        MicroExprException Bad(string problem, string field)
        {
            return new MicroExprException(problem, Source, field, Rewrite);
        }

        static string Units(JsonValue units, string source)
        {
            if (units == null) return "cm";
            if (units.Kind != JsonKind.Object)
                throw new MicroExprException("must be an object", source, "units", Rewrite);
            Only(units, source, "units.", "length", "axes");
            if (units["axes"] != null) Need(units, "axes", JsonKind.String, source, "units.axes");
            return units["length"] != null ? Need(units, "length", JsonKind.String, source, "units.length").AsString : "cm";
        }

        static double[] FilterGains(JsonValue pf, string key, string source)
        {
            JsonValue a = Need(pf, key, JsonKind.Array, source, "pose_filter." + key);
            if (a.Count != 8 && a.Count != 12)
                throw new MicroExprException("8 (2-D) or 12 (3-D) finite gains between 0 and 2 are expected",
                    source, "pose_filter." + key, Rewrite);
            return BridgeFile.Numbers(a, new[] { a.Count }, source, "pose_filter." + key, false);
        }

        /// <summary>Refuses members other than <paramref name="keys"/> (Python's extra="forbid").</summary>
        static void Only(JsonValue obj, string source, string prefix, params string[] keys)
        {
            var known = new HashSet<string>(keys);
            foreach (string k in obj.Keys)
                if (!known.Contains(k))
                    throw new MicroExprException("is not a field of a performer file", source, (prefix ?? "") + k,
                        "remove it, or " + Rewrite);
        }

        static JsonValue Need(JsonValue obj, string key, JsonKind kind, string source, string field)
        {
            JsonValue v = obj[key];
            if (v == null) throw new MicroExprException("missing", source, field, Rewrite);
            if (v.Kind != kind)
                throw new MicroExprException("is " + v.Kind.ToString().ToLowerInvariant() + ", expected " +
                    kind.ToString().ToLowerInvariant(), source, field, Rewrite);
            return v;
        }

        static string Show(JsonValue v)
        {
            return v.Kind == JsonKind.Number ? v.AsDouble.ToString(System.Globalization.CultureInfo.InvariantCulture)
                                             : v.Kind.ToString().ToLowerInvariant();
        }

        /// <summary>2 x 3 rows, orthonormal as numpy's allclose(V V', I, atol=1e-6) judges it.</summary>
        static bool Orthonormal(double[] v)
        {
            if (v.Length != 6 || !Finite(v)) return false;
            for (int i = 0; i < 2; i++)
                for (int j = 0; j < 2; j++)
                {
                    double dot = v[i * 3] * v[j * 3] + v[i * 3 + 1] * v[j * 3 + 1] + v[i * 3 + 2] * v[j * 3 + 2];
                    double want = i == j ? 1.0 : 0.0;
                    if (!(Math.Abs(dot - want) <= 1e-6 + 1e-5 * Math.Abs(want))) return false;
                }
            return true;
        }

        static bool Finite(double[] a)
        {
            foreach (double x in a) if (double.IsNaN(x) || double.IsInfinity(x)) return false;
            return true;
        }

        static double Min(double[] a) { double m = double.PositiveInfinity; foreach (double x in a) m = Math.Min(m, x); return m; }
        static double Max(double[] a) { double m = double.NegativeInfinity; foreach (double x in a) m = Math.Max(m, x); return m; }
    }
}
