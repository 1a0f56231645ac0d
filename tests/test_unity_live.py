"""Live sources of the Unity runtime (C# under Mono): the live packet decoder, the UDP receiver
(``UdpLandmarkSource``) fed over loopback with lost, reordered, duplicate, stale and garbage
packets, its landmarks solved by the C# ``PerformerSolver`` against Python's
``PerformerStream`` on the same float32 values, nothing allocated per frame on the caller's
thread, and ``RecordedTracksSource`` playing a tracks CSV in time with a clock. Packets are
built here with ``struct`` from the format (docs/unity.md, "Live sources")."""
from __future__ import annotations

import socket
import struct
import time

import numpy as np
import pytest

from microexpr.unity import net

HEADER = struct.Struct("<4sHHIdHBBHH")
TOL = 1e-9


def _packet(seq, stamp, points, conf, valid=True, weights=None, dims=None, magic=b"MXLM",
            version=1, count=68, flags=None):
    """A live packet: points (68, k) image pixels y down, float32 on the wire."""
    pts = np.asarray(points, np.float32)
    k = dims or pts.shape[1]
    w = np.zeros(0, np.float32) if weights is None else np.asarray(weights, np.float32)
    if flags is None:
        flags = (1 if valid else 0) | (2 if len(w) else 0)
    head = HEADER.pack(magic, version, flags, seq & 0xFFFFFFFF, stamp, count, k, 0, len(w), 0)
    return head + pts.tobytes() + np.asarray(conf, np.float32).tobytes() + w.tobytes()


def _face(seed=0):
    rng = np.random.default_rng(seed)
    return rng.uniform(100, 500, (68, 2)), rng.uniform(0.5, 1.0, 68)


class Sender:
    """Sends datagrams to a C# source and waits until its thread has received each one."""

    def __init__(self, src):
        self.src = src
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sent = 0

    def send(self, data: bytes) -> None:
        self.sock.sendto(data, ("127.0.0.1", self.src.Port))
        self.sent += 1
        deadline = time.monotonic() + 10.0
        while self.src.Received < self.sent:           # loopback does not lose; give up after 10 s
            assert time.monotonic() < deadline, "the receive thread did not get datagram %d" % self.sent
            time.sleep(0.0002)

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def source(mu):
    src = mu.UdpLandmarkSource(0, 2)
    src.ResyncSeconds = 0.0                     # the drop rules only (no new stream after a pause)
    src.Start()
    sender = Sender(src)
    yield src, sender
    sender.close()
    src.Dispose()


def _take(src):
    pts, conf = net.new_doubles(136), net.new_doubles(68)
    ok = src.TryGetLandmarks(pts, conf)
    return bool(ok), net.from_net(pts).reshape(68, 2), net.from_net(conf)


# -- the decoder -------------------------------------------------------------------------------
def _decode(rt, data, dims=2, weights=None):
    pts, conf = net.new_doubles(68 * dims), net.new_doubles(68)
    w = None if weights is None else net.new_doubles(weights)
    ok, head, problem = rt.LivePacket.TryDecode(net.bytes_to_net(data), len(data), dims, pts, conf, w,
                                                rt.LivePacketHeader(), rt.LivePacketProblem.Ok)
    return bool(ok), head, str(problem), net.from_net(pts), net.from_net(conf), w


