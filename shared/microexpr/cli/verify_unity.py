"""``microexpr verify-unity``: run the Unity package's C# runtime (under Mono) over a rig and
tracks or a clip, and report the largest weight difference from the Python core.

C# reads the rig and the clip with its own reader, from the files (a ``.microexpr`` container,
its ``.bin`` beside it, or bridge JSON v2/v3; an older file as the Python core migrated it),
and what it read is checked against the Python core's rig first. Performer mode (in ``all``, or
with ``--performer``) compares the Python core's batch solve with C#'s ``PerformerSolver`` fed
frame by frame, both reading the same performer file: the one given, or one calibrated on the
fly by the Python core from the take and written to a temporary file. A clip is checked three
ways (``unity.clip_parity.compare_clip``): the C# player against the clip's held weights (events
are already in them), the C# event layer against ``envelope.layer`` on zeros (or on
``--base``), and, for a clip made on a neutral, the events on zeros against the stored
weights."""
from __future__ import annotations

import json
from typing import Dict, List

from microexpr.cli.main import command
from microexpr.cli.performer_options import add_performer_options, performer_settings
from microexpr.errors import MicroExprError

TOLERANCE = 1e-9


def add_parser(sub) -> None:
    p = command(sub, "verify-unity",
                "prove the Unity runtime (C#) computes the same weights as the Python core",
                "microexpr verify-unity --rig face_rig.json --landmarks tracks.csv --compensation all")
    p.add_argument("--rig", required=True, help="bridge rig (.microexpr container or JSON)")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--landmarks", help="tracks (.npy or CSV): key weights + solver, frame by frame in C#")
    src.add_argument("--clip", help="bridge clip (.microexpr or JSON): its played weights and its events "
                                    "layered, per frame")
    p.add_argument("--base", help="with --clip: the clip it was layered onto; the events are layered "
                                  "onto its held weights (default: onto zeros)")
    p.add_argument("--compensation", default="all",
                   help="raw, reference, rigid, performer, a comma list, or all (default)")
    add_performer_options(p)
    p.add_argument("--neutral-frame", type=int, default=0, help="frame holding the neutral face")
    p.add_argument("--mirrored", action="store_true", help="the video is mirrored (selfie)")
    p.add_argument("--reg", type=float, default=1e-3, help="ridge weight, relative (default 1e-3)")
    p.add_argument("--temporal", type=float, default=0.0, help="weight of |w - w_prev|^2 (default 0)")
    p.add_argument("--tolerance", type=float, default=TOLERANCE,
                   help="largest accepted weight difference (default 1e-9)")
    p.add_argument("--report", help="also write the comparison as JSON")
    p.set_defaults(run=run)


def _modes(text: str, performer: bool = False) -> List[str]:
    """The modes to compare; ``performer`` (a performer file was given) adds performer mode."""
    from microexpr.solve.key_weights import MODES

    known = list(MODES) + ["performer"]
    modes = known if text == "all" else [m.strip() for m in text.split(",") if m.strip()]
    bad = [m for m in modes if m not in known]
    if bad or not modes:
        raise MicroExprError("unknown compensation mode %r" % (bad[0] if bad else text),
                             field="--compensation", fix="use raw, reference, rigid, performer or all")
    return modes + (["performer"] if performer and "performer" not in modes else [])


def verdict(results: Dict[str, Dict], tolerance: float) -> bool:
    """True when every comparison is within ``tolerance`` and frame validity (and, for the rig
    file, target names and observable flags) agree."""
    return all(r["max_abs_diff"] <= tolerance and r.get("valid_agree", True) and r.get("names_agree", True)
               and r.get("observable_agree", True) for r in results.values())


