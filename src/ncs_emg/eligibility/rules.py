"""The seed study's inclusion and exclusion rules as findings (steps 1-3 of the procedure).

Each rule gives a :class:`~ncs_emg.findings.Finding` with ``criteria="simon2013"`` (clinical rules) or
the id of the criteria set that decided it (electrodiagnostic rules). Yes/no findings use
``value`` 1.0 (yes) / 0.0 (no) / None (unknown) with ``unit = "yes=1/no=0"`` and ``threshold`` 1.0.

- Scope rules (step 1): ``met`` True means the requirement holds.
- Exclusion rules (steps 2-3): ``met`` True means the excluding finding is present.

A missing input always gives ``met=None`` with the key that would decide it, never "normal".
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..criteria import get_criteria_set
from ..errors import NcsEmgError
from ..findings import Finding
from .clinical import ClinicalFindings

__all__ = [
    "SIMON2013",
    "SIMON2013_SOURCE",
    "YES_NO",
    "yes_no_finding",
    "report_field",
    "scope_findings",
    "clinical_exclusion_findings",
    "sensory_ncs_finding",
    "electrodiagnostic_findings",
    "set_source",
]

SIMON2013 = "simon2013"
SIMON2013_SOURCE = "Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116"
YES_NO = "yes=1/no=0"
_SCOPE_SOURCE = (
    f"{SIMON2013_SOURCE} (inclusion: progressive, asymmetric, focal-onset LMN limb weakness)"
)
_EXCL_SOURCE = (
    f"{SIMON2013_SOURCE} (exclusion: UMN signs - spasticity, hyperreflexia or reflex spread, Babinski "
    "or Hoffmann signs; sensory abnormalities; bulbar or respiratory weakness)"
)
_SNCS_SOURCE = f"{SIMON2013_SOURCE} (inclusion required normal sensory NCS)"
_POSITIVE = {"conduction_block": ("definite", "probable", "present")}


def yes_no_finding(
    rule: str,
    observed: bool | None,
    *,
    met: bool | None,
    key: str,
    said: str,
    source: str,
    criteria: str = SIMON2013,
    reason: str | None = None,
    **extra: Any,
) -> Finding:
    """A finding about a yes/no clinical item (reason "<key> = true: <said>" unless ``reason``)."""
    if observed is None:
        reason = f"{key} not given: unknown, so '{rule}' is not evaluable"
    elif reason is None:
        reason = f"{key} = {str(observed).lower()}: {said}"
    return Finding(
        rule=rule,
        met=None if observed is None else met,
        value=None if observed is None else float(observed),
        threshold=1.0,
        unit=YES_NO,
        reason=reason,
        source=source,
        criteria=criteria,
        details={"key": key, **extra},
    )


def scope_findings(c: ClinicalFindings) -> tuple[Finding, ...]:
    """Step 1: progressive, asymmetric, focal-onset weakness of LMN type (all required)."""
    out = []
    for name, what in (
        ("progressive", "progressive weakness"),
        ("asymmetric", "asymmetric weakness"),
        ("focal_onset", "focal onset"),
        ("lmn_weakness", "weakness of lower-motor-neuron type"),
    ):
        v = getattr(c.phenotype, name)
        out.append(
            yes_no_finding(
                name,
                v,
                met=v,
                key=f"phenotype.{name}",
                said=f"{what} {'present' if v else 'absent'} (required)",
                source=_SCOPE_SOURCE,
            )
        )
    return tuple(out)


def clinical_exclusion_findings(c: ClinicalFindings) -> tuple[Finding, ...]:
    """Step 2: UMN signs, sensory abnormality, bulbar or respiratory weakness (any excludes)."""
    items = (
        ("umn_spasticity", "spasticity", "spasticity (UMN sign)"),
        ("umn_hyperreflexia", "hyperreflexia", "hyperreflexia (UMN sign)"),
        ("umn_reflex_spread", "reflex_spread", "reflex spread (UMN sign)"),
        ("umn_babinski", "babinski", "Babinski sign (UMN sign)"),
        ("umn_hoffmann", "hoffmann", "Hoffmann sign (UMN sign)"),
        ("sensory_abnormality", "sensory_abnormality", "sensory abnormality on examination"),
        ("bulbar_weakness", "bulbar_weakness", "bulbar weakness"),
        ("respiratory_weakness", "respiratory_weakness", "respiratory weakness"),
    )
    out = []
    for rule, key, what in items:
        v = getattr(c.signs, key)
        out.append(
            yes_no_finding(
                rule,
                v,
                met=v,
                key=f"signs.{key}",
                said=f"{what} {'present: excludes' if v else 'absent'}",
                source=_EXCL_SOURCE,
            )
        )
    return tuple(out)


def sensory_ncs_finding(c: ClinicalFindings) -> Finding:
    """Step 3a: abnormal sensory nerve conduction excludes."""
    v = c.sensory_ncs.any_abnormal
    bad = [f"{n.side or ''} {n.nerve}".strip() for n in c.sensory_ncs.nerves if n.abnormal]
    said = "abnormal sensory NCS: excludes" if v else "sensory NCS normal"
    if bad:
        said += f" ({', '.join(bad)})"
    return yes_no_finding(
        "sensory_ncs_abnormal",
        v,
        met=v,
        key="sensory_ncs",
        said=said,
        source=_SNCS_SOURCE,
        nerves_abnormal=bad,
    )


# --- the electrodiagnostic side: read from a StudyReport ------------------------------------------


def report_field(obj: Any, name: str, default: Any = None) -> Any:
    """``obj.name`` or ``obj[name]`` (report parts may be objects or mappings)."""
    if isinstance(obj, Mapping):
        return obj.get(name, default)
    return getattr(obj, name, default)


def set_source(report: Any, set_id: str) -> tuple[str, str]:
    """(name, source) of a criteria set, from the report's list or the shipped set."""
    for info in report_field(report, "criteria", ()) or ():
        if report_field(info, "id") == set_id:
            return str(report_field(info, "name", set_id)), str(report_field(info, "source", ""))
    try:
        cset = get_criteria_set(set_id)
    except NcsEmgError:
        return (
            set_id,
            f"criteria set {set_id!r} (a lab's own set; its source is in the study report)",
        )
    return cset.name, cset.source


