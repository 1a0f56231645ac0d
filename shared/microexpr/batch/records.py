"""Where a take's files go, and the records that say it is done or failed.

Each take has a folder ``DIR/<name>/`` with its outputs and, written last and atomically,
``done.json``: the content key, the output files with their SHA-256, the frame count and the
review checks. Nothing in it depends on when or where the job ran, so a job that runs twice
(a worker died after finishing it) writes the same record. A job that failed twice gets a
``failed.json`` with its error instead, written by the batch itself.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
from typing import Any, Dict, Optional

from microexpr.atomicio import write_text

DONE = "done.json"
FAILED = "failed.json"
#: prefix of the folder a mayapy job stages its files in
STAGING = ".staging-"


def take_dir(out_dir: str, name: str) -> str:
    return os.path.join(out_dir, name)


def sha256_file(path: str) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def _read(path: str) -> Optional[Dict[str, Any]]:
    try:
        with open(path, encoding="utf-8") as f:
            doc = json.load(f)
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def read_done(folder: str) -> Optional[Dict[str, Any]]:
    return _read(os.path.join(folder, DONE))


def read_failed(folder: str) -> Optional[Dict[str, Any]]:
    return _read(os.path.join(folder, FAILED))


def done_record(folder: str, key: str) -> Optional[Dict[str, Any]]:
    """The take's done-record when it is for ``key`` and every output it lists is there."""
    rec = read_done(folder)
    if not rec or rec.get("key") != key:
        return None
    outputs = rec.get("outputs") or {}
    if not all(os.path.isfile(os.path.join(folder, o["file"])) for o in outputs.values()):
        return None
    return rec


def write_done(folder: str, record: Dict[str, Any]) -> None:
    """Write the done-record (last, after every output); drops an old failed-record."""
    write_text(os.path.join(folder, DONE), json.dumps(record, indent=1, sort_keys=True) + "\n")
    with contextlib.suppress(FileNotFoundError):
        os.unlink(os.path.join(folder, FAILED))


def write_failed(folder: str, record: Dict[str, Any]) -> None:
    write_text(os.path.join(folder, FAILED), json.dumps(record, indent=1, sort_keys=True) + "\n")


def forget_other_key(folder: str, key: str) -> None:
    """Before a job writes: remove a done-record made for other content (settings or input
    changed), so a crash midway cannot leave the old record standing over new files."""
    rec = read_done(folder)
    if rec is not None and rec.get("key") != key:
        os.unlink(os.path.join(folder, DONE))


def clear_leftovers(folder: str) -> int:
    """Remove temporary files (``.NAME.*.tmp``) and staging folders a killed job left in its
    take folder; returns how many. Call it only while no job of that take runs."""
    n = 0
    try:
        names = os.listdir(folder)
    except FileNotFoundError:
        return 0
    for name in names:
        path = os.path.join(folder, name)
        if name.startswith(".") and name.endswith(".tmp") and os.path.isfile(path):
            with contextlib.suppress(FileNotFoundError):
                os.unlink(path)
            n += 1
        elif name.startswith(STAGING) and os.path.isdir(path):
            shutil.rmtree(path, ignore_errors=True)
            n += 1
    return n


def output_entry(folder: str, file: str) -> Dict[str, Any]:
    """``{"file": name, "sha256": ..., "bytes": ...}`` of a written output."""
    path = os.path.join(folder, file)
    return {"file": file, "sha256": sha256_file(path), "bytes": os.path.getsize(path)}
