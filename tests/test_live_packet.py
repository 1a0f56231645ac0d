"""The live packet (capture.live_packet): round trip, every malformed kind refused, the
receiver's drop rules under injected loss, reordering, duplicates and garbage, and a fuzz of
the decoder."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_bytes import mutated
from microexpr.capture.live_packet import (
    HEADER_SIZE,
    Packet,
    PacketError,
    Receiver,
    decode,
    encode,
    newer,
    packet_size,
)


def frame(seed=0, dims=2):
    rng = np.random.default_rng(seed)
    pts = rng.normal(300.0, 40.0, (68, dims))
    pts[5] = np.nan                                  # a missing landmark travels as NaN
    conf = rng.uniform(0.0, 1.0, 68)
    return pts, conf


@pytest.mark.parametrize("dims,T", [(2, 0), (3, 0), (2, 52), (3, 7)])
def test_round_trip(dims, T):
    pts, conf = frame(dims, dims)
    w = np.linspace(0.0, 1.0, T) if T else None
    data = encode(4_000_000_000, 12.5, True, pts, conf, w)
    assert len(data) == packet_size(dims, T) == 28 + 4 * (68 * dims + 68 + T)
    p = decode(data)
    assert (p.seq, p.timestamp, p.valid, p.dims) == (4_000_000_000, 12.5, True, dims)
    np.testing.assert_array_equal(p.points, pts.astype(np.float32))
    np.testing.assert_array_equal(p.confidence, conf.astype(np.float32))
    if T:
        np.testing.assert_array_equal(p.weights, w.astype(np.float32))
    else:
        assert p.weights is None
    assert not decode(encode(0, 0.0, False, pts, conf)).valid


def test_layout_matches_the_spec():
    pts, conf = frame()
    data = encode(7, 1.25, True, pts, conf, [0.5, 1.0])
    assert packet_size(2, 0) == 844                        # one Ethernet MTU
    assert data[:4] == b"MXLM"
    version, flags, seq, stamp, count, dims, r1, T, r2 = struct.unpack_from("<HHIdHBBHH", data, 4)
    assert (version, flags, seq, stamp, count, dims, r1, T, r2) == (1, 3, 7, 1.25, 68, 2, 0, 2, 0)
    x0, y0 = struct.unpack_from("<ff", data, HEADER_SIZE)
    assert (x0, y0) == tuple(np.float32(pts[0]))
    assert struct.unpack_from("<ff", data, len(data) - 8) == (0.5, 1.0)


def _patch(data: bytes, fmt: str, offset: int, value) -> bytes:
    b = bytearray(data)
    struct.pack_into(fmt, b, offset, value)
    return bytes(b)


def malformed():
    pts, conf = frame()
    good = encode(1, 2.0, True, pts, conf, [0.25, 0.5])
    conf_at = HEADER_SIZE + 4 * 136
    return [
        ("size", good[:20]),
        ("size", good[:-4]),
        ("size", good + b"\0\0\0\0"),
        ("magic", b"OSF!" + good[4:]),
        ("version", _patch(good, "<H", 4, 2)),
        ("flags", _patch(good, "<H", 6, 3 | 8)),
        ("count", _patch(good, "<H", 20, 51)),
        ("dims", _patch(good, "<B", 22, 4)),
        ("reserved", _patch(good, "<B", 23, 1)),
        ("reserved", _patch(good, "<H", 26, 1)),
        ("weights", _patch(good, "<H", 6, 1)),                 # T > 0 without the flag
        ("weights", _patch(good, "<f", len(good) - 4, 1.5)),
        ("timestamp", _patch(good, "<d", 12, float("nan"))),
        ("confidence", _patch(good, "<f", conf_at, -0.5)),
        ("confidence", _patch(good, "<f", conf_at, float("nan"))),
    ]


@pytest.mark.parametrize("kind,data", malformed())
def test_every_malformed_kind_is_refused(kind, data):
    with pytest.raises(PacketError) as e:
        decode(data)
    assert e.value.kind == kind and "malformed live packet (%s)" % kind in str(e.value)


def test_expected_layout_is_enforced():
    pts, conf = frame()
    data = encode(1, 2.0, True, pts, conf)
    assert decode(data, dims=2, weights=0).weights is None
    with pytest.raises(PacketError, match="dims"):
        decode(data, dims=3)
    with pytest.raises(PacketError, match="weights"):
        decode(data, weights=52)


@pytest.mark.parametrize("bad", [dict(points=np.zeros((67, 2))), dict(confidence=np.full(68, 2.0)),
                                 dict(weights=[1.5]), dict(weights=[]),
                                 dict(timestamp=float("inf"))])
def test_encode_refuses_bad_input(bad):
    pts, conf = frame()
    args = dict(seq=0, timestamp=0.0, valid=True, points=pts, confidence=conf)
    args.update(bad)
    with pytest.raises(ValueError):
        encode(**args)


def test_serial_number_arithmetic():
    assert newer(1, 0) and newer(0, 0xFFFFFFFF) and newer(5, 0xFFFFFFF0)
    assert not newer(0, 0) and not newer(0xFFFFFFFF, 0) and not newer(0, 1)
    r = Receiver()
    pts, conf = frame()
    for seq, stamp in [(0xFFFFFFFE, 1.0), (0xFFFFFFFF, 1.01), (0, 1.02), (1, 1.03)]:
        assert r.accept(encode(seq, stamp, True, pts, conf)) is not None
    assert r.accept(encode(0xFFFFFFFF, 1.04, True, pts, conf)) is None   # before the wrap
    assert r.dropped["out_of_order"] == 1 and r.accepted == 4


def test_stale_packet_dropped():
    r = Receiver(stale=0.25)
    pts, conf = frame()
    assert r.accept(encode(0, 10.0, True, pts, conf)) is not None
    assert r.accept(encode(1, 9.70, True, pts, conf)) is None          # 0.3 s older
    assert r.accept(encode(2, 9.80, True, pts, conf)) is not None      # within 0.25 s
    assert r.dropped["stale"] == 1


def test_receiver_under_loss_reorder_duplicates_and_garbage():
    rng = np.random.default_rng(11)
    pts, conf = frame()
    sent = [encode(i, i / 60.0, True, pts + i, conf) for i in range(300)]
    wire = []
    for i, data in enumerate(sent):
        if rng.uniform() < 0.1:
            continue                                         # lost
        wire.append((i, data))
        if rng.uniform() < 0.1:
            wire.append((i, data))                           # duplicated
        if rng.uniform() < 0.1:
            wire.append((-1, bytes(rng.integers(0, 256, int(rng.integers(0, 900)), np.uint8))))
    for j in range(0, len(wire) - 1, 7):                     # swap some neighbours
        wire[j], wire[j + 1] = wire[j + 1], wire[j]
    r = Receiver(dims=2, weights=0)
    got = [p for p in (r.accept(d) for _, d in wire) if p is not None]
    seqs = [p.seq for p in got]
    assert seqs == sorted(set(seqs))                        # strictly increasing
    # every packet newer than all before it on the wire is accepted, no other
    best, expected = -1, []
    for i, _ in wire:
        if i > best:
            expected.append(i)
            best = i
    assert seqs == expected
    for p in got:
        np.testing.assert_array_equal(p.points, (pts + p.seq).astype(np.float32))
    garbage = sum(1 for i, _ in wire if i < 0)
    assert r.dropped["malformed"] == garbage > 0
    assert r.dropped["duplicate"] > 0 and r.dropped["out_of_order"] > 0
    assert r.accepted + sum(r.dropped.values()) == len(wire)


@settings(max_examples=300, deadline=None)
@given(st.data())
def test_fuzzed_packets_never_escape(data):
    pts, conf = frame()
    blob = encode(3, 4.0, data.draw(st.booleans()), pts, conf,
                  [0.5] * data.draw(st.integers(0, 3)) or None)
    bad = bytes(mutated(data, blob))
    try:
        p = decode(bad)
    except PacketError:
        p = None
    if p is not None:                                       # still well formed: consistent
        T = 0 if p.weights is None else len(p.weights)
        assert isinstance(p, Packet) and len(bad) == packet_size(p.dims, T)
        assert np.all((p.confidence >= 0) & (p.confidence <= 1))
    r = Receiver()
    r.accept(bad)                                           # never raises
    assert r.accepted + sum(r.dropped.values()) == 1
