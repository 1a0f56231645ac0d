#!/usr/bin/env python3
"""Install MicroExpr as a Maya module: write ``microexpr.mod`` into the user's modules folder.

    python install_maya_module.py                      # every Maya version
    python install_maya_module.py --maya-version 2024  # only Maya 2024 (repeatable)
    python install_maya_module.py --uninstall
    python install_maya_module.py --install-deps "C:/Program Files/Autodesk/Maya2024/bin/mayapy.exe"

The module folder is ``$MAYA_APP_DIR/modules``; without MAYA_APP_DIR the per-OS default
(Windows ``~/Documents/maya``, macOS ``~/Library/Preferences/Autodesk/maya``, Linux ``~/maya``)
is used. Autodesk's own pages disagree on the case of the last part (``maya`` on the Maya.env
page, ``Maya`` on the environment-variable page); we use ``maya`` unless only ``Maya`` exists.

The module root is this repository; the file only points at it, so moving the repository
needs a re-run. No shelf file is shipped (so no MAYA_SHELF_PATH line): the shelf is built
once in Maya with ``import microexpr_maya.shelf; microexpr_maya.shelf.build()`` and Maya
keeps it in the user's prefs. After installing it prints the batch-export command (the
exporter is run by path, see ``batch_script``). Standard library only; runs on Python 3.9+.
"""
from __future__ import annotations

import argparse
import os
import re
import shlex
import subprocess
import sys
import tempfile
from typing import Dict, List, Mapping, Optional, Sequence

MOD_NAME = "microexpr.mod"
MODULE_NAME = "MicroExpr"
#: First line of every file this script writes; a comment before the first ``+`` line is
#: outside any module block, so Maya skips it. It is how we recognise our own file.
MARKER = "# MicroExpr module file, written by install_maya_module.py"
PLATFORMS = ("windows", "macos", "linux")
#: What ``--install-deps`` installs into mayapy's user site (kept equal to setup.cfg).
DEPENDENCIES = ("numpy>=1.21", "scipy>=1.7", "pydantic>=2.5,<3")

REPO = os.path.dirname(os.path.abspath(__file__))
#: Module-root-relative folders (the module root is the repository).
SCRIPTS = "maya_plugin/scripts"
PLUG_INS = "maya_plugin/plug-ins"
ICONS = "shelf_icons"
SHARED = "shared"


class InstallError(Exception):
    """A refusal or failure the user can fix; the message says how."""


def current_platform() -> str:
    if sys.platform.startswith("win"):
        return "windows"
    if sys.platform == "darwin":
        return "macos"
    return "linux"


def _home(platform: str, environ: Mapping[str, str]) -> str:
    keys = ("USERPROFILE", "HOME") if platform == "windows" else ("HOME",)
    for key in keys:
        if environ.get(key):
            return environ[key]
    return os.path.expanduser("~")


def maya_app_dir(platform: str, environ: Mapping[str, str]) -> str:
    """MAYA_APP_DIR if set, else the platform default (see the module docstring on case)."""
    if environ.get("MAYA_APP_DIR"):
        return environ["MAYA_APP_DIR"]
    home = _home(platform, environ)
    if platform == "windows":
        parent = os.path.join(home, "Documents")
    elif platform == "macos":
        parent = os.path.join(home, "Library", "Preferences", "Autodesk")
    else:
        parent = home
    lower, upper = os.path.join(parent, "maya"), os.path.join(parent, "Maya")
    if not os.path.isdir(lower) and os.path.isdir(upper):
        return upper
    return lower


def modules_dir(platform: str, environ: Mapping[str, str]) -> str:
    return os.path.join(maya_app_dir(platform, environ), "modules")


def read_version(repo: str = REPO) -> str:
    """``__version__`` of the core package, read as text (nothing is imported)."""
    path = os.path.join(repo, "shared", "microexpr", "_version.py")
    try:
        with open(path, encoding="utf-8") as f:
            match = re.search(r'^__version__\s*=\s*"([^"]+)"', f.read(), re.M)
    except OSError:
        match = None
    return match.group(1) if match else "0.0.0"


