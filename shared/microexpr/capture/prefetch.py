"""Frames decoded on a background thread while the tracker works on the ones before.

OpenCV releases the interpreter lock while it decodes, so on two cores decoding (about 2.7 ms
for a 640 x 480 frame) overlaps landmark finding instead of adding to it. The order of the
frames, and an exception raised while reading them, reach the consumer as they would without
the thread; closing the consumer's generator (an error in the tracker, Ctrl+C) stops the
reader and closes the source.

Written here because the standard library's executors run independent tasks, not one
generator read ahead in order with its exceptions kept in place.
"""
from __future__ import annotations

import queue
import threading
from typing import Any, Generator, Iterator, Tuple

#: Frames read ahead at most.
DEPTH = 4
_DONE = object()


def prefetched(items: Iterator[Any], depth: int = DEPTH) -> Generator[Any, None, None]:
    """``items`` in order, read up to ``depth`` ahead on a daemon thread."""
    box: "queue.Queue[Tuple[str, Any]]" = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: Tuple[str, Any]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        try:
            for item in items:
                if not put(("item", item)):
                    break
            else:
                put(("done", _DONE))
        except BaseException as exc:       # handed to the consumer, raised there in order
            put(("error", exc))
        finally:
            close = getattr(items, "close", None)
            if close is not None:
                close()

    worker = threading.Thread(target=read, name="microexpr-decode", daemon=True)
    worker.start()
    try:
        while True:
            kind, value = box.get()
            if kind == "done":
                return
            if kind == "error":
                raise value
            yield value
    finally:
        stop.set()
        worker.join(timeout=5.0)
