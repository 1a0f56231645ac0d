"""Regenerate the golden vectors of the Unity runtime (inputs and the Python core's outputs).

Run from the repository root: ``python tools/make_golden.py`` (writes ``shared/golden/``).
The cases are described in ``tools/unity_golden.py``; the test suite checks both the
Python core and the C# runtime against the committed files.
"""
from __future__ import annotations

import argparse
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
GOLDEN = os.path.join(ROOT, "shared", "golden")
sys.path[:0] = [os.path.join(ROOT, "shared"), HERE]

from unity_golden import write_all  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=GOLDEN, help="folder to write (default: shared/golden)")
    args = ap.parse_args()
    paths = write_all(args.out)
    total = sum(os.path.getsize(p) for p in paths)
    for p in paths:
        print("wrote %s (%d bytes)" % (os.path.relpath(p), os.path.getsize(p)))
    print("%d files, %.0f KB" % (len(paths), total / 1024))
    return 0


if __name__ == "__main__":
    sys.exit(main())
