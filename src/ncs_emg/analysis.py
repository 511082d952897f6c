"""Segment analysis and every criteria set side by side: :func:`analyze_nerve` and :func:`analyze`.

From waveforms (a :class:`~ncs_emg.types.Study` or :class:`~ncs_emg.types.Nerve`) or from printed
values (:func:`ncs_emg.read_values_csv`): choose one CMAP per site, compare the sites segment by
segment, evaluate each criteria set on every applicable segment, and summarise per nerve and per study.
Every verdict keeps the findings (rule, value, threshold, unit, reason, source) behind it. See
``docs/segments.md`` and ``docs/criteria.md``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._version import __version__
from .criteria import (
    CriteriaSet,
    CriteriaSetInfo,
    FWaveValues,
    NerveContext,
    NerveSummary,
    evaluate_nerve,
    resolve_criteria,
    summarize_nerve,
)
from .errors import ParameterError
from .findings import Finding
from .io.values_csv import NerveValues, StudyValues
from .normative import DEFAULT_TABLE, NormativeTable
from .segments import (
    Segment,
    SiteValues,
    compute_segments,
    site_values_from_dict,
    site_values_from_measures,
)
from .types import Nerve, Study

__all__ = [
    "NerveReport",
    "StudySummary",
    "StudyReport",
    "TERRITORIES",
    "analyze_nerve",
    "analyze",
]

#: Nerve territories counted by the study summary (the seed paper's five upper-limb territories).
TERRITORIES = ("median", "ulnar", "radial", "musculocutaneous", "axillary")
_CB_ORDER = ("definite", "probable", "present")


def _side_label(nerve: str, side: str, muscle: str | None) -> str:
    m = f" ({muscle})" if muscle else ""
    s = "" if side in ("unknown", "", None) else f"{side} "
    return f"{s}{nerve}{m}"


@dataclass(frozen=True)
class NerveReport:
    """Analysis of one nerve under every requested criteria set.

    Attributes
    ----------
    nerve, side, muscle, label : str, str, str or None, str
        Identification (``label`` e.g. ``"right ulnar (ADM)"``).
    sites : tuple of SiteValues
        The chosen CMAP per site, distal first (with the sweep choice).
    segments : tuple of Segment
        Consecutive segments, then each site against the most distal.
    findings : tuple of Finding
        Every rule of every set on every applicable segment (criteria order, then rule order).
    summary : Mapping[str, NerveSummary]
        Criteria id -> verdict.
    fwave : FWaveValues or None
        F-wave values used (None when the nerve has none).
    issues : tuple of str
        Problems found (one site, unmeasurable sites, order, distances).
    """

    nerve: str
    side: str
    muscle: str | None
    label: str
    sites: tuple[SiteValues, ...]
    segments: tuple[Segment, ...]
    findings: tuple[Finding, ...]
    summary: Mapping[str, NerveSummary]
    fwave: FWaveValues | None = None
    issues: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return {
            "nerve": self.nerve,
            "side": self.side,
            "muscle": self.muscle,
            "label": self.label,
            "sites": [s.to_dict() for s in self.sites],
            "segments": [s.to_dict() for s in self.segments],
            "findings": [f.to_dict() for f in self.findings],
            "summary": {k: v.to_dict() for k, v in self.summary.items()},
            "fwave": None if self.fwave is None else self.fwave.to_dict(),
            "issues": list(self.issues),
        }

    def to_dataframe(self) -> Any:
        """Findings in long form as a pandas DataFrame (pandas imported on call)."""
        from .tables import findings_rows, to_dataframe

        return to_dataframe(findings_rows([self]))


@dataclass(frozen=True)
class StudySummary:
    """Study-level verdict of one criteria set.

    Attributes
    ----------
    conduction_block : str
        Worst grade over nerves (definite > probable > present), else ``"none"`` when at least one
        nerve was evaluated, else ``"not_evaluable"``.
    temporal_dispersion, demyelinating : str
        ``"present"`` when some rule of the category is met in at least its ``min_nerves`` nerves,
        else ``"none"`` / ``"not_evaluable"`` as above.
    nerves_with_cb : tuple of str
        Labels of nerves with conduction block.
    territories : int
        Number of involved territories (CB, TD or demyelinating finding) among :data:`TERRITORIES`.
    nerves_not_evaluable : tuple of str
        Labels of nerves whose CB verdict is not evaluable.
    rules_met : Mapping[str, int]
        Rule id -> number of nerves in which it is met.
    """

    conduction_block: str
    temporal_dispersion: str
    demyelinating: str
    nerves_with_cb: tuple[str, ...]
    territories: int
    nerves_not_evaluable: tuple[str, ...] = ()
    rules_met: Mapping[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "conduction_block": self.conduction_block,
            "temporal_dispersion": self.temporal_dispersion,
            "demyelinating": self.demyelinating,
            "nerves_with_cb": list(self.nerves_with_cb),
            "territories": self.territories,
            "nerves_not_evaluable": list(self.nerves_not_evaluable),
            "rules_met": dict(self.rules_met),
        }


@dataclass(frozen=True)
class StudyReport:
    """Analysis of a whole study (the ``ncs-emg analyze --format json`` document).

    Attributes
    ----------
    version : str
        ncs_emg version.
    subject_id : str
    criteria : tuple of CriteriaSetInfo
        The sets evaluated (id, name, source, verified).
    nerves : tuple of NerveReport
    summary : Mapping[str, StudySummary]
        Criteria id -> study-level verdict.
    issues : tuple of str
    parameters : Mapping[str, Any]
        Sweep choice, normal-limit table, height.
    """

    version: str
    subject_id: str
    criteria: tuple[CriteriaSetInfo, ...]
    nerves: tuple[NerveReport, ...]
    summary: Mapping[str, StudySummary]
    issues: tuple[str, ...] = ()
    parameters: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ``version``, ``subject_id``, ``criteria``, ``nerves``, ``summary``,
        ``issues``, ``parameters`` (NaN -> None)."""
        return {
            "version": self.version,
            "subject_id": self.subject_id,
            "criteria": [c.to_dict() for c in self.criteria],
            "nerves": [n.to_dict() for n in self.nerves],
            "summary": {k: v.to_dict() for k, v in self.summary.items()},
            "issues": list(self.issues),
            "parameters": dict(self.parameters),
        }

    def to_dataframe(self) -> Any:
        """Findings of every nerve in long form as a pandas DataFrame (pandas imported on call)."""
        from .tables import findings_rows, to_dataframe

        return to_dataframe(findings_rows(self.nerves))


