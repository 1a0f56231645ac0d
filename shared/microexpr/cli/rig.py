"""``microexpr rig build`` and ``microexpr rig import``."""
from __future__ import annotations

from microexpr.cli.main import command
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = sub.add_parser("rig", help="build a rig from a preset, or import existing targets",
                       description="Build a rig (bridge JSON) from soft-mod presets, or import "
                                   "one from existing target meshes.")
    rs = p.add_subparsers(dest="rig_command", metavar="ACTION")
    b = command(rs, "build", "generate one target per preset expression with soft-mods",
                "microexpr rig build --preset table1 --out face_rig.json\n"
                "  microexpr rig build --mesh head.obj --landmark-vertices head_lm.txt "
                "--preset arkit --out head_rig.json")
    b.add_argument("--mesh", help="neutral mesh (.obj); default: the embedded default face")
    b.add_argument("--landmark-vertices", help="68 whitespace-separated 0-based vertex indices "
                                               "(required with --mesh)")
    b.add_argument("--preset", default="table1", help="table1 (the paper's Table 1) or arkit")
    b.add_argument("--unit", default="cm", choices=["mm", "cm", "m", "in"],
                   help="length unit of the mesh (default cm)")
    b.add_argument("--out", required=True, help="rig JSON to write")
    b.set_defaults(run=run_build)
    i = command(rs, "import", "build a rig from a neutral mesh and existing target meshes",
                "microexpr rig import --neutral neutral.obj --targets shapes/ "
                "--landmark-vertices lm.txt --out rig.json\n"
                "  microexpr rig import --from face.fbx --landmark-vertices lm.txt --out rig.json")
    i.add_argument("--neutral", help="neutral mesh .obj")
    i.add_argument("--targets", nargs="+", help="a folder of target .obj files or the files; "
                                                "target name = file stem")
    i.add_argument("--from", dest="source", help="an FBX, glTF/GLB or Collada file whose mesh "
                                                 "carries blend shapes")
    i.add_argument("--landmark-vertices", required=True,
                   help="68 whitespace-separated 0-based vertex indices")
    i.add_argument("--unit", default="cm", choices=["mm", "cm", "m", "in"])
    i.add_argument("--out", required=True, help="rig JSON to write")
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

        if not args.landmark_vertices:
            raise MicroExprError("--mesh needs --landmark-vertices", field="--landmark-vertices",
                                 fix="give the mesh's 68 landmark vertex indices")
        mesh = read_obj(args.mesh, name="skin")
        lv = landmarks.read_landmark_vertices(args.landmark_vertices, mesh.vertex_count)
        extra = []
    else:
        from microexpr.rig.face import default_face

        face = default_face()
        mesh, lv, extra = face.skin, face.landmark_vertices, [face.eyes]
        if args.landmark_vertices:
            lv = landmarks.read_landmark_vertices(args.landmark_vertices, mesh.vertex_count)
    r = rig.build_rig(mesh, lv, args.preset, extra_meshes=extra, unit=args.unit)
    bridge.save_rig(r, args.out)
    print("wrote %s: %d targets (%s preset) on %d vertices"
          % (args.out, len(r.targets), args.preset, mesh.vertex_count))
    return 0


def run_import(args) -> int:
    from microexpr import bridge
    from microexpr.rig.convert import import_rig

    r = import_rig(args.landmark_vertices, source=args.source, neutral=args.neutral,
                   targets=args.targets or (), unit=args.unit)
    bridge.save_rig(r, args.out)
    print("wrote %s: %d targets: %s" % (args.out, len(r.targets), ", ".join(r.target_names())))
    return 0
