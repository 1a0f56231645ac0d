"""The bridge format: versioned pydantic models for rigs and clips.

Units are stated in every file (``units``): lengths in ``units.length`` (default cm), Maya's
axes (Y up, the face looks toward +Z, right-handed), weights 0-1 (``units.weight_scale`` 1;
Unity multiplies by 100 when it calls ``SetBlendShapeWeight``), times in seconds.

Unknown-field policy: every object is strict (a misspelt field is an error that names it), and
every object has an ``extras`` dict where other tools may keep their own data; ``extras`` is
read and written back untouched. Values are strict too: no number written as a string, no
true/false as a number, no NaN or infinity; the rules between fields (indices within the
counts they refer to, unique names ...) are in ``validate.py``. Files from an older format version are migrated on load
(see ``migrate.py``); files from a newer version are refused with a message to upgrade.

Large arrays (mesh points and polygons, target frames, landmark matrices, clip weights) are
numpy arrays in memory (float64, int64 or bool; see ``arrays.py``): give lists or arrays, read
arrays. Compare models with ``==`` (it compares arrays by value).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Dict, List, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_serializer, model_validator

from microexpr.bridge.arrays import (
    Deferred,
    array_type,
    check,
    field_specs,
    materialise,
    read_deferred,
    same,
)
from microexpr.bridge.validate import (
    FPS_MAX,
    FPS_MIN,
    check_clip,
    check_event_times,
    check_frame,
    check_mesh,
    check_rig,
    check_shape_frames,
    check_solve_set,  # noqa: F401  (used as models.check_solve_set)
)

FORMAT_VERSION = 3
Vec3 = Annotated[List[float], Field(min_length=3, max_length=3)]
Name = Annotated[str, Field(min_length=1)]
LandmarkIndex = Annotated[int, Field(ge=0, le=67)]
if TYPE_CHECKING:       # type checkers see arrays; pydantic sees checked array fields
    Points = np.ndarray
    Indices = np.ndarray
    Counts = np.ndarray
    Uvs = np.ndarray
    Neutral = np.ndarray
    DeltaMatrix = np.ndarray
    VertexMap = np.ndarray
    Weights = np.ndarray
    Valid = np.ndarray
else:
    Points = array_type("float", (None, 3))
    Indices = array_type("index", (None,))
    Counts = array_type("index", (None,), low=3)
    Uvs = array_type("float", (None, 2))
    Neutral = array_type("float", (68, 3))
    DeltaMatrix = array_type("float", (None, 68, 3))
    VertexMap = array_type("index", (None,), low=-1)
    Weights = array_type("float", (None, None), finite=False)   # range checked by Clip
    Valid = array_type("bool", (None,))


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False, strict=True,
                              allow_inf_nan=False)
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
    weight_scale: float = Field(1.0, gt=0, description="Full target weight; 1 means weights are 0-1.")
    time: Literal["s"] = "s"


class MeshData(Lazy):
    """A mesh of the face: skin, eyes, teeth, lashes ... sharing the rig's channel names."""

    name: Name
    role: Literal["skin", "eyes", "teeth", "tongue", "lashes", "brows", "other"] = "skin"
    fingerprint: Name = Field(description="Topology hash: a rig is never applied to a mesh "
                                         "whose fingerprint differs.")
    points: Points = Field(description="[vertex] -> [x, y, z]")
    face_counts: Counts = Field(description="Corners of each polygon (3 or more).")
    face_indices: Indices = Field(description="Each polygon's vertices, polygon after polygon.")
    uvs: Optional[Uvs] = None

    @model_validator(mode="after")
    def _check(self) -> "MeshData":
        check_mesh(self)
        self._adopt()
        return self


class ShapeFrame(Lazy):
    """Sparse offsets of one mesh at ``weight`` (1.0 = full target; 0 < w < 1 = in-between)."""

    weight: float = Field(1.0, gt=0.0, le=1.0)
    indices: Indices = Field(description="The vertices this frame moves.")
    deltas: Points = Field(description="[moved vertex] -> [dx, dy, dz]")
    normal_deltas: Optional[Points] = None

    @model_validator(mode="after")
    def _check(self) -> "ShapeFrame":
        check_frame(self)
        self._adopt()
        return self


class MeshShape(Strict):
    mesh: Name
    frames: List[ShapeFrame]

    @field_validator("frames")
    @classmethod
    def _sorted(cls, v: List[ShapeFrame]) -> List[ShapeFrame]:
        check_shape_frames([f.weight for f in v])
        return v


class SoftModSpec(Strict):
    """How a target was made: one soft-mod (see ``microexpr.rig.softmod``)."""

    key_name: Name
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
    name: Name
    info: TargetInfo = Field(default_factory=TargetInfo)
    shapes: List[MeshShape]
    softmods: List[SoftModSpec] = Field(default_factory=list)


class Combination(Strict):
    """A corrective target, active at the product of its drivers' weights."""

    name: Name
    drivers: List[str] = Field(min_length=2)
    shapes: List[MeshShape]


