"""Write the sample files of the Unity smoke test (``unity_bridge/Tests/Editor/SmokeData~``).

The Unity EditMode smoke test copies them into a project, imports them and plays one frame:
``face.microexpr`` (a rig made like the golden vectors' rig: a 68-vertex face, 10 targets, a
seed where every target moves its vertices, since an FBX importer may drop a shape that moves
nothing), ``face.fbx`` (that rig as ``microexpr export`` writes it: binary FBX with its blend
shapes) and ``smile.microexpr`` (a one-second clip on the rig's targets). Both bridge files
are bridge v3 ``.microexpr`` containers (JSON header + binary payload), as ``bridge.save``
writes them, so the importer is smoke-tested on the container. Unity ignores the
folder (its name ends in ``~``); the test finds it beside its own source file.

Run from the repository root: ``python tools/make_unity_smoke.py``.
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
OUT = os.path.join(ROOT, "unity_bridge", "Tests", "Editor", "SmokeData~")
FILES = ("face.fbx", "face.microexpr", "smile.microexpr")
SEED = 10          # make_rig's seed: every one of the 10 targets moves (by 0.19 cm or more)


def smile_clip(rig):
    """30 fps, 31 frames: one target rises and falls (peak 0.8 at frame 15), one holds 0.5."""
    from microexpr import bridge

    names = rig.target_names()
    w = np.zeros((31, len(names)))
    w[:, names.index("t02_shape")] = np.round(0.8 * np.sin(np.pi * np.arange(31) / 30.0), 6)
    w[:, names.index("t04_shape")] = 0.5
    return bridge.Clip(fps=30.0, targets=names, weights=w.tolist(), valid=[True] * 31,
                       rig_fingerprint=rig.mesh().fingerprint, source={"kind": "unity smoke test"})


def write_all(out_dir: Optional[str] = None) -> List[str]:
    """Write the three files into ``out_dir`` (default: the package's SmokeData~)."""
    from microexpr import bridge
    from microexpr.rig.convert import export_rig
    from unity_golden import make_rig

    out = out_dir or OUT
    os.makedirs(out, exist_ok=True)
    rig = make_rig(10, seed=SEED)
    bridge.save_rig(rig, os.path.join(out, "face.microexpr"))
    export_rig(rig, None, fbx=os.path.join(out, "face.fbx"))
    bridge.save_clip(smile_clip(rig), os.path.join(out, "smile.microexpr"))
    return [os.path.join(out, f) for f in FILES]


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=OUT, help="folder to write (default: the package's SmokeData~)")
    args = ap.parse_args(argv)
    for p in write_all(args.out):
        print("wrote %s (%d bytes)" % (os.path.relpath(p), os.path.getsize(p)))
    return 0


if __name__ == "__main__":
    sys.path[:0] = [os.path.join(ROOT, "shared"), HERE]
    sys.exit(main())
