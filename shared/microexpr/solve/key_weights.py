"""Key weights: landmark offsets D(n) per frame, with head motion compensated, and the basis
that maps target weights to those offsets.

Three compensation modes (E = a frame's landmarks, E_ori = the neutral frame's):

- ``raw``: D(n) = E(n) - E_ori(n)  (the paper's first formula; any head motion leaks in).
- ``reference``: D(n) = E(n) - E0 - D_ori(n), D_ori(n) = E_ori(n) - E0_ori  (the paper's
  second; E0 = the mean of the rig's reference points, removing translation only). Its basis
  is each target's landmark offsets minus the reference points' offsets.
- ``rigid``: head translation, rotation and scale are fitted on the rigid landmark set and
  removed, then the neutral is subtracted.
  3-D tracks: each frame is mapped onto the neutral frame by a weighted similarity Procrustes
  fit (Umeyama) on the rigid set.
  2-D tracks of the 3-D rig: a weak-perspective camera ``x = M X + t`` (M = s * the first two
  rows of a rotation) is fitted per frame on the rigid set, which models yaw and pitch, not
  only in-plane motion. The subject's neutral 3-D landmarks S0 are the rig's, moved in the
  image plane to match the neutral frame exactly. A frame's offsets are its residual
  ``r = x - (M S0 + t)``, and the target deltas are brought into that frame's image plane by
  the same camera: ``r ~ M B w`` (``projected_solver``). Both are divided by the frame's scale
  relative to the neutral (``s_n / s_0``), so moving toward the camera changes nothing.

The basis (``KeyWeights.basis``) is the rig's landmark delta matrix seen in the neutral
frame's view: for 2-D tracks ``M_0 B`` (pixels), for 3-D ``s_0 R_0 B`` (track units), so D and
the basis share units. In 2-D rigid mode ``KeyWeights.cameras`` holds each frame's camera.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT
from microexpr.solve.tracks import Tracks

MODES = ("raw", "reference", "rigid")
#: The unit camera looking at the rig from the front (+z toward the camera, y up): the camera
#: model's view of 2-D tracks where no frame decides it (pinned targets, performer offsets).
FRONTAL = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]])
MIN_RIGID = 6


def raw_deltas(E: np.ndarray, E_ori: np.ndarray) -> np.ndarray:
    """The paper's D(n) = E(n) - E_ori(n)."""
    return np.asarray(E, dtype=np.float64) - np.asarray(E_ori, dtype=np.float64)


def reference_deltas(E: np.ndarray, E0: np.ndarray, E_ori: np.ndarray,
                     E0_ori: np.ndarray) -> np.ndarray:
    """The paper's D(n) = E(n) - E0 - D_ori(n) with D_ori(n) = E_ori(n) - E0_ori."""
    D_ori = np.asarray(E_ori, dtype=np.float64) - np.asarray(E0_ori, dtype=np.float64)
    return np.asarray(E, dtype=np.float64) - np.asarray(E0, dtype=np.float64) - D_ori


def _wmean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted mean over axis -2. x (..., n, k), w (..., n)."""
    return (w[..., None, :] @ x)[..., 0, :] / w.sum(axis=-1)[..., None]


def similarity_fit(src: np.ndarray, dst: np.ndarray, w: Optional[np.ndarray] = None
                   ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted Umeyama fit ``dst ~ s R src + t``; batched over leading axes.

    Returns (s (...,), R (..., k, k), t (..., k)).
    """
    src = np.asarray(src, dtype=np.float64)
    dst = np.asarray(dst, dtype=np.float64)
    w = np.ones(src.shape[:-1]) if w is None else np.asarray(w, dtype=np.float64)
    ms, md = _wmean(src, w), _wmean(dst, w)
    a, b = src - ms[..., None, :], dst - md[..., None, :]
    wsum = w.sum(axis=-1)
    wa = w[..., None] * a
    cov = (b.swapaxes(-1, -2) @ wa) / wsum[..., None, None]
    var = np.sum(wa * a, axis=(-2, -1)) / wsum
    U, S, Vt = np.linalg.svd(cov)
    d = np.sign(np.linalg.det(U @ Vt))
    d = np.where(d == 0, 1.0, d)
    k = src.shape[-1]
    E = np.ones(S.shape)
    E[..., k - 1] = d
    R = U @ (E[..., :, None] * Vt)
    s = np.einsum("...i,...i->...", S, E) / var
    t = md - s[..., None] * np.einsum("...ij,...j->...i", R, ms)
    return s, R, t


