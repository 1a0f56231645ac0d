"""Compile the Unity package's C# with Mono's ``mcs``, cached by a hash of the sources.

The cache lives in ``$MICROEXPR_CACHE`` (default ``~/.cache/microexpr``), never inside the
package folder: Unity would load a DLL found beside the sources and see every type twice.
Builds: the runtime core (``Runtime/Core``, no UnityEngine), the NUnit tests of ``Tests/Editor``
against it, and the Unity layer (``Runtime/Unity``, ``Editor``) against the stand-in Unity types
in ``Tests/CompileStandIn~``, one assembly per asmdef.
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import tempfile
from typing import Dict, List, Optional, Sequence, Tuple

from microexpr.errors import MicroExprError

PACKAGE_ENV = "MICROEXPR_UNITY_PACKAGE"
CACHE_ENV = "MICROEXPR_CACHE"
RUNTIME = "MicroExpr.Runtime"
INSTALL_HINT = ("install Mono: apt-get install mono-mcs mono-runtime libmonosgen-2.0-1 mono-devel "
                "nunit-console libnunit-cil-dev")


def package_dir() -> str:
    """The ``unity_bridge`` folder: ``$MICROEXPR_UNITY_PACKAGE`` or the repository's."""
    env = os.environ.get(PACKAGE_ENV)
    here = os.path.dirname(os.path.abspath(__file__))
    path = env or os.path.normpath(os.path.join(here, "..", "..", "..", "unity_bridge"))
    if not os.path.isfile(os.path.join(path, "package.json")):
        raise MicroExprError("the Unity package is not at %s" % path, field=PACKAGE_ENV,
                             fix="set %s to the unity_bridge folder" % PACKAGE_ENV)
    return path


def cache_dir() -> str:
    root = os.environ.get(CACHE_ENV) or os.path.join(os.path.expanduser("~"), ".cache", "microexpr")
    return os.path.join(root, "unity")


def missing_mono() -> Optional[str]:
    """Why the C# side cannot run here (None when mcs and mono are installed)."""
    for tool in ("mcs", "mono"):
        if shutil.which(tool) is None:
            return "'%s' is not installed (%s)" % (tool, INSTALL_HINT)
    return None


def missing_nunit() -> Optional[str]:
    if shutil.which("nunit-console") is None:
        return "'nunit-console' is not installed (apt-get install nunit-console libnunit-cil-dev)"
    try:
        nunit_framework()
    except MicroExprError as exc:
        return str(exc)
    return None


def sources(*parts: str) -> List[str]:
    """Sorted .cs files under a folder of the package."""
    root = os.path.join(package_dir(), *parts)
    return sorted(glob.glob(os.path.join(root, "**", "*.cs"), recursive=True))


def nunit_framework() -> str:
    """The nunit.framework.dll that ``pkg-config nunit`` names (NUnit 2.6 on Debian)."""
    try:
        out = subprocess.run(["pkg-config", "--libs", "nunit"], capture_output=True, text=True,
                             check=False).stdout
    except OSError:
        out = ""
    for tok in out.split():
        if tok.startswith("-r:") and tok.endswith("nunit.framework.dll"):
            return tok[3:]
    found = sorted(glob.glob("/usr/lib/cli/nunit.framework*/nunit.framework.dll"))
    if found:
        return found[-1]
    raise MicroExprError("nunit.framework.dll not found", field="pkg-config nunit",
                         fix="apt-get install libnunit-cil-dev")


def _digest(files: Sequence[str], extra: Sequence[str]) -> str:
    h = hashlib.sha256()
    for path in files:
        h.update(os.path.basename(path).encode())
        with open(path, "rb") as f:
            h.update(hashlib.sha256(f.read()).digest())
    for item in extra:
        h.update(item.encode())
    return h.hexdigest()[:20]


