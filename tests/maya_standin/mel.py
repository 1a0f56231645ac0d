"""Fake ``maya.mel`` of the Maya stand-in (NOT Maya): records every ``mel.eval`` string.

Understands only what MicroExpr sends: reading ``$gMainProgressBar`` and the FBX export
commands of the ``fbxmaya`` plug-in (which must be loaded first, as in Maya).  Anything else
raises, so an unexpected MEL call is caught by the tests.
"""
from __future__ import annotations

import re
from typing import Any

from .scene import MayaError
from .state import current

FBX = ("FBXResetExport", "FBXExportShapes", "FBXExportSkins", "FBXExportBakeComplexAnimation",
       "FBXExportInAscii", "FBXExportFileVersion", "FBXExportUpAxis", "FBXExportAnimationOnly",
       "FBXExportSmoothingGroups", "FBXExportConstraints", "FBXExportCameras",
       "FBXExportLights", "FBXExport")


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
        return None
    raise MayaError(f"stand-in mel.eval does not understand: {text!r}")
