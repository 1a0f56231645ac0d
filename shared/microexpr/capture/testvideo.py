"""Videos with known motion made from a still portrait: for tests, benchmarks and demos.

Head motion is an image-wide similarity (shift, in-plane rotation, scale); an "expression"
is a smooth local warp that moves the pixels around one point by a known displacement.
Writes H.264 mp4 through imageio-ffmpeg (or lossless-ish MJPG .avi through OpenCV).
"""
from __future__ import annotations

import os
from typing import Iterable, Optional, Sequence, Tuple

import numpy as np


def astronaut_frame(size: Tuple[int, int] = (640, 480), face_px: float = 160.0) -> np.ndarray:
    """scikit-image's astronaut portrait (Eileen Collins, NASA, public domain) as an RGB
    frame of ``size`` with her face about ``face_px`` wide, centred."""
    import cv2
    from skimage import data

    img = data.astronaut()
    f = face_px / 87.0                    # dlib's box on the 512 px original is ~87 px wide
    big = cv2.resize(img, None, fx=f, fy=f, interpolation=cv2.INTER_CUBIC if f > 1 else cv2.INTER_AREA)
    cx, cy = 222.0 * f, 126.0 * f         # the face box centre in the original
    return _crop_centred(big, cx, cy, size)


def _crop_centred(img: np.ndarray, cx: float, cy: float, size: Tuple[int, int]) -> np.ndarray:
    import cv2

    w, h = size
    M = np.array([[1.0, 0.0, w / 2.0 - cx], [0.0, 1.0, h / 2.0 - cy]])
    return cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def head_motion(img: np.ndarray, shift: Sequence[float] = (0.0, 0.0), angle: float = 0.0,
                scale: float = 1.0, centre: Optional[Sequence[float]] = None) -> np.ndarray:
    """The whole image moved: rotated by ``angle`` degrees (counter-clockwise on screen) and
    scaled about ``centre`` (default the image centre), then shifted by ``shift`` pixels."""
    import cv2

    h, w = img.shape[:2]
    c = (w / 2.0, h / 2.0) if centre is None else (float(centre[0]), float(centre[1]))
    M = cv2.getRotationMatrix2D(c, float(angle), float(scale))
    M[:, 2] += np.asarray(shift, dtype=np.float64)
    return cv2.warpAffine(img, M, (w, h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def local_warp(img: np.ndarray, point: Sequence[float], move: Sequence[float],
               radius: float) -> np.ndarray:
    """Move the pixels near ``point`` by ``move`` (pixels, y down) with a Gaussian falloff of
    ``radius``: a soft-mod on the image. Exact at ``point`` to first order."""
    import cv2

    h, w = img.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    px, py = float(point[0]), float(point[1])
    mx, my = float(move[0]), float(move[1])
    # backward map: find where each output pixel came from (fixed-point, two steps)
    sx, sy = xx.copy(), yy.copy()
    for _ in range(3):
        g = np.exp(-((sx - px) ** 2 + (sy - py) ** 2) / (2.0 * radius ** 2)).astype(np.float32)
        sx, sy = xx - mx * g, yy - my * g
    return cv2.remap(img, sx, sy, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def write_video(path: str, frames: Iterable[np.ndarray], fps: float = 60.0) -> str:
    """Write RGB frames. ``.avi``: OpenCV MJPG; anything else: H.264 via imageio-ffmpeg."""
    frames = iter(frames)
    first = next(frames)
    h, w = first.shape[:2]
    os.makedirs(os.path.dirname(os.path.abspath(path)) or ".", exist_ok=True)
    if path.lower().endswith(".avi"):
        import cv2

        out = cv2.VideoWriter(path, cv2.VideoWriter.fourcc(*"MJPG"), float(fps), (w, h))
        try:
            for f in [first] + list(frames):
                out.write(np.ascontiguousarray(f[:, :, ::-1]))
        finally:
            out.release()
        return path
    import imageio_ffmpeg

    gen = imageio_ffmpeg.write_frames(path, (w, h), fps=fps, codec="libx264", quality=None,
                                      pix_fmt_out="yuv444p", macro_block_size=1,
                                      output_params=["-crf", "10"], ffmpeg_log_level="error")
    gen.send(None)
    try:
        gen.send(np.ascontiguousarray(first))
        for f in frames:
            gen.send(np.ascontiguousarray(f))
    finally:
        gen.close()
    return path


def drifting_take(path: str, frames: int, fps: float = 30.0, step_px: float = 0.4) -> str:
    """The astronaut portrait drifting sideways by ``step_px`` a frame: a short take with a
    real face and nothing but head motion, written to ``path``."""
    base = astronaut_frame()
    return write_video(path, (head_motion(base, shift=(i * step_px, 0.0)) for i in range(frames)), fps)
