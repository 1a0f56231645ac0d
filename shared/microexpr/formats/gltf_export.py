"""Write a Scene as glTF 2.0 (``.glb`` binary or ``.gltf`` text) with morph targets.

Layout: node 0 is a root node named ``scene.name``; each SceneMesh is one child node with one
mesh of one triangle primitive (POSITION, NORMAL, TEXCOORD_0 when the mesh has UVs, indices).
Each channel is one morph target (POSITION deltas, plus NORMAL deltas for every target when
any channel of that mesh has normal deltas). A target that moves fewer than a third of the
vertices is stored as a sparse accessor. Target names are in ``mesh.extras.targetNames``.

glTF is metres and Y-up: lengths are scaled from ``scene.unit`` (cm -> x0.01) and a Z-up
scene is turned Y-up; the source unit is recorded in ``asset.extras``.

In-betweens (frames other than the last) have no core-glTF meaning: the target holds the
full (weight 1.0) frame only; each in-between is written as an extra accessor that no
primitive uses, listed in ``mesh.extras.microexpr.inbetweens`` as
``{"target", "name", "weight", "POSITION"[, "NORMAL"]}`` (accessor indices).

A ``.gltf`` file embeds its buffer as a base64 data URI, so one file is written atomically
(never a .gltf/.bin pair that could get out of step); ``.glb`` is the compact choice.
"""
from __future__ import annotations

import base64
import os
import struct
from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr import atomicio
from microexpr.errors import MicroExprError
from microexpr.formats.scene import Scene, SceneMesh, ShapeFrame
from microexpr.mesh import Mesh, vertex_normals

FLOAT = 5126
UNSIGNED_SHORT = 5123
UNSIGNED_INT = 5125
ARRAY_BUFFER = 34962
ELEMENT_ARRAY_BUFFER = 34963
SPARSE_FRACTION = 1.0 / 3.0

METRES_PER_UNIT = {"mm": 0.001, "cm": 0.01, "dm": 0.1, "m": 1.0, "km": 1000.0,
                   "in": 0.0254, "ft": 0.3048, "yd": 0.9144}


def _gltf_module():
    try:
        import pygltflib
    except ImportError as exc:  # pragma: no cover - depends on the install
        raise MicroExprError("pygltflib is not installed", field="glTF export",
                             fix="pip install pygltflib") from exc
    return pygltflib


def write_gltf(scene: Scene, path) -> None:
    """Write ``scene`` to ``path``: ``.glb`` (binary) or ``.gltf`` (JSON, embedded buffer).

    The file is replaced atomically: on any error the previous file is left as it was.
    """
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    if ext not in (".glb", ".gltf"):
        raise MicroExprError("unknown glTF extension %r" % ext, file=path,
                             fix="name the file .glb (binary) or .gltf (text)")
    data = glb_bytes(scene) if ext == ".glb" else gltf_json_bytes(scene)
    atomicio.write_bytes(path, data)


def glb_bytes(scene: Scene) -> bytes:
    """The scene as one GLB file (JSON chunk + BIN chunk), in memory."""
    gltf, blob = build_gltf(scene)
    gltf.buffers[0].uri = None
    text = gltf.gltf_to_json(separators=(",", ":"), indent=None).encode("utf-8")
    text += b" " * (-len(text) % 4)
    blob += b"\0" * (-len(blob) % 4)
    total = 12 + 8 + len(text) + 8 + len(blob)
    return b"".join([struct.pack("<4sII", b"glTF", 2, total),
                     struct.pack("<I4s", len(text), b"JSON"), text,
                     struct.pack("<I4s", len(blob), b"BIN\0"), blob])


def gltf_json_bytes(scene: Scene) -> bytes:
    """The scene as one ``.gltf`` JSON document whose buffer is a base64 data URI."""
    gltf, blob = build_gltf(scene)
    gltf.buffers[0].uri = ("data:application/octet-stream;base64,"
                           + base64.b64encode(blob).decode("ascii"))
    return gltf.gltf_to_json(separators=(",", ":"), indent=None).encode("utf-8")


