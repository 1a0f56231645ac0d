"""Where jobs run: a local process pool (default) or a Dask distributed cluster.

Both engines take ``submit(tag, fn, *args)`` and hand back ``(tag, value, error)`` from
``poll(timeout)`` as jobs finish; they never schedule on their own beyond that.

- :class:`LocalEngine`: ``concurrent.futures.ProcessPoolExecutor`` (forked from a fork
  server that imported the solver once; spawned where there is none). One
  dead process breaks the whole pool: the engine makes a new pool and runs the jobs that
  were in flight again (at the back of the queue). A job in flight during three breaks is
  reported as failed, so a job that kills its process cannot loop forever.
- :class:`DaskEngine`: ``distributed.Client`` on a scheduler address (or a given client).
  Dask itself re-runs the tasks of a lost worker; a task whose workers died three times
  comes back as ``KilledWorker`` and is reported as failed.
"""
from __future__ import annotations

import multiprocessing
import os
import platform
import time
from collections import deque
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple

from microexpr.errors import MicroExprError

#: breaks of the local pool a job may be in flight for before it is reported as failed
MAX_LOST = 3
Done = Tuple[Any, Any, Optional[BaseException]]


class WorkerLost(RuntimeError):
    """The process running a job died (killed, out of memory, a crash in native code)."""


#: modules the local pool's processes import before their first job (forkserver only)
PRELOAD = ["microexpr.batch.jobs", "microexpr.bridge.io", "microexpr.solve.tracks_to_clip",
           "microexpr.review.report", "microexpr.rig.convert"]


#: environment variables that size the numerical libraries' thread pools (OpenMP, OpenBLAS,
#: MKL, numba): the local pool runs one process per core, each on one thread, so the processes
#: do not oversubscribe the cores (values the user set are kept)
ONE_THREAD = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS")


def pool_context():
    """Where pool processes come from: a fork server that has imported the solver once
    (workers start in milliseconds, also after a crash), else fresh spawned interpreters."""
    if "forkserver" in multiprocessing.get_all_start_methods():
        ctx = multiprocessing.get_context("forkserver")
        ctx.set_forkserver_preload(PRELOAD)
        return ctx
    return multiprocessing.get_context("spawn")


class LocalEngine:
    """A pool of ``workers`` processes on this machine."""

    remote = False

    def __init__(self, workers: Optional[int] = None) -> None:
        for name in ONE_THREAD:                 # inherited by the fork server and its workers
            os.environ.setdefault(name, "1")
        self.workers = max(1, int(workers or os.cpu_count() or 1))
        self.restarts = 0
        self._ctx = pool_context()
        self._pool: Optional[ProcessPoolExecutor] = None
        self._queue: Deque[Tuple[Any, Callable, tuple, int]] = deque()
        self._inflight: Dict[Any, Tuple[Any, Callable, tuple, int]] = {}

    def describe(self) -> str:
        return "local pool, %d process(es)" % self.workers

    @property
    def slots(self) -> int:
        return self.workers

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(max_workers=self.workers, mp_context=self._ctx)

    def submit(self, tag: Any, fn: Callable, *args: Any) -> None:
        self._queue.append((tag, fn, args, 0))

    @property
    def pending(self) -> int:
        return len(self._queue) + len(self._inflight)

    @property
    def running(self) -> int:
        return min(len(self._inflight), self.workers)

    def _fill(self) -> None:
        if self._pool is None:
            self._pool = self._new_pool()
        while self._queue and len(self._inflight) < 2 * self.workers:
            item = self._queue.popleft()
            try:
                fut = self._pool.submit(item[1], *item[2])
            except BrokenProcessPool:
                self._queue.appendleft(item)
                self._restart([])
                continue
            self._inflight[fut] = item

    def _restart(self, out: List[Done]) -> None:
        """Replace a broken pool; jobs in flight go to the back of the queue (or fail)."""
        self.restarts += 1
        old, self._pool = self._pool, self._new_pool()
        if old is not None:
            old.shutdown(wait=False, cancel_futures=True)
        for fut, (tag, fn, args, lost) in list(self._inflight.items()):
            del self._inflight[fut]
            if lost + 1 >= MAX_LOST:
                out.append((tag, None, WorkerLost(
                    "the worker process died while running it (%d times)" % (lost + 1))))
            else:
                self._queue.append((tag, fn, args, lost + 1))

    def poll(self, timeout: float) -> List[Done]:
        """Jobs that finished within ``timeout`` seconds (maybe none)."""
        self._fill()
        if not self._inflight:
            return []
        done, _ = wait(list(self._inflight), timeout=timeout, return_when=FIRST_COMPLETED)
        out: List[Done] = []
        broken = False
        for fut in done:
            tag, fn, args, lost = self._inflight[fut]
            try:
                value = fut.result()
            except BrokenProcessPool:
                broken = True
                continue
            except Exception as exc:       # pickling errors and the like: the job's failure
                del self._inflight[fut]
                out.append((tag, None, exc))
                continue
            del self._inflight[fut]
            out.append((tag, value, None))
        if broken:
            self._restart(out)
        return out

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None


