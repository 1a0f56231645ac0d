"""``microexpr calibrate``: the performer's neutral landmarks from a take (``performer.json``)."""
from __future__ import annotations

from microexpr.cli.main import command
from microexpr.cli.performer_options import add_calibration_frames, calibration_frames


def add_parser(sub) -> None:
    p = command(sub, "calibrate", "estimate the performer's own neutral face, landmark noise and "
                                  "head-pose filter from landmark tracks (a performer file)",
                "microexpr calibrate --rig face_rig.microexpr --landmarks take.csv "
                "--out performer.json --calibration-frames 0:120")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
    p.add_argument("--landmarks", required=True,
                   help="tracks: .npy (frames, 68, 2|3), CSV 'frame,x0,y0,...' or OpenFace CSV")
    p.add_argument("--out", required=True, help="performer file to write (JSON)")
    add_calibration_frames(p)
    p.add_argument("--mirrored", action="store_true", help="the video is mirrored (selfie)")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.solve.performer import save_performer
    from microexpr.solve.tracks import load_tracks
    from microexpr.solve.tracks_to_clip import calibrate_for

    frames = calibration_frames(args.calibration_frames)
    rig = bridge.load_rig(args.rig, lazy=True)
    tracks = load_tracks(args.landmarks)
    if args.mirrored:
        tracks = tracks.mirrored()
    performer = calibrate_for(rig, tracks, frames)
    save_performer(performer, args.out, rig.units.length)
    unit = rig.units.length
    rot = performer.report.get("pose_filter_rotation", {})
    print("wrote %s: performer calibrated on frames %d:%d (%d frames)"
          % (args.out, performer.frames[0], performer.frames[1], performer.report["frames_used"]))
    print("  landmark noise %.4f %s, residual %.4f %s, neutral moved %.3f %s from the rig's"
          % (performer.noise, unit, performer.residual, unit,
             performer.report["shape_change_rig_units"], unit))
    print("  pose filter alpha %.2f (rotation), %.2f (shift)"
          % (rot.get("alpha", 1.0), performer.report.get("pose_filter_shift", {}).get("alpha", 1.0)))
    return 0
