"""File formats at the edge of the core: OBJ, FBX, glTF and Collada.

``obj`` reads and writes OBJ meshes; ``fbx_export`` and ``gltf_export`` write a rig with its
clip (``fbx_binary`` is the FBX node writer); ``readers`` opens a scene with blend shapes (FBX
by ``fbx_import`` through ufbx, glTF by ``assimp_import``, Collada by ``collada_import``), and
``safe_read`` runs the native readers in a child process, so a crash is an error, not a dead
host. ``scene`` is the interchange scene they share. Landmark tracks are read by
``microexpr.solve.tracks``.
"""
