"""install_maya_module.py against temporary home folders (no Maya needed)."""
from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from typing import Dict

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SCRIPT = os.path.join(REPO, "install_maya_module.py")


def _load():
    spec = importlib.util.spec_from_file_location("install_maya_module", SCRIPT)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


inst = _load()

DEFAULTS = {
    "windows": ("Documents", "maya", "modules"),
    "macos": ("Library", "Preferences", "Autodesk", "maya", "modules"),
    "linux": ("maya", "modules"),
}


def _env(home: str) -> Dict[str, str]:
    return {"HOME": home, "USERPROFILE": home}


def _run(capsys, *argv: str, env: Dict[str, str]):
    code = inst.main(list(argv), environ=env)
    out = capsys.readouterr()
    return code, out.out, out.err


def _block_lines(text: str):
    lines = text.splitlines()
    assert lines[0] == inst.MARKER
    return lines[1:]


@pytest.mark.parametrize("platform", sorted(DEFAULTS))
def test_default_folder_per_platform(tmp_path, capsys, platform):
    code, out, _ = _run(capsys, "--platform", platform, env=_env(str(tmp_path)))
    assert code == 0
    mod = tmp_path.joinpath(*DEFAULTS[platform], "microexpr.mod")
    assert mod.is_file(), out
    body = _block_lines(mod.read_text())
    assert body[0].startswith("+ MicroExpr ")
    assert body[0].split(" ", 3)[3] == REPO.replace("\\", "/")
    assert "PYTHONPATH+:=maya_plugin/scripts" in body
    assert "PYTHONPATH+:=shared" in body
    assert "MAYA_PLUG_IN_PATH+:=maya_plugin/plug-ins" in body
    icons = "XBMLANGPATH+:=shelf_icons" + ("/%B" if platform == "linux" else "")
    assert icons in body
    for line in body:  # nothing inside the block may stop Maya reading it
        assert line.strip() and not line.startswith(("#", "//"))
    # every folder the file names exists (plug-ins may come later from the plug-in helper)
    for line in body[1:]:
        rel = line.split(":=", 1)[1].replace("/%B", "")
        if rel != "maya_plugin/plug-ins":
            assert os.path.isdir(os.path.join(REPO, rel)), rel


def test_existing_capitalised_folder_is_used(tmp_path, capsys):
    (tmp_path / "Maya").mkdir()
    assert _run(capsys, "--platform", "linux", env=_env(str(tmp_path)))[0] == 0
    found = [p for p in tmp_path.rglob("microexpr.mod")]
    assert [p.relative_to(tmp_path).parts for p in found] == [("Maya", "modules", "microexpr.mod")]


def test_maya_app_dir_overrides_default(tmp_path, capsys):
    app = tmp_path / "custom_app"
    env = dict(_env(str(tmp_path / "home")), MAYA_APP_DIR=str(app))
    assert _run(capsys, "--platform", "windows", env=env)[0] == 0
    assert (app / "modules" / "microexpr.mod").is_file()
    assert not (tmp_path / "home").exists()


def test_dest_and_versions(tmp_path, capsys):
    dest = tmp_path / "mods"
    code, _, _ = _run(capsys, "--dest", str(dest), "--maya-version", "2024",
                      "--maya-version", "2025", "--platform", "linux", env=_env(str(tmp_path)))
    assert code == 0
    body = _block_lines((dest / "microexpr.mod").read_text())
    headers = [line for line in body if line.startswith("+")]
    assert [h.split()[1] for h in headers] == ["MAYAVERSION:2024", "MAYAVERSION:2025"]
    assert len(body) == 2 * 5


def test_bad_version_is_usage_error(tmp_path, capsys):
    with pytest.raises(SystemExit) as exc:
        inst.main(["--dest", str(tmp_path), "--maya-version", "24"], environ=_env(str(tmp_path)))
    assert exc.value.code == 2
    assert not list(tmp_path.iterdir())


def test_idempotent(tmp_path, capsys):
    env = _env(str(tmp_path))
    assert _run(capsys, "--platform", "linux", env=env)[0] == 0
    mod = tmp_path / "maya" / "modules" / "microexpr.mod"
    first = mod.read_bytes()
    code, out, _ = _run(capsys, "--platform", "linux", env=env)
    assert code == 0 and "unchanged" in out
    assert mod.read_bytes() == first
    assert sorted(p.name for p in mod.parent.iterdir()) == ["microexpr.mod"]  # no temp left


