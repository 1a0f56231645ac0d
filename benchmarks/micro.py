"""Micro-expression benchmark: synthesis throughput and review time, each next to a baseline.

1. Synthesis: 1-second clips at 60 fps on a 52-target rig (the arkit preset on the default
   face, 42 targets, padded with the 10 ARKit shapes it lacks: eyeLook* on the eye meshes,
   mouthClose, tongueOut), cycling through the seven emotions and random AU lists. Goal:
   >= 1,000 clips/s. Baseline, same requests: sizing on a dense 1 ms time grid over every
   moved vertex (no pruning) instead of the pruned continuous-time search.
2. Review: a 10-second, 200 fps clip (all 52 targets moving) on a ~30,000-vertex rig, without
   the PNG. Goal: < 1 s. Baseline: the same measurement in plain float64 numpy over every
   vertex, region maxima with boolean masks. Check: the review's region peaks match the
   baseline's (float32 against float64, within 0.1 %).

Speed goals are reported, never enforced. Exit code (see benchmarks/verdict.py): 0 when the
checks pass, whatever the speed; 1 when a check fails or the script crashes; 2 on bad
arguments. Run: ``python benchmarks/micro.py [--clips N] [--smoke]``.
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from typing import List, Optional

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path[:0] = [HERE, os.path.join(os.path.dirname(HERE), "shared")]

from microexpr import bridge  # noqa: E402
from microexpr.micro import amplitude, emotions  # noqa: E402
from microexpr.micro.synthesizer import Synthesizer  # noqa: E402
from microexpr.review.report import Reviewer  # noqa: E402
from microexpr.rig.build import build_rig, sparse_frame  # noqa: E402
from microexpr.rig.face import default_face  # noqa: E402
from verdict import Verdict, add_smoke_flag, times  # noqa: E402

SYNTH_GOAL = 1000.0        # clips per second
REVIEW_GOAL = 1.0          # seconds


def pad_to_52(rig: bridge.Rig) -> bridge.Rig:
    """Add the ARKit shapes the preset leaves out: eye gaze on the eye meshes, mouthClose and
    tongueOut (a small lower-lip bump), so the rig has 52 targets on two meshes."""
    skin, eyes = rig.mesh(), next(m for m in rig.meshes if m.role == "eyes")
    ep = np.asarray(eyes.points)
    sp = np.asarray(skin.points)
    lm = rig.neutral_landmarks()
    extra = []
    for side, sel in (("L", ep[:, 0] > 0), ("R", ep[:, 0] <= 0)):
        for look, move in (("Up", (0, 0.08, 0)), ("Down", (0, -0.08, 0)),
                           ("In", (-0.08 if side == "L" else 0.08, 0, 0)),
                           ("Out", (0.08 if side == "L" else -0.08, 0, 0))):
            d = np.zeros_like(ep)
            d[sel] = move
            extra.append(("eyeLook%s_%s" % (look, side), eyes.name, d))
    for name, centre, move in (("mouthClose", lm[57], (0, 0.1, 0)), ("tongueOut", lm[66], (0, 0, 0.1))):
        fall = np.exp(-np.sum((sp - centre) ** 2, axis=1) / 0.5)[:, None]
        extra.append((name, skin.name, fall * np.asarray(move)))
    targets = list(rig.targets)
    deltas = list(rig.landmark_deltas.deltas)
    lv = [p.vertex for p in rig.landmarks.points]
    for name, mesh, d in extra:
        targets.append(bridge.Target(name=name, shapes=[bridge.MeshShape(mesh=mesh, frames=[sparse_frame(d)])]))
        deltas.append((d[lv] if mesh == skin.name else np.zeros((68, 3))).tolist())
    return rig.model_copy(update={"targets": targets, "landmark_deltas": bridge.LandmarkDeltas(
        targets=[t.name for t in targets], deltas=deltas)})


def requests(n: int) -> list:
    rng = np.random.default_rng(1)
    out = []
    names = list(emotions.EMOTIONS)
    for i in range(n):
        if i % 2:
            out.append({"emotion": names[i % len(names)]})
        else:
            out.append({"aus": emotions.format_aus(emotions.random_aus(rng, 4))})
    return out


def dense_sizing(synth: Synthesizer, reqs: list) -> float:
    """Seconds per clip to size the same events on a dense 1 ms time grid over every moved
    vertex (what the pruned continuous-time search replaces)."""
    from microexpr.micro.envelope import event_weights

    rd = synth.deltas
    clips = [synth.clip(seed=i, fps=60.0, duration=1.0, **req) for i, req in enumerate(reqs)]
    start = time.perf_counter()
    for clip in clips:
        evs = clip.events
        t = np.arange(min(e.onset for e in evs), max(e.offset for e in evs), 1e-3)
        used = sorted({synth.index[e.target] for e in evs})
        W = event_weights(evs, synth.targets, t)[:, used]
        X = (W @ rd.deltas[used].reshape(len(used), -1)).reshape(len(t), -1, 3)
        np.sqrt((X * X).sum(axis=2)).max()
    return (time.perf_counter() - start) / len(clips)


def bench_synth(synth: Synthesizer, reqs: list):
    """(seconds per clip, seconds per clip spent in sizing)."""
    sized = [0.0]
    orig = amplitude.event_peak

    def timed(*a, **k):
        t = time.perf_counter()
        out = orig(*a, **k)
        sized[0] += time.perf_counter() - t
        return out

    start = time.perf_counter()
    amplitude.event_peak = timed
    try:
        for i, req in enumerate(reqs):
            synth.clip(seed=i, fps=60.0, duration=1.0, **req)
    finally:
        amplitude.event_peak = orig
    total = time.perf_counter() - start
    return total / len(reqs), sized[0] / len(reqs)


def review_clip(rig: bridge.Rig, seconds: float = 10.0, fps: float = 200.0) -> bridge.Clip:
    rng = np.random.default_rng(3)
    names = rig.target_names()
    frames = int(round(seconds * fps)) + 1
    keys = rng.random((int(seconds * 4) + 2, len(names))) * 0.15
    t = np.arange(frames) / fps
    W = np.column_stack([np.interp(t * 4, np.arange(len(keys)), keys[:, k]) for k in range(len(names))])
    return bridge.Clip(fps=fps, targets=names, weights=W.tolist(), valid=[True] * frames)


def plain_review(rig: bridge.Rig, reviewer: Reviewer, clip: bridge.Clip):
    """Same region maxima in plain float64 numpy over every vertex of every mesh:
    (seconds, peak mm per region label)."""
    from microexpr.rig.build import dense_deltas

    W = clip.weight_array()
    start = time.perf_counter()
    D = np.concatenate([dense_deltas(rig, m.name) for m in rig.meshes], axis=1) * 10.0
    labels = np.concatenate([reviewer.measurer.regions.labels[m.name] for m in rig.meshes])
    masks = [labels == r for r in range(labels.max() + 1)]
    Df = D.reshape(len(D), -1)
    peaks = np.zeros(len(masks))
    for a in range(0, len(W), 128):
        X = (W[a:a + 128] @ Df).reshape(-1, D.shape[1], 3)
        mag = np.sqrt((X * X).sum(axis=2))
        peaks = np.maximum(peaks, [mag[:, m].max() if m.any() else 0.0 for m in masks])
    return time.perf_counter() - start, peaks


def synthesis(args, verdict: Verdict) -> None:
    face = default_face()
    rig = pad_to_52(build_rig(face.skin, face.landmark_vertices, preset="arkit",
                              extra_meshes=[face.eyes]))
    synth = Synthesizer(rig)
    reqs = requests(args.clips)
    synth.clip(emotion="fear", seed=0)                         # warm up
    ours, sizing = min(bench_synth(synth, reqs) for _ in range(args.repeats))
    base = ours - sizing + dense_sizing(synth, reqs[: max(args.clips // 4, 50)])
    print("synthesis: %d-target rig, %d vertices moved, 1 s clips at 60 fps (%d frames), "
          "%d requests" % (len(rig.targets), synth.deltas.deltas.shape[1], 61, len(reqs)))
    print("  %-46s %10s %10s %10s" % ("", "clips/s", "ms/clip", "speed-up"))
    print("  %-46s %10.0f %10.3f %10s" % ("baseline: dense 1 ms grid, every vertex",
                                          1.0 / base, base * 1e3, times(base, base)))
    print("  %-46s %10.0f %10.3f %10s  (sizing %.3f ms)"
          % ("microexpr (pruned continuous-time sizing)", 1.0 / ours, ours * 1e3,
             times(base, ours), sizing * 1e3))
    verdict.goal(">= %.0f clips/s" % SYNTH_GOAL, 1.0 / ours >= SYNTH_GOAL)


def review_speed(args, verdict: Verdict) -> None:
    big = default_face(args.resolution)
    t0 = time.perf_counter()
    rig30 = pad_to_52(build_rig(big.skin, big.landmark_vertices, preset="arkit",
                                extra_meshes=[big.eyes]))
    built = time.perf_counter() - t0
    clip = review_clip(rig30, seconds=args.review_seconds)
    best_prep = best_rev = float("inf")
    for _ in range(args.repeats):
        t = time.perf_counter()
        reviewer = Reviewer(rig30)
        t1 = time.perf_counter()
        result = reviewer.review(clip)
        t2 = time.perf_counter()
        best_prep, best_rev = min(best_prep, t1 - t), min(best_rev, t2 - t1)
    plain, peaks = min(plain_review(rig30, reviewer, clip) for _ in range(max(1, args.repeats - 1)))
    t = time.perf_counter()
    from microexpr.review.sheet import render_sheet
    render_sheet(result, rig30)
    sheet = time.perf_counter() - t
    nverts = sum(len(m.points) for m in rig30.meshes)
    print("review: %d vertices (%d moved), %d targets, clip %d frames at %g fps (rig built in %.1f s)"
          % (nverts, reviewer.measurer.deltas.deltas.shape[1], len(rig30.targets),
             len(clip.weights), clip.fps, built))
    total = best_prep + best_rev
    print("  %-46s %10s %10s" % ("", "seconds", "speed-up"))
    print("  %-46s %10.3f %10s" % ("baseline: float64 numpy, every vertex", plain, times(plain, plain)))
    print("  %-46s %10.3f %10s  (prepare rig %.3f s + review %.3f s)"
          % ("microexpr review, no PNG", total, times(plain, total), best_prep, best_rev))
    print("  %-46s %10.3f" % ("(the PNG sheet alone)", sheet))
    verdict.goal("< %.1f s per review" % REVIEW_GOAL, total < REVIEW_GOAL)
    ours = result.measurement.region_curves.max(axis=0)
    same = len(ours) >= len(peaks) and np.allclose(ours[:len(peaks)], peaks, rtol=1e-3, atol=1e-4)
    verdict.check("review region peaks match the float64 baseline (worst difference %.2e mm)"
                  % np.abs(ours[:len(peaks)] - peaks).max(), same)


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--clips", type=int, default=2000, help="clips to synthesise (default 2000)")
    ap.add_argument("--repeats", type=int, default=3, help="best of N runs (default 3)")
    ap.add_argument("--resolution", type=float, default=0.0965,
                    help="edge length (cm) of the review face (0.0965: ~30,000 vertices)")
    ap.add_argument("--review-seconds", type=float, default=10.0,
                    help="length of the reviewed clip at 200 fps (default 10)")
    add_smoke_flag(ap)
    args = ap.parse_args(argv)
    if args.smoke:
        args.clips, args.repeats, args.resolution, args.review_seconds = 20, 1, 0.3, 1.0
    verdict = Verdict(args.smoke)
    synthesis(args, verdict)
    review_speed(args, verdict)
    return verdict.exit_code()


if __name__ == "__main__":
    sys.exit(main())
