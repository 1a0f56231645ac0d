"""The COLLADA reader (read_collada) and ``rig import --from face.dae``.

A writer here emits .dae files from a Mesh and named target offsets (cm, Y up), in any unit,
up axis, morph method and polygon element; read_collada must give back the same points,
polygons (file vertex order), names and offsets. Bad files must give MicroExprError / exit 2.
"""
from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from microexpr import bridge
from microexpr.cli.main import main
from microexpr.errors import MicroExprError
from microexpr.formats.collada_import import AXES, read_collada
from microexpr.formats.readers import read_scene
from microexpr.landmarks import write_landmark_vertices
from microexpr.mesh import Mesh
from microexpr.rig.face import default_face

NS = {"1.4.1": "http://www.collada.org/2005/11/COLLADASchema",
      "1.5.0": "http://www.collada.org/2008/03/COLLADASchema"}


def _nums(a) -> str:
    return " ".join(repr(float(v)) if isinstance(v, float) else str(v)
                    for v in np.asarray(a).ravel().tolist())


def _source(sid: str, values, width: int) -> str:
    values = np.asarray(values, dtype=np.float64).reshape(-1, width)
    params = "".join('<param name="%s" type="float"/>' % c for c in "XYZST"[:width])
    return ('<source id="%s"><float_array id="%s-a" count="%d">%s</float_array><technique_common>'
            '<accessor source="#%s-a" count="%d" stride="%d">%s</accessor></technique_common>'
            '</source>' % (sid, sid, values.size, _nums(values), sid, len(values), width, params))


def _geometry(gid: str, name: str, mesh: Mesh, pts, prim: str, uvs=None) -> str:
    """One <geometry>; per-corner UVs (``uvs`` (C, 2), one per face corner) at offset 1."""
    body = _source(gid + "-pos", pts, 3)
    inputs = '<input semantic="VERTEX" source="#%s-v" offset="0"/>' % gid
    table = mesh.face_indices.reshape(-1, 1)
    if uvs is not None:
        body += _source(gid + "-uv", uvs, 2)
        inputs += '<input semantic="TEXCOORD" source="#%s-uv" offset="1" set="0"/>' % gid
        table = np.column_stack([mesh.face_indices, np.arange(len(mesh.face_indices))])
    body += ('<vertices id="%s-v"><input semantic="POSITION" source="#%s-pos"/></vertices>'
             % (gid, gid))
    n = len(mesh.face_counts)
    if prim == "triangles":
        body += '<triangles count="%d">%s<p>%s</p></triangles>' % (n, inputs, _nums(table))
    elif prim == "polylist":
        body += ('<polylist count="%d">%s<vcount>%s</vcount><p>%s</p></polylist>'
                 % (n, inputs, _nums(mesh.face_counts), _nums(table)))
    else:
        ends = np.cumsum(mesh.face_counts)[:-1]
        ps = "".join("<p>%s</p>" % _nums(t) for t in np.split(table, ends))
        body += '<polygons count="%d">%s%s</polygons>' % (n, inputs, ps)
    return '<geometry id="%s" name="%s"><mesh>%s</mesh></geometry>' % (gid, name, body)


