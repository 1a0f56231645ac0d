"""The shared corpus of invalid bridge files: one valid rig and one valid clip using every part
of the format, and seeded edits that each break exactly one rule. Both readers (Python's
``bridge.load_rig``/``load_clip`` and C#'s ``RigData``/``ClipData``) must refuse every case
naming ``Case.field``; container cases are also refused by a lazy Python read.

Cases are built, not stored: ``cases()`` gives them all (JSON text or ``.microexpr`` bytes)."""
from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional

import numpy as np

from microexpr import bridge
from microexpr.bridge import container, io, payload
from microexpr.bridge.models import LandmarkFrame
from microexpr.landmarks import MIRROR

SEED = 14
V, EYES = 80, 10


@dataclass
class Case:
    name: str
    kind: str               # "rig" or "clip"
    fmt: str                # "json" or "microexpr"
    data: bytes
    field: str              # the field both readers must name


def _frame(rng, n: int, weight: float = 1.0, k: int = 8) -> bridge.ShapeFrame:
    return bridge.ShapeFrame(weight=weight, indices=np.sort(rng.choice(n, k, replace=False)),
                             deltas=rng.normal(scale=0.1, size=(k, 3)))


def base_rig(seed: int = SEED) -> bridge.Rig:
    """A small rig with every part: two meshes with UVs, in-betweens, a shape on the eyes, a
    combination, soft-mods, a key point, a landmark on a triangle, landmark frames, symmetry
    and a solve set."""
    rng = np.random.default_rng(seed)
    pts = rng.normal(size=(V, 3))
    tris = np.array([[0, i, i + 1] for i in range(1, V - 1)])
    eye = rng.normal(size=(EYES, 3))
    eye_tris = np.array([[0, i, i + 1] for i in range(1, EYES - 1)])
    names = ["t0", "t1", "t2", "t3"]
    skin = {n: [_frame(rng, V)] for n in names}
    skin["t1"] = [_frame(rng, V, 0.25), _frame(rng, V, 0.5), _frame(rng, V)]
    targets = []
    for n in names:
        shapes = [bridge.MeshShape(mesh="skin", frames=skin[n])]
        if n == "t2":
            shapes.append(bridge.MeshShape(mesh="eyes", frames=[_frame(rng, EYES, k=4)]))
        info = bridge.TargetInfo(side={"t2": "L", "t3": "R"}.get(n, "C"),
                                 mirror_of={"t2": "t3", "t3": "t2"}.get(n))
        mods = [bridge.SoftModSpec(key_name="k0", landmark=30, vertex=5, radius=1.0)] if n == "t0" else []
        targets.append(bridge.Target(name=n, info=info, shapes=shapes, softmods=mods))
    combo = bridge.Combination(name="c0", drivers=["t0", "t1"],
                               shapes=[bridge.MeshShape(mesh="skin", frames=[_frame(rng, V)])])
    points = [bridge.LandmarkPoint(vertex=v) for v in range(67)]
    points.append(bridge.LandmarkPoint(triangle=[1, 2, 3], barycentric=[0.2, 0.3, 0.5]))
    frames = [LandmarkFrame(shape=s, weight=w, deltas=rng.normal(scale=0.1, size=(68, 3)).tolist())
              for s, w in (("t1", 0.25), ("t1", 0.5), ("c0", 1.0))]
    vmap = np.where(rng.uniform(size=V) < 0.2, -1, rng.integers(0, V, V))
    return bridge.Rig(
        meshes=[bridge.MeshData(name="skin", fingerprint="fp-skin", points=pts,
                                face_counts=np.full(len(tris), 3), face_indices=tris.ravel(),
                                uvs=rng.uniform(size=(V, 2))),
                bridge.MeshData(name="eyes", role="eyes", fingerprint="fp-eyes", points=eye,
                                face_counts=np.full(len(eye_tris), 3), face_indices=eye_tris.ravel())],
        targets=targets, combinations=[combo],
        key_points=[bridge.KeyPoint(name="k0", landmark=30, mesh="skin", vertex=5, radius=1.0)],
        landmarks=bridge.Landmarks(mesh="skin", points=points, neutral=rng.normal(size=(68, 3)),
                                   rigid=list(range(27, 36)), reference_points=[27]),
        landmark_deltas=bridge.LandmarkDeltas(targets=names, deltas=rng.normal(scale=0.1, size=(4, 68, 3)),
                                              frames=frames),
        symmetry=bridge.Symmetry(landmark_map=MIRROR.tolist(), target_pairs=[["t2", "t3"]],
                                 vertex_maps={"skin": vmap}),
        solve_set=["t0", "t1", "t2"])


