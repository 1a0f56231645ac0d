"""``microexpr micro``: synthesise a micro-expression clip (alone or layered on a base clip)."""
from __future__ import annotations

from microexpr.cli.main import command
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = command(sub, "micro", "synthesise a micro-expression (emotion or AU list) as a clip",
                "microexpr micro --rig face_rig.json --emotion contempt --peak-mm 1.2 --seed 7 "
                "--fps 200 --out contempt.json")
    p.add_argument("--rig", required=True, help="rig JSON")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--emotion", help="happiness, sadness, surprise, fear, anger, disgust or "
                                        "contempt (EMFACS prototypes)")
    what.add_argument("--aus", help='FACS action units, e.g. "4+7+R12B" (L/R: the subject\'s '
                                    'side; A-E: intensity)')
    p.add_argument("--intensity", default="C",
                   help="A (trace) ... E (maximum) for AUs without a letter; also sets the "
                        "default size: A 0.5, B 0.75, C 1, D 1.5, E 2 mm (default C)")
    p.add_argument("--peak-mm", type=float,
                   help="largest vertex displacement in millimetres (micro-expressions: 0.5-2)")
    p.add_argument("--seed", type=int, default=0, help="random seed (same seed, same clip)")
    p.add_argument("--fps", type=float,
                   help="frame rate (default 60; 200 for review); a --base clip's rate wins")
    p.add_argument("--at", type=float, help="time of the first onset, seconds (default 0.1 s, "
                                           "or centred in the --base clip)")
    p.add_argument("--base", help="clip to layer onto (additive, clamped to 0-1)")
    p.add_argument("--duration", type=float, help="make the clip at least this long (seconds)")
    p.add_argument("--min-span-ms", type=float, default=40.0, help="shortest span (default 40)")
    p.add_argument("--max-span-ms", type=float, default=500.0, help="longest span (default 500)")
    p.add_argument("--typical-ms", type=float, default=200.0, help="typical span (default 200)")
    p.add_argument("--mirror", action="store_true", help="swap left and right (e.g. contempt)")
    p.add_argument("--mapping", help="AU map JSON naming this rig's targets for each AU")
    p.add_argument("--strict", action="store_true",
                   help="fail when the rig cannot express an AU (default: report and go on)")
    p.add_argument("--coverage", action="store_true",
                   help="list which AUs this rig can express, then stop")
    p.add_argument("--out", help="clip JSON to write")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.micro.mapping import au_map
    from microexpr.micro.synthesizer import Synthesizer
    from microexpr.micro.timing import TimingBounds

    rig = bridge.load_rig(args.rig)
    if args.coverage:
        amap = au_map(rig, args.mapping)
        print("AU map: %s" % amap.source)
        for row in amap.coverage():
            print("  AU%-3s %-24s %-12s %s%s" % (row["au"], row["name"], row["status"],
                                                ", ".join(row["targets"]) or "-",
                                                ("  (%s)" % row["note"]) if row["note"] else ""))
        return 0
    if not args.out:
        raise MicroExprError("no output file", field="--out", fix="add --out CLIP.json")
    if args.emotion is None and args.aus is None:
        raise MicroExprError("nothing to synthesise", field="--emotion/--aus",
                             fix="give --emotion NAME or --aus LIST")
    base = bridge.load_clip(args.base) if args.base else None
    bounds = TimingBounds(args.min_span_ms / 1e3, args.max_span_ms / 1e3, args.typical_ms / 1e3)
    try:
        synth = Synthesizer(rig, args.mapping)
        clip = synth.clip(args.emotion, args.aus, args.intensity, args.peak_mm, args.seed,
                          60.0 if args.fps is None else args.fps, args.at, base, args.duration,
                          bounds, args.mirror, args.strict)
    except MicroExprError as exc:
        if exc.field == "--base" and args.base:
            raise exc.with_file(args.base) from None
        raise
    bridge.save_clip(clip, args.out)
    src = clip.source
    print("wrote %s: %s (%s), %d events, %d frames at %g fps"
          % (args.out, args.emotion or "AUs", src["aus"], len(clip.events), len(clip.weights),
             clip.fps))
    print("  peak %.3f mm at %.3f s (%.3f mm on the frames), span %.0f ms, AU map %s"
          % (src["peak_mm"], src["peak_time"], src.get("peak_mm_frames") or 0.0,
             src["span"] * 1e3, src["au_map"]))
    if base is not None:
        if args.fps is not None and args.fps != base.fps:
            print("  note: --fps ignored; the base clip's %g fps wins" % base.fps)
        print("  layered on %s: %.3f mm survives the clamp" % (args.base, src["peak_mm_layered"]))
    if src["unexpressed"]:
        print("  WARNING: this rig cannot express AU %s (not in the clip; see --coverage)"
              % ", ".join(src["unexpressed"]))
    if src["both_sides"]:
        print("  note: AU %s asked for one side, but this rig only has a centred target"
              % ", ".join(src["both_sides"]))
    for au, note in sorted(src["approximate"].items()):
        print("  approximate AU%s: %s" % (au, note))
    return 0
