"""The JSON bridge: versioned rig and clip files shared by the CLI, Maya and Unity.

``models`` defines the files (pydantic), ``io`` loads and saves them atomically, ``migrate``
brings older versions forward, ``schema`` writes the JSON Schemas. Everything here needs
pydantic, so the names below are imported on first use.
"""
from microexpr._lazy import lazy_exports

_MODELS = ("FORMAT_VERSION", "Clip", "Combination", "KeyPoint", "LandmarkDeltas", "Landmarks",
           "LandmarkPoint", "MeshData", "MeshShape", "MicroEvent", "Rig", "ShapeFrame",
           "SoftModSpec", "Symmetry", "Target", "TargetInfo", "Units")
_EXPORTS = dict({n: "microexpr.bridge.io" for n in
                 ("load_clip", "load_rig", "save", "save_clip", "save_rig")},
                **{n: "microexpr.bridge.models" for n in _MODELS})
__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
