"""The FBX and assimp importers read ufbx lists and assimp's C structs as buffers; each reader
gives what the per-element loops it replaced gave (those loops are written out here)."""
import ctypes

import numpy as np
import pytest

from microexpr.formats import fbx_import


def test_reverse_polygons_matches_reversing_each_polygon():
    rng = np.random.default_rng(3)
    counts = rng.integers(3, 9, 400)
    corners = rng.integers(0, 10_000, counts.sum())
    want = np.concatenate([p[::-1] for p in np.split(corners, np.cumsum(counts)[:-1])])
    assert np.array_equal(fbx_import.reverse_polygons(corners, counts), want)
    assert fbx_import.reverse_polygons(np.zeros(0, np.int64), np.zeros(0, np.int64)).size == 0


class Uint32List:
    """Like ufbx's Uint32List: a sized iterable without the buffer protocol."""

    def __init__(self, values):
        self.values = list(values)

    def __len__(self):
        return len(self.values)

    def __iter__(self):
        return iter(self.values)

    def __getitem__(self, k):
        return self.values[k]


def test_ufbx_lists_without_a_buffer_read_as_before():
    values = [0, 7, 2**32 - 1, 5]
    got = fbx_import._arr(Uint32List(values), np.int64)
    assert got.dtype == np.int64 and got.tolist() == values
    vec = np.arange(12, dtype=np.float64).reshape(4, 3)
    assert np.array_equal(fbx_import._arr(vec, np.float64, 3), vec)      # buffer route
    fbx_import._KEEP.clear()


@pytest.fixture()
def structs():
    pytest.importorskip("pyassimp")
    from pyassimp import structs

    return structs


def test_assimp_faces_read_as_one_buffer(structs):
    from microexpr.formats import assimp_import

    rng = np.random.default_rng(5)
    sizes = [3, 4, 2, 5, 1, 3, 0, 4]
    keep = []
    faces = (structs.Face * len(sizes))()
    for f, n in zip(faces, sizes):
        block = (ctypes.c_uint * max(n, 1))(*rng.integers(0, 2**31, max(n, 1)).tolist())
        keep.append(block)
        f.mNumIndices = n
        f.mIndices = ctypes.cast(block, ctypes.POINTER(ctypes.c_uint)) if n else None

    class Mesh:
        mNumFaces = len(sizes)
        mFaces = ctypes.cast(faces, ctypes.POINTER(structs.Face))

    counts, flat = assimp_import._faces(Mesh())
    want_counts, want_flat = [], []
    for f in range(Mesh.mNumFaces):                       # the loop _faces replaced
        face = Mesh.mFaces[f]
        if face.mNumIndices >= 3:
            want_counts.append(face.mNumIndices)
            want_flat.extend(face.mIndices[:face.mNumIndices])
    assert counts.tolist() == want_counts and flat.tolist() == want_flat
    assert counts.dtype == flat.dtype == np.int64


def test_assimp_morph_keys_read_as_buffers(structs):
    from microexpr.formats import assimp_import

    rows = [(0.0, [0, 2], [0.5, 1.0]), (1.0, [], []), (2.0, [1, 9, 1], [0.25, 0.7, 0.75]),
            (3.0, [2], [0.125])]
    keep = []
    keys = (structs.MeshMorphKey * len(rows))()
    for key, (t, values, weights) in zip(keys, rows):
        v = (ctypes.c_uint * max(len(values), 1))(*values)
        w = (ctypes.c_double * max(len(weights), 1))(*weights)
        keep += [v, w]
        key.mTime = t * 24.0
        key.mValues = ctypes.cast(v, ctypes.POINTER(ctypes.c_uint))
        key.mWeights = ctypes.cast(w, ctypes.POINTER(ctypes.c_double))
        key.mNumValuesAndWeights = len(values)

    class Channel:
        mNumKeys = len(rows)
        mKeys = ctypes.cast(keys, ctypes.POINTER(structs.MeshMorphKey))

    times, vals = assimp_import._morph_keys(Channel(), 3, 24.0)
    want = np.zeros((len(rows), 3))
    for k in range(Channel.mNumKeys):                     # the loop _morph_keys replaced
        key = Channel.mKeys[k]
        for j in range(key.mNumValuesAndWeights):
            if key.mValues[j] < 3:
                want[k, key.mValues[j]] = key.mWeights[j]
    assert times.tolist() == [0.0, 1.0, 2.0, 3.0]
    assert np.array_equal(vals, want) and vals[2, 1] == 0.75        # the last write wins
