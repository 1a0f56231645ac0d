"""``microexpr micro``: synthesise a micro-expression clip (alone or layered on a base clip)."""
from __future__ import annotations

from microexpr.cli.main import add_format, command
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = command(sub, "micro", "synthesise a micro-expression (emotion or AU list) as a clip",
                "microexpr micro --rig face_rig.microexpr --emotion contempt --peak-mm 1.2 --seed 7 "
                "--fps 200 --out contempt.microexpr")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
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
    p.add_argument("--out", help="clip file to write (.microexpr, or .json)")
    add_format(p, "clip")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.bridge.io import format_for
    from microexpr.micro.mapping import au_map
    from microexpr.micro.synthesizer import clip_summary, write_micro_expression
    from microexpr.micro.timing import TimingBounds

    if args.out:
        format_for(args.out, args.format)
    rig = bridge.load_rig(args.rig, lazy=True)     # target frames are read when sizing needs them
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
    bounds = TimingBounds(args.min_span_ms / 1e3, args.max_span_ms / 1e3, args.typical_ms / 1e3)
    clip = write_micro_expression(
        rig, args.out, args.base, fmt=args.format, emotion=args.emotion, aus=args.aus, intensity=args.intensity,
        peak_mm=args.peak_mm, seed=args.seed, fps=60.0 if args.fps is None else args.fps,
        at=args.at, duration=args.duration, mapping=args.mapping, bounds=bounds,
        mirror=args.mirror, strict=args.strict)
    print(clip_summary(clip, args.out, args.base, args.fps))
    return 0
