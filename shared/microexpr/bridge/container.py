"""The ``.microexpr`` container: a JSON header plus one binary payload, in one file.

Layout (all integers little-endian; every chunk's data starts on an 8-byte boundary)::

    0   magic     b"MXPR"
    4   uint32    container layout version (1)
    8   uint64    total file length in bytes
    16  chunk     uint64 data length (a multiple of 8), 4-byte type b"JSON", 4 zero bytes, data
    ..  chunk     the same with type b"BIN\\0" (optional)

The JSON chunk is the bridge document (UTF-8, padded with spaces). Large arrays are not
inlined: the document holds ``{"$accessor": k}`` where the array was, and lists
``"accessors"`` (``buffer``, ``byteOffset``, ``dtype``, ``shape``, ``units``) and ``"buffers"``
(``byteLength``, and ``uri`` for an external ``.bin`` next to the file). Buffer 0 without a
``uri`` is the BIN chunk. This is glTF's GLB idea with 64-bit lengths and typed accessors.

Written by hand because no library in reach reads a GLB-style container with bounds checks
that name the bad field before allocating; numpy maps the arrays straight out of the file.
"""
from __future__ import annotations

import json
import mmap
import os
import struct
from dataclasses import dataclass
from typing import Any, List, Optional, Sequence, Tuple, Union

import numpy as np

from microexpr.errors import MicroExprError

MAGIC = b"MXPR"
LAYOUT_VERSION = 1
PREAMBLE = struct.Struct("<4sIQ")
CHUNK = struct.Struct("<Q4s4x")
JSON_CHUNK, BIN_CHUNK = b"JSON", b"BIN\0"
#: Stored dtypes: name -> numpy little-endian type.
DTYPES = {"float32": "<f4", "float64": "<f8", "int32": "<i4", "uint32": "<u4", "uint8": "u1"}
#: Arrays smaller than this stay inline in the JSON header.
INLINE_LIMIT = 64
PathLike = Union[str, "os.PathLike[str]"]


@dataclass
class Stored:
    """An array to store in the payload, with its dtype on disk and its length unit."""

    array: np.ndarray
    dtype: str = "float64"
    units: Optional[str] = None


def is_container(path: PathLike) -> bool:
    """True when the file starts with the container's magic bytes."""
    try:
        with open(path, "rb") as f:
            return f.read(4) == MAGIC
    except OSError:
        return False


# -- writing -------------------------------------------------------------------------------
def _pad(data: bytes, fill: bytes) -> bytes:
    return data + fill * (-len(data) % 8)


def layout(doc: Any) -> Tuple[dict, List[Stored]]:
    """Replace every ``Stored`` (or ndarray) in ``doc`` by an accessor, placed from its shape
    and dtype alone (no array is read); return (header, the stored arrays in payload order)."""
    accessors: List[dict] = []
    stored: List[Stored] = []
    offset = 0

    def walk(node: Any) -> Any:
        nonlocal offset
        if isinstance(node, np.ndarray):
            node = Stored(node, "float64" if node.dtype.kind == "f" else "int32")
        if isinstance(node, Stored):
            if node.dtype not in DTYPES:
                raise ValueError("unknown stored dtype %r" % node.dtype)
            shape = [int(s) for s in np.shape(node.array)] or [1]    # as np.ascontiguousarray
            accessors.append({"buffer": 0, "byteOffset": offset, "dtype": node.dtype,
                              "shape": shape, "units": node.units})
            stored.append(node)
            offset += padded_size(node)
            return {"$accessor": len(accessors) - 1}
        if isinstance(node, dict):
            return {k: walk(v) for k, v in node.items()}
        if isinstance(node, (list, tuple)):
            return [walk(v) for v in node]
        return node

    header = walk(doc)
    if not isinstance(header, dict):
        raise ValueError("the document must be a JSON object")
    header["accessors"] = accessors
    header["buffers"] = [{"byteLength": offset}] if accessors else []
    return header, stored


def padded_size(node: Stored) -> int:
    """Bytes ``node`` takes in the payload, padding included."""
    size = int(np.prod(np.shape(node.array), dtype=np.int64)) * np.dtype(DTYPES[node.dtype]).itemsize
    return size + -size % 8


