"""Smoke test for the first person with a real Maya: ``mayapy tests/maya/smoke_real_maya.py``.

Runs the module end to end in a fresh mayapy and prints one line per step, ``PASS``,
``FAIL`` (with the error) or ``SKIP`` (a step it needs failed), then a summary line:

1. start Maya (``maya.standalone.initialize``), 2. load both plug-ins, 3./4. bind key points
on a ``polySphere`` and generate its targets, 5./6. the same on the default face (from a
landmark file), 7. export the face rig as JSON and FBX, 8. save the scene as ``.ma``,
9. reopen it and drive a key point, 10. run the batch exporter on the saved scene in a new
mayapy process (``mayapy .../batch.py``).

Options: ``--out DIR`` keeps the files (default: a new temporary folder, printed);
``--mayapy CMD`` is how step 10 starts mayapy (default: this interpreter).  The exit code
is 0 when every step passed, 1 otherwise.  The script needs no installed module: it puts
the repository's ``shared`` and ``maya_plugin/scripts`` folders on ``sys.path`` itself.

The test suite runs this file through the stand-in's mayapy emulation
(``tests/maya_standin/mayapy.py``, an in-memory test double, not Maya), so it uses only
what that stand-in models.
"""
from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import traceback
from typing import Any, Callable, Dict, List, NamedTuple, Optional, Sequence, Tuple

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
SHARED = os.path.join(REPO, "shared")
SCRIPTS = os.path.join(REPO, "maya_plugin", "scripts")
PLUG_INS = os.path.join(REPO, "maya_plugin", "plug-ins")
BATCH = os.path.join(SCRIPTS, "microexpr_maya", "batch.py")
PLUGINS = ("microexpr_plugin", "microexpr_deformer")


class Step(NamedTuple):
    """One line of the report: ``run(ctx)`` returns a short detail or raises."""

    name: str
    needs: Tuple[str, ...]
    run: Callable[[Dict[str, Any]], str]


def check(ok: Any, problem: str) -> None:
    if not ok:
        raise AssertionError(problem)


# ------------------------------------------------------------------ steps
def start_maya(ctx: Dict[str, Any]) -> str:
    import maya.standalone

    try:
        maya.standalone.initialize(name="python")
    except RuntimeError:  # already running (inside Maya)
        pass
    from maya import cmds

    return "Maya %s, batch mode %s" % (cmds.about(version=True), cmds.about(batch=True))


def load_plugins(ctx: Dict[str, Any]) -> str:
    from maya import cmds

    from microexpr_maya.nodes import LOCATOR_TYPE, MANIPULATOR_TYPE

    cmds.loadPlugin(os.path.join(PLUG_INS, "microexpr_plugin.py"), quiet=True)
    for name in PLUGINS:
        check(cmds.pluginInfo(name, query=True, loaded=True), "%s is not loaded" % name)
    nodes = [n for p in PLUGINS for n in (cmds.pluginInfo(p, query=True, dependNode=True) or [])]
    check(LOCATOR_TYPE in nodes and MANIPULATOR_TYPE in nodes,
          "node types registered: %s" % nodes)
    commands = cmds.pluginInfo(PLUGINS[0], query=True, command=True) or []
    check(len(commands) == 5, "commands registered: %s" % commands)
    return "%s; nodes %s; %d commands" % (", ".join(PLUGINS), ", ".join(nodes), len(commands))


def sphere_vertices(points: Any, landmarks: Any) -> List[int]:
    """68 distinct sphere vertices under the default face's landmarks, seen from the front
    (+Z): the nearest unused vertex to each landmark laid on the sphere's front."""
    import numpy as np

    radius = float(np.abs(points).max())
    flat = landmarks[:, :2] - landmarks[:, :2].mean(axis=0)
    flat = flat / np.abs(flat).max() * 0.7 * radius
    front = np.column_stack([flat, np.sqrt(np.maximum(radius ** 2 - (flat ** 2).sum(1), 0))])
    used: List[int] = []
    for p in front:
        order = np.argsort(((points - p) ** 2).sum(axis=1))
        used.append(int(next(i for i in order if int(i) not in used)))
    return used


def bind_sphere(ctx: Dict[str, Any]) -> str:
    from maya import cmds

    import microexpr_maya as mx
    from microexpr.rig.face import default_face
    from microexpr.rig.presets import preset_key_points
    from microexpr_maya import scene_io

    cmds.file(newFile=True, force=True)
    sphere = cmds.polySphere(name="smokeSphere", radius=10.0, subdivisionsAxis=40,
                             subdivisionsHeight=30, constructionHistory=False)[0]
    face = default_face(resolution=0.5)
    lm = face.skin.points[face.landmark_vertices]
    points = scene_io.read_points(scene_io.mesh_nodes(sphere)[1])
    handles = mx.bind_key_points(sphere, vertices=sphere_vertices(points, lm), progress=False)
    check(len(handles) == len(preset_key_points("table1")), "%d key points" % len(handles))
    ctx["sphere"] = sphere
    return "%s: %d key points" % (sphere, len(handles))


