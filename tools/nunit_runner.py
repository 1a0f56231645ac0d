"""Run the package's NUnit tests outside Unity: Debian's ``nunit-console`` (NUnit 2.6) on Mono."""
from __future__ import annotations

import os
import subprocess
import tempfile
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from typing import Dict, List, Optional

from microexpr.errors import MicroExprError


@dataclass
class NUnitResult:
    returncode: int
    total: int
    failures: int
    errors: int
    ignored: int
    not_run: int
    failed: List[str] = field(default_factory=list)
    output: str = ""

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and self.failures == 0 and self.errors == 0 and self.total > 0


def run_nunit(dll: str, env: Optional[Dict[str, str]] = None, timeout: float = 600,
              exclude: Optional[str] = None) -> NUnitResult:
    """Run every test in ``dll`` (but those of the NUnit category ``exclude``); the XML
    report gives the counts and the failed tests."""
    with tempfile.TemporaryDirectory(prefix="nunit-") as tmp:
        xml_path = os.path.join(tmp, "TestResult.xml")
        full_env = dict(os.environ)
        full_env.update(env or {})
        try:
            cmd = ["nunit-console", "-nologo", "-noshadow", dll, "-xml=" + xml_path]
            if exclude:
                cmd.append("-exclude:" + exclude)
            res = subprocess.run(cmd,
                                 capture_output=True, text=True, env=full_env, cwd=tmp, timeout=timeout)
        except OSError as exc:
            raise MicroExprError("cannot run nunit-console (%s)" % exc,
                                 fix="apt-get install nunit-console libnunit-cil-dev") from None
        out = res.stdout + res.stderr
        if not os.path.exists(xml_path):
            return NUnitResult(res.returncode or 1, 0, 0, 1, 0, 0, ["(no result file)"], out)
        root = ET.parse(xml_path).getroot()
        a = root.attrib

        def count(key: str) -> int:
            return int(a.get(key, "0") or 0)

        failed = [c.attrib.get("name", "?") for c in root.iter("test-case")
                  if c.attrib.get("success") == "False" and c.attrib.get("executed") == "True"]
        return NUnitResult(res.returncode, count("total"), count("failures"), count("errors"),
                           count("ignored"), count("not-run"), failed, out)