def encode(doc: Any) -> Tuple[dict, bytes]:
    """Replace every ``Stored`` (or ndarray) in ``doc`` by an accessor; return (header, payload)."""
    header, stored = layout(doc)
    parts = [_pad(np.ascontiguousarray(s.array, dtype=DTYPES[s.dtype]).tobytes(), b"\0") for s in stored]
    return header, b"".join(parts)


def pack(doc: Any) -> bytes:
    """The whole container as bytes (header and payload in one file)."""
    header, payload = encode(doc)
    return _assemble(header, payload)


def header_text(header: dict) -> bytes:
    """The JSON chunk's text, before its padding."""
    return json.dumps(header, separators=(",", ":"), allow_nan=False).encode("utf-8")


def lead(text_size: int, payload_size: int) -> bytes:
    """The bytes before the JSON text: preamble and JSON chunk header, for a JSON text of
    ``text_size`` bytes (unpadded) and a payload of ``payload_size`` (0: no BIN chunk)."""
    body = CHUNK.size + text_size + -text_size % 8 + (CHUNK.size + payload_size if payload_size else 0)
    return PREAMBLE.pack(MAGIC, LAYOUT_VERSION, PREAMBLE.size + body) + CHUNK.pack(
        text_size + -text_size % 8, JSON_CHUNK)


def text_padding(text_size: int) -> bytes:
    """The spaces after a JSON text of ``text_size`` bytes."""
    return b" " * (-text_size % 8)


def bin_chunk(payload_size: int) -> bytes:
    """The BIN chunk's header for a payload of ``payload_size`` bytes (a multiple of 8)."""
    return CHUNK.pack(payload_size, BIN_CHUNK)


def _assemble(header: dict, payload: Optional[bytes]) -> bytes:
    text = header_text(header)
    parts = [lead(len(text), len(payload or b"")), text, text_padding(len(text))]
    if payload:
        parts += [bin_chunk(len(payload)), payload]
    return b"".join(parts)


def external(path: str, header: dict) -> str:
    """The ``.bin`` beside ``path`` for its payload; ``header`` now points to it."""
    bin_path = os.path.splitext(path)[0] + ".bin"
    header["buffers"][0]["uri"] = os.path.basename(bin_path)
    return bin_path


def write(path: PathLike, doc: Any, external_bin: bool = False) -> List[str]:
    """Write ``doc`` atomically; with ``external_bin`` the payload goes to ``<stem>.bin`` beside
    it (both written to temporaries first, renamed only when both are complete)."""
    from microexpr.atomicio import write_files

    path = os.fspath(path)
    header, payload = encode(doc)
    if not external_bin or not payload:
        write_files({path: _assemble(header, payload)})
        return [path]
    bin_path = external(path, header)
    write_files({bin_path: payload, path: _assemble(header, None)})
    return [bin_path, path]


# -- reading -------------------------------------------------------------------------------
class Container:
    """A read container: ``header`` (the JSON document) and its arrays, mapped on demand."""

    def __init__(self, path: str, header: dict, buffers: List[Any]) -> None:
        self.path = path
        self.header = header
        self._buffers = buffers
        self._accessors = _check_accessors(path, header, buffers)

    def layout(self, index: Any) -> Tuple[str, Tuple[int, ...]]:
        """Accessor ``index``'s stored dtype name and shape, without reading it."""
        return self.header["accessors"][self._checked(index)]["dtype"], self._accessors[index][3]

    def array(self, index: Any) -> np.ndarray:
        """Accessor ``index`` as a read-only array of its stored dtype (no copy)."""
        buf, offset, dtype, shape = self._accessors[self._checked(index)]
        count = int(np.prod(shape, dtype=np.int64)) if shape else 1
        arr = np.frombuffer(self._buffers[buf], dtype=dtype, count=count, offset=offset)
        return arr.reshape(shape)

    def _checked(self, index: Any) -> int:
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < len(self._accessors):
            raise MicroExprError("accessor %r does not exist (%d accessors)"
                                 % (index, len(self._accessors)), file=self.path,
                                 field="$accessor", fix="re-export the file")
        return index

    def resolve(self, node: Any) -> Any:
        """``node`` with every ``{"$accessor": k}`` replaced by its array."""
        if isinstance(node, dict):
            if set(node) == {"$accessor"}:
                return self.array(node["$accessor"])
            return {k: self.resolve(v) for k, v in node.items()}
        if isinstance(node, list):
            return [self.resolve(v) for v in node]
        return node

    def document(self) -> dict:
        """The whole document with arrays in place (the header's bookkeeping removed)."""
        doc = {k: v for k, v in self.header.items() if k not in ("accessors", "buffers")}
        return self.resolve(doc)


