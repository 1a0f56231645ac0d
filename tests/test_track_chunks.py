"""solve.track_chunks (issue #14, long runs stream): a tracks file read a chunk of frames at a
time gives exactly what load_tracks gives (points, confidences, times, missing frames), refuses
every file load_tracks refuses with the same message, and never holds the whole file."""
from __future__ import annotations

import io
import os
import re
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fuzz_bytes import mutated
from microexpr.errors import MicroExprError
from microexpr.solve.track_chunks import TrackChunks
from microexpr.solve.tracks import load_tracks

F = 23                                   # frames of the sample files: 7 does not divide it
SIZES = (1, 7, 1000, F, F + 1)
XY = ["x%d,y%d" % (i, i) for i in range(68)]
XYZ = ["x%d,y%d,z%d" % (i, i, i) for i in range(68)]


def _values(k=2, frames=F, seed=0):
    rng = np.random.default_rng(seed)
    pts = rng.uniform(100, 500, (frames, 68, k))
    pts[3, 5] = np.nan
    pts[frames - 1, 67, 0] = np.inf
    return pts


def _csv(pts, times=None, extra=None, header_extra=""):
    """Plain CSV text: frame[, time], landmarks, then ``extra`` columns (name -> per-frame cells)."""
    k = pts.shape[2]
    head = ["frame"] + (["time"] if times is not None else []) + (XYZ if k == 3 else XY)
    head += list(extra or {})
    lines = [",".join(head) + header_extra]
    for f in range(len(pts)):
        cells = [str(f)] + ([repr(float(times[f]))] if times is not None else [])
        cells += ["" if np.isnan(v) else repr(float(v)) for v in pts[f].reshape(-1)]
        cells += [str(col[f]) for col in (extra or {}).values()]
        lines.append(",".join(cells))
    return "\n".join(lines) + "\n"


def _openface(pts):
    head = ["frame", " face_id", " timestamp", " confidence", " success"]
    head += [" x_%d" % i for i in range(68)] + [" y_%d" % i for i in range(68)]
    lines = [", ".join(head)]
    for f in range(len(pts)):
        vals = [f, 0, f * 0.04, 0.9 - f / 100, int(f % 5 != 2)] + list(pts[f, :, 0]) + list(pts[f, :, 1])
        lines.append(", ".join(str(float(v)) for v in vals))
    return "\n".join(lines) + "\n"


def _edit(text, edits):
    """``text`` with line n (1 = the header) replaced by ``edits[n](line)``."""
    lines = text.split("\n")
    for n, fn in edits.items():
        lines[n - 1] = fn(lines[n - 1])
    return "\n".join(lines)


def _cell(k, v):
    return lambda line: ",".join(c if i != k else v for i, c in enumerate(line.split(",")))


def _bytes(a):
    return None if a is None else a.tobytes()


def _good_files():
    pts, pts3 = _values(), _values(3, seed=1)
    times = np.arange(F) / 30.0
    conf = {"c%d" % i: np.round(np.linspace(0, 1, F), 3) for i in range(68)}
    out = {
        "npy 2-D float64": pts, "npy 3-D float64": pts3,
        "npy 2-D float32": pts.astype(np.float32),
        "npy 3-D int16": np.nan_to_num(pts3, posinf=0).astype(np.int16),
        "npy 2-D uint8 big": np.full((F, 68, 2), 7, np.uint8),
        "npy 2-D big-endian": pts.astype(">f8"),
        "npy 2-D Fortran order": np.asfortranarray(pts),
        "npy 3-D Fortran order int": np.asfortranarray(np.arange(F * 68 * 3).reshape(F, 68, 3)),
        "csv plain": _csv(pts), "csv 3-D": _csv(pts3), "csv time": _csv(pts, times),
        "csv c0..c67": _csv(pts, times, conf),
        "csv confidence": _csv(pts, None, {"confidence": np.linspace(0.2, 1.5, F), "score": [2.5] * F}),
        "openface": _openface(pts),
        "csv NaN, empty cells, blank lines": _edit(_csv(pts), {3: _cell(9, "nan"), 6: _cell(2, " "),
                                                              8: lambda s: "\n \n" + s}),
        "csv CRLF and BOM": "\ufeff" + _csv(pts, times).replace("\n", "\r\n"),
        "csv short rows": _edit(_csv(pts), {5: lambda s: s[:s.index(",", 60)]}),
    }
    return out