def weak_perspective_fit(X: np.ndarray, x: np.ndarray, w: Optional[np.ndarray] = None
                         ) -> Tuple[np.ndarray, np.ndarray]:
    """Weighted fit ``x ~ M X + t`` with M = s * (two orthonormal rows); batched.

    An affine fit, then the nearest scaled-orthographic M (equal singular values:
    :func:`nearest_scaled_orthographic`).
    Returns (M (..., 2, 3), t (..., 2)).
    """
    X = np.asarray(X, dtype=np.float64)
    x = np.asarray(x, dtype=np.float64)
    w = np.ones(x.shape[:-1]) if w is None else np.asarray(w, dtype=np.float64)
    mX, mx = _wmean(X, w), _wmean(x, w)
    A, b = X - mX[..., None, :], x - mx[..., None, :]
    wA = w[..., None] * A
    XX = A.swapaxes(-1, -2) @ wA
    # a tiny ridge keeps a flat (planar) rigid set solvable: its depth column then stays ~0
    XX = XX + np.eye(3) * (1e-10 * np.trace(XX, axis1=-2, axis2=-1))[..., None, None]
    xX = b.swapaxes(-1, -2) @ wA
    aff = np.linalg.solve(XX.swapaxes(-1, -2), xX.swapaxes(-1, -2)).swapaxes(-1, -2)
    M = nearest_scaled_orthographic(aff)
    t = mx - np.einsum("...ij,...j->...i", M, mX)
    return M, t


def nearest_scaled_orthographic(aff: np.ndarray) -> np.ndarray:
    """The nearest ``s * (two orthonormal rows)`` to each 2 x 3 ``aff`` (..., 2, 3): its polar
    factor ``(aff aff')^-1/2 aff`` times the mean of its two singular values, from the 2 x 2
    ``aff aff'`` in closed form (one Jacobi rotation, as the C# ``HeadFit`` does; a batched
    SVD took most of a camera fit)."""
    r0, r1 = aff[..., 0, :], aff[..., 1, :]
    a = np.sum(r0 * r0, axis=-1)
    b = np.sum(r0 * r1, axis=-1)
    c = np.sum(r1 * r1, axis=-1)
    flat = b == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = np.where(flat, 0.0, (c - a) / np.where(flat, 1.0, 2.0 * b))
        big = np.abs(theta) > 1e150
        tt = np.where(big, 0.5 / np.where(big, theta, 1.0),
                      np.where(theta >= 0, 1.0, -1.0) / (np.abs(theta) + np.sqrt(theta * theta + 1.0)))
    tt = np.where(flat, 0.0, tt)
    cs = 1.0 / np.sqrt(tt * tt + 1.0)
    sn = tt * cs
    s0 = np.sqrt(np.maximum(a - tt * b, 0.0))
    s1 = np.sqrt(np.maximum(c + tt * b, 0.0))
    with np.errstate(divide="ignore"):
        i0 = np.where(s0 > 0.0, 1.0 / np.where(s0 > 0.0, s0, 1.0), 0.0)
        i1 = np.where(s1 > 0.0, 1.0 / np.where(s1 > 0.0, s1, 1.0), 0.0)
    p00 = cs * cs * i0 + sn * sn * i1
    p01 = -cs * sn * i0 + sn * cs * i1
    p11 = sn * sn * i0 + cs * cs * i1
    scale = (0.5 * (s0 + s1))[..., None]
    return np.stack([scale * (p00[..., None] * r0 + p01[..., None] * r1),
                     scale * (p01[..., None] * r0 + p11[..., None] * r1)], axis=-2)


