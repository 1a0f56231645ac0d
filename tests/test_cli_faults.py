"""The command line under faults (issue #14): the exit code of every command, outputs that never
overwrite an input, ``--out`` problems found before any work, multi-file writes that are all or
nothing under errors, Ctrl-C, SIGTERM and kill -9, and a closed standard output."""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest

from microexpr.cli.main import main

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SENTINEL = b"the file before the command ran\n"


def run(*args) -> int:
    return main([str(a) for a in args])


def _env():
    env = dict(os.environ, PYTHONPATH=os.path.join(ROOT, "shared"), MPLBACKEND="Agg")
    env.pop("MICROEXPR_DEBUG", None)
    return env


def cli(*args, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "microexpr.cli.main"] + [str(a) for a in args],
                          capture_output=True, text=True, env=_env(), timeout=300, **kw)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """A small rig (JSON and container), its tracks, a clip and its landmark vertices."""
    from microexpr import bridge
    from microexpr.landmarks import write_landmark_vertices
    from microexpr.micro.synthesizer import micro_expression
    from microexpr.rig.build import build_rig
    from microexpr.rig.face import default_face
    from microexpr.solve.synthetic_tracks import image_tracks

    d = tmp_path_factory.mktemp("faults")
    face = default_face(resolution=0.4)
    rig = build_rig(face.skin, face.landmark_vertices, "table1")
    bridge.save_rig(rig, d / "rig.json")
    bridge.save_rig(rig, d / "rig.microexpr")
    xy = image_tracks(rig, np.zeros((20, len(rig.targets)))).points.copy()
    xy[:, :, 1] *= -1
    np.save(d / "tracks.npy", xy)
    bridge.save_clip(micro_expression(rig, emotion="contempt", seed=7), d / "clip.json")
    write_landmark_vertices(str(d / "lm.txt"), face.landmark_vertices)
    return d


def _snapshot(folder):
    return {p: p.read_bytes() for p in folder.iterdir() if p.is_file()}


# ----------------------------------------------------------------------------- exit codes

def _bad_input(d, tmp):
    """One command line per command that must end with exit 2 (bad input or usage)."""
    return {
        "rig build": ["rig", "build", "--preset", "nope", "--out", tmp / "r.json"],
        "rig import": ["rig", "import", "--neutral", tmp / "none.obj", "--targets", tmp,
                       "--landmark-vertices", d / "lm.txt", "--out", tmp / "r.json"],
        "landmarks find": ["landmarks", "find", "--mesh", tmp / "none.obj", "--out", tmp / "lm.txt"],
        "calibrate": ["calibrate", "--rig", tmp / "none.json", "--landmarks", d / "tracks.npy",
                      "--out", tmp / "p.json"],
        "solve": ["solve", "--rig", d / "rig.json", "--landmarks", d / "tracks.npy", "--out",
                  tmp / "c.json", "--reg", "-1"],
        "micro": ["micro", "--rig", d / "rig.json", "--emotion", "contempt", "--at", "1e9",
                  "--out", tmp / "c.json"],
        "review": ["review", "--rig", d / "rig.json", "--clip", tmp / "none.json"],
        "export": ["export", "--rig", d / "rig.json"],
        "capture": ["capture", tmp / "none.mp4", "--rig", d / "rig.json", "--out", tmp / "c.json"],
        "verify-unity": ["verify-unity", "--rig", d / "rig.json", "--clip", d / "clip.json",
                         "--tolerance", "nan"],
        "demo": ["demo", "--out", d / "rig.json"],
    }


@pytest.mark.parametrize("command", ["rig build", "rig import", "landmarks find", "calibrate",
                                     "solve", "micro", "review", "export", "capture",
                                     "verify-unity", "demo"])
def test_bad_input_exits_2_with_a_message_and_writes_nothing(files, tmp_path, capsys, command):
    before = _snapshot(files)
    assert run(*_bad_input(files, tmp_path)[command]) == 2
    err = capsys.readouterr().err
    assert err.startswith("microexpr: error: ") and "Traceback" not in err
    assert not list(tmp_path.iterdir()) and _snapshot(files) == before


def test_a_failed_review_is_a_verdict_exit_1(files, capsys):
    assert run("review", "--rig", files / "rig.json", "--clip", files / "clip.json",
               "--ceiling-mm", "0.01", "--floor-mm", "0.005") == 1
    assert "microexpr: error" not in capsys.readouterr().err


