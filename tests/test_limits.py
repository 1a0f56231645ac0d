"""Limits (issue #14): a request or a file above a limit is refused with an error that names the
limit and the variable that raises it, *before* anything of that size is allocated (checked
with tracemalloc, which sees numpy's allocations, and with the reader that would allocate
made to fail the test if it is reached); glTF files read data only from their own folder."""
from __future__ import annotations

import base64
import json
import os
import struct
import tracemalloc
import zlib

import numpy as np
import pytest

from microexpr.errors import MicroExprError

MB = 1 << 20


class Peak:
    """The most memory traced while the block ran (numpy arrays included)."""

    def __enter__(self):
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        self.bytes = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return False


@pytest.fixture(scope="module")
def small_rig():
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face

    face = default_face(resolution=0.4)
    return build_rig(face.skin, face.landmark_vertices, "table1")


@pytest.fixture(scope="module")
def exported(small_rig, tmp_path_factory):
    from microexpr.rig.convert import export_rig

    d = tmp_path_factory.mktemp("exported")
    export_rig(small_rig, None, fbx=str(d / "face.fbx"), glb=str(d / "face.glb"))
    export_rig(small_rig, None, gltf=str(d / "face.gltf"))
    return d


def _no_reader(monkeypatch):
    """Make the child-process readers (ufbx, assimp) fail the test if a file reaches them."""
    import microexpr.formats.assimp_import as assimp_import
    import microexpr.formats.fbx_import as fbx_import

    def reached(*a, **k):
        raise AssertionError("the file reached the native reader")

    monkeypatch.setattr(fbx_import, "run_isolated", reached)
    monkeypatch.setattr("microexpr.formats.safe_read.run_isolated", reached)
    return assimp_import


# ----------------------------------------------------------------------------- frames

@pytest.mark.parametrize("option", [{"fps": 1e7}, {"at": 1e9}, {"duration": 1e12}, {"at": 1e300}])
def test_a_clip_above_the_frame_limit_is_refused_before_allocating(small_rig, option):
    from microexpr.micro.synthesizer import micro_expression

    with Peak() as peak, pytest.raises(MicroExprError) as info:
        micro_expression(small_rig, emotion="contempt", **option)
    text = str(info.value)
    assert "above the limit of 1000000 frames" in text and "MICROEXPR_MAX_FRAMES=N" in text
    assert peak.bytes < 50 * MB


def test_the_frame_limit_is_the_variable(small_rig, monkeypatch):
    from microexpr.micro.synthesizer import micro_expression

    assert len(micro_expression(small_rig, emotion="contempt", fps=60).weights) > 20
    monkeypatch.setenv("MICROEXPR_MAX_FRAMES", "20")
    with pytest.raises(MicroExprError, match="above the limit of 20 frames"):
        micro_expression(small_rig, emotion="contempt", fps=60)
    monkeypatch.setenv("MICROEXPR_MAX_FRAMES", "lots")
    with pytest.raises(MicroExprError, match="MICROEXPR_MAX_FRAMES: 'lots' is not a positive"):
        micro_expression(small_rig, emotion="contempt", fps=60)


def test_a_frame_rate_below_one_is_refused(small_rig):
    from microexpr.micro.synthesizer import micro_expression

    with pytest.raises(MicroExprError, match="frame rate must be at least 1"):
        micro_expression(small_rig, emotion="contempt", fps=1e-9)


# ----------------------------------------------------------------------------- images

def _png(width: int, height: int) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * (width + 1) * 2)) + chunk(b"IEND", b""))


def _bmp(width: int, height: int) -> bytes:
    return b"BM" + bytes(16) + struct.pack("<ii", width, height) + bytes(64)


def _jpeg(width: int, height: int) -> bytes:
    app0 = b"\xff\xe0" + struct.pack(">H", 16) + b"JFIF\0" + bytes(9)
    return b"\xff\xd8" + app0 + b"\xff\xc0" + struct.pack(">HBHH", 17, 8, height, width) + bytes(12)


@pytest.mark.parametrize("pillow", [True, False])
@pytest.mark.parametrize("make,ext", [(_png, "png"), (_bmp, "bmp"), (_jpeg, "jpg")])
def test_a_huge_image_is_refused_from_its_header(tmp_path, monkeypatch, pillow, make, ext):
    pytest.importorskip("cv2")
    import cv2

    from microexpr.capture.video import open_frames

    if not pillow:
        monkeypatch.setitem(__import__("sys").modules, "PIL", None)
    path = tmp_path / ("big." + ext)
    path.write_bytes(make(20000, 20000))
    monkeypatch.setattr(cv2, "imread", lambda *a, **k: pytest.fail("the image was decoded"))
    with Peak() as peak, pytest.raises(MicroExprError) as info:
        open_frames(str(path))
    text = str(info.value)
    assert str(path) in text and "20000 x 20000" in text and "MICROEXPR_MAX_IMAGE_PIXELS=N" in text
    assert peak.bytes < 20 * MB


