"""Tracks files read a chunk of frames at a time, so a long take keeps memory flat.

This is the one parser of tracks files: ``tracks.load_tracks`` reads a file as a single chunk,
so a whole read and a chunked one give the same frames and refuse a bad file with the same
message. Problems are reported in file order: the first bad row wins, whatever the chunk size.

- ``.npy``: the header is parsed by numpy's own reader (``np.lib.format``); each chunk is a
  seek and a read of its frames, never the whole array.
- CSV: ``csv.reader`` over the open file, one row at a time; each row becomes numbers at once
  (a float64 row of the chunk), so no list of strings outlives its row.
"""
from __future__ import annotations

import codecs
import csv
import itertools
import math
import os
import re
from typing import IO, Iterator, List, Optional, Tuple

import numpy as np

from microexpr.landmarks import COUNT
from microexpr.solve.tracks import Tracks, _fail, finish_tracks

__all__ = ["TrackChunks"]

Row = Tuple[int, List[str]]             # (line the row starts on, its cells)


class TrackChunks:
    """A tracks file (.npy or CSV: every format solve.tracks.load_tracks reads) read a chunk of frames at a time."""

    def __init__(self, path, image_space: Optional[bool] = None, chunk_frames: int = 20000):
        """Open ``path`` and check its header (npy: dtype and shape; CSV: header row, landmark
        columns, at least one frame), raising the MicroExprError ``load_tracks`` raises."""
        if int(chunk_frames) < 1:
            raise ValueError("chunk_frames must be 1 or more, not %r" % (chunk_frames,))
        self.source: str = os.fspath(path)
        self.chunk_frames = int(chunk_frames)
        self._image_space = image_space
        self._npy: Optional[_Npy] = None
        self._csv: Optional[_Layout] = None
        if not os.path.exists(self.source):
            raise _fail(self.source, "the tracks file does not exist", fix="check the path")
        if os.path.getsize(self.source) == 0:
            raise _fail(self.source, "the tracks file is empty")
        self.frames: Optional[int] = None      #: None for CSV until a pass of chunks() ends
        if self.source.lower().endswith(".npy"):
            self._npy = _Npy(self.source)
            self.frames, self.dims = self._npy.shape[0], self._npy.shape[2]
        else:
            with _open_text(self.source) as f:
                self._csv, _ = _csv_start(self.source, f)
            self.dims = self._csv.dims

    def chunks(self) -> Iterator[Tuple[int, Tracks]]:
        """(first frame index, Tracks of up to ``chunk_frames`` frames), in order, from the
        start of the file each time it is called. ``missing`` names absolute frame numbers."""
        if self._npy is not None:
            with open(self.source, "rb") as f:
                for a in range(0, self._npy.shape[0], self.chunk_frames):
                    b = min(a + self.chunk_frames, self._npy.shape[0])
                    yield a, self._finish(self._npy.read(f, a, b), None, None, a)
            return
        frames = 0
        for first, data in _csv_data(self.source, self.chunk_frames):
            yield first, self._csv_tracks(data, first)
            frames = first + len(data)
        self.frames = frames

    def read(self, start: int, stop: int) -> Tracks:
        """Frames [start, stop) clipped to the file (possibly none); a CSV is read from its
        start up to ``stop``, so rows after ``stop`` are not checked."""
        start = max(0, int(start))
        stop = max(start, int(stop))
        if self.frames is not None:
            stop = min(stop, self.frames)
        if self._npy is not None:
            if stop > start:
                with open(self.source, "rb") as f:
                    return self._finish(self._npy.read(f, start, stop), None, None, start)
            parts = []
        else:
            parts = [data[max(0, start - first):] for first, data
                     in _csv_data(self.source, self.chunk_frames, stop) if first + len(data) > start]
        if stop > start and parts:
            return self._csv_tracks(np.concatenate(parts) if len(parts) > 1 else parts[0], start)
        times = np.zeros(0) if self._csv is not None and self._csv.time is not None else None
        image = self.dims == 2 if self._image_space is None else self._image_space
        return Tracks(np.zeros((0, COUNT, self.dims)), np.zeros((0, COUNT)), times, image,
                      self.source, [])

    def _csv_tracks(self, data: np.ndarray, first: int) -> Tracks:
        assert self._csv is not None
        pts, conf, times = self._csv.arrays(data)
        return self._finish(pts, conf, times, first)

    def _finish(self, pts, conf, times, first: int) -> Tracks:
        conf = np.ones(pts.shape[:2]) if conf is None else conf
        return finish_tracks(pts, conf, times, self.source, self._image_space, first_frame=first)


