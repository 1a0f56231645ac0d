"""``microexpr capture``: a video or image folder -> landmarks -> a clip of key weights."""
from __future__ import annotations

import json
import sys
import textwrap

from microexpr.capture import MODEL_LICENCE
from microexpr.cli.main import add_format, command, wrote
from microexpr.cli.performer_options import MODES_HELP, add_performer_options, performer_settings
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = command(sub, "capture", "markerless capture: track a face in a video (or a folder of "
                                "images) and solve its key weights into a clip",
                "microexpr capture take.mp4 --rig face_rig.microexpr --out clip.microexpr "
                "--landmarks-out take_tracks.csv --preview take.png")
    p.epilog = (p.epilog or "") + "\n\nlicence of the landmark model:\n" + textwrap.fill(
        MODEL_LICENCE, 88, initial_indent="  ", subsequent_indent="  ")
    p.add_argument("input", metavar="INPUT",
                   help="video file (mp4, mov, avi, ...), a folder of images or one image")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
    p.add_argument("--out", required=True, help="clip file to write (.microexpr, or .json)")
    add_format(p, "clip")
    p.add_argument("--landmarks-out", metavar="TRACKS.csv",
                   help="also write the landmarks, one row per frame (reads back with "
                        "'microexpr solve --landmarks')")
    p.add_argument("--preview", metavar="OUT.png",
                   help="also write a sheet: landmarks on a few frames and the weight curves")
    p.add_argument("--mirrored", action="store_true", help="the video is mirrored (selfie)")
    p.add_argument("--fps", type=float,
                   help="frame rate of an image folder (default 30); videos use their timestamps")
    p.add_argument("--neutral-frame", type=int,
                   help="frame holding the neutral face (default: the first frames)")
    p.add_argument("--neutral-frames", type=int, default=10,
                   help="how many first frames with a face make the neutral (default 10)")
    p.add_argument("--compensation", default="performer", help=MODES_HELP)
    add_performer_options(p)
    p.add_argument("--face-box", metavar="X,Y,W,H",
                   help="follow the face overlapping this box in the first frames "
                        "(default: the highest detector score)")
    p.add_argument("--min-face", type=float, default=64.0,
                   help="smallest face width in px to accept (default 64)")
    p.add_argument("--detect-width", type=int, default=320,
                   help="width of the downscaled frame searched for faces (default 320)")
    p.add_argument("--redetect-every", type=int, default=30,
                   help="frames between whole-frame searches while tracking (default 30)")
    p.add_argument("--bridge", type=float, default=0.05,
                   help="gaps without a face up to this many seconds get interpolated weights "
                        "(still marked invalid; default 0.05)")
    p.add_argument("--no-smooth", action="store_true", help="no One Euro smoothing")
    p.add_argument("--reg", type=float, default=1e-2,
                   help="rigid/reference/raw modes: ridge weight, relative (default 1e-2: "
                        "dlib's landmarks are noisy)")
    p.add_argument("--temporal", type=float, default=0.0,
                   help="weight of |w - w_prev|^2, relative (default 0)")
    add_tracker_option(p)
    p.add_argument("--model", help="dlib 68-point shape predictor .dat "
                                   "(default: the one from face_recognition_models)")
    p.add_argument("--report", help="also write a JSON report (gaps, timing, noise floor)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.add_argument("--sequence", action="store_true",
                   help="a folder of images holds the frames of one video: track and smooth "
                        "across them (default: each image on its own, as plain dlib finds it)")
    p.set_defaults(run=run)


def add_tracker_option(p) -> None:
    """``--tracker dlib|mediapipe`` (capture and live)."""
    p.add_argument("--tracker", choices=("dlib", "mediapipe"), default="dlib",
                   help="landmark tracker: dlib (default, the paper's method) or mediapipe "
                        "(Face Mesh mapped to the 68 points, faster; needs "
                        "'pip install microexpr[mediapipe]' in its own environment, numpy < 2; "
                        "see docs/capture.md, Trackers)")


