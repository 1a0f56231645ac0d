"""What the solve drives: the rig's solve set, and the landmark model of the in-betweens and
combinations that ride on it.

The solve set (``rig.solve_set``; without one, every target) picks the columns of the landmark
delta matrix the solver sees, so 52 targets of a 250-target rig cost what 52 cost; the other
targets get weight 0 in the clip. Combinations are never solved: they follow their drivers.

The landmarks move linearly with the weights unless a solved target has in-betweens or a
combination's drivers are all solved. Then the landmark model is piecewise-linear
(``rig.curves``), read from ``rig.landmark_deltas.frames``, and ``refine.py`` corrects the
linear solve with it. A shape whose landmark frames the rig lacks is taken as linear (an
in-between) or left out (a combination): ``rig.curves.landmark_frames`` fills them in.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Dict, List, Tuple

import numpy as np

from microexpr.rig.curves import knots


@dataclass
class Curve:
    """A shape the landmarks follow piecewise-linearly: a solved target with in-betweens
    (``target`` >= 0) or a combination (``drivers``: positions in the solve set)."""

    name: str
    knot: np.ndarray                 # (n + 1,) 0, the frame weights, 1
    columns: np.ndarray              # (n,) the model matrix's column at each knot[1:]
    target: int = -1                 # position in the solve set; -1 for a combination
    drivers: Tuple[int, ...] = ()


@dataclass
class SolveModel:
    """The solved targets (rig order) and the landmark columns the solve works with."""

    solved: np.ndarray               # (S,) rig target indices, ascending
    names: List[str]                 # their names
    matrix: np.ndarray               # (68, 3, S + E): full-weight columns, then the frames
    curves: List[Curve] = field(default_factory=list)
    declared: bool = False           # the rig has a solve_set

    @property
    def size(self) -> int:
        return len(self.solved)

    @property
    def columns(self) -> int:
        return int(self.matrix.shape[2])

    @property
    def nonlinear(self) -> bool:
        return bool(self.curves)


def solved_indices(rig) -> Tuple[np.ndarray, bool]:
    """Rig target indices the solve drives (ascending) and whether the rig declares them.
    Works on anything with ``target_names()`` (a ``RigArrays`` has no ``solve_set``)."""
    names = rig.target_names()
    chosen = getattr(rig, "solve_set", None)
    if chosen is None:
        return np.arange(len(names)), False
    wanted = set(chosen)
    return np.array([i for i, n in enumerate(names) if n in wanted], dtype=np.int64), True


def solve_model(rig) -> SolveModel:
    """The solve set's full-weight landmark columns and, after them, the landmark frames of
    its in-betweens and of the combinations whose drivers it holds."""
    solved, declared = solved_indices(rig)
    names = rig.target_names()
    full = rig.landmark_delta_matrix()[:, :, solved]
    frames = _frames_by_shape(rig)
    position = {names[t]: k for k, t in enumerate(solved)}
    extra: List[np.ndarray] = []
    curves: List[Curve] = []

    def columns_of(name: str, last: int = -1) -> Tuple[np.ndarray, np.ndarray]:
        ws = sorted(frames[name])
        knot = knots(ws)
        cols = []
        for w in knot[1:]:
            if w == 1.0 and last >= 0:
                cols.append(last)
            else:
                cols.append(len(solved) + len(extra))
                extra.append(frames[name][w])
        return knot, np.asarray(cols, dtype=np.int64)

    for k, t in enumerate(solved):
        if names[t] in frames:
            knot, cols = columns_of(names[t], last=k)
            curves.append(Curve(names[t], knot, cols, target=k))
    for c in getattr(rig, "combinations", ()):
        if c.name in frames and all(d in position for d in c.drivers):
            knot, cols = columns_of(c.name)
            curves.append(Curve(c.name, knot, cols, drivers=tuple(position[d] for d in c.drivers)))
    matrix = full if not extra else np.concatenate([full, np.stack(extra, axis=2)], axis=2)
    return SolveModel(solved, [names[t] for t in solved], np.ascontiguousarray(matrix), curves, declared)


def _frames_by_shape(rig) -> Dict[str, Dict[float, np.ndarray]]:
    """``landmark_deltas.frames`` by shape name and weight, as (68, 3) arrays."""
    ld = getattr(rig, "landmark_deltas", None)
    out: Dict[str, Dict[float, np.ndarray]] = {}
    for lf in getattr(ld, "frames", ()) or ():
        out.setdefault(lf.shape, {})[float(lf.weight)] = np.asarray(lf.deltas, dtype=np.float64)
    return out
