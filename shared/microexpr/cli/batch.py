"""``microexpr batch``: many takes through capture/solve, review and export, resumable."""
from __future__ import annotations

import sys

from microexpr.cli.main import command
from microexpr.errors import MicroExprError


def add_parser(sub) -> None:
    p = command(sub, "batch", "run many takes (videos, image folders, tracks, Maya scenes) "
                              "through capture or solve, review and export, on this machine "
                              "or a Dask cluster; a re-run skips what is done",
                "microexpr batch takes.csv --out batch_out --jobs 2\n"
                "  microexpr batch 'takes/*.mp4' --rig face.microexpr --out batch_out "
                "--outputs clip,sheet,fbx\n"
                "  microexpr batch takes.csv --out /shared/batch_out --scheduler "
                "tcp://farm01:8786")
    p.add_argument("manifest", metavar="MANIFEST",
                   help="a .csv or .json manifest (one job per row), or a quoted glob of inputs "
                        "such as 'takes/*.mp4' (then --rig is needed)")
    p.add_argument("--out", dest="out_dir", required=True, metavar="DIR",
                   help="output folder: one sub-folder per take, index.html, summary.json")
    p.add_argument("--rig", help="rig for jobs without a rig column (and for a glob)")
    p.add_argument("--performer", help="performer file for jobs without a performer column")
    p.add_argument("--outputs", help="outputs for jobs without an outputs column: clip, review, "
                                     "sheet, fbx, glb, tracks (capture); json, fbx (mayapy); "
                                     "default clip,sheet")
    p.add_argument("--neutral-frame", type=int, help="neutral frame for jobs without one")
    p.add_argument("--set", action="append", default=[], metavar="SETTING=VALUE",
                   help="a setting for jobs without it, e.g. --set reg=0.01 --set mirrored=1 "
                        "(see docs/batch.md)")
    g = p.add_mutually_exclusive_group()
    g.add_argument("--jobs", type=int, metavar="N",
                   help="processes of the local pool (default: one per core)")
    g.add_argument("--scheduler", metavar="tcp://HOST:8786",
                   help="run on this Dask distributed scheduler instead (pip install "
                        "'microexpr[dask]'; workers need microexpr[capture,export,dask])")
    p.add_argument("--mayapy", help="how to start mayapy for Maya scenes (default $MICROEXPR_MAYAPY "
                                    "or mayapy)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(run=run)


def defaults_from_args(args) -> dict:
    """Manifest defaults from the command line: what a row or a glob job leaves empty."""
    out = {"rig": args.rig, "performer": args.performer, "outputs": args.outputs,
           "neutral_frame": args.neutral_frame, "mayapy": args.mayapy}
    for item in args.set:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise MicroExprError("expected SETTING=VALUE, got %r" % item, field="--set",
                                 fix="e.g. --set reg=0.01")
        out[key.strip().replace("-", "_")] = value.strip()
    return {k: v for k, v in out.items() if v is not None}


def run(args) -> int:
    from microexpr.batch.manifest import load_jobs
    from microexpr.batch.run import make_engine, run_batch

    if args.jobs is not None and args.jobs < 1:
        raise MicroExprError("need at least one process", field="--jobs", fix="e.g. --jobs 2")
    defaults = defaults_from_args(args)
    jobs = load_jobs(args.manifest, defaults)
    engine = make_engine(args.jobs, args.scheduler)
    print("batch: %d job(s) on %s" % (len(jobs), engine.describe()))
    sys.stdout.flush()
    try:
        report = run_batch(jobs, args.out_dir, engine, progress=not args.quiet)
    except KeyboardInterrupt:
        print("microexpr: batch interrupted; finished takes are recorded: run the same command "
              "again to resume", file=sys.stderr)
        return 130
    finally:
        engine.close()
    s = report.summary
    for t in report.takes:
        if t.status == "failed":
            print("FAILED %s: %s" % (t.job.name, t.error))
    print("%d done, %d skipped (done before), %d failed; %d review(s) failed; %d frames, "
          "%.0f frames/s, %.1f s" % (s["done"], s["skipped"], s["failed"], s["review_failed"],
                                     s["frames"], s["frames_per_second"], s["seconds"]))
    print("wrote %s" % ", ".join(report.files))
    return report.exit_code