def test_version_change_updates_file(tmp_path, capsys):
    env = _env(str(tmp_path))
    _run(capsys, "--platform", "linux", env=env)
    code, out, _ = _run(capsys, "--platform", "linux", "--maya-version", "2023", env=env)
    assert code == 0 and "updated" in out
    assert "MAYAVERSION:2023" in (tmp_path / "maya" / "modules" / "microexpr.mod").read_text()


def test_dry_run_writes_nothing(tmp_path, capsys):
    code, out, _ = _run(capsys, "--platform", "macos", "--dry-run", env=_env(str(tmp_path)))
    assert code == 0
    assert "would be created" in out and "PYTHONPATH+:=shared" in out
    assert not list(tmp_path.iterdir())


def test_install_deps_dry_run_shows_command(tmp_path, capsys):
    mayapy = "/usr/autodesk/maya2024/bin/mayapy"
    code, out, _ = _run(capsys, "--dest", str(tmp_path), "--dry-run", "--install-deps", mayapy,
                        env=_env(str(tmp_path)))
    assert code == 0
    assert inst.deps_command(mayapy)[:5] == [mayapy, "-m", "pip", "install", "--user"]
    line = [ln for ln in out.splitlines() if "running:" in ln][0]
    for word in ("-m pip install --user", "numpy", "scipy", "pydantic"):
        assert word in line
    assert not list(tmp_path.iterdir())


def test_dependencies_match_setup_cfg():
    with open(os.path.join(REPO, "setup.cfg"), encoding="utf-8") as f:
        text = f.read()
    for req in inst.DEPENDENCIES:
        assert req in text, req


def test_foreign_mod_untouched(tmp_path, capsys):
    dest = tmp_path / "modules"
    dest.mkdir()
    other = dest / "otherTool.mod"
    other.write_text("+ OtherTool 1.0 /opt/other\nPYTHONPATH+:=scripts\n")
    foreign = dest / "microexpr.mod"
    foreign.write_text("+ MicroExpr 0.0.1 /somewhere/else\n")
    before = {p.name: p.read_bytes() for p in dest.iterdir()}
    code, _, err = _run(capsys, "--dest", str(dest), env=_env(str(tmp_path)))
    assert code == 1 and "--force" in err
    code, _, err = _run(capsys, "--dest", str(dest), "--uninstall", env=_env(str(tmp_path)))
    assert code == 1
    assert {p.name: p.read_bytes() for p in dest.iterdir()} == before
    # --force replaces only microexpr.mod
    assert _run(capsys, "--dest", str(dest), "--force", env=_env(str(tmp_path)))[0] == 0
    assert inst.is_ours(str(foreign))
    assert other.read_bytes() == before["otherTool.mod"]


def test_uninstall(tmp_path, capsys):
    dest = tmp_path / "modules"
    env = _env(str(tmp_path))
    _run(capsys, "--dest", str(dest), env=env)
    (dest / "keep.mod").write_text("+ Keep 1.0 /k\n")
    code, out, _ = _run(capsys, "--dest", str(dest), "--uninstall", "--dry-run", env=env)
    assert code == 0 and (dest / "microexpr.mod").exists()
    code, out, _ = _run(capsys, "--dest", str(dest), "--uninstall", env=env)
    assert code == 0 and "removed" in out
    assert sorted(p.name for p in dest.iterdir()) == ["keep.mod"]
    code, out, _ = _run(capsys, "--dest", str(dest), "--uninstall", env=env)
    assert code == 0 and "absent" in out


def test_windows_paths_use_forward_slashes():
    text = inst.module_text("windows", "C:\\Users\\me\\microexpr")
    header = text.splitlines()[1]
    assert header.endswith("C:/Users/me/microexpr")
    assert "\\" not in text


def test_runs_as_script(tmp_path):
    env = dict(os.environ, HOME=str(tmp_path), USERPROFILE=str(tmp_path))
    env.pop("MAYA_APP_DIR", None)
    proc = subprocess.run([sys.executable, SCRIPT, "--platform", "linux"], env=env,
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "maya" / "modules" / "microexpr.mod").is_file()


def test_prints_the_batch_command_that_works(tmp_path, capsys):
    code, out, _ = _run(capsys, "--dest", str(tmp_path / "modules"), env=_env(str(tmp_path)))
    assert code == 0
    line = [ln for ln in out.splitlines() if ln.startswith("batch export: ")][0]
    words = line.split()
    assert words[2] == "mayapy" and " -m " not in line
    assert os.path.isfile(words[3]) and words[3].endswith(os.path.join("microexpr_maya",
                                                                       "batch.py"))
