"""Write a :class:`~microexpr.formats.scene.Scene` as binary FBX 7.4/7.5 with blend shapes.

Layout, matched against the FBX SDK-written files in ``assimp-testmodels`` (``box.fbx``,
``phong_cube.fbx`` 7400; ``boxWithCompressedCTypeArray.FBX`` 7500): the same top-level order
(FBXHeaderExtension, FileId, CreationTime, Creator, GlobalSettings, Documents, References,
Definitions, Objects, Connections, Takes), the same header values (FBXHeaderVersion 1003,
EncryptionType 0, CreationTimeStamp Version 1000, SceneInfo ``GlobalInfo\\x00\\x01SceneInfo``
"UserData" with MetaData and Properties70), GlobalSettings Version 1000 with the same property
names and types (axes as ``int``/``Integer``, unit factors as ``double``/``Number``, TimeMode
``enum``, spans ``KTime``), ``Name\\x00\\x01Class`` object names, Model Version 232 with
Shading/Culling, GeometryVersion 124, LayerElement blocks and a Layer 0 that lists them, and the
SDK's FileId/CreationTime/footer-code triple (as in ``phong_cube.fbx``). Definitions carry
counts only (no property templates; readers fall back to FBX defaults).

Blend shapes follow the SDK's deformer graph: Geometry(Mesh) <- Deformer "BlendShape" <-
SubDeformer "BlendShapeChannel" (DeformPercent, FullWeights = frame weights x 100) <-
Geometry "Shape" (Indexes, Vertices = deltas, Normals = normal deltas or zeros; assimp only
reads a shape that has Normals). Weight animation is AnimationStack <- AnimationLayer <-
AnimationCurveNode "DeformPercent" (OP to the channel) <- AnimationCurve (OP "d|DeformPercent"),
keys in FBX ticks (46186158000 per second), values in percent, linear interpolation, so
values between samples never overshoot. Lengths are written in the scene's unit with
UnitScaleFactor = centimetres per unit. Output is deterministic (fixed ids and timestamps).
"""
from __future__ import annotations

import itertools
import math
import os
from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr._version import __version__
from microexpr.atomicio import write_bytes
from microexpr.errors import MicroExprError
from microexpr.formats import fbx_binary as fb
from microexpr.formats.fbx_binary import Int32, Node
from microexpr.formats.scene import Scene, SceneMesh
from microexpr.mesh import Mesh

TICKS_PER_SECOND = 46186158000
UNIT_TO_CM = {"mm": 0.1, "cm": 1.0, "m": 100.0, "in": 2.54}
# FbxTime::EMode values for the frame rates that have one; anything else is 14 (custom).
_TIME_MODES = ((120.0, 1), (100.0, 2), (60.0, 3), (50.0, 4), (48.0, 5), (30.0, 6),
               (29.97, 9), (25.0, 10), (24.0, 11), (1000.0, 12), (23.976, 13), (96.0, 15),
               (72.0, 16), (59.94, 17))
_LINEAR = 0x4          # KeyAttrFlags: eInterpolationLinear
_CREATOR = "MicroExpr %s FBX writer" % __version__


def time_mode(fps: float) -> int:
    """The FBX TimeMode enum for ``fps`` (14 = custom, with CustomFrameRate)."""
    for rate, mode in _TIME_MODES:
        if abs(fps - rate) < 1e-3:
            return mode
    return 14


def write_fbx(scene: Scene, path, version: int = 7400) -> None:
    """Write ``scene`` to ``path`` as binary FBX (7400 or 7500), atomically."""
    data = fbx_bytes(scene, version, file=os.fspath(path))
    write_bytes(path, data)


def fbx_bytes(scene: Scene, version: int = 7400, file: Optional[str] = None) -> bytes:
    """The binary FBX file for ``scene``."""
    if version not in fb.VERSIONS:
        raise MicroExprError("FBX version %r is not supported" % (version,), file=file,
                             field="version", fix="use 7400 or 7500")
    validate_scene(scene, file)
    return fb.write_nodes(build_nodes(scene, version), version)


