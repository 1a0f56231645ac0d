"""Building rigs: from presets (soft-mods on a mesh) or from existing target shapes."""
from __future__ import annotations

from typing import Dict, Iterable, List, Mapping, Optional, Sequence

import numpy as np

from microexpr import bridge as B
from microexpr._version import __version__
from microexpr.errors import MicroExprError
from microexpr.landmarks import MIRROR, REFERENCE_POINT, RIGID
from microexpr.mesh import Mesh
from microexpr.rig.presets import face_frame, preset_targets

SPARSE_EPS = 1e-7


def mesh_data(mesh: Mesh, role: str = "skin") -> B.MeshData:
    return B.MeshData(name=mesh.name, role=role, fingerprint=mesh.fingerprint(),
                      points=mesh.points, face_counts=mesh.face_counts,
                      face_indices=mesh.face_indices, uvs=mesh.uvs)


def mesh_from_data(m: B.MeshData) -> Mesh:
    """A Mesh with its own copy of the rig mesh's arrays."""
    return Mesh(m.name, np.array(m.points, dtype=np.float64), np.array(m.face_counts),
                np.array(m.face_indices), uvs=None if m.uvs is None else np.array(m.uvs, dtype=np.float64))


def sparse_frame(dense: np.ndarray, weight: float = 1.0, eps: float = SPARSE_EPS,
                 normal_deltas: Optional[np.ndarray] = None) -> B.ShapeFrame:
    idx = np.nonzero(np.abs(dense).max(axis=1) > eps)[0]
    return B.ShapeFrame(weight=weight, indices=idx, deltas=dense[idx],
                        normal_deltas=None if normal_deltas is None else normal_deltas[idx])


def dense_deltas(rig: B.Rig, mesh: Optional[str] = None, weight: float = 1.0) -> np.ndarray:
    """(T, N, 3) full-weight offsets of every target on one mesh (default: the landmark mesh)."""
    m = rig.mesh(mesh)
    out = np.zeros((len(rig.targets), len(m.points), 3))
    for t, target in enumerate(rig.targets):
        for s in target.shapes:
            if s.mesh == m.name:
                f = s.frames[-1]
                out[t, f.indices] = f.deltas
    return out


def mirror_vertex_map(points: np.ndarray, lm: np.ndarray, tol: float) -> np.ndarray:
    """Each vertex's mirror across the face's mid-plane (-1 where none lies within ``tol``)."""
    from scipy.spatial import cKDTree

    frame, _ = face_frame(lm)
    origin = lm[[27, 28, 29, 30, 33, 51, 57, 62, 66, 8]].mean(axis=0)
    local = (points - origin) @ frame.T
    local[:, 0] = -local[:, 0]
    dist, idx = cKDTree((points - origin) @ frame.T).query(local)
    return np.where(dist <= tol, idx, -1).astype(np.int64)


def rigid_landmarks(deltas: np.ndarray, observable: Optional[np.ndarray] = None,
                    share: float = 0.1) -> List[int]:
    """The landmarks that remove head motion for this rig: OpenFace's rigid set without the
    points the rig's own targets move by more than ``share`` of a typical target's motion
    (a squint lifts the lower lids, a sneer the nose base). ``deltas`` is (T, 68, 3).

    With fewer than 8 such points, the 12 least-moving landmarks of the whole face are used.
    """
    d = np.asarray(deltas, dtype=np.float64)
    if observable is not None:
        d = d[np.asarray(observable, bool)]
    if not len(d):
        return list(RIGID)
    motion = np.linalg.norm(d, axis=2)              # (T, 68)
    per_landmark = motion.max(axis=0)
    typical = float(np.median(motion.max(axis=1)))
    keep = [i for i in RIGID if per_landmark[i] <= share * typical]
    if len(keep) >= 8:
        return keep
    return sorted(int(i) for i in np.argsort(per_landmark, kind="stable")[:12])


def _pairs(names: Sequence[str]) -> List[List[str]]:
    out = []
    for n in names:
        if n.endswith("_L") and n[:-2] + "_R" in names:
            out.append([n, n[:-2] + "_R"])
    for a, b in (("mouthLeft", "mouthRight"), ("jawLeft", "jawRight")):
        if a in names and b in names:
            out.append([a, b])
    return out