class LandmarkPoint(Strict):
    """Where a landmark sits: on a vertex, or at barycentric coordinates on a triangle."""

    vertex: Optional[int] = Field(None, ge=0)
    triangle: Optional[Annotated[List[Annotated[int, Field(ge=0)]],
                                 Field(min_length=3, max_length=3)]] = None
    barycentric: Optional[Vec3] = None

    @model_validator(mode="after")
    def _one(self) -> "LandmarkPoint":
        tri = self.triangle is not None or self.barycentric is not None
        if (self.vertex is None) == (not tri) or tri and (self.triangle is None or self.barycentric is None):
            raise ValueError("give either vertex, or triangle and barycentric")
        return self


class Landmarks(Strict):
    scheme: Literal["ibug68"] = "ibug68"
    mesh: Name
    points: List[LandmarkPoint] = Field(min_length=68, max_length=68)
    neutral: Neutral = Field(description="Landmark positions on the neutral mesh.")
    reference_points: List[LandmarkIndex] = Field(default_factory=lambda: [27], min_length=1,
                                                  description="E0 of the paper's reference mode.")
    rigid: List[LandmarkIndex] = Field(description="Landmarks used to remove head motion (6 or "
                                                   "more).")


class LandmarkFrame(Strict):
    """How one in-between frame of a target, or one frame of a combination, moves the 68
    landmarks (``rig.curves.landmark_frames`` computes them from the shapes)."""

    shape: Name = Field(description="A target (its in-between at ``weight`` < 1) "
                                                 "or a combination (any of its frames).")
    weight: float = Field(gt=0.0, le=1.0)
    deltas: List[Vec3] = Field(min_length=68, max_length=68,
                               description="[landmark] -> [dx, dy, dz]")


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
    name: Name
    landmark: int = Field(ge=0, le=67)
    mesh: Name
    vertex: int = Field(ge=0)
    radius: float = Field(gt=0)
    curve: Literal["linear", "smooth", "gaussian", "constant"] = "smooth"
    mode: Literal["surface", "volume"] = "surface"
    inner_radius: float = Field(0.0, ge=0)


class Symmetry(Strict):
    axis: Literal["X"] = "X"
    landmark_map: List[LandmarkIndex] = Field(min_length=68, max_length=68,
                                              description="Each landmark's mirror landmark.")
    target_pairs: List[Annotated[List[str], Field(min_length=2, max_length=2)]] = Field(
        default_factory=list, description="[left, right] target name pairs.")
    vertex_maps: Dict[str, VertexMap] = Field(
        default_factory=dict, description="Per mesh: each vertex's mirror vertex (-1: none).")


class Rig(Strict):
    format: Literal["microexpr.rig"] = "microexpr.rig"
    version: int = FORMAT_VERSION
    generator: str = "microexpr"
    name: str = "face"
    units: Units = Field(default_factory=Units)
    meshes: List[MeshData] = Field(min_length=1)
    targets: List[Target] = Field(min_length=1)
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
        check_rig(self)
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


class MicroEvent(Strict):
    """One action unit of a micro-expression with every random choice resolved, so another
    runtime can re-evaluate its envelope without a random generator (see ``microexpr.micro``)."""

    au: str
    target: Name
    onset: float = Field(description="Start time, seconds.")
    apex: float = Field(description="Time of the peak, seconds.")
    offset: float = Field(description="End time, seconds.")
    peak_weight: float = Field(ge=0.0, le=1.0)
    envelope: Literal["smoothstep-asym"] = "smoothstep-asym"
    params: Dict[str, float] = Field(default_factory=dict,
                                     description="'hold': seconds at full weight after the apex.")

    @model_validator(mode="after")
    def _order(self) -> "MicroEvent":
        check_event_times(self.onset, self.apex, self.offset)
        return self


class Clip(Strict):
    format: Literal["microexpr.clip"] = "microexpr.clip"
    version: int = FORMAT_VERSION
    generator: str = "microexpr"
    units: Units = Field(default_factory=Units)
    fps: float = Field(ge=FPS_MIN, le=FPS_MAX, description="Frames per second, %g to %g."
                                                           % (FPS_MIN, FPS_MAX))
    start_time: float = 0.0
    targets: List[Name] = Field(min_length=1)
    weights: Weights = Field(description="[frame][target], 0-1 in target order.")
    valid: Valid = Field(description="Per frame: False where there was no data.")
    hold_invalid: bool = Field(False, description="Players may hold the last valid weights "
                                                  "over invalid frames when True.")
    rig_fingerprint: Optional[Name] = None
    events: List[MicroEvent] = Field(
        default_factory=list,
        description="Micro-expression events, every random choice resolved. 'weights' already "
                    "include them: a player plays 'weights'; layering the events onto the clip's "
                    "base (a neutral clip: zeros) re-creates 'weights', and a runtime may layer "
                    "them onto other weights (a live solve) instead.")
    source: Dict[str, object] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _shape(self) -> "Clip":
        check_clip(self)
        return self

    def weight_array(self) -> np.ndarray:
        """(frames, targets) weights (a copy)."""
        return np.array(self.weights, dtype=np.float64).reshape(len(self.weights), len(self.targets))

    def valid_array(self) -> np.ndarray:
        """(frames,) validity (a copy)."""
        return np.array(self.valid, dtype=bool)

    def times(self) -> np.ndarray:
        return self.start_time + np.arange(len(self.weights)) / self.fps
