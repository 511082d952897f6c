"""``ncs-emg cohort``: response rate, responders against nonresponders and diagnoses of a cohort table."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ._output import format_csv, format_table, json_safe

if TYPE_CHECKING:
    from ..cohort import CohortSummary

_FEATURE_COLUMNS = (
    "feature",
    "test",
    "responders",
    "nonresponders",
    "statistic",
    "p_value",
    "n_missing",
)


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``cohort`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser(
        "cohort",
        help="cohort statistics: response rate (Wilson CI), Fisher / Student t per feature",
    )
    p.add_argument("table", help="one row per patient (.csv or .parquet)")
    p.add_argument(
        "--format", choices=("table", "json", "csv"), default="table", help="output format"
    )
    p.add_argument("--alpha", type=float, default=0.05, help="significance level (0.05)")

    def run(args: argparse.Namespace) -> int:
        from ..cohort import summarize_cohort

        s = summarize_cohort(args.table, alpha=args.alpha)
        rows = [f.row() for f in s.features]
        if args.format == "json":
            print(json.dumps(json_safe(s.to_dict()), indent=2))
        elif args.format == "csv":
            print(format_csv(rows, (*_FEATURE_COLUMNS, "reason")), end="")
        else:
            print(_page(s, rows))
        return 0

    return run


def _page(s: CohortSummary, rows: list[dict[str, Any]]) -> str:
    r = s.response
    out = [
        f"cohort {s.source}: {s.n_patients} patients (response from {s.response_from})",
        f"response: {r.count}/{r.n} = {r.pct:.1f} % (Wilson {100 * r.confidence:.0f} % CI "
        f"{r.ci_low_pct:.1f}-{r.ci_high_pct:.1f} %)",
        "",
        "Responders against nonresponders (Fisher exact: categorical; Student t: continuous; "
        f"p < {s.alpha:g} marked *)",
    ]
    for row, f in zip(rows, s.features, strict=True):
        if f.significant:
            row["feature"] += " *"
    out.append(format_table(rows, _FEATURE_COLUMNS) if rows else "  (no feature columns)")
    if s.diagnoses:
        diag = [
            {
                "diagnosis": d.diagnosis,
                "n": d.n,
                "responders": d.responders,
                "nonresponders": d.nonresponders,
                "% cohort": d.pct_of_cohort,
                "% nonresponders": d.pct_of_nonresponders,
            }
            for d in s.diagnoses
        ]
        cols = ("diagnosis", "n", "responders", "nonresponders", "% cohort", "% nonresponders")
        out += ["", "Diagnoses", format_table(diag, cols)]
    if s.issues:
        out += ["", "Issues:"] + [f"  - {i}" for i in s.issues]
    return "\n".join(out)
