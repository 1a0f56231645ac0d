"""Inputs and checks shared by the batch tests (tests/test_batch*.py): short synthetic track
files and videos, failing inputs, and the "every output exactly once" check."""
from __future__ import annotations

import csv
import json
import os
import signal
from typing import Dict, Iterable, List

import numpy as np

from microexpr.batch import records


def write_tracks(folder: str, rig, count: int, frames: int = 30, seed: int = 0) -> List[str]:
    """``count`` CSV track files of the rig performing one short burst each (2-D, camera)."""
    from microexpr.solve.synthetic_tracks import head_motion, image_tracks
    from microexpr.solve.tracks import write_tracks_csv

    os.makedirs(folder, exist_ok=True)
    out = []
    T = len(rig.targets)
    for i in range(count):
        W = np.zeros((frames, T))
        W[frames // 4: 3 * frames // 4, (seed + i) % T] = 0.3
        tracks = image_tracks(rig, W, head_motion(frames, seed=seed + i), noise_px=0.05,
                              seed=seed + i)
        path = os.path.join(folder, "take%03d.csv" % (seed + i))
        write_tracks_csv(path, tracks)
        out.append(path)
    return out


def write_noface(folder: str) -> str:
    """Tracks in which no frame has a face (every landmark NaN): the solve refuses them."""
    path = os.path.join(folder, "noface.npy")
    np.save(path, np.full((12, 68, 2), np.nan))
    return path


def write_videos(folder: str, count: int, frames: int = 10) -> List[str]:
    """Short MJPG videos of the test portrait with a little head motion."""
    from microexpr.capture import testvideo as tv

    base = tv.astronaut_frame()
    out = []
    for i in range(count):
        path = os.path.join(folder, "video%d.avi" % i)
        tv.write_video(path, [tv.head_motion(base, shift=(k * 0.5 * (i + 1), 0.0))
                              for k in range(frames)], 30.0)
        out.append(path)
    return out


def write_corrupt_video(folder: str) -> str:
    path = os.path.join(folder, "corrupt.mp4")
    with open(path, "wb") as f:
        f.write(np.random.default_rng(3).bytes(5000))
    return path


def write_manifest(path: str, rows: Iterable[Dict[str, str]]) -> str:
    rows = list(rows)
    cols = sorted({k for r in rows for k in r}, key=lambda c: (c != "input", c))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        w.writerows(rows)
    return path


def leftovers(out_dir: str) -> List[str]:
    """Temporary files and staging folders anywhere under ``out_dir``."""
    found = []
    for root, dirs, files in os.walk(out_dir):
        found += [os.path.join(root, n) for n in files + dirs
                  if n.endswith(".tmp") or n.startswith(records.STAGING)]
    return found


def check_exactly_once(out_dir: str, done: Iterable[str], failed: Iterable[str] = ()) -> None:
    """Each done take's folder holds its outputs (matching the record's SHA-256) and one
    done-record, nothing else; each failed take only its failed-record; no temporaries."""
    assert leftovers(out_dir) == []
    for name in done:
        folder = os.path.join(out_dir, name)
        with open(os.path.join(folder, records.DONE), encoding="utf-8") as f:
            rec = json.load(f)
        files = {o["file"] for o in rec["outputs"].values()}
        assert sorted(os.listdir(folder)) == sorted(files | {records.DONE}), name
        for o in rec["outputs"].values():
            assert records.sha256_file(os.path.join(folder, o["file"])) == o["sha256"], o
    for name in failed:
        assert os.listdir(os.path.join(out_dir, name)) == [records.FAILED], name
    names = set(done) | set(failed)
    assert {n for n in os.listdir(out_dir) if os.path.isdir(os.path.join(out_dir, n))} == names


def kill(pid: int) -> None:
    """SIGKILL a process (a worker): no clean-up of any kind runs in it."""
    os.kill(pid, signal.SIGKILL)
