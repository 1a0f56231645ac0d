"""Rigs whose landmarks do not move linearly with the weights, and tracks made by
``rig.build.evaluate`` (the mesh's own piecewise-linear in-betweens and combinations: a ground
truth that does not come from the landmark frames the solve uses)."""
from __future__ import annotations

from typing import Optional, Sequence

import numpy as np

from microexpr import bridge as B
from microexpr.rig.build import dense_deltas, evaluate, rig_from_targets, sparse_frame
from microexpr.rig.curves import landmark_frames
from microexpr.solve.synthetic_tracks import pose_landmarks
from microexpr.solve.tracks import Tracks, finish_tracks


def nonlinear_rig(base: B.Rig, landmark_vertices, every: int = 3, combination: bool = True,
                  solve_set: Optional[Sequence[str]] = None) -> B.Rig:
    """``base``'s targets with an in-between at 0.5 on every ``every``-th one (a quarter of
    the target plus a fifth of another: off the straight path), and, with ``combination``,
    a corrective of jawOpen x mouthSmile_L."""
    names = base.target_names()
    D = dense_deltas(base)
    targets = {n: D[i] for i, n in enumerate(names)}
    inbetweens = {}
    if every:
        inbetweens = {names[i]: {0.5: 0.25 * D[i] + 0.2 * D[(i + 7) % len(names)]}
                      for i in range(0, len(names), every)}
    mesh = base.mesh()
    from microexpr.rig.build import mesh_from_data

    rig = rig_from_targets(mesh_from_data(mesh), targets, landmark_vertices, inbetweens=inbetweens)
    doc = rig.model_dump()
    if combination:
        corr = -0.5 * D[names.index("mouthSmile_L")] + 0.4 * D[names.index("mouthUpperUp_L")]
        comb = B.Combination(name="jawOpen_x_mouthSmile_L", drivers=["jawOpen", "mouthSmile_L"],
                             shapes=[B.MeshShape(mesh=mesh.name, frames=[sparse_frame(corr)])])
        doc["combinations"] = [comb.model_dump()]
    doc["solve_set"] = None if solve_set is None else list(solve_set)
    rig = B.Rig.model_validate(doc)
    rig.landmark_deltas.frames = landmark_frames(rig)
    return B.Rig.model_validate(rig.model_dump())


def activations(frames: int, targets: int, seed: int = 0, only: Optional[Sequence[int]] = None,
                count: int = 40) -> np.ndarray:
    """Smooth bumps of weight on a few targets at a time (F, T), within 0-1."""
    rng = np.random.default_rng(seed)
    pick = np.arange(targets) if only is None else np.asarray(only)
    W = np.zeros((frames, targets))
    for _ in range(count):
        t0, k = int(rng.integers(frames)), int(rng.choice(pick))
        dur = int(rng.integers(20, 80))
        n = min(dur, frames - t0)
        W[t0:t0 + n, k] += np.sin(np.pi * np.arange(n) / dur) * rng.uniform(0.2, 0.9)
    return np.clip(W, 0.0, 1.0)


def landmarks(rig: B.Rig, W: np.ndarray) -> np.ndarray:
    """(F, 68, 3) landmarks of the evaluated mesh (vertex landmarks)."""
    lv = [p.vertex for p in rig.landmarks.points]
    return np.stack([evaluate(rig, w)[lv] for w in W])


def tracks(lm: np.ndarray, dims: int = 3, angles: Optional[np.ndarray] = None,
           confidence: Optional[np.ndarray] = None) -> Tracks:
    """3-D tracks of the landmarks, or 2-D image ones (14 px per unit, y down), posed."""
    F = len(lm)
    angles = np.zeros((F, 3)) if angles is None else angles
    posed = pose_landmarks(lm, angles, 14.0 if dims == 2 else 1.0)
    pts = posed[:, :, :dims].copy()
    if dims == 2:
        pts[:, :, 1] = 480.0 - pts[:, :, 1]
    conf = np.ones((F, 68)) if confidence is None else confidence
    return finish_tracks(pts, conf, np.arange(F) / 60.0, "<evaluate %d-D>" % dims, image_space=dims == 2)


def without_frames(rig: B.Rig) -> B.Rig:
    """The same rig without its landmark frames: the solve then stays linear."""
    doc = rig.model_dump()
    doc["landmark_deltas"]["frames"] = []
    return B.Rig.model_validate(doc)


# -- an FBX file written by hand (not by MicroExpr's writer) -----------------------------------
def _numbers(a, fmt="%.9g"):
    return ",".join(fmt % v for v in np.asarray(a).ravel())