def write_dae(path, mesh: Mesh, targets: dict, method="NORMALIZED", meter=0.01, up="Y_UP",
              version="1.4.1", prim="polylist", extra=(), uvs=None, deformer="blendShape1",
              names=None) -> str:
    """A .dae with ``mesh`` morphed by ``targets`` {name: (N, 3) cm Y-up offsets}."""
    to_file = AXES[up] / (meter * 100.0)          # cm Y-up row vectors -> file units and axes
    base = mesh.points @ to_file
    ids = ["tgt%d" % k for k in range(len(targets))]
    names = names or ["%s.%s" % (deformer, t) for t in targets]
    geos = [_geometry("base", mesh.name, mesh, base, prim, uvs)]
    for gid, name, d in zip(ids, names, targets.values()):
        pts = (mesh.points + d) @ to_file if method == "NORMALIZED" else np.asarray(d) @ to_file
        geos.append(_geometry(gid, name, mesh, pts, prim))
    for k, m in enumerate(extra):
        geos.append(_geometry("extra%d" % k, m.name, m, m.points @ to_file, prim))
    w = np.linspace(0.0, 0.5, len(ids))
    doc = ('<?xml version="1.0" encoding="utf-8"?>\n<COLLADA xmlns="%s" version="%s"><asset>'
           '<unit name="u" meter="%r"/><up_axis>%s</up_axis></asset><library_geometries>%s'
           '</library_geometries><library_controllers><controller id="morph" name="%s">'
           '<morph source="#base" method="%s"><source id="mt"><IDREF_array id="mt-a" count="%d">'
           '%s</IDREF_array><technique_common><accessor source="#mt-a" count="%d" stride="1">'
           '<param name="IDREF" type="IDREF"/></accessor></technique_common></source>%s<targets>'
           '<input semantic="MORPH_TARGET" source="#mt"/><input semantic="MORPH_WEIGHT" '
           'source="#mw"/></targets></morph></controller></library_controllers>'
           '<library_visual_scenes><visual_scene id="vs"><node id="n0"><instance_controller '
           'url="#morph"/></node></visual_scene></library_visual_scenes><scene>'
           '<instance_visual_scene url="#vs"/></scene></COLLADA>'
           % (NS[version], version, meter, up, "".join(geos), deformer, method, len(ids),
              " ".join(ids), len(ids), _source("mw", w, 1)))
    with open(path, "w", encoding="utf-8") as f:
        f.write(doc)
    return str(path)


def grid(name="face", nx=6, ny=5, x0=0.0) -> Mesh:
    xs, ys = np.meshgrid(np.linspace(0.0, 10.0, nx), np.linspace(0.0, 8.0, ny))
    pts = np.column_stack([xs.ravel() + x0, ys.ravel(), np.sin(xs.ravel())])
    quads = [(j * nx + i, j * nx + i + 1, (j + 1) * nx + i + 1, (j + 1) * nx + i)
             for j in range(ny - 1) for i in range(nx - 1)]
    perm = np.random.default_rng(1).permutation(len(pts))       # an unusual vertex order
    inv = np.argsort(perm)
    return Mesh(name, pts[perm], np.full(len(quads), 4), inv[np.asarray(quads)].ravel())


