"""``microexpr live``: a camera or a video file -> tracked landmarks (and weights) streamed over
UDP, one packet per frame (docs/live.md)."""
from __future__ import annotations

import math
import sys

from microexpr.cli.main import command
from microexpr.errors import MicroExprError

DEFAULT_PORT = 9870


def add_parser(sub) -> None:
    p = command(sub, "live", "live capture: track a face from a camera or a video file and "
                             "stream its landmarks (and weights) over UDP, one packet a frame",
                "microexpr live --camera 0 --rig face_rig.microexpr --weights "
                "--send 127.0.0.1:9870")
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--video", metavar="FILE", help="play a video file at its own frame rate")
    src.add_argument("--camera", type=int, metavar="N", help="OpenCV camera number (0 = first)")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
    p.add_argument("--send", default="127.0.0.1:%d" % DEFAULT_PORT, metavar="HOST:PORT",
                   help="where the packets go (default 127.0.0.1:%d)" % DEFAULT_PORT)
    p.add_argument("--weights", action="store_true",
                   help="also solve the rig's weights (performer mode) and send them")
    p.add_argument("--performer", metavar="performer.json",
                   help="the performer file from 'microexpr calibrate'; without it the first "
                        "--calibration-seconds of frames calibrate one (not sent)")
    p.add_argument("--calibration-seconds", type=float, default=2.0,
                   help="seconds of frames to calibrate the performer on (default 2)")
    p.add_argument("--performer-out", metavar="performer.json",
                   help="write the performer calibrated on the fly (for the receiver)")
    p.add_argument("--record", metavar="FILE.npz",
                   help="write what was sent: float32 points and confidence, seq, timestamp, "
                        "valid, and the weights (float64, before rounding into the packet)")
    p.add_argument("--frames", type=int, metavar="N", help="stop after N input frames")
    p.add_argument("--as-fast-as-possible", action="store_true",
                   help="--video: do not wait for each frame's time (tests, benchmarks)")
    p.add_argument("--no-smooth", action="store_true", help="no One Euro smoothing")
    from microexpr.cli.capture import add_tracker_option

    add_tracker_option(p)
    p.add_argument("--model", help="dlib 68-point shape predictor .dat "
                                   "(default: the face_recognition_models one)")
    p.add_argument("--quiet", action="store_true", help="no status line")
    p.set_defaults(run=run)


def parse_target(text: str):
    """``HOST:PORT`` (or ``PORT``) as (host, port)."""
    host, _, port = str(text).rpartition(":")
    try:
        number = int(port)
    except ValueError:
        number = -1
    if not 0 < number < 65536:
        raise MicroExprError("expected HOST:PORT with a port 1-65535, got %r" % text,
                             field="--send", fix="e.g. --send 127.0.0.1:%d" % DEFAULT_PORT)
    return host or "127.0.0.1", number


def _check(args) -> None:
    from microexpr.cli.capture import check_tracker

    check_tracker(args)
    if not (math.isfinite(args.calibration_seconds) and args.calibration_seconds > 0):
        raise MicroExprError("--calibration-seconds must be a positive number",
                             field="--calibration-seconds", fix="e.g. --calibration-seconds 2")
    if args.frames is not None and args.frames < 1:
        raise MicroExprError("--frames must be at least 1", field="--frames", fix="e.g. --frames 300")
    if args.performer and args.performer_out:
        raise MicroExprError("--performer-out writes a performer calibrated here, but "
                             "--performer gives one", field="--performer-out",
                             fix="leave out one of them")


def run(args) -> int:
    from microexpr import bridge
    from microexpr.atomicio import write_bytes
    from microexpr.capture.live import LiveSession, LiveSettings, camera_frames, video_frames
    from microexpr.solve.performer import load_performer, save_performer

    _check(args)
    target = parse_target(args.send)
    rig = bridge.load_rig(args.rig, lazy=True)
    performer = load_performer(args.performer) if args.performer else None
    settings = LiveSettings(send=target, weights=args.weights, frames=args.frames,
                            realtime=not args.as_fast_as_possible,
                            calibrate=bool(args.performer_out),
                            calibration_seconds=args.calibration_seconds, model=args.model,
                            status=not args.quiet, tracker_name=args.tracker)
    if args.no_smooth:
        settings.smooth = None
    session = LiveSession(rig, settings, performer, record=bool(args.record))
    color = session.tracker.color
    frames, fps = (video_frames(args.video, color) if args.video
                   else camera_frames(args.camera, color))
    try:
        report = session.run(frames, fps)
    except KeyboardInterrupt:          # a camera runs until Ctrl-C: keep what was sent
        report = session.report
    if args.record:
        assert session.recorder is not None
        write_bytes(args.record, session.recorder.npz(fps))
    if args.performer_out and report.performer is not None:
        save_performer(report.performer, args.performer_out)
    print(report.summary("%s:%d" % target))
    for path in (args.record, args.performer_out):
        if path:
            print("wrote %s" % path)
    sys.stdout.flush()
    return 0