def _write(tmp_path, name, content):
    if isinstance(content, np.ndarray):
        p = tmp_path / (name.replace(" ", "_") + ".npy")
        buf = io.BytesIO()
        np.save(buf, content)
        p.write_bytes(buf.getvalue())
    else:
        p = tmp_path / (name.replace(" ", "_") + ".csv")
        p.write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return str(p)


def _joined(reader: TrackChunks):
    """The chunks of ``reader`` joined, after checking their numbering and sizes."""
    parts = list(reader.chunks())
    firsts = [first for first, _ in parts]
    sizes = [t.frames for _, t in parts]
    assert firsts == [sum(sizes[:i]) for i in range(len(parts))]
    assert all(s == reader.chunk_frames for s in sizes[:-1]) and 0 < sizes[-1] <= reader.chunk_frames
    ts = [t for _, t in parts]
    times = None if ts[0].times is None else np.concatenate([t.times for t in ts])
    return (np.concatenate([t.points for t in ts]), np.concatenate([t.confidence for t in ts]), times,
            sum((t.missing for t in ts), []), {(t.image_space, t.source, t.dims) for t in ts})


def _same_as_whole(path, chunk, image_space=None):
    whole = load_tracks(path, image_space)
    reader = TrackChunks(path, image_space, chunk_frames=chunk)
    assert reader.dims == whole.dims and reader.source == path
    pts, conf, times, missing, meta = _joined(reader)
    np.testing.assert_array_equal(pts, whole.points)          # NaN equal to NaN
    np.testing.assert_array_equal(conf, whole.confidence)
    assert (times is None) == (whole.times is None)
    if times is not None:
        np.testing.assert_array_equal(times, whole.times)
    assert missing == whole.missing
    assert meta == {(whole.image_space, whole.source, whole.dims)}
    assert reader.frames == whole.frames                       # CSV: known once read through
    return whole


@pytest.mark.parametrize("name", list(_good_files()))
@pytest.mark.parametrize("chunk", SIZES)
def test_chunks_join_to_the_whole_file(tmp_path, name, chunk):
    path = _write(tmp_path, name, _good_files()[name])
    whole = _same_as_whole(path, chunk)
    assert whole.frames == F and whole.confidence.max() > 0
    if name in ("npy 2-D float64", "csv time", "csv 3-D"):
        assert whole.missing[0] == "frame 3: landmarks 5"
        assert whole.missing[-1] == "frame %d: landmarks 67" % (F - 1)
    _same_as_whole(path, chunk, image_space=False)


def test_header_is_checked_at_once_and_frames_known_for_npy(tmp_path):
    npy = _write(tmp_path, "a", _values())
    csv = _write(tmp_path, "b", _csv(_values(3)))
    r = TrackChunks(npy, chunk_frames=5)
    assert (r.frames, r.dims, r.source) == (F, 2, npy)
    r = TrackChunks(csv)
    assert (r.frames, r.dims) == (None, 3)
    with pytest.raises(MicroExprError, match="no landmark columns"):
        TrackChunks(_write(tmp_path, "c", "a,b\n1,2\n"))
    with pytest.raises(ValueError):
        TrackChunks(npy, chunk_frames=0)


@pytest.mark.parametrize("name", ["npy 2-D float64", "npy 3-D Fortran order int", "csv time", "openface"])
def test_read_a_range(tmp_path, name):
    path = _write(tmp_path, name, _good_files()[name])
    whole = load_tracks(path)
    r = TrackChunks(path, chunk_frames=4)
    for start, stop in [(0, 1), (0, 10), (3, 4), (5, 19), (20, 100), (-3, 2)]:
        part = r.read(start, stop)
        a, b = max(start, 0), min(stop, F)
        np.testing.assert_array_equal(part.points, whole.points[a:b])
        np.testing.assert_array_equal(part.confidence, whole.confidence[a:b])
        assert part.times is None if whole.times is None else np.array_equal(part.times, whole.times[a:b])
        assert part.missing == [m for m in whole.missing if a <= int(m.split()[1][:-1]) < b]
    empty = r.read(30, 40)
    assert empty.frames == 0 and empty.dims == whole.dims and empty.image_space == whole.image_space


