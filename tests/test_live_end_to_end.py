"""``microexpr live`` to the Unity runtime, end to end: the command plays a test video and
streams over loopback (its own process) while a C# ``UdpLandmarkSource`` listens in this
process; each new packet's landmarks are stepped through the C# ``PerformerSolver`` in
delivery order. The landmarks C# received equal the recorded float32 arrays (``--record``),
and its weights equal Python's ``PerformerStream`` solve of those float32 landmarks in the
same order, with the same performer file, within 1e-9. Nothing is injected here (loss,
reordering and garbage: tests/test_unity_live.py)."""
from __future__ import annotations

import os
import socket
import subprocess
import sys
import time

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("dlib")

from microexpr import bridge  # noqa: E402
from microexpr.capture import testvideo as tv  # noqa: E402
from microexpr.cli.main import main  # noqa: E402
from microexpr.unity import net  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
TOL = 1e-9
FRAMES = 40


@pytest.fixture(scope="module")
def take(tmp_path_factory, arkit_rig):
    """A rig file, a test video (head motion, the face gone for 3 frames) and a performer
    file calibrated on it by a first ``live --performer-out`` run."""
    d = tmp_path_factory.mktemp("live_e2e")
    bridge.save_rig(arkit_rig, str(d / "rig.json"))
    base = tv.astronaut_frame()
    frames = [tv.head_motion(base, shift=(2.0 * np.sin(i / 4.0), 0.4 * i), angle=np.sin(i / 5.0))
              for i in range(FRAMES)]
    frames[24:27] = [np.full_like(base, 120)] * 3
    tv.write_video(str(d / "take.avi"), frames, 30.0)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)     # the calibration run's packets
    sink.bind(("127.0.0.1", 0))
    try:
        assert main(["live", "--video", str(d / "take.avi"), "--rig", str(d / "rig.json"),
                     "--send", "127.0.0.1:%d" % sink.getsockname()[1], "--quiet",
                     "--as-fast-as-possible", "--calibration-seconds", "0.4",
                     "--performer-out", str(d / "performer.json")]) == 0
    finally:
        sink.close()
    return d


def run_live(take, port: int, *extra: str) -> subprocess.Popen:
    """``microexpr live`` in its own process, sending to ``port``."""
    cmd = [sys.executable, "-c", "import sys; from microexpr.cli.main import main; sys.exit(main())",
           "live", "--video", str(take / "take.avi"), "--rig", str(take / "rig.json"),
           "--send", "127.0.0.1:%d" % port, "--record", str(take / "rec.npz"),
           "--performer", str(take / "performer.json"), "--as-fast-as-possible", "--quiet", *extra]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.join(ROOT, "shared")] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def receive_and_solve(rt, src, solver, proc, targets: int):
    """Poll the source until the sender has exited and its last datagrams were taken; step
    the solver with each new face. Returns (seq, points y down, confidence, weights sent,
    C# weights, valid) per face, in delivery order."""
    pts, conf, w = net.new_doubles(136), net.new_doubles(68), net.new_doubles(targets)
    got = []
    deadline = time.monotonic() + 300.0
    while True:
        done = proc.poll() is not None
        if done:
            time.sleep(0.2)                     # the last datagrams reach the receive thread
        while src.TryGetLandmarks(pts, conf):
            seq = int(src.LastSequence)
            sent_w = net.from_net(src.LastWeights)[:src.WeightCount].copy()
            raw = net.from_net(pts).reshape(68, 2).copy()
            rt.UnitySpace.SourceToBridge(pts, 2, src.Space, "cm")      # as the driver does
            valid = bool(solver.Step(pts, conf, w))
            got.append((seq, raw, net.from_net(conf).copy(), sent_w, net.from_net(w).copy(), valid))
        if done:
            return got
        assert time.monotonic() < deadline, "live did not finish"
        time.sleep(0.0002)


def test_live_streams_to_the_csharp_solver_as_python_solves(rt, arkit_rig, take):
    import MicroExpr.Unity as unity

    from microexpr.solve.performer import load_performer
    from microexpr.solve.performer_stream import PerformerStream
    from microexpr.unity import parity

    perf = str(take / "performer.json")
    src = unity.UdpLandmarkSource(0, 2)
    src.Start()
    T = len(arkit_rig.target_names())
    try:
        solver = rt.PerformerSolver(parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig)),
                                    rt.Performer.Load(perf), 2, 30.0)
        proc = run_live(take, int(src.Port), "--weights")
        try:
            got = receive_and_solve(rt, src, solver, proc, T)
        finally:
            if proc.poll() is None:
                proc.kill()
            out, err = proc.communicate()
        assert proc.returncode == 0, err
        rec = dict(np.load(str(take / "rec.npz")))
        n = len(rec["seq"])
        assert n == FRAMES and list(rec["seq"]) == list(range(n)) and float(rec["fps"]) == 30.0
        # the counters: every datagram accepted, none malformed, none dropped
        assert src.Received == n and src.Accepted == n, (src.Received, src.Accepted)
        assert src.Malformed == 0 and src.Dropped == 0 and src.LastError is None
    finally:
        src.Dispose()
    faces = np.flatnonzero(rec["valid"])
    assert 10 < len(faces) < n, "the face is found, and leaves for a few frames"
    seqs = [g[0] for g in got]
    assert seqs == sorted(set(seqs)) and set(seqs) <= set(faces), "new faces, in order"
    assert len(got) >= len(faces) // 2, "polled %d of %d faces" % (len(got), len(faces))
    stream = PerformerStream(arkit_rig, load_performer(perf), fps=float(rec["fps"]))
    diffs = []
    for seq, raw, conf, sent_w, csharp_w, valid in got:
        assert np.array_equal(raw, rec["points"][seq].astype(np.float64)), "landmarks of %d" % seq
        assert np.array_equal(conf, rec["confidence"][seq].astype(np.float64))
        assert np.array_equal(sent_w, rec["weights"][seq].astype(np.float32).astype(np.float64))
        # Python on the float32 values that travelled, y up as solve.tracks.finish_tracks gives
        py, pose = stream.step(rec["points"][seq].astype(np.float64) * [1.0, -1.0],
                               rec["confidence"][seq].astype(np.float64))
        assert valid == (pose is not None)
        diffs.append(np.abs(csharp_w - py).max())
    assert max(diffs) <= TOL, "C# and Python differ by %g" % max(diffs)
    assert max(g[4].max() for g in got) > 0.0, "weights are solved"
    if seqs == list(faces):                     # every face polled: the sender's own solve too
        assert np.abs(np.array([g[4] for g in got]) - rec["weights"][faces]).max() <= TOL
