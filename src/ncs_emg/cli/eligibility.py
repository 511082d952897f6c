"""``ncs-emg eligibility``: the seed study's procedure from a study (or values CSV) and a clinical file.

The full chain on one page: measure every CMAP (or take the printed values) → segments → criteria
sets → the decision (category, reasons, missing items), the EFNS/PNS 2010 MMN set for an MMN
candidate, the responder phenotype and the evidence statement (``docs/eligibility.md``).
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable, Sequence
from typing import Any

from ._common import add_reading_options, read_study_or_values
from ._output import format_table, json_safe

#: The keys of the JSON document that scripts may rely on (``EligibilityReport.to_dict`` has more).
JSON_KEYS = ("category", "phenotype", "reasons", "missing", "criteria_summary", "evidence")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``eligibility`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser(
        "eligibility",
        help="IVIg eligibility by the seed study's procedure (study + clinical findings)",
        description=(
            "Apply the decision procedure of Simon et al., Neurology 2013 (progressive LMN weakness "
            "without conduction block and IVIg): category, every deciding rule with value, threshold "
            "and source, the responder phenotype and the evidence. Research use only."
        ),
    )
    p.add_argument("study", help="study file (.h5, EDF/EDF+/BDF) or a values CSV (.csv)")
    p.add_argument("--clinical", required=True, help="clinical findings (.toml or .json)")
    add_reading_options(p)
    p.add_argument("--format", choices=("table", "json"), default="table", help="output format")
    p.add_argument("--cb-criteria", default="katz2002", help="set judging CB and TD (katz2002)")
    p.add_argument(
        "--exclusion-criteria",
        default="aan1991",
        help="set judging demyelinating slowing, DML and F latency (aan1991)",
    )

    def run(args: argparse.Namespace) -> int:
        from ..analysis import analyze
        from ..eligibility import assess_eligibility, read_clinical
        from ..eligibility.mmn import MMN_SET

        clinical = read_clinical(args.clinical)
        sets = list(dict.fromkeys((args.cb_criteria, args.exclusion_criteria, MMN_SET)))
        report = analyze(read_study_or_values(args, args.study), criteria=sets)
        result = assess_eligibility(
            clinical,
            report,
            cb_criteria=args.cb_criteria,
            exclusion_criteria=args.exclusion_criteria,
        )
        if args.format == "json":
            print(json.dumps(json_safe(result.to_dict()), indent=2))
        else:
            print(
                render_page(
                    result, study=args.study, clinical=args.clinical, n_nerves=len(report.nerves)
                )
            )
        return 0

    return run


def _met(m: bool | None) -> str:
    return "n/e" if m is None else ("yes" if m else "no")


def _num(v: Any) -> str:
    if v is None:
        return "-"
    return f"{v:.4g}" if isinstance(v, float) else str(v)


def findings_table(findings: Sequence[Any], sources: dict[str, int]) -> str:
    """Findings as a table with numbered sources (``sources`` collects source -> number)."""
    rows = []
    for f in findings:
        n = sources.setdefault(f.source, len(sources) + 1)
        where = f.nerve or ""
        if f.from_site is not None:
            where += f" {f.from_site}→{f.to_site}"
        rows.append(
            {
                "rule": f.rule + ("" if f.verified else " *"),
                "criteria": f.criteria,
                "where": where.strip() or "-",
                "met": _met(f.met),
                "value": _num(f.value),
                "threshold": _num(f.threshold),
                "unit": f.unit,
                "src": f"[{n}]",
                "reason": f.reason,
            }
        )
    cols = ("rule", "criteria", "where", "met", "value", "threshold", "unit", "src", "reason")
    return format_table(rows, cols)


def _criteria_rows(summary: dict[str, Any]) -> str:
    rows = []
    for sid, s in summary.items():
        if s is None:
            rows.append({"set": sid, "cb": "not in report"})
            continue
        rows.append(
            {
                "set": sid,
                "cb": s["conduction_block"],
                "td": s["temporal_dispersion"],
                "demyelinating": s["demyelinating"],
                "nerves_with_cb": ", ".join(s["nerves_with_cb"] or []) or "-",
                "territories": s["territories"],
            }
        )
    return format_table(rows, ("set", "cb", "td", "demyelinating", "nerves_with_cb", "territories"))


def _response_line(r: Any) -> str:
    def pair(a: Any, b: Any, d: Any) -> str:
        if a.total is None or b.total is None:
            return "unknown"
        return f"{a.total:g} → {b.total:g} ({d:+g})"

    verdict = {True: "improved", False: "not improved", None: "not evaluable"}[r.improved]
    return (
        f"EMRCSS {pair(r.emrcss_before, r.emrcss_after, r.emrcss_change)}; NSS "
        f"{pair(r.nss_before, r.nss_after, r.nss_change)}: {verdict} (>= {r.min_points:g} points "
        "in either)"
    )


def render_page(result: Any, *, study: str = "", clinical: str = "", n_nerves: int = 0) -> str:
    """The one-page text report of an :class:`~ncs_emg.eligibility.EligibilityReport`."""
    sources: dict[str, int] = {}
    out = [
        f"ncs-emg eligibility: {result.subject_id}",
        f"study {study} ({n_nerves} motor nerves); clinical findings {clinical}",
        "",
        f"CATEGORY: {result.category}",
        f"  {result.statement}",
        "",
    ]
    if result.reasons:
        out += ["Deciding findings", findings_table(result.reasons, sources), ""]
    if result.missing:
        out += ["Missing (needed to decide)", findings_table(result.missing, sources), ""]
    out += ["Criteria sets, study level", _criteria_rows(result.criteria_summary), ""]
    if result.mmn is not None:
        out += ["EFNS/PNS 2010 MMN set", f"  {result.mmn.statement}"]
        out += [findings_table(result.mmn.findings, sources), ""]
    ph = result.phenotype
    out += [f"RESPONDER PHENOTYPE: {ph.phenotype}", f"  {ph.statement}"]
    out += [findings_table(ph.core + ph.supportive, sources), ""]
    out += [
        f"Evidence: {result.evidence.statement}",
        f"Response: {_response_line(result.response)}",
    ]
    if result.issues:
        out += ["", "Issues:"] + [f"  - {i}" for i in result.issues]
    out += ["", "Sources:"] + [f"  [{n}] {s}" for s, n in sources.items()]
    out += ["  * rule flagged unverified (its numbers are not from a checked primary source)"]
    out += ["", result.disclaimer]
    return "\n".join(out)