def _target_moves(bs: str, shape: str) -> Tuple[str, float]:
    """Set the first target to 1 and measure how far the mesh moves; set it back to 0."""
    import numpy as np
    from maya import cmds

    from microexpr_maya import scene_io

    names = (cmds.aliasAttr(bs, query=True) or [])[0::2]
    check(names, "%s has no targets" % bs)
    rest = scene_io.read_points(shape)
    cmds.setAttr("%s.%s" % (bs, names[0]), 1.0)
    moved = float(np.abs(scene_io.read_points(shape) - rest).max())
    cmds.setAttr("%s.%s" % (bs, names[0]), 0.0)
    check(moved > 1e-6, "target %s does not move the mesh" % names[0])
    return names[0], moved


def generate_sphere(ctx: Dict[str, Any]) -> str:
    from maya import cmds

    import microexpr_maya as mx
    from microexpr_maya import scene_io

    bs = mx.generate_blendshapes(ctx["sphere"], progress=False)
    name, moved = _target_moves(bs, scene_io.mesh_nodes(ctx["sphere"])[1])
    count = len((cmds.aliasAttr(bs, query=True) or [])[0::2])
    return "%s: %d targets; %s moves the sphere %.3f cm" % (bs, count, name, moved)


def bind_face(ctx: Dict[str, Any]) -> str:
    import microexpr_maya as mx
    from microexpr.landmarks import write_landmark_vertices
    from microexpr.rig.face import default_face
    from microexpr_maya import scene_io

    face = default_face()
    head = scene_io.create_mesh(face.skin, "smokeHead")
    landmarks = os.path.join(ctx["out"], "smokeHead_landmarks.txt")
    write_landmark_vertices(landmarks, face.landmark_vertices)
    handles = mx.bind_key_points(head, landmark_file=landmarks, progress=False)
    ctx.update(head=head, handles=handles)
    return "%s (%d vertices): %d key points" % (
        head, len(face.skin.points), len(handles))


def generate_face(ctx: Dict[str, Any]) -> str:
    from maya import cmds

    import microexpr_maya as mx
    from microexpr_maya import scene_io

    bs = mx.generate_blendshapes(ctx["head"], progress=False)
    name, moved = _target_moves(bs, scene_io.mesh_nodes(ctx["head"])[1])
    ctx["targets"] = sorted((cmds.aliasAttr(bs, query=True) or [])[0::2])
    ctx["blendshape"] = bs
    return "%s: %d targets; %s moves the face %.3f cm" % (bs, len(ctx["targets"]), name, moved)


def export(ctx: Dict[str, Any]) -> str:
    import microexpr_maya as mx
    from microexpr.bridge import load_rig

    rig_path = os.path.join(ctx["out"], "smokeHead_rig.json")
    fbx_path = os.path.join(ctx["out"], "smokeHead.fbx")
    rig = load_rig(mx.export_rig(ctx["head"], rig_path, fbx_path=fbx_path))
    check(sorted(rig.target_names()) == ctx["targets"],
          "the rig's targets differ from the blendShape's")
    check(os.path.isfile(fbx_path) and os.path.getsize(fbx_path) > 0, "no FBX file written")
    with open(fbx_path, "rb") as f:
        kind = "binary FBX" if f.read(18) == b"Kaydara FBX Binary" else "not a binary FBX"
    return "%s (%d targets); %s: %s, %d bytes" % (
        os.path.basename(rig_path), len(rig.target_names()), os.path.basename(fbx_path), kind,
        os.path.getsize(fbx_path))


def save(ctx: Dict[str, Any]) -> str:
    from maya import cmds

    path = os.path.join(ctx["out"], "smoke_scene.ma")
    cmds.file(rename=path)
    cmds.file(save=True, type="mayaAscii")
    check(os.path.isfile(path), "%s was not written" % path)
    ctx["scene"] = path
    return "%s, %d bytes" % (path, os.path.getsize(path))


def reopen(ctx: Dict[str, Any]) -> str:
    from maya import cmds

    from microexpr_maya import scene_io
    from microexpr_maya.nodes import MANIPULATOR_TYPE

    cmds.file(newFile=True, force=True)
    cmds.file(ctx["scene"], open=True, force=True)
    bs = ctx["blendshape"]
    check(cmds.objExists(bs), "%s is missing after reopening" % bs)
    check(sorted((cmds.aliasAttr(bs, query=True) or [])[0::2]) == ctx["targets"],
          "the targets changed")
    manips = cmds.ls(type=MANIPULATOR_TYPE) or []
    check(manips, "no %s node after reopening" % MANIPULATOR_TYPE)
    shape = scene_io.mesh_nodes(ctx["head"])[1]
    rest = scene_io.read_points(shape)
    handle = ctx["handles"][0]
    cmds.setAttr(handle + ".translateY", 0.5)
    moved = float(abs(scene_io.read_points(shape) - rest).max())
    cmds.setAttr(handle + ".translateY", 0.0)
    check(moved > 1e-6, "moving %s does not move the face" % handle)
    return "%d targets, %d manipulators; %s moves the face %.3f cm" % (
        len(ctx["targets"]), len(manips), scene_io.short_name(handle), moved)


