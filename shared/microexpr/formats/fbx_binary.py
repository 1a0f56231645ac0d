"""A small binary FBX node-tree serializer (FBX 7400 and 7500) and a checking reader.

Why hand-written: Debian's assimp (5.2.5) writes binary FBX 7500 that neither its own
importer ("block offset is out of range") nor ufbx can read back, and no assimp version
writes blend-weight animation; the Autodesk FBX SDK is not installable from the registries
reachable here; and no PyPI package in reach is a usable FBX writer for blend-shape channels
with weight animation. Checked with ``pip index versions``: ``fbx`` and ``fbxsdkpy`` (SDK
bindings) do not exist; ``ufbx`` 0.0.5 only reads; ``pyassimp`` 5.2.5 wraps the broken
exporter above; ``aspose-3d`` is a proprietary .NET-backed library (evaluation-limited
without a licence); ``bpy`` (Blender as a module, GPL, several hundred MB) has wheels for
CPython 3.11 only, so it cannot run on the 3.9+ core or inside most Maya versions' Python.
So this module writes the documented container directly.

The container, as Autodesk's files have it (checked against the FBX SDK-written files in
``assimp-testmodels``): a 27-byte header ``b"Kaydara FBX Binary  \\x00\\x1a\\x00"`` plus the
version (uint32 LE); node records ``end_offset, num_props, props_len`` (uint32 below 7500,
uint64 from 7500), a uint8 name length, the name, the properties, the children and then a
null record (13 or 25 zero bytes) when a node has children, no properties or an empty block;
a null record closing the top level; the footer (16-byte code, zero padding to a 16-byte
boundary, four zero bytes, the version, 120 zero bytes, a fixed 16-byte magic).

Property values: ``bool`` -> C, ``int`` -> L, ``float`` -> D, ``str`` -> S, ``bytes`` -> R,
:class:`Int16` -> Y, :class:`Int32` -> I, :class:`Float32` -> F, and 1-D numpy arrays by dtype
(bool b, int32 i, int64 l, float32 f, float64 d). Arrays larger than ``compress_threshold``
bytes are zlib-compressed (encoding 1), as the SDK does.
"""
from __future__ import annotations

import struct
import zlib
from typing import Dict, Iterable, List, Optional, Sequence, Tuple

import numpy as np

from microexpr.errors import MicroExprError

MAGIC = b"Kaydara FBX Binary  \x00\x1a\x00"
VERSIONS = (7400, 7500)
# A file id, creation time and footer code that belong together: phong_cube.fbx in
# assimp-testmodels (written by FBX SDK 2017.0.1) carries exactly this triple.
FILE_ID = bytes.fromhex("28b32aebb624ccc2bfc8b02aa92bfcf1")
CREATION_TIME = "1970-01-01 10:00:00:000"
FOOTER_CODE = bytes.fromhex("fabcab09d0c8d466b176fb831cf7267e")
FOOTER_MAGIC = bytes.fromhex("f85a8c6adef5d97eece90ce3758f290b")
MAX_DEPTH = 64
_REEXPORT = "re-export the file from the DCC tool; it is truncated or corrupt"

_ARRAY_CODES: Dict[str, np.dtype] = {
    "b": np.dtype("<u1"), "c": np.dtype("<u1"), "i": np.dtype("<i4"), "l": np.dtype("<i8"),
    "f": np.dtype("<f4"), "d": np.dtype("<f8")}
_SCALARS = {"Y": "<h", "C": "<B", "I": "<i", "F": "<f", "D": "<d", "L": "<q"}


class Int16(int):
    """An int written as FBX type Y."""


class Int32(int):
    """An int written as FBX type I."""


class Float32(float):
    """A float written as FBX type F."""


class Node:
    """One FBX record: a name, typed properties, child nodes.

    ``block`` asks for a child block even when there are no children (``Name: ... { }``);
    assimp requires one on some records (AnimationLayer).
    """

    __slots__ = ("name", "props", "children", "block")

    def __init__(self, name: str, props: Sequence = (), children: Optional[List["Node"]] = None,
                 block: bool = False):
        self.name = name
        self.props = list(props)
        self.children = [] if children is None else children
        self.block = block

    def add(self, name: str, *props) -> "Node":
        """Append a child node and return it."""
        child = Node(name, props)
        self.children.append(child)
        return child

    def find(self, name: str) -> Optional["Node"]:
        for c in self.children:
            if c.name == name:
                return c
        return None

    def find_all(self, name: str) -> List["Node"]:
        return [c for c in self.children if c.name == name]

    def __repr__(self) -> str:
        return "Node(%r, %d props, %d children)" % (self.name, len(self.props), len(self.children))


# ----------------------------------------------------------------------------- writing


