// The .microexpr container (bridge v3): a JSON header plus one binary payload, read with the
// same checks as the Python reader (shared/microexpr/bridge/container.py, whose docstring is the
// layout) and errors naming the same fields. All integers are little-endian:
//   0   "MXPR"   4 uint32 layout version (1)   8 uint64 total file length
//   16  chunks:  uint64 data length (a multiple of 8), 4-byte type, 4 zero bytes, data;
//       one "JSON" chunk (the header), then at most one "BIN\0" chunk (the payload).
// The header's "accessors" ({buffer, byteOffset, dtype, shape, units}) point into "buffers"
// ({byteLength[, uri]}): buffer 0 without a uri is the BIN chunk, a uri names a .bin file in
// the container's own folder. Arrays are read on demand, only the accessors asked for, and
// nothing is allocated from a count that was not checked against the bytes really there.
using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Text;

namespace MicroExpr.Runtime
{
    public sealed partial class BridgeContainer : IDisposable
    {
        public const uint LayoutVersion = 1;
        public const int PreambleSize = 16;
        public const int ChunkHeaderSize = 16;
        /// <summary>The stored element types (all little-endian) and their sizes in bytes.</summary>
        public static readonly string[] DTypes = { "float32", "float64", "int32", "uint32", "uint8" };
        static readonly int[] ItemSizes = { 4, 8, 4, 4, 1 };
        static readonly byte[] MagicBytes = { (byte)'M', (byte)'X', (byte)'P', (byte)'R' };
        static readonly byte[] JsonTag = { (byte)'J', (byte)'S', (byte)'O', (byte)'N' };
        static readonly byte[] BinTag = { (byte)'B', (byte)'I', (byte)'N', 0 };
        const double MaxCount = 4611686018427387904.0;        // 2^62, as the Python reader
        const string Reexport = "re-export the file from MicroExpr";

        struct Segment
        {
            public Stream Stream;
            public long Start;
            public long Length;
        }

        sealed class Accessor
        {
            public int Buffer;
            public long Offset;
            public int DType;
            public long[] Shape;
            public long Count;
            public string Units;
        }

        /// <summary>The file (messages; the folder of an external .bin), or null.</summary>
        public readonly string Source;
        /// <summary>The JSON header: the bridge document with {"$accessor": k} where arrays were.</summary>
        public readonly JsonValue Header;
        readonly List<Segment> buffers = new List<Segment>();
        readonly List<Accessor> accessors = new List<Accessor>();
        readonly List<Stream> owned = new List<Stream>();
        readonly List<string> externalUris = new List<string>();

        BridgeContainer(string source, JsonValue header)
        {
            Source = source;
            Header = header;
        }

        /// <summary>True when the bytes start with the container's magic "MXPR".</summary>
        public static bool HasMagic(byte[] data)
        {
            if (data == null || data.Length < 4) return false;
            for (int i = 0; i < 4; i++) if (data[i] != MagicBytes[i]) return false;
            return true;
        }

        /// <summary>A container from the file's bytes; <paramref name="path"/> names it in errors
        /// and locates an external .bin (null: an external payload cannot be found).</summary>
        public static BridgeContainer FromBytes(byte[] data, string path = null)
        {
            if (data == null) throw new MicroExprException("no bytes to read", path, null, "pass the file's contents");
            return Parse(new MemoryStream(data, 0, data.Length, false), path, false);
        }

        /// <summary>Opens a container file; the arrays stay in the file until asked for. Dispose it.</summary>
        public static BridgeContainer Open(string path)
        {
            FileStream fs = OpenFile(path, path, null, "check the path");
            return Parse(fs, path, true);
        }

        /// <summary>Reads the layout, header, buffers and accessors of a seekable stream.
        /// With <paramref name="ownsStream"/>, the container closes it (also on failure).</summary>
        public static BridgeContainer Parse(Stream stream, string path, bool ownsStream)
        {
            if (stream == null || !stream.CanRead || !stream.CanSeek)
                throw new MicroExprException("needs a readable, seekable stream", path, null, "pass the file's bytes or its path");
            BridgeContainer c = null;
            try
            {
                long jsonStart, jsonLength;
                Segment? bin = Layout(stream, path, out jsonStart, out jsonLength);
                c = new BridgeContainer(path, ReadHeader(stream, path, jsonStart, jsonLength));
                if (ownsStream) c.owned.Add(stream);
                c.ReadBuffers(bin);
                c.ReadAccessors();
                return c;
            }
            catch
            {
                if (c != null) c.Dispose();
                else if (ownsStream) stream.Dispose();
                throw;
            }
        }

