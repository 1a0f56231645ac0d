"""The review sheet's face: the shaded mesh at the apex, front and three-quarter, coloured by
displacement, with the landmarks; the flat picture and a note when rendering fails.

Needs an OpenGL renderer (moderngl on Mesa EGL): skipped locally without one, a failure
under CI (``CI=true``), whose set-up installs it."""
from __future__ import annotations

import numpy as np
import pytest
from test_review import hand_clip

from microexpr.errors import MicroExprError
from microexpr.review import Reviewer
from microexpr.rig.build import build_rig
from microexpr.rig.face import default_face

SMILE = {"mouthSmile_L": (0.1, 0.25, 0.45, 0.6), "mouthSmile_R": (0.1, 0.25, 0.45, 0.6)}
BROWS = {"browInnerUp": (0.1, 0.25, 0.45, 0.6), "browOuterUp_L": (0.1, 0.25, 0.45, 0.6),
         "browOuterUp_R": (0.1, 0.25, 0.45, 0.6)}


@pytest.fixture(scope="module")
def rig():
    face = default_face()
    return build_rig(face.skin, face.landmark_vertices, preset="arkit", extra_meshes=[face.eyes])


@pytest.fixture(scope="module")
def reviews(rig):
    reviewer = Reviewer(rig)
    return {name: reviewer.review(hand_clip(rig, curves))
            for name, curves in (("smile", SMILE), ("brows", BROWS))}


def _panel(review, rig):
    """The sheet's face panel drawn alone: (axes, figure)."""
    from microexpr.review.sheet import _face, _plt

    fig = _plt().figure(figsize=(5, 9))
    ax = fig.add_subplot(1, 1, 1)
    _face(fig, ax, review, rig)
    return ax, fig


def _green_share(image: np.ndarray, xy) -> float:
    """Green over red in a 7x7 patch at ``xy``: about 1 on the pale yellow of no motion,
    toward 0 on the red of large motion (shading scales both alike)."""
    x, y = int(round(xy[0])), int(round(xy[1]))
    patch = image[y - 3:y + 4, x - 3:x + 4].reshape(-1, 3).astype(np.float64)
    return float(np.median(patch[:, 1] / np.maximum(patch[:, 0], 1.0)))


def test_the_sheet_draws_the_shaded_face(renderer, rig, reviews, monkeypatch):
    import microexpr.rig.shaded as shaded
    from microexpr.review.sheet import render_sheet

    calls = []
    real = shaded.shade

    def spy(points, *args, **kw):
        calls.append(np.asarray(points))
        return real(points, *args, **kw)

    monkeypatch.setattr(shaded, "shade", spy)
    png = render_sheet(reviews["smile"], rig, "smile")
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(calls) == 2                                  # front and three-quarter
    skin = np.asarray(rig.mesh().points)
    moved = np.linalg.norm(calls[0][:len(skin)] - skin, axis=1)     # the face at the apex
    assert rig.units.length == "cm"
    assert np.isclose(10.0 * moved.max(), reviews["smile"].measurement.curve.max(), rtol=0.02)
    ax, fig = _panel(reviews["smile"], rig)
    assert len(ax.images) == 1 and not ax.collections         # a picture, not the flat mesh
    assert not [t for t in ax.texts if "flat picture" in t.get_text()]
    assert len(ax.lines) == 2 and len(ax.lines[0].get_xdata()) == 68   # landmarks, both views


def test_the_face_turns_red_where_the_apex_moves(renderer, rig, reviews):
    share = {}
    for name in ("smile", "brows"):
        ax, fig = _panel(reviews[name], rig)
        image = np.asarray(ax.images[0].get_array())
        lm = np.column_stack([ax.lines[0].get_xdata(), ax.lines[0].get_ydata()])
        share[name] = {part: min(_green_share(image, lm[i]) for i in range(a, b))
                       for part, (a, b) in (("mouth", (48, 68)), ("brows", (17, 27)))}
    assert share["smile"]["mouth"] < 0.5 < share["smile"]["brows"]
    assert share["brows"]["brows"] < 0.5 < share["brows"]["mouth"]


def test_the_three_quarter_view_is_turned(renderer, rig):
    from microexpr.review.sheet import _triangles
    from microexpr.rig.presets import face_frame
    from microexpr.rig.shaded import THREE_QUARTER, face_views, shade

    pts = np.asarray(rig.mesh().points)
    tris = _triangles(rig.mesh())
    lm = rig.neutral_landmarks()
    frame, _ = face_frame(lm)
    front, turned = [shade(pts, tris, None, v, keys=lm)
                     for v in face_views(pts, frame, (0.0, THREE_QUARTER), pixels=200)]
    assert front.image.shape == turned.image.shape
    overlap = (front.covered & turned.covered).sum() / (front.covered | turned.covered).sum()
    assert overlap < 0.9
    nose = []                                  # nose tip against the middle of the outline
    for pic in (front, turned):
        cols = np.nonzero(pic.covered.any(axis=0))[0]
        nose.append((pic.keys[30, 0] - (cols[0] + cols[-1]) / 2.0) / pic.image.shape[1])
    assert abs(nose[0]) < 0.02
    assert nose[1] < -0.05                     # toward the picture's left: the head turned
    assert front.seen.all()


def test_the_sheet_falls_back_to_the_flat_face(rig, reviews, monkeypatch):
    import microexpr.rig.shaded as shaded
    from microexpr.review.sheet import render_sheet

    def fail(*args, **kw):
        raise MicroExprError("cannot open an OpenGL 3.3 context (egl: no display)",
                             field="renderer")

    monkeypatch.setattr(shaded, "shade", fail)
    ax, fig = _panel(reviews["smile"], rig)
    assert not ax.images and ax.collections                  # the flat coloured mesh
    notes = [t.get_text() for t in ax.texts if "flat picture" in t.get_text()]
    assert len(notes) == 1 and "OpenGL" in notes[0] and "\n" not in notes[0]
    assert render_sheet(reviews["smile"], rig)[:4] == b"\x89PNG"