# ---- sites from waveforms or values -------------------------------------------------------------


def _fwave_from_waveforms(
    nerve: Nerve, table: NormativeTable, issues: list[str]
) -> FWaveValues | None:
    """The F-wave values of ``nerve``'s train; a train whose sweeps end before 150 % of the ULN of
    the minimal F latency (``table``) is not interpretable (see ``docs/fwaves.md``)."""
    if nerve.fwaves is None:
        return None
    from .fwave import measure_nerve_fwaves
    from .normative import required_f_sweep_end_ms

    try:
        fm = measure_nerve_fwaves(
            nerve, min_sweep_end_ms=required_f_sweep_end_ms(nerve.nerve, table)
        )
    except ParameterError as exc:
        issues.append(f"F-wave train not analysed: {exc}")
        return FWaveValues(math.nan, math.nan, False, str(exc), "waveforms")
    if fm is None:  # pragma: no cover - fwaves checked above
        return None
    return FWaveValues(
        float(fm.min_latency_ms),
        float(fm.persistence_pct),
        bool(fm.interpretable),
        fm.reason,
        "waveforms",
    )


def _sites_from_nerve(
    nerve: Nerve, sweep: str | int, measure_options: Mapping[str, Any]
) -> tuple[SiteValues, ...]:
    from .measure import measure_sweeps

    out = []
    for site in nerve.sites:
        try:
            m = measure_sweeps(site.sweeps, **measure_options)
        except ParameterError as exc:
            raise ParameterError(f"{nerve.label}, site {site.name!r}: {exc}") from exc
        out.append(
            site_values_from_measures(
                m,
                name=site.name,
                distance_mm=site.distance_mm,
                segment=site.segment,
                accepted=site.sweeps.accepted,
                sweep=sweep,
            )
        )
    return tuple(out)


