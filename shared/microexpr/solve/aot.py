"""The solver's loops compiled ahead of time: one extension module that runs without numba.

numba's cache saves compiling, yet every process still imports numba and sets up its
compiler before the first loop runs (about 0.8 s: most of a short ``microexpr solve``).
``numba.pycc`` compiles the same loops once into a plain extension module,
``microexpr_loops``, that needs nothing but the C runtime. ``python -m microexpr.solve.warm``
builds it at install time (after filling numba's cache, whose loops give the argument types)
into ``aot-<key>`` inside numba's cache folder. The key hashes the loops' source files (and
the warm-up's), the numpy and Python versions and the machine, so a changed loop or another
numpy never loads an old module. ``jit`` loads it when present and then imports numba only if a loop it lacks is
called (loops numba runs in parallel, with ``prange``, are not built: they stay with numba).

An extension module checks nothing about its arguments (a float32 array where float64 was
compiled crashes the process), so each loop's argument types are stored beside it
(``loops.json``) and :func:`matches` lets ``jit.run`` call the module only when every argument
agrees: dtype, dimensions, layout, writeable, aligned; otherwise numba runs the loop.
Written here because pycc has neither a loader nor argument checks; the compiling is numba's.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import warnings
from typing import Any, Dict, List, Optional, Sequence, Tuple

import numpy as np

MODULE = "microexpr_loops"
#: The files whose loops are built (every module of this package that uses ``jit.kernel``),
#: and the warm-up whose runs give the loops' argument types.
SOURCES = ("weight_solver.py", "projected_solver.py", "refine.py", "refine_coefs.py", "pose_filter.py",
           "performer_fits.py", "warm.py")
SPECS = "loops.json"
#: Scalar argument types and the Python values each accepts (bools are not numbers here).
_SCALARS = {"float64": (float, int, np.floating, np.integer), "int64": (int, np.integer),
            "bool": (bool, np.bool_)}


def key() -> str:
    """What the module is valid for: the loops' sources, numpy, Python and the machine."""
    h = hashlib.sha256()
    here = os.path.dirname(os.path.abspath(__file__))
    for name in SOURCES:
        with open(os.path.join(here, name), "rb") as f:
            h.update(name.encode() + b"\0" + f.read() + b"\0")
    h.update(("%s|%s|%s|%s" % (np.__version__, sys.version_info[:2], platform.machine(),
                               sys.platform)).encode())
    return h.hexdigest()[:16]


def folder(cache: str) -> str:
    """Where the module for this :func:`key` lives under numba's cache folder ``cache``."""
    return os.path.join(cache, "aot-" + key())


def export_name(module: str, name: str) -> str:
    """The module's name for loop ``name`` of ``module`` (e.g. ``weight_solver__box_qp``)."""
    return "%s__%s" % (module.rsplit(".", 1)[-1], name)


def load(cache: str) -> Tuple[Any, Dict[str, List[list]], Optional[str]]:
    """(module, {loop: argument types}, why not): the built module for this key, or None with
    None (nothing built) or the reason it could not be loaded."""
    where = folder(cache)
    suffix = importlib.machinery.EXTENSION_SUFFIXES[0]
    path = os.path.join(where, MODULE + suffix)
    if not os.path.exists(path):
        return None, {}, None
    try:
        with open(os.path.join(where, SPECS), encoding="utf-8") as f:
            specs = json.load(f)["loops"]
        spec = importlib.util.spec_from_file_location(MODULE, path)
        if spec is None or spec.loader is None:
            raise ImportError("not an extension module")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        missing = [n for n in specs if not callable(getattr(module, n, None))]
        if missing:
            raise ImportError("it lacks %s" % ", ".join(missing))
    except Exception as exc:               # a broken or foreign file: numba runs the loops
        return None, {}, "%s (%s: %s)" % (path, type(exc).__name__, str(exc).strip()[:200])
    return module, specs, None


def matches(args: Sequence[Any], spec: Sequence[list]) -> bool:
    """Whether ``args`` are exactly the compiled argument types ``spec`` (see module doc)."""
    if len(args) != len(spec):
        return False
    for a, s in zip(args, spec):
        if s[0] == "array":
            if type(a) is not np.ndarray or a.dtype.name != s[1] or a.ndim != s[2]:
                return False
            flags = a.flags
            if not flags.aligned or (s[4] and not flags.writeable):
                return False
            if (s[3] == "C" and not flags.c_contiguous) or (s[3] == "F" and not flags.f_contiguous):
                return False
        else:
            kinds = _SCALARS.get(s[1])
            if kinds is None or not isinstance(a, kinds):
                return False
            if s[1] != "bool" and isinstance(a, (bool, np.bool_)):
                return False
    return True


def _describe(t: Any) -> Optional[list]:
    """A numba argument type as stored in ``loops.json``; None for a type not handled."""
    from numba.core import types

    if isinstance(t, types.Array):
        dtype = str(t.dtype)
        if dtype not in ("float64", "int64", "bool"):
            return None
        return ["array", dtype, int(t.ndim), str(t.layout), bool(t.mutable)]
    name = str(t)
    return ["scalar", name] if name in _SCALARS else None


def build(cache: str, kernels: Sequence[Any]) -> Tuple[List[str], float]:
    """Compile ``kernels`` (jit's records: ``module``, ``name``, ``func``, ``parallel``,
    ``called``, ``compiled`` numba dispatchers) into :func:`folder`: those Python called
    (``jit.run``), with the argument types of their first call; the loops they call are
    compiled into them. (loops built, seconds). Already built for this key: nothing to do.
    Raises on a failed compile."""
    start = time.perf_counter()
    where = folder(cache)
    module, built, _ = load(cache)
    if module is not None:
        return sorted(built), 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from numba.pycc import CC

        cc = CC(MODULE)
        specs: Dict[str, List[list]] = {}
        for k in kernels:
            sigs = getattr(k.compiled, "signatures", None)
            if k.parallel or not sigs or not k.called:
                continue
            full = k.compiled.overloads[sigs[0]].signature
            described = [_describe(t) for t in full.args]
            if any(d is None for d in described):
                continue
            name = export_name(k.module, k.name)
            cc.export(name, full)(k.func)
            specs[name] = described  # type: ignore[assignment]
        if not specs:
            raise RuntimeError("no loop has run yet: warm them first")
        os.makedirs(cache, exist_ok=True)
        tmp = tempfile.mkdtemp(prefix=".aot-", dir=cache)
        try:
            cc.output_dir = tmp
            cc.compile()
            with open(os.path.join(tmp, SPECS), "w", encoding="utf-8") as f:
                json.dump({"key": key(), "loops": specs}, f, indent=1)
            try:
                os.rename(tmp, where)              # whole, or not at all
            except OSError:
                if load(cache)[0] is None:         # not another process's finished build
                    raise
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    return sorted(specs), time.perf_counter() - start
