"""``microexpr batch --scheduler``: the same jobs on a Dask distributed cluster (a LocalCluster
of two worker processes on loopback), with a worker killed mid-run."""
from __future__ import annotations

import json
import logging
import os

import pytest
from batch_inputs import (
    check_exactly_once,
    kill,
    write_corrupt_video,
    write_noface,
    write_tracks,
    write_videos,
)

from microexpr import bridge
from microexpr.batch.engines import DaskEngine
from microexpr.batch.manifest import load_jobs
from microexpr.batch.run import Take, check_cluster, run_batch
from microexpr.cli.main import main
from microexpr.errors import MicroExprError


def _distributed():
    """Dask distributed; under CI (which installs microexpr[dask]) its absence fails."""
    try:
        import distributed
    except ImportError:
        if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
            pytest.fail("CI must run the Dask batch tests, but dask.distributed is not installed "
                        "(pip install -e '.[dask]': .ci/bootstrap.sh installs it)")
        pytest.skip("dask.distributed is not installed (pip install 'microexpr[dask]')")
    return distributed


@pytest.fixture(scope="module")
def client():
    distributed = _distributed()
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  host="127.0.0.1", dashboard_address=None,
                                  silence_logs=logging.ERROR) as cluster:
        with distributed.Client(cluster) as c:
            yield c


@pytest.fixture(scope="module")
def work(tmp_path_factory, arkit_rig):
    d = tmp_path_factory.mktemp("batch_dask")
    bridge.save_rig(arkit_rig, str(d / "rig.microexpr"))
    write_tracks(str(d / "in"), arkit_rig, 17, frames=24, seed=20)
    write_noface(str(d / "in"))
    return d


def test_cluster_run_survives_a_killed_worker(client, work, tmp_path):
    """20 takes (17 track files, a video, 2 failing inputs); the worker that finishes the
    first job is killed: Dask re-runs its work, every output and record exists once."""
    pytest.importorskip("cv2")
    pytest.importorskip("dlib")
    write_videos(str(work / "in"), 1, frames=6)
    write_corrupt_video(str(work / "in"))
    jobs = load_jobs(str(work / "in" / "*"), {"rig": str(work / "rig.microexpr"),
                                               "outputs": "clip review"})
    assert len(jobs) == 20
    engine = DaskEngine(client)
    events, killed = [], []

    def on_event(kind, take):
        events.append((kind, take.job.name, take.result.pid if take.result else 0,
                       take.result.rig_cached if take.result else None))
        if kind == "done" and not killed:
            killed.append(take.result.pid)
            kill(take.result.pid)

    report = run_batch(jobs, str(tmp_path / "out"), engine, progress=False, on_event=on_event)
    engine.close()
    assert killed[0] not in client.run(os.getpid).values()       # the nanny replaced it
    done = [j.name for j in jobs if j.name not in ("noface", "corrupt")]
    assert report.exit_code == 1
    assert [t.job.name for t in report.takes if t.status == "failed"] == ["corrupt", "noface"]
    check_exactly_once(str(tmp_path / "out"), done, ["corrupt", "noface"])
    assert sorted(n for k, n, *_ in events if k == "done") == sorted(done)
    # each worker process loaded the rig once (a restarted worker is a new process)
    loads = [pid for kind, _, pid, cached in events if kind == "done" and cached is False]
    assert len(loads) == len(set(loads))
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert "Dask cluster" in summary["engine"] and summary["done"] == 18


def test_the_cli_runs_on_a_scheduler_address_and_resumes(client, work, tmp_path, capsys):
    manifest = tmp_path / "m.json"
    manifest.write_text(json.dumps([{"input": str(work / "in" / ("take02%d.csv" % i)),
                                     "rig": str(work / "rig.microexpr"), "outputs": "clip"}
                                    for i in range(3)]))
    args = ["batch", str(manifest), "--out", str(tmp_path / "out"), "--quiet",
            "--scheduler", client.scheduler.address]
    assert main(args) == 0
    assert "3 done, 0 skipped" in capsys.readouterr().out
    assert main(args) == 0
    assert "0 done, 3 skipped" in capsys.readouterr().out


def test_paths_a_worker_cannot_read_are_named_before_the_run(client, work, tmp_path):
    engine = DaskEngine(client)
    missing = str(tmp_path / "not_mounted" / "take.csv")
    bad = engine.check([str(work / "rig.microexpr"), missing], [str(tmp_path)])
    assert list(bad) == [missing] and len(bad[missing]) == 2      # both workers
    job = load_jobs(str(work / "in" / "take020.csv"), {"rig": str(work / "rig.microexpr")})[0]
    job.input = missing
    with pytest.raises(MicroExprError) as err:
        check_cluster(engine, [Take(job)], str(tmp_path))
    assert missing in str(err.value) and "same path on every worker" in str(err.value)
