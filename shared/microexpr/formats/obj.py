"""Wavefront OBJ: neutral and target meshes in, meshes out. Vertex order is kept as written.

Hand-written because the readers in reach change the vertices: assimp welds them, and
trimesh splits a vertex wherever its UVs differ (a UV seam), even with ``process=False``.
Either breaks the vertex correspondence between a neutral and its targets.

Reading works on the whole file at once with numpy, not line by line (a 2.6 MB target of
27k vertices in about 10 ms, 15x the line reader): the first characters of a line give its
tag (``v``, ``vt``, ``f``; other lines are skipped), whitespace marks the tokens, and the
numbers are decoded from their digits. A float is the integer of its digits times, or over,
a power of ten, computed that way only when both are exact doubles: one rounding, so it is
the correctly rounded value Python's ``float()`` gives; any other number goes through
``float()`` or ``int()``. The polygons and UVs last read are remembered with their exact
bytes: a rig's targets repeat the neutral's, and only their vertices are then decoded. A
file the vectorised reader does not take (bad input, rare whitespace or control characters)
is read line by line by ``_parse_lines``, which defines the behaviour and gives the errors.
"""
from __future__ import annotations

import os
import re
import threading
from typing import List, Optional, Tuple, Union

import numpy as np

from microexpr.atomicio import atomic_open
from microexpr.errors import MicroExprError
from microexpr.mesh import Mesh, check_face_mesh

#: points (N, 3), face_counts, face_indices, uvs (N, 2) or None
Parsed = Tuple[np.ndarray, np.ndarray, np.ndarray, Optional[np.ndarray]]

_PLAIN = bytes(range(32, 127)) + b"\t\n"                 # what the fast reader reads as is
_HIGH = bytes(range(128, 256))
_INDENT = re.compile(rb"^[ \t]+", re.MULTILINE)
#: the non-ASCII characters str.split() and str.splitlines() take as whitespace
_UNICODE_SPACE = re.compile("[\x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")
_POW10 = 10.0 ** np.arange(23)                           # exact doubles up to 1e22
_EXACT = 2 ** 53                                         # every integer up to it is a double
_WIDEST = 32                                             # longer numbers go through Python
_PAD = b"\n" * (_WIDEST + 3)
_V, _VT, _F = 1, 2, 3


