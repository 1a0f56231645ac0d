"""OpenSeeFace's UDP packets as an input of the C# ``UdpLandmarkSource`` (#16): its 66
landmarks mapped to the 68 iBUG points, packed here field by field as OpenSeeFace's
facetracker.py packs them, sent over loopback and read under Mono."""
from __future__ import annotations

import struct

import numpy as np
import pytest
from test_unity_live import Sender, _face, _packet, _take

from microexpr.unity import net

#: OpenSeeFace landmark each iBUG point comes from (None: the outer mouth corners 48 and 54),
#: as documented in docs/live.md "From OpenSeeFace"
OSF_OF_IBUG = list(range(48)) + [None] + list(range(48, 53)) + [None] + list(range(53, 66))


def _osf_face(stamp, cols, rows, conf, face_id=0, width=640.0, height=480.0):
    """One face as OpenSeeFace's facetracker.py packs it (1785 bytes, little-endian): time,
    id, width, height, 2 eye blinks, success byte, PnP error, quaternion, euler, translation,
    68 confidences, 68 (column, row) image points, 70 3-D points, 14 features."""
    out = [struct.pack("<d", stamp), struct.pack("<i", face_id), struct.pack("<f", width),
           struct.pack("<f", height), struct.pack("<f", 0.9), struct.pack("<f", 0.9),
           struct.pack("<B", 1), struct.pack("<f", 0.02)]
    out += [struct.pack("<f", v) for v in (0.0, 0.0, 0.0, 1.0, 180.0, 0.0, 90.0, 0.1, 0.2, 5.0)]
    out += [struct.pack("<f", c) for c in conf]
    for x, y in zip(cols, rows):
        out += [struct.pack("<f", x), struct.pack("<f", y)]
    out += [struct.pack("<f", -0.5)] * (70 * 3) + [struct.pack("<f", 0.0)] * 14
    return b"".join(out)


def test_openseeface_packets_arrive_as_ibug_points(rt, mu):
    src = mu.UdpLandmarkSource(0, 2)
    src.ResyncSeconds = 0.0
    src.Format = rt.LivePacketFormat.OpenSeeFace
    src.Start()
    tx = Sender(src)
    rng = np.random.default_rng(7)
    cols, rows = rng.uniform(100, 540, 68), rng.uniform(60, 420, 68)   # OpenSeeFace's 66 + 2 pupils
    conf = rng.uniform(0.3, 1.0, 68)
    try:
        assert str(src.Space) == "ImagePixelsYDown" and src.Dimensions == 2
        face = _osf_face(1.7e9, cols, rows, conf)
        assert len(face) == 1785 == rt.OpenSeeFacePacket.FaceSize
        tx.send(face)
        ok, pts, c = _take(src)
        assert ok and src.LastSequence == 0 and src.LastTimestamp == 1.7e9
        for i, j in enumerate(OSF_OF_IBUG):
            if j is None:
                assert np.isnan(pts[i]).all() and c[i] == 0.0, i
            else:
                assert pts[i, 0] == np.float32(cols[j]) and pts[i, 1] == np.float32(rows[j]), i
                assert c[i] == np.float32(conf[j]), i
        # the driver's flip: image pixels y down -> bridge space y up
        flat = net.to_net(np.nan_to_num(pts).ravel())
        rt.UnitySpace.SourceToBridge(flat, 2, src.Space, "cm")
        assert np.array_equal(net.from_net(flat).reshape(68, 2)[:, 1], -np.nan_to_num(pts)[:, 1])
        # ordered by time: an older or equal time is out of order; two faces: the first is read
        tx.send(_osf_face(1.7e9 + 0.05, cols + 1, rows, conf) + _osf_face(1.7e9 + 0.05, cols + 9, rows, conf, 1))
        assert _take(src)[0] and src.LastSequence == 1
        tx.send(_osf_face(1.7e9 + 0.05, cols + 2, rows, conf))
        tx.send(_osf_face(1.7e9 + 0.01, cols + 3, rows, conf))
        ok, pts, _ = _take(src)
        assert not ok and src.OutOfOrder == 2
        bad_conf = conf.copy()
        bad_conf[30] = 1.5
        garbage = [b"", b"hello", face[:-1], face + b"\0", _osf_face(float("nan"), cols, rows, conf),
                   _osf_face(1.8e9, cols, rows, conf, width=0.0), _osf_face(1.8e9, cols, rows, bad_conf),
                   _packet(9, 101.0, *_face(0)),               # a MicroExpr packet is not one
                   b"\xff" * 1785]                               # a NaN time
        for data in garbage:
            tx.send(data)
        assert not _take(src)[0], "garbage changes nothing"
        assert src.Malformed == len(garbage)
        tx.send(_osf_face(1.7e9 + 0.1, cols + 4, rows, conf))
        ok, pts, _ = _take(src)
        assert ok and src.LastSequence == 2 and pts[0, 0] == np.float32(cols[0] + 4)
        assert src.Received == tx.sent == src.Accepted + src.Dropped + src.Malformed
        assert src.Accepted == 3 and src.LastError is None and src.IsRunning
    finally:
        tx.close()
        src.Dispose()
    from microexpr.errors import MicroExprError

    with pytest.raises(MicroExprError) as err:
        with net.csharp_errors():
            mu.UdpLandmarkSource(0, 3).Format = rt.LivePacketFormat.OpenSeeFace
    assert err.value.field == "Format"


