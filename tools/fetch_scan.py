"""The real head scan the markerless-binding tests measure against, fetched, never committed.

menpo3d's source distribution on PyPI ships ``menpo3d/data/james.obj`` (a textured face scan,
6,393 vertices), its texture ``james.jpg`` and ``james.ljson`` (68 hand-placed landmarks,
3-D points grouped by feature). ``python tools/fetch_scan.py`` downloads the source archive
with pip (no build: ``--no-build-isolation`` in this environment, which needs wheel,
setuptools, cython and numpy) and copies those files to ``.venv/data/menpo3d-0.8.6/``
(or ``$MICROEXPR_DATA/menpo3d-0.8.6/``). ``--check`` only says whether they are there.
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
from typing import Dict, Optional

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VERSION = "0.8.6"
FILES = ("james.obj", "james.obj.mtl", "james.jpg", "james.ljson")
VERTICES = 6393
#: ljson label -> first iBUG-68 index. The file's "l"/"r" are the picture's left and right
#: (the subject's right and left): "leye" runs from the outer corner of the subject's right
#: eye (iBUG 36), "reye" from the inner corner of the left one (42). Checked on a picture.
IBUG_START = {"chin": 0, "leyebrow": 17, "reyebrow": 22, "nose": 27, "leye": 36, "reye": 42,
              "mouth": 48}


def data_dir() -> str:
    """Where the scan's files live."""
    base = os.environ.get("MICROEXPR_DATA") or os.path.join(ROOT, ".venv", "data")
    return os.path.join(base, "menpo3d-" + VERSION)


def scan_files() -> Optional[Dict[str, str]]:
    """{file name: path} when every file is there, else None."""
    where = data_dir()
    paths = {name: os.path.join(where, name) for name in FILES}
    return paths if all(os.path.isfile(p) for p in paths.values()) else None


def ibug_landmarks(ljson_path: str) -> np.ndarray:
    """The scan's 68 landmarks (68, 3) in iBUG-68 order, from the ljson's labelled groups."""
    with open(ljson_path, encoding="utf-8") as f:
        group = json.load(f)["groups"]["LJSON"]
    points = np.asarray(group["landmarks"]["points"], dtype=np.float64)
    out = np.full((68, 3), np.nan)
    for label in group["labels"]:
        start = IBUG_START[label["label"]]
        mask = label["mask"]
        out[start:start + len(mask)] = points[mask]
    if not np.all(np.isfinite(out)):
        raise ValueError("%s: the labels do not cover the 68 landmarks" % ljson_path)
    return out


def corner_uvs(obj_path: str) -> np.ndarray:
    """Per-corner UVs (T, 3, 2) of a triangulated OBJ written ``f v/vt ...``."""
    vt, faces = [], []
    with open(obj_path, encoding="utf-8") as f:
        for line in f:
            if line.startswith("vt "):
                vt.append([float(a) for a in line.split()[1:3]])
            elif line.startswith("f "):
                faces.append([int(c.split("/")[1]) - 1 for c in line.split()[1:4]])
    return np.asarray(vt)[np.asarray(faces)]


def fetch(dest: str) -> None:
    """Download menpo3d's source archive and copy the scan's files to ``dest``."""
    with tempfile.TemporaryDirectory() as tmp:
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", ":all:",
               "--no-build-isolation", "-q", "-d", tmp, "menpo3d==" + VERSION]
        subprocess.run(cmd, check=True)
        archive = [f for f in os.listdir(tmp) if f.endswith((".tar.gz", ".zip"))][0]
        with tarfile.open(os.path.join(tmp, archive)) as tar:
            for name in FILES:
                member = tar.getmember("menpo3d-%s/menpo3d/data/%s" % (VERSION, name))
                src = tar.extractfile(member)
                os.makedirs(dest, exist_ok=True)
                with src, open(os.path.join(dest, name) + ".part", "wb") as out:
                    shutil.copyfileobj(src, out)
        for name in FILES:
            os.replace(os.path.join(dest, name) + ".part", os.path.join(dest, name))
    with open(os.path.join(dest, "james.obj"), encoding="utf-8") as f:
        count = sum(1 for line in f if line.startswith("v "))
    if count != VERTICES:
        raise SystemExit("james.obj has %d vertices, expected %d" % (count, VERTICES))


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true", help="only say whether the files are there")
    args = ap.parse_args(argv)
    if scan_files():
        print("the scan is in %s" % data_dir())
        return 0
    if args.check:
        print("the scan is not in %s" % data_dir())
        return 1
    fetch(data_dir())
    print("fetched the scan into %s" % data_dir())
    return 0


if __name__ == "__main__":
    sys.exit(main())