def batch(ctx: Dict[str, Any]) -> str:
    out = os.path.join(ctx["out"], "batch")
    cmd = list(ctx["mayapy"]) + [BATCH, ctx["scene"], "--out", out]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
    sys.stdout.write("".join("      | " + ln + "\n" for ln in proc.stdout.splitlines()))
    check(proc.returncode == 0, "exit code %d: %s" % (proc.returncode, proc.stderr.strip()[-400:]))
    files = sorted(os.listdir(out))
    check(any(f.endswith(".json") for f in files), "no JSON in %s" % out)
    return "%s -> %s" % (" ".join(shlex.quote(c) for c in cmd[-4:]), ", ".join(files))


STEPS = (
    Step("start Maya", (), start_maya),
    Step("load both plug-ins", ("start Maya",), load_plugins),
    Step("bind on a polySphere", ("load both plug-ins",), bind_sphere),
    Step("generate on the polySphere", ("bind on a polySphere",), generate_sphere),
    Step("bind on the default face", ("load both plug-ins",), bind_face),
    Step("generate on the default face", ("bind on the default face",), generate_face),
    Step("export JSON and FBX", ("generate on the default face",), export),
    Step("save the scene", ("generate on the default face",), save),
    Step("reopen the scene", ("save the scene",), reopen),
    Step("batch export in a new mayapy", ("save the scene",), batch),
)


# ------------------------------------------------------------------ running
def run_steps(steps: Sequence[Step], ctx: Dict[str, Any]) -> Tuple[int, int, int]:
    """Run and report every step; returns (passed, failed, skipped)."""
    status: Dict[str, str] = {}
    for step in steps:
        missing = [n for n in step.needs if status.get(n) != "PASS"]
        if missing:
            status[step.name] = "SKIP"
            print("SKIP  %s  (needs: %s)" % (step.name, ", ".join(missing)))
            continue
        try:
            detail = step.run(ctx)
        except Exception as exc:
            status[step.name] = "FAIL"
            lines = str(exc).strip().splitlines()
            print("FAIL  %s  %s: %s" % (step.name, type(exc).__name__, lines[0] if lines else ""))
            traceback.print_exc(file=sys.stderr)
        else:
            status[step.name] = "PASS"
            print("PASS  %s  %s" % (step.name, detail))
        sys.stdout.flush()
    counts = [sum(1 for s in status.values() if s == k) for k in ("PASS", "FAIL", "SKIP")]
    print("SMOKE %s: %d passed, %d failed, %d skipped" % (
        "PASSED" if counts[0] == len(steps) else "FAILED", counts[0], counts[1], counts[2]))
    return counts[0], counts[1], counts[2]


def bootstrap_paths() -> None:
    """Make the core and the Maya package importable; put our plug-ins on the plug-in path."""
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == HERE:
        del sys.path[0]  # this folder holds test modules, not ours to import
    for path in (SHARED, SCRIPTS):
        if path not in sys.path:
            sys.path.insert(0, path)
    current = os.environ.get("MAYA_PLUG_IN_PATH", "")
    if PLUG_INS not in current.split(os.pathsep):
        os.environ["MAYA_PLUG_IN_PATH"] = os.pathsep.join(p for p in (current, PLUG_INS) if p)


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(prog="mayapy tests/maya/smoke_real_maya.py",
                                     description="Smoke-test MicroExpr in a real Maya.")
    parser.add_argument("--out", help="folder for the files (default: a new temporary one)")
    parser.add_argument("--mayapy", help="how to start mayapy for the batch step "
                                         "(default: this interpreter)")
    args = parser.parse_args(argv)
    out = os.path.abspath(args.out) if args.out else tempfile.mkdtemp(prefix="microexpr_smoke_")
    os.makedirs(out, exist_ok=True)
    print("MicroExpr smoke test; files in %s" % out)
    bootstrap_paths()
    mayapy = shlex.split(args.mayapy) if args.mayapy else [sys.executable]
    passed, failed, skipped = run_steps(STEPS, {"out": out, "mayapy": mayapy})
    return 0 if failed == 0 and skipped == 0 else 1


def finish(code: int) -> None:
    """Flush and leave without Maya's exit handlers (Maya tends to crash while shutting
    down); on Windows ``uninitialize`` first, as ``microexpr_maya.batch`` does."""
    sys.stdout.flush()
    sys.stderr.flush()
    if sys.platform.startswith("win"):
        try:
            import maya.standalone

            maya.standalone.uninitialize()
        except Exception:
            pass
    os._exit(code)


if __name__ == "__main__":
    finish(main())
