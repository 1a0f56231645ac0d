"""A whole batch: plan (content keys, skip what is done), run on an engine, retry a failure
once, record failures, then write ``summary.json`` and ``index.html``.

    from microexpr.batch.manifest import load_jobs
    from microexpr.batch.run import run_batch
    report = run_batch(load_jobs("takes.csv"), "out")          # local pool, one per core
    report.exit_code                                            # 0 when every take is done

A batch killed at any point resumes when run again: jobs whose ``done.json`` holds their
content key (and whose outputs are there) are skipped; the others run.
"""
from __future__ import annotations

import contextlib
import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Dict, List, Optional

from microexpr import atomicio
from microexpr.batch import records
from microexpr.batch.engines import DaskEngine, LocalEngine
from microexpr.batch.index import write_summary
from microexpr.batch.jobs import JobResult, run_job
from microexpr.batch.keys import job_key
from microexpr.batch.manifest import Job
from microexpr.batch.progress import Progress
from microexpr.errors import MicroExprError

FAILED_FORMAT = "microexpr.batch.failed"
#: a job that fails is run this many more times before it is recorded as failed
RETRIES = 1


@dataclass
class Take:
    """One job's fate in this run: pending, done, skipped (done before) or failed."""

    job: Job
    status: str = "pending"
    attempts: int = 0
    error: str = ""
    detail: str = ""
    record: Optional[Dict[str, Any]] = None
    result: Optional[JobResult] = None

    def row(self) -> Dict[str, Any]:
        rec = self.record or {}
        return {"name": self.job.name, "status": self.status, "kind": self.job.kind,
                "input": self.job.input, "rig": self.job.rig, "key": self.job.key,
                "frames": rec.get("frames", 0), "passed": rec.get("passed"),
                "checks": rec.get("checks", []), "error": self.error, "attempts": self.attempts,
                "outputs": {k: v["file"] for k, v in (rec.get("outputs") or {}).items()},
                "seconds": round(self.result.timing.get("total", 0.0), 4) if self.result else 0.0}


@dataclass
class BatchReport:
    takes: List[Take]
    summary: Dict[str, Any]
    files: List[str] = field(default_factory=list)

    def count(self, status: str) -> int:
        return sum(1 for t in self.takes if t.status == status)

    @property
    def exit_code(self) -> int:
        """0 when every take is done (now or before), 1 when any failed."""
        return 0 if all(t.status in ("done", "skipped") for t in self.takes) else 1


def make_engine(jobs: Optional[int] = None, scheduler: Any = None):
    """The local pool (``jobs`` processes, default one per core) or a Dask cluster."""
    return DaskEngine(scheduler) if scheduler else LocalEngine(jobs)


def plan(jobs: List[Job], out_dir: str) -> List[Take]:
    """Content keys for every job; jobs already done are ``skipped``, unreadable ``failed``."""
    cache: Dict[str, str] = {}
    takes = []
    for job in jobs:
        take = Take(job)
        try:
            job.key = job_key(job, cache)
        except MicroExprError as exc:
            take.status, take.error = "failed", str(exc)
            takes.append(take)
            continue
        rec = records.done_record(records.take_dir(out_dir, job.name), job.key)
        if rec is not None:
            take.status, take.record = "skipped", rec
        takes.append(take)
    return takes


def check_cluster(engine, takes: List[Take], out_dir: str) -> None:
    """Before a cluster run: every worker must read every input and write ``out_dir``."""
    paths = [p for t in takes if t.status == "pending" for p in t.job.paths()]
    bad = engine.check(paths, [out_dir])
    if bad:
        lines = ["%s: %s" % (p, ", ".join(w)) for p, w in sorted(bad.items())]
        raise MicroExprError("%d path(s) cannot be read (or written) on some workers:\n  %s" % (
            len(bad), "\n  ".join(lines[:20] + (["..."] if len(lines) > 20 else []))),
            field="--scheduler", fix="mount the data and the output folder at the same path "
                                     "on every worker (and here)")


