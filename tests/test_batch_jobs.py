"""``microexpr batch`` on the local process pool: manifests, content keys, the same results as
the single commands, failures reported while the others complete, resuming, and a killed
worker process."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from html.parser import HTMLParser

import numpy as np
import pytest
from batch_inputs import (
    check_exactly_once,
    kill,
    leftovers,
    write_corrupt_video,
    write_manifest,
    write_noface,
    write_tracks,
    write_videos,
)

from microexpr import bridge
from microexpr.batch import records
from microexpr.batch.engines import LocalEngine
from microexpr.batch.keys import job_key
from microexpr.batch.manifest import load_jobs, read_manifest
from microexpr.batch.run import run_batch
from microexpr.cli.main import main
from microexpr.errors import MicroExprError


@pytest.fixture(scope="module")
def work(tmp_path_factory, arkit_rig):
    d = tmp_path_factory.mktemp("batch")
    bridge.save_rig(arkit_rig, str(d / "rig.microexpr"))
    write_tracks(str(d / "tracks"), arkit_rig, 12, frames=24)
    write_noface(str(d / "tracks"))
    return d


@pytest.fixture(scope="module")
def engine():
    """One local pool for the tests of this file (its processes stay warm between batches)."""
    eng = LocalEngine(2)
    yield eng
    eng.close()


# ------------------------------------------------------------------ manifests
def test_csv_manifest_paths_defaults_and_names(work, monkeypatch):
    monkeypatch.chdir(work)
    path = write_manifest(str(work / "m.csv"), [
        {"input": "tracks/take000.csv", "outputs": "clip sheet fbx", "reg": "0.01"},
        {"input": "tracks/take000.csv", "rig": "other/rig2.microexpr", "mirrored": "yes"},
        {"input": "tracks/take001.csv", "name": "hero shot", "outputs": "clip;glb"},
    ])
    jobs = read_manifest(path, {"rig": "rig.microexpr", "neutral_frame": 2, "mayapy": "x"})
    assert [j.name for j in jobs] == ["take000_rig", "take000_rig2", "hero_shot"]
    assert jobs[0].rig == str(work / "rig.microexpr")           # a default: from the cwd
    assert jobs[1].rig == str(work / "other" / "rig2.microexpr")  # a column: from the manifest
    assert jobs[0].input == str(work / "tracks" / "take000.csv")
    assert jobs[0].outputs == ("clip", "sheet", "fbx") and jobs[2].outputs == ("clip", "glb")
    assert jobs[0].settings == {"reg": 0.01, "neutral_frame": 2}   # mayapy: not for a solve
    assert jobs[1].settings == {"mirrored": True, "neutral_frame": 2}
    assert {j.kind for j in jobs} == {"solve"}


def test_json_manifest_and_glob(work, monkeypatch):
    monkeypatch.chdir(work)
    (work / "m.json").write_text(json.dumps({
        "defaults": {"rig": "rig.microexpr", "outputs": ["clip", "review"]},
        "jobs": [{"input": "tracks/take002.csv", "fps": 60},
                 {"input": "scene.ma", "outputs": "fbx"},
                 {"input": "takes/video.mov", "face_box": "1,2,3,4"}]}))
    jobs = load_jobs(str(work / "m.json"))
    assert [j.kind for j in jobs] == ["solve", "mayapy", "capture"]
    assert jobs[0].settings == {"fps": 60.0} and jobs[0].outputs == ("clip", "review")
    assert jobs[1].rig is None and jobs[1].outputs == ("json", "fbx")
    globbed = load_jobs("tracks/take00*.csv", {"rig": "rig.microexpr"})
    assert [j.name for j in globbed] == ["take%03d" % i for i in range(10)]
    assert all(j.outputs == ("clip", "sheet") for j in globbed)


@pytest.mark.parametrize("rows,field,words", [
    ([{"input": "a.csv", "rig": "r", "colour": "red"}], "colour", "unknown column"),
    ([{"input": "a.csv"}], "rig", "--rig"),
    ([{"input": "a.csv", "rig": "r", "face_box": "1,2,3,4"}], "face_box", "does not apply"),
    ([{"input": "a.csv", "rig": "r", "outputs": "clip tracks"}], "outputs", "cannot write"),
    ([{"input": "a.csv", "rig": "r", "fps": "fast"}], "fps", "not a number"),
    ([{"input": "a.csv", "rig": "r", "reg": "-1"}], "reg", "negative"),
    ([{"input": "a.csv", "rig": "r", "name": "x"}, {"input": "b.csv", "rig": "r", "name": "x"}],
     "name", "used twice"),
])
def test_manifest_errors_name_file_line_field_and_fix(tmp_path, rows, field, words):
    path = write_manifest(str(tmp_path / "bad.csv"), rows)
    with pytest.raises(MicroExprError) as err:
        read_manifest(path)
    text = str(err.value)
    assert "bad.csv line " in text and words in text and "Fix:" in text
    assert err.value.field == field


def test_content_key_follows_input_rig_and_settings(work, tmp_path):
    jobs = load_jobs(str(work / "tracks" / "take00[01].csv"), {"rig": str(work / "rig.microexpr")})
    a, b = (job_key(j) for j in jobs)
    assert a != b                                   # different inputs
    moved = tmp_path / "elsewhere.csv"
    moved.write_bytes((work / "tracks" / "take000.csv").read_bytes())
    again = load_jobs(str(moved), {"rig": str(work / "rig.microexpr")})[0]
    assert job_key(again) == a                      # same bytes, other path and name
    jobs[0].settings["reg"] = 0.5
    assert job_key(jobs[0]) != a                    # a setting
    rig2 = tmp_path / "rig.microexpr"
    rig2.write_bytes((work / "rig.microexpr").read_bytes() + b" ")
    again.rig = str(rig2)
    assert job_key(again) != a                      # the rig's bytes


# ------------------------------------------------------------------ a whole batch
@pytest.fixture(scope="module")
def mixed(work, arkit_rig):
    """A manifest of 12 track files (two with FBX and GLB), 2 short videos and two inputs
    that fail (a corrupt video, tracks without a face), run once through the CLI."""
    pytest.importorskip("cv2")
    pytest.importorskip("dlib")
    vids = write_videos(str(work / "videos"), 2, frames=8)
    corrupt = write_corrupt_video(str(work / "videos"))
    rows = [{"input": "tracks/take%03d.csv" % i,
             "outputs": "clip sheet fbx glb" if i < 1 else ("clip fbx" if i < 2 else "clip review")}
            for i in range(12)]
    rows += [{"input": os.path.relpath(v, work), "outputs": "clip sheet tracks" if i else "clip"}
             for i, v in enumerate(vids)]
    rows += [{"input": os.path.relpath(corrupt, work)}, {"input": "tracks/noface.npy"}]
    manifest = write_manifest(str(work / "mixed.csv"), rows)
    out = work / "mixed_out"
    code = main(["batch", manifest, "--rig", str(work / "rig.microexpr"), "--out", str(out),
                 "--jobs", "2", "--quiet"])
    return {"manifest": manifest, "out": out, "code": code,
            "names": ["take%03d" % i for i in range(12)] + ["video0", "video1"]}


def test_failures_are_reported_and_the_others_complete(mixed, capsys):
    out = mixed["out"]
    assert mixed["code"] == 1                       # something failed
    check_exactly_once(str(out), mixed["names"], ["corrupt", "noface"])
    summary = json.loads((out / "summary.json").read_text())
    assert (summary["jobs"], summary["done"], summary["failed"]) == (16, 14, 2)
    failed = {t["name"]: t for t in summary["takes"] if t["status"] == "failed"}
    assert failed["corrupt"]["attempts"] == 2 and "corrupt.mp4" in failed["corrupt"]["error"]
    assert "noface.npy" in failed["noface"]["error"] and "face" in failed["noface"]["error"]
    rec = json.loads((out / "noface" / "failed.json").read_text())
    assert rec["attempts"] == 2 and "Fix:" in rec["error"]
    v = json.loads((out / "video1" / "done.json").read_text())
    assert v["kind"] == "capture" and v["frames"] > 0 and set(v["outputs"]) == {
        "clip", "review", "sheet", "thumb", "tracks"}
    t0 = json.loads((out / "take000" / "done.json").read_text())
    assert set(t0["outputs"]) == {"clip", "review", "sheet", "thumb", "fbx", "glb"}
    assert [c["name"] for c in t0["checks"]] and t0["passed"] in (True, False)


def test_jobs_match_the_single_commands(mixed, work, capsys):
    """The batch's clip, review and FBX are the ones 'microexpr solve/review/export' write."""
    single = work / "single"
    single.mkdir()
    rig, tracks = str(work / "rig.microexpr"), str(work / "tracks" / "take000.csv")
    assert main(["solve", "--rig", rig, "--landmarks", tracks, "--out", str(single / "c.microexpr")]) == 0
    main(["review", "--rig", rig, "--clip", str(single / "c.microexpr"), "--json",
          str(single / "r.json"), "--no-fail"])
    assert main(["export", "--rig", rig, "--clip", str(single / "c.microexpr"), "--fbx",
                 str(single / "f.fbx")]) == 0
    take = mixed["out"] / "take000"
    a, b = bridge.load_clip(str(single / "c.microexpr")), bridge.load_clip(str(take / "take000.microexpr"))
    assert np.array_equal(a.weights, b.weights) and a.targets == b.targets
    ra, rb = (json.loads(p.read_text()) for p in (single / "r.json", take / "take000.review.json"))
    assert ra["checks"] == rb["checks"]
    assert (single / "f.fbx").read_bytes() == (take / "take000.fbx").read_bytes()


