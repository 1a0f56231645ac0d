// A small JSON reader for bridge files (.microexpr) and golden vectors. Plain C#, no
// UnityEngine: JsonUtility cannot read nested arrays, and this parser is also tested from
// Python and NUnit. Numbers with at most 15 significant digits and a small exponent are
// converted exactly (correctly rounded); others go through double.Parse (invariant culture).
using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace MicroExpr.Runtime
{
    public enum JsonKind { Null, Bool, Number, String, Array, Object }

    /// <summary>One JSON value: an object keeps its keys in file order.</summary>
    public sealed class JsonValue
    {
        public readonly JsonKind Kind;
        readonly double number;
        readonly string text;
        readonly bool flag;
        readonly List<JsonValue> items;
        readonly Dictionary<string, JsonValue> members;
        readonly List<string> keys;

        public static readonly JsonValue Null = new JsonValue(JsonKind.Null, 0.0, null, false);
        public static readonly JsonValue True = new JsonValue(JsonKind.Bool, 0.0, null, true);
        public static readonly JsonValue False = new JsonValue(JsonKind.Bool, 0.0, null, false);

        JsonValue(JsonKind kind, double n, string s, bool b)
        {
            Kind = kind; number = n; text = s; flag = b;
            if (kind == JsonKind.Array) items = new List<JsonValue>();
            if (kind == JsonKind.Object) { members = new Dictionary<string, JsonValue>(); keys = new List<string>(); }
        }

        public static JsonValue Number(double v) { return new JsonValue(JsonKind.Number, v, null, false); }
        /// <summary>A number; <paramref name="integer"/>: written without fraction or exponent.</summary>
        public static JsonValue Number(double v, bool integer) { return new JsonValue(JsonKind.Number, v, null, integer); }
        public static JsonValue String(string s) { return new JsonValue(JsonKind.String, 0.0, s, false); }
        public static JsonValue NewArray() { return new JsonValue(JsonKind.Array, 0.0, null, false); }
        public static JsonValue NewObject() { return new JsonValue(JsonKind.Object, 0.0, null, false); }

        public int Count { get { return items != null ? items.Count : (keys != null ? keys.Count : 0); } }
        public IList<string> Keys { get { return keys != null ? (IList<string>)keys.AsReadOnly() : new string[0]; } }
        public JsonValue this[int i] { get { return items[i]; } }

        /// <summary>The member named <paramref name="key"/>, or null when absent or not an object.</summary>
        public JsonValue this[string key]
        {
            get
            {
                JsonValue v;
                if (members != null && members.TryGetValue(key, out v)) return v;
                return null;
            }
        }

        public bool Has(string key) { return members != null && members.ContainsKey(key); }
        public bool IsNull { get { return Kind == JsonKind.Null; } }
        public double AsDouble { get { return number; } }
        public string AsString { get { return text; } }
        public bool AsBool { get { return Kind == JsonKind.Bool && flag; } }
        /// <summary>A number written as an integer ("3", "-0"; not "3.0" or "3e0"), as Python's
        /// json module tells an int from a float.</summary>
        public bool IsInteger { get { return Kind == JsonKind.Number && flag; } }

        internal void Add(JsonValue v) { items.Add(v); }

        internal bool Put(string key, JsonValue v)
        {
            if (members.ContainsKey(key)) return false;
            members[key] = v;
            keys.Add(key);
            return true;
        }
    }

    /// <summary>Parses JSON text; errors name the line and column.</summary>
    public static class Json
    {
        static readonly double[] Pow10 = {
            1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
            1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22 };

        public static JsonValue Parse(string text, string source = null)
        {
            if (text == null) throw new MicroExprException("no text to read", source, null, "pass the file's contents");
            var p = new Parser(text, source);
            p.SkipBom();
            p.SkipSpace();
            if (p.AtEnd) throw p.Error("the file is empty", "pass a MicroExpr bridge file");
            JsonValue v = p.Value(0);
            p.SkipSpace();
            if (!p.AtEnd) throw p.Error("unexpected text after the JSON value", "remove it");
            return v;
        }

        sealed class Parser
        {
            readonly string s;
            readonly string source;
            int i;
            readonly StringBuilder sb = new StringBuilder();
            const int MaxDepth = 256;

            public Parser(string text, string src) { s = text; source = src; i = 0; }

            public bool AtEnd { get { return i >= s.Length; } }

            public MicroExprException Error(string problem, string fix)
            {
                int line = 1, col = 1;
                for (int k = 0; k < i && k < s.Length; k++)
                {
                    if (s[k] == '\n') { line++; col = 1; } else col++;
                }
                return new MicroExprException("not valid JSON: " + problem, source,
                    "line " + line + ", column " + col, fix);
            }

            /// <summary>A byte order mark is allowed at the very start only (as Python's utf-8-sig).</summary>
            public void SkipBom()
            {
                if (i == 0 && s.Length > 0 && s[0] == '\uFEFF') i++;
            }

            public void SkipSpace()
            {
                while (i < s.Length)
                {
                    char c = s[i];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') i++;
                    else break;
                }
            }

            public JsonValue Value(int depth)
            {
                if (depth > MaxDepth) throw Error("nested too deeply", "flatten the data");
                SkipSpace();
                if (AtEnd) throw Error("the text ends where a value was expected", "complete the file");
                char c = s[i];
                switch (c)
                {
                    case '{': return Obj(depth);
                    case '[': return Arr(depth);
                    case '"': return JsonValue.String(Str());
                    case 't': Word("true"); return JsonValue.True;
                    case 'f': Word("false"); return JsonValue.False;
                    case 'n': Word("null"); return JsonValue.Null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9'))
                        {
                            int start = i;
                            double n = Num();
                            bool integer = true;
                            for (int k = start; k < i && integer; k++)
                                integer = s[k] != '.' && s[k] != 'e' && s[k] != 'E';
                            return JsonValue.Number(n, integer);
                        }
                        throw Error("unexpected character '" + c + "'", "write standard JSON (NaN and Infinity are not JSON)");
                }
            }

            void Word(string w)
            {
                if (string.CompareOrdinal(s, i, w, 0, w.Length) != 0)
                    throw Error("unexpected text (expected '" + w + "')", "write standard JSON");
                i += w.Length;
            }

            JsonValue Obj(int depth)
            {
                var o = JsonValue.NewObject();
                i++;
                SkipSpace();
                if (i < s.Length && s[i] == '}') { i++; return o; }
                while (true)
                {
                    SkipSpace();
                    if (AtEnd || s[i] != '"') throw Error("expected a quoted key", "quote every key");
                    int keyStart = i;
                    string key = Str();
                    if (o.Has(key))
                    {
                        i = keyStart;                  // named where it stands, as the Python reader
                        throw Error("the key \"" + key + "\" appears twice in one object", "write finite numbers and each key once");
                    }
                    SkipSpace();
                    if (AtEnd || s[i] != ':') throw Error("expected ':' after a key", "write key: value");
                    i++;
                    JsonValue v = Value(depth + 1);
                    o.Put(key, v);
                    SkipSpace();
                    if (AtEnd) throw Error("the text ends inside an object", "complete the file");
                    if (s[i] == ',') { i++; continue; }
                    if (s[i] == '}') { i++; return o; }
                    throw Error("expected ',' or '}'", "separate members with commas");
                }
            }

            JsonValue Arr(int depth)
            {
                var a = JsonValue.NewArray();
                i++;
                SkipSpace();
                if (i < s.Length && s[i] == ']') { i++; return a; }
                while (true)
                {
                    a.Add(Value(depth + 1));
                    SkipSpace();
                    if (AtEnd) throw Error("the text ends inside an array", "complete the file");
                    if (s[i] == ',') { i++; continue; }
                    if (s[i] == ']') { i++; return a; }
                    throw Error("expected ',' or ']'", "separate items with commas");
                }
            }

            string Str()
            {
                i++;                                   // opening quote
                int start = i;
                while (i < s.Length && s[i] != '"' && s[i] != '\\' && s[i] >= ' ') i++;
                if (i < s.Length && s[i] == '"') { string plain = s.Substring(start, i - start); i++; return plain; }
                sb.Length = 0;
                sb.Append(s, start, i - start);
                while (true)
                {
                    if (AtEnd) throw Error("the text ends inside a string", "close the string");
                    char c = s[i];
                    if (c == '"') { i++; return sb.ToString(); }
                    if (c < ' ') throw Error("control character inside a string", "escape it");
                    if (c != '\\') { sb.Append(c); i++; continue; }
                    i++;
                    if (AtEnd) throw Error("the text ends inside an escape", "close the string");
                    char e = s[i++];
                    switch (e)
                    {
                        case '"': sb.Append('"'); break;
                        case '\\': sb.Append('\\'); break;
                        case '/': sb.Append('/'); break;
                        case 'b': sb.Append('\b'); break;
                        case 'f': sb.Append('\f'); break;
                        case 'n': sb.Append('\n'); break;
                        case 'r': sb.Append('\r'); break;
                        case 't': sb.Append('\t'); break;
                        case 'u':
                            if (i + 4 > s.Length) throw Error("short \\u escape", "write four hex digits");
                            int code;
                            if (!int.TryParse(s.Substring(i, 4), NumberStyles.AllowHexSpecifier,
                                              CultureInfo.InvariantCulture, out code))
                                throw Error("bad \\u escape", "write four hex digits");
                            sb.Append((char)code);
                            i += 4;
                            break;
                        default: throw Error("unknown escape \\" + e, "use a JSON escape");
                    }
                }
            }

            double Num()
            {
                int start = i;
                bool neg = false;
                if (s[i] == '-') { neg = true; i++; }
                if (!AtEnd && s[i] == 'I')
                {
                    i = start;                         // -Infinity: named at its start
                    throw Error("-Infinity is not a number JSON allows", "write finite numbers and each key once");
                }
                if (AtEnd || s[i] < '0' || s[i] > '9') throw Error("a number needs digits", "write e.g. 0.5");
                long mant = 0;
                int digits = 0, exp10 = 0;
                bool exact = true;
                if (s[i] == '0') { i++; }
                else
                {
                    while (i < s.Length && s[i] >= '0' && s[i] <= '9')
                    {
                        if (digits < 18) { mant = mant * 10 + (s[i] - '0'); if (mant != 0) digits++; }
                        else { exact = false; exp10++; }
                        i++;
                    }
                }
                if (i < s.Length && s[i] == '.')
                {
                    i++;
                    if (AtEnd || s[i] < '0' || s[i] > '9') throw Error("digits must follow '.'", "write e.g. 0.5");
                    while (i < s.Length && s[i] >= '0' && s[i] <= '9')
                    {
                        if (digits < 18) { mant = mant * 10 + (s[i] - '0'); if (mant != 0) digits++; exp10--; }
                        else if (s[i] != '0') exact = false;
                        i++;
                    }
                }
                if (i < s.Length && (s[i] == 'e' || s[i] == 'E'))
                {
                    i++;
                    bool eneg = false;
                    if (i < s.Length && (s[i] == '+' || s[i] == '-')) { eneg = s[i] == '-'; i++; }
                    if (AtEnd || s[i] < '0' || s[i] > '9') throw Error("an exponent needs digits", "write e.g. 1e-3");
                    int e = 0;
                    while (i < s.Length && s[i] >= '0' && s[i] <= '9')
                    {
                        if (e < 100000) e = e * 10 + (s[i] - '0');
                        i++;
                    }
                    exp10 += eneg ? -e : e;
                }
                // Clinger's fast path: an exact mantissa below 2^53 times an exact power of ten
                // is one correctly rounded operation.
                if (exact && mant < (1L << 53) && exp10 >= -22 && exp10 <= 22)
                {
                    double v = mant;
                    v = exp10 < 0 ? v / Pow10[-exp10] : v * Pow10[exp10];
                    return neg ? -v : v;
                }
                if (mant == 0 && exact) return neg ? -0.0 : 0.0;
                double parsed;
                bool ok = double.TryParse(s.Substring(start, i - start), NumberStyles.Float,
                                          CultureInfo.InvariantCulture, out parsed);
                if (!ok || double.IsInfinity(parsed))
                {
                    i = start;                         // named at its start, as the Python reader
                    throw Error("the number is too large", "write finite numbers and each key once");
                }
                return parsed;
            }
        }
    }
}
