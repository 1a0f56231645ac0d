"""The main job: ``microexpr demo`` makes every file it lists, quickly, with progress shown."""
import json
import os
import re

from microexpr.cli.main import main


def test_demo_makes_everything_it_lists(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    for name in ("rig_table1.json", "rig_arkit.json", "micro.json", "tracks.csv", "solved.json",
                 "face.fbx", "face.glb", "review.png", "review.json"):
        assert (out / name).stat().st_size > 0, name
        assert name in captured.out
    assert "[8/8]" in captured.err                         # the progress display, every step
    report = json.loads((out / "review.json").read_text())
    assert report["passed"] is True
    from microexpr import bridge

    micro = bridge.load_clip(out / "micro.json")
    assert len(micro.events) >= 7 and len({e.au for e in micro.events}) >= 7
    assert "max |diff|" in captured.out
    check_live_lines(captured.out, out)


def test_demo_refuses_a_file_as_output(tmp_path, capsys):
    f = tmp_path / "taken"
    f.write_text("x")
    assert main(["demo", "--out", str(f)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert os.path.isfile(f)



def check_live_lines(out: str, folder) -> None:
    """The live step's lines: every packet received and solved by C#, its weights Python's
    within 1e-9, latency figures; without Mono or pythonnet, "not run" and the reason."""
    from microexpr.unity import build, net

    gate = build.test_gate(build.missing_mono() or net.missing_pythonnet())
    if gate:
        assert gate[0] == "skip", gate[1]
        assert re.search(r"live over loopback to C#\s+not run: \S", out), out
        return
    counts = re.search(r"live over loopback, 3.0 s at 60 frames/s\s+(\d+) packets sent, (\d+) "
                       r"received, (\d+) dropped, (\d+) lost; (\d+) solved in C#", out)
    assert counts, out
    sent, received, dropped, lost, solved = map(int, counts.groups())
    assert sent == received == 180 and dropped == lost == 0 and 0 < solved <= sent
    lat = re.search(r"latency send -> C# weights\s+median ([\d.]+) ms, 95th percentile ([\d.]+) ms", out)
    assert lat and 0.0 < float(lat.group(1)) <= float(lat.group(2)), out
    gap = re.search(r"live over loopback, C# vs Python weights\s+(\S+) max \|diff\|", out)
    assert gap and float(gap.group(1)) <= 1e-9, out
    assert (folder / "performer.json").stat().st_size > 0 and "performer.json" in out
    assert "problem:" not in out


def test_demo_says_why_the_csharp_steps_did_not_run(tmp_path, capsys, monkeypatch):
    from microexpr.unity import build

    monkeypatch.setattr(build, "missing_mono", lambda: "mono is not on PATH (test)")
    assert main(["demo", "--out", str(tmp_path / "demo")]) == 0
    out = capsys.readouterr().out
    assert re.search(r"live over loopback to C#\s+not run: mono is not on PATH \(test\)", out), out
    assert re.search(r"C# parity\s+not run: mono is not on PATH \(test\)", out), out
    assert not (tmp_path / "demo" / "performer.json").exists()