def offsets(n: int, seed: int, names=("smile", "blink_L", "jawOpen")) -> dict:
    rng = np.random.default_rng(seed)
    out = {}
    for name in names:
        d = np.zeros((n, 3))
        idx = rng.choice(n, max(3, n // 5), replace=False)
        d[idx] = rng.normal(size=(len(idx), 3)) * 0.3
        out[name] = d
    return out


def check(scene, mesh: Mesh, targets: dict, tol=1e-9):
    sm = scene.meshes[0]
    assert np.abs(sm.mesh.points - mesh.points).max() < tol
    assert np.array_equal(sm.mesh.face_counts, mesh.face_counts)
    assert np.array_equal(sm.mesh.face_indices, mesh.face_indices)
    assert [c.name for c in sm.channels] == list(targets)
    for ch, d in zip(sm.channels, targets.values()):
        assert np.abs(ch.full.dense(mesh.vertex_count) - d).max() < tol, ch.name
        assert set(ch.full.indices.tolist()) == set(np.flatnonzero(np.any(d != 0, 1)).tolist())
        assert ch.full.weight == 1.0


@pytest.fixture(scope="module")
def face():
    return default_face()


@pytest.fixture(scope="module")
def face_targets(face):
    return offsets(face.skin.vertex_count, 5)


@pytest.fixture(scope="module")
def face_dae(face, face_targets, tmp_path_factory):
    skin = face.skin
    path = tmp_path_factory.mktemp("dae") / "face.dae"
    return write_dae(path, skin, face_targets, prim="triangles",
                     uvs=skin.uvs[skin.face_indices])


def test_normalized_cm_y_up_default_face(face, face_targets, face_dae):
    scene = read_collada(face_dae)
    check(scene, face.skin, face_targets)
    assert np.abs(scene.meshes[0].mesh.uvs - face.skin.uvs).max() < 1e-12
    assert scene.unit == "cm" and scene.up_axis == "Y" and len(scene.meshes) == 1
    w = scene.meshes[0].mesh.extras["default_weights"]
    assert w == pytest.approx({"smile": 0.0, "blink_L": 0.25, "jawOpen": 0.5})


@pytest.mark.parametrize("prim", ["polylist", "polygons"])
@pytest.mark.parametrize("up", ["Z_UP", "X_UP"])
def test_relative_metres_other_up_axes_and_extra_meshes(tmp_path, prim, up):
    mesh, teeth = grid(), grid("teeth", 3, 3, 12.0)
    targets = offsets(mesh.vertex_count, 9)
    path = write_dae(tmp_path / "grid.dae", mesh, targets, method="RELATIVE", meter=1.0, up=up,
                     version="1.5.0", prim=prim, extra=[teeth])
    scene = read_scene(path)
    check(scene, mesh, targets)
    assert [m.mesh.name for m in scene.meshes] == ["face", "teeth"]     # targets are not meshes
    assert scene.meshes[1].channels == []
    assert np.abs(scene.meshes[1].mesh.points - teeth.points).max() < 1e-9


def test_z_up_is_rotated_as_documented(tmp_path):
    mesh = Mesh("face", [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0], [7.0, 8.0, 10.0]], [3], [0, 1, 2])
    path = write_dae(tmp_path / "z.dae", mesh, {"up": np.ones((3, 3))}, meter=1.0, up="Z_UP")
    ns = {"c": NS["1.4.1"]}
    arr = ET.parse(path).getroot().find(".//c:geometry[@id='base']//c:float_array", ns)
    x, y, z = [float(v) for v in arr.text.split()[:3]]             # metres, Z up, as stored
    got = read_collada(path).meshes[0].mesh.points[0]
    assert got == pytest.approx([100 * x, 100 * z, -100 * y], abs=1e-9)
    assert got == pytest.approx(mesh.points[0], abs=1e-9)


def test_inconsistent_corner_uvs_are_dropped(tmp_path):
    mesh = grid()
    uvs = np.random.default_rng(2).random((len(mesh.face_indices), 2))   # per corner, split
    scene = read_collada(write_dae(tmp_path / "g.dae", mesh, offsets(mesh.vertex_count, 1),
                                   uvs=uvs))
    assert scene.meshes[0].mesh.uvs is None
    consistent = np.random.default_rng(3).random((mesh.vertex_count, 2))
    scene = read_collada(write_dae(tmp_path / "h.dae", mesh, offsets(mesh.vertex_count, 1),
                                   uvs=consistent[mesh.face_indices]))
    assert np.array_equal(scene.meshes[0].mesh.uvs, consistent)


def test_cli_rig_import_from_dae(face, face_targets, face_dae, tmp_path):
    lm, out = tmp_path / "lm.txt", tmp_path / "rig.json"
    write_landmark_vertices(str(lm), face.landmark_vertices)
    assert main(["rig", "import", "--from", face_dae, "--landmark-vertices", str(lm),
                 "--out", str(out)]) == 0
    rig = bridge.load_rig(str(out))
    assert rig.target_names() == list(face_targets)
    got = rig.landmark_delta_matrix()
    for t, d in enumerate(face_targets.values()):
        assert np.abs(got[:, :, t] - d[face.landmark_vertices]).max() < 1e-9
    assert np.abs(rig.neutral_landmarks() - face.skin.points[face.landmark_vertices]).max() < 1e-9


def _good_grid_file(tmp_path) -> str:
    mesh = grid()
    return write_dae(tmp_path / "good.dae", mesh, offsets(mesh.vertex_count, 4),
                     uvs=np.zeros((len(mesh.face_indices), 2)))


def _bad_documents(good: str) -> dict:
    def sub(old, new, count=1):
        assert old in good, old
        return good.replace(old, new, count)

    return {
        "empty": "", "blank": "  \n", "not_xml": "hello, not a scene", "truncated": good[: len(good) // 2],
        "not_collada": '<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"/>',
        "encoding": sub('encoding="utf-8"', 'encoding="utf-9"'),
        "other_ns": sub("http://www.collada.org/2005/11/COLLADASchema", "urn:x"),
        "entities": '<?xml version="1.0"?><!DOCTYPE C [<!ENTITY a "aaaa">]><COLLADA>&a;</COLLADA>',
        "no_position": sub('semantic="POSITION"', 'semantic="POS"'),
        "missing_source": sub('source="#base-pos"', 'source="#nowhere"'),
        "float_count": sub('count="90"', 'count="91"'),
        "accessor_count": sub('count="30" stride="3"', 'count="31" stride="3"'),
        "polylist_count": sub('<polylist count="20"', '<polylist count="21"'),
        "index_range": re.sub(r"<p>\d+ ", "<p>999 ", good, count=1),
        "not_a_number": sub("</float_array>", " x</float_array>"),
        "nan": sub("</float_array>", " nan</float_array>").replace('count="90"', 'count="91"', 1),
        "meter": sub('meter="0.01"', 'meter="0"'),
        "up_axis": sub("<up_axis>Y_UP", "<up_axis>W_UP"),
        "no_morph": sub("<morph ", "<skin ").replace("</morph>", "</skin>"),
        "morph_base": sub('<morph source="#base"', '<morph source="#gone"'),
        "target_missing": sub(">tgt0 tgt1", ">tgt9 tgt1"),
        "no_ids": sub('<geometry id="base"', '<geometry'),
        "method": sub('method="NORMALIZED"', 'method="ADDITIVE"'),
        "weights": sub('count="3" stride="1"><param name="X"', 'count="2" stride="1"><param name="X"'),
        "dup_names": sub("blendShape1.blink_L", "blendShape1.smile"),
        "empty_name": sub('name="blendShape1.jawOpen"', 'name="ns:"'),
        "strip": sub("<polylist", "<tristrips").replace("</polylist>", "</tristrips>"),
    }


def test_bad_files_exit_2_and_write_nothing(tmp_path, face, capsys):
    good = open(_good_grid_file(tmp_path)).read()
    lm = tmp_path / "lm.txt"
    write_landmark_vertices(str(lm), np.arange(68) % 30)
    assert main(["rig", "import", "--from", str(tmp_path / "good.dae"), "--landmark-vertices",
                 str(lm), "--out", str(tmp_path / "ok.json")]) == 0
    for label, text in _bad_documents(good).items():
        path, out = tmp_path / ("%s.dae" % label), tmp_path / ("%s.json" % label)
        path.write_text(text, encoding="utf-8")
        try:
            read_collada(path)
            pytest.fail("%s: no error" % label)
        except MicroExprError as err:
            assert str(path) in str(err) and err.fix, label
        assert main(["rig", "import", "--from", str(path), "--landmark-vertices", str(lm),
                     "--out", str(out)]) == 2, label
        assert not out.exists(), label
    capsys.readouterr()


def test_target_with_other_vertex_count_is_refused(tmp_path):
    mesh, small = grid(), grid(nx=5)
    good = open(write_dae(tmp_path / "a.dae", mesh, offsets(mesh.vertex_count, 2))).read()
    other = open(write_dae(tmp_path / "b.dae", small, offsets(small.vertex_count, 2))).read()
    start, end = other.index('<geometry id="tgt1"'), other.index("</geometry>",
                                                                  other.index('id="tgt1"'))
    g0, g1 = good.index('<geometry id="tgt1"'), good.index("</geometry>", good.index('id="tgt1"'))
    (tmp_path / "c.dae").write_text(good[:g0] + other[start:end] + good[g1:], encoding="utf-8")
    with pytest.raises(MicroExprError) as info:
        read_collada(tmp_path / "c.dae")
    assert "tgt1" in str(info.value) and "blink_L" in str(info.value)
    assert "25 vertices" in str(info.value) and "30 vertices" in str(info.value)


_EDITS = st.lists(st.tuples(st.integers(0, 1 << 20), st.integers(0, 255)), min_size=1, max_size=8)


@settings(max_examples=100, deadline=None, suppress_health_check=list(HealthCheck))
@given(edits=_EDITS, cut=st.sampled_from([0, 0, 0, 1, 40, 700]))
def test_fuzz_read_collada(tmp_path_factory, edits, cut):
    folder = tmp_path_factory.mktemp("fuzz")
    data = bytearray(open(_good_grid_file(folder), "rb").read())
    for pos, value in edits:
        data[pos % len(data)] = value
    path = folder / "m.dae"
    path.write_bytes(bytes(data[: max(0, len(data) - cut)]))
    try:
        scene = read_collada(path)
    except MicroExprError as err:
        assert str(path) in str(err)
        return
    assert scene.meshes and scene.meshes[0].channels
