"""The one loader for landmark tracks, whatever tracker made them.

Formats (68 iBUG points per frame, 2-D image pixels with y down, or 3-D):

- ``.npy``: an array shaped (frames, 68, 2 or 3).
- CSV with a header ``frame, x0, y0[, z0], ..., x67, y67[, z67]``; an optional ``time`` column
  (seconds, increasing from row to row); extra columns after the landmark columns are allowed: ``c0 ... c67`` are taken as
  per-landmark confidences (0-1), ``confidence`` as a per-frame one.
- OpenFace 2.0 CSV: ``x_0 ... x_67, y_0 ... y_67`` (``timestamp``, ``confidence`` and
  ``success`` used when present; OpenFace pads names with spaces).

NaN or infinite coordinates mark a landmark as missing (confidence 0); the loader reports them.
A CSV cell holding a line break, and times that are missing or do not increase, are refused
with the row named.
"""
from __future__ import annotations

import csv
import io
import os
from dataclasses import dataclass, field
from typing import List, Optional

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, MIRROR


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
        if self.times is not None and len(self.times) > 1:
            dt = np.diff(self.times)
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
    ``image_space=False``; they are flipped to y up here, once."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise _fail(path, "the tracks file does not exist", fix="check the path")
    if os.path.getsize(path) == 0:
        raise _fail(path, "the tracks file is empty")
    if path.lower().endswith(".npy"):
        pts, conf, times = _load_npy(path)
    else:
        pts, conf, times = _load_csv(path)
    return finish_tracks(pts, conf, times, path, image_space)


def finish_tracks(pts: np.ndarray, conf: np.ndarray, times: Optional[np.ndarray], path: str,
                  image_space: Optional[bool] = None) -> Tracks:
    """Validate arrays from any source (files, capture) and mark missing landmarks."""
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
    missing = ["frame %d: landmarks %s" % (f, ",".join(str(i) for i in np.nonzero(bad[f])[0]))
               for f in np.nonzero(bad.any(axis=1))[0]]
    if image_space is None:
        image_space = pts.shape[2] == 2
    if image_space:
        pts[:, :, 1] = -pts[:, :, 1]
    return Tracks(pts, conf, times, image_space, path, missing)


def _load_npy(path: str):
    try:
        arr = np.load(path, allow_pickle=False)
    except Exception as exc:  # numpy raises many kinds for corrupt files
        raise _fail(path, "not a readable .npy array (%s)" % exc) from None
    if arr.dtype.kind not in "fiu":
        raise _fail(path, "the array holds %s, not numbers" % arr.dtype)
    arr = np.asarray(arr, dtype=np.float64)
    return arr, np.ones(arr.shape[:2]), None


def _load_csv(path: str):
    try:
        with open(path, "r", encoding="utf-8-sig", newline="") as f:
            text = f.read()
    except (OSError, UnicodeDecodeError) as exc:
        raise _fail(path, "cannot read the file as text (%s)" % exc) from None
    rows, lines = _csv_rows(path, text)
    if not rows:
        raise _fail(path, "the tracks file is empty")
    header = [c.strip() for c in rows[0]]
    body = rows[1:]
    if not body:
        raise _fail(path, "has a header but no frames")
    col = {name: i for i, name in enumerate(header)}
    if "x_0" in col:
        xs, ys, zs = _cols(path, col, "x_%d"), _cols(path, col, "y_%d"), None
    elif "x0" in col:
        xs, ys = _cols(path, col, "x%d"), _cols(path, col, "y%d")
        zs = _cols(path, col, "z%d") if "z0" in col else None
    else:
        raise _fail(path, "no landmark columns (expected x0, y0, ... or OpenFace x_0, y_0, ...)",
                    "header", "write a header row 'frame,x0,y0,...,x67,y67'")
    data = _fast_numbers(body, len(header))
    if data is None:
        data = _numbers(path, body, header, lines)
    cols = [xs, ys] + ([zs] if zs is not None else [])
    pts = np.stack([data[:, c] for c in cols], axis=2)
    conf = np.ones(pts.shape[:2])
    if "c0" in col:
        conf = data[:, _cols(path, col, "c%d")]
    elif "confidence" in col:
        conf = np.repeat(data[:, col["confidence"]][:, None], COUNT, axis=1)
    if "success" in col:
        conf[data[:, col["success"]] == 0] = 0.0
        pts[data[:, col["success"]] == 0] = np.nan
    times = None
    for name in ("time", "timestamp"):
        if name in col:
            times = data[:, col[name]]
            _check_times(path, times, name, lines[1:])
            break
    return pts, conf, times


