"""Live capture: frames -> one tracked face -> smoothed landmarks (and weights) -> one UDP
packet per frame (``capture.live_packet``), with a status line and an optional recording.

    session = LiveSession(rig, LiveSettings(send=("127.0.0.1", 9870), weights=True))
    report = session.run(video_frames("take.mp4"), fps=60.0)

Frames come from a video file (played at its own rate, late frames skipped like a camera
would drop them) or a camera (OpenCV ``VideoCapture``). The face is followed by
``detect.open_tracker`` (dlib's ``FaceTracker``, or Face Mesh with ``tracker_name="mediapipe"``,
which takes RGB frames: ``video_frames(path, color=True)``) frame by frame, exactly as
``pipeline.track`` does for a whole take.
Without a performer, the first ``calibration_seconds`` of frames calibrate one
(``tracks_to_clip.calibrate_for``) before anything is sent.
"""
from __future__ import annotations

import io
import socket
import sys
import time
from dataclasses import dataclass, field
from typing import Any, Dict, Iterator, List, Optional, Tuple

import numpy as np

from microexpr.capture.detect import TrackerSettings, open_tracker
from microexpr.capture.live_packet import encode, packet_size
from microexpr.capture.smooth import EYE_SPAN_MM, OneEuroFilter, SmoothSettings, mm_per_pixel
from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, RIGID

Frame = Tuple[int, float, np.ndarray]        # index, time in the source (s), gray or RGB image
#: Frames with a face needed to calibrate (the calibration waits for them past its seconds).
MIN_CALIBRATION = 10


#: dlib predictions averaged per live frame, from boxes nudged by ``LIVE_NUDGE`` (capture's
#: default is 27 nudged by 1.5 %: measured when capture used 9 nudged by 3 %, 5 held the largest
#: false weight on three of the moving real portraits of tests/test_performer_video.py under
#: 0.15 as 9 did, at a little over half the predictor's cost; einstein needed more).
LIVE_ENSEMBLE = 5
LIVE_NUDGE = 0.03


@dataclass
class LiveSettings:
    send: Tuple[str, int] = ("127.0.0.1", 9870)
    weights: bool = False                     # also solve and send the weights
    calibrate: bool = False                   # calibrate a performer even without weights
    frames: Optional[int] = None              # stop after this many input frames
    realtime: bool = True                     # play a video at its own rate (False: at once)
    calibration_seconds: float = 2.0          # without a performer: frames to calibrate on
    smooth: Optional[SmoothSettings] = field(default_factory=lambda: SmoothSettings(two_pass=False))
    # five predictions a frame, not capture's 27: each costs a dlib predictor run (1-6 ms
    # here), and live is judged by latency (benchmarks/live_latency.py)
    tracker: TrackerSettings = field(default_factory=lambda: TrackerSettings(ensemble=LIVE_ENSEMBLE,
                                                                             nudge=LIVE_NUDGE))
    model: Optional[str] = None               # dlib shape predictor .dat
    tracker_name: str = "dlib"                # or "mediapipe" (frames then RGB: color=True)
    status: bool = True                       # the live status line on stderr


class LiveSmoother:
    """``smooth.smooth_track`` one frame at a time (the causal One Euro pass): head motion is
    taken out by a similarity fit on the rigid landmarks against the first frame of the run,
    the steadied landmarks and the pose are filtered, then put back together."""

    def __init__(self, settings: SmoothSettings) -> None:
        self.settings = settings
        self.reset()

    def reset(self) -> None:
        """A new run (after frames without a face)."""
        self.ref: Any = None

    def __call__(self, pts: np.ndarray, t: float) -> np.ndarray:
        from microexpr.solve.key_weights import similarity_fit

        rigid = list(RIGID)
        s = self.settings
        if self.ref is None:
            self.k = mm_per_pixel(pts[None], np.ones(1, bool))
            self.centre = pts[rigid].mean(axis=0)
            self.ref = pts[rigid] - self.centre
            self.angle = 0.0
            self.shape = OneEuroFilter(s.min_cutoff, s.beta, s.d_cutoff)
            self.pose = OneEuroFilter(s.min_cutoff, s.beta, s.d_cutoff)
        run = pts - self.centre
        sc, R, tr = similarity_fit(self.ref, run[rigid])
        steady = (run - tr) @ R / sc
        steady = self.shape(steady * self.k, t) / self.k
        a = float(np.arctan2(R[1, 0], R[0, 0]))
        self.angle += (a - self.angle + np.pi) % (2 * np.pi) - np.pi      # unwrapped
        pose = self.pose(np.array([tr[0] * self.k, tr[1] * self.k, (sc - 1.0) * EYE_SPAN_MM,
                                   self.angle * EYE_SPAN_MM / 2]), t)
        tr, sc = pose[:2] / self.k, 1.0 + pose[2] / EYE_SPAN_MM
        ang = pose[3] / (EYE_SPAN_MM / 2)
        c, s_ = np.cos(ang), np.sin(ang)
        return sc * steady @ np.array([[c, s_], [-s_, c]]) + tr + self.centre


