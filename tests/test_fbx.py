"""FBX bridge: the binary writer, ufbx/assimp read-back, the ufbx importer, and robustness."""
from __future__ import annotations

import glob
import os
import struct

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr.errors import MicroExprError
from microexpr.formats import fbx_binary as fb
from microexpr.formats import fbx_export
from microexpr.formats.fbx_export import TICKS_PER_SECOND, time_mode, write_fbx
from microexpr.formats.fbx_import import read_fbx_ufbx, strip_dcc_prefix
from microexpr.formats.safe_read import run_isolated
from microexpr.formats.scene import Scene, SceneMesh, ShapeChannel, ShapeFrame, WeightAnimation
from microexpr.mesh import Mesh

VERSIONS = (7400, 7500)
AUTODESK = sorted(glob.glob("/usr/share/assimp/models/FBX/*.fbx")
                  + glob.glob("/usr/share/assimp/models/FBX/*.FBX"))


def grid(name: str, n: int, z: float = 0.0, uvs: bool = True) -> Mesh:
    xs, ys = np.meshgrid(np.linspace(-5, 5, n), np.linspace(-5, 5, n))
    pts = np.c_[xs.ravel(), ys.ravel(), np.cos(xs.ravel() * 0.4) + z]
    j, i = np.meshgrid(np.arange(n - 1), np.arange(n - 1), indexing="ij")
    a = (j * n + i).ravel()
    quads = np.c_[a, a + 1, a + n + 1, a + n]
    return Mesh(name, pts, np.full(len(quads), 4), quads.ravel(),
                uvs=(pts[:, :2] + 5) / 10 if uvs else None)


def make_scene(unit: str = "cm", up: str = "Y") -> Scene:
    rng = np.random.default_rng(7)
    face, teeth = grid("face", 23), grid("teeth", 8, z=2.0, uvs=False)

    def frame(mesh, weight, count, normals=False):
        idx = np.sort(rng.choice(mesh.vertex_count, count, replace=False))
        nd = rng.normal(size=(count, 3)) * 0.05 if normals else None
        return ShapeFrame(weight, idx, rng.normal(size=(count, 3)), nd)

    face_channels = [
        ShapeChannel("smile", [frame(face, 0.5, 40), frame(face, 1.0, 60)]),
        ShapeChannel("blink", [frame(face, 1.0, 30, normals=True)]),
        ShapeChannel("jawOpen", [frame(face, 1.0, 80)]),
    ]
    teeth_channels = [ShapeChannel("jawOpen", [frame(teeth, 1.0, 12)])]
    t = np.arange(60) / 30.0
    weights = np.c_[0.5 + 0.5 * np.sin(3 * t), np.clip(t - 0.8, 0, 1), (7 * t) % 1.0]
    weights[10:14, 0] = 0.0
    weights[40:44, 2] = 1.0
    anim = WeightAnimation(30.0, ["smile", "blink", "jawOpen"], weights)
    return Scene([SceneMesh(face, face_channels), SceneMesh(teeth, teeth_channels)], anim,
                 unit=unit, up_axis=up)


@pytest.fixture(scope="module")
def scene() -> Scene:
    return make_scene()


@pytest.fixture(scope="module")
def files(scene, tmp_path_factory):
    folder = tmp_path_factory.mktemp("fbx")
    out = {}
    for version in VERSIONS:
        out[version] = str(folder / ("face%d.fbx" % version))
        write_fbx(scene, out[version], version)
    return out


# ----------------------------------------------------------------------------- probes
# Run in a child process (run_isolated) so a native crash fails a test instead of pytest.


_KEEP: list = []    # ufbx wrappers must outlive the probe (the child exits with os._exit)


