"""The whole capture run: frames -> one tracked face -> landmarks -> clip, with a progress
bar on stderr and a summary.

    from microexpr.capture.pipeline import capture, CaptureSettings
    result = capture("take.mp4", rig)          # result.clip, result.tracks, result.summary()
"""
from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field, replace
from typing import Any, Dict, List, Optional

import numpy as np

from microexpr.bridge import Clip, Rig
from microexpr.capture.detect import TrackerSettings, confidence, open_tracker
from microexpr.capture.landmarks_to_clip import SolveSettings, clip_from_landmarks
from microexpr.capture.prefetch import prefetched
from microexpr.capture.smooth import runs
from microexpr.capture.video import FrameSource, open_frames
from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT

#: Below this face width (detector box, px) one pixel is more than ~2 mm on the face: too
#: coarse for micro-expressions of about 1 mm.
MIN_FACE_PX = 64.0
#: A dlib face box spans about 150 mm of a face (about 1.7 times the outer eye corner span).
BOX_MM = 150.0


@dataclass
class CaptureSettings:
    tracker: TrackerSettings = field(default_factory=TrackerSettings)
    solve: SolveSettings = field(default_factory=SolveSettings)
    min_face: float = MIN_FACE_PX      # px; smaller faces stop the run with an error
    fps: Optional[float] = None        # rate of an image folder (default 30)
    model: Optional[str] = None        # shape predictor .dat (default: face_recognition_models)
    tracker_name: str = "dlib"         # "dlib" or "mediapipe" (detect.TRACKERS)


@dataclass
class Tracked:
    """Raw tracking of every input frame. ``points`` (F, 68, 2) pixels y down, NaN where no
    face; ``states`` per frame: detected, tracked (with landmarks), unverified (the detector
    did not confirm the face: no landmarks) or lost."""

    points: np.ndarray
    times: np.ndarray
    valid: np.ndarray
    scores: np.ndarray
    states: List[str]
    boxes: np.ndarray
    faces: np.ndarray          # faces seen by whole-frame searches (0 = not searched)
    timing: Dict[str, float]
    events: List[str]
    source: FrameSource
    depth: Optional[np.ndarray] = None  # (F, 68) Face Mesh's relative depth, px; NaN, or None

    @property
    def confidence(self) -> np.ndarray:
        """Per frame 0-1: the detector's confidence, 0 without a confirmed face."""
        c = np.array([confidence(s) for s in self.scores])
        c[~self.valid] = 0.0
        return c


@dataclass
class CaptureResult:
    clip: Clip
    tracked: Tracked
    points: np.ndarray          # smoothed landmarks per input frame (pixels, y down)
    report: Dict[str, Any]
    timing: Dict[str, float]

    def tracks(self):
        """The smoothed landmarks as :class:`microexpr.solve.tracks.Tracks` (y up, as loaded)."""
        from microexpr.solve.tracks import finish_tracks

        conf = np.repeat(self.tracked.valid[:, None], COUNT, axis=1).astype(np.float64)
        return finish_tracks(self.points, conf, self.tracked.times, self.tracked.source.path)

    def write_tracks_csv(self, path: str) -> None:
        """One row per input frame; after the landmark and c0..c67 columns (numbers only, so
        ``microexpr solve`` reads the file back): face_confidence (0-1, the detector's),
        face_score (its raw score, blank when it did not run on that frame) and face_found
        (1 with landmarks, 0 without)."""
        from microexpr.solve.tracks import write_tracks_csv

        tr = self.tracked
        extra = {"face_confidence": ["%.3f" % c for c in tr.confidence],
                 "face_score": ["" if not np.isfinite(s) else "%.3f" % s for s in tr.scores],
                 "face_found": [int(v) for v in tr.valid]}
        if tr.depth is not None:          # not z0..: a z column would make the file 3-D tracks
            for i in range(COUNT):
                extra["depth%d" % i] = ["" if not np.isfinite(v) else "%.3f" % v
                                        for v in tr.depth[:, i]]
        write_tracks_csv(path, self.tracks(), extra)

    def summary(self) -> str:
        tr, r = self.tracked, self.report
        F = len(tr.states)
        found = int(tr.valid.sum())
        lines = ["%d frames, face found in %d (%.0f %%), %d gap(s) without a face"
                 % (F, found, 100.0 * found / max(F, 1), len(r["input_gaps"]))]
        for a, b in r["input_gaps"][:10]:
            lines.append("  no face: frames %d-%d (%.2f-%.2f s)" % (a, b - 1, tr.times[a], tr.times[b - 1]))
        cap: Dict[str, Any] = dict(self.clip.source.get("capture") or {})
        if cap.get("bridged"):
            lines.append("  bridged (weights interpolated, still marked invalid): clip frames %s"
                         % ", ".join("%d-%d" % (a, b - 1) for a, b in cap["bridged"]))
        for key in ("several_faces", "short_read"):
            if r.get(key):
                lines.append("  " + r[key])
        for e in tr.events[:5]:
            lines.append("  " + e)
        mmpp = cap.get("mm_per_pixel", float("nan"))
        lines.append("face %.0f px wide (1 px ~ %.2f mm on the face); clip %d frames at %g fps%s"
                     % (r["face_px"], mmpp, len(self.clip.weights), self.clip.fps,
                        " (resampled from variable frame rate)" if cap.get("resampled") else ""))
        if cap.get("noise_px") is not None:
            lines.append("landmark jitter before smoothing %.2f px (%.2f mm)"
                         % (cap["noise_px"], cap["noise_px"] * mmpp))
        t = self.timing
        lines.append("speed %.1f frames/s (decode %.1f, detect %.1f, predict %.1f, solve %.1f "
                     "ms/frame) after %.2f s of start-up (tracker model, compiled solver)"
                     % (F / max(t["total"] - t["start"], 1e-9),
                        *(1000 * t[k] / max(F, 1) for k in ("decode", "detect", "predict", "solve")),
                        t["start"]))
        return "\n".join(lines)


