"""The vectorised OBJ reader gives exactly what the line-by-line reader gives (points, polygons,
UVs, fingerprint), on files written by MicroExpr and by other programs, and on generated
files full of odd but valid syntax; bad files still fail with the line named."""
import glob
import os

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr.errors import MicroExprError
from microexpr.formats import obj
from microexpr.formats.obj import read_obj, write_obj

ASSIMP_OBJ = sorted(glob.glob("/usr/share/assimp/models/OBJ/*.obj")
                    + glob.glob("/usr/share/assimp/models/invalid/*.obj"))


def both(data: bytes):
    """(fast result or None, line reader's result or its MicroExprError)."""
    fast = obj._parse_fast(data)
    try:
        ref = obj._parse_lines(obj._text(data, "x.obj"), "x.obj")
    except MicroExprError as exc:
        ref = exc
    return fast, ref


def assert_same(fast, ref):
    pts, counts, idx, uvs = fast
    assert pts.dtype == ref[0].dtype and np.array_equal(pts, ref[0])
    assert np.array_equal(np.signbit(pts), np.signbit(ref[0]))         # -0.0 stays -0.0
    assert counts.dtype == idx.dtype == np.int64
    assert np.array_equal(counts, ref[1]) and np.array_equal(idx, ref[2])
    assert (uvs is None) == (ref[3] is None)
    if uvs is not None:
        assert np.array_equal(uvs, ref[3], equal_nan=True)


def check(data: bytes, must_be_fast: bool = False):
    fast, ref = both(data)
    if isinstance(ref, MicroExprError):
        assert fast is None, "the fast reader took a file the line reader rejects: %s" % ref
        return None
    if must_be_fast:
        assert fast is not None, "the fast reader fell back on %r" % data[:200]
    if fast is not None:
        assert_same(fast, ref)
    return ref


def test_default_face_round_trip_is_fast_and_identical(tmp_path, face):
    p = tmp_path / "face.obj"
    write_obj(str(p), face.skin)
    check(p.read_bytes(), must_be_fast=True)
    m = read_obj(str(p))
    assert m.fingerprint() == face.skin.fingerprint()
    assert np.array_equal(m.points, np.array([[float("%.9g" % x) for x in row]
                                              for row in face.skin.points]))


@pytest.mark.skipif(not ASSIMP_OBJ, reason="Debian's assimp-testmodels is not installed")
@pytest.mark.parametrize("path", ASSIMP_OBJ, ids=os.path.basename)
def test_files_from_other_programs(path):
    with open(path, "rb") as f:
        data = f.read()
    ref = check(data)
    if ref is not None and b"WusonOBJ" in path.encode():
        assert obj._parse_fast(data) is not None                   # MilkShape: v/vt/vn corners


SEAMED = b"""# a quad strip whose UVs are cut along x = 1: vertex 2 and 5 have two UVs
mtllib strip.mtl
o strip
v 0 0 0\r
v 1 0 0
v 2 0 0
v 0 1 0
v 1 1 0
v 2 1 0
vt 0 0
vt 0.5 0
vt 0.0 0
vt 1 0
vt 0 1
vt 0.5 1
vt 0.0 1
vt 1 1
vn 0 0 1
g left
usemtl skin
s 1
f 1/1/1 2/2/1 5/6/1 4/5/1
g right
s off
f 2/3/1 3/4/1 6/8/1 5/7/1   # the seam: 2 and 5 again, other UVs
"""


def test_uv_seam_keeps_vertices_and_takes_the_first_uv():
    ref = check(SEAMED, must_be_fast=True)
    pts, counts, idx, uvs = ref
    assert len(pts) == 6 and counts.tolist() == [4, 4]
    assert idx.tolist() == [0, 1, 4, 3, 1, 2, 5, 4]
    assert uvs[1].tolist() == [0.5, 0.0] and uvs[4].tolist() == [0.5, 1.0]