def ufbx_probe(path: str) -> dict:
    import gc

    import ufbx
    gc.disable()
    keep = _KEEP
    s = ufbx.load_file(path)
    keep.append(s)
    out = {"unit_meters": s.settings.unit_meters, "fps": s.settings.frames_per_second,
           "axes": tuple(int(a) for a in s.settings.axes), "meshes": {}, "curves": {}}
    meshes = list(s.meshes)
    keep.append(meshes)
    for m in meshes:
        deformers = list(m.blend_deformers)
        keep.append(deformers)
        chans = {}
        for d in deformers:
            cs = list(d.channels)
            keep.append(cs)
            for c in cs:
                kfs = list(c.keyframes)
                shapes = [kf.shape for kf in kfs]
                keep += [kfs, shapes]
                chans[c.name] = [(kf.target_weight, sh.name,
                                  np.array(sh.offset_vertices, dtype=np.int64),
                                  np.array(list(sh.position_offsets)),
                                  np.array(list(sh.normal_offsets))) for kf, sh in zip(kfs, shapes)]
        out["meshes"][m.name] = {"vertices": np.array(list(m.vertices)), "channels": chans}
    stacks = list(s.anim_stacks)
    keep.append(stacks)
    anim = stacks[0].anim
    layers = list(stacks[0].layers)
    keep += [anim, layers]
    props = list(layers[0].anim_props)
    keep.append(props)
    times = np.arange(60) / 30.0
    mids = times[:-1] + 1 / 60.0
    for ap in props:
        value, element = ap.anim_value, ap.element
        keep += [value, element]
        key = (element.name, ap.prop_name, element.element_id)
        out["curves"][key] = ([value.evaluate_real(float(t)) for t in times],
                              [value.evaluate_real(float(t)) for t in mids])
    channels = list(s.blend_channels)
    keep.append(channels)
    out["blend"] = {(c.name, c.element_id): [c.evaluate_blend_weight(anim, float(t)) * 100.0
                                             for t in times] for c in channels}
    return out


def assimp_probe(path: str) -> dict:
    import pyassimp
    out = {"meshes": []}
    with pyassimp.load(path, processing=0) as a:
        for m in a.meshes:
            base = np.array(m.vertices, dtype=np.float64)
            out["meshes"].append({"name": m.name, "vertices": base,
                                  "anim": [(am.name, np.array(am.vertices) - base)
                                           for am in m.animmeshes]})
        out["morph"] = {}
        for an in a.animations:
            c = an.contents
            for i in range(c.mNumMorphMeshChannels):
                ch = c.mMorphMeshChannels[i].contents
                keys = []
                for k in range(ch.mNumKeys):
                    key = ch.mKeys[k]
                    keys.append((key.mTime, {key.mValues[j]: key.mWeights[j]
                                             for j in range(key.mNumValuesAndWeights)}))
                out["morph"][ch.mName.data.decode()] = keys
    return out


def crash(path: str) -> None:
    import ctypes
    ctypes.string_at(0)


def hang(path: str) -> None:
    import time
    time.sleep(60)


def refuse(path: str) -> None:
    raise MicroExprError("nope", file=path, field="X", fix="do Y")


# ----------------------------------------------------------------------------- container


@pytest.mark.parametrize("version", VERSIONS)
def test_header_footer_and_layout(files, version):
    data = open(files[version], "rb").read()
    assert data[:23] == b"Kaydara FBX Binary  \x00\x1a\x00"
    assert struct.unpack_from("<I", data, 23)[0] == version
    assert data[-16:] == fb.FOOTER_MAGIC and data[-136:-16] == bytes(120)
    assert struct.unpack_from("<I", data, len(data) - 140)[0] == version
    nodes = fb.read_nodes(data)
    assert [n.name for n in nodes] == [
        "FBXHeaderExtension", "FileId", "CreationTime", "Creator", "GlobalSettings",
        "Documents", "References", "Definitions", "Objects", "Connections", "Takes"]
    assert fb.write_nodes(nodes, version) == data           # the reader loses nothing
    top = {n.name: n for n in nodes}
    props = {p.props[0]: p.props[4:] for p in top["GlobalSettings"].find("Properties70").children}
    assert props["UpAxis"] == [1] and props["FrontAxis"] == [2] and props["CoordAxis"] == [0]
    assert props["UnitScaleFactor"] == [1.0] and props["CustomFrameRate"] == [30.0]
    assert props["TimeMode"] == [6] and props["TimeSpanStop"] == [round(59 / 30 * TICKS_PER_SECOND)]
    objects = top["Objects"].children
    for t in top["Definitions"].find_all("ObjectType")[1:]:
        assert t.find("Count").props[0] == sum(o.name == t.props[0] for o in objects)
    kinds = [(o.name, o.props[2]) for o in objects]
    assert kinds.count(("Geometry", "Shape")) == 5 and kinds.count(("Deformer", "BlendShape")) == 2
    curve = next(o for o in objects if o.name == "AnimationCurve")
    assert list(curve.find("KeyTime").props[0]) == [round(i / 30 * TICKS_PER_SECOND)
                                                    for i in range(60)]
    assert list(curve.find("KeyAttrFlags").props[0]) == [4]          # linear


