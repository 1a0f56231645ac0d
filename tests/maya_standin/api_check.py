"""Arity and argument-type checks of the Maya stand-in's API classes (a test double, NOT Maya).

maya-stubs types most API methods as ``(*args, **kwargs)``, so the signatures of the methods
MicroExpr calls come from Autodesk's reference instead: :mod:`.api_reference` lists them, one
row per method (overloads are several rows), and :func:`enforce` wraps each listed stand-in
method so that a call with the wrong number of arguments or an argument of the wrong type
raises ``TypeError`` before the stand-in does anything.  An MObject of the other API is a
wrong type (Maya's APIs do not mix).  Rows marked ``override`` are methods Maya calls on a
plug-in's class: the stand-in calls them with exactly that signature.

Types: ``int``, ``float`` (any real number), ``bool``, ``str``, ``callable``, ``sequence``
(list, tuple or array), ``Any``, ``None``, an ``M...`` class of the same API, or a union
``A | B``.
"""
from __future__ import annotations

import ast
import functools
import inspect
import numbers
import re
from dataclasses import dataclass
from typing import Any, Callable, Dict, List, Optional, Tuple

_ROW = re.compile(r"^(?P<cls>\w+)(?:\.(?P<meth>\w+))?\((?P<params>.*)\)\s*->\s*(?P<ret>.+)$")
_ENFORCED: Dict[Tuple[str, str, str], List["Signature"]] = {}


@dataclass(frozen=True)
class Param:
    name: str
    types: Tuple[str, ...]
    optional: bool
    default: str = ""
    variadic: bool = False


@dataclass(frozen=True)
class Signature:
    """One row of the reference table: ``module``, ``Class.method(params) -> returns``."""

    module: str
    cls: str
    method: str          # "__init__" for a constructor
    params: Tuple[Param, ...]
    returns: str
    source: str
    kind: str            # "call" (our code calls it) or "override" (Maya calls ours)
    text: str

    @property
    def api(self) -> int:
        return 2 if self.module.startswith("maya.api.") else 1


def _types(node: Optional[ast.expr]) -> Tuple[str, ...]:
    if node is None:
        return ("Any",)
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _types(node.left) + _types(node.right)
    if isinstance(node, ast.Constant) and node.value is None:
        return ("None",)
    if isinstance(node, ast.Name):
        return (node.id,)
    raise ValueError(f"api_check: unsupported type {ast.dump(node)}")


def parse(module: str, text: str, source: str, kind: str = "call") -> Signature:
    """A :class:`Signature` from ``Class.method(a: T, b: U = default) -> R``."""
    m = _ROW.match(text.strip())
    if not m:
        raise ValueError(f"api_check: cannot read reference row {text!r}")
    fn = ast.parse(f"def f({m.group('params')}): pass").body[0]
    assert isinstance(fn, ast.FunctionDef)
    args = fn.args
    defaults = [None] * (len(args.args) - len(args.defaults)) + list(args.defaults)
    params = [Param(a.arg, _types(a.annotation), d is not None,
                    "" if d is None else ast.unparse(d)) for a, d in zip(args.args, defaults)]
    if args.vararg is not None:
        params.append(Param(args.vararg.arg, _types(args.vararg.annotation), True, "",
                            variadic=True))
    return Signature(module, m.group("cls"), m.group("meth") or "__init__", tuple(params),
                     m.group("ret").strip(), source, kind, text.strip())


# ---------------------------------------------------------------------------- checking
def _is(value: Any, name: str, namespace: Dict[str, Any]) -> bool:
    if name == "Any":
        return True
    if name == "None":
        return value is None
    if name == "bool":
        return isinstance(value, (bool, int))
    if name == "int":
        return isinstance(value, numbers.Integral)
    if name == "float":
        return isinstance(value, numbers.Real)
    if name == "str":
        return isinstance(value, str)
    if name == "callable":
        return callable(value)
    if name == "sequence":
        return not isinstance(value, (str, bytes)) and hasattr(value, "__len__") \
            and hasattr(value, "__getitem__")
    cls = namespace.get(name)
    if not isinstance(cls, type):
        raise LookupError(f"api_check: the stand-in has no class {name}")
    return isinstance(value, cls)


