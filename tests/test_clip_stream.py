"""ClipStream: a clip written a chunk of frames at a time is byte for byte what
``bridge.save_clip`` writes, in every format and whatever the chunk sizes; bad chunks and bad
metadata are refused without writing; interrupts leave nothing; memory stays flat."""
from __future__ import annotations

import json
import os
import tempfile
import tracemalloc

import numpy as np
import pytest
from pydantic import ValidationError

from microexpr import atomicio, bridge
from microexpr.bridge.clip_stream import POSE_COLUMNS, ClipStream
from microexpr.bridge.models import Clip, MicroEvent

EXT = {"microexpr": ".microexpr", "microexpr-bin": ".microexpr", "json": ".json"}


def _case(seed):
    """(weights, valid, pose or None, fields) of a random clip."""
    rng = np.random.default_rng(seed)
    n = int(rng.choice([1, 2, 7, 64, 1001, 5000]))
    t = int(rng.integers(1, 9))
    w = rng.random((n, t))
    w[rng.random((n, t)) < 0.05] = 0.0
    w[rng.random((n, t)) < 0.05] = 1.0
    valid = rng.random(n) > 0.2
    pose = None
    if seed % 3:
        pose = rng.normal(size=(n, 4)) * [20, 10, 5, 0.1] + [0, 0, 0, 1]
        pose[rng.random(n) < 0.15] = np.nan
        pose[0, 1] = -0.0
    fields = {"fps": float(rng.choice([24.0, 30.0, 59.94])), "start_time": float(seed) / 7,
              "hold_invalid": bool(seed % 2), "generator": "microexpr test",
              "targets": ["t%d" % i for i in range(t)]}
    if seed % 2:
        fields["rig_fingerprint"] = "f" * 40
        fields["events"] = [MicroEvent(au="12", target="t0", onset=0.05, apex=0.1, offset=0.3,
                                       peak_weight=0.4, params={"hold": 0.02})]
    fields["source"] = {"kind": "solve", "frames": n, "noise": 0.25, "missing": [[1, "x"]],
                        "nested": {"a": [1.5, None, True], "b": "text \u00e9"}}
    if seed % 4 == 1:
        fields["source"]["head_pose"] = None    # its place is kept
    return w, valid, pose, fields


def _reference(w, valid, pose, fields):
    """The same clip built whole, head pose as ``solve`` puts it."""
    fields = dict(fields)
    if pose is not None:
        frames = [None if not np.isfinite(p[0]) else [round(float(v), 4) for v in p] for p in pose]
        fields["source"] = dict(fields["source"], head_pose={"columns": list(POSE_COLUMNS),
                                                             "frames": frames})
    return Clip(weights=w, valid=valid, **fields)


def _stream(path, w, valid, pose, fields, fmt, chunk):
    rest = {k: v for k, v in fields.items() if k != "targets" or chunk == 3}   # the same again
    with ClipStream(path, fields["targets"], fmt) as s:
        bounds = _bounds(len(w), chunk)
        for lo, hi in zip(bounds[:-1], bounds[1:]):
            s.add(w[lo:hi], valid[lo:hi], None if pose is None else pose[lo:hi])
        assert s.frames == len(w)
        return s.finish(**rest)


def _bounds(n, chunk):
    if chunk == "random":
        rng = np.random.default_rng(n)
        cuts = np.unique(rng.integers(0, n + 1, size=min(n, 9)))
        return [0] + [int(c) for c in cuts if 0 < c < n] + [n]
    if n == 0:
        return [0, 0]                               # one empty chunk
    return list(range(0, n, chunk or n)) + [n]


def _bytes(files):
    return [open(f, "rb").read() for f in files]


@pytest.mark.parametrize("seed", range(7))
@pytest.mark.parametrize("fmt", bridge.io.FORMATS)
def test_streamed_file_equals_save_clip_byte_for_byte(tmp_path, seed, fmt):
    w, valid, pose, fields = _case(seed)
    ref = _reference(w, valid, pose, fields)
    (tmp_path / "whole").mkdir()
    want = bridge.save_clip(ref, tmp_path / "whole" / ("take" + EXT[fmt]), fmt)
    assert len(want) == (2 if fmt == "microexpr-bin" else 1)
    chunks = [1, 3, None, "random"] if len(w) <= 1001 else [3, None, "random"]
    for k, chunk in enumerate(chunks):
        folder = tmp_path / ("s%d" % k)
        folder.mkdir()
        got = _stream(folder / ("take" + EXT[fmt]), w, valid, pose, fields, fmt, chunk)
        assert [os.path.basename(f) for f in got] == [os.path.basename(f) for f in want]
        assert _bytes(got) == _bytes(want), (fmt, chunk)
        assert sorted(os.listdir(folder)) == sorted(os.path.basename(f) for f in got)
        assert bridge.load_clip(got[-1]) == ref