def test_decoder_reads_the_format_and_names_what_is_wrong(rt):
    points, conf = _face(1)
    points[5] = np.nan
    conf[5] = 0.3
    good = _packet(0xFFFFFFFE, 1234.5678, points, conf)
    assert len(good) == 844 == rt.LivePacket.Size(2, 0)
    ok, head, problem, pts, c, _ = _decode(rt, good)
    assert ok and problem == "Ok" and head.Sequence == 0xFFFFFFFE and head.Timestamp == 1234.5678
    assert head.Valid and head.Dims == 2 and head.WeightCount == 0
    want = points.astype(np.float32).astype(np.float64)
    assert np.array_equal(pts.reshape(68, 2)[6:], want[6:]) and np.isnan(pts.reshape(68, 2)[5]).all()
    assert c[5] == 0.0, "a missing landmark has no confidence"
    assert np.array_equal(c[6:], conf.astype(np.float32).astype(np.float64)[6:])
    # weights, and a 3-D packet
    w = np.linspace(0, 1, 52)
    ok, head, _, _, _, wn = _decode(rt, _packet(3, 1.0, points, conf, weights=w), weights=60)
    assert ok and head.WeightCount == 52 and head.Valid
    assert np.array_equal(net.from_net(wn)[:52], w.astype(np.float32).astype(np.float64))
    p3 = np.c_[points, np.ones(68)]
    ok, head, _, pts, _, _ = _decode(rt, _packet(4, 1.0, p3, conf), dims=3)
    assert ok and head.Dims == 3 and len(pts) == 204
    bad_conf = conf.copy()
    bad_conf[2] = 1.5
    cases = {
        "Size": [good[:-4], good + b"\0", b"", good[:10]],
        "Magic": [b"OSF!" + good[4:]],
        "Version": [_packet(0, 1.0, points, conf, version=2)],
        "Flags": [_packet(0, 1.0, points, conf, flags=5)],
        "Count": [_packet(0, 1.0, points, conf, count=67)],
        "Dims": [_packet(0, 1.0, p3, conf)],            # a 3-D packet to a 2-D reader
        "Weights": [_packet(0, 1.0, points, conf, flags=1 | 2), _packet(0, 1.0, points, conf, weights=[0.5, 2.0])],
        "Timestamp": [_packet(0, float("nan"), points, conf)],
        "Confidence": [_packet(0, 1.0, points, bad_conf)],
        "Reserved": [good[:23] + b"\1" + good[24:]],
    }
    for want_problem, datas in cases.items():
        for data in datas:
            ok, _, problem, _, _, _ = _decode(rt, data)
            assert not ok and problem == want_problem, (want_problem, problem)
    rng = np.random.default_rng(0)
    for n in range(300):                                 # random bytes never throw
        data = bytes(rng.integers(0, 256, int(rng.integers(0, 900)), dtype=np.uint8))
        if n % 3 == 0:
            data = good[:28] + data
        assert not _decode(rt, data)[0]


# -- the UDP receiver --------------------------------------------------------------------------
def test_drop_rules_counters_and_the_newest_packet(source):
    src, tx = source
    points, conf = _face(2)
    expect = {"accepted": 0, "out_of_order": 0, "stale": 0, "malformed": 0}

    def send(seq, stamp, kind, **kw):
        tx.send(_packet(seq, stamp, points + seq, conf, **kw))
        expect[kind] += 1

    send(0, 100.0, "accepted")
    ok, pts, c = _take(src)
    assert ok and np.array_equal(pts, (points + 0).astype(np.float32))
    assert src.LastSequence == 0 and src.LastTimestamp == 100.0
    assert not _take(src)[0], "each packet once: nothing new"
    send(0, 100.0, "out_of_order")                       # a duplicate
    send(2, 100.2, "accepted")
    send(1, 100.1, "out_of_order")                       # late
    send(3, 99.9, "stale")                               # captured 0.3 s before the newest
    ok, pts, _ = _take(src)
    assert ok and src.LastSequence == 2 and np.array_equal(pts, (points + 2).astype(np.float32))
    garbage = [b"", b"hello", _packet(9, 101.0, points, conf)[:-1], b"XXXX" + _packet(9, 101.0, points, conf)[4:],
               _packet(9, 101.0, np.c_[points, points[:, :1]], conf), _packet(9, 101.0, points, conf, version=7),
               bytes(np.random.default_rng(1).integers(0, 256, 844, dtype=np.uint8)), b"\0" * 9000]
    for data in garbage:
        tx.send(data)
        expect["malformed"] += 1
    assert not _take(src)[0], "garbage changes nothing"
    send(4, 100.3, "accepted", valid=False)              # no face: accepted, but no landmarks
    assert not _take(src)[0] and src.LastSequence == 4
    for seq in (5, 6, 7):                                # a burst read once: the newest
        send(seq, 100.3 + seq / 100, "accepted")
    ok, pts, _ = _take(src)
    assert ok and src.LastSequence == 7 and np.array_equal(pts, (points + 7).astype(np.float32))
    assert not _take(src)[0]
    for seq in (0x70000000, 0xE0000000, 0xFFFFFFFF):     # up to the wrap, < 2^31 ahead each time
        send(seq, 100.4 + seq / 2 ** 40, "accepted")
    assert _take(src)[0] and src.LastSequence == 0xFFFFFFFF
    send(0, 100.51, "accepted")                          # the sequence number wraps
    send(0xFFFFFFFF, 100.5, "out_of_order")
    assert _take(src)[0] and src.LastSequence == 0
    assert src.Received == tx.sent
    assert src.Accepted == expect["accepted"]
    assert src.OutOfOrder == expect["out_of_order"] and src.Stale == expect["stale"]
    assert src.Dropped == expect["out_of_order"] + expect["stale"]
    assert src.Malformed == expect["malformed"]
    assert src.Received == src.Accepted + src.Dropped + src.Malformed
    assert src.LastError is None and src.IsRunning


