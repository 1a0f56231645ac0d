"""The live packet, version 1: one UDP datagram per frame from ``microexpr live`` to a receiver
(the Unity ``UdpLandmarkSource``, or :class:`Receiver` here). Little-endian, a fixed size for
a given number of dimensions and weights:

====== ============ =====================================================================
offset type         field
====== ============ =====================================================================
0      4 bytes      magic ``MXLM``
4      u16          protocol version (1)
6      u16          flags: bit 0 a face was found (valid), bit 1 weights included
8      u32          sequence number (0, 1, 2, ... per frame sent; wraps at 2^32)
12     f64          capture time, seconds on the sender's clock (``time.perf_counter()``)
20     u16          landmark count (68)
22     u8           dims (2 or 3)
23     u8           reserved (0)
24     u16          weight count T (0 without weights)
26     u16          reserved (0)
28     f32 x 68*dims landmarks, iBUG order, x0 y0 x1 y1 ...; 2-D: image pixels, y down; NaN missing
..     f32 x 68     confidences 0-1
..     f32 x T      solved weights 0-1 (only with flag bit 1)
====== ============ =====================================================================

Size: ``28 + 4 * (68 * dims + 68 + T)``, 844 bytes for 2-D landmarks without weights.

    data = encode(seq, time.perf_counter(), True, points, confidence)
    packet = decode(data)                 # PacketError (a ValueError) when malformed
"""
from __future__ import annotations

import math
import struct
from dataclasses import dataclass
from typing import Optional

import numpy as np

MAGIC = b"MXLM"
VERSION = 1
COUNT = 68
FLAG_VALID = 1
FLAG_WEIGHTS = 2
HEADER = struct.Struct("<4sHHIdHBBHH")
HEADER_SIZE = HEADER.size                  # 28
#: A receiver drops a packet captured this long (s) before the newest one it accepted.
STALE_SECONDS = 0.25
MAX_WEIGHTS = 0xFFFF