def _fwave_from_values(nv: NerveValues) -> FWaveValues | None:
    lat, per = nv.min_f_latency_ms, nv.f_persistence_pct
    if not (math.isfinite(lat) or math.isfinite(per)):
        return None
    if not math.isfinite(per) and math.isfinite(lat):
        per = math.nan
    return FWaveValues(lat, per, True, "", "values")


def _site_issues(sites: Sequence[SiteValues], segments: Sequence[Segment]) -> list[str]:
    issues = []
    if len(sites) < 2:
        issues.append(
            f"{len(sites)} stimulation site(s): no segment to compare, conduction block not evaluable"
        )
    for s in sites:
        if not s.measurable:
            issues.append(f"site {s.name!r} not measurable: {s.reason}")
    if sites and not (math.isfinite(sites[0].distance_mm) and sites[0].distance_mm > 0):
        issues.append(f"site {sites[0].name!r}: distal distance missing or zero")
    for g in segments:
        if g.kind == "consecutive" and g.reason:
            issues.append(f"segment {g.name}: {g.reason}")
    return issues


def _coerce_sweep(sweep: Any) -> str | int:
    if isinstance(sweep, bool):
        raise ParameterError(f"sweep: expected 'max', 'median' or a sweep index, got {sweep!r}")
    if isinstance(sweep, str) and sweep.strip().lstrip("-").isdigit():
        return int(sweep)
    if sweep not in ("max", "median") and not isinstance(sweep, int):
        raise ParameterError(f"sweep: expected 'max', 'median' or a sweep index, got {sweep!r}")
    return sweep


def _limits(limits: Any) -> NormativeTable:
    if limits is None:
        return DEFAULT_TABLE
    if not isinstance(limits, NormativeTable):
        raise ParameterError(
            f"limits: expected a NormativeTable or None, got {type(limits).__name__}"
        )
    return limits


def _height(height_cm: Any) -> float | None:
    if height_cm is None:
        return None
    if isinstance(height_cm, bool) or not isinstance(height_cm, (int, float)):
        raise ParameterError(f"height_cm: expected a number of cm or None, got {height_cm!r}")
    h = float(height_cm)
    if math.isnan(h):
        return None
    if not 0 < h < 300:
        raise ParameterError(f"height_cm: expected a height in (0, 300) cm, got {height_cm!r}")
    return h


def _report(
    nerve: str,
    side: str,
    muscle: str | None,
    sites: tuple[SiteValues, ...],
    fwave: FWaveValues | None,
    *,
    sets: Sequence[CriteriaSet],
    limits: NormativeTable,
    height_cm: float | None,
    issues: list[str],
) -> NerveReport:
    label = _side_label(nerve, side, muscle)
    segments = compute_segments(sites, nerve=nerve)
    issues = issues + _site_issues(sites, segments)
    ctx = NerveContext(nerve, label, sites, segments, fwave, limits, height_cm)
    findings: list[Finding] = []
    summary: dict[str, NerveSummary] = {}
    for cset in sets:
        fs = evaluate_nerve(cset, ctx)
        findings += fs
        summary[cset.id] = summarize_nerve(cset, fs)
    return NerveReport(
        nerve, side, muscle, label, sites, segments, tuple(findings), summary, fwave, tuple(issues)
    )