def check_tracker(args) -> None:
    """--model is dlib's: refuse it with --tracker mediapipe."""
    if args.tracker == "mediapipe" and args.model:
        raise MicroExprError("--model is a dlib shape predictor; Face Mesh brings its own",
                             field="--model", fix="leave out --model or use --tracker dlib")


def _face_box(text):
    if text is None:
        return None
    try:
        x, y, w, h = (float(v) for v in text.split(","))
    except ValueError:
        raise MicroExprError("expected four numbers X,Y,W,H, got %r" % text, field="--face-box",
                             fix="e.g. --face-box 200,120,180,180 (pixels in the first frame)") from None
    if w <= 0 or h <= 0:
        raise MicroExprError("width and height must be positive", field="--face-box",
                             fix="e.g. --face-box 200,120,180,180")
    return (x, y, x + w, y + h)


def settings_from_args(args):
    """CaptureSettings from the command line (checked)."""
    from microexpr.capture.detect import TrackerSettings
    from microexpr.capture.landmarks_to_clip import SolveSettings
    from microexpr.capture.pipeline import CaptureSettings
    from microexpr.capture.smooth import SmoothSettings
    from microexpr.solve.tracks_to_clip import SOLVE_MODES as MODES

    if args.compensation not in MODES:
        raise MicroExprError("unknown compensation mode %r" % args.compensation,
                             field="--compensation", fix="use one of: " + ", ".join(MODES))
    checks = [("--neutral-frames", args.neutral_frames >= 1, "e.g. --neutral-frames 10"),
              ("--min-face", args.min_face > 0, "e.g. --min-face 64"),
              ("--detect-width", args.detect_width >= 80, "e.g. --detect-width 320"),
              ("--redetect-every", args.redetect_every >= 0, "e.g. --redetect-every 30"),
              ("--bridge", args.bridge >= 0, "e.g. --bridge 0.05"),
              ("--reg", args.reg >= 0, "e.g. --reg 0.01"),
              ("--temporal", args.temporal >= 0, "e.g. --temporal 0")]
    for name, ok, fix in checks:
        if not ok:
            raise MicroExprError("value out of range", field=name, fix=fix)
    check_tracker(args)
    tracker = TrackerSettings(detect_width=args.detect_width, redetect_every=args.redetect_every,
                              face_box=_face_box(args.face_box),
                              stills=False if args.sequence else None)
    solve = SolveSettings(compensation=args.compensation, neutral_frame=args.neutral_frame,
                          neutral_frames=args.neutral_frames, mirrored=args.mirrored,
                          bridge=args.bridge, reg=args.reg, temporal=args.temporal,
                          smooth=None if args.no_smooth else SmoothSettings(),
                          **(performer_settings(args) if args.compensation == "performer" else {}))
    return CaptureSettings(tracker=tracker, solve=solve, min_face=args.min_face, fps=args.fps,
                           model=args.model, tracker_name=args.tracker)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.atomicio import write_bytes, write_text
    from microexpr.bridge.io import format_for
    from microexpr.capture.pipeline import capture

    settings = settings_from_args(args)
    format_for(args.out, args.format)
    rig = bridge.load_rig(args.rig, lazy=True)         # the landmark matrices, not the meshes
    result = capture(args.input, rig, settings, progress=not args.quiet)
    png = None
    if args.preview:
        from microexpr.capture.preview import preview_png

        png = preview_png(result)
    # everything is computed: now write (each file atomically)
    files = bridge.save_clip(result.clip, args.out, args.format)
    if args.landmarks_out:
        result.write_tracks_csv(args.landmarks_out)
    if png is not None:
        write_bytes(args.preview, png)
    if args.report:
        rep = dict(result.report, timing=result.timing, clip=result.clip.source)
        write_text(args.report, json.dumps(rep, indent=1, default=str))
    print("wrote %s: %d frames at %g fps, %d targets" % (wrote(files), len(result.clip.weights),
                                                         result.clip.fps, len(result.clip.targets)))
    print(result.summary())
    for extra in (args.landmarks_out, args.preview):
        if extra:
            print("wrote %s" % extra)
    sys.stdout.flush()
    return 0
