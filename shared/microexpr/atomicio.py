"""Atomic file writes: write beside the target, fsync, then rename over it.

An interrupted write leaves the previous file intact; a failed write leaves no partial file.
"""
from __future__ import annotations

import contextlib
import os
import tempfile
from typing import IO, Any, Dict, Iterator, List, Tuple, Union

PathLike = Union[str, "os.PathLike[str]"]


@contextlib.contextmanager
def atomic_open(path: PathLike, mode: str = "w", encoding: str = "utf-8") -> Iterator[IO]:
    """Open a temporary file next to ``path``; on success it replaces ``path`` in one rename."""
    if mode not in ("w", "wb"):
        raise ValueError("atomic_open writes only ('w' or 'wb')")
    path = os.fspath(path)
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp", dir=folder)
    try:
        os.chmod(tmp, _mode_for(path))
        f: IO[Any]
        if mode == "wb":
            f = os.fdopen(fd, "wb")
        else:
            f = os.fdopen(fd, "w", encoding=encoding, newline="\n")
        with f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _mode_for(path: str) -> int:
    """Keep an existing file's permissions; new files get the usual umask-based mode."""
    try:
        return os.stat(path).st_mode & 0o777
    except OSError:
        umask = os.umask(0)
        os.umask(umask)
        return 0o666 & ~umask


def write_bytes(path: PathLike, data: bytes) -> None:
    with atomic_open(path, "wb") as f:
        f.write(data)


def write_text(path: PathLike, text: str) -> None:
    with atomic_open(path, "w") as f:
        f.write(text)


def write_files(contents: Dict[str, bytes]) -> None:
    """Write several files as one: each goes to a temporary beside its target, and the renames
    start only when every temporary is complete, so a failure or an interrupt while writing
    replaces none of the targets (only the renames themselves, microseconds, are not one step)."""
    temps: List[Tuple[str, str]] = []
    try:
        for path, data in contents.items():
            path = os.fspath(path)
            folder = os.path.dirname(os.path.abspath(path))
            os.makedirs(folder, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix="." + os.path.basename(path) + ".", suffix=".tmp",
                                       dir=folder)
            temps.append((tmp, path))
            os.chmod(tmp, _mode_for(path))
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
        for tmp, path in temps:
            os.replace(tmp, path)
    except BaseException:
        for tmp, _ in temps:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        raise
