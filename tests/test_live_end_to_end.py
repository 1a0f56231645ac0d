"""``microexpr live`` to the Unity runtime, end to end: the command plays a test video and
streams over loopback (its own process) while a C# ``UdpLandmarkSource`` listens in this
process; each new packet's landmarks are stepped through the C# ``PerformerSolver`` in
delivery order. The landmarks C# received equal the recorded float32 arrays (``--record``),
and its weights equal Python's ``PerformerStream`` solve of those float32 landmarks in the
same order, with the same performer file, within 1e-9. Nothing is injected here (loss,
reordering and garbage: tests/test_unity_live.py)."""
from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("cv2")
pytest.importorskip("dlib")

from live_loop import calibrated_take, python_weights, receive, start_live  # noqa: E402
from microexpr.capture import testvideo as tv  # noqa: E402

TOL = 1e-9
FRAMES = 40


@pytest.fixture(scope="module")
def take(tmp_path_factory, arkit_rig):
    """A rig file, a test video (head motion, the face gone for 3 frames) and a performer
    file calibrated on it by a first ``live --performer-out`` run."""
    d = tmp_path_factory.mktemp("live_e2e")
    base = tv.astronaut_frame()
    frames = [tv.head_motion(base, shift=(2.0 * np.sin(i / 4.0), 0.4 * i), angle=np.sin(i / 5.0))
              for i in range(FRAMES)]
    frames[24:27] = [np.full_like(base, 120)] * 3
    calibrated_take(str(d), arkit_rig, frames, 30.0)
    return d


def test_live_streams_to_the_csharp_solver_as_python_solves(rt, arkit_rig, take):
    import MicroExpr.Unity as unity

    from microexpr.unity import parity

    perf = str(take / "performer.json")
    src = unity.UdpLandmarkSource(0, 2)
    src.Start()
    T = len(arkit_rig.target_names())
    try:
        solver = rt.PerformerSolver(parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig)),
                                    rt.Performer.Load(perf), 2, 30.0)
        proc = start_live(str(take), int(src.Port), str(take / "rec.npz"), "--weights")
        try:
            got = receive(rt, src, solver, proc, T)
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
    seqs = [g.seq for g in got]
    assert seqs == sorted(set(seqs)) and set(seqs) <= set(faces), "new faces, in order"
    assert len(got) >= len(faces) // 2, "polled %d of %d faces" % (len(got), len(faces))
    diffs = []
    # Python on the float32 values that travelled, y up as solve.tracks.finish_tracks gives
    for g, (py, found) in zip(got, python_weights(arkit_rig, perf, rec, got)):
        assert np.array_equal(g.points, rec["points"][g.seq].astype(np.float64)), "landmarks of %d" % g.seq
        assert np.array_equal(g.confidence, rec["confidence"][g.seq].astype(np.float64))
        assert np.array_equal(g.sent_weights, rec["weights"][g.seq].astype(np.float32).astype(np.float64))
        assert g.valid == found
        diffs.append(np.abs(g.weights - py).max())
    assert max(diffs) <= TOL, "C# and Python differ by %g" % max(diffs)
    assert max(g.weights.max() for g in got) > 0.0, "weights are solved"
    if seqs == list(faces):                     # every face polled: the sender's own solve too
        assert np.abs(np.array([g.weights for g in got]) - rec["weights"][faces]).max() <= TOL
