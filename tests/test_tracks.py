import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr.errors import MicroExprError
from microexpr.landmarks import MIRROR, parse_landmark_vertices, read_landmark_vertices
from microexpr.solve.tracks import Tracks, load_tracks, write_tracks_csv


def _pts(frames=4, k=2, seed=0):
    return np.random.default_rng(seed).uniform(100, 500, (frames, 68, k))


def test_npy_2d_is_flipped_to_y_up(tmp_path):
    p = tmp_path / "t.npy"
    pts = _pts()
    np.save(p, pts)
    t = load_tracks(str(p))
    assert t.dims == 2 and t.frames == 4 and t.image_space
    assert np.allclose(t.points[:, :, 1], -pts[:, :, 1])
    assert np.allclose(t.points[:, :, 0], pts[:, :, 0])


def test_csv_with_time_and_confidences_round_trips(tmp_path):
    pts = _pts(5)
    pts[2, 7] = np.nan
    from microexpr.solve.tracks import finish_tracks

    t = finish_tracks(pts, np.full((5, 68), 0.9), np.arange(5) / 50.0, "x")
    p = tmp_path / "t.csv"
    write_tracks_csv(str(p), t, extra={"face_score": [1.5] * 5})
    back = load_tracks(str(p))
    assert back.fps() == pytest.approx(50.0)
    ok = np.isfinite(t.points)
    assert np.allclose(back.points[ok], t.points[ok])
    assert back.confidence[2, 7] == 0 and back.confidence[0, 0] == pytest.approx(0.9)
    assert back.missing == ["frame 2: landmarks 7"]


def test_csv_3d_and_openface(tmp_path):
    pts = _pts(3, 3)
    header = ["frame"] + ["%s%d" % (a, i) for i in range(68) for a in "xyz"]
    rows = [",".join([str(f)] + [repr(float(v)) for v in pts[f].reshape(-1)]) for f in range(3)]
    (tmp_path / "a.csv").write_text(",".join(header) + "\n" + "\n".join(rows) + "\n")
    t = load_tracks(str(tmp_path / "a.csv"))
    assert t.dims == 3 and not t.image_space and np.allclose(t.points, pts)
    p2 = _pts(2)
    head = ["frame", " face_id", " timestamp", " confidence", " success"]
    head += [" x_%d" % i for i in range(68)] + [" y_%d" % i for i in range(68)]
    lines = [", ".join(head)]
    for f in range(2):
        vals = [f, 0, f * 0.04, 0.98, 1 - f] + list(p2[f, :, 0]) + list(p2[f, :, 1])
        lines.append(", ".join(str(float(v)) for v in vals))
    (tmp_path / "of.csv").write_text("\n".join(lines) + "\n")
    t = load_tracks(str(tmp_path / "of.csv"))
    assert np.allclose(t.points[0, :, 0], p2[0, :, 0]) and np.allclose(t.points[0, :, 1], -p2[0, :, 1])
    assert t.fps() == pytest.approx(25.0)
    assert t.confidence[0, 0] == pytest.approx(0.98) and t.confidence[1].max() == 0.0   # success 0


@pytest.mark.parametrize("text,what", [
    ("", "empty"),
    ("frame,x0,y0\n1,2,3\n", "missing landmark column"),
    ("a,b\n1,2\n", "no landmark columns"),
    ("frame," + ",".join("x%d,y%d" % (i, i) for i in range(68)) + "\n1,abc" + ",1" * 135 + "\n",
     "not a number"),
    ("frame," + ",".join("x%d,y%d" % (i, i) for i in range(68)) + "\n", "no frames"),
])
def test_bad_csv_names_file_and_field(tmp_path, text, what):
    p = tmp_path / "bad.csv"
    p.write_text(text)
    with pytest.raises(MicroExprError, match=what) as e:
        load_tracks(str(p))
    assert str(p) in str(e.value)


def test_bad_npy(tmp_path):
    p = tmp_path / "bad.npy"
    np.save(p, np.zeros((3, 51, 2)))
    with pytest.raises(MicroExprError, match="expected \\(frames, 68, 2 or 3\\)"):
        load_tracks(str(p))
    p.write_bytes(b"\x93NUMPY garbage")
    with pytest.raises(MicroExprError, match="not a readable .npy"):
        load_tracks(str(p))
    with pytest.raises(MicroExprError, match="does not exist"):
        load_tracks(str(tmp_path / "nope.npy"))


def test_mirroring_swaps_labels_and_flips_x():
    pts = np.zeros((1, 68, 2))
    pts[0, :, 0] = np.arange(68)
    t = Tracks(pts, np.ones((1, 68)))
    m = t.mirrored()
    assert m.points[0, 36, 0] == -45 and m.points[0, 45, 0] == -36
    assert (MIRROR[MIRROR] == np.arange(68)).all()


def test_landmark_vertex_files(tmp_path):
    p = tmp_path / "lm.txt"
    p.write_text("# comment\n" + "\n".join(str(i * 3) for i in range(68)) + "\n")
    assert read_landmark_vertices(str(p), 1000).tolist() == [i * 3 for i in range(68)]
    with pytest.raises(MicroExprError, match="beyond the mesh"):
        read_landmark_vertices(str(p), 100)
    with pytest.raises(MicroExprError, match="has 3 vertex indices"):
        parse_landmark_vertices(["1", "2", "3"])
    with pytest.raises(MicroExprError, match="not an integer"):
        parse_landmark_vertices(["x"] * 68)


_HEADER = "frame," + ",".join("x%d,y%d" % (i, i) for i in range(68)) + ",time,c0\n"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=400) | st.text(max_size=400).map(lambda s: (_HEADER + s).encode()))
def test_fuzz_csv_loader_only_raises_clear_errors(tmp_path, data):
    p = tmp_path / "fuzz.csv"
    p.write_bytes(data)
    try:
        t = load_tracks(str(p))
    except MicroExprError as e:
        assert str(p) in str(e)
    else:
        assert t.points.shape[1:] in ((68, 2), (68, 3))


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.binary(max_size=300))
def test_fuzz_npy_loader_only_raises_clear_errors(tmp_path, data):
    import io

    buf = io.BytesIO()
    np.save(buf, np.zeros((2, 68, 2)))
    good = buf.getvalue()
    p = tmp_path / "fuzz.npy"
    p.write_bytes(good[: len(data) % len(good)] + data)
    try:
        load_tracks(str(p))
    except MicroExprError as e:
        assert str(p) in str(e)
