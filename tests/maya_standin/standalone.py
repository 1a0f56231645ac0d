"""``maya.standalone`` of the stand-in (NOT Maya), and the module files it reads.

In-process tests never call :func:`initialize`: there the stand-in's commands work at once.
The mayapy emulation (:mod:`.mayapy`) switches :data:`STATE` to ``strict``: then, as in a
fresh ``mayapy``, ``maya.cmds`` has no commands until :func:`initialize` runs, and only
:func:`initialize` reads the Maya modules (``.mod`` files) and adds their ``PYTHONPATH``
entries to ``sys.path`` and their ``MAYA_PLUG_IN_PATH`` entries to the environment.  So a
module's packages are not importable before ``initialize``, which is why
``mayapy -m <package of a module>`` cannot work (Autodesk: "When Maya starts up, it will read
in the module description file"; mayapy starts Maya in ``maya.standalone.initialize``).

Module folders searched: ``MAYA_MODULE_PATH``, then ``$MAYA_APP_DIR/<version>/modules`` and
``$MAYA_APP_DIR/modules`` (Linux default for MAYA_APP_DIR: ``~/maya``).  Every file in a
module folder is read (third-party notes say Maya reads them whatever their extension).
The .mod rules modelled: a ``+ [MAYAVERSION:v] [PLATFORM:p] [LOCALE:l] Name Version Path``
header (a relative path is relative to the file's folder); then ``VAR=value``,
``VAR:=relative``, ``VAR+=value``, ``VAR+:=relative`` lines; a blank line or a comment ends
the block; a module root's ``scripts`` and ``plug-ins`` folders are added when they exist.
"""
from __future__ import annotations

import os
import sys
from typing import Any, Dict, List, NamedTuple

#: What the stand-in says it is (``cmds.about(version=True)``) and where it runs.
MAYA_VERSION = "2023"
PLATFORM = {"win32": "win64", "darwin": "mac"}.get(sys.platform, "linux")

#: ``strict``: emulating a fresh mayapy; ``initialized``: initialize() has run.
STATE: Dict[str, bool] = {"strict": False, "initialized": False}


class Module(NamedTuple):
    """One ``+`` block that applies to this Maya: its root and its variable settings."""

    name: str
    version: str
    root: str
    settings: List[Dict[str, str]]  # {"var", "op", "value"} in file order
    file: str


def initialize(name: str = "python") -> None:
    """Start "Maya": read the module files, extend ``sys.path`` and the environment."""
    if STATE["initialized"]:
        return
    STATE["initialized"] = True
    if STATE["strict"]:
        apply_modules(read_modules(module_folders(os.environ)))


def uninitialize() -> None:
    STATE["initialized"] = False


def commands_available() -> bool:
    """False in a strict (mayapy) session before initialize(): ``cmds`` is still empty."""
    return STATE["initialized"] or not STATE["strict"]


def module_folders(environ: Any) -> List[str]:
    folders = [p for p in environ.get("MAYA_MODULE_PATH", "").split(os.pathsep) if p]
    app = environ.get("MAYA_APP_DIR") or os.path.join(os.path.expanduser("~"), "maya")
    folders += [os.path.join(app, MAYA_VERSION, "modules"), os.path.join(app, "modules")]
    return folders


def read_modules(folders: List[str]) -> List[Module]:
    out: List[Module] = []
    for folder in folders:
        if not os.path.isdir(folder):
            continue
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            if os.path.isfile(path):
                out += parse_mod(path)
    return out


def parse_mod(path: str) -> List[Module]:
    """The blocks of one module file that apply to this Maya version and platform."""
    with open(path, encoding="utf-8", errors="replace") as f:
        lines = [line.rstrip("\r\n") for line in f]
    blocks: List[Module] = []
    current: Any = None
    for line in lines:
        text = line.strip()
        if text.startswith("+"):
            current = _header(text[1:].split(), path)
            if current is not None:
                blocks.append(current)
            continue
        if current is None:
            continue
        if not text or text.startswith(("#", "//")):
            current = None  # a blank line or a comment ends the block
            continue
        setting = _setting(text)
        if setting is not None:
            current.settings.append(setting)
    return blocks


def _header(words: List[str], path: str) -> Any:
    tags = {}
    while words and ":" in words[0] and words[0].split(":", 1)[0].isupper():
        key, value = words.pop(0).split(":", 1)
        tags[key] = value
    if len(words) < 3:
        return None
    if tags.get("MAYAVERSION", MAYA_VERSION) != MAYA_VERSION:
        return None
    if tags.get("PLATFORM", PLATFORM) != PLATFORM:
        return None
    root = " ".join(words[2:]).replace("\\", "/")
    if not os.path.isabs(root):
        root = os.path.normpath(os.path.join(os.path.dirname(path), root))
    return Module(words[0], words[1], root, [], path)


def _setting(text: str) -> Any:
    for op in ("+:=", ":=", "+=", "="):
        if op in text:
            var, value = text.split(op, 1)
            if var.strip() and " " not in var.strip():
                return {"var": var.strip(), "op": op, "value": value.strip()}
    return None


def module_paths(module: Module) -> Dict[str, List[str]]:
    """Variable -> paths the module adds (or sets: an "=" line replaces what came before)."""
    out: Dict[str, List[str]] = {}
    for sub, var in (("scripts", "PYTHONPATH"), ("plug-ins", "MAYA_PLUG_IN_PATH")):
        if os.path.isdir(os.path.join(module.root, sub)):
            out.setdefault(var, []).append(os.path.join(module.root, sub))
    for s in module.settings:
        value = s["value"]
        if ":=" in s["op"]:
            value = os.path.normpath(os.path.join(module.root, value))
        if s["op"] in ("=", ":="):
            out[s["var"]] = [value]
        else:
            out.setdefault(s["var"], []).append(value)
    return out


def apply_modules(modules: List[Module]) -> None:
    for module in modules:
        paths = module_paths(module)
        for path in paths.get("PYTHONPATH", []):
            if path not in sys.path:
                sys.path.append(path)
        for var, values in paths.items():
            if var == "PYTHONPATH":
                continue
            old = [p for p in os.environ.get(var, "").split(os.pathsep) if p]
            os.environ[var] = os.pathsep.join(old + [v for v in values if v not in old])