def test_arrays_compress_above_threshold(files):
    nodes = fb.read_nodes(open(files[7400], "rb").read())
    raw = fb.write_nodes(nodes, 7400, compress_threshold=1 << 40)
    packed = fb.write_nodes(nodes, 7400)
    assert len(packed) < len(raw)
    assert fb.dump(fb.read_nodes(raw)) == fb.dump(fb.read_nodes(packed))
    assert fb.write_nodes(nodes, 7500) != packed and fb.read_nodes(fb.write_nodes(nodes, 7500))


@pytest.mark.parametrize("path", AUTODESK)
def test_reader_parses_or_rejects_autodesk_files(path):
    data = open(path, "rb").read()
    try:
        nodes = fb.read_nodes(data, path)
    except MicroExprError:
        assert not data.startswith(fb.MAGIC)                 # only ASCII files are refused
        return
    again = fb.read_nodes(fb.write_nodes(nodes, fb.read_version(data)))
    assert fb.dump(again) == fb.dump(nodes)


def test_output_is_deterministic(scene):
    assert fbx_export.fbx_bytes(scene) == fbx_export.fbx_bytes(scene)


# ----------------------------------------------------------------------------- readers


@pytest.mark.parametrize("version", VERSIONS)
def test_ufbx_reads_shapes_weights_units(scene, files, version):
    got = run_isolated(__name__, "ufbx_probe", files[version], timeout=60)
    assert got["unit_meters"] == pytest.approx(0.01) and got["fps"] == 30.0
    assert got["axes"] == (0, 2, 4)                          # +X right, +Y up, +Z front
    for sm in scene.meshes:
        m = got["meshes"][sm.mesh.name]
        assert np.allclose(m["vertices"], sm.mesh.points, atol=1e-9)
        assert list(m["channels"]) == [c.name for c in sm.channels]
        for ch in sm.channels:
            keys = m["channels"][ch.name]
            assert [k[0] for k in keys] == pytest.approx([f.weight for f in ch.frames])
            for (_, _, idx, pos, nrm), fr in zip(keys, ch.frames):
                assert np.array_equal(idx, fr.indices)
                assert np.abs(pos - fr.deltas).max() < 1e-5
                want = fr.normal_deltas if fr.normal_deltas is not None else 0.0
                assert np.abs(nrm - want).max() < 1e-5
    w = scene.animation.weights * 100.0
    names = scene.animation.channel_names
    assert len(got["curves"]) == 4                           # jawOpen animates both meshes
    for (name, prop, _), (at_frames, at_mids) in got["curves"].items():
        col = w[:, names.index(name)]
        assert prop == "DeformPercent" and np.abs(np.array(at_frames) - col).max() < 1e-4
        lo, hi = np.minimum(col[:-1], col[1:]), np.maximum(col[:-1], col[1:])
        assert np.all(np.array(at_mids) >= lo - 1e-4) and np.all(np.array(at_mids) <= hi + 1e-4)
    for (name, _), values in got["blend"].items():
        assert np.abs(np.array(values) - w[:, names.index(name)]).max() < 1e-4


@pytest.mark.parametrize("version", VERSIONS)
def test_assimp_reads_meshes_morphs_and_morph_animation(scene, files, version):
    pytest.importorskip("pyassimp")
    got = run_isolated(__name__, "assimp_probe", files[version], timeout=60)
    assert [m["name"] for m in got["meshes"]] == ["face", "teeth"]
    for sm, m in zip(scene.meshes, got["meshes"]):
        corners = sm.mesh.face_indices                       # assimp unwelds per corner
        assert np.abs(m["vertices"] - sm.mesh.points[corners]).max() < 1e-5
        shapes = [(ch.name, fr) for ch in sm.channels for fr in ch.frames]
        assert [a[0] for a in m["anim"]] == [name for name, _ in shapes]
        for (_, delta), (_, fr) in zip(m["anim"], shapes):
            assert np.abs(delta - fr.dense(sm.mesh.vertex_count)[corners]).max() < 1e-5
    keys = got["morph"]["face*0"]
    assert len(keys) == 60
    w = scene.animation.weights
    for frame, (time, weights) in enumerate(keys):
        assert time == pytest.approx(frame)
        assert weights[0] == pytest.approx(w[frame, 0], abs=1e-5)     # channel index 0: smile
        assert weights[2] == pytest.approx(w[frame, 2], abs=1e-5)     # 2: jawOpen


