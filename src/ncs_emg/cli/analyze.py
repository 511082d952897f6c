"""``ncs-emg analyze``: segment ladder and every criteria set's verdict, per nerve and per study."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ._common import add_reading_options, read_study_or_values
from ._output import format_csv, format_table, json_safe

_SITE_COLS = ["name", "distance_mm", "sweep", "onset_latency_ms", "neg_peak_amp_mv",
              "peak_to_peak_amp_mv", "neg_area_mv_ms", "neg_duration_ms"]  # fmt: skip
_SITE_HEAD = [
    "site",
    "dist_mm",
    "sweep",
    "onset_ms",
    "neg_amp_mv",
    "p2p_mv",
    "area_mv_ms",
    "dur_ms",
]
_SEG_COLS = ["segment", "label", "length_mm", "cv_m_s", "amp_reduction_pct", "area_reduction_pct",
             "duration_increase_pct", "entrapment"]  # fmt: skip
_SEG_HEAD = [
    "segment",
    "label",
    "len_mm",
    "cv_m_s",
    "amp_red_%",
    "area_red_%",
    "dur_inc_%",
    "entrap",
]


def _read_text(path: str, what: str) -> str:
    from ..errors import FormatError

    try:
        return Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{what} {path}: cannot read ({exc})") from exc


def _limits(path: str | None) -> Any:
    if path is None:
        return None
    from ..normative import normative_table_from_json, normative_table_from_toml

    text = _read_text(path, "--limits")
    if path.lower().endswith(".json"):
        return normative_table_from_json(text, where=path)
    return normative_table_from_toml(text, where=path)


def _criteria(ids: str | None, files: list[str]) -> Any:
    from ..criteria import criteria_set_from_toml, resolve_criteria

    sets = list(resolve_criteria(ids)) if ids or not files else []
    sets += [criteria_set_from_toml(_read_text(f, "--criteria-file"), where=f) for f in files]
    return sets


def _sweep(text: str) -> str | int:
    if text in ("max", "median"):
        return text
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected max, median or a sweep index, got {text!r}"
        ) from None


def _verdicts(n: Any, sets: Any) -> list[dict[str, Any]]:
    rows = []
    for c in sets:
        s = n.summary[c.id]
        segs = dict.fromkeys(d.split(": ")[0] for d in s.driving)
        unver = "" if c.verified else " (unverified)"
        rows.append({"criteria": c.id + unver, "cb": s.conduction_block, "td": s.temporal_dispersion,
                     "demyelinating": s.demyelinating, "driving": ", ".join(segs) or "-"})  # fmt: skip
    return rows


def _driving_numbers(n: Any) -> list[str]:
    """The first met finding of each set (the full list is in --format json/csv)."""
    out, seen = [], set()
    for f in n.findings:
        if f.met is True and f.criteria not in seen:
            seen.add(f.criteria)
            flag = "" if f.verified else " [unverified]"
            out.append(f"  {f.criteria}/{f.rule}: {f.reason}{flag}")
    return out


def _print_table(rep: Any, path: str) -> None:
    print(f"{path}: subject {rep.subject_id}; limits {rep.parameters['limits']}; "
          f"site CMAP: {rep.parameters['sweep']}")  # fmt: skip
    print("Research tool, not a medical device: check every finding against its source.\n")
    for n in rep.nerves:
        print(f"== {n.label}")
        srows = [{**s.to_dict(), "sweep": s.sweep_choice if s.sweep_index is None else
                  f"{s.sweep_choice} #{s.sweep_index}"} for s in n.sites]  # fmt: skip
        print(format_table(srows, _SITE_COLS, _SITE_HEAD))
        grows = [{**g.to_dict(), "segment": g.name} for g in n.segments]
        if grows:
            print(format_table(grows, _SEG_COLS, _SEG_HEAD))
        print(
            format_table(
                _verdicts(n, rep.criteria), ["criteria", "cb", "td", "demyelinating", "driving"]
            )
        )
        lines = _driving_numbers(n)
        if lines:
            print("first driving finding per set (all findings: --format json or csv):")
            print("\n".join(lines))
        for i in n.issues:
            print(f"  issue: {i}")
        print()
    rows = [{"criteria": c.id, **{k: v for k, v in rep.summary[c.id].to_dict().items()
             if k in ("conduction_block", "temporal_dispersion", "demyelinating", "territories")},
             "nerves_with_cb": ", ".join(rep.summary[c.id].nerves_with_cb) or "-"}
            for c in rep.criteria]  # fmt: skip
    print("== study")
    print(format_table(rows, ["criteria", "conduction_block", "temporal_dispersion", "demyelinating",
                              "territories", "nerves_with_cb"],
                       ["criteria", "cb", "td", "demyelinating", "territories", "nerves with CB"]))  # fmt: skip
    for i in rep.issues:
        print(f"issue: {i}")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``analyze`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser(
        "analyze",
        help="segment-by-segment analysis and every conduction-block / demyelination criteria set",
    )
    p.add_argument("file", help="study file (.h5, EDF/EDF+/BDF) or a values CSV (one row per site)")
    p.add_argument(
        "--criteria", help="comma-separated criteria-set ids (default: all shipped sets)"
    )
    p.add_argument("--criteria-file", action="append", default=[], metavar="SET.toml",
                   help="a criteria set of your own (TOML; repeatable)")  # fmt: skip
    p.add_argument("--limits", metavar="LAB.toml", help="normal limits of your lab (TOML or JSON)")
    p.add_argument("--sweep", type=_sweep, default="max",
                   help="CMAP per site: max (default), median, or a sweep index")  # fmt: skip
    add_reading_options(p)
    p.add_argument("--format", choices=("table", "json", "csv"), default="table",
                   help="table (ladder and verdicts), json (the full report) or csv (findings, long form)")  # fmt: skip

    def run(args: argparse.Namespace) -> int:
        from ..analysis import analyze
        from ..tables import FINDING_COLUMNS, findings_rows

        sets = _criteria(args.criteria, args.criteria_file)
        rep = analyze(
            read_study_or_values(args, args.file),
            criteria=sets,
            limits=_limits(args.limits),
            sweep=args.sweep,
        )
        if args.format == "json":
            print(json.dumps(json_safe(rep.to_dict()), indent=2, ensure_ascii=False))
        elif args.format == "csv":
            sys.stdout.write(format_csv(findings_rows(rep.nerves), list(FINDING_COLUMNS)))
        else:
            _print_table(rep, args.file)
        return 0

    return run
