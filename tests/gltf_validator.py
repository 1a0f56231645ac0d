"""Drive the Khronos glTF-Validator (npm package ``gltf-validator``) from the tests.

Lookup order: ``<repo>/.venv/node`` (where CI installs it), then ``/tmp/gltfv``; if neither
holds it and npm is available, it is installed into ``<repo>/.venv/node``. Set
``MICROEXPR_NO_NPM=1`` to forbid the install (tests then skip).

    report = validate("face.glb")
    assert not errors(report), format_issues(errors(report))
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from typing import List, Optional

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PREFIXES = [os.path.join(REPO, ".venv", "node"), "/tmp/gltfv"]
PACKAGE = "gltf-validator"

# Reads the asset named in argv[2], validates it with the package in argv[1], prints JSON.
_SCRIPT = r"""
const fs = require('fs');
const path = require('path');
const validator = require(process.argv[1]);
const file = process.argv[2];
const data = new Uint8Array(fs.readFileSync(file));
validator.validateBytes(data, {
  uri: path.basename(file),
  maxIssues: 0,
  writeTimestamp: false,
  externalResourceFunction: (uri) => new Promise((resolve, reject) => {
    fs.readFile(path.resolve(path.dirname(file), decodeURIComponent(uri)),
                (err, buf) => err ? reject(err.toString()) : resolve(new Uint8Array(buf)));
  }),
}).then((report) => {
  process.stdout.write(JSON.stringify(report));
}, (err) => {
  process.stderr.write(String(err));
  process.exit(2);
});
"""


def _package_dir(prefix: str) -> str:
    return os.path.join(prefix, "node_modules", PACKAGE)


def find_validator(install: bool = True) -> Optional[str]:
    """The installed package folder, installing it into ``<repo>/.venv/node`` if allowed."""
    if shutil.which("node") is None:
        return None
    for prefix in PREFIXES:
        if os.path.isfile(os.path.join(_package_dir(prefix), "package.json")):
            return _package_dir(prefix)
    npm = shutil.which("npm")
    if not install or npm is None or os.environ.get("MICROEXPR_NO_NPM"):
        return None
    os.makedirs(PREFIXES[0], exist_ok=True)
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", PREFIXES[0], PACKAGE],
                          capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0 or not os.path.isdir(_package_dir(PREFIXES[0])):
        return None
    return _package_dir(PREFIXES[0])


def validate(path: str, package: Optional[str] = None, timeout: float = 120.0) -> dict:
    """The validator's JSON report for one ``.glb``/``.gltf`` file."""
    package = package or find_validator()
    if package is None:
        raise RuntimeError("gltf-validator is not available (need node and npm)")
    done = subprocess.run(["node", "-e", _SCRIPT, package, os.path.abspath(path)],
                          capture_output=True, text=True, timeout=timeout, check=False)
    if done.returncode != 0:
        raise RuntimeError("gltf-validator failed on %s: %s" % (path, done.stderr.strip()))
    return json.loads(done.stdout)


def _issues(report: dict, severity: int) -> List[dict]:
    return [m for m in report.get("issues", {}).get("messages", []) if m.get("severity") == severity]


def errors(report: dict) -> List[dict]:
    return _issues(report, 0)


def warnings(report: dict) -> List[dict]:
    return _issues(report, 1)


def infos(report: dict) -> List[dict]:
    return _issues(report, 2) + _issues(report, 3)


def format_issues(messages: List[dict]) -> str:
    return "\n".join("%s %s: %s" % (m.get("code"), m.get("pointer", ""), m.get("message"))
                     for m in messages) or "(none)"