def base_clip(seed: int = SEED) -> bridge.Clip:
    """A clip of the base rig's targets with invalid frames and two events."""
    rng = np.random.default_rng(seed + 1)
    F = 12
    events = [bridge.MicroEvent(au="12", target="t0", onset=0.05, apex=0.1, offset=0.3, peak_weight=0.4,
                                params={"hold": 0.02}),
              bridge.MicroEvent(au="4", target="t2", onset=0.0, apex=0.15, offset=0.35, peak_weight=0.2)]
    valid = np.ones(F, dtype=bool)
    valid[[3, 7]] = False
    return bridge.Clip(fps=30.0, start_time=0.5, targets=["t0", "t1", "t2", "t3"],
                       weights=rng.uniform(0, 1, (F, 4)), valid=valid, hold_invalid=True,
                       rig_fingerprint="fp-skin", events=events)


def json_doc(model) -> Dict[str, Any]:
    return json.loads(io.dumps(model))


# -- edits ----------------------------------------------------------------------------------
def _set(path: str, value: Any) -> Callable[[dict], None]:
    """An edit setting the value at a dotted path (list indices as numbers; ``-`` deletes)."""
    keys: List[Any] = [int(k) if k.lstrip("-").isdigit() else k for k in path.split(".")]

    def edit(doc: dict) -> None:
        node = doc
        for k in keys[:-1]:
            node = node[k]
        if value is _DELETE:
            del node[keys[-1]]
        else:
            node[keys[-1]] = copy.deepcopy(value)
    return edit


_DELETE = object()


def _do(*edits: Callable[[dict], None]) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        for e in edits:
            e(doc)
    return edit


def _with(fn: Callable[[dict], Any]) -> Callable[[dict], None]:
    """An edit made by a function of the document (for values that depend on it)."""
    return fn


def _rename_target(doc: dict, k: int, name: str) -> None:
    doc["targets"][k]["name"] = name
    doc["landmark_deltas"]["targets"][k] = name


CLIP_EDITS = [
    ("fps as text", _set("fps", "60"), "fps"),
    ("fps as true", _set("fps", True), "fps"),
    ("fps zero", _set("fps", 0), "fps"),
    ("fps above the range", _set("fps", 1e5), "fps"),
    ("fps below the range", _set("fps", 0.5), "fps"),
    ("fps missing", _set("fps", _DELETE), "fps"),
    ("start_time as text", _set("start_time", "0"), "start_time"),
    ("start_time null", _set("start_time", None), "start_time"),
    ("a weight as text", _set("weights.2.1", "0.5"), "weights"),
    ("a weight as true", _set("weights.4.0", True), "weights"),
    ("a weight above 1", _set("weights.5.3", 1.5), "weights"),
    ("a weight below 0", _set("weights.0.0", -0.1), "weights"),
    ("a weight null", _set("weights.1.1", None), "weights"),
    ("ragged weights", _with(lambda d: d["weights"][3].pop()), "weights"),
    ("weights for another target count", _with(lambda d: [r.append(0.0) for r in d["weights"]]), "weights"),
    ("valid one short", _with(lambda d: d["valid"].pop()), "valid"),
    ("valid as numbers", _with(lambda d: d.update(valid=[int(v) for v in d["valid"]])), "valid"),
    ("valid as text", _set("valid.0", "true"), "valid"),
    ("valid null", _set("valid", None), "valid"),
    ("duplicate target", _set("targets.2", "t0"), "targets[2]"),
    ("no targets", _set("targets", []), "targets"),
    ("empty target name", _set("targets.1", ""), "targets[1]"),
    ("a target as a number", _set("targets.1", 5), "targets[1]"),
    ("hold_invalid as text", _set("hold_invalid", "yes"), "hold_invalid"),
    ("hold_invalid as 1", _set("hold_invalid", 1), "hold_invalid"),
    ("rig_fingerprint as a number", _set("rig_fingerprint", 5), "rig_fingerprint"),
    ("misspelt field", _set("fsp", 30), "fsp"),
    ("event with an empty target", _set("events.0.target", ""), "events[0].target"),
    ("event apex before onset", _set("events.0.apex", 0.01), "events[0]"),
    ("event peak above 1", _set("events.1.peak_weight", 2.0), "events[1].peak_weight"),
    ("event with an unknown envelope", _set("events.0.envelope", "linear"), "events[0].envelope"),
    ("event with a negative hold", _set("events.0.params.hold", -1.0), "events[0].params.hold"),
    ("event hold as text", _set("events.0.params.hold", "0.1"), "events[0].params.hold"),
    ("event without apex", _set("events.1.apex", _DELETE), "events[1].apex"),
    ("event as a list", _set("events.1", [1, 2]), "events[1]"),
    ("weight_scale zero", _set("units.weight_scale", 0), "units.weight_scale"),
    ("unknown length unit", _set("units.length", "ft"), "units.length"),
    ("a rig's format", _set("format", "microexpr.rig"), "format"),
    ("version as text", _set("version", "3"), "version"),
    ("version as a fraction", _set("version", 3.0), "version"),
    ("version from the future", _set("version", 99), "version"),
    ("version missing", _set("version", _DELETE), "version"),
    ("source as a number", _set("source", 5), "source"),
    ("extras as a list", _set("extras", [1]), "extras"),
    ("an accessor in plain JSON", _set("weights", {"$accessor": 0}), "weights"),
]

