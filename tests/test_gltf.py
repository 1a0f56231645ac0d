"""glTF export (write_gltf) and the assimp importer (read_scene_assimp).

A ~500-vertex, two-mesh scene with sparse shapes and a 2 s, 30 fps clip is written as .glb
and .gltf, then read back by pygltflib (own accessor decoder, sparse included), by pyassimp,
by the Khronos validator and by read_scene_assimp. Bad files must give MicroExprError.
"""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest

from microexpr import atomicio
from microexpr.errors import MicroExprError
from microexpr.formats.assimp_import import _weld, read_scene_assimp, strip_prefix
from microexpr.formats.gltf_export import write_gltf
from microexpr.formats.scene import (
    Scene,
    SceneMesh,
    ShapeChannel,
    ShapeFrame,
    WeightAnimation,
)
from microexpr.mesh import Mesh

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gltf_validator

pygltflib = pytest.importorskip("pygltflib")
FPS, SECONDS = 30.0, 2.0


def grid_mesh(name: str, nx: int, ny: int, x0: float) -> Mesh:
    xs, ys = np.meshgrid(np.linspace(0.0, 10.0, nx), np.linspace(0.0, 8.0, ny))
    pts = np.column_stack([xs.ravel() + x0, ys.ravel(), np.sin(xs.ravel())])
    quads = [(j * nx + i, j * nx + i + 1, (j + 1) * nx + i + 1, (j + 1) * nx + i)
             for j in range(ny - 1) for i in range(nx - 1)]
    uvs = np.column_stack([xs.ravel() / 10.0, 0.1 + 0.8 * ys.ravel() / 8.0])
    return Mesh(name, pts, np.full(len(quads), 4), np.asarray(quads).ravel(), uvs=uvs)


