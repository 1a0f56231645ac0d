"""Headless batch export: every MicroExpr rig in every scene, one failure at a time.

    mayapy /path/to/microexpr/maya_plugin/scripts/microexpr_maya/batch.py SCENE... --out DIR [--fbx]

Run it by path, not as ``mayapy -m microexpr_maya.batch``: a fresh mayapy has not read the
Maya modules yet (Maya reads them when ``maya.standalone.initialize`` starts it), so the
module's ``PYTHONPATH`` is not on ``sys.path`` when ``-m`` looks for the package.  Run by
path, the script puts its own ``scripts`` folder and the repository's ``shared`` folder on
``sys.path`` and the repository's ``plug-ins`` folder on ``MAYA_PLUG_IN_PATH`` before it
imports anything of ours, so it works with or without the module installed.

Each scene is opened with ``cmds.file(open=True, force=True)``; its rigs are the mesh
transforms carrying ``microexprLandmarks`` plus the blendShape nodes marked
``microexprBlendShape`` whose mesh has no landmarks. Each rig goes through
:func:`microexpr_maya.export_rig` to ``DIR/<scene>_<rig>.json`` (and ``.fbx`` with
``--fbx``). A scene or rig that fails is reported and the rest still run. A summary table
ends the run; the exit code is 0 when everything exported, 1 when something failed or a
scene had no rig, 2 for bad usage.

Maya tends to crash while shutting down, so the process ends with ``os._exit`` after
flushing output; ``maya.standalone.uninitialize`` is called first only on Windows (where
skipping it is known to cause trouble) and only if this script started Maya.

The tests run this exact command line through a mayapy emulation
(``tests/maya_standin/mayapy.py``: the in-memory stand-in, not Maya).
"""
from __future__ import annotations

# Absolute imports of microexpr_maya only, inside functions: run by path this file is
# "__main__" (not part of the package), and Maya must be started before they run.
import argparse
import os
import sys
from typing import Any, List, NamedTuple, Optional, Sequence

_HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPTS = os.path.dirname(_HERE)
REPO = os.path.dirname(os.path.dirname(SCRIPTS))
SHARED = os.path.join(REPO, "shared")
PLUG_INS = os.path.join(REPO, "maya_plugin", "plug-ins")

#: True once this module called maya.standalone.initialize (so it may uninitialize).
_STARTED: List[bool] = [False]


class Result(NamedTuple):
    """One line of the summary."""

    scene: str
    rig: str
    ok: bool
    detail: str  # the output path, or the error message


def bootstrap_paths() -> None:
    """Make ``microexpr`` and ``microexpr_maya`` importable without an installed module.

    Run by path, Python put this file's own folder first on ``sys.path``; it is taken off
    again, so our module names (``undo``, ``shelf``, ...) cannot shadow anyone else's.
    """
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == _HERE:
        del sys.path[0]
    for path in (SHARED, SCRIPTS):
        if os.path.isdir(path) and path not in sys.path:
            sys.path.insert(0, path)
    current = os.environ.get("MAYA_PLUG_IN_PATH", "")
    if os.path.isdir(PLUG_INS) and PLUG_INS not in current.split(os.pathsep):
        os.environ["MAYA_PLUG_IN_PATH"] = os.pathsep.join(p for p in (current, PLUG_INS) if p)


def start_maya() -> None:
    """``maya.standalone.initialize`` unless Maya is already running (GUI or earlier call)."""
    import maya.standalone

    try:
        maya.standalone.initialize(name="python")
    except RuntimeError:  # inside interactive Maya, or already initialized
        return
    _STARTED[0] = True


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="mayapy batch.py",
        description="Open Maya scenes headless and export every MicroExpr rig in them.")
    p.add_argument("scenes", nargs="+", metavar="SCENE", help="Maya scene files (.ma/.mb)")
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the exported files")
    p.add_argument("--fbx", action="store_true", help="also write <scene>_<rig>.fbx")
    return p