def _fail(path: str, problem: str, field: str, fix: str = "re-export the file from MicroExpr") -> MicroExprError:
    return MicroExprError(problem, file=path, field=field, fix=fix)


def read(path: PathLike) -> Container:
    """Open a container, check its layout, header and accessors; arrays stay in the file."""
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            data: Any = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as exc:
        raise MicroExprError("cannot read the file (%s)" % (exc.strerror or exc), file=path,
                             fix="check the path") from None
    return parse(data, path)


def parse(data: Any, path: str = "<bytes>") -> Container:
    """A container from bytes (or a read-only mmap)."""
    size = len(data)
    if size < PREAMBLE.size:
        raise _fail(path, "too short for a .microexpr container (%d bytes)" % size, "header")
    magic, version, total = PREAMBLE.unpack_from(data, 0)
    if magic != MAGIC:
        raise _fail(path, "is not a .microexpr container (magic %r)" % magic, "header")
    if version != LAYOUT_VERSION:
        raise _fail(path, "container layout %d is not known (this MicroExpr reads %d)"
                    % (version, LAYOUT_VERSION), "header.version", "upgrade MicroExpr")
    if total != size:
        raise _fail(path, "the header says %d bytes but the file has %d (truncated or padded)"
                    % (total, size), "header.length")
    chunks: List[Tuple[bytes, int, int]] = []
    pos = PREAMBLE.size
    while pos < size:
        if size - pos < CHUNK.size:
            raise _fail(path, "a chunk header is cut off at byte %d" % pos, "chunks[%d]" % len(chunks))
        length, kind = CHUNK.unpack_from(data, pos)
        start = pos + CHUNK.size
        if length % 8 or length > size - start:
            raise _fail(path, "chunk of %d bytes at byte %d runs past the end or is not padded"
                        % (length, pos), "chunks[%d].length" % len(chunks))
        chunks.append((kind, start, length))
        pos = start + length
    kinds = [c[0] for c in chunks]
    if not kinds or kinds[0] != JSON_CHUNK or kinds.count(JSON_CHUNK) != 1 or kinds.count(BIN_CHUNK) > 1 \
            or any(k not in (JSON_CHUNK, BIN_CHUNK) for k in kinds):
        raise _fail(path, "chunks must be one JSON chunk, then at most one BIN chunk (found %s)"
                    % [k.decode("latin-1") for k in kinds], "chunks")
    header = _json(path, bytes(data[chunks[0][1]:chunks[0][1] + chunks[0][2]]))
    bin_chunk = memoryview(data)[chunks[1][1]:chunks[1][1] + chunks[1][2]] if len(chunks) > 1 else None
    return Container(path, header, _buffers(path, header, bin_chunk))


def _json(path: str, raw: bytes) -> dict:
    try:
        header = json.loads(raw.decode("utf-8"), parse_constant=_no_constant, parse_int=_finite_int,
                            parse_float=_finite_float, object_pairs_hook=_unique_keys)
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise _fail(path, "the JSON chunk is not valid JSON (%s)" % str(exc)[:120], "JSON") from None
    if not isinstance(header, dict):
        raise _fail(path, "the JSON chunk is %s, not an object" % type(header).__name__, "JSON")
    return header


def _finite_float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise ValueError("%s is too large for a float" % text)
    return value


def _finite_int(text: str) -> int:
    """A whole number a double can hold (as the C# reader parses numbers)."""
    try:
        value = int(text)
        float(value)
    except (ValueError, OverflowError):
        raise ValueError("a %d-digit number is too large" % len(text)) from None
    return value


def _unique_keys(pairs: List[Tuple[str, Any]]) -> dict:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise ValueError("duplicate key %r" % next(k for k in keys if keys.count(k) > 1))
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError("%s is not a number JSON allows" % name)