@pytest.mark.parametrize("fmt", bridge.io.FORMATS)
def test_a_clip_without_frames_is_written_as_save_clip_writes_it(tmp_path, fmt):
    fields = {"fps": 30.0, "targets": ["a", "b"], "source": {"kind": "solve"}}
    ref = Clip(weights=np.zeros((0, 2)), valid=np.zeros(0, bool), **fields)
    want = bridge.save_clip(ref, tmp_path / ("ref" + EXT[fmt]), fmt)
    got = _stream(tmp_path / ("got" + EXT[fmt]), np.zeros((0, 2)), np.zeros(0, bool), None, fields, fmt, None)
    assert len(got) == len(want) == 1
    assert _bytes(got) == _bytes(want)


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("indent", [1, 2, 0, None])
def test_write_source_is_the_source_as_json_dumps_writes_it(tmp_path, seed, indent):
    w, valid, pose, fields = _case(seed)
    ref = _reference(w, valid, pose, fields)
    rest = {k: v for k, v in fields.items() if k != "targets"}
    with ClipStream(tmp_path / "c.microexpr", fields["targets"]) as s:
        with pytest.raises(RuntimeError):
            s.write_source(tmp_path / "early.json")
        for lo in range(0, len(w), 500):
            s.add(w[lo:lo + 500], valid[lo:lo + 500], None if pose is None else pose[lo:lo + 500])
        s.finish(**rest)
        s.write_source(tmp_path / "report.json", indent=indent)
    text = (tmp_path / "report.json").read_text()
    assert text == json.dumps(ref.source, indent=indent, default=str)
    assert json.loads(text) == json.loads(json.dumps(ref.source, default=str))
    assert not (tmp_path / "early.json").exists()


# -- refusals ----------------------------------------------------------------------------------
def test_bad_chunks_are_refused_naming_the_problem_and_add_nothing(tmp_path):
    rng = np.random.default_rng(5)
    w, v = rng.random((10, 3)), np.ones(10, bool)
    pose = rng.normal(size=(10, 4))
    nan = w.copy()
    nan[4, 1] = np.nan
    with ClipStream(tmp_path / "c.microexpr", ["a", "b", "c"]) as s:
        s.add(w[:5], v[:5], pose[:5])
        with pytest.raises(ValueError, match="weights.*4 targets|weights per frame"):
            s.add(rng.random((5, 4)), v[:5], pose[:5])
        with pytest.raises(ValueError, match="weights.*finite"):
            s.add(nan, v, pose)
        with pytest.raises(ValueError, match="weights.*0-1"):
            s.add(w * 2, v, pose)
        with pytest.raises(ValueError, match="weights.*0-1"):
            s.add(w - 0.5, v, pose)
        with pytest.raises(ValueError, match="valid.*4 entries for 5 frames"):
            s.add(w[5:], v[:4], pose[5:])
        with pytest.raises(ValueError, match="pose must be"):
            s.add(w[5:], v[5:], pose[5:, :3])
        half = pose[5:].copy()
        half[2, 3] = np.nan
        with pytest.raises(ValueError, match="pose row 2 is partly NaN"):
            s.add(w[5:], v[5:], half)
        with pytest.raises(ValueError, match="pose given with some chunks"):
            s.add(w[5:], v[5:])
        assert s.frames == 5
        s.add(w[5:], v[5:], pose[5:])
        files = s.finish(fps=30.0)
    ref = _reference(w, v, pose, {"fps": 30.0, "targets": ["a", "b", "c"], "source": {}})
    assert _bytes(files) == _bytes(bridge.save_clip(ref, tmp_path / "ref.microexpr"))


@pytest.mark.parametrize("fmt", bridge.io.FORMATS)
@pytest.mark.parametrize("bad", [{"fps": 0.0}, {"targets": ["a", "b", "a"]}, {"fps": 30.0, "hold_invalid": 1}])
def test_bad_metadata_raises_the_clip_models_error_and_writes_nothing(tmp_path, fmt, bad):
    targets = bad.get("targets", ["a", "b", "c"])
    fields = {"fps": bad.get("fps", 30.0), **{k: v for k, v in bad.items() if k not in ("targets", "fps")}}
    with pytest.raises(ValidationError) as whole:
        Clip(targets=targets, weights=np.zeros((1, 3)), valid=[True], **fields)
    path = tmp_path / ("c" + EXT[fmt])
    path.write_bytes(b"previous")
    with ClipStream(path, targets, fmt) as s:
        s.add(np.full((4, 3), 0.5), np.ones(4, bool))
        with pytest.raises(ValidationError) as streamed:
            s.finish(**fields)
        assert streamed.value.errors()[0]["loc"] == whole.value.errors()[0]["loc"]
        assert path.read_bytes() == b"previous"
        assert sorted(os.listdir(tmp_path)) == [path.name]
        with pytest.raises(TypeError, match="weights"):
            s.finish(fps=30.0, weights=np.zeros((1, 3)))
        with pytest.raises(ValueError, match="other targets"):
            s.finish(fps=30.0, targets=["x", "y", "z"])
    assert path.read_bytes() == b"previous"
    assert sorted(os.listdir(tmp_path)) == [path.name]