def analyze_nerve(
    nerve_or_values: Nerve | NerveValues,
    *,
    criteria: Any = None,
    limits: NormativeTable | None = None,
    sweep: str | int = "max",
    height_cm: float | None = None,
    measure_options: Mapping[str, Any] | None = None,
) -> NerveReport:
    """Analyse one nerve: site values, segments, and every criteria set's findings and verdict.

    Parameters
    ----------
    nerve_or_values : Nerve or NerveValues
        Waveforms (measured here) or printed values (:func:`ncs_emg.read_values_csv`).
    criteria : None, str, CriteriaSet or sequence of them
        Criteria-set ids (``"katz2002"``, ``"efns_pns2010_mmn"``, ...; a comma-separated string is
        accepted) or loaded sets; None = every shipped set.
    limits : NormativeTable or None
        Normal limits (None: :data:`ncs_emg.normative.DEFAULT_TABLE`).
    sweep : {"max", "median"} or int
        Which CMAP represents a site (waveforms only): the largest accepted response, the per-measure
        median, or a sweep index.
    height_cm : float or None, cm
        Subject height, for height-adjusted F-latency limits (values input may carry its own).
    measure_options : Mapping or None
        Keyword arguments for :func:`ncs_emg.measure_sweeps` (onset method, thresholds).

    Returns
    -------
    NerveReport

    Raises
    ------
    ParameterError
        For a bad argument (unknown criteria id, sweep index out of range, wrong type).
    NotAvailableError
        For a named criteria set that is not encoded (``aaem1999``, ``mmn_revision``).

    Examples
    --------
    >>> from ncs_emg import simulate_nerve, analyze_nerve
    >>> sim = simulate_nerve("ulnar", block_fraction=[0.0, 0.6, 0.0, 0.0], rng=1)
    >>> r = analyze_nerve(sim.nerve, criteria="efns_pns2010_mmn")
    >>> r.summary["efns_pns2010_mmn"].conduction_block
    'definite'
    """
    sets = resolve_criteria(criteria)
    table = _limits(limits)
    h = _height(height_cm)
    issues: list[str] = []
    if isinstance(nerve_or_values, Nerve):
        nv = nerve_or_values
        sites = _sites_from_nerve(nv, _coerce_sweep(sweep), dict(measure_options or {}))
        fwave = _fwave_from_waveforms(nv, table, issues)
        return _report(
            nv.nerve, nv.side, nv.muscle, sites, fwave,
            sets=sets, limits=table, height_cm=h, issues=issues,
        )  # fmt: skip
    if isinstance(nerve_or_values, NerveValues):
        v = nerve_or_values
        sites = tuple(site_values_from_dict(r) for r in v.sites)
        if h is None and math.isfinite(v.height_cm):
            h = v.height_cm
        return _report(
            v.nerve, v.side, v.muscle, sites, _fwave_from_values(v),
            sets=sets, limits=table, height_cm=h, issues=issues,
        )  # fmt: skip
    raise ParameterError(
        f"nerve_or_values: expected a Nerve or NerveValues, got {type(nerve_or_values).__name__}"
    )


def _counted_state(
    cset: CriteriaSet, nerves: Sequence[NerveReport], cat: str, states: Sequence[str]
) -> str:
    """Study state of a category: ``present`` when an item (rules sharing ``item``, else one rule)
    is met in at least ``min_nerves`` nerves; ``not_evaluable`` when the not-evaluable nerves could
    still bring an item there; else ``none`` (some nerve evaluated) or ``not_evaluable``."""
    groups: dict[str, list[Any]] = {}
    for r in cset.rules:
        if r.category == cat:
            groups.setdefault(r.item or r.id, []).append(r)
    open_ = False
    for rules in groups.values():
        ids, need = {r.id for r in rules}, max(r.min_nerves for r in rules)
        met = unknown = 0
        for n in nerves:
            fs = [f for f in n.findings if f.criteria == cset.id and f.rule in ids]
            if any(f.met is True for f in fs):
                met += 1
            elif any(f.met is None and not f.details.get("excluded") for f in fs):
                unknown += 1
        if met >= need:
            return "present"
        open_ = open_ or met + unknown >= need
    if open_:
        return "not_evaluable"
    return "none" if "none" in states or "present" in states else "not_evaluable"


