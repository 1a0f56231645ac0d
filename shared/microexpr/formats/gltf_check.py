"""Checks on a glTF or GLB file before assimp opens it: where its external files are, and whether
the sizes it declares fit the bytes it has.

- An external buffer or image (``"uri": "face.bin"``) must be a relative path inside the
  file's own folder: no ``..``, no absolute path, no drive or scheme, no symbolic link that
  leads out. ``data:`` URIs are embedded and fine.
- Every buffer, buffer view and accessor must fit in what holds it (the file, the GLB binary
  chunk, the external file, the buffer, the view), so nothing is allocated for data the file
  does not have; an accessor without a view (all zeros) is held to ``limits.ARRAY_BYTES``.

Each problem is a MicroExprError naming the file and the JSON field.
"""
from __future__ import annotations

import json
import os
import re
import struct
from typing import Any, Dict, List, Optional, Tuple
from urllib.parse import unquote

from microexpr import limits
from microexpr.errors import MicroExprError

_COMPONENT = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
_WIDTH = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT2": 4, "MAT3": 9, "MAT4": 16}
_REEXPORT = "re-export the file from the DCC tool"
_SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")


def check_gltf(path: str) -> None:
    """Raise MicroExprError if the glTF/GLB at ``path`` reaches outside its folder or declares
    more data than it holds."""
    doc, bin_size = _document(path)
    folder = os.path.dirname(os.path.abspath(path))
    buffers = _list(doc, "buffers", path)
    sizes: List[int] = []
    for i, buf in enumerate(buffers):
        where = "buffers[%d]" % i
        declared = _count(buf, "byteLength", where, path)
        uri = buf.get("uri")
        if uri is None:
            have = bin_size if (i == 0 and bin_size is not None) else 0
        else:
            have = _uri_size(uri, folder, where + ".uri", path)
        if declared > have:
            raise _bad(path, where + ".byteLength", "declares %d bytes but %s holds %d"
                       % (declared, "the data" if uri is not None else "the binary chunk", have))
        sizes.append(declared)
    for i, img in enumerate(_list(doc, "images", path)):
        if img.get("uri") is not None:
            _uri_size(img["uri"], folder, "images[%d].uri" % i, path)
    views = _views(doc, sizes, path)
    for i, acc in enumerate(_list(doc, "accessors", path)):
        _accessor(acc, "accessors[%d]" % i, views, path)


def _document(path: str):
    """(the JSON document, the GLB binary chunk's size or None)."""
    size = os.path.getsize(path)
    with open(path, "rb") as f:
        head = f.read(12)
        if head[:4] == b"glTF":
            if len(head) < 12:
                raise _bad(path, "GLB header", "the file is cut short")
            (length,) = struct.unpack("<I", head[8:12])
            if length > size:
                raise _bad(path, "GLB header", "declares %d bytes but the file has %d"
                           % (length, size))
            clen, ctype = struct.unpack("<II", f.read(8).ljust(8, b"\0"))
            if ctype != 0x4E4F534A or 20 + clen > size:
                raise _bad(path, "GLB JSON chunk", "is missing or longer than the file")
            text = f.read(clen)
            bin_size = None
            more = f.read(8)
            if len(more) == 8:
                blen, btype = struct.unpack("<II", more)
                if btype == 0x004E4942:
                    if 28 + clen + blen > size:
                        raise _bad(path, "GLB BIN chunk", "declares %d bytes, more than the "
                                   "file holds" % blen)
                    bin_size = blen
        else:
            text, bin_size = head + f.read(), None
    try:
        doc = json.loads(text.decode("utf-8-sig"))
    except RecursionError:
        raise limits.nesting_error(path) from None
    except (UnicodeDecodeError, ValueError) as exc:
        if "integer string conversion" in str(exc):
            raise limits.int_digits_error(path) from None
        raise _bad(path, "JSON", "is not valid JSON (%s)" % str(exc)[:200]) from None
    if not isinstance(doc, dict):
        raise _bad(path, "JSON", "the top level is not an object")
    return doc, bin_size