def test_weights_travel_with_the_landmarks(source):
    src, tx = source
    points, conf = _face(3)
    w = np.linspace(0.0, 1.0, 52)
    tx.send(_packet(0, 1.0, points, conf, weights=w))
    assert _take(src)[0] and src.WeightCount == 52
    assert np.array_equal(net.from_net(src.LastWeights)[:52], w.astype(np.float32).astype(np.float64))


def test_a_restarted_sender_is_followed_after_a_pause_or_a_reset(mu):
    src = mu.UdpLandmarkSource(0, 2)
    src.ResyncSeconds = 0.05
    src.Start()
    tx = Sender(src)
    try:
        points, conf = _face(4)
        tx.send(_packet(500, 10.0, points, conf))
        assert _take(src)[0] and src.LastSequence == 500
        time.sleep(0.1)                                  # longer than ResyncSeconds
        tx.send(_packet(0, 11.0, points, conf))          # the sender counts from 0 again
        assert _take(src)[0] and src.LastSequence == 0 and src.Dropped == 0
        src.ResyncSeconds = 0.0
        tx.send(_packet(7, 12.0, points, conf))
        tx.send(_packet(3, 12.1, points, conf))          # older: dropped
        src.Reset()                                      # ... unless asked to forget
        tx.send(_packet(3, 12.1, points, conf))
        assert _take(src)[0] and src.LastSequence == 3 and src.Dropped == 1
    finally:
        tx.close()
        src.Dispose()
    assert not src.IsRunning and src.Port == 0


def test_bad_settings_are_refused_naming_the_field(mu):
    from microexpr.errors import MicroExprError

    for args, field in (((0, 4), "dims"), ((70000, 2), "port"), ((0, 2, "here"), "address")):
        with pytest.raises(MicroExprError) as err:
            with net.csharp_errors():
                mu.UdpLandmarkSource(*args)
        assert err.value.field == field
    a = mu.UdpLandmarkSource(0, 2)
    a.Start()
    try:
        with pytest.raises(MicroExprError, match="cannot listen") as err:
            with net.csharp_errors():
                mu.UdpLandmarkSource(a.Port, 2).Start()
        assert err.value.field == "port"
    finally:
        a.Dispose()


# -- the receiver's landmarks solved in C#, against Python on the same float32 values --------
F = 150


