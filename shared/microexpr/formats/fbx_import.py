"""Read meshes, blend shapes and their weight animation from an FBX file with ufbx.

ufbx is native code: :func:`read_fbx_ufbx` runs it in a child process (see
:mod:`.safe_read`), so a file that crashes or hangs it becomes a MicroExprError. Inside the
child every ufbx collection is turned into a list once and every wrapper is kept alive until
the child exits (ufbx 0.0.5 crashes when an element is fetched again after its wrapper was
collected).

What comes back: one SceneMesh per mesh (named after its node), vertices in the file's own
order (control points and polygon indices, not per-corner unwelded data); the node's geometry
transform baked in; converted to Y-up right-handed axes and centimetres. Normals and UVs are
kept per vertex when every corner of a vertex agrees; otherwise UVs go to
``mesh.extras["corner_uvs"]``. Channel names lose DCC prefixes (``blendShape1.smile`` ->
``smile``); an empty or repeated name on one mesh is an error. The first animation stack, if
it animates any DeformPercent, is sampled at the file's frame rate.
"""
from __future__ import annotations

import os
import re
from typing import Dict, List, Optional

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.formats.fbx_check import check_fbx_sizes
from microexpr.formats.safe_read import run_isolated
from microexpr.formats.scene import Scene, SceneMesh, ShapeChannel, ShapeFrame, WeightAnimation
from microexpr.mesh import Mesh

_DEFORMER_PREFIX = re.compile(r"(?i)^[^.]*(blend_?shape|morph|shapes|targets)[^.]*$")
MAX_SAMPLES = 1_000_000
_KEEP: list = []   # child side: ufbx wrappers must never be freed (freeing them can crash)


def strip_dcc_prefix(name: str, deformer: Optional[str] = None) -> str:
    """``"blendShape1.smile"`` -> ``"smile"``: drop FBX class and namespace prefixes
    (``SubDeformer::``, ``ns:``) and a leading deformer name (``deformer`` itself, or one that
    looks like a blend-shape node). Keeps suffixes such as ``eyeBlink.L``."""
    name = name.strip()
    if "::" in name:
        name = name.rsplit("::", 1)[1]
    name = name.rsplit(":", 1)[-1]
    if "." in name:
        head, tail = name.split(".", 1)
        if tail and ((deformer and head == deformer.rsplit(":", 1)[-1])
                     or _DEFORMER_PREFIX.match(head)):
            name = tail
    return name.strip()


def _sniff(path: str) -> None:
    def bad(problem: str, fix: str) -> MicroExprError:
        return MicroExprError(problem, file=path, field="file", fix=fix)

    if not os.path.isfile(path):
        raise bad("no such file", "check the path")
    if os.path.splitext(path)[1].lower() != ".fbx":
        raise bad("extension is not .fbx", "pass an .fbx file (rename it only if it is FBX)")
    with open(path, "rb") as f:
        head = f.read(4096)
    if not head:
        raise bad("file is empty", "re-export the file from the DCC tool")
    if head.startswith(b"Kaydara FBX Binary  \x00"):
        if len(head) < 27:
            raise bad("binary FBX header is truncated", "re-export the file from the DCC tool")
        return
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"; FBX") or b"FBXHeaderExtension" in head:
        return
    raise bad("not an FBX file (no binary or ASCII FBX header)", "export the rig as FBX")


def read_fbx_ufbx(path, timeout: float = 120.0) -> Scene:
    """Read an FBX rig (meshes, blend shapes, weight animation) as a cm, Y-up Scene."""
    path = os.path.abspath(os.fspath(path))
    _sniff(path)
    check_fbx_sizes(path)           # no array larger than the file can hold reaches ufbx
    return run_isolated(__name__, "_read_in_child", path, timeout=timeout)


# ----------------------------------------------------------------------------- child side


def _arr(x, dtype, width: int = 0) -> np.ndarray:
    """A ufbx list as an array: one buffer copy for the lists that expose their memory
    (vectors, faces), one C-level pass over the values for the others (Uint32List)."""
    _KEEP.append(x)
    try:
        a = np.asarray(memoryview(x), dtype=dtype)
    except TypeError:
        a = np.array(list(x), dtype=dtype) if width else np.fromiter(x, dtype=dtype, count=len(x))
    return a.reshape(-1, width) if width else a.reshape(-1)


