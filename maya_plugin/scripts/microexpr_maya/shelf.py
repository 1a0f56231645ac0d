"""The "MicroExpr" shelf: one button per tool, each calling the public API.

    import microexpr_maya.shelf
    microexpr_maya.shelf.build()      # creates the shelf, or refills it (no duplicates)

Maya saves shelves into ``prefs/shelves`` when it quits, so building once is enough; run
``build()`` again after an update to refresh the buttons. Button commands are Python source
strings (``sourceType='python'``) rather than callables, because only strings survive
Maya's shelf saving. Icons are the 32x32 PNGs in the repository's ``shelf_icons`` folder
(drawn by ``shelf_icons/draw_icons.py``).
"""
from __future__ import annotations

import os
from typing import Any, Dict, List, NamedTuple, Optional

from microexpr.errors import MicroExprError

from ._maya import cmds, is_batch, mel

__all__ = ["SHELF_NAME", "BUTTONS", "Button", "ICON_DIR", "build", "remove", "icon_path",
           "ask_path", "ask_micro", "selected_mesh", "selected_blendshape", "current_frame"]

SHELF_NAME = "MicroExpr"
#: ``<repo>/shelf_icons``: this file is ``<repo>/maya_plugin/scripts/microexpr_maya/shelf.py``.
ICON_DIR = os.path.normpath(os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                         os.pardir, os.pardir, os.pardir, "shelf_icons"))

LANDMARK_FILTER = "Landmark files (*.json *.csv *.txt *.pts);;All Files (*.*)"
RIG_FILTER = "MicroExpr rig (*.microexpr *.json);;All Files (*.*)"
CLIP_FILTER = "MicroExpr clip (*.microexpr *.json *.csv);;All Files (*.*)"


class Button(NamedTuple):
    """One shelf button. ``api`` is the dotted name (under ``microexpr_maya``) it calls."""

    key: str
    label: str
    annotation: str
    api: str
    command: str


_HEAD = "import microexpr_maya as _mx\nfrom microexpr_maya import shelf as _mxs\n"

BUTTONS: List[Button] = [
    Button("bind", "Bind", "Bind key points to the selected face mesh: its landmarks are "
           "found on renders of it (or taken from 68 of its vertices selected in iBUG order); "
           "the panel opens on the picture of the binding", "bind_key_points",
           _HEAD + "_mesh = _mxs.selected_mesh()\n"
                   "_mx.bind_key_points(_mesh)\n"
                   "from microexpr_maya import panel as _mxp\n"
                   "_mxp.show(_mesh)\n"),
    Button("generate", "Generate", "Generate the micro-expression blend shapes "
           "for the selected bound mesh", "generate_blendshapes",
           _HEAD + "_mx.generate_blendshapes(_mxs.selected_mesh())\n"),
    Button("panel", "Panel", "Open the key-point panel (radius, falloff, offsets)",
           "panel.show",
           "from microexpr_maya import panel as _mxp\n_mxp.show()\n"),
    Button("export", "Export", "Export the selected rig to a MicroExpr rig file",
           "export_rig",
           _HEAD + "_path = _mxs.ask_path('Export MicroExpr rig', _mxs.RIG_FILTER, save=True)\n"
                   "if _path:\n"
                   "    _mx.export_rig(_mxs.selected_mesh(), _path)\n"),
    Button("apply_clip", "Clip", "Apply an expression clip to the selected rig's blend shapes",
           "apply_clip",
           _HEAD + "_path = _mxs.ask_path('Expression clip to apply', _mxs.CLIP_FILTER)\n"
                   "if _path:\n"
                   "    _mx.apply_clip(_mxs.selected_blendshape(), _path)\n"),
    Button("micro", "Micro", "Synthesise a micro-expression clip from an exported rig file "
           "and key it on the selected rig at the current frame", "micro_expression",
           _HEAD + "_bs = _mxs.selected_blendshape()\n"
                   "_rig = _mxs.ask_path('Rig file (written by Export)', _mxs.RIG_FILTER)\n"
                   "_clip = _rig and _mxs.ask_path('Save the micro-expression clip', "
                   "_mxs.CLIP_FILTER, save=True)\n"
                   "_what = _clip and _mxs.ask_micro()\n"
                   "if _rig and _clip and _what:\n"
                   "    _mx.micro_expression(rig=_rig, out=_clip, **_what)\n"
                   "    _mx.apply_clip(_bs, _clip, start_frame=_mxs.current_frame())\n"),
    Button("review", "Review", "Review a clip against its rig file (readability, timing, "
           "identity checks)", "review",
           _HEAD + "_rig = _mxs.ask_path('Rig file (written by Export)', _mxs.RIG_FILTER)\n"
                   "_clip = _rig and _mxs.ask_path('Clip to review', _mxs.CLIP_FILTER)\n"
                   "if _rig and _clip:\n"
                   "    _mx.review(rig=_rig, clip=_clip)\n"),
]


