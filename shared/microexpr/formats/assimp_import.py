"""Read blend shapes from FBX, glTF/GLB and Collada files through assimp (pyassimp).

``read_scene_assimp(path)`` runs assimp in a child process (``run_isolated``): a native crash
or a hang on a bad file becomes a MicroExprError, never a dead caller.

Assimp is asked for no post-processing at all (no JoinIdenticalVertices, no Triangulate), so
polygons stay as the importer builds them. Vertex order, as measured with assimp 5.2:

* glTF/GLB: the file's vertex list and order are kept exactly (seam duplicates included).
* FBX and Collada: the importers emit one vertex per face corner (a quad mesh of N vertices
  comes back with 4*F vertices). These meshes are re-welded here: corners with the same
  position *and* the same delta in every shape become one vertex, numbered in order of first
  use. Assimp exposes no control-point index, so this order is not the file's vertex order
  (``mesh.extras["vertex_order"]`` says which you got); two distinct vertices sitting on the
  same spot with the same deltas would merge. For FBX, ``read_fbx_ufbx`` keeps the order.

Lengths come back in cm, Y-up: glTF metres x100; FBX by ``UnitScaleFactor`` and its axis
metadata; Collada by the root transform assimp builds from ``<unit>`` and ``<up_axis>``.
Node transforms below the root are not applied (points stay in object space).

Each anim mesh becomes a channel with one frame at weight 1.0, except FBX, where assimp gives
every shape of a channel (in-betweens first) the channel's name: those become the frames of
one channel, at guessed weights k/n (assimp hides FullWeights; listed in
``mesh.extras["inbetween_weights_guessed"]``). Names lose DCC prefixes ("blendShape1.smile",
"Geometry::smile", "ns:smile" -> "smile"); empty or clashing names raise MicroExprError.
The first animation's morph-weight keys become ``scene.animation``.
Assimp 5.2 cannot read COLLADA morph controllers (its parser never resolves the <morph>
source and targets): such a file raises a MicroExprError that says so.
"""
from __future__ import annotations

import ctypes
import os
import re
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.formats.fbx_import import reverse_polygons
from microexpr.formats.scene import Scene, SceneMesh, ShapeChannel, ShapeFrame, WeightAnimation
from microexpr.mesh import Mesh

FORMATS = {".fbx": "fbx", ".glb": "gltf", ".gltf": "gltf", ".dae": "collada"}
SPLITTING_IMPORTERS = ("fbx", "collada")
_PREFIX_NODE = re.compile(r"^[^.]*(blend|shape|morph)[^.]*\.(?=.)", re.IGNORECASE)


def read_scene_assimp(path, timeout: float = 60.0, weld: Optional[bool] = None) -> Scene:
    """Read meshes, blend shapes and a morph-weight clip from ``path`` (.fbx .glb .gltf .dae).

    ``weld`` None re-welds only the importers that split vertices per corner (FBX, Collada);
    True/False forces it. Raises MicroExprError for unreadable, empty or shape-less files.
    """
    path = os.path.abspath(os.fspath(path))
    kind = check_file(path)
    from microexpr.formats.safe_read import run_isolated
    try:
        return run_isolated(__name__, "read_in_process", path, kind, weld, timeout=timeout)
    except MicroExprError as err:
        raise err.with_file(path) from None


def check_file(path: str) -> str:
    """The format of ``path`` from its extension, after checking it exists and its first
    bytes fit that extension (a GLB starts with ``glTF``, a Collada file has ``<COLLADA``)."""
    ext = os.path.splitext(path)[1].lower()
    if ext not in FORMATS:
        raise MicroExprError("unsupported extension %r" % ext, file=path,
                             fix="give an .fbx, .glb, .gltf or .dae file")
    if not os.path.isfile(path):
        raise MicroExprError("file not found", file=path, fix="check the path")
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        raise MicroExprError("file is empty", file=path, fix="export the file again")
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    ok = {".glb": head[:4] == b"glTF",
          ".gltf": text[:1] == b"{",
          ".dae": b"<COLLADA" in head,
          ".fbx": head.startswith(b"Kaydara FBX Binary") or b"FBXHeaderExtension" in head
          or text[:1] == b";"}[ext]
    if not ok:
        raise MicroExprError("content does not look like a %s file" % ext, file=path,
                             fix="check the file is complete and its extension is right")
    if ext in (".glb", ".gltf"):
        from microexpr.formats.gltf_check import check_gltf

        check_gltf(path)            # data only from its own folder, sizes that fit the file
    return FORMATS[ext]