RIG_EDITS = [
    ("a point as text", _set("meshes.0.points.4.1", "0.5"), "meshes[0].points"),
    ("a point as true", _set("meshes.0.points.4.1", True), "meshes[0].points"),
    ("a point with two coordinates", _with(lambda d: d["meshes"][0]["points"][7].pop()), "meshes[0].points"),
    ("a polygon of two corners", _set("meshes.0.face_counts.3", 2), "meshes[0].face_counts"),
    ("a negative polygon", _set("meshes.0.face_counts.3", -1), "meshes[0].face_counts"),
    ("face_counts that do not add up", _with(lambda d: d["meshes"][0]["face_counts"].append(3)),
     "meshes[0].face_indices"),
    ("a corner beyond the mesh", _set("meshes.0.face_indices.11", 99999999), "meshes[0].face_indices"),
    ("a corner as a fraction", _set("meshes.0.face_indices.11", 1.0), "meshes[0].face_indices"),
    ("one UV too few", _with(lambda d: d["meshes"][0]["uvs"].pop()), "meshes[0].uvs"),
    ("two meshes with one name", _set("meshes.1.name", "skin"), "meshes[1].name"),
    ("an empty fingerprint", _set("meshes.0.fingerprint", ""), "meshes[0].fingerprint"),
    ("an unknown mesh role", _set("meshes.1.role", "hair"), "meshes[1].role"),
    ("no meshes", _set("meshes", []), "meshes"),
    ("two targets with one name", _with(lambda d: _rename_target(d, 1, "t0")), "targets[1].name"),
    ("an empty target name", _with(lambda d: _rename_target(d, 0, "")), "targets[0].name"),
    ("no targets", _set("targets", []), "targets"),
    ("a shape on an unknown mesh", _set("targets.0.shapes.0.mesh", "nose"), "targets[0].shapes[0].mesh"),
    ("two shapes on one mesh", _set("targets.2.shapes.1.mesh", "skin"), "targets[2].shapes[1].mesh"),
    ("a frame moving a vertex beyond its mesh", _set("targets.3.shapes.0.frames.0.indices.2", 500),
     "targets[3].shapes[0].frames[0].indices"),
    ("a frame moving a vertex of the skin on the eyes", _set("targets.2.shapes.1.frames.0.indices.0", 40),
     "targets[2].shapes[1].frames[0].indices"),
    ("a negative frame index", _set("targets.0.shapes.0.frames.0.indices.0", -1),
     "targets[0].shapes[0].frames[0].indices"),
    ("a frame moving a vertex twice", _with(lambda d: d["targets"][0]["shapes"][0]["frames"][0]["indices"].__setitem__(
        1, d["targets"][0]["shapes"][0]["frames"][0]["indices"][0])), "targets[0].shapes[0].frames[0].indices"),
    ("a frame with one offset too few", _with(lambda d: d["targets"][0]["shapes"][0]["frames"][0]["deltas"].pop()),
     "targets[0].shapes[0].frames[0].deltas"),
    ("a frame at weight 0", _set("targets.1.shapes.0.frames.0.weight", 0), "targets[1].shapes[0].frames[0].weight"),
    ("a frame weight as text", _set("targets.1.shapes.0.frames.0.weight", "0.25"),
     "targets[1].shapes[0].frames[0].weight"),
    ("in-betweens out of order", _with(lambda d: d["targets"][1]["shapes"][0]["frames"].reverse()),
     "targets[1].shapes[0].frames"),
    ("a shape without frames", _set("targets.0.shapes.0.frames", []), "targets[0].shapes[0].frames"),
    ("a mirror named by a number", _set("targets.2.info.mirror_of", 3), "targets[2].info.mirror_of"),
    ("observable as text", _set("targets.0.info.observable", "false"), "targets[0].info.observable"),
    ("an unknown side", _set("targets.0.info.side", "X"), "targets[0].info.side"),
    ("a soft-mod on a vertex beyond the mesh", _set("targets.0.softmods.0.vertex", 80),
     "targets[0].softmods[0].vertex"),
    ("a soft-mod on landmark 68", _set("targets.0.softmods.0.landmark", 68), "targets[0].softmods[0].landmark"),
    ("a soft-mod of radius 0", _set("targets.0.softmods.0.radius", 0), "targets[0].softmods[0].radius"),
    ("a soft-mod translate of two values", _set("targets.0.softmods.0.translate", [0.0, 1.0]),
     "targets[0].softmods[0].translate"),
    ("a misspelt target field", _set("targets.0.nmae", "typo"), "targets[0].nmae"),
    ("a combination named as a target", _set("combinations.0.name", "t3"), "combinations[0].name"),
    ("a combination driven by an unknown target", _set("combinations.0.drivers.1", "t9"),
     "combinations[0].drivers"),
    ("a combination driven twice by one target", _set("combinations.0.drivers", ["t0", "t0"]),
     "combinations[0].drivers"),
    ("a combination with one driver", _set("combinations.0.drivers", ["t0"]), "combinations[0].drivers"),
    ("a key point on an unknown mesh", _set("key_points.0.mesh", "nose"), "key_points[0].mesh"),
    ("a key point beyond its mesh", _set("key_points.0.vertex", 1000), "key_points[0].vertex"),
    ("a key point on landmark -1", _set("key_points.0.landmark", -1), "key_points[0].landmark"),
    ("landmarks on an unknown mesh", _set("landmarks.mesh", "nose"), "landmarks.mesh"),
    ("a landmark beyond its mesh", _set("landmarks.points.3.vertex", 99999999), "landmarks.points[3].vertex"),
    ("a landmark on vertex -1", _set("landmarks.points.3.vertex", -1), "landmarks.points[3].vertex"),
    ("67 landmarks", _with(lambda d: d["landmarks"]["points"].pop()), "landmarks.points"),
    ("a landmark triangle of two vertices", _set("landmarks.points.67.triangle", [1, 2]),
     "landmarks.points[67].triangle"),
    ("a landmark triangle beyond the mesh", _set("landmarks.points.67.triangle.2", 80),
     "landmarks.points[67].triangle"),
    ("a triangle without barycentric weights", _set("landmarks.points.67.barycentric", None),
     "landmarks.points[67]"),
    ("a landmark on a vertex and a triangle", _set("landmarks.points.3.triangle", [1, 2, 3]),
     "landmarks.points[3]"),
    ("a rigid landmark -1", _set("landmarks.rigid.0", -1), "landmarks.rigid[0]"),
    ("a rigid landmark 68", _set("landmarks.rigid.4", 68), "landmarks.rigid[4]"),
    ("a rigid landmark as text", _set("landmarks.rigid.0", "27"), "landmarks.rigid[0]"),
    ("a rigid landmark listed twice", _set("landmarks.rigid.1", 27), "landmarks.rigid"),
    ("five rigid landmarks", _set("landmarks.rigid", [27, 28, 29, 30, 31]), "landmarks.rigid"),
    ("no reference point", _set("landmarks.reference_points", []), "landmarks.reference_points"),
    ("a reference point 99", _set("landmarks.reference_points.0", 99), "landmarks.reference_points[0]"),
    ("67 neutral landmarks", _with(lambda d: d["landmarks"]["neutral"].pop()), "landmarks.neutral"),
    ("a neutral landmark as text", _set("landmarks.neutral.5.0", "1"), "landmarks.neutral"),
    ("an unknown landmark scheme", _set("landmarks.scheme", "dlib5"), "landmarks.scheme"),
    ("no landmarks", _set("landmarks", _DELETE), "landmarks"),
    ("landmark deltas in another order", _set("landmark_deltas.targets", ["t1", "t0", "t2", "t3"]),
     "landmark_deltas.targets"),
    ("landmark deltas one target short", _with(lambda d: d["landmark_deltas"]["deltas"].pop()),
     "landmark_deltas.deltas"),
    ("a landmark delta as true", _set("landmark_deltas.deltas.1.5.2", True), "landmark_deltas.deltas"),
    ("a landmark frame of an unknown shape", _set("landmark_deltas.frames.0.shape", "t9"),
     "landmark_deltas.frames[0].shape"),
    ("a landmark frame at a weight the shape lacks", _set("landmark_deltas.frames.0.weight", 0.7),
     "landmark_deltas.frames[0].weight"),
    ("a landmark frame given twice", _with(lambda d: d["landmark_deltas"]["frames"].append(
        copy.deepcopy(d["landmark_deltas"]["frames"][0]))), "landmark_deltas.frames[3]"),
    ("a landmark frame of 67 landmarks", _with(lambda d: d["landmark_deltas"]["frames"][0]["deltas"].pop()),
     "landmark_deltas.frames[0].deltas"),
    ("a landmark frame offset of two values", _set("landmark_deltas.frames.1.deltas.5", [0.0, 0.1]),
     "landmark_deltas.frames[1].deltas[5]"),
    ("some of a shape's landmark frames", _with(lambda d: d["landmark_deltas"]["frames"].pop(0)),
     "landmark_deltas.frames"),
    ("a landmark map that does not pair", _set("symmetry.landmark_map.0", 15), "symmetry.landmark_map"),
    ("a landmark map to 68", _set("symmetry.landmark_map.0", 68), "symmetry.landmark_map[0]"),
    ("a target pair with an unknown target", _set("symmetry.target_pairs.0.1", "t9"), "symmetry.target_pairs[0]"),
    ("a target pair of three", _set("symmetry.target_pairs.0", ["t2", "t3", "t0"]), "symmetry.target_pairs[0]"),
    ("a vertex map of an unknown mesh", _with(lambda d: d["symmetry"]["vertex_maps"].update(
        nose=d["symmetry"]["vertex_maps"]["skin"])), "symmetry.vertex_maps.nose"),
    ("a vertex map one short", _with(lambda d: d["symmetry"]["vertex_maps"]["skin"].pop()),
     "symmetry.vertex_maps.skin"),
    ("a vertex map beyond the mesh", _set("symmetry.vertex_maps.skin.3", 80), "symmetry.vertex_maps.skin"),
    ("a vertex map to -2", _set("symmetry.vertex_maps.skin.3", -2), "symmetry.vertex_maps.skin"),
    ("symmetry across Y", _set("symmetry.axis", "Y"), "symmetry.axis"),
    ("an empty solve set", _set("solve_set", []), "solve_set"),
    ("a solve set with an unknown target", _set("solve_set.1", "t9"), "solve_set"),
    ("a solve set with a combination", _set("solve_set.1", "c0"), "solve_set"),
    ("a solve set naming a target twice", _set("solve_set.1", "t0"), "solve_set"),
    ("an unknown up axis", _set("units.axes.up", "X"), "units.axes.up"),
    ("weight_scale below 0", _set("units.weight_scale", -1), "units.weight_scale"),
    ("a rig name as a number", _set("name", 5), "name"),
    ("generator null", _set("generator", None), "generator"),
    ("a clip's format", _set("format", "microexpr.clip"), "format"),
]

