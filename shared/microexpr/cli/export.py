"""``microexpr export``: a rig (and a clip) to FBX and glTF."""
from __future__ import annotations

from microexpr.cli.main import command


def add_parser(sub) -> None:
    p = command(sub, "export", "write a rig (and its clip) as FBX and/or glTF",
                "microexpr export --rig face_rig.json --clip clip.json --fbx face.fbx --glb face.glb")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
    p.add_argument("--clip", help="clip file (.microexpr or JSON): written as animated blend-shape weights")
    p.add_argument("--fbx", help="binary FBX 7.4 to write (cm, Y up; DeformPercent 0-100)")
    p.add_argument("--fbx-version", type=int, default=7400, choices=[7400, 7500])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--glb", help="binary glTF 2.0 to write (metres, Y up; weights 0-1)")
    g.add_argument("--gltf", help="glTF 2.0 JSON with the buffer embedded")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.rig.convert import export_rig

    rig = bridge.load_rig(args.rig)
    clip = bridge.load_clip(args.clip) if args.clip else None
    written = export_rig(rig, clip, fbx=args.fbx, glb=args.glb, gltf=args.gltf,
                         fbx_version=args.fbx_version, clip_file=args.clip)
    print("wrote %s: %d mesh(es), %d targets%s" % (
        ", ".join(written), len(rig.meshes), len(rig.targets),
        "" if clip is None else ", %d frames at %g fps" % (len(clip.weights), clip.fps)))
    return 0
