"""The JSON bridge: versioned rig and clip files shared by the CLI, Maya and Unity."""
from .io import load_clip, load_rig, save, save_clip, save_rig
from .models import (FORMAT_VERSION, Clip, Combination, KeyPoint, LandmarkDeltas, Landmarks,
                     LandmarkPoint, MeshData, MeshShape, MicroEvent, Rig, ShapeFrame,
                     SoftModSpec, Symmetry, Target, TargetInfo, Units)

__all__ = ["load_clip", "load_rig", "save", "save_clip", "save_rig", "FORMAT_VERSION", "Clip",
           "Combination", "KeyPoint", "LandmarkDeltas", "Landmarks", "LandmarkPoint", "MeshData",
           "MeshShape", "MicroEvent", "Rig", "ShapeFrame", "SoftModSpec", "Symmetry", "Target",
           "TargetInfo", "Units"]
