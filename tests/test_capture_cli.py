"""``microexpr capture`` end to end: outputs, the licence note, and clear errors with no
partial output for unreadable videos, no face, tiny faces and several faces."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

cv2 = pytest.importorskip("cv2")
pytest.importorskip("dlib")
pytest.importorskip("imageio_ffmpeg")

from microexpr import bridge  # noqa: E402
from microexpr.capture import testvideo as tv  # noqa: E402
from microexpr.cli.main import main  # noqa: E402
from microexpr.solve.tracks import load_tracks  # noqa: E402


@pytest.fixture(scope="module")
def work(tmp_path_factory, arkit_rig):
    d = tmp_path_factory.mktemp("capture_cli")
    bridge.save_rig(arkit_rig, str(d / "rig.json"))
    tv.drifting_take(str(d / "take.avi"), 16)
    return d


def run(work, *args):
    return main(["capture", *[str(a) for a in args], "--rig", str(work / "rig.json"), "--quiet"])


def test_writes_clip_tracks_preview_and_report(work, capsys):
    out = work / "clip.json"
    rc = run(work, work / "take.avi", "--out", out, "--landmarks-out", work / "tracks.csv",
             "--preview", work / "sheet.png", "--report", work / "report.json")
    text = capsys.readouterr().out
    assert rc == 0
    clip = bridge.load_clip(str(out))
    assert len(clip.weights) == 16 and all(clip.valid)
    assert clip.source["kind"] == "capture"
    assert "16 frames, face found in 16" in text and "frames/s" in text
    # the landmarks read back with the foundation's loader, in image pixels
    tracks = load_tracks(str(work / "tracks.csv"))
    assert tracks.frames == 16 and tracks.dims == 2
    x = tracks.points[:, 30, 0]
    assert x[-1] - x[0] == pytest.approx(6.0, abs=1.0)           # the 0.4 px/frame shift
    header = open(work / "tracks.csv").readline().strip().split(",")
    assert header[-3:] == ["face_confidence", "face_score", "face_found"]
    assert header.index("x0") < header.index("face_confidence")
    assert open(work / "sheet.png", "rb").read(8) == b"\x89PNG\r\n\x1a\n"
    report = json.load(open(work / "report.json"))
    assert report["frames_found"] == 16 and "decode" in report["timing"]


def test_help_names_the_model_licence(capsys):
    with pytest.raises(SystemExit):
        main(["capture", "--help"])
    text = capsys.readouterr().out
    assert "300-W" in text and "commercial" in text and "example:" in text


def check_refused(work, capsys, path, out_name, *needles, extra=()):
    out = work / out_name
    rc = run(work, path, "--out", out, "--landmarks-out", work / (out_name + ".csv"), *extra)
    err = capsys.readouterr().err
    assert rc == 2
    assert not out.exists() and not (work / (out_name + ".csv")).exists()
    assert not [f for f in os.listdir(work) if f.endswith(".tmp")]
    for n in needles:
        assert n in err, err
    return err


def test_unreadable_video(work, capsys):
    bad = work / "broken.mp4"
    bad.write_bytes(np.random.default_rng(0).bytes(4000))
    check_refused(work, capsys, bad, "broken.json", "cannot decode", "Fix:")
    empty = work / "empty.mov"
    empty.write_bytes(b"")
    check_refused(work, capsys, empty, "empty.json", "empty")
    check_refused(work, capsys, work / "missing.mp4", "missing.json", "does not exist")


def test_no_face(work, capsys):
    path = tv.write_video(str(work / "wall.avi"), [np.full((480, 640, 3), 120, np.uint8)] * 5, 30)
    check_refused(work, capsys, path, "wall.json", "no face found in any of the 5 frames")


def test_tiny_face(work, capsys):
    path = tv.write_video(str(work / "tiny.avi"), [tv.astronaut_frame(face_px=45)] * 4, 30)
    err = check_refused(work, capsys, path, "tiny.json", "px wide", "--min-face")
    assert "mm on the face" in err


def test_empty_folder_and_bad_options(work, capsys):
    (work / "nothing").mkdir()
    check_refused(work, capsys, work / "nothing", "nothing.json", "no images")
    check_refused(work, capsys, work / "take.avi", "box.json", "--face-box",
                  extra=("--face-box", "1,2,3"))
    check_refused(work, capsys, work / "take.avi", "comp.json", "compensation",
                  extra=("--compensation", "sideways"))


def test_several_faces(work, capsys):
    """Two people: the clearer face is followed and the choice is said; --face-box picks the
    other; a box over no face is refused."""
    sharp = tv.astronaut_frame(size=(320, 480), face_px=120)
    soft = (cv2.GaussianBlur(sharp, (0, 0), 1.5) * 0.8).astype(np.uint8)
    path = tv.write_video(str(work / "two.avi"), [np.hstack([soft, sharp])] * 6, 30)
    rc = run(work, path, "--out", work / "two.json", "--landmarks-out", work / "two.csv")
    text = capsys.readouterr().out
    assert rc == 0 and "2 faces seen" in text and "--face-box" in text
    assert load_tracks(str(work / "two.csv")).points[0, 30, 0] > 320      # the sharp one
    rc = run(work, path, "--out", work / "two_left.json", "--landmarks-out",
             work / "two_left.csv", "--face-box", "60,150,180,180")
    assert rc == 0
    assert load_tracks(str(work / "two_left.csv")).points[0, 30, 0] < 320
    capsys.readouterr()
    check_refused(work, capsys, path, "two_none.json", "no face overlapping --face-box",
                  extra=("--face-box", "600,0,30,30"))