def test_rerun_skips_done_jobs_and_retries_failed_ones(mixed, work, engine):
    out = str(mixed["out"])
    before = {n: os.stat(os.path.join(out, n, "done.json")).st_mtime_ns for n in mixed["names"]}
    events = []
    jobs = load_jobs(mixed["manifest"], {"rig": str(work / "rig.microexpr")})
    report = run_batch(jobs, out, engine, progress=False,
                       on_event=lambda kind, take: events.append((kind, take.job.name)))
    assert report.exit_code == 1
    assert report.count("skipped") == 14 and report.count("failed") == 2
    assert sorted(events) == sorted([("retry", "corrupt"), ("failed", "corrupt"),
                                     ("retry", "noface"), ("failed", "noface")])
    after = {n: os.stat(os.path.join(out, n, "done.json")).st_mtime_ns for n in mixed["names"]}
    assert after == before                          # nothing that was done was touched
    check_exactly_once(out, mixed["names"], ["corrupt", "noface"])


def test_a_changed_setting_runs_the_job_again(work, tmp_path, engine):
    out = str(tmp_path / "out")
    jobs = load_jobs(str(work / "tracks" / "take00[01].csv"),
                     {"rig": str(work / "rig.microexpr"), "outputs": "clip"})
    assert run_batch(jobs, out, engine, progress=False).count("done") == 2
    jobs = load_jobs(str(work / "tracks" / "take00[01].csv"),
                     {"rig": str(work / "rig.microexpr"), "outputs": "clip", "reg": "0.5"})
    jobs = jobs[:1] + load_jobs(str(work / "tracks" / "take001.csv"),
                                {"rig": str(work / "rig.microexpr"), "outputs": "clip"})
    report = run_batch(jobs, out, engine, progress=False)
    assert [t.status for t in report.takes] == ["done", "skipped"]