def reverse_polygons(corners: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Each polygon's corners in reverse order (``corners`` flat, ``counts`` per polygon)."""
    counts = np.asarray(counts, dtype=np.int64)
    first = np.repeat(np.cumsum(counts) - counts, counts)
    last = first + np.repeat(counts, counts) - 1
    return corners[first + last - np.arange(len(corners))]


def _axes_matrix(axes) -> np.ndarray:
    """Rows map the file's right/up/front axes onto +X/+Y/+Z."""
    m = np.zeros((3, 3))
    for row, axis in enumerate((axes.right, axes.up, axes.front)):
        value = int(axis)
        if value > 5:
            return np.eye(3)
        m[row, value // 2] = -1.0 if value % 2 else 1.0
    return m if abs(np.linalg.det(m)) > 0.5 else np.eye(3)


def _per_vertex(attr, corner_vertex: np.ndarray, nverts: int, width: int, keep: list):
    """(per-vertex values or None, per-corner values or None) for a ufbx vertex attribute."""
    keep.append(attr)
    if not attr.exists:
        return None, None
    values, indices = attr.values, attr.indices
    keep += [values, indices]
    vals = _arr(values, np.float64, width)
    idx = _arr(indices, np.int64)
    if len(idx) != len(corner_vertex) or (len(idx) and (idx.min() < 0 or idx.max() >= len(vals))):
        return None, None
    corner = vals[idx]
    pv = np.full((nverts, width), np.nan)
    pv[corner_vertex] = corner
    if np.isnan(pv).any() or not np.allclose(pv[corner_vertex], corner, atol=1e-6):
        return None, corner
    return pv, corner


def _fail(path: str, problem: str, field: str, fix: str) -> MicroExprError:
    return MicroExprError(problem, file=path, field=field, fix=fix)


def _read_mesh(path, m, xf, keep):
    nodes = list(m.instances)
    keep.append(nodes)
    name = (nodes[0].name if nodes else "") or m.name or "mesh"
    lin = xf["A"].copy()
    shift = np.zeros(3)
    if nodes:
        g = nodes[0].geometry_to_world
        keep.append(g)
        cols = [np.array(c, dtype=np.float64) for c in g]
        lin = xf["A"] @ np.column_stack(cols[:3])
        shift = xf["A"] @ cols[3]
    lin_pts, shift = lin * xf["scale"], shift * xf["scale"]
    if abs(np.linalg.det(lin)) < 1e-12:
        raise _fail(path, "mesh %r has a singular transform" % name, "Model", "freeze transforms")
    lin_nrm = np.linalg.inv(lin).T
    verts, corners, faces = m.vertices, m.vertex_indices, m.faces
    keep += [verts, corners, faces]
    points = _arr(verts, np.float64, 3)
    cv = _arr(corners, np.int64)
    fc = _arr(faces, np.int64, 2)
    n = len(points)
    if not np.all(np.isfinite(points)) or (len(cv) and (cv.min() < 0 or cv.max() >= n)):
        raise _fail(path, "mesh %r has bad vertices or indices" % name, "Geometry",
                    "re-export the mesh")
    counts = fc[:, 1] if len(fc) else np.zeros(0, dtype=np.int64)
    keep_face = counts >= 3
    sel = np.repeat(keep_face, counts) if len(fc) else np.zeros(0, dtype=bool)
    if len(fc) and (fc[0, 0] != 0 or np.any(fc[1:, 0] != np.cumsum(counts)[:-1])):
        sel = np.zeros(len(cv), dtype=bool)                 # faces out of corner order
        begin, count = fc[keep_face, 0], fc[keep_face, 1]
        pos = np.repeat(begin - (np.cumsum(count) - count), count) + np.arange(count.sum())
        sel[pos[pos < len(cv)]] = True
    extras: Dict[str, object] = {"fbx_mesh": m.name}
    if not np.all(keep_face):
        extras["dropped_faces"] = int((~keep_face).sum())
    normals, _ = _per_vertex(m.vertex_normal, cv, n, 3, keep)
    uvs, corner_uvs = _per_vertex(m.vertex_uv, cv, n, 2, keep)
    if normals is not None:
        normals = normals @ lin_nrm.T
        normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    order = np.flatnonzero(sel)
    fcount = counts[keep_face]
    if np.linalg.det(lin) < 0 and len(order):   # mirrored: reverse polygons to keep facing
        order = reverse_polygons(order, fcount)
    fi = cv[order]
    if uvs is None and corner_uvs is not None:
        extras["corner_uvs"] = corner_uvs[order]
    mesh = Mesh(name, points @ lin_pts.T + shift, fcount, fi, uvs=uvs, normals=normals,
                extras=extras)
    channels, ids = _read_channels(path, m, name, n, lin_pts, lin_nrm, keep)
    return SceneMesh(mesh, channels), ids


def _read_channels(path, m, mesh_name, n, lin_pts, lin_nrm, keep):
    """The mesh's channels, and (element id, ufbx channel) for each, for the animation."""
    out: List[ShapeChannel] = []
    ids: list = []
    deformers = list(m.blend_deformers)
    keep.append(deformers)
    for d in deformers:
        chans = list(d.channels)
        keep.append(chans)
        for c in chans:
            name = strip_dcc_prefix(c.name, d.name)
            field = "BlendShapeChannel %r" % c.name
            if not name:
                raise _fail(path, "a blend-shape channel on %r has no name" % mesh_name, field,
                            "name every blend-shape target in the DCC tool")
            if any(ch.name == name for ch in out):
                raise _fail(path, "channel %r appears twice on mesh %r" % (name, mesh_name),
                            field, "rename the targets so each is unique on its mesh")
            kfs = list(c.keyframes)
            keep.append(kfs)
            frames = []
            for kf in kfs:
                sh = kf.shape
                keep.append(sh)
                idx = _arr(sh.offset_vertices, np.int64)
                pos = _arr(sh.position_offsets, np.float64, 3)
                nrm = _arr(sh.normal_offsets, np.float64, 3)
                if len(pos) != len(idx) or (len(idx) and (idx.min() < 0 or idx.max() >= n)) \
                        or not np.all(np.isfinite(pos)) or len(np.unique(idx)) != len(idx):
                    raise _fail(path, "shape %r has bad indices or offsets" % sh.name, field,
                                "re-export the blend-shape target")
                nd = nrm @ lin_nrm.T if len(nrm) == len(idx) and np.any(nrm) \
                    and np.all(np.isfinite(nrm)) else None
                frames.append(ShapeFrame(float(kf.target_weight), idx, pos @ lin_pts.T, nd))
            if not frames:
                continue
            frames.sort(key=lambda f: f.weight)
            weights = [f.weight for f in frames]
            if abs(weights[-1] - 1.0) > 1e-6 or weights[0] <= 0.0 \
                    or len(set(weights)) != len(weights):
                raise _fail(path, "channel %r has target weights %s" % (name, weights), field,
                            "give each channel one full target at 100 and in-betweens below it")
            frames[-1].weight = 1.0
            out.append(ShapeChannel(name, frames))
            ids.append((c.element_id, c))
    return out, ids


def _read_animation(path, fbx, meshes, chan_ids, keep) -> Optional[WeightAnimation]:
    stacks = list(fbx.anim_stacks)
    keep.append(stacks)
    if not stacks:
        return None
    stack = stacks[0]
    anim = stack.anim
    layers = list(stack.layers)
    keep += [anim, layers]
    animated = set()
    for layer in layers:
        props = list(layer.anim_props)
        keep.append(props)
        for ap in props:
            if ap.prop_name == "DeformPercent":
                el = ap.element
                keep.append(el)
                animated.add(el.element_id)
    picks, names = [], []
    for sm, ids in zip(meshes, chan_ids):
        for ch, (eid, wrapper) in zip(sm.channels, ids):
            if eid in animated and ch.name not in names:
                names.append(ch.name)
                picks.append(wrapper)
    if not picks:
        return None
    fps = float(fbx.settings.frames_per_second)
    if not np.isfinite(fps) or fps <= 0:
        fps = 30.0
    t0, t1 = float(stack.time_begin), float(stack.time_end)
    count = round((t1 - t0) * fps) + 1 if np.isfinite(t1 - t0) and t1 >= t0 else 1
    if count > MAX_SAMPLES:
        raise _fail(path, "animation is %d frames long" % count, "AnimationStack",
                    "trim the take to the facial performance")
    times = t0 + np.arange(count) / fps
    weights = np.array([[c.evaluate_blend_weight(anim, float(t)) for c in picks] for t in times])
    return WeightAnimation(fps, names, weights.reshape(count, len(picks)), start_time=t0)


def _read_in_child(path: str) -> Scene:
    """Runs in the child process: load with ufbx and build the Scene."""
    import gc

    import ufbx  # type: ignore[import-untyped]

    gc.disable()        # ufbx wrappers crash when the cycle collector frees them
    keep = _KEEP        # every wrapper stays alive until the child exits (os._exit)
    try:
        fbx = ufbx.load_file(path, file_format=ufbx.FileFormat.FBX, load_external_files=False,
                             ignore_embedded=True)
    except ufbx.UfbxError as e:
        raise _fail(path, "ufbx cannot read it (%s: %s)" % (type(e).__name__, e), "FBX",
                    "re-export the file from the DCC tool as binary FBX 7.4+") from None
    keep.append(fbx)
    settings = fbx.settings
    unit = float(settings.unit_meters)
    scale = unit / 0.01 if np.isfinite(unit) and unit > 0 else 1.0
    axes = settings.axes
    xf = {"A": _axes_matrix(axes), "scale": scale}
    keep += [settings, axes]
    meshes, chan_ids = [], []
    elements = list(fbx.meshes)
    keep.append(elements)
    for m in elements:
        sm, ids = _read_mesh(path, m, xf, keep)
        meshes.append(sm)
        chan_ids.append(ids)
    if not meshes:
        raise _fail(path, "the file has no meshes", "Objects", "export the face mesh with it")
    used = set()
    for sm in meshes:                          # node names may repeat; Scene needs unique names
        base, k = sm.mesh.name, 1
        while sm.mesh.name in used:
            k += 1
            sm.mesh.name = "%s_%d" % (base, k)
        used.add(sm.mesh.name)
    animation = _read_animation(path, fbx, meshes, chan_ids, keep)
    stem = os.path.splitext(os.path.basename(path))[0]
    return Scene(meshes, animation, unit="cm", up_axis="Y", name=stem)