def worker_check(paths: List[str], writable: List[str]) -> Dict[str, Any]:
    """Run on each worker: the paths it cannot read (or write), and its versions."""
    from microexpr._version import __version__

    bad = [p for p in paths if not os.access(p, os.R_OK)]
    bad += [p for p in writable if not os.access(p, os.W_OK)]
    try:
        import dask

        dask_version = dask.__version__
    except ImportError:  # pragma: no cover - a worker without dask cannot run this
        dask_version = ""
    return {"unreadable": bad, "microexpr": __version__, "dask": dask_version,
            "host": platform.node()}


class DaskEngine:
    """Jobs as tasks of a Dask distributed cluster (``tcp://HOST:8786``) or a given client."""

    remote = True

    def __init__(self, scheduler: Any, timeout: float = 30.0) -> None:
        try:
            from distributed import Client
        except ImportError:
            raise MicroExprError("Dask is not installed", field="--scheduler",
                                 fix="pip install 'microexpr[dask]'") from None
        self._own = not isinstance(scheduler, Client)
        if self._own:
            try:
                self.client = Client(scheduler, timeout=timeout)
            except (OSError, TimeoutError) as exc:
                raise MicroExprError("cannot reach the Dask scheduler at %s (%s)" % (scheduler, exc),
                                     field="--scheduler",
                                     fix="start it with 'dask scheduler' and workers with 'dask "
                                         "worker %s'" % scheduler) from None
        else:
            self.client = scheduler
        self._futures: Dict[Any, Any] = {}

    def describe(self) -> str:
        n = self.client.nthreads()
        return "Dask cluster %s, %d worker(s), %d thread(s)" % (
            getattr(self.client.scheduler, "address", "?"), len(n), sum(n.values()))

    @property
    def slots(self) -> int:
        return max(1, sum(self.client.nthreads().values()))

    def check(self, paths: List[str], writable: List[str]) -> Dict[str, List[str]]:
        """Ask every worker which paths it cannot read (``writable``: write); path -> workers.
        Raises when a worker lacks microexpr or runs another microexpr or Dask version."""
        import dask

        from microexpr._version import __version__

        try:
            found = self.client.run(worker_check, sorted(set(paths)), sorted(set(writable)))
        except Exception as exc:
            raise MicroExprError("the workers cannot run microexpr (%s: %s)" % (
                type(exc).__name__, exc), field="--scheduler",
                fix="pip install 'microexpr[capture,export,dask]' on every worker") from None
        if not found:
            raise MicroExprError("the cluster has no worker", field="--scheduler",
                                 fix="start workers with 'dask worker SCHEDULER'")
        bad: Dict[str, List[str]] = {}
        for worker, info in sorted(found.items()):
            if info["microexpr"] != __version__ or info["dask"] != dask.__version__:
                raise MicroExprError(
                    "worker %s runs microexpr %s with Dask %s; this client microexpr %s with "
                    "Dask %s" % (worker, info["microexpr"], info["dask"], __version__,
                                 dask.__version__), field="--scheduler",
                    fix="install the same versions on the workers as here")
            for p in info["unreadable"]:
                bad.setdefault(p, []).append("%s (%s)" % (worker, info["host"]))
        return bad

    def submit(self, tag: Any, fn: Callable, *args: Any) -> None:
        self._futures[self.client.submit(fn, *args, pure=False)] = tag

    @property
    def pending(self) -> int:
        return len(self._futures)

    @property
    def running(self) -> int:
        return min(len(self._futures), self.slots)

    def poll(self, timeout: float) -> List[Done]:
        from distributed import wait as dask_wait

        if not self._futures:
            time.sleep(min(timeout, 0.05))
            return []
        try:
            done, _ = dask_wait(list(self._futures), timeout=timeout, return_when="FIRST_COMPLETED")
        except TimeoutError:
            return []
        out: List[Done] = []
        for fut in done:
            tag = self._futures.pop(fut)
            try:
                out.append((tag, fut.result(), None))
            except Exception as exc:       # KilledWorker, a cancelled task, ...
                out.append((tag, None, exc))
            fut.release()
        return out

    def close(self) -> None:
        for fut in self._futures:
            fut.cancel()
        self._futures.clear()
        if self._own:
            self.client.close()