# ------------------------------------------------------------------ a dead worker process
def test_local_pool_recovers_from_a_killed_worker(work, tmp_path, engine):
    jobs = load_jobs(str(work / "tracks" / "take*.csv"),
                     {"rig": str(work / "rig.microexpr"), "outputs": "clip review"})
    restarts = engine.restarts
    killed = []
    ran = []

    def on_event(kind, take):
        ran.append((kind, take.job.name, take.result.pid, take.result.rig_cached))
        if kind == "done" and not killed:
            killed.append(take.result.pid)
            kill(take.result.pid)                   # its next job dies with it

    report = run_batch(jobs, str(tmp_path / "out"), engine, progress=False, on_event=on_event)
    assert engine.restarts > restarts
    assert report.exit_code == 0 and report.count("done") == 12
    check_exactly_once(str(tmp_path / "out"), [j.name for j in jobs])
    assert all(kind == "done" for kind, *_ in ran)
    # each worker process loaded the rig once and reused it
    loads = [pid for _, _, pid, cached in ran if not cached]
    assert len(loads) == len(set(loads)) and len({pid for _, _, pid, _ in ran}) >= 2


def test_leftovers_of_a_killed_job_are_cleared_when_it_runs_again(work, tmp_path, engine):
    out = tmp_path / "out"
    job = load_jobs(str(work / "tracks" / "take003.csv"),
                    {"rig": str(work / "rig.microexpr"), "outputs": "clip"})
    (out / "take003").mkdir(parents=True)
    (out / "take003" / ".take003.microexpr.abc123.tmp").write_bytes(b"half a file")
    (out / "take003" / (records.STAGING + "x")).mkdir()
    assert leftovers(str(out))
    assert run_batch(job, str(out), engine, progress=False).exit_code == 0
    check_exactly_once(str(out), ["take003"])