def test_read_stops_at_its_range(tmp_path):
    """Rows after ``stop`` are not read: calibration on the first frames of a file whose end is bad."""
    text = _csv(_values(), np.arange(F) / 30.0).replace("\n20,", "\n20,abc,", 1)
    path = _write(tmp_path, "late", text)
    assert TrackChunks(path).read(0, 10).frames == 10
    with pytest.raises(MicroExprError, match="row 22"):
        list(TrackChunks(path).chunks())


# -- refusals --------------------------------------------------------------------------------
def _long_csv(frames=1000, bad=None):
    """A CSV with a time column, ``bad`` = (file line, edit of that line)."""
    text = _csv(_values(frames=frames), np.arange(frames) / 30.0)
    return _edit(text, dict([bad])) if bad else text


def _npy_bytes(arr, allow_pickle=False):
    buf = io.BytesIO()
    np.save(buf, arr, allow_pickle=allow_pickle)
    return buf.getvalue()


_HEAD = _npy_bytes(np.zeros((2, 68, 2)))
BAD = {
    "bad cell on row 900": (_long_csv(bad=(900, _cell(5, "abc"))), "row 900, column 'y1'"),
    "time repeats at a chunk boundary": (_long_csv(bad=(502, _cell(1, repr(499 / 30)))),
                                         "row 502: time 16.6333 is not after"),
    "time missing at a chunk boundary": (_long_csv(bad=(502, _cell(1, ""))), "row 502 has no time"),
    "quoted line break on row 700": (_long_csv(bad=(700, _cell(3, '"1\n2"'))), "row 700: a quoted"),
    "too many values": (_long_csv(bad=(300, lambda s: s + ",1,2")), "row 300 has 140 values for 138"),
    "cell over the csv field limit": (_long_csv(bad=(600, _cell(3, "1" * 140000))), "not a readable CSV"),
    "not UTF-8 on row 950": (_long_csv().encode()[:-5000] + b"\xff\xfe" + _long_csv().encode()[-5000:],
                             "is not UTF-8"),
    "ends inside a character": (_long_csv().encode() + b"\xe2\x82", "ends inside a character"),
    "first bad row wins": (_long_csv(bad=(40, _cell(1, "-1"))).replace("\n60,", "\n60,x", 1), "row 40"),
    "header only": ("frame," + ",".join(XY) + "\n\n", "header but no frames"),
    "blank lines only": ("\n \n,,\n", "the tracks file is empty"),
    "empty": ("", "the tracks file is empty"),
    "no landmark columns": ("a,b\n1,2\n", "no landmark columns"),
    "missing landmark column": ("frame,x0,y0\n1,2,3\n", "missing landmark column"),
    "missing confidence column": (_csv(_values(), None, {"c0": [1] * F}), "missing landmark column\\(s\\) c1, c2, c3, c4 ...:"),
    "pickled npy": (_npy_bytes(np.array([{"a": 1}], dtype=object), True), "holds object"),
    "corrupt npy": (b"\x93NUMPY garbage", "not a readable .npy"),
    "npy wrong shape": (_npy_bytes(np.zeros((10, 5, 2))), "shaped \\(10, 5, 2\\)"),
    "npy 1-D": (_npy_bytes(np.zeros(136)), "shaped \\(136,\\)"),
    "npy 0 frames": (_npy_bytes(np.zeros((0, 68, 2))), "no frames"),
    "npy bool": (_npy_bytes(np.zeros((2, 68, 2), bool)), "holds bool"),
    "npy complex": (_npy_bytes(np.zeros((2, 68, 2), complex)), "holds complex128"),
    "npy declaring 1e9 frames": (_HEAD.replace(b"(2, 68, 2)", b"(999999999, 68, 2)"), "header declares"),
    "npy truncated": (_HEAD[:-9], "header declares"),
}


def _outcome(path, chunk=None):
    """What reading ``path`` gives: the arrays, or the refusal's message and field."""
    try:
        if chunk is None:
            t = load_tracks(path)
            return ("read", t.points.tobytes(), t.confidence.tobytes(), _bytes(t.times), t.missing)
        pts, conf, times, missing, _ = _joined(TrackChunks(path, chunk_frames=chunk))
        return ("read", pts.tobytes(), conf.tobytes(), _bytes(times), missing)
    except MicroExprError as e:
        return ("refused", str(e), e.field)


