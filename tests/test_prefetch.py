"""Frames read ahead on a thread (``capture.prefetch``): same order, exceptions in place, and
a consumer that stops early stops the reader and closes the source."""
from __future__ import annotations

import threading
import time

import pytest

from microexpr.capture.prefetch import prefetched
from microexpr.errors import MicroExprError


def test_the_frames_come_in_order_and_all_of_them():
    assert list(prefetched(iter(range(1000)), depth=3)) == list(range(1000))
    assert list(prefetched(iter([]))) == []


def test_an_error_while_reading_arrives_after_the_frames_before_it():
    def frames():
        yield from range(5)
        raise MicroExprError("frame 5 cannot be decoded", file="take.mp4")

    got = []
    with pytest.raises(MicroExprError, match="frame 5"):
        for f in prefetched(frames(), depth=2):
            got.append(f)
    assert got == [0, 1, 2, 3, 4]


def test_stopping_early_closes_the_source_and_ends_the_thread():
    closed = threading.Event()

    def frames():
        try:
            n = 0
            while True:
                yield n
                n += 1
        finally:
            closed.set()

    reader = prefetched(frames(), depth=2)
    assert [next(reader) for _ in range(3)] == [0, 1, 2]
    reader.close()
    assert closed.wait(120.0)          # generous: a slow machine must not fail this
    deadline = time.time() + 120.0
    while any(t.name == "microexpr-decode" for t in threading.enumerate()) and time.time() < deadline:
        time.sleep(0.01)
    assert not any(t.name == "microexpr-decode" for t in threading.enumerate())