def strip_prefix(name: str) -> str:
    """``blendShape1.smile`` / ``Geometry::smile`` / ``ns:smile`` -> ``smile``."""
    name = name.strip()
    if "::" in name:
        name = name.rsplit("::", 1)[1]
    if ":" in name:
        name = name.rsplit(":", 1)[1]
    return _PREFIX_NODE.sub("", name, count=1).strip()


# ----------------------------------------------------------------- child process side

def _lib():
    try:
        from pyassimp import core
    except Exception as exc:  # ImportError, or AssimpError when no libassimp is found
        raise MicroExprError("assimp is not available (%s)" % exc, field="pyassimp",
                             fix="pip install pyassimp and install libassimp "
                                 "(apt install libassimp5 / brew install assimp)") from exc
    return core._assimp_lib


def _floats(ptr, rows: int, cols: int = 3) -> np.ndarray:
    arr = np.ctypeslib.as_array(ctypes.cast(ptr, ctypes.POINTER(ctypes.c_float)), (rows * cols,))
    return arr.reshape(rows, cols).astype(np.float64)


def _metadata(scene) -> Dict[str, Any]:
    out: Dict[str, Any] = {}
    if not scene.mMetadata:
        return out
    md = scene.mMetadata.contents
    readers: Dict[int, Any] = {0: ctypes.c_bool, 1: ctypes.c_int32, 2: ctypes.c_uint64,
                               3: ctypes.c_float, 4: ctypes.c_double}
    for i in range(md.mNumProperties):
        entry = md.mValues[i]
        kind = readers.get(entry.mType)
        if kind is not None and entry.mData:
            key = bytes(md.mKeys[i].data[:md.mKeys[i].length]).decode("utf-8", "replace")
            out[key] = ctypes.cast(entry.mData, ctypes.POINTER(kind)).contents.value
    return out


def _matrix(node) -> np.ndarray:
    m = node.mTransformation
    return np.array([getattr(m, f) for f, _ in m._fields_], dtype=np.float64).reshape(4, 4)


def _text(s) -> str:
    return bytes(s.data[:s.length]).decode("utf-8", "replace")


def _fbx_axes(meta: Dict[str, Any]) -> np.ndarray:
    """3x3 taking FBX file axes to Y-up, Z-front, X-right (Maya's), from the axis metadata."""
    try:
        axes = [int(meta.get(k, d)) for k, d in (("CoordAxis", 0), ("UpAxis", 1), ("FrontAxis", 2))]
        signs = [int(meta.get(k, 1)) for k in ("CoordAxisSign", "UpAxisSign", "FrontAxisSign")]
    except (TypeError, ValueError):
        return np.eye(3)
    if sorted(axes) != [0, 1, 2] or any(s not in (1, -1) for s in signs):
        return np.eye(3)
    out = np.zeros((3, 3))
    for row, (axis, sign) in enumerate(zip(axes, signs)):
        out[row, axis] = sign
    return out


def _conversion(kind: str, scene, meta: Dict[str, Any]) -> Tuple[np.ndarray, str]:
    """3x3 matrix (column vectors) taking the mesh data to cm, Y-up, and a note for extras."""
    if kind == "gltf":
        return np.eye(3) * 100.0, "glTF metres x100"
    if kind == "collada":
        root = _matrix(scene.mRootNode.contents)[:3, :3]
        return root * 100.0, "Collada root transform (unit, up axis) x100"
    scale = float(meta.get("UnitScaleFactor", 1.0) or 1.0)
    return _fbx_axes(meta) * scale, "FBX UnitScaleFactor %g and axis metadata" % scale


