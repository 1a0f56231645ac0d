// OpenSeeFace's UDP packet read as live landmarks, so users of OpenSeeFace (a face tracker that
// streams to port 11573) can point it at a UdpLandmarkSource with Format = OpenSeeFace. The
// layout is the one OpenSeeFace's sender writes: facetracker.py in
// https://github.com/emilianavt/OpenSeeFace (the loop that packs each tracked face with
// struct.pack, native byte order, no padding: little-endian on x86; read for the layout,
// nothing copied). One datagram holds one block of FaceSize = 1785 bytes per tracked face:
//     0 f64 capture time (time.time(): seconds since 1970 on the sender's clock)
//     8 i32 face id            12 f32 image width     16 f32 image height (pixels)
//    20 f32 x 2 eyes open (right, left)               28 u8 3-D fit succeeded
//    29 f32 PnP error          33 f32 x 4 quaternion  49 f32 x 3 euler    61 f32 x 3 translation
//    73 f32 x 68 confidences (66 landmarks, then the 2 pupils)
//   345 f32 x 2 x 68 points, image pixels: column then row (y down). facetracker.py keeps each
//       point as (row, column, confidence) and writes the column first, so on the wire each
//       point reads x, y like ours.
//   889 f32 x 3 x 70 3-D points (its own model space), 1729 f32 x 14 expression features.
// Only the first face of a datagram is read (OpenSeeFace's default is one face, --faces 1).
// OpenSeeFace's 66 landmarks are the 68 iBUG points without the two outer mouth corners
// (its face_3d table in tracker.py and the left/right pairs in facetracker.py show the order):
//   OSF 0-47  -> iBUG 0-47   (jaw, brows, nose, eyes)
//   OSF 48-52 -> iBUG 49-53  (upper outer lip, without its corners)
//   OSF 53-57 -> iBUG 55-59  (lower outer lip, without its corners)
//   OSF 58-65 -> iBUG 60-67  (inner lip; 58 and 62 are its mouth corners)
//   OSF 66-67 (pupils) are not iBUG points and are not read;
//   iBUG 48 and 54 (outer mouth corners) arrive missing: NaN, confidence 0.
// There is no sequence number: UdpLandmarkSource orders OpenSeeFace packets by their time.
// Decoding never throws and allocates nothing: a malformed packet returns false with the
// check that failed.

namespace MicroExpr.Runtime
{
    /// <summary>Which packet layout a UdpLandmarkSource reads.</summary>
    public enum LivePacketFormat
    {
        /// <summary>'microexpr live' packets (LivePacket, version 1).</summary>
        MicroExpr = 0,
        /// <summary>OpenSeeFace's facetracker.py packets (OpenSeeFacePacket; 2-D only).</summary>
        OpenSeeFace = 1,
    }

    public static class OpenSeeFacePacket
    {
        /// <summary>OpenSeeFace's default port (facetracker.py --port).</summary>
        public const int DefaultPort = 11573;
        /// <summary>Landmarks (with the 2 pupils) and 3-D points per face, and its features.</summary>
        public const int Points = 68, Points3D = 70, Features = 14;
        public const int ConfidenceOffset = 73;
        public const int PointsOffset = ConfidenceOffset + 4 * Points;
        /// <summary>Bytes per face: 1785.</summary>
        public const int FaceSize = PointsOffset + 4 * (2 * Points + 3 * Points3D + Features);
        const int L = Landmarks.Count;

        /// <summary>For each iBUG point, the OpenSeeFace landmark it comes from (-1: missing).</summary>
        static readonly int[] fromOsf = BuildMap();

        static int[] BuildMap()
        {
            var map = new int[L];
            for (int i = 0; i < L; i++) map[i] = -1;
            for (int i = 0; i < 48; i++) map[i] = i;
            for (int i = 0; i < 5; i++) map[49 + i] = 48 + i;
            for (int i = 0; i < 5; i++) map[55 + i] = 53 + i;
            for (int i = 0; i < 8; i++) map[60 + i] = 58 + i;
            return map;
        }

        /// <summary>The OpenSeeFace landmark iBUG point <paramref name="ibug"/> comes from
        /// (-1 for the outer mouth corners 48 and 54, which OpenSeeFace does not have).</summary>
        public static int SourceOf(int ibug)
        {
            return ibug >= 0 && ibug < L ? fromOsf[ibug] : -1;
        }

        static double F32(byte[] b, int o) { return LittleEndian.F32(b, o); }

        static bool Finite(double v) { return !double.IsNaN(v) && !double.IsInfinity(v); }

        /// <summary>Decodes the first face of the <paramref name="length"/> bytes of
        /// <paramref name="buffer"/> (a whole number of FaceSize blocks) into
        /// <paramref name="points"/> (68 * 2 image pixels, y down, float32 widened to double; a
        /// missing or non-finite point is NaN with confidence 0) and <paramref name="confidence"/>
        /// (68). The header: the capture time, Valid (OpenSeeFace sends faces only), 2 dims, no
        /// weights, sequence 0 (the source numbers the packets). Returns false, with the failed
        /// check in <paramref name="problem"/>, for a malformed packet (the arrays may then hold
        /// part of it). Never throws, allocates nothing.</summary>
        public static bool TryDecode(byte[] buffer, int length, double[] points, double[] confidence,
                                     out LivePacketHeader header, out LivePacketProblem problem)
        {
            header = new LivePacketHeader();
            problem = Check(buffer, length);
            if (problem != LivePacketProblem.Ok) return false;
            if (points == null || points.Length < L * 2 || confidence == null || confidence.Length < L)
            {
                problem = LivePacketProblem.Size;      // the caller's arrays cannot hold it
                return false;
            }
            for (int l = 0; l < L; l++)
            {
                int k = fromOsf[l];
                if (k < 0)
                {
                    points[2 * l] = points[2 * l + 1] = double.NaN;
                    confidence[l] = 0.0;
                    continue;
                }
                double conf = F32(buffer, ConfidenceOffset + 4 * k);
                if (!(conf >= 0.0 && conf <= 1.0))
                {
                    problem = LivePacketProblem.Confidence;
                    return false;
                }
                double x = F32(buffer, PointsOffset + 8 * k), y = F32(buffer, PointsOffset + 8 * k + 4);
                if (Finite(x) && Finite(y))
                {
                    points[2 * l] = x;
                    points[2 * l + 1] = y;
                }
                else
                {
                    points[2 * l] = points[2 * l + 1] = double.NaN;
                    conf = 0.0;
                }
                confidence[l] = conf;
            }
            header.Timestamp = LittleEndian.F64(buffer, 0);
            header.Valid = true;
            header.Dims = 2;
            return true;
        }

        static LivePacketProblem Check(byte[] b, int n)
        {
            if (b == null || n < FaceSize || n > b.Length || n % FaceSize != 0) return LivePacketProblem.Size;
            if (!Finite(LittleEndian.F64(b, 0))) return LivePacketProblem.Timestamp;
            double w = F32(b, 12), h = F32(b, 16);
            if (!(w > 0.0 && h > 0.0) || double.IsInfinity(w) || double.IsInfinity(h))
                return LivePacketProblem.ImageSize;
            return LivePacketProblem.Ok;
        }
    }
}
