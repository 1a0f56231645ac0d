"""One job on a worker: the same core functions as the single commands, then the record.

``run_job`` never raises for a job's own failure: it returns a :class:`JobResult` with the
error, and the batch decides whether to retry. A worker process keeps each rig it loaded
(keyed by path, size and modification time) and the rig's reviewer, so the jobs of a batch
load a rig once per worker, not once per take.

Outputs of a take ``NAME`` in ``DIR/NAME/``: ``NAME.microexpr`` (clip), ``NAME.review.json``
(review), ``NAME.review.png`` and ``NAME.thumb.png`` (sheet), ``NAME.fbx``, ``NAME.glb``,
``NAME.tracks.csv`` (capture's landmarks); then ``done.json``.
"""
from __future__ import annotations

import io
import os
import threading
import time
import traceback
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple

from microexpr.batch import records
from microexpr.batch.manifest import Job
from microexpr.errors import MicroExprError

#: file of each output, as a suffix after the take's name
FILES = {"clip": ".microexpr", "review": ".review.json", "sheet": ".review.png",
         "thumb": ".thumb.png", "fbx": ".fbx", "glb": ".glb", "tracks": ".tracks.csv"}
THUMB_WIDTH = 320
RECORD_FORMAT = "microexpr.batch.done"

_LOCK = threading.Lock()
_RIGS: Dict[Tuple[str, int, int], Any] = {}
_REVIEWERS: Dict[Tuple[str, int, int], Any] = {}


@dataclass
class JobResult:
    """What a worker sends back. ``timing``, seconds inside the worker: rig (from this
    process's cache, or loaded), work (what the single command does: read the input, run
    the core functions, write the outputs), record (hash the outputs, write ``done.json``),
    total."""

    name: str
    ok: bool
    frames: int = 0
    error: str = ""
    detail: str = ""
    record: Optional[Dict[str, Any]] = None
    timing: Dict[str, float] = field(default_factory=dict)
    rig_cached: bool = False
    pid: int = 0


def _rig_key(path: str) -> Tuple[str, int, int]:
    st = os.stat(path)
    return (os.path.abspath(path), st.st_size, st.st_mtime_ns)


def cached_rig(path: str):
    """(rig, key, was it cached): the rig loaded once per worker process and file version."""
    from microexpr import bridge

    key = _rig_key(path)
    with _LOCK:
        rig = _RIGS.get(key)
    if rig is not None:
        return rig, key, True
    rig = bridge.load_rig(path, lazy=True)          # the landmark matrices; meshes on use
    with _LOCK:
        for old in [k for k in _RIGS if k[0] == key[0]]:
            _RIGS.pop(old, None)                   # an older version of the same file
            _REVIEWERS.pop(old, None)
        _RIGS[key] = rig
    return rig, key, False


def _reviewer(rig, key):
    from microexpr.review.report import Reviewer

    with _LOCK:
        found = _REVIEWERS.get(key)
    if found is None:
        found = Reviewer(rig)
        with _LOCK:
            _REVIEWERS[key] = found
    return found


#: compensation of a job that names none: the default of ``microexpr solve`` and ``capture``
DEFAULT_COMPENSATION = "performer"


def calibration_frames(text: Any) -> Optional[Tuple[int, int]]:
    """``"A:B"`` as (A, B), as ``--calibration-frames``."""
    from microexpr.solve.performer import frame_segment

    return frame_segment(text, "calibration_frames")


def performer_kw(job: Job) -> Dict[str, Any]:
    """Performer mode's keywords that the job sets (``performer`` only when it names one)."""
    s = job.settings
    if s.get("compensation", DEFAULT_COMPENSATION) != "performer":
        return {}
    kw: Dict[str, Any] = {k: s[k] for k in ("prior", "speed") if k in s}
    if "calibration_frames" in s:
        kw["calibration_frames"] = calibration_frames(s["calibration_frames"])
    if job.performer:
        kw["performer"] = job.performer
    return kw


def _solve(job: Job, rig, tracks):
    from microexpr.solve.tracks_to_clip import solve_tracks

    s = job.settings
    kw: Dict[str, Any] = {k: s[k] for k in ("neutral_frame", "fps", "reg", "temporal", "mirrored")
                          if k in s}
    kw["mode"] = s.get("compensation", DEFAULT_COMPENSATION)
    return solve_tracks(rig, tracks, **kw, **performer_kw(job)), None


def capture_settings(job: Job):
    """CaptureSettings from a job's settings; unset ones keep ``microexpr capture``'s defaults."""
    from dataclasses import replace

    from microexpr.capture.pipeline import CaptureSettings

    settings = job.settings
    base = CaptureSettings()
    names = ("compensation", "neutral_frame", "neutral_frames", "mirrored", "reg", "temporal")
    solve: Dict[str, Any] = {k: settings[k] for k in names if k in settings}
    solve.update(performer_kw(job))
    if settings.get("smooth") is False:
        solve["smooth"] = None
    tracker: Dict[str, Any] = {}
    if "face_box" in settings:
        try:
            x, y, w, h = (float(v) for v in str(settings["face_box"]).split(","))
        except ValueError:
            raise MicroExprError("expected X,Y,W,H, got %r" % settings["face_box"], field="face_box",
                                 fix="e.g. 200,120,180,180 (pixels in the first frame)") from None
        tracker["face_box"] = (x, y, x + w, y + h)
    top = {k: settings[k] for k in ("min_face", "fps") if k in settings}
    return replace(base, solve=replace(base.solve, **solve),
                   tracker=replace(base.tracker, **tracker), **top)


