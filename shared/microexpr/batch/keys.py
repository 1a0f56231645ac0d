"""Content keys: a job is the same job when its input, rig, performer and settings are.

The key hashes the bytes of the input (every file of an image folder, with its name), the
rig's fingerprint (the bytes of the rig file and of its ``.bin`` payload beside it), the
performer file and the job's settings and outputs. The take's name and the machine are not
in it, so a batch moved to other folders or workers still skips what is done.
"""
from __future__ import annotations

import hashlib
import json
import os
from typing import Dict, Optional

from microexpr.batch.manifest import Job
from microexpr.errors import MicroExprError

CHUNK = 1 << 20


def _feed(h, path: str) -> None:
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            h.update(block)


def file_digest(path: str) -> str:
    """SHA-256 of a file, or of a folder's visible files (names and bytes, sorted)."""
    h = hashlib.sha256()
    try:
        if os.path.isdir(path):
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                for name in sorted(f for f in files if not f.startswith(".")):
                    full = os.path.join(root, name)
                    h.update(os.path.relpath(full, path).replace(os.sep, "/").encode() + b"\0")
                    _feed(h, full)
        else:
            _feed(h, path)
    except OSError as exc:
        raise MicroExprError("cannot read it (%s)" % (exc.strerror or exc), file=path,
                             fix="check the path and that this machine can read it") from None
    return h.hexdigest()


def rig_fingerprint(path: str) -> str:
    """SHA-256 of the rig file and its payload (``NAME.bin`` beside a microexpr-bin rig)."""
    h = hashlib.sha256(file_digest(path).encode())
    payload = os.path.splitext(path)[0] + ".bin"
    if os.path.isfile(payload):
        h.update(file_digest(payload).encode())
    return h.hexdigest()


def job_key(job: Job, cache: Optional[Dict[str, str]] = None) -> str:
    """The job's content key (hex). ``cache`` holds rig fingerprints across jobs."""
    cache = {} if cache is None else cache
    rig = None
    if job.rig:
        if job.rig not in cache:
            cache[job.rig] = rig_fingerprint(job.rig)
        rig = cache[job.rig]
    doc = {"kind": job.kind, "input": file_digest(job.input), "rig": rig,
           "performer": file_digest(job.performer) if job.performer else None,
           "settings": job.settings, "outputs": sorted(job.outputs)}
    text = json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()