#: Raw JSON text edits: (name, old, new, field) applied to the text once.
TEXT_EDITS = [
    ("NaN", "clip", '"fps":30.0', '"fps":NaN', "fps"),
    ("Infinity", "clip", '"start_time":0.5', '"start_time":Infinity', "start_time"),
    ("-Infinity", "rig", '"radius":1.0', '"radius":-Infinity', "radius"),
    ("a number beyond a double", "clip", '"fps":30.0', '"fps":1e400', "fps"),
    ("a 400-digit number", "rig", '"vertex":5', '"vertex":' + "9" * 400, "vertex"),
    ("a key given twice", "clip", '"fps":30.0', '"fps":30.0,"fps":25.0', "fps"),
    ("a key given twice in a mesh", "rig", '"role":"eyes"', '"role":"eyes","role":"skin"', "role"),
]


def _text_case(doc_text: str, old: str, new: str, after: str) -> "tuple[bytes, str]":
    """The edited text and the "line L, column C" of the token after ``after`` in ``new``."""
    at = doc_text.index(old)
    text = doc_text[:at] + new + doc_text[at + len(old):]
    pos = at + new.rindex(after) + len(after) + 2          # past '":'
    if new.count('"%s"' % after) > 1:                     # a repeated key: at its second quote
        pos = at + new.rindex('"%s"' % after)
    line = text.count("\n", 0, pos) + 1
    return text.encode("utf-8"), "line %d, column %d" % (line, pos - (text.rfind("\n", 0, pos) + 1) + 1)


