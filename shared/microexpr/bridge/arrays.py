"""The large arrays of the bridge models: numpy in memory, nested lists in JSON.

Each field type (``array_type("float", (None, 3))`` ...) takes a list or an array, checks it with
numpy (shape, finite values, whole-number indices in range) and keeps its own copy as float64,
int64 or bool. In a JSON file the array is written as nested lists; the JSON Schema says so
with the shape. In a ``.microexpr`` container it is a typed buffer (``payload.py``).

A container read lazily (``load_rig(path, lazy=True)``) leaves mesh points, polygons and target
frames as :class:`Deferred` placeholders: their shapes are checked on load, their values are
read from the file and checked on first use (``materialise``, called by ``models.Lazy``).
This module needs only numpy at import time; pydantic is imported where a model needs it.
"""
from __future__ import annotations

import contextvars
import itertools
import weakref
from dataclasses import dataclass
from typing import Annotated, Any, Callable, Dict, List, Optional, Tuple, Union, get_args, get_origin

import numpy as np

#: While set (by ``io.save``), JSON-mode dumps put arrays here and write ``{"$array": k}``.
ARRAY_SINK: contextvars.ContextVar[Optional[List[np.ndarray]]] = contextvars.ContextVar(
    "microexpr_array_sink", default=None)
_INDEX_LIMIT = 1 << 62


@dataclass(frozen=True)
class Spec:
    """What an array field holds: ``kind`` float, index or bool; ``shape`` with None where free;
    ``low`` the smallest index allowed; ``finite`` whether floats must be finite."""

    kind: str
    shape: Tuple[Optional[int], ...]
    low: int = 0
    finite: bool = True

    def describe(self) -> str:
        dims = ", ".join("n" if d is None else str(d) for d in self.shape)
        what = {"float": "numbers", "index": "whole numbers", "bool": "true/false values"}[self.kind]
        return "[%s] %s" % (dims, what)

    def empty(self) -> Tuple[int, ...]:
        return tuple(0 if d is None else d for d in self.shape)


class Deferred:
    """An array still in the container file: its stored dtype and shape are known (and checked);
    its values are read and checked when the model's field is first used."""

    __slots__ = ("read", "dtype", "shape", "source", "where", "bound", "owner", "name")

    def __init__(self, read: Callable[[], np.ndarray], dtype: str, shape: Tuple[int, ...],
                 source: str, where: str) -> None:
        self.read = read
        self.dtype = dtype
        self.shape = tuple(shape)
        self.source = source
        self.where = where                      # the owning object's path, e.g. "meshes[0]"
        self.bound: Optional[Tuple[int, str]] = None   # (exclusive index limit, message)
        self.owner: Optional[Callable[[], Any]] = None
        self.name = ""

    def __repr__(self) -> str:
        return "<deferred %s%s>" % (self.dtype, list(self.shape))

    def __copy__(self) -> "Deferred":
        return self                 # a read-only placeholder: copies of a model share it

    def __deepcopy__(self, memo: Dict[int, Any]) -> "Deferred":
        return self

    def adopt(self, owner: Any, name: str) -> None:
        self.owner = weakref.ref(owner)
        self.name = name

    def resolve(self) -> np.ndarray:
        """The checked array, read through the owning model."""
        owner = self.owner() if self.owner is not None else None
        if owner is None:
            raise RuntimeError("a deferred array outlived its model")
        return getattr(owner, self.name)


def rows(value: Any) -> int:
    """Length of an array field's value (array or Deferred) without reading a deferred one."""
    return int(value.shape[0]) if value.shape else 1


def _shape_problem(shape: Tuple[int, ...], spec: Spec) -> Optional[str]:
    if len(shape) != len(spec.shape) or any(d is not None and d != s for d, s in zip(spec.shape, shape)):
        return "must be %s, got shape %s" % (spec.describe(), list(shape))
    return None


