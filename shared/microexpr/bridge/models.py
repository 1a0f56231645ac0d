"""The bridge format: versioned pydantic models for rigs and clips.

Units are stated in every file (``units``): lengths in ``units.length`` (default cm), Maya's
axes (Y up, the face looks toward +Z, right-handed), weights 0-1 (``units.weight_scale`` 1;
Unity multiplies by 100 when it calls ``SetBlendShapeWeight``), times in seconds.

Unknown-field policy: every object is strict (a misspelt field is an error that names it), and
every object has an ``extras`` dict where other tools may keep their own data; ``extras`` is
read and written back untouched. Files from an older format version are migrated on load
(see ``migrate.py``); files from a newer version are refused with a message to upgrade.
"""
from __future__ import annotations

from typing import Dict, List, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

FORMAT_VERSION = 3
Vec3 = List[float]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)
    extras: Dict[str, object] = Field(default_factory=dict,
                                      description="Free-form data of other tools, kept as is.")


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


class MeshData(Strict):
    """A mesh of the face: skin, eyes, teeth, lashes ... sharing the rig's channel names."""

    name: str
    role: Literal["skin", "eyes", "teeth", "tongue", "lashes", "brows", "other"] = "skin"
    fingerprint: str = Field(description="Topology hash: a rig is never applied to a mesh "
                                         "whose fingerprint differs.")
    points: List[Vec3]
    face_counts: List[int]
    face_indices: List[int]
    uvs: Optional[List[List[float]]] = None

    @model_validator(mode="after")
    def _check(self) -> "MeshData":
        n = len(self.points)
        if sum(self.face_counts) != len(self.face_indices):
            raise ValueError("face_counts add up to %d but face_indices has %d entries"
                             % (sum(self.face_counts), len(self.face_indices)))
        if self.face_indices and (min(self.face_indices) < 0 or max(self.face_indices) >= n):
            raise ValueError("face_indices must lie in 0..%d" % (n - 1))
        if any(len(p) != 3 for p in self.points):
            raise ValueError("every point needs 3 coordinates")
        if self.uvs is not None and len(self.uvs) != n:
            raise ValueError("uvs must have one entry per point (%d), got %d" % (n, len(self.uvs)))
        return self


class ShapeFrame(Strict):
    """Sparse offsets of one mesh at ``weight`` (1.0 = full target; 0 < w < 1 = in-between)."""

    weight: float = 1.0
    indices: List[int]
    deltas: List[Vec3]
    normal_deltas: Optional[List[Vec3]] = None

    @model_validator(mode="after")
    def _check(self) -> "ShapeFrame":
        if len(self.indices) != len(self.deltas):
            raise ValueError("indices (%d) and deltas (%d) differ in length"
                             % (len(self.indices), len(self.deltas)))
        if self.normal_deltas is not None and len(self.normal_deltas) != len(self.indices):
            raise ValueError("normal_deltas must match indices in length")
        if not 0.0 < self.weight <= 1.0:
            raise ValueError("frame weight must be in (0, 1], got %r" % self.weight)
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
    neutral: List[Vec3] = Field(min_length=68, max_length=68,
                                description="Landmark positions on the neutral mesh.")
    reference_points: List[int] = Field(default_factory=lambda: [27],
                                        description="E0 of the paper's reference mode.")
    rigid: List[int] = Field(description="Landmarks used to remove head motion.")


class LandmarkDeltas(Strict):
    """The landmark delta matrix: each target's offset of the 68 landmarks. Runtimes (Unity)
    solve from this alone and never need vertex indices, which importers reorder."""

    targets: List[str]
    deltas: List[List[Vec3]] = Field(description="[target][landmark] -> [dx, dy, dz]")


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
    vertex_maps: Dict[str, List[int]] = Field(default_factory=dict,
                                              description="Per mesh: each vertex's mirror vertex.")


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

    @model_validator(mode="after")
    def _consistent(self) -> "Rig":
        names = [t.name for t in self.targets]
        dup = sorted({n for n in names if names.count(n) > 1})
        if dup:
            raise ValueError("duplicate target names: %s" % ", ".join(dup))
        meshes = {m.name: m for m in self.meshes}
        for t in list(self.targets) + list(self.combinations):
            for s in t.shapes:
                m = meshes.get(s.mesh)
                if m is None:
                    raise ValueError("target %r refers to unknown mesh %r" % (t.name, s.mesh))
                for f in s.frames:
                    if f.indices and max(f.indices) >= len(m.points):
                        raise ValueError("target %r moves vertex %d beyond mesh %r's %d points"
                                         % (t.name, max(f.indices), m.name, len(m.points)))
        for c in self.combinations:
            missing = [d for d in c.drivers if d not in names]
            if missing:
                raise ValueError("combination %r has unknown drivers %s" % (c.name, missing))
        if self.landmarks.mesh not in meshes:
            raise ValueError("landmarks refer to unknown mesh %r" % self.landmarks.mesh)
        if self.landmark_deltas.targets != names:
            raise ValueError("landmark_deltas.targets must list the targets in rig order")
        if len(self.landmark_deltas.deltas) != len(names) or any(
                len(d) != 68 for d in self.landmark_deltas.deltas):
            raise ValueError("landmark_deltas.deltas must be [targets][68][3]")
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
        """(68, 3, T) landmark offsets per target, in ``units.length``."""
        a = np.asarray(self.landmark_deltas.deltas, dtype=np.float64).reshape(-1, 68, 3)
        return np.ascontiguousarray(a.transpose(1, 2, 0))

    def neutral_landmarks(self) -> np.ndarray:
        return np.asarray(self.landmarks.neutral, dtype=np.float64).reshape(68, 3)

    def observable_mask(self) -> np.ndarray:
        return np.array([t.info.observable for t in self.targets], dtype=bool)


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
    weights: List[List[float]] = Field(description="[frame][target], 0-1 in target order.")
    valid: List[bool] = Field(description="Per frame: False where there was no data.")
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
        for i, row in enumerate(self.weights):
            if len(row) != t:
                raise ValueError("frame %d has %d weights for %d targets" % (i, len(row), t))
        if len(self.valid) != len(self.weights):
            raise ValueError("valid has %d entries for %d frames" % (len(self.valid), len(self.weights)))
        w = np.asarray(self.weights, dtype=np.float64)
        if w.size and (not np.all(np.isfinite(w)) or w.min() < -1e-9 or w.max() > 1 + 1e-9):
            raise ValueError("weights must be finite and within 0-1 (mark missing frames in "
                             "'valid' instead of writing NaN)")
        return self

    def weight_array(self) -> np.ndarray:
        return np.asarray(self.weights, dtype=np.float64).reshape(len(self.weights), len(self.targets))

    def valid_array(self) -> np.ndarray:
        return np.asarray(self.valid, dtype=bool)

    def times(self) -> np.ndarray:
        return self.start_time + np.arange(len(self.weights)) / self.fps
