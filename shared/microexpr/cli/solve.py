"""``microexpr solve``: landmark tracks to a clip of bounded weights."""
from __future__ import annotations

from microexpr.cli.main import add_format, command, wrote
from microexpr.cli.performer_options import MODES_HELP, add_performer_options, performer_settings
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = command(sub, "solve", "solve key weights from landmark tracks into a clip",
                "microexpr solve --rig face_rig.microexpr --landmarks tracks.csv --out clip.microexpr "
                "--performer performer.json --fps 60")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
    p.add_argument("--landmarks", required=True,
                   help="tracks: .npy (frames, 68, 2|3), CSV 'frame,x0,y0,...' or OpenFace CSV")
    p.add_argument("--out", required=True, help="clip file to write (.microexpr, or .json)")
    add_format(p, "clip")
    p.add_argument("--compensation", default="performer", help=MODES_HELP)
    add_performer_options(p)
    p.add_argument("--fps", type=float, help="frame rate (default: from a time column, else 30)")
    p.add_argument("--neutral-frame", type=int, default=0, help="frame holding the neutral face")
    p.add_argument("--mirrored", action="store_true", help="the video is mirrored (selfie)")
    p.add_argument("--reg", type=float, default=1e-3, help="ridge weight, relative (default 1e-3)")
    p.add_argument("--temporal", type=float, default=0.0,
                   help="weight of |w - w_prev|^2, relative (default 0)")
    p.add_argument("--report", help="also write a JSON report (missing landmarks, invalid "
                                    "frames; performer mode: per-frame head pose, calibration)")
    p.add_argument("--chunk-frames", type=int, default=None,
                   help="frames solved at a time (default 20000): memory follows this, not the "
                        "take's length; the weights do not depend on it")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.bridge.io import format_for
    from microexpr.solve.long_take import CHUNK_FRAMES, print_progress, solve_long
    from microexpr.solve.tracks_to_clip import check_mode

    check_mode(args.compensation)
    if args.fps is not None and not args.fps > 0:
        raise MicroExprError("frame rate must be positive", field="--fps", fix="e.g. --fps 60")
    chunk = CHUNK_FRAMES if args.chunk_frames is None else args.chunk_frames
    if not chunk >= 1:
        raise MicroExprError("--chunk-frames must be 1 or more", field="--chunk-frames",
                             fix="e.g. --chunk-frames 20000")
    extra = performer_settings(args) if args.compensation == "performer" else {}
    format_for(args.out, args.format)
    rig = bridge.load_rig(args.rig, lazy=True)         # the landmark matrices, not the meshes
    done = solve_long(rig, args.landmarks, args.out, args.format, args.compensation,
                      args.neutral_frame, args.fps, args.reg, args.temporal, args.mirrored,
                      chunk_frames=chunk, report_path=args.report, progress=print_progress,
                      **extra)
    src = done.source
    bad = src.get("invalid_frames", [])
    print("wrote %s: %d frames at %g fps, %d targets, %d frame(s) without data"
          % (wrote(done.files), done.frames, done.fps, len(rig.targets), len(bad)))
    if bad:
        print("  frames without data (marked invalid, weights held): %s%s"
              % (", ".join(map(str, bad[:20])), " ..." if len(bad) > 20 else ""))
    if "performer" in src:
        print("  performer %s: landmark noise %.4f, calibration residual %.4f (rig units)"
              % (src["performer"], src["noise"], src["calibration_residual"]))
        if done.pose_range is not None:
            lo, hi = done.pose_range
            print("  head pose: yaw %+.1f..%+.1f, pitch %+.1f..%+.1f, roll %+.1f..%+.1f deg"
                  % (lo[0], hi[0], lo[1], hi[1], lo[2], hi[2]))
    missing = src.get("missing", [])
    if missing:
        print("  NaN/missing landmarks in %d frame(s), e.g. %s" % (len(missing), missing[0]))
    return 0
