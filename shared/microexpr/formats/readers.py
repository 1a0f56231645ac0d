"""Open any supported scene file with blend shapes: FBX by ufbx, glTF/GLB by assimp, Collada
by ``collada_import`` (pure Python: assimp 5.2 cannot read Collada morph controllers).

Both native readers run in a child process (``safe_read.run_isolated``), so a crash on a
corrupt file becomes a clear error instead of taking the caller down.
"""
from __future__ import annotations

import os

from microexpr.errors import MicroExprError
from microexpr.formats.scene import Scene

READERS = {".fbx": "fbx", ".glb": "assimp", ".gltf": "assimp", ".dae": "collada"}


def read_scene(path: str) -> Scene:
    path = os.fspath(path)
    ext = os.path.splitext(path)[1].lower()
    kind = READERS.get(ext)
    if kind is None:
        raise MicroExprError("unsupported file type %r" % ext, file=path,
                             fix="use .fbx, .glb, .gltf or .dae (or --neutral/--targets for OBJ)")
    if not os.path.isfile(path):
        raise MicroExprError("the file does not exist", file=path, fix="check the path")
    if os.path.getsize(path) == 0:
        raise MicroExprError("the file is empty", file=path, fix="re-export it")
    if kind == "fbx":
        from microexpr.formats.fbx_import import read_fbx_ufbx

        return read_fbx_ufbx(path)
    if kind == "collada":
        from microexpr.formats.collada_import import read_collada

        return read_collada(path)
    from microexpr.formats.assimp_import import read_scene_assimp

    return read_scene_assimp(path)