@dataclass
class KeyWeights:
    """What the solver needs: offsets D (F, 68*k), basis (68*k, T), confidences, validity."""

    deltas: np.ndarray
    basis: np.ndarray
    confidence: np.ndarray
    valid: np.ndarray
    k: int
    mode: str
    report: Dict[str, object] = field(default_factory=dict)
    cameras: Optional[np.ndarray] = None       # (F, 2, 3): 2-D rigid mode only
    view0: Optional[np.ndarray] = None         # (2, 3) neutral camera (2-D tracks)


def key_weights(basis3: np.ndarray, rig_neutral: np.ndarray, tracks: Tracks, mode: str = "rigid",
                neutral_frame: int = 0, rigid: Optional[List[int]] = None,
                reference: Optional[List[int]] = None, neutral_label: Optional[int] = None
                ) -> KeyWeights:
    """Offsets and basis for ``tracks`` against a rig's landmark delta matrix ``basis3``
    (68, 3, T) and neutral landmarks ``rig_neutral`` (68, 3). ``neutral_label``: the neutral
    frame's number in the take, for messages, when ``tracks`` is a chunk of it."""
    from microexpr.landmarks import REFERENCE_POINT, RIGID

    if mode not in MODES:
        raise MicroExprError("unknown compensation mode %r" % mode, field="--compensation",
                             fix="use one of: " + ", ".join(MODES))
    rigid = list(RIGID if rigid is None else rigid)
    reference = list([REFERENCE_POINT] if reference is None else reference)
    F, k = tracks.frames, tracks.dims
    n0 = neutral_frame
    conf = _neutral_confidence(tracks, n0, rigid, n0 if neutral_label is None else neutral_label)
    pts = tracks.points
    x0 = np.where(np.isfinite(pts[n0]), pts[n0], 0.0)
    X = np.asarray(rig_neutral, dtype=np.float64)
    B3 = np.asarray(basis3, dtype=np.float64)
    filled = np.where(np.isfinite(pts), pts, 0.0)
    report: Dict[str, object] = {"mode": mode, "neutral_frame": n0, "dims": k}
    if k == 2:
        M0, t0 = weak_perspective_fit(X[rigid], x0[rigid], conf[n0, rigid])
        view = lambda b: np.einsum("ij,ljt->lit", M0, b)  # noqa: E731
        report["neutral_scale"] = float(np.linalg.norm(M0[0]))
        report["facing_camera"] = bool(np.cross(M0[0], M0[1])[2] > 0)
    else:
        s0, R0, _ = similarity_fit(X[rigid], x0[rigid], conf[n0, rigid])
        view = lambda b: s0 * np.einsum("ij,ljt->lit", R0, b)  # noqa: E731
        report["neutral_scale"] = float(s0)
    cameras = None
    with np.errstate(all="ignore"):
        if mode == "raw":
            valid = (conf > 0).sum(axis=1) >= COUNT // 2
            D, basis = filled - x0, view(B3)
        elif mode == "reference":
            valid, D = _reference_offsets(filled, conf, x0, reference)
            basis = view(B3 - B3[reference].mean(axis=0)[None])
        elif k == 3:
            valid, D = _rigid_offsets_3d(filled, conf, x0, rigid)
            basis = view(B3)
        else:
            valid, D, cameras = _rigid_offsets_2d(filled, conf, x0, X, M0, t0, rigid, report)
            basis = view(B3)
    conf[~valid] = 0.0
    D = np.where(conf[:, :, None] > 0, D, 0.0)
    report["invalid_frames"] = [int(f) for f in np.nonzero(~valid)[0]]
    report["missing"] = list(tracks.missing)
    return KeyWeights(D.reshape(F, -1), basis.reshape(COUNT * k, -1), conf, valid, k, mode,
                      report, cameras, M0 if k == 2 else None)


