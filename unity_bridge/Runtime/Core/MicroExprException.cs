// Bad input for the MicroExpr runtime: names the file, the field and the fix, like the
// Python core's MicroExprError ("FILE: FIELD: PROBLEM. Fix: FIX.").
using System;

namespace MicroExpr.Runtime
{
    public sealed class MicroExprException : Exception
    {
        public readonly string Problem;
        public readonly string File;
        public readonly string Field;
        public readonly string Fix;

        public MicroExprException(string problem, string file = null, string field = null, string fix = null)
            : base(Compose(problem, file, field, fix))
        {
            Problem = problem;
            File = file;
            Field = field;
            Fix = fix;
        }

        static string Compose(string problem, string file, string field, string fix)
        {
            string text = "";
            if (!string.IsNullOrEmpty(file)) text += file + ": ";
            if (!string.IsNullOrEmpty(field)) text += field + ": ";
            text += problem.TrimEnd('.') + ".";
            if (!string.IsNullOrEmpty(fix)) text += " Fix: " + fix.TrimEnd('.') + ".";
            return text;
        }
    }
}