def _mcs_version() -> str:
    try:
        return subprocess.run(["mcs", "--version"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "?"


def compile_cs(name: str, files: Sequence[str], refs: Sequence[str] = (),
               defines: Sequence[str] = (), target: str = "library") -> str:
    """Compile ``files`` into ``<cache>/<name>-<hash>/<name>.dll`` unless already there."""
    reason = missing_mono()
    if reason:
        raise MicroExprError("cannot build the C# runtime: " + reason, fix=INSTALL_HINT)
    files = [os.path.abspath(f) for f in files]
    if not files:
        raise MicroExprError("no C# sources for %s" % name, file=package_dir(),
                             fix="check the unity_bridge folder")
    flags = ["-target:" + target, "-optimize+", "-debug-", "-nowarn:1591",
             "-langversion:7.2"] + ["-define:" + d for d in defines]
    ext = ".exe" if target == "exe" else ".dll"
    key = _digest(list(files) + list(refs), flags + [_mcs_version()])
    out_dir = os.path.join(cache_dir(), "%s-%s" % (name, key))
    out = os.path.join(out_dir, name + ext)
    if os.path.isfile(out):
        return out
    os.makedirs(cache_dir(), exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=name + "-", dir=cache_dir())
    try:
        for r in refs:                       # keep references beside the assembly (mono loads them)
            if os.path.dirname(os.path.abspath(r)).startswith(cache_dir()):
                shutil.copy2(r, tmp)
        cmd = ["mcs"] + flags + ["-out:" + os.path.join(tmp, name + ext)]
        cmd += ["-r:" + r for r in refs] + list(files)
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            errors = [ln for ln in (res.stdout + res.stderr).splitlines() if "error" in ln]
            raise MicroExprError("mcs could not compile %s:\n  %s" % (name, "\n  ".join(errors[:20])),
                                 file=files[0], fix="fix the C# sources (C# 7.2, no UnityEngine "
                                 "outside #if UNITY_5_3_OR_NEWER)")
        try:
            os.replace(tmp, out_dir)
        except OSError:                      # another process built it first
            shutil.rmtree(tmp, ignore_errors=True)
        tmp = ""
    finally:
        if tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    return out


def runtime_dll() -> str:
    """The runtime core: ``Runtime/Core``, the ``MicroExpr.Core`` assembly (no UnityEngine)."""
    return compile_cs(RUNTIME, sources("Runtime", "Core"))


def tests_dll() -> str:
    """The NUnit edit-mode tests of the package, built against NUnit 2.6 and the runtime."""
    rt = runtime_dll()
    return compile_cs("MicroExpr.Tests.Editor", sources("Tests", "Editor"),
                      refs=[rt, nunit_framework()])


def standin_dir() -> str:
    return os.path.join(package_dir(), "Tests", "CompileStandIn~")


def unity_layer_check() -> Dict[str, str]:
    """Compile check of the Unity layer against the stand-in UnityEngine/UnityEditor of
    Tests/CompileStandIn~, one assembly per asmdef with its references only (a layer using
    one it does not reference fails): MicroExpr.Core (no UnityEngine), MicroExpr.Runtime
    (Runtime/Unity) and MicroExpr.Editor (Editor), with UNITY_5_3_OR_NEWER. Returns the DLLs."""
    stand = standin_dir()
    engine = compile_cs("UnityEngine", sorted(glob.glob(os.path.join(stand, "UnityEngine*.cs"))))
    editor = compile_cs("UnityEditor", sorted(glob.glob(os.path.join(stand, "UnityEditor*.cs"))), refs=[engine])
    core = compile_cs("MicroExpr.Core", sources("Runtime", "Core"), defines=["UNITY_5_3_OR_NEWER"])
    runtime = compile_cs("MicroExpr.Runtime", sources("Runtime", "Unity"), refs=[engine, core],
                         defines=["UNITY_5_3_OR_NEWER"])
    editor_asm = compile_cs("MicroExpr.Editor", sources("Editor"), refs=[engine, editor, core, runtime],
                            defines=["UNITY_5_3_OR_NEWER"])
    return {"UnityEngine": engine, "UnityEditor": editor, "core": core, "runtime": runtime,
            "editor": editor_asm}


def test_gate(reason: Optional[str]) -> Optional[Tuple[str, str]]:
    """For the test suite: None when the tools are there; else ("fail", why) under CI
    (``CI=true``: CI installs Mono, so its absence is an error) or ("skip", why) locally."""
    if not reason:
        return None
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        return "fail", "CI must run the Unity runtime tests, but " + reason
    return "skip", "the Unity runtime tests need Mono and pythonnet: " + reason