def read_obj(path: str, name: Optional[str] = None) -> Mesh:
    """Read positions, polygons and (per-vertex) UVs of every object in the file, as one
    mesh. A vertex's UV is the first one its polygons give it (one side of a UV seam)."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise MicroExprError("cannot read the OBJ file (%s)" % exc, file=path,
                             fix="pass a text Wavefront .obj") from None
    parsed = _parse_fast(data)
    if parsed is None:
        parsed = _parse_lines(_text(data, path), path)
    pts, counts, idx, uvs = parsed
    check_face_mesh(pts, counts, path)
    stem = os.path.splitext(os.path.basename(path))[0]
    return Mesh(name or stem, pts, counts, idx, uvs=uvs)


def _text(data: bytes, path: str) -> str:
    try:
        return data.decode("utf-8", errors="strict")
    except UnicodeDecodeError as exc:
        raise MicroExprError("cannot read the OBJ file (%s)" % exc, file=path,
                             fix="pass a text Wavefront .obj") from None


def _parse_lines(text: str, path: str) -> Parsed:
    """The line-by-line reader: the reference behaviour, and the errors (file, line, fix)."""
    pts: List[List[float]] = []
    vts: List[List[float]] = []
    counts: List[int] = []
    idx: List[int] = []
    uv_of: dict = {}
    ahead: List[Tuple[int, int, str, str]] = []          # UV references past the UVs so far
    for n, line in enumerate(text.splitlines(), 1):
        parts = line.split("#", 1)[0].split()
        if not parts:
            continue
        tag = parts[0]
        try:
            if tag == "v":
                pts.append([float(parts[1]), float(parts[2]), float(parts[3])])
            elif tag == "vt":
                vts.append([float(parts[1]), float(parts[2]) if len(parts) > 2 else 0.0])
            elif tag == "f":
                if len(parts) < 4:
                    raise ValueError("a face needs at least 3 corners")
                counts.append(len(parts) - 1)
                for corner in parts[1:]:
                    fields = corner.split("/")
                    v = int(fields[0])
                    v = v - 1 if v > 0 else len(pts) + v
                    if not 0 <= v < len(pts):
                        raise ValueError("face refers to vertex %s, which does not exist" % fields[0])
                    idx.append(v)
                    if len(fields) > 1 and fields[1]:
                        t = int(fields[1])
                        t = t - 1 if t > 0 else len(vts) + t
                        if t < 0:
                            raise ValueError("face refers to texture coordinate %s, which does "
                                             "not exist" % fields[1])
                        if t >= len(vts):
                            ahead.append((t, n, line, fields[1]))
                        uv_of.setdefault(v, t)
        except (ValueError, IndexError) as exc:
            raise _line_error(path, n, line, exc) from None
    for t, n, line, field in ahead:
        if t >= len(vts):
            raise _line_error(path, n, line, "face refers to texture coordinate %s, which does "
                                             "not exist" % field)
    if not pts:
        raise MicroExprError("has no vertices", file=path, fix="pass a mesh OBJ")
    arr = np.asarray(pts, dtype=np.float64)
    if not np.all(np.isfinite(arr)):
        raise MicroExprError("has NaN or infinite vertex positions", file=path,
                             fix="clean the mesh")
    uvs = None
    if vts and len(uv_of) == len(pts):
        uvs = np.asarray([vts[uv_of[v]] for v in range(len(pts))], dtype=np.float64)
    return arr, np.asarray(counts, dtype=np.int64), np.asarray(idx, dtype=np.int64), uvs


def _line_error(path: str, n: int, line: str, why) -> MicroExprError:
    return MicroExprError("line %d (%r): %s" % (n, line.strip()[:60], why), file=path,
                          field="line %d" % n, fix="repair or re-export the OBJ")


def _plain(data: bytes) -> Optional[bytes]:
    """``data`` with LF line ends and no comments, between a newline and ``_PAD``; None
    when a byte needs the line reader: an ASCII control character, invalid UTF-8, or
    Unicode whitespace."""
    if b"\r" in data:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
    odd = data.translate(None, _PLAIN)
    if odd:
        if odd.translate(None, _HIGH):
            return None
        try:
            text = data.decode("utf-8", errors="strict")
        except UnicodeDecodeError:
            return None
        if _UNICODE_SPACE.search(text):
            return None
    view = memoryview(data)
    pieces: List[Union[bytes, memoryview]] = [b"\n"]
    at = 0
    while True:                                             # drop each '#' to its line end
        comment = data.find(b"#", at)
        if comment < 0:
            break
        pieces.append(view[at:comment])
        at = data.find(b"\n", comment)
        if at < 0:
            at = len(data)
    pieces += [view[at:], _PAD]
    return b"".join(pieces)


class _Bytes:
    """Plain text (from ``_plain``: a newline before it and ``_PAD`` after it, so no token,
    and no grid of ``_numbers``, leaves ``buf``)."""

    def __init__(self, plain: bytes) -> None:
        self.plain = plain
        self.buf = np.frombuffer(self.plain, dtype=np.uint8)

    def tokens_between(self, lo: int, hi: int) -> Tuple[np.ndarray, np.ndarray]:
        """Starts and ends of the whitespace-separated tokens in ``buf[lo:hi]``, which must
        begin and end with whitespace."""
        ws = self.buf[lo:hi] <= 32                          # only space, tab, LF are left
        change = np.flatnonzero(ws[1:] != ws[:-1]) + (lo + 1)
        return change[0::2], change[1::2]

    def grid(self, a: np.ndarray, size: np.ndarray, width: int) -> np.ndarray:
        """(width, len(a)) characters from each ``a``; 0 past each ``size``."""
        rows = np.arange(width)[:, None]
        c = self.buf[a + rows]
        c *= rows < size
        return c


class _Text(_Bytes):
    """A plain file as lines: ``start``/``end`` bound each line that is not empty, and
    ``kind`` says what it holds (_V, _VT, _F; 0: other)."""

    def __init__(self, plain: bytes) -> None:
        super().__init__(plain)
        breaks = np.flatnonzero(self.buf == 10)
        start, end = breaks[:-1] + 1, breaks[1:]
        keep = end > start
        self.start, self.end = start[keep], end[keep]
        c0, c1, c2 = self.buf[self.start], self.buf[self.start + 1], self.buf[self.start + 2]
        self.indented = bool(np.any(c0 <= 32))
        self.kind = np.zeros(len(self.start), dtype=np.int8)
        self.kind[(c0 == ord("v")) & (c1 <= 32)] = _V       # the tag, then a space or the end
        self.kind[(c0 == ord("v")) & (c1 == ord("t")) & (c2 <= 32)] = _VT
        self.kind[(c0 == ord("f")) & (c1 <= 32)] = _F

    def span(self, lines: np.ndarray) -> bytes:
        """The bytes from the first to the last of ``lines``."""
        return self.plain[self.start[lines[0]]:self.end[lines[-1]]]

    def tokens(self, lines: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Token starts and ends in the lines from the first to the last of ``lines``, and for
        each of ``lines`` its first token (the tag) and how many tokens follow it."""
        starts, ends = self.tokens_between(self.start[lines[0]] - 1, self.end[lines[-1]] + 1)
        first = np.searchsorted(starts, self.start[lines[0]:lines[-1] + 1])
        values = np.diff(first, append=len(starts)) - 1
        pick = lines - lines[0]
        return starts, ends, first[pick], values[pick]