# -- containers -----------------------------------------------------------------------------
def _payload(path: str, edit: Callable[[np.ndarray], np.ndarray], dtype: Optional[str] = None):
    """A container edit: the stored array at ``path`` changed (and stored as ``dtype``)."""
    def apply(doc: dict) -> None:
        keys = [int(k) if k.isdigit() else k for k in path.split(".")]
        node: Any = doc
        for k in keys[:-1]:
            node = node[k]
        old = node[keys[-1]]
        stored = dtype or old.dtype
        values = np.array(old.array, dtype=container.DTYPES[stored])
        node[keys[-1]] = container.Stored(edit(values), stored, old.units)
    return apply


def _put(index, value):
    def edit(a: np.ndarray) -> np.ndarray:
        a = np.array(a)
        a[index] = value
        return a
    return edit


CONTAINER_EDITS = [
    ("clip", "a NaN weight in the payload", _payload("weights", _put((2, 1), np.nan)), "weights"),
    ("clip", "a weight of 2 in the payload", _payload("weights", _put((2, 1), 2.0)), "weights"),
    ("clip", "a validity flag of 2", _payload("valid", _put(1, 2)), "valid"),
    ("clip", "weights stored for 5 targets", _payload("weights", lambda a: np.hstack([a, a[:, :1]])), "weights"),
    ("clip", "validity stored as floats", _payload("valid", lambda a: a, "float32"), "valid"),
    ("clip", "validity one short", _payload("valid", lambda a: a[:-1]), "valid"),
    ("rig", "a NaN neutral landmark", _payload("landmarks.neutral", _put((3, 1), np.nan)), "landmarks.neutral"),
    ("rig", "an infinite landmark delta", _payload("landmark_deltas.deltas", _put((1, 2, 0), np.inf)),
     "landmark_deltas.deltas"),
    ("rig", "landmark deltas one target short", _payload("landmark_deltas.deltas", lambda a: a[:-1]),
     "landmark_deltas.deltas"),
    ("rig", "a vertex map beyond the mesh", _payload("symmetry.vertex_maps.skin", _put(4, 500)),
     "symmetry.vertex_maps.skin"),
    ("rig", "a vertex map to -3", _payload("symmetry.vertex_maps.skin", _put(4, -3)), "symmetry.vertex_maps.skin"),
    ("rig", "a vertex map stored as floats", _payload("symmetry.vertex_maps.skin", lambda a: a, "float64"),
     "symmetry.vertex_maps.skin"),
    ("rig", "mesh points of two coordinates", _payload("meshes.0.points", lambda a: a[:, :2]), "meshes[0].points"),
    ("rig", "polygons stored as floats", _payload("meshes.0.face_indices", lambda a: a, "float32"),
     "meshes[0].face_indices"),
    ("rig", "one UV too few", _payload("meshes.0.uvs", lambda a: a[:-1]), "meshes[0].uvs"),
    ("rig", "a frame with one offset too few", _payload("targets.0.shapes.0.frames.0.deltas", lambda a: a[:-1]),
     "targets[0].shapes[0].frames[0].deltas"),
]

