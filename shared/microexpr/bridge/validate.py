"""The rules of a valid bridge file beyond each field's own type: indices within the counts
they refer to, counts that agree, names that are unique and known; and a clip checked
against the rig it is played on (:func:`check_clip_for_rig`).

The models (``models.py``) call these checks; each broken rule raises :class:`FieldError`
naming the field as a JSON path (``targets[3].name``) relative to the object checked, and
``io`` turns it into a ``MicroExprError`` with the file and the whole path. The C# reader
(``unity_bridge/Runtime/Core/BridgeRules.cs``) applies the same rules in the same order and
names the same fields; ``tests/invalid_corpus.py`` holds the cases both must refuse.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from microexpr.bridge.arrays import Deferred, rows
from microexpr.errors import MicroExprError

if TYPE_CHECKING:                       # the models import this module
    from microexpr.bridge.models import Clip, Landmarks, MeshData, Rig, ShapeFrame, Symmetry

#: Frame rates a clip may have (frames per second), both ends included.
FPS_MIN, FPS_MAX = 1.0, 10000.0
#: Fewest rigid landmarks a rig lists (head motion is fitted to them).
MIN_RIGID = 6
LANDMARKS = 68


class FieldError(ValueError):
    """A broken rule at ``field``, a JSON path relative to the object being checked."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__("%s: %s" % (field, problem))
        self.field = field
        self.problem = problem


def json_path(parts: Sequence[Union[str, int]]) -> str:
    """``("targets", 3, "name")`` -> ``targets[3].name``."""
    out = ""
    for p in parts:
        if isinstance(p, int):
            out += "[%d]" % p
        else:
            out += ("." if out else "") + str(p)
    return out


def join(prefix: str, field: str) -> str:
    """A relative path under ``prefix`` (either may be empty)."""
    if not prefix or not field:
        return prefix or field
    return prefix + ("" if field.startswith("[") else ".") + field


_TYPE_FIXES = {"int_type": "write a whole number, without quotes or a fraction",
               "float_type": "write a number, without quotes",
               "string_type": "write a quoted name", "bool_type": "write true or false",
               "list_type": "write a list [...]", "dict_type": "write an object {...}",
               "model_type": "write an object {...}", "extra_forbidden": "remove the field (or "
                                                                       "keep it under 'extras')",
               "missing": "add the field", "finite_number": "write a finite number"}


def describe(err: Any, prefix: str = "") -> Tuple[str, str, str]:
    """(field, problem, fix) of one pydantic error; the field is a JSON path under ``prefix``."""
    field = join(prefix, json_path([p for p in err.get("loc", ()) if isinstance(p, (str, int))]))
    cause = (err.get("ctx") or {}).get("error")
    problem = str(err.get("msg", "invalid"))
    if isinstance(cause, FieldError):
        return join(field, cause.field), cause.problem, "correct this field"
    if isinstance(cause, ValueError):
        problem = str(cause)
    elif str(err.get("type")).endswith("_type") and "input" in err:
        problem += ", not %s" % _shown(err["input"])
    return field, problem, _TYPE_FIXES.get(str(err.get("type")), "correct this field")


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, (str, bool, int, float)) or value is None \
        else type(value).__name__
    text = {"True": "true", "False": "false", "None": "null"}.get(text, text)
    return text if len(text) <= 40 else text[:37] + "..."


def _names(values: Sequence[str], field: str, what: str) -> None:
    """Unique names; ``field`` has ``%d`` where the index of the repeat goes."""
    seen = set()
    for i, n in enumerate(values):
        if n in seen:
            raise FieldError(field % i, "%s %r appears twice" % (what, n))
        seen.add(n)


# -- one object at a time -------------------------------------------------------------------
def check_mesh(mesh: "MeshData") -> None:
    """Polygons add up and use the mesh's own points; one UV per point."""
    raw = mesh._raw()
    n = rows(raw["points"])
    counts, corners, uvs = raw["face_counts"], raw["face_indices"], raw["uvs"]
    if not isinstance(counts, Deferred) and not isinstance(corners, Deferred):
        total = int(counts.sum())
        if total != len(corners):
            raise FieldError("face_indices", "face_counts add up to %d corners but face_indices "
                                             "has %d entries" % (total, len(corners)))
    if not isinstance(corners, Deferred) and len(corners) and int(corners.max()) >= n:
        raise FieldError("face_indices", "names vertex %d; the mesh has %d points (0..%d)"
                         % (int(corners.max()), n, n - 1))
    if uvs is not None and rows(uvs) != n:
        raise FieldError("uvs", "has %d entries for %d points" % (rows(uvs), n))