def rig_from_targets(mesh: Mesh, targets: Mapping[str, np.ndarray], landmark_vertices,
                     unit: str = "cm", infos: Optional[Mapping[str, B.TargetInfo]] = None,
                     softmods: Optional[Mapping[str, list]] = None,
                     extra_meshes: Iterable[Mesh] = (), name: str = "face",
                     inbetweens: Optional[Mapping[str, Dict[float, np.ndarray]]] = None,
                     source: str = "<targets>") -> B.Rig:
    """A rig from dense (N, 3) offsets per target name on ``mesh``."""
    lv = np.asarray(landmark_vertices, dtype=np.int64)
    if lv.shape != (68,):
        raise MicroExprError("needs 68 landmark vertices, got %d" % lv.size, file=source,
                             field="landmark_vertices", fix="give one vertex per iBUG-68 landmark")
    if lv.max() >= mesh.vertex_count:
        raise MicroExprError("landmark vertex %d is beyond the mesh's %d vertices"
                             % (lv.max(), mesh.vertex_count), file=source,
                             field="landmark_vertices", fix="use vertex indices of this mesh")
    from microexpr.bridge.models import LandmarkFrame

    infos = infos or {}
    softmods = softmods or {}
    inbetweens = inbetweens or {}
    out_targets, ldeltas, lframes = [], [], []
    for tname, dense in targets.items():
        dense = np.asarray(dense, dtype=np.float64)
        if dense.shape != mesh.points.shape:
            raise MicroExprError("target %r has %d points, the neutral has %d"
                                 % (tname, dense.reshape(-1, 3).shape[0], mesh.vertex_count),
                                 file=source, field="targets." + tname,
                                 fix="targets must share the neutral mesh's topology")
        if not np.all(np.isfinite(dense)):
            raise MicroExprError("target %r has NaN or infinite points" % tname, file=source,
                                 field="targets." + tname, fix="clean the target mesh")
        between = sorted(inbetweens.get(tname, {}).items())
        frames = [sparse_frame(np.asarray(d, dtype=np.float64), w) for w, d in between]
        frames.append(sparse_frame(dense))
        lframes += [LandmarkFrame(shape=tname, weight=w, deltas=np.asarray(d, dtype=np.float64)[lv].tolist())
                    for w, d in between]
        out_targets.append(B.Target(
            name=tname, info=infos.get(tname, B.TargetInfo()),
            shapes=[B.MeshShape(mesh=mesh.name, frames=frames)],
            softmods=[B.SoftModSpec(**s.to_dict()) for s in softmods.get(tname, [])]))
        ldeltas.append(dense[lv])
    pts = mesh.points
    lm = pts[lv]
    _, size = face_frame(lm)
    names = list(targets)
    observable = np.array([infos.get(n, B.TargetInfo()).observable for n in names], dtype=bool)
    ldelta_matrix = np.asarray(ldeltas, dtype=np.float64).reshape(-1, 68, 3)
    rigid = rigid_landmarks(ldelta_matrix, observable)
    meshes = [mesh_data(mesh)] + [mesh_data(m, _role(m.name)) for m in extra_meshes]
    return B.Rig(
        generator="microexpr " + __version__, name=name, units=B.Units(length=unit),
        meshes=meshes, targets=out_targets,
        landmarks=B.Landmarks(mesh=mesh.name, points=[B.LandmarkPoint(vertex=int(v)) for v in lv],
                              neutral=lm, reference_points=[REFERENCE_POINT],
                              rigid=rigid),
        landmark_deltas=B.LandmarkDeltas(targets=names, deltas=ldelta_matrix, frames=lframes),
        symmetry=B.Symmetry(landmark_map=MIRROR.tolist(), target_pairs=_pairs(names),
                            vertex_maps={mesh.name: mirror_vertex_map(pts, lm, 0.02 * size)}))


def _role(name: str) -> str:
    for role in ("eyes", "teeth", "tongue", "lashes", "brows"):
        if role in name.lower():
            return role
    return "other"


def build_rig(mesh: Mesh, landmark_vertices, preset: str = "table1",
              extra_meshes: Iterable[Mesh] = (), unit: str = "cm", name: str = "face") -> B.Rig:
    """Generate one target per preset expression with its soft-mods (the paper's workflow)."""
    from microexpr.rig.falloff import edge_graph
    from microexpr.rig.softmod import softmod_deltas

    lv = np.asarray(landmark_vertices, dtype=np.int64)
    tris = mesh.triangles()
    specs = preset_targets(preset, mesh.points, tris, lv)
    graph = edge_graph(mesh.points, tris)
    targets, infos, mods = {}, {}, {}
    for spec in specs:
        targets[spec.name] = softmod_deltas(mesh.points, tris, spec.softmods, graph=graph)
        infos[spec.name] = B.TargetInfo(side=spec.side, region=spec.region, aus=spec.aus,
                                        observable=spec.observable, preset=preset,
                                        description=spec.description or None,
                                        mirror_of=spec.mirror_of)
        mods[spec.name] = spec.softmods
    return rig_from_targets(mesh, targets, lv, unit=unit, infos=infos, softmods=mods,
                            extra_meshes=extra_meshes, name=name)


def evaluate(rig: B.Rig, weights: Sequence[float], mesh: Optional[str] = None) -> np.ndarray:
    """Deformed points of one mesh for a weight vector: in-betweens interpolated linearly,
    combinations at the product of their drivers' weights (``rig.curves``)."""
    m = rig.mesh(mesh)
    pts = np.array(m.points, dtype=np.float64)
    w_by_name = dict(zip(rig.target_names(), weights))
    for target in rig.targets:
        w = float(w_by_name[target.name])
        if w == 0.0:
            continue
        for s in target.shapes:
            if s.mesh != m.name:
                continue
            pts += _frame_offsets(s.frames, w, len(pts))
    for comb in rig.combinations:
        w = float(np.prod([w_by_name[d] for d in comb.drivers]))
        for s in comb.shapes:
            if s.mesh == m.name and w:
                pts += _frame_offsets(s.frames, w, len(pts))
    return pts


def _frame_offsets(frames: List[B.ShapeFrame], w: float, n: int) -> np.ndarray:
    """Piecewise-linear through the in-between frames (0 -> first -> ... -> 1; the last
    segment continues beyond 1), as ``rig.curves`` defines it."""
    from microexpr.rig.curves import knots, segment_weights, slopes

    values = np.zeros((len(frames), n, 3))
    for k, f in enumerate(frames):
        values[k, f.indices] = f.deltas
    knot = knots(f.weight for f in frames)
    return np.tensordot(segment_weights(w, knot), slopes(knot, values), axes=1)
