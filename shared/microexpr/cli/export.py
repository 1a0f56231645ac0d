"""``microexpr export``: a rig (and a clip) to FBX and glTF."""
from __future__ import annotations

from ..errors import MicroExprError
from .main import command


def add_parser(sub) -> None:
    p = command(sub, "export", "write a rig (and its clip) as FBX and/or glTF",
                "microexpr export --rig face_rig.json --clip clip.json --fbx face.fbx --glb face.glb")
    p.add_argument("--rig", required=True, help="rig JSON")
    p.add_argument("--clip", help="clip JSON: written as animated blend-shape weights")
    p.add_argument("--fbx", help="binary FBX 7.4 to write (cm, Y up; DeformPercent 0-100)")
    p.add_argument("--fbx-version", type=int, default=7400, choices=[7400, 7500])
    g = p.add_mutually_exclusive_group()
    g.add_argument("--glb", help="binary glTF 2.0 to write (metres, Y up; weights 0-1)")
    g.add_argument("--gltf", help="glTF 2.0 JSON with the buffer embedded")
    p.set_defaults(run=run)


def run(args) -> int:
    from .. import bridge
    from ..scene_rig import rig_to_scene

    if not (args.fbx or args.glb or args.gltf):
        raise MicroExprError("nothing to write", field="--fbx/--glb/--gltf",
                             fix="name at least one output file")
    rig = bridge.load_rig(args.rig)
    clip = bridge.load_clip(args.clip) if args.clip else None
    if clip is not None and clip.rig_fingerprint and clip.rig_fingerprint != rig.mesh().fingerprint:
        raise MicroExprError("the clip was made for another mesh (fingerprint %s, rig %s)"
                             % (clip.rig_fingerprint, rig.mesh().fingerprint), file=args.clip,
                             field="rig_fingerprint", fix="export the clip with its own rig")
    scene = rig_to_scene(rig, clip)
    written = []
    if args.fbx:
        from ..formats.fbx_export import write_fbx

        write_fbx(scene, args.fbx, version=args.fbx_version)
        written.append(args.fbx)
    out = args.glb or args.gltf
    if out:
        from ..formats.gltf_export import write_gltf

        write_gltf(scene, out)
        written.append(out)
    print("wrote %s: %d mesh(es), %d targets%s" % (
        ", ".join(written), len(scene.meshes), len(rig.targets),
        "" if clip is None else ", %d frames at %g fps" % (len(clip.weights), clip.fps)))
    return 0