class PacketError(ValueError):
    """A malformed packet; ``kind`` says which check failed (size, magic, version, flags,
    count, dims, reserved, weights, timestamp, confidence)."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__("malformed live packet (%s): %s" % (kind, message))
        self.kind = kind


@dataclass(frozen=True)
class Packet:
    """One decoded frame. ``points`` (68, dims) float32, ``confidence`` (68,) float32,
    ``weights`` (T,) float32 or None."""

    seq: int
    timestamp: float
    valid: bool
    points: np.ndarray
    confidence: np.ndarray
    weights: Optional[np.ndarray] = None

    @property
    def dims(self) -> int:
        return int(self.points.shape[1])


def packet_size(dims: int, weights: int = 0) -> int:
    """Bytes of a packet with ``dims``-D landmarks and ``weights`` weights."""
    return HEADER_SIZE + 4 * (COUNT * dims + COUNT + weights)


def encode(seq: int, timestamp: float, valid: bool, points, confidence,
           weights=None) -> bytes:
    """One packet. ``points`` (68, 2 or 3): 2-D in image pixels, y down (NaN = missing);
    ``confidence`` (68,) 0-1; ``weights`` (T,) 0-1 or None. Raises ValueError on bad input."""
    p = np.asarray(points, dtype=np.float64)
    if p.ndim != 2 or p.shape[0] != COUNT or p.shape[1] not in (2, 3):
        raise ValueError("points are shaped %s, expected (68, 2) or (68, 3)" % (p.shape,))
    c = np.asarray(confidence, dtype=np.float64).reshape(-1)
    if c.shape != (COUNT,) or not np.all((c >= 0.0) & (c <= 1.0)):
        raise ValueError("confidence must be 68 numbers in 0-1")
    if not math.isfinite(timestamp):
        raise ValueError("timestamp must be a finite number of seconds, got %r" % timestamp)
    flags = FLAG_VALID if valid else 0
    body = [p.astype("<f4").reshape(-1).tobytes(), c.astype("<f4").tobytes()]
    T = 0
    if weights is not None:
        w = np.asarray(weights, dtype=np.float64).reshape(-1)
        if not 0 < len(w) <= MAX_WEIGHTS or not np.all((w >= 0.0) & (w <= 1.0)):
            raise ValueError("weights must be 1-%d numbers in 0-1" % MAX_WEIGHTS)
        T = len(w)
        flags |= FLAG_WEIGHTS
        body.append(w.astype("<f4").tobytes())
    head = HEADER.pack(MAGIC, VERSION, flags, int(seq) & 0xFFFFFFFF, float(timestamp), COUNT,
                       p.shape[1], 0, T, 0)
    return head + b"".join(body)


def decode(data, dims: Optional[int] = None, weights: Optional[int] = None) -> Packet:
    """The packet in ``data`` (bytes-like). ``dims`` / ``weights``: the layout expected (None
    = any). Raises :class:`PacketError` naming the failed check."""
    buf = memoryview(data).cast("B")
    n = len(buf)
    if n < HEADER_SIZE:
        raise PacketError("size", "%d bytes, shorter than the %d-byte header" % (n, HEADER_SIZE))
    magic, version, flags, seq, stamp, count, k, res1, T, res2 = HEADER.unpack_from(buf, 0)
    if magic != MAGIC:
        raise PacketError("magic", "starts with %r, expected %r" % (bytes(magic), MAGIC))
    if version != VERSION:
        raise PacketError("version", "protocol version %d, this reader knows %d" % (version, VERSION))
    if flags & ~(FLAG_VALID | FLAG_WEIGHTS):
        raise PacketError("flags", "unknown flag bits 0x%04x" % flags)
    if count != COUNT:
        raise PacketError("count", "%d landmarks, expected %d" % (count, COUNT))
    if k not in (2, 3) or (dims is not None and k != dims):
        raise PacketError("dims", "%d-D landmarks, expected %s" % (k, dims or "2 or 3"))
    if res1 or res2:
        raise PacketError("reserved", "reserved fields are not 0")
    if bool(flags & FLAG_WEIGHTS) != (T > 0) or (weights is not None and T != weights):
        raise PacketError("weights", "%d weights with flags 0x%04x, expected %s"
                          % (T, flags, "none" if weights == 0 else weights or "some with bit 1"))
    if n != packet_size(k, T):
        raise PacketError("size", "%d bytes, expected %d for %d-D landmarks and %d weights"
                          % (n, packet_size(k, T), k, T))
    if not math.isfinite(stamp):
        raise PacketError("timestamp", "capture time %r is not finite" % stamp)
    values = np.frombuffer(buf, dtype="<f4", offset=HEADER_SIZE).astype(np.float32)
    points = values[:COUNT * k].reshape(COUNT, k)
    conf = values[COUNT * k:COUNT * (k + 1)]
    if not np.all((conf >= 0.0) & (conf <= 1.0)):
        raise PacketError("confidence", "confidences must be in 0-1")
    w = values[COUNT * (k + 1):] if T else None
    if w is not None and not np.all((w >= 0.0) & (w <= 1.0)):
        raise PacketError("weights", "weights must be in 0-1")
    return Packet(int(seq), float(stamp), bool(flags & FLAG_VALID), points, conf, w)


def newer(seq: int, last: int) -> bool:
    """Whether sequence number ``seq`` comes after ``last`` (serial-number arithmetic: a
    difference of 1 to 2^31 - 1 modulo 2^32 is ahead)."""
    d = (int(seq) - int(last)) & 0xFFFFFFFF
    return 0 < d < 0x80000000


class Receiver:
    """The drop rules of a receiver: :meth:`accept` returns the packet, or None for one that
    is malformed, out of order, a duplicate or stale; each kind is counted in ``dropped``."""

    def __init__(self, dims: Optional[int] = None, weights: Optional[int] = None,
                 stale: float = STALE_SECONDS) -> None:
        self.dims, self.weights, self.stale = dims, weights, float(stale)
        self.last: Optional[Packet] = None
        self.accepted = 0
        self.dropped = {"malformed": 0, "out_of_order": 0, "duplicate": 0, "stale": 0}
        self.errors: dict = {}           # PacketError kind -> count

    def accept(self, data) -> Optional[Packet]:
        """Decode ``data`` and apply the drop rules; never raises on any bytes."""
        try:
            p = decode(data, self.dims, self.weights)
        except PacketError as exc:
            self.dropped["malformed"] += 1
            self.errors[exc.kind] = self.errors.get(exc.kind, 0) + 1
            return None
        if self.last is not None:
            if p.seq == self.last.seq:
                self.dropped["duplicate"] += 1
                return None
            if not newer(p.seq, self.last.seq):
                self.dropped["out_of_order"] += 1
                return None
            if p.timestamp < self.last.timestamp - self.stale:
                self.dropped["stale"] += 1
                return None
        self.last = p
        self.accepted += 1
        return p