# ----------------------------------------------------------------------------- checks


def _bad(problem: str, file: Optional[str], field: str, fix: str) -> MicroExprError:
    return MicroExprError(problem, file=file, field=field, fix=fix)


def _check_name(name, file, field) -> None:
    if not isinstance(name, str) or not name.strip():
        raise _bad("name is empty", file, field, "give every mesh and channel a name")
    if "\x00" in name or len(name.encode("utf-8")) > 1000:
        raise _bad("name %r has a NUL byte or is too long" % name[:40], file, field,
                   "use a plain name under 1000 bytes")


def _check_mesh(m: Mesh, file, field) -> None:
    _check_name(m.name, file, field + ".name")
    if m.vertex_count == 0 or not np.all(np.isfinite(m.points)):
        raise _bad("points are empty or not finite", file, field + ".points",
                   "export a mesh with finite vertex positions")
    if int(m.face_counts.sum()) != len(m.face_indices) or np.any(m.face_counts < 3):
        raise _bad("face_counts do not match face_indices or a polygon has < 3 vertices", file,
                   field + ".face_counts", "clean up the mesh topology")
    if len(m.face_indices) and (m.face_indices.min() < 0 or m.face_indices.max() >= m.vertex_count):
        raise _bad("face index out of range", file, field + ".face_indices",
                   "clean up the mesh topology")
    for attr, width in (("uvs", 2), ("normals", 3)):
        a = getattr(m, attr)
        if a is not None and (a.shape != (m.vertex_count, width) or not np.all(np.isfinite(a))):
            raise _bad("%s must be (%d, %d) and finite" % (attr, m.vertex_count, width), file,
                       field + "." + attr, "give one value per vertex or none")


def validate_scene(scene: Scene, file: Optional[str] = None) -> None:
    """Raise MicroExprError for anything FBX cannot hold or a reader would misread."""
    if scene.unit not in UNIT_TO_CM:
        raise _bad("unit %r is not mm, cm or m" % scene.unit, file, "unit", "use mm, cm or m")
    if scene.up_axis not in ("Y", "Z"):
        raise _bad("up axis %r is not Y or Z" % scene.up_axis, file, "up_axis", "use Y or Z")
    if not scene.meshes:
        raise _bad("scene has no meshes", file, "meshes", "add at least one mesh")
    names = [sm.mesh.name for sm in scene.meshes]
    if len(set(names)) != len(names):
        raise _bad("mesh names are not unique", file, "meshes", "rename the meshes")
    all_channels = set()
    for mi, sm in enumerate(scene.meshes):
        field = "meshes[%d]" % mi
        _check_mesh(sm.mesh, file, field + ".mesh")
        seen = set()
        for ci, ch in enumerate(sm.channels):
            cf = "%s.channels[%d]" % (field, ci)
            _check_name(ch.name, file, cf + ".name")
            if ch.name in seen:
                raise _bad("channel %r appears twice on mesh %r" % (ch.name, sm.mesh.name),
                           file, cf + ".name", "give each channel of a mesh a unique name")
            seen.add(ch.name)
            _check_frames(ch, sm.mesh.vertex_count, file, cf)
        all_channels |= seen
    anim = scene.animation
    if anim is not None:
        w = np.asarray(anim.weights, dtype=np.float64)
        if not (math.isfinite(anim.fps) and anim.fps > 0 and math.isfinite(anim.start_time)):
            raise _bad("fps must be > 0", file, "animation.fps", "use a positive frame rate")
        if w.ndim != 2 or w.shape[0] < 1 or w.shape[1] != len(anim.channel_names) \
                or not np.all(np.isfinite(w)):
            raise _bad("weights must be (frames, channels) and finite", file,
                       "animation.weights", "give one finite column per channel name")
        if len(set(anim.channel_names)) != len(anim.channel_names):
            raise _bad("channel names repeat", file, "animation.channel_names",
                       "list each channel once")
        missing = [n for n in anim.channel_names if n not in all_channels]
        if missing:
            raise _bad("animated channel %r is on no mesh" % missing[0], file,
                       "animation.channel_names", "animate only channels the meshes have")