class _Builder:
    """Packs arrays into one binary buffer and collects bufferViews and accessors."""

    def __init__(self, gl) -> None:
        self.gl = gl
        self.parts: List[bytes] = []
        self.size = 0
        self.views: list = []
        self.accessors: list = []

    def view(self, data: bytes, target: Optional[int] = None) -> int:
        pad = -self.size % 4
        if pad:
            self.parts.append(b"\0" * pad)
            self.size += pad
        self.views.append(self.gl.BufferView(buffer=0, byteOffset=self.size,
                                             byteLength=len(data), target=target))
        self.parts.append(data)
        self.size += len(data)
        return len(self.views) - 1

    def accessor(self, **kw) -> int:
        self.accessors.append(self.gl.Accessor(**kw))
        return len(self.accessors) - 1

    def dense(self, values: np.ndarray, kind: str, target: Optional[int] = None,
              bounds: bool = False, name: Optional[str] = None) -> int:
        """A float32 accessor over ``values``; ``bounds`` adds min/max."""
        arr = np.ascontiguousarray(values, dtype="<f4")
        kw = {}
        if bounds:
            kw = _bounds(arr.reshape(len(arr), -1))
        return self.accessor(bufferView=self.view(arr.tobytes(), target), componentType=FLOAT,
                             count=len(arr), type=kind, name=name, **kw)

    def delta(self, count: int, indices: np.ndarray, values: np.ndarray, bounds: bool,
              name: Optional[str] = None) -> int:
        """A VEC3 accessor of ``count`` deltas, non-zero only at ``indices``: sparse when
        few vertices move, all-zero (no bufferView) when none do, dense otherwise."""
        vals = np.ascontiguousarray(values, dtype="<f4").reshape(-1, 3)
        keep = np.any(vals != 0.0, axis=1)
        idx, vals = indices[keep], vals[keep]
        if len(idx) >= count * SPARSE_FRACTION:
            full = np.zeros((count, 3), dtype="<f4")
            full[idx] = vals
            return self.dense(full, "VEC3", ARRAY_BUFFER, bounds, name)
        kw = {}
        if bounds:
            kw = _bounds(np.vstack([vals, np.zeros((1, 3), dtype="<f4")]))
        if len(idx) == 0:
            # All zero. A bare accessor (no bufferView) would be valid glTF, but assimp 5.2
            # rejects it ("data is null"), so store one explicit zero instead.
            idx, vals = np.zeros(1, dtype=np.int64), np.zeros((1, 3), dtype="<f4")
        gl = self.gl
        wide = count > 65535
        raw = np.ascontiguousarray(idx, dtype="<u4" if wide else "<u2").tobytes()
        sparse = gl.Sparse(
            count=len(idx),
            indices=gl.AccessorSparseIndices(bufferView=self.view(raw), byteOffset=0,
                                             componentType=UNSIGNED_INT if wide else UNSIGNED_SHORT),
            values=gl.AccessorSparseValues(bufferView=self.view(vals.tobytes()), byteOffset=0))
        return self.accessor(byteOffset=None, componentType=FLOAT, count=count, type="VEC3",
                             sparse=sparse, name=name, **kw)


def _bounds(arr: np.ndarray) -> dict:
    return {"min": [float(v) for v in arr.min(axis=0)], "max": [float(v) for v in arr.max(axis=0)]}


def _axis_matrix(scene: Scene) -> Tuple[np.ndarray, np.ndarray]:
    """(scale to metres times the turn to Y-up, the turn alone): 3x3, for row vectors."""
    unit = str(scene.unit).lower()
    if unit not in METRES_PER_UNIT:
        raise MicroExprError("unknown unit %r" % scene.unit, field="scene.unit",
                             fix="use one of " + ", ".join(sorted(METRES_PER_UNIT)))
    up = str(scene.up_axis).upper()
    if up == "Y":
        turn = np.eye(3)
    elif up == "Z":     # Z-up right-handed -> Y-up right-handed: (x, y, z) -> (x, z, -y)
        turn = np.array([[1.0, 0.0, 0.0], [0.0, 0.0, -1.0], [0.0, 1.0, 0.0]])
    else:
        raise MicroExprError("unknown up axis %r" % scene.up_axis, field="scene.up_axis",
                             fix='use "Y" or "Z"')
    return turn * METRES_PER_UNIT[unit], turn


def _finite(arr: np.ndarray, what: str, mesh: str) -> None:
    if not np.all(np.isfinite(arr)):
        raise MicroExprError("%s holds NaN or infinite values" % what, field=mesh,
                             fix="clean the mesh or shape data before export")


def _check_frame(frame: ShapeFrame, n: int, where: str) -> Tuple[np.ndarray, np.ndarray,
                                                                   Optional[np.ndarray]]:
    """Sorted, validated (indices, deltas, normal_deltas) of one frame."""
    idx = np.asarray(frame.indices, dtype=np.int64).reshape(-1)
    d = np.asarray(frame.deltas, dtype=np.float64).reshape(-1, 3)
    nd = None if frame.normal_deltas is None else \
        np.asarray(frame.normal_deltas, dtype=np.float64).reshape(-1, 3)
    if len(d) != len(idx) or (nd is not None and len(nd) != len(idx)):
        raise MicroExprError("indices and deltas differ in length", field=where,
                             fix="give one delta (and normal delta) per index")
    if len(idx) and (idx.min() < 0 or idx.max() >= n):
        raise MicroExprError("vertex index out of range 0..%d" % (n - 1), field=where,
                             fix="the shape must match the mesh topology")
    order = np.argsort(idx, kind="stable")
    idx, d = idx[order], d[order]
    if len(idx) > 1 and np.any(idx[1:] == idx[:-1]):
        raise MicroExprError("a vertex index appears twice", field=where,
                             fix="list each moved vertex once")
    _finite(d, "deltas", where)
    if nd is not None:
        nd = nd[order]
        _finite(nd, "normal deltas", where)
    return idx, d, nd


