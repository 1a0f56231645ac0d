"""The performer file (``performer.json``): a performer's neutral landmarks and calibration.

Small, versioned JSON, read by the CLI, Maya and the Unity runtime alike::

    {"format": "microexpr.performer", "version": 1, "generator": "microexpr 0.9.0",
     "units": {"length": "cm", "axes": "the rig's: y up, z toward the camera"},
     "dims": 2, "fps": 60.0,
     "neutral": [[x, y, z] x 68],      # the performer's neutral landmarks, rig units and frame
     "gains": [68 numbers],            # retargeting gain per landmark (performer / rig size)
     "noise": 0.028,                   # landmark noise, rig units
     "pose_filter": {"alpha": [8], "beta": [8]},   # 12 each for 3-D tracks
     "camera": "in_plane",             # or weak_perspective (2-D), similarity (3-D)
     "view": [[1, 0, 0], [0, 1, 0]],   # in_plane: the fixed view (2 orthonormal rows)
     "calibration": {"frames": [0, 600], "residual": 0.031, "source": "take.csv",
                     "rig_fingerprint": "..."}}

Numbers are finite; any other shape is refused with the field named.
"""
from __future__ import annotations

import json
import os
from typing import List, Literal, Optional

import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from microexpr.errors import MicroExprError

FORMAT: Literal["microexpr.performer"] = "microexpr.performer"
VERSION: Literal[1] = 1
Finite = Field(allow_inf_nan=False)


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class PerformerUnits(_Strict):
    length: Literal["mm", "cm", "m", "in"] = "cm"
    axes: str = "the rig's: y up, z toward the camera"


class PoseFilter(_Strict):
    alpha: List[float] = Field(description="alpha-beta filter gains per camera number (0-1)")
    beta: List[float]

    @field_validator("alpha", "beta")
    @classmethod
    def _gains(cls, v: List[float]) -> List[float]:
        if len(v) not in (8, 12) or not all(np.isfinite(v)) or min(v) < 0.0 or max(v) > 2.0:
            raise ValueError("8 (2-D) or 12 (3-D) finite gains between 0 and 2 are expected")
        return v


class Calibration(_Strict):
    frames: List[int] = Field(description="[first, last + 1] frames calibrated on")
    residual: float = Field(ge=0.0, allow_inf_nan=False)
    source: str = ""
    rig_fingerprint: str = ""


class PerformerFile(_Strict):
    format: Literal["microexpr.performer"] = FORMAT
    version: Literal[1] = VERSION
    generator: str = ""
    units: PerformerUnits = Field(default_factory=PerformerUnits)
    dims: Literal[2, 3]
    fps: float = Field(gt=0.0, le=10000.0, allow_inf_nan=False)
    neutral: List[List[float]]
    gains: List[float]
    noise: float = Field(gt=0.0, allow_inf_nan=False)
    pose_filter: PoseFilter
    camera: Literal["weak_perspective", "in_plane", "similarity"] = "weak_perspective"
    view: Optional[List[List[float]]] = Field(None, description="in_plane: the fixed view, 2 x 3")
    calibration: Calibration

    @field_validator("view")
    @classmethod
    def _view(cls, v: Optional[List[List[float]]]) -> Optional[List[List[float]]]:
        if v is None:
            return v
        a = np.asarray(v, dtype=np.float64) if all(len(r) == 3 for r in v) else None
        if a is None or a.shape != (2, 3) or not np.all(np.isfinite(a)) \
                or not np.allclose(a @ a.T, np.eye(2), atol=1e-6):
            raise ValueError("2 orthonormal rows of 3 finite numbers are expected")
        return v

    @field_validator("neutral")
    @classmethod
    def _neutral(cls, v: List[List[float]]) -> List[List[float]]:
        if len(v) != 68 or any(len(p) != 3 for p in v) or not np.all(np.isfinite(v)):
            raise ValueError("68 finite [x, y, z] points are expected")
        return v

    @field_validator("gains")
    @classmethod
    def _gains(cls, v: List[float]) -> List[float]:
        if len(v) != 68 or not all(np.isfinite(v)) or min(v) <= 0.0:
            raise ValueError("68 finite gains above 0 are expected")
        return v


def write_performer_file(model: PerformerFile, path: str) -> None:
    """Write a performer file atomically (a temporary file, then a rename)."""
    from microexpr.atomicio import write_text

    write_text(path, model.model_dump_json(indent=1) + "\n")


def read_performer_file(path: str) -> PerformerFile:
    """Read and check a performer file; a clear error naming the file and the field otherwise."""
    path = os.fspath(path)
    try:
        with open(path, "r", encoding="utf-8") as f:
            data = json.load(f)
    except FileNotFoundError:
        raise MicroExprError("the performer file does not exist", file=path, field="--performer",
                             fix="check the path, or write one with 'microexpr calibrate'") from None
    except (OSError, UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise MicroExprError("not a readable JSON performer file (%s)" % exc, file=path,
                             fix="write it again with 'microexpr calibrate'") from None
    if isinstance(data, dict) and data.get("format") not in (None, FORMAT):
        raise MicroExprError("this is a %r file, not a performer file" % data.get("format"),
                             file=path, field="format", fix="give the file 'microexpr calibrate' wrote")
    try:
        model = PerformerFile.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(top level)"
        raise MicroExprError("%s: %s" % (where, first["msg"]), file=path, field=where,
                             fix="write the file again with 'microexpr calibrate'") from None
    if (model.camera == "in_plane") != (model.view is not None) or \
            (model.camera == "similarity") != (model.dims == 3):
        raise MicroExprError("camera %r does not fit dims %d and view %s"
                             % (model.camera, model.dims, "given" if model.view else "missing"),
                             file=path, field="camera",
                             fix="write the file again with 'microexpr calibrate'")
    P = 4 * model.dims
    if len(model.pose_filter.alpha) != P or len(model.pose_filter.beta) != P:
        raise MicroExprError("pose_filter holds %d gains, %d-D tracks need %d"
                             % (len(model.pose_filter.alpha), model.dims, P), file=path,
                             field="pose_filter", fix="write the file again with 'microexpr calibrate'")
    return model
