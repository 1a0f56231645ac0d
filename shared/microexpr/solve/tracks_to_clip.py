"""From landmark tracks to a clip: key weights, then the bounded solver."""
from __future__ import annotations

from typing import Optional

import numpy as np

from microexpr._version import __version__
from microexpr.bridge import Clip, Rig
from microexpr.solve.key_weights import KeyWeights, key_weights
from microexpr.solve.projected_solver import ProjectedSolver
from microexpr.solve.tracks import Tracks
from microexpr.solve.weight_solver import WeightSolver

DEFAULT_REG = 1e-3
DEFAULT_TEMPORAL = 0.0


#: A target whose landmark motion the neutral camera sees at less than this share of its 3-D
#: size (a lip roll, a funnel: motion in depth) is pinned for 2-D tracks: noise would drive it.
MIN_VISIBILITY = 0.3


def visibility(basis3: np.ndarray, view0: Optional[np.ndarray]) -> np.ndarray:
    """Per target: |landmark motion seen by the neutral camera| / (camera scale * |3-D motion|);
    1 for 3-D tracks (``view0`` None), 0 for a target that moves no landmark."""
    B3 = np.asarray(basis3, dtype=np.float64)
    n3 = np.sqrt(np.einsum("ljt,ljt->t", B3, B3))
    if view0 is None:
        return np.where(n3 > 0, 1.0, 0.0)
    seen = np.einsum("ij,ljt->lit", view0, B3)
    n2 = np.sqrt(np.einsum("lit,lit->t", seen, seen))
    scale = float(np.linalg.norm(view0[0]))
    with np.errstate(all="ignore"):
        return np.where(n3 > 0, n2 / (scale * n3), 0.0)


def pinned_targets(rig: Rig, kw: KeyWeights) -> np.ndarray:
    """Targets held at 0: flagged unobservable in the rig, moving no landmark, or (2-D tracks)
    seen by the camera at less than ``MIN_VISIBILITY`` of their size."""
    return ~rig.observable_mask() | (visibility(rig.landmark_delta_matrix(), kw.view0) < MIN_VISIBILITY)


def solve_key_weights(rig: Rig, kw: KeyWeights, reg: float = DEFAULT_REG,
                      temporal: float = DEFAULT_TEMPORAL,
                      pinned: Optional[np.ndarray] = None) -> np.ndarray:
    """Weights (F, T) for key weights; pinned targets (default ``pinned_targets``) stay at 0."""
    if pinned is None:
        pinned = pinned_targets(rig, kw)
    if kw.cameras is not None:
        if kw.view0 is None:
            raise ValueError("key weights with per-frame cameras (2-D rigid) need view0")
        ps = ProjectedSolver(rig.landmark_delta_matrix(), kw.view0, reg=reg, temporal=temporal,
                             pinned=pinned)
        return ps.solve(kw.deltas, kw.cameras, kw.confidence, kw.valid)
    solver = WeightSolver(kw.basis, kw.k, reg=reg, temporal=temporal, pinned=pinned)
    return solver.solve(kw.deltas, kw.confidence, kw.valid)


def solve_tracks(rig: Rig, tracks: Tracks, mode: str = "rigid", neutral_frame: int = 0,
                 fps: Optional[float] = None, reg: float = DEFAULT_REG,
                 temporal: float = DEFAULT_TEMPORAL, mirrored: bool = False) -> Clip:
    """Solve bounded weights for every frame. Frames without data are marked invalid in the
    clip and hold the last valid weights (``hold_invalid``); nothing is invented."""
    if mirrored:
        tracks = tracks.mirrored()
    kw = key_weights(rig.landmark_delta_matrix(), rig.neutral_landmarks(), tracks, mode,
                     neutral_frame, rig.landmarks.rigid, rig.landmarks.reference_points)
    pinned = pinned_targets(rig, kw)
    W = np.clip(solve_key_weights(rig, kw, reg, temporal, pinned), 0.0, 1.0)
    rate = float(fps) if fps else tracks.fps()
    start = float(tracks.times[0]) if tracks.times is not None and np.isfinite(tracks.times[0]) else 0.0
    report = dict(kw.report)
    report.update({"reg": reg, "temporal": temporal, "mirrored": mirrored,
                   "tracks": tracks.source, "frames": tracks.frames,
                   "pinned_targets": [t.name for t, p in zip(rig.targets, pinned) if p]})
    return Clip(generator="microexpr " + __version__, fps=rate, start_time=start,
                targets=rig.target_names(), weights=W.tolist(), valid=kw.valid.tolist(),
                hold_invalid=True, rig_fingerprint=rig.mesh().fingerprint,
                source={"kind": "solve", **report})