def _mesh_arrays(mesh: Mesh, m: np.ndarray, turn: np.ndarray) -> Dict[str, np.ndarray]:
    if mesh.vertex_count == 0:
        raise MicroExprError("mesh has no vertices", field=mesh.name, fix="export a non-empty mesh")
    _finite(mesh.points, "points", mesh.name)
    tris = mesh.triangles()
    if len(tris) == 0:
        raise MicroExprError("mesh has no polygons", field=mesh.name, fix="export a mesh with faces")
    if tris.min() < 0 or tris.max() >= mesh.vertex_count:
        raise MicroExprError("polygon vertex index out of range", field=mesh.name,
                             fix="repair the mesh topology")
    normals = mesh.normals
    if normals is None or len(normals) != mesh.vertex_count or not np.all(np.isfinite(normals)):
        normals = vertex_normals(mesh.points, tris)
    normals = normals @ turn
    length = np.linalg.norm(normals, axis=1)
    normals = np.where(length[:, None] > 1e-12, normals / np.maximum(length, 1e-300)[:, None],
                       np.array([0.0, 1.0, 0.0]))
    out = {"points": mesh.points @ m, "normals": normals, "triangles": tris}
    if mesh.uvs is not None:
        if len(mesh.uvs) != mesh.vertex_count:
            raise MicroExprError("uvs has %d rows for %d vertices"
                                 % (len(mesh.uvs), mesh.vertex_count),
                                 field=mesh.name, fix="give one UV per vertex or none")
        _finite(mesh.uvs, "uvs", mesh.name)
        out["uvs"] = np.column_stack([mesh.uvs[:, 0], 1.0 - mesh.uvs[:, 1]])
    return out


def _add_mesh(b: _Builder, sm: SceneMesh, m: np.ndarray, turn: np.ndarray):
    """Append one SceneMesh; returns the pygltflib Mesh and its target names."""
    gl, mesh = b.gl, sm.mesh
    n = mesh.vertex_count
    arr = _mesh_arrays(mesh, m, turn)
    attrs = gl.Attributes(POSITION=b.dense(arr["points"], "VEC3", ARRAY_BUFFER, bounds=True),
                          NORMAL=b.dense(arr["normals"], "VEC3", ARRAY_BUFFER))
    if "uvs" in arr:
        attrs.TEXCOORD_0 = b.dense(arr["uvs"], "VEC2", ARRAY_BUFFER)
    tri = arr["triangles"].reshape(-1)
    wide = n > 65535
    raw = np.ascontiguousarray(tri, dtype="<u4" if wide else "<u2").tobytes()
    indices = b.accessor(bufferView=b.view(raw, ELEMENT_ARRAY_BUFFER),
                         componentType=UNSIGNED_INT if wide else UNSIGNED_SHORT,
                         count=len(tri), type="SCALAR")
    names: List[str] = []
    for ch in sm.channels:
        if not isinstance(ch.name, str) or not ch.name.strip():
            raise MicroExprError("a channel has an empty name", field=mesh.name,
                                 fix="name every blend-shape channel")
        if ch.name in names:
            raise MicroExprError("channel name %r appears twice" % ch.name, field=mesh.name,
                                 fix="give every channel of a mesh a unique name")
        if not ch.frames:
            raise MicroExprError("channel has no frames", field="%s.%s" % (mesh.name, ch.name),
                                 fix="give the channel at least its full (1.0) frame")
        names.append(ch.name)
    checked = [[_check_frame(f, n, "%s.%s" % (mesh.name, ch.name)) for f in ch.frames]
               for ch in sm.channels]
    with_normals = any(f[2] is not None for frames in checked for f in frames)
    targets, inbetweens = [], []
    for t, (ch, frames) in enumerate(zip(sm.channels, checked)):
        accs = []
        for (idx, d, nd) in frames:
            acc = {"POSITION": b.delta(n, idx, d @ m, bounds=True)}
            if with_normals:
                nd_t = np.zeros_like(d) if nd is None else nd @ turn
                acc["NORMAL"] = b.delta(n, idx, nd_t, bounds=False)
            accs.append(acc)
        targets.append(gl.Attributes(**accs[-1]))
        for frame, acc in zip(ch.frames[:-1], accs[:-1]):
            entry = {"target": t, "name": ch.name, "weight": float(frame.weight)}
            entry.update(acc)
            inbetweens.append(entry)
    extras: dict = {"targetNames": names} if names else {}
    if inbetweens:
        extras["microexpr"] = {"inbetweens": inbetweens}
    prim = gl.Primitive(attributes=attrs, indices=indices, mode=4, targets=targets)
    return gl.Mesh(name=mesh.name, primitives=[prim], weights=[0.0] * len(names),
                   extras=extras), names


