"""The command line end to end: every subcommand has help with an example; bad input exits
non-zero with a clear message and leaves no output file."""
import json
import os
import subprocess
import sys

import numpy as np
import pytest

from microexpr.cli.main import COMMANDS, build_parser, main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run(*args):
    return main([str(a) for a in args])


def test_help_lists_every_subcommand_and_each_has_an_example(capsys):
    parser = build_parser()
    text = parser.format_help()
    for name in COMMANDS:
        assert name.replace("_", "-") in text or name in text, name
    sub = [a for a in parser._actions if a.dest == "command"][0]
    for name, p in sub.choices.items():
        h = p.format_help()
        if name == "rig":
            for action in p._actions:
                if action.dest == "rig_command":
                    for sp in action.choices.values():
                        assert "example:" in sp.format_help()
        else:
            assert "example:" in h, name


def test_console_script_runs():
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "shared"))
    r = subprocess.run([sys.executable, "-m", "microexpr.cli.main", "--help"], capture_output=True,
                       text=True, env=env, timeout=120)
    assert r.returncode == 0 and "solve" in r.stdout


@pytest.fixture(scope="module")
def rig_path(tmp_path_factory):
    p = tmp_path_factory.mktemp("rig") / "rig.json"
    assert run("rig", "build", "--preset", "arkit", "--out", p) == 0
    return p


def test_rig_build_on_a_mesh_file_and_import_from_objs(tmp_path, face):
    from microexpr.formats.obj import write_obj
    from microexpr.landmarks import write_landmark_vertices

    mesh_p, lm_p = tmp_path / "head.obj", tmp_path / "lm.txt"
    write_obj(str(mesh_p), face.skin)
    write_landmark_vertices(str(lm_p), face.landmark_vertices)
    out = tmp_path / "r.json"
    assert run("rig", "build", "--mesh", mesh_p, "--landmark-vertices", lm_p, "--preset", "table1",
               "--out", out) == 0
    from microexpr import bridge
    from microexpr.rig import build as R
    built = bridge.load_rig(out)
    tdir = tmp_path / "targets"
    tdir.mkdir()
    for name in ("eyeClose_L", "mouthOpen"):
        w = np.zeros(len(built.targets))
        w[built.target_names().index(name)] = 1
        write_obj(str(tdir / (name + ".obj")), face.skin, R.evaluate(built, w))
    out2 = tmp_path / "imported.json"
    assert run("rig", "import", "--neutral", mesh_p, "--targets", tdir, "--landmark-vertices", lm_p,
               "--out", out2) == 0
    imp = bridge.load_rig(out2)
    assert imp.target_names() == ["eyeClose_L", "mouthOpen"]
    i = built.target_names().index("mouthOpen")
    assert np.allclose(imp.landmark_delta_matrix()[:, :, 1], built.landmark_delta_matrix()[:, :, i], atol=1e-6)


def test_import_rejects_a_target_with_other_topology(tmp_path, face):
    from microexpr.formats.obj import write_obj
    from microexpr.landmarks import write_landmark_vertices
    from microexpr.mesh import Mesh

    write_obj(str(tmp_path / "n.obj"), face.skin)
    write_landmark_vertices(str(tmp_path / "lm.txt"), face.landmark_vertices)
    small = Mesh("bad", face.skin.points[:100], [3], [0, 1, 2])
    (tmp_path / "t").mkdir()
    write_obj(str(tmp_path / "t" / "bad.obj"), small)
    out = tmp_path / "x.json"
    assert run("rig", "import", "--neutral", tmp_path / "n.obj", "--targets", tmp_path / "t",
               "--landmark-vertices", tmp_path / "lm.txt", "--out", out) == 2
    assert not out.exists()


def test_solve_end_to_end_with_nan_frames(tmp_path, rig_path, capsys):
    from microexpr import bridge
    from microexpr.solve.synthetic_tracks import image_tracks

    rig = bridge.load_rig(rig_path)
    W = np.zeros((30, len(rig.targets)))
    W[5:20, rig.target_names().index("jawOpen")] = 0.5
    tr = image_tracks(rig, W)
    pts = tr.points.copy()
    pts[:, :, 1] *= -1
    pts[12] = np.nan
    p = tmp_path / "tracks.npy"
    np.save(p, pts)
    out = tmp_path / "clip.json"
    assert run("solve", "--rig", rig_path, "--landmarks", p, "--out", out, "--fps", 60,
               "--report", tmp_path / "rep.json") == 0
    clip = bridge.load_clip(out)
    assert clip.fps == 60 and not clip.valid[12] and sum(clip.valid) == 29
    assert abs(clip.weight_array()[10, rig.target_names().index("jawOpen")] - 0.5) < 0.02
    assert "frames without data" in capsys.readouterr().out
    assert json.loads((tmp_path / "rep.json").read_text())["invalid_frames"] == [12]