def _python_signature(sig: Signature) -> inspect.Signature:
    params = []
    for p in sig.params:
        if p.variadic:
            params.append(inspect.Parameter(p.name, inspect.Parameter.VAR_POSITIONAL))
        else:
            params.append(inspect.Parameter(
                p.name, inspect.Parameter.POSITIONAL_OR_KEYWORD,
                default=None if p.optional else inspect.Parameter.empty))
    return inspect.Signature(params)


def check(sig: Signature, args: Tuple[Any, ...], kwargs: Dict[str, Any],
          namespace: Dict[str, Any]) -> Optional[str]:
    """None when the call fits ``sig``, else what is wrong."""
    try:
        bound = _python_signature(sig).bind(*args, **kwargs)
    except TypeError as exc:
        return f"{exc}"
    given = bound.arguments
    for p in sig.params:
        if p.name not in given:
            continue
        values = given[p.name] if p.variadic else (given[p.name],)
        for value in values:
            if p.optional and value is None and not p.variadic:
                continue  # the default (None/kNullObj) passed explicitly
            if not any(_is(value, t, namespace) for t in p.types):
                return (f"argument '{p.name}' must be {' or '.join(p.types)}, "
                        f"not {type(value).__name__}" + _other_api(value, p, namespace))
    return None


def _other_api(value: Any, param: Param, namespace: Dict[str, Any]) -> str:
    """Why an object of the other Python API is refused, when it is one."""
    theirs = getattr(type(value), "_API", 0)
    wanted = namespace.get(type(value).__name__)
    mine = getattr(wanted, "_API", 0)
    if type(value).__name__ in param.types and theirs and mine and theirs != mine:
        return (f" of API {mine}.0 (an API {theirs}.0 object was passed: objects of the two "
                "Python APIs do not mix)")
    return ""


def _wrap(cls: type, method: str, sigs: List[Signature], namespace: Dict[str, Any]) -> None:
    raw = inspect.getattr_static(cls, method)
    is_static = isinstance(raw, staticmethod)
    is_class = isinstance(raw, classmethod)
    func: Callable[..., Any] = raw.__func__ if (is_static or is_class) else raw
    if hasattr(func, "__standin_reference__"):  # inherited from a checked base: check anew
        func = func.__wrapped__  # type: ignore[attr-defined]

    @functools.wraps(func)
    def checked(*args: Any, **kwargs: Any) -> Any:
        own = args if is_static else args[1:]
        problems = [check(s, own, kwargs, namespace) for s in sigs]
        if all(problems):
            raise TypeError(f"{cls.__name__}.{method}: {problems[0]} (Autodesk reference: "
                            + "; ".join(s.text for s in sigs) + ")")
        return func(*args, **kwargs)

    checked.__standin_reference__ = tuple(sigs)  # type: ignore[attr-defined]
    wrapped: Any = staticmethod(checked) if is_static else \
        classmethod(checked) if is_class else checked
    setattr(cls, method, wrapped)


def enforce(rows: List[Signature], classes: Dict[str, Dict[str, Any]]) -> None:
    """Wrap every ``call`` row's stand-in method (once).  ``classes`` maps a fake module
    name to its namespace; a class's own module is searched first, then its API's others."""
    groups: Dict[Tuple[str, str, str], List[Signature]] = {}
    for row in rows:
        if row.kind == "call":
            groups.setdefault((row.module, row.cls, row.method), []).append(row)
    for key, sigs in groups.items():
        if key in _ENFORCED:
            continue
        module, cls_name, method = key
        namespace = dict(classes[module])
        for other, names in classes.items():
            if other != module and (other.startswith("maya.api.") == module.startswith(
                    "maya.api.")):
                for name, value in names.items():
                    namespace.setdefault(name, value)
        cls = namespace.get(cls_name)
        if not isinstance(cls, type) or method not in dir(cls):
            raise LookupError(f"api_check: {module}.{cls_name}.{method} is in the reference "
                              "table but not in the stand-in")
        _wrap(cls, method, sigs, namespace)
        _ENFORCED[key] = sigs


def enforced() -> Dict[Tuple[str, str, str], List[Signature]]:
    return dict(_ENFORCED)
