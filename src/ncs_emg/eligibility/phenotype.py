"""The responder phenotype of the seed study (reported beside the decision, never a gate).

Core features (all three → ``mmn_like``: "an IVIg trial is reasonable"):

1. distal upper-limb onset (``distal_upper_limb_onset``);
2. needle-EMG abnormalities confined to clinically weak muscles (``emg_confined_to_weak_muscles``) with
   normal thoracic paraspinals (``thoracic_paraspinals_normal``);
3. normal CK (``ck_normal``: CK at or below the lab's upper limit).

Any core feature absent → ``response_unlikely``; otherwise (some unknown) → ``not_evaluable``.
Supportive, shown but not deciding: a high IgM anti-GM1 titre (``anti_gm1_high_titre``) and at most
3 involved nerve territories among median, ulnar, radial, musculocutaneous and axillary
(``territories_not_diffuse``; "diffuse" above 3).

Source: Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116 (results and discussion). The evidence
statement comes from :func:`ncs_emg.cohort.phenotype_evidence`, computed from the shipped cohort table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..cohort import Evidence
from ..findings import Finding
from .clinical import TERRITORIES, ClinicalFindings
from .rules import SIMON2013, SIMON2013_SOURCE, yes_no_finding

__all__ = [
    "PHENOTYPES",
    "CORE_RULES",
    "ANTI_GM1_TITRE_THRESHOLD",
    "DIFFUSE_ABOVE_TERRITORIES",
    "ResponderPhenotype",
    "assess_phenotype",
]

PHENOTYPES = ("mmn_like", "response_unlikely", "not_evaluable")
CORE_RULES = (
    "distal_upper_limb_onset",
    "emg_confined_to_weak_muscles",
    "thoracic_paraspinals_normal",
    "ck_normal",
)
#: The responders' titre in the seed study (1:3,200); the paper states no cut-off, so this default is
#: flagged unverified in every finding.
ANTI_GM1_TITRE_THRESHOLD = 3200.0
#: "considered diffuse if more than 3 territories were involved" (Simon et al. 2013).
DIFFUSE_ABOVE_TERRITORIES = 3
_SRC = f"{SIMON2013_SOURCE} (responder phenotype)"


@dataclass(frozen=True)
class ResponderPhenotype:
    """The responder phenotype of one patient.

    Attributes
    ----------
    phenotype : str
        ``mmn_like``, ``response_unlikely`` or ``not_evaluable``.
    core : tuple of Finding
        The four core findings (:data:`CORE_RULES`).
    supportive : tuple of Finding
        Anti-GM1 titre and territory count.
    statement : str
    evidence : Evidence
        Computed from the shipped cohort table.
    """

    phenotype: str
    core: tuple[Finding, ...]
    supportive: tuple[Finding, ...]
    statement: str
    evidence: Evidence

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "phenotype": self.phenotype,
            "core": [f.to_dict() for f in self.core],
            "supportive": [f.to_dict() for f in self.supportive],
            "statement": self.statement,
            "evidence": self.evidence.to_dict(),
        }


def _onset(c: ClinicalFindings) -> Finding:
    region = c.phenotype.onset_region
    v = None if region is None else region == "distal_upper_limb"
    return yes_no_finding(
        "distal_upper_limb_onset",
        v,
        met=v,
        key="phenotype.onset_region",
        said="",
        reason=f"phenotype.onset_region = {region!r}: "
        + ("distal upper-limb onset" if v else "not distal upper-limb onset"),
        source=_SRC,
        onset_region=region,
    )


def _emg_confined(c: ClinicalFindings) -> Finding:
    limb = [r for r in c.needle_emg if r.muscle != "thoracic_paraspinal"]
    outside = [r.muscle for r in limb if r.abnormal and r.clinically_weak is False]
    unclear = [
        r.muscle for r in limb if r.abnormal is None or (r.abnormal and r.clinically_weak is None)
    ]
    rule, key = "emg_confined_to_weak_muscles", "needle_emg"
    if not limb:
        return yes_no_finding(rule, None, met=None, key=key, said="", source=_SRC)
    if outside:
        ok, said = False, "abnormal EMG outside the weak muscles: " + ", ".join(outside)
    elif unclear:
        ok, said = None, ""
    else:
        n_abn = sum(1 for r in limb if r.abnormal)
        ok, said = True, f"{n_abn} abnormal muscles, all clinically weak"
    f = yes_no_finding(
        rule,
        ok,
        met=ok,
        key=key,
        said="",
        reason=f"needle_emg: {said}",
        source=_SRC,
        outside=outside,
    )
    if ok is None:
        reason = "needle_emg rows without abnormal/clinically_weak: " + ", ".join(unclear)
        f = Finding(**{**f.__dict__, "reason": reason, "details": {"unclear": unclear}})
    return f


def _paraspinals(c: ClinicalFindings) -> Finding:
    rows = [r for r in c.needle_emg if r.muscle == "thoracic_paraspinal"]
    known = [r.abnormal for r in rows if r.abnormal is not None]
    v = None if not known else not any(known)
    return yes_no_finding(
        "thoracic_paraspinals_normal",
        v,
        met=v,
        key="needle_emg (muscle = thoracic_paraspinal)",
        said="",
        reason="needle_emg: thoracic paraspinals " + ("normal" if v else "abnormal"),
        source=_SRC,
    )


def _ck(c: ClinicalFindings) -> Finding:
    ck, uln = c.labs.ck_u_l, c.labs.ck_uln_u_l
    if ck is None or uln is None:
        lacking = " and ".join(
            k for k, v in (("labs.ck_u_l", ck), ("labs.ck_uln_u_l", uln)) if v is None
        )
        return Finding(
            "ck_normal",
            None,
            None,
            100.0,
            "% ULN",
            f"{lacking} not given: CK not evaluable",
            _SRC,
            criteria=SIMON2013,
            details={"ck_u_l": ck, "ck_uln_u_l": uln},
        )
    pct = 100.0 * ck / uln
    ok = pct <= 100.0
    return Finding(
        "ck_normal",
        ok,
        pct,
        100.0,
        "% ULN",
        f"CK {ck:g} U/L = {pct:.0f} % of the upper limit {uln:g} U/L: {'normal' if ok else 'raised'}",
        _SRC,
        criteria=SIMON2013,
        details={"ck_u_l": ck, "ck_uln_u_l": uln},
    )


def _gm1(c: ClinicalFindings, threshold: float) -> Finding:
    t = c.labs.anti_gm1_igm_titre
    details = {"note": "the seed study reports the responders' titre (1:3,200), not a cut-off"}
    if t is None:
        return Finding(
            "anti_gm1_high_titre",
            None,
            None,
            threshold,
            "titre (reciprocal)",
            "labs.anti_gm1_igm_titre not given",
            _SRC,
            criteria=SIMON2013,
            verified=False,
            details=details,
        )
    ok = t >= threshold
    return Finding(
        "anti_gm1_high_titre",
        ok,
        t,
        threshold,
        "titre (reciprocal)",
        f"IgM anti-GM1 titre 1:{t:g} {'>=' if ok else '<'} 1:{threshold:g} (supportive)",
        _SRC,
        criteria=SIMON2013,
        verified=False,
        details=details,
    )


def _territories(c: ClinicalFindings, ncs_territories: Any) -> Finding:
    involved = sorted(
        {r.territory for r in c.needle_emg if r.territory and (r.abnormal or r.clinically_weak)},
        key=TERRITORIES.index,
    )
    rows = [r for r in c.needle_emg if r.territory]
    details = {"territories": involved, "ncs_territories": ncs_territories}
    if not rows:
        return Finding(
            "territories_not_diffuse",
            None,
            None,
            float(DIFFUSE_ABOVE_TERRITORIES),
            "territories",
            "no needle_emg row in the median, ulnar, radial, musculocutaneous or axillary territory",
            _SRC,
            criteria=SIMON2013,
            details=details,
        )
    n = len(involved)
    ok = n <= DIFFUSE_ABOVE_TERRITORIES
    return Finding(
        "territories_not_diffuse",
        ok,
        float(n),
        float(DIFFUSE_ABOVE_TERRITORIES),
        "territories",
        f"{n} nerve territories weak or abnormal ({', '.join(involved) or 'none'}): "
        + ("not diffuse (supportive)" if ok else "diffuse (> 3)"),
        _SRC,
        criteria=SIMON2013,
        details=details,
    )


def _statement(phenotype: str, core: tuple[Finding, ...]) -> str:
    if phenotype == "mmn_like":
        return (
            "MMN-like phenotype (distal upper-limb onset, EMG abnormalities confined to weak muscles "
            "with normal thoracic paraspinals, normal CK): an IVIg trial is reasonable."
        )
    if phenotype == "response_unlikely":
        absent = ", ".join(f.rule for f in core if f.met is False)
        return f"Not the MMN-like phenotype ({absent} not met): a response to IVIg is unlikely."
    unknown = ", ".join(f.rule for f in core if f.met is None)
    return f"Responder phenotype not evaluable: {unknown} unknown."


def assess_phenotype(
    clinical: ClinicalFindings,
    evidence: Evidence,
    *,
    ncs_territories: Any = None,
    anti_gm1_titre_threshold: float = ANTI_GM1_TITRE_THRESHOLD,
) -> ResponderPhenotype:
    """The responder phenotype of one patient (module docstring: rules and source).

    Parameters
    ----------
    clinical : ClinicalFindings
    evidence : Evidence
        The evidence statement (from :func:`ncs_emg.cohort.phenotype_evidence`).
    ncs_territories : optional
        The study report's territory count, shown in the territory finding's details.
    anti_gm1_titre_threshold : float
        Reciprocal titre counted as high (default 3200, flagged unverified).

    Returns
    -------
    ResponderPhenotype
    """
    core = (_onset(clinical), _emg_confined(clinical), _paraspinals(clinical), _ck(clinical))
    supportive = (_gm1(clinical, anti_gm1_titre_threshold), _territories(clinical, ncs_territories))
    if any(f.met is False for f in core):
        phenotype = "response_unlikely"
    elif all(f.met is True for f in core):
        phenotype = "mmn_like"
    else:
        phenotype = "not_evaluable"
    return ResponderPhenotype(phenotype, core, supportive, _statement(phenotype, core), evidence)