def _buffers(path: str, header: dict, bin_chunk: Optional[memoryview]) -> List[Any]:
    specs = header.get("buffers", [])
    if not isinstance(specs, list):
        raise _fail(path, "must be a list", "buffers")
    out: List[Any] = []
    for i, spec in enumerate(specs):
        field = "buffers[%d]" % i
        if not isinstance(spec, dict) or set(spec) - {"byteLength", "uri"}:
            raise _fail(path, "must be an object with byteLength (and uri)", field)
        length: Any = spec.get("byteLength")
        if not _is_count(length):
            raise _fail(path, "must be a whole number of bytes", field + ".byteLength")
        if "uri" in spec:
            data: Any = _external(path, spec["uri"], field)
        elif i == 0 and bin_chunk is not None:
            data = bin_chunk
        else:
            raise _fail(path, "has no uri and is not the BIN chunk", field)
        if len(data) < length:
            raise _fail(path, "declares %d bytes but holds %d (truncated payload)"
                        % (length, len(data)), field + ".byteLength")
        out.append(memoryview(data)[:length])
    return out


def _external(path: str, uri: Any, field: str) -> Any:
    """An external buffer: a plain file name in the container's own folder, no links out."""
    folder = os.path.dirname(os.path.abspath(path))
    if (not isinstance(uri, str) or not uri or os.path.basename(uri) != uri or uri in (".", "..")
            or "\\" in uri or ":" in uri or "\0" in uri):
        raise _fail(path, "uri %r must be a file name in the same folder" % (uri,), field + ".uri",
                    "keep the .bin beside the .microexpr file and name it without a folder")
    target = os.path.join(folder, uri)
    if os.path.dirname(os.path.realpath(target)) != os.path.realpath(folder):
        raise _fail(path, "uri %r links outside the file's folder" % uri, field + ".uri",
                    "copy the .bin itself beside the .microexpr file")
    try:
        with open(target, "rb") as f:
            size = os.fstat(f.fileno()).st_size
            return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if size else b""
    except OSError as exc:
        raise _fail(path, "cannot read its payload %s (%s)" % (uri, exc.strerror or exc),
                    field + ".uri", "keep the .bin beside the .microexpr file") from None


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 1 << 62


def _check_accessors(path: str, header: dict, buffers: Sequence[Any]) -> List[Tuple[int, int, str, Tuple[int, ...]]]:
    specs = header.get("accessors", [])
    if not isinstance(specs, list):
        raise _fail(path, "must be a list", "accessors")
    out = []
    for i, spec in enumerate(specs):
        field = "accessors[%d]" % i
        if not isinstance(spec, dict) or set(spec) - {"buffer", "byteOffset", "dtype", "shape", "units"}:
            raise _fail(path, "must be an object with buffer, byteOffset, dtype, shape, units", field)
        buf: Any = spec.get("buffer")
        offset: Any = spec.get("byteOffset")
        dtype: Any = spec.get("dtype")
        shape: Any = spec.get("shape")
        if not _is_count(buf) or buf >= len(buffers):
            raise _fail(path, "buffer %r does not exist (%d buffers)" % (buf, len(buffers)), field + ".buffer")
        if not isinstance(dtype, str) or dtype not in DTYPES:
            raise _fail(path, "dtype %r is not one of %s" % (dtype, ", ".join(DTYPES)), field + ".dtype")
        item = np.dtype(DTYPES[dtype]).itemsize
        if not _is_count(offset) or offset % item:
            raise _fail(path, "byteOffset %r must be a whole multiple of %d" % (offset, item),
                        field + ".byteOffset")
        if not isinstance(shape, list) or len(shape) > 4 or not all(_is_count(s) for s in shape):
            raise _fail(path, "shape %r must be a list of up to 4 whole numbers" % (shape,), field + ".shape")
        count = 1
        for s in shape:
            count *= s           # Python ints: no overflow before the bounds check
        if offset + count * item > len(buffers[buf]):
            raise _fail(path, "%s x %d bytes from byte %d run past buffer %d's %d bytes"
                        % ("x".join(map(str, shape)) or "1", item, offset, buf, len(buffers[buf])),
                        field + ".shape")
        units = spec.get("units")
        if units is not None and not isinstance(units, str):
            raise _fail(path, "units must be a string or null", field + ".units")
        out.append((buf, offset, DTYPES[dtype], tuple(shape)))
    return out
