"""How long ``microexpr verify-unity --clip`` takes on a long clip of the default ARKit rig, and
its peak memory, against the old per-frame path measured in the same run.

The clip: 42 targets at 60 fps, smooth random curves in 0-1 with 40 micro-expression events
layered on them, 2 % of the frames invalid (``hold_invalid``), written as a ``.microexpr``
container with ``bridge.save_clip``; the rig is built from the default face and written the
same way. Each figure comes from a fresh child process (its ``ru_maxrss`` is the peak memory
of the whole process: Python, Mono and both copies of the clip):

- **baseline**: the old per-frame path on a shorter clip: Python holds invalid frames in a loop
  over frames, C# is called once per frame through pythonnet (``ClipPlayer.EvaluateFrame``,
  ``MicroLayer.Layer``), and every result is a whole (frames, targets) array;
- **verify-unity**: the command as a user runs it (``cli.main``), which compares in chunks
  (``clip_parity.compare_clip``: ``ClipPlayer.EvaluateFrames``, ``MicroLayer.LayerFrames``).

The ratio compares the time per frame with the baseline's. Goals of issue #14 (reported, never
enforced): 1,000,000 frames in < 60 s, and peak memory below 4 copies of the clip's weights +
500 MB (it must not multiply with the frame count). Checks: every run proves parity (every
difference 0 here: both sides compute the same numbers), and the baseline finds the same.
Exit code (see benchmarks/verdict.py): 0 when the checks pass; 1 when one fails or the script
crashes; 2 on bad arguments.
Run: ``python benchmarks/verify_clip.py [--frames 100000,1000000] [--baseline-frames 20000]
[--keep DIR] [--smoke]``.
"""
from __future__ import annotations

import argparse
import io
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from contextlib import redirect_stdout
from typing import List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from verdict import Verdict, add_smoke_flag, times  # noqa: E402

FPS, EVENTS = 60.0, 40


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def write_rig(folder: str) -> str:
    """The default ARKit rig as a container; its path."""
    from microexpr import bridge
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face

    path = os.path.join(folder, "rig_arkit.microexpr")
    if not os.path.exists(path):
        face = default_face()
        bridge.save_rig(build_rig(face.skin, face.landmark_vertices, "arkit"), path)
    return path