@pytest.mark.parametrize("args,msg", [
    (["--compensation", "magic"], "unknown compensation mode"),
    (["--fps", "-3"], "frame rate must be positive"),
    (["--neutral-frame", "99"], "neutral frame 99"),
])
def test_solve_bad_options(tmp_path, rig_path, capsys, args, msg):
    p = tmp_path / "t.npy"
    np.save(p, np.random.default_rng(0).uniform(100, 300, (3, 68, 2)))
    out = tmp_path / "c.json"
    assert run("solve", "--rig", rig_path, "--landmarks", p, "--out", out, *args) == 2
    assert msg in capsys.readouterr().err
    assert not out.exists()


def test_solve_bad_files(tmp_path, rig_path, capsys):
    bad = tmp_path / "t.csv"
    bad.write_text("frame,x0,y0\n0,1,2\n")
    out = tmp_path / "c.json"
    assert run("solve", "--rig", rig_path, "--landmarks", bad, "--out", out) == 2
    err = capsys.readouterr().err
    assert str(bad) in err and "x1" in err and "Fix:" in err
    assert run("solve", "--rig", bad, "--landmarks", bad, "--out", out) == 2
    assert not out.exists()


def test_rig_build_unknown_preset(tmp_path, capsys):
    out = tmp_path / "r.json"
    assert run("rig", "build", "--preset", "nope", "--out", out) == 2
    assert "unknown preset" in capsys.readouterr().err and not out.exists()


def test_export_writes_fbx_and_glb(tmp_path, rig_path):
    from microexpr import bridge

    rig = bridge.load_rig(rig_path)
    clip = bridge.Clip(fps=30, targets=rig.target_names(), rig_fingerprint=rig.mesh().fingerprint,
                       weights=[[0.0] * len(rig.targets), [0.5] * len(rig.targets)], valid=[True, True])
    cp = tmp_path / "c.json"
    bridge.save_clip(clip, cp)
    fbx, glb = tmp_path / "f.fbx", tmp_path / "f.glb"
    assert run("export", "--rig", rig_path, "--clip", cp, "--fbx", fbx, "--glb", glb) == 0
    assert fbx.read_bytes().startswith(b"Kaydara FBX Binary")
    assert glb.read_bytes()[:4] == b"glTF"
    assert run("export", "--rig", rig_path) == 2


@pytest.mark.parametrize("ext", ["fbx", "glb", "gltf"])
def test_import_what_export_wrote_gives_back_the_same_rig(tmp_path, rig_path, ext):
    from microexpr import bridge
    from microexpr.landmarks import write_landmark_vertices

    rig = bridge.load_rig(rig_path)
    out = tmp_path / ("face." + ext)
    flag = {"fbx": "--fbx", "glb": "--glb", "gltf": "--gltf"}[ext]
    assert run("export", "--rig", rig_path, flag, out) == 0
    lm = tmp_path / "lm.txt"
    write_landmark_vertices(str(lm), [p.vertex for p in rig.landmarks.points])
    back_path = tmp_path / "back.json"
    assert run("rig", "import", "--from", out, "--landmark-vertices", lm, "--out", back_path) == 0
    back = bridge.load_rig(back_path)
    assert back.target_names() == rig.target_names()
    assert np.abs(back.landmark_delta_matrix() - rig.landmark_delta_matrix()).max() < 1e-5
    from microexpr.rig.build import dense_deltas
    assert np.abs(dense_deltas(back) - dense_deltas(rig)).max() < 1e-5


def test_import_rejects_garbage_files(tmp_path, capsys):
    bad = tmp_path / "face.fbx"
    bad.write_bytes(b"Kaydara FBX Binary  \x00\x1a\x00" + bytes(range(256)) * 3)
    lm = tmp_path / "lm.txt"
    lm.write_text(" ".join(str(i) for i in range(68)))
    out = tmp_path / "r.json"
    assert run("rig", "import", "--from", bad, "--landmark-vertices", lm, "--out", out) == 2
    assert str(bad) in capsys.readouterr().err and not out.exists()