#: The measures behind the seed study's "conduction slowing, DML or F-latency prolongation": absent
#: F-waves and distal CMAP duration are demyelinating features of some sets but not among the study's
#: exclusions (it included patients "with or without reduced CMAP amplitudes"); docs/eligibility.md.
SLOWING_MEASURES = ("cv_pct_lln", "cv_m_s", "dml_pct_uln", "min_f_latency_pct_uln")


def _slowing_rules(set_id: str) -> dict[str, str] | None:
    """Rule id -> measure of the slowing rules of a shipped set (None for a lab's own set)."""
    try:
        rules = get_criteria_set(set_id).rules
    except NcsEmgError:
        return None
    return {r.id: r.measure for r in rules if r.category == "demyelinating"}


def _slowing_state(fs: list[Finding], measures: Mapping[str, str]) -> str:
    """A nerve's slowing state from its findings: a minimal-F-latency rule that is not evaluable
    because the F-waves are absent (an evaluated ``f_absent`` finding met) is not an open question."""
    f_absent = any(measures.get(f.rule) == "f_absent" and f.met is True for f in fs)
    use = [f for f in fs if measures.get(f.rule) in SLOWING_MEASURES]
    if any(f.met is True for f in use):
        return "present"
    open_ = [
        f
        for f in use
        if f.met is None
        and not f.details.get("excluded")
        and not (f_absent and measures[f.rule] == "min_f_latency_pct_uln")
    ]
    if open_ or not any(f.met is False for f in use):
        return "not_evaluable"
    return "none"


def _nerve_states(report: Any, set_id: str, field: str) -> list[tuple[str, str, Any]]:
    """(nerve label, state, nerve report) of every nerve evaluated under ``set_id``.

    The demyelinating state of a shipped set is recomputed from the nerve's findings of the
    :data:`SLOWING_MEASURES` (a nerve report without findings keeps its summary state)."""
    measures = _slowing_rules(set_id) if field == "demyelinating" else None
    out = []
    for nerve in report_field(report, "nerves", ()) or ():
        summary = report_field(nerve, "summary", {}) or {}
        s = summary.get(set_id) if isinstance(summary, Mapping) else None
        if s is not None:
            label = str(report_field(nerve, "label", "") or report_field(nerve, "nerve", "?"))
            state = str(report_field(s, field, "not_evaluable"))
            fs = [
                f
                for f in report_field(nerve, "findings", ()) or ()
                if isinstance(f, Finding) and f.criteria == set_id
            ]
            if measures is not None and fs:
                state = _slowing_state(fs, measures)
            out.append((label, state, nerve))
    return out


