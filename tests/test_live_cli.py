"""``microexpr live`` end to end on a test video: the packets a loopback socket receives equal
the recorded arrays, and their weights equal a performer-mode stream solve of the recorded
float32 landmarks. Also the solver's cached online path and the option checks."""
from __future__ import annotations

import socket

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("dlib")

from microexpr import bridge  # noqa: E402
from microexpr.capture import testvideo as tv  # noqa: E402
from microexpr.capture.live_packet import decode  # noqa: E402
from microexpr.cli.main import main  # noqa: E402
from microexpr.solve.weight_solver import WeightSolver  # noqa: E402


@pytest.fixture(scope="module")
def work(tmp_path_factory, arkit_rig):
    d = tmp_path_factory.mktemp("live_cli")
    bridge.save_rig(arkit_rig, str(d / "rig.json"))
    base = tv.astronaut_frame()
    frames = [tv.head_motion(base, shift=(2.0 * np.sin(i / 4.0), 0.5 * i), angle=np.sin(i / 6.0))
              for i in range(40)]
    frames[30:33] = [np.full_like(base, 120)] * 3             # the face leaves for 3 frames
    tv.write_video(str(d / "take.avi"), frames, 30.0)
    return d


@pytest.fixture()
def listener():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    s.bind(("127.0.0.1", 0))
    yield s
    s.close()


def received(sock):
    sock.setblocking(False)
    out = []
    while True:
        try:
            out.append(sock.recv(65536))
        except BlockingIOError:
            return out


def live(work, sock, *args):
    return main(["live", "--video", str(work / "take.avi"), "--rig", str(work / "rig.json"),
                 "--send", "127.0.0.1:%d" % sock.getsockname()[1], "--quiet",
                 *[str(a) for a in args]])


def reference_weights(rig, performer, rec):
    """PerformerStream over the recorded float32 landmarks (y up), holding the last weights
    on frames without a face."""
    from microexpr.solve.performer_stream import PerformerStream

    stream = PerformerStream(rig, performer, fps=float(rec["fps"]))
    w = np.zeros(len(rig.target_names()))
    out = []
    for pts, conf, valid in zip(rec["points"], rec["confidence"], rec["valid"]):
        if valid:
            w = stream.step(pts.astype(np.float64) * [1.0, -1.0], conf.astype(np.float64))[0]
        out.append(w)
    return np.array(out)


def check_packets(packets, rec):
    got = [decode(p) for p in packets]
    assert len(got) == len(rec["seq"]) > 0
    assert [p.seq for p in got] == list(rec["seq"]) == list(range(len(got)))
    for i, p in enumerate(got):
        assert p.timestamp == rec["timestamp"][i] and p.valid == rec["valid"][i]
        np.testing.assert_array_equal(p.points, rec["points"][i])
        np.testing.assert_array_equal(p.confidence, rec["confidence"][i])
        if "weights" in rec:
            np.testing.assert_array_equal(p.weights, rec["weights"][i].astype(np.float32))
    return got