        public void Dispose()
        {
            foreach (Stream s in owned) s.Dispose();
            owned.Clear();
        }

        static MicroExprException Fail(string path, string problem, string field, string fix = Reexport)
        {
            return new MicroExprException(problem, path, field, fix);
        }

        // -- layout -----------------------------------------------------------------------------
        static Segment? Layout(Stream stream, string path, out long jsonStart, out long jsonLength)
        {
            long size = stream.Length;
            if (size < PreambleSize)
                throw Fail(path, "too short for a .microexpr container (" + size + " bytes)", "header");
            var pre = new byte[PreambleSize];
            ReadExactly(stream, 0, pre, PreambleSize, path, "header");
            if (!HasMagic(pre))
                throw Fail(path, "is not a .microexpr container (magic " + Latin1(pre, 0, 4) + ")", "header");
            uint version = U32(pre, 4);
            if (version != LayoutVersion)
                throw Fail(path, "container layout " + version + " is not known (this package reads " + LayoutVersion + ")",
                    "header.version", "update the com.microexpr.bridge package");
            ulong total = U64(pre, 8);
            if (total != (ulong)size)
                throw Fail(path, "the header says " + total + " bytes but the file has " + size +
                    " (truncated or padded)", "header.length");
            var kinds = new List<byte[]>();
            var starts = new List<long>();
            var lengths = new List<long>();
            var head = new byte[ChunkHeaderSize];
            long pos = PreambleSize;
            while (pos < size)
            {
                string field = "chunks[" + kinds.Count + "]";
                if (size - pos < ChunkHeaderSize)
                    throw Fail(path, "a chunk header is cut off at byte " + pos, field);
                ReadExactly(stream, pos, head, ChunkHeaderSize, path, field);
                ulong length = U64(head, 0);
                long start = pos + ChunkHeaderSize;
                if (length % 8 != 0 || length > (ulong)(size - start))
                    throw Fail(path, "chunk of " + length + " bytes at byte " + pos +
                        " runs past the end or is not padded", field + ".length");
                var kind = new byte[4];
                Array.Copy(head, 8, kind, 0, 4);
                kinds.Add(kind);
                starts.Add(start);
                lengths.Add((long)length);
                pos = start + (long)length;
            }
            int jsonCount = 0, binCount = 0;
            bool unknown = false;
            foreach (byte[] k in kinds)
            {
                if (Same(k, JsonTag)) jsonCount++;
                else if (Same(k, BinTag)) binCount++;
                else unknown = true;
            }
            if (kinds.Count == 0 || !Same(kinds[0], JsonTag) || jsonCount != 1 || binCount > 1 || unknown)
            {
                var names = new List<string>();
                foreach (byte[] k in kinds) names.Add(Latin1(k, 0, 4));
                throw Fail(path, "chunks must be one JSON chunk, then at most one BIN chunk (found [" +
                    string.Join(", ", names.ToArray()) + "])", "chunks");
            }
            jsonStart = starts[0];
            jsonLength = lengths[0];
            if (kinds.Count < 2) return null;
            return new Segment { Stream = stream, Start = starts[1], Length = lengths[1] };
        }

        static JsonValue ReadHeader(Stream stream, string path, long start, long length)
        {
            if (length > int.MaxValue)
                throw Fail(path, "the JSON chunk of " + length + " bytes is too large to read", "chunks[0].length");
            var raw = new byte[length];
            ReadExactly(stream, start, raw, (int)length, path, "JSON");
            string text;
            try
            {
                text = new UTF8Encoding(false, true).GetString(raw);
            }
            catch (ArgumentException)                 // DecoderFallbackException
            {
                throw Fail(path, "the JSON chunk is not valid JSON (not UTF-8 text)", "JSON");
            }
            JsonValue header;
            try
            {
                header = Json.Parse(text, path);
            }
            catch (MicroExprException e)
            {
                throw Fail(path, "the JSON chunk is not valid JSON (" + e.Field + ": " + e.Problem + ")", "JSON");
            }
            if (header.Kind != JsonKind.Object)
                throw Fail(path, "the JSON chunk is " + header.Kind.ToString().ToLowerInvariant() + ", not an object", "JSON");
            return header;
        }