class _Memo:
    """The last results of a pure function of its key (bytes compared in full), so the
    targets of a rig, whose polygons and UVs repeat the neutral's, skip parsing them."""

    def __init__(self, size: int = 2) -> None:
        self.items: List[tuple] = []
        self.size = size
        self.lock = threading.Lock()

    def get(self, key: tuple):
        with self.lock:
            return next((value for k, value in self.items if k == key), None)

    def put(self, key: tuple, value) -> None:
        with self.lock:
            self.items = [(key, value)] + self.items[: self.size - 1]


_UV_MEMO = _Memo()
_FACE_MEMO = _Memo()


def _parse_fast(data: bytes) -> Optional[Parsed]:
    """The vectorised reader; None when the file needs ``_parse_lines`` (bad or unusual
    input). Gives exactly what ``_parse_lines`` gives whenever it gives anything."""
    plain = _plain(data)
    if plain is None:
        return None
    text = _Text(plain)
    if text.indented:
        text = _Text(_INDENT.sub(b"", plain))
    v_lines = np.flatnonzero(text.kind == _V)
    if not len(v_lines):
        return None
    starts, ends, tag, values = text.tokens(v_lines)
    if values.min() < 3:
        return None
    which = (tag[:, None] + np.arange(1, 4)).ravel()
    pts = _numbers(text, starts[which], ends[which], True)
    if pts is None or not np.all(np.isfinite(pts)):
        return None
    vts = _uv_points(text, np.flatnonzero(text.kind == _VT))
    if vts is None:
        return None
    faces = _faces(text, np.flatnonzero(text.kind == _F), len(v_lines), len(vts))
    if faces is None:
        return None
    counts, idx, uv_pick = faces
    uvs = None if uv_pick is None or not len(vts) else vts[uv_pick]
    return pts.reshape(-1, 3), counts.copy(), idx.copy(), uvs


