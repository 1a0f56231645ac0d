"""A take of any length solved a chunk of frames at a time, with memory flat in its length.

``solve_long`` reads the tracks file with ``solve.track_chunks.TrackChunks``, solves each chunk
with ``tracks_to_clip.TakeSolver`` and hands the weights to ``bridge.clip_stream.ClipStream``,
which spools them to disk and writes the clip at the end. What one frame hands the next (the
last weights of each pass, the pose filter, the last cameras) is carried from chunk to chunk,
so the weights equal ``solve_tracks`` of the whole take in memory (to rounding; the tests hold
them to 1e-12), whatever the chunk size. What a chunk cannot know is read first, from the
start of the file: the frame rate (the first ``FPS_FRAMES`` frames' times), the calibration
frames of an on-the-fly performer (the first 600 valid frames, or ``--calibration-frames``),
and the neutral frame of the other modes.

Memory: a chunk's tracks and the arrays of its solve (about 10 KB per 2-D frame), the rig, and
what grows with the take: a list entry per invalid frame or frame with missing landmarks in
the report. The numbers are in ``benchmarks/long_take.py``.
"""
from __future__ import annotations

import sys
from typing import Any, Callable, Dict, List, Optional, Tuple

import numpy as np

from microexpr._version import __version__
from microexpr.bridge import Rig
from microexpr.solve.tracks import FPS_FRAMES, Tracks
from microexpr.solve.tracks_to_clip import (
    DEFAULT_REG,
    DEFAULT_TEMPORAL,
    TakeSolver,
    calibrate_for,
    check_mode,
    check_neutral_frame,
)

#: Frames per chunk: about 0.2 GB of working arrays for 2-D tracks on the default rig.
CHUNK_FRAMES = 20000
Progress = Callable[[int, Optional[int]], None]


class LongTake:
    """What ``solve_long`` found: the files written, the clip's source report (head pose
    left out), the frame count, the frame rate, and each head-pose angle's range."""

    def __init__(self) -> None:
        self.files: List[str] = []
        self.source: Dict[str, Any] = {}
        self.frames = 0
        self.fps = 0.0
        self.pose_range: Optional[np.ndarray] = None          # (2, 4): min, max

    def see_pose(self, pose: np.ndarray) -> None:
        seen = pose[np.isfinite(pose[:, 0])]
        if len(seen):
            lo, hi = seen.min(axis=0), seen.max(axis=0)
            if self.pose_range is not None:
                lo, hi = np.minimum(lo, self.pose_range[0]), np.maximum(hi, self.pose_range[1])
            self.pose_range = np.stack([lo, hi])


def solve_long(rig: Rig, tracks_path: str, out_path: str, fmt: Optional[str] = None,
               mode: str = "performer", neutral_frame: int = 0, fps: Optional[float] = None,
               reg: float = DEFAULT_REG, temporal: float = DEFAULT_TEMPORAL,
               mirrored: bool = False, performer=None,
               calibration_frames: Optional[Tuple[int, int]] = None,
               prior: Optional[float] = None, speed: Optional[float] = None,
               chunk_frames: int = CHUNK_FRAMES, report_path: Optional[str] = None,
               progress: Optional[Progress] = None) -> LongTake:
    """Solve the tracks file ``tracks_path`` into the clip ``out_path`` (``fmt`` as
    ``bridge.save_clip``), and its source report into ``report_path`` when given. The
    arguments are ``solve_tracks``'s; nothing is written when it fails."""
    from microexpr.bridge.clip_stream import ClipStream
    from microexpr.solve.track_chunks import TrackChunks

    check_mode(mode)
    reader = TrackChunks(tracks_path, chunk_frames=chunk_frames)
    flip = (lambda t: t.mirrored()) if mirrored else (lambda t: t)
    opening = reader.read(0, FPS_FRAMES + 1)
    head = flip(opening)
    result = LongTake()
    result.fps = float(fps) if fps else head.fps()
    neutral_exists(reader, head, neutral_frame)
    on_the_fly = mode == "performer" and performer is None
    if on_the_fly:
        performer = calibrate_for(rig, flip(calibration_take(reader, calibration_frames, opening)),
                                  calibration_frames)
    neutral = None if mode == "performer" else \
        flip(reader.read(neutral_frame, neutral_frame + 1))
    take = TakeSolver(rig, mode, reader.dims, result.fps, reg, temporal, neutral, neutral_frame,
                      performer, on_the_fly, prior, speed)
    with ClipStream(out_path, rig.target_names(), fmt) as stream:
        for first, chunk in reader.chunks():
            W, valid, pose = take.chunk(first, flip(chunk))
            stream.add(W, valid, pose)
            if pose is not None:
                result.see_pose(pose)
            result.frames = first + chunk.frames
            if progress is not None:
                progress(result.frames, reader.frames)
        result.source = {"kind": "solve", **take.report(mirrored, reader.source, result.frames)}
        start = float(head.times[0]) if head.times is not None and np.isfinite(head.times[0]) else 0.0
        result.files = stream.finish(generator="microexpr " + __version__, fps=result.fps,
                                     start_time=start, targets=rig.target_names(),
                                     hold_invalid=True, rig_fingerprint=rig.mesh().fingerprint,
                                     source=result.source)
        if report_path:
            stream.write_source(report_path)
    return result


def neutral_exists(reader, head: Tracks, n0: int) -> None:
    """The neutral frame is in the take (a CSV's length is counted only when it is not)."""
    if 0 <= n0 < head.frames:
        return
    if n0 >= 0 and reader.read(n0, n0 + 1).frames:
        return
    frames = reader.frames
    if frames is None:
        frames = sum(chunk.frames for _, chunk in reader.chunks())
    check_neutral_frame(n0, frames, reader.source)


def calibration_take(reader, frames: Optional[Tuple[int, int]],
                     first: Optional[Tracks] = None) -> Tracks:
    """The first frames of the take, as many as the calibration reads: up to ``frames``' end,
    else until ``MAX_FRAMES`` frames show the face; at least ``FPS_FRAMES`` + 1, so the frame
    rate is the whole take's. ``first``: the take's first ``FPS_FRAMES`` + 1 frames if already
    read (a CSV is not parsed twice when they are enough)."""
    from microexpr.landmarks import RIGID
    from microexpr.solve.key_weights import MIN_RIGID
    from microexpr.solve.performer import MAX_FRAMES

    n = FPS_FRAMES + 1
    if frames is not None:
        n = max(int(frames[1]), n)
        return first if first is not None and n == FPS_FRAMES + 1 else reader.read(0, n)
    tracks = first if first is not None else reader.read(0, n)
    while True:
        seen = (tracks.confidence[:, list(RIGID)] > 0).sum(axis=1) >= MIN_RIGID
        if seen.sum() >= MAX_FRAMES or tracks.frames < n:
            return tracks
        n *= 2
        tracks = reader.read(0, n)


def print_progress(done: int, total: Optional[int]) -> None:
    """A one-line progress report on stderr (for the CLI, when stderr is a terminal)."""
    if sys.stderr.isatty():
        of = " of %d" % total if total else ""
        sys.stderr.write("\rsolve: %d%s frames" % (done, of))
        sys.stderr.flush()
        if total and done >= total:
            sys.stderr.write("\n")
