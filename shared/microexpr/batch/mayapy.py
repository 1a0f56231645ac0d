"""The ``mayapy`` job kind: a Maya scene through the Maya module's batch exporter.

The worker runs ``MAYAPY .../maya_plugin/scripts/microexpr_maya/batch.py SCENE --out STAGING
[--fbx]`` in a subprocess (Maya itself never loads into a worker), then moves what it wrote
into the take's folder, one atomic rename per file. ``MAYAPY`` is the job's ``mayapy``
setting, else ``$MICROEXPR_MAYAPY``, else ``mayapy`` on the PATH; the script is the job's
``maya_batch`` setting, else ``$MICROEXPR_MAYA_BATCH``, else the one in this repository.
"""
from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import tempfile
from typing import Dict, List

from microexpr.batch.manifest import Job
from microexpr.batch.records import STAGING
from microexpr.errors import MicroExprError

#: seconds one scene may take before its mayapy is stopped
TIMEOUT = 3600.0


def maya_batch_script(given: str = "") -> str:
    """The Maya module's ``batch.py``."""
    path = given or os.environ.get("MICROEXPR_MAYA_BATCH", "")
    if not path:
        repo = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
            os.path.abspath(__file__)))))
        path = os.path.join(repo, "maya_plugin", "scripts", "microexpr_maya", "batch.py")
    if not os.path.isfile(path):
        raise MicroExprError("the Maya batch exporter is not at %s" % path, field="maya_batch",
                             fix="set MICROEXPR_MAYA_BATCH (or the maya_batch column) to "
                                 ".../maya_plugin/scripts/microexpr_maya/batch.py")
    return path


def mayapy_command(given: str = "") -> List[str]:
    """How to start mayapy, as a list of words."""
    words = shlex.split(given or os.environ.get("MICROEXPR_MAYAPY", "") or "mayapy")
    if not words:
        raise MicroExprError("empty mayapy command", field="mayapy",
                             fix="e.g. /usr/autodesk/maya2024/bin/mayapy")
    return words


def _tail(text: str, lines: int = 6) -> str:
    return " | ".join(ln.strip() for ln in text.strip().splitlines()[-lines:] if ln.strip())


def run_scene(job: Job, folder: str) -> Dict[str, str]:
    """Export every rig of the scene ``job.input`` into ``folder``; label -> file name."""
    cmd = mayapy_command(job.settings.get("mayapy", "")) + [
        maya_batch_script(job.settings.get("maya_batch", "")), job.input]
    staging = tempfile.mkdtemp(prefix=STAGING, dir=folder)
    try:
        cmd += ["--out", staging] + (["--fbx"] if "fbx" in job.outputs else [])
        try:
            proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT,
                                  stdin=subprocess.DEVNULL)
        except FileNotFoundError:
            raise MicroExprError("cannot start %s" % cmd[0], file=job.input, field="mayapy",
                                 fix="give the full path of Maya's mayapy (--mayapy, the mayapy "
                                     "column or $MICROEXPR_MAYAPY)") from None
        except subprocess.TimeoutExpired:
            raise MicroExprError("mayapy ran longer than %.0f s" % TIMEOUT, file=job.input,
                                 fix="open the scene in Maya and check it") from None
        if proc.returncode != 0:
            raise MicroExprError("mayapy batch export failed (exit %d): %s" % (
                proc.returncode, _tail(proc.stdout + "\n" + proc.stderr)), file=job.input,
                fix="see the scene's line above; run the same command by hand to see all")
        files: Dict[str, str] = {}
        for name in sorted(os.listdir(staging)):
            stem, ext = os.path.splitext(name)
            os.replace(os.path.join(staging, name), os.path.join(folder, name))
            files["%s:%s" % ("fbx" if ext.lower() == ".fbx" else "json", stem)] = name
        if not files:
            raise MicroExprError("mayapy wrote nothing", file=job.input,
                                 fix="check that the scene holds a MicroExpr rig")
        return files
    finally:
        shutil.rmtree(staging, ignore_errors=True)
