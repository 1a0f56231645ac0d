"""Solving landmark tracks into a clip of bounded blend-shape weights.

- ``tracks``: landmark tracks from files (``.npy``, CSV, OpenFace CSV), validated.
- ``key_weights``: per-key-point displacements with head motion removed (the paper's D(n)).
- ``weight_solver``: the bounded least-squares solve of weights from key weights (mirrored by
  ``WeightSolver.cs`` and ``BoxQp.cs``).
- ``projected_solver``: the same for 2-D tracks with a per-frame camera
  (``ProjectedSolver.cs``).
- ``tracks_to_clip``: the whole solve, tracks in, clip out.
- ``synthetic_tracks``: tracks made from a rig with head motion and noise, for tests and demos.

The performer model (the performer's own neutral shape) belongs here too.
"""
