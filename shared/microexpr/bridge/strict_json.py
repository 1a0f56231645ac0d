"""Bridge JSON text read the way the C# reader (``Json.cs``) reads it: NaN, Infinity, numbers
beyond a double and keys repeated in one object are refused where they stand, and every
refusal names the line and column (``line 3, column 12``), as C# does.

Python's ``json`` module reads all of these without a word (a repeated key keeps the last
value; ``1e400`` becomes infinity), so its hooks refuse them here; the hooks do not know the
position, which a second pass over the text (only after a refusal) finds.
"""
from __future__ import annotations

import json
import re
from typing import Any, List, Optional, Set, Tuple

from microexpr.errors import MicroExprError

_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|-?Infinity|NaN|-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|[{}\[\]:,]',
                    re.S)


class _Refused(ValueError):
    def __init__(self, kind: str, problem: str) -> None:
        super().__init__(problem)
        self.kind = kind
        self.problem = problem


def _constant(name: str) -> Any:
    raise _Refused("constant", "%s is not a number JSON allows" % name)


def _float(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise _Refused("number", "%s is too large for a number" % text[:20])
    return value


def _int(text: str) -> int:
    try:
        value = int(text)
        float(value)
    except (ValueError, OverflowError):
        raise _Refused("number", "a %d-digit number is too large" % len(text)) from None
    return value


def _pairs(pairs: List[Tuple[str, Any]]) -> dict:
    out = dict(pairs)
    if len(out) != len(pairs):
        raise _Refused("key", "a key appears twice in one object")
    return out


def loads(text: str, source: str, fix: str) -> Any:
    """The JSON value of ``text``; a ``MicroExprError`` naming ``source`` and the position."""
    try:
        return json.loads(text, parse_constant=_constant, parse_float=_float, parse_int=_int,
                          object_pairs_hook=_pairs)
    except _Refused as exc:
        pos, token = _locate(text, exc.kind)
        problem = exc.problem
        if exc.kind == "key" and token is not None:
            problem = "the key %s appears twice in one object" % token
        raise MicroExprError("not valid JSON: " + problem, file=source, field=_where(text, pos),
                             fix="write finite numbers and each key once") from None
    except json.JSONDecodeError as exc:
        raise MicroExprError("not valid JSON: %s" % exc.msg, file=source,
                             field="line %d, column %d" % (exc.lineno, exc.colno), fix=fix) from None
    except RecursionError:
        raise MicroExprError("not valid JSON: nested too deeply", file=source,
                             fix="flatten the data") from None


def _where(text: str, pos: Optional[int]) -> Optional[str]:
    if pos is None:
        return None
    line = text.count("\n", 0, pos) + 1
    return "line %d, column %d" % (line, pos - (text.rfind("\n", 0, pos) + 1) + 1)


def _locate(text: str, kind: str) -> Tuple[Optional[int], Optional[str]]:
    """Where the first refused token of ``kind`` stands (its offset and text), in text order."""
    stack: List[Optional[Set[str]]] = []
    tokens = list(_TOKEN.finditer(text))
    for k, m in enumerate(tokens):
        tok = m.group()
        if tok in "{[":
            stack.append(set() if tok == "{" else None)
        elif tok in "}]":
            if stack:
                stack.pop()
        elif tok[0] == '"':
            is_key = k + 1 < len(tokens) and tokens[k + 1].group() == ":"
            if kind == "key" and is_key and stack and stack[-1] is not None:
                key = json.loads(tok)
                if key in stack[-1]:
                    return m.start(), tok
                stack[-1].add(key)
        elif kind == "constant" and tok.lstrip("-") in ("Infinity", "NaN"):
            return m.start(), tok
        elif kind == "number" and tok[-1].isdigit() and _too_large(tok):
            return m.start(), tok
    return None, None


def _too_large(tok: str) -> bool:
    try:
        _float(tok) if any(c in tok for c in ".eE") else _int(tok)
    except _Refused:
        return True
    return False
