"""Stand-in (NOT Maya) UI commands: shelves, file dialogs, deleteUI.

UI elements live in :data:`UI` (name -> :class:`Element`), apart from the scene: Maya's
UI is not part of the scene file or the undo queue. After ``reset()`` the UI holds what an
interactive Maya has: the main window ``MayaWindow`` and the shelf area ``ShelfLayout``
(the value of MEL's ``$gShelfTopLevel``).

Like Maya in batch mode (mayapy), every command here fails while ``Scene.batch`` is True;
tests of UI code set ``standin.batch = False`` first.

``fileDialog2`` shows nothing: it returns the next entry of :data:`DIALOG_ANSWERS` (a list of
paths, or None for "Cancel"), which tests fill, and records its flags in :data:`DIALOGS`.
``promptDialog`` likewise answers from :data:`PROMPT_ANSWERS` (a text, or None for "Cancel").
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from .registry import command, on_reset
from .scene import MayaError
from .state import current, only

__all__ = ["UI", "Element", "DIALOG_ANSWERS", "DIALOGS", "PROMPT_ANSWERS", "children", "buttons"]

PROMPT_ANSWERS: List[Optional[str]] = []
_PROMPT_TEXT: List[str] = [""]


@dataclass
class Element:
    name: str
    type: str
    parent: Optional[str]
    flags: Dict[str, Any] = field(default_factory=dict)


UI: Dict[str, Element] = {}
DIALOG_ANSWERS: List[Optional[List[str]]] = []
DIALOGS: List[Dict[str, Any]] = []
_COUNTER: Dict[str, int] = {}


@on_reset
def _reset_ui() -> None:
    UI.clear()
    _COUNTER.clear()
    PROMPT_ANSWERS.clear()
    _PROMPT_TEXT[0] = ""
    del DIALOG_ANSWERS[:]
    del DIALOGS[:]
    UI["MayaWindow"] = Element("MayaWindow", "window", None)
    UI["ShelfLayout"] = Element("ShelfLayout", "shelfTabLayout", "MayaWindow")


_reset_ui()


def _interactive(cmd: str) -> None:
    if current().batch:
        raise MayaError(f"{cmd}: UI commands are not available in batch mode "
                        "(stand-in, like mayapy)")


def _short(name: str) -> str:
    return name.rsplit("|", 1)[-1]


def _element(name: str, cmd: str, typ: Optional[str] = None) -> Element:
    el = UI.get(_short(name))
    if el is None or (typ is not None and el.type != typ):
        raise MayaError(f"{cmd}: Object '{name}' not found.")
    return el


def _new_name(typ: str, name: Optional[str]) -> str:
    if name:
        if _short(name) in UI:
            raise MayaError(f"Object's name '{name}' is not unique.")
        return _short(name)
    while True:
        _COUNTER[typ] = _COUNTER.get(typ, 0) + 1
        candidate = f"{typ}{_COUNTER[typ]}"
        if candidate not in UI:
            return candidate


def children(name: str) -> List[str]:
    """Names of the direct children of UI element ``name``, in creation order."""
    return [e.name for e in UI.values() if e.parent == _short(name)]


def buttons(shelf: str) -> List[Element]:
    """The shelfButton elements of ``shelf`` (stand-in-only helper for assertions)."""
    return [UI[n] for n in children(shelf) if UI[n].type == "shelfButton"]


def _path(name: str) -> str:
    parts = [name]
    el = UI[name]
    while el.parent:
        parts.append(el.parent)
        el = UI[el.parent]
    return "|".join(reversed(parts))


def _control(typ: str, parents: tuple, args: Any, flags: Dict[str, Any],
             settable: tuple) -> Any:
    """Shared create / query / edit / exists logic of a UI control or layout."""
    _interactive(typ)
    name = str(args[0]) if args else None
    if flags.get("exists"):
        return name is not None and _short(name) in UI and UI[_short(name)].type == typ
    if flags.get("query") or flags.get("edit"):
        if name is None:
            raise MayaError(f"{typ}: no object specified")
        el = _element(name, typ, typ)
        if flags.get("edit"):
            el.flags.update({k: v for k, v in flags.items() if k in settable})
            return None
        asked = [k for k in flags if k != "query"]
        if len(asked) != 1:
            raise MayaError(f"{typ}: query exactly one flag, got {asked}")
        key = asked[0]
        if key == "childArray":
            return children(el.name) or None
        if key == "numberOfChildren":
            return len(children(el.name))
        if key == "fullPathName":
            return _path(el.name)
        if key == "parent":
            return _path(el.parent) if el.parent else ""
        return el.flags.get(key)
    parent = flags.get("parent")
    if parent is None:
        raise NotImplementedError(f"stand-in {typ}: pass parent= (no setParent support)")
    p = _element(str(parent), typ)
    if p.type not in parents:
        raise MayaError(f"{typ}: '{parent}' is a {p.type}, not one of {parents}")
    new = _new_name(typ, name)
    UI[new] = Element(new, typ, p.name, {k: v for k, v in flags.items() if k in settable})
    return _path(new)


_SHELF_LAYOUT_FLAGS = ("annotation", "cellWidth", "cellHeight", "height", "width", "style",
                       "backgroundColor", "visible", "enable")


@command
def shelfLayout(*args: Any, **flags: Any) -> Any:
    only("shelfLayout", flags, ("exists", "query", "edit", "parent", "childArray",
                                "numberOfChildren", "fullPathName") + _SHELF_LAYOUT_FLAGS)
    return _control("shelfLayout", ("shelfTabLayout",), args, flags, _SHELF_LAYOUT_FLAGS)


_SHELF_BUTTON_FLAGS = ("label", "annotation", "image", "image1", "command", "sourceType",
                       "style", "imageOverlayLabel", "enable", "visible", "width", "height")


@command
def shelfButton(*args: Any, **flags: Any) -> Any:
    only("shelfButton", flags, ("exists", "query", "edit", "parent", "fullPathName")
         + _SHELF_BUTTON_FLAGS)
    if not (flags.get("query") or flags.get("exists")):
        source = flags.get("sourceType", "mel")
        if source not in ("mel", "python"):
            raise MayaError(f"shelfButton: sourceType must be 'mel' or 'python', not {source!r}")
        if "command" in flags and source == "python" and isinstance(flags["command"], str):
            compile(flags["command"], "<shelfButton command>", "exec")  # Maya would fail later
    return _control("shelfButton", ("shelfLayout",), args, flags, _SHELF_BUTTON_FLAGS)


@command
def deleteUI(*args: Any, **flags: Any) -> bool:
    only("deleteUI", flags, ("control", "layout", "window"))
    _interactive("deleteUI")
    kinds = {"control": ("shelfButton",), "layout": ("shelfLayout", "shelfTabLayout"),
             "window": ("window",)}
    for name in args:
        el = _element(str(name), "deleteUI")
        for flag, types in kinds.items():
            if flags.get(flag) and el.type not in types:
                raise MayaError(f"deleteUI: '{name}' is not a {flag}")
        doomed = [el.name]
        i = 0
        while i < len(doomed):
            doomed += children(doomed[i])
            i += 1
        for n in doomed:
            UI.pop(n, None)
    return True


@command
def fileDialog2(**flags: Any) -> Optional[List[str]]:
    only("fileDialog2", flags, ("caption", "fileFilter", "fileMode", "dialogStyle",
                                "startingDirectory", "okCaption", "selectFileFilter"))
    _interactive("fileDialog2")
    DIALOGS.append(dict(flags))
    if not DIALOG_ANSWERS:
        raise AssertionError("stand-in fileDialog2: the test queued no answer "
                             "(append a list of paths or None to DIALOG_ANSWERS)")
    answer = DIALOG_ANSWERS.pop(0)
    return list(answer) if answer else None



@command
def promptDialog(**flags: Any) -> Any:
    only("promptDialog", flags, ("title", "message", "text", "button", "defaultButton",
                                 "cancelButton", "dismissString", "query"))
    _interactive("promptDialog")
    if flags.get("query"):
        return _PROMPT_TEXT[0]
    DIALOGS.append(dict(flags))
    if not PROMPT_ANSWERS:
        raise AssertionError("stand-in promptDialog: the test queued no answer "
                             "(append a text or None to PROMPT_ANSWERS)")
    answer = PROMPT_ANSWERS.pop(0)
    if answer is None:
        return flags.get("dismissString", "Cancel")
    _PROMPT_TEXT[0] = answer
    buttons = flags.get("button") or ["OK"]
    return buttons[0] if isinstance(buttons, (list, tuple)) else buttons