def _study_summary(cset: CriteriaSet, nerves: Sequence[NerveReport]) -> StudySummary:
    sums = [n.summary[cset.id] for n in nerves]
    grades = [s.conduction_block for s in sums]
    cb = next((g for g in _CB_ORDER if g in grades), None) or (
        "none" if "none" in grades else "not_evaluable"
    )
    counts: dict[str, int] = {r.id: 0 for r in cset.rules}
    for n in nerves:
        met = {f.rule for f in n.findings if f.criteria == cset.id and f.met is True}
        for rid in met:
            counts[rid] += 1
    cat_states = {}
    for cat in ("td", "demyelinating"):
        key = "temporal_dispersion" if cat == "td" else "demyelinating"
        cat_states[cat] = _counted_state(cset, nerves, cat, [getattr(s, key) for s in sums])
    with_cb = tuple(
        n.label for n, s in zip(nerves, sums, strict=True) if s.conduction_block in _CB_ORDER
    )
    involved = {
        n.nerve
        for n, s in zip(nerves, sums, strict=True)
        if s.conduction_block in _CB_ORDER or "present" in (s.temporal_dispersion, s.demyelinating)
    }
    return StudySummary(
        conduction_block=cb,
        temporal_dispersion=cat_states["td"],
        demyelinating=cat_states["demyelinating"],
        nerves_with_cb=with_cb,
        territories=len(involved & set(TERRITORIES)),
        nerves_not_evaluable=tuple(
            n.label
            for n, s in zip(nerves, sums, strict=True)
            if s.conduction_block == "not_evaluable"
        ),
        rules_met=counts,
    )


def analyze(
    study_or_values: Study | StudyValues,
    *,
    criteria: Any = None,
    limits: NormativeTable | None = None,
    sweep: str | int = "max",
    height_cm: float | None = None,
    measure_options: Mapping[str, Any] | None = None,
) -> StudyReport:
    """Analyse every motor nerve of a study under every requested criteria set.

    Parameters
    ----------
    study_or_values : Study or StudyValues
        Waveforms (:func:`ncs_emg.read_study`) or printed values (:func:`ncs_emg.read_values_csv`).
    criteria, limits, sweep, height_cm, measure_options
        As :func:`analyze_nerve`.

    Returns
    -------
    StudyReport
        Per nerve: :class:`NerveReport`; per set: :class:`StudySummary` (worst CB grade over nerves,
        nerves with CB, TD and demyelinating features with their nerve counts, territory count).

    Raises
    ------
    ParameterError, NotAvailableError
        As :func:`analyze_nerve`.

    Examples
    --------
    >>> from ncs_emg import simulate_study, analyze
    >>> rep = analyze(simulate_study("mmn", rng=3).study, criteria=["katz2002"])
    >>> rep.summary["katz2002"].nerves_with_cb
    ('right ulnar (ADM)', 'left median (APB)')
    """
    sets = resolve_criteria(criteria)
    table = _limits(limits)
    if isinstance(study_or_values, Study):
        nerves_in: Sequence[Any] = [n for n in study_or_values.nerves if n.kind == "motor"]
        skipped = len(study_or_values.nerves) - len(nerves_in)
        issues = [f"{skipped} F-wave-only nerve(s) not analysed"] if skipped else []
        subject = study_or_values.subject_id
        source = "waveforms"
    elif isinstance(study_or_values, StudyValues):
        nerves_in, issues = study_or_values.nerves, list(study_or_values.issues)
        subject, source = study_or_values.subject_id, "values"
    else:
        raise ParameterError(
            f"study_or_values: expected a Study or StudyValues, got {type(study_or_values).__name__}"
        )
    reports = tuple(
        analyze_nerve(
            n,
            criteria=sets,
            limits=table,
            sweep=sweep,
            height_cm=height_cm,
            measure_options=measure_options,
        )
        for n in nerves_in
    )
    summary = {c.id: _study_summary(c, reports) for c in sets}
    infos = tuple(CriteriaSetInfo(c.id, c.name, c.source, c.verified) for c in sets)
    params = {
        "input": source,
        "sweep": sweep if source == "waveforms" else "values",
        "limits": table.name,
        "limits_source": table.source,
        "height_cm": height_cm,
        "measure_options": dict(measure_options or {}),
    }
    return StudyReport(__version__, subject, infos, reports, summary, tuple(issues), params)
