// A bridge file as read: its JSON document (plain JSON text, version 2 or 3, or the header of a
// .microexpr container) and, for a container, the payload its {"$accessor": k} nodes point into.
// Files are told apart by their first bytes ("MXPR": a container), as the Python side does.
using System;
using System.Collections.Generic;
using System.IO;
using System.Text;

namespace MicroExpr.Runtime
{
    public sealed class BridgeDocument : IDisposable
    {
        /// <summary>The bridge document (a container's header: arrays replaced by accessors).</summary>
        public readonly JsonValue Root;
        /// <summary>The container, or null for a plain JSON file.</summary>
        public readonly BridgeContainer Container;
        /// <summary>The file, named in errors (may be null).</summary>
        public readonly string Source;

        static readonly string[] NoUris = new string[0];
        readonly Dictionary<int, double[]> read = new Dictionary<int, double[]>();

        BridgeDocument(JsonValue root, BridgeContainer container, string source)
        {
            Root = root;
            Container = container;
            Source = source;
        }

        /// <summary>"rig", "clip" or null (the document's format field).</summary>
        public string Kind { get { return BridgeFile.Kind(Root); } }

        /// <summary>The .bin files beside the container that hold its payload (file names).</summary>
        public IList<string> ExternalUris { get { return Container == null ? (IList<string>)NoUris : Container.ExternalUris; } }

        public void Dispose()
        {
            read.Clear();
            if (Container != null) Container.Dispose();
        }

        /// <summary>Accessor <paramref name="accessor"/>'s values as doubles, read once (the checks
        /// and the readers share them).</summary>
        public double[] Values(int accessor, string field)
        {
            double[] values;
            if (!read.TryGetValue(accessor, out values)) read[accessor] = values = Container.Doubles(accessor, field);
            return values;
        }

        public static BridgeDocument FromText(string text, string source = null)
        {
            return new BridgeDocument(Json.Parse(text, source), null, source);
        }

        public static BridgeDocument FromJson(JsonValue root, string source = null)
        {
            if (root == null) throw new MicroExprException("no document to read", source, null, "pass a parsed bridge file");
            return new BridgeDocument(root, null, source);
        }

        /// <summary>The document of a read container (disposing the document disposes it).</summary>
        public static BridgeDocument FromContainer(BridgeContainer container)
        {
            if (container == null) throw new MicroExprException("no container to read", null, null, "pass a read container");
            return new BridgeDocument(container.Header, container, container.Source);
        }

        /// <summary>A file's bytes: a container ("MXPR") or JSON text (UTF-8). The path names the
        /// file in errors and locates an external .bin.</summary>
        public static BridgeDocument FromBytes(byte[] data, string path = null)
        {
            if (data == null) throw new MicroExprException("no bytes to read", path, null, "pass the file's contents");
            if (BridgeContainer.HasMagic(data))
            {
                BridgeContainer c = BridgeContainer.FromBytes(data, path);
                return new BridgeDocument(c.Header, c, path);
            }
            return FromText(Decode(data, path), path);
        }

        /// <summary>A file: a container's header and only the arrays asked for later are read
        /// (the file stays open until Dispose), or the whole JSON text.</summary>
        public static BridgeDocument Load(string path)
        {
            FileStream fs;
            try
            {
                fs = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read);
            }
            catch (Exception e)
            {
                if (!(e is IOException || e is UnauthorizedAccessException || e is NotSupportedException ||
                      e is ArgumentException)) throw;
                throw new MicroExprException("cannot read the file (" + e.Message.TrimEnd('.') + ")", path, null,
                    "check the path");
            }
            bool container = false;
            try
            {
                var magic = new byte[4];
                int got = 0, r;
                while (got < 4 && (r = fs.Read(magic, got, 4 - got)) > 0) got += r;
                container = got == 4 && BridgeContainer.HasMagic(magic);
                if (container)
                {
                    BridgeContainer c = BridgeContainer.Parse(fs, path, true);
                    return new BridgeDocument(c.Header, c, path);
                }
                if (fs.Length > int.MaxValue)
                    throw new MicroExprException("is too large for a JSON bridge file (" + fs.Length + " bytes)", path,
                        null, "write large rigs as .microexpr containers");
                var data = new byte[fs.Length];
                fs.Position = 0;
                got = 0;
                while (got < data.Length && (r = fs.Read(data, got, data.Length - got)) > 0) got += r;
                return FromText(Decode(data, path), path);
            }
            finally
            {
                if (!container) fs.Dispose();
            }
        }

