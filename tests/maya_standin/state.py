"""Access to the live stand-in scene (a test double, NOT Maya) for the ``cmds_*`` modules."""
from __future__ import annotations

from typing import Any, Dict, Iterable, Optional

from .scene import MayaError, Scene

_CURRENT: Dict[str, Scene] = {}


def current() -> Scene:
    """The live stand-in scene (created on first use)."""
    scene = _CURRENT.get("scene")
    if scene is None:
        scene = _CURRENT["scene"] = Scene()
    return scene


def new_scene() -> Scene:
    old = _CURRENT.get("scene")
    _CURRENT["scene"] = Scene()
    if old is not None:  # plug-ins and session settings stay across file -new, like Maya
        new = _CURRENT["scene"]
        new.plugins = old.plugins
        new.node_classes = old.node_classes
        new.batch = old.batch
        new.undo_enabled = old.undo_enabled
        new.undo_length = old.undo_length
        new.last_finite_length = old.last_finite_length
    return _CURRENT["scene"]


def drop() -> None:
    _CURRENT.pop("scene", None)


def only(cmd: str, flags: Dict[str, Any], supported: Iterable[str]) -> None:
    """Fail loudly on a flag Maya has but the stand-in does not implement."""
    extra = sorted(set(flags) - set(supported))
    if extra:
        raise NotImplementedError(
            f"stand-in cmds.{cmd}: flag(s) {', '.join(extra)} are valid Maya flags "
            f"but not implemented by the stand-in")


def one(args: Any, cmd: str, what: str = "object") -> str:
    names = list(flatten_args(args))
    if not names:
        sel = current().state.selection
        if not sel:
            raise MayaError(f"{cmd}: no {what} specified or selected")
        return sel[0]
    return names[0]


def flatten_args(args: Any) -> Iterable[str]:
    for a in args:
        if isinstance(a, (list, tuple)):
            for b in flatten_args(a):
                yield b
        else:
            yield str(a)


def short(scene: Scene, name: str, long: bool = False) -> str:
    return scene.dag_path(name) if long and scene.is_dag(name) else scene.node(name).name


def opt(value: Optional[Any]) -> Any:
    """Maya list commands return None rather than an empty list."""
    return value if value else None
