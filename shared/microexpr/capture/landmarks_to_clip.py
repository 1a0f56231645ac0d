"""Captured landmarks to a clip: smoothing, even frame times, neutral calibration, the
solve (``microexpr.solve.tracks_to_clip.solve_tracks``, rigid head-motion compensation by default) and
gap bridging.

Frames without a face stay invalid in the clip (``valid`` False). Gaps up to ``bridge``
seconds get weights interpolated between their neighbours instead of held (they remain
marked invalid, and are listed in ``clip.source["capture"]["bridged"]``); nothing else is
filled in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

import numpy as np

from microexpr.bridge import Clip, Rig
from microexpr.capture.smooth import SmoothSettings, mm_per_pixel, runs, smooth_track
from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, RIGID
from microexpr.solve.key_weights import MODES, similarity_fit

#: Ridge weight for captured landmarks, ten times ``solve``'s default: dlib's landmarks jitter
#: by ~0.1-0.3 mm, and with 1e-3 that noise alone drives targets whose landmark motion is
#: small (mouthRollLower, mouthPress_*, cheekSquint_*) to full weight.
CAPTURE_REG = 1e-2


def noise_floor(points: np.ndarray, valid: np.ndarray) -> Optional[float]:
    """Landmark jitter in pixels (a robust std per coordinate) from second differences over
    three frames in a row with a face: steady head motion cancels, noise stays (its second
    difference has 6 times its variance). None with fewer than 3 such frames."""
    P = np.asarray(points, dtype=np.float64)
    v = np.asarray(valid, dtype=bool)
    ok = v[2:] & v[1:-1] & v[:-2]
    if not ok.any():
        return None
    d2 = (P[2:] - 2 * P[1:-1] + P[:-2])[ok]
    return float(1.4826 * np.median(np.abs(d2)) / np.sqrt(6.0))


@dataclass
class SolveSettings:
    compensation: str = "performer"
    neutral_frame: Optional[int] = None   # a frame of the input; None = the first frames
    neutral_frames: int = 10              # how many first valid frames make the neutral
    mirrored: bool = False
    bridge: float = 0.05                  # seconds; longer gaps hold the last weights
    fps: Optional[float] = None           # clip rate; default: the input's typical rate
    reg: float = CAPTURE_REG
    temporal: float = 0.0
    smooth: Optional[SmoothSettings] = field(default_factory=SmoothSettings)  # None = off
    performer: Optional[object] = None    # performer mode: a Performer or its file's path
    calibration_frames: Optional[Tuple[int, int]] = None
    prior: Optional[float] = None         # performer mode's priors (None: the defaults)
    speed: Optional[float] = None


def even_grid(times: np.ndarray, fps: Optional[float] = None, tol: float = 0.2):
    """Even clip times for frame ``times``. Returns (grid, lo, frac, rate, resampled): grid
    time g lies between input frames lo and lo + 1 at fraction frac. Constant-rate input
    (every step within ``tol`` of the typical one) maps one to one."""
    t = np.asarray(times, dtype=np.float64)
    if len(t) < 2:
        return t.copy(), np.zeros(len(t), int), np.zeros(len(t)), float(fps or 30.0), False
    dt = np.diff(t)
    if not np.all(dt > 0):
        raise MicroExprError("frame times are not increasing (frame %d)"
                             % (int(np.argmin(dt > 0)) + 1), field="times",
                             fix="re-encode the video or give --fps for image folders")
    med = float(np.median(dt))
    rate = float(fps) if fps else 1.0 / med
    if (fps is None or abs(rate * med - 1.0) < 1e-3) and np.all(np.abs(dt - med) <= tol * med):
        return t.copy(), np.arange(len(t)), np.zeros(len(t)), rate, False
    n = int(np.floor((t[-1] - t[0]) * rate + 1e-6)) + 1
    grid = t[0] + np.arange(n) / rate
    lo = np.clip(np.searchsorted(t, grid + 1e-9, side="right") - 1, 0, len(t) - 1)
    hi = np.minimum(lo + 1, len(t) - 1)
    span = np.where(hi > lo, t[hi] - t[lo], 1.0)
    frac = np.clip((grid - t[lo]) / span, 0.0, 1.0)
    frac = np.where(frac < 1e-6, 0.0, frac)
    return grid, lo, frac, rate, True


def resample(values: np.ndarray, valid: np.ndarray, lo: np.ndarray, frac: np.ndarray):
    """Linear interpolation between input frames lo and lo + 1; a grid frame is valid only
    when every input frame it uses is."""
    hi = np.minimum(lo + 1, len(values) - 1)
    w = frac.reshape((-1,) + (1,) * (values.ndim - 1))
    out = (1.0 - w) * values[lo] + w * np.where(np.isfinite(values[hi]), values[hi], 0.0)
    ok = valid[lo] & ((frac == 0) | valid[hi])
    out[~ok] = np.nan
    return out, ok


def neutral_landmarks(points: np.ndarray, valid: np.ndarray, count: int) -> Tuple[np.ndarray, List[int]]:
    """The neutral face: the per-coordinate median of the first ``count`` valid frames, each
    moved onto the first by a similarity fit on the rigid landmarks (head motion removed)."""
    idx = np.flatnonzero(valid)[:max(1, count)]
    if not len(idx):
        raise MicroExprError("no frame has a face, so there is no neutral",
                             fix="check that the video shows a face")
    rigid = list(RIGID)
    ref = points[idx[0]]
    aligned = []
    for i in idx:
        s, R, t = similarity_fit(points[i][rigid], ref[rigid])
        aligned.append(s * points[i] @ R.T + t)
    return np.median(np.stack(aligned), axis=0), idx.tolist()


def bridge_gaps(W: np.ndarray, valid: np.ndarray, max_frames: int) -> List[Tuple[int, int]]:
    """Interpolate weights (in place) over invalid runs of at most ``max_frames`` frames that
    have valid frames on both sides. Returns the bridged (start, stop) runs."""
    done: List[Tuple[int, int]] = []
    if max_frames <= 0:
        return done
    for a, b in runs(~valid):
        if a == 0 or b == len(valid) or b - a > max_frames:
            continue
        k = np.arange(1, b - a + 1)[:, None] / float(b - a + 1)
        W[a:b] = (1 - k) * W[a - 1] + k * W[b]
        done.append((a, b))
    return done


def clip_from_landmarks(rig: Rig, points: np.ndarray, times: np.ndarray,
                        valid: Optional[np.ndarray] = None,
                        settings: Optional[SolveSettings] = None,
                        source: str = "<capture>") -> Tuple[Clip, np.ndarray, Dict[str, object]]:
    """Solve a clip from captured landmarks ``points`` (F, 68, 2), image pixels with y down
    (NaN or ``valid`` False where there was no face) at ``times`` (F,) seconds.

    Returns (clip, smoothed landmarks (F, 68, 2), report). Raises MicroExprError when no
    frame has a face or the neutral frame has none.
    """
    s = settings or SolveSettings()
    if s.compensation not in MODES + ("performer",):
        raise MicroExprError("unknown compensation mode %r" % s.compensation,
                             field="--compensation", fix="use one of: " + ", ".join(MODES))
    pts = np.array(points, dtype=np.float64)
    if pts.ndim != 3 or pts.shape[1:] != (COUNT, 2):
        raise MicroExprError("landmarks are shaped %s, expected (frames, 68, 2)" % (pts.shape,),
                             file=source)
    F = len(pts)
    times = np.asarray(times, dtype=np.float64)
    if times.shape != (F,) or not np.all(np.isfinite(times)):
        raise MicroExprError("%d frame times for %d frames (or times not finite)"
                             % (times.size, F), file=source, field="times")
    ok = np.all(np.isfinite(pts), axis=(1, 2))
    if valid is not None:
        ok &= np.asarray(valid, dtype=bool)
    if not ok.any():
        raise MicroExprError("no frame has a face", file=source,
                             fix="check that the input shows a frontal face")
    pts[~ok] = np.nan
    raw_noise = noise_floor(pts, ok)
    if s.smooth is not None:
        pts = smooth_track(pts, times, ok, s.smooth)
    grid, lo, frac, rate, resampled = even_grid(times, s.fps)
    gpts, gok = resample(pts, ok, lo, frac) if resampled else (pts.copy(), ok.copy())
    n = len(grid)
    mmpp = mm_per_pixel(pts, ok)
    report: Dict[str, object] = {"input_frames": F, "frames": n, "fps": rate,
                                 "resampled": bool(resampled), "mm_per_pixel": mmpp,
                                 "noise_px": raw_noise}
    if s.neutral_frame is not None:
        if not 0 <= s.neutral_frame < F:
            raise MicroExprError("neutral frame %d is outside the %d frames" % (s.neutral_frame, F),
                                 field="--neutral-frame", fix="pick a frame between 0 and %d" % (F - 1))
        if not ok[s.neutral_frame]:
            raise MicroExprError("the neutral frame %d has no face" % s.neutral_frame,
                                 field="--neutral-frame", fix="pick a frame where the face is found")
        g0 = int(np.argmin(np.abs(grid - times[s.neutral_frame])))
        neutral, used = gpts[g0] if gok[g0] else pts[s.neutral_frame], [int(s.neutral_frame)]
    else:
        neutral, used = neutral_landmarks(gpts, gok, s.neutral_frames)
        g0 = used[0]
    report["neutral"] = {"frames": used, "how": "given frame" if s.neutral_frame is not None
                         else "median of the first %d frames with a face" % len(used)}
    from microexpr.solve.tracks import finish_tracks
    from microexpr.solve.tracks_to_clip import solve_tracks

    extra: Dict[str, Any] = {}
    if s.compensation == "performer":
        # the performer's neutral comes from the calibration, not from a frame
        tracks = finish_tracks(gpts, np.repeat(gok[:, None], COUNT, axis=1).astype(np.float64),
                               grid, source)
        extra = {"performer": s.performer, "prior": s.prior, "speed": s.speed,
                 "calibration_frames": s.calibration_frames}
        first = 0
    else:
        # the neutral goes in front as an extra frame 0, solved against, then dropped
        dt = 1.0 / rate
        all_pts = np.concatenate([neutral[None], gpts])
        conf = np.repeat(np.concatenate([[True], gok])[:, None], COUNT, axis=1).astype(np.float64)
        tracks = finish_tracks(all_pts, conf, np.concatenate([[grid[0] - dt], grid]), source)
        first = 1
    solved = solve_tracks(rig, tracks, s.compensation, 0, rate, s.reg, s.temporal, s.mirrored,
                          **extra)
    W = solved.weight_array()[first:].copy()
    cvalid = solved.valid_array()[first:].copy()
    bridged = bridge_gaps(W, cvalid, int(round(s.bridge * rate)) if s.bridge > 0 else 0)
    gaps = runs(~cvalid)
    report["gaps"] = [[a, b] for a, b in gaps]
    report["bridged"] = [[a, b] for a, b in bridged]
    src = dict(solved.source)
    src.pop("missing", None)
    src["invalid_frames"] = [int(i) for i in np.flatnonzero(~cvalid)]
    src["frames"] = n
    src["neutral_frame"] = g0                 # a clip frame
    src.update({"kind": "capture", "capture": report})
    clip = Clip(generator=solved.generator, fps=rate, start_time=float(grid[0]),
                targets=solved.targets, weights=np.clip(W, 0, 1), valid=cvalid,
                hold_invalid=True, rig_fingerprint=solved.rig_fingerprint, source=src)
    return clip, pts, report