@pytest.fixture(scope="module")
def calibrated(work):
    """One run that calibrates on the fly: (recording, packets received, performer file)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 1 << 20)
    sock.bind(("127.0.0.1", 0))
    rec_path, perf = work / "rec.npz", work / "performer.json"
    try:
        code = live(work, sock, "--weights", "--record", rec_path, "--performer-out", perf,
                    "--calibration-seconds", "0.5", "--as-fast-as-possible")
        packets = received(sock)
    finally:
        sock.close()
    assert code == 0
    return dict(np.load(str(rec_path))), packets, perf


def test_calibrates_then_streams_what_it_records(calibrated, arkit_rig):
    rec, packets, perf = calibrated
    assert rec["points"].dtype == np.float32 and rec["points"].shape[1:] == (68, 2)
    check_packets(packets, rec)
    assert not rec["valid"].all() and rec["valid"].sum() > 10      # the face left and came back
    assert np.isnan(rec["points"][~rec["valid"]]).all()
    assert (rec["confidence"][~rec["valid"]] == 0).all()
    from microexpr.solve.performer import load_performer

    ref = reference_weights(arkit_rig, load_performer(str(perf)), rec)
    assert np.abs(rec["weights"] - ref).max() < 1e-9
    assert rec["weights"].max() > 0


def test_given_performer_streams_from_the_first_frame(work, calibrated, listener, arkit_rig,
                                                      capsys):
    perf = calibrated[2]
    rec_path = work / "rec2.npz"
    assert live(work, listener, "--weights", "--performer", perf, "--record", rec_path,
                "--frames", 12, "--as-fast-as-possible") == 0
    out = capsys.readouterr().out
    assert "sent 12 packets" in out and "latency" in out and "wrote %s" % rec_path in out
    rec = dict(np.load(str(rec_path)))
    check_packets(received(listener), rec)
    assert len(rec["seq"]) == 12
    from microexpr.solve.performer import load_performer

    ref = reference_weights(arkit_rig, load_performer(str(perf)), rec)
    assert np.abs(rec["weights"] - ref).max() < 1e-9


def test_smoother_keeps_head_motion_and_calms_jitter():
    from microexpr.capture.live import LiveSmoother
    from microexpr.capture.smooth import SmoothSettings

    rng = np.random.default_rng(2)
    shape = rng.normal(0.0, 40.0, (68, 2)) + 300.0
    shape[45] = shape[36] + [90.0, 0.0]                    # eye span: 1 px = 1 mm
    f = LiveSmoother(SmoothSettings(two_pass=False))
    moved = []
    for i in range(60):                                    # a slow head turn in the image
        a = 0.004 * i
        R = np.array([[np.cos(a), -np.sin(a)], [np.sin(a), np.cos(a)]])
        moved.append(f((shape - 300.0) @ R.T + 300.0 + [0.5 * i, 0.0], i / 60.0))
    last = (shape - 300.0) @ np.array([[np.cos(a), np.sin(a)], [-np.sin(a), np.cos(a)]]) + 300.0
    assert np.abs(moved[-1] - last - [0.5 * 59, 0.0]).max() < 1.0   # follows, no false shape
    f.reset()
    raw = shape + rng.normal(0.0, 0.5, (120, 68, 2))
    smoothed = np.array([f(raw[i], i / 60.0) for i in range(120)])
    jitter = lambda x: np.std(x[60:], axis=0).mean()         # noqa: E731 (over time)
    assert jitter(smoothed) < 0.8 * jitter(raw)


def test_landmarks_only_at_the_video_rate(work, listener):
    rec_path = work / "rec3.npz"
    assert live(work, listener, "--record", rec_path, "--frames", 6, "--no-smooth") == 0
    rec = dict(np.load(str(rec_path)))
    got = received(listener)
    assert all(len(p) == 844 for p in got) and "weights" not in rec
    # frames played at their own rate or skipped when late: never more than were read
    assert 0 < len(got) == len(rec["seq"]) <= 6
    check_packets(got, rec)


@pytest.mark.parametrize("args,needle", [
    (["--send", "localhost:notaport"], "--send"),
    (["--send", "127.0.0.1:70000"], "--send"),
    (["--calibration-seconds", "0"], "--calibration-seconds"),
    (["--frames", "0"], "--frames"),
    (["--performer", "p.json", "--performer-out", "q.json"], "--performer-out"),
])
def test_bad_options(work, listener, capsys, args, needle):
    assert live(work, listener, *args) == 2
    assert needle in capsys.readouterr().err


def test_missing_video(work, capsys):
    assert main(["live", "--video", str(work / "none.avi"), "--rig", str(work / "rig.json")]) == 2
    assert "none.avi" in capsys.readouterr().err


def test_cached_solve_frame_matches_solve():
    rng = np.random.default_rng(5)
    B = rng.normal(size=(68 * 3, 12))
    s = WeightSolver(B, 3, reg=1e-2, temporal=0.1, pinned=np.arange(12) == 4)
    D = rng.normal(size=(30, 68 * 3)) * 0.5 + B @ rng.uniform(0, 1, 12)
    C = np.ones((30, 68))
    C[7, :5] = 0.0                           # some frames rebuild the normal matrix
    C[20] = 0.5
    for penalties in (None, (0.05, 0.2)):
        if penalties:
            s.set_penalties(*penalties)      # a new H0: the cached factor must be forgotten
        W = s.solve(D, C)
        w, online = None, []
        for f in range(30):
            w = s.solve_frame(D[f], C[f], w)
            online.append(w)
        assert np.abs(np.array(online) - W).max() < 1e-12
        assert W.max() > 0 and np.all(W[:, 4] == 0)


def test_record_over_the_video_is_refused_before_any_work(work, listener, capsys):
    video = work / "take.avi"
    size = video.stat().st_size
    assert live(work, listener, "--record", video) == 2
    assert "--record" in capsys.readouterr().err and video.stat().st_size == size
    assert received(listener) == []