def _check_frames(ch, n: int, file, cf: str) -> None:
    if not ch.frames:
        raise _bad("channel has no frames", file, cf + ".frames", "add a frame at weight 1.0")
    weights = [float(f.weight) for f in ch.frames]
    if abs(weights[-1] - 1.0) > 1e-9 or any(not (0.0 < w <= 1.0) for w in weights) \
            or any(b <= a for a, b in zip(weights, weights[1:])):
        raise _bad("frame weights %s are not increasing in (0, 1] ending at 1.0" % weights, file,
                   cf + ".frames", "sort the in-betweens and end with the full shape at 1.0")
    for k, fr in enumerate(ch.frames):
        ff = "%s.frames[%d]" % (cf, k)
        idx = np.asarray(fr.indices).reshape(-1)
        d = np.asarray(fr.deltas, dtype=np.float64)
        if idx.dtype.kind not in "iu" or (len(idx) and (idx.min() < 0 or idx.max() >= n)) \
                or len(np.unique(idx)) != len(idx):
            raise _bad("indices must be unique vertex numbers below %d" % n, file,
                       ff + ".indices", "rebuild the shape against this mesh")
        if d.shape != (len(idx), 3) or not np.all(np.isfinite(d)):
            raise _bad("deltas must be (%d, 3) and finite" % len(idx), file, ff + ".deltas",
                       "give one finite offset per index")
        if fr.normal_deltas is not None:
            nd = np.asarray(fr.normal_deltas, dtype=np.float64)
            if nd.shape != (len(idx), 3) or not np.all(np.isfinite(nd)):
                raise _bad("normal_deltas must be (%d, 3) and finite" % len(idx), file,
                           ff + ".normal_deltas", "give one finite offset per index or none")


# ----------------------------------------------------------------------------- building


def _p(props: Node, name: str, ptype: str, label: str, flags: str, *values) -> None:
    props.add("P", name, ptype, label, flags, *values)


def _oname(name: str, cls: str) -> str:
    return name + "\x00\x01" + cls


class _Builder:
    def __init__(self) -> None:
        self.ids = itertools.count(2_000_000_001)
        self.objects = Node("Objects")
        self.connections = Node("Connections")
        self.counts: Dict[str, int] = {}

    def obj(self, kind: str, name: str, cls: str, sub: str) -> Tuple[int, Node]:
        oid = next(self.ids)
        self.counts[kind] = self.counts.get(kind, 0) + 1
        return oid, self.objects.add(kind, oid, _oname(name, cls), sub)

    def oo(self, child: int, parent: int) -> None:
        self.connections.add("C", "OO", child, parent)

    def op(self, child: int, parent: int, prop: str) -> None:
        self.connections.add("C", "OP", child, parent, prop)


def polygon_vertex_index(m: Mesh) -> np.ndarray:
    """FBX PolygonVertexIndex: the last index of each polygon is bitwise-negated."""
    idx = m.face_indices.astype(np.int32)
    ends = np.cumsum(m.face_counts) - 1
    idx[ends] = ~idx[ends]
    return idx


def mesh_edges(m: Mesh) -> np.ndarray:
    """FBX Edges: for each undirected edge, the first polygon-vertex that starts it."""
    counts, fi = m.face_counts, m.face_indices
    ends = np.cumsum(counts)
    nxt = np.arange(1, len(fi) + 1)
    nxt[ends - 1] = ends - counts
    a, b = fi, fi[nxt]
    key = np.minimum(a, b) * m.vertex_count + np.maximum(a, b)
    _, first = np.unique(key, return_index=True)
    return np.sort(first).astype(np.int32)