@pytest.mark.parametrize("name", list(BAD))
def test_refused_alike_whatever_the_chunk_size(tmp_path, name):
    content, words = BAD[name]
    path = _write(tmp_path, name, content)
    if "npy" in name:
        os.replace(path, path[:-4] + ".npy")
        path = path[:-4] + ".npy"
    whole = _outcome(path)
    assert whole[0] == "refused" and path in whole[1]
    assert re.search(words, whole[1]), whole[1]
    for chunk in (1, 7, 499, 500, 501, 899, 1000, 10 ** 6):
        assert _outcome(path, chunk) == whole, chunk


def test_a_missing_file(tmp_path):
    for name in ("nope.npy", "nope.csv"):
        with pytest.raises(MicroExprError, match="does not exist"):
            TrackChunks(str(tmp_path / name))


# -- fuzz: random CSV text and byte mutations, chunked == whole ------------------------------
_CELLS = st.sampled_from(["1", "2.5", "-3e2", "", " ", "nan", "inf", "abc", '"4"', '"1\n2"', "1_0",
                          " 7 ", "0", "1,2"])
_HEADERS = ["frame,time," + ",".join(XY), "frame," + ",".join(XYZ) + ",confidence",
            "frame,timestamp, success," + ",".join(" x_%d" % i for i in range(68)) + ","
            + ",".join("y_%d" % i for i in range(68)), "frame," + ",".join(XY) + "," +
            ",".join("c%d" % i for i in range(68))]


@st.composite
def _csv_texts(draw):
    header = draw(st.sampled_from(_HEADERS))
    width = header.count(",") + 1
    lines = [header]
    for f in range(draw(st.integers(0, 9))):
        cells = [str(f), "%g" % (f * 0.1 + draw(st.sampled_from([0, 0, 0, -0.2])))] + ["1.5"] * (width - 2)
        for _ in range(draw(st.integers(0, 3))):
            cells[draw(st.integers(0, width - 1))] = draw(_CELLS)
        lines.append(",".join(cells[:draw(st.sampled_from([width, width, width - 3, width + 1]))]))
    text = "\n".join(lines) + draw(st.sampled_from(["\n", "", "\n\n"]))
    if draw(st.booleans()):
        at = draw(st.integers(0, len(text)))
        text = text[:at] + draw(st.text(max_size=6)) + text[at:]
    return text.replace("\n", draw(st.sampled_from(["\n", "\r\n", "\n"])))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=_csv_texts(), chunk=st.integers(1, 5))
def test_fuzz_chunked_and_whole_csv_agree(tmp_path, text, chunk):
    p = tmp_path / "f.csv"
    p.write_bytes(text.encode("utf-8", "surrogatepass"))
    assert _outcome(str(p), chunk) == _outcome(str(p))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data(), npy=st.booleans(), chunk=st.integers(1, 5))
def test_fuzz_mutated_files_agree(tmp_path, data, npy, chunk):
    good = _npy_bytes(_values(frames=6)) if npy else _csv(_values(frames=6), np.arange(6.0)).encode()
    p = tmp_path / ("m.npy" if npy else "m.csv")
    p.write_bytes(bytes(mutated(data, good)))
    assert _outcome(str(p), chunk) == _outcome(str(p))


# -- memory: not timed; tracemalloc's peak against a bound a whole read would exceed ---------
def _peak(path, chunk):
    tracemalloc.start()
    try:
        frames = 0
        for _, t in TrackChunks(path, chunk_frames=chunk).chunks():
            frames += t.frames
        return frames, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_npy_chunks_are_read_not_loaded(tmp_path):
    frames = 100000
    p = str(tmp_path / "long.npy")
    np.save(p, np.random.default_rng(0).uniform(100, 500, (frames, 68, 2)))
    bound = os.path.getsize(p) / 3             # a whole read holds the array at least once
    got, peak = _peak(p, 5000)
    assert got == frames and peak < bound, (peak, bound)


@pytest.mark.slow
def test_csv_is_read_row_by_row(tmp_path):
    frames = 50000
    p = str(tmp_path / "long.csv")
    cells = ",".join("%.6f" % v for v in np.random.default_rng(0).uniform(100, 500, 136))
    with open(p, "w") as f:
        f.write("frame," + ",".join(XY) + "\n")
        for a in range(0, frames, 1000):
            f.write("".join("%d,%s\n" % (i, cells) for i in range(a, a + 1000)))
    bound = os.path.getsize(p) / 3             # a whole read holds the text or the numbers
    assert frames * 68 * 3 * 8 > bound          # ... and its Tracks alone exceed the bound
    got, peak = _peak(p, 2500)
    assert got == frames and peak < bound, (peak, bound)
