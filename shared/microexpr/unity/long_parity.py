"""Parity of tracks of any length: the Python core and the C# runtime fed a chunk at a time.

``verify-unity --landmarks`` reads the tracks with ``solve.track_chunks.TrackChunks``. Per
chunk, the Python core solves with ``tracks_to_clip.TakeSolver`` (the state one frame hands
the next carried from chunk to chunk, as ``solve`` does) and C# continues its own solver
(``FaceSolver.SolveFrames`` after one ``SetNeutral``, ``PerformerSolver.SolveSequence``, which
keeps its state between calls); only running maxima are kept. So memory follows the chunk
size, not the take, and the numbers are those of ``parity.compare_tracks`` /
``parity.compare_performer`` on the whole take (the tests check it).
"""
from __future__ import annotations

from typing import Dict, Optional, Sequence

import numpy as np

from microexpr.solve.tracks import FPS_FRAMES
from microexpr.unity import net
from microexpr.unity.parity import compensation


class Running:
    """The running comparison of one mode: largest weight (and head-pose) difference, whether
    frame validity agrees, frames and invalid frames seen."""

    def __init__(self, targets: int, pose: bool = False) -> None:
        self.diff, self.pose_diff, self.same_valid, self.same_nan = 0.0, 0.0, True, True
        self.frames, self.invalid, self.targets, self.pose = 0, 0, targets, pose

    def add(self, w_py, valid_py, w_cs, valid_cs, pose_py=None, pose_cs=None) -> None:
        same = bool(np.array_equal(valid_py, valid_cs))
        self.same_valid &= same
        if w_py.size:
            self.diff = max(self.diff, float(np.max(np.abs(w_py - w_cs))))
        if not np.all(np.isfinite(w_cs)):
            self.diff = float("inf")
        self.frames += len(w_py)
        self.invalid += int((~np.asarray(valid_py, bool)).sum())
        if pose_py is not None:
            self.same_nan &= bool(np.array_equal(np.isnan(pose_py), np.isnan(pose_cs)))
            seen = np.asarray(valid_py, bool) & np.asarray(valid_cs, bool)
            if seen.any() and self.same_nan:
                self.pose_diff = max(self.pose_diff, float(np.max(np.abs(pose_py[seen] - pose_cs[seen]))))

    def result(self) -> Dict[str, object]:
        out: Dict[str, object] = {"max_abs_diff": self.diff if self.same_valid else float("inf"),
                                  "valid_agree": self.same_valid, "frames": self.frames,
                                  "targets": self.targets, "invalid_frames": self.invalid}
        if self.pose:
            out["pose_diff"] = self.pose_diff if self.same_nan else float("inf")
        return out


def compare_tracks(rig, rig_cs, reader, modes: Sequence[str], neutral_frame: int = 0,
                   reg: float = 1e-3, temporal: float = 0.0, mirrored: bool = False
                   ) -> Dict[str, Dict]:
    """Per mode (raw, reference, rigid): the Python core's ``TakeSolver`` against C#'s
    ``FaceSolver`` over the chunks of ``reader`` (a ``TrackChunks``)."""
    from microexpr.solve.long_take import neutral_exists
    from microexpr.solve.tracks_to_clip import TakeSolver

    rt = net.runtime()
    flip = _flip(mirrored)
    head = reader.read(0, FPS_FRAMES + 1)
    neutral_exists(reader, head, neutral_frame)
    raw = reader.read(neutral_frame, neutral_frame + 1)
    T = len(rig.target_names())
    sides = {}
    for mode in modes:
        py = TakeSolver(rig, mode, reader.dims, head.fps(), reg, temporal, flip(raw), neutral_frame)
        cs = rt.FaceSolver(rig_cs, reader.dims, compensation(mode), float(reg), float(temporal),
                           bool(mirrored))
        cs.SetNeutral(net.to_net(raw.points.reshape(-1)), net.to_net(raw.confidence.reshape(-1)))
        sides[mode] = (py, cs, Running(T))
    for first, chunk in reader.chunks():
        F = chunk.frames
        pts, conf = net.to_net(chunk.points), net.to_net(chunk.confidence)
        for mode, (py, cs, run) in sides.items():
            w_py, valid_py, _ = py.chunk(first, flip(chunk))
            run.add(w_py, valid_py, *csharp_frames(cs, pts, conf, F, T))
    return {mode: run.result() for mode, (_, _, run) in sides.items()}


def csharp_frames(solver, points, confidence, frames: int, targets: int):
    """(weights (F, T), valid (F,)) of C#'s ``FaceSolver.SolveFrames`` on one chunk (.NET
    arrays in), continuing from the frames before."""
    W, V = net.new_doubles(frames * targets), net.new_bools(frames)
    solver.SolveFrames(points, confidence, frames, W, V)
    return net.from_net(W, (frames, targets)), net.from_net(V)


def compare_performer(rig, rig_cs, reader, performer_path: str, prior: Optional[float] = None,
                      speed: Optional[float] = None, fps: Optional[float] = None,
                      mirrored: bool = False) -> Dict[str, object]:
    """Performer mode: the Python core's ``TakeSolver`` against C#'s ``PerformerSolver`` (both
    on the performer file at ``performer_path``), chunk by chunk; weights and head pose."""
    from microexpr.solve.tracks_to_clip import TakeSolver

    rt = net.runtime()
    flip = _flip(mirrored)
    rate = float(fps) if fps else reader.read(0, FPS_FRAMES + 1).fps()
    T = len(rig.target_names())
    ps = rt.PerformerSolver(rig_cs, rt.Performer.Load(str(performer_path)), reader.dims, rate,
                            rt.PerformerSolver.DefaultPrior if prior is None else float(prior),
                            rt.PerformerSolver.DefaultSpeed if speed is None else float(speed),
                            bool(mirrored))
    py = TakeSolver(rig, "performer", reader.dims, rate, 0.0, 0.0, None, 0, performer_path,
                    False, prior, speed)
    run = Running(T, pose=True)
    for first, chunk in reader.chunks():
        F = chunk.frames
        W, V, P = net.new_doubles(F * T), net.new_bools(F), net.new_doubles(F * 4)
        ps.SolveSequence(net.to_net(chunk.points), net.to_net(chunk.confidence), F, W, V, P)
        w_py, valid_py, pose_py = py.chunk(first, flip(chunk))
        run.add(w_py, valid_py, net.from_net(W, (F, T)), net.from_net(V), pose_py,
                net.from_net(P, (F, 4)))
    return run.result()


def _flip(mirrored: bool):
    return (lambda t: t.mirrored()) if mirrored else (lambda t: t)
