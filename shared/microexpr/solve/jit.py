"""Where the solver's loops run: compiled by numba with an on-disk cache, or as plain Python.

The loops of ``weight_solver`` and ``projected_solver`` are written once, as plain Python that
numba can compile, and decorated with ``kernel``. Python code calls them through ``run``.

- **Compiled** when numba imports and compiles them. The machine code is cached on disk, so
  the next process loads it instead of compiling again (about 3.5 s per process).
  ``python -m microexpr.solve.warm`` fills the cache at install time.
- **The cache folder** is ``NUMBA_CACHE_DIR`` when it is set, else ``cache_folder()``'s
  per-user folder, put into ``NUMBA_CACHE_DIR`` before numba is imported (a value the user set
  is never changed). A folder that cannot be written is not traded for numba's own fallbacks
  (the package's ``__pycache__``, a user-wide folder): the loops are then compiled in memory in
  every process, after a one-line warning naming the folder.
- **Plain Python** when numba is missing, fails to import, is disabled (``NUMBA_DISABLE_JIT``)
  or fails to compile at the first call: a one-line warning names why, and every loop runs
  uncompiled, giving the same weights to rounding. A loop may name a numpy ``plain`` twin that
  does the same arithmetic in the same order, only faster than the loop in Python.

- **Ahead of time** when ``python -m microexpr.solve.warm`` also built the loops into an
  extension module (``solve.aot``) for this source: its loops run without numba, which is
  then imported only when a loop the module lacks is called (``MICROEXPR_AOT=0``: never use
  the module).

Warnings go to the ``microexpr.solve`` logger (printed to stderr when logging is not set up).
"""
from __future__ import annotations

import importlib.util
import logging
import os
import sys
import tempfile
from typing import Any, Callable, Dict, List, Mapping, Optional, Tuple

CACHE_ENV = "NUMBA_CACHE_DIR"
#: Set to 0 to never run the ahead-of-time module (``solve.aot``).
AOT_ENV = "MICROEXPR_AOT"
#: MicroExpr's own cache root (shared with the Unity DLL cache); numba's folder is under it.
MICROEXPR_CACHE_ENV = "MICROEXPR_CACHE"
LOG = logging.getLogger("microexpr.solve")


