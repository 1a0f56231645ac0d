"""``microexpr landmarks find``: the 68 landmark vertices of a head mesh, found on renders."""
from __future__ import annotations

import json
import os
import textwrap
from typing import Any, List, Optional, Tuple

from microexpr.cli.main import command
from microexpr.errors import MicroExprError

AXES = ["X", "+X", "-X", "Y", "+Y", "-Y", "Z", "+Z", "-Z"]


def add_parser(sub) -> None:
    from microexpr.capture import MODEL_LICENCE

    p = command(sub, "landmarks", "markerless binding: find the 68 landmark vertices of a "
                                  "head mesh on renders (dlib), for --landmark-vertices",
                "microexpr landmarks find --mesh head.obj --out head_lm.txt --preview head_lm.png")
    ls = p.add_subparsers(dest="landmarks_command", metavar="ACTION")
    f = command(ls, "find", "render the mesh front on, find the 68 landmarks with dlib and "
                            "write their vertex indices",
                "microexpr landmarks find --mesh head.obj --out head_lm.txt "
                "--preview head_lm.png\n"
                "  microexpr landmarks find --mesh head.fbx --mesh-name Head --out head_lm.txt "
                "--report head_lm.json\n"
                "  microexpr landmarks find --mesh scan.obj --up Z --front -Y --out scan_lm.txt")
    f.epilog = (f.epilog or "") + "\n\nlicence of the landmark model:\n" + textwrap.fill(
        MODEL_LICENCE, 88, initial_indent="  ", subsequent_indent="  ")
    f.add_argument("--mesh", required=True,
                   help="head mesh: .obj, .fbx, .glb/.gltf or .dae; the skin is the largest "
                        "mesh (or --mesh-name), other meshes (eyes, teeth) are drawn but "
                        "never bound")
    f.add_argument("--out", required=True,
                   help="landmark-vertex file to write: 68 0-based vertex indices, the format "
                        "of --landmark-vertices")
    f.add_argument("--preview", metavar="OUT.png",
                   help="also write the render with the 68 landmarks and their numbers "
                        "(written even when nothing is bound)")
    f.add_argument("--report", metavar="OUT.json",
                   help="also write a JSON report: axes, renders, a confidence per landmark")
    f.add_argument("--mesh-name", help="the skin mesh's name in an FBX, glTF or Collada file")
    f.add_argument("--up", choices=AXES, type=str.upper,
                   help="the head's up axis in the mesh's coordinates (default: the file's; "
                        "an OBJ has none: Y, else every axis is tried)")
    f.add_argument("--front", choices=AXES, type=str.upper,
                   help="the axis the face looks along (default: the file's, +Z)")
    f.add_argument("--model", help="dlib 68-point shape predictor .dat "
                                   "(default: the one from face_recognition_models)")
    f.set_defaults(run=run_find)

    def show_help(_args) -> int:
        p.print_help()
        return 2

    p.set_defaults(run=show_help)


def load_head(path: str, mesh_name: Optional[str] = None):
    """(skin mesh, other meshes, whether the file states its axes) from a head file.

    OBJ: the whole file is one mesh (eyes or teeth in it are told apart as separate
    shells) and has no axes. FBX, glTF/GLB, Collada: the readers return +Y up, +Z front;
    the skin is the mesh named ``mesh_name``, else the one with the most vertices."""
    ext = os.path.splitext(path)[1].lower()
    if ext == ".obj":
        from microexpr.formats.obj import read_obj

        if mesh_name:
            raise MicroExprError("an OBJ file is read as one mesh", file=path,
                                 field="--mesh-name",
                                 fix="leave --mesh-name out: separate shells (eyes, teeth) in "
                                     "the OBJ are found and never bound")
        return read_obj(path), [], False
    from microexpr.formats.readers import read_scene

    meshes = [m.mesh for m in read_scene(path).meshes]
    if not meshes:
        raise MicroExprError("the file holds no mesh", file=path, field="--mesh",
                             fix="export the head mesh into it")
    if mesh_name:
        named = [m for m in meshes if m.name == mesh_name]
        if not named:
            raise MicroExprError("no mesh named %r" % mesh_name, file=path, field="--mesh-name",
                                 fix="use one of: " + ", ".join(repr(m.name) for m in meshes))
        skin = named[0]
    else:
        skin = max(meshes, key=lambda m: m.vertex_count)
    return skin, [m for m in meshes if m is not skin], True


def find(path: str, mesh_name: Optional[str] = None, up: Optional[str] = None,
         front: Optional[str] = None, model: Optional[str] = None):
    """The markerless binding of the head in ``path`` (see :func:`load_head`)."""
    from microexpr.capture.markerless import find_landmarks

    skin, others, stated = load_head(path, mesh_name)
    return find_landmarks(skin, others, up=up, front=front, stated_axes=stated, model=model,
                          source=path)


def summary(binding) -> List[str]:
    """Lines telling what was found and which landmarks to check."""
    r = binding.report
    lines = ["%d landmark vertices on %r (%s up, %s front), %d of %d renders agree, "
             "mean confidence %.2f, %.1f s"
             % (len(binding.vertices), r.get("mesh"), binding.up, binding.front,
                r.get("renders_with_face", 0), r.get("renders_tried", 0),
                float(binding.confidence.mean()), r.get("seconds", 0.0))]
    weak = [lm for lm in r.get("landmarks", []) if lm["confidence"] < 0.3]
    if weak:
        lines.append("check these landmarks (confidence < 0.3): " + ", ".join(
            "%d %s" % (lm["index"], lm["name"]) for lm in weak))
    return lines


def _write_extras(args, preview, report) -> List[str]:
    from microexpr.atomicio import write_bytes, write_text

    files = []
    if args.preview and preview is not None:
        from microexpr.capture.bind_preview import png

        write_bytes(args.preview, png(preview))
        files.append(args.preview)
    if args.report and report:
        write_text(args.report, json.dumps(report, indent=1) + "\n")
        files.append(args.report)
    return files


def run_find(args) -> int:
    from microexpr.capture.markerless import LandmarkError
    from microexpr.landmarks import write_landmark_vertices

    try:
        binding = find(args.mesh, args.mesh_name, args.up, args.front, args.model)
    except LandmarkError as exc:
        from microexpr.atomicio import immediate

        with immediate():           # documented: written even when nothing is bound
            files = _write_extras(args, exc.preview, exc.report)
        if files:
            print("wrote %s (no landmark file: nothing was bound)" % ", ".join(files))
        raise
    write_landmark_vertices(args.out, binding.vertices)
    files = [args.out] + _write_extras(args, binding.preview, binding.report)
    print("wrote %s" % ", ".join(files))
    for line in summary(binding):
        print("  " + line)
    return 0


def landmarks_for_rig(path: str) -> Tuple[Any, List[str]]:
    """For ``rig build --mesh`` without ``--landmark-vertices``: the binding and the lines
    that say so."""
    binding = find(path)
    lines = ["no --landmark-vertices: found them on renders of the mesh "
             "(microexpr landmarks find)"] + summary(binding)
    lines.append("to check or keep them: microexpr landmarks find --mesh %s --out lm.txt "
                 "--preview lm.png" % path)
    return binding, lines