def _geometry(g: Node, m: Mesh) -> None:
    _p(g.add("Properties70"), "Color", "ColorRGB", "Color", "", 0.8, 0.8, 0.8)
    g.add("Vertices", m.points.reshape(-1))
    g.add("PolygonVertexIndex", polygon_vertex_index(m))
    g.add("Edges", mesh_edges(m))
    g.add("GeometryVersion", Int32(124))
    normals = m.normals if m.normals is not None else m.vertex_normals()
    ln = g.add("LayerElementNormal", Int32(0))
    ln.add("Version", Int32(101))
    ln.add("Name", "")
    ln.add("MappingInformationType", "ByVertice")
    ln.add("ReferenceInformationType", "Direct")
    ln.add("Normals", np.ascontiguousarray(normals, dtype=np.float64).reshape(-1))
    if m.uvs is not None:
        lu = g.add("LayerElementUV", Int32(0))
        lu.add("Version", Int32(101))
        lu.add("Name", "map1")
        lu.add("MappingInformationType", "ByPolygonVertex")
        lu.add("ReferenceInformationType", "IndexToDirect")
        lu.add("UV", m.uvs.reshape(-1))
        lu.add("UVIndex", m.face_indices.astype(np.int32))
    layer = g.add("Layer", Int32(0))
    layer.add("Version", Int32(100))
    for kind, present in (("LayerElementNormal", True), ("LayerElementUV", m.uvs is not None)):
        if present:
            el = layer.add("LayerElement")
            el.add("Type", kind)
            el.add("TypedIndex", Int32(0))


def _model(node: Node) -> None:
    node.add("Version", Int32(232))
    props = node.add("Properties70")
    _p(props, "InheritType", "enum", "", "", Int32(1))
    _p(props, "DefaultAttributeIndex", "int", "Integer", "", Int32(0))
    node.add("Shading", True)
    node.add("Culling", "CullingOff")


def _shape_name(channel: str, weight: float) -> str:
    return channel if weight >= 1.0 else "%s_%g" % (channel, round(weight * 100.0, 4))


def _blend_shapes(b: _Builder, sm: SceneMesh, geom_id: int) -> Dict[str, int]:
    """Deformer, channels and shapes of one mesh; returns channel name -> channel id."""
    out: Dict[str, int] = {}
    if not sm.channels:
        return out
    bs_id, bs = b.obj("Deformer", sm.mesh.name + "_blendShape", "Deformer", "BlendShape")
    bs.add("Version", Int32(100))
    b.oo(bs_id, geom_id)
    for ch in sm.channels:
        ch_id, cn = b.obj("Deformer", ch.name, "SubDeformer", "BlendShapeChannel")
        cn.add("Version", Int32(100))
        cn.add("DeformPercent", 0.0)
        cn.add("FullWeights", np.array([f.weight * 100.0 for f in ch.frames], dtype=np.float64))
        _p(cn.add("Properties70"), "DeformPercent", "Number", "", "A", 0.0)
        b.oo(ch_id, bs_id)
        out[ch.name] = ch_id
        for fr in ch.frames:
            sid, sn = b.obj("Geometry", _shape_name(ch.name, fr.weight), "Geometry", "Shape")
            sn.add("Version", Int32(100))
            idx = np.asarray(fr.indices).reshape(-1).astype(np.int32)
            sn.add("Indexes", idx)
            sn.add("Vertices", np.asarray(fr.deltas, dtype=np.float64).reshape(-1))
            nd = fr.normal_deltas if fr.normal_deltas is not None else np.zeros((len(idx), 3))
            sn.add("Normals", np.asarray(nd, dtype=np.float64).reshape(-1))
            b.oo(sid, ch_id)
    return out