def _neutral_confidence(tracks: Tracks, n0: int, rigid: List[int], label: int) -> np.ndarray:
    """The tracks' confidences (a copy) after checking the neutral frame ``n0``; a landmark
    absent from the neutral frame has no reference, so it gets 0 in every frame."""
    F = tracks.frames
    if not 0 <= n0 < F:
        raise MicroExprError("neutral frame %d is outside the %d frames" % (n0, F),
                             file=tracks.source, field="--neutral-frame",
                             fix="pick a frame between 0 and %d" % (F - 1))
    conf = tracks.confidence.copy()
    present0 = conf[n0] > 0
    if present0[rigid].sum() < MIN_RIGID:
        raise MicroExprError("the neutral frame %d has only %d of the rigid landmarks"
                             % (label, present0[rigid].sum()), file=tracks.source,
                             field="--neutral-frame", fix="pick a frame where the face is found")
    conf[:, ~present0] = 0.0
    return conf


def _reference_offsets(filled: np.ndarray, conf: np.ndarray, x0: np.ndarray,
                       reference: List[int]) -> Tuple[np.ndarray, np.ndarray]:
    """``reference`` mode: (valid frames, offsets) with the reference points' mean removed;
    a frame is valid when every reference point is seen."""
    wref = conf[:, reference]
    valid = wref.min(axis=1) > 0
    safe = np.where(valid[:, None], wref, 1.0)
    e0 = _wmean(filled[:, reference], safe)
    e0_ori = x0[reference].mean(axis=0)
    return valid, reference_deltas(filled, e0[:, None, :], x0, e0_ori)


def _rigid_offsets_3d(filled: np.ndarray, conf: np.ndarray, x0: np.ndarray,
                      rigid: List[int]) -> Tuple[np.ndarray, np.ndarray]:
    """``rigid`` mode, 3-D tracks: (valid frames, offsets), each frame mapped onto the neutral
    by a similarity fit on the rigid set."""
    wr = conf[:, rigid]
    valid = (wr > 0).sum(axis=1) >= MIN_RIGID
    safe = np.where(valid[:, None], wr, 1.0)
    src = np.where(valid[:, None, None], filled[:, rigid], x0[rigid])
    s, R, t = similarity_fit(src, np.broadcast_to(x0[rigid], src.shape), safe)
    return valid, s[:, None, None] * np.einsum("fij,fnj->fni", R, filled) + t[:, None, :] - x0


def _rigid_offsets_2d(filled: np.ndarray, conf: np.ndarray, x0: np.ndarray, X: np.ndarray,
                      M0: np.ndarray, t0: np.ndarray, rigid: List[int], report: Dict[str, object]
                      ) -> Tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``rigid`` mode, 2-D tracks: (valid frames, offsets, cameras). Offsets are the residuals
    of each frame's weak-perspective camera; both are divided by the frame's scale relative
    to the neutral camera ``M0``. Adds the head's scale range to ``report``."""
    F = len(filled)
    wr = conf[:, rigid]
    valid = (wr > 0).sum(axis=1) >= MIN_RIGID
    safe = np.where(valid[:, None], wr, 1.0)
    S0 = X + (x0 - X @ M0.T - t0) @ M0 / float(np.sum(M0[0] ** 2))
    dst = np.where(valid[:, None, None], filled[:, rigid], x0[rigid])
    M, t = weak_perspective_fit(np.broadcast_to(S0[rigid], (F, len(rigid), 3)), dst, safe)
    r = filled - np.einsum("fij,nj->fni", M, S0) - t[:, None, :]
    s2 = np.sum(M[:, 0] ** 2, axis=1)
    neutral_scale = float(np.linalg.norm(M0[0]))
    rel = np.sqrt(s2) / neutral_scale                     # s_n / s_0
    scale = np.sqrt(s2[valid]) / neutral_scale
    if scale.size:
        report["head_scale_range"] = [float(scale.min()), float(scale.max())]
    return valid, r / rel[:, None, None], M / rel[:, None, None]