class Recorder:
    """What was sent, exactly: float32 landmarks and confidences, sequence numbers, capture
    times, validity, and the float64 weights before they were rounded into the packet."""

    def __init__(self) -> None:
        self.rows: Dict[str, List[Any]] = {k: [] for k in ("points", "confidence", "seq",
                                                            "timestamp", "valid", "weights")}

    def add(self, seq, stamp, valid, points, conf, weights) -> None:
        for k, v in zip(self.rows, (points, conf, seq, stamp, valid, weights)):
            self.rows[k].append(v)

    def npz(self, fps: float) -> bytes:
        r = self.rows
        n = len(r["seq"])
        out: Dict[str, Any] = {"points": np.array(r["points"], np.float32).reshape(n, COUNT, -1),
               "confidence": np.array(r["confidence"], np.float32).reshape(n, COUNT),
               "seq": np.array(r["seq"], np.uint32), "timestamp": np.array(r["timestamp"]),
               "valid": np.array(r["valid"], bool), "fps": np.array(fps)}
        if r["weights"] and r["weights"][0] is not None:
            out["weights"] = np.array(r["weights"], np.float64)
        buf = io.BytesIO()
        np.savez(buf, **out)
        return buf.getvalue()


def video_frames(path: str, color: bool = False) -> Tuple[Iterator[Frame], float]:
    """Gray (or RGB) frames of a video file (``video.open_frames``) and its frame rate."""
    from microexpr.capture.video import open_frames

    source = open_frames(path)
    if source.kind != "video":
        raise MicroExprError("live plays a video file", file=path, field="--video",
                             fix="give a video file (images: use 'microexpr capture')")
    return source.frames(color=color), float(source.fps)


def camera_frames(index: int, color: bool = False) -> Tuple[Iterator[Frame], float]:
    """Gray (or RGB) frames from camera ``index`` (OpenCV ``VideoCapture``), timed on arrival."""
    import cv2

    cap = cv2.VideoCapture(int(index))
    if not cap.isOpened():
        raise MicroExprError("cannot open camera %d" % index, field="--camera",
                             fix="check the camera is connected and not in use (try --camera 1)")
    fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0) or 30.0
    code = cv2.COLOR_BGR2RGB if color else cv2.COLOR_BGR2GRAY

    def frames() -> Iterator[Frame]:
        t0, i = time.perf_counter(), 0
        try:
            while True:
                ok, img = cap.read()
                if not ok:
                    return
                yield i, time.perf_counter() - t0, cv2.cvtColor(img, code)
                i += 1
        finally:
            cap.release()
    return frames(), fps


@dataclass
class LiveReport:
    frames: int = 0                # input frames read
    sent: int = 0
    skipped: int = 0               # frames dropped because tracking fell behind the video
    send_errors: int = 0
    found: int = 0                 # frames sent with a face
    calibration_frames: int = 0
    wall: float = 0.0              # seconds from the first packet's capture to the end
    latency: List[float] = field(default_factory=list)   # capture -> sent, seconds
    packet_bytes: int = 0
    performer: Any = None

    @property
    def dropped(self) -> int:
        return self.skipped + self.send_errors

    def summary(self, target: str) -> str:
        lat = np.array(self.latency) * 1000.0 if self.latency else np.zeros(1)
        return ("sent %d packets of %d bytes to %s (%d with a face); %d input frames, %d "
                "dropped, %d used for calibration\n%.1f frames/s; latency capture -> sent "
                "median %.2f ms, 95th percentile %.2f ms"
                % (self.sent, self.packet_bytes, target, self.found, self.frames, self.dropped,
                   self.calibration_frames, self.sent / max(self.wall, 1e-9),
                   float(np.median(lat)), float(np.percentile(lat, 95))))