def check_frame(frame: "ShapeFrame") -> None:
    """One offset per moved vertex, each vertex once."""
    raw = frame._raw()
    n = rows(raw["indices"])
    if rows(raw["deltas"]) != n:
        raise FieldError("deltas", "has %d offsets for %d indices" % (rows(raw["deltas"]), n))
    if raw["normal_deltas"] is not None and rows(raw["normal_deltas"]) != n:
        raise FieldError("normal_deltas", "has %d offsets for %d indices"
                         % (rows(raw["normal_deltas"]), n))
    idx = raw["indices"]
    if not isinstance(idx, Deferred) and len(np.unique(idx)) != n:
        raise FieldError("indices", "lists a vertex more than once")


def check_shape_frames(weights: List[float]) -> None:
    if not weights:
        raise ValueError("a shape needs at least one frame")
    if weights != sorted(weights) or len(set(weights)) != len(weights) or weights[-1] != 1.0:
        raise ValueError("frames must have increasing weights ending at 1.0, got %s" % weights)


def check_event_times(onset: float, apex: float, offset: float) -> None:
    if not onset <= apex <= offset:
        raise ValueError("need onset <= apex <= offset, got %g, %g, %g" % (onset, apex, offset))


def check_clip(clip: "Clip") -> None:
    """Unique targets, weights [frames][targets] within 0-1, one validity flag per frame, no
    negative hold."""
    t = len(clip.targets)
    _names(clip.targets, "targets[%d]", "the target")
    w = clip.weights
    if len(w) == 0:
        clip.weights = w = w.reshape(0, t)
    if w.shape[1] != t:
        raise FieldError("weights", "has %d weights per frame for %d targets" % (w.shape[1], t))
    if len(clip.valid) != len(w):
        raise FieldError("valid", "has %d entries for %d frames" % (len(clip.valid), len(w)))
    if w.size and (not np.all(np.isfinite(w)) or w.min() < -1e-9 or w.max() > 1 + 1e-9):
        raise FieldError("weights", "weights must be finite and within 0-1 (mark missing "
                                    "frames in 'valid' instead of writing NaN)")
    for i, e in enumerate(clip.events):         # an event on a target the clip lacks is ignored
        if e.params.get("hold", 0.0) < 0:
            raise FieldError("events[%d].params.hold" % i, "a hold cannot be negative")


# -- the rig --------------------------------------------------------------------------------
def check_rig(rig: "Rig") -> None:
    """Every cross-field rule of a rig, in the order the C# reader checks them."""
    mesh_names = [m.name for m in rig.meshes]
    _names(mesh_names, "meshes[%d].name", "the mesh name")
    sizes = {m.name: rows(m._raw()["points"]) for m in rig.meshes}
    names = [t.name for t in rig.targets]
    _names(names, "targets[%d].name", "the target name")
    index = {n: i for i, n in enumerate(names)}
    combos = [c.name for c in rig.combinations]
    for k, c in enumerate(rig.combinations):
        if c.name in index or c.name in combos[:k]:
            raise FieldError("combinations[%d].name" % k, "%r is already the name of a %s"
                             % (c.name, "target" if c.name in index else "combination"))
        for d in c.drivers:
            if d not in index:
                raise FieldError("combinations[%d].drivers" % k, "%r is not a target" % d)
        if len(set(c.drivers)) != len(c.drivers):
            raise FieldError("combinations[%d].drivers" % k, "a driver is listed twice")
    groups: List[Tuple[str, Sequence[Any]]] = [("targets", rig.targets), ("combinations", rig.combinations)]
    for group, owners in groups:
        for i, t in enumerate(owners):
            _check_shapes(t.shapes, "%s[%d]" % (group, i), t.name, sizes)
    _check_landmarks(rig.landmarks, sizes)
    lm_size = sizes[rig.landmarks.mesh]
    for i, t in enumerate(rig.targets):
        for j, s in enumerate(t.softmods):
            if s.vertex >= lm_size:
                raise FieldError("targets[%d].softmods[%d].vertex" % (i, j), "names vertex %d; "
                                 "the landmark mesh has %d points" % (s.vertex, lm_size))
    for i, kp in enumerate(rig.key_points):
        if kp.mesh not in sizes:
            raise FieldError("key_points[%d].mesh" % i, "%r is not a mesh of the rig" % kp.mesh)
        if kp.vertex >= sizes[kp.mesh]:
            raise FieldError("key_points[%d].vertex" % i, "names vertex %d; mesh %r has %d points"
                             % (kp.vertex, kp.mesh, sizes[kp.mesh]))
    if rig.landmark_deltas.targets != names:
        raise FieldError("landmark_deltas.targets", "must list the rig's %d targets in rig order"
                         % len(names))
    deltas = rig.landmark_deltas.deltas
    if len(deltas) != len(names):
        raise FieldError("landmark_deltas.deltas", "landmark_deltas.deltas must be [targets][68][3]:"
                         " %d targets, %d rows" % (len(names), len(deltas)))
    if rig.symmetry is not None:
        _check_symmetry(rig.symmetry, index, sizes)
    check_solve_set(rig, names)
    check_landmark_frames(rig)