def _good(d, tmp):
    """Command lines that load a rig (and would succeed)."""
    return {
        "calibrate": ["calibrate", "--rig", d / "rig.json", "--landmarks", d / "tracks.npy",
                      "--out", tmp / "p.json"],
        "solve": ["solve", "--rig", d / "rig.json", "--landmarks", d / "tracks.npy", "--out",
                  tmp / "c.json"],
        "micro": ["micro", "--rig", d / "rig.json", "--emotion", "contempt", "--out", tmp / "c.json"],
        "review": ["review", "--rig", d / "rig.json", "--clip", d / "clip.json", "--json",
                   tmp / "r.json"],
        "export": ["export", "--rig", d / "rig.json", "--fbx", tmp / "f.fbx", "--glb", tmp / "f.glb"],
        "verify-unity": ["verify-unity", "--rig", d / "rig.json", "--clip", d / "clip.json"],
    }


@pytest.mark.parametrize("command", ["calibrate", "solve", "micro", "review", "export",
                                     "verify-unity"])
def test_an_internal_error_exits_3_with_a_pointer_to_debug(files, tmp_path, capsys, monkeypatch,
                                                          command):
    import microexpr.bridge

    def broken(*a, **k):
        raise ZeroDivisionError("a bug deep inside")

    monkeypatch.setattr(microexpr.bridge, "load_rig", broken)
    argv = _good(files, tmp_path)[command]
    assert run(*argv) == 3
    err = capsys.readouterr().err
    assert "internal error: ZeroDivisionError: a bug deep inside" in err and "--debug" in err
    assert "Traceback" not in err and not list(tmp_path.iterdir())
    assert run(*argv, "--debug") == 3                    # --debug after the options works too
    err = capsys.readouterr().err
    assert "Traceback (most recent call last)" in err and "ZeroDivisionError" in err


@pytest.mark.parametrize("exc,code,words", [
    (KeyboardInterrupt, 130, "interrupted; no output was written"),
    (MemoryError, 3, "ran out of memory"),
    (RecursionError, 2, "MICROEXPR_MAX_NESTING"),
    (PermissionError(13, "Permission denied", "x.json"), 2, "x.json: cannot use this file"),
])
def test_each_way_out_has_its_code(files, tmp_path, capsys, monkeypatch, exc, code, words):
    import microexpr.bridge

    def broken(*a, **k):
        raise exc

    monkeypatch.setattr(microexpr.bridge, "load_rig", broken)
    assert run(*_good(files, tmp_path)["solve"]) == code
    err = capsys.readouterr().err
    assert words in err and "Traceback" not in err


def test_a_settings_model_error_names_the_option():
    import argparse

    from pydantic import BaseModel, Field, ValidationError

    from microexpr.cli import guard

    class Settings(BaseModel):
        reg: float = Field(ge=0)

    p = argparse.ArgumentParser(prog="microexpr solve")
    p.add_argument("--reg", type=float)
    with pytest.raises(ValidationError) as info:
        Settings(reg=-1)
    code, message = guard.classify(info.value, argparse.Namespace(reg=-1.0), p)
    assert code == 2 and "--reg" in message and "-1" in message


def test_deep_json_names_the_nesting_limit_and_the_variable_raises_it(files, tmp_path, capsys,
                                                                     monkeypatch):
    deep = tmp_path / "deep_map.json"
    deep.write_text("[" * 5000 + "]" * 5000)
    argv = ["micro", "--rig", files / "rig.json", "--emotion", "contempt", "--mapping", deep,
            "--out", tmp_path / "c.json"]
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert str(deep) in err and "nesting" in err and "MICROEXPR_MAX_NESTING=N" in err
    monkeypatch.setenv("MICROEXPR_MAX_NESTING", "6000")
    assert run(*argv) == 2                          # read now: refused for what it holds
    err = capsys.readouterr().err
    assert "nesting" not in err and "MICROEXPR_MAX_NESTING" not in err


# ----------------------------------------------------------------------------- outputs

@pytest.mark.parametrize("case", ["out=rig", "out=container", "out=symlink", "out=hardlink",
                                  "out=landmarks", "report=out", "review-json=clip",
                                  "export-fbx=glb", "micro-out=base"])
