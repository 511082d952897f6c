"""The EFNS/PNS 2010 multifocal-motor-neuropathy set for a patient excluded because of conduction block.

Electrodiagnostic side: the study report's verdict under ``efns_pns2010_mmn`` (definite / probable
motor CB, nerves). Clinical core, each a finding with ``criteria="efns_pns2010_mmn"`` (``met`` True =
the requirement holds):

- ``mmn_core_progressive``: slowly or stepwise progressive weakness;
- ``mmn_core_focal_asymmetric``: focal, asymmetric limb weakness;
- ``mmn_core_duration``: present for more than 1 month;
- ``mmn_core_two_nerve_territories``: weak muscles in the territory of at least 2 nerves;
- ``mmn_no_umn_signs``, ``mmn_no_bulbar_involvement``, ``mmn_no_sensory_loss``: the exclusions;
- ``mmn_normal_sensory_ncs``: normal sensory conduction.

The core is met when all hold, not met when one fails, not evaluable otherwise. ncs_emg does not
grade "definite/probable MMN" (that needs supportive criteria it does not collect); it shows the CB
grade and the clinical core side by side. IVIg is the standard treatment of MMN.
Source: Joint Task Force of the EFNS and the PNS, J Peripher Nerv Syst 2010;15:295-301.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..findings import Finding
from .clinical import ClinicalFindings
from .rules import report_field, set_source, yes_no_finding

__all__ = ["MMN_SET", "MmnAssessment", "assess_mmn"]

MMN_SET = "efns_pns2010_mmn"
_SRC = "Joint Task Force of the EFNS and the PNS, J Peripher Nerv Syst 2010;15:295-301"


@dataclass(frozen=True)
class MmnAssessment:
    """The EFNS/PNS 2010 MMN set applied to one patient.

    Attributes
    ----------
    conduction_block : str
        ``definite``, ``probable``, ``none`` or ``not_evaluable`` (from the study report).
    nerves_with_cb : tuple of str
    clinical_core : bool or None
    findings : tuple of Finding
        The clinical-core findings.
    statement : str
    source : str
    """

    conduction_block: str
    nerves_with_cb: tuple[str, ...]
    clinical_core: bool | None
    findings: tuple[Finding, ...]
    statement: str
    source: str = _SRC
    criteria: str = MMN_SET

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "criteria": self.criteria,
            "conduction_block": self.conduction_block,
            "nerves_with_cb": list(self.nerves_with_cb),
            "clinical_core": self.clinical_core,
            "findings": [f.to_dict() for f in self.findings],
            "statement": self.statement,
            "source": self.source,
        }


def _all_false(*vals: bool | None) -> bool | None:
    """True if every value is False, False if one is True, None otherwise."""
    if any(v is True for v in vals):
        return False
    return True if all(v is False for v in vals) else None


def _duration(c: ClinicalFindings) -> Finding:
    d = c.phenotype.duration_months
    if d is None:
        return Finding(
            "mmn_core_duration",
            None,
            None,
            1.0,
            "months",
            "phenotype.duration_months not given",
            _SRC,
            criteria=MMN_SET,
        )
    ok = d > 1.0
    return Finding(
        "mmn_core_duration",
        ok,
        d,
        1.0,
        "months",
        f"weakness for {d:g} months ({'>' if ok else '<='} 1 month)",
        _SRC,
        criteria=MMN_SET,
    )


def _territories(c: ClinicalFindings) -> Finding:
    weak = [r for r in c.needle_emg if r.clinically_weak]
    named = sorted({r.territory for r in weak if r.territory})
    unnamed = [r.muscle for r in weak if not r.territory]
    n = len(named)
    if n >= 2:
        ok: bool | None = True
    elif unnamed or not c.needle_emg:
        ok = None
    else:
        ok = False
    reason = f"weak muscles in {n} nerve territories ({', '.join(named) or 'none'})"
    if ok is None:
        reason += "; territory unknown for " + (
            ", ".join(unnamed) or "any muscle (no needle_emg rows)"
        )
    return Finding(
        "mmn_core_two_nerve_territories",
        ok,
        float(n) if ok is not None else None,
        2.0,
        "territories",
        reason,
        _SRC,
        criteria=MMN_SET,
        details={"territories": named, "unknown": unnamed},
    )


def _core(c: ClinicalFindings) -> tuple[Finding, ...]:
    p, s = c.phenotype, c.signs
    fa = None if p.focal_onset is None or p.asymmetric is None else (p.focal_onset and p.asymmetric)
    no_umn = _all_false(s.spasticity, s.hyperreflexia, s.reflex_spread, s.babinski, s.hoffmann)
    any_umn = None if no_umn is None else not no_umn
    sncs = c.sensory_ncs.any_abnormal

    def need(rule: str, v: bool | None, key: str, what: str) -> Finding:
        """``v`` observed; the requirement is that it holds."""
        said = f"{what} {'present' if v else 'absent'} (required)"
        return yes_no_finding(rule, v, met=v, key=key, said=said, source=_SRC, criteria=MMN_SET)

    def absent(rule: str, v: bool | None, key: str, what: str) -> Finding:
        """``v`` observed; the requirement is that it is absent."""
        said = f"{what} {'present: not MMN-compatible' if v else 'absent'}"
        met = None if v is None else not v
        return yes_no_finding(rule, v, met=met, key=key, said=said, source=_SRC, criteria=MMN_SET)

    return (
        need(
            "mmn_core_progressive", p.progressive, "phenotype.progressive", "progressive weakness"
        ),
        need(
            "mmn_core_focal_asymmetric",
            fa,
            "phenotype.focal_onset/asymmetric",
            "focal, asymmetric weakness",
        ),
        _duration(c),
        _territories(c),
        absent("mmn_no_umn_signs", any_umn, "signs (spasticity ... hoffmann)", "UMN sign"),
        absent(
            "mmn_no_bulbar_involvement",
            s.bulbar_weakness,
            "signs.bulbar_weakness",
            "bulbar weakness",
        ),
        absent(
            "mmn_no_sensory_loss",
            s.sensory_abnormality,
            "signs.sensory_abnormality",
            "sensory abnormality",
        ),
        absent("mmn_normal_sensory_ncs", sncs, "sensory_ncs", "abnormal sensory conduction"),
    )


def assess_mmn(clinical: ClinicalFindings, report: Any) -> MmnAssessment:
    """Apply the EFNS/PNS 2010 MMN set (module docstring) to one patient.

    Parameters
    ----------
    clinical : ClinicalFindings
    report : StudyReport
        Analysed with a criteria selection that includes ``efns_pns2010_mmn``.

    Returns
    -------
    MmnAssessment
    """
    summary = report_field(report, "summary", {}) or {}
    s = summary.get(MMN_SET)
    grade = (
        str(report_field(s, "conduction_block", "not_evaluable"))
        if s is not None
        else "not_evaluable"
    )
    nerves = tuple(report_field(s, "nerves_with_cb", ()) or ()) if s is not None else ()
    _, source = set_source(report, MMN_SET)
    findings = _core(clinical)
    core = (
        False
        if any(f.met is False for f in findings)
        else True
        if all(f.met is True for f in findings)
        else None
    )
    cb_txt = (
        f"{grade} motor conduction block in {', '.join(nerves)}"
        if grade in ("definite", "probable")
        else "no definite or probable motor conduction block"
        if grade == "none"
        else "motor conduction block not evaluable"
        + ("" if s is not None else " (set not in the report)")
    )
    core_txt = {True: "met", False: "not met", None: "not evaluable"}[core]
    statement = (
        f"EFNS/PNS 2010 MMN criteria: {cb_txt}; clinical core {core_txt}. IVIg is the standard treatment of multifocal "
        "motor neuropathy: this patient is outside the seed study's question (IVIg without CB)."
    )
    return MmnAssessment(grade, nerves, core, findings, statement, source or _SRC)