def _mod_path(path: str, platform: str) -> str:
    """Forward slashes everywhere (Maya turns backslashes into slashes anyway)."""
    return path.replace("\\", "/") if platform == "windows" else path


def module_text(platform: str, repo: str = REPO, versions: Sequence[str] = ()) -> str:
    """The .mod text for module root ``repo`` (absolute): the marker line, then one block
    per Maya version (or one for all versions).

    Inside a block there are no blank lines and no comments: either stops Maya reading
    the block.
    """
    root = _mod_path(repo, platform)
    body = ["PYTHONPATH+:=" + SCRIPTS, "PYTHONPATH+:=" + SHARED,
            "MAYA_PLUG_IN_PATH+:=" + PLUG_INS,
            "XBMLANGPATH+:=" + ICONS + ("/%B" if platform == "linux" else "")]
    lines = [MARKER]
    for version in (list(versions) or [""]):
        tag = "MAYAVERSION:%s " % version if version else ""
        lines.append("+ %s%s %s %s" % (tag, MODULE_NAME, read_version(repo), root))
        lines.extend(body)
    return "\n".join(lines) + "\n"


def is_ours(path: str) -> bool:
    try:
        with open(path, encoding="utf-8", errors="replace") as f:
            return f.readline().rstrip("\r\n") == MARKER
    except OSError:
        return False


def _atomic_write(path: str, text: str) -> None:
    folder = os.path.dirname(path)
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".microexpr-", suffix=".tmp", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def install(dest: str, text: str, force: bool = False, dry_run: bool = False) -> str:
    """Write ``dest/microexpr.mod``; returns 'created', 'updated', 'unchanged' (or 'would ...')."""
    path = os.path.join(dest, MOD_NAME)
    old: Optional[str] = None
    if os.path.exists(path):
        with open(path, encoding="utf-8", errors="replace") as f:
            old = f.read()
        if not is_ours(path) and not force:
            raise InstallError("%s was not written by this installer; leaving it alone. "
                               "Fix: move it away, or re-run with --force to replace it." % path)
    state = "created" if old is None else ("unchanged" if old == text else "updated")
    if dry_run:
        return state if state == "unchanged" else "would be " + state
    if state != "unchanged":
        _atomic_write(path, text)
    return state


def uninstall(dest: str, force: bool = False, dry_run: bool = False) -> str:
    """Remove ``dest/microexpr.mod`` if this installer wrote it."""
    path = os.path.join(dest, MOD_NAME)
    if not os.path.exists(path):
        return "absent"
    if not is_ours(path) and not force:
        raise InstallError("%s was not written by this installer; not removing it. "
                           "Fix: delete it by hand, or re-run with --force." % path)
    if dry_run:
        return "would be removed"
    os.remove(path)
    return "removed"


def batch_script(platform: str, repo: str = REPO) -> str:
    """The batch exporter, run by path: a fresh mayapy reads the module only when Maya
    starts, so ``mayapy -m microexpr_maya.batch`` cannot find the package."""
    return _mod_path(os.path.join(repo, SCRIPTS, "microexpr_maya", "batch.py"), platform)


def deps_command(mayapy: str) -> List[str]:
    """mayapy's own pip, into the user site-packages (no admin rights needed)."""
    return [mayapy, "-m", "pip", "install", "--user"] + list(DEPENDENCIES)


def warm_command(mayapy: str) -> List[str]:
    """After the packages: compile the solver's numba loops into the per-user cache with that
    mayapy (run with ``warm_environ``); without numba it only reports the plain-Python solver."""
    return [mayapy, "-m", "microexpr.solve.warm"]


