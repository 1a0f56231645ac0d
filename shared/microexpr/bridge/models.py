"""The bridge format: versioned pydantic models for rigs and clips.

Units are stated in every file (``units``): lengths in ``units.length`` (default cm), Maya's
axes (Y up, the face looks toward +Z, right-handed), weights 0-1 (``units.weight_scale`` 1;
Unity multiplies by 100 when it calls ``SetBlendShapeWeight``), times in seconds.

Unknown-field policy: every object is strict (a misspelt field is an error that names it), and
every object has an ``extras`` dict where other tools may keep their own data; ``extras`` is
read and written back untouched. Files from an older format version are migrated on load
(see ``migrate.py``); files from a newer version are refused with a message to upgrade.

Large arrays (mesh points and polygons, target frames, landmark matrices, clip weights) are
numpy arrays in memory (float64, int64 or bool; see ``arrays.py``): give lists or arrays, read
arrays. Compare models with ``==`` (it compares arrays by value).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Dict, List, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from microexpr.bridge.arrays import (
    Deferred,
    array_type,
    check,
    field_specs,
    materialise,
    read_deferred,
    rows,
    same,
)

FORMAT_VERSION = 3
Vec3 = List[float]
if TYPE_CHECKING:       # type checkers see arrays; pydantic sees checked array fields
    Points = np.ndarray
    Indices = np.ndarray
    Uvs = np.ndarray
    Neutral = np.ndarray
    DeltaMatrix = np.ndarray
    VertexMap = np.ndarray
    Weights = np.ndarray
    Valid = np.ndarray
else:
    Points = array_type("float", (None, 3))
    Indices = array_type("index", (None,))
    Uvs = array_type("float", (None, 2))
    Neutral = array_type("float", (68, 3))
    DeltaMatrix = array_type("float", (None, 68, 3))
    VertexMap = array_type("index", (None,), low=-1)
    Weights = array_type("float", (None, None), finite=False)   # range checked by Clip
    Valid = array_type("bool", (None,))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)
    extras: Dict[str, object] = Field(default_factory=dict,
                                      description="Free-form data of other tools, kept as is.")

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return all(same(getattr(self, k), getattr(other, k)) for k in type(self).model_fields)

    __hash__ = None  # type: ignore[assignment]

    def model_dump(self, **kwargs: Any) -> Dict[str, Any]:
        read_deferred(self)             # a bad array in the file: a MicroExprError, here
        return super().model_dump(**kwargs)

    def model_dump_json(self, **kwargs: Any) -> str:
        read_deferred(self)
        return super().model_dump_json(**kwargs)

    def __getstate__(self) -> Dict[Any, Any]:
        read_deferred(self)             # a pickled model carries its arrays, not the file
        return super().__getstate__()

    def __setattr__(self, name: str, value: Any) -> None:
        """An array field set later gets the same conversion and checks as on construction."""
        spec = field_specs(type(self)).get(name)
        if spec is not None and value is not None and not isinstance(value, Deferred):
            try:
                value = check(value, spec)
            except ValueError as exc:
                raise ValueError("%s.%s %s" % (type(self).__name__, name, exc)) from None
        super().__setattr__(name, value)


class Lazy(Strict):
    """A model whose arrays may still sit in a container file (``Deferred``): reading one of
    them reads and checks them all (``arrays.materialise``)."""

    if not TYPE_CHECKING:
        def __getattribute__(self, name: str) -> Any:
            value = object.__getattribute__(self, name)
            if type(value) is Deferred:
                materialise(self)
                value = object.__getattribute__(self, name)
            return value

    def _raw(self) -> Dict[str, Any]:
        """Field values as stored, without reading deferred arrays."""
        return object.__getattribute__(self, "__dict__")

    def _adopt(self) -> None:
        for name, value in self._raw().items():
            if type(value) is Deferred:
                value.adopt(self, name)


class Axes(Strict):
    up: Literal["Y", "Z"] = "Y"
    front: Literal["+Z", "-Z", "+Y", "-Y"] = "+Z"
    handedness: Literal["right", "left"] = "right"
    subject_left: Literal["+X", "-X"] = Field("+X", description="Direction of the subject's own left.")


class Units(Strict):
    length: Literal["mm", "cm", "m", "in"] = "cm"
    axes: Axes = Field(default_factory=Axes)
    weight_scale: float = Field(1.0, description="Full target weight; 1 means weights are 0-1.")
    time: Literal["s"] = "s"


class MeshData(Lazy):
    """A mesh of the face: skin, eyes, teeth, lashes ... sharing the rig's channel names."""

    name: str
    role: Literal["skin", "eyes", "teeth", "tongue", "lashes", "brows", "other"] = "skin"
    fingerprint: str = Field(description="Topology hash: a rig is never applied to a mesh "
                                         "whose fingerprint differs.")
    points: Points = Field(description="[vertex] -> [x, y, z]")
    face_counts: Indices = Field(description="Corners of each polygon.")
    face_indices: Indices = Field(description="Each polygon's vertices, polygon after polygon.")
    uvs: Optional[Uvs] = None

    @model_validator(mode="after")
    def _check(self) -> "MeshData":
        raw = self._raw()
        n = rows(raw["points"])
        counts, corners, uvs = raw["face_counts"], raw["face_indices"], raw["uvs"]
        if not isinstance(counts, Deferred) and not isinstance(corners, Deferred):
            if int(counts.sum()) != len(corners):
                raise ValueError("face_counts add up to %d but face_indices has %d entries"
                                 % (counts.sum(), len(corners)))
            if len(corners) and int(corners.max()) >= n:
                raise ValueError("face_indices must lie in 0..%d" % (n - 1))
        if uvs is not None and rows(uvs) != n:
            raise ValueError("uvs must have one entry per point (%d), got %d" % (n, rows(uvs)))
        self._adopt()
        return self


