"""Lazy re-exports for package ``__init__`` files (PEP 562 module ``__getattr__``).

A package lists ``{public name: "module.that.defines.it"}`` (or ``"module:attribute"`` when the
public name differs from the one in the module); the module is imported the first time the
name is read. So ``import microexpr.rig.falloff`` (numpy only, what the Maya deformer
needs) never pulls in pydantic, scipy, numba or matplotlib through a package ``__init__``.
"""
from __future__ import annotations

import importlib
from typing import Any, Callable, Dict, List, Tuple


def lazy_exports(package: str, table: Dict[str, str]) -> Tuple[Callable[[str], Any], Callable[[], List[str]]]:
    """Return ``(__getattr__, __dir__)`` for ``package`` that import ``table[name]`` on demand."""
    def __getattr__(name: str) -> Any:
        where = table.get(name)
        if where is None:
            raise AttributeError("module %r has no attribute %r" % (package, name))
        module, _, attr = where.partition(":")
        value = getattr(importlib.import_module(module), attr or name)
        import sys
        setattr(sys.modules[package], name, value)   # later reads skip __getattr__
        return value

    def __dir__() -> List[str]:
        import sys
        return sorted(set(vars(sys.modules[package])) | set(table))

    return __getattr__, __dir__