@pytest.mark.parametrize("version", VERSIONS)
def test_round_trip_through_read_fbx_ufbx(scene, files, version):
    back = read_fbx_ufbx(files[version])
    assert back.unit == "cm" and back.up_axis == "Y"
    assert [m.mesh.name for m in back.meshes] == [m.mesh.name for m in scene.meshes]
    for a, b in zip(scene.meshes, back.meshes):
        assert np.array_equal(a.mesh.face_indices, b.mesh.face_indices)
        assert np.array_equal(a.mesh.face_counts, b.mesh.face_counts)
        assert np.abs(a.mesh.points - b.mesh.points).max() < 1e-5
        assert (b.mesh.uvs is None) == (a.mesh.uvs is None)
        if a.mesh.uvs is not None:
            assert np.abs(a.mesh.uvs - b.mesh.uvs).max() < 1e-9
        assert np.abs(a.mesh.vertex_normals() - b.mesh.normals).max() < 1e-6
        assert [c.name for c in b.channels] == [c.name for c in a.channels]
        for ca, cb in zip(a.channels, b.channels):
            assert [f.weight for f in cb.frames] == pytest.approx([f.weight for f in ca.frames])
            for fa, fbk in zip(ca.frames, cb.frames):
                assert np.array_equal(fa.indices, fbk.indices)
                assert np.abs(fa.deltas - fbk.deltas).max() < 1e-5
                assert (fbk.normal_deltas is None) == (fa.normal_deltas is None)
    anim = back.animation
    assert anim.channel_names == scene.animation.channel_names and anim.fps == 30.0
    assert np.abs(anim.weights - scene.animation.weights).max() < 1e-6


def test_scene_without_animation_or_channels(tmp_path):
    src = make_scene()
    src.animation, src.meshes[1].channels = None, []
    path = tmp_path / "still.fbx"
    write_fbx(src, path, 7500)
    back = read_fbx_ufbx(path)
    assert back.animation is None and [len(m.channels) for m in back.meshes] == [3, 0]


@pytest.mark.parametrize("unit,factor", [("mm", 0.1), ("m", 100.0)])
def test_units_are_declared_and_converted_to_cm(tmp_path, unit, factor):
    path = str(tmp_path / "u.fbx")
    src = make_scene(unit=unit)
    write_fbx(src, path)
    gs = {n.name: n for n in fb.read_nodes(open(path, "rb").read())}["GlobalSettings"]
    props = {p.props[0]: p.props[4:] for p in gs.find("Properties70").children}
    assert props["UnitScaleFactor"] == [factor] == props["OriginalUnitScaleFactor"]
    back = read_fbx_ufbx(path)
    assert np.allclose(back.meshes[0].mesh.points, src.meshes[0].mesh.points * factor)
    d0, d1 = src.meshes[0].channels[2].full.deltas, back.meshes[0].channels[2].full.deltas
    assert np.allclose(d1, d0 * factor)


def test_z_up_scene_comes_back_y_up(tmp_path):
    path = str(tmp_path / "z.fbx")
    src = make_scene(up="Z")
    write_fbx(src, path)
    p = src.meshes[0].mesh.points
    back = read_fbx_ufbx(path).meshes[0].mesh.points
    assert np.allclose(back, np.c_[p[:, 0], p[:, 2], -p[:, 1]])


def test_strip_dcc_prefix():
    assert strip_dcc_prefix("blendShape1.smile") == "smile"
    assert strip_dcc_prefix("face_blendShapes.jawOpen") == "jawOpen"
    assert strip_dcc_prefix("ns:blendShape1.smile") == "smile"
    assert strip_dcc_prefix("SubDeformer::smile") == "smile"
    assert strip_dcc_prefix("rig.smile", deformer="rig") == "smile"
    assert strip_dcc_prefix("eyeBlink.L") == "eyeBlink.L"
    assert strip_dcc_prefix("smile") == "smile"


def _with_channel_names(tmp_path, names) -> str:
    nodes = fbx_export.build_nodes(make_scene())
    objects = next(n for n in nodes if n.name == "Objects")
    chans = [o for o in objects.children if o.props[2] == "BlendShapeChannel"][:len(names)]
    for node, name in zip(chans, names):
        node.props[1] = name + "\x00\x01SubDeformer"
    path = tmp_path / "named.fbx"
    path.write_bytes(fb.write_nodes(nodes))
    return str(path)


def test_reader_strips_prefixes_and_rejects_duplicate_or_empty_names(tmp_path):
    back = read_fbx_ufbx(_with_channel_names(tmp_path, ["blendShape1.smile", "ns:blink"]))
    assert [c.name for c in back.meshes[0].channels] == ["smile", "blink", "jawOpen"]
    assert back.animation.channel_names == ["smile", "blink", "jawOpen"]
    for names in (["blendShape1.smile", "smile"], ["", "blink"]):
        with pytest.raises(MicroExprError, match=r"twice|no name"):
            read_fbx_ufbx(_with_channel_names(tmp_path, names))