# -- .npy ------------------------------------------------------------------------------------
class _Npy:
    """The header of a .npy file (numpy's own parser) and reads of its frames."""

    def __init__(self, path: str):
        self.path = path
        try:
            with open(path, "rb") as f:
                version = np.lib.format.read_magic(f)
                if version == (1, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
                elif version == (2, 0):
                    shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
                else:
                    raise ValueError(".npy format version %d.%d is not supported" % version)
                self.offset = f.tell()
        except Exception as exc:  # numpy raises many kinds for corrupt headers
            why = re.sub(r" at 0x[0-9a-fA-F]+", "", str(exc))   # no object addresses: same each read
            raise _fail(path, "not a readable .npy array (%s)" % why) from None
        if dtype.kind not in "fiu":
            raise _fail(path, "the array holds %s, not numbers" % dtype)
        if len(shape) != 3 or shape[1] != COUNT or shape[2] not in (2, 3):
            raise _fail(path, "tracks are shaped %s, expected (frames, 68, 2 or 3)" % (shape,),
                        "landmarks", "give all 68 iBUG landmarks per frame")
        if shape[0] == 0:
            raise _fail(path, "no frames")
        need = shape[0] * shape[1] * shape[2] * dtype.itemsize
        have = os.path.getsize(path) - self.offset
        if have < need:
            raise _fail(path, "not a readable .npy array (its header declares %s %s: %d bytes of "
                        "data, the file holds %d)" % (shape, dtype, need, have))
        self.shape: Tuple[int, int, int] = shape
        self.fortran: bool = fortran
        self.dtype: np.dtype = dtype

    def read(self, f: IO[bytes], a: int, b: int) -> np.ndarray:
        """Frames [a, b) as float64 (b - a, 68, k): one read in C order, one per column of
        the (68 * k) in Fortran order."""
        frames, _, k = self.shape
        size = self.dtype.itemsize
        if not self.fortran:
            f.seek(self.offset + a * COUNT * k * size)
            flat = self._fromfile(f, (b - a) * COUNT * k)
            return flat.reshape(b - a, COUNT, k).astype(np.float64, copy=False)
        out = np.empty((b - a, COUNT, k))
        for d in range(k):
            for j in range(COUNT):
                f.seek(self.offset + ((d * COUNT + j) * frames + a) * size)
                out[:, j, d] = self._fromfile(f, b - a)
        return out

    def _fromfile(self, f: IO[bytes], count: int) -> np.ndarray:
        data = np.fromfile(f, dtype=self.dtype, count=count)
        if len(data) != count:
            raise _fail(self.path, "not a readable .npy array (the file ended early)")
        return data


# -- CSV -------------------------------------------------------------------------------------
class _Layout:
    """What the header row says: where the landmark, confidence, success and time columns are."""

    def __init__(self, path: str, header: List[str]):
        self.header = [c.strip() for c in header]
        col = {name: i for i, name in enumerate(self.header)}
        if "x_0" in col:
            patterns = ["x_%d", "y_%d"]
        elif "x0" in col:
            patterns = ["x%d", "y%d"] + (["z%d"] if "z0" in col else [])
        else:
            raise _fail(path, "no landmark columns (expected x0, y0, ... or OpenFace x_0, y_0, ...)",
                        "header", "write a header row 'frame,x0,y0,...,x67,y67'")
        self.axes = [_cols(path, col, p) for p in patterns]
        self.dims = len(self.axes)
        self.conf = _cols(path, col, "c%d") if "c0" in col else None
        self.frame_conf = col.get("confidence")
        self.success = col.get("success")
        self.time: Optional[Tuple[str, int]] = None
        for name in ("time", "timestamp"):
            if name in col:
                self.time = (name, col[name])
                break

    def arrays(self, data: np.ndarray):
        """Points, confidences and times of parsed rows ``data`` (rows, header columns)."""
        pts = np.stack([data[:, c] for c in self.axes], axis=2)
        conf = np.ones(pts.shape[:2])
        if self.conf is not None:
            conf = data[:, self.conf]
        elif self.frame_conf is not None:
            conf = np.repeat(data[:, self.frame_conf][:, None], COUNT, axis=1)
        if self.success is not None:
            off = data[:, self.success] == 0
            conf[off] = 0.0
            pts[off] = np.nan
        times = data[:, self.time[1]].copy() if self.time is not None else None
        return pts, conf, times


def _cols(path: str, col: dict, pattern: str) -> List[int]:
    missing = [pattern % i for i in range(COUNT) if pattern % i not in col]
    if missing:
        raise _fail(path, "missing landmark column(s) %s%s: 68 landmarks are needed"
                    % (", ".join(missing[:4]), " ..." if len(missing) > 4 else ""),
                    missing[0], "give all 68 iBUG landmarks (0-67) per frame")
    return [col[pattern % i] for i in range(COUNT)]


def _open_text(path: str) -> IO[str]:
    try:
        return open(path, "r", encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise _fail(path, "cannot read the file as text (%s)" % exc) from None


def _csv_start(path: str, f: IO[str]) -> Tuple[_Layout, Iterator[Row]]:
    """The header's layout and the body rows, after checking there is at least one."""
    rows = _rows(path, f)
    header = next(rows, None)
    if header is None:
        raise _fail(path, "the tracks file is empty")
    body = next(rows, None)
    if body is None:
        raise _fail(path, "has a header but no frames")
    return _Layout(path, header[1]), itertools.chain([body], rows)


def _csv_data(path: str, chunk_frames: int, stop: Optional[int] = None
              ) -> Iterator[Tuple[int, np.ndarray]]:
    """(first frame, parsed rows) of up to ``chunk_frames`` rows, up to row ``stop``."""
    with _open_text(path) as f:
        layout, rows = _csv_start(path, f)
        first, last_time = 0, None
        while stop is None or first < stop:
            want = chunk_frames if stop is None else min(chunk_frames, stop - first)
            data, last_time = _parse_rows(path, layout, rows, want, last_time)
            if len(data):
                yield first, data
            if len(data) < want:
                return
            first += len(data)


def _parse_rows(path: str, layout: _Layout, rows: Iterator[Row], want: int,
                last_time: Optional[float]) -> Tuple[np.ndarray, Optional[float]]:
    """Up to ``want`` rows as numbers, each checked (cells, then its time) as it is read."""
    ncols = len(layout.header)
    buf = np.empty((min(want, 1024), ncols))
    n = 0
    for line, row in rows:
        if n == len(buf):
            buf = np.concatenate([buf, np.empty((min(len(buf), want - len(buf)), ncols))])
        buf[n] = _numbers(path, layout.header, row, line)
        if layout.time is not None:
            t = float(buf[n, layout.time[1]])
            _check_time(path, layout.time[0], t, last_time, line)
            last_time = t
        n += 1
        if n == want:
            break
    return buf[:n], last_time


def _numbers(path: str, header: List[str], row: List[str], line: int) -> List[float]:
    """A row's cells as numbers (empty = NaN; a short row is padded with NaN), naming the row
    and column of a cell that is not a number."""
    if len(row) == len(header):
        try:
            return list(map(float, row))
        except ValueError:
            pass
    if len(row) > len(header):
        raise _fail(path, "row %d has %d values for %d header columns"
                    % (line, len(row), len(header)), "row %d" % line)
    values = [math.nan] * len(header)
    for c, v in enumerate(row):
        v = v.strip()
        if v:
            try:
                values[c] = float(v)
            except ValueError:
                raise _fail(path, "row %d, column %r holds %r, not a number"
                            % (line, header[c], v), header[c]) from None
    return values


def _check_time(path: str, name: str, t: float, last: Optional[float], line: int) -> None:
    """Every frame has a time, later than the frame before."""
    if not math.isfinite(t):
        raise _fail(path, "row %d has no %s" % (line, name), "row %d" % line,
                    "give every frame its time in seconds, or leave out the %s column" % name)
    if last is not None and t <= last:
        raise _fail(path, "row %d: %s %g is not after the previous row's %g (times must increase)"
                    % (line, name, t, last), "row %d" % line,
                    "sort the rows by time and remove repeated frames")


def _rows(path: str, f: IO[str]) -> Iterator[Row]:
    """The non-blank rows of a CSV and the line each starts on; a line break inside a quoted
    cell is refused (joined up, ``"1\\n2"`` would read as 12)."""
    reader = csv.reader(f)
    start = 1
    try:
        for row in reader:
            if any("\n" in c or "\r" in c for c in row):
                raise _fail(path, "row %d: a quoted cell holds a line break" % start, "row %d" % start,
                            "write one value per cell, without line breaks")
            if any(c.strip() for c in row):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        raise _fail(path, "is not a readable CSV (line %d: %s)" % (reader.line_num, exc),
                    "line %d" % reader.line_num) from None
    except UnicodeDecodeError:
        raise _fail(path, "cannot read the file as text (%s)" % _bad_text(path)) from None
    except OSError as exc:
        raise _fail(path, "cannot read the file as text (%s)" % exc) from None


def _bad_text(path: str) -> str:
    """Where a file stops being UTF-8: its byte offset and line, from a fresh binary read."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with open(path, "rb") as f:
        offset = 3 if f.read(3) == codecs.BOM_UTF8 else 0
        f.seek(offset)
        lines = 1
        for block in iter(lambda: f.read(1 << 16), b""):
            pending = len(decoder.getstate()[0])        # an unfinished character from before
            try:
                decoder.decode(block)
            except UnicodeDecodeError as exc:
                bad = max(exc.start - pending, 0)
                return "byte %d, line %d, is not UTF-8" % (offset + bad, lines + block.count(b"\n", 0, bad))
            offset, lines = offset + len(block), lines + block.count(b"\n")
        pending = len(decoder.getstate()[0])
    if pending:
        return "the file ends inside a character (byte %d, line %d)" % (offset - pending, lines)
    return "not UTF-8 text"