def _uri_size(uri: Any, folder: str, where: str, path: str) -> int:
    """The byte size behind ``uri``: decoded for a data URI, the file's for a path inside
    ``folder``; anything else is refused. The path is checked as written and percent-decoded
    (readers differ on decoding), and must stay inside the folder both ways."""
    if not isinstance(uri, str):
        raise _bad(path, where, "is not a string")
    if uri.startswith("data:"):
        head, _, body = uri.partition(",")
        return len(body) * 3 // 4 if head.endswith(";base64") else len(unquote(body))
    found = None
    for name in dict.fromkeys([uri, unquote(uri)]):
        target = _inside(name, uri, folder, where, path)
        if found is None and os.path.isfile(target):
            found = target
    if found is None:
        raise _bad(path, where, "%r is not a file beside the glTF" % uri[:80],
                   "copy the file the glTF names beside it")
    return os.path.getsize(found)


def _inside(name: str, uri: str, folder: str, where: str, path: str) -> str:
    """The real path of ``name`` (relative to ``folder``); refused when it leaves the folder."""
    fix = "keep the file beside the .gltf and name it without a folder above it"
    drive = re.match(r"^[A-Za-z]:", name)
    if _SCHEME.match(name) and not drive:
        raise _bad(path, where, "%r is a URL, not a file beside the glTF" % uri[:80], fix)
    if os.path.isabs(name) or name.startswith(("/", "\\")) or drive:
        raise _bad(path, where, "%r is an absolute path: glTF files name their data "
                   "relative to their own folder" % uri[:80], fix)
    parts = re.split(r"[\\/]", name)
    if ".." in parts:
        raise _bad(path, where, "%r leads out of the file's folder (..)" % uri[:80], fix)
    real = os.path.realpath(os.path.join(folder, *[p for p in parts if p]))
    home = os.path.realpath(folder)
    if os.path.commonpath([real, home]) != home:
        raise _bad(path, where, "%r is a link that leads out of the file's folder" % uri[:80], fix)
    return real


def _views(doc: dict, sizes: List[int], path: str) -> List[Tuple[int, int]]:
    """(byte length, byte stride or 0) of every buffer view, each checked against its buffer."""
    out = []
    for i, view in enumerate(_list(doc, "bufferViews", path)):
        where = "bufferViews[%d]" % i
        buf = _count(view, "buffer", where, path)
        if buf >= len(sizes):
            raise _bad(path, where + ".buffer", "buffer %d does not exist" % buf)
        offset = _count(view, "byteOffset", where, path, 0)
        length = _count(view, "byteLength", where, path)
        if offset + length > sizes[buf]:
            raise _bad(path, where, "bytes %d-%d lie past the end of buffer %d (%d bytes)"
                       % (offset, offset + length, buf, sizes[buf]))
        out.append((length, _count(view, "byteStride", where, path, 0)))
    return out


def _accessor(acc: dict, where: str, views: List[Tuple[int, int]], path: str) -> None:
    count = _count(acc, "count", where, path)
    comp = _COMPONENT.get(acc.get("componentType", 0))
    width = _WIDTH.get(acc.get("type", ""))
    if comp is None or width is None:
        raise _bad(path, where, "unknown componentType %r or type %r"
                   % (acc.get("componentType"), acc.get("type")))
    item = comp * width
    limits.ARRAY_BYTES.check(count * item, "accessor of %d x %s" % (count, acc.get("type")),
                             file=path, field=where + ".count", fix=_REEXPORT)
    if "bufferView" in acc:
        view = _count(acc, "bufferView", where, path)
        if view >= len(views):
            raise _bad(path, where + ".bufferView", "view %d does not exist" % view)
        length, stride = views[view]
        span = (count - 1) * max(stride, item) + item if count else 0
        if _count(acc, "byteOffset", where, path, 0) + span > length:
            raise _bad(path, where + ".count", "%d items need %d bytes but bufferView %d "
                       "holds %d" % (count, span, view, length))
    sparse = acc.get("sparse")
    if isinstance(sparse, dict) and _count(sparse, "count", where + ".sparse", path) > count:
        raise _bad(path, where + ".sparse.count", "more sparse values than items")


def _list(doc: dict, key: str, path: str) -> List[Dict[str, Any]]:
    items = doc.get(key, [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        raise _bad(path, key, "is not a list of objects")
    return items


def _count(obj: dict, key: str, where: str, path: str, default: Optional[int] = None) -> int:
    value = obj.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise _bad(path, "%s.%s" % (where, key), "must be a whole number >= 0, got %r"
                   % (str(value)[:20] if value is not None else None))
    return value


def _bad(path: str, field: str, problem: str, fix: str = _REEXPORT) -> MicroExprError:
    return MicroExprError(problem, file=path, field=field, fix=fix)
