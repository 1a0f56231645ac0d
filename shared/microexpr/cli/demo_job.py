"""``microexpr demo``: the whole pipeline on the embedded default face, in under a minute.

Builds the Table-1 and ARKit rigs, synthesises one micro-expression per EMFACS emotion on one
timeline, turns it into 2-D landmark tracks with head motion and pixel noise, solves them back
(rigid compensation) and measures how close the recovered weights are, exports bridge JSON, FBX
and GLB, reviews the clip (sheet and report) and checks the C# runtime against the Python core:
the same solves, and the first seconds of the tracks streamed live over loopback UDP to the C#
``UdpLandmarkSource`` and solved there as they arrive.
"""
from __future__ import annotations

import os
import socket
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Callable, List, Optional, Tuple, cast

import numpy as np

from microexpr import bridge
from microexpr.errors import MicroExprError

EMOTIONS = ("happiness", "sadness", "surprise", "fear", "anger", "disgust", "contempt")
#: Seconds of the tracks the live step streams, at the take's frame rate.
LIVE_SECONDS = 3.0
#: The largest C# - Python weight difference the live step accepts.
LIVE_TOLERANCE = 1e-9


@dataclass
class DemoResult:
    out: str
    files: List[Tuple[str, str]] = field(default_factory=list)     # (what, path)
    figures: List[Tuple[str, str]] = field(default_factory=list)   # (what, value)
    problems: List[str] = field(default_factory=list)
    seconds: float = 0.0


class _Steps:
    """Prints numbered steps with their time to stderr: the demo's progress display."""

    def __init__(self, total: int, stream=None) -> None:
        self.total, self.n, self.stream = total, 0, stream or sys.stderr
        self.t0 = time.perf_counter()

    def run(self, title: str, fn: Callable):
        self.n += 1
        self.stream.write("[%d/%d] %-48s" % (self.n, self.total, title + " ..."))
        self.stream.flush()
        t = time.perf_counter()
        try:
            value = fn()
        except BaseException:
            self.stream.write(" failed\n")
            raise
        self.stream.write(" %5.1f s\n" % (time.perf_counter() - t))
        return value


def _timeline(rig: bridge.Rig, fps: float, seed: int) -> bridge.Clip:
    """A neutral clip with one micro-expression per emotion, 1 s apart."""
    from microexpr.micro import Synthesizer

    synth = Synthesizer(rig)                     # the rig's deltas are prepared once
    frames = int(round((len(EMOTIONS) + 0.6) * fps))
    T = len(rig.targets)
    clip = bridge.Clip(fps=fps, targets=rig.target_names(), weights=np.zeros((frames, T)),
                       valid=np.ones(frames, dtype=bool), rig_fingerprint=rig.mesh().fingerprint)
    for k, emotion in enumerate(EMOTIONS):
        clip = synth.clip(emotion=emotion, seed=seed + k, fps=fps, at=0.5 + k, base=clip)
    return clip


def run_demo(out: str, fps: float = 60.0, seed: int = 7, noise_px: float = 0.1,
             pixels_per_cm: float = 12.0, parity: bool = True, stream=None,
             live_seconds: float = LIVE_SECONDS) -> DemoResult:
    """Every step of the demo, written into ``out``; progress goes to ``stream`` (stderr).
    ``parity``: the two C# steps (solves compared, and ``live_seconds`` streamed live)."""
    from microexpr.rig.face import default_face

    os.makedirs(out, exist_ok=True)
    res = DemoResult(out)
    steps = _Steps(8 if parity else 6, stream)
    p = lambda name: os.path.join(out, name)  # noqa: E731
    face = steps.run("building the default face", default_face)
    table1, arkit = steps.run("building Table-1 and ARKit rigs", lambda: _rigs(face, out))
    res.files += [("rig, Table-1 preset (%d targets)" % len(table1.targets), p("rig_table1.json")),
                  ("rig, ARKit preset (%d targets)" % len(arkit.targets), p("rig_arkit.json"))]

    clip = steps.run("one micro-expression per emotion", lambda: _timeline(arkit, fps, seed))
    bridge.save_clip(clip, p("micro.json"))
    res.files.append(("micro-expressions, %d events, %.1f s" % (len(clip.events), len(clip.weights) / fps),
                      p("micro.json")))

    truth = clip.weight_array()
    tracks, solved = steps.run(
        "landmark tracks with head motion, solved back",
        lambda: _capture_and_solve(arkit, truth, out, fps, seed, noise_px, pixels_per_cm))
    res.files += [("2-D landmark tracks (head motion, %.2f px noise)" % noise_px, p("tracks.csv")),
                  ("solved clip (rigid compensation)", p("solved.json"))]
    res.figures += _recovery(arkit, truth, solved)

    steps.run("exporting FBX and GLB", lambda: _export(arkit, clip, out))
    res.files += [("FBX 7.4, blend shapes + weight curves", p("face.fbx")),
                  ("glTF 2.0 binary, morph targets + animation", p("face.glb"))]

    rv = steps.run("reviewing the clip", lambda: _review(arkit, clip, out))
    res.files += [("review sheet", p("review.png")), ("review report", p("review.json"))]
    res.figures.append(("review checks", ", ".join("%s %s" % (c.name, "pass" if c.passed else "FAIL")
                                                   for c in rv.checks)))
    if parity:
        res.figures += steps.run("C# runtime against the Python core", lambda: _parity(arkit, tracks, clip))
        res.figures += steps.run("live over loopback UDP to the C# runtime",
                                 lambda: _live(arkit, tracks, fps, live_seconds, out, res))
    res.seconds = time.perf_counter() - steps.t0
    return res