def _uv_points(text: _Text, lines: np.ndarray) -> Optional[np.ndarray]:
    """(M, 2) texture coordinates: u, and v or 0 when the line gives only u."""
    if not len(lines):
        return np.zeros((0, 2))
    key = (text.span(lines),)
    known = _UV_MEMO.get(key)
    if known is not None:
        return known
    starts, ends, tag, values = text.tokens(lines)
    if values.min() < 1:
        return None
    two = tag[values >= 2] + 2
    u = _numbers(text, starts[tag + 1], ends[tag + 1], True)
    v = _numbers(text, starts[two], ends[two], True)
    if u is None or v is None:
        return None
    vts = np.zeros((len(lines), 2))
    vts[:, 0] = u
    vts[values >= 2, 1] = v
    _UV_MEMO.put(key, vts)
    return vts


def _faces(text: _Text, lines: np.ndarray, v_total: int, uv_total: int
           ) -> Optional[Tuple[np.ndarray, np.ndarray, Optional[np.ndarray]]]:
    """Polygon sizes, 0-based vertex indices, and each vertex's UV index (the first its
    corners give; None unless every vertex has one); None when a corner is bad."""
    if not len(lines):
        empty = np.zeros(0, dtype=np.int64)
        return empty, empty, None
    # negative indices count back from the vertices (UVs) written before the face line
    kind = text.kind[lines[0]:lines[-1] + 1]
    v_ahead = int(np.count_nonzero(text.kind[:lines[0]] == _V))
    t_ahead = int(np.count_nonzero(text.kind[:lines[0]] == _VT))
    key = (text.span(lines), v_ahead, t_ahead, v_total, uv_total)
    known = _FACE_MEMO.get(key)
    if known is not None:
        return known
    starts, ends, tag, counts = text.tokens(lines)
    if counts.min() < 3:
        return None
    offset = np.cumsum(counts) - counts
    corner = np.repeat(tag + 1 - offset, counts) + np.arange(int(counts.sum()))
    fields = _corners(text, starts[corner], ends[corner])
    if fields is None:
        return None
    v, t, has_uv = fields
    pick = lines - lines[0]
    v_base = np.repeat(v_ahead + np.cumsum(kind == _V)[pick], counts)
    v = np.where(v > 0, v - 1, v_base + v)
    if np.any((v < 0) | (v >= v_base)):
        return None
    t_base = np.repeat(t_ahead + np.cumsum(kind == _VT)[pick], counts)[has_uv]
    t = t[has_uv]
    t = np.where(t > 0, t - 1, t_base + t)
    if np.any((t < 0) | (t >= uv_total)):
        return None
    vertex, first_use = np.unique(v[has_uv], return_index=True)
    uv_pick = t[first_use] if len(vertex) == v_total else None
    result = (counts.astype(np.int64), v, uv_pick)
    _FACE_MEMO.put(key, result)
    return result