def test_the_pixel_limit_applies_to_videos_and_is_the_variable(tmp_path, monkeypatch):
    pytest.importorskip("cv2")
    from microexpr.capture.testvideo import write_video
    from microexpr.capture.video import open_frames

    path = str(tmp_path / "take.mp4")
    write_video(path, [np.zeros((64, 96, 3), np.uint8)] * 3, fps=30)
    assert open_frames(path).width == 96
    monkeypatch.setenv("MICROEXPR_MAX_IMAGE_PIXELS", "1000")
    with pytest.raises(MicroExprError, match="96 x 64 image needs 6144 pixels, above the limit of 1000"):
        open_frames(path)


# ----------------------------------------------------------------------------- FBX

def _fbx_bomb(data: bytes, count: int) -> bytes:
    at = data.index(b"Vertices") + len(b"Vertices")
    assert data[at:at + 1] == b"d"
    out = bytearray(data)
    out[at + 1:at + 5] = struct.pack("<I", count)
    return bytes(out)


@pytest.mark.parametrize("count", [300_000_000, 2 ** 32 - 1])
def test_an_fbx_array_larger_than_its_bytes_is_refused_before_ufbx(exported, tmp_path, monkeypatch,
                                                                  count):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)
    path = tmp_path / "bomb.fbx"
    path.write_bytes(_fbx_bomb((exported / "face.fbx").read_bytes(), count))
    with Peak() as peak, pytest.raises(MicroExprError) as info:
        read_scene(str(path))
    assert str(path) in str(info.value) and "FBX binary" in str(info.value)
    assert peak.bytes < 20 * MB


def test_an_ascii_fbx_count_beyond_its_bytes_is_refused(tmp_path, monkeypatch):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)
    path = tmp_path / "bomb.fbx"
    path.write_text('; FBX 7.4.0 project file\nObjects: {\n  Geometry: 1, "Geometry::", "Mesh" {\n'
                    '    Vertices: *999999999 {\n      a: 0,0,0\n    }\n  }\n}\n')
    with pytest.raises(MicroExprError, match="declares 999999999 values"):
        read_scene(str(path))


def test_good_fbx_files_pass_the_size_check(exported):
    import glob

    from microexpr.formats.fbx_check import check_fbx_sizes

    check_fbx_sizes(str(exported / "face.fbx"))
    for path in glob.glob("/usr/share/assimp/models/**/*.fbx", recursive=True)[:40]:
        check_fbx_sizes(path)


def test_the_array_limit_is_the_variable(exported, monkeypatch):
    from microexpr.formats.fbx_check import check_fbx_sizes

    monkeypatch.setenv("MICROEXPR_MAX_ARRAY_BYTES", "1000")
    with pytest.raises(MicroExprError, match="above the limit of 1000 bytes.*MICROEXPR_MAX_ARRAY_BYTES"):
        check_fbx_sizes(str(exported / "face.fbx"))


# ----------------------------------------------------------------------------- glTF

def _gltf_with(exported, tmp_path, edit, name="face.gltf"):
    doc = json.loads((exported / "face.gltf").read_text())
    payload = base64.b64decode(doc["buffers"][0]["uri"].split(",", 1)[1])
    folder = tmp_path / "scene"
    folder.mkdir(exist_ok=True)
    (tmp_path / "outside.bin").write_bytes(payload)
    edit(doc, folder, tmp_path / "outside.bin", payload)
    path = folder / name
    path.write_text(json.dumps(doc))
    return path


@pytest.mark.parametrize("uri,words", [
    ("../outside.bin", "leads out of the file's folder"),
    ("..\\outside.bin", "leads out of the file's folder"),
    ("%2E%2E/outside.bin", "leads out of the file's folder"),
    ("sub/../../outside.bin", "leads out of the file's folder"),
    ("ABSOLUTE", "is an absolute path"),
    ("C:/outside.bin", "is an absolute path"),
    ("file:///etc/passwd", "is a URL"),
    ("http://example.com/x.bin", "is a URL"),
])
def test_a_gltf_buffer_outside_its_folder_is_refused(exported, tmp_path, monkeypatch, uri, words):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)

    def edit(doc, folder, outside, payload):
        doc["buffers"][0]["uri"] = str(outside) if uri == "ABSOLUTE" else uri

    path = _gltf_with(exported, tmp_path, edit)
    with pytest.raises(MicroExprError) as info:
        read_scene(str(path))
    assert words in str(info.value) and "buffers[0].uri" in str(info.value)


def test_a_gltf_symlink_out_of_its_folder_is_refused(exported, tmp_path, monkeypatch):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)

    def edit(doc, folder, outside, payload):
        os.symlink(outside, folder / "inside.bin")
        doc["buffers"][0]["uri"] = "inside.bin"

    with pytest.raises(MicroExprError, match="a link that leads out of the file's folder"):
        read_scene(str(_gltf_with(exported, tmp_path, edit)))