def _record_failure(out_dir: str, take: Take) -> None:
    take.status = "failed"
    records.write_failed(records.take_dir(out_dir, take.job.name), {
        "format": FAILED_FORMAT, "take": take.job.name, "key": take.job.key,
        "input": take.job.input, "error": take.error, "detail": take.detail,
        "attempts": take.attempts})


def _finish(engine, take: Take, value: Any, exc: Optional[BaseException], out_dir: str,
            progress: Progress, on_event: Callable) -> None:
    take.attempts += 1
    if exc is None and isinstance(value, JobResult) and value.ok:
        take.status, take.record, take.result, take.error = "done", value.record, value, ""
        progress.update(done=1, frames=value.frames)
        on_event("done", take)
        return
    if isinstance(value, JobResult):
        take.result, take.error, take.detail = value, value.error, value.detail
    else:
        take.error = "%s: %s" % (type(exc).__name__, exc)
    if take.attempts <= RETRIES:
        on_event("retry", take)
        engine.submit(take.job.name, run_job, take.job, out_dir)
        return
    _record_failure(out_dir, take)
    progress.update(failed=1)
    on_event("failed", take)


def _summary(takes: List[Take], seconds: float, engine_name: str) -> Dict[str, Any]:
    ran = [t for t in takes if t.status == "done"]
    frames = sum(t.record.get("frames", 0) for t in ran if t.record)
    return {"format": "microexpr.batch.summary", "engine": engine_name, "jobs": len(takes),
            "done": len(ran), "skipped": sum(t.status == "skipped" for t in takes),
            "failed": sum(t.status == "failed" for t in takes),
            "review_failed": sum(1 for t in takes if (t.record or {}).get("passed") is False),
            "seconds": round(seconds, 3), "frames": frames,
            "frames_per_second": round(frames / seconds, 1) if seconds > 0 else 0.0,
            "takes": [t.row() for t in takes]}


def _write_as_we_go():
    """A batch writes its records as it goes (a killed batch resumes from them), even when
    the caller stages its writes in an ``atomicio`` transaction."""
    return getattr(atomicio, "immediate", contextlib.nullcontext)()


def run_batch(jobs: List[Job], out_dir: str, engine=None, progress: bool = True,
              on_event: Optional[Callable[[str, Take], None]] = None) -> BatchReport:
    """Run ``jobs`` into ``out_dir`` on ``engine`` (default: the local pool). ``on_event(kind,
    take)`` hears "done", "retry" and "failed" as they happen."""
    with _write_as_we_go():
        return _run_batch(jobs, out_dir, engine, progress, on_event)


def _run_batch(jobs: List[Job], out_dir: str, engine, progress: bool,
               on_event: Optional[Callable[[str, Take], None]]) -> BatchReport:
    out_dir = os.path.abspath(out_dir)
    os.makedirs(out_dir, exist_ok=True)
    own = engine is None
    engine = engine or LocalEngine()
    event = on_event or (lambda kind, take: None)
    t0 = time.perf_counter()
    takes = plan(jobs, out_dir)
    for take in takes:
        if take.status == "failed":
            _record_failure(out_dir, take)
    pending = {t.job.name: t for t in takes if t.status == "pending"}
    if pending and getattr(engine, "remote", False):
        check_cluster(engine, takes, out_dir)
    bar = Progress(len(takes), progress, skipped=sum(t.status == "skipped" for t in takes))
    bar.update(failed=sum(t.status == "failed" for t in takes))
    try:
        for take in pending.values():
            engine.submit(take.job.name, run_job, take.job, out_dir)
        while engine.pending:
            for name, value, exc in engine.poll(0.25):
                _finish(engine, pending[name], value, exc, out_dir, bar, event)
            bar.update(running=engine.running)
    finally:
        bar.close()
        if own:
            engine.close()
    for take in takes:
        records.clear_leftovers(records.take_dir(out_dir, take.job.name))
    summary = _summary(takes, time.perf_counter() - t0, engine.describe())
    return BatchReport(takes, summary, write_summary(out_dir, summary))