def _corners(text: _Bytes, a: np.ndarray, b: np.ndarray
             ) -> Optional[Tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """The first two '/'-separated fields of each polygon corner (``v``, ``v/vt``,
    ``v//vn``, ``v/vt/vn``; later fields are not read): the vertex number, the UV number
    and whether the corner has one. None when a field is not an integer."""
    size = b - a
    width = int(size.max())
    if width > 2 * _WIDEST:
        return None
    c = text.grid(a, size, width)
    slash = c == ord("/")
    field = slash.astype(np.uint8)                          # the field of each character
    for k in range(1, width):
        field[k] += field[k - 1]
    starts_field = np.zeros_like(slash)
    starts_field[0] = True
    starts_field[1:] = slash[:-1]
    live = c > 0                                            # control characters never get here
    in_v = live & (field == 0)
    in_t = live & (field == 1) & ~slash
    digit = c - np.uint8(48)
    is_digit = digit < 10
    sign = starts_field & ((c == ord("+")) | (c == ord("-")))
    ok = ~_count((in_v | in_t) & ~(is_digit | sign)).astype(bool)
    n_v, n_t = _count(in_v & is_digit), _count(in_t & is_digit)
    has_t = _count(in_t) > 0
    ok &= (n_v >= 1) & (n_v <= 18) & (~has_t | ((n_t >= 1) & (n_t <= 18)))
    v = _fold(digit, in_v & is_digit)
    t = _fold(digit, in_t & is_digit)
    v = np.where(c[0] == ord("-"), -v, v)
    t = np.where(_count(in_t & sign & (c == ord("-"))) > 0, -t, t)
    for j in np.flatnonzero(~ok):                           # rare: Python decides
        try:
            parts = text.plain[a[j]:b[j]].decode("utf-8").split("/")
            v[j] = int(parts[0])
            has_t[j] = len(parts) > 1 and bool(parts[1])
            t[j] = int(parts[1]) if has_t[j] else 0
        except (ValueError, OverflowError, UnicodeDecodeError):
            return None
    return v, t, has_t


def parse_numbers(text: str, dtype=np.float64) -> np.ndarray:
    """``np.array(text.split(), dtype)`` for float64 or int64, vectorised: plain decimals are
    decoded as ``read_obj`` decodes them, any other token goes through that numpy conversion
    (which raises ValueError or OverflowError when it is not a number). COLLADA's number
    arrays are read with it."""
    data = text.encode("ascii") if text.isascii() else b"\0"
    if data.translate(None, _PLAIN):                        # not ASCII, control characters
        return np.array(text.split(), dtype=dtype)
    padded = _Bytes(b"\n" + data + _PAD)
    a, b = padded.tokens_between(0, len(data) + 2)
    out, ok = _decode(padded, a, b, np.dtype(dtype) == np.float64)
    rest = np.flatnonzero(~ok)
    if len(rest):
        out[rest] = np.array([padded.plain[a[k]:b[k]].decode("ascii") for k in rest], dtype=dtype)
    return out


def _numbers(text: _Bytes, a: np.ndarray, b: np.ndarray, floats: bool) -> Optional[np.ndarray]:
    """The numbers written in ``plain[a[k]:b[k]]``, as float64 or int64; None when one is
    not a number Python's ``float()`` / ``int()`` takes."""
    out, ok = _decode(text, a, b, floats)
    for k in np.flatnonzero(~ok):                           # rare: Python decides
        try:
            number = text.plain[a[k]:b[k]].decode("utf-8")
            out[k] = float(number) if floats else int(number)
        except (ValueError, OverflowError, UnicodeDecodeError):
            return None
    return out


def _decode(text: _Bytes, a: np.ndarray, b: np.ndarray, floats: bool
            ) -> Tuple[np.ndarray, np.ndarray]:
    """The plain decimals in ``plain[a[k]:b[k]]`` as float64 or int64, and which numbers
    were decoded (the others, left 0, need Python).

    The characters sit in a (width, count) grid, one column per number: the grid gives each
    number's sign, dot and exponent, and the digits fold into an integer row by row.
    """
    if not len(a):
        return np.zeros(0, dtype=np.float64 if floats else np.int64), np.ones(0, dtype=bool)
    size = b - a
    width = int(min(max(size.max(), 1), _WIDEST))
    c = text.grid(a, size, width)
    rows = np.arange(width, dtype=np.uint8)[:, None]
    digit = c - np.uint8(48)
    is_digit = digit < 10
    sign_first = np.zeros_like(is_digit)                    # a sign may open the number
    sign_first[0] = (c[0] == ord("+")) | (c[0] == ord("-"))
    if floats:
        value, e, ok = _decimal(c, rows, digit, is_digit, sign_first)
    else:
        ok = ~_count(~(is_digit | sign_first) & (c > 0)).astype(bool)
        value = _fold(digit, is_digit)
        n_digits = _count(is_digit)
        ok &= (n_digits >= 1) & (n_digits <= 18)
    ok &= (size <= width) & (size >= 1)
    negative = c[0] == ord("-")
    if not floats:
        return np.where(ok, np.where(negative, -value, value), 0), ok
    ok &= value <= _EXACT
    mf = value.astype(np.float64)
    out = np.where(e >= 0, mf * _POW10[np.clip(e, 0, 22)], mf / _POW10[np.clip(-e, 0, 22)])
    return np.where(ok, np.where(negative, -out, out), 0.0), ok


def _decimal(c: np.ndarray, rows: np.ndarray, digit: np.ndarray, is_digit: np.ndarray,
             sign_first: np.ndarray) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For a grid of decimal numbers: the integer of the mantissa's digits, the power of ten
    to apply, and whether the number takes the exact route (one sign, dot and exponent at
    most, in that order; up to 18 digits; a power within 1e-22..1e22)."""
    is_dot = c == ord(".")
    is_exp = (c | 32) == ord("e")
    n_dot, n_exp = _count(is_dot), _count(is_exp)
    pos_dot = _count(is_dot * rows)                         # the position when there is one
    pos_exp = np.where(n_exp == 1, _count(is_exp * rows), 255).astype(np.uint8)
    sign_ok = sign_first
    if n_exp.any():                                         # and the exponent
        after_exp = rows == pos_exp.astype(np.int16) + 1
        sign_ok = sign_ok | (((c == ord("+")) | (c == ord("-"))) & after_exp)
    ok = ~_count(~(is_digit | is_dot | is_exp | sign_ok) & (c > 0)).astype(bool)
    ok &= (n_dot <= 1) & (n_exp <= 1) & ((n_dot == 0) | (pos_dot < pos_exp))
    mantissa = is_digit & (rows < pos_exp)
    n_m = _count(mantissa)
    ok &= (n_m >= 1) & (n_m <= 18)
    decimals = np.where(n_dot == 1, _count(mantissa & (rows > pos_dot)), 0).astype(np.int64)
    e = -decimals
    if n_exp.any():
        exponent = is_digit & (rows > pos_exp)
        n_x = _count(exponent)
        x = np.where(n_x > 4, 99999, _fold(digit, exponent))   # long exponents: out of range
        after = c[np.minimum(pos_exp.astype(np.int64) + 1, c.shape[0] - 1), np.arange(c.shape[1])]
        e = e + np.where((n_exp == 1) & (after == ord("-")), -x, x)
        ok &= (n_exp == 0) | (n_x >= 1)
    ok &= np.abs(e) <= 22
    return _fold(digit, mantissa), e, ok


def _count(mask: np.ndarray) -> np.ndarray:
    """Per column of a grid, the sum of a bool or small-integer mask (below 256)."""
    return mask.view(np.uint8).sum(axis=0, dtype=np.uint8)


def _fold(digit: np.ndarray, use: np.ndarray) -> np.ndarray:
    """Per column, the integer of the digits marked ``use``, read top to bottom."""
    value = np.zeros(digit.shape[1], dtype=np.int64)
    for k in range(digit.shape[0]):
        value = np.where(use[k], value * 10 + digit[k], value)
    return value


def write_obj(path: str, mesh: Mesh, points: Optional[np.ndarray] = None) -> None:
    """Write ``mesh`` (optionally with other ``points``) atomically."""
    p = mesh.points if points is None else np.asarray(points, dtype=np.float64)
    with atomic_open(path, "w") as f:
        f.write("# written by MicroExpr; units: rig units (cm by default), Y up\n")
        f.write("o %s\n" % mesh.name)
        f.writelines("v %.9g %.9g %.9g\n" % tuple(v) for v in p)
        if mesh.uvs is not None:
            f.writelines("vt %.9g %.9g\n" % tuple(t) for t in mesh.uvs)
        for poly in mesh.polygons():
            if mesh.uvs is not None:
                f.write("f " + " ".join("%d/%d" % (i + 1, i + 1) for i in poly) + "\n")
            else:
                f.write("f " + " ".join(str(i + 1) for i in poly) + "\n")
