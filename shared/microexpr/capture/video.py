"""Frames and their timestamps from a video file, a folder of images or one image.

Videos are decoded with OpenCV (``opencv-python-headless``); a frame's time is its own
presentation timestamp, so variable-frame-rate phone videos keep their real timing. When
OpenCV cannot open a file, imageio-ffmpeg is tried (times are then index / nominal rate).
Image folders are read in natural order (``f2`` before ``f10``) at ``fps`` (default 30).
"""
from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Dict, Iterable, Iterator, List, Optional, Tuple

import numpy as np

from microexpr.errors import MicroExprError

VIDEO_EXT = (".mp4", ".mov", ".avi", ".mkv", ".m4v", ".webm", ".mpg", ".mpeg", ".wmv")
IMAGE_EXT = (".png", ".jpg", ".jpeg", ".bmp", ".ppm", ".pgm", ".tif", ".tiff", ".webp")
DEFAULT_IMAGE_FPS = 30.0


def _natural_key(name: str):
    return [int(p) if p.isdigit() else p.lower() for p in re.split(r"(\d+)", name)]


@dataclass
class FrameSource:
    """An opened input. ``count`` is exact for images, the container's estimate for video."""

    path: str
    kind: str                 # "video", "images" or "image"
    width: int
    height: int
    fps: float                # nominal rate (video header, or the rate given for images)
    count: int
    files: Optional[List[str]] = None
    backend: str = "opencv"

    def frames(self, color: bool = False) -> Iterator[Tuple[int, float, np.ndarray]]:
        """Yield (index, time in seconds, image): gray uint8 (H, W), or RGB with ``color``."""
        if self.kind == "video":
            if self.backend == "opencv":
                return _video_frames_cv2(self, color)
            return _video_frames_imageio(self, color)
        return self._image_frames(color)

    def read(self, indices: Iterable[int], color: bool = True) -> Dict[int, np.ndarray]:
        """Decode only the frames at ``indices`` (a second pass, e.g. for the preview)."""
        want = sorted(set(int(i) for i in indices))
        out: Dict[int, np.ndarray] = {}
        if not want:
            return out
        if self.kind != "video":
            files = self.files or []
            for i in want:
                if 0 <= i < len(files):
                    out[i] = _read_image(files[i], color)
            return out
        last = want[-1]
        for i, _, img in self.frames(color):
            if i in want:
                out[i] = img
            if i >= last:
                break
        return out

    def _image_frames(self, color: bool):
        rate = self.fps
        for i, f in enumerate(self.files or []):
            yield i, i / rate, _read_image(f, color)


def _read_image(path: str, color: bool) -> np.ndarray:
    import cv2

    from microexpr.capture.frame_size import check_image

    check_image(path)                   # from the header: nothing decoded above the limit
    img = cv2.imread(path, cv2.IMREAD_COLOR if color else cv2.IMREAD_GRAYSCALE)
    if img is None:
        raise MicroExprError("cannot read this image", file=path,
                             fix="check that the file is a PNG/JPEG/BMP/TIFF image and not damaged")
    return img[:, :, ::-1].copy() if color else img


def open_frames(path: str, fps: Optional[float] = None) -> FrameSource:
    """Open ``path`` (video file, image folder or image file). Raises MicroExprError with a
    fix when it cannot be read; nothing is decoded beyond the first frame."""
    path = os.fspath(path)
    if fps is not None and not fps > 0:
        raise MicroExprError("frame rate must be positive", field="--fps", fix="e.g. --fps 60")
    if not os.path.exists(path):
        raise MicroExprError("the input does not exist", file=path, fix="check the path")
    if os.path.isdir(path):
        files = sorted((os.path.join(path, f) for f in os.listdir(path)
                        if f.lower().endswith(IMAGE_EXT) and not f.startswith(".")),
                       key=lambda p: _natural_key(os.path.basename(p)))
        if not files:
            raise MicroExprError("the folder holds no images (%s)" % ", ".join(IMAGE_EXT),
                                 file=path, fix="point at a folder of frames or at a video file")
        first = _read_image(files[0], False)
        return FrameSource(path, "images", first.shape[1], first.shape[0],
                           float(fps or DEFAULT_IMAGE_FPS), len(files), files, "opencv")
    if path.lower().endswith(IMAGE_EXT):
        first = _read_image(path, False)
        return FrameSource(path, "image", first.shape[1], first.shape[0],
                           float(fps or DEFAULT_IMAGE_FPS), 1, [path], "opencv")
    if os.path.getsize(path) == 0:
        raise MicroExprError("the video file is empty", file=path, fix="check the export or copy")
    return _open_video(path, fps)