def _as_array(value: Any, spec: Spec) -> np.ndarray:
    if isinstance(value, np.ndarray):
        arr = value
    else:
        try:
            arr = np.asarray(value)
        except (ValueError, TypeError, OverflowError):
            raise ValueError("must be %s (rows of equal length)" % spec.describe()) from None
    if arr.shape == (0,) and spec.shape[0] is None:     # empty: no rows of the given shape
        return np.zeros(spec.empty(), dtype=_DTYPES[spec.kind])
    return arr


def _floats(arr: np.ndarray, spec: Spec) -> np.ndarray:
    if arr.dtype.kind not in "iuf":
        raise ValueError("must be %s" % spec.describe())
    out = np.array(arr, dtype=np.float64)
    if spec.finite and out.size and not np.isfinite(out).all():
        raise ValueError("must be finite numbers (no NaN or infinity)")
    return out


def _indices(arr: np.ndarray, spec: Spec) -> np.ndarray:
    kind = arr.dtype.kind
    if kind not in "iu":
        raise ValueError("must be %s, not %s" % (spec.describe(), _KIND_NAMES.get(kind, arr.dtype)))
    if arr.size and arr.max() >= _INDEX_LIMIT:
        raise ValueError("holds an index too large to be one (%d)" % arr.max())
    out = np.array(arr, dtype=np.int64)
    if out.size and out.min() < spec.low:
        raise ValueError("must be %d or more, got %d" % (spec.low, out.min()))
    return out


def _strict_list(value: Any, arr: np.ndarray, spec: Spec) -> None:
    """JSON lists (not arrays) hold exactly their kind: no true/false among numbers, no numbers
    among true/false (numpy would turn either into the other)."""
    if spec.kind == "bool":
        if arr.dtype.kind != "b":
            raise ValueError("must be %s, not numbers" % spec.describe())
        return
    flat = value
    for _ in range(arr.ndim - 1):
        flat = itertools.chain.from_iterable(flat)
    types = set(map(type, flat))
    if bool in types or np.bool_ in types:
        raise ValueError("must be %s, not true/false" % spec.describe())


def _bools(arr: np.ndarray, spec: Spec) -> np.ndarray:
    if arr.dtype.kind not in "biu":
        raise ValueError("must be %s" % spec.describe())
    if arr.dtype.kind != "b" and arr.size and not np.isin(arr, (0, 1)).all():
        raise ValueError("must be %s (0 or 1)" % spec.describe())
    return np.array(arr, dtype=bool)


_DTYPES = {"float": np.float64, "index": np.int64, "bool": np.bool_}
_KIND_NAMES = {"f": "fractions", "b": "true/false values", "U": "text", "O": "mixed values"}
_CONVERT = {"float": _floats, "index": _indices, "bool": _bools}
_STORED_KINDS = {"float": "iuf", "index": "iu", "bool": "biu"}


def check(value: Any, spec: Spec) -> Any:
    """``value`` (list or array) as a checked array of its own; a Deferred one keeps its place
    once its stored shape and dtype fit."""
    if isinstance(value, Deferred):
        problem = _shape_problem(value.shape, spec)
        if problem:
            raise ValueError(problem)
        if np.dtype(value.dtype).kind not in _STORED_KINDS[spec.kind]:
            raise ValueError("is stored as %s; it must be %s" % (value.dtype, spec.describe()))
        return value
    arr = _as_array(value, spec)
    problem = _shape_problem(arr.shape, spec)
    if problem:
        raise ValueError(problem)
    if not isinstance(value, np.ndarray) and arr.size:
        _strict_list(value, arr, spec)
    return _CONVERT[spec.kind](arr, spec)


def _serialize(value: Any, info: Any) -> Any:
    if isinstance(value, Deferred):
        value = value.resolve()
    if not info.mode_is_json():
        return value
    sink = ARRAY_SINK.get()
    if sink is not None:
        sink.append(np.asarray(value))
        return {"$array": len(sink) - 1}
    return np.asarray(value).tolist()


