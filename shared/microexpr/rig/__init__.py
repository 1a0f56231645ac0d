"""Building rigs: the face, its key points and its targets.

- ``face``: the embedded default face (skin and eyes, with its 68 landmark vertices).
- ``falloff``: how a soft-mod's influence fades with distance (numpy only: the Maya deformer
  evaluates it).
- ``softmod``: one soft-mod key point's deformation of a mesh.
- ``presets``: the key expressions (the paper's Table 1, ARKit) as soft-mod recipes.
- ``build``: a rig from a mesh and landmarks (preset targets) or from sculpted targets;
  evaluating a rig's weights.
- ``convert``: rig <-> interchange scene (FBX/glTF/Collada) and rigs from OBJ targets.
- ``render``: a headless OpenGL render of a mesh with a triangle-id buffer (moderngl on EGL),
  orthographic or perspective.
- ``film``: a camera as Maya describes it (focal length, film back, film fit) as a render view.

Markerless binding (dlib on a render of the mesh) is ``capture.markerless``: it needs the
detector, which lives in ``capture/``; binding a user's image landmarks seen through a camera
is ``capture.image_binding``.
"""
