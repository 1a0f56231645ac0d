"""Atomic file writes: write beside the target, fsync, then rename over it.

An interrupted write leaves the previous file intact; a failed write leaves no partial file.

Inside a :func:`transaction` block the renames wait for the end of the block: several files
(``export --fbx A --glb B``, a clip and its report) are replaced together when the block
finishes, and none is replaced when it fails or is interrupted. Writes in an
:func:`immediate` block (diagnostics meant for a failed run) happen at once.
"""
from __future__ import annotations

import contextlib
import os
import signal
import tempfile
import threading
from typing import IO, Any, Dict, Iterator, List, Optional, Union

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
        if _ACTIVE is not None:
            _ACTIVE.stage(path, tmp)
        else:
            os.replace(tmp, path)
            if _BYPASSED is not None:
                _BYPASSED.immediate.append(path)
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
    replaces none of the targets. Inside a :func:`transaction` the renames wait for its end."""
    with transaction():
        for path, data in contents.items():
            write_bytes(path, data)


class Transaction:
    """The files a :func:`transaction` block wrote: ``staged`` (target -> temporary, not yet
    renamed), ``replaced`` (renamed into place) and ``immediate`` (written at once, in an
    :func:`immediate` block)."""

    def __init__(self) -> None:
        self.staged: Dict[str, str] = {}
        self.replaced: List[str] = []
        self.immediate: List[str] = []

    def stage(self, path: str, tmp: str) -> None:
        old = self.staged.pop(path, None)
        if old is not None:                 # the same file written twice: the last one counts
            with contextlib.suppress(OSError):
                os.unlink(old)
        self.staged[path] = tmp

    def written(self) -> List[str]:
        """Every file this block put in place, in order."""
        return self.immediate + self.replaced

    def commit(self) -> None:
        """Rename every temporary over its target (interrupts wait until all are done)."""
        try:
            with _signals_held():
                while self.staged:
                    path = next(iter(self.staged))
                    os.replace(self.staged[path], path)
                    del self.staged[path]
                    self.replaced.append(path)
        finally:
            self.discard()

    def discard(self) -> None:
        """Delete the temporaries that were not renamed."""
        for tmp in self.staged.values():
            with contextlib.suppress(OSError):
                os.unlink(tmp)
        self.staged.clear()


_ACTIVE: Optional[Transaction] = None
_BYPASSED: Optional[Transaction] = None


@contextlib.contextmanager
def transaction() -> Iterator[Transaction]:
    """Stage every atomic write in the block; rename them all when it ends without an error,
    none when it raises (or is interrupted). A nested block joins the outer one."""
    global _ACTIVE
    if _ACTIVE is not None:
        yield _ACTIVE
        return
    txn = _ACTIVE = Transaction()
    try:
        yield txn
    except BaseException:
        _ACTIVE = None
        txn.discard()
        raise
    _ACTIVE = None
    txn.commit()


@contextlib.contextmanager
def immediate() -> Iterator[None]:
    """Write at once inside a transaction: for diagnostics documented as written even when
    the command fails (the transaction lists them in ``immediate``)."""
    global _ACTIVE, _BYPASSED
    outer, bypassed = _ACTIVE, _BYPASSED
    _ACTIVE, _BYPASSED = None, outer
    try:
        yield
    finally:
        _ACTIVE, _BYPASSED = outer, bypassed


@contextlib.contextmanager
def _signals_held() -> Iterator[None]:
    """Hold Ctrl-C and SIGTERM for the few renames of a commit: a signal that arrives meanwhile
    is handled, as it would have been, right after them (main thread only; Python runs signal
    handlers there whichever thread the signal reached)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    caught: List[int] = []
    old: Dict[int, Any] = {}
    for sig in (signal.SIGINT, getattr(signal, "SIGTERM", None)):
        if sig is not None:
            with contextlib.suppress(ValueError, OSError):
                old[sig] = signal.signal(sig, lambda signum, frame: caught.append(signum))
    try:
        yield
    finally:
        for sig, handler in old.items():
            signal.signal(sig, handler)
        for sig in caught:
            handler = old.get(sig)
            if callable(handler):
                handler(sig, None)
            elif handler == signal.SIG_DFL:
                os.kill(os.getpid(), sig)