def _array_code(a: np.ndarray) -> Tuple[str, np.ndarray]:
    if a.ndim != 1:
        a = a.reshape(-1)
    kind, size = a.dtype.kind, a.dtype.itemsize
    if kind == "b":
        return "b", a.astype("<u1")
    if kind in "iu":
        return ("i", a.astype("<i4")) if size <= 4 and not (kind == "u" and size == 4) \
            else ("l", a.astype("<i8"))
    if kind == "f":
        return ("f", a.astype("<f4")) if size <= 4 else ("d", a.astype("<f8"))
    raise TypeError("cannot write an array of dtype %s to FBX" % a.dtype)


def _encode_prop(out: bytearray, value, threshold: int, level: int) -> None:
    if isinstance(value, np.ndarray):
        code, arr = _array_code(value)
        raw = arr.tobytes()
        if len(raw) > threshold:
            data, encoding = zlib.compress(raw, level), 1
        else:
            data, encoding = raw, 0
        out += code.encode() + struct.pack("<III", arr.shape[0], encoding, len(data))
        out += data
    elif isinstance(value, (bool, np.bool_)):
        out += b"C" + struct.pack("<B", 1 if value else 0)
    elif isinstance(value, Int16):
        out += b"Y" + struct.pack("<h", value)
    elif isinstance(value, Int32):
        out += b"I" + struct.pack("<i", value)
    elif isinstance(value, (int, np.integer)):
        out += b"L" + struct.pack("<q", int(value))
    elif isinstance(value, Float32):
        out += b"F" + struct.pack("<f", value)
    elif isinstance(value, (float, np.floating)):
        out += b"D" + struct.pack("<d", float(value))
    elif isinstance(value, str):
        b = value.encode("utf-8")
        out += b"S" + struct.pack("<I", len(b)) + b
    elif isinstance(value, (bytes, bytearray)):
        out += b"R" + struct.pack("<I", len(value)) + bytes(value)
    else:
        raise TypeError("cannot write a %s to FBX" % type(value).__name__)


def _write_node(out: bytearray, node: Node, wide: bool, threshold: int, level: int) -> None:
    head = "<QQQ" if wide else "<III"
    start = len(out)
    name = node.name.encode("utf-8")
    if len(name) > 255:
        raise ValueError("FBX node name longer than 255 bytes: %r" % node.name)
    out += bytes(struct.calcsize(head)) + struct.pack("<B", len(name)) + name
    props_start = len(out)
    for value in node.props:
        _encode_prop(out, value, threshold, level)
    props_len = len(out) - props_start
    for child in node.children:
        _write_node(out, child, wide, threshold, level)
    if node.children or node.block or not node.props:
        out += bytes(25 if wide else 13)
    struct.pack_into(head, out, start, len(out), len(node.props), props_len)


def write_nodes(nodes: Iterable[Node], version: int = 7400, compress_threshold: int = 128,
                compress_level: int = 6, footer_code: bytes = FOOTER_CODE) -> bytes:
    """The complete binary FBX file for the top-level ``nodes``."""
    if version not in VERSIONS:
        raise ValueError("FBX version must be one of %s, not %r" % (VERSIONS, version))
    wide = version >= 7500
    out = bytearray(MAGIC + struct.pack("<I", version))
    for node in nodes:
        _write_node(out, node, wide, compress_threshold, compress_level)
    out += bytes(25 if wide else 13)
    out += footer_code
    pad = (16 - len(out) % 16) or 16
    out += bytes(pad) + bytes(4) + struct.pack("<I", version) + bytes(120) + FOOTER_MAGIC
    return bytes(out)


# ----------------------------------------------------------------------------- reading


