"""Fake ``maya.mel`` of the Maya stand-in (NOT Maya): records every ``mel.eval`` string.

Understands only what MicroExpr sends: reading ``$gMainProgressBar`` and the FBX export
commands of the ``fbxmaya`` plug-in (which must be loaded first, as in Maya).  Anything else
raises, so an unexpected MEL call is caught by the tests.  ``FBXExport -f path`` writes a
small text file that says it is a stand-in placeholder (:data:`FBX_PLACEHOLDER`), not an
FBX file, so callers can check that a file appeared where they asked.
"""
from __future__ import annotations

import os
import re
from typing import Any

from .scene import MayaError
from .state import current

FBX = ("FBXResetExport", "FBXExportShapes", "FBXExportSkins", "FBXExportBakeComplexAnimation",
       "FBXExportInAscii", "FBXExportFileVersion", "FBXExportUpAxis", "FBXExportAnimationOnly",
       "FBXExportSmoothingGroups", "FBXExportConstraints", "FBXExportCameras",
       "FBXExportLights", "FBXExport")
FBX_PLACEHOLDER = b"MicroExpr Maya stand-in: FBXExport ran here; this is not an FBX file\n"


def eval(command: str) -> Any:  # noqa: A001 - the name Maya uses
    scene = current()
    text = str(command).strip().rstrip(";").strip()
    scene.mel_log.append(text)
    if "$gMainProgressBar" in text:
        return "MainProgressBar"
    word = text.split()[0] if text else ""
    if word in FBX:
        if "fbxmaya" not in scene.plugins:
            raise MayaError(f'Cannot find procedure "{word}".')
        if word == "FBXExport":
            m = re.search(r'-f\s+"([^"]+)"', text)
            if not m:
                raise MayaError('FBXExport: use -f "path"')
            if "\\" in m.group(1):
                raise MayaError("FBXExport: use forward slashes in the path")
            if not os.path.isdir(os.path.dirname(m.group(1)) or "."):
                raise MayaError(f"FBXExport: cannot write {m.group(1)}")
            with open(m.group(1), "wb") as f:
                f.write(FBX_PLACEHOLDER)
        return None
    raise MayaError(f"stand-in mel.eval does not understand: {text!r}")