def warm_environ(environ: Mapping[str, str], repo: str = REPO) -> Dict[str, str]:
    """``environ`` with the core (``shared``) first on PYTHONPATH: no module is loaded yet."""
    env = dict(environ)
    env["PYTHONPATH"] = os.pathsep.join([os.path.join(repo, SHARED)]
                                        + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    return env


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="install_maya_module.py",
        description="Write (or remove) the MicroExpr Maya module file microexpr.mod.")
    p.add_argument("--maya-version", action="append", default=[], metavar="YEAR",
                   help="limit the module to this Maya version, e.g. 2024 (repeatable); "
                        "default: every version")
    p.add_argument("--dest", help="modules folder to use instead of $MAYA_APP_DIR/modules")
    p.add_argument("--uninstall", action="store_true", help="remove microexpr.mod")
    p.add_argument("--dry-run", action="store_true", help="print what would happen; write nothing")
    p.add_argument("--force", action="store_true",
                   help="replace or remove a microexpr.mod this installer did not write")
    p.add_argument("--platform", choices=PLATFORMS, help="pretend to be on this OS (tests)")
    p.add_argument("--install-deps", metavar="MAYAPY",
                   help="also run MAYAPY -m pip install --user " + " ".join(DEPENDENCIES))
    return p


def main(argv: Optional[Sequence[str]] = None, environ: Optional[Mapping[str, str]] = None) -> int:
    """Exit codes: 0 done, 1 refused or failed, 2 bad usage."""
    parser = build_parser()
    args = parser.parse_args(argv)
    env: Dict[str, str] = dict(os.environ if environ is None else environ)
    platform = args.platform or current_platform()
    for v in args.maya_version:
        if not re.fullmatch(r"\d{4}", v):
            parser.error("--maya-version expects a year such as 2024, not %r" % v)
    if args.uninstall and args.install_deps:
        parser.error("--install-deps cannot be combined with --uninstall")
    dest = os.path.abspath(args.dest) if args.dest else modules_dir(platform, env)
    prefix = "[dry run] " if args.dry_run else ""
    try:
        if args.uninstall:
            state = uninstall(dest, args.force, args.dry_run)
            print("%s%s: %s" % (prefix, os.path.join(dest, MOD_NAME), state))
            return 0
        text = module_text(platform, REPO, args.maya_version)
        if " " in REPO:
            print("warning: the repository path contains spaces; if Maya does not load the "
                  "module, move the repository to a path without spaces", file=sys.stderr)
        state = install(dest, text, args.force, args.dry_run)
        print("%s%s: %s" % (prefix, os.path.join(dest, MOD_NAME), state))
        if args.dry_run:
            sys.stdout.write(text)
        print("batch export: mayapy %s SCENE... --out DIR" % batch_script(platform))
    except (InstallError, OSError) as exc:
        print("error: %s" % exc, file=sys.stderr)
        return 1
    if args.install_deps:
        cmd = deps_command(args.install_deps)
        shown = subprocess.list2cmdline(cmd) if platform == "windows" else shlex.join(cmd)
        print("%srunning: %s" % (prefix, shown))
        if not args.dry_run:
            try:
                rc = subprocess.call(cmd)
            except OSError as exc:
                print("error: cannot run %s: %s" % (args.install_deps, exc), file=sys.stderr)
                return 1
            if rc != 0:
                print("error: pip exited with code %d" % rc, file=sys.stderr)
                return 1
        cmd = warm_command(args.install_deps)
        print("%srunning: %s" % (prefix, subprocess.list2cmdline(cmd) if platform == "windows"
                                 else shlex.join(cmd)))
        if not args.dry_run:
            try:
                why = "exit code %d" % subprocess.call(cmd, env=warm_environ(env))
            except OSError as exc:
                why = "cannot run it: %s" % exc
            if why != "exit code 0":          # the solver still runs: compiled later, or plain
                print("warning: warming the solver's numba cache failed (%s); the solver still "
                      "works" % why, file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