def _rigs(face, out: str) -> Tuple[bridge.Rig, bridge.Rig]:
    """The Table-1 and ARKit rigs of the default face, saved into ``out``."""
    from microexpr.rig.build import build_rig

    table1 = build_rig(face.skin, face.landmark_vertices, "table1", extra_meshes=[face.eyes])
    arkit = build_rig(face.skin, face.landmark_vertices, "arkit", extra_meshes=[face.eyes])
    bridge.save_rig(table1, os.path.join(out, "rig_table1.json"))
    bridge.save_rig(arkit, os.path.join(out, "rig_arkit.json"))
    return table1, arkit


def _capture_and_solve(rig: bridge.Rig, truth: np.ndarray, out: str, fps: float, seed: int,
                       noise_px: float, pixels_per_cm: float):
    """What a camera would track of ``truth`` under head motion, and the clip solved back."""
    from microexpr.solve.synthetic_tracks import head_motion, image_tracks
    from microexpr.solve.tracks import write_tracks_csv
    from microexpr.solve.tracks_to_clip import solve_tracks

    angles = head_motion(len(truth), yaw=8, pitch=6, roll=5, seed=seed)
    tracks = image_tracks(rig, truth, angles, pixels_per_unit=pixels_per_cm,
                          noise_px=noise_px, seed=seed, fps=fps)
    write_tracks_csv(os.path.join(out, "tracks.csv"), tracks)
    solved = solve_tracks(rig, tracks, "rigid", reg=1e-3, temporal=0.05)
    bridge.save_clip(solved, os.path.join(out, "solved.json"))
    return tracks, solved


def _recovery(rig: bridge.Rig, truth: np.ndarray, solved: bridge.Clip) -> List[Tuple[str, str]]:
    """How close the solved weights are to the ones that made the tracks."""
    got = solved.weight_array()
    pinned = set(solved.source.get("pinned_targets", []))
    seen = np.array([n not in pinned for n in rig.target_names()])
    err = np.abs(got - truth)[:, seen]
    worst = rig.target_names()[int(np.nonzero(seen)[0][np.argmax(err.max(axis=0))])]
    B2 = rig.landmark_delta_matrix()[:, :2]          # what a frontal camera sees, cm
    mm = 10.0 * np.linalg.norm(np.einsum("ljt,ft->flj", B2, got - truth), axis=2)
    peak = 10.0 * np.linalg.norm(np.einsum("ljt,ft->flj", B2, truth), axis=2).max()
    return [("recovered weights, mean |error|", "%.4f (%d targets the camera can see)"
             % (err.mean(), seen.sum())),
            ("recovered weights, worst |error|", "%.3f (%s)" % (err.max(), worst)),
            ("landmark error in the image plane, worst", "%.2f mm (micro-expression peak %.2f mm)"
             % (mm.max(), peak)),
            ("pinned (depth-only or unobservable)", ", ".join(sorted(pinned)) or "none")]


def _export(rig: bridge.Rig, clip: bridge.Clip, out: str) -> None:
    from microexpr.formats.fbx_export import write_fbx
    from microexpr.formats.gltf_export import write_gltf
    from microexpr.rig.convert import rig_to_scene

    scene = rig_to_scene(rig, clip)
    write_fbx(scene, os.path.join(out, "face.fbx"))
    write_gltf(scene, os.path.join(out, "face.glb"))


def _review(rig: bridge.Rig, clip: bridge.Clip, out: str):
    """The review sheet and report of the clip."""
    import json

    from microexpr.atomicio import write_text
    from microexpr.review import review
    from microexpr.review.sheet import write_sheet

    rv = review(rig, clip)
    write_sheet(os.path.join(out, "review.png"), rv, rig, title="MicroExpr demo: seven micro-expressions")
    write_text(os.path.join(out, "review.json"), json.dumps(rv.to_dict(), indent=1, default=float))
    return rv


def _parity(rig, tracks, clip) -> List[Tuple[str, str]]:
    from microexpr.unity.build import missing_mono
    from microexpr.unity.net import missing_pythonnet

    why = missing_mono() or missing_pythonnet()
    if why:
        return [("C# parity", "not run: %s" % why)]
    from microexpr.unity.clip_parity import compare_clip
    from microexpr.unity.parity import RigArrays, compare_tracks

    diffs = compare_tracks(RigArrays.from_rig(rig), tracks, ("raw", "reference", "rigid"))
    worst = max(d["max_abs_diff"] for d in diffs.values())
    played = cast(float, compare_clip(clip, on_neutral=True)["max_abs_diff"])  # layered onto zeros
    return [("C# vs Python, solved weights (3 modes)", "%.1e max |diff|" % worst),
            ("C# vs Python, micro clip played and its events layered", "%.1e max |diff|" % played)]