def _nerve_findings(
    nerve: Any, set_id: str, categories: tuple[str, ...], met: bool | None
) -> list[Finding]:
    """Findings of ``set_id`` in one nerve with this ``met`` whose rule is of one of ``categories``
    (for ``met=None``, rules excluded by the set, e.g. entrapment sites, are left out)."""
    try:
        rules = get_criteria_set(set_id).rules
        cats: dict[str, str] | None = {
            r.id: r.category
            for r in rules
            if r.category != "demyelinating" or r.measure in SLOWING_MEASURES
        }
    except NcsEmgError:  # a lab's own set: its rule categories are not known here, keep all
        cats = None
    return [
        f
        for f in report_field(nerve, "findings", ()) or ()
        if isinstance(f, Finding)
        and f.criteria == set_id
        and f.met is met
        and (cats is None or cats.get(f.rule) in categories)
        and not (met is None and f.details.get("excluded"))
    ]


def _ed_finding(
    report: Any, set_id: str, field: str, rule: str, *, what: str, categories: tuple[str, ...]
) -> tuple[Finding, list[Finding], list[Finding]]:
    """One electrodiagnostic exclusion over all nerves: (aggregate finding, the findings behind a
    positive verdict, the not-evaluable findings behind an open one)."""
    name, source = set_source(report, set_id)
    states = _nerve_states(report, set_id, field)
    positive = _POSITIVE.get(field, ("present",))
    hit = [(lab, st, n) for lab, st, n in states if st in positive]
    open_ = [(lab, n) for lab, st, n in states if st == "not_evaluable"]
    driving = [f for _, _, n in hit for f in _nerve_findings(n, set_id, categories, True)]
    unknown = [f for _, n in open_ for f in _nerve_findings(n, set_id, categories, None)]
    if not states:
        met, reason = None, f"no nerve of the study was evaluated under {set_id} ({name})"
    elif hit:
        met = True
        reason = f"{what} under {set_id} in " + ", ".join(f"{lab} ({st})" for lab, st, _ in hit)
    elif open_:
        met = None
        per_nerve = [
            f"{lab} ({', '.join(dict.fromkeys(f.rule for f in unknown if f.nerve == lab)) or '?'})"
            for lab, _ in open_
        ]
        reason = f"{what} not evaluable under {set_id} in " + "; ".join(per_nerve)
    else:
        met, reason = False, f"no {what} under {set_id} in any of {len(states)} nerves"
    finding = Finding(
        rule=rule,
        met=met,
        value=float(len(hit)) if states else None,
        threshold=1.0,
        unit="nerves",
        reason=reason,
        source=source,
        criteria=set_id,
        details={
            "nerves": {lab: st for lab, st, _ in states},
            "not_evaluable": [lab for lab, _ in open_],
            "driving": [f"{f.nerve}: {f.from_site}→{f.to_site} {f.rule}" for f in driving],
        },
    )
    return finding, driving, (unknown if met is None else [])


#: The three electrodiagnostic exclusions: rule id, report field, which set (cb/exclusion), wording,
#: rule categories of the criteria set behind them.
_ED_ITEMS = (
    ("conduction_block", "conduction_block", "cb", "conduction block", ("cb",)),
    ("temporal_dispersion", "temporal_dispersion", "cb", "abnormal temporal dispersion", ("td",)),
    (
        "demyelinating_slowing",
        "demyelinating",
        "exclusion",
        "conduction slowing, DML or F-latency prolongation in the demyelinating range",
        ("demyelinating",),
    ),
)


def electrodiagnostic_findings(
    report: Any, *, cb_criteria: str, exclusion_criteria: str
) -> tuple[tuple[Finding, ...], dict[str, list[Finding]], dict[str, list[Finding]]]:
    """Step 3b-c: CB and TD under ``cb_criteria``; slowing/DML/F prolongation under
    ``exclusion_criteria``, in any nerve.

    Returns
    -------
    (findings, driving, open)
        The three aggregate findings; per rule id, the segment or nerve findings behind a positive
        verdict; per rule id, the not-evaluable findings behind a not-evaluable verdict.
    """
    sets = {"cb": cb_criteria, "exclusion": exclusion_criteria}
    out, driving, open_ = [], {}, {}
    for rule, field, which, what, cats in _ED_ITEMS:
        f, d, o = _ed_finding(report, sets[which], field, rule, what=what, categories=cats)
        out.append(f)
        driving[rule], open_[rule] = d, o
    return tuple(out), driving, open_
