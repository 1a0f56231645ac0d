"""Reading and writing bridge files: the ``.microexpr`` container (JSON header + binary payload)
or plain JSON, told apart by their first bytes; migration, clear errors, atomic writes.

A container's arrays go straight from the mapped file into the models' numpy arrays (one copy
each, no lists). ``load_rig(path, lazy=True)`` reads the header, the landmark matrices and the
clip-facing fields at once and leaves mesh points, polygons and target frames in the file
until a command uses them (then they are read and checked): what ``solve`` needs."""
from __future__ import annotations

import json
import os
from typing import List, Optional, Type, TypeVar, Union

from pydantic import BaseModel, ValidationError

from microexpr.atomicio import write_text
from microexpr.bridge import container, payload, strict_json
from microexpr.bridge.arrays import ARRAY_SINK
from microexpr.bridge.migrate import migrate
from microexpr.bridge.models import Clip, Rig
from microexpr.bridge.validate import describe
from microexpr.errors import MicroExprError

M = TypeVar("M", bound=BaseModel)
PathLike = Union[str, "os.PathLike[str]"]
_SCHEMA_HINT = "see shared/schema/microexpr-%s.schema.json"


def _read_json(path: PathLike, kind: str, lazy: bool = False) -> dict:
    path = os.fspath(path)
    if container.is_container(path):
        data = payload.document(container.read(path), kind, lazy)
        return _check_format(data, path, kind)
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
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise MicroExprError("is not UTF-8 text (%s)" % exc, file=path,
                             fix="pass a %s JSON written by MicroExpr" % kind) from None
    data = strict_json.loads(text, path, "pass a %s JSON written by MicroExpr" % kind)
    if not isinstance(data, dict):
        raise MicroExprError("top level is %s, not an object" % type(data).__name__, file=path,
                             fix="pass a %s JSON written by MicroExpr" % kind)
    return _check_format(data, path, kind)


def _check_format(data: dict, path: str, kind: str) -> dict:
    fmt = data.get("format")
    if "format" in data and fmt != "microexpr." + kind:
        raise MicroExprError("is a %r file, not a %s" % (fmt, kind), file=path, field="format",
                             fix="pass the %s file here" % kind)
    return migrate(data, kind, source=path)


def validation_error(exc: ValidationError, path: str, kind: str) -> MicroExprError:
    """The first pydantic error as a MicroExprError naming the file, the field (a JSON path
    such as ``targets[3].name``) and the fix."""
    field, problem, fix = describe(exc.errors()[0])
    more = len(exc.errors()) - 1
    if more:
        problem += " (and %d more problem%s)" % (more, "s" if more > 1 else "")
    return MicroExprError(problem, file=path, field=field or "(top level)",
                          fix="%s (%s)" % (fix, _SCHEMA_HINT % kind))


def _load(path: PathLike, model: Type[M], kind: str, lazy: bool = False) -> M:
    data = _read_json(path, kind, lazy)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_error(exc, os.fspath(path), kind) from None


def load_rig(path: PathLike, lazy: bool = False) -> Rig:
    """A rig from a container or JSON file. ``lazy`` (containers only): mesh arrays and target
    frames stay in the file until used, their values checked then (shapes are checked now)."""
    return _load(path, Rig, "rig", lazy)


def load_clip(path: PathLike) -> Clip:
    return _load(path, Clip, "clip")


def dumps(model: BaseModel) -> str:
    return dumps_document(model.model_dump(mode="json"))


def dumps_document(doc: dict) -> str:
    """A JSON-mode document as the text of a plain JSON bridge file."""
    return json.dumps(doc, separators=(",", ":"), allow_nan=False) + "\n"


def _document(model: BaseModel) -> dict:
    """The model as a JSON document whose arrays are marked for the container's payload."""
    arrays: List = []
    token = ARRAY_SINK.set(arrays)
    try:
        doc = model.model_dump(mode="json")
    finally:
        ARRAY_SINK.reset(token)
    return payload.split_clip(doc, arrays) if isinstance(model, Clip) else payload.split_rig(doc, arrays)


#: Output formats: the container (one file, or ``container-bin`` with a ``.bin`` beside it) and
#: plain JSON.
FORMATS = ("microexpr", "microexpr-bin", "json")


def format_for(path: PathLike, fmt: Optional[str] = None) -> str:
    """``fmt`` if given, else plain JSON for a ``.json`` path and the container otherwise."""
    if fmt is None:
        return "json" if os.fspath(path).lower().endswith(".json") else "microexpr"
    if fmt not in FORMATS:
        raise MicroExprError("unknown bridge format %r" % fmt, field="--format",
                             fix="use one of: " + ", ".join(FORMATS))
    return fmt


def save(model: BaseModel, path: PathLike, fmt: Optional[str] = None) -> List[str]:
    """Write a rig or clip atomically (a failure leaves any previous file intact); returns the
    files written. The format follows ``fmt`` or the path (see :func:`format_for`)."""
    fmt = format_for(path, fmt)
    if fmt == "json":
        write_text(path, dumps(model))
        return [os.fspath(path)]
    return container.write(path, _document(model), external_bin=fmt == "microexpr-bin")


save_rig = save
save_clip = save
