"""JSON Schemas of the bridge files, generated from the pydantic models.

``python -m microexpr.bridge.schema`` rewrites ``shared/schema/*.schema.json``; a test fails
when the checked-in files differ from what the models generate.
"""
from __future__ import annotations

import json
import os
import sys
from typing import Dict

from microexpr.bridge.models import FORMAT_VERSION, Clip, Rig

SCHEMA_DIR = os.path.join(os.path.dirname(__file__), "..", "..", "schema")


def schemas() -> Dict[str, str]:
    out = {}
    for kind, model in (("rig", Rig), ("clip", Clip)):
        s = model.model_json_schema()
        s["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        s["$id"] = "https://microexpr.invalid/schema/microexpr-%s-v%d.schema.json" % (kind, FORMAT_VERSION)
        out["microexpr-%s.schema.json" % kind] = json.dumps(s, indent=2, sort_keys=True) + "\n"
    return out


def main() -> int:
    from microexpr.atomicio import write_text

    folder = os.path.abspath(SCHEMA_DIR)
    for name, text in schemas().items():
        write_text(os.path.join(folder, name), text)
        print("wrote", os.path.join(folder, name))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