def _fast_numbers(body, columns: int):
    """All cells as numbers in one pass (empty = NaN) when every row has every column and
    every cell is a number; None otherwise (``_numbers`` then finds the culprit)."""
    if any(len(row) != columns for row in body):
        return None
    flat = [c for row in body for c in row]
    try:
        try:
            values = list(map(float, flat))
        except ValueError:                      # empty cells: missing landmarks
            nan = float("nan")
            values = [float(c) if c.strip() else nan for c in flat]
    except ValueError:
        return None
    return np.array(values, dtype=np.float64).reshape(len(body), columns)


def _numbers(path: str, body, header, lines) -> np.ndarray:
    """Cell by cell, naming the row and column of a cell that is not a number."""
    data = np.full((len(body), len(header)), np.nan)
    for r, row in enumerate(body):
        if len(row) > len(header):
            raise _fail(path, "row %d has %d values for %d header columns"
                        % (lines[r + 1], len(row), len(header)), "row %d" % lines[r + 1])
        for c, v in enumerate(row):
            v = v.strip()
            if v == "":
                continue
            try:
                data[r, c] = float(v)
            except ValueError:
                raise _fail(path, "row %d, column %r holds %r, not a number"
                            % (lines[r + 1], header[c], v), header[c]) from None
    return data


def _csv_rows(path: str, text: str):
    """The non-blank rows of a CSV and the line each starts on; a line break inside a quoted
    cell is refused (joined up, ``"1\n2"`` would read as 12)."""
    reader = csv.reader(io.StringIO(text))
    rows, lines = [], []
    start = 1
    try:
        for row in reader:
            if any("\n" in c or "\r" in c for c in row):
                raise _fail(path, "row %d: a quoted cell holds a line break" % start, "row %d" % start,
                            "write one value per cell, without line breaks")
            if any(c.strip() for c in row):
                rows.append(row)
                lines.append(start)
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(path, "is not a readable CSV (line %d: %s)" % (reader.line_num, exc),
                    "line %d" % reader.line_num) from None
    return rows, lines


def _check_times(path: str, times: np.ndarray, name: str, lines: List[int]) -> None:
    """Every frame has a time, later than the frame before."""
    for k in np.nonzero(~np.isfinite(times))[0][:1]:
        raise _fail(path, "row %d has no %s" % (lines[k], name), "row %d" % lines[k],
                    "give every frame its time in seconds, or leave out the %s column" % name)
    for k in np.nonzero(np.diff(times) <= 0)[0][:1]:
        raise _fail(path, "row %d: %s %g is not after the previous row's %g (times must increase)"
                    % (lines[k + 1], name, times[k + 1], times[k]), "row %d" % lines[k + 1],
                    "sort the rows by time and remove repeated frames")


def _cols(path: str, col: dict, pattern: str) -> List[int]:
    missing = [pattern % i for i in range(COUNT) if pattern % i not in col]
    if missing:
        raise _fail(path, "missing landmark column(s) %s: 68 landmarks are needed"
                    % ", ".join(missing[:4]) + (" ..." if len(missing) > 4 else ""),
                    missing[0], "give all 68 iBUG landmarks (0-67) per frame")
    return [col[pattern % i] for i in range(COUNT)]


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
