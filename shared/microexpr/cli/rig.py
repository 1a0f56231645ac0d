"""``microexpr rig build`` and ``microexpr rig import``."""
from __future__ import annotations

from microexpr.cli.main import add_format, command, wrote
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = sub.add_parser("rig", help="build a rig from a preset, or import existing targets",
                       description="Build a rig (a bridge .microexpr file, or JSON) from "
                                   "soft-mod presets, or import one from existing target meshes.")
    rs = p.add_subparsers(dest="rig_command", metavar="ACTION")
    b = command(rs, "build", "generate one target per preset expression with soft-mods",
                "microexpr rig build --preset table1 --out face_rig.microexpr\n"
                "  microexpr rig build --mesh head.obj --landmark-vertices head_lm.txt "
                "--preset arkit --out head_rig.json --format json")
    b.add_argument("--mesh", help="neutral mesh (.obj); default: the embedded default face")
    b.add_argument("--landmark-vertices", help="68 whitespace-separated 0-based vertex indices "
                                               "(with --mesh, default: found on renders of "
                                               "the mesh, see 'microexpr landmarks find')")
    b.add_argument("--preset", default="table1", help="table1 (the paper's Table 1) or arkit")
    b.add_argument("--unit", default="cm", choices=["mm", "cm", "m", "in"],
                   help="length unit of the mesh (default cm)")
    b.add_argument("--out", required=True, help="rig file to write (.microexpr, or .json)")
    add_format(b, "rig")
    add_solve_set(b)
    b.set_defaults(run=run_build)
    i = command(rs, "import", "build a rig from a neutral mesh and existing target meshes",
                "microexpr rig import --neutral neutral.obj --targets shapes/ "
                "--landmark-vertices lm.txt --out rig.microexpr\n"
                "  microexpr rig import --from face.fbx --landmark-vertices lm.txt --out rig.microexpr "
                "--format microexpr-bin")
    i.add_argument("--neutral", help="neutral mesh .obj")
    i.add_argument("--targets", nargs="+", help="a folder of target .obj files or the files; "
                                                "target name = file stem")
    i.add_argument("--from", dest="source", help="an FBX, glTF/GLB or Collada file whose mesh "
                                                 "carries blend shapes")
    i.add_argument("--landmark-vertices", required=True,
                   help="68 whitespace-separated 0-based vertex indices")
    i.add_argument("--unit", default="cm", choices=["mm", "cm", "m", "in"])
    i.add_argument("--out", required=True, help="rig file to write (.microexpr, or .json)")
    add_format(i, "rig")
    add_solve_set(i)
    i.set_defaults(run=run_import)
    p.set_defaults(run=lambda a: p.print_help() or 2)


def run_build(args) -> int:
    from microexpr import bridge, landmarks
    from microexpr.rig import build as rig
    from microexpr.rig.presets import PRESETS

    if args.preset not in PRESETS:
        raise MicroExprError("unknown preset %r" % args.preset, field="--preset",
                             fix="use one of: " + ", ".join(PRESETS))
    if args.mesh:
        from microexpr.formats.obj import read_obj

        mesh = read_obj(args.mesh, name="skin")
        if args.landmark_vertices:
            lv = landmarks.read_landmark_vertices(args.landmark_vertices, mesh.vertex_count)
        else:
            from microexpr.cli.landmarks import landmarks_for_rig

            binding, lines = landmarks_for_rig(args.mesh)
            print("\n  ".join(lines))
            lv = binding.vertices
        extra = []
    else:
        from microexpr.rig.face import default_face

        face = default_face()
        mesh, lv, extra = face.skin, face.landmark_vertices, [face.eyes]
        if args.landmark_vertices:
            lv = landmarks.read_landmark_vertices(args.landmark_vertices, mesh.vertex_count)
    r = rig.build_rig(mesh, lv, args.preset, extra_meshes=extra, unit=args.unit)
    set_solve_set(r, args.solve_set)
    files = bridge.save_rig(r, args.out, args.format)
    print("wrote %s: %d targets (%s preset) on %d vertices"
          % (wrote(files), len(r.targets), args.preset, mesh.vertex_count))
    return 0


def run_import(args) -> int:
    from microexpr import bridge
    from microexpr.rig.convert import import_rig

    r = import_rig(args.landmark_vertices, source=args.source, neutral=args.neutral,
                   targets=args.targets or (), unit=args.unit)
    set_solve_set(r, args.solve_set)
    files = bridge.save_rig(r, args.out, args.format)
    print("wrote %s: %d targets: %s" % (wrote(files), len(r.targets), ", ".join(r.target_names())))
    return 0


def add_solve_set(p) -> None:
    p.add_argument("--solve-set", metavar="FILE|NAME,NAME,...",
                   help="the targets the solve drives (the rest get weight 0 in solved clips): "
                        "a text file of target names (whitespace- or comma-separated, # starts "
                        "a comment) or a comma-separated list; default: every target")


def set_solve_set(rig, spec) -> None:
    """Set ``rig.solve_set`` from ``--solve-set`` (a file of names, or NAME,NAME,...)."""
    import os

    from microexpr.bridge.models import check_solve_set

    if spec is None:
        return
    where = None
    if os.path.isfile(spec):
        where = spec
        with open(spec, encoding="utf-8") as f:
            text = " ".join(line.split("#", 1)[0] for line in f)
    elif os.sep in spec or spec.lower().endswith(".txt"):
        raise MicroExprError("no such file", file=spec, field="--solve-set",
                             fix="give a file of target names, or NAME,NAME,...")
    else:
        text = spec
    names = [n for n in text.replace(",", " ").split() if n]
    try:
        rig.solve_set = names
        check_solve_set(rig, rig.target_names())
    except ValueError as exc:
        rig.solve_set = None
        raise MicroExprError(str(exc), file=where, field="--solve-set",
                             fix="name targets of the rig: " + ", ".join(rig.target_names()[:8])
                                 + (", ..." if len(rig.targets) > 8 else "")) from None