        static string Decode(byte[] data, string source)
        {
            try
            {
                return new UTF8Encoding(false, true).GetString(data);
            }
            catch (ArgumentException)                 // DecoderFallbackException
            {
                throw new MicroExprException("is neither a .microexpr container nor UTF-8 JSON text", source, null,
                    "pass a bridge file written by MicroExpr");
            }
        }

        // -- arrays: inline nested lists, or accessors into the container's payload -------------
        /// <summary>The member <paramref name="key"/>: an array, or an accessor in a container.</summary>
        public JsonValue NeedArray(JsonValue obj, string key, string field)
        {
            JsonValue v = obj == null ? null : obj[key];
            if (v == null) throw new MicroExprException("missing", Source, field, "re-export the file with microexpr");
            if (v.Kind == JsonKind.Array || BridgeContainer.IsAccessorNode(v)) return v;
            throw new MicroExprException("is " + v.Kind.ToString().ToLowerInvariant() + ", expected array", Source, field,
                "re-export the file with microexpr");
        }

        int Accessor(JsonValue node, string field)
        {
            if (!BridgeContainer.IsAccessorNode(node)) return -1;
            if (Container == null)
                throw new MicroExprException("holds an accessor ({\"$accessor\": ...}) but the file is plain JSON, " +
                    "not a .microexpr container", Source, field, "re-export the file with microexpr");
            return Container.AccessorOf(node, field);
        }

        /// <summary>The length of the first axis: the array's count, or the accessor's shape[0].</summary>
        public int Rows(JsonValue node, string field)
        {
            int k = Accessor(node, field);
            if (k < 0) return node.Count;
            long[] shape = Container.Shape(k);
            if (shape.Length == 0 || shape[0] > int.MaxValue)
                throw new MicroExprException("is stored as " + Dims(shape) + ", which has no usable first axis", Source,
                    field, "re-export the file with microexpr");
            return (int)shape[0];
        }

        /// <summary>Numbers of the given shape, flattened in row-major order: nested arrays, or an
        /// accessor of exactly that shape (any stored number type, widened to double).</summary>
        public double[] Numbers(JsonValue node, int[] shape, string field)
        {
            int k = Accessor(node, field);
            if (k < 0) return BridgeFile.Numbers(node, shape, Source, field, false);
            CheckShape(k, shape, field);
            return Values(k, field);
        }

        /// <summary>One true/false per entry: JSON booleans, or an accessor of shape [length]
        /// (non-zero is true, as Python's bool()).</summary>
        public bool[] Flags(JsonValue node, int length, string field)
        {
            int k = Accessor(node, field);
            if (k >= 0)
            {
                CheckShape(k, new[] { length }, field);
                return Container.Flags(k, field);
            }
            if (node.Count != length)
                throw new MicroExprException("has " + node.Count + " entries for " + length + " frames", Source, field,
                    "write one true/false per frame");
            var outp = new bool[length];
            for (int f = 0; f < length; f++)
            {
                if (node[f].Kind != JsonKind.Bool)
                    throw new MicroExprException("entry " + f + " is not true or false", Source, field, "write booleans");
                outp[f] = node[f].AsBool;
            }
            return outp;
        }

        void CheckShape(int accessor, int[] shape, string field)
        {
            long[] stored = Container.Shape(accessor);
            bool same = stored.Length == shape.Length;
            for (int d = 0; same && d < shape.Length; d++) same = stored[d] == shape[d];
            if (!same)
                throw new MicroExprException("is stored as " + Dims(stored) + " but must be shaped " +
                    Dims(Array.ConvertAll(shape, x => (long)x)), Source, field, "re-export the file with microexpr");
        }

        static string Dims(long[] shape)
        {
            if (shape.Length == 0) return "a single value";
            return "[" + string.Join("][", Array.ConvertAll(shape, x => x.ToString())) + "]";
        }
    }
}