def test_an_output_that_is_an_input_or_another_output_is_refused(files, tmp_path, capsys, case):
    link, hard = tmp_path / "link.json", tmp_path / "hard.json"
    os.symlink(files / "rig.json", link)
    os.link(files / "rig.json", hard)
    solve = ["solve", "--rig", files / "rig.json", "--landmarks", files / "tracks.npy"]
    argv = {
        "out=rig": solve + ["--out", files / "rig.json"],
        "out=container": ["solve", "--rig", files / "rig.microexpr", "--landmarks",
                          files / "tracks.npy", "--out", files / "rig.microexpr"],
        "out=symlink": solve + ["--out", link],
        "out=hardlink": solve + ["--out", hard],
        "out=landmarks": solve + ["--out", files / "tracks.npy"],
        "report=out": solve + ["--out", tmp_path / "c.json", "--report", tmp_path / "c.json"],
        "review-json=clip": ["review", "--rig", files / "rig.json", "--clip", files / "clip.json",
                             "--json", files / "clip.json"],
        "export-fbx=glb": ["export", "--rig", files / "rig.json", "--fbx", tmp_path / "x",
                           "--glb", tmp_path / "x"],
        "micro-out=base": ["micro", "--rig", files / "rig.json", "--aus", "12", "--base",
                           files / "clip.json", "--out", files / "clip.json"],
    }[case]
    before = _snapshot(files)
    assert run(*argv) == 2
    err = capsys.readouterr().err
    assert ("is the input --" in err or "is also the output --" in err), err
    assert _snapshot(files) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hard.json", "link.json"]


