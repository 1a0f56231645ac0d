#!/usr/bin/env bash
# The whole test suite; called by .ci/bootstrap.sh test after set-up.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
status=0
echo "== Python 3.9 compatibility of the core and the Maya layer (vermin)"
vermin -q --no-tips --violations -t=3.9- --backport typing --backport dataclasses --eval-annotations shared/microexpr maya_plugin install_maya_module.py || status=1
echo "== ruff (py39 target; errors and import order)"
ruff check --quiet --target-version py39 shared/microexpr maya_plugin install_maya_module.py tests tools benchmarks shelf_icons || status=1
echo "== mypy: the core, with the pydantic plugin"
(cd shared && mypy --config-file ../.ci/mypy-core.ini -p microexpr) || status=1
echo "== mypy: maya_plugin against maya-stubs"
if [ -d maya_plugin/scripts/microexpr_maya ]; then
  mypy --config-file .ci/mypy.ini || status=1
fi
echo "== pytest"
# One worker per core (pytest-xdist): about 11 minutes on 2 cores, 20-26 in one process.
python -m pytest -q -p no:cacheprovider -n auto --durations=30 "$@"
rc=$?
if [ $rc -eq 5 ]; then echo "pytest collected no tests: failing"; status=1; elif [ $rc -ne 0 ]; then status=1; fi
exit $status