def test_time_modes():
    assert [time_mode(f) for f in (24, 25, 30, 60, 29.97, 120, 17.5)] == [11, 10, 6, 3, 9, 1, 14]


# ----------------------------------------------------------------------------- bad input


def test_writer_rejects_bad_scenes(tmp_path):
    path = str(tmp_path / "bad.fbx")
    cases = []
    s = make_scene()
    s.meshes[0].channels[1].name = "smile"
    cases.append(s)
    s = make_scene()
    s.meshes[0].channels[0].frames[1].indices[0] = 10 ** 6
    cases.append(s)
    s = make_scene()
    s.meshes[0].channels[0].frames.reverse()
    cases.append(s)
    s = make_scene(unit="inch")
    cases.append(s)
    s = make_scene()
    s.animation.channel_names[1] = "nothere"
    cases.append(s)
    s = make_scene()
    s.animation.weights[3, 1] = np.nan
    cases.append(s)
    for bad in cases:
        with pytest.raises(MicroExprError):
            write_fbx(bad, path)
    assert not os.path.exists(path)
    with pytest.raises(MicroExprError):
        write_fbx(make_scene(), path, version=7300)


def test_failed_write_leaves_previous_file(tmp_path, monkeypatch):
    path = tmp_path / "keep.fbx"
    write_fbx(make_scene(), path)
    before = path.read_bytes()
    s = make_scene()
    s.meshes[0].channels[0].frames[1].deltas += 1.0

    def broken_fsync(fd):
        raise OSError("disk full")

    from microexpr import atomicio
    monkeypatch.setattr(atomicio.os, "fsync", broken_fsync)
    with pytest.raises(OSError):
        write_fbx(s, path)
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert os.listdir(tmp_path) == ["keep.fbx"]


def test_reader_rejects_bad_files(tmp_path, files):
    good = open(files[7400], "rb").read()
    cases = {"empty.fbx": b"", "half.fbx": good[: len(good) // 2], "header.fbx": good[:30],
             "random.fbx": np.random.default_rng(1).bytes(5000),
             "mesh.fbx": b"v 0 0 0\nv 1 0 0\nv 0 1 0\nf 1 2 3\n", "face.obj": good,
             "folder.fbx": None}
    for name, data in cases.items():
        path = tmp_path / name
        if data is None:
            path.mkdir()
        else:
            path.write_bytes(data)
        with pytest.raises(MicroExprError) as err:
            read_fbx_ufbx(path)
        assert name in str(err.value)
    with pytest.raises(MicroExprError):
        read_fbx_ufbx(tmp_path / "missing.fbx")
    for data in (b"", good[:26], good[: len(good) // 2], good[:-200] + bytes(13), b"x" * 100):
        with pytest.raises(MicroExprError):
            fb.read_nodes(data)


def test_run_isolated_turns_crashes_hangs_and_errors_into_errors(tmp_path):
    path = str(tmp_path / "x.fbx")
    with pytest.raises(MicroExprError, match="crashed") as err:
        run_isolated(__name__, "crash", path)
    assert path in str(err.value)
    with pytest.raises(MicroExprError, match="did not finish"):
        run_isolated(__name__, "hang", path, timeout=2.0)
    with pytest.raises(MicroExprError) as err:
        run_isolated(__name__, "refuse", path)
    assert (err.value.problem, err.value.field, err.value.fix) == ("nope", "X", "do Y")
    assert run_isolated("os.path", "basename", path) == "x.fbx"


def _mutate(data: bytes, edits, cut) -> bytes:
    out = bytearray(data)
    for pos, value in edits:
        out[pos % len(out)] = value
    return bytes(out[: max(0, len(out) - cut)])


_EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8)


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=_EDITS, cut=st.sampled_from([0, 0, 0, 1, 100, 5000]))
def test_fuzz_read_fbx_ufbx(files, tmp_path_factory, edits, cut):
    path = tmp_path_factory.mktemp("fuzz") / "m.fbx"
    path.write_bytes(_mutate(open(files[7400], "rb").read(), edits, cut))
    try:
        result = read_fbx_ufbx(path, timeout=30)
    except MicroExprError:
        return
    assert isinstance(result, Scene)


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=_EDITS, cut=st.integers(0, 3000), version=st.sampled_from(VERSIONS))
def test_fuzz_read_nodes(files, edits, cut, version):
    data = _mutate(open(files[version], "rb").read(), edits, cut)
    try:
        fb.read_nodes(data)
    except MicroExprError:
        pass
