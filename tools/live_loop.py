"""``microexpr live`` driven against the C# receiver in this process, for the end-to-end test
(tests/test_live_end_to_end.py) and the latency benchmark (benchmarks/live_latency.py).

``calibrated_take`` writes a rig file, a test video and a performer file (from a first
``live --performer-out`` run whose packets go to a socket nobody reads); ``start_live`` runs
``microexpr live`` in its own process toward a port; ``receive`` polls a C#
``UdpLandmarkSource`` until the sender exits, stepping a C# ``PerformerSolver`` with each new
face in delivery order; ``python_weights`` solves the recorded float32 landmarks with
Python's ``PerformerStream`` in the same order. The receiving and the Python solve are the
package's (``microexpr.unity.live_check``, which ``microexpr demo`` also uses); this file
adds ``microexpr live`` as the sender.
"""
from __future__ import annotations

import contextlib
import io
import os
import socket
import subprocess
import sys
from typing import List, Sequence

import numpy as np

from microexpr.unity import live_check
from microexpr.unity.live_check import Face, python_weights

__all__ = ["Face", "calibrated_take", "python_weights", "receive", "start_live"]

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LIVE = "import sys; from microexpr.cli.main import main; sys.exit(main())"


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


def start_live(d: str, port: int, record: str, *extra: str,
               python: str = sys.executable) -> subprocess.Popen:
    """``microexpr live`` on ``d``'s take in its own process, as fast as it can, to ``port``;
    ``python``: the interpreter to run it with (e.g. ``.venv-mediapipe/bin/python``, which
    loads this checkout's package too)."""
    cmd = [python, "-c", LIVE, "live", "--video", os.path.join(d, "take.avi"),
           "--rig", os.path.join(d, "rig.json"), "--send", "127.0.0.1:%d" % port,
           "--record", record, "--performer", os.path.join(d, "performer.json"),
           "--as-fast-as-possible", "--quiet", *extra]
    path = [os.path.join(ROOT, "shared")] + [p for p in [os.environ.get("PYTHONPATH")] if p]
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(path), GLOG_minloglevel="2",
               TF_CPP_MIN_LOG_LEVEL="2")              # mediapipe's start-up logging
    return subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)


def receive(rt, src, solver, proc: subprocess.Popen, targets: int,
            timeout: float = 300.0) -> List[Face]:
    """``live_check.receive`` until ``proc`` exits (killed after ``timeout`` s)."""
    return live_check.receive(rt, src, solver, lambda: proc.poll() is not None, targets,
                              timeout, on_timeout=proc.kill)