def _image_take(rig, seed=0):
    """A 2-D take with head motion, noise, sparse expressions, a frame without a face and a
    half-missing face."""
    from microexpr.solve.synthetic_tracks import head_motion, image_tracks

    rng = np.random.default_rng(seed)
    W = np.zeros((F, len(rig.targets)))
    for _ in range(8):
        t, a = int(rng.integers(len(rig.targets))), int(rng.integers(0, F - 40))
        W[a:a + 40, t] += rng.uniform(0.15, 0.4) * np.sin(np.linspace(0, np.pi, 40))
    tracks = image_tracks(rig, np.clip(W, 0, 1), head_motion(F, seed=seed), pixels_per_unit=14.0,
                          noise_px=0.3, seed=seed)
    tracks.points[:, :, 0] += 320.0
    tracks.points[:, :, 1] -= 240.0                       # y up here: y down 240 px below the top
    for f, lms in ((60, slice(None)), (61, slice(0, 34))):
        tracks.points[f, lms] = np.nan
        tracks.confidence[f, lms] = 0.0
    tracks.confidence[90:110, 48:68] = 0.4
    return tracks


def _stream(tracks, fps):
    """(datagrams in sending order, expected accepted sequence numbers): frames lost, pairs
    swapped, duplicates, stale copies and garbage in between."""
    y_down = tracks.points * np.array([1.0, -1.0])
    out, want, last = [], [], -1

    def frame(f, stamp=None):
        stamp = 1000.0 + f / fps if stamp is None else stamp
        valid = bool(np.isfinite(y_down[f]).any())
        return _packet(f, stamp, np.nan_to_num(y_down[f], nan=np.nan), tracks.confidence[f], valid=valid)

    order = [f for f in range(F) if f % 17 != 5]          # lost
    for i in range(3, len(order) - 1, 11):                 # reordered: the later one first
        order[i], order[i + 1] = order[i + 1], order[i]
    for n, f in enumerate(order):
        if n % 9 == 4:
            out.append(frame(f, stamp=1000.0 + f / fps - 0.5))   # a stale copy under this number
        out.append(frame(f))
        if f > last:
            want.append(f)
            last = f
        if n % 13 == 6:
            out.append(frame(f))                           # a duplicate
        if n % 7 == 2:
            out.append(b"MXLM" + bytes(range(40)))         # garbage
    return out, want


def test_received_landmarks_solve_as_python_in_delivery_order(rt, mu, source, arkit_rig, tmp_path):
    from microexpr.solve.performer import load_performer, save_performer
    from microexpr.solve.performer_stream import PerformerStream
    from microexpr.solve.tracks_to_clip import calibrate_for
    from microexpr.unity import parity

    src, tx = source
    tracks = _image_take(arkit_rig, seed=3)
    fps = 30.0
    path = str(tmp_path / "performer.json")
    save_performer(calibrate_for(arkit_rig, tracks), path)
    solver = rt.PerformerSolver(parity.csharp_rig(parity.RigArrays.from_rig(arkit_rig)),
                                rt.Performer.Load(path), 2, fps)
    stream = PerformerStream(arkit_rig, load_performer(path), fps=fps)
    datagrams, want = _stream(tracks, fps)
    pts, conf, w = net.new_doubles(136), net.new_doubles(68), net.new_doubles(len(arkit_rig.targets))
    got, diffs, solved = [], [], 0
    for data in datagrams:
        tx.send(data)
        before = src.Accepted
        if not src.TryGetLandmarks(pts, conf):
            if src.Accepted > len(got):
                got.append(int(src.LastSequence))          # accepted without a face
            continue
        got.append(int(src.LastSequence))
        assert before == len(got)
        rt.UnitySpace.SourceToBridge(pts, 2, src.Space, "cm")       # as the driver does
        valid = solver.Step(pts, conf, w)
        # Python on the float32 values that travelled, y up as solve.tracks.finish_tracks gives
        f = got[-1]
        x = tracks.points[f].astype(np.float32).astype(np.float64)
        c = tracks.confidence[f].astype(np.float32).astype(np.float64)
        c[~np.isfinite(x).all(axis=1)] = 0.0
        py, pose = stream.step(x, c)
        assert bool(valid) == (pose is not None)
        diffs.append(np.max(np.abs(net.from_net(w) - py)))
        solved += 1
    assert got == want, "delivery: the newer packets, in order"
    assert src.Malformed > 0 and src.OutOfOrder > 0 and src.Stale > 0
    assert src.Accepted == len(want) and src.Received == len(datagrams)
    assert solved == len(want) - 1, "every accepted frame with a face was solved"
    assert max(diffs) <= TOL, "C# and Python differ by %g" % max(diffs)
    assert py.max() > 0.05, "expressions are solved"


