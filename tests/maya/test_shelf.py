"""The MicroExpr shelf: buttons, icons, commands (UI in the stand-in's interactive mode)."""
from __future__ import annotations

import ast
import importlib
import os
import struct
from typing import List

import pytest

from microexpr.errors import MicroExprError

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
ICON_DIR = os.path.join(REPO, "shelf_icons")


@pytest.fixture
def ui(standin):
    """Interactive stand-in session (UI commands allowed); yields the stand-in UI module."""
    import maya_standin.cmds_ui as cmds_ui

    standin.batch = False
    return cmds_ui


def _png_size(path: str):
    with open(path, "rb") as f:
        head = f.read(24)
    assert head[:8] == b"\x89PNG\r\n\x1a\n", path
    assert head[12:16] == b"IHDR"
    return struct.unpack(">II", head[16:24])


def _called_names(source: str) -> List[str]:
    """Dotted names (after the alias of microexpr_maya or a submodule) of every call."""
    tree = ast.parse(source)
    aliases = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for a in node.names:
                if a.name == "microexpr_maya":
                    aliases[a.asname or a.name] = ""
        elif isinstance(node, ast.ImportFrom) and node.module == "microexpr_maya":
            for a in node.names:
                aliases[a.asname or a.name] = a.name + "."
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) \
                and isinstance(node.func.value, ast.Name) and node.func.value.id in aliases:
            names.append(aliases[node.func.value.id] + node.func.attr)
    return names


def test_build_twice_gives_seven_buttons(maya_scene, ui):
    from microexpr_maya import shelf

    first = shelf.build(parent="ShelfLayout")
    second = shelf.build(parent="ShelfLayout")
    assert first.split("|")[-1] == second.split("|")[-1] == "MicroExpr"
    kids = maya_scene.shelfLayout("MicroExpr", query=True, childArray=True)
    assert len(kids) == 7
    labels = [maya_scene.shelfButton(k, query=True, label=True) for k in kids]
    assert labels == [b.label for b in shelf.BUTTONS]
    assert len(ui.buttons("MicroExpr")) == 7
    for el in ui.buttons("MicroExpr"):
        assert el.flags["sourceType"] == "python"
        assert el.flags["annotation"]


def test_default_parent_is_maya_shelf_area(maya_scene, ui, monkeypatch):
    from microexpr_maya import shelf

    asked = []

    class FakeMel:
        @staticmethod
        def eval(text):
            asked.append(text)
            return "ShelfLayout"

    monkeypatch.setattr(shelf, "mel", FakeMel)
    shelf.build()
    assert asked and "$gShelfTopLevel" in asked[0]
    assert ui.UI["MicroExpr"].parent == "ShelfLayout"


def test_icons_exist_and_are_32px(maya_scene, ui):
    from microexpr_maya import shelf

    assert os.path.normcase(shelf.ICON_DIR) == os.path.normcase(ICON_DIR)
    shelf.build(parent="ShelfLayout")
    images = [el.flags["image"] for el in ui.buttons("MicroExpr")]
    assert len(set(images)) == 7
    for image in images:
        assert os.path.dirname(os.path.normpath(image)) == os.path.normpath(ICON_DIR)
        assert os.path.isfile(image), image
        assert _png_size(image) == (32, 32)


def test_commands_compile_and_call_public_api(maya_scene, ui):
    import microexpr_maya
    from microexpr_maya import shelf

    shelf.build(parent="ShelfLayout")
    by_label = {el.flags["label"]: el.flags["command"] for el in ui.buttons("MicroExpr")}
    for button in shelf.BUTTONS:
        source = by_label[button.label]
        compile(source, button.label, "exec")
        called = _called_names(source)
        assert button.api in called, (button.label, called)
        head, _, attr = button.api.rpartition(".")
        module = importlib.import_module("microexpr_maya" + ("." + head if head else ""))
        assert callable(getattr(module, attr))
        if not head:
            assert attr in microexpr_maya.__all__


def test_batch_session_refuses(maya_scene, standin):
    from microexpr_maya import shelf

    standin.batch = True
    with pytest.raises(MicroExprError, match="batch"):
        shelf.build(parent="ShelfLayout")
    assert shelf.remove() is False


def test_remove(maya_scene, ui):
    from microexpr_maya import shelf

    shelf.build(parent="ShelfLayout")
    assert shelf.remove() is True
    assert not maya_scene.shelfLayout("MicroExpr", exists=True)
    assert shelf.remove() is False