class ShapeFrame(Lazy):
    """Sparse offsets of one mesh at ``weight`` (1.0 = full target; 0 < w < 1 = in-between)."""

    weight: float = 1.0
    indices: Indices = Field(description="The vertices this frame moves.")
    deltas: Points = Field(description="[moved vertex] -> [dx, dy, dz]")
    normal_deltas: Optional[Points] = None

    @model_validator(mode="after")
    def _check(self) -> "ShapeFrame":
        raw = self._raw()
        n = rows(raw["indices"])
        if n != rows(raw["deltas"]):
            raise ValueError("indices (%d) and deltas (%d) differ in length" % (n, rows(raw["deltas"])))
        if raw["normal_deltas"] is not None and rows(raw["normal_deltas"]) != n:
            raise ValueError("normal_deltas must match indices in length")
        if not 0.0 < self.weight <= 1.0:
            raise ValueError("frame weight must be in (0, 1], got %r" % self.weight)
        self._adopt()
        return self


class MeshShape(Strict):
    mesh: str
    frames: List[ShapeFrame]

    @field_validator("frames")
    @classmethod
    def _sorted(cls, v: List[ShapeFrame]) -> List[ShapeFrame]:
        if not v:
            raise ValueError("a shape needs at least one frame")
        ws = [f.weight for f in v]
        if ws != sorted(ws) or len(set(ws)) != len(ws) or ws[-1] != 1.0:
            raise ValueError("frames must have increasing weights ending at 1.0, got %s" % ws)
        return v


class SoftModSpec(Strict):
    """How a target was made: one soft-mod (see ``microexpr.rig.softmod``)."""

    key_name: str
    landmark: int = Field(ge=0, le=67)
    vertex: int = Field(ge=0)
    radius: float = Field(gt=0)
    curve: Literal["linear", "smooth", "gaussian", "constant"] = "smooth"
    mode: Literal["surface", "volume"] = "surface"
    inner_radius: float = Field(0.0, ge=0)
    translate: Vec3 = Field(default_factory=lambda: [0.0, 0.0, 0.0])
    rotate: Vec3 = Field(default_factory=lambda: [0.0, 0.0, 0.0])
    scale: Vec3 = Field(default_factory=lambda: [1.0, 1.0, 1.0])
    center: Optional[Vec3] = None


class TargetInfo(Strict):
    side: Optional[Literal["L", "R", "C"]] = Field(None, description="The subject's own side.")
    region: Optional[str] = None
    aus: List[str] = Field(default_factory=list, description="FACS action units, e.g. ['12'].")
    observable: bool = Field(True, description="False when 68 landmarks cannot see it "
                                               "(gaze, cheek puff): the solver pins it to 0.")
    preset: Optional[str] = None
    description: Optional[str] = None
    mirror_of: Optional[str] = None