def _progress(total: int, enabled: bool):
    try:
        from tqdm import tqdm
    except ImportError:  # pragma: no cover - tqdm ships with the capture extra
        return None
    return tqdm(total=total, unit="frame", file=sys.stderr, disable=not enabled,
                desc="capture", dynamic_ncols=True, leave=False)


def track(source: FrameSource, settings: Optional[TrackerSettings] = None,
          model: Optional[str] = None, progress: bool = True, tracker_name: str = "dlib",
          tracker: Any = None) -> Tracked:
    """Follow one face through every frame of ``source`` with ``tracker``, else a new
    ``detect.open_tracker(tracker_name, settings, model)``; the tracker is closed at the end."""
    tracker = open_tracker(tracker_name, settings, model) if tracker is None else tracker
    pts, times, scores, states, boxes, faces, depth = [], [], [], [], [], [], []
    nan_pts = np.full((COUNT, 2), np.nan)
    bar = _progress(source.count, progress)
    decode = 0.0
    frames = prefetched(source.frames(color=tracker.color))       # decoding overlaps tracking
    try:
        while True:
            t = time.perf_counter()
            item = next(frames, None)
            decode += time.perf_counter() - t
            if item is None:
                break
            _, stamp, gray = item
            face = tracker.update(gray)
            pts.append(nan_pts if face.points is None else face.points)
            times.append(stamp)
            scores.append(face.score)
            states.append(face.state)
            boxes.append(face.box if face.box is not None else (np.nan,) * 4)
            faces.append(face.faces)
            depth.append(face.depth if face.depth is not None else nan_pts[:, 0])
            if bar is not None:
                bar.update(1)
    finally:
        frames.close()                     # stops the reading thread, closes the source
        if bar is not None:
            bar.close()
        if hasattr(tracker, "close"):
            tracker.close()
    if not pts:
        raise MicroExprError("no frame could be decoded", file=source.path,
                             fix="re-encode the video (e.g. H.264 mp4) or export its frames as images")
    valid = np.array([st in ("detected", "tracked") for st in states], dtype=bool)
    P = np.array(pts)
    P[~valid] = np.nan
    timing = {"decode": decode, "detect": tracker.timing["detect"], "predict": tracker.timing["predict"]}
    D = np.array(depth, dtype=np.float64) if tracker_name == "mediapipe" else None
    if D is not None:
        D[~valid] = np.nan
    return Tracked(P, np.array(times, dtype=np.float64), valid, np.array(scores, dtype=np.float64),
                   states, np.array(boxes, dtype=np.float64), np.array(faces), timing,
                   tracker.events, source, D)


def _load_solver_meanwhile():
    """Import the solver and, without the ahead-of-time module, load its compiled loops from
    numba's cache on a daemon thread (about 0.5-1 s a process pays once) while the tracker
    loads its model; the started thread. A failure there is left to the solve itself to
    report."""
    import threading

    def load() -> None:
        try:
            from microexpr.solve import (
                jit,
                tracks_to_clip,  # noqa: F401 - the solve's modules
            )
            if not jit.ahead_of_time():      # the module is loaded already; numba needs a run
                from microexpr.solve.warm import warm
                warm()
        except Exception:        # the solve imports and runs the same code, and says why
            pass

    thread = threading.Thread(target=load, name="microexpr-solver-load", daemon=True)
    thread.start()
    return thread