def _records(ptr, count: int, fields: Dict[str, Any]) -> np.ndarray:
    """``count`` C structs at ``ptr`` (a ctypes pointer) as a numpy record array of the
    named fields ({name: numpy dtype}), read in one copy."""
    cls = ptr._type_
    size = ctypes.sizeof(cls)
    dtype = np.dtype({"names": list(fields), "formats": list(fields.values()),
                      "offsets": [getattr(cls, f).offset for f in fields], "itemsize": size})
    return np.frombuffer(ctypes.string_at(ptr, count * size), dtype=dtype)


def _blocks(pointers: np.ndarray, counts: np.ndarray, dtype) -> np.ndarray:
    """The C arrays at ``pointers`` (``counts`` items each, of ``dtype``), end to end: one
    C call per array, no Python object per item."""
    size = np.dtype(dtype).itemsize
    data = b"".join(map(ctypes.string_at, pointers.tolist(), (counts * size).tolist()))
    return np.frombuffer(data, dtype=dtype)


def _faces(mesh) -> Tuple[np.ndarray, np.ndarray]:
    """Polygon sizes and flat vertex indices of the faces with 3 or more corners."""
    if not mesh.mNumFaces or not mesh.mFaces:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    faces = _records(mesh.mFaces, int(mesh.mNumFaces),
                     {"mNumIndices": np.uintc, "mIndices": np.uintp})
    counts = faces["mNumIndices"].astype(np.int64)
    keep = counts >= 3
    flat = _blocks(faces["mIndices"][keep], counts[keep], np.uintc)
    return counts[keep], flat.astype(np.int64)


def _weld(points: np.ndarray, deltas: List[np.ndarray], flat: np.ndarray):
    """Merge vertices equal in position and in every delta, numbered in order of first use.
    Returns (keep: an old index per new vertex, remap: the new index of every old vertex)."""
    key = np.ascontiguousarray(np.hstack([points] + deltas))
    _, first, inverse = np.unique(key, axis=0, return_index=True, return_inverse=True)
    inverse = inverse.reshape(-1)
    corners = inverse[flat]
    _, pos = np.unique(corners, return_index=True)
    ranked = corners[np.sort(pos)]
    ranked = np.concatenate([ranked, np.setdiff1d(np.arange(len(first)), ranked)])
    new_id = np.empty(len(first), dtype=np.int64)
    new_id[ranked] = np.arange(len(ranked))
    return first[ranked], new_id[inverse]