        // -- buffers ----------------------------------------------------------------------------
        void ReadBuffers(Segment? bin)
        {
            JsonValue specs = Header["buffers"];
            if (specs == null) return;
            if (specs.Kind != JsonKind.Array) throw Fail(Source, "must be a list", "buffers");
            for (int i = 0; i < specs.Count; i++)
            {
                string field = "buffers[" + i + "]";
                JsonValue spec = specs[i];
                if (!OnlyKeys(spec, "byteLength", "uri"))
                    throw Fail(Source, "must be an object with byteLength (and uri)", field);
                long length;
                if (!IsCount(spec["byteLength"], out length))
                    throw Fail(Source, "must be a whole number of bytes", field + ".byteLength");
                Segment data;
                if (spec.Has("uri")) data = External(spec["uri"], field);
                else if (i == 0 && bin.HasValue) data = bin.Value;
                else throw Fail(Source, "has no uri and is not the BIN chunk", field);
                if (data.Length < length)
                    throw Fail(Source, "declares " + length + " bytes but holds " + data.Length + " (truncated payload)",
                        field + ".byteLength");
                data.Length = length;
                buffers.Add(data);
            }
        }

        /// <summary>An external buffer: a plain file name in the container's own folder, not a link.</summary>
        Segment External(JsonValue uri, string field)
        {
            string name = uri != null && uri.Kind == JsonKind.String ? uri.AsString : null;
            const string keep = "keep the .bin beside the .microexpr file and name it without a folder";
            if (string.IsNullOrEmpty(name) || name == "." || name == ".." ||
                name.IndexOfAny(new[] { '/', '\\', ':' }) >= 0 || name.IndexOfAny(Path.GetInvalidFileNameChars()) >= 0)
                throw Fail(Source, "uri " + Repr(uri) + " must be a file name in the same folder", field + ".uri", keep);
            if (string.IsNullOrEmpty(Source))
                throw Fail(Source, "uri " + Repr(uri) + " cannot be found without the container's own path", field + ".uri",
                    "read the container from its file, or pass its path");
            string folder = Path.GetDirectoryName(Path.GetFullPath(Source));
            string target = Path.Combine(folder, name);
            try
            {
                if ((File.GetAttributes(target) & FileAttributes.ReparsePoint) != 0)
                    throw Fail(Source, "uri " + Repr(uri) + " is a link, which may lead outside the file's folder",
                        field + ".uri", "copy the .bin itself beside the .microexpr file");
            }
            catch (IOException) { }                   // missing: reported when opened below
            catch (UnauthorizedAccessException) { }
            FileStream fs = OpenFile(target, Source, field + ".uri", "keep the .bin beside the .microexpr file");
            owned.Add(fs);
            externalUris.Add(name);
            return new Segment { Stream = fs, Start = 0, Length = fs.Length };
        }

        static FileStream OpenFile(string file, string source, string field, string fix)
        {
            try
            {
                return new FileStream(file, FileMode.Open, FileAccess.Read, FileShare.Read);
            }
            catch (Exception e)
            {
                if (!(e is IOException || e is UnauthorizedAccessException || e is NotSupportedException ||
                      e is ArgumentException)) throw;
                string what = field == null ? "cannot read the file" : "cannot read its payload " + Path.GetFileName(file);
                throw new MicroExprException(what + " (" + e.Message.TrimEnd('.') + ")", source, field, fix);
            }
        }

        // -- accessors --------------------------------------------------------------------------
        void ReadAccessors()
        {
            JsonValue specs = Header["accessors"];
            if (specs == null) return;
            if (specs.Kind != JsonKind.Array) throw Fail(Source, "must be a list", "accessors");
            for (int i = 0; i < specs.Count; i++)
                accessors.Add(CheckAccessor(specs[i], "accessors[" + i + "]"));
        }

