"""Reading and writing bridge JSON: migration, clear errors, atomic writes."""
from __future__ import annotations

import json
import os
from typing import Type, TypeVar, Union

from pydantic import BaseModel, ValidationError

from microexpr.atomicio import write_text
from microexpr.bridge.migrate import migrate
from microexpr.bridge.models import Clip, Rig
from microexpr.errors import MicroExprError

M = TypeVar("M", bound=BaseModel)
PathLike = Union[str, "os.PathLike[str]"]
_SCHEMA_HINT = "see shared/schema/microexpr-%s.schema.json"


def _read_json(path: PathLike, kind: str) -> dict:
    path = os.fspath(path)
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as exc:
        raise MicroExprError("cannot read the %s file (%s)" % (kind, exc.strerror or exc),
                             file=path, fix="check the path") from None
    if not raw.strip():
        raise MicroExprError("the file is empty", file=path,
                             fix="pass a %s JSON written by MicroExpr" % kind)
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MicroExprError("is not valid JSON (%s)" % exc, file=path,
                             fix="pass a %s JSON written by MicroExpr" % kind) from None
    if not isinstance(data, dict):
        raise MicroExprError("top level is %s, not an object" % type(data).__name__, file=path,
                             fix="pass a %s JSON written by MicroExpr" % kind)
    fmt = data.get("format")
    if fmt is not None and fmt != "microexpr." + kind:
        raise MicroExprError("is a %r file, not a %s" % (fmt, kind), file=path, field="format",
                             fix="pass the %s file here" % kind)
    return migrate(data, kind, source=path)


def validation_error(exc: ValidationError, path: str, kind: str) -> MicroExprError:
    """The first pydantic error as a MicroExprError naming the file and the field."""
    err = exc.errors()[0]
    field = ".".join(str(p) for p in err.get("loc", ())) or "(top level)"
    more = len(exc.errors()) - 1
    problem = err.get("msg", "invalid")
    if more:
        problem += " (and %d more problem%s)" % (more, "s" if more > 1 else "")
    return MicroExprError(problem, file=path, field=field,
                          fix="correct this field (%s)" % (_SCHEMA_HINT % kind))


def _load(path: PathLike, model: Type[M], kind: str) -> M:
    data = _read_json(path, kind)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, os.fspath(path), kind) from None


def load_rig(path: PathLike) -> Rig:
    return _load(path, Rig, "rig")


def load_clip(path: PathLike) -> Clip:
    return _load(path, Clip, "clip")


def dumps(model: BaseModel) -> str:
    return json.dumps(model.model_dump(mode="json"), separators=(",", ":"), allow_nan=False) + "\n"


def save(model: BaseModel, path: PathLike) -> None:
    """Write a rig or clip atomically (a failure leaves any previous file intact)."""
    write_text(path, dumps(model))


save_rig = save
save_clip = save
