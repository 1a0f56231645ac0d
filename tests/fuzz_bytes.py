"""Byte-level mutations for fuzzing binary readers with Hypothesis (shared by the container
fuzz tests of the Python and C# readers)."""
from __future__ import annotations

from hypothesis import strategies as st


def mutated(data, blob: bytes) -> bytearray:
    """``blob`` with 1-6 random byte flips, cuts and insertions drawn from Hypothesis ``data``
    (never empty); shared by the container fuzz tests of both readers."""
    good = bytearray(blob)
    for _ in range(data.draw(st.integers(1, 6))):
        kind = data.draw(st.sampled_from(["flip", "cut", "insert"]))
        pos = data.draw(st.integers(0, len(good) - 1))
        if kind == "flip":
            good[pos] = data.draw(st.integers(0, 255))
        elif kind == "cut":
            del good[pos:pos + data.draw(st.integers(1, 64))]
        else:
            good[pos:pos] = data.draw(st.binary(min_size=1, max_size=16))
        if not good:
            good = bytearray(b"\0")
    return good
