"""Stand-in (NOT Maya): ``cmds.file(path, open=True, force=True)`` for the batch exporter.

``cmds.file`` itself is registered by :mod:`.cmds_misc` (new, rename, save, reference); its
``save`` pickles the scene :class:`~.scene.State`. This module adds ``open`` on top of that
command: the registered command runs first, and only when it reports ``open`` as not
implemented does the call come here, so an ``open`` added to ``cmds_misc`` later wins.

Opening reads such a pickle into a new scene (loaded plug-ins stay loaded, as in Maya) and
names the scene after the file. A file that is not a stand-in scene fails with
:class:`~.scene.MayaError`, the RuntimeError Maya raises for an unreadable scene.
"""
from __future__ import annotations

import os
import pickle
from typing import Any

from . import cmds_misc  # noqa: F401 - registers cmds.file before we extend it
from .registry import COMMANDS
from .scene import MayaError, State
from .state import new_scene

_BASE = COMMANDS["file"]


def open_scene(path: str) -> str:
    """Replace the current scene with the stand-in scene saved at ``path``."""
    full = os.path.abspath(path)
    if not os.path.isfile(full):
        raise MayaError(f'file: File not found: "{path}"')
    try:
        with open(full, "rb") as f:
            state = pickle.load(f)
    except Exception as exc:  # any unpickling problem: not a scene file
        raise MayaError(f"file: Error reading file. {full} is not a valid scene "
                        f"({type(exc).__name__})") from None
    if not isinstance(state, State):
        raise MayaError(f"file: Error reading file. {full} is not a valid scene")
    scene = new_scene()
    scene.state = state
    scene.file_name = full
    return full


def _file(*args: Any, **flags: Any) -> Any:
    if flags.get("open"):
        try:
            return _BASE(*args, **flags)
        except NotImplementedError:
            pass
        if not args:
            raise MayaError("file: open needs a file name")
        return open_scene(str(args[0]))
    return _BASE(*args, **flags)


_file.__wrapped__ = _BASE  # type: ignore[attr-defined]
COMMANDS["file"] = _file
