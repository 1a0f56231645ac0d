"""verify-unity on tracks read a chunk at a time (``unity.long_parity``): C# continues its
solvers across chunks, the Python core carries its state, and the comparison equals the
whole-take one (#14). Tracks of another identity under head motion, frames lost at chunk
boundaries, written to a file."""
from __future__ import annotations

import pytest
from test_long_take import F, _take, _write

from microexpr.solve.performer import calibrate, performer_file
from microexpr.solve.track_chunks import TrackChunks
from microexpr.solve.tracks import load_tracks
from microexpr.unity import long_parity, parity

TOL = 1e-9


@pytest.mark.parametrize("dims", [2, 3])
def test_every_mode_in_chunks_equals_the_whole_take(rt, arkit_rig, tmp_path, dims):
    from microexpr.solve.key_weights import MODES

    path = _write(_take(arkit_rig, dims), tmp_path / "take.npy")
    rig_cs = parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig))
    chunked = long_parity.compare_tracks(arkit_rig, rig_cs, TrackChunks(path, chunk_frames=13),
                                         MODES, neutral_frame=2, temporal=0.2, mirrored=True)
    whole = parity.compare_tracks(parity.RigArrays.from_rig(arkit_rig), load_tracks(path), MODES,
                                  neutral_frame=2, temporal=0.2, mirrored=True)
    for mode in MODES:
        a, b = chunked[mode], whole[mode]
        print("%s %d-D: chunked %.2e, whole take %.2e" % (mode, dims, a["max_abs_diff"], b["max_abs_diff"]))
        assert a["valid_agree"] and a["max_abs_diff"] <= TOL
        assert (a["frames"], a["invalid_frames"]) == (b["frames"], b["invalid_frames"]) == (F, b["invalid_frames"])
        assert b["invalid_frames"] >= 3


def test_performer_mode_in_chunks_weights_and_head_pose(rt, arkit_rig, tmp_path):
    tracks = _take(arkit_rig, 2)
    path = _write(tracks, tmp_path / "take.csv")
    perf = calibrate(arkit_rig.neutral_landmarks(), load_tracks(path))
    pfile = tmp_path / "performer.json"
    pfile.write_text(performer_file(perf, arkit_rig.units.length).model_dump_json())
    rig_cs = parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig))
    r = long_parity.compare_performer(arkit_rig, rig_cs, TrackChunks(path, chunk_frames=17),
                                      str(pfile))
    print("performer, chunks of 17: weights %.2e, pose %.2e" % (r["max_abs_diff"], r["pose_diff"]))
    assert r["valid_agree"] and r["max_abs_diff"] <= TOL and r["pose_diff"] <= 1e-6
    assert r["frames"] == F and r["invalid_frames"] == 3


def test_a_csharp_solver_that_forgot_its_state_would_be_caught(rt, arkit_rig, tmp_path):
    """The running comparison sees a difference when C# restarts every chunk."""
    path = _write(_take(arkit_rig, 2), tmp_path / "take.npy")
    rig_cs = parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig))
    reader = TrackChunks(path, chunk_frames=20)
    run = long_parity.Running(len(arkit_rig.targets))
    from microexpr.solve.tracks_to_clip import TakeSolver
    from microexpr.unity import net

    head = reader.read(0, 1)
    py = TakeSolver(arkit_rig, "rigid", 2, 60.0, 1e-3, 0.5, head, 0)
    T = len(arkit_rig.targets)
    for first, chunk in reader.chunks():
        cs = net.runtime().FaceSolver(rig_cs, 2, parity.compensation("rigid"), 1e-3, 0.5, False)
        cs.SetNeutral(net.to_net(head.points.reshape(-1)), net.to_net(head.confidence.reshape(-1)))
        W, V = net.new_doubles(chunk.frames * T), net.new_bools(chunk.frames)
        cs.SolveFrames(net.to_net(chunk.points), net.to_net(chunk.confidence), chunk.frames, W, V)
        w_py, v_py, _ = py.chunk(first, chunk)
        run.add(w_py, v_py, net.from_net(W, (chunk.frames, T)), net.from_net(V))
    assert run.result()["max_abs_diff"] > 1e-4