def _read_mesh(mp, name: str, conv: np.ndarray, kind: str, weld: Optional[bool], path: str):
    m = mp.contents
    n = int(m.mNumVertices)
    counts, flat = _faces(m)
    if n == 0 or not m.mVertices or len(counts) == 0:
        return None
    if flat.max() >= n:
        raise MicroExprError("a face uses vertex %d of %d" % (flat.max(), n), file=path, field=name,
                             fix="the file is corrupt; re-export it")
    pts = _floats(m.mVertices, n)
    normals = _floats(m.mNormals, n) if m.mNormals else None
    uvs = _floats(m.mTextureCoords[0], n)[:, :2] if m.mTextureCoords[0] else None
    raw: List[Tuple[str, str, np.ndarray, Optional[np.ndarray]]] = []
    for a in range(m.mNumAnimMeshes):
        am = m.mAnimMeshes[a].contents
        original = _text(am.mName)
        if am.mNumVertices != n:
            raise MicroExprError("shape %r has %d vertices, its mesh %d"
                                 % (original, am.mNumVertices, n), file=path, field=name,
                                 fix="the file is corrupt; re-export it")
        d = _floats(am.mVertices, n) - pts if am.mVertices else np.zeros((n, 3))
        nd = _floats(am.mNormals, n) - normals if (am.mNormals and normals is not None) else None
        raw.append((strip_prefix(original), original, d, nd))
    extras: Dict[str, Any] = {"assimp_mesh": _text(m.mName), "vertex_order": "file"}
    do_weld = (kind in SPLITTING_IMPORTERS) if weld is None else bool(weld)
    if do_weld:
        keep, remap = _weld(pts, [r[2] for r in raw], flat)
        if len(keep) < n:
            extras["vertex_order"] = ("welded: assimp gave %d per-corner vertices, merged to %d "
                                      "by position and deltas, in order of first use" % (n, len(keep)))
            if uvs is not None:
                extras["uv_conflicts"] = int(np.count_nonzero(np.any(uvs != uvs[keep][remap], axis=1)))
            flat, pts = remap[flat], pts[keep]
            uvs = None if uvs is None else uvs[keep]
            normals = None if normals is None else normals[keep]     # first corner's
            raw = [(a, b, d[keep], None if nd is None else nd[keep]) for a, b, d, nd in raw]
    det = np.linalg.det(conv)
    if not abs(det) > 1e-12:
        raise MicroExprError("the file's unit/axis transform is degenerate", file=path, field=name,
                             fix="check the file's unit and root transform")
    rot = conv / abs(det) ** (1.0 / 3.0)
    if det < 0:     # a mirroring axis change: keep faces facing outwards
        flat = reverse_polygons(flat, counts)
    groups: List[Tuple[str, str, list]] = []
    for short, original, d, nd in raw:
        # assimp's FBX importer gives every shape of a channel (in-betweens, then the full
        # shape) one anim mesh named after the channel: consecutive equal names are frames.
        if kind == "fbx" and groups and groups[-1][1] == original:
            groups[-1][2].append((d, nd))
        else:
            groups.append((short, original, [(d, nd)]))
    channels: List[ShapeChannel] = []
    seen: Dict[str, str] = {}
    guessed: List[str] = []
    for short, original, shapes in groups:
        if not short:
            raise MicroExprError("blend shape has an empty name", file=path,
                                 field="%s: shape %r" % (name, original),
                                 fix="name every blend-shape target in the source file")
        if short in seen:
            problem = ("blend shape name %r appears twice" % original if seen[short] == original
                       else "blend shapes %r and %r both become %r" % (seen[short], original, short))
            raise MicroExprError(problem, file=path, field=name, fix="give every target a unique name")
        seen[short] = original
        frames = [_frame((k + 1.0) / len(shapes), d, nd, conv, rot)
                  for k, (d, nd) in enumerate(shapes)]
        if len(frames) > 1:
            guessed.append(short)
        channels.append(ShapeChannel(short, frames))
    mesh = Mesh(name, pts @ conv.T, counts, flat, uvs=uvs,
                normals=None if normals is None else normals @ rot.T, extras=extras)
    if guessed:     # assimp does not expose FBX FullWeights: in-betweens get k/n
        mesh.extras["inbetween_weights_guessed"] = guessed
    if any(orig != short for short, orig, _ in groups):
        mesh.extras["source_names"] = {short: orig for short, orig, _ in groups}
    return SceneMesh(mesh, channels)


def _frame(weight: float, d: np.ndarray, nd: Optional[np.ndarray], conv: np.ndarray,
           rot: np.ndarray) -> ShapeFrame:
    """A sparse frame from dense deltas: the vertices whose position or normal moves."""
    if nd is not None and not np.any(nd):
        nd = None
    moved = np.any(d != 0, axis=1)
    if nd is not None:
        moved |= np.any(nd != 0, axis=1)
    idx = np.flatnonzero(moved)
    return ShapeFrame(weight, idx, d[idx] @ conv.T, None if nd is None else nd[idx] @ rot.T)


