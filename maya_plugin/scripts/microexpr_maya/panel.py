"""The MicroExpr key-point panel (Qt): one table row per key point, plus the tool buttons.

    from microexpr_maya import panel
    panel.show()            # for the selected mesh; or panel.show("head")

Columns: key name, landmark index, radius slider, falloff curve, offset sliders x/y/z.
Below the table: the picture of the landmarks a Bind found on renders, and "Move to
selected vertex" (the key point chosen beside it goes to the vertex selected in the
viewport).
All logic (reading nodes, validation, undo grouping, API calls) is in
:class:`~microexpr_maya.panel_model.PanelModel`; this module only builds widgets and wires
their signals to it. Inside Maya the window is parented to Maya's main window; outside
(tests, ``QT_QPA_PLATFORM=offscreen``) it is a plain top-level widget.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Optional

from microexpr.errors import MicroExprError

from . import _maya
from ._qt import QtCore, QtGui, QtWidgets, application, maya_main_window
from .nodes import FALLOFF_CURVES
from .panel_model import AXES, SLIDER_STEPS, PanelModel, from_slider, to_slider

__all__ = ["KeyPointPanel", "show", "COLUMNS"]

COLUMNS = ("Key", "Landmark", "Radius", "Falloff", "Offset X", "Offset Y", "Offset Z")
OBJECT_NAME = "microexprKeyPointPanel"
#: ask(caption, file_filter, save) -> path or None; replaceable (tests).
AskPath = Callable[[str, str, bool], Optional[str]]
#: ask(caption, label) -> text or None; replaceable (tests).
AskText = Callable[[str, str], Optional[str]]


def qt_ask_path(caption: str, file_filter: str, save: bool = False) -> Optional[str]:
    """A Qt file dialog; the chosen path, or None when cancelled."""
    if save:
        path, _ = QtWidgets.QFileDialog.getSaveFileName(None, caption, "", file_filter)
    else:
        path, _ = QtWidgets.QFileDialog.getOpenFileName(None, caption, "", file_filter)
    return path or None


def qt_ask_text(caption: str, label: str) -> Optional[str]:
    """A Qt text dialog; the text typed, or None when cancelled."""
    text, ok = QtWidgets.QInputDialog.getText(None, caption, label)
    return text if ok and text else None


class KeyPointPanel(QtWidgets.QWidget):
    """The panel widget. ``model`` holds the state; ``ask_path`` picks files and
    ``ask_text`` asks for a name."""

    def __init__(self, model: PanelModel, parent: Optional[QtWidgets.QWidget] = None,
                 ask_path: Optional[AskPath] = None,
                 ask_text: Optional[AskText] = None) -> None:
        super().__init__(parent)
        self.model = model
        self.ask_path: AskPath = ask_path or qt_ask_path
        self.ask_text: AskText = ask_text or qt_ask_text
        self.sliders: List[Dict[str, QtWidgets.QSlider]] = []
        self.combos: List[QtWidgets.QComboBox] = []
        self._loading = False
        self.setObjectName(OBJECT_NAME)
        self.setWindowTitle("MicroExpr key points")
        if parent is not None:
            self.setWindowFlags(QtCore.Qt.WindowType.Window)
        self._build()
        model.listeners.append(self.reload)
        self.reload()

    # ------------------------------------------------------------------ layout
    def _build(self) -> None:
        root = QtWidgets.QVBoxLayout(self)
        top = QtWidgets.QHBoxLayout()
        self.mesh_label = QtWidgets.QLabel()
        top.addWidget(self.mesh_label, 1)
        for text, slot in (("Use selected", self._use_selected), ("Refresh", self._refresh)):
            b = QtWidgets.QPushButton(text)
            b.clicked.connect(slot)
            top.addWidget(b)
        root.addLayout(top)
        self.table = QtWidgets.QTableWidget(0, len(COLUMNS))
        self.table.setHorizontalHeaderLabels(list(COLUMNS))
        self.table.verticalHeader().setVisible(False)
        self.table.setSelectionMode(QtWidgets.QAbstractItemView.SelectionMode.NoSelection)
        header = self.table.horizontalHeader()
        for col in (2, 4, 5, 6):  # the slider columns share the spare width
            header.setSectionResizeMode(col, QtWidgets.QHeaderView.ResizeMode.Stretch)
        root.addWidget(self.table, 1)
        root.addLayout(self._build_adjust())
        buttons = QtWidgets.QHBoxLayout()
        self.buttons: Dict[str, QtWidgets.QPushButton] = {}
        for key, text, slot in (("bind", "Bind", self._bind),
                                ("bind_file", "Bind from file...", self._bind_file),
                                ("generate", "Generate", self._generate),
                                ("pose", "Add pose as target", self._add_pose),
                                ("export", "Export...", self._export),
                                ("apply_clip", "Apply clip...", self._apply_clip),
                                ("micro", "Micro-expression...", self._micro),
                                ("review", "Review...", self._review)):
            b = QtWidgets.QPushButton(text)
            b.clicked.connect(slot)
            buttons.addWidget(b)
            self.buttons[key] = b
        root.addLayout(buttons)
        self.status = QtWidgets.QLabel()
        self.status.setWordWrap(True)
        root.addWidget(self.status)
        self.resize(760, 420)

    def _build_adjust(self) -> QtWidgets.QHBoxLayout:
        """The preview picture, and moving a key point to the selected vertex."""
        row = QtWidgets.QHBoxLayout()
        self.preview = QtWidgets.QLabel()
        self.preview.setToolTip("The landmarks of the last Bind from renders of the mesh or from "
                                "image landmarks")
        row.addWidget(self.preview, 1)
        self.key_choice = QtWidgets.QComboBox()
        row.addWidget(self.key_choice)
        self.move_button = QtWidgets.QPushButton("Move to selected vertex")
        self.move_button.setToolTip("Bind the chosen key point to the vertex selected in "
                                    "the viewport")
        self.move_button.clicked.connect(self._move_key_point)
        row.addWidget(self.move_button)
        return row

    def _show_preview(self) -> None:
        try:
            path = self.model.preview
        except MicroExprError:
            path = None
        image = QtGui.QPixmap(path) if path else None
        if image is None or image.isNull():
            self.preview.clear()
            self.preview.setText("")
            return
        self.preview.setPixmap(image.scaledToHeight(
            min(image.height(), 320), QtCore.Qt.TransformationMode.SmoothTransformation))

    def _slider(self, row: int, value: float, lo: float, hi: float,
                on_change: Callable[[int, float], Any]) -> QtWidgets.QSlider:
        s = QtWidgets.QSlider(QtCore.Qt.Orientation.Horizontal)
        s.setRange(0, SLIDER_STEPS)
        s.setValue(to_slider(value, lo, hi))
        s.setToolTip("%.3f" % value)
        s.sliderPressed.connect(self.model.begin_edit)
        s.sliderReleased.connect(self.model.end_edit)
        s.valueChanged.connect(lambda pos, r=row, a=lo, b=hi, f=on_change, w=s:
                               self._slid(w, r, from_slider(pos, a, b), f))
        return s

    # ------------------------------------------------------------------ model -> widgets
    def reload(self) -> None:
        """Rebuild the table from the model (the model calls this after refresh)."""
        self._loading = True
        try:
            m = self.model
            self.mesh_label.setText("Mesh: %s" % (m.mesh or "(none: select a mesh and press "
                                                              "'Use selected')"))
            self.table.setRowCount(len(m.key_points))
            self.sliders, self.combos = [], []
            for row, kp in enumerate(m.key_points):
                for col, text in ((0, kp.key), (1, str(kp.landmark))):
                    item = QtWidgets.QTableWidgetItem(text)
                    item.setFlags(QtCore.Qt.ItemFlag.ItemIsEnabled)
                    self.table.setItem(row, col, item)
                lo, hi = m.radius_range
                sliders = {"radius": self._slider(row, kp.radius, lo, hi, self._set_radius)}
                self.table.setCellWidget(row, 2, sliders["radius"])
                combo = QtWidgets.QComboBox()
                combo.addItems(list(FALLOFF_CURVES))
                combo.setCurrentText(kp.falloff)
                combo.currentTextChanged.connect(lambda text, r=row: self._set_falloff(r, text))
                self.table.setCellWidget(row, 3, combo)
                self.combos.append(combo)
                olo, ohi = m.offset_range
                for i, axis in enumerate(AXES):
                    s = self._slider(row, kp.offset[i], olo, ohi, self._offset_setter(axis))
                    sliders[axis] = s
                    self.table.setCellWidget(row, 4 + i, s)
                self.sliders.append(sliders)
            self.table.resizeColumnsToContents()
            chosen = self.key_choice.currentIndex()
            self.key_choice.clear()
            self.key_choice.addItems(["%s (landmark %d)" % (kp.key, kp.landmark)
                                      for kp in m.key_points])
            self.key_choice.setCurrentIndex(min(max(chosen, 0), len(m.key_points) - 1))
            self.move_button.setEnabled(bool(m.key_points))
            self._show_preview()
        finally:
            self._loading = False

    # ------------------------------------------------------------------ widgets -> model
    def _slid(self, slider: QtWidgets.QSlider, row: int, value: float,
              apply: Callable[[int, float], Any]) -> None:
        if self._loading:
            return
        slider.setToolTip("%.3f" % value)
        self._guard(lambda: apply(row, value))

    def _set_radius(self, row: int, value: float) -> None:
        self.model.set_radius(row, value)

    def _offset_setter(self, axis: str) -> Callable[[int, float], None]:
        def apply(row: int, value: float) -> None:
            self.model.set_offset(row, axis, value)
        return apply

    def _set_falloff(self, row: int, text: str) -> None:
        if not self._loading:
            self._guard(lambda: self.model.set_falloff(row, text))

    def _guard(self, action: Callable[[], Any], done: str = "") -> Any:
        """Run ``action``; show a MicroExprError in the status line instead of raising."""
        try:
            result = action()
        except MicroExprError as exc:
            self.status.setText("Error: %s" % exc)
            self.status.setStyleSheet("color: #e06c5a;")
            return None
        self.status.setText(done)
        self.status.setStyleSheet("")
        return result

    def _use_selected(self) -> None:
        self._guard(self.model.load_selection, "Loaded the selected mesh.")

    def _refresh(self) -> None:
        self._guard(self.model.refresh)

    def _bind(self) -> None:
        self._guard(self.model.bind, "Bound the key points: check the picture, move any "
                                     "key point that is off, then Generate.")

    def _move_key_point(self) -> None:
        row = self.key_choice.currentIndex()
        self._guard(lambda: self.model.move_key_point(row), "Moved the key point.")

    def _bind_file(self) -> None:
        path = self.ask_path("Landmark file for the mesh", _filters("landmark"), False)
        if path:
            self._guard(lambda: self.model.bind(path), "Bound the key points.")

    def _generate(self) -> None:
        self._guard(self.model.generate, "Generated the blend shapes.")

    def _add_pose(self) -> None:
        name = self.ask_text("Add pose as target", "Target name (letters, digits, _):")
        if name:
            self._guard(lambda: self.model.add_pose(name),
                        "Added the pose as target %s." % name.strip())

    def _export(self) -> None:
        path = self.ask_path("Export MicroExpr rig", _filters("rig"), True)
        if path:
            self._guard(lambda: self.model.export(path), "Exported %s." % path)

    def _apply_clip(self) -> None:
        path = self.ask_path("Expression clip to apply", _filters("clip"), False)
        if path:
            self._guard(lambda: self.model.apply_clip(path), "Applied %s." % path)

    def _micro(self) -> None:
        rig = self.ask_path("Rig file (written by Export)", _filters("rig"), False)
        out = rig and self.ask_path("Save the micro-expression clip", _filters("clip"), True)
        if rig and out:
            self._guard(lambda: self.model.micro_expression(rig=rig, out=out),
                        "Wrote and applied %s." % out)

    def _review(self) -> None:
        rig = self.ask_path("Rig file (written by Export)", _filters("rig"), False)
        clip = rig and self.ask_path("Clip to review", _filters("clip"), False)
        if rig and clip:
            self._guard(lambda: self.model.review(rig=rig, clip=clip), "Reviewed %s." % clip)

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        self.model.end_edit()
        if self.reload in self.model.listeners:
            self.model.listeners.remove(self.reload)
        super().closeEvent(event)


def _filters(kind: str) -> str:
    from . import shelf

    return {"landmark": shelf.LANDMARK_FILTER, "rig": shelf.RIG_FILTER,
            "clip": shelf.CLIP_FILTER}[kind]


_OPEN: List[KeyPointPanel] = []


def show(mesh: Optional[str] = None) -> KeyPointPanel:
    """Open the panel (closing an earlier one) for ``mesh`` or the selected mesh."""
    application()
    while _OPEN:
        _OPEN.pop().close()
    model = PanelModel()
    panel = KeyPointPanel(model, parent=maya_main_window(_mqtutil()))
    try:
        if mesh is not None:
            model.load(mesh)
        else:
            model.load_selection()
    except MicroExprError as exc:
        panel.status.setText(str(exc))
    panel.show()
    _OPEN.append(panel)
    return panel


def _mqtutil() -> Any:
    """``maya.OpenMayaUI.MQtUtil`` if :mod:`._maya` exposes API 1.0 OpenMayaUI, else None."""
    return getattr(getattr(_maya, "omui1", None), "MQtUtil", None)
