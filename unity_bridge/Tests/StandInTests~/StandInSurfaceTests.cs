// The stand-in is only as good as its match with Unity: every public type and member of the
// stand-in UnityEngine/UnityEditor must be listed in CompileStandIn~/API.md with the source that
// shows it exists in Unity (the Unity C# reference, the Scripting API docs, unity-facts.md), and
// every listed one must be offered. A member added to the stand-in without a source fails here.
using System;
using System.Collections.Generic;
using System.IO;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.RegularExpressions;
using NUnit.Framework;

namespace MicroExpr.StandInTests
{
    [TestFixture]
    public class StandInSurfaceTests
    {
        const BindingFlags Declared = BindingFlags.Public | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

        static readonly Dictionary<Type, string> Keywords = new Dictionary<Type, string>
        {
            { typeof(void), "void" }, { typeof(bool), "bool" }, { typeof(int), "int" }, { typeof(uint), "uint" },
            { typeof(float), "float" }, { typeof(double), "double" }, { typeof(string), "string" }, { typeof(object), "object" },
        };

        static string Name(Type t)
        {
            if (t.IsArray) return Name(t.GetElementType()) + "[]";
            if (t.IsByRef) return Name(t.GetElementType()) + "&";
            string k;
            if (Keywords.TryGetValue(t, out k)) return k;
            if (t.IsGenericParameter) return t.Name;
            string n = t.Name;
            int tick = n.IndexOf('`');
            if (tick >= 0) n = n.Substring(0, tick);
            if (t.IsGenericType)
            {
                var args = new List<string>();
                foreach (Type a in t.GetGenericArguments()) args.Add(Name(a));
                n += "<" + string.Join(", ", args.ToArray()) + ">";
            }
            return t.IsNested ? Name(t.DeclaringType) + "." + n : n;
        }

        static string Params(MethodBase m)
        {
            var ps = new List<string>();
            foreach (ParameterInfo p in m.GetParameters())
                ps.Add((p.IsDefined(typeof(ParamArrayAttribute), false) ? "params " : "") + Name(p.ParameterType) +
                       (p.IsOptional ? " = " + (p.DefaultValue == null ? "null" : p.DefaultValue.ToString()) : ""));
            return "(" + string.Join(", ", ps.ToArray()) + ")";
        }

        static string TypeLine(Type t)
        {
            string kind = t.IsEnum ? "enum" : t.IsValueType ? "struct" : t.IsInterface ? "interface" : "class";
            string mods = !t.IsValueType && !t.IsInterface && t.IsAbstract && t.IsSealed ? "static "
                        : !t.IsValueType && t.IsSealed ? "sealed " : !t.IsInterface && t.IsAbstract ? "abstract " : "";
            string line = mods + kind + " " + t.Namespace + "." + Name(t);
            if (!t.IsValueType && !t.IsInterface && t.BaseType != typeof(object)) line += " : " + Name(t.BaseType);
            return line;
        }

        /// <summary>One line per public type and member, in a stable form.</summary>
        public static List<string> Surface(Assembly asm)
        {
            var lines = new List<string>();
            foreach (Type t in asm.GetExportedTypes())
            {
                string owner = t.Namespace + "." + Name(t);
                lines.Add(TypeLine(t));
                if (t.IsEnum)
                {
                    foreach (string n in Enum.GetNames(t))
                        lines.Add("value " + owner + "." + n + " = " + Convert.ToInt64(Enum.Parse(t, n)));
                    continue;
                }
                foreach (ConstructorInfo c in t.GetConstructors(Declared))
                    lines.Add("ctor " + owner + Params(c));
                foreach (MethodInfo m in t.GetMethods(Declared))
                {
                    if (m.IsSpecialName && !m.Name.StartsWith("op_")) continue;
                    string generic = "";
                    if (m.IsGenericMethodDefinition)
                    {
                        var args = new List<string>();
                        foreach (Type a in m.GetGenericArguments()) args.Add(a.Name);
                        generic = "<" + string.Join(", ", args.ToArray()) + ">";
                    }
                    lines.Add((m.IsStatic ? "static " : "") + (m.IsAbstract ? "abstract " : m.IsVirtual && m.GetBaseDefinition() == m ? "virtual " : "") +
                              "method " + owner + "." + m.Name + generic + Params(m) + " : " + Name(m.ReturnType));
                }
                foreach (PropertyInfo p in t.GetProperties(Declared))
                {
                    MethodInfo get = p.GetGetMethod(), set = p.GetSetMethod();
                    bool isStatic = (get ?? set).IsStatic;
                    string index = p.GetIndexParameters().Length > 0 ? "[" + Name(p.GetIndexParameters()[0].ParameterType) + "]" : "";
                    lines.Add((isStatic ? "static " : "") + "property " + owner + "." + p.Name + index + " : " + Name(p.PropertyType) +
                              " {" + (get != null ? " get;" : "") + (set != null ? " set;" : "") + " }");
                }
                foreach (FieldInfo f in t.GetFields(Declared))
                    lines.Add((f.IsStatic ? "static " : "") + (f.IsInitOnly ? "readonly " : "") + "field " + owner + "." + f.Name + " : " + Name(f.FieldType));
            }
            lines.Sort(StringComparer.Ordinal);
            return lines;
        }

        /// <summary>Tests/CompileStandIn~/API.md of the package named by MICROEXPR_UNITY_PACKAGE
        /// (the checkout under test: a cached build keeps the path it was compiled from), else
        /// beside this source file.</summary>
        static string ApiFile([CallerFilePath] string here = "")
        {
            string env = Environment.GetEnvironmentVariable("MICROEXPR_UNITY_PACKAGE");
            string tests = !string.IsNullOrEmpty(env) ? Path.Combine(env, "Tests") : Path.Combine(Path.GetDirectoryName(here), "..");
            return Path.GetFullPath(Path.Combine(tests, Path.Combine("CompileStandIn~", "API.md")));
        }

        /// <summary>API.md's table: `member` | source.</summary>
        static Dictionary<string, string> Listed()
        {
            var rows = new Dictionary<string, string>();
            var row = new Regex(@"^\|\s*`([^`]+)`\s*\|\s*(.*?)\s*\|\s*$");
            foreach (string line in File.ReadAllLines(ApiFile()))
            {
                Match m = row.Match(line);
                if (!m.Success) continue;
                Assert.IsFalse(rows.ContainsKey(m.Groups[1].Value), "listed twice: " + m.Groups[1].Value);
                rows[m.Groups[1].Value] = m.Groups[2].Value;
            }
            return rows;
        }

        [Test]
        public void EveryPublicMemberOfTheStandInIsListedWithItsUnitySource()
        {
            Dictionary<string, string> listed = Listed();
            var missing = new StringBuilder();
            var offered = new HashSet<string>();
            foreach (Assembly asm in new[] { typeof(UnityEngine.Object).Assembly, typeof(UnityEditor.AssetDatabase).Assembly })
                foreach (string line in Surface(asm))
                {
                    offered.Add(line);
                    string source;
                    if (!listed.TryGetValue(line, out source)) missing.Append("| `").Append(line).Append("` | ? |\n");
                    else Assert.IsTrue(source.Length > 0 && source != "?", "no source for " + line);
                }
            if (missing.Length > 0)
                Assert.Fail("offered by the stand-in but not in " + ApiFile() + " (add a row with the source that shows " +
                            "Unity has it, or remove it from the stand-in):\n" + missing);
            foreach (string line in listed.Keys)
                Assert.IsTrue(offered.Contains(line), "listed in API.md but not offered by the stand-in: " + line);
        }
    }
}