        Accessor CheckAccessor(JsonValue spec, string field)
        {
            if (!OnlyKeys(spec, "buffer", "byteOffset", "dtype", "shape", "units"))
                throw Fail(Source, "must be an object with buffer, byteOffset, dtype, shape, units", field);
            var a = new Accessor();
            long buf;
            if (!IsCount(spec["buffer"], out buf) || buf >= buffers.Count)
                throw Fail(Source, "buffer " + Repr(spec["buffer"]) + " does not exist (" + buffers.Count + " buffers)",
                    field + ".buffer");
            a.Buffer = (int)buf;
            JsonValue dtype = spec["dtype"];
            a.DType = dtype != null && dtype.Kind == JsonKind.String ? Array.IndexOf(DTypes, dtype.AsString) : -1;
            if (a.DType < 0)
                throw Fail(Source, "dtype " + Repr(dtype) + " is not one of " + string.Join(", ", DTypes), field + ".dtype");
            int item = ItemSizes[a.DType];
            if (!IsCount(spec["byteOffset"], out a.Offset) || a.Offset % item != 0)
                throw Fail(Source, "byteOffset " + Repr(spec["byteOffset"]) + " must be a whole multiple of " + item,
                    field + ".byteOffset");
            JsonValue shape = spec["shape"];
            bool shaped = shape != null && shape.Kind == JsonKind.Array && shape.Count <= 4;
            a.Shape = new long[shaped ? shape.Count : 0];
            for (int d = 0; shaped && d < a.Shape.Length; d++) shaped = IsCount(shape[d], out a.Shape[d]);
            if (!shaped)
                throw Fail(Source, "shape " + Repr(shape) + " must be a list of up to 4 whole numbers", field + ".shape");
            long available = buffers[a.Buffer].Length;
            if (!Fits(a.Shape, item, a.Offset, available, out a.Count))
            {
                var dims = new List<string>();
                foreach (long s in a.Shape) dims.Add(s.ToString(CultureInfo.InvariantCulture));
                throw Fail(Source, (dims.Count == 0 ? "1" : string.Join("x", dims.ToArray())) + " x " + item +
                    " bytes from byte " + a.Offset + " run past buffer " + a.Buffer + "'s " + available + " bytes",
                    field + ".shape");
            }
            JsonValue units = spec["units"];
            if (units != null && units.Kind != JsonKind.Null && units.Kind != JsonKind.String)
                throw Fail(Source, "units must be a string or null", field + ".units");
            a.Units = units != null && units.Kind == JsonKind.String ? units.AsString : null;
            return a;
        }

        /// <summary>offset + prod(shape) * item within available bytes, in long arithmetic that
        /// cannot overflow (every number below 2^62): the element count when it fits.</summary>
        static bool Fits(long[] shape, int item, long offset, long available, out long count)
        {
            count = 1;
            foreach (long s in shape)
                if (s == 0) { count = 0; break; }
            if (count != 0)
                foreach (long s in shape)
                {
                    if (count > available / s) return false;          // count * s > available
                    count *= s;
                }
            if (offset > available) return false;
            return count <= (available - offset) / item;
        }

        // -- helpers ----------------------------------------------------------------------------
        static void ReadExactly(Stream s, long pos, byte[] buf, int count, string path, string field)
        {
            s.Position = pos;
            int got = 0;
            while (got < count)
            {
                int r = s.Read(buf, got, count - got);
                if (r <= 0)
                    throw Fail(path, "the data ends at byte " + (pos + got) + ", before the " + count + " bytes expected",
                        field);
                got += r;
            }
        }

        static uint U32(byte[] b, int at)
        {
            return (uint)b[at] | (uint)b[at + 1] << 8 | (uint)b[at + 2] << 16 | (uint)b[at + 3] << 24;
        }

        static ulong U64(byte[] b, int at)
        {
            return (ulong)U32(b, at) | (ulong)U32(b, at + 4) << 32;
        }

        static bool Same(byte[] a, byte[] b)
        {
            for (int i = 0; i < 4; i++) if (a[i] != b[i]) return false;
            return true;
        }

        static string Latin1(byte[] b, int at, int n)
        {
            var sb = new StringBuilder("'");
            for (int i = at; i < at + n; i++)
            {
                byte c = b[i];
                if (c >= 0x20 && c < 0x7F && c != '\'' && c != '\\') sb.Append((char)c);
                else sb.Append("\\x").Append(c.ToString("x2", CultureInfo.InvariantCulture));
            }
            return sb.Append('\'').ToString();
        }

        static bool OnlyKeys(JsonValue obj, params string[] allowed)
        {
            if (obj == null || obj.Kind != JsonKind.Object) return false;
            foreach (string k in obj.Keys)
                if (Array.IndexOf(allowed, k) < 0) return false;
            return true;
        }

        /// <summary>A whole number from 0 to 2^62, written as an integer (not 3.0 or 3e0, not
        /// true/false), as the Python reader's counts.</summary>
        static bool IsCount(JsonValue v, out long n)
        {
            n = 0;
            if (v == null || !v.IsInteger) return false;
            double d = v.AsDouble;
            if (!(d >= 0 && d < MaxCount) || d != Math.Floor(d)) return false;
            n = (long)d;
            return true;
        }

        static string Repr(JsonValue v)
        {
            if (v == null) return "None";
            switch (v.Kind)
            {
                case JsonKind.Null: return "None";
                case JsonKind.Bool: return v.AsBool ? "True" : "False";
                case JsonKind.Number: return v.AsDouble.ToString("R", CultureInfo.InvariantCulture);
                case JsonKind.String: return "'" + v.AsString + "'";
                case JsonKind.Array: return "a list of " + v.Count;
                default: return "an object";
            }
        }
    }
}