def ascii_fbx(points, counts, corners, channels) -> str:
    """An ASCII FBX 7.4 file written by hand from the format's documented layout: one mesh,
    a BlendShape deformer, one BlendShapeChannel per channel with FullWeights (percent) and
    one Shape geometry per weight (in-betweens below 100)."""
    pvi, k = [], 0
    for c in counts:
        poly = list(corners[k:k + c])
        k += c
        poly[-1] = -poly[-1] - 1
        pvi += poly
    axes = [("UpAxis", 1), ("UpAxisSign", 1), ("FrontAxis", 2), ("FrontAxisSign", 1),
            ("CoordAxis", 0), ("CoordAxisSign", 1)]
    out = ["; FBX 7.4.0 project file", "FBXHeaderExtension:  {", "\tFBXHeaderVersion: 1003",
           "\tFBXVersion: 7400", "}", "GlobalSettings:  {", "\tVersion: 1000", "\tProperties70:  {"]
    out += ['\t\tP: "%s", "int", "Integer", "",%d' % a for a in axes]
    out += ['\t\tP: "UnitScaleFactor", "double", "Number", "",1', "\t}", "}", "Objects:  {",
            '\tGeometry: 100, "Geometry::head", "Mesh" {',
            "\t\tVertices: *%d {" % np.size(points), "\t\t\ta: " + _numbers(points), "\t\t}",
            "\t\tPolygonVertexIndex: *%d {" % len(pvi), "\t\t\ta: " + _numbers(pvi, "%d"), "\t\t}", "\t}",
            '\tModel: 200, "Model::head", "Mesh" {', "\t\tVersion: 232", "\t}",
            '\tDeformer: 300, "Deformer::blendShape1", "BlendShape" {', "\t\tVersion: 100", "\t}"]
    links = ['\tC: "OO",200,0', '\tC: "OO",100,200', '\tC: "OO",300,100']
    oid = 1000
    for name, frames in channels:
        cid, oid = oid, oid + 1
        out += ['\tDeformer: %d, "SubDeformer::%s", "BlendShapeChannel" {' % (cid, name), "\t\tVersion: 100",
                "\t\tDeformPercent: 0", "\t\tFullWeights: *%d {" % len(frames),
                "\t\t\ta: " + _numbers([f[0] for f in frames]), "\t\t}", "\t}"]
        links.append('\tC: "OO",%d,300' % cid)
        for percent, idx, off in frames:
            sid, oid = oid, oid + 1
            out += ['\tGeometry: %d, "Geometry::%s_%d", "Shape" {' % (sid, name, percent), "\t\tVersion: 100",
                    "\t\tIndexes: *%d {" % len(idx), "\t\t\ta: " + _numbers(idx, "%d"), "\t\t}",
                    "\t\tVertices: *%d {" % np.size(off), "\t\t\ta: " + _numbers(off), "\t\t}", "\t}"]
            links.append('\tC: "OO",%d,%d' % (sid, cid))
    return "\n".join(out + ["}", "Connections:  {"] + links + ["}", ""])


def handmade_fbx_text(face) -> str:
    """Three channels on the default face, as an ASCII FBX: brows up with an in-between that
    bulges forward (so the path turns a corner), a jaw drop with two in-betweens, a plain smile."""
    p = face.skin.points
    brow = (p[:, 1] > 2.0).astype(float)
    jaw = np.clip((-1.5 - p[:, 1]) / 3.0, 0.0, 1.0)
    smile = np.exp(-((p[:, 0] - 2.0) ** 2 + (p[:, 1] + 2.5) ** 2) / 2.0)
    zero = np.zeros(len(p))

    def frames(dense_by_percent):
        out = []
        for pct, dense in dense_by_percent:
            idx = np.nonzero(np.abs(dense).max(axis=1) > 1e-9)[0]
            out.append((pct, idx, dense[idx]))
        return out

    up = np.stack([zero, 0.3 * brow, zero], axis=1)
    fwd = np.stack([zero, zero, 0.15 * brow], axis=1)
    down = np.stack([zero, -0.8 * jaw, 0.1 * jaw], axis=1)
    out = np.stack([zero, zero, 0.3 * jaw], axis=1)
    side = np.stack([0.25 * smile, 0.2 * smile, zero], axis=1)
    return ascii_fbx(p, face.skin.face_counts, face.skin.face_indices, [
        ("browsUp", frames([(50, 0.2 * up + fwd), (100, up)])),
        ("jawDrop", frames([(25, 0.1 * down + out), (60, 0.7 * down + 0.5 * out), (100, down)])),
        ("smile_L", frames([(100, side)]))])
