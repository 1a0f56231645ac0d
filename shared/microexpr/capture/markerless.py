"""Markerless binding: the 68 landmark vertices of a head mesh, found by dlib on renders.

:func:`find_landmarks` renders the mesh (``microexpr.rig.render``), front on, lit, and
runs dlib's frontal face detector and 68-point shape predictor (``capture.detect``) on the
picture; the render's id buffer gives the surface under each landmark (``capture.skin``
keeps it on the skin). Steps:

1. Axes: the given up/front pair, or the stated one (FBX, glTF, Collada: +Y up, +Z front
   once read), or for an OBJ the pairs in :data:`AXIS_ORDER` until a face is found on a
   quick whole-mesh render.
2. Views framed on the face found: straight on and turned a few degrees (yaw, pitch), lit
   softly (:data:`SOFT_AMBIENT`); every detection is predicted from a few nudged boxes and
   averaged (``FaceTracker.predict``).
3. On each view, points over a hole go to the nearest skin pixel, eye and mouth landmarks
   are fitted to the openings where the mesh has them, jaw points go to the silhouette
   (the occluding contour, ``skin.contour_vertices``).
4. The views' 3-D points are combined per landmark (median, outliers rejected); a mesh
   with a mirror symmetry gets a mirror-symmetric binding; each point binds to the nearest
   skin vertex visible from the front. A confidence (0-1) per landmark comes from how well
   the views agree, the detector's score and how far a point had to move onto skin.

Nothing is bound when no face is found or the result is inconsistent: a
:class:`LandmarkError` names the fix and carries a preview picture.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from microexpr.capture import skin as skinmod
from microexpr.errors import MicroExprError
from microexpr.landmarks import COUNT, MIRROR, NAMES
from microexpr.mesh import Mesh
from microexpr.rig.render import Light

#: Up/front pairs tried for a file without axes, most common first (Y-up tools, Z-up tools).
AXIS_ORDER: Tuple[Tuple[str, str], ...] = (
    ("+Y", "+Z"), ("+Z", "-Y"), ("+Z", "+Y"), ("+Y", "-Z"), ("+Y", "+X"), ("+Y", "-X"),
    ("+Z", "+X"), ("+Z", "-X"), ("-Y", "+Z"), ("-Y", "-Z"), ("-Z", "+Y"), ("-Z", "-Y"),
    ("+X", "+Z"), ("+X", "-Z"), ("-X", "+Z"), ("-X", "-Z"), ("+X", "+Y"), ("+X", "-Y"),
    ("-X", "+Y"), ("-X", "-Y"), ("-Y", "+X"), ("-Y", "-X"), ("-Z", "+X"), ("-Z", "-X"))
JAW = tuple(range(17))
INNER = tuple(range(17, COUNT))
#: (ring: corner A, corner B; upper margin; lower margin; extra points to search around)
OPENINGS = (((36, 39), (37, 38), (41, 40), ()), ((42, 45), (43, 44), (47, 46), ()),
            ((60, 64), (61, 62, 63), (67, 66, 65), tuple(range(48, 60))))
NON_SKIN_GREY = 0.3
#: Ambient share of the detection renders' light: soft, nearly shadowless light, as in most
#: of the photographs dlib's model learnt from (the renderer's default, 0.22, is a modelling
#: light with deep shadows; dlib then reads shadow edges as features).
SOFT_AMBIENT = 0.55


@dataclass
class Settings:
    """How hard to look. ``pixels``: the detection render's size, with the face box about
    ``face_share`` of it; ``views``: (yaw, pitch) degrees; ``upsample``: detector levels."""

    pixels: int = 640
    face_share: float = 0.5
    views: Tuple[Tuple[float, float], ...] = ((0, 0), (7, 0), (-7, 0), (0, 6), (0, -6),
                                             (12, 0), (-12, 0), (0, 10), (0, -10))
    upsample: Tuple[int, ...] = (0,)
    ensemble: int = 9
    threshold: float = -0.3            # detector score needed
    search_pixels: int = 400           # whole-mesh render for the axis search
    outlier: float = 0.05              # share of the eye-corner distance
    contour_radius: float = 0.08       # jaw points reach the silhouette this far (eye dist.)
    preview_pixels: int = 900
    light: Light = field(default_factory=lambda: Light(ambient=SOFT_AMBIENT))
    mirror: bool = True                # also predict on the mirrored picture
    background: int = 0                # gray level behind the mesh


@dataclass
class Binding:
    """The landmark vertices of a mesh. ``vertices`` (68,) index the skin mesh;
    ``points`` (68, 3) the surface points found; ``confidence`` (68,) 0-1; ``preview``
    the front render (RGB) with the landmarks drawn; ``report`` everything measured."""

    vertices: np.ndarray
    points: np.ndarray
    confidence: np.ndarray
    up: str
    front: str
    preview: np.ndarray
    report: Dict = field(default_factory=dict)


class LandmarkError(MicroExprError):
    """No face, or an inconsistent one: nothing was bound. ``preview`` shows what was seen."""

    def __init__(self, problem: str, *, preview=None, report=None, **kw) -> None:
        super().__init__(problem, **kw)
        self.preview = preview
        self.report = report or {}


@dataclass
class _Look:
    """What one detection on one view gave."""

    yaw: float
    pitch: float
    upsample: int
    score: float
    raw: np.ndarray          # (68, 2) dlib's pixels
    fitted: np.ndarray       # (68, 2) after openings and silhouette
    points: np.ndarray       # (68, 3) on the skin
    moved: np.ndarray        # (68,) pixels moved to reach skin
    scale: float             # pixels per world unit


def axis_candidates(up: Optional[str], front: Optional[str], stated: bool) -> List[Tuple[str, str]]:
    """The up/front pairs to try: the one given (either half may be given alone), else the
    stated +Y/+Z, else every pair, most common first."""
    from microexpr.rig.render import axis

    def name(v):
        return {tuple(np.array(a)): k for k, a in _AXES.items()}[tuple(v)]

    if up or front:
        pairs = [(name(axis(u, "--up")), name(axis(f, "--front"))) for u, f in AXIS_ORDER
                 if (not up or np.array_equal(axis(u), axis(up, "--up")))
                 and (not front or np.array_equal(axis(f), axis(front, "--front")))]
        if not pairs:
            raise MicroExprError("--up %s and --front %s are the same axis" % (up, front),
                                 field="--up/--front", fix="give two different axes")
        return pairs
    return [AXIS_ORDER[0]] if stated else list(AXIS_ORDER)


_AXES = {"+X": (1.0, 0.0, 0.0), "-X": (-1.0, 0.0, 0.0), "+Y": (0.0, 1.0, 0.0),
         "-Y": (0.0, -1.0, 0.0), "+Z": (0.0, 0.0, 1.0), "-Z": (0.0, 0.0, -1.0)}


def _albedo(skin: skinmod.Skin, colours, uvs) -> Tuple[np.ndarray, Optional[np.ndarray]]:
    """Per-point colours (non-skin parts darker) and per-corner UVs (-1: not textured)."""
    col = np.full((len(skin.points), 3), 0.78)
    if colours is not None:
        c = np.asarray(colours)
        c = c.astype(np.float64)[:, :3] / (255.0 if c.dtype == np.uint8 else 1.0)
        col[:skin.vertex_count] = c
    col[~skin.skin_vertex] = NON_SKIN_GREY
    if uvs is None:
        return col, None
    uv = np.asarray(uvs, dtype=np.float64)
    corner = np.full((len(skin.triangles), 3, 2), -1.0)
    if uv.ndim == 3:
        own = len(uv)
        corner[:own] = uv[:, ::-1] if skin.flipped else uv
    else:
        full = np.full((len(skin.points), 2), -1.0)
        full[:skin.vertex_count] = uv.reshape(-1, 2)
        corner = full[skin.triangles]
    corner[~skin.skin_triangle] = -1.0
    return col, corner


class _Finder:
    """One binding run: the skin, how it is drawn, the detector."""

    def __init__(self, skin, colours, texture, uvs, settings: Settings, model: Optional[str]):
        from microexpr.capture.detect import FaceTracker, TrackerSettings, load_models

        self.skin, self.settings, self.texture = skin, settings, texture
        self.colours, self.uvs = _albedo(skin, colours, uvs if texture is not None else None)
        self.detector, _ = load_models(model)
        # a still render, no jitter to average away: the binding's boxes stay 3 % apart
        self.tracker = FaceTracker(TrackerSettings(ensemble=settings.ensemble, nudge=0.03,
                                                   predict_upscale_below=0), model=model)
        self.renders = 0
        self.backwards = 0      # faces seen on the back of the polygons

    def render(self, view):
        from microexpr.rig.render import render

        self.renders += 1
        return render(self.skin.points, self.skin.triangles, view, colours=self.colours,
                      texture=self.texture, uvs=self.uvs, normals=self.skin.normals,
                      light=self.settings.light)

    def detect(self, gray: np.ndarray, upsample: int):
        rects, scores, _ = self.detector.run(gray, upsample, self.settings.threshold)
        return [((r.left(), r.top(), r.right(), r.bottom()), float(s))
                for r, s in zip(rects, scores)]

    def predict(self, gray: np.ndarray, box) -> np.ndarray:
        """dlib's 68 points (pixel centres at +0.5) in ``box``; with ``settings.mirror``,
        averaged with the prediction on the mirrored picture (dlib's left/right biases
        cancel)."""
        xy = self.tracker.predict(gray, box)
        if self.settings.mirror:
            w = gray.shape[1]
            flipped = (w - 1 - box[2], box[1], w - 1 - box[0], box[3])
            other = self.tracker.predict(np.ascontiguousarray(gray[:, ::-1]), flipped)
            other[:, 0] = w - 1 - other[:, 0]
            xy = (xy + other[MIRROR]) / 2.0
        return xy + 0.5

    def search(self, up: str, front: str):
        """(view, frame, best detection or None) on a whole-mesh render."""
        from microexpr.rig.render import front_view, gray

        view = front_view(self.skin.points[self.skin.skin_vertex], up, front,
                          pixels=self.settings.search_pixels)
        frame = self.render(view)
        g = gray(frame, self.settings.background)
        mask = skinmod.skin_pixels(frame, self.skin)
        found = []
        for up_level in (0, 1):
            seen = self.detect(g, up_level)
            found = [d for d in seen if _skin_share(mask, d[0]) >= 0.5]
            self.backwards += len(seen) - len(found)
            if found:
                break
        best = max(found, key=lambda d: d[1]) if found else None
        return view, frame, best

    def face_views(self, view, box, rotation=None) -> List:
        """Views framed on the face found at ``box`` (pixels of ``view``), turned from
        ``rotation`` (default: the view's)."""
        from microexpr.rig.render import View, turn

        s = self.settings
        centre_px = np.array([(box[0] + box[2]) / 2.0 + 0.5, (box[1] + box[3]) / 2.0 + 0.5])
        side = (box[2] - box[0]) / view.scale / s.face_share
        centre = view.from_pixels(centre_px[None], [0.0])[0]
        base = view.rotation if rotation is None else rotation
        return [((yaw, pitch), View(turn("+Y", "+Z", yaw, pitch) @ base, centre, side,
                                    (s.pixels, s.pixels))) for yaw, pitch in s.views]

    def look(self, yaw: float, pitch: float, view) -> List[_Look]:
        """Every detection of the face on one view, as landmarks on the skin."""
        from microexpr.capture.detect import iou
        from microexpr.rig.render import gray

        frame = self.render(view)
        g = gray(frame, self.settings.background)
        s = self.settings
        n = s.pixels
        expect = (n * (0.5 - s.face_share / 2), n * (0.5 - s.face_share / 2),
                  n * (0.5 + s.face_share / 2), n * (0.5 + s.face_share / 2))
        mask = skinmod.skin_pixels(frame, self.skin)
        nearest = skinmod.nearest_skin(mask)
        rim = skinmod.contour_vertices(frame, self.skin, 0.005 * self.skin.size)
        out = []
        for level in s.upsample:
            found = [d for d in self.detect(g, level) if iou(d[0], expect) > 0.3]
            if not found:
                continue
            box, score = max(found, key=lambda d: iou(d[0], expect))
            if _skin_share(mask, box) < 0.5:
                continue
            raw = self.predict(g, box)
            fitted = raw.copy()
            for ring, upper, lower, extra in OPENINGS:
                moved = skinmod.fit_opening(fitted, ring, upper, lower, mask,
                                            fitted[list(extra)] if extra else None)
                if moved is not None:
                    fitted = _follow_corners(fitted, moved, ring, extra)
            pts, moved_px = skinmod.to_skin(frame, self.skin, fitted, mask, nearest)
            if not np.all(np.isfinite(pts)):
                continue
            eye = float(np.linalg.norm(fitted[36] - fitted[45]))
            on_rim = skinmod.to_contour(fitted[list(JAW)], fitted[27:36].mean(axis=0), rim[1],
                                        s.contour_radius * eye)
            jaw = np.asarray(JAW)[on_rim >= 0]
            pts[jaw] = self.skin.points[rim[0][on_rim[on_rim >= 0]]]
            fitted[jaw] = rim[1][on_rim[on_rim >= 0]]
            moved_px[jaw] = 0.0
            out.append(_Look(yaw, pitch, level, score, raw, fitted, pts, moved_px, view.scale))
        return out


def _skin_share(mask: np.ndarray, box) -> float:
    """The share of a detection box's pixels that show the front of the skin (a face seen
    from behind, through its openings, shows the back of the polygons)."""
    h, w = mask.shape
    x0, y0 = max(0, int(box[0])), max(0, int(box[1]))
    x1, y1 = min(w, int(box[2]) + 1), min(h, int(box[3]) + 1)
    return float(mask[y0:y1, x0:x1].mean()) if x1 > x0 and y1 > y0 else 0.0


def _follow_corners(xy: np.ndarray, fitted: np.ndarray, ring, extra) -> np.ndarray:
    """``fitted`` (an opening's landmarks moved), with ``extra`` points (the outer lip)
    carried by the similarity that moved the ring's corners."""
    out = fitted.copy()
    if not extra:
        return out
    a0, b0 = xy[ring[0]], xy[ring[-1]]
    a1, b1 = fitted[ring[0]], fitted[ring[-1]]
    z0, z1 = complex(*(b0 - a0)), complex(*(b1 - a1))
    if abs(z0) < 1e-9:
        return out
    m = z1 / z0
    for k in extra:
        z = complex(*(xy[k] - a0)) * m
        out[k] = a1 + np.array([z.real, z.imag])
    return out


def find_landmarks(mesh: Mesh, others: Sequence[Mesh] = (), up: Optional[str] = None,
                   front: Optional[str] = None, stated_axes: bool = False, colours=None,
                   texture=None, uvs=None, settings: Optional[Settings] = None,
                   model: Optional[str] = None, source: Optional[str] = None) -> Binding:
    """The 68 landmark vertices of ``mesh`` (the skin), drawn with ``others`` (eyes, teeth).

    ``up``/``front``: the head's axes (``"+Y"``, ``"-Z"`` ...); without them the axes are
    +Y/+Z when ``stated_axes`` (the file states them), else searched. ``colours`` (N, 3)
    or ``texture`` (an RGB image, with ``uvs``: per vertex (N, 2) or per triangle corner
    (T, 3, 2) of ``mesh.triangles()``; default ``mesh.uvs``) give the skin its look.
    ``source`` names the mesh's file in errors. Raises :class:`LandmarkError` when no
    consistent face is found."""
    start = time.perf_counter()
    s = settings or Settings()
    skin = skinmod.prepare(mesh, others)
    finder = _Finder(skin, colours, texture, mesh.uvs if uvs is None else uvs, s, model)
    fix = _fix(up, front, stated_axes)
    report: Dict = {"mesh": mesh.name, "vertices": mesh.vertex_count, "axes_tried": [],
                    "skin_parts": skin.parts, "flipped_polygons": skin.flipped}
    found, first = None, None
    for up_axis, front_axis in axis_candidates(up, front, stated_axes):
        view, frame, best = finder.search(up_axis, front_axis)
        first = first if first is not None else frame
        report["axes_tried"].append("%s up, %s front" % (up_axis, front_axis))
        if best is not None:
            found = (up_axis, front_axis, view, best[0])
            break
    if found is None:
        behind = (" (a face shape was seen on the back of the polygons: the head seen from "
                  "behind, or polygons facing inward)" if finder.backwards else "")
        raise LandmarkError("no face found on a front render of the mesh (tried %s)%s"
                            % ("; ".join(report["axes_tried"]), behind), file=source, field="mesh",
                            fix=fix, report=report,
                            preview=None if first is None else
                            _preview_note(first.image, "no face found"))
    up_axis, front_axis, view, box = found
    report["axes"] = {"up": up_axis, "front": front_axis}
    rotation = view.rotation
    straight = finder.look(0.0, 0.0, finder.face_views(view, box)[0][1])
    if straight:
        from microexpr.capture.binding import face_axes

        turned = face_axes(np.mean([lk.points for lk in straight], axis=0), rotation[1])
        if turned[2] @ rotation[2] > np.cos(np.radians(30)):
            rotation = turned
    looks: List[_Look] = []
    views = finder.face_views(view, box, rotation)
    for (yaw, pitch), v in views:
        looks += finder.look(yaw, pitch, v)
    report["views"] = [{"yaw": lk.yaw, "pitch": lk.pitch, "upsample": lk.upsample,
                        "score": round(lk.score, 3)} for lk in looks]
    binding = _bind(finder, looks, views[0][1], report, source, fix)
    binding.up, binding.front = up_axis, front_axis
    report["seconds"] = round(time.perf_counter() - start, 2)
    report["renders"] = finder.renders
    return binding


def _bind(finder: _Finder, looks: List[_Look], view, report: Dict, source, fix) -> Binding:
    """Combine the looks into one binding, or raise :class:`LandmarkError`."""
    from microexpr.capture import binding as bd
    from microexpr.capture.bind_preview import draw
    from microexpr.rig.render import View

    s, skin = finder.settings, finder.skin
    tried = len(s.views) * len(s.upsample)
    view = View(view.rotation, view.centre, view.width, (s.preview_pixels, s.preview_pixels))
    frame = finder.render(view)
    if not looks:
        raise LandmarkError("a face was seen on the whole-mesh render but not on the "
                            "close-ups", file=source, field="mesh", fix=fix, report=report,
                            preview=_preview_note(frame.image, "no face on the close-ups"))
    est = np.stack([lk.points for lk in looks])
    med = np.median(est, axis=0)
    eye = float(np.linalg.norm(med[36] - med[45]))
    points, share, spread = bd.combine(est, eye, s.outlier)
    candidates, _ = skinmod.visible_vertices(frame, skin, 0.005 * skin.size)
    candidates = candidates[candidates < skin.vertex_count]
    own = np.flatnonzero(skin.skin_vertex[:skin.vertex_count])
    sym = bd.mirror_map(skin.points, own, candidates, points, 0.1 * skin.edge)
    if sym is not None:
        points = bd.symmetrise(points, sym[1], sym[2])
    vertices = bd.choose_vertices(points, skin.points, candidates,
                                  None if sym is None else sym[0])
    moved = np.median([lk.moved / max(lk.scale * eye, 1e-9) for lk in looks], axis=0)
    score = float(np.median([lk.score for lk in looks]))
    conf = bd.confidence(share, spread, moved, score)
    xy, _ = view.to_pixels(skin.points[vertices])
    title = "%s: %d/%d renders, confidence %.2f (min %.2f)" % (
        report["mesh"], len(looks), tried, float(conf.mean()), float(conf.min()))
    preview = _preview_note(_crop(draw(frame.image, xy, conf), xy), title)
    report.update(_landmark_report(vertices, conf, share, spread, moved, eye),
                  symmetric=sym is not None, eye_corner_distance=round(eye, 6),
                  renders_with_face=len(looks), renders_tried=tried)
    bad = bd.problems(points, view.rotation[2], eye, len(looks), tried, spread)
    if bad:
        raise LandmarkError("the face found is not consistent: " + "; ".join(bad),
                            file=source, field="mesh", fix=fix, report=report,
                            preview=_preview_note(preview, "NOT BOUND: " + bad[0]))
    return Binding(vertices, points, conf, "", "", preview, report)


def _landmark_report(vertices, conf, share, spread, moved, eye) -> Dict:
    return {"landmarks": [
        {"index": i, "name": NAMES[i], "vertex": int(vertices[i]),
         "confidence": round(float(conf[i]), 3), "views_agreeing": round(float(share[i]), 3),
         "spread_pct": round(100 * float(spread[i]), 2),
         "moved_to_skin_pct": round(100 * float(moved[i]), 2)} for i in range(COUNT)],
        "mean_confidence": round(float(np.mean(conf)), 3)}


def _crop(image: np.ndarray, xy: np.ndarray) -> np.ndarray:
    """The part of ``image`` around the landmarks."""
    h, w = image.shape[:2]
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    pad = 0.25 * float((hi - lo).max())
    x0, y0 = max(0, int(lo[0] - pad)), 0
    x1, y1 = min(w, int(hi[0] + pad)), min(h, int(hi[1] + pad))
    y0 = max(0, int(lo[1] - 1.2 * pad))
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def _preview_note(image: np.ndarray, text: str) -> np.ndarray:
    from microexpr.capture.bind_preview import note

    return note(image, text)


def _fix(up, front, stated) -> str:
    axes = ("--up and --front (the head's top and the side the face looks at, e.g. "
            "--up Z --front -Y)")
    if up or front or stated:
        return "check %s, or give --landmark-vertices" % axes
    return "give %s, or --landmark-vertices" % axes

