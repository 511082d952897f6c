"""``ncs-emg batch``: many study files → tidy tables (local process pool or a Dask cluster)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``batch`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser(
        "batch",
        help="process many study files into tidy tables (resumable; local pool or Dask)",
        description="Process many study files into one table per kind of row (and an errors table: "
        "one row per file that gave no result). Rerunning into the same folder skips files already "
        "done (by content hash). See docs/batch.md.",
    )
    p.add_argument(
        "inputs", nargs="+", metavar="DIR|GLOB|FILE", help="folders, glob patterns, files"
    )
    p.add_argument("-o", "--out", required=True, metavar="OUT_DIR", help="output folder")
    p.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: CPUs)"
    )
    p.add_argument(
        "--scheduler", metavar="ADDRESS", help="run on this Dask scheduler, e.g. tcp://host:8786"
    )
    p.add_argument("--format", choices=("parquet", "csv", "jsonl"), default="parquet")
    p.add_argument(
        "--stage",
        default="analyze",
        help="analyze (default: sites, segments, findings, summaries), measure (CMAP sweeps, "
        "F-wave trains), or package.module:function",
    )
    p.add_argument(
        "--retry-failed", action="store_true", help="redo files that gave an error row before"
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=600.0,
        metavar="SECONDS",
        help="per-file time limit of the local pool (default 600)",
    )

    def run(args: argparse.Namespace) -> int:
        from ..batch import auto_progress
        from ..batch import run as run_batch

        progress = auto_progress(sys.stderr) if not args.quiet else None
        try:
            res = run_batch(
                args.inputs,
                args.out,
                workers=args.workers,
                scheduler=args.scheduler,
                stage=args.stage,
                fmt=args.format,
                retry_failed=args.retry_failed,
                timeout_s=args.timeout,
                progress=progress,
            )
        except KeyboardInterrupt:
            print(
                "ncs-emg batch: interrupted; finished files are kept and a rerun resumes",
                file=sys.stderr,
            )
            return 130
        print(
            f"{res.n_inputs} inputs: {res.n_processed} processed ({res.n_errors} errors), "
            f"{res.n_skipped} already done; tables in {res.out_dir}"
        )
        for name, path in res.tables.items():
            print(f"  {name}: {path}")
        return 0

    return run