def _message(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    first = text[0] if text else ""
    return "%s: %s" % (type(exc).__name__, first) if first else type(exc).__name__


def find_rigs() -> List[str]:
    """Mesh transforms with landmarks, then marked blendShapes of meshes without them."""
    from microexpr_maya import scene_io
    from microexpr_maya._maya import cmds

    rigs: List[str] = []
    for shape in cmds.ls(type="mesh", long=True) or []:
        if cmds.getAttr(shape + ".intermediateObject"):
            continue
        parent: Any = cmds.listRelatives(shape, parent=True, fullPath=True) or []
        if parent and parent[0] not in rigs and scene_io.get_string_attr(
                parent[0], scene_io.LANDMARK_ATTR):
            rigs.append(str(parent[0]))
    for bs in cmds.ls(type="blendShape") or []:
        if not scene_io.get_string_attr(bs, scene_io.BLENDSHAPE_ATTR):
            continue
        meshes = [cmds.listRelatives(g, parent=True, fullPath=True) or [g]
                  for g in scene_io.blendshape_geometry(bs)]
        if not any(m[0] in rigs for m in meshes):
            rigs.append(str(bs))
    return rigs


def _unique(path: str, used: set) -> str:
    stem, ext = os.path.splitext(path)
    n, out = 1, path
    while out.lower() in used:
        n += 1
        out = "%s_%d%s" % (stem, n, ext)
    used.add(out.lower())
    return out


def export_scenes(scenes: Sequence[str], out_dir: str, fbx: bool = False) -> List[Result]:
    """Open each scene and export its rigs; never raises for a scene's failure."""
    import microexpr_maya as mx
    from microexpr_maya import scene_io
    from microexpr_maya._maya import cmds

    results: List[Result] = []
    used: set = set()
    try:
        mx.ensure_plugin()
    except Exception as exc:  # scenes without MicroExpr nodes can still export
        print("warning: MicroExpr plug-in not loaded (%s)" % _message(exc), file=sys.stderr)
    for scene in scenes:
        label = os.path.basename(scene)
        try:
            cmds.file(os.path.abspath(scene), open=True, force=True)
            rigs = find_rigs()
        except Exception as exc:
            results.append(Result(label, "-", False, "cannot open: " + _message(exc)))
            continue
        if not rigs:
            results.append(Result(label, "-", False, "no MicroExpr rig in this scene"))
            continue
        stem = os.path.splitext(label)[0]
        for rig in rigs:
            name = scene_io.short_name(rig)
            base = _unique(os.path.join(out_dir, "%s_%s.json" % (stem, name)), used)
            fbx_path = os.path.splitext(base)[0] + ".fbx" if fbx else None
            try:
                written = mx.export_rig(rig, base, fbx_path=fbx_path)
            except Exception as exc:
                results.append(Result(label, name, False, _message(exc)))
                continue
            detail = written + (" + " + os.path.basename(fbx_path) if fbx_path else "")
            results.append(Result(label, name, True, detail))
    return results


def summary(results: Sequence[Result]) -> str:
    """A plain-text table: scene, rig, status, output or error."""
    rows = [("SCENE", "RIG", "STATUS", "OUTPUT / ERROR")]
    rows += [(r.scene, r.rig, "ok" if r.ok else "FAILED", r.detail) for r in results]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row[:3], widths)) + "  " + row[3]
             for row in rows]
    failed = sum(1 for r in results if not r.ok)
    done = sum(1 for r in results if r.ok)
    lines.append("%d exported, %d failed" % (done, failed))
    return "\n".join(lines)


def main(argv: Optional[Sequence[str]] = None) -> int:
    """Run the export; returns the exit code (0 ok, 1 something failed, 2 usage)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: --help gives 0, errors give 2
        return 0 if not exc.code else 2
    out_dir = os.path.abspath(args.out)
    if os.path.exists(out_dir) and not os.path.isdir(out_dir):
        print("error: --out %s is a file, not a folder" % args.out, file=sys.stderr)
        return 2
    os.makedirs(out_dir, exist_ok=True)
    start_maya()  # before anything imports microexpr_maya (and with it Maya's modules)
    results = export_scenes(args.scenes, out_dir, args.fbx)
    print(summary(results))
    return 0 if results and all(r.ok for r in results) else 1


def finish(code: int) -> None:
    """Flush, shut Maya down where that is safe, and leave without Maya's exit handlers."""
    sys.stdout.flush()
    sys.stderr.flush()
    if _STARTED[0] and sys.platform.startswith("win"):
        try:
            import maya.standalone

            maya.standalone.uninitialize()
        except Exception:
            pass
    os._exit(code)


def _entry() -> None:
    bootstrap_paths()
    try:
        code = main()
    except BaseException as exc:  # an unexpected crash still ends with a code and a message
        print("error: %s" % _message(exc), file=sys.stderr)
        code = 1
    finish(code)


if __name__ == "__main__":
    _entry()