class Target(Strict):
    name: str = Field(min_length=1)
    info: TargetInfo = Field(default_factory=TargetInfo)
    shapes: List[MeshShape]
    softmods: List[SoftModSpec] = Field(default_factory=list)


class Combination(Strict):
    """A corrective target, active at the product of its drivers' weights."""

    name: str = Field(min_length=1)
    drivers: List[str] = Field(min_length=2)
    shapes: List[MeshShape]


class LandmarkPoint(Strict):
    """Where a landmark sits: on a vertex, or at barycentric coordinates on a triangle."""

    vertex: Optional[int] = Field(None, ge=0)
    triangle: Optional[List[int]] = None
    barycentric: Optional[List[float]] = None

    @model_validator(mode="after")
    def _one(self) -> "LandmarkPoint":
        tri = self.triangle is not None or self.barycentric is not None
        if (self.vertex is None) == (not tri):
            raise ValueError("give either vertex, or triangle and barycentric")
        if tri and (self.triangle is None or self.barycentric is None
                    or len(self.triangle) != 3 or len(self.barycentric) != 3):
            raise ValueError("triangle and barycentric need 3 entries each")
        return self


class Landmarks(Strict):
    scheme: Literal["ibug68"] = "ibug68"
    mesh: str
    points: List[LandmarkPoint] = Field(min_length=68, max_length=68)
    neutral: Neutral = Field(description="Landmark positions on the neutral mesh.")
    reference_points: List[int] = Field(default_factory=lambda: [27],
                                        description="E0 of the paper's reference mode.")
    rigid: List[int] = Field(description="Landmarks used to remove head motion.")


class LandmarkFrame(Strict):
    """How one in-between frame of a target, or one frame of a combination, moves the 68
    landmarks (``rig.curves.landmark_frames`` computes them from the shapes)."""

    shape: str = Field(min_length=1, description="A target (its in-between at ``weight`` < 1) "
                                                 "or a combination (any of its frames).")
    weight: float = Field(gt=0.0, le=1.0)
    deltas: List[Vec3] = Field(min_length=68, max_length=68,
                               description="[landmark] -> [dx, dy, dz]")

    @field_validator("deltas")
    @classmethod
    def _xyz(cls, v: List[Vec3]) -> List[Vec3]:
        if any(len(d) != 3 for d in v):
            raise ValueError("each landmark needs [dx, dy, dz]")
        if not np.all(np.isfinite(np.asarray(v, dtype=np.float64))):
            raise ValueError("landmark offsets must be finite")
        return v


class LandmarkDeltas(Strict):
    """The landmark delta matrix: each target's offset of the 68 landmarks. Runtimes (Unity)
    solve from this alone and never need vertex indices, which importers reorder."""

    targets: List[str]
    deltas: DeltaMatrix = Field(description="[target][landmark] -> [dx, dy, dz]")
    frames: List[LandmarkFrame] = Field(
        default_factory=list,
        description="The landmark offsets of the in-betweens (targets' frames below 1) and of "
                    "the combinations' frames on the landmark mesh: with them the solve "
                    "follows in-betweens and correctives; a shape without them is solved as "
                    "linear (in-betweens) or ignored (combinations).")

    @model_serializer(mode="wrap")
    def _without_empty_frames(self, handler: Any) -> Dict[str, Any]:
        """A rig without landmark frames is written as before they existed."""
        out = handler(self)
        if isinstance(out, dict) and not out.get("frames", True):
            del out["frames"]
        return out


class KeyPoint(Strict):
    name: str
    landmark: int = Field(ge=0, le=67)
    mesh: str
    vertex: int = Field(ge=0)
    radius: float = Field(gt=0)
    curve: Literal["linear", "smooth", "gaussian", "constant"] = "smooth"
    mode: Literal["surface", "volume"] = "surface"
    inner_radius: float = 0.0


class Symmetry(Strict):
    axis: Literal["X"] = "X"
    landmark_map: List[int] = Field(min_length=68, max_length=68)
    target_pairs: List[List[str]] = Field(default_factory=list,
                                          description="[left, right] target name pairs.")
    vertex_maps: Dict[str, VertexMap] = Field(
        default_factory=dict, description="Per mesh: each vertex's mirror vertex (-1: none).")

    @model_validator(mode="after")
    def _maps(self) -> "Symmetry":
        for mesh, m in self.vertex_maps.items():
            if len(m) and int(m.max()) >= len(m):
                raise ValueError("vertex_maps[%r] names vertex %d of %d" % (mesh, m.max(), len(m)))
        return self