def icon_path(key: str) -> str:
    """Absolute path of the button's PNG (``microexpr_<key>.png``)."""
    return os.path.join(ICON_DIR, "microexpr_%s.png" % key)


def _button_flags(button: Button) -> Dict[str, Any]:
    # A dict so the string command passes mypy: the stubs type ``command`` as a callable.
    return {"label": button.label, "annotation": button.annotation,
            "image": icon_path(button.key).replace("\\", "/"), "command": button.command,
            "sourceType": "python", "style": "iconOnly"}


def _shelf_top_level() -> str:
    top = str(mel.eval("$microexprTmp = $gShelfTopLevel") or "")
    if not top:
        raise MicroExprError("Maya's shelf area ($gShelfTopLevel) is not available",
                             fix="open Maya's shelf (Windows > UI Elements > Shelf) and retry")
    return top


def build(parent: Optional[str] = None) -> str:
    """Create the MicroExpr shelf under ``parent`` (default: Maya's shelf area) or refill it.

    Returns the shelf layout's name. Rebuilding deletes the shelf's old buttons first, so
    the shelf always holds exactly ``len(BUTTONS)`` buttons.
    """
    if is_batch():
        raise MicroExprError("the MicroExpr shelf needs Maya's interface, and this is a batch "
                             "session", fix="run shelf.build() in interactive Maya")
    if cmds.shelfLayout(SHELF_NAME, exists=True):
        shelf = SHELF_NAME
        children: Any = cmds.shelfLayout(shelf, query=True, childArray=True)
        for child in children or []:
            cmds.deleteUI(str(child))
    else:
        shelf = str(cmds.shelfLayout(SHELF_NAME, parent=parent or _shelf_top_level()))
    for button in BUTTONS:
        cmds.shelfButton(parent=shelf, **_button_flags(button))
    return shelf


def remove() -> bool:
    """Delete the MicroExpr shelf tab for this session; True if there was one."""
    if is_batch() or not cmds.shelfLayout(SHELF_NAME, exists=True):
        return False
    cmds.deleteUI(SHELF_NAME, layout=True)
    return True


# ----------------------------------------------------------- helpers for button commands
def ask_path(caption: str, file_filter: str, save: bool = False) -> Optional[str]:
    """A Maya file dialog; the chosen path, or None if the user cancelled."""
    result: Any = cmds.fileDialog2(caption=caption, fileFilter=file_filter,
                                   fileMode=0 if save else 1, dialogStyle=2)
    if not result:
        return None
    return str(result[0] if isinstance(result, (list, tuple)) else result)


def ask_micro(default: str = "happiness") -> Optional[Dict[str, str]]:
    """Ask for an emotion (happiness, sadness, surprise, fear, anger, disgust, contempt) or an
    action-unit list such as ``4+7+R12``; the ``micro_expression`` option, or None if cancelled."""
    from microexpr.micro.emotions import EMOTIONS

    choice = cmds.promptDialog(title="MicroExpr micro-expression",
                               message="Emotion (%s) or action units (e.g. 4+7+R12):"
                                       % ", ".join(sorted(EMOTIONS)),
                               text=default, button=["OK", "Cancel"], defaultButton="OK",
                               cancelButton="Cancel", dismissString="Cancel")
    if choice != "OK":
        return None
    text = str(cmds.promptDialog(query=True, text=True) or "").strip()
    if not text:
        return None
    return {"emotion": text.lower()} if text.lower() in EMOTIONS else {"aus": text}


def current_frame() -> float:
    """The current time, in the scene's time unit (frames)."""
    return float(cmds.currentTime(query=True))


def _selected_objects() -> List[str]:
    """Selected node names, components reduced to their node (``head.vtx[3]`` -> ``head``)."""
    out: List[str] = []
    for item in cmds.ls(selection=True) or []:
        name = str(item).split(".", 1)[0]
        if name not in out:
            out.append(name)
    return out


def selected_mesh() -> str:
    """The selected mesh transform (a selected mesh shape gives its transform)."""
    for name in _selected_objects():
        if cmds.nodeType(name) == "mesh":
            parents = cmds.listRelatives(name, parent=True) or []
            return str(parents[0]) if parents else str(name)
        if cmds.listRelatives(name, shapes=True, type="mesh"):
            return str(name)
    raise MicroExprError("no mesh is selected", field="selection",
                         fix="select the face mesh in the viewport or the Outliner")


def selected_blendshape() -> str:
    """The selected blendShape node, or the MicroExpr blendShape of the selected mesh."""
    selected = _selected_objects()
    for name in selected:
        if cmds.nodeType(name) == "blendShape":
            return str(name)
    if not selected:
        raise MicroExprError("nothing is selected; a blendShape or a rigged mesh is needed",
                             field="selection",
                             fix="select the rigged face mesh (run Generate first if it has none)")
    from .export import resolve_blendshape

    return resolve_blendshape(selected_mesh())[0]