class _Reader:
    def __init__(self, data: bytes, file: Optional[str], max_array_bytes: int):
        self.data = memoryview(data)
        self.file = file
        self.max_array_bytes = max_array_bytes

    def fail(self, problem: str, at: int) -> MicroExprError:
        return MicroExprError("%s at byte %d" % (problem, at), file=self.file,
                              field="FBX binary", fix=_REEXPORT)

    def unpack(self, fmt: str, pos: int, limit: int) -> tuple:
        size = struct.calcsize(fmt)
        if pos < 0 or pos + size > limit:
            raise self.fail("record runs past its end", pos)
        return struct.unpack_from(fmt, self.data, pos)

    def prop(self, pos: int, limit: int) -> Tuple[object, int]:
        (code,) = self.unpack("<c", pos, limit)
        code = code.decode("latin-1")
        pos += 1
        if code in _SCALARS:
            fmt = _SCALARS[code]
            (v,) = self.unpack(fmt, pos, limit)
            pos += struct.calcsize(fmt)
            value = {"Y": Int16, "C": bool, "I": Int32, "F": Float32}.get(code, type(v))(v)
            return value, pos
        if code in "SR":
            (n,) = self.unpack("<I", pos, limit)
            pos += 4
            if pos + n > limit:
                raise self.fail("string runs past its record", pos)
            raw = bytes(self.data[pos:pos + n])
            return (raw.decode("utf-8", "surrogateescape") if code == "S" else raw), pos + n
        if code in _ARRAY_CODES:
            count, encoding, clen = self.unpack("<III", pos, limit)
            pos += 12
            dtype = _ARRAY_CODES[code]
            nbytes = count * dtype.itemsize
            if pos + clen > limit:
                raise self.fail("array runs past its record", pos)
            if nbytes > self.max_array_bytes:
                raise self.fail("array of %d values is too large" % count, pos)
            chunk = self.data[pos:pos + clen]
            if encoding == 0:
                if clen != nbytes:
                    raise self.fail("array length does not match its byte size", pos)
                raw = bytes(chunk)
            elif encoding == 1:
                if nbytes > 1100 * clen + 1024:      # beyond zlib's ~1032:1 ceiling
                    raise self.fail("compressed array claims an impossible size", pos)
                try:
                    z = zlib.decompressobj()
                    raw = z.decompress(chunk, nbytes)
                except zlib.error:
                    raise self.fail("compressed array is corrupt", pos) from None
                if len(raw) != nbytes:
                    raise self.fail("compressed array has the wrong length", pos)
            else:
                raise self.fail("unknown array encoding %d" % encoding, pos)
            arr = np.frombuffer(raw, dtype=dtype)
            return (arr.astype(bool) if code in "bc" else arr.copy()), pos + clen
        raise self.fail("unknown property type %r" % code, pos - 1)

    def node(self, pos: int, limit: int, wide: bool, depth: int) -> Tuple[Optional[Node], int]:
        head = "<QQQ" if wide else "<III"
        hsize = struct.calcsize(head) + 1
        end, nprops, plen = self.unpack(head, pos, limit)
        (nlen,) = self.unpack("<B", pos + hsize - 1, limit)
        if end == 0:
            if nprops or plen or nlen:
                raise self.fail("malformed null record", pos)
            return None, pos + hsize
        if depth > MAX_DEPTH:
            raise self.fail("nodes nested too deeply", pos)
        if end <= pos or end > limit:
            raise self.fail("node end offset out of range", pos)
        pos += hsize
        if pos + nlen > end:
            raise self.fail("node name runs past its record", pos)
        name = bytes(self.data[pos:pos + nlen]).decode("utf-8", "surrogateescape")
        pos += nlen
        pend = pos + plen
        if pend > end:
            raise self.fail("property list runs past its record", pos)
        if nprops > plen:
            raise self.fail("more properties than bytes", pos)
        node = Node(name)
        for _ in range(nprops):
            value, pos = self.prop(pos, pend)
            node.props.append(value)
        if pos != pend:
            raise self.fail("property list length does not match its properties", pos)
        while pos < end:
            child, pos = self.node(pos, end, wide, depth + 1)
            if child is None:
                node.block = True
                break
            node.children.append(child)
        if pos != end:
            raise self.fail("node children do not end at its end offset", pos)
        return node, pos


def read_version(data: bytes, file: Optional[str] = None) -> int:
    """The version in a binary FBX header; MicroExprError if it is not binary FBX."""
    if len(data) < 27 or bytes(data[:23]) != MAGIC:
        raise MicroExprError("not a binary FBX file (header missing)", file=file,
                             field="FBX header", fix="export binary FBX 7.4 or 7.5")
    return struct.unpack_from("<I", data, 23)[0]


def read_nodes(data: bytes, file: Optional[str] = None,
               max_array_bytes: int = 1 << 30) -> List[Node]:
    """Parse binary FBX ``data`` into its top-level nodes (for tests and debugging).

    Every length and offset is checked; anything malformed raises MicroExprError.
    """
    version = read_version(data, file)
    if not 7000 <= version < 8000:
        raise MicroExprError("unsupported FBX version %d" % version, file=file,
                             field="FBX header", fix="export FBX 7.x (7.4 or 7.5)")
    reader = _Reader(data, file, max_array_bytes)
    wide = version >= 7500
    pos, nodes = 27, []  # type: int, List[Node]
    while True:
        node, pos = reader.node(pos, len(data), wide, 0)
        if node is None:
            return nodes
        nodes.append(node)


def _code_of(value) -> str:
    for cls, code in ((bool, "C"), (Int16, "Y"), (Int32, "I"), (int, "L"), (Float32, "F"),
                      (float, "D"), (str, "S"), (bytes, "R")):
        if isinstance(value, cls):
            return code
    return "?"


def dump(nodes: Sequence[Node], depth: int = 0, max_depth: int = 99, arrays: int = 4) -> str:
    """An indented text view of ``nodes`` (arrays shortened) for debugging."""
    lines = []
    for n in nodes:
        shown = []
        for p in n.props:
            if isinstance(p, np.ndarray):
                shown.append("%s[%d]%s" % (p.dtype, len(p), list(p[:arrays])))
            else:
                shown.append(_code_of(p) + ":" + repr(p))
        lines.append("  " * depth + n.name + ": " + ", ".join(shown))
        if n.children and depth < max_depth:
            lines.append(dump(n.children, depth + 1, max_depth, arrays))
    return "\n".join(x for x in lines if x)
