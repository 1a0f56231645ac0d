"""benchmarks/bigrig.py writes a rig ``rig import`` takes: a neutral and targets of one
topology with a UV seam, 68 distinct landmark vertices, and the in-betweens and correctives
its layout names."""
import json
import os
import subprocess
import sys

import numpy as np

from microexpr.formats.obj import read_obj
from microexpr.landmarks import read_landmark_vertices
from microexpr.rig.convert import import_rig

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_bigrig_writes_a_rig_that_imports(tmp_path):
    out = tmp_path / "rig"
    r = subprocess.run([sys.executable, os.path.join(ROOT, "benchmarks", "bigrig.py"), str(out),
                        "--vertices", "901", "--targets", "12", "--normals", "--noise", "0.01"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    layout = json.loads((out / "layout.json").read_text())
    assert layout["vertices"] == 901 and layout["targets"] == 12
    files = sorted(os.listdir(out / "targets"))
    assert len(files) == 12
    names = {f[:-4] for f in files}
    assert {ib["name"] for ib in layout["inbetweens"]} <= names
    assert {c["name"] for c in layout["correctives"]} <= names
    assert all(set(c["drivers"]) <= set(layout["primaries"]) for c in layout["correctives"])
    neutral = read_obj(str(out / "neutral.obj"))
    assert neutral.vertex_count == 901 and neutral.uvs is not None
    text = (out / "neutral.obj").read_text()
    assert text.count("\nvt ") > 901 and "\nvn " in text                # the seam's UV copies
    lm = read_landmark_vertices(str(out / "landmarks.txt"), neutral.vertex_count)
    assert len(set(lm.tolist())) == 68
    moved = 0
    for f in files:
        t = read_obj(str(out / "targets" / f))
        assert t.fingerprint() == neutral.fingerprint()
        moved += int(np.any(t.points != neutral.points, axis=1).sum())
    assert moved > 12 * 10
    rig = import_rig(str(out / "landmarks.txt"), neutral=str(out / "neutral.obj"),
                     targets=[str(out / "targets")])
    assert sorted(rig.target_names()) == sorted(names)
