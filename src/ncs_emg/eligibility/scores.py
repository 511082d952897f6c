"""Strength and symptom scores of the seed study, and its definition of a treatment response.

- **EMRCSS** (expanded Medical Research Council sum score): 10 muscle groups (:data:`EMRCSS_GROUPS`)
  × 2 sides × MRC grade 0-5, total 0-100.
- **NSS** (neuromuscular symptom score): 20 everyday activities × 0-3, total 0-60.
- **Response**: an increase of at least 2 points in the EMRCSS or in the NSS (higher is better on
  both) after the treatment course (:data:`ncs_emg.cohort.RESPONSE_MIN_POINTS`).

Source: Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116 (methods). A total is only computed from a
complete set of rows: a missing row makes the total unknown (None, with the missing rows named), never
a partial sum.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from ..cohort import RESPONSE_MIN_POINTS, RESPONSE_SOURCE, response_from_changes
from ..errors import ParameterError
from .clinical import EMRCSS_GROUPS, SIDES, VISITS, ClinicalFindings, NssRow, StrengthRow

__all__ = [
    "EMRCSS_MAX",
    "NSS_ITEMS",
    "NSS_MAX",
    "Score",
    "ScoreResponse",
    "emrcss_score",
    "nss_score",
    "score_response",
]

EMRCSS_MAX = 100.0
NSS_ITEMS = 20
NSS_MAX = 60.0


@dataclass(frozen=True)
class Score:
    """A score total at one visit.

    Attributes
    ----------
    name : str
        ``"emrcss"`` or ``"nss"``.
    visit : str
        ``"before"`` or ``"after"``.
    total : float or None
        The sum (points), or None when rows are missing and no total was given.
    max_total : float
        100 (EMRCSS) or 60 (NSS).
    n_rows : int
        Rows found for this visit.
    missing : tuple of str
        The rows that would be needed for a total (e.g. ``"deltoid/left"``); empty when complete.
    origin : str
        ``"rows"``, ``"given"`` (from ``[response]``) or ``"unknown"``.
    """

    name: str
    visit: str
    total: float | None
    max_total: float
    n_rows: int
    missing: tuple[str, ...] = ()
    origin: str = "rows"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "name": self.name,
            "visit": self.visit,
            "total": self.total,
            "max_total": self.max_total,
            "n_rows": self.n_rows,
            "missing": list(self.missing),
            "origin": self.origin,
        }


def emrcss_score(rows: Iterable[StrengthRow], *, visit: str = "before") -> Score:
    """EMRCSS total of one visit from ``[[strength]]`` rows (0-100 points).

    Parameters
    ----------
    rows : iterable of StrengthRow
        Rows of any visit; only those of ``visit`` count.
    visit : {"before", "after"}

    Returns
    -------
    Score
        ``total`` is None (with ``missing`` naming the absent group/side pairs) unless all 20 are
        present.

    Raises
    ------
    ParameterError
        Unknown ``visit`` or a row repeated.

    Examples
    --------
    >>> from ncs_emg.eligibility.clinical import StrengthRow
    >>> rows = [StrengthRow(g, s, 5) for g in EMRCSS_GROUPS for s in SIDES]
    >>> emrcss_score(rows).total
    100.0
    >>> emrcss_score(rows[1:]).missing
    ('deltoid/left',)
    """
    _check_visit(visit)
    got: dict[tuple[str, str], float] = {}
    for r in rows:
        if r.visit != visit:
            continue
        if (r.muscle_group, r.side) in got:
            raise ParameterError(f"strength rows repeat {r.muscle_group}/{r.side} at visit {visit}")
        got[(r.muscle_group, r.side)] = float(r.mrc)
    need = [(g, s) for g in EMRCSS_GROUPS for s in SIDES]
    missing = tuple(f"{g}/{s}" for g, s in need if (g, s) not in got)
    total = None if missing else float(sum(got.values()))
    return Score("emrcss", visit, total, EMRCSS_MAX, len(got), missing)


def nss_score(rows: Iterable[NssRow], *, visit: str = "before") -> Score:
    """NSS total of one visit from ``[[nss]]`` rows (20 items × 0-3 = 0-60 points).

    Parameters
    ----------
    rows : iterable of NssRow
        Rows of any visit; only those of ``visit`` count. Items are named freely; there must be 20.
    visit : {"before", "after"}

    Returns
    -------
    Score
        ``total`` is None unless exactly 20 items are present (``missing`` says how many lack).

    Raises
    ------
    ParameterError
        Unknown ``visit``, an item repeated, or more than 20 items.
    """
    _check_visit(visit)
    got: dict[str, float] = {}
    for r in rows:
        if r.visit != visit:
            continue
        if r.item in got:
            raise ParameterError(f"nss rows repeat item {r.item!r} at visit {visit}")
        got[r.item] = float(r.score)
    if len(got) > NSS_ITEMS:
        raise ParameterError(f"nss: {len(got)} items at visit {visit}; the NSS has {NSS_ITEMS}")
    n_missing = NSS_ITEMS - len(got)
    missing = (f"{n_missing} of {NSS_ITEMS} items",) if n_missing else ()
    total = None if missing else float(sum(got.values()))
    return Score("nss", visit, total, NSS_MAX, len(got), missing)


def _check_visit(visit: str) -> None:
    if visit not in VISITS:
        raise ParameterError(f"visit: invalid value {visit!r}; valid options: {list(VISITS)}")


@dataclass(frozen=True)
class ScoreResponse:
    """Treatment response by the seed study's rule.

    Attributes
    ----------
    emrcss_before, emrcss_after, nss_before, nss_after : Score
    emrcss_change, nss_change : float or None
        After minus before (points; positive = better), None when either total is unknown.
    improved : bool or None
        True if either change is >= ``min_points``; False if both are known and below; None otherwise.
    min_points : float
        2 points.
    source : str
    issues : tuple of str
        Given totals that disagree with the totals of complete rows.
    """

    emrcss_before: Score
    emrcss_after: Score
    nss_before: Score
    nss_after: Score
    emrcss_change: float | None
    nss_change: float | None
    improved: bool | None
    min_points: float = RESPONSE_MIN_POINTS
    source: str = RESPONSE_SOURCE
    issues: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "emrcss_before": self.emrcss_before.to_dict(),
            "emrcss_after": self.emrcss_after.to_dict(),
            "nss_before": self.nss_before.to_dict(),
            "nss_after": self.nss_after.to_dict(),
            "emrcss_change": self.emrcss_change,
            "nss_change": self.nss_change,
            "improved": self.improved,
            "min_points": self.min_points,
            "source": self.source,
            "issues": list(self.issues),
        }


def _with_given(score: Score, given: float | None, issues: list[str]) -> Score:
    """Prefer a total given in ``[response]``; report when complete rows say otherwise."""
    if given is None:
        return (
            score if score.total is not None else Score(**{**score.__dict__, "origin": "unknown"})
        )
    if score.total is not None and abs(score.total - given) > 1e-9:
        issues.append(
            f"response.{score.name}_{score.visit} = {given:g} but the {score.name} rows of visit "
            f"{score.visit!r} add up to {score.total:g}; the given total is used"
        )
    return Score(score.name, score.visit, float(given), score.max_total, score.n_rows, (), "given")


def score_response(clinical: ClinicalFindings) -> ScoreResponse:
    """Scores before and after treatment and the response verdict of one patient.

    Totals given in ``[response]`` are used as given; otherwise they are computed from complete
    ``[[strength]]`` / ``[[nss]]`` rows of each visit.

    Parameters
    ----------
    clinical : ClinicalFindings

    Returns
    -------
    ScoreResponse
    """
    issues: list[str] = []
    g = clinical.response
    eb = _with_given(emrcss_score(clinical.strength, visit="before"), g.emrcss_before, issues)
    ea = _with_given(emrcss_score(clinical.strength, visit="after"), g.emrcss_after, issues)
    nb = _with_given(nss_score(clinical.nss, visit="before"), g.nss_before, issues)
    na = _with_given(nss_score(clinical.nss, visit="after"), g.nss_after, issues)
    d_e = None if eb.total is None or ea.total is None else ea.total - eb.total
    d_n = None if nb.total is None or na.total is None else na.total - nb.total
    return ScoreResponse(
        eb, ea, nb, na, d_e, d_n, response_from_changes(d_e, d_n), issues=tuple(issues)
    )