# ------------------------------------------------------------------ the index in a browser
def chromium() -> str:
    """Debian's headless Chromium; under CI (where .ci/bootstrap.sh installs it) its absence
    fails the test, elsewhere it skips it."""
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe:
        return exe
    if os.environ.get("CI", "").strip().lower() in ("1", "true", "yes"):
        pytest.fail("CI must open the batch index in headless Chromium, but chromium is not "
                    "installed (apt-get install chromium: .ci/bootstrap.sh installs it)")
    pytest.skip("headless Chromium is not installed (apt-get install chromium)")


def browse(page, tmp_path) -> HTMLParser:
    """The page's DOM after it loaded (and its script ran) in headless Chromium."""
    r = subprocess.run([chromium(), "--headless", "--no-sandbox", "--disable-gpu",
                        "--user-data-dir=%s" % (tmp_path / "chromium-profile"),
                        "--virtual-time-budget=10000", "--dump-dom", page.as_uri()],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "<html" in r.stdout, r.stderr[-2000:]
    dom = Dom()
    dom.feed(r.stdout)
    return dom


class Dom(HTMLParser):
    """Rows (take -> status), thumbnails (take -> data-loaded) and the body's attributes."""

    def __init__(self):
        super().__init__()
        self.rows, self.thumbs, self.body, self._take = {}, {}, {}, None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "body":
            self.body = a
        elif tag == "tr" and "data-take" in a:
            self._take = a["data-take"]
            self.rows[self._take] = a["data-status"]
        elif tag == "img" and "thumb" in (a.get("class") or ""):
            self.thumbs[self._take] = a.get("data-loaded")


def test_index_opens_in_headless_chromium_with_every_row_and_thumbnail(mixed, tmp_path):
    out = mixed["out"]
    dom = browse(out / "index.html", tmp_path)
    assert set(dom.rows) == set(mixed["names"]) | {"corrupt", "noface"}
    assert {n for n, s in dom.rows.items() if s == "failed"} == {"corrupt", "noface"}
    assert {dom.rows[n] for n in mixed["names"]} <= {"done", "skipped"}   # skipped: a re-run
    with_sheet = {n for n in mixed["names"]
                  if "sheet" in json.loads((out / n / "done.json").read_text())["outputs"]}
    assert with_sheet == {"take000", "video1"}
    assert dom.thumbs == {n: "yes" for n in with_sheet}
    assert dom.body.get("data-missing-thumbnails") == "0"
    # the same page with one thumbnail gone: the browser sees it is missing
    copy = tmp_path / "copy"
    shutil.copytree(out, copy)
    os.unlink(copy / "video1" / "video1.thumb.png")
    dom = browse(copy / "index.html", tmp_path)
    assert dom.thumbs == {"take000": "yes", "video1": "no"}
    assert dom.body.get("data-missing-thumbnails") == "1"


@pytest.mark.parametrize("args,words", [
    (["nothing/*.csv", "--rig", "r.microexpr"], "nothing matches"),
    (["tracks/take000.csv", "--rig", "rig.microexpr", "--set", "colour=red"], "colour"),
    (["tracks/take000.csv", "--rig", "rig.microexpr", "--set", "reg"], "SETTING=VALUE"),
    (["tracks/take000.csv", "--rig", "rig.microexpr", "--jobs", "0"], "--jobs"),
    (["tracks/take000.csv"], "--rig"),
])
def test_cli_refuses_bad_use_with_exit_2_before_running(work, monkeypatch, capsys, args, words):
    monkeypatch.chdir(work)
    assert main(["batch", *args, "--out", "refused_out", "--quiet"]) == 2
    assert words in capsys.readouterr().err
    assert not (work / "refused_out").exists()


def test_progress_counts_done_failed_running_and_frames_per_second():
    from microexpr.batch.progress import Progress

    bar = Progress(10, enabled=False, skipped=3)
    bar.update(done=2, frames=1200, running=2)
    bar.update(failed=1)
    text = bar.text()
    assert text.startswith("done 5, failed 1, running 2, ") and text.endswith(" frames/s")
    assert float(text.split(", ")[3].split()[0]) > 0
    bar.close()
