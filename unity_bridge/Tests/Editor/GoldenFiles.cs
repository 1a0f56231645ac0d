// Where the golden vectors live (shared/golden in the MicroExpr repository): $MICROEXPR_GOLDEN,
// else relative to this source file (a package added from disk keeps its real path), else
// searched upward from the test assembly and the working folder.
using System;
using System.IO;
using System.Runtime.CompilerServices;
using NUnit.Framework;

namespace MicroExpr.Tests
{
    public static class GoldenFiles
    {
        public static string Directory()
        {
            string env = Environment.GetEnvironmentVariable("MICROEXPR_GOLDEN");
            if (!string.IsNullOrEmpty(env) && System.IO.Directory.Exists(env)) return env;
            string here = SourceDirectory();
            if (!string.IsNullOrEmpty(here))
            {
                string p = Path.GetFullPath(Path.Combine(here, "..", "..", "..", "shared", "golden"));
                if (System.IO.Directory.Exists(p)) return p;
            }
            foreach (string start in new[] { Path.GetDirectoryName(typeof(GoldenFiles).Assembly.Location), Environment.CurrentDirectory })
            {
                string d = start;
                for (int up = 0; up < 8 && !string.IsNullOrEmpty(d); up++)
                {
                    string p = Path.Combine(Path.Combine(d, "shared"), "golden");
                    if (File.Exists(Path.Combine(p, "rig.microexpr"))) return p;
                    d = Path.GetDirectoryName(d);
                }
            }
            return null;
        }

        static string SourceDirectory([CallerFilePath] string path = "")
        {
            return string.IsNullOrEmpty(path) ? null : Path.GetDirectoryName(path);
        }

        /// <summary>The folder, or the test is ignored (failed when MICROEXPR_GOLDEN_REQUIRED=1).</summary>
        public static string Require()
        {
            string d = Directory();
            if (d != null) return d;
            const string why = "golden vectors not found: set MICROEXPR_GOLDEN to the repository's shared/golden";
            if (Environment.GetEnvironmentVariable("MICROEXPR_GOLDEN_REQUIRED") == "1") Assert.Fail(why);
            Assert.Ignore(why);
            return null;
        }
    }
}
