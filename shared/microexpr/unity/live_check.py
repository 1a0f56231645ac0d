"""Live packets received by the C# runtime in this process and checked against Python.

A C# ``UdpLandmarkSource`` (loaded under Mono through pythonnet) listens on a loopback port
while a sender (``microexpr live`` in its own process, or the demo's thread) streams live
packets to it. :func:`receive` polls the source and steps a C# ``PerformerSolver`` with each
new face in delivery order; :func:`python_weights` solves the same float32 landmarks with
Python's ``PerformerStream`` in the same order, so the two can be compared.

    run = listen(rig, "performer.json", fps, start_sender)   # start_sender(port) -> done()
    gap = max_gap(run.faces, python_weights(rig, "performer.json", rec, run.faces))

Used by ``microexpr demo`` (its "live over loopback" step), tests/test_live_end_to_end.py and
benchmarks/live_latency.py (through tools/live_loop.py).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable, List, NamedTuple, Optional, Sequence, Tuple

import numpy as np


class Face(NamedTuple):
    """One polled face: what C# received and what its solver made of it."""

    seq: int
    points: np.ndarray          # (68, 2) image pixels, y down, as received
    confidence: np.ndarray      # (68,)
    sent_weights: np.ndarray    # the weights the packet carried (empty without them)
    weights: np.ndarray         # the C# PerformerSolver's weights
    valid: bool                 # the C# solver found a face
    latency: float              # seconds from the packet's timestamp to weights ready
    step: float                 # seconds of SourceToBridge + Step


@dataclass
class LoopbackRun:
    """What :func:`listen` received: the faces polled and the source's counters."""

    faces: List[Face] = field(default_factory=list)
    received: int = 0           # datagrams the C# source handled
    accepted: int = 0
    dropped: int = 0            # well-formed but out of order, duplicate or stale
    malformed: int = 0
    error: Optional[str] = None  # the receive thread's last exception

    def latency_ms(self) -> Tuple[float, float]:
        """Median and 95th percentile of the faces' latencies, ms (NaN without faces)."""
        if not self.faces:
            return float("nan"), float("nan")
        lat = np.array([f.latency for f in self.faces]) * 1e3
        return float(np.median(lat)), float(np.percentile(lat, 95))


def receive(rt, src, solver, done: Callable[[], bool], targets: int, timeout: float = 300.0,
            on_timeout: Optional[Callable[[], Any]] = None) -> List[Face]:
    """Poll ``src`` (every 0.2 ms) until ``done()`` and the last datagrams are taken; each new
    face goes through ``UnitySpace.SourceToBridge`` and ``solver.Step`` (as the Unity driver
    does). After ``timeout`` s: ``on_timeout()``, then RuntimeError."""
    from microexpr.unity import net

    pts, conf, w = net.new_doubles(136), net.new_doubles(68), net.new_doubles(targets)
    got: List[Face] = []
    deadline = time.monotonic() + timeout
    while True:
        finished = done()
        if finished:
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
        if finished:
            return got
        if time.monotonic() > deadline:
            if on_timeout is not None:
                on_timeout()
            raise RuntimeError("the sender did not finish in %g s" % timeout)
        time.sleep(0.0002)


def listen(rig, performer_path: str, fps: float, start_sender: Callable[[int], Callable[[], bool]],
           timeout: float = 300.0) -> LoopbackRun:
    """A C# ``UdpLandmarkSource`` on a free loopback port and a C# ``PerformerSolver`` (the
    rig, the performer file read by C#); ``start_sender(port)`` starts sending 2-D packets
    there and returns its ``done()``; everything polled until then, and the counters."""
    from microexpr.unity import net, parity

    rt = net.runtime()
    import MicroExpr.Unity as unity

    solver = rt.PerformerSolver(parity.csharp_rig(parity.RigArrays.from_rig(rig)),
                                rt.Performer.Load(str(performer_path)), 2, float(fps))
    src = unity.UdpLandmarkSource(0, 2)
    src.Start()
    try:
        faces = receive(rt, src, solver, start_sender(int(src.Port)), len(rig.target_names()),
                        timeout)
        return LoopbackRun(faces, int(src.Received), int(src.Accepted), int(src.Dropped),
                           int(src.Malformed), src.LastError)
    finally:
        src.Dispose()


def python_weights(rig, performer_path: str, rec: dict, faces: Sequence[Face]
                   ) -> List[Tuple[np.ndarray, bool]]:
    """Python's ``PerformerStream`` on the sent float32 landmarks of ``faces``, in their order
    (y up, as ``solve.tracks.finish_tracks`` gives): (weights, a face found) each. ``rec``:
    ``points`` (N, 68, 2) pixels y down and ``confidence`` (N, 68) indexed by sequence
    number, and ``fps`` (a ``live --record`` file's arrays)."""
    from microexpr.solve.performer import load_performer
    from microexpr.solve.performer_stream import PerformerStream

    stream = PerformerStream(rig, load_performer(performer_path), fps=float(rec["fps"]))
    out = []
    for face in faces:
        py, pose = stream.step(np.asarray(rec["points"][face.seq]).astype(np.float64) * [1.0, -1.0],
                               np.asarray(rec["confidence"][face.seq]).astype(np.float64))
        out.append((py, pose is not None))
    return out


def max_gap(faces: Sequence[Face], python: Sequence[Tuple[np.ndarray, bool]]) -> float:
    """The largest |C# - Python| weight over ``faces`` (inf where one found a face and the
    other did not, or when the lists differ in length)."""
    if len(faces) != len(python):
        return float("inf")
    gap = 0.0
    for f, (py, found) in zip(faces, python):
        gap = max(gap, float(np.abs(f.weights - py).max()) if f.valid == found else float("inf"))
    return gap