def _check_shapes(shapes: Sequence[Any], where: str, name: str, sizes: Dict[str, int]) -> None:
    seen = set()
    for j, s in enumerate(shapes):
        at = "%s.shapes[%d]" % (where, j)
        n = sizes.get(s.mesh)
        if n is None:
            raise FieldError(at + ".mesh", "%r refers to unknown mesh %r" % (name, s.mesh))
        if s.mesh in seen:
            raise FieldError(at + ".mesh", "%r has two shapes on mesh %r" % (name, s.mesh))
        seen.add(s.mesh)
        for k, f in enumerate(s.frames):
            _check_moved(f, "%s.frames[%d].indices" % (at, k), name, s.mesh, n)


def _check_moved(frame: "ShapeFrame", field: str, target: str, mesh: str, n: int) -> None:
    """A frame may move only vertices of its mesh; a deferred frame checks when it is read."""
    idx = frame._raw()["indices"]
    message = "target %r moves vertex {vertex} beyond mesh %r's %d points" % (target, mesh, n)
    if isinstance(idx, Deferred):
        idx.bound = (n, message)
    elif len(idx) and int(idx.max()) >= n:
        raise FieldError(field, message.replace("{vertex}", str(int(idx.max()))))


def _check_landmarks(lm: "Landmarks", sizes: Dict[str, int]) -> None:
    if lm.mesh not in sizes:
        raise FieldError("landmarks.mesh", "%r is not a mesh of the rig" % lm.mesh)
    n = sizes[lm.mesh]
    for i, p in enumerate(lm.points):
        at = "landmarks.points[%d]" % i
        if p.vertex is not None and p.vertex >= n:
            raise FieldError(at + ".vertex", "names vertex %d; mesh %r has %d points (a "
                             "landmark file made for another mesh?)" % (p.vertex, lm.mesh, n))
        if p.triangle is not None and max(p.triangle) >= n:
            raise FieldError(at + ".triangle", "names vertex %d; mesh %r has %d points"
                             % (max(p.triangle), lm.mesh, n))
    for field, values in (("rigid", lm.rigid), ("reference_points", lm.reference_points)):
        if len(set(values)) != len(values):
            raise FieldError("landmarks." + field, "lists a landmark more than once")
    if len(lm.rigid) < MIN_RIGID:
        raise FieldError("landmarks.rigid", "lists %d landmarks; at least %d are needed"
                         % (len(lm.rigid), MIN_RIGID))


def _check_symmetry(sym: "Symmetry", index: Dict[str, int], sizes: Dict[str, int]) -> None:
    m = sym.landmark_map
    for i, j in enumerate(m):
        if m[j] != i:
            raise FieldError("symmetry.landmark_map", "maps landmark %d to %d but %d back to %d: "
                             "each landmark and its mirror must map to each other" % (i, j, j, m[j]))
    for k, pair in enumerate(sym.target_pairs):
        for name in pair:
            if name not in index:
                raise FieldError("symmetry.target_pairs[%d]" % k, "%r is not a target" % name)
    for mesh, vm in sym.vertex_maps.items():
        at = "symmetry.vertex_maps.%s" % mesh
        if mesh not in sizes:
            raise FieldError(at, "%r is not a mesh of the rig" % mesh)
        if len(vm) != sizes[mesh]:
            raise FieldError(at, "has %d entries for %d points" % (len(vm), sizes[mesh]))
        if len(vm) and int(vm.max()) >= len(vm):
            raise FieldError(at, "names vertex %d of %d" % (int(vm.max()), len(vm)))


