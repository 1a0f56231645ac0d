"""``microexpr review``: judge a clip like an artist (regions in mm, timing, checks, a sheet)."""
from __future__ import annotations

from microexpr.cli.main import command
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = command(sub, "review", "judge a micro-expression clip: per-region mm, timing, checks, "
                               "a PNG sheet; exits 1 when a check fails",
                "microexpr review --rig face_rig.json --clip contempt.json --out review.png "
                "--json review.json")
    p.add_argument("--rig", required=True, help="rig file (.microexpr or JSON)")
    p.add_argument("--clip", required=True, help="clip file to judge (.microexpr or JSON)")
    p.add_argument("--base", help="base clip: judge only the layer on top of it")
    p.add_argument("--out", help="review sheet PNG to write")
    p.add_argument("--json", help="review report JSON to write")
    p.add_argument("--title", help="title on the sheet")
    p.add_argument("--ceiling-mm", type=float, default=2.0, help="subtle: largest motion (2)")
    p.add_argument("--floor-mm", type=float, default=0.3, help="readable: smallest peak (0.3)")
    p.add_argument("--rigid-mm", type=float, default=0.1, help="identity: rigid drift (0.1)")
    p.add_argument("--min-span-ms", type=float, default=40.0, help="timing: shortest (40)")
    p.add_argument("--max-span-ms", type=float, default=500.0, help="timing: longest (500)")
    p.add_argument("--mapping", help="AU map JSON (for the plausibility check)")
    p.add_argument("--no-fail", action="store_true", help="report only: exit 0 even on a fail")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr import bridge
    from microexpr.review.checks import Limits
    from microexpr.review.report import Reviewer

    rig = bridge.load_rig(args.rig)
    clip = bridge.load_clip(args.clip)
    base = bridge.load_clip(args.base) if args.base else None
    limits = Limits(ceiling_mm=args.ceiling_mm, floor_mm=args.floor_mm, rigid_mm=args.rigid_mm,
                    min_span=args.min_span_ms / 1e3, max_span=args.max_span_ms / 1e3)
    result = Reviewer(rig, limits, args.mapping).review(clip, base, clip_file=args.clip,
                                                        base_file=args.base)
    png = None
    if args.out:
        try:
            from microexpr.review.sheet import render_sheet
        except ImportError as exc:          # pragma: no cover - matplotlib missing
            raise MicroExprError("cannot draw the sheet (%s)" % exc, field="--out",
                                 fix="pip install matplotlib, or leave out --out") from None
        png = render_sheet(result, rig, args.title or args.clip)
    from microexpr.atomicio import write_bytes
    if args.json:
        result.save(args.json)
    if png is not None:
        write_bytes(args.out, png)
    print(result.text())
    for path in (args.out, args.json):
        if path:
            print("wrote %s" % path)
    return 0 if (result.passed or args.no_fail) else 1