def _mesh_nodes(scene) -> List[Tuple[int, str, int, bool]]:
    """(mesh index, node name, slot in that node, node holds only this mesh), in node order;
    meshes no node uses come last with an empty node name."""
    out, stack = [], [scene.mRootNode]
    while stack:
        node = stack.pop(0).contents
        for k in range(node.mNumMeshes):
            out.append((int(node.mMeshes[k]), _text(node.mName), k, node.mNumMeshes == 1))
        stack.extend(node.mChildren[i] for i in range(node.mNumChildren))
    listed = {row[0] for row in out}
    out.extend((i, "", 0, False) for i in range(scene.mNumMeshes) if i not in listed)
    return out


def _animation(scene, meshes: List[Tuple[str, int, str, SceneMesh]]) -> Optional[WeightAnimation]:
    """The first animation's morph-weight keys as a uniformly sampled clip (or None)."""
    if scene.mNumAnimations == 0:
        return None
    an = scene.mAnimations[0].contents
    tps = an.mTicksPerSecond if an.mTicksPerSecond > 0 else 25.0
    by_name: Dict[str, SceneMesh] = {}
    for node_name, slot, mesh_name, sm in meshes:   # FBX names morph channels "<node>*<slot>"
        by_name.setdefault("%s*%d" % (node_name, slot), sm)
        if slot == 0:
            by_name.setdefault(node_name, sm)
        by_name.setdefault(mesh_name, sm)
    per_mesh: Dict[int, Tuple[np.ndarray, np.ndarray]] = {}
    for c in range(an.mNumMorphMeshChannels):
        ch = an.mMorphMeshChannels[c].contents
        hit = by_name.get(_text(ch.mName))
        if hit is None or ch.mNumKeys == 0 or id(hit) in per_mesh:
            continue
        per_mesh[id(hit)] = _morph_keys(ch, len(hit.channels), tps)
    curves: Dict[str, Tuple[np.ndarray, np.ndarray]] = {}
    for _, _, _, sm in meshes:      # columns in mesh order, then channel order
        if id(sm) in per_mesh:
            times, vals = per_mesh[id(sm)]
            for t, channel in enumerate(sm.channels):
                curves.setdefault(channel.name, (times, vals[:, t]))
    if not curves:
        return None
    names = list(curves)
    times = curves[names[0]][0]
    if len(times) > 1 and all(np.array_equal(curves[n][0], times) for n in names):
        step = np.median(np.diff(times))
        uniform = times[0] + np.arange(len(times)) * step
        if step > 0 and np.all(np.abs(times - uniform) < 1e-4):     # keys as sampled
            return WeightAnimation(float(np.round(1.0 / step, 3)), names,
                                   np.column_stack([curves[n][1] for n in names]),
                                   start_time=float(times[0]))
    starts = min(t[0] for t, _ in curves.values())
    ends = max(t[-1] for t, _ in curves.values())
    steps = [np.median(np.diff(t)) for t, _ in curves.values() if len(t) > 1]
    fps = float(np.round(1.0 / min(steps), 3)) if steps and min(steps) > 0 else 30.0
    grid = starts + np.arange(int(round((ends - starts) * fps)) + 1) / fps
    weights = np.column_stack([np.interp(grid, *curves[n]) for n in names])
    return WeightAnimation(fps, names, weights, start_time=float(starts))


def _morph_keys(ch, channels: int, tps: float) -> Tuple[np.ndarray, np.ndarray]:
    """A morph channel's key times (s) and (keys, channels) weights; a channel a key leaves
    out is 0, one it names twice takes the last weight."""
    keys = _records(ch.mKeys, int(ch.mNumKeys), {"mTime": np.float64, "mValues": np.uintp,
                                                 "mWeights": np.uintp,
                                                 "mNumValuesAndWeights": np.uintc})
    n = keys["mNumValuesAndWeights"].astype(np.int64)
    has = n > 0
    targets = _blocks(keys["mValues"][has], n[has], np.uintc).astype(np.int64)
    weights = _blocks(keys["mWeights"][has], n[has], np.float64)
    row = np.repeat(np.arange(len(keys)), n)
    ok = targets < channels
    cell = row[ok] * channels + targets[ok]
    last = len(cell) - 1 - np.unique(cell[::-1], return_index=True)[1]   # last write wins
    vals = np.zeros(len(keys) * channels)
    vals[cell[last]] = weights[ok][last]
    return keys["mTime"] / tps, vals.reshape(len(keys), channels)