def write_clip(rig_path: str, frames: int, folder: str) -> str:
    """A clip of ``frames`` frames for the rig (see the module's docstring); its path."""
    from microexpr import bridge
    from microexpr.bridge import Clip
    from microexpr.bridge.models import MicroEvent
    from microexpr.micro.envelope import layer

    path = os.path.join(folder, "clip_%d.microexpr" % frames)
    if os.path.exists(path):
        return path
    rig = bridge.load_rig(rig_path, lazy=True)
    names = rig.target_names()
    rng = np.random.default_rng(5)
    t = np.arange(frames) / FPS
    W = np.empty((frames, len(names)))
    for k in range(len(names)):
        f, p = rng.uniform(0.05, 0.5), rng.uniform(0, 2 * np.pi)
        W[:, k] = 0.4 * (1 + np.sin(2 * np.pi * f * t + p)) / 2
    events = []
    for _ in range(EVENTS):
        on = float(rng.uniform(0, t[-1]))
        events.append(MicroEvent(au="12", target=names[int(rng.integers(len(names)))], onset=on,
                                 apex=on + 0.05, offset=on + 0.2, peak_weight=0.3, params={"hold": 0.01}))
    W = layer(W, events, names, t)
    valid = np.ones(frames, bool)
    valid[rng.integers(0, frames, max(1, frames // 50))] = False
    valid[:3] = False
    bridge.save_clip(Clip(fps=FPS, targets=names, weights=W, valid=valid, hold_invalid=True,
                          rig_fingerprint=rig.mesh().fingerprint, events=events,
                          source={"base": "random curves"}), path)
    return path


def old_path(clip, data) -> dict:
    """The per-frame path this benchmark replaces: a Python loop holding invalid frames, one
    pythonnet call per frame into C#, whole (frames, targets) arrays on both sides."""
    from microexpr.micro.envelope import layer
    from microexpr.unity import net

    rt = net.runtime()
    W = clip.weight_array().copy()
    last = None
    for f, ok in enumerate(clip.valid_array()):
        if ok:
            last = f
        elif last is not None and clip.hold_invalid:
            W[f] = W[last]
    F, T = data.Frames, data.TargetCount
    player, micro = rt.ClipPlayer(data), rt.MicroLayer(data.Events, data.Targets)
    played, layered = np.zeros((F, T)), np.zeros((F, T))
    row = net.new_doubles(T)
    for f in range(F):
        player.EvaluateFrame(f, row)
        played[f] = net.from_net(row)
        micro.Layer(net.to_net(np.zeros(T)), data.FrameTime(f), row)
        layered[f] = net.from_net(row)
    events = layer(np.zeros((F, T)), clip.events, clip.targets, clip.times())
    return {"player_diff": float(np.max(np.abs(W - played))),
            "events_diff": float(np.max(np.abs(events - layered)))}


def child(kind: str, rig_path: str, clip_path: str) -> dict:
    """One measured run in this fresh process: seconds and peak memory."""
    from microexpr import bridge
    from microexpr.unity import net, parity

    net.runtime()                                  # Mono started outside the timing
    t0 = time.perf_counter()
    if kind == "baseline":
        clip = bridge.load_clip(clip_path)
        r = old_path(clip, parity.csharp_clip_file(clip_path, clip))
        ok, out = r["player_diff"] == 0.0 and r["events_diff"] == 0.0, json.dumps(r)
    else:
        from microexpr.cli.main import main

        buf = io.StringIO()
        with redirect_stdout(buf):
            code = main(["verify-unity", "--rig", rig_path, "--clip", clip_path, "--tolerance", "0"])
        ok, out = code == 0 and "parity proven" in buf.getvalue(), buf.getvalue()
    return {"seconds": time.perf_counter() - t0, "peak_mb": _peak_mb(), "ok": ok, "output": out[-2000:]}


def run_child(kind: str, rig_path: str, clip_path: str) -> dict:
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--child", kind, rig_path, clip_path],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("%s failed:\n%s%s" % (kind, r.stdout[-2000:], r.stderr[-3000:]))
    return json.loads(r.stdout.strip().splitlines()[-1])


def _written(rig_path: str, frames: int, folder: str) -> str:
    """The rig ("-") or a clip, written by a process of its own: a child's ``ru_maxrss`` starts
    at its parent's resident size (Linux keeps it across fork and exec), so the process that
    starts the measured runs must not hold a clip."""
    r = subprocess.run([sys.executable, os.path.abspath(__file__), "--write", rig_path, str(frames),
                        folder], capture_output=True, text=True, check=True)
    return r.stdout.strip().splitlines()[-1]


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--frames", default="100000,1000000", help="clip lengths, a comma list (default 100000,1000000)")
    ap.add_argument("--baseline-frames", type=int, default=20000, help="the old path's clip (default 20000)")
    ap.add_argument("--keep", help="write the rig and clips here (and reuse them) instead of a temporary folder")
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    ap.add_argument("--write", nargs=3, help=argparse.SUPPRESS)
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.child:
        print(json.dumps(child(*args.child)))
        return 0
    if args.write:
        rig, frames, where = args.write
        print(write_rig(where) if rig == "-" else write_clip(rig, int(frames), where))
        return 0
    from microexpr.unity import build, net

    reason = build.missing_mono() or net.missing_pythonnet()
    if reason:
        print("cannot run: %s" % reason)
        return 2
    v = Verdict(args.smoke)
    sizes = [1000, 3000] if args.smoke else [int(x) for x in args.frames.split(",")]
    base_frames = 500 if args.smoke else args.baseline_frames
    folder = args.keep or tempfile.mkdtemp(prefix="microexpr-verify-clip-")
    os.makedirs(folder, exist_ok=True)
    rig_path = _written("-", 0, folder)
    print("%-52s %9s %8s %11s  %s" % ("", "seconds", "peak MB", "us / frame", "per frame vs the baseline"))
    base = run_child("baseline", rig_path, _written(rig_path, base_frames, folder))
    v.check("the old per-frame path finds both sides equal on %d frames (%s)" % (base_frames, base["output"]),
            base["ok"])
    per_base = base["seconds"] / base_frames
    print("%-52s %9.2f %8.0f %11.1f  %s" % ("per-frame pythonnet calls, %d frames (baseline)" % base_frames,
                                            base["seconds"], base["peak_mb"], per_base * 1e6, times(per_base, per_base)))
    last = None
    for frames in sizes:
        path = _written(rig_path, frames, folder)
        r = run_child("verify", rig_path, path)
        v.check("verify-unity proves parity on %d frames" % frames, r["ok"])
        per = r["seconds"] / frames
        print("%-52s %9.2f %8.0f %11.1f  %s faster" % ("verify-unity, %d frames, chunked" % frames, r["seconds"],
                                                       r["peak_mb"], per * 1e6, times(per_base, per)))
        last = (frames, r)
    frames, r = last
    clip_mb = frames * 42 * 8 / 2 ** 20
    v.goal("verify-unity of %d frames < 60 s (%.1f s)" % (frames, r["seconds"]), frames >= 1_000_000 and r["seconds"] < 60)
    v.goal("peak memory of %d frames < 4 copies of the clip's weights + 500 MB (%.0f MB, the clip %.0f MB)"
           % (frames, r["peak_mb"], clip_mb), r["peak_mb"] < 4 * clip_mb + 500)
    return v.exit_code()


if __name__ == "__main__":
    sys.exit(main())