@pytest.mark.parametrize("case,words", [
    ("folder", "is a folder"),
    ("missing", "does not exist. Fix: create the folder first"),
    ("file-as-folder", "is a file, not a folder"),
    ("device", "is not a regular file"),
    ("proc", "cannot create a file in /proc"),
])
def test_out_problems_are_found_before_any_work(files, tmp_path, capsys, monkeypatch, case, words):
    import microexpr.bridge

    if case == "proc" and not os.path.isdir("/proc"):
        pytest.skip("no /proc here")
    if case == "device" and not os.path.exists("/dev/null"):
        pytest.skip("no /dev/null here")
    (tmp_path / "plain.txt").write_text("x")
    out = {"folder": tmp_path, "missing": tmp_path / "no" / "c.json",
           "file-as-folder": tmp_path / "plain.txt" / "c.json", "device": "/dev/null",
           "proc": "/proc/c.json"}[case]
    loaded = []
    monkeypatch.setattr(microexpr.bridge, "load_rig", lambda *a, **k: loaded.append(a))
    assert run("solve", "--rig", files / "rig.json", "--landmarks", files / "tracks.npy",
               "--out", out) == 2
    err = capsys.readouterr().err
    assert "--out: " in err and words in err, err
    assert loaded == []                                 # refused before the rig was read
    assert sorted(p.name for p in tmp_path.iterdir()) == ["plain.txt"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes anywhere")
def test_a_read_only_folder_is_found_before_any_work(files, tmp_path, capsys):
    ro = tmp_path / "ro"
    ro.mkdir()
    ro.chmod(0o555)
    try:
        assert run("solve", "--rig", files / "rig.json", "--landmarks", files / "tracks.npy",
                   "--out", ro / "c.json") == 2
        assert "cannot create a file in" in capsys.readouterr().err
    finally:
        ro.chmod(0o755)


# ----------------------------------------------------------------------------- all or nothing

def _sentinels(tmp_path):
    a, b = tmp_path / "face.fbx", tmp_path / "face.glb"
    a.write_bytes(SENTINEL)
    b.write_bytes(SENTINEL)
    return a, b


@pytest.mark.parametrize("exc,code,words", [
    (KeyboardInterrupt(), 130, "interrupted; no output was written"),
    (RuntimeError("disk on fire"), 3, "internal error: RuntimeError: disk on fire"),
    (OSError(28, "No space left on device"), 2, "No space left on device"),
])
def test_export_replaces_no_file_when_the_second_fails(files, tmp_path, capsys, monkeypatch,
                                                      exc, code, words):
    import microexpr.formats.gltf_export as gltf_export

    a, b = _sentinels(tmp_path)

    def fail(*args, **kw):
        raise exc

    monkeypatch.setattr(gltf_export, "glb_bytes", fail)
    assert run("export", "--rig", files / "rig.json", "--fbx", a, "--glb", b) == code
    err = capsys.readouterr().err
    assert words in err and "no output was written" in err, err
    assert a.read_bytes() == SENTINEL and b.read_bytes() == SENTINEL
    assert sorted(p.name for p in tmp_path.iterdir()) == ["face.fbx", "face.glb"]  # no temporaries


def test_export_writes_both_when_all_succeed(files, tmp_path):
    a, b = _sentinels(tmp_path)
    assert run("export", "--rig", files / "rig.json", "--fbx", a, "--glb", b) == 0
    assert a.read_bytes().startswith(b"Kaydara FBX Binary") and b.read_bytes()[:4] == b"glTF"


def test_an_interrupt_during_the_renames_waits_for_them(files, tmp_path, capsys, monkeypatch):
    """Ctrl-C while the finished files are renamed into place: all are renamed, then it stops."""
    import microexpr.atomicio as atomicio

    a, b = _sentinels(tmp_path)
    real = os.replace
    calls = []

    def replace(src, dst):
        if os.fspath(dst) in (str(a), str(b)):
            if not calls:
                os.kill(os.getpid(), signal.SIGINT)     # arrives in the middle of the commit
            calls.append(dst)
        real(src, dst)

    monkeypatch.setattr(atomicio.os, "replace", replace)
    assert run("export", "--rig", files / "rig.json", "--fbx", a, "--glb", b) == 130
    err = capsys.readouterr().err
    assert "interrupted; every output was written" in err
    assert a.read_bytes() != SENTINEL and b.read_bytes() != SENTINEL and len(calls) == 2


_KILLER = textwrap.dedent("""
    import os, signal, sys
    import microexpr.formats.gltf_export as g
    from microexpr.cli.main import main

    def die(*a, **k):           # the FBX is complete (as a temporary) when the GLB starts
        os.kill(os.getpid(), getattr(signal, sys.argv[1]))
        raise SystemExit("the signal did not stop the process")
    g.glb_bytes = die
    sys.exit(main(sys.argv[2:]))
""")


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("sig,code", [("SIGKILL", -9), ("SIGINT", 130), ("SIGTERM", 143)])
def test_a_signal_between_the_two_files_replaces_neither(files, tmp_path, sig, code):
    a, b = _sentinels(tmp_path)
    r = subprocess.run([sys.executable, "-c", _KILLER, sig, "export", "--rig", str(files / "rig.json"),
                        "--fbx", str(a), "--glb", str(b)], capture_output=True, text=True,
                       env=_env(), timeout=300)
    assert r.returncode == code, r.stderr
    assert a.read_bytes() == SENTINEL and b.read_bytes() == SENTINEL
    if sig != "SIGKILL":                                # cleaned up on the way out
        assert "no output was written" in r.stderr and "Traceback" not in r.stderr
        assert sorted(p.name for p in tmp_path.iterdir()) == ["face.fbx", "face.glb"]


@pytest.mark.skipif(os.name != "posix", reason="POSIX signals")
@pytest.mark.parametrize("delay", [0.3, 0.8, 1.5, 2.5])
def test_sigint_at_any_moment_leaves_both_old_or_both_new(files, tmp_path, delay):
    """Whenever Ctrl-C lands, the two files are either both untouched or both written."""
    import time

    a, b = _sentinels(tmp_path)
    proc = subprocess.Popen([sys.executable, "-m", "microexpr.cli.main", "export", "--rig",
                             str(files / "rig.json"), "--fbx", str(a), "--glb", str(b)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
    time.sleep(delay)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    old = (a.read_bytes() == SENTINEL, b.read_bytes() == SENTINEL)
    assert old in ((True, True), (False, False)), (proc.returncode, err)
    assert proc.returncode in (0, 130, -signal.SIGINT)
    if proc.returncode == 130:
        assert b"Traceback" not in err


# ----------------------------------------------------------------------------- printing

def test_a_closed_standard_output_ends_quietly(files, tmp_path):
    for argv in (["--help"], ["micro", "--rig", str(files / "rig.json"), "--coverage"]):
        proc = subprocess.Popen([sys.executable, "-m", "microexpr.cli.main"] + argv,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=_env())
        proc.stdout.close()                             # as `| head` does
        err = proc.stderr.read().decode()
        assert proc.wait(timeout=300) == 0, err
        assert "Traceback" not in err and "BrokenPipe" not in err and "Exception ignored" not in err
