"""The size of an image from its header, checked against the pixel limit before decoding.

A 20000 x 20000 PNG is a few hundred kilobytes on disk and 1.2 GB once decoded: its header says
so, and :func:`check_image` refuses it from there. Pillow reads the header when it is
installed (it comes with matplotlib); PNG, JPEG and BMP headers are also read here directly.
"""
from __future__ import annotations

import struct
import warnings
from typing import Optional, Tuple

from microexpr.limits import IMAGE_PIXELS

_SOF = {0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF}


def image_size(path: str) -> Optional[Tuple[int, int]]:
    """(width, height) from the file's header, or None when the header is not understood."""
    try:
        from PIL import Image
    except ImportError:
        pass
    else:
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                with Image.open(path) as im:    # reads the header only
                    return int(im.size[0]), int(im.size[1])
        except Exception:       # not an image Pillow knows, or above Pillow's own limit
            pass
    with open(path, "rb") as f:
        head = f.read(1 << 16)
    return _png(head) or _bmp(head) or _jpeg(head, path)


def _png(head: bytes) -> Optional[Tuple[int, int]]:
    if head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR" and len(head) >= 24:
        w, h = struct.unpack(">II", head[16:24])
        return w, h
    return None


def _bmp(head: bytes) -> Optional[Tuple[int, int]]:
    if head[:2] == b"BM" and len(head) >= 26:
        w, h = struct.unpack("<ii", head[18:26])
        return abs(w), abs(h)
    return None


def _jpeg(head: bytes, path: str) -> Optional[Tuple[int, int]]:
    if head[:2] != b"\xff\xd8":
        return None
    with open(path, "rb") as f:
        f.seek(2)
        while True:
            marker = f.read(2)
            if len(marker) < 2 or marker[0] != 0xFF:
                return None
            raw = f.read(2)
            if len(raw) < 2:
                return None
            (length,) = struct.unpack(">H", raw)
            if marker[1] in _SOF:
                data = f.read(5)
                if len(data) < 5:
                    return None
                h, w = struct.unpack(">HH", data[1:5])
                return w, h
            if length < 2:
                return None
            f.seek(length - 2, 1)


def check_image(path: str) -> None:
    """MicroExprError when the header of the image at ``path`` declares more pixels than the
    limit (nothing is decoded)."""
    size = image_size(path)
    if size is not None:
        check_frame(size[0], size[1], path)


def check_frame(width: float, height: float, path: str) -> None:
    """MicroExprError when a ``width`` x ``height`` frame is above the pixel limit."""
    IMAGE_PIXELS.check(float(width) * float(height),
                       "a %d x %d image" % (width, height), file=path, field="image size",
                       fix="scale the frames down (e.g. ffmpeg -vf scale=1920:-2)")