def test_a_gltf_image_outside_its_folder_is_refused(exported, tmp_path, monkeypatch):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)

    def edit(doc, folder, outside, payload):
        doc["images"] = [{"uri": "../../../../etc/passwd"}]

    with pytest.raises(MicroExprError, match=r"images\[0\].uri.*leads out"):
        read_scene(str(_gltf_with(exported, tmp_path, edit)))


def test_a_gltf_buffer_beside_it_is_read(exported, tmp_path, small_rig):
    pytest.importorskip("pyassimp")
    from microexpr.formats.readers import read_scene

    def edit(doc, folder, outside, payload):
        (folder / "sub").mkdir()
        (folder / "sub" / "face_data.bin").write_bytes(payload)
        doc["buffers"][0]["uri"] = "sub/face_data.bin"

    scene = read_scene(str(_gltf_with(exported, tmp_path, edit)))
    assert [c.name for c in scene.meshes[0].channels] == small_rig.target_names()


@pytest.mark.parametrize("what,words", [
    ("accessor count", "accessors[0].count"),
    ("accessor without a view", "above the limit of"),
    ("buffer length", "buffers[0].byteLength: declares"),
    ("view past its buffer", "lie past the end of buffer 0"),
    ("negative length", "must be a whole number >= 0"),
    ("5000-digit count", "PYTHONINTMAXSTRDIGITS=N"),
])
def test_gltf_sizes_beyond_its_bytes_are_refused_before_assimp(exported, tmp_path, monkeypatch,
                                                              what, words):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)

    def edit(doc, folder, outside, payload):
        acc, view, buf = doc["accessors"][0], doc["bufferViews"][0], doc["buffers"][0]
        if what == "accessor count":
            acc["count"] = 10 ** 9
        elif what == "accessor without a view":
            acc["count"] = 10 ** 9
            del acc["bufferView"]
        elif what == "buffer length":
            buf["byteLength"] = 10 ** 12
        elif what == "view past its buffer":
            view["byteOffset"] = buf["byteLength"]
        elif what == "negative length":
            view["byteLength"] = -5
        else:
            acc["count"] = "DIGITS"

    path = _gltf_with(exported, tmp_path, edit)
    path.write_text(path.read_text().replace('"DIGITS"', "9" * 5000))
    with Peak() as peak, pytest.raises(MicroExprError) as info:
        read_scene(str(path))
    assert words in str(info.value), str(info.value)
    assert peak.bytes < 20 * MB


def test_a_glb_chunk_longer_than_the_file_is_refused(exported, tmp_path, monkeypatch):
    from microexpr.formats.readers import read_scene

    _no_reader(monkeypatch)
    data = bytearray((exported / "face.glb").read_bytes())
    jlen = struct.unpack_from("<I", data, 12)[0]
    data[20 + jlen:24 + jlen] = struct.pack("<I", 2 ** 31)
    path = tmp_path / "face.glb"
    path.write_bytes(bytes(data))
    with pytest.raises(MicroExprError, match="GLB BIN chunk"):
        read_scene(str(path))


def test_good_gltf_files_pass_the_check(exported):
    import glob

    from microexpr.formats.gltf_check import check_gltf

    check_gltf(str(exported / "face.glb"))
    check_gltf(str(exported / "face.gltf"))
    broken = ("SchemaFailures", "IncorrectVertexArrays", "MissingBin")
    for path in glob.glob("/usr/share/assimp/models/glTF2/**/*.gl*", recursive=True):
        if path.endswith((".gltf", ".glb")) and not any(b in path for b in broken):
            check_gltf(path)


# ----------------------------------------------------------------------------- Collada

def test_a_collada_triangle_count_beyond_its_indices_is_refused_before_allocating(tmp_path):
    from microexpr.formats.collada_import import read_collada

    doc = ('<?xml version="1.0"?><COLLADA xmlns="http://www.collada.org/2005/11/COLLADASchema" '
           'version="1.4.1"><library_geometries><geometry id="g"><mesh><source id="p">'
           '<float_array id="pa" count="9">0 0 0 1 0 0 0 1 0</float_array><technique_common>'
           '<accessor source="#pa" count="3" stride="3"/></technique_common></source>'
           '<vertices id="v"><input semantic="POSITION" source="#p"/></vertices>'
           '<triangles count="1000000000000"><input semantic="VERTEX" source="#v" offset="0"/>'
           '<p>0 1 2</p></triangles></mesh></geometry></library_geometries></COLLADA>')
    path = tmp_path / "bomb.dae"
    path.write_text(doc)
    with Peak() as peak, pytest.raises(MicroExprError, match="count=1000000000000 triangles"):
        read_collada(str(path))
    assert peak.bytes < 20 * MB


# ----------------------------------------------------------------------------- the variables

def test_a_nesting_limit_above_what_the_stack_allows_is_refused(monkeypatch):
    from microexpr import limits

    monkeypatch.setenv("MICROEXPR_MAX_NESTING", "100000")
    with pytest.raises(MicroExprError, match="above the most MicroExpr supports"):
        limits.apply_nesting_limit()
