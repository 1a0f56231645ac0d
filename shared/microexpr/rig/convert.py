"""Between rigs and format-neutral scenes (what FBX/glTF writers take and importers return)."""
from __future__ import annotations

from typing import List, Optional, Sequence

import numpy as np

from microexpr import bridge as B
from microexpr.atomicio import transaction
from microexpr.errors import MicroExprError
from microexpr.formats.scene import Scene, SceneMesh, ShapeChannel, ShapeFrame, WeightAnimation
from microexpr.mesh import Mesh
from microexpr.rig.build import mesh_from_data, rig_from_targets


def rig_to_scene(rig: B.Rig, clip: Optional[B.Clip] = None) -> Scene:
    """Every mesh of the rig with its channels (targets and combinations), plus the clip."""
    meshes = []
    for m in rig.meshes:
        channels = []
        for t in list(rig.targets) + list(rig.combinations):
            for s in t.shapes:
                if s.mesh != m.name:
                    continue
                frames = [ShapeFrame(f.weight, np.asarray(f.indices, dtype=np.int64),
                                     np.asarray(f.deltas, dtype=np.float64).reshape(-1, 3),
                                     None if f.normal_deltas is None else
                                     np.asarray(f.normal_deltas, dtype=np.float64).reshape(-1, 3))
                          for f in s.frames]
                channels.append(ShapeChannel(t.name, frames))
        meshes.append(SceneMesh(mesh_from_data(m), channels))
    anim = None
    if clip is not None:
        W = clip.weight_array()
        names = list(clip.targets)
        known = set(rig.target_names())
        unknown = [n for n in names if n not in known]
        if unknown:
            raise MicroExprError("the clip drives targets the rig lacks: %s" % ", ".join(unknown[:5]),
                                 field="targets", fix="export the clip with the rig it was made for")
        combos = [(c.name, [names.index(d) for d in c.drivers]) for c in rig.combinations]
        if combos:
            extra = np.stack([np.prod(W[:, idx], axis=1) for _, idx in combos], axis=1)
            W = np.concatenate([W, extra], axis=1)
            names += [n for n, _ in combos]
        anim = WeightAnimation(clip.fps, names, W, clip.start_time)
    return Scene(meshes, anim, unit=rig.units.length, up_axis=rig.units.axes.up, name=rig.name)


def scene_to_rig(scene: Scene, landmark_vertices, source: str = "<scene>") -> B.Rig:
    """A rig from an imported scene: the first mesh is the skin, the others travel along."""
    if not scene.meshes:
        raise MicroExprError("holds no mesh", file=source, fix="export the face mesh with its shapes")
    skin = scene.meshes[0]
    if not skin.channels:
        raise MicroExprError("the mesh %r has no blend shapes" % skin.mesh.name, file=source,
                             field="blend shapes", fix="export the mesh with its blend shapes")
    _check_names(skin.channels, source)
    n = skin.mesh.vertex_count
    targets, inbetweens = {}, {}
    for ch in skin.channels:
        targets[ch.name] = ch.full.dense(n)
        inbetweens[ch.name] = {f.weight: f.dense(n) for f in ch.frames[:-1]}
    rig = rig_from_targets(skin.mesh, targets, landmark_vertices, unit=scene.unit,
                           extra_meshes=[m.mesh for m in scene.meshes[1:]],
                           inbetweens=inbetweens, source=source)
    by_name = {t.name: t for t in rig.targets}
    for sm in scene.meshes[1:]:
        for ch in sm.channels:
            if ch.name not in by_name:
                raise MicroExprError("mesh %r has channel %r that the skin lacks"
                                     % (sm.mesh.name, ch.name), file=source, field=ch.name,
                                     fix="give every mesh's channels the skin's names")
            by_name[ch.name].shapes.append(B.MeshShape(mesh=sm.mesh.name, frames=[
                B.ShapeFrame(weight=f.weight, indices=np.asarray(f.indices),
                             deltas=np.asarray(f.deltas).reshape(-1, 3)) for f in ch.frames]))
    return B.Rig.model_validate(rig.model_dump())


def _check_names(channels: Sequence[ShapeChannel], source: str) -> None:
    names = [c.name for c in channels]
    if any(not n.strip() for n in names):
        raise MicroExprError("a blend shape has an empty name", file=source, field="blend shapes",
                             fix="name every blend-shape target")
    dup = sorted({n for n in names if names.count(n) > 1})
    if dup:
        raise MicroExprError("duplicate blend-shape names: %s" % ", ".join(dup), file=source,
                             field="blend shapes", fix="give every target a unique name")


def rig_from_obj_targets(neutral: Mesh, targets: List[Mesh], landmark_vertices,
                         unit: str = "cm") -> B.Rig:
    """A rig from a neutral OBJ and target OBJs of the same topology (name = file stem); the
    same name twice (one file given twice, or two folders with one stem) is refused."""
    _check_names([ShapeChannel(t.name, []) for t in targets], "--targets")
    dense = {}
    for t in targets:
        if t.vertex_count != neutral.vertex_count or not (
                np.array_equal(t.face_counts, neutral.face_counts)
                and np.array_equal(t.face_indices, neutral.face_indices)):
            raise MicroExprError("topology differs from the neutral (%d vs %d vertices, or other "
                                 "polygons)" % (t.vertex_count, neutral.vertex_count),
                                 file=t.name + ".obj", field="mesh",
                                 fix="export every target from the neutral mesh without "
                                     "changing its vertices or polygons")
        dense[t.name] = t.points - neutral.points
    _check_names([ShapeChannel(n, []) for n in dense], "--targets")
    return rig_from_targets(neutral, dense, landmark_vertices, unit=unit, source="--targets")