def _open_video(path: str, fps: Optional[float]) -> FrameSource:
    # FFmpeg's own log lines ("moov atom not found") would mix with our message; quiet them
    # unless the user asked for a level (OpenCV reads this when it first opens a video)
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    from microexpr.capture.frame_size import check_frame

    cap = cv2.VideoCapture(path)
    try:
        if cap.isOpened():
            check_frame(cap.get(cv2.CAP_PROP_FRAME_WIDTH), cap.get(cv2.CAP_PROP_FRAME_HEIGHT), path)
        ok, frame = cap.read() if cap.isOpened() else (False, None)
        if ok and frame is not None:
            rate = float(fps or cap.get(cv2.CAP_PROP_FPS) or 0.0)
            count = int(max(cap.get(cv2.CAP_PROP_FRAME_COUNT), 1))
            return FrameSource(path, "video", frame.shape[1], frame.shape[0],
                               rate if rate > 0 else 30.0, count, None, "opencv")
    finally:
        cap.release()
    return _open_video_imageio(path, fps)


def _open_video_imageio(path: str, fps: Optional[float]) -> FrameSource:
    try:
        import imageio_ffmpeg

        gen = imageio_ffmpeg.read_frames(path)
        meta = next(gen)
        from microexpr.capture.frame_size import check_frame

        try:
            check_frame(meta["size"][0], meta["size"][1], path)
        except MicroExprError:
            gen.close()
            raise
        first = next(gen, None)
        gen.close()
    except MicroExprError:
        raise
    except Exception as exc:  # imageio-ffmpeg raises OSError/RuntimeError on bad files
        raise MicroExprError("cannot decode this video (%s)" % str(exc).splitlines()[0][:200],
                             file=path, fix="re-encode it, e.g. 'ffmpeg -i IN -c:v libx264 "
                                            "OUT.mp4', or export the frames as images") from None
    if first is None:
        raise MicroExprError("the video holds no frames", file=path,
                             fix="re-encode it or export the frames as images")
    w, h = meta["size"]
    rate = float(fps or meta.get("fps") or 30.0)
    count = int(round(float(meta.get("duration") or 0) * rate)) or 1
    return FrameSource(path, "video", int(w), int(h), rate, count, None, "imageio")


def _video_frames_cv2(src: FrameSource, color: bool):
    import cv2

    cap = cv2.VideoCapture(src.path)
    if not cap.isOpened():
        raise MicroExprError("cannot open the video", file=src.path, fix="check the file")
    try:
        i = 0
        last_t = -np.inf
        stamps_ok = True
        while True:
            ok, frame = cap.read()
            if not ok or frame is None:
                break
            t = cap.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
            # some containers report no stamps (all 0) or non-increasing ones: use the rate
            if stamps_ok and (not np.isfinite(t) or (i > 0 and t <= last_t)):
                stamps_ok = False
            if not stamps_ok:
                t = i / src.fps
            last_t = t
            img = cv2.cvtColor(frame, cv2.COLOR_BGR2RGB if color else cv2.COLOR_BGR2GRAY)
            yield i, t, img
            i += 1
    finally:
        cap.release()


def _video_frames_imageio(src: FrameSource, color: bool):
    import imageio_ffmpeg

    gen = imageio_ffmpeg.read_frames(src.path, pix_fmt="rgb24" if color else "gray")
    try:
        next(gen)
        w, h = src.width, src.height
        for i, buf in enumerate(gen):
            arr = np.frombuffer(buf, np.uint8)
            img = arr.reshape(h, w, 3) if color else arr.reshape(h, w)
            yield i, i / src.fps, img
    finally:
        gen.close()