#: Header edits of a container (the JSON document without its arrays).
HEADER_EDITS = [
    ("clip", "fps as text", _set("fps", "60"), "fps"),
    ("clip", "an event with an empty target", _set("events.0.target", ""), "events[0].target"),
    ("rig", "two targets with one name", _with(lambda d: _rename_target(d, 1, "t0")), "targets[1].name"),
    ("rig", "a landmark beyond its mesh", _set("landmarks.points.3.vertex", 80), "landmarks.points[3].vertex"),
    ("rig", "an array where rigid landmarks belong", _set("landmarks.rigid", {"$accessor": 0}), "landmarks.rigid"),
    ("rig", "an accessor that does not exist", _set("meshes.0.points", {"$accessor": 999}), "$accessor"),
]


def _raw_container(kind: str, doc: dict, old: str, new: str) -> bytes:
    """A container whose JSON chunk has ``old`` replaced by ``new`` in its text."""
    header, data = container.encode((payload.split_rig if kind == "rig" else payload.split_clip)(doc))
    text = json.dumps(header, separators=(",", ":")).replace(old, new, 1).encode("utf-8")
    text += b" " * (-len(text) % 8)
    body = container.CHUNK.pack(len(text), container.JSON_CHUNK) + text
    if data:
        body += container.CHUNK.pack(len(data), container.BIN_CHUNK) + data
    return container.PREAMBLE.pack(container.MAGIC, container.LAYOUT_VERSION,
                                   container.PREAMBLE.size + len(body)) + body


