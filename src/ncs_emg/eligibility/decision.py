"""The seed study as a decision procedure: :func:`assess_eligibility`.

Steps (Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116; ``docs/eligibility.md``):

1. **Scope** (all required): progressive, asymmetric, focal-onset limb weakness of LMN type; one
   absent → ``out_of_scope``.
2. **Clinical exclusions** (any): UMN signs (spasticity, hyperreflexia, reflex spread, Babinski,
   Hoffmann), sensory abnormality, bulbar weakness, respiratory weakness.
3. **Electrodiagnostic exclusions** (any): abnormal sensory NCS; CB or TD in any segment under
   ``cb_criteria`` (default Katz 2002 as applied by the seed study); slowing, DML or F-latency
   prolongation in the demyelinating range under ``exclusion_criteria`` (default AAN 1991) in any
   nerve. An exclusion present → ``excluded``, except a patient whose only exclusions are
   electrodiagnostic *and include CB* (no clinical exclusion, sensory NCS not abnormal):
   ``mmn_candidate``, with the EFNS/PNS 2010 MMN set shown (IVIg is standard there). When
   demyelinating slowing accompanies the CB, the CB must also meet the EFNS/PNS 2010 MMN set
   (definite or probable) to make an MMN candidate; otherwise the picture is CIDP-like: ``excluded``.
4. Otherwise, when every item of steps 1-3 is known: ``eligible`` (the seed study's population).

An item that is unknown and could change the answer gives ``not_evaluable`` with the items listed in
``missing``; an exclusion that is present decides even when other items are unknown. The responder
phenotype is reported beside the category for every patient, never as a gate.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

from ..cohort import Evidence, phenotype_evidence
from ..criteria import get_criteria_set
from ..errors import ParameterError
from ..findings import Finding
from .clinical import ClinicalFindings
from .mmn import MMN_SET, MmnAssessment, assess_mmn
from .phenotype import ANTI_GM1_TITRE_THRESHOLD, ResponderPhenotype, assess_phenotype
from .rules import (
    clinical_exclusion_findings,
    electrodiagnostic_findings,
    report_field,
    scope_findings,
    sensory_ncs_finding,
)
from .scores import ScoreResponse, score_response

__all__ = [
    "CATEGORIES",
    "DISCLAIMER",
    "EligibilityReport",
    "assess_eligibility",
    "default_evidence",
]

CATEGORIES = ("out_of_scope", "excluded", "mmn_candidate", "eligible", "not_evaluable")
DISCLAIMER = (
    "Research use only: ncs_emg is not a medical device. This applies the published rules of one "
    "Class IV study; it does not replace a clinician's judgement."
)
_ED_RULES = ("conduction_block", "temporal_dispersion", "demyelinating_slowing")


@dataclass(frozen=True)
class EligibilityReport:
    """The answer of :func:`assess_eligibility`, with everything behind it.

    Attributes
    ----------
    subject_id : str
    category : str
        One of :data:`CATEGORIES`.
    statement : str
        The answer in one or two sentences.
    reasons : tuple of Finding
        Every finding that decided the category (for ``eligible``: every item checked), plus the
        segment or nerve findings behind a positive electrodiagnostic verdict.
    missing : tuple of Finding
        Not-evaluable findings that would be needed to decide (``not_evaluable``); empty otherwise.
    findings : tuple of Finding
        Every finding of steps 1-3, whatever the answer.
    phenotype : ResponderPhenotype
        The responder phenotype (reported, not a gate), with the evidence statement.
    mmn : MmnAssessment or None
        The EFNS/PNS 2010 MMN set, for ``mmn_candidate``.
    response : ScoreResponse
        EMRCSS/NSS before and after treatment and the response verdict, when known.
    criteria_summary : dict
        Study-level verdicts of the criteria sets used (id → conduction_block, temporal_dispersion,
        demyelinating, nerves_with_cb, territories).
    evidence : Evidence
        Computed from the shipped cohort table at run time.
    parameters : dict
        ``cb_criteria``, ``exclusion_criteria``, ``anti_gm1_titre_threshold``.
    issues : tuple of str
        From the clinical file, the scores and the study report.
    disclaimer : str
    """

    subject_id: str
    category: str
    statement: str
    reasons: tuple[Finding, ...]
    missing: tuple[Finding, ...]
    findings: tuple[Finding, ...]
    phenotype: ResponderPhenotype
    mmn: MmnAssessment | None
    response: ScoreResponse
    criteria_summary: dict[str, Any]
    evidence: Evidence
    parameters: dict[str, Any] = field(default_factory=dict)
    issues: tuple[str, ...] = ()
    disclaimer: str = DISCLAIMER

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``ncs-emg eligibility --format json`` document)."""
        return {
            "subject_id": self.subject_id,
            "category": self.category,
            "statement": self.statement,
            "phenotype": self.phenotype.phenotype,
            "phenotype_statement": self.phenotype.statement,
            "reasons": [f.to_dict() for f in self.reasons],
            "missing": [f.to_dict() for f in self.missing],
            "phenotype_findings": [
                f.to_dict() for f in self.phenotype.core + self.phenotype.supportive
            ],
            "mmn": self.mmn.to_dict() if self.mmn is not None else None,
            "response": self.response.to_dict(),
            "criteria_summary": self.criteria_summary,
            "evidence": self.evidence.to_dict(),
            "findings": [f.to_dict() for f in self.findings],
            "parameters": dict(self.parameters),
            "issues": list(self.issues),
            "disclaimer": self.disclaimer,
        }


