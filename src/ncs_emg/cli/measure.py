"""``ncs-emg measure``: CMAP measures of every nerve, site and sweep, plus an F-wave summary."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable

from .. import __version__
from ._common import add_reading_options, read_input
from ._output import format_csv, format_table, json_safe
from .fwave import FWAVE_COLUMNS, FWAVE_HEADERS, fwave_record, fwave_results, fwave_row

_MEASURE_COLUMNS = [
    "nerve",
    "side",
    "muscle",
    "site",
    "sweep",
    "onset_latency_ms",
    "neg_peak_latency_ms",
    "neg_peak_amp_mv",
    "peak_to_peak_amp_mv",
    "neg_area_mv_ms",
    "total_area_mv_ms",
    "neg_duration_ms",
    "total_duration_ms",
    "baseline_mv",
    "noise_mv",
    "no_response",
    "saturated",
]
_TABLE_HEADERS = [
    "nerve",
    "side",
    "muscle",
    "site",
    "sweep",
    "onset_ms",
    "negpk_ms",
    "neg_amp_mv",
    "p2p_mv",
    "neg_area",
    "tot_area",
    "neg_dur_ms",
    "tot_dur_ms",
    "base_mv",
    "noise_mv",
    "no_resp",
    "sat",
]


def add_parser(sub) -> Callable[[argparse.Namespace], int]:
    from ..measure import onset_methods

    p = sub.add_parser("measure", help="measure every CMAP of every nerve, site and sweep")
    p.add_argument("file", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument(
        "--format",
        choices=("table", "json", "csv"),
        default="table",
        help="output format (table and json include an F-wave summary; csv holds one row per CMAP "
        "sweep only, one schema per file: use `ncs-emg fwave --format csv` for F-wave trains)",
    )
    p.add_argument(
        "--method", choices=sorted(onset_methods()), default="threshold", help="onset detector"
    )
    add_reading_options(p)

    def run(args: argparse.Namespace) -> int:
        from ..measure import measure_study

        study, _, issues = read_input(args)  # the reader's issues go to stderr
        results = measure_study(study, method=args.method)
        if args.format == "json":
            doc = {
                "file": str(args.file),
                "ncs_emg_version": __version__,
                "subject_id": study.subject_id,
                "method": args.method,
                "issues": issues,
                "sites": [
                    {
                        "nerve": r.nerve.nerve,
                        "side": r.nerve.side,
                        "muscle": r.nerve.muscle,
                        "site": r.site_name,
                        "site_index": r.site_index,
                        "distance_mm": r.distance_mm,
                        "segment": r.segment,
                        "measures": r.measures.to_dict(),
                    }
                    for r in results
                ],
            }
            doc["fwaves"] = [fwave_record(ni, n, fm) for ni, n, fm in fwave_results(study)]
            print(json.dumps(json_safe(doc), indent=2))
            return 0
        rows = [row for r in results for row in r.rows()]
        if args.format == "csv":
            cols = list(rows[0].keys()) if rows else _MEASURE_COLUMNS
            sys.stdout.write(format_csv(rows, cols))
            return 0
        print(f"{args.file}: subject {study.subject_id}, onset method {args.method!r}")
        print(format_table(rows, _MEASURE_COLUMNS, _TABLE_HEADERS))
        frows = [fwave_row(ni, n, fm) for ni, n, fm in fwave_results(study)]
        if frows:
            print("\nF-waves (one row per train; see `ncs-emg fwave` for per-sweep values)")
            print(format_table(frows, FWAVE_COLUMNS, FWAVE_HEADERS))
        return 0

    return run
