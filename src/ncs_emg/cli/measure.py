"""``ncs-emg measure``: CMAP measures of every nerve, site and sweep, plus an F-wave summary."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._version import __version__
from ._common import add_reading_options, read_input
from ._output import format_csv, format_table, json_safe
from .fwave import FWAVE_COLUMNS, FWAVE_HEADERS, fwave_record, fwave_results, fwave_row

if TYPE_CHECKING:
    from ..types import Study

_ID_COLUMNS = [("nerve", "nerve"), ("side", "side"), ("muscle", "muscle"), ("site", "site")]


def _table_columns() -> tuple[list[str], list[str]]:
    """CMAP table columns and headers, derived from the result fields' metadata."""
    from ..cmap_results import cmap_columns

    cols = [c for c, _h in _ID_COLUMNS] + ["sweep"]
    heads = [h for _c, h in _ID_COLUMNS] + ["sweep"]
    for c in cmap_columns(table=True):
        cols.append(c["name"])
        heads.append(c["header"])
    return cols, heads


def _csv_columns() -> list[str]:
    """Every per-sweep CSV column (ids, measures, levels, flags) and the error column."""
    from ..cmap_results import cmap_columns

    ids = ["nerve_index", "nerve", "side", "muscle", "site_index", "site", "distance_mm", "segment"]
    return ids + ["sweep"] + [c["name"] for c in cmap_columns()] + ["baseline_source", "error"]


def first_run_notice(study: Study) -> None:
    """One line on stderr when the kernels this study needs are not in numba's cache yet (the first
    run compiles them, which takes seconds; later runs load them)."""
    from .. import _kernels as K
    from .._jit import kernels_cached
    from ..measure import PARALLEL_MIN_SWEEPS

    need = []
    sweeps = [s.sweeps for n in study.nerves for s in n.sites]
    if any(sw.data.shape[0] < PARALLEL_MIN_SWEEPS for sw in sweeps):
        need.append(K.cmap_sweep)
    if any(sw.data.shape[0] >= PARALLEL_MIN_SWEEPS for sw in sweeps):
        need.append(K.cmap_batch)
    if any(n.fwaves is not None for n in study.nerves):
        need.append(K.fw_train)
    if not kernels_cached(*need):
        print(
            "ncs-emg: compiling the numerical kernels (first run only; cached afterwards)...",
            file=sys.stderr,
            flush=True,
        )


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``measure`` subcommand to ``sub`` and return the function that runs it."""
    from ..measure import onset_methods

    p = sub.add_parser("measure", help="measure every CMAP of every nerve, site and sweep")
    p.add_argument("file", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (table and json include an F-wave summary; csv holds one row per CMAP "
        "sweep, plus one row per site that could not be measured with its 'error', one schema per "
        "file: use `ncs-emg fwave --format csv` for F-wave trains). Sites that cannot be measured "
        "are reported on stderr and in the output; the exit status is 1 only when none was measured",
    )
    p.add_argument(
        "--method", choices=sorted(onset_methods()), default="threshold", help="onset detector"
    )
    add_reading_options(p)

    def run(args: argparse.Namespace) -> int:
        from ..measure import measure_study

        study, _, issues = read_input(args)  # the reader's issues go to stderr
        first_run_notice(study)
        results = measure_study(study, method=args.method)  # warnings: one stderr line each
        for err in results.errors:
            print(f"ncs-emg measure: {args.file}: not measured: {err}", file=sys.stderr)
        if not results.sites:
            print(
                f"ncs-emg measure: error: {args.file}: no site could be measured", file=sys.stderr
            )
            return 1
        if args.format == "json":
            doc = {
                "file": str(args.file),
                "ncs_emg_version": __version__,
                "subject_id": study.subject_id,
                "method": args.method,
                "issues": issues,
                "sites": [r.to_dict() for r in results],
                "errors": [e.to_dict() for e in results.errors],
            }
            doc["fwaves"] = [fwave_record(ni, n, fm) for ni, n, fm in fwave_results(study)]
            print(json.dumps(json_safe(doc), indent=2))
            return 0
        rows = results.rows()
        if args.format == "csv":
            errors = [{**e.to_dict(), "site": e.site_name} for e in results.errors]
            sys.stdout.write(format_csv(rows + errors, _csv_columns()))
            return 0
        cols, heads = _table_columns()
        print(f"{args.file}: subject {study.subject_id}, onset method {args.method!r}")
        print(format_table(rows, cols, heads))
        if results.errors:
            print("\nNot measured (one line per site)")
            print(
                format_table(
                    [e.to_dict() for e in results.errors],
                    ["nerve", "side", "muscle", "site", "error"],
                )
            )
        frows = [fwave_row(ni, n, fm) for ni, n, fm in fwave_results(study)]
        if frows:
            print("\nF-waves (one row per train; see `ncs-emg fwave` for per-sweep values)")
            print(format_table(frows, FWAVE_COLUMNS, FWAVE_HEADERS))
        return 0

    return run