def json_schema(spec: Spec) -> Dict[str, Any]:
    """The JSON form: nested arrays, fixed lengths where the shape fixes them; ``x-array``
    tells a reader (the C# one) to check the array as one field, inline or in a container."""
    items: Dict[str, Dict[str, Any]] = {"float": {"type": "number"}, "bool": {"type": "boolean"},
                                        "index": {"type": "integer", "minimum": spec.low}}
    item = items[spec.kind]
    for dim in reversed(spec.shape):
        outer: Dict[str, Any] = {"type": "array", "items": item}
        if dim is not None:
            outer.update(minItems=dim, maxItems=dim)
        item = outer
    item["x-array"] = {"kind": spec.kind, "shape": list(spec.shape), "low": spec.low,
                       "finite": spec.finite}
    return item


def array_type(kind: str, shape: Tuple[Optional[int], ...], low: int = 0, finite: bool = True) -> Any:
    """An ``np.ndarray`` field type for a bridge model (see the module docstring)."""
    from pydantic import PlainSerializer, PlainValidator, WithJsonSchema

    spec = Spec(kind, shape, low, finite)
    return Annotated[np.ndarray, PlainValidator(lambda v: check(v, spec)),
                     PlainSerializer(_serialize, when_used="always"), WithJsonSchema(json_schema(spec)),
                     spec]


_SPECS: Dict[type, Dict[str, Spec]] = {}


def field_specs(model: type) -> Dict[str, Spec]:
    """The array fields of a model class (optional ones included) and their specs."""
    found = _SPECS.get(model)
    if found is None:
        found = {}
        for name, info in model.model_fields.items():    # type: ignore[attr-defined]
            optional = get_args(info.annotation) if get_origin(info.annotation) is Union else ()
            metas = list(info.metadata) + [m for arg in optional for m in get_args(arg)[1:]]
            for meta in metas:
                if isinstance(meta, Spec):
                    found[name] = meta
        _SPECS[model] = found
    return found


def same(a: Any, b: Any) -> bool:
    """Equality that compares arrays by shape and values (models, lists and dicts inside)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)):
            return False
        return a.shape == b.shape and bool(np.array_equal(a, b))
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return bool(a == b)


def materialise(model: Any) -> None:
    """Read every Deferred field of ``model`` from its file and check it, all at once and in
    place: the model's own checks run again with the values (an error names file and field)."""
    from pydantic import ValidationError

    from microexpr.bridge.validate import describe, join
    from microexpr.errors import MicroExprError

    raw: Dict[str, Any] = object.__getattribute__(model, "__dict__")
    pending = {k: v for k, v in raw.items() if isinstance(v, Deferred)}
    if not pending:
        return
    first = next(iter(pending.values()))
    fields = dict(raw, **{k: d.read() for k, d in pending.items()})
    try:
        fresh = type(model).model_validate(fields)
    except ValidationError as exc:
        field, problem, _ = describe(exc.errors()[0], first.where)
        raise MicroExprError(problem, file=first.source, field=field,
                             fix="re-export the file from MicroExpr") from None
    values: Dict[str, Any] = object.__getattribute__(fresh, "__dict__")
    for name, d in pending.items():
        if d.bound is not None and len(values[name]) and int(values[name].max()) >= d.bound[0]:
            raise MicroExprError(d.bound[1].replace("{vertex}", str(int(values[name].max()))),
                                 file=d.source, field=join(d.where, name),
                                 fix="re-export the file from MicroExpr")
    for name in pending:
        raw[name] = values[name]


def read_deferred(node: Any) -> None:
    """Materialise every Deferred array in a model tree (models, lists, dicts)."""
    from pydantic import BaseModel

    if isinstance(node, BaseModel):
        raw = object.__getattribute__(node, "__dict__")
        if any(isinstance(v, Deferred) for v in raw.values()):
            materialise(node)
        for value in raw.values():
            if isinstance(value, (BaseModel, list, tuple, dict)):
                read_deferred(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            read_deferred(item)
    elif isinstance(node, dict):
        for item in node.values():
            read_deferred(item)
