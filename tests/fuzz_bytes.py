"""A sample container document and byte-level mutations for fuzzing it with Hypothesis (shared by
the container tests of the Python and C# readers)."""
from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from microexpr.bridge import container as C


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


def sample_doc() -> dict:
    """A small rig-like document: float32 and int32 mesh arrays, a float64 delta block, an
    inline list."""
    rng = np.random.default_rng(3)
    return {"format": "microexpr.rig", "version": 3, "name": "face",
            "mesh": {"points": C.Stored(rng.normal(size=(50, 3)), "float32", "cm"),
                     "face_indices": C.Stored(rng.integers(0, 50, 120), "int32")},
            "deltas": C.Stored(rng.normal(size=(4, 68, 3)), "float64", "cm"),
            "small": [1, 2, 3]}
