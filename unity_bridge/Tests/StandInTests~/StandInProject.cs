// A throw-away Unity project for the stand-in: a temporary folder with Assets/, made the working
// folder (asset paths are relative to it, as in Unity), and a fresh stand-in asset pipeline that
// knows the package's editor assembly (its importer and postprocessor).
using System;
using System.Collections.Generic;
using System.IO;
using System.Runtime.CompilerServices;
using System.Text;
using MicroExpr.EditorTools;
using MicroExpr.Runtime;
using NUnit.Framework;
using UnityEditor;
using UnityEngine;

namespace MicroExpr.StandInTests
{
    public sealed class StandInProject : IDisposable
    {
        public readonly string Root;
        readonly string previous;

        public StandInProject()
        {
            Root = Path.Combine(Path.GetTempPath(), "microexpr-standin-" + Guid.NewGuid().ToString("N"));
            Directory.CreateDirectory(Path.Combine(Root, "Assets"));
            previous = Environment.CurrentDirectory;
            Environment.CurrentDirectory = Root;
            StandInAssets.Reset();
            StandInAssets.Register(typeof(MicroExprImporter).Assembly);
        }

        public void Dispose()
        {
            Environment.CurrentDirectory = previous;
            StandInAssets.Reset();
            try { Directory.Delete(Root, true); } catch (IOException) { }
        }

        /// <summary>The package's Tests/Editor/SmokeData~ (face.fbx, face.microexpr, smile.microexpr).</summary>
        public static string SmokeData([CallerFilePath] string here = "")
        {
            string env = Environment.GetEnvironmentVariable("MICROEXPR_UNITY_PACKAGE");
            string pkg = !string.IsNullOrEmpty(env) ? env : Path.Combine(Path.GetDirectoryName(here), "..", "..");
            string dir = Path.GetFullPath(Path.Combine(Path.Combine(Path.Combine(pkg, "Tests"), "Editor"), "SmokeData~"));
            if (!File.Exists(Path.Combine(dir, "face.microexpr"))) Assert.Fail("SmokeData~ not found at " + dir);
            return dir;
        }

        public static string[] SampleTargets()
        {
            return RigData.Load(Path.Combine(SmokeData(), "face.microexpr")).TargetNames;
        }

        /// <summary>Replaces text in a file byte for byte; the replacement must have the same
        /// UTF-8 length, so a .microexpr container keeps its layout (names live in its header).</summary>
        public void Rename(string assetPath, string from, string to)
        {
            byte[] a = Encoding.UTF8.GetBytes(from), b = Encoding.UTF8.GetBytes(to);
            Assert.AreEqual(a.Length, b.Length, "a same-length replacement keeps the container's lengths");
            string full = Path.Combine(Root, assetPath);
            byte[] data = File.ReadAllBytes(full);
            int found = 0;
            for (int i = 0; i + a.Length <= data.Length; i++)
            {
                int k = 0;
                while (k < a.Length && data[i + k] == a[k]) k++;
                if (k < a.Length) continue;
                Array.Copy(b, 0, data, i, b.Length);
                found++;
            }
            Assert.IsTrue(found > 0, from + " is not in " + assetPath);
            File.WriteAllBytes(full, data);
        }

        /// <summary>A copy of a one-file .microexpr container whose payload moved to
        /// <paramref name="binName"/> beside it (buffers[0].uri), as "--format microexpr-bin" writes.</summary>
        public void CopySampleWithExternalPayload(string name, string assetPath, string binName)
        {
            byte[] data = File.ReadAllBytes(Path.Combine(SmokeData(), name));
            long jsonLength = BitConverter.ToInt64(data, 16);
            string header = Encoding.UTF8.GetString(data, 32, (int)jsonLength).TrimEnd(' ');
            long binLength = BitConverter.ToInt64(data, 32 + (int)jsonLength);
            var bin = new byte[binLength];
            Array.Copy(data, 48 + (int)jsonLength, bin, 0, (int)binLength);
            string key = "\"buffers\":[{\"byteLength\":" + binLength;
            Assert.IsTrue(header.Contains(key + "}]"), "one buffer, the BIN chunk: " + key);
            header = header.Replace(key + "}]", key + ",\"uri\":\"" + binName + "\"}]");
            byte[] text = Encoding.UTF8.GetBytes(header.PadRight((header.Length + 7) / 8 * 8));
            var outp = new MemoryStream();
            var w = new BinaryWriter(outp);
            w.Write(Encoding.ASCII.GetBytes("MXPR"));
            w.Write(1u);
            w.Write((ulong)(16 + 16 + text.Length));
            w.Write((ulong)text.Length);
            w.Write(Encoding.ASCII.GetBytes("JSON"));
            w.Write(0u);
            w.Write(text);
            w.Flush();
            string full = Path.Combine(Root, assetPath);
            Directory.CreateDirectory(Path.GetDirectoryName(full));
            File.WriteAllBytes(full, outp.ToArray());
            File.WriteAllBytes(Path.Combine(Path.GetDirectoryName(full), binName), bin);
        }

        /// <summary>A stand-in model file: one SkinnedMeshRenderer at <paramref name="renderer"/>
        /// with a shape per target, named <paramref name="prefix"/> + target.</summary>
        public static string Model(string renderer, string prefix, IEnumerable<string> targets)
        {
            var sb = new StringBuilder("# stand-in model (not FBX): renderer path <TAB> blend-shape name\n");
            foreach (string t in targets) sb.Append(renderer).Append('\t').Append(prefix).Append(t).Append('\n');
            return sb.ToString();
        }

        public void Write(string assetPath, string text)
        {
            string full = Path.Combine(Root, assetPath);
            Directory.CreateDirectory(Path.GetDirectoryName(full));
            File.WriteAllText(full, text);
        }

        /// <summary>Copies a file of SmokeData~ into the project.</summary>
        public void CopySample(string name, string assetPath)
        {
            string full = Path.Combine(Root, assetPath);
            Directory.CreateDirectory(Path.GetDirectoryName(full));
            File.Copy(Path.Combine(SmokeData(), name), full, true);
        }

        public static List<string> Logged(LogType type)
        {
            var list = new List<string>();
            foreach (KeyValuePair<LogType, string> m in Debug.Logged)
                if (m.Key == type) list.Add(m.Value);
            return list;
        }

        /// <summary>The pairing reports logged so far (messages and warnings), oldest first.</summary>
        public static List<string> PairingReports()
        {
            var list = new List<string>();
            foreach (KeyValuePair<LogType, string> m in Debug.Logged)
                if (m.Value.Contains(" paired with ")) list.Add(m.Value);
            return list;
        }

        public static void AssertNoErrors()
        {
            List<string> errors = Logged(LogType.Error);
            Assert.AreEqual(0, errors.Count, string.Join("\n", errors.ToArray()));
        }

        public static AnimationClip Baked(string clipPath)
        {
            foreach (UnityEngine.Object o in AssetDatabase.LoadAllAssetsAtPath(clipPath))
                if (o is AnimationClip) return (AnimationClip)o;
            Assert.Fail("no baked AnimationClip in " + clipPath);
            return null;
        }

        public static int ImportCount(string assetPath)
        {
            int n = 0;
            foreach (string p in StandInAssets.ImportLog) if (p == assetPath) n++;
            return n;
        }
    }
}