HARNESS = r"""
using System;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using MicroExpr.Unity;

namespace MicroExprLiveTests
{
public static class LiveHarness
{
    /// Sends each packet to the source and polls TryGetLandmarks until it is there: the bytes
    /// allocated on this thread by all the polls, and each packet's send-to-available seconds.
    public static long Run(UdpLandmarkSource src, byte[][] packets, double[] seconds)
    {
        var p = new double[68 * src.Dimensions];
        var c = new double[68];
        var sock = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        var to = new IPEndPoint(IPAddress.Loopback, src.Port);
        long bytes = 0;
        for (int i = 0; i < packets.Length; i++)
        {
            long t0 = Stopwatch.GetTimestamp();
            sock.SendTo(packets[i], to);
            while (true)
            {
                long a0 = GC.GetAllocatedBytesForCurrentThread();
                bool got = src.TryGetLandmarks(p, c);
                bytes += GC.GetAllocatedBytesForCurrentThread() - a0;
                if (got) break;
                if (Stopwatch.GetTimestamp() - t0 > 10 * Stopwatch.Frequency) { sock.Close(); return -1; }
            }
            seconds[i] = (Stopwatch.GetTimestamp() - t0) / (double)Stopwatch.Frequency;
        }
        sock.Close();
        return bytes;
    }

    /// A control: the same counter sees an allocation.
    public static long Allocates()
    {
        long a0 = GC.GetAllocatedBytesForCurrentThread();
        var junk = new double[100];
        long a1 = GC.GetAllocatedBytesForCurrentThread();
        return junk.Length > 0 ? a1 - a0 : 0;
    }
}
}
"""


@pytest.fixture(scope="module")
def harness(rt, tmp_path_factory):
    import clr

    from microexpr.unity import build

    src = tmp_path_factory.mktemp("harness") / "LiveHarness.cs"
    src.write_text(HARNESS)
    clr.AddReference(build.compile_cs("LiveHarness", [str(src)], refs=[build.runtime_dll()]))
    from MicroExprLiveTests import LiveHarness

    return LiveHarness


def test_polling_allocates_nothing_and_latency_is_measured(harness, source, capsys):
    from System import Array, Byte

    src, _ = source
    points, conf = _face(5)
    n = 400
    packets = Array.CreateInstance(Array[Byte], n)
    for i in range(n):
        packets[i] = net.bytes_to_net(_packet(i, 1000.0 + i / 60, points + i % 7, conf))
    seconds = net.new_doubles(n)
    assert harness.Run(src, packets, seconds) >= 0              # warm-up (JIT)
    assert harness.Allocates() > 0, "the allocation counter works here"
    for i in range(n):
        packets[i] = net.bytes_to_net(_packet(i + n, 2000.0 + i / 60, points + i % 7, conf))
    allocated = harness.Run(src, packets, seconds)
    assert allocated == 0, "TryGetLandmarks allocated %d bytes over %d packets" % (allocated, n)
    lat = net.from_net(seconds) * 1e6
    assert np.all(lat > 0)
    with capsys.disabled():
        print("\nUDP loopback send -> landmarks available in C#: median %.0f us, p95 %.0f us, max %.0f us "
              "over %d packets; 0 bytes allocated by TryGetLandmarks" % (np.median(lat), np.percentile(lat, 95),
                                                                        lat.max(), n))


