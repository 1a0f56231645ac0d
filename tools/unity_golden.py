"""Golden vectors: small inputs and the Python core's outputs, stored as JSON in
``shared/golden/`` for the C# runtime to reproduce (through pythonnet here, and from its own
NUnit tests, which read the same files).

Files: ``rig.microexpr`` (a bridge rig: 68-vertex mesh, 10 targets, one unobservable, one
moving mostly in depth, which 2-D tracks pin);
``solve_<dims>d_<mode>[_variant].json`` (tracks with holes, head motion, lowered
confidences; expected weights and frame validity); ``clip_events.json`` and
``clip_layered.json`` (micro-expression clips made on a neutral and on a base: overlapping
events, invalid held frames; expected: the weights a player plays, and the events layered
onto zeros or the stored base).
Inputs are rounded before the expected outputs are computed, so both sides read exactly the
same numbers. NaN (a missing landmark) is written as null.
"""
from __future__ import annotations

import json
import os
from typing import Dict, List, Optional

import numpy as np

import parity_rigs as synth
from microexpr.solve.tracks import Tracks, finish_tracks
from microexpr.unity import clip_parity, parity

FORMAT = "microexpr.golden"
TOLERANCE = 1e-9
RIG_FILE = "rig.microexpr"


def golden_dir() -> str:
    """``$MICROEXPR_GOLDEN`` or the repository's ``shared/golden``."""
    here = os.path.dirname(os.path.abspath(__file__))
    return os.environ.get("MICROEXPR_GOLDEN") or os.path.normpath(os.path.join(here, "..", "shared", "golden"))


def make_rig(targets: int = 10, seed: int = 3):
    """A bridge Rig whose mesh is the 68 landmarks (Delaunay triangles) of the default face."""
    from scipy.spatial import Delaunay

    from microexpr import bridge
    from microexpr.mesh import Mesh
    from microexpr.rig.build import rig_from_targets

    arrays = synth.random_rig(targets, seed=seed, pinned=1)
    pts = np.round(arrays.neutral, 4)
    tris = Delaunay(pts[:, :2]).simplices
    mesh = Mesh("golden_skin", pts, np.full(len(tris), 3), tris.reshape(-1))
    B = np.round(arrays.basis3.transpose(2, 0, 1), 4)
    # a target moving mostly in depth (a lip roll): a 2-D camera hardly sees it, so it is pinned
    depth = int(np.nonzero(arrays.observable_mask())[0][-1])
    B[depth, :, :2] *= 0.05
    infos = {n: bridge.TargetInfo(observable=bool(o))
             for n, o in zip(arrays.target_names(), arrays.observable_mask())}
    return rig_from_targets(mesh, dict(zip(arrays.target_names(), B)), np.arange(68), infos=infos,
                            name="golden")


CASES = [
    # name, dims, mode, seed, extra
    ("solve_2d_raw", 2, "raw", 11, {"neutral_hole": 50}),
    ("solve_2d_reference", 2, "reference", 12, {}),
    ("solve_2d_rigid", 2, "rigid", 13, {}),
    ("solve_3d_raw", 3, "raw", 14, {}),
    ("solve_3d_reference", 3, "reference", 15, {"neutral_frame": 1, "temporal": 0.25}),
    ("solve_3d_rigid", 3, "rigid", 16, {}),
    ("solve_2d_rigid_mirrored", 2, "rigid", 17, {"mirrored": True}),
    ("solve_3d_rigid_mirrored", 3, "rigid", 18, {"mirrored": True}),
    ("solve_2d_rigid_temporal", 2, "rigid", 19, {"temporal": 0.3, "neutral_frame": 2}),
]


def _nulls(a: np.ndarray) -> list:
    return [[None if not np.isfinite(v) else float(v) for v in row] for row in a]