class LiveSession:
    """Track, smooth, (calibrate,) solve and send; see the module doc."""

    def __init__(self, rig, settings: Optional[LiveSettings] = None, performer=None,
                 record: bool = False) -> None:
        self.rig, self.s, self.performer = rig, settings or LiveSettings(), performer
        self.tracker = open_tracker(self.s.tracker_name, self.s.tracker, self.s.model)
        self.smoother = LiveSmoother(self.s.smooth) if self.s.smooth is not None else None
        self.recorder = Recorder() if record else None
        self.stream: Any = None
        self.report = LiveReport(performer=performer)
        self.T = len(rig.target_names()) if self.s.weights else 0
        self.report.packet_bytes = packet_size(2, self.T)
        self.first_sent: Optional[float] = None

    def track(self, gray: np.ndarray, stamp: float) -> Tuple[bool, np.ndarray]:
        """One frame: (valid, landmarks (68, 2) pixels y down, NaN without a face)."""
        face = self.tracker.update(gray)
        if face.points is None or face.state not in ("detected", "tracked"):
            if self.smoother is not None:
                self.smoother.reset()
            return False, np.full((COUNT, 2), np.nan)
        pts = np.asarray(face.points, np.float64)
        return True, pts if self.smoother is None else self.smoother(pts, stamp)

    def run(self, frames: Iterator[Frame], fps: float) -> LiveReport:
        """Play ``frames`` (from ``video_frames`` or ``camera_frames``) until they end, or
        ``settings.frames``; the report also stays in ``self.report``."""
        rep, s = self.report, self.s
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        calib: List[Tuple[bool, np.ndarray]] = []
        start = first = 0.0
        self._status_at, self.fps = 0.0, fps
        if s.weights and self.performer is not None:
            self._stream()                             # build the solver before frame 1
        try:
            for _, stamp, gray in frames:
                if s.frames is not None and rep.frames >= s.frames:
                    break
                rep.frames += 1
                if rep.frames == 1:
                    start, first = time.perf_counter(), stamp
                if s.realtime:
                    due = start + (stamp - first)
                    now = time.perf_counter()
                    if now > due + 1.0 / fps:            # behind: skip, as a camera drops
                        rep.skipped += 1
                        continue
                    if now < due:
                        time.sleep(due - now)
                captured = time.perf_counter()
                valid, pts = self.track(gray, stamp)
                if (s.weights or s.calibrate) and self.performer is None:
                    calib.append((valid, pts))
                    found = sum(1 for v, _ in calib if v)
                    if stamp - first >= s.calibration_seconds and found >= MIN_CALIBRATION:
                        self._calibrate(calib, fps)
                        calib = []
                    continue
                self._send(sock, captured, valid, pts)
                self._status()
            if calib:
                self._calibrate(calib, fps)        # a take shorter than the calibration
        finally:
            sock.close()
            end = time.perf_counter()
            rep.wall = end - (self.first_sent or end)
            if s.status and self._status_at:
                sys.stderr.write("\n")              # end the status line
        return rep

    def _calibrate(self, calib, fps: float) -> None:
        from microexpr.solve.tracks import finish_tracks
        from microexpr.solve.tracks_to_clip import calibrate_for

        valid = np.array([v for v, _ in calib])
        if not valid.any():
            raise MicroExprError("no face in the %d calibration frames" % len(calib),
                                 field="--calibration-seconds",
                                 fix="face the camera at the start, or pass --performer FILE")
        pts = np.array([p for _, p in calib], np.float64)
        conf = np.repeat(valid[:, None], COUNT, axis=1).astype(np.float64)
        self.performer = calibrate_for(self.rig, finish_tracks(pts, conf, None, "<live>"))
        self.report.performer = self.performer
        self.report.calibration_frames = len(calib)

    def _stream(self):
        """The performer-mode solver (built once, with the performer known)."""
        from microexpr.solve.performer_stream import PerformerStream

        if self.stream is None:
            self.stream = PerformerStream(self.rig, self.performer, fps=self.fps)
            self.last_w = np.zeros(self.T)
        return self.stream

    def _solve(self, valid: bool, pts32: np.ndarray, conf32: np.ndarray) -> np.ndarray:
        """The weights of the float32 landmarks as sent (y flipped up, as tracks load);
        frames without a face hold the last weights."""
        stream = self._stream()
        if valid:
            y_up = pts32.astype(np.float64) * np.array([1.0, -1.0])
            self.last_w = stream.step(y_up, conf32.astype(np.float64))[0]
        return self.last_w

    def _send(self, sock, captured: float, valid: bool, pts: np.ndarray) -> None:
        rep = self.report
        pts32 = pts.astype(np.float32)
        conf32 = np.full(COUNT, 1.0 if valid else 0.0, np.float32)
        weights = self._solve(valid, pts32, conf32) if self.s.weights else None
        seq = rep.sent & 0xFFFFFFFF
        data = encode(seq, captured, valid, pts32, conf32, weights)
        try:
            sock.sendto(data, self.s.send)
        except OSError:
            rep.send_errors += 1
            return
        rep.latency.append(time.perf_counter() - captured)
        if self.first_sent is None:
            self.first_sent = captured
        rep.sent += 1
        rep.found += int(valid)
        if self.recorder is not None:
            self.recorder.add(seq, captured, valid, pts32, conf32, weights)

    def _status(self) -> None:
        now = time.perf_counter()
        if not self.s.status or now - self._status_at < 0.5:
            return
        self._status_at = now
        rep = self.report
        lat = 1000.0 * float(np.median(rep.latency[-60:])) if rep.latency else 0.0
        sys.stderr.write("\rlive: %d sent, %.1f frames/s, latency %.1f ms, %d dropped   "
                         % (rep.sent, rep.sent / max(now - (self.first_sent or now), 1e-9), lat, rep.dropped))
        sys.stderr.flush()
