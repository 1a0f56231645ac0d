"""``mayapy`` emulation for tests (NOT Maya): ``python tests/maya_standin/mayapy.py ARGS``.

Behaves like a fresh ``mayapy`` as far as MicroExpr's batch entry points care:

* ``maya`` resolves to the stand-in; ``maya.cmds`` has no commands until
  ``maya.standalone.initialize()`` runs, and only that call reads the Maya modules
  (:mod:`.standalone`), so a module's ``PYTHONPATH`` is not on ``sys.path`` before it;
* ``ARGS`` are read as Python reads them: ``-m MODULE ...`` runs a module as ``__main__``
  with the current folder first on ``sys.path``; ``-c CODE ...`` runs code; ``SCRIPT ...``
  runs a file with its folder first on ``sys.path``.  A module that cannot be found ends the
  process with exit code 1 and "No module named ..." on stderr, as Python does.

Start it with a clean ``PYTHONPATH`` (the tests remove it) so that nothing but the stand-in
and the Python packages installed for this interpreter is importable.
"""
from __future__ import annotations

import importlib.util
import os
import runpy
import sys
from typing import List

HERE = os.path.dirname(os.path.abspath(__file__))


def _load_standin() -> None:
    spec = importlib.util.spec_from_file_location(
        "maya_standin", os.path.join(HERE, "__init__.py"), submodule_search_locations=[HERE])
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["maya_standin"] = module
    spec.loader.exec_module(module)
    module.install()
    sys.modules["maya_standin.standalone"].STATE["strict"] = True


def main(argv: List[str]) -> None:
    if sys.path and os.path.abspath(sys.path[0] or os.curdir) == HERE:
        del sys.path[0]  # this script's folder is not on a real mayapy's path
    _load_standin()
    if not argv:
        sys.exit("usage: mayapy.py (-m MODULE | -c CODE | SCRIPT) [ARGS...]")
    if argv[0] == "-m" and len(argv) > 1:
        sys.argv = [argv[1]] + argv[2:]
        sys.path.insert(0, os.getcwd())
        try:
            spec = importlib.util.find_spec(argv[1])
        except ImportError:
            spec = None
        if spec is None:
            print("mayapy: Error while finding module specification for %r "
                  "(ModuleNotFoundError: No module named %r)" % (argv[1], argv[1].split(".")[0]),
                  file=sys.stderr)
            sys.exit(1)
        runpy.run_module(argv[1], run_name="__main__", alter_sys=True)
    elif argv[0] == "-c" and len(argv) > 1:
        sys.argv = ["-c"] + argv[2:]
        sys.path.insert(0, "")
        exec(compile(argv[1], "<string>", "exec"), {"__name__": "__main__"})
    else:
        script = os.path.abspath(argv[0])
        sys.argv = [argv[0]] + argv[1:]
        sys.path.insert(0, os.path.dirname(script))
        runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main(sys.argv[1:])
