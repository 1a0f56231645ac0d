"""``microexpr demo``: the whole pipeline on the embedded default face."""
from __future__ import annotations

from microexpr.cli.main import command


def add_parser(sub) -> None:
    p = command(sub, "demo", "run the whole pipeline on the embedded default face (< 60 s)",
                "microexpr demo --out demo_out")
    p.add_argument("--out", default="microexpr_demo", help="folder for the outputs "
                                                           "(default ./microexpr_demo)")
    p.add_argument("--fps", type=float, default=60.0, help="frame rate of the clips (default 60)")
    p.add_argument("--seed", type=int, default=7, help="random seed (default 7)")
    p.add_argument("--no-parity", action="store_true", help="skip the C# runtime check")
    p.set_defaults(run=run)


def run(args) -> int:
    from microexpr.cli.demo_job import check_out_dir, print_summary, run_demo

    res = run_demo(check_out_dir(args.out), fps=args.fps, seed=args.seed, parity=not args.no_parity)
    print_summary(res)
    return 0