@functools.lru_cache(maxsize=1)
def default_evidence() -> Evidence:
    """The evidence statement computed from the shipped cohort table (once per process)."""
    return phenotype_evidence()


def _criteria_summary(report: Any, set_ids: tuple[str, ...]) -> dict[str, Any]:
    summary = report_field(report, "summary", {}) or {}
    out: dict[str, Any] = {}
    for sid in dict.fromkeys(set_ids):
        s = summary.get(sid)
        if s is None:
            out[sid] = None
            continue
        out[sid] = {
            k: (list(v) if isinstance(v, tuple) else v)
            for k in (
                "conduction_block",
                "temporal_dispersion",
                "demyelinating",
                "nerves_with_cb",
                "territories",
            )
            for v in [report_field(s, k)]
        }
    return out


def _is_mmn_candidate(present: list[Finding], mmn_grade: str) -> bool:
    """CB with no clinical or sensory exclusion; with demyelinating slowing too, only when the CB
    meets the EFNS/PNS 2010 MMN set (otherwise the picture is CIDP-like: excluded)."""
    rules = {f.rule for f in present}
    if "conduction_block" not in rules or not rules <= set(_ED_RULES):
        return False
    return "demyelinating_slowing" not in rules or mmn_grade in ("definite", "probable")


def _decide(
    scope: tuple[Finding, ...],
    excl: tuple[Finding, ...],
    driving: dict[str, list[Finding]],
    mmn_grade: str,
) -> tuple[str, list[Finding], list[Finding]]:
    """(category, reasons, missing) from the findings of steps 1-3."""
    failed = [f for f in scope if f.met is False]
    if failed:
        return "out_of_scope", failed, []
    unknown = [f for f in scope + excl if f.met is None]
    if any(f.met is None for f in scope):
        return "not_evaluable", [], unknown
    present = [f for f in excl if f.met is True]
    if present:
        behind = [d for f in present for d in driving.get(f.rule, [])]
        category = "mmn_candidate" if _is_mmn_candidate(present, mmn_grade) else "excluded"
        return category, present + behind, []
    if unknown:
        return "not_evaluable", [], unknown
    return "eligible", list(scope + excl), []


def _statement(category: str, reasons: list[Finding], missing: list[Finding], mmn: Any) -> str:
    rules = ", ".join(
        dict.fromkeys(
            f.rule for f in reasons if f.criteria in ("simon2013",) or f.rule in _ED_RULES
        )
    )
    if category == "out_of_scope":
        return (
            f"Out of scope ({rules} not met): the seed study concerns progressive, asymmetric, "
            "focal-onset lower-motor-neuron limb weakness."
        )
    if category == "excluded":
        return f"Excluded by {rules}: the seed study's exclusion criteria apply."
    if category == "mmn_candidate":
        return f"MMN candidate (excluded from the seed study because of {rules}). {mmn.statement}"
    if category == "not_evaluable":
        top = ", ".join(dict.fromkeys(f.rule for f in missing if f.nerve is None))
        nerves = ", ".join(dict.fromkeys(f.nerve for f in missing if f.nerve is not None))
        return f"Not evaluable: {top} unknown" + (f" (in {nerves})." if nerves else ".")
    return (
        "Eligible: progressive lower-motor-neuron syndrome without conduction block or "
        "demyelinating features, the population of the seed study."
    )


