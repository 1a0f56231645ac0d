"""The camera model of a take, chosen by evidence: does the head turn out of the image plane?

For 2-D tracks two models can explain a head's motion:

- ``weak_perspective``: per frame ``x = s R[:2] S + t`` (scale, three rotations, a shift: 6
  numbers), the performer's 3-D shape S seen turning in depth;
- ``in_plane``: per frame ``x = s R2 V S + t`` (scale, one rotation, a shift: 4 numbers), with
  the view ``V`` (2 x 3 orthonormal rows) fixed for the take: the head only shifts, rolls and
  moves toward the camera.

When the head does not turn in depth, the first model still finds yaw and pitch: in the
tracker's small errors (dlib's landmarks are not exactly equivariant under image rotation)
and in an expression that looks like a turn. ``choose_camera`` compares the two models on the
calibration frames by the Bayesian information criterion, ``n ln(RSS / n) + p ln(n)`` (n
observed coordinates, p fitted numbers: 6 per frame + 3 per landmark against 4 per frame + 2
per landmark), and keeps ``in_plane`` unless turning in depth explains the landmarks better
by more than its extra numbers cost. 3-D tracks always use a similarity (``similarity``).
"""
from __future__ import annotations

from typing import Dict, Optional, Tuple

import numpy as np

from microexpr.solve.key_weights import similarity_fit, weak_perspective_fit

CAMERAS = ("weak_perspective", "in_plane", "similarity")


def mean_view(M: np.ndarray) -> np.ndarray:
    """The mean viewing direction of cameras ``M`` (F, 2, 3): two orthonormal rows."""
    R2 = M / np.sqrt(np.sum(M[:, 0] ** 2, axis=1))[:, None, None]
    U, _, Vt = np.linalg.svd(R2.mean(axis=0), full_matrices=False)
    return U @ Vt


def in_plane_fit(view: np.ndarray, shape: np.ndarray, x: np.ndarray, w: np.ndarray
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Per frame ``x ~ s R2 (view shape) + t``: (M = s R2 view (..., 2, 3), t (..., 2))."""
    seen = np.einsum("ij,...lj->...li", view, shape)
    s, R2, t = similarity_fit(seen, x, w)
    return s[..., None, None] * np.einsum("...ij,jk->...ik", R2, view), t


def fit_camera(camera: str, view: Optional[np.ndarray], shape: np.ndarray, x: np.ndarray,
               w: np.ndarray) -> Tuple[np.ndarray, np.ndarray]:
    """Per frame ``x ~ M shape + t`` under ``camera`` (see ``CAMERAS``)."""
    if camera == "in_plane":
        if view is None:
            raise ValueError("the in_plane camera needs a view")
        return in_plane_fit(view, shape, x, w)
    if camera == "similarity":
        s, R, t = similarity_fit(shape, x, w)
        return s[..., None, None] * R, t
    return weak_perspective_fit(shape, x, w)


def choose_camera(S: np.ndarray, M: np.ndarray, t: np.ndarray, x: np.ndarray, w: np.ndarray
                  ) -> Tuple[str, Optional[np.ndarray], Dict[str, object]]:
    """(camera, view, report) for 2-D calibration frames ``x`` (F, 68, 2) with weights ``w``,
    the performer's shape ``S`` and its weak-perspective cameras ``M``, ``t``."""
    F, L = w.shape
    view = mean_view(M)
    Mi, ti = in_plane_fit(view, np.broadcast_to(S, (F, L, 3)), x, w + 1e-12)
    rss = {}
    for name, (Mc, tc) in (("weak_perspective", (M, t)), ("in_plane", (Mi, ti))):
        r = x - S @ Mc.swapaxes(1, 2) - tc[:, None, :]
        rss[name] = float(np.sum(w[:, :, None] * r * r))
    n = float(2 * np.count_nonzero(w > 0))
    params = {"weak_perspective": 6 * F + 3 * L, "in_plane": 4 * F + 2 * L}
    bic = {k: n * np.log(max(rss[k], 1e-300) / n) + params[k] * np.log(n) for k in rss}
    camera = "in_plane" if bic["in_plane"] <= bic["weak_perspective"] else "weak_perspective"
    report = {"camera": camera, "bic": {k: round(float(v), 1) for k, v in bic.items()},
              "rss_ratio_in_plane_to_3d": rss["in_plane"] / max(rss["weak_perspective"], 1e-300)}
    return camera, (view if camera == "in_plane" else None), report