# ------------------------------------------------------------------ running the buttons
@pytest.fixture
def face(plugin):
    from microexpr.rig.face import default_face
    from microexpr_maya import scene_io

    f = default_face(0.5)
    return scene_io.create_mesh(f.skin, "head"), f


def _run(button_key: str) -> None:
    from microexpr_maya import shelf

    button = [b for b in shelf.BUTTONS if b.key == button_key][0]
    exec(compile(button.command, button.label, "exec"), {"__name__": "__main__"})


def test_bind_generate_export_buttons(face, ui, qt, tmp_path):
    """Bind asks for no file: with 68 of the mesh's vertices selected in iBUG order it binds
    to them (as bind_key_points(mesh) does) and opens the panel on the mesh."""
    from maya import cmds

    from microexpr_maya import panel

    mesh, f = face
    cmds.selectPref(trackSelectionOrder=True)
    cmds.select(clear=True)
    for v in f.landmark_vertices:
        cmds.select("%s.vtx[%d]" % (mesh, v), add=True)
    asked = len(ui.DIALOGS)
    _run("bind")
    assert len(ui.DIALOGS) == asked               # no file dialog
    assert cmds.getAttr(mesh + ".microexprLandmarks").split() == \
        [str(int(v)) for v in f.landmark_vertices]
    assert panel._OPEN and panel._OPEN[-1].model.mesh.split("|")[-1] == mesh
    panel._OPEN.pop().close()
    cmds.select(mesh, replace=True)
    _run("generate")
    assert cmds.ls(type="blendShape")
    cmds.select(mesh, replace=True)
    out = str(tmp_path / "head_rig.json")
    ui.DIALOG_ANSWERS.append([out])
    _run("export")
    assert ui.DIALOGS[-1]["fileMode"] == 0
    assert os.path.getsize(out) > 0


def test_bind_with_nothing_selected_names_the_fix_and_changes_nothing(face, ui):
    from maya import cmds

    mesh, _ = face
    cmds.select(clear=True)
    with pytest.raises(MicroExprError, match="select the face mesh"):
        _run("bind")
    assert not cmds.attributeQuery("microexprLandmarks", node=mesh, exists=True)


def test_no_selection_names_the_fix(maya_scene, ui):
    from microexpr_maya import shelf

    maya_scene.select(clear=True)
    with pytest.raises(MicroExprError, match="select the face mesh"):
        shelf.selected_mesh()
    with pytest.raises(MicroExprError, match="blendShape"):
        shelf.selected_blendshape()


def test_micro_and_review_buttons_call_the_api(face, ui, monkeypatch, tmp_path):
    from maya import cmds

    import microexpr_maya

    calls = []
    for name in ("micro_expression", "apply_clip", "review"):
        monkeypatch.setattr(microexpr_maya, name,
                            lambda *a, _n=name, **k: calls.append((_n, a, k)))
    mesh, _ = face
    blend = cmds.blendShape(mesh)[0]
    cmds.select(mesh, replace=True)
    cmds.currentTime(12)
    rig, clip = str(tmp_path / "rig.json"), str(tmp_path / "clip.json")
    ui.DIALOG_ANSWERS.extend([[rig], [clip]])
    ui.PROMPT_ANSWERS.append("Surprise")
    _run("micro")
    assert calls[0] == ("micro_expression", (), {"rig": rig, "out": clip, "emotion": "surprise"})
    assert calls[1][0] == "apply_clip" and calls[1][1] == (blend, clip)
    assert calls[1][2] == {"start_frame": 12.0}
    ui.DIALOG_ANSWERS.extend([[rig], [clip]])
    _run("review")
    assert calls[2] == ("review", (), {"rig": rig, "clip": clip})
    ui.DIALOG_ANSWERS.append(None)  # cancelled: no call
    _run("review")
    assert len(calls) == 3
    ui.DIALOG_ANSWERS.extend([[rig], [clip]])
    ui.PROMPT_ANSWERS.append("4+7+R12")
    _run("micro")
    assert calls[3] == ("micro_expression", (), {"rig": rig, "out": clip, "aus": "4+7+R12"})
    ui.DIALOG_ANSWERS.extend([[rig], [clip]])
    ui.PROMPT_ANSWERS.append(None)   # cancelled prompt: nothing synthesised
    _run("micro")
    assert len(calls) == 5