def run(args) -> int:
    from microexpr import bridge
    from microexpr.unity import clip_parity, net, parity

    if not args.tolerance >= 0:
        raise MicroExprError("the tolerance must be 0 or more", field="--tolerance", fix="e.g. 1e-9")
    if args.base and not args.clip:
        raise MicroExprError("--base needs --clip", field="--base",
                             fix="give the layered clip with --clip, or drop --base")
    if args.performer and not args.landmarks:
        raise MicroExprError("--performer needs --landmarks", field="--performer",
                             fix="give the tracks to solve with --landmarks, or drop --performer")
    rig = bridge.load_rig(args.rig, lazy=True)         # the landmark matrices, not the meshes
    results: Dict[str, Dict] = {}
    with net.csharp_errors():
        rig_cs = parity.csharp_rig_file(args.rig, rig)
        rig_read = parity.compare_rig_file(rig, rig_cs)
        print("%s: C# read %s; %s" % (args.rig, parity.describe_file(args.rig), _rig_line(rig_read, args.tolerance)))
        if args.landmarks:
            from microexpr.solve.track_chunks import TrackChunks
            from microexpr.unity import long_parity

            modes = _modes(args.compensation, bool(args.performer))
            settings = performer_settings(args) if "performer" in modes else {}
            reader = TrackChunks(args.landmarks)
            results = long_parity.compare_tracks(rig, rig_cs, reader,
                                                 [m for m in modes if m != "performer"],
                                                 args.neutral_frame, args.reg, args.temporal,
                                                 args.mirrored)
            if settings:
                results["performer"] = _compare_performer(args, rig, rig_cs, reader, settings)
            print("%s: %d frames of %d-D landmarks, %d targets; C# (Mono) online vs Python core, "
                  "%d frames at a time" % (args.landmarks, reader.frames or 0, reader.dims,
                                           len(rig.targets), reader.chunk_frames))
        else:
            clip = bridge.load_clip(args.clip)
            clip_cs = parity.csharp_clip_file(args.clip, clip)
            base = bridge.load_clip(args.base) if args.base else None
            results = {"clip": clip_parity.compare_clip(clip, clip_cs, base, rig=rig, clip_file=args.clip)}
            print("%s: C# read %s; %d frames, %d targets, %d events"
                  % (args.clip, parity.describe_file(args.clip), len(clip.weights), len(clip.targets),
                     len(clip.events)))
            _print_clip(results["clip"], args.tolerance, args.base)
    if args.landmarks:
        _print_modes(results, args.tolerance)
    if args.report:
        from microexpr.atomicio import write_text
        write_text(args.report, json.dumps({"tolerance": args.tolerance, "rig_file": rig_read,
                                            "results": results}, indent=1))
    good = verdict(dict(results, rig_file=rig_read), args.tolerance)
    print("parity %s (tolerance %g)" % ("proven" if good else "FAILED", args.tolerance))
    return 0 if good else 1


def _compare_performer(args, rig, rig_cs, reader, settings: Dict) -> Dict:
    """Performer mode on the given performer file, or on one the Python core calibrates on the
    fly from the take's first frames and writes to a temporary file: both sides read the same
    file."""
    import os
    import tempfile

    from microexpr.solve.long_take import calibration_take
    from microexpr.solve.performer import calibrate, performer_file
    from microexpr.unity import long_parity

    with tempfile.TemporaryDirectory() as tmp:
        path = args.performer
        if path:
            how = "performer file %s" % path
        else:
            take = calibration_take(reader, settings["calibration_frames"])
            take = take.mirrored() if args.mirrored else take
            performer = calibrate(rig.neutral_landmarks(), take, settings["calibration_frames"],
                                  args.landmarks, rig.mesh().fingerprint)
            path = os.path.join(tmp, "performer.json")
            with open(path, "w", encoding="utf-8") as f:       # at once: not one of the outputs
                f.write(performer_file(performer, rig.units.length).model_dump_json(indent=1) + "\n")
            how = ("calibrated on the fly on frames %d:%d by the Python core, into a temporary "
                   "file both sides read" % tuple(performer.frames))
        r = long_parity.compare_performer(rig, rig_cs, reader, path, settings["prior"],
                                          settings["speed"], None, args.mirrored)
    print("  performer: %s" % how)
    r["performer"] = how
    return r


def _rig_line(r: Dict, tolerance: float) -> str:
    if not r["names_agree"] or not r["observable_agree"]:
        return "its %s differ from the Python core's rig! FAILED" % (
            "target names" if not r["names_agree"] else "observable flags")
    return "landmark arrays max |diff| = %.3g  %s" % (r["max_abs_diff"], _mark(r["max_abs_diff"], tolerance))


def _mark(value: float, tolerance: float) -> str:
    return "ok" if value <= tolerance else "ABOVE %g" % tolerance


def _print_clip(r: Dict, tolerance: float, base_path) -> None:
    rows = [("player", "C# ClipPlayer vs the held weights", r["player_diff"]),
            ("events", "C# MicroLayer vs envelope.layer on %s" % (base_path or "zeros"), r["events_diff"]),
            ("baked", "C# MicroLayer on zeros vs the stored weights", r["baked_diff"])]
    width = max(len(what) for _, what, _ in rows)
    for name, what, value in rows:
        if value is None:
            print("  %-7s %-*s  not checked (layered onto a base clip)" % (name, width, what))
        else:
            print("  %-7s %-*s  max |diff| = %.3g  %s" % (name, width, what, value, _mark(value, tolerance)))


def _print_modes(results: Dict[str, Dict], tolerance: float) -> None:
    for name, r in results.items():
        ok = r["max_abs_diff"] <= tolerance and r.get("valid_agree", True)
        extra = "" if r.get("valid_agree", True) else "  frame validity differs!"
        print("  %-10s max |w_C# - w_py| = %.3g  %s%s" % (name, r["max_abs_diff"],
                                                          "ok" if ok else "ABOVE %g" % tolerance, extra))