def _add_animation(b: _Builder, scene: Scene, mesh_names: List[List[str]]):
    """The weight clip as one animation (one LINEAR ``weights`` channel per morphed node)."""
    anim = scene.animation
    gl = b.gl
    if anim is None:
        return None
    w = np.asarray(anim.weights, dtype=np.float64)
    cols = list(anim.channel_names)
    if w.ndim != 2 or w.shape[1] != len(cols) or w.shape[0] == 0:
        raise MicroExprError("weights must be (frames, %d), got %s" % (len(cols), w.shape),
                             field="animation.weights", fix="one column per channel name")
    _finite(w, "weights", "animation")
    if not float(anim.fps) > 0:
        raise MicroExprError("fps must be positive", field="animation.fps", fix="set fps, e.g. 30")
    times = anim.times()
    if times[0] < 0:
        raise MicroExprError("animation starts before 0 s", field="animation.start_time",
                             fix="glTF key times must be >= 0; shift the clip")
    t32 = times.astype("<f4")
    if len(t32) > 1 and np.any(np.diff(t32) <= 0):
        raise MicroExprError("key times are not strictly increasing in float32",
                             field="animation.fps", fix="use a lower fps or an earlier start time")
    col_of = {name: k for k, name in enumerate(cols)}
    samplers, channels, used = [], [], set()
    time_acc = None
    for node_i, names in enumerate(mesh_names):
        hit = [name for name in names if name in col_of]
        if not hit:
            continue
        if time_acc is None:
            time_acc = b.dense(t32, "SCALAR", bounds=True)
        out = np.zeros((len(w), len(names)))
        for t, name in enumerate(names):
            if name in col_of:
                out[:, t] = w[:, col_of[name]]
                used.add(name)
        output = b.dense(out.reshape(-1), "SCALAR")
        samplers.append(gl.AnimationSampler(input=time_acc, output=output, interpolation="LINEAR"))
        channels.append(gl.AnimationChannel(sampler=len(samplers) - 1,
                                            target=gl.AnimationChannelTarget(node=node_i + 1,
                                                                             path="weights")))
    if not channels:
        return None
    extras: dict = {"fps": float(anim.fps), "startTime": float(anim.start_time)}
    unused = [c for c in cols if c not in used]
    if unused:
        extras["unmatchedChannels"] = unused
    return gl.Animation(name="%s_clip" % scene.name, samplers=samplers, channels=channels,
                        extras=extras)


def build_gltf(scene: Scene):
    """The scene as a ``pygltflib.GLTF2`` plus its single binary buffer (not yet attached)."""
    gl = _gltf_module()
    if not scene.meshes:
        raise MicroExprError("the scene has no meshes", field="scene.meshes",
                             fix="add at least one mesh")
    m, turn = _axis_matrix(scene)
    b = _Builder(gl)
    meshes, nodes, names = [], [gl.Node(name=scene.name, children=[])], []
    for i, sm in enumerate(scene.meshes):
        gmesh, target_names = _add_mesh(b, sm, m, turn)
        meshes.append(gmesh)
        names.append(target_names)
        nodes.append(gl.Node(name=sm.mesh.name, mesh=i))
        nodes[0].children.append(i + 1)
    animation = _add_animation(b, scene, names)
    blob = b"".join(b.parts)
    asset_extras = {"sourceUnit": str(scene.unit),
                    "metresPerSourceUnit": METRES_PER_UNIT[str(scene.unit).lower()],
                    "sourceUpAxis": str(scene.up_axis).upper()}
    gltf = gl.GLTF2(asset=gl.Asset(version="2.0", generator="MicroExpr glTF exporter",
                                   extras=asset_extras),
                    scene=0, scenes=[gl.Scene(name=scene.name, nodes=[0])], nodes=nodes,
                    meshes=meshes, accessors=b.accessors, bufferViews=b.views,
                    buffers=[gl.Buffer(byteLength=len(blob))],
                    animations=[animation] if animation is not None else [])
    return gltf, blob