def solve_case(rig_arrays, name: str, dims: int, mode: str, seed: int, extra: dict,
               frames: int = 16) -> dict:
    """One solve case: inputs, settings and the Python core's expected weights."""
    decimals = 3 if dims == 2 else 4
    tracks = synth.random_tracks(rig_arrays, frames, dims, seed=seed, decimals=decimals)
    hole = extra.get("neutral_hole")
    n0 = int(extra.get("neutral_frame", 0))
    if hole is not None:
        tracks.points[n0, hole] = np.nan
        tracks.confidence[n0, hole] = 0.0
    if extra.get("mirrored"):
        tracks = tracks.mirrored()          # what a selfie camera sees; the solve undoes it
    conf = np.round(tracks.confidence, 3)
    tracks = Tracks(tracks.points, conf, None, False, tracks.source, list(tracks.missing))
    reg, temporal, mirrored = 1e-3, float(extra.get("temporal", 0.0)), bool(extra.get("mirrored", False))
    res = parity.python_solve(rig_arrays, tracks, mode, n0, reg, temporal, mirrored)
    return {
        "format": FORMAT, "kind": "solve", "name": name, "rig": RIG_FILE, "mode": mode, "dims": dims,
        "mirrored": mirrored, "reg": reg, "temporal": temporal, "neutral_frame": n0,
        "frames": frames, "tolerance": TOLERANCE,
        "points": _nulls(tracks.points.reshape(frames, -1)),
        "confidence": conf.tolist(),
        "expected": {"weights": res.weights.tolist(), "valid": [bool(v) for v in res.valid]},
    }


def _events():
    """Overlapping events (a sum past 1), a hold, an instant onset, an unknown target."""
    from microexpr import bridge

    return [
        bridge.MicroEvent(au="1", target="browInnerUp", onset=0.1, apex=0.25, offset=0.6, peak_weight=0.8),
        bridge.MicroEvent(au="12", target="mouthSmile_L", onset=0.2, apex=0.3, offset=0.9, peak_weight=0.9,
                          params={"hold": 0.2}),
        bridge.MicroEvent(au="12", target="mouthSmile_L", onset=0.25, apex=0.4, offset=0.7, peak_weight=0.6),
        bridge.MicroEvent(au="14", target="mouthSmile_R", onset=0.5, apex=0.5, offset=1.1, peak_weight=0.5),
        bridge.MicroEvent(au="45", target="eyeBlink_L", onset=1.0, apex=1.05, offset=1.2, peak_weight=1.0,
                          params={"hold": 0.05}),
        bridge.MicroEvent(au="9", target="noseSneer_L", onset=0.3, apex=0.4, offset=0.8, peak_weight=0.7),
    ]


CLIP_TARGETS = ["browInnerUp", "mouthSmile_L", "mouthSmile_R", "eyeBlink_L"]
CLIP_INVALID = (0, 10, 11, 12, 30)


def make_base(frames: int = 48) -> np.ndarray:
    """Base weights (a capture) for the layered clip, rounded to 4 decimals."""
    rng = np.random.default_rng(21)
    t = np.arange(frames)[:, None]
    return np.clip(0.3 + 0.3 * np.sin(t * rng.uniform(0.1, 0.4, len(CLIP_TARGETS))), 0, 1).round(4)


def make_clip(layered: bool = False):
    """A clip as ``micro.synth`` makes them: weights = the events layered onto a base (zeros,
    or ``make_base()`` when ``layered``), invalid frames held by players."""
    from microexpr import bridge
    from microexpr.micro.envelope import layer

    F, events = 48, _events()
    clip = bridge.Clip(fps=30.0, start_time=0.05, targets=CLIP_TARGETS, weights=np.zeros((F, 4)).tolist(),
                       valid=[f not in CLIP_INVALID for f in range(F)], hold_invalid=True, events=events)
    base = make_base(F) if layered else np.zeros((F, 4))
    clip.weights = layer(base, events, clip.targets, clip.times())
    clip.source = {"kind": "micro", "base": {"frames": F, "fps": 30.0, "start_time": 0.05}
                   if layered else None}
    return clip


