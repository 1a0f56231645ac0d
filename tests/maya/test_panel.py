"""The key-point panel: PanelModel logic without Qt, then the widget off-screen (PySide6)."""
from __future__ import annotations

import math

import pytest

from microexpr.errors import MicroExprError


@pytest.fixture
def bound(plugin):
    """A default-face mesh with key points bound; yields (cmds, mesh)."""
    from microexpr.rig.face import default_face
    from microexpr_maya import bind_key_points, scene_io

    f = default_face(0.5)
    mesh = scene_io.create_mesh(f.skin, "head")
    bind_key_points(mesh, vertices=[int(v) for v in f.landmark_vertices], progress=False)
    plugin.flushUndo()
    return plugin, mesh


class FakeApi:
    """Records the API calls the model makes."""

    def __init__(self):
        self.calls = []

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.calls.append((name, args, kwargs))
            return name
        return call


# ------------------------------------------------------------------ model, no Qt
def test_slider_mapping_round_trips():
    from microexpr_maya.panel_model import SLIDER_STEPS, from_slider, to_slider

    assert to_slider(0.0, -2.0, 2.0) == SLIDER_STEPS // 2
    assert to_slider(99.0, -2.0, 2.0) == SLIDER_STEPS and to_slider(-99.0, -2.0, 2.0) == 0
    for value in (0.01, 1.234, 5.0):
        assert abs(from_slider(to_slider(value, 0.01, 5.0), 0.01, 5.0) - value) < 5.0 / SLIDER_STEPS
    assert to_slider(1.0, 3.0, 3.0) == 0


def test_model_reads_key_points(bound):
    from microexpr.rig.presets import preset_key_points
    from microexpr_maya.panel_model import PanelModel

    cmds, mesh = bound
    model = PanelModel(mesh)
    assert [(kp.key, kp.landmark) for kp in model.key_points] == preset_key_points("table1")
    for kp in model.key_points:
        assert cmds.getAttr(kp.manipulator + ".radius") == pytest.approx(kp.radius)
        assert kp.handle is not None and kp.offset == (0.0, 0.0, 0.0)
        assert model.radius_range[0] < kp.radius <= model.radius_range[1]
    assert model.offset_range[0] == -model.offset_range[1] > -math.inf


def test_model_edits_reach_the_nodes(bound):
    from microexpr_maya.panel_model import PanelModel

    cmds, mesh = bound
    model = PanelModel(mesh)
    kp = model.key_points[1]
    model.set_radius(1, 1.5)
    assert cmds.getAttr(kp.manipulator + ".radius") == pytest.approx(1.5)
    model.set_falloff(1, "gaussian")
    assert cmds.getAttr(kp.manipulator + ".falloffCurve") == 2
    model.set_offset(1, "z", 0.25)
    assert cmds.getAttr(kp.handle + ".translateZ") == pytest.approx(0.25)
    assert cmds.getAttr(kp.manipulator + ".handleTranslate")[0][2] == pytest.approx(0.25)
    model.refresh()
    again = model.key_points[1]
    assert (again.radius, again.falloff, again.offset[2]) == (pytest.approx(1.5), "gaussian",
                                                            pytest.approx(0.25))


@pytest.mark.parametrize("call, field", [
    (lambda m: m.set_radius(0, 0.0), "radius"),
    (lambda m: m.set_radius(0, float("nan")), "radius"),
    (lambda m: m.set_radius(0, m.radius_range[1] * 2), "radius"),
    (lambda m: m.set_offset(0, "x", m.offset_range[1] + 1), "offset"),
    (lambda m: m.set_offset(0, "w", 0.0), "axis"),
    (lambda m: m.set_falloff(0, "cubic"), "falloff"),
    (lambda m: m.set_radius(999, 1.0), "row"),
])
def test_model_rejects_bad_values(bound, call, field):
    from microexpr_maya.panel_model import PanelModel

    cmds, mesh = bound
    model = PanelModel(mesh)
    before = cmds.getAttr(model.key_points[0].manipulator + ".radius")
    with pytest.raises(MicroExprError) as exc:
        call(model)
    assert exc.value.field == field
    assert cmds.getAttr(model.key_points[0].manipulator + ".radius") == before


def test_drag_is_one_undo_step(bound):
    from microexpr_maya.panel_model import PanelModel

    cmds, mesh = bound
    model = PanelModel(mesh)
    kp = model.key_points[0]
    r0 = kp.radius
    model.begin_edit()
    model.begin_edit()  # nested press: ignored
    for r in (1.0, 1.2, 1.4):
        model.set_radius(0, r)
    model.end_edit()
    model.end_edit()  # safe twice
    cmds.undo()
    assert cmds.getAttr(kp.manipulator + ".radius") == pytest.approx(r0)