def import_rig(landmark_vertices, source: Optional[str] = None, neutral: Optional[str] = None,
               targets: Sequence[str] = (), unit: str = "cm") -> B.Rig:
    """A rig from files: ``source`` (FBX, glTF/GLB or Collada with blend shapes), or a
    ``neutral`` OBJ plus ``targets`` (OBJ files, or folders of them; name = file stem).

    ``landmark_vertices`` is a landmark-vertex file (68 0-based indices) or the indices.

        rig = import_rig("head_lm.txt", source="head.fbx")
        rig = import_rig("head_lm.txt", neutral="neutral.obj", targets=["shapes/"])
    """
    from microexpr.formats.obj import read_obj
    from microexpr.landmarks import read_landmark_vertices

    def indices(count: int):
        if isinstance(landmark_vertices, (str, bytes)) or hasattr(landmark_vertices, "__fspath__"):
            return read_landmark_vertices(landmark_vertices, count)
        return landmark_vertices

    if source:
        from microexpr.formats.readers import read_scene

        scene = read_scene(source)
        return scene_to_rig(scene, indices(scene.meshes[0].mesh.vertex_count), source=source)
    if not neutral or not targets:
        raise MicroExprError("give --neutral and --targets, or --from", field="--neutral",
                             fix="see 'microexpr rig import --help'")
    base = read_obj(neutral, name="skin")
    shapes = read_targets(target_files(targets), base)
    return rig_from_obj_targets(base, shapes, indices(base.vertex_count), unit=unit)


def read_targets(files: Sequence[str], neutral: Mesh, workers: Optional[int] = None) -> List[Mesh]:
    """The target OBJs in the order given, read by up to ``workers`` threads (default: one
    per CPU, at most 4; numpy parses with the GIL released). A target whose polygons are the
    neutral's shares the neutral's arrays and drops its UVs, so a big rig holds one copy of
    its topology. The first file in the order that fails raises its error (naming it)."""
    import os
    from concurrent.futures import ThreadPoolExecutor

    from microexpr.formats.obj import read_obj

    def read(path: str) -> Mesh:
        m = read_obj(path)
        if (np.array_equal(m.face_counts, neutral.face_counts)
                and np.array_equal(m.face_indices, neutral.face_indices)):
            return Mesh(m.name, m.points, neutral.face_counts, neutral.face_indices)
        return m

    workers = max(1, min(workers or os.cpu_count() or 1, 4, len(files)))
    if workers == 1:
        return [read(f) for f in files]
    with ThreadPoolExecutor(workers) as pool:
        jobs = [pool.submit(read, f) for f in files]
        try:
            return [job.result() for job in jobs]
        except BaseException:
            for job in jobs:
                job.cancel()
            raise


def target_files(items: Sequence[str]) -> List[str]:
    """OBJ files named directly or found in the folders named (sorted per folder)."""
    import glob
    import os

    files: List[str] = []
    for item in items:
        if os.path.isdir(item):
            files += sorted(glob.glob(os.path.join(item, "*.obj")))
        else:
            files.append(item)
    if not files:
        raise MicroExprError("no target .obj files found", field="--targets",
                             fix="pass a folder of .obj files or the files themselves")
    return files


def export_rig(rig: B.Rig, clip: Optional[B.Clip] = None, fbx: Optional[str] = None,
               glb: Optional[str] = None, gltf: Optional[str] = None,
               fbx_version: int = 7400, clip_file: Optional[str] = None) -> List[str]:
    """Write the rig (and the clip, as animated weights) as FBX and/or glTF; returns the paths.

    FBX is binary 7.4 (or 7500), centimetres, Y up, DeformPercent 0-100; ``glb`` is binary
    glTF 2.0 and ``gltf`` JSON glTF with the buffer embedded (metres, Y up, weights 0-1).
    The files are replaced together when all are written: on an error none is.

        export_rig(rig, clip, fbx="face.fbx", glb="face.glb")
    """
    if not (fbx or glb or gltf):
        raise MicroExprError("nothing to write", field="--fbx/--glb/--gltf",
                             fix="name at least one output file")
    if clip is not None and clip.rig_fingerprint and clip.rig_fingerprint != rig.mesh().fingerprint:
        raise MicroExprError("the clip was made for another mesh (fingerprint %s, rig %s)"
                             % (clip.rig_fingerprint, rig.mesh().fingerprint), file=clip_file,
                             field="rig_fingerprint", fix="export the clip with its own rig")
    scene = rig_to_scene(rig, clip)
    written: List[str] = []
    with transaction():             # all files replaced together, or none
        if fbx:
            from microexpr.formats.fbx_export import write_fbx

            write_fbx(scene, fbx, version=fbx_version)
            written.append(fbx)
        for out in (glb, gltf):
            if out:
                from microexpr.formats.gltf_export import write_gltf

                write_gltf(scene, out)
                written.append(out)
    return written