def _animation(b: _Builder, scene: Scene, channels: Dict[str, List[int]]) -> Tuple[int, int, str]:
    anim = scene.animation
    assert anim is not None
    times = np.round(anim.times() * TICKS_PER_SECOND).astype(np.int64)
    start, stop = int(times[0]), int(times[-1])
    name = scene.name or "Take 001"
    stack_id, stack = b.obj("AnimationStack", name, "AnimStack", "")
    props = stack.add("Properties70")
    for key, value in (("LocalStart", start), ("LocalStop", stop), ("ReferenceStart", start),
                       ("ReferenceStop", stop)):
        _p(props, key, "KTime", "Time", "", value)
    layer_id, layer = b.obj("AnimationLayer", "BaseLayer", "AnimLayer", "")
    layer.block = True     # assimp drops a layer written without a "{ }" block
    b.oo(layer_id, stack_id)
    weights = np.asarray(anim.weights, dtype=np.float64) * 100.0
    nkeys = len(times)
    for c, cname in enumerate(anim.channel_names):
        values = weights[:, c].astype(np.float32)
        for ch_id in channels.get(cname, []):
            cn_id, cn = b.obj("AnimationCurveNode", "DeformPercent", "AnimCurveNode", "")
            _p(cn.add("Properties70"), "d|DeformPercent", "Number", "", "A", float(values[0]))
            b.oo(cn_id, layer_id)
            b.op(cn_id, ch_id, "DeformPercent")
            cv_id, cv = b.obj("AnimationCurve", "", "AnimCurve", "")
            cv.add("Default", float(values[0]))
            cv.add("KeyVer", Int32(4008))
            cv.add("KeyTime", times)
            cv.add("KeyValueFloat", values)
            cv.add("KeyAttrFlags", np.array([_LINEAR], dtype=np.int32))
            cv.add("KeyAttrDataFloat", np.zeros(4, dtype=np.float32))
            cv.add("KeyAttrRefCount", np.array([nkeys], dtype=np.int32))
            b.op(cv_id, cn_id, "d|DeformPercent")
    return start, stop, name


def _header(version: int) -> Node:
    h = Node("FBXHeaderExtension")
    h.add("FBXHeaderVersion", Int32(1003))
    h.add("FBXVersion", Int32(version))
    h.add("EncryptionType", Int32(0))
    ts = h.add("CreationTimeStamp")
    for key, value in (("Version", 1000), ("Year", 1970), ("Month", 1), ("Day", 1), ("Hour", 10),
                       ("Minute", 0), ("Second", 0), ("Millisecond", 0)):
        ts.add(key, Int32(value))
    h.add("Creator", _CREATOR)
    info = h.add("SceneInfo", _oname("GlobalInfo", "SceneInfo"), "UserData")
    info.add("Type", "UserData")
    info.add("Version", Int32(100))
    meta = info.add("MetaData")
    meta.add("Version", Int32(100))
    for key in ("Title", "Subject", "Author", "Keywords", "Revision", "Comment"):
        meta.add(key, "")
    props = info.add("Properties70")
    for prefix in ("Original", "LastSaved"):
        _p(props, prefix, "Compound", "", "")
        _p(props, prefix + "|ApplicationVendor", "KString", "", "", "MicroExpr")
        _p(props, prefix + "|ApplicationName", "KString", "", "", "MicroExpr")
        _p(props, prefix + "|ApplicationVersion", "KString", "", "", __version__)
        _p(props, prefix + "|DateTime_GMT", "DateTime", "", "", "01/01/1970 00:00:00.000")
    return h