@pytest.fixture
def spool_dir(tmp_path, monkeypatch):
    """The system temp dir, pointed at an empty folder of the test's own."""
    folder = tmp_path / "systemtmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


@pytest.mark.parametrize("fmt", bridge.io.FORMATS)
@pytest.mark.parametrize("exists", [True, False])
def test_an_interrupt_between_add_and_finish_leaves_no_file_and_no_spool(tmp_path, spool_dir, fmt, exists):
    folder = tmp_path / "out" if exists else tmp_path / "new" / "deep"
    if exists:
        folder.mkdir()
    path = folder / ("c" + EXT[fmt])
    spools = []
    with pytest.raises(KeyboardInterrupt):
        with ClipStream(path, ["a", "b"], fmt) as s:
            s.add(np.full((100, 2), 0.25), np.ones(100, bool), np.zeros((100, 4)))
            spools = list(s._spools.values())
            assert spools and not any(sp.file.closed for sp in spools)
            raise KeyboardInterrupt
    assert all(sp.file.closed for sp in spools)
    assert not path.exists()
    assert os.listdir(spool_dir) == []
    assert (os.listdir(folder) == []) if exists else not folder.exists()
    with pytest.raises(RuntimeError, match="closed"):
        s.add(np.zeros((1, 2)), np.ones(1, bool), np.zeros((1, 4)))
    with pytest.raises(RuntimeError, match="closed"):
        s.finish(fps=30.0)


def test_closed_without_finish_writes_nothing_and_finish_writes_once(tmp_path, spool_dir):
    path = tmp_path / "c.json"
    s = ClipStream(path, ["a"])
    s.add(np.zeros((3, 1)), np.ones(3, bool))
    s.close()
    assert os.listdir(tmp_path) == [spool_dir.name]
    with ClipStream(path, ["a"]) as s:
        s.add(np.zeros((3, 1)), np.ones(3, bool))
        assert s.finish(fps=25.0) == [str(path)]
        with pytest.raises(RuntimeError, match="already finished"):
            s.finish(fps=25.0)
        with pytest.raises(RuntimeError):
            s.add(np.zeros((3, 1)), np.ones(3, bool))
    assert bridge.load_clip(path).weights.shape == (3, 1)
    assert os.listdir(spool_dir) == []


@pytest.mark.parametrize("fmt", bridge.io.FORMATS)
def test_inside_a_transaction_the_rename_waits_for_the_block(tmp_path, fmt):
    path = tmp_path / ("c" + EXT[fmt])
    with atomicio.transaction() as txn:
        with ClipStream(path, ["a", "b"], fmt) as s:
            s.add(np.full((9, 2), 0.5), np.ones(9, bool), np.ones((9, 4)))
            files = s.finish(fps=30.0)
            s.write_source(tmp_path / "report.json")
        assert not any(os.path.exists(f) for f in files + [str(tmp_path / "report.json")])
        assert set(txn.staged) == set(files) | {str(tmp_path / "report.json")}
    assert all(os.path.exists(f) for f in files)
    assert bridge.load_clip(path).weights.shape == (9, 2)
    with pytest.raises(RuntimeError, match="boom"):
        with atomicio.transaction():
            with ClipStream(tmp_path / ("d" + EXT[fmt]), ["a"], fmt) as s:
                s.add(np.zeros((2, 1)), np.ones(2, bool))
                s.finish(fps=30.0)
            raise RuntimeError("boom")
    assert not any(name.startswith("d") for name in os.listdir(tmp_path))


# -- memory ------------------------------------------------------------------------------------
def test_memory_stays_flat_in_the_frame_count(tmp_path):
    frames, targets, chunk = 300_000, 52, 10_000
    whole = frames * targets * 8                    # the weights alone, as one float64 array
    bound = whole // 4
    rng = np.random.default_rng(0)
    path = tmp_path / "long.microexpr"
    tracemalloc.start()
    try:
        with ClipStream(path, ["t%d" % i for i in range(targets)]) as s:
            for _ in range(frames // chunk):
                w = rng.random((chunk, targets))
                pose = rng.normal(size=(chunk, 4))
                pose[::7] = np.nan
                s.add(w, rng.random(chunk) > 0.1, pose)
                del w, pose
            s.finish(fps=60.0, source={"kind": "solve"})
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak > chunk * targets * 8               # numpy's allocations are traced
    assert peak < bound, "peak %.1f MB, bound %.1f MB" % (peak / 1e6, bound / 1e6)
    assert os.path.getsize(path) > whole
    clip = bridge.load_clip(path)
    assert clip.weights.shape == (frames, targets)
    assert len(clip.source["head_pose"]["frames"]) == frames
