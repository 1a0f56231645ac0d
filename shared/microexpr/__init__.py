"""MicroExpr core: facial micro-expressions for Maya and Unity.

The core is host-agnostic: numpy, scipy and pydantic, never Maya or Unity. Lengths are in the
rig's unit (centimetres by default), weights 0-1.

The public API is the names below; each is imported on first use, so ``import microexpr``
costs nothing and the Maya deformer loads on numpy alone::

    import microexpr as mx
    face = mx.default_face()
    rig = mx.build_rig(face.skin, face.landmark_vertices, "arkit")
    clip = mx.micro_expression(rig, emotion="contempt", peak_mm=1.2, seed=7)
    print(mx.review_clip(rig, clip).passed)

The pipeline's stages are folders, each depending only on those below it:
``errors``, ``atomicio``, ``mesh``, ``landmarks`` (root) < ``bridge``, ``formats`` <
``rig`` < ``solve``, ``micro`` < ``review``, ``capture``, ``unity`` < ``cli``.
See docs/architecture.md.
"""
from microexpr._lazy import lazy_exports
from microexpr._version import __version__

#: Public name -> the module that defines it ("module:name" where the public name differs: a
#: public name never equals a subpackage's, which Python would put in its place on import).
API = {
    # bridge files
    "Rig": "microexpr.bridge.models", "Clip": "microexpr.bridge.models",
    "load_rig": "microexpr.bridge.io", "save_rig": "microexpr.bridge.io",
    "load_clip": "microexpr.bridge.io", "save_clip": "microexpr.bridge.io",
    # rigs
    "default_face": "microexpr.rig.face", "build_rig": "microexpr.rig.build",
    "import_rig": "microexpr.rig.convert", "export_rig": "microexpr.rig.convert",
    # solving tracks
    "load_tracks": "microexpr.solve.tracks", "solve_tracks": "microexpr.solve.tracks_to_clip",
    "head_motion": "microexpr.solve.synthetic_tracks",
    "image_tracks": "microexpr.solve.synthetic_tracks",
    "calibrate_performer": "microexpr.solve.performer:calibrate",
    "load_performer": "microexpr.solve.performer", "save_performer": "microexpr.solve.performer",
    "PerformerStream": "microexpr.solve.performer_stream",
    # micro-expressions and review
    "micro_expression": "microexpr.micro.synthesizer", "Synthesizer": "microexpr.micro.synthesizer",
    "review_clip": "microexpr.review.report:review", "write_sheet": "microexpr.review.sheet",
    # capture from video
    "capture_video": "microexpr.capture.pipeline:capture",
    # errors
    "MicroExprError": "microexpr.errors",
}
__all__ = ["__version__"] + sorted(API)
__getattr__, __dir__ = lazy_exports(__name__, API)