def _capture(job: Job, rig, _tracks=None):
    from microexpr.capture.pipeline import capture

    result = capture(job.input, rig, capture_settings(job), progress=False)
    return result.clip, result


def thumbnail(png: bytes, width: int = THUMB_WIDTH) -> bytes:
    """A small PNG of a sheet (Pillow comes with matplotlib)."""
    from PIL import Image

    img = Image.open(io.BytesIO(png))
    img.thumbnail((width, width * 4))
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _write_outputs(job: Job, folder: str, rig, rig_key, clip, captured) -> Tuple[Dict[str, Any], Any]:
    """Every output of the job, each written atomically; (label -> file name, review)."""
    from microexpr import bridge
    from microexpr.atomicio import write_bytes

    path = {k: os.path.join(folder, job.name + v) for k, v in FILES.items()}
    written: List[str] = []
    review = None
    if "review" in job.outputs or "sheet" in job.outputs:
        review = _reviewer(rig, rig_key).review(clip)
    png = None
    if review is not None and "sheet" in job.outputs:
        try:
            from microexpr.review.sheet import render_sheet
        except ImportError as exc:          # pragma: no cover - matplotlib missing
            raise MicroExprError("cannot draw the review sheet (%s)" % exc, field="outputs",
                                 fix="pip install matplotlib on the workers, or ask for 'review' "
                                     "instead of 'sheet'") from None
        png = render_sheet(review, rig, job.name)
    bridge.save_clip(clip, path["clip"], "microexpr")
    written.append("clip")
    if review is not None:
        review.save(path["review"])
        written.append("review")
    if png is not None:
        write_bytes(path["sheet"], png)
        write_bytes(path["thumb"], thumbnail(png))
        written += ["sheet", "thumb"]
    if "fbx" in job.outputs or "glb" in job.outputs:
        from microexpr.rig.convert import export_rig

        export_rig(rig, clip, fbx=path["fbx"] if "fbx" in job.outputs else None,
                   glb=path["glb"] if "glb" in job.outputs else None)
        written += [k for k in ("fbx", "glb") if k in job.outputs]
    if "tracks" in job.outputs and captured is not None:
        captured.write_tracks_csv(path["tracks"])
        written.append("tracks")
    return {k: os.path.basename(path[k]) for k in written}, review


def _record(job: Job, folder: str, files: Dict[str, str], frames: int, review) -> Dict[str, Any]:
    rec: Dict[str, Any] = {
        "format": RECORD_FORMAT, "take": job.name, "kind": job.kind, "key": job.key,
        "input": job.input, "rig": job.rig, "frames": frames,
        "outputs": {k: records.output_entry(folder, f) for k, f in files.items()},
        "passed": None, "checks": []}
    if review is not None:
        rec["passed"] = bool(review.passed)
        rec["checks"] = [c.to_dict() for c in review.checks]
    return rec


def _run(job: Job, out_dir: str, result: JobResult) -> None:
    folder = records.take_dir(out_dir, job.name)
    os.makedirs(folder, exist_ok=True)
    records.forget_other_key(folder, job.key)
    t0 = time.perf_counter()
    if job.kind == "mayapy":
        from microexpr.batch.mayapy import run_scene

        t1 = time.perf_counter()
        files = run_scene(job, folder)
        frames, review = 0, None
    else:
        rig, rig_key, result.rig_cached = cached_rig(job.rig or "")
        t1 = time.perf_counter()
        tracks = None
        if job.kind == "solve":
            from microexpr.solve.tracks import load_tracks

            tracks = load_tracks(job.input)
        clip, captured = (_capture if job.kind == "capture" else _solve)(job, rig, tracks)
        frames = len(clip.weights)
        files, review = _write_outputs(job, folder, rig, rig_key, clip, captured)
    t2 = time.perf_counter()
    record = _record(job, folder, files, frames, review)
    records.write_done(folder, record)
    t3 = time.perf_counter()
    result.ok, result.frames, result.record = True, frames, record
    result.timing = {"rig": t1 - t0, "work": t2 - t1, "record": t3 - t2, "total": t3 - t0}


def run_job(job: Job, out_dir: str) -> JobResult:
    """Run one job in this process: outputs, then ``done.json``. Never raises for the job's
    own failure (bad input, no face, a failing writer): the result carries the error."""
    result = JobResult(job.name, False, pid=os.getpid())
    t0 = time.perf_counter()
    try:
        _run(job, out_dir, result)
    except Exception as exc:  # a job's failure is data for the batch, not a crash
        text = str(exc).strip() or type(exc).__name__
        result.ok = False
        result.error = text if isinstance(exc, MicroExprError) else "%s: %s" % (
            type(exc).__name__, text)
        result.detail = traceback.format_exc(limit=8)
        result.timing = {"total": time.perf_counter() - t0}
    return result