class Rig(Strict):
    format: Literal["microexpr.rig"] = "microexpr.rig"
    version: int = FORMAT_VERSION
    generator: str = "microexpr"
    name: str = "face"
    units: Units = Field(default_factory=Units)
    meshes: List[MeshData] = Field(min_length=1)
    targets: List[Target]
    combinations: List[Combination] = Field(default_factory=list)
    key_points: List[KeyPoint] = Field(default_factory=list)
    landmarks: Landmarks
    landmark_deltas: LandmarkDeltas
    symmetry: Optional[Symmetry] = None
    solve_set: Optional[List[str]] = Field(
        None, description="The targets the solve drives; the others get weight 0 in solved "
                          "clips. Absent (null): every target. Combinations are never listed: "
                          "they follow their drivers.")

    @model_serializer(mode="wrap")
    def _without_solve_set(self, handler: Any) -> Dict[str, Any]:
        """A rig without a solve set is written as before solve sets existed."""
        out = handler(self)
        if isinstance(out, dict) and out.get("solve_set", 0) is None:
            del out["solve_set"]
        return out

    @model_validator(mode="after")
    def _consistent(self) -> "Rig":
        names = [t.name for t in self.targets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError("duplicate target names: %s" % ", ".join(dup))
        sizes = {m.name: rows(m._raw()["points"]) for m in self.meshes}
        for t in list(self.targets) + list(self.combinations):
            for s in t.shapes:
                n = sizes.get(s.mesh)
                if n is None:
                    raise ValueError("target %r refers to unknown mesh %r" % (t.name, s.mesh))
                for f in s.frames:
                    _check_moved(f, t.name, s.mesh, n)
        for c in self.combinations:
            missing = [d for d in c.drivers if d not in names]
            if missing:
                raise ValueError("combination %r has unknown drivers %s" % (c.name, missing))
        if self.landmarks.mesh not in sizes:
            raise ValueError("landmarks refer to unknown mesh %r" % self.landmarks.mesh)
        if self.landmark_deltas.targets != names:
            raise ValueError("landmark_deltas.targets must list the targets in rig order")
        if len(self.landmark_deltas.deltas) != len(names):
            raise ValueError("landmark_deltas.deltas must be [targets][68][3]: %d targets, %d rows"
                             % (len(names), len(self.landmark_deltas.deltas)))
        check_solve_set(self, names)
        _check_landmark_frames(self)
        return self

    # -- numpy views -------------------------------------------------------------------
    def target_names(self) -> List[str]:
        return [t.name for t in self.targets]

    def mesh(self, name: Optional[str] = None) -> MeshData:
        name = name or self.landmarks.mesh
        for m in self.meshes:
            if m.name == name:
                return m
        raise KeyError(name)

    def landmark_delta_matrix(self) -> np.ndarray:
        """(68, 3, T) landmark offsets per target, in ``units.length`` (a copy)."""
        return np.array(self.landmark_deltas.deltas.transpose(1, 2, 0), dtype=np.float64, order="C")

    def neutral_landmarks(self) -> np.ndarray:
        """(68, 3) neutral landmark positions (a copy)."""
        return np.array(self.landmarks.neutral, dtype=np.float64)

    def observable_mask(self) -> np.ndarray:
        return np.array([t.info.observable for t in self.targets], dtype=bool)


def _check_moved(frame: ShapeFrame, target: str, mesh: str, n: int) -> None:
    """A frame may move only vertices of its mesh; a deferred frame checks when it is read."""
    idx = frame._raw()["indices"]
    message = "target %r moves vertex {vertex} beyond mesh %r's %d points" % (target, mesh, n)
    if isinstance(idx, Deferred):
        idx.bound = (n, message)
    elif len(idx) and int(idx.max()) >= n:
        raise ValueError(message.replace("{vertex}", str(int(idx.max()))))


def check_solve_set(rig: Rig, names: List[str]) -> None:
    """``solve_set``: unique target names (not combinations), at least one."""
    if rig.solve_set is None:
        return
    if not rig.solve_set:
        raise ValueError("solve_set is empty: list the targets the solve drives, or leave "
                         "solve_set out to solve every target")
    known = set(names)
    combos = {c.name for c in rig.combinations}
    for n in rig.solve_set:
        if n in combos:
            raise ValueError("solve_set lists %r, a combination: combinations follow their "
                             "drivers; list the drivers instead" % n)
        if n not in known:
            raise ValueError("solve_set lists %r, which is not a target of the rig" % n)
    dup = sorted({n for n in rig.solve_set if rig.solve_set.count(n) > 1})
    if dup:
        raise ValueError("solve_set lists %s more than once" % ", ".join(dup))


def _check_landmark_frames(rig: Rig) -> None:
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
            raise ValueError("%s names %r, neither a target nor a combination" % (where, lf.shape))
        if lf.weight not in needed[lf.shape]:
            raise ValueError("%s: %r has no %s at weight %g on the landmark mesh %r (it has %s)"
                             % (where, lf.shape, "frame" if lf.weight == 1.0 else "in-between",
                                lf.weight, mesh, needed[lf.shape] or "none"))
        if lf.weight in given.get(lf.shape, []):
            raise ValueError("%s repeats %r at weight %g" % (where, lf.shape, lf.weight))
        given.setdefault(lf.shape, []).append(lf.weight)
    for name, ws in given.items():
        missing = sorted(set(needed[name]) - set(ws))
        if missing:
            raise ValueError("landmark_deltas.frames has %r at %s but not at %s: give every "
                             "frame of a shape or none (rig.curves.landmark_frames)"
                             % (name, sorted(ws), missing))


class MicroEvent(Strict):
    """One action unit of a micro-expression with every random choice resolved, so another
    runtime can re-evaluate its envelope without a random generator (see ``microexpr.micro``)."""

    au: str
    target: str
    onset: float = Field(description="Start time, seconds.")
    apex: float = Field(description="Time of the peak, seconds.")
    offset: float = Field(description="End time, seconds.")
    peak_weight: float = Field(ge=0.0, le=1.0)
    envelope: str = "smoothstep-asym"
    params: Dict[str, float] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _order(self) -> "MicroEvent":
        if not self.onset <= self.apex <= self.offset:
            raise ValueError("need onset <= apex <= offset, got %g, %g, %g"
                             % (self.onset, self.apex, self.offset))
        return self


class Clip(Strict):
    format: Literal["microexpr.clip"] = "microexpr.clip"
    version: int = FORMAT_VERSION
    generator: str = "microexpr"
    units: Units = Field(default_factory=Units)
    fps: float = Field(gt=0)
    start_time: float = 0.0
    targets: List[str]
    weights: Weights = Field(description="[frame][target], 0-1 in target order.")
    valid: Valid = Field(description="Per frame: False where there was no data.")
    hold_invalid: bool = Field(False, description="Players may hold the last valid weights "
                                                  "over invalid frames when True.")
    rig_fingerprint: Optional[str] = None
    events: List[MicroEvent] = Field(
        default_factory=list,
        description="Micro-expression events, every random choice resolved. 'weights' already "
                    "include them: a player plays 'weights'; layering the events onto the clip's "
                    "base (a neutral clip: zeros) re-creates 'weights', and a runtime may layer "
                    "them onto other weights (a live solve) instead.")
    source: Dict[str, object] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> "Clip":
        t = len(self.targets)
        if len(set(self.targets)) != t:
            raise ValueError("duplicate target names in the clip")
        w = self.weights
        if len(w) == 0:
            self.weights = w = w.reshape(0, t)
        if w.shape[1] != t:
            raise ValueError("frame 0 has %d weights for %d targets" % (w.shape[1], t))
        if len(self.valid) != len(w):
            raise ValueError("valid has %d entries for %d frames" % (len(self.valid), len(w)))
        if w.size and (not np.all(np.isfinite(w)) or w.min() < -1e-9 or w.max() > 1 + 1e-9):
            raise ValueError("weights must be finite and within 0-1 (mark missing frames in "
                             "'valid' instead of writing NaN)")
        return self

    def weight_array(self) -> np.ndarray:
        """(frames, targets) weights (a copy)."""
        return np.array(self.weights, dtype=np.float64).reshape(len(self.weights), len(self.targets))

    def valid_array(self) -> np.ndarray:
        """(frames,) validity (a copy)."""
        return np.array(self.valid, dtype=bool)

    def times(self) -> np.ndarray:
        return self.start_time + np.arange(len(self.weights)) / self.fps