def cache_folder(platform: Optional[str] = None,
                 environ: Optional[Mapping[str, str]] = None) -> Tuple[str, str]:
    """The numba cache folder, and what chose it: ``NUMBA_CACHE_DIR``, ``MICROEXPR_CACHE``
    (its ``numba`` subfolder) or the per-user default: Linux ``$XDG_CACHE_HOME/microexpr/numba``
    (``~/.cache/...``), macOS ``~/Library/Caches/microexpr/numba``, Windows
    ``%LOCALAPPDATA%\\microexpr\\Cache\\numba``."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if env.get(CACHE_ENV):
        return env[CACHE_ENV], CACHE_ENV
    if env.get(MICROEXPR_CACHE_ENV):
        return os.path.join(env[MICROEXPR_CACHE_ENV], "numba"), MICROEXPR_CACHE_ENV
    home = env.get("USERPROFILE" if platform.startswith("win") else "HOME") or os.path.expanduser("~")
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or os.path.join(home, "AppData", "Local")
        return os.path.join(base, "microexpr", "Cache", "numba"), "per-user default"
    if platform == "darwin":
        return os.path.join(home, "Library", "Caches", "microexpr", "numba"), "per-user default"
    base = env.get("XDG_CACHE_HOME") or os.path.join(home, ".cache")
    return os.path.join(base, "microexpr", "numba"), "per-user default"


def unwritable(folder: str) -> Optional[str]:
    """Why ``folder`` cannot hold the cache (created if missing), or None when it can: the
    test numba itself makes before it uses a cache folder."""
    try:
        os.makedirs(folder, exist_ok=True)
        tempfile.TemporaryFile(dir=folder).close()
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


class _Kernel:
    """One solver loop: where it is defined and what runs it now."""

    def __init__(self, func: Callable[..., Any], parallel: bool, plain: Callable[..., Any]) -> None:
        self.space: Dict[str, Any] = func.__globals__     # the defining module's globals
        self.module: str = func.__module__
        self.name: str = func.__name__
        self.func = func
        self.parallel = parallel
        self.plain = plain                 # what runs without numba
        self.compiled: Any = None          # numba's dispatcher, a _Deferred, or ``plain``
        self.aot: Any = None               # the ahead-of-time module's function, if any
        self.spec: List[list] = []         # its argument types (solve.aot.matches)
        self.before: List[Any] = []        # what ``compiled`` was (kept: ids stay unique)
        self.called = False                # run from Python (not only inside other loops)


class _Deferred:
    """Stands for a loop while numba is not imported (the ahead-of-time module runs the
    others); calling it imports numba and compiles every loop (``_numba_now``)."""

    def __init__(self, k: _Kernel) -> None:
        self.kernel = k
        self.__name__ = k.name

    def __call__(self, *args: Any) -> Any:
        return run(self, *args)


class _State:
    numba: Any = None              # the numba module while the loops are compiled
    folder: Optional[str] = None   # the cache folder in use; None: compiled in memory
    source = ""                    # what chose the folder (see cache_folder)
    plain: Optional[str] = None    # why the loops run as plain Python (None: compiled)
    missing = False                # numba is not installed
    notes: List[str] = []          # warnings not printed yet
    kernels: List[_Kernel] = []
    by_id: Dict[int, _Kernel] = {}  # id(what a module's name is bound to) -> its loop
    aot: Any = None                # the ahead-of-time module (solve.aot), or None
    aot_specs: Dict[str, List[list]] = {}
    deferred = False               # numba not imported yet: the module covers the loops


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return "%s: %s" % (type(exc).__name__, text[0] if text else "")


def _rebind(k: _Kernel, new: Any) -> None:
    """Point every name bound to loop ``k`` in the loops' modules (its own, and those that
    import it to call it from their loops, e.g. ``refine``'s ``box_qp``), and jit's index,
    at ``new``."""
    old = k.compiled
    spaces = {id(other.space): other.space for other in _State.kernels}
    for space in spaces.values():
        for name, value in list(space.items()):
            if value is old:
                space[name] = new
    k.before.append(old)        # the old object stays indexed: another module may hold it
    k.compiled = new
    _State.by_id[id(new)] = k


def _plain_because(why: str) -> None:
    """Switch every loop to plain Python (rebinding the names in the modules that hold them)."""
    _State.plain = why
    _State.deferred = False
    _State.notes.append("microexpr: the solver runs uncompiled, as plain Python (slower): "
                        + why)
    for k in _State.kernels:
        _rebind(k, k.plain)


def _load_aot(folder: str) -> None:
    """Use the ahead-of-time module built for this source under ``folder``, if there is one."""
    if os.environ.get(AOT_ENV, "1").strip() == "0":
        return
    from microexpr.solve import aot

    module, specs, why = aot.load(folder)
    if why:
        _State.notes.append("microexpr: the solver's ahead-of-time module %s cannot be loaded; "
                            "numba runs the loops (python -m microexpr.solve.warm builds it "
                            "again)" % why)
    if module is not None:
        _State.aot, _State.aot_specs = module, specs


def _start() -> None:
    """Pick the cache folder, then import numba (once, when this module is imported)."""
    if os.environ.get("NUMBA_DISABLE_JIT", "0").strip() not in ("", "0"):
        _plain_because("NUMBA_DISABLE_JIT is set")
        return
    try:
        missing = importlib.util.find_spec("numba") is None
    except (ImportError, ValueError):
        missing = True
    if missing:
        _State.missing = True
        _plain_because("numba is not installed (pip install numba)")
        return
    folder, source = cache_folder()
    why = unwritable(folder)
    if why:
        _State.notes.append("microexpr: the numba cache folder %s (%s) cannot be written (%s): "
                            "the solver is compiled again in every process; set %s to a "
                            "writable folder" % (folder, source, why, CACHE_ENV))
    else:
        _State.folder, _State.source = folder, source
        os.environ.setdefault(CACHE_ENV, folder)
        _load_aot(folder)
        if _State.aot is not None:
            _State.deferred = True          # numba only for a loop the module lacks
            return
    _import_numba()


def _import_numba() -> None:
    """Import numba for the loops (at start, or when a loop the module lacks is called)."""
    try:
        import numba as imported
    except Exception as exc:    # a broken install: llvmlite's library, a numpy mismatch
        _plain_because("numba could not be imported (%s)" % _one_line(exc))
        return
    numba: Any = imported
    if numba.config.DISABLE_JIT:
        _plain_because("NUMBA_DISABLE_JIT is set")
        return
    if _State.folder and not numba.config.CACHE_DIR:     # numba was imported before us
        numba.config.CACHE_DIR = _State.folder
    _State.numba = numba


_start()
#: ``prange`` for the loops: numba's parallel range, or ``range``.
prange: Any = _State.numba.prange if _State.numba is not None else range


def kernel(parallel: bool = False,
           plain: Optional[Callable[..., Any]] = None) -> Callable[[Callable[..., Any]], Any]:
    """Decorate a solver loop: compiled by numba (cached when the folder is writable), or, in
    plain mode, ``plain`` (default: the loop itself, run by Python)."""

    def wrap(func: Callable[..., Any]) -> Any:
        from microexpr.solve.aot import export_name

        k = _Kernel(func, parallel, plain or func)
        name = export_name(k.module, k.name)
        if _State.aot is not None and name in _State.aot_specs:
            k.aot, k.spec = getattr(_State.aot, name), _State.aot_specs[name]
        _State.kernels.append(k)
        if _State.plain is not None:
            k.compiled = k.plain
        elif _State.deferred:
            k.compiled = _Deferred(k)
        else:
            try:
                k.compiled = _State.numba.njit(cache=_State.folder is not None,
                                               parallel=parallel)(func)
            except Exception as exc:
                k.compiled = k.plain
                _State.by_id[id(k.compiled)] = k
                _plain_because("numba could not set up %s (%s)" % (func.__name__, _one_line(exc)))
                return k.plain
        _State.by_id[id(k.compiled)] = k
        return k.compiled

    return wrap


def _numba_now() -> None:
    """Import numba and compile every loop (a loop the ahead-of-time module lacks is called)."""
    _State.deferred = False
    _import_numba()
    if _State.plain is not None:
        for k in _State.kernels:
            _rebind(k, k.plain)
        return
    global prange
    prange = _State.numba.prange
    for k in _State.kernels:
        if k.space.get("prange") is range:
            k.space["prange"] = prange
    for k in _State.kernels:
        try:
            _rebind(k, _State.numba.njit(cache=_State.folder is not None,
                                         parallel=k.parallel)(k.func))
        except Exception as exc:
            _plain_because("numba could not set up %s (%s)" % (k.name, _one_line(exc)))
            return


def _announce() -> None:
    while _State.notes:
        LOG.warning(_State.notes.pop(0))


def run(loop: Any, *args: Any) -> Any:
    """Call a solver loop from Python: the ahead-of-time module's when it has the loop and the
    arguments are its types, else numba's. A loop numba fails to compile (or to load from the
    cache) switches every loop to plain Python, and this call runs again that way: the
    arguments are untouched, since numba compiles before it runs."""
    _announce()
    k = loop.kernel if isinstance(loop, _Deferred) else _State.by_id.get(id(loop))
    if k is not None:
        k.called = True
    if k is not None and k.aot is not None:
        from microexpr.solve.aot import matches

        if matches(args, k.spec):
            return k.aot(*args)
    if k is not None:
        if isinstance(k.compiled, _Deferred):
            _numba_now()
            _announce()
        loop = k.compiled             # what runs it now (``loop`` may be a stale name)
    if _State.plain is None:
        try:
            return loop(*args)
        except Exception as exc:
            name = getattr(loop, "__name__", "a solver loop")
            _plain_because("numba could not compile %s (%s)" % (name, _one_line(exc)))
            _announce()
    if k is not None:
        return k.plain(*args)
    for other in _State.kernels:
        if other.compiled is loop:
            return other.plain(*args)
    return loop(*args)


def compiled() -> bool:
    """Whether the loops are compiled by numba (so far: a later compile may still fail)."""
    return _State.plain is None


def status() -> str:
    """One line: how the loops run and where their cache lives."""
    built = ""
    if _State.aot is not None:
        built = "; %d loop(s) ahead of time (%s)" % (len(_State.aot_specs),
                                                     os.path.dirname(_State.aot.__file__))
    if _State.plain is not None:
        return "plain Python: " + _State.plain + built
    where = ("cache %s (from %s)" % (_State.folder, _State.source) if _State.folder
             else "no disk cache (the folder cannot be written)")
    if _State.deferred:
        return "numba (not imported: no loop has needed it), %s%s" % (where, built)
    return "numba %s, %s%s" % (_State.numba.__version__, where, built)


def ahead_of_time() -> bool:
    """Whether the ahead-of-time module (``solve.aot``) is loaded."""
    return _State.aot is not None


def numba_missing() -> bool:
    """Whether numba is not installed (rather than disabled or failing)."""
    return _State.missing


def cache_dir() -> Optional[str]:
    """The folder the compiled loops are cached in; None when they are not compiled or not
    cached (the folder cannot be written)."""
    return _State.folder if _State.plain is None else None


def loops() -> List[Any]:
    """The compiled loops (numba dispatchers), for the warm-up's report."""
    return [k.compiled for k in _State.kernels if hasattr(k.compiled, "stats")]


def kernels() -> List[_Kernel]:
    """Every loop's record (``solve.aot.build`` compiles them)."""
    return list(_State.kernels)
