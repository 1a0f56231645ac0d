"""The plug-ins load, the deformer evaluates, and bind and generate run on numpy alone.

A render-farm node or another artist's Maya may have no pydantic or scipy: a scene holding
our nodes must still open and deform there. Each test runs a child interpreter whose import
system refuses pydantic and scipy (a meta-path finder raising ImportError), so the rest of
the suite keeps them.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from microexpr.rig.presets import preset_targets
from microexpr.rig.softmod import softmod_deltas

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

#: Run first in the child: block the packages, then install the Maya stand-in.
PRELUDE = textwrap.dedent("""
    import importlib.abc, importlib.util, json, os, sys
    BLOCKED = ("pydantic", "scipy")

    class Refuse(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path=None, target=None):
            if name.split(".")[0] in BLOCKED:
                raise ImportError("blocked for this test: " + name)
            return None

    sys.meta_path.insert(0, Refuse())
    REPO = %r
    for p in ("maya_plugin/scripts", "shared"):
        sys.path.insert(0, os.path.join(REPO, p))
    standin_dir = os.path.join(REPO, "tests", "maya_standin")
    spec = importlib.util.spec_from_file_location(
        "maya_standin", os.path.join(standin_dir, "__init__.py"),
        submodule_search_locations=[standin_dir])
    standin = importlib.util.module_from_spec(spec)
    sys.modules["maya_standin"] = standin
    spec.loader.exec_module(standin)
    standin.install()
    from maya import cmds
    PLUGINS = os.path.join(REPO, "maya_plugin", "plug-ins")

    def heavy():
        return sorted(m for m in sys.modules if m.split(".")[0] in BLOCKED)
""") % REPO


def run_child(body: str, *args: str) -> dict:
    """Run PRELUDE + body in a fresh interpreter; the body prints one JSON line."""
    code = PRELUDE + textwrap.dedent(body)
    proc = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True,
                          cwd=REPO, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_the_blocker_blocks():
    """The child really cannot import them (else the tests below prove nothing)."""
    out = run_child("""
        failed = []
        for name in BLOCKED:
            try:
                __import__(name)
            except ImportError:
                failed.append(name)
        print(json.dumps({"failed": failed}))
    """)
    assert out["failed"] == ["pydantic", "scipy"]


def test_both_plugins_load_and_the_deformer_evaluates():
    out = run_child("""
        import numpy as np
        from microexpr.mesh import Mesh
        cmds.loadPlugin(os.path.join(PLUGINS, "microexpr_deformer.py"), quiet=True)
        cmds.loadPlugin(os.path.join(PLUGINS, "microexpr_plugin.py"), quiet=True)
        from microexpr_maya import scene_io
        # a 5 x 5 grid in the XY plane, 1 cm apart; the key point is its centre vertex 12
        pts = np.array([[x, y, 0.0] for y in range(5) for x in range(5)], dtype=float)
        quads = [[r * 5 + c, r * 5 + c + 1, r * 5 + c + 6, r * 5 + c + 5]
                 for r in range(4) for c in range(4)]
        grid = scene_io.create_mesh(Mesh("grid", pts, [4] * 16, np.ravel(quads)), "grid")
        manip = cmds.deformer(grid, type="microexprSoftModManipulator")[0]
        cmds.setAttr(manip + ".vertexIndex", 12)
        cmds.setAttr(manip + ".radius", 1.2)  # surface falloff, the default mode
        cmds.setAttr(manip + ".handleTranslate", 0.0, 0.0, 1.0)
        moved = scene_io.read_points(scene_io.mesh_nodes(grid)[1])[:, 2]
        print(json.dumps({"z": moved.tolist(), "heavy": heavy(),
                          "mode": cmds.getAttr(manip + ".falloffMode")}))
    """)
    assert out["heavy"] == []
    assert out["mode"] == 0  # surface
    z = np.array(out["z"])
    assert z[12] == pytest.approx(1.0)
    # one edge (1 cm) away: smooth falloff at x = 1/1.2; a quad's diagonal (1.41 cm) and two
    # edges (2 cm) are beyond the radius
    x = 1.0 / 1.2
    assert z[[7, 11, 13, 17]] == pytest.approx([1.0 - x * x * (3.0 - 2.0 * x)] * 4)
    assert np.count_nonzero(z) == 5


def test_bind_and_generate_without_pydantic_and_scipy(small_face, tmp_path):
    skin = small_face.skin
    data = tmp_path / "face.npz"
    np.savez(str(data), points=skin.points, counts=skin.face_counts, indices=skin.face_indices,
             landmarks=small_face.landmark_vertices)
    out = run_child("""
        import numpy as np
        from microexpr.mesh import Mesh
        import microexpr_maya as mm
        from microexpr_maya import scene_io
        face = np.load(sys.argv[1])
        head = scene_io.create_mesh(Mesh("head", face["points"], face["counts"],
                                         face["indices"]), "head")
        handles = mm.bind_key_points(head, vertices=face["landmarks"].tolist())
        bs = mm.generate_blendshapes(head)
        n = len(face["points"])
        deltas = {}
        for alias, plug in zip(*[iter(cmds.aliasAttr(bs, query=True))] * 2):
            index = int(plug[plug.index("[") + 1:-1])
            item = "%s.inputTarget[0].inputTargetGroup[%d].inputTargetItem[6000]" % (bs, index)
            got = np.zeros((n, 3))
            ids = []
            for c in cmds.getAttr(item + ".inputComponentsTarget") or []:
                a, _, b = c[c.index("[") + 1:-1].partition(":")
                ids += range(int(a), int(b or a) + 1)
            pts = cmds.getAttr(item + ".inputPointsTarget") or []
            got[ids] = np.asarray([p[:3] for p in pts]).reshape(-1, 3)
            deltas[alias] = got.tolist()
        print(json.dumps({"handles": len(handles), "deltas": deltas, "heavy": heavy()}))
    """, str(data))
    assert out["heavy"] == []
    tris = skin.triangles()
    expected = {s.name: softmod_deltas(skin.points, tris, s.softmods)
                for s in preset_targets("table1", skin.points, tris, small_face.landmark_vertices)}
    assert out["handles"] == 21
    assert list(out["deltas"]) == list(expected)
    for name, delta in expected.items():
        np.testing.assert_allclose(out["deltas"][name], delta, atol=1e-9, err_msg=name)
