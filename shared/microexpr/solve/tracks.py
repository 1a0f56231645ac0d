"""The one loader for landmark tracks, whatever tracker made them.

Formats (68 iBUG points per frame, 2-D image pixels with y down, or 3-D):

- ``.npy``: an array shaped (frames, 68, 2 or 3).
- CSV with a header ``frame, x0, y0[, z0], ..., x67, y67[, z67]``; an optional ``time`` column
  (seconds, increasing from row to row); extra columns after the landmark columns are allowed: ``c0 ... c67`` are taken as
  per-landmark confidences (0-1), ``confidence`` as a per-frame one.
- OpenFace 2.0 CSV: ``x_0 ... x_67, y_0 ... y_67`` (``timestamp``, ``confidence`` and
  ``success`` used when present; OpenFace pads names with spaces).

NaN or infinite coordinates mark a landmark as missing (confidence 0); the loader reports them.
A CSV cell holding a line break, a cell that is not a number, and times that are missing or do
not increase, are refused with the row named (the first bad row of the file). The parsing lives
in ``track_chunks`` (``TrackChunks`` reads a long take a chunk of frames at a time).
"""
from __future__ import annotations

import csv
import os
import sys
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, MIRROR

#: The frame rate of tracks with times is read from this many first frames.
FPS_FRAMES = 20000


@dataclass
class Tracks:
    """Landmarks per frame. ``points`` (F, 68, k) in y-up coordinates (image tracks are
    flipped on load); ``confidence`` (F, 68) in 0-1, 0 = missing."""

    points: np.ndarray
    confidence: np.ndarray
    times: Optional[np.ndarray] = None
    image_space: bool = True
    source: str = "<tracks>"
    missing: List[str] = field(default_factory=list)

    @property
    def dims(self) -> int:
        return int(self.points.shape[2])

    @property
    def frames(self) -> int:
        return int(self.points.shape[0])

    def fps(self, default: float = 30.0) -> float:
        """Frames per second from the median interval of the first ``FPS_FRAMES`` frames'
        times (a take read in chunks knows them before it starts), else ``default``."""
        if self.times is not None and len(self.times) > 1:
            dt = np.diff(self.times[:FPS_FRAMES + 1])
            dt = dt[np.isfinite(dt) & (dt > 0)]
            if len(dt):
                return float(1.0 / np.median(dt))
        return default

    def mirrored(self) -> "Tracks":
        """Undo a selfie mirror: flip x and swap left/right landmark labels."""
        p = self.points[:, MIRROR].copy()
        p[:, :, 0] = -p[:, :, 0]
        return Tracks(p, self.confidence[:, MIRROR].copy(), self.times, self.image_space,
                      self.source, list(self.missing))


def _fail(path: str, problem: str, field_: Optional[str] = None, fix: Optional[str] = None):
    return MicroExprError(problem, file=path, field=field_, fix=fix or
                          "see 'microexpr solve --help' for the accepted tracks formats")


def load_tracks(path: str, image_space: Optional[bool] = None) -> Tracks:
    """Read tracks from ``.npy`` or CSV. 2-D tracks are image pixels (y down) unless
    ``image_space=False``; they are flipped to y up here, once. The file is parsed as one
    chunk of ``track_chunks.TrackChunks`` (the one parser: a chunked read gives the same)."""
    from microexpr.solve.track_chunks import TrackChunks  # imports this module

    parts = list(TrackChunks(path, image_space, chunk_frames=sys.maxsize).chunks())
    if len(parts) != 1:                 # the file changed between its header check and its read
        raise _fail(os.fspath(path), "no frames")
    return parts[0][1]


def finish_tracks(pts: np.ndarray, conf: np.ndarray, times: Optional[np.ndarray], path: str,
                  image_space: Optional[bool] = None, first_frame: int = 0) -> Tracks:
    """Validate arrays from any source (files, capture) and mark missing landmarks;
    ``first_frame`` numbers the frames in ``missing`` (a chunk of a longer take)."""
    if pts.ndim != 3 or pts.shape[1] != COUNT or pts.shape[2] not in (2, 3):
        raise _fail(path, "tracks are shaped %s, expected (frames, 68, 2 or 3)" % (pts.shape,),
                    "landmarks", "give all 68 iBUG landmarks per frame")
    if pts.shape[0] == 0:
        raise _fail(path, "no frames")
    pts = np.array(pts, dtype=np.float64)
    conf = np.clip(np.nan_to_num(np.asarray(conf, dtype=np.float64), nan=0.0), 0.0, 1.0)
    bad = ~np.all(np.isfinite(pts), axis=2)
    conf[bad] = 0.0
    pts[bad] = np.nan
    missing = ["frame %d: landmarks %s" % (first_frame + f, ",".join(str(i) for i in np.nonzero(bad[f])[0]))
               for f in np.nonzero(bad.any(axis=1))[0]]
    if image_space is None:
        image_space = pts.shape[2] == 2
    if image_space:
        pts[:, :, 1] = -pts[:, :, 1]
    return Tracks(pts, conf, times, image_space, path, missing)


def write_tracks_csv(path: str, tracks: Tracks, extra: Optional[dict] = None) -> None:
    """Write tracks as CSV (image tracks back to y down), with per-landmark confidences."""
    from microexpr.atomicio import atomic_open

    pts = tracks.points.copy()
    if tracks.image_space:
        pts[:, :, 1] = -pts[:, :, 1]
    k = tracks.dims
    axes = "xyz"[:k]
    header = ["frame"] + (["time"] if tracks.times is not None else [])
    header += ["%s%d" % (a, i) for i in range(COUNT) for a in axes]
    header += ["c%d" % i for i in range(COUNT)]
    extra = extra or {}
    header += list(extra)
    with atomic_open(path, "w") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        for n in range(tracks.frames):
            row = [str(n)] + (["%.6f" % tracks.times[n]] if tracks.times is not None else [])
            row += ["" if not np.isfinite(v) else repr(float(v)) for v in pts[n].reshape(-1)]
            row += ["%.4g" % c for c in tracks.confidence[n]]
            row += [str(extra[name][n]) for name in extra]
            w.writerow(row)