# -- recorded tracks ---------------------------------------------------------------------------
def test_recorded_tracks_play_in_time_with_the_clock(rt, mu, arkit_rig, tmp_path):
    from microexpr.solve.tracks import Tracks, load_tracks, write_tracks_csv

    take = _image_take(arkit_rig, seed=4)
    times = 0.5 + np.cumsum(np.r_[0.0, np.random.default_rng(2).uniform(0.02, 0.05, F - 1)])
    take = Tracks(take.points, take.confidence, times, True, "take")
    path = str(tmp_path / "take.csv")
    write_tracks_csv(path, take)
    ref = load_tracks(path)                             # what Python reads back (y up)
    with open(path, encoding="utf-8") as f:
        src = mu.RecordedTracksSource.Parse(f.read(), "take.csv", 30.0)
    assert src.FrameCount == F and src.Dimensions == 2 and str(src.Space) == "ImagePixelsYDown"
    assert src.Duration == pytest.approx(ref.times[-1] - ref.times[0], abs=0)
    pts, conf = net.new_doubles(136), net.new_doubles(68)
    rel = ref.times - ref.times[0]
    clock = np.sort(np.r_[np.random.default_rng(3).uniform(-0.2, rel[-1] + 0.3, 200), rel[:5], rel[-3:]])
    shown = []
    for now in clock:
        src.SetTime(float(now))
        want = int(np.searchsorted(rel, now, side="right")) - 1     # the latest frame <= now
        assert src.CurrentFrame == want
        ok = src.TryGetLandmarks(pts, conf)
        if want < 0 or want in shown[-1:]:
            assert not ok, "before the first frame, or a frame already returned"
            continue
        shown.append(want)
        assert bool(ok) == bool(np.isfinite(ref.points[want]).any())
        if ok:
            got = net.from_net(pts).reshape(68, 2)
            got[:, 1] = -got[:, 1]                                     # to y up, as Python reads it
            assert np.array_equal(np.isnan(got), np.isnan(ref.points[want]))
            # Mono's double.Parse is off by one ulp for a few 17-digit numbers
            np.testing.assert_allclose(got[np.isfinite(got)], ref.points[want][np.isfinite(ref.points[want])],
                                       rtol=1e-15, atol=0)
            assert np.array_equal(net.from_net(conf), ref.confidence[want])
    assert len(shown) > 50
    # held frames repeat when asked; a loop starts over after one more frame interval
    src.RepeatFrames = True
    src.SetTime(float(rel[10]))
    assert src.TryGetLandmarks(pts, conf) and src.TryGetLandmarks(pts, conf)
    src.Loop = True
    src.SetTime(float(rel[-1] + (rel[1] - rel[0]) + rel[3]))
    assert src.CurrentFrame == 3


def test_recorded_tracks_from_arrays_and_bad_files(rt, mu):
    from microexpr.errors import MicroExprError

    P = np.arange(3 * 68 * 3, dtype=float)
    src = mu.RecordedTracksSource(net.to_net(P), net.to_net(np.ones(3 * 68)), net.to_net([0.0, 0.1, 0.2]), 3,
                                  mu.LandmarkSpace.Bridge, "arrays")
    pts, conf = net.new_doubles(204), net.new_doubles(68)
    src.SetTime(0.15)
    assert src.TryGetLandmarks(pts, conf) and np.array_equal(net.from_net(pts), P[204:408])
    header = "frame," + ",".join("x%d,y%d" % (i, i) for i in range(68))
    row = "0," + ",".join(["1.5"] * 136)
    bad = {
        "header": "frame,a,b\n0,1,2\n",
        "row 2": header + "\n" + row + ",7,8\n",
        "time": "time," + header + "\n0.2," + row + "\n0.1," + row + "\n",
    }
    bad["x3"] = header + "\n0," + ",".join(["1.5"] * 6 + ["abc"] + ["1.5"] * 129) + "\n"
    bad["y67"] = header + "\n0," + ",".join(["1.5"] * 135 + ["abc"]) + "\n"
    for field, text in bad.items():
        with pytest.raises(MicroExprError) as err:
            with net.csharp_errors():
                mu.RecordedTracksSource.Parse(text, "bad.csv", 30.0)
        assert err.value.file == "bad.csv" and err.value.field == field, (field, str(err.value))
    ok = mu.RecordedTracksSource.Parse(header + "\n" + row + "\n" + row + "\n", "ok.csv", 20.0)
    ok.SetTime(0.05)
    assert ok.CurrentFrame == 1 and ok.Dimensions == 2