def _version(lib) -> str:
    try:
        parts = [getattr(lib.dll, "aiGetVersion" + k)() for k in ("Major", "Minor", "Revision")]
        return "%d.%d.%d" % tuple(parts)
    except (AttributeError, TypeError, OSError):     # pragma: no cover - very old libassimp
        return "?"


def _collada_morph_error(path: str, lib) -> Optional[MicroExprError]:
    """The error to give when a COLLADA file has a <morph> assimp did not turn into shapes."""
    with open(path, "rb") as f:
        if b"<morph" not in f.read():
            return None
    return MicroExprError("assimp %s cannot read COLLADA morph controllers (its parser drops the "
                          "<morph> targets), so the blend shapes are lost" % _version(lib),
                          file=path, fix="export the blend shapes as FBX or glTF (.glb) instead")


def read_in_process(path: str, kind: str, weld: Optional[bool] = None) -> Scene:
    """The actual import; call through ``read_scene_assimp`` (a native crash here is fatal)."""
    lib = _lib()
    scene_p = lib.load(path.encode("utf-8"), 0)
    if not scene_p and kind == "collada":
        err = _collada_morph_error(path, lib)
        if err is not None:
            raise err
    if not scene_p:
        try:
            lib.dll.aiGetErrorString.restype = ctypes.c_char_p
            reason = (lib.dll.aiGetErrorString() or b"").decode("utf-8", "replace")
        except (AttributeError, TypeError, OSError):     # pragma: no cover
            reason = ""
        raise MicroExprError("assimp could not read the file (%s)" % (reason or "no reason given"),
                             file=path, fix="check the file opens in its DCC; re-export it")
    try:
        scene = scene_p.contents
        if scene.mFlags & 0x1:      # AI_SCENE_FLAGS_INCOMPLETE
            err = _collada_morph_error(path, lib) if kind == "collada" else None
            if err is not None:
                raise err
            raise MicroExprError("assimp read an incomplete scene", file=path,
                                 fix="re-export the file with its meshes")
        meta = _metadata(scene)
        conv, how = _conversion(kind, scene, meta)
        found: List[Tuple[str, int, str, SceneMesh]] = []
        used = set()
        for index, node_name, slot, alone in _mesh_nodes(scene):
            mp = scene.mMeshes[index]
            mesh_name = _text(mp.contents.mName)
            name = (node_name if alone else "") or mesh_name or node_name or "mesh%d" % index
            while name in used:
                name += "_%d" % index
            sm = _read_mesh(mp, name, conv, kind, weld, path)
            if sm is None:
                continue
            used.add(name)
            sm.mesh.extras["unit_conversion"] = how
            found.append((node_name, slot, mesh_name, sm))
        if not found:
            raise MicroExprError("no polygon mesh in the file", file=path,
                                 fix="export the face mesh with its blend shapes")
        if not any(row[3].channels for row in found):
            err = _collada_morph_error(path, lib) if kind == "collada" else None
            if err is not None:
                raise err
            raise MicroExprError("no blend shapes in the file", file=path,
                                 fix="export with blend shapes / morph targets enabled")
        root = _text(scene.mRootNode.contents.mName)
        if root in ("", "RootNode", "ROOT"):
            root = os.path.splitext(os.path.basename(path))[0]
        return Scene([row[3] for row in found], animation=_animation(scene, found), unit="cm",
                     up_axis="Y", name=root)
    finally:
        lib.release(scene_p)