def test_model_api_commands(bound):
    from microexpr_maya.panel_model import PanelModel

    _cmds, mesh = bound
    api = FakeApi()
    model = PanelModel(mesh, api=api)
    seen = []
    model.listeners.append(lambda: seen.append(1))
    model.bind("lm.txt")
    model.generate()
    model.export("rig.json")
    model.micro_expression("rig.json", "clip.json", apply=False, emotion="surprise")
    model.review(rig="rig.json", clip="clip.json")
    names = [c[0] for c in api.calls]
    assert names == ["bind_key_points", "generate_blendshapes", "export_rig",
                     "micro_expression", "review"]
    assert api.calls[0][1] == (model.mesh,) and model.mesh.endswith(mesh)
    assert api.calls[0][2] == {"landmark_file": "lm.txt"}
    assert api.calls[3][2] == {"rig": "rig.json", "out": "clip.json", "emotion": "surprise"}
    assert api.calls[4][2] == {"rig": "rig.json", "clip": "clip.json"}
    assert len(seen) == 2  # bind and generate refresh the rows
    with pytest.raises(MicroExprError, match="generate_blendshapes"):  # no blendShape yet
        model.apply_clip("clip.json")
    with pytest.raises(MicroExprError, match="no mesh"):
        PanelModel(api=api).generate()


# ------------------------------------------------------------------ widget, off-screen Qt
def test_widget_slider_changes_model_and_node(bound, qt):
    from microexpr_maya.panel import COLUMNS, KeyPointPanel
    from microexpr_maya.panel_model import PanelModel, from_slider

    cmds, mesh = bound
    model = PanelModel(mesh)
    panel = KeyPointPanel(model)
    assert panel.table.rowCount() == len(model.key_points)
    assert panel.table.columnCount() == len(COLUMNS) == 7
    assert panel.table.item(0, 0).text() == model.key_points[0].key
    kp = model.key_points[2]
    slider = panel.sliders[2]["radius"]
    slider.setValue(100)
    want = from_slider(100, *model.radius_range)
    assert kp.radius == pytest.approx(want)
    assert cmds.getAttr(kp.manipulator + ".radius") == pytest.approx(want)
    panel.sliders[2]["y"].setValue(900)
    want_y = from_slider(900, *model.offset_range)
    assert cmds.getAttr(kp.handle + ".translateY") == pytest.approx(want_y)
    panel.combos[2].setCurrentText("linear")
    assert cmds.getAttr(kp.manipulator + ".falloffCurve") == 0
    # a drag (press ... release) is one undo step
    panel.sliders[2]["x"].sliderPressed.emit()
    for pos in (600, 700, 800):
        panel.sliders[2]["x"].setValue(pos)
    panel.sliders[2]["x"].sliderReleased.emit()
    assert cmds.getAttr(kp.handle + ".translateX") == pytest.approx(
        from_slider(800, *model.offset_range))
    cmds.undo()
    assert cmds.getAttr(kp.handle + ".translateX") == pytest.approx(0.0)
    panel.close()


def test_widget_reload_does_not_write(bound, qt, standin):
    from microexpr_maya.panel import KeyPointPanel
    from microexpr_maya.panel_model import PanelModel

    _cmds, mesh = bound
    model = PanelModel(mesh)
    panel = KeyPointPanel(model)
    from maya_standin.registry import call_log

    before = len([c for c in call_log if c[0] == "setAttr"])
    model.refresh()  # rebuilds the table: must not echo values back into the scene
    assert len([c for c in call_log if c[0] == "setAttr"]) == before
    panel.close()


def test_widget_buttons_and_errors(bound, qt, tmp_path):
    from microexpr_maya.panel import KeyPointPanel
    from microexpr_maya.panel_model import PanelModel

    _cmds, mesh = bound
    api = FakeApi()
    answers = [str(tmp_path / "rig.json"), None]
    panel = KeyPointPanel(PanelModel(mesh, api=api),
                          ask_path=lambda caption, flt, save: answers.pop(0))
    panel.buttons["export"].click()
    assert api.calls[-1][0] == "export_rig"
    assert api.calls[-1][1][1] == str(tmp_path / "rig.json")
    panel.buttons["apply_clip"].click()  # cancelled dialog: nothing happens
    assert api.calls[-1][0] == "export_rig"
    empty = KeyPointPanel(PanelModel(api=api), ask_path=lambda *a: None)
    empty.buttons["generate"].click()
    assert empty.status.text().startswith("Error:") and "no mesh" in empty.status.text()
    panel.close()
    empty.close()


def test_main_window_lookup(qt):
    from microexpr_maya._qt import QtWidgets, maya_main_window, shiboken

    assert maya_main_window() is None
    win = QtWidgets.QMainWindow()
    win.setObjectName("MayaWindow")
    try:
        assert maya_main_window() is win

        class FakeMQtUtil:
            @staticmethod
            def mainWindow():
                return shiboken.getCppPointer(win)[0]

        wrapped = maya_main_window(FakeMQtUtil)
        assert wrapped is not None and wrapped.objectName() == "MayaWindow"
    finally:
        win.deleteLater()
        win.setObjectName("")


def test_show_replaces_previous_panel(bound, qt):
    from microexpr_maya import panel

    _cmds, mesh = bound
    first = panel.show(mesh)
    second = panel.show(mesh)
    assert first is not second and not first.isVisible() and second.isVisible()
    assert second.table.rowCount() == len(second.model.key_points) > 0
    second.close()


def test_shelf_panel_button_opens_panel(bound, qt, standin):
    from microexpr_maya import panel, shelf

    cmds, mesh = bound
    cmds.select(mesh, replace=True)
    button = [b for b in shelf.BUTTONS if b.key == "panel"][0]
    exec(compile(button.command, button.label, "exec"), {"__name__": "__main__"})
    opened = panel._OPEN[-1]
    assert opened.isVisible() and opened.model.mesh.endswith(mesh)
    assert opened.table.rowCount() == len(opened.model.key_points) > 0
    opened.close()
