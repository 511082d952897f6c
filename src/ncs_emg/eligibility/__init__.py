"""The seed study's decision procedure: clinical findings, scores, eligibility and responder phenotype.

Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116 treated 31 patients with progressive, asymmetric,
pure lower-motor-neuron limb weakness without conduction block with IVIg; this subpackage encodes its
inclusion and exclusion rules, its scores and its responder phenotype (``docs/eligibility.md``).
Research use only: every answer lists the rules, values, thresholds and sources behind it.
"""

from __future__ import annotations

from .clinical import ClinicalFindings, clinical_from_dict, read_clinical
from .decision import CATEGORIES, DISCLAIMER, EligibilityReport, assess_eligibility
from .mmn import MmnAssessment
from .phenotype import PHENOTYPES, ResponderPhenotype
from .scores import Score, ScoreResponse, emrcss_score, nss_score, score_response

__all__ = [
    "CATEGORIES",
    "PHENOTYPES",
    "DISCLAIMER",
    "EligibilityReport",
    "MmnAssessment",
    "ResponderPhenotype",
    "assess_eligibility",
    "ClinicalFindings",
    "clinical_from_dict",
    "read_clinical",
    "Score",
    "ScoreResponse",
    "emrcss_score",
    "nss_score",
    "score_response",
]
