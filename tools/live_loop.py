"""``microexpr live`` driven against the C# receiver in this process, for the end-to-end test
(tests/test_live_end_to_end.py) and the latency benchmark (benchmarks/live_latency.py).

``calibrated_take`` writes a rig file, a test video and a performer file (from a first
``live --performer-out`` run whose packets go to a socket nobody reads); ``start_live`` runs
``microexpr live`` in its own process toward a port; ``receive`` polls a C#
``UdpLandmarkSource`` until the sender exits, stepping a C# ``PerformerSolver`` with each new
face in delivery order; ``python_gap`` solves the recorded float32 landmarks with Python's
``PerformerStream`` in the same order and compares.
"""
from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
import time
from typing import List, NamedTuple, Sequence, Tuple

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIVE = "import sys; from microexpr.cli.main import main; sys.exit(main())"


class Face(NamedTuple):
    """One polled face: what C# received and what its solver made of it."""

    seq: int
    points: np.ndarray          # (68, 2) image pixels, y down, as received
    confidence: np.ndarray      # (68,)
    sent_weights: np.ndarray    # the weights the packet carried (empty without --weights)
    weights: np.ndarray         # the C# PerformerSolver's weights
    valid: bool                 # the C# solver found a face
    latency: float              # seconds from the packet's capture time to weights ready
    step: float                 # seconds of SourceToBridge + Step


def calibrated_take(d: str, rig, video: Sequence[np.ndarray], fps: float) -> None:
    """``rig.json``, ``take.avi`` (the frames ``video`` at ``fps``) and ``performer.json`` in
    folder ``d``."""
    from microexpr import bridge
    from microexpr.capture import testvideo as tv
    from microexpr.cli.main import main

    bridge.save_rig(rig, os.path.join(d, "rig.json"))
    tv.write_video(os.path.join(d, "take.avi"), list(video), fps)
    sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sink.bind(("127.0.0.1", 0))
    try:
        with contextlib.redirect_stdout(io.StringIO()):          # its summary line
            code = main(["live", "--video", os.path.join(d, "take.avi"),
                         "--rig", os.path.join(d, "rig.json"),
                         "--send", "127.0.0.1:%d" % sink.getsockname()[1], "--quiet",
                         "--as-fast-as-possible", "--calibration-seconds", "0.4",
                         "--performer-out", os.path.join(d, "performer.json")])
    finally:
        sink.close()
    if code != 0:
        raise RuntimeError("the calibration run of microexpr live exited %d" % code)


def start_live(d: str, port: int, record: str, *extra: str) -> subprocess.Popen:
    """``microexpr live`` on ``d``'s take in its own process, as fast as it can, to ``port``."""
    cmd = [sys.executable, "-c", LIVE, "live", "--video", os.path.join(d, "take.avi"),
           "--rig", os.path.join(d, "rig.json"), "--send", "127.0.0.1:%d" % port,
           "--record", record, "--performer", os.path.join(d, "performer.json"),
           "--as-fast-as-possible", "--quiet", *extra]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [os.path.join(ROOT, "shared")] + [p for p in [os.environ.get("PYTHONPATH")] if p]))
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def receive(rt, src, solver, proc: subprocess.Popen, targets: int,
            timeout: float = 300.0) -> List[Face]:
    """Poll ``src`` until ``proc`` exits and its last datagrams are taken; each new face goes
    through ``UnitySpace.SourceToBridge`` and ``solver.Step`` (as the driver does)."""
    from microexpr.unity import net

    pts, conf, w = net.new_doubles(136), net.new_doubles(68), net.new_doubles(targets)
    got: List[Face] = []
    deadline = time.monotonic() + timeout
    while True:
        done = proc.poll() is not None
        if done:
            time.sleep(0.2)                     # the last datagrams reach the receive thread
        while src.TryGetLandmarks(pts, conf):
            raw = net.from_net(pts).reshape(68, 2).copy()
            sent = net.from_net(src.LastWeights)[:src.WeightCount].copy()
            t0 = time.perf_counter()
            rt.UnitySpace.SourceToBridge(pts, 2, src.Space, "cm")
            valid = bool(solver.Step(pts, conf, w))
            ready = time.perf_counter()
            got.append(Face(int(src.LastSequence), raw, net.from_net(conf).copy(), sent,
                            net.from_net(w).copy(), valid, ready - float(src.LastTimestamp),
                            ready - t0))
        if done:
            return got
        if time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError("microexpr live did not finish in %g s" % timeout)
        time.sleep(0.0002)


def python_weights(rig, performer_path: str, rec: dict, faces: Sequence[Face]
                   ) -> List[Tuple[np.ndarray, bool]]:
    """Python's ``PerformerStream`` on the recorded float32 landmarks of ``faces``, in their
    order (y up, as ``solve.tracks.finish_tracks`` gives): (weights, a face found) each."""
    from microexpr.solve.performer import load_performer
    from microexpr.solve.performer_stream import PerformerStream

    stream = PerformerStream(rig, load_performer(performer_path), fps=float(rec["fps"]))
    out = []
    for face in faces:
        py, pose = stream.step(rec["points"][face.seq].astype(np.float64) * [1.0, -1.0],
                               rec["confidence"][face.seq].astype(np.float64))
        out.append((py, pose is not None))
    return out