#: Container JSON chunks that are not valid JSON (both readers name the chunk, "JSON").
RAW_HEADERS = [
    ("clip", "NaN in the header", '"fps":30.0', '"fps":NaN'),
    ("clip", "a 400-digit number in the header", '"fps":30.0', '"fps":' + "9" * 400),
    ("rig", "a key given twice in the header", '"name":"face"', '"name":"face","name":"head"'),
]


def _pack(kind: str, doc: dict) -> bytes:
    split = payload.split_rig if kind == "rig" else payload.split_clip
    return container.pack(split(doc))


def _edited(doc: dict, edit: Callable[[dict], None]) -> dict:
    out = copy.deepcopy(doc)
    edit(out)
    return out


def cases(seed: int = SEED) -> List[Case]:
    """Every invalid case, each breaking one rule."""
    docs = {"rig": json_doc(base_rig(seed)), "clip": json_doc(base_clip(seed))}
    out: List[Case] = []
    for kind, edits in (("clip", CLIP_EDITS), ("rig", RIG_EDITS)):
        for name, edit, field in edits:
            text = json.dumps(_edited(docs[kind], edit))
            out.append(Case(name, kind, "json", text.encode("utf-8"), field))
    for name, kind, old, new, after in TEXT_EDITS:
        data, field = _text_case(json.dumps(docs[kind], separators=(",", ":")), old, new, after)
        out.append(Case(name, kind, "json", data, field))
    for kind, name, edit, field in HEADER_EDITS:
        split = (payload.split_rig if kind == "rig" else payload.split_clip)(copy.deepcopy(docs[kind]))
        edit(split)
        out.append(Case(name, kind, "microexpr", container.pack(split), field))
    for kind, name, old, new in RAW_HEADERS:
        out.append(Case(name, kind, "microexpr", _raw_container(kind, copy.deepcopy(docs[kind]), old, new), "JSON"))
    for kind, name, edit, field in CONTAINER_EDITS:
        split = (payload.split_rig if kind == "rig" else payload.split_clip)(copy.deepcopy(docs[kind]))
        edit(split)
        out.append(Case(name, kind, "microexpr", container.pack(split), field))
    return out


def valid_files(seed: int = SEED) -> List[Case]:
    """The base rig and clip as JSON and as containers (``field`` empty): both readers take them."""
    docs = {"rig": json_doc(base_rig(seed)), "clip": json_doc(base_clip(seed))}
    return [Case("valid", kind, fmt, json.dumps(doc).encode("utf-8") if fmt == "json" else _pack(kind, doc), "")
            for kind, doc in docs.items() for fmt in ("json", "microexpr")]