def clip_case(layered: bool = False) -> dict:
    """Expected: ``weights`` as ``ClipPlayer`` plays them (held), ``layered`` the events layered
    onto ``base`` (null: zeros; then equal to the clip's stored weights)."""
    from microexpr.bridge.io import dumps

    clip = make_clip(layered)
    base = make_base(len(clip.weights)) if layered else None
    return {"format": FORMAT, "kind": "clip", "name": "clip_layered" if layered else "clip_events",
            "tolerance": TOLERANCE, "clip": json.loads(dumps(clip)),
            "base": None if base is None else base.tolist(),
            "expected": {"weights": clip_parity.python_clip(clip).tolist(),
                         "layered": clip_parity.python_events(clip, base).tolist()}}


def write_all(out_dir: Optional[str] = None) -> List[str]:
    """Regenerate every golden file; returns the paths written."""
    from microexpr.atomicio import write_text
    from microexpr.bridge.io import dumps

    out_dir = out_dir or golden_dir()
    os.makedirs(out_dir, exist_ok=True)
    rig = make_rig()
    written = [os.path.join(out_dir, RIG_FILE)]
    write_text(written[0], dumps(rig))
    arrays = parity.RigArrays.from_rig(rig)
    for name, dims, mode, seed, extra in CASES:
        path = os.path.join(out_dir, name + ".json")
        write_text(path, json.dumps(solve_case(arrays, name, dims, mode, seed, extra),
                                    separators=(",", ":")) + "\n")
        written.append(path)
    for layered in (False, True):
        case = clip_case(layered)
        path = os.path.join(out_dir, case["name"] + ".json")
        write_text(path, json.dumps(case, separators=(",", ":")) + "\n")
        written.append(path)
    return written


# -- reading the files back -------------------------------------------------------------------
def case_files(directory: Optional[str] = None) -> List[str]:
    d = directory or golden_dir()
    return sorted(os.path.join(d, f) for f in os.listdir(d)
                  if f.endswith(".json") and (f.startswith("solve_") or f.startswith("clip_")))


def load_case(path: str) -> dict:
    with open(path, "r", encoding="utf-8") as f:
        case = json.load(f)
    if case.get("format") != FORMAT:
        from microexpr.errors import MicroExprError
        raise MicroExprError("not a golden vector file", file=path, field="format",
                             fix="regenerate with tools/make_golden.py")
    return case


def case_tracks(case: dict) -> Tracks:
    F, k = case["frames"], case["dims"]
    pts = np.array([[np.nan if v is None else v for v in row] for row in case["points"]], float)
    conf = np.asarray(case["confidence"], float)
    return finish_tracks(pts.reshape(F, 68, k), conf, None, case["name"], image_space=False)


def case_rig(path: str, case: dict):
    from microexpr import bridge

    return bridge.load_rig(os.path.join(os.path.dirname(path), case["rig"]))


def run_case(path: str, side: str) -> Dict[str, object]:
    """Max |weights - expected| of one side ("python" or "csharp") on one golden file."""
    case = load_case(path)
    expected = np.asarray(case["expected"]["weights"], float)
    if case["kind"] == "clip":
        from microexpr.bridge import Clip

        base = None if case.get("base") is None else np.asarray(case["base"], float)
        if side == "python":
            clip = Clip.model_validate(case["clip"])
            got, on_base = clip_parity.python_clip(clip), clip_parity.python_events(clip, base)
        else:
            text = json.dumps(case["clip"])
            got, on_base = clip_parity.csharp_clip(text, path), clip_parity.csharp_events(text, base, path)
        layered = np.asarray(case["expected"]["layered"], float)
        return {"max_abs_diff": max(float(np.max(np.abs(got - expected))),
                                    float(np.max(np.abs(on_base - layered)))), "valid_agree": True}
    rig = parity.RigArrays.from_rig(case_rig(path, case))
    tracks = case_tracks(case)
    args = (rig, tracks, case["mode"], case["neutral_frame"], case["reg"], case["temporal"], case["mirrored"])
    res = parity.python_solve(*args) if side == "python" else parity.csharp_solve(*args)
    valid = np.asarray(case["expected"]["valid"], bool)
    return {"max_abs_diff": float(np.max(np.abs(res.weights - expected))),
            "valid_agree": bool(np.array_equal(res.valid, valid))}