def assess_eligibility(
    clinical: ClinicalFindings,
    report: Any,
    *,
    exclusion_criteria: str = "aan1991",
    cb_criteria: str = "katz2002",
    anti_gm1_titre_threshold: float = ANTI_GM1_TITRE_THRESHOLD,
    evidence: Evidence | None = None,
) -> EligibilityReport:
    """Apply the seed study's procedure (module docstring) to one patient.

    Parameters
    ----------
    clinical : ClinicalFindings
        From :func:`ncs_emg.read_clinical` or :func:`ncs_emg.clinical_from_dict`.
    report : StudyReport
        From :func:`ncs_emg.analyze`, evaluated with (at least) ``cb_criteria``,
        ``exclusion_criteria`` and ``efns_pns2010_mmn``. A set missing from the report makes its
        items not evaluable.
    exclusion_criteria : str
        Criteria set judging demyelinating slowing, DML and F-latency prolongation (``aan1991``).
    cb_criteria : str
        Criteria set judging conduction block and temporal dispersion (``katz2002``).
    anti_gm1_titre_threshold : float
        Reciprocal IgM anti-GM1 titre counted as high (supportive only; default 3200).
    evidence : Evidence, optional
        Default: computed from the shipped cohort table (:func:`ncs_emg.cohort.phenotype_evidence`).

    Returns
    -------
    EligibilityReport

    Raises
    ------
    ParameterError
        ``clinical`` is not ClinicalFindings, or an unknown criteria id.
    NotAvailableError
        A criteria id that exists by name only.
    """
    if not isinstance(clinical, ClinicalFindings):
        raise ParameterError(
            f"clinical: expected ClinicalFindings (ncs_emg.read_clinical), got {type(clinical).__name__}"
        )
    summary = report_field(report, "summary", {}) or {}
    for sid in (cb_criteria, exclusion_criteria):
        if sid not in summary:
            get_criteria_set(sid)  # unknown or unavailable ids raise here, not deep inside
    scope = scope_findings(clinical)
    ed, driving, open_ = electrodiagnostic_findings(
        report, cb_criteria=cb_criteria, exclusion_criteria=exclusion_criteria
    )
    excl = clinical_exclusion_findings(clinical) + (sensory_ncs_finding(clinical),) + ed
    mmn_summary = summary.get(MMN_SET)
    mmn_grade = str(report_field(mmn_summary, "conduction_block", "not_evaluable"))
    category, reasons, missing = _decide(scope, excl, driving, mmn_grade)
    missing += [d for f in missing for d in open_.get(f.rule, [])]
    mmn = assess_mmn(clinical, report) if category == "mmn_candidate" else None
    cb_summary = summary.get(cb_criteria)
    ev = evidence if evidence is not None else default_evidence()
    phen = assess_phenotype(
        clinical,
        ev,
        ncs_territories=report_field(cb_summary, "territories") if cb_summary is not None else None,
        anti_gm1_titre_threshold=anti_gm1_titre_threshold,
    )
    response = score_response(clinical)
    issues = clinical.issues + response.issues + tuple(report_field(report, "issues", ()) or ())
    return EligibilityReport(
        subject_id=clinical.subject_id,
        category=category,
        statement=_statement(category, reasons, missing, mmn),
        reasons=tuple(reasons),
        missing=tuple(missing),
        findings=scope + excl,
        phenotype=phen,
        mmn=mmn,
        response=response,
        criteria_summary=_criteria_summary(report, (cb_criteria, exclusion_criteria, MMN_SET)),
        evidence=ev,
        parameters={
            "cb_criteria": cb_criteria,
            "exclusion_criteria": exclusion_criteria,
            "anti_gm1_titre_threshold": anti_gm1_titre_threshold,
        },
        issues=tuple(str(i) for i in issues),
    )
