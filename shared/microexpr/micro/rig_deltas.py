"""A rig's offsets in millimetres as columns, so displacement is one matrix product.

A column is one segment of a target or of a combination (``rig.curves``): a target without
in-betweens is one column (its full offsets), a target with in-betweens one column per
segment (its slope), a combination likewise, at the product of its drivers' weights.
``expand`` turns target weights into column weights; displacement is then linear in them:
``(column weights) @ flat``. For a rig without in-betweens and combinations the columns are
the targets and ``expand`` returns the weights as given.

Only vertices some frame moves are kept, over every mesh of the rig (``mesh_of``,
``vertex_of``); the offsets are built per shape, never as a dense (targets, vertices) array.
"""
from __future__ import annotations

from typing import Dict, List, Optional, Sequence, Union

import numpy as np

from microexpr.rig.curves import knots, resample, segment_weights, shape_knots, slopes

#: Rig target indices: a list or an integer array.
Targets = Union[Sequence[int], np.ndarray]
UNIT_MM = {"mm": 1.0, "cm": 10.0, "m": 1000.0, "in": 25.4}
PROBE_EACH = 6        # largest-moving vertices per column, evaluated first for a lower bound


class RigDeltas:
    """Offsets of every column in mm (``by_axis`` (K, 3, M), ``flat`` (K, 3M)) on the M
    moved vertices of all meshes; ``targets`` and ``index`` name the rig's targets."""

    def __init__(self, rig) -> None:
        self.targets: List[str] = rig.target_names()
        self.index: Dict[str, int] = {n: i for i, n in enumerate(self.targets)}
        T = len(self.targets)
        owners = list(rig.targets) + list(rig.combinations)
        self.drivers = [np.array([self.index[d] for d in c.drivers], dtype=np.int64)
                        for c in rig.combinations]
        self.knots = [shape_knots(o.shapes) if o.shapes else knots([]) for o in owners]
        sizes = [len(k) - 1 for k in self.knots]
        starts = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        self.owner_columns = [np.arange(starts[i], starts[i + 1]) for i in range(len(owners))]
        self.owner_of = np.repeat(np.arange(len(owners)), sizes)          # (K,)
        self.linear = len(owners) == T and all(n == 1 for n in sizes)
        K = int(starts[-1])
        scale = UNIT_MM[rig.units.length]
        moved, mesh_of = [], []
        for mi, m in enumerate(rig.meshes):
            idx = [np.asarray(f.indices, dtype=np.int64) for o in owners for s in o.shapes
                   if s.mesh == m.name for f in s.frames]
            v = np.unique(np.concatenate(idx)) if idx else np.zeros(0, np.int64)
            moved.append(v)
            mesh_of.append(np.full(len(v), mi))
        offset = np.concatenate([[0], np.cumsum([len(v) for v in moved])]).astype(np.int64)
        M = int(offset[-1])
        self.by_axis = np.zeros((K, 3, M))
        for i, o in enumerate(owners):
            for s in o.shapes:
                mi = next(k for k, m in enumerate(rig.meshes) if m.name == s.mesh)
                self._fill(i, s, moved[mi], int(offset[mi]), scale)
        self.flat = self.by_axis.reshape(K, -1)
        self.mesh_of = np.concatenate(mesh_of) if mesh_of else np.zeros(0, int)
        self.vertex_of = np.concatenate(moved) if moved else np.zeros(0, int)
        self.norms = np.sqrt(np.einsum("kjm,kjm->km", self.by_axis, self.by_axis))
        self.support = [np.nonzero(n > 0)[0] for n in self.norms]          # moved vertices
        self.support_norm = [n[i] for n, i in zip(self.norms, self.support)]
        self.target_max = self.norms.max(axis=1) if self.norms.size else np.zeros(K)
        p = min(PROBE_EACH, M)
        self.top_vertices = (np.argsort(-self.norms, axis=1)[:, :p] if p
                             else np.zeros((K, 0), int))             # probes per column

    @property
    def deltas(self) -> np.ndarray:
        """(K, M, 3) the column offsets (a view)."""
        return self.by_axis.transpose(0, 2, 1)

    @property
    def columns(self) -> int:
        return int(self.by_axis.shape[0])

    def _fill(self, owner: int, shape, rows: np.ndarray, offset: int, scale: float) -> None:
        """One shape's segment slopes (mm) into its owner's columns on rows ``rows``."""
        frames = shape.frames
        values = np.zeros((len(frames), len(rows), 3))
        for k, f in enumerate(frames):
            values[k, np.searchsorted(rows, np.asarray(f.indices, dtype=np.int64))] = f.deltas
        own = knots(f.weight for f in frames)
        knot = self.knots[owner]
        sl = slopes(knot, resample(own, values, knot)) * scale               # (n, R, 3)
        cols = self.owner_columns[owner]
        self.by_axis[cols[:, None], :, offset + np.arange(len(rows))[None, :]] += sl

    # -- weights -------------------------------------------------------------------------
    def owners_of(self, active: Targets) -> List[int]:
        """The targets ``active`` (rig target indices) and, numbered from T on, every
        combination whose drivers are all among them, ascending."""
        a = set(int(t) for t in active)
        T = len(self.targets)
        return sorted(a) + [T + c for c, d in enumerate(self.drivers) if set(d.tolist()) <= a]

    def columns_of(self, active: Targets) -> np.ndarray:
        """The columns target weights of ``active`` can move (their owners' segments)."""
        owners = self.owners_of(active)
        return (np.concatenate([self.owner_columns[o] for o in owners]) if owners
                else np.zeros(0, np.int64))

    def expand(self, W: np.ndarray, active: Optional[Targets] = None) -> np.ndarray:
        """Column weights (S, len(columns_of(active))) for target weights W (S, len(active)),
        ``active`` ascending (default: every target): each segment's travel, combinations at
        the product of their drivers' weights. On a linear rig: W itself."""
        W = np.asarray(W, dtype=np.float64)
        if self.linear:
            return W
        T = len(self.targets)
        act = list(range(T)) if active is None else [int(t) for t in active]
        where = {t: j for j, t in enumerate(act)}
        parts = []
        for o in self.owners_of(act):
            if o < T:
                x = W[:, where[o]]
            else:
                x = np.prod(W[:, [where[int(d)] for d in self.drivers[o - T]]], axis=1)
            parts.append(segment_weights(x, self.knots[o]))
        return np.concatenate(parts, axis=1) if parts else np.zeros((len(W), 0))
