"""A batch whose driver is killed mid-run resumes: run again, only the unfinished jobs run."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

from batch_inputs import check_exactly_once, write_manifest, write_tracks

from microexpr import bridge
from microexpr.batch import records
from microexpr.batch.engines import LocalEngine
from microexpr.batch.manifest import load_jobs
from microexpr.batch.run import run_batch

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _done(out):
    return {n for n in os.listdir(out) if os.path.isfile(os.path.join(out, n, records.DONE))}


def test_killed_driver_then_rerun_runs_only_the_unfinished_jobs(tmp_path, arkit_rig):
    bridge.save_rig(arkit_rig, str(tmp_path / "rig.microexpr"))
    names = [os.path.splitext(os.path.basename(p))[0]
             for p in write_tracks(str(tmp_path / "in"), arkit_rig, 12, frames=24)]
    manifest = write_manifest(str(tmp_path / "m.csv"), [
        {"input": "in/%s.csv" % n, "rig": "rig.microexpr", "outputs": "clip review"} for n in names])
    out = tmp_path / "out"
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "shared"), MPLBACKEND="Agg")
    driver = subprocess.Popen([sys.executable, "-m", "microexpr.cli.main", "batch", manifest,
                               "--out", str(out), "--jobs", "2", "--quiet"], env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              start_new_session=True)     # its pool processes in its group
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and driver.poll() is None:
        if out.is_dir() and len(_done(str(out))) >= 2:
            break
        time.sleep(0.02)
    assert driver.poll() is None, "the batch ended before it could be killed: %s" % (
        driver.stderr.read().decode()[-2000:] if driver.stderr else "")
    os.killpg(driver.pid, signal.SIGKILL)                 # the driver and its workers, at once
    driver.wait(timeout=30)
    finished = _done(str(out))
    assert 2 <= len(finished) < len(names)
    assert not (out / "index.html").exists()               # the batch never reached its end

    ran = []
    jobs = load_jobs(manifest)
    engine = LocalEngine(2)
    report = run_batch(jobs, str(out), engine, progress=False,
                       on_event=lambda kind, take: ran.append((kind, take.job.name)))
    engine.close()
    assert sorted(n for _, n in ran) == sorted(set(names) - finished)
    assert all(kind == "done" for kind, _ in ran)
    assert {t.job.name for t in report.takes if t.status == "skipped"} == finished
    assert report.exit_code == 0
    check_exactly_once(str(out), names)                    # no half-written file was left
