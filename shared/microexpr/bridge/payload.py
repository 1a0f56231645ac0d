"""Which arrays of a bridge document go into the container's binary payload, and back.

The format fixes the list (docs/bridge.md, "Bridge v3"): mesh points, polygons and uvs, target
frames' indices and deltas, the landmark delta matrix and neutral landmarks, symmetry vertex
maps, and a clip's weights and validity. Everything else stays in the JSON header, so a reader
can check a clip against its rig (fingerprints, target names) from the header alone.

Writing: ``io.save`` dumps the model with every array replaced by ``{"$array": k}`` (see
``arrays.ARRAY_SINK``); ``split_rig``/``split_clip`` give each its stored dtype and unit.
Reading: ``document`` puts the arrays back where the format puts them (an accessor anywhere
else is left as it is, and the models then refuse it), or, lazily, ``Deferred`` placeholders
for the mesh-level arrays.
"""
from __future__ import annotations

from typing import Any, Dict, Optional, Sequence, Tuple

import numpy as np

from microexpr.bridge.arrays import Deferred
from microexpr.bridge.container import Container, Stored
from microexpr.bridge.validate import json_path

#: field -> (stored dtype, carries the length unit)
MESH = {"points": ("float32", True), "face_counts": ("int32", False),
        "face_indices": ("int32", False), "uvs": ("float32", False)}
FRAME = {"indices": ("int32", False), "deltas": ("float32", True),
         "normal_deltas": ("float32", False)}
CLIP = {"weights": ("float64", False), "valid": ("uint8", False)}
LANDMARKS = ("float64", True)
VERTEX_MAP = ("int32", False)

#: Where arrays sit in a document ("*": any list index or dict key) and whether a lazy read
#: leaves them in the file until used.
_MESH_PATHS = [("meshes", "*", f) for f in MESH]
_FRAME_PATHS = [(owner, "*", "shapes", "*", "frames", "*", f)
                for owner in ("targets", "combinations") for f in FRAME]
RIG_PATHS: Dict[Tuple[str, ...], bool] = {**{p: True for p in _MESH_PATHS + _FRAME_PATHS},
             ("landmarks", "neutral"): False, ("landmark_deltas", "deltas"): False,
             ("symmetry", "vertex_maps", "*"): False}
CLIP_PATHS: Dict[Tuple[str, ...], bool] = {("weights",): False, ("valid",): False}


# -- writing -------------------------------------------------------------------------------
def _stored(value: Any, arrays: Sequence[np.ndarray], dtype: str, unit: Optional[str]) -> Any:
    if isinstance(value, dict) and set(value) == {"$array"}:
        return Stored(arrays[value["$array"]], dtype, unit)
    if value is None:
        return None
    return Stored(np.asarray(value), dtype, unit)      # a plain-lists document


def _store(obj: Dict[str, Any], fields: Dict[str, Tuple[str, bool]], arrays: Sequence[np.ndarray],
           unit: Optional[str]) -> Dict[str, Any]:
    out = dict(obj)
    for name, (dtype, has_unit) in fields.items():
        if out.get(name) is not None:
            out[name] = _stored(out[name], arrays, dtype, unit if has_unit else None)
    return out


def _shapes(owner: Dict[str, Any], arrays: Sequence[np.ndarray], unit: Optional[str]) -> Dict[str, Any]:
    out = dict(owner)
    out["shapes"] = [dict(s, frames=[_store(f, FRAME, arrays, unit) for f in s.get("frames", [])])
                     for s in owner.get("shapes", [])]
    return out


def split_rig(doc: Dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> Dict[str, Any]:
    """A rig document (``model_dump(mode="json")``, arrays as ``{"$array": k}`` into ``arrays``
    or as lists) with its large arrays marked for the payload."""
    unit = (doc.get("units") or {}).get("length", "cm")
    out = dict(doc)
    out["meshes"] = [_store(m, MESH, arrays, unit) for m in doc.get("meshes", [])]
    out["targets"] = [_shapes(t, arrays, unit) for t in doc.get("targets", [])]
    out["combinations"] = [_shapes(c, arrays, unit) for c in doc.get("combinations", [])]
    out["landmarks"] = _store(doc["landmarks"], {"neutral": LANDMARKS}, arrays, unit)
    out["landmark_deltas"] = _store(doc["landmark_deltas"], {"deltas": LANDMARKS}, arrays, unit)
    if doc.get("symmetry"):
        sym = dict(doc["symmetry"])
        sym["vertex_maps"] = {k: _stored(v, arrays, VERTEX_MAP[0], None)
                              for k, v in sym.get("vertex_maps", {}).items()}
        out["symmetry"] = sym
    return out


def split_clip(doc: Dict[str, Any], arrays: Sequence[np.ndarray] = ()) -> Dict[str, Any]:
    """A clip document with its weights and validity marked for the payload."""
    return _store(doc, CLIP, arrays, None)


# -- reading -------------------------------------------------------------------------------
def _matches(path: Tuple[Any, ...], pattern: Tuple[str, ...]) -> bool:
    return len(path) == len(pattern) and all(p == "*" or p == q for p, q in zip(pattern, path))


def _place(path: Tuple[Any, ...], paths: Dict[Tuple[str, ...], bool]) -> Optional[bool]:
    """None where no array belongs; else whether a lazy read may leave it in the file."""
    for pattern, deferrable in paths.items():
        if _matches(path, pattern):
            return deferrable
    return None


def document(cont: Container, kind: str, lazy: bool = False) -> Dict[str, Any]:
    """The container's document with its arrays in place (mapped from the file, not copied);
    with ``lazy``, mesh-level arrays of a rig as ``Deferred`` placeholders."""
    paths = RIG_PATHS if kind == "rig" else CLIP_PATHS

    def walk(node: Any, path: Tuple[Any, ...]) -> Any:
        if isinstance(node, dict):
            if set(node) == {"$accessor"}:
                place = _place(path, paths)
                if place is None:
                    return node
                if place and lazy:
                    return _deferred(cont, node["$accessor"], path)
                return cont.array(node["$accessor"])
            return {k: walk(v, path + (k,)) for k, v in node.items()}
        if isinstance(node, list):
            return [walk(v, path + (i,)) for i, v in enumerate(node)]
        return node

    doc = {k: v for k, v in cont.header.items() if k not in ("accessors", "buffers")}
    return walk(doc, ())


def _deferred(cont: Container, index: Any, path: Tuple[Any, ...]) -> Deferred:
    dtype, shape = cont.layout(index)
    return Deferred(lambda: cont.array(index), dtype, shape, cont.path, json_path(path[:-1]))


def to_lists(node: Any) -> Any:
    """A read document with arrays turned back into JSON values (bools for ``valid``)."""
    if isinstance(node, np.ndarray):
        return node.astype(bool).tolist() if node.dtype == np.uint8 and node.ndim == 1 else node.tolist()
    if isinstance(node, dict):
        return {k: to_lists(v) for k, v in node.items()}
    if isinstance(node, list):
        return [to_lists(v) for v in node]
    return node
