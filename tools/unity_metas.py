"""Unity ``.meta`` files for the package, with stable GUIDs.

Unity wants a ``.meta`` beside every file and folder of a package (folders whose name ends
in ``~`` are ignored and get none). The GUID is the MD5 of ``com.microexpr.bridge/<path>``,
so regenerating gives the same files and references between assets never change.
Run ``python tools/unity_metas.py`` after adding files; ``--check`` only reports.
"""
from __future__ import annotations

import argparse
import hashlib
import os
import sys
from typing import List, Optional

PACKAGE = "com.microexpr.bridge"
_TAIL = "  externalObjects: {}\n  userData: \n  assetBundleName: \n  assetBundleVariant: \n"


def guid(rel: str) -> str:
    return hashlib.md5((PACKAGE + "/" + rel.replace(os.sep, "/")).encode("utf-8")).hexdigest()


def meta_text(rel: str, is_dir: bool) -> str:
    head = "fileFormatVersion: 2\nguid: %s\n" % guid(rel)
    name = os.path.basename(rel)
    if is_dir:
        return head + "folderAsset: yes\nDefaultImporter:\n" + _TAIL
    if name.endswith(".cs"):
        return head + ("MonoImporter:\n  externalObjects: {}\n  serializedVersion: 2\n"
                       "  defaultReferences: []\n  executionOrder: 0\n  icon: {instanceID: 0}\n"
                       "  userData: \n  assetBundleName: \n  assetBundleVariant: \n")
    if name.endswith(".asmdef"):
        return head + "AssemblyDefinitionImporter:\n" + _TAIL
    if name == "package.json":
        return head + "PackageManifestImporter:\n" + _TAIL
    if name.endswith((".md", ".txt", ".json")):
        return head + "TextScriptImporter:\n" + _TAIL
    return head + "DefaultImporter:\n" + _TAIL


def assets(root: str) -> List[tuple]:
    """(relative path, is folder) of everything Unity imports below ``root``."""
    out = []
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.endswith("~") and not d.startswith("."))
        for d in dirnames:
            out.append((os.path.relpath(os.path.join(dirpath, d), root), True))
        for f in sorted(filenames):
            if f.endswith(".meta") or f.startswith(".") or f.endswith("~"):
                continue
            out.append((os.path.relpath(os.path.join(dirpath, f), root), False))
    return sorted(out)


def problems(root: str) -> List[str]:
    """Missing, stale or orphaned .meta files (empty when all is well)."""
    found = []
    wanted = set()
    for rel, is_dir in assets(root):
        meta = os.path.join(root, rel + ".meta")
        wanted.add(os.path.normpath(meta))
        if not os.path.exists(meta):
            found.append("missing: %s.meta" % rel)
            continue
        with open(meta, "r", encoding="utf-8") as f:
            if f.read() != meta_text(rel, is_dir):
                found.append("stale: %s.meta" % rel)
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = [d for d in dirnames if not d.endswith("~")]
        for f in filenames:
            p = os.path.normpath(os.path.join(dirpath, f))
            if f.endswith(".meta") and p not in wanted:
                found.append("orphan: %s" % os.path.relpath(p, root))
    return found


def write(root: str) -> List[str]:
    """Write every missing or stale .meta; returns the paths written."""
    from microexpr.atomicio import write_text

    written = []
    for rel, is_dir in assets(root):
        meta = os.path.join(root, rel + ".meta")
        text = meta_text(rel, is_dir)
        old = None
        if os.path.exists(meta):
            with open(meta, "r", encoding="utf-8") as f:
                old = f.read()
        if old != text:
            write_text(meta, text)
            written.append(meta)
    return written


def main(argv: Optional[List[str]] = None) -> int:
    from microexpr.unity.build import package_dir

    ap = argparse.ArgumentParser(description="write or check the Unity package's .meta files")
    ap.add_argument("--check", action="store_true", help="only report problems (exit 1 if any)")
    ap.add_argument("--package", help="package folder (default: the repository's unity_bridge)")
    args = ap.parse_args(argv)
    root = args.package or package_dir()
    if args.check:
        bad = problems(root)
        for line in bad:
            print(line)
        return 1 if bad else 0
    for path in write(root):
        print("wrote", os.path.relpath(path, root))
    return 0


if __name__ == "__main__":
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "shared"))
    sys.exit(main())
