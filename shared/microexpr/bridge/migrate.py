"""Migration of older bridge files to the current format version.

Version 3 added the ``.microexpr`` container (``container.py``); its JSON documents are those of
version 2. Version 1 (the pre-release layout) had one mesh and no units block:
``{"version": 1, "neutral": {points, face_counts, face_indices}, "targets": [{name, indices,
deltas}], "landmark_vertices": [...68]}`` for rigs, and ``{"version": 1, "fps", "targets",
"weights"}`` for clips (no validity mask: every frame was valid). Each step takes a dict of one
version and returns a dict of the next, so a chain of steps reaches the current version.
"""
from __future__ import annotations

from typing import Callable, Dict

from microexpr import landmarks as _lm
from microexpr.bridge.models import FORMAT_VERSION
from microexpr.errors import MicroExprError


def _rig_1_to_2(d: dict) -> dict:
    import numpy as np

    from microexpr.mesh import Mesh

    neutral = d["neutral"]
    mesh = Mesh("skin", neutral["points"], neutral["face_counts"], neutral["face_indices"])
    lv = [int(v) for v in d["landmark_vertices"]]
    pts = mesh.points
    targets, ldeltas = [], []
    for t in d["targets"]:
        idx = [int(i) for i in t["indices"]]
        dense = np.zeros_like(pts)
        dense[idx] = np.asarray(t["deltas"], dtype=float).reshape(-1, 3)
        targets.append({"name": t["name"], "shapes": [{"mesh": "skin", "frames": [
            {"weight": 1.0, "indices": idx, "deltas": t["deltas"]}]}]})
        ldeltas.append(dense[lv].tolist())
    return {
        "format": "microexpr.rig", "version": 2, "name": d.get("name", "face"),
        "meshes": [{"name": "skin", "fingerprint": mesh.fingerprint(),
                    "points": pts.tolist(), "face_counts": mesh.face_counts.tolist(),
                    "face_indices": mesh.face_indices.tolist()}],
        "targets": targets,
        "landmarks": {"mesh": "skin", "points": [{"vertex": v} for v in lv],
                      "neutral": pts[lv].tolist(), "rigid": list(_lm.RIGID)},
        "landmark_deltas": {"targets": [t["name"] for t in d["targets"]], "deltas": ldeltas},
    }


def _clip_1_to_2(d: dict) -> dict:
    out = {k: v for k, v in d.items() if k in ("fps", "targets", "weights")}
    out.update({"format": "microexpr.clip", "version": 2, "start_time": 0.0,
                "valid": [True] * len(d.get("weights", []))})
    return out


def _to_3(d: dict) -> dict:
    """Version 3 brought the binary container; a version 2 document is a valid version 3 one."""
    return dict(d, version=3)


_STEPS: Dict[str, Dict[int, Callable[[dict], dict]]] = {
    "rig": {1: _rig_1_to_2, 2: _to_3},
    "clip": {1: _clip_1_to_2, 2: _to_3},
}


def migrate(data: dict, kind: str, source: str = "<data>") -> dict:
    """Bring ``data`` (a rig or clip dict) to ``FORMAT_VERSION``."""
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise MicroExprError("has no integer format version", file=source, field="version",
                             fix="is this a MicroExpr %s file? Re-export it" % kind)
    if version > FORMAT_VERSION:
        raise MicroExprError("was written by a newer MicroExpr (format version %d; this one "
                             "reads up to %d)" % (version, FORMAT_VERSION), file=source,
                             field="version", fix="upgrade MicroExpr")
    while version < FORMAT_VERSION:
        step = _STEPS[kind].get(version)
        if step is None:
            raise MicroExprError("format version %d cannot be migrated" % version, file=source,
                                 field="version", fix="re-export the %s" % kind)
        try:
            data = step(data)
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise MicroExprError("version %d file is malformed (%s: %s)"
                                 % (version, type(exc).__name__, exc), file=source,
                                 field="version", fix="re-export the %s" % kind) from None
        version = data["version"]
    return data