def _global_settings(scene: Scene, start: int, stop: int) -> Node:
    g = Node("GlobalSettings")
    g.add("Version", Int32(1000))
    props = g.add("Properties70")
    up, front, front_sign = (1, 2, 1) if scene.up_axis == "Y" else (2, 1, -1)
    for key, value in (("UpAxis", up), ("UpAxisSign", 1), ("FrontAxis", front),
                       ("FrontAxisSign", front_sign), ("CoordAxis", 0), ("CoordAxisSign", 1),
                       ("OriginalUpAxis", up), ("OriginalUpAxisSign", 1)):
        _p(props, key, "int", "Integer", "", Int32(value))
    scale = UNIT_TO_CM[scene.unit]
    _p(props, "UnitScaleFactor", "double", "Number", "", scale)
    _p(props, "OriginalUnitScaleFactor", "double", "Number", "", scale)
    _p(props, "AmbientColor", "ColorRGB", "Color", "", 0.0, 0.0, 0.0)
    _p(props, "DefaultCamera", "KString", "", "", "Producer Perspective")
    fps = float(scene.animation.fps) if scene.animation is not None else 30.0
    _p(props, "TimeMode", "enum", "", "", Int32(time_mode(fps)))
    _p(props, "TimeProtocol", "enum", "", "", Int32(2))
    _p(props, "SnapOnFrameMode", "enum", "", "", Int32(0))
    _p(props, "TimeSpanStart", "KTime", "Time", "", start)
    _p(props, "TimeSpanStop", "KTime", "Time", "", stop)
    _p(props, "CustomFrameRate", "double", "Number", "", fps)
    _p(props, "TimeMarker", "Compound", "", "")
    _p(props, "CurrentTimeMarker", "int", "Integer", "", Int32(-1))
    return g


def build_nodes(scene: Scene, version: int = 7400) -> List[Node]:
    """The top-level FBX nodes for a validated ``scene``."""
    b = _Builder()
    channel_ids: Dict[str, List[int]] = {}
    for sm in scene.meshes:
        model_id, model = b.obj("Model", sm.mesh.name, "Model", "Mesh")
        _model(model)
        geom_id, geom = b.obj("Geometry", sm.mesh.name, "Geometry", "Mesh")
        _geometry(geom, sm.mesh)
        b.oo(model_id, 0)
        b.oo(geom_id, model_id)
        for name, cid in _blend_shapes(b, sm, geom_id).items():
            channel_ids.setdefault(name, []).append(cid)
    start, stop, take = 0, TICKS_PER_SECOND, ""
    if scene.animation is not None:
        start, stop, take = _animation(b, scene, channel_ids)
        stop = max(stop, start + 1)
    doc_id = next(b.ids)
    nodes = [_header(version), Node("FileId", [fb.FILE_ID]),
             Node("CreationTime", [fb.CREATION_TIME]), Node("Creator", [_CREATOR]),
             _global_settings(scene, start, stop)]
    docs = Node("Documents")
    docs.add("Count", Int32(1))
    doc = docs.add("Document", doc_id, "Scene", "Scene")
    dp = doc.add("Properties70")
    _p(dp, "SourceObject", "object", "", "")
    _p(dp, "ActiveAnimStackName", "KString", "", "", take)
    doc.add("RootNode", 0)
    defs = Node("Definitions")
    defs.add("Version", Int32(100))
    defs.add("Count", Int32(1 + sum(b.counts.values())))
    defs.add("ObjectType", "GlobalSettings").add("Count", Int32(1))
    for kind, count in b.counts.items():
        defs.add("ObjectType", kind).add("Count", Int32(count))
    takes = Node("Takes")
    takes.add("Current", take)
    if take:
        t = takes.add("Take", take)
        t.add("FileName", take.replace(" ", "_") + ".tak")
        t.add("LocalTime", start, stop)
        t.add("ReferenceTime", start, stop)
    nodes += [docs, Node("References"), defs, b.objects, b.connections, takes]
    return nodes


__all__ = ["write_fbx", "fbx_bytes", "build_nodes", "validate_scene", "time_mode",
           "polygon_vertex_index", "mesh_edges", "TICKS_PER_SECOND", "UNIT_TO_CM"]