@pytest.mark.parametrize("text", [
    b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nf -4 -3 -2 -1\n",                  # relative
    b"v 0 0 0\nv 1 0 0\nv 1 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nf 1/-3 2/-2 3/-1\n",
    b"v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nv .5 2 0\nf 1 2 3 5 4\nf 1//1 2//1 3//1\n",
    b"v 0 0 0 1 0 0\nv 1 0 0 0 1 0\nv 0 1 0 0 0 1\nf 1 2 3\n",            # vertex colours
    b"  v\t0 0 0 \n\tv 1 0 0\nv 0 1 0\n\n\nf\t1  2\t\t3\nl 1 2\np 3\n",
    b"v 1e2 -2.5E-3 +.5\nv 5. -0 0.0\nv 1_000 0x1 0\n",                      # Python's float()
    b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0.1\nvt 0.2 0.3 0.4\nvt 1 1\nf 1/1 2/2 3/3\n",
    b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/+1/x 2/2/ 3/3/3/3\nvt 0 0\nvt 1 0\nvt 0 1\n",
    b"\xef\xbb\xbfv 0 0 0\nv 1 0 0\nv 0 1 0\nv 1 1 0\n# \xc3\xa9t\xc3\xa9\nf 2 3 4\n",  # BOM
    b"v 0 0 0\r\nv 1 0 0\rv 0 1 0\r\nf 1 2 3",                             # CR, CRLF, no LF
    b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 \\\n3\n",                             # continuation
    b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1/4 2/4 3/4\n",                           # missing UV
    b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/0 2/1 3/1\n",
    b"v 0 0 0\nv nan 0 0\nv 0 1 0\n",
    b"v 0 0\n", b"vt 0 0\n", b"f 1 2 3\nv 0 0 0\nv 1 0 0\nv 0 1 0\n", b"",
    b"v 0 0 0\x0bv 1 0 0\nv 0 1 0\n", b"v 0\xc2\xa00 0\n", b"v 0 0 0\x00\n",
    b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3" + b"0" * 80 + b"\n",
])
def test_odd_files_read_as_the_line_reader_reads_them(text):
    check(text)


def test_the_error_names_the_line_and_a_bad_uv_index_is_an_error(tmp_path):
    p = tmp_path / "bad.obj"
    p.write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nvt 0 0\nf 1/1 2/1 3/2\n")
    with pytest.raises(MicroExprError, match=r"line 5.*texture coordinate 2") as err:
        read_obj(str(p))
    assert err.value.field == "line 5" and str(p) in str(err.value)
    p.write_bytes(b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 \\\n3\n")
    with pytest.raises(MicroExprError, match="line 4"):
        read_obj(str(p))
    p.write_bytes(b"v 0 0 0\r\nv 1 0 0\r\nv 0 1 x\r\n")
    with pytest.raises(MicroExprError, match=r"line 3 \('v 0 1 x'\)"):
        read_obj(str(p))


def test_unicode_space_list_matches_python():
    spaces = "".join(chr(c) for c in range(128, 0x3001) if chr(c).isspace())
    assert all(obj._UNICODE_SPACE.match(ch) for ch in spaces)
    assert len(spaces) == len(obj._UNICODE_SPACE.findall("".join(map(chr, range(128, 0x3001)))))


FLOAT = st.one_of(
    st.floats(allow_nan=False, allow_infinity=False, width=64).map(repr),
    st.floats(min_value=-1e3, max_value=1e3).map(lambda x: "%.6f" % x),
    st.floats(min_value=-1e9, max_value=1e9).map(lambda x: "%g" % x),
    st.floats(min_value=-1e30, max_value=1e30).map(lambda x: "%.3E" % x),
    st.integers(-10**20, 10**20).map(str),
    st.sampled_from(["-0", "+.5", "5.", "1_0", "-0.0e-0", "1e-400", "00000000000000000000012.5",
                     "9007199254740993", "4.35e-22", "1e22", "1e23", "+1E+5"]),
)
BAD_FLOAT = st.sampled_from([".", "-", "1e", "1e+", "e1", "1.2.3", "inf", "nan", "1e400", "1d3",
                             "0x1p3", "--1"])
SPACE = st.sampled_from([" ", "  ", "\t", " \t"])
CORNER = st.tuples(st.sampled_from([1, 2, 3, 4, -1, -2, -4]), st.sampled_from([1, 2, 4, -1, -3]),
                   st.sampled_from(["{v}", "{v}/{t}", "{v}//{t}", "{v}/{t}/{v}", "{v}/{t}/",
                                    "{v}/"])).map(lambda c: c[2].format(v=c[0], t=c[1]))
CORNER |= st.sampled_from(["+1/01", "02//+3", "0003/-0001/x", "4/+2/"])
OTHER = st.sampled_from(["vn 0 0 1", "o head", "g a b", "s 1", "s off", "usemtl skin", "# c",
                         "mtllib x.mtl", "", "l 1 2", "vp 0.5", "V 1 2 3", "vtx 1", "fo 1 2 3"])


def joined(tag, items, minimum, maximum):
    return st.tuples(st.lists(items, min_size=minimum, max_size=maximum), SPACE).map(
        lambda t: tag + t[1] + t[1].join(t[0]))


VALID_LINE = st.one_of(joined("v", FLOAT, 3, 6), joined("vt", FLOAT, 1, 3),
                       joined("f", CORNER, 3, 6), OTHER)
MESSY_LINE = st.one_of(VALID_LINE, joined("v", FLOAT | BAD_FLOAT, 0, 4),
                       joined("vt", BAD_FLOAT, 0, 2), joined("f", CORNER | BAD_FLOAT, 0, 4),
                       st.sampled_from(["f", "v", "vt", "f 1 2 \\", "f 1/x 2 3", "f 9 1 2"]))
HEAD = "v 0 0 0\nv 1 0 0\nv 1 1 0\nv 0 1 0\nvt 0 0\nvt 1 0\nvt 1 1\nvt 0 1\n"


def obj_text(line, head=HEAD):
    return st.lists(st.tuples(st.sampled_from(["", " ", "\t"]), line,
                              st.sampled_from(["", " # x", "#"]),
                              st.sampled_from(["\n", "\r\n", "\r"])), max_size=20).map(
        lambda lines: head + "".join(a + b + c + d for a, b, c, d in lines))


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj_text(VALID_LINE))
def test_fuzz_valid_files_take_the_fast_reader(text):
    assert check(text.encode(), must_be_fast=True) is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(obj_text(MESSY_LINE, "") | obj_text(MESSY_LINE))