def check_solve_set(rig: "Rig", names: List[str]) -> None:
    """``solve_set``: unique target names (not combinations), at least one."""
    if rig.solve_set is None:
        return
    if not rig.solve_set:
        raise FieldError("solve_set", "solve_set is empty: list the targets the solve drives, or "
                                      "leave solve_set out to solve every target")
    known = set(names)
    combos = {c.name for c in rig.combinations}
    for n in rig.solve_set:
        if n in combos:
            raise FieldError("solve_set", "solve_set lists %r, a combination: combinations follow "
                                          "their drivers; list the drivers instead" % n)
        if n not in known:
            raise FieldError("solve_set", "solve_set lists %r, which is not a target of the rig" % n)
    dup = sorted({n for n in rig.solve_set if rig.solve_set.count(n) > 1})
    if dup:
        raise FieldError("solve_set", "solve_set lists %s more than once" % ", ".join(dup))


def check_landmark_frames(rig: "Rig") -> None:
    """Each landmark frame belongs to an in-between of a target or a frame of a combination
    on the landmark mesh, once; a shape has landmark frames for all those weights or none."""
    mesh = rig.landmarks.mesh
    needed: Dict[str, List[float]] = {}
    for t in rig.targets:
        needed[t.name] = [f.weight for s in t.shapes if s.mesh == mesh for f in s.frames if f.weight < 1.0]
    for c in rig.combinations:
        needed[c.name] = [f.weight for s in c.shapes if s.mesh == mesh for f in s.frames]
    given: Dict[str, List[float]] = {}
    for k, lf in enumerate(rig.landmark_deltas.frames):
        where = "landmark_deltas.frames[%d]" % k
        if lf.shape not in needed:
            raise FieldError(where + ".shape", "%r is neither a target nor a combination" % lf.shape)
        if lf.weight not in needed[lf.shape]:
            raise FieldError(where + ".weight", "%r has no %s at weight %g on the landmark mesh "
                             "%r (it has %s)" % (lf.shape, "frame" if lf.weight == 1.0 else
                                                 "in-between", lf.weight, mesh,
                                                 needed[lf.shape] or "none"))
        if lf.weight in given.get(lf.shape, []):
            raise FieldError(where, "repeats %r at weight %g" % (lf.shape, lf.weight))
        given.setdefault(lf.shape, []).append(lf.weight)
    for name, ws in given.items():
        missing = sorted(set(needed[name]) - set(ws))
        if missing:
            raise FieldError("landmark_deltas.frames", "has %r at %s but not at %s: give every "
                             "frame of a shape or none (rig.curves.landmark_frames)"
                             % (name, sorted(ws), missing))


# -- a clip on a rig ------------------------------------------------------------------------
def check_clip_for_rig(clip: "Clip", rig: "Rig", clip_file: Optional[str] = None,
                       need_frames: bool = True, what: str = "clip") -> None:
    """Refuse a clip made for another mesh (``rig_fingerprint``), one that drives targets the
    rig lacks, and (``need_frames``) one without frames: review, verify-unity and export
    all check a clip this way before using it."""
    fp = rig.mesh(rig.landmarks.mesh).fingerprint
    if clip.rig_fingerprint and clip.rig_fingerprint != fp:
        raise MicroExprError("the %s was made for another mesh (fingerprint %s, the rig's is %s)"
                             % (what, clip.rig_fingerprint[:12], fp[:12]), file=clip_file,
                             field="rig_fingerprint", fix="use the %s with the rig it was made "
                                                          "for" % what)
    known = set(rig.target_names())
    unknown = [n for n in clip.targets if n not in known]
    if unknown:
        raise MicroExprError("the %s drives target%s the rig lacks: %s"
                             % (what, "s" if len(unknown) > 1 else "", ", ".join(unknown[:5])),
                             file=clip_file, field="targets",
                             fix="use the %s with the rig it was made for" % what)
    if need_frames and len(clip.weights) == 0:
        raise MicroExprError("the %s has no frames" % what, file=clip_file, field="weights",
                             fix="pass a clip with at least one frame")