class _TakeSender:
    """Sends frames as live packets (version 1, ``capture.live_packet``) from a thread to a
    loopback port, one every 1/fps s from the first; each is stamped with its send time."""

    def __init__(self, points: np.ndarray, confidence: np.ndarray, fps: float) -> None:
        self.points, self.confidence, self.fps = points, confidence, fps
        self.sent = 0
        self.error: Optional[BaseException] = None
        self.thread: Optional[threading.Thread] = None

    def start(self, port: int) -> Callable[[], bool]:
        """Start sending to ``127.0.0.1:port``; returns whether it has finished."""
        thread = threading.Thread(target=self._run, args=(port,), name="demo-live-sender", daemon=True)
        self.thread = thread
        thread.start()
        return lambda: not thread.is_alive()

    def _run(self, port: int) -> None:
        from microexpr.capture.live_packet import encode

        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        t0 = time.perf_counter()
        try:
            for seq, (pts, conf) in enumerate(zip(self.points, self.confidence)):
                wait = t0 + seq / self.fps - time.perf_counter()
                if wait > 0:
                    time.sleep(wait)
                sock.sendto(encode(seq, time.perf_counter(), bool(conf.any()), pts, conf),
                            ("127.0.0.1", port))
                self.sent += 1
        except BaseException as exc:        # reported by the step, never lost in the thread
            self.error = exc
        finally:
            sock.close()


def _live(rig, tracks, fps: float, seconds: float, out: str, res: DemoResult) -> List[Tuple[str, str]]:
    """The first ``seconds`` of ``tracks`` streamed at ``fps`` to the C# ``UdpLandmarkSource``
    (this process, Mono), each new face solved by C#'s ``PerformerSolver``; Python's
    ``PerformerStream`` solves the float32 landmarks sent in the same order, with the same
    performer file (calibrated on those frames and written to ``performer.json``)."""
    from microexpr.unity.build import missing_mono
    from microexpr.unity.net import missing_pythonnet

    why = missing_mono() or missing_pythonnet()
    if why:
        return [("live over loopback to C#", "not run: %s" % why)]
    from microexpr.solve.performer import save_performer
    from microexpr.solve.tracks_to_clip import calibrate_for
    from microexpr.unity.live_check import listen, max_gap, python_weights

    n = min(tracks.frames, max(1, int(round(seconds * fps))))
    perf = os.path.join(out, "performer.json")
    save_performer(calibrate_for(rig, tracks, (0, n)), perf)
    res.files.append(("performer (calibrated on the %d streamed frames)" % n, perf))
    sent = {"points": (tracks.points[:n] * [1.0, -1.0]).astype(np.float32),    # pixels, y down
            "confidence": tracks.confidence[:n].astype(np.float32), "fps": fps}
    sender = _TakeSender(sent["points"], sent["confidence"], fps)
    run = listen(rig, perf, fps, sender.start, timeout=60.0 + 2.0 * n / fps)
    if sender.error is not None:
        raise sender.error
    gap = max_gap(run.faces, python_weights(rig, perf, sent, run.faces))
    med, p95 = run.latency_ms()
    lost = sender.sent - run.received
    if gap > LIVE_TOLERANCE or run.accepted != sender.sent or run.malformed or run.error:
        res.problems.append("live over loopback: C# and Python differ by %.1e, or packets were "
                            "lost (%s)" % (gap, run.error or "see the counts"))
    return [("live over loopback, %.1f s at %g frames/s" % (n / fps, fps),
             "%d packets sent, %d received, %d dropped, %d lost; %d solved in C#"
             % (sender.sent, run.received, run.dropped + run.malformed, lost, len(run.faces))),
            ("live over loopback, latency send -> C# weights", "median %.2f ms, 95th percentile "
             "%.2f ms" % (med, p95)),
            ("live over loopback, C# vs Python weights", "%.1e max |diff| (tolerance %g)"
             % (gap, LIVE_TOLERANCE))]


def print_summary(res: DemoResult, stream=None) -> None:
    stream = stream or sys.stdout
    w = max(len(a) for a, _ in res.files + res.figures)
    stream.write("\nMicroExpr demo: %d files in %s (%.1f s)\n" % (len(res.files), res.out, res.seconds))
    stream.write("-" * (w + 40) + "\n")
    for what, path in res.files:
        stream.write("%-*s  %s\n" % (w, what, os.path.relpath(path)))
    stream.write("-" * (w + 40) + "\n")
    for what, value in res.figures:
        stream.write("%-*s  %s\n" % (w, what, value))
    for prob in res.problems:
        stream.write("problem: %s\n" % prob)


def check_out_dir(out: Optional[str]) -> str:
    out = out or "microexpr_demo"
    if os.path.exists(out) and not os.path.isdir(out):
        raise MicroExprError("is a file, not a folder", file=out, field="--out",
                             fix="pass a folder for the demo's outputs")
    return out
