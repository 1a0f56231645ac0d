"""MEL/Python commands of the plug-in (API 2.0 MPxCommand), each calling the public API.

``microexprBindKeyPoints``, ``microexprGenerateBlendShapes``, ``microexprAddPoseTarget``,
``microexprExportRig`` and ``microexprApplyClip`` take the node as their object and the
options as flags.  They are not
undoable themselves: the functions they call record one undo chunk of ordinary commands.

Flags are declared and looked up by their dashed names (``"-lf"``, ``"-landmarkFile"``), as
Autodesk's command examples do; ``FLAGS`` lists them without the dash.
"""
from __future__ import annotations

from typing import Any, Callable, Dict, List, Tuple, Type

from microexpr.errors import MicroExprError

from ._maya import om

Flag = Tuple[str, str, str, int]  # short, long, python keyword, MSyntax argument type


class _Command(om.MPxCommand):
    NAME = ""
    FLAGS: Tuple[Flag, ...] = ()
    #: Options the command cannot run without: (option key, problem, flag, fix).
    REQUIRED: Tuple[Tuple[str, str, str, str], ...] = ()

    def __init__(self) -> None:
        om.MPxCommand.__init__(self)

    def isUndoable(self) -> bool:
        return False

    def run(self, objects: List[str], options: Dict[str, Any]) -> Any:
        raise NotImplementedError

    def doIt(self, args: Any) -> None:
        db = om.MArgDatabase(self.syntax(), args)
        options: Dict[str, Any] = {}
        for short, _long, key, kind in self.FLAGS:
            flag = "-" + short
            if db.isFlagSet(flag):
                if kind == om.MSyntax.kBoolean:
                    options[key] = db.flagArgumentBool(flag, 0)
                elif kind == om.MSyntax.kDouble:
                    options[key] = db.flagArgumentDouble(flag, 0)
                else:
                    options[key] = db.flagArgumentString(flag, 0)
        try:
            for key, problem, flag, fix in self.REQUIRED:
                if key not in options:
                    raise MicroExprError(problem, field=flag, fix=fix)
            result = self.run(list(db.getObjectStrings()), options)
        except MicroExprError as exc:
            om.MGlobal.displayError(str(exc))
            raise
        om.MPxCommand.setResult(result)

    @classmethod
    def creator(cls) -> "_Command":
        return cls()

    @classmethod
    def syntax_creator(cls) -> Any:
        syntax = om.MSyntax()
        syntax.setObjectType(om.MSyntax.kStringObjects, 1, 1)
        for short, long, _key, kind in cls.FLAGS:
            syntax.addFlag("-" + short, "-" + long, kind)
        return syntax


def _one(objects: List[str], what: str) -> str:
    if len(objects) != 1:
        raise MicroExprError("give one %s" % what, fix="pass the %s's name" % what)
    return objects[0]


class BindKeyPoints(_Command):
    NAME = "microexprBindKeyPoints"
    FLAGS = (("lf", "landmarkFile", "landmark_file", om.MSyntax.kString),
             ("p", "preset", "preset", om.MSyntax.kString),
             ("up", "upAxis", "up", om.MSyntax.kString),
             ("fr", "front", "front", om.MSyntax.kString),
             ("pv", "preview", "preview", om.MSyntax.kString))

    def run(self, objects: List[str], options: Dict[str, Any]) -> Any:
        from .bind import bind_key_points
        return bind_key_points(_one(objects, "mesh"), **options)


class GenerateBlendShapes(_Command):
    NAME = "microexprGenerateBlendShapes"
    FLAGS = (("p", "preset", "preset", om.MSyntax.kString),
             ("kt", "keepTargets", "keep_targets", om.MSyntax.kBoolean),
             ("bs", "blendShape", "blendshape", om.MSyntax.kString),
             ("r", "replace", "replace", om.MSyntax.kBoolean))

    def run(self, objects: List[str], options: Dict[str, Any]) -> Any:
        from .generate import generate_blendshapes
        return generate_blendshapes(_one(objects, "mesh"), **options)


class AddPoseTarget(_Command):
    NAME = "microexprAddPoseTarget"
    FLAGS = (("n", "name", "name", om.MSyntax.kString),
             ("bs", "blendShape", "blendshape", om.MSyntax.kString),
             ("rh", "resetHandles", "reset_handles", om.MSyntax.kBoolean),
             ("r", "replace", "replace", om.MSyntax.kBoolean))
    REQUIRED = (("name", "no target name", "-name", "pass -name smirk_L"),)

    def run(self, objects: List[str], options: Dict[str, Any]) -> Any:
        from .pose import add_pose_target
        return add_pose_target(_one(objects, "mesh"), **options)


class ExportRig(_Command):
    NAME = "microexprExportRig"
    FLAGS = (("f", "file", "path", om.MSyntax.kString),
             ("fbx", "fbxFile", "fbx_path", om.MSyntax.kString))
    REQUIRED = (("path", "no output file", "-file", "pass -file rig.json"),)

    def run(self, objects: List[str], options: Dict[str, Any]) -> Any:
        from .export import export_rig
        return export_rig(_one(objects, "mesh or blendShape"), **options)


class ApplyClip(_Command):
    NAME = "microexprApplyClip"
    FLAGS = (("c", "clip", "clip_path", om.MSyntax.kString),
             ("sf", "startFrame", "start_frame", om.MSyntax.kDouble),
             ("t", "tangent", "tangent", om.MSyntax.kString),
             ("al", "animLayer", "anim_layer", om.MSyntax.kString))
    REQUIRED = (("clip_path", "no clip file", "-clip", "pass -clip clip.json"),)

    def run(self, objects: List[str], options: Dict[str, Any]) -> Any:
        from .apply_clip import apply_clip
        return apply_clip(_one(objects, "blendShape"), **options)


COMMANDS: Tuple[Type[_Command], ...] = (BindKeyPoints, GenerateBlendShapes, AddPoseTarget,
                                        ExportRig, ApplyClip)


def registrations() -> List[Tuple[str, Callable[[], Any], Callable[[], Any]]]:
    """(name, creator, syntax creator) of every command, for the plug-in."""
    return [(c.NAME, c.creator, c.syntax_creator) for c in COMMANDS]
