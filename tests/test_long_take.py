"""A take solved in chunks (``solve.long_take``) gives the whole take's weights (#14: long runs
stream instead of materialising). The tracks come from another identity than the rig, under
head motion and noise, with frames lost across chunk boundaries."""
from __future__ import annotations

import json
import os

import numpy as np
import pytest

from microexpr import bridge
from microexpr.errors import MicroExprError
from microexpr.solve.long_take import solve_long
from microexpr.solve.performer import calibrate
from microexpr.solve.tracks import finish_tracks, load_tracks, write_tracks_csv
from microexpr.solve.tracks_to_clip import solve_tracks
from performer_cases import micro_take

F = 300


def _take(rig, dims, seed=5):
    """Another identity's micro-expressions under head motion, 0.3 px noise at 100 px between
    the eye corners; frames and landmarks lost across the chunk boundaries used below."""
    pts = micro_take(rig, F, dims, seed)
    conf = np.ones((F, 68))
    pts[[49, 50, 99]] = np.nan                    # frames without a face, at and by boundaries
    pts[95:110, 48] = np.nan                      # a mouth corner lost across a boundary
    conf[140:170, 30] = 0.4
    return finish_tracks(pts, conf, np.arange(F) / 60.0, "<take>", image_space=False)


def _write(tracks, path):
    if str(path).endswith(".npy"):
        np.save(path, np.where(np.isfinite(tracks.points), tracks.points, np.nan))
    else:
        write_tracks_csv(str(path), tracks)
    return str(path)


def _compare(rig, path, out, mode, chunk, **kw):
    whole = solve_tracks(rig, load_tracks(path), mode, **kw)
    done = solve_long(rig, path, str(out), mode=mode, chunk_frames=chunk, **kw)
    clip = bridge.load_clip(str(out))
    diff = float(np.abs(clip.weight_array() - whole.weight_array()).max())
    return whole, clip, done, diff


@pytest.mark.parametrize("dims,suffix", [(2, ".csv"), (3, ".npy"), (2, ".npy")])
@pytest.mark.parametrize("chunk", [7, 50, 1000])
def test_performer_mode_in_chunks_equals_the_whole_take(arkit_rig, tmp_path, dims, suffix, chunk):
    path = _write(_take(arkit_rig, dims), tmp_path / ("take" + suffix))
    whole, clip, done, diff = _compare(arkit_rig, path, tmp_path / "clip.microexpr", "performer",
                                       chunk)
    print("%d-D %s, chunks of %d: largest difference %.2e" % (dims, suffix, chunk, diff))
    assert whole.weight_array().max() > 0.1                  # something was solved
    assert diff <= 1e-12
    assert np.array_equal(clip.valid_array(), whole.valid_array())
    assert clip.fps == whole.fps and clip.start_time == whole.start_time
    assert clip.source == json.loads(json.dumps(whole.source))
    assert done.frames == F and done.source["invalid_frames"] == [49, 50, 99]


def test_the_carry_is_what_makes_them_equal(arkit_rig, tmp_path):
    """Chunks solved as separate takes (no state carried) differ: the test above can fail."""
    tracks = _take(arkit_rig, 2)
    performer = calibrate(arkit_rig.neutral_landmarks(), tracks)
    whole = solve_tracks(arkit_rig, tracks, "performer", performer=performer)
    parts = [solve_tracks(arkit_rig, _slice(tracks, a, a + 50), "performer", performer=performer)
             for a in range(0, F, 50)]
    W = np.concatenate([p.weight_array() for p in parts])
    assert np.abs(W - whole.weight_array()).max() > 1e-3


def _slice(tracks, a, b):
    from microexpr.solve.tracks import Tracks

    return Tracks(tracks.points[a:b], tracks.confidence[a:b], tracks.times[a:b],
                  tracks.image_space, tracks.source, [])


@pytest.mark.parametrize("mode", ["rigid", "reference", "raw"])
def test_the_other_modes_in_chunks_equal_the_whole_take(arkit_rig, tmp_path, mode):
    path = _write(_take(arkit_rig, 2), tmp_path / "take.npy")
    whole, clip, done, diff = _compare(arkit_rig, path, tmp_path / "clip.json", mode, 40,
                                       neutral_frame=3, temporal=0.05)
    print("%s, chunks of 40: largest difference %.2e" % (mode, diff))
    assert whole.weight_array().max() > 0.05
    assert diff <= 1e-12
    assert np.array_equal(clip.valid_array(), whole.valid_array())
    assert clip.source == json.loads(json.dumps(whole.source))


def test_a_rig_with_in_betweens_carries_its_refined_weights(arkit_rig, face, tmp_path):
    from nonlinear_rig import nonlinear_rig

    rig = nonlinear_rig(arkit_rig, face.landmark_vertices)
    path = _write(_take(arkit_rig, 3), tmp_path / "take.npy")
    whole, clip, done, diff = _compare(rig, path, tmp_path / "clip.microexpr", "rigid", 33,
                                       temporal=0.1)
    print("in-betweens, chunks of 33: largest difference %.2e, refined %s"
          % (diff, whole.source.get("refined")))
    assert whole.source["refined"]["steps"] > 0
    assert clip.source["refined"] == whole.source["refined"]
    assert diff <= 1e-12


def test_a_bad_row_late_in_the_take_writes_nothing(arkit_rig, tmp_path):
    path = _write(_take(arkit_rig, 2), tmp_path / "take.csv")
    lines = open(path).read().splitlines()
    cells = lines[251].split(",")
    cells[5] = "oops"
    lines[251] = ",".join(cells)
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")
    out = tmp_path / "clip.microexpr"
    out.write_bytes(b"the artist's previous clip")
    with pytest.raises(MicroExprError) as err:
        solve_long(arkit_rig, path, str(out), chunk_frames=50)
    assert "row 252" in str(err.value) and "oops" in str(err.value)
    assert out.read_bytes() == b"the artist's previous clip"
    assert sorted(os.listdir(tmp_path)) == ["clip.microexpr", "take.csv"]


def test_a_neutral_frame_past_the_end_of_a_csv_is_named_with_the_length(arkit_rig, tmp_path):
    path = _write(_take(arkit_rig, 2), tmp_path / "take.csv")
    with pytest.raises(MicroExprError) as err:
        solve_long(arkit_rig, path, str(tmp_path / "c.json"), mode="rigid", neutral_frame=F + 5,
                   chunk_frames=64)
    assert "neutral frame %d is outside the %d frames" % (F + 5, F) in str(err.value)
    assert not (tmp_path / "c.json").exists()


def test_the_cli_refuses_a_chunk_size_below_one(arkit_rig, tmp_path, capsys):
    from microexpr import bridge as B
    from microexpr.cli.main import main

    rig_path = str(tmp_path / "rig.microexpr")
    B.save_rig(arkit_rig, rig_path)
    path = _write(_take(arkit_rig, 2), tmp_path / "take.npy")
    assert main(["solve", "--rig", rig_path, "--landmarks", path, "--out", str(tmp_path / "c.json"),
                 "--chunk-frames", "0"]) == 2
    assert "--chunk-frames" in capsys.readouterr().err
    assert not (tmp_path / "c.json").exists()
