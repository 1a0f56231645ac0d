"""The main job: ``microexpr demo`` makes every file it lists, quickly, with progress shown."""
import json
import os

from microexpr.cli.main import main


def test_demo_makes_everything_it_lists(tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    for name in ("rig_table1.json", "rig_arkit.json", "micro.json", "tracks.csv", "solved.json",
                 "face.fbx", "face.glb", "review.png", "review.json"):
        assert (out / name).stat().st_size > 0, name
        assert name in captured.out
    assert "[7/7]" in captured.err                         # the progress display, every step
    report = json.loads((out / "review.json").read_text())
    assert report["passed"] is True
    from microexpr import bridge

    micro = bridge.load_clip(out / "micro.json")
    assert len(micro.events) >= 7 and len({e.au for e in micro.events}) >= 7
    assert "max |diff|" in captured.out


def test_demo_refuses_a_file_as_output(tmp_path, capsys):
    f = tmp_path / "taken"
    f.write_text("x")
    assert main(["demo", "--out", str(f)]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert os.path.isfile(f)
