"""Which arrays of a bridge document go into the container's binary payload, and back.

The format fixes the list (docs/bridge.md, "Bridge v3"): mesh points, polygons and uvs, target
frames' indices and deltas, the landmark delta matrix and neutral landmarks, symmetry vertex
maps, and a clip's weights and validity. Everything else stays in the JSON header, so a reader
can check a clip against its rig (fingerprints, target names) from the header alone.
"""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from microexpr.bridge.container import Stored

#: field -> (stored dtype, carries the length unit)
MESH = {"points": ("float32", True), "face_counts": ("int32", False),
        "face_indices": ("int32", False), "uvs": ("float32", False)}
FRAME = {"indices": ("int32", False), "deltas": ("float32", True),
         "normal_deltas": ("float32", False)}
CLIP = {"weights": ("float64", False), "valid": ("uint8", False)}


def _store(obj: Dict[str, Any], fields: Dict[str, Any], unit: Optional[str]) -> Dict[str, Any]:
    out = dict(obj)
    for name, (dtype, has_unit) in fields.items():
        value = out.get(name)
        if value is not None:
            out[name] = Stored(np.asarray(value), dtype, unit if has_unit else None)
    return out


def _shapes(owner: Dict[str, Any], unit: Optional[str]) -> Dict[str, Any]:
    out = dict(owner)
    out["shapes"] = [dict(s, frames=[_store(f, FRAME, unit) for f in s.get("frames", [])])
                     for s in owner.get("shapes", [])]
    return out


def split_rig(doc: Dict[str, Any]) -> Dict[str, Any]:
    """A rig document (``model_dump(mode="json")``) with its large arrays marked for the payload."""
    unit = (doc.get("units") or {}).get("length", "cm")
    out = dict(doc)
    out["meshes"] = [_store(m, MESH, unit) for m in doc.get("meshes", [])]
    out["targets"] = [_shapes(t, unit) for t in doc.get("targets", [])]
    out["combinations"] = [_shapes(c, unit) for c in doc.get("combinations", [])]
    lm = dict(doc["landmarks"])
    lm["neutral"] = Stored(np.asarray(lm["neutral"], np.float64).reshape(-1, 3), "float64", unit)
    out["landmarks"] = lm
    ld = dict(doc["landmark_deltas"])
    ld["deltas"] = Stored(np.asarray(ld["deltas"], np.float64).reshape(-1, 68, 3), "float64", unit)
    out["landmark_deltas"] = ld
    if doc.get("symmetry"):
        sym = dict(doc["symmetry"])
        sym["vertex_maps"] = {k: Stored(np.asarray(v), "int32") for k, v in sym.get("vertex_maps", {}).items()}
        out["symmetry"] = sym
    return out


def split_clip(doc: Dict[str, Any]) -> Dict[str, Any]:
    """A clip document with its weights and validity marked for the payload."""
    out = _store(doc, CLIP, None)
    out["weights"] = Stored(np.asarray(doc["weights"], np.float64).reshape(len(doc["weights"]),
                                                                          len(doc["targets"])), "float64")
    return out


def to_lists(node: Any) -> Any:
    """A read document with arrays turned back into JSON values (bools for ``valid``)."""
    if isinstance(node, np.ndarray):
        return node.tolist()
    if isinstance(node, dict):
        out = {k: to_lists(v) for k, v in node.items()}
        if "valid" in out and isinstance(node.get("valid"), np.ndarray):
            out["valid"] = [bool(v) for v in out["valid"]]
        return out
    if isinstance(node, list):
        return [to_lists(v) for v in node]
    return node
