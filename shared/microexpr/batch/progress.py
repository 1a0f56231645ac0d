"""The batch's progress bar on stderr: jobs done, failed, running and frames per second.

Uses tqdm (it comes with the capture extra); without it, or with ``enabled=False``, nothing
is drawn. The frame rate is every finished job's frames over the batch's wall time, so it
counts all workers together.
"""
from __future__ import annotations

import sys
import time
from typing import Any, Optional


class Progress:
    def __init__(self, total: int, enabled: bool = True, skipped: int = 0) -> None:
        self.total, self.done, self.failed, self.running, self.frames = total, 0, 0, 0, 0
        self.skipped = skipped
        self.start = time.perf_counter()
        self._bar: Optional[Any] = None
        if enabled:
            try:
                from tqdm import tqdm
            except ImportError:  # pragma: no cover - tqdm ships with the capture extra
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, initial=skipped, unit="job", desc="batch",
                                 file=sys.stderr, dynamic_ncols=True, leave=True,
                                 disable=None)        # None: off when stderr is not a terminal

    @property
    def fps(self) -> float:
        return self.frames / max(time.perf_counter() - self.start, 1e-9)

    def text(self) -> str:
        return "done %d, failed %d, running %d, %.0f frames/s" % (
            self.done + self.skipped, self.failed, self.running, self.fps)

    def update(self, done: int = 0, failed: int = 0, frames: int = 0,
               running: Optional[int] = None) -> None:
        self.done += done
        self.failed += failed
        self.frames += frames
        if running is not None:
            self.running = running
        if self._bar is not None:
            if done or failed:
                self._bar.update(done + failed)
            self._bar.set_postfix_str(self.text(), refresh=False)

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
            self._bar = None
