// Which blend shape each curve of a baked clip animates. Unity binds an AnimationClip curve to a
// SkinnedMeshRenderer property "blendShape.<the mesh's exact shape name>", so a Maya FBX whose
// shapes import as "blendShape1.mouthSmile_L" needs that full name in the curve. The names are
// resolved with BlendShapeMap, the rules the MicroExpressionDriver uses at run time.
using System.Collections.Generic;

namespace MicroExpr.Runtime
{
    /// <summary>One curve of a baked clip: the renderer's path below the animated root, the
    /// animated property and the clip target whose weights it carries.</summary>
    public struct CurveBinding
    {
        public string Path;
        public string Property;
        public int Target;

        public CurveBinding(string path, string property, int target)
        {
            Path = path;
            Property = property;
            Target = target;
        }
    }

    /// <summary>A renderer of the model: its path below the model's root ("" = the root) and
    /// the blend-shape names of its mesh, in mesh order.</summary>
    public sealed class RendererShapes
    {
        public readonly string Path;
        public readonly IList<string> ShapeNames;

        public RendererShapes(string path, IList<string> shapeNames)
        {
            Path = path ?? "";
            ShapeNames = shapeNames ?? new string[0];
        }
    }

    public static class ClipBindings
    {
        /// <summary>Unity's property name prefix for a blend-shape weight of a SkinnedMeshRenderer.</summary>
        public const string PropertyPrefix = "blendShape.";

        /// <summary>The curves for a model: on every renderer, each clip target found among its
        /// shapes (BlendShapeMap rules: exact name, then without a DCC prefix, then ignoring
        /// case) is bound to the shape's exact name. Targets found on no renderer are appended
        /// to <paramref name="unbound"/> when given.</summary>
        public static CurveBinding[] Resolve(string[] targets, IList<RendererShapes> renderers, List<string> unbound)
        {
            return Resolve(targets, renderers, unbound, 0);
        }

        /// <summary>As <see cref="Resolve(string[], IList{RendererShapes}, List{string})"/>, each
        /// binding's Target counted from <paramref name="firstTarget"/> (the correctives of a baked
        /// row come after the clip's targets).</summary>
        public static CurveBinding[] Resolve(string[] targets, IList<RendererShapes> renderers, List<string> unbound,
                                             int firstTarget)
        {
            var bindings = new List<CurveBinding>();
            var found = new bool[targets.Length];
            for (int r = 0; r < renderers.Count; r++)
            {
                RendererShapes shapes = renderers[r];
                int[] map = BlendShapeMap.Build(targets, shapes.ShapeNames, null);
                for (int t = 0; t < targets.Length; t++)
                {
                    if (map[t] < 0) continue;
                    bindings.Add(new CurveBinding(shapes.Path, PropertyPrefix + shapes.ShapeNames[map[t]], firstTarget + t));
                    found[t] = true;
                }
            }
            if (unbound != null)
                for (int t = 0; t < targets.Length; t++)
                    if (!found[t]) unbound.Add(targets[t]);
            return bindings.ToArray();
        }

        /// <summary>The curves when no model is known: every target at <paramref name="path"/>,
        /// its shape assumed to be named <paramref name="prefix"/> + target.</summary>
        public static CurveBinding[] Assumed(string[] targets, string path, string prefix)
        {
            return Assumed(targets, path, prefix, 0);
        }

        public static CurveBinding[] Assumed(string[] targets, string path, string prefix, int firstTarget)
        {
            var bindings = new CurveBinding[targets.Length];
            for (int t = 0; t < targets.Length; t++)
                bindings[t] = new CurveBinding(path ?? "", PropertyPrefix + (prefix ?? "") + targets[t], firstTarget + t);
            return bindings;
        }

        /// <summary>The curves of a clip and the rig's correctives: the clip's targets (Target =
        /// t), then each corrective (Target = clip targets + c, its value the product of its
        /// drivers, <see cref="BakedRow"/>). <paramref name="renderers"/> null: the curves assumed
        /// at <paramref name="path"/> with <paramref name="prefix"/>. Targets (not correctives)
        /// found on no renderer are appended to <paramref name="unbound"/>.</summary>
        public static CurveBinding[] WithCorrectives(string[] targets, Correctives correctives,
                                                     IList<RendererShapes> renderers, List<string> unbound,
                                                     string path, string prefix)
        {
            var all = new List<CurveBinding>();
            if (renderers != null)
            {
                all.AddRange(Resolve(targets, renderers, unbound, 0));
                all.AddRange(Resolve(correctives.Names, renderers, null, targets.Length));
            }
            else
            {
                all.AddRange(Assumed(targets, path, prefix, 0));
                all.AddRange(Assumed(correctives.Names, path, prefix, targets.Length));
            }
            return all.ToArray();
        }

        /// <summary>Fills row[T..T+C) with the correctives' weights from the clip weights in
        /// row[0..T): the row a baked frame's curves read (Target indexes it).</summary>
        public static void BakedRow(double[] row, int targetCount, Correctives correctives)
        {
            correctives.Evaluate(row, row, targetCount);
        }
    }
}