def channel(rng, name: str, n: int, k: int, normals: bool = False, inbetween: bool = False,
            positive: bool = False):
    idx = np.sort(rng.choice(n, k, replace=False))
    d = rng.normal(size=(k, 3)) * 0.4
    if positive:            # min of the (mostly zero) accessor must then be exactly 0
        d = np.abs(d) + 0.01
    nd = rng.normal(size=(k, 3)) * 0.05 if normals else None
    frames = [ShapeFrame(1.0, idx, d, nd)]
    if inbetween:
        frames.insert(0, ShapeFrame(0.5, idx[: k // 2], d[: k // 2] * 0.3))
    return ShapeChannel(name, frames)


def make_scene(seed: int = 7) -> Scene:
    rng = np.random.default_rng(seed)
    face, teeth = grid_mesh("face", 20, 20, 0.0), grid_mesh("teeth", 10, 10, 12.0)
    face_ch = [channel(rng, "smile", 400, 40, inbetween=True),
               channel(rng, "blink", 400, 60, normals=True),
               channel(rng, "jawOpen", 400, 25)]
    teeth_ch = [channel(rng, "jawOpen", 100, 12, positive=True)]
    frames = round(SECONDS * FPS) + 1
    t = np.arange(frames) / FPS
    w = np.column_stack([0.5 + 0.5 * np.sin(t * k) for k in (1.0, 2.0, 3.0)])
    anim = WeightAnimation(FPS, ["smile", "blink", "jawOpen"], w)
    return Scene([SceneMesh(face, face_ch), SceneMesh(teeth, teeth_ch)], anim)


@pytest.fixture(scope="module")
def scene() -> Scene:
    return make_scene()


@pytest.fixture(scope="module")
def written(scene, tmp_path_factory):
    folder = tmp_path_factory.mktemp("gltf")
    out = {}
    for ext in ("glb", "gltf"):
        out[ext] = str(folder / ("face." + ext))
        write_gltf(scene, out[ext])
    return out


# ---------------------------------------------------------------- pygltflib read-back

def load(path: str):
    gltf = pygltflib.GLTF2.load(path)
    uri = gltf.buffers[0].uri
    blob = gltf.binary_blob() if uri is None else gltf.get_data_from_buffer_uri(uri)
    return gltf, blob


def accessor(gltf, blob: bytes, i: int) -> np.ndarray:
    """Decode accessor ``i`` to float64 (count, components), sparse substitution included."""
    a = gltf.accessors[i]
    comps = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4}[a.type]
    dtypes = {5126: "<f4", 5125: "<u4", 5123: "<u2", 5121: "u1"}
    out = np.zeros((a.count, comps))
    if a.bufferView is not None:
        bv = gltf.bufferViews[a.bufferView]
        assert bv.byteStride in (None, 0)
        out = np.frombuffer(blob, dtypes[a.componentType], a.count * comps,
                            bv.byteOffset + (a.byteOffset or 0)).reshape(a.count, comps).astype(float)
    if a.sparse is not None:
        s = a.sparse
        iv, vv = gltf.bufferViews[s.indices.bufferView], gltf.bufferViews[s.values.bufferView]
        idx = np.frombuffer(blob, dtypes[s.indices.componentType], s.count,
                            iv.byteOffset + (s.indices.byteOffset or 0)).astype(np.int64)
        assert np.all(np.diff(idx) > 0), "sparse indices must strictly increase"
        out[idx] = np.frombuffer(blob, "<f4", s.count * comps,
                                 vv.byteOffset + (s.values.byteOffset or 0)).reshape(-1, comps)
    return out


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_pygltflib_reads_meshes_targets_and_units(scene, written, ext):
    gltf, blob = load(written[ext])
    assert gltf.asset.extras["sourceUnit"] == "cm"
    root = gltf.nodes[gltf.scenes[gltf.scene].nodes[0]]
    assert root.name == scene.name and len(root.children) == 2
    for node_i, sm in zip(root.children, scene.meshes):
        node = gltf.nodes[node_i]
        mesh = gltf.meshes[node.mesh]
        assert node.name == sm.mesh.name
        prim = mesh.primitives[0]
        names = [c.name for c in sm.channels]
        assert mesh.extras["targetNames"] == names
        assert mesh.weights == [0.0] * len(names)
        pos = accessor(gltf, blob, prim.attributes.POSITION)
        assert np.allclose(pos * 100.0, sm.mesh.points, atol=1e-5)
        uv = accessor(gltf, blob, prim.attributes.TEXCOORD_0)
        assert np.allclose(uv[:, 1], 1.0 - sm.mesh.uvs[:, 1], atol=1e-6)
        nrm = accessor(gltf, blob, prim.attributes.NORMAL)
        assert np.allclose(np.linalg.norm(nrm, axis=1), 1.0, atol=1e-5)
        tris = accessor(gltf, blob, prim.indices).astype(int).reshape(-1, 3)
        assert np.array_equal(tris, sm.mesh.triangles())
        for acc_i in [prim.attributes.POSITION] + [t["POSITION"] for t in prim.targets]:
            values = accessor(gltf, blob, acc_i)
            a = gltf.accessors[acc_i]
            assert np.allclose(a.min, values.min(axis=0), atol=0) and np.allclose(a.max, values.max(axis=0), atol=0)
        for target, ch in zip(prim.targets, sm.channels):
            a = gltf.accessors[target["POSITION"]]
            assert a.sparse is not None and a.sparse.count == len(ch.full.indices)
            metres = accessor(gltf, blob, target["POSITION"])
            np.testing.assert_allclose(metres * 100.0, ch.full.dense(sm.mesh.vertex_count), atol=1e-5)
            if ch.full.normal_deltas is not None:
                dn = np.zeros((sm.mesh.vertex_count, 3))
                dn[ch.full.indices] = ch.full.normal_deltas
                np.testing.assert_allclose(accessor(gltf, blob, target["NORMAL"]), dn, atol=1e-6)


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_inbetweens_are_recorded_in_extras(scene, written, ext):
    gltf, blob = load(written[ext])
    extra = gltf.meshes[0].extras["microexpr"]["inbetweens"]
    assert len(extra) == 1 and extra[0]["name"] == "smile" and extra[0]["weight"] == 0.5
    frame = scene.meshes[0].channels[0].frames[0]
    np.testing.assert_allclose(accessor(gltf, blob, extra[0]["POSITION"]) * 100.0, frame.dense(400), atol=1e-5)


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_animation_weights_at_sample_times(scene, written, ext):
    gltf, blob = load(written[ext])
    assert len(gltf.animations) == 1
    anim, clip = gltf.animations[0], scene.animation
    assert len(anim.channels) == 2
    for ch in anim.channels:
        node = gltf.nodes[ch.target.node]
        sampler = anim.samplers[ch.sampler]
        assert ch.target.path == "weights" and sampler.interpolation == "LINEAR"
        times = accessor(gltf, blob, sampler.input)[:, 0]
        np.testing.assert_allclose(times, clip.times(), atol=1e-6)
        names = gltf.meshes[node.mesh].extras["targetNames"]
        out = accessor(gltf, blob, sampler.output).reshape(len(times), len(names))
        want = clip.weights[:, [clip.channel_names.index(n) for n in names]]
        np.testing.assert_allclose(out, want, atol=1e-6)


# ---------------------------------------------------------------- other readers

@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_khronos_validator_reports_no_errors(written, ext):
    package = gltf_validator.find_validator()
    if package is None:
        pytest.skip("gltf-validator unavailable (needs node + npm)")
    report = gltf_validator.validate(written[ext], package)
    print("validator warnings:", gltf_validator.format_issues(gltf_validator.warnings(report)))
    print("validator infos:", gltf_validator.format_issues(gltf_validator.infos(report)))
    assert report["issues"]["numErrors"] == 0, gltf_validator.format_issues(gltf_validator.errors(report))
    assert report["info"]["hasMorphTargets"] and report["info"]["animationCount"] == 1


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_pyassimp_reads_target_names_and_deltas(scene, written, ext):
    pyassimp = pytest.importorskip("pyassimp")
    with pyassimp.load(written[ext], processing=0) as ai:
        by_name = {m.name: m for m in ai.meshes}
        for sm in scene.meshes:
            m = by_name[sm.mesh.name]
            assert [am.name for am in m.animmeshes] == [c.name for c in sm.channels]
            base = np.asarray(m.vertices, dtype=float)
            for am, ch in zip(m.animmeshes, sm.channels):
                delta_cm = (np.asarray(am.vertices, dtype=float) - base) * 100.0
                np.testing.assert_allclose(delta_cm, ch.full.dense(sm.mesh.vertex_count), atol=1e-5)


@pytest.mark.parametrize("ext", ["glb", "gltf"])
def test_read_scene_assimp_round_trip(scene, written, ext):
    back = read_scene_assimp(written[ext])
    assert back.unit == "cm" and [sm.mesh.name for sm in back.meshes] == ["face", "teeth"]
    for got, want in zip(back.meshes, scene.meshes):
        assert got.mesh.extras["vertex_order"] == "file"
        np.testing.assert_allclose(got.mesh.points, want.mesh.points, atol=1e-5)
        np.testing.assert_allclose(got.mesh.uvs, want.mesh.uvs, atol=1e-6)
        assert [c.name for c in got.channels] == [c.name for c in want.channels]
        for g, w in zip(got.channels, want.channels):
            assert np.array_equal(g.full.indices, np.sort(w.full.indices))
            np.testing.assert_allclose(g.full.dense(got.mesh.vertex_count),
                                       w.full.dense(want.mesh.vertex_count), atol=1e-5)
            assert (g.full.normal_deltas is None) == (w.full.normal_deltas is None)
    clip = back.animation
    assert clip is not None and clip.fps == FPS and clip.channel_names == scene.animation.channel_names
    np.testing.assert_allclose(clip.weights, scene.animation.weights, atol=1e-6)


def test_fbx_from_write_fbx_is_rewelded(scene, tmp_path):
    try:
        from microexpr.formats.fbx_export import write_fbx
    except ImportError:
        pytest.skip("fbx_export not available")
    path = str(tmp_path / "face.fbx")
    write_fbx(scene, path)
    back = read_scene_assimp(path)
    for got, want in zip(back.meshes, scene.meshes):
        assert got.mesh.vertex_count == want.mesh.vertex_count
        assert got.mesh.extras["vertex_order"].startswith("welded")
        # match welded vertices to the originals by position: one-to-one, same deltas
        dist = np.linalg.norm(got.mesh.points[:, None, :] - want.mesh.points[None, :, :], axis=2)
        match = dist.argmin(axis=1)
        assert dist.min(axis=1).max() < 1e-5 and len(set(match.tolist())) == len(match)
        for g, w in zip(got.channels, want.channels):
            assert g.name == w.name and len(g.frames) == len(w.frames)
            for gf, wf in zip(g.frames, w.frames):
                np.testing.assert_allclose(gf.dense(len(match)), wf.dense(len(match))[match], atol=1e-5)
    assert back.meshes[0].mesh.extras["inbetween_weights_guessed"] == ["smile"]
    clip = back.animation
    assert clip is not None and clip.channel_names == scene.animation.channel_names
    np.testing.assert_allclose(clip.weights, scene.animation.weights, atol=1e-6)


def test_weld_merges_per_corner_vertices_in_first_use_order():
    pts = np.array([[0, 0, 0], [1, 0, 0], [1, 1, 0], [0, 0, 0], [1, 1, 0], [0, 1, 0], [5, 5, 5.0]])
    delta = np.zeros_like(pts)
    delta[[1, 6]] = 1.0
    flat = np.array([0, 1, 2, 3, 4, 5])
    keep, remap = _weld(pts, [delta], flat)
    assert keep.tolist() == [0, 1, 2, 5, 6]
    assert remap[flat].tolist() == [0, 1, 2, 0, 2, 3]
    delta[3] = 0.5          # same position, different delta: must stay apart
    keep, _ = _weld(pts, [delta], flat)
    assert len(keep) == 6


def test_strip_prefix():
    assert strip_prefix("blendShape1.smile") == "smile"
    assert strip_prefix("Geometry::face_blendShapes.jawOpen") == "jawOpen"
    assert strip_prefix("char:Morpher.browUp_L") == "browUp_L"
    assert strip_prefix("mouth.L") == "mouth.L"
    assert strip_prefix("blendShape1.") == "blendShape1."


def test_prefixed_names_that_collide_are_reported(tmp_path):
    s = make_scene()
    s.meshes[0].channels[0].name = "blendShape1.blink"
    s.animation = None
    path = str(tmp_path / "dup.glb")
    write_gltf(s, path)
    with pytest.raises(MicroExprError, match="both become 'blink'"):
        read_scene_assimp(path)


def test_empty_target_name_is_reported(written, tmp_path):
    doc = json.loads(Path(written["gltf"]).read_text(encoding="utf-8"))
    doc["meshes"][0]["extras"]["targetNames"][1] = "  "
    path = tmp_path / "empty_name.gltf"
    path.write_text(json.dumps(doc))
    with pytest.raises(MicroExprError, match="empty name"):
        read_scene_assimp(str(path))


# ---------------------------------------------------------------- bad input

def collada_with_morph(path: str, sm: SceneMesh) -> None:
    """A minimal COLLADA 1.4.1 file: base geometry, absolute target geometries, one morph."""
    def floats(a) -> str:
        return " ".join("%.9g" % v for v in np.asarray(a).ravel())

    def geometry(gid: str, name: str, pts) -> str:
        m, n = sm.mesh, len(pts)
        return ('<geometry id="%s" name="%s"><mesh><source id="%s-p"><float_array id="%s-a" count="%d">'
                '%s</float_array><technique_common><accessor source="#%s-a" count="%d" stride="3">'
                '<param name="X" type="float"/><param name="Y" type="float"/><param name="Z" type="float"/>'
                '</accessor></technique_common></source><vertices id="%s-v"><input semantic="POSITION" '
                'source="#%s-p"/></vertices><polylist count="%d"><input semantic="VERTEX" source="#%s-v" '
                'offset="0"/><vcount>%s</vcount><p>%s</p></polylist></mesh></geometry>'
                % (gid, name, gid, gid, 3 * n, floats(pts), gid, n, gid, gid, len(m.face_counts), gid,
                   floats(m.face_counts), floats(m.face_indices)))
    m = sm.mesh
    ids = ["t%d" % k for k in range(len(sm.channels))]
    geos = [geometry("base", m.name, m.points)] + [
        geometry(i, "blendShape1." + c.name, m.points + c.full.dense(m.vertex_count))
        for i, c in zip(ids, sm.channels)]
    doc = ('<?xml version="1.0" encoding="utf-8"?><COLLADA xmlns="http://www.collada.org/2005/11/'
           'COLLADASchema" version="1.4.1"><asset><unit name="centimeter" meter="0.01"/><up_axis>Y_UP'
           '</up_axis></asset><library_geometries>%s</library_geometries><library_controllers>'
           '<controller id="morph" name="blendShape1"><morph source="#base" method="NORMALIZED">'
           '<source id="mt"><IDREF_array id="mt-a" count="%d">%s</IDREF_array><technique_common>'
           '<accessor source="#mt-a" count="%d" stride="1"><param name="IDREF" type="IDREF"/></accessor>'
           '</technique_common></source><source id="mw"><float_array id="mw-a" count="%d">%s'
           '</float_array><technique_common><accessor source="#mw-a" count="%d" stride="1">'
           '<param name="MORPH_WEIGHT" type="float"/></accessor></technique_common></source><targets>'
           '<input semantic="MORPH_TARGET" source="#mt"/><input semantic="MORPH_WEIGHT" source="#mw"/>'
           '</targets></morph></controller></library_controllers><library_visual_scenes>'
           '<visual_scene id="vs"><node id="n0" name="%s"><instance_controller url="#morph"/></node>'
           '</visual_scene></library_visual_scenes><scene><instance_visual_scene url="#vs"/></scene>'
           '</COLLADA>' % ("".join(geos), len(ids), " ".join(ids), len(ids), len(ids),
                            " ".join("0" for _ in ids), len(ids), m.name))
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)


def test_collada_morph_reads_or_names_the_assimp_limitation(scene, tmp_path):
    path = str(tmp_path / "face.dae")
    collada_with_morph(path, scene.meshes[0])
    try:
        back = read_scene_assimp(path)
    except MicroExprError as err:       # assimp 5.2 cannot read COLLADA morph controllers
        assert "collada morph" in str(err).lower() and "glTF" in str(err), str(err)
        return
    got, want = back.meshes[0], scene.meshes[0]
    assert [c.name for c in got.channels] == [c.name for c in want.channels]
    assert got.mesh.vertex_count == want.mesh.vertex_count


def _bad_files(folder, glb: bytes):
    rng = np.random.default_rng(3)
    files = {"empty.glb": b"", "truncated.glb": glb[: len(glb) // 2], "header_only.glb": glb[:12],
             "random.glb": rng.bytes(4096), "random.fbx": rng.bytes(4096),
             "random.dae": b"<COLLADA>" + rng.bytes(500), "random.gltf": b"{" + rng.bytes(500),
             "glb_named.fbx": glb, "glb_named.dae": glb, "face.obj": glb, "noext": glb,
             "json_not_gltf.gltf": b'{"asset": {"version": "2.0"}, "meshes": [{"primitives": []}]}',
             "binary_truncated.fbx": b"Kaydara FBX Binary  \x00\x1a\x00" + rng.bytes(64)}
    out = []
    for name, data in files.items():
        p = folder / name
        p.write_bytes(data)
        out.append(str(p))
    return out


def test_bad_files_raise_microexpr_error(written, tmp_path):
    glb = Path(written["glb"]).read_bytes()
    for path in _bad_files(tmp_path, glb) + [str(tmp_path / "missing.glb")]:
        with pytest.raises(MicroExprError) as info:
            read_scene_assimp(path, timeout=30.0)
        assert info.value.file, path


def test_fuzzed_glb_never_crashes_the_caller(written, tmp_path_factory):
    hyp = pytest.importorskip("hypothesis")
    st = hyp.strategies
    glb = Path(written["glb"]).read_bytes()
    folder = tmp_path_factory.mktemp("fuzz")
    counter = [0]

    @hyp.settings(max_examples=30, deadline=None, derandomize=True,
                  suppress_health_check=list(hyp.HealthCheck))
    @hyp.given(edits=st.lists(st.tuples(st.integers(0, len(glb) - 1), st.integers(0, 255)),
                              min_size=1, max_size=40),
               cut=st.one_of(st.none(), st.integers(1, len(glb))))
    def check(edits, cut):
        data = bytearray(glb)
        for pos, value in edits:
            data[pos] = value
        if cut is not None:
            data = data[:cut]
        counter[0] += 1
        path = folder / ("f%d.glb" % counter[0])
        path.write_bytes(bytes(data))
        try:
            back = read_scene_assimp(str(path), timeout=30.0)
        except MicroExprError:
            return
        assert isinstance(back, Scene) and back.meshes

    check()


def test_failed_write_leaves_previous_file_intact(scene, tmp_path, monkeypatch):
    path = tmp_path / "face.glb"
    write_gltf(scene, str(path))
    before = path.read_bytes()
    bad = make_scene()
    bad.meshes[0].channels[1].frames[-1].deltas[0, 0] = np.nan
    with pytest.raises(MicroExprError, match="NaN"):
        write_gltf(bad, str(path))

    def broken_fsync(fd):
        raise OSError("disk full")
    other = make_scene(seed=99)
    monkeypatch.setattr(atomicio.os, "fsync", broken_fsync)
    with pytest.raises(OSError, match="disk full"):
        write_gltf(other, str(path))
    monkeypatch.undo()
    assert path.read_bytes() == before
    assert sorted(os.listdir(tmp_path)) == ["face.glb"]     # no temporary left behind
    write_gltf(other, str(path))
    assert path.read_bytes() != before


def test_bad_scenes_are_refused(tmp_path):
    def broken(edit):
        s = make_scene()
        edit(s)
        return s
    cases = {
        "appears twice": broken(lambda s: setattr(s.meshes[0].channels[1], "name", "smile")),
        "empty name": broken(lambda s: setattr(s.meshes[0].channels[1], "name", "")),
        "out of range": broken(lambda s: s.meshes[0].channels[2].frames[-1].indices.__setitem__(0, 400)),
        "unknown unit": broken(lambda s: setattr(s, "unit", "furlong")),
        "weights must be": broken(lambda s: setattr(s.animation, "weights", np.zeros((5, 2)))),
        "no meshes": Scene([]),
    }
    for message, s in cases.items():
        with pytest.raises(MicroExprError, match=message):
            write_gltf(s, str(tmp_path / "x.glb"))
    with pytest.raises(MicroExprError, match="extension"):
        write_gltf(make_scene(), str(tmp_path / "x.fbx"))
    assert not (tmp_path / "x.glb").exists()


def test_dense_and_empty_targets_validate(tmp_path):
    s = make_scene()
    n = s.meshes[1].mesh.vertex_count
    s.meshes[1].channels.append(ShapeChannel("puff", [ShapeFrame(1.0, np.arange(n), np.full((n, 3), 0.2))]))
    s.meshes[1].channels.append(ShapeChannel("none", [ShapeFrame(1.0, np.zeros(0, int), np.zeros((0, 3)))]))
    path = str(tmp_path / "dense.glb")
    write_gltf(s, path)
    gltf, blob = load(path)
    targets = gltf.meshes[1].primitives[0].targets
    assert gltf.accessors[targets[1]["POSITION"]].sparse is None
    np.testing.assert_allclose(accessor(gltf, blob, targets[1]["POSITION"]) * 100.0, 0.2, atol=1e-6)
    assert not np.any(accessor(gltf, blob, targets[2]["POSITION"]))
    back = read_scene_assimp(path)
    assert [c.name for c in back.meshes[1].channels] == ["jawOpen", "puff", "none"]
    assert len(back.meshes[1].channels[2].full.indices) == 0
    package = gltf_validator.find_validator()
    if package is not None:
        report = gltf_validator.validate(path, package)
        assert report["issues"]["numErrors"] == 0, gltf_validator.format_issues(gltf_validator.errors(report))


def test_z_up_millimetre_scene_is_turned_y_up_in_metres(tmp_path):
    s = make_scene()
    s.unit, s.up_axis, s.animation = "mm", "Z", None
    path = str(tmp_path / "zup.glb")
    write_gltf(s, path)
    gltf, blob = load(path)
    assert gltf.asset.extras["sourceUnit"] == "mm" and gltf.asset.extras["sourceUpAxis"] == "Z"
    x, y, z = s.meshes[0].mesh.points.T * 0.001
    pos = accessor(gltf, blob, gltf.meshes[0].primitives[0].attributes.POSITION)
    np.testing.assert_allclose(pos, np.column_stack([x, z, -y]), atol=1e-7)
    back = read_scene_assimp(path)      # comes back in cm, Y-up
    np.testing.assert_allclose(back.meshes[0].mesh.points, np.column_stack([x, z, -y]) * 100, atol=1e-5)