def test_fuzz_messy_files_match_the_line_reader(text):
    check(text.encode())


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet="vft/0123456789.-+eE \t\r\n#\\\x0b\x85\xa0x", max_size=200))
def test_fuzz_raw_text(text):
    check(text.encode("utf-8"))


def test_big_indices_and_long_numbers_agree():
    n = 12
    pts = "".join("v %s %s %s\n" % ("1" * 40, "0." + "3" * 33, "-%d.5e-3" % k) for k in range(n))
    faces = "f " + " ".join("%s%d" % ("0" * 30, k + 1) for k in range(n)) + "\n"
    ref = check((pts + faces).encode(), must_be_fast=True)
    assert ref[2].tolist() == list(range(n))


@settings(max_examples=300, deadline=None)
@given(st.lists(FLOAT | BAD_FLOAT | st.sampled_from(["1_0", "\u0661", "\x00", "\x0b"]), max_size=12),
       SPACE, st.sampled_from([np.float64, np.int64]))
def test_parse_numbers_is_numpy_on_the_split_text(tokens, space, dtype):
    """COLLADA's arrays: the vectorised parse gives np.array(text.split(), dtype), or its error."""
    text = space + space.join(tokens) + "\n"
    try:
        want = np.array(text.split(), dtype=dtype)
    except (ValueError, OverflowError) as exc:
        with pytest.raises(type(exc)):
            obj.parse_numbers(text, dtype)
        return
    got = obj.parse_numbers(text, dtype)
    assert got.dtype == want.dtype and np.array_equal(got, want, equal_nan=dtype is np.float64)
    assert np.array_equal(np.signbit(got), np.signbit(want))


def test_read_targets_keeps_the_order_and_names_the_first_bad_file(tmp_path, face):
    from microexpr.rig.convert import read_targets

    neutral = tmp_path / "neutral.obj"
    write_obj(str(neutral), face.skin)
    base = read_obj(str(neutral), name="skin")
    files = []
    for k in range(9):
        p = tmp_path / ("t%d.obj" % k)
        write_obj(str(p), face.skin, face.skin.points + 0.01 * k)
        files.append(str(p))
    shapes = read_targets(files, base, workers=3)
    assert [m.name for m in shapes] == ["t%d" % k for k in range(9)]
    assert all(np.allclose(m.points, face.skin.points + 0.01 * k) for k, m in enumerate(shapes))
    assert all(np.shares_memory(m.face_indices, base.face_indices) and m.uvs is None
               for m in shapes)
    with open(files[4], "a") as f:
        f.write("f 1 2 999999\n")
    with open(files[7], "w") as f:
        f.write("v 0 0\n")
    with pytest.raises(MicroExprError) as err:
        read_targets(files, base, workers=3)
    assert err.value.file == files[4] and "line" in str(err.value)
