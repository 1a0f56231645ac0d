"""Declared array sizes of an FBX file, checked against its bytes before ufbx reads it.

A 2 MB FBX can declare a vertex array of a billion values; a reader that trusts the count
allocates gigabytes before it finds the data missing. :func:`check_fbx_sizes` walks the file
first, without decoding anything:

- binary FBX: every record is walked (``fbx_binary``'s checking reader, with array payloads
  skipped); an array must fit in its record, a plain one must be exactly its count's bytes,
  a zlib one no more than zlib can expand to, and none above ``limits.ARRAY_BYTES``;
- ASCII FBX: an array's ``*COUNT`` cannot exceed what the file's bytes can spell (a value
  and a comma at least), nor ``limits.ARRAY_BYTES``.
"""
from __future__ import annotations

import mmap
import os
import re
import struct
from typing import Optional, Tuple

from microexpr import limits
from microexpr.errors import MicroExprError
from microexpr.formats.fbx_binary import _ARRAY_CODES, MAGIC, _Reader

_ASCII_COUNT = re.compile(rb":[ \t]*\*(\d{1,30})[ \t]*\{")
_ZLIB_RATIO = 1100          # zlib expands at most ~1032:1


class _Scanner(_Reader):
    """``fbx_binary``'s reader with array payloads checked and skipped, never decoded."""

    def prop(self, pos: int, limit: int) -> Tuple[object, int]:
        (code,) = self.unpack("<c", pos, limit)
        dtype = _ARRAY_CODES.get(code.decode("latin-1"))
        if dtype is None:
            return super().prop(pos, limit)
        count, encoding, clen = self.unpack("<III", pos + 1, limit)
        start = pos + 13
        nbytes = count * dtype.itemsize
        if start + clen > limit:
            raise self.fail("array runs past its record", start)
        if encoding == 0 and clen != nbytes:
            raise self.fail("array of %d values does not match its %d bytes" % (count, clen),
                            start)
        if encoding == 1 and nbytes > _ZLIB_RATIO * clen + 1024:
            raise self.fail("compressed array of %d bytes claims %d values, more than it can "
                            "hold" % (clen, count), start)
        if encoding not in (0, 1):
            raise self.fail("unknown array encoding %d" % encoding, start)
        limits.ARRAY_BYTES.check(nbytes, "an array of %d values" % count, file=self.file,
                                 field="FBX binary", fix="re-export the file from the DCC tool")
        return None, start + clen


def check_fbx_sizes(path: str) -> None:
    """MicroExprError when the FBX at ``path`` declares an array its bytes cannot hold."""
    size = os.path.getsize(path)
    if size == 0:
        return
    with open(path, "rb") as f, mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as data:
        if data[:len(MAGIC)] == MAGIC:
            _check_binary(data, path)
        else:
            _check_ascii(data, size, path)


def _check_binary(data, path: str) -> None:
    if len(data) < 27:
        return                  # too short to hold an array; the reader says what is wrong
    version = struct.unpack_from("<I", data, 23)[0]
    reader = _Scanner(data, path, limits.ARRAY_BYTES.value())
    wide, pos = version >= 7500, 27
    try:
        while True:
            node, pos = reader.node(pos, len(data), wide, 0)
            if node is None:
                return
    finally:
        reader.data.release()


def _check_ascii(data, size: int, path: str) -> None:
    biggest: Optional[int] = None
    for m in _ASCII_COUNT.finditer(data):
        count = int(m.group(1))
        if biggest is None or count > biggest:
            biggest = count
    if biggest is None:
        return
    if 2 * biggest - 1 > size:
        raise MicroExprError("an array declares %d values, more than the file's %d bytes can "
                             "hold" % (biggest, size), file=path, field="FBX ASCII",
                             fix="re-export the file from the DCC tool")
    limits.ARRAY_BYTES.check(8 * biggest, "an array of %d values" % biggest, file=path,
                             field="FBX ASCII", fix="re-export the file from the DCC tool")