def capture(input_path: str, rig: Rig, settings: Optional[CaptureSettings] = None,
            progress: bool = True) -> CaptureResult:
    """Video file or image folder -> clip for ``rig``. Raises MicroExprError (unreadable
    input, no face, face too small) before anything is written."""
    s = settings or CaptureSettings()
    t0 = time.perf_counter()
    source = open_frames(input_path, s.fps)
    # image inputs are stills unless told otherwise: each image on its own, plain dlib's
    # landmarks, nothing carried or smoothed across images (see capture.detect)
    stills = source.kind != "video" if s.tracker.stills is None else bool(s.tracker.stills)
    # start-up, once per process: the tracker's model and the solver's compiled loops load
    # side by side, and are both there before the first frame (none waits mid-take)
    loader = _load_solver_meanwhile()
    try:
        tracker = open_tracker(s.tracker_name, replace(s.tracker, stills=stills), s.model)
    finally:
        loader.join()
    start = time.perf_counter() - t0
    tracked = track(source, replace(s.tracker, stills=stills), s.model, progress, s.tracker_name,
                    tracker)
    F = len(tracked.states)
    if not tracked.valid.any() and s.tracker.face_box is not None:
        b = s.tracker.face_box
        raise MicroExprError(
            "no face overlapping --face-box %g,%g,%g,%g in any of the %d frames"
            % (b[0], b[1], b[2] - b[0], b[3] - b[1], F), file=input_path, field="--face-box",
            fix="give the box as X,Y,W,H in pixels of the first frames (top-left corner, "
                "width, height), or leave it out to follow the clearest face")
    if not tracked.valid.any():
        raise MicroExprError(
            "no face found in any of the %d frames" % F, file=input_path,
            fix="the detector finds frontal faces at least about 40 px wide in good light; "
                "check that the video shows the face (crop or film closer if it is small)")
    widths = tracked.boxes[tracked.valid, 2] - tracked.boxes[tracked.valid, 0]
    face_px = float(np.nanmedian(widths))
    if face_px < s.min_face:
        raise MicroExprError(
            "the face is only %.0f px wide: one pixel is about %.1f mm on the face, too "
            "coarse for micro-expressions of about 1 mm" % (face_px, BOX_MM / face_px),
            file=input_path, field="--min-face",
            fix="film closer or crop the video so the face is at least %.0f px wide "
                "(or lower --min-face to accept it)" % s.min_face)
    t1 = time.perf_counter()
    clip, smoothed, rep = clip_from_landmarks(rig, tracked.points, tracked.times, tracked.valid,
                                              replace(s.solve, smooth=None) if stills else s.solve,
                                              input_path)
    solve_t = time.perf_counter() - t1
    timing = dict(tracked.timing, start=start, solve=solve_t, total=time.perf_counter() - t0)
    report: Dict[str, Any] = {
        "input": input_path, "kind": source.kind, "size": [source.width, source.height],
        "frames_found": int(tracked.valid.sum()), "face_px": face_px,
        "input_gaps": [[a, b] for a, b in runs(~tracked.valid)],
        "states": {k: int(sum(1 for x in tracked.states if x == k))
                   for k in ("detected", "tracked", "unverified", "lost")},
        "max_faces": int(tracked.faces.max()) if len(tracked.faces) else 0,
        "events": list(tracked.events),
    }
    if report["max_faces"] > 1:
        first = int(np.argmax(tracked.faces > 1))
        b = tracked.boxes[int(np.argmax(tracked.valid))]
        how = ("the one overlapping --face-box" if s.tracker.face_box is not None
               else "the one with the highest detector score")
        report["several_faces"] = (
            "%d faces seen (frame %d): following %s at x=%.0f y=%.0f w=%.0f h=%.0f; pass "
            "--face-box X,Y,W,H to follow another" % (report["max_faces"], first, how, b[0], b[1],
                                                       b[2] - b[0], b[3] - b[1]))
    if source.kind == "video" and F < 0.9 * source.count:
        report["short_read"] = ("decoded %d of the %d frames the video announces: the file may "
                                "be cut short or damaged" % (F, source.count))
    cap: Any = clip.source["capture"]
    cap.update({k: report[k] for k in ("input", "frames_found", "face_px", "input_gaps",
                                       "states", "max_faces")})
    from microexpr.capture.detect import model_path

    cap["tracker"] = s.tracker_name
    if s.tracker_name == "mediapipe":
        from microexpr.capture.mediapipe_tracker import MEDIAPIPE_VERSION

        cap["model"] = "MediaPipe Face Mesh (mediapipe %s)" % MEDIAPIPE_VERSION
    else:
        cap["model"] = model_path(s.model)
    cap["stills"] = stills
    if stills:
        cap["noise_px"] = None          # second differences across unrelated images
    return CaptureResult(clip, tracked, smoothed, report, timing)
