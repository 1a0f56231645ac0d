"""Performer mode frame by frame (``PerformerStream``) gives the batch solve's weights: the
per-frame math is causal, so offline, streaming and live solves agree (#11)."""
from __future__ import annotations

import numpy as np
import pytest

from microexpr.errors import MicroExprError
from microexpr.solve.performer import calibrate
from microexpr.solve.performer_stream import PerformerStream
from microexpr.solve.tracks import finish_tracks
from microexpr.solve.tracks_to_clip import solve_tracks
from performer_cases import micro_take

F = 240


def _tracks(rig, dims, seed=4):
    pts = micro_take(rig, F, dims, seed)
    conf = np.ones((F, 68))
    pts[50] = np.nan                              # a frame without a face
    pts[80:90, 48] = np.nan                       # a mouth corner lost for a while
    conf[100:120, 30] = 0.4                       # a landmark the tracker doubts
    return finish_tracks(pts, conf, np.arange(F) / 60.0, "<stream>", image_space=False)


@pytest.mark.parametrize("dims", [2, 3])
def test_frame_by_frame_gives_the_batch_weights(arkit_rig, dims):
    tracks = _tracks(arkit_rig, dims)
    performer = calibrate(arkit_rig.neutral_landmarks(), tracks)
    batch = solve_tracks(arkit_rig, tracks, "performer", performer=performer, fps=60.0)
    stream = PerformerStream(arkit_rig, performer, fps=60.0)
    W = np.zeros_like(batch.weight_array())
    poses = []
    for f in range(F):
        W[f], pose = stream.step(tracks.points[f], tracks.confidence[f])
        poses.append(pose)
    diff = np.abs(W - batch.weight_array()).max()
    print("%d-D: largest difference stream vs batch %.2e (weights up to %.2f)"
          % (dims, diff, batch.weight_array().max()))
    assert batch.weight_array().max() > 0.1            # something was solved
    assert diff < 1e-9
    assert poses[50] is None and not batch.valid_array()[50]
    ref = batch.source["head_pose"]["frames"]
    assert np.allclose(poses[10], ref[10], atol=1e-3)


def test_a_rig_with_in_betweens_is_refused(arkit_rig, face):
    from nonlinear_rig import nonlinear_rig

    rig = nonlinear_rig(arkit_rig, face.landmark_vertices)
    tracks = _tracks(arkit_rig, 2)
    performer = calibrate(arkit_rig.neutral_landmarks(), tracks)
    with pytest.raises(MicroExprError, match="batch"):
        PerformerStream(rig, performer)
