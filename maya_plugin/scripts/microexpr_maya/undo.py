"""One undo chunk per command, and "on failure the scene is as before".

:func:`command_chunk` opens ``undoInfo(openChunk=True, chunkName=...)`` and always closes it
(in ``finally``).  If the body raises, the outermost chunk is undone right away, so a
failing or cancelled command leaves nothing behind, and the error is re-raised as a
:class:`~microexpr.errors.MicroExprError` naming the command.  Undo is switched on for the
duration when it was off (without flushing the queue), since the rollback needs it.

Whether the chunk reached the undo queue is read from the queue's top entry, not from its
length: a finite queue that is full (``undoInfo(infinity=False, length=N)``) drops its
oldest entry for each new one, so its length does not grow.  Each chunk gets a unique name,
and a chunk is recorded when ``undoInfo(query=True, undoName=True)`` names it, or when the
top entry changed at all (if Maya reported another name for the chunk).  A chunk that
recorded nothing leaves the queue as it was and is not undone, so an earlier step of the
user's is never undone by mistake.  Limits: with a zero-length queue Maya records nothing,
and inside a chunk someone else opened ours is not a queue entry of its own; in both cases
there is nothing to roll back and the scene keeps the partial change.
"""
from __future__ import annotations

from contextlib import contextmanager
from typing import Iterator, List, Tuple

from microexpr.errors import MicroExprError

from ._maya import cmds

_DEPTH: List[int] = [0]
_COUNT: List[int] = [0]


def _queue_top() -> Tuple[int, str]:
    """(number of entries on the undo queue, name of the entry undo would undo)."""
    # undoInfo queried with no other flag returns the number of items on the undo queue
    size = int(cmds.undoInfo(query=True) or 0)
    return size, str(cmds.undoInfo(query=True, undoName=True) or "")


def _recorded(chunk: str, before: Tuple[int, str]) -> bool:
    """Did the chunk just closed reach the undo queue?"""
    size, top = _queue_top()
    return top == chunk or top != before[1] or size > before[0]


@contextmanager
def command_chunk(name: str) -> Iterator[None]:
    """Group everything in the block into one undo step named ``name``."""
    outermost = _DEPTH[0] == 0
    was_on = bool(cmds.undoInfo(query=True, state=True))
    if outermost and not was_on:
        cmds.undoInfo(stateWithoutFlush=True)
    before = _queue_top() if outermost else (0, "")
    _COUNT[0] += 1
    # unique, so the rollback below can never mistake an earlier run's chunk for this one
    chunk = "%s [%d]" % (name, _COUNT[0])
    cmds.undoInfo(openChunk=True, chunkName=chunk)
    _DEPTH[0] += 1
    closed = False
    try:
        yield
    except BaseException as exc:
        _DEPTH[0] -= 1
        cmds.undoInfo(closeChunk=True)
        closed = True
        if not outermost:
            raise
        try:
            if _recorded(chunk, before):
                cmds.undo()
        finally:
            if not was_on:
                cmds.undoInfo(stateWithoutFlush=False)
        if isinstance(exc, MicroExprError):
            raise
        if not isinstance(exc, Exception):
            raise
        raise MicroExprError("%s failed (%s: %s); the scene was restored"
                             % (name, type(exc).__name__, exc),
                             fix="see the Script Editor for details") from exc
    finally:
        if not closed:
            _DEPTH[0] -= 1
            cmds.undoInfo(closeChunk=True)
            if outermost and not was_on:
                cmds.undoInfo(stateWithoutFlush=False)
