"""Qt for the MicroExpr panel: PySide6 (Maya 2025+) or PySide2 (Maya 2022-2024).

Exports ``QtCore``, ``QtGui``, ``QtWidgets``, ``shiboken`` and ``BINDING``. Nothing here
imports Maya, so the panel also runs in a plain Python with PySide6 installed (the tests
use that with ``QT_QPA_PLATFORM=offscreen``).
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Any, Optional, cast

if TYPE_CHECKING:  # type-check against PySide6; PySide2's API used here is the same
    import shiboken6 as shiboken
    from PySide6 import QtCore, QtGui, QtWidgets

    BINDING = "PySide6"
else:
    try:
        import shiboken6 as shiboken
        from PySide6 import QtCore, QtGui, QtWidgets

        BINDING = "PySide6"
    except ImportError:  # Maya 2022-2024 ship PySide2
        import shiboken2 as shiboken
        from PySide2 import QtCore, QtGui, QtWidgets

        BINDING = "PySide2"

__all__ = ["QtCore", "QtGui", "QtWidgets", "shiboken", "BINDING", "application",
           "maya_main_window"]

MAYA_WINDOW_NAME = "MayaWindow"


def application() -> QtWidgets.QApplication:
    """The running QApplication (Maya's), or a new one outside Maya."""
    app = QtWidgets.QApplication.instance()
    if app is None:
        app = QtWidgets.QApplication([])
    assert isinstance(app, QtWidgets.QApplication)
    return app


def maya_main_window(mqtutil: Any = None) -> Optional[QtWidgets.QWidget]:
    """Maya's main window as a QWidget, or None outside Maya.

    ``mqtutil`` is ``maya.OpenMayaUI.MQtUtil`` (API 1.0, the only API with MQtUtil); its
    ``mainWindow()`` pointer is wrapped with shiboken. Without it, or when it returns
    nothing, the top-level widget named ``MayaWindow`` is used if there is one.
    """
    if mqtutil is not None:
        ptr = mqtutil.mainWindow()
        if ptr:
            return cast(QtWidgets.QWidget, shiboken.wrapInstance(int(ptr), QtWidgets.QWidget))
    app = QtWidgets.QApplication.instance()
    if isinstance(app, QtWidgets.QApplication):
        for widget in app.topLevelWidgets():
            if widget.objectName() == MAYA_WINDOW_NAME:
                return widget
    return None
