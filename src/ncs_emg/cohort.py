"""Cohort statistics: response rate, responders against nonresponders, diagnoses.

:func:`summarize_cohort` takes one row per patient (a CSV or Parquet path, a pandas DataFrame, or a
list of dicts) and computes, from the rows and nothing else:

- the response rate with its Wilson score 95 % interval;
- per feature, responders against nonresponders: Fisher's exact test for categorical features (one
  2×2 table per level), Student's t test (equal variances) for continuous ones, with the counts,
  percentages, means and SDs of each group;
- the breakdown by ``diagnosis``.

The statistics are those of Simon et al., Neurology 2013;81:2116 (Student t test, Fisher exact test,
Wilson interval, p < 0.05). ``scipy.stats`` is imported only when a test is computed. The shipped
table :func:`simon2013_cohort` is a reconstruction of that study's cohort from the counts it states
(``data/fixtures/cohort/README.md`` says how each column was derived and which printed percentages it
does not reproduce); :func:`phenotype_evidence` computes the evidence statement of the responder
phenotype from it at run time.

A patient's response, when the table gives before/after scores instead of a ``responder`` column, is
an increase of at least :data:`RESPONSE_MIN_POINTS` in the EMRCSS or the NSS (same source).
"""

from __future__ import annotations

import csv
import io
import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from .errors import FormatError, ParameterError

__all__ = [
    "RESPONSE_MIN_POINTS",
    "RESPONSE_SOURCE",
    "response_from_changes",
    "wilson_interval",
    "Proportion",
    "FeatureComparison",
    "DiagnosisCount",
    "CohortSummary",
    "Evidence",
    "summarize_cohort",
    "simon2013_cohort",
    "phenotype_evidence",
]

#: Points of EMRCSS or NSS increase that count as a response (Simon et al. 2013, methods).
RESPONSE_MIN_POINTS = 2.0
RESPONSE_SOURCE = (
    "Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116 (improvement = increase of >= 2 points "
    "in the EMRCSS or the NSS)"
)
SIMON2013_SOURCE = "Simon, Ayer, Lomen-Hoerth, Neurology 2013;81:2116 (Class IV)"
_SCORE_COLUMNS = ("emrcss_before", "emrcss_after", "nss_before", "nss_after")
_RESERVED = ("subject_id", "responder", "diagnosis", *_SCORE_COLUMNS)
_TRUE = ("true", "yes", "y")
_FALSE = ("false", "no", "n")


def response_from_changes(emrcss_change: float | None, nss_change: float | None) -> bool | None:
    """Response by the seed study's rule: +2 points or more in either score.

    Parameters
    ----------
    emrcss_change, nss_change : float or None
        After minus before (points); None when unknown.

    Returns
    -------
    bool or None
        True if either change is >= 2; False if both are known and below 2; None otherwise.
    """
    known = [c for c in (emrcss_change, nss_change) if c is not None]
    if any(c >= RESPONSE_MIN_POINTS for c in known):
        return True
    return False if len(known) == 2 else None


def wilson_interval(count: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion.

    Parameters
    ----------
    count, n : int
        Successes and trials (``0 <= count <= n``, ``n >= 1``).
    confidence : float
        Two-sided confidence level (0 < confidence < 1).

    Returns
    -------
    (low, high) : tuple of float
        Bounds as fractions (0-1).

    Raises
    ------
    ParameterError
        Counts out of range or confidence outside (0, 1).

    Notes
    -----
    With p = count/n and z the standard normal quantile at 1 - (1 - confidence)/2:
    centre = (p + z²/2n) / (1 + z²/n), half-width = z·sqrt(p(1-p)/n + z²/4n²) / (1 + z²/n)
    (Wilson, J Am Stat Assoc 1927;22:209).

    Examples
    --------
    >>> lo, hi = wilson_interval(3, 31)
    >>> round(100 * lo, 1), round(100 * hi, 1)
    (3.3, 24.9)
    """
    if isinstance(count, bool) or isinstance(n, bool) or not (0 <= count <= n) or n < 1:
        raise ParameterError(f"wilson_interval: need 0 <= count <= n and n >= 1, got {count}/{n}")
    if not 0.0 < confidence < 1.0:
        raise ParameterError(f"confidence: must lie in (0, 1), got {confidence!r}")
    z = statistics.NormalDist().inv_cdf(1.0 - (1.0 - confidence) / 2.0)
    p = count / n
    denom = 1.0 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # the bounds are exactly 0 at count = 0 and 1 at count = n (no rounding residue)
    lo = 0.0 if count == 0 else max(0.0, centre - half)
    hi = 1.0 if count == n else min(1.0, centre + half)
    return lo, hi


@dataclass(frozen=True)
class Proportion:
    """A count out of n with its percentage and Wilson interval (all in %)."""

    count: int
    n: int
    pct: float
    ci_low_pct: float
    ci_high_pct: float
    confidence: float = 0.95
    method: str = "wilson"

    @classmethod
    def of(cls, count: int, n: int, confidence: float = 0.95) -> Proportion:
        """``count`` of ``n`` as a percentage with its Wilson interval at ``confidence``."""
        lo, hi = wilson_interval(count, n, confidence=confidence)
        return cls(count, n, 100.0 * count / n, 100.0 * lo, 100.0 * hi, confidence)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class FeatureComparison:
    """Responders against nonresponders for one feature (or one level of a categorical feature).

    Attributes
    ----------
    feature : str
        Column name.
    level : str or None
        The level compared with all others (categorical); None for continuous features.
    kind : str
        ``"categorical"`` or ``"continuous"``.
    test : str
        ``"fisher_exact"`` (two-sided) or ``"student_t"`` (two-sided, equal variances).
    responders, nonresponders : dict
        Categorical: ``count``, ``n``, ``pct``; continuous: ``n``, ``mean``, ``sd``.
    statistic : float or None
        Odds ratio (Fisher; inf/NaN as None) or t (responders minus nonresponders).
    p_value : float or None
        None when the test cannot be computed (``reason`` says why).
    n_missing : int
        Patients without a value for this feature (not in the test).
    significant : bool or None
        ``p_value < alpha``.
    reason : str
    """

    feature: str
    level: str | None
    kind: str
    test: str
    responders: dict[str, Any]
    nonresponders: dict[str, Any]
    statistic: float | None
    p_value: float | None
    n_missing: int
    significant: bool | None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {k: (dict(v) if isinstance(v, dict) else v) for k, v in self.__dict__.items()}

    def row(self) -> dict[str, Any]:
        """One flat row for tables and CSV."""
        r, nr = self.responders, self.nonresponders
        if self.kind == "categorical":
            resp = f"{r['count']}/{r['n']} ({_pct(r['pct'])})"
            non = f"{nr['count']}/{nr['n']} ({_pct(nr['pct'])})"
        else:
            resp = f"{_num(r['mean'])} ± {_num(r['sd'])} (n={r['n']})"
            non = f"{_num(nr['mean'])} ± {_num(nr['sd'])} (n={nr['n']})"
        return {
            "feature": self.feature if self.level is None else f"{self.feature}={self.level}",
            "test": self.test,
            "responders": resp,
            "nonresponders": non,
            "statistic": self.statistic,
            "p_value": self.p_value,
            "n_missing": self.n_missing,
            "reason": self.reason,
        }


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.1f} %"


def _num(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}"


@dataclass(frozen=True)
class DiagnosisCount:
    """Patients with one diagnosis, split by response (percentages computed from the rows)."""

    diagnosis: str
    n: int
    responders: int
    nonresponders: int
    pct_of_cohort: float
    pct_of_responders: float | None
    pct_of_nonresponders: float | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class CohortSummary:
    """The result of :func:`summarize_cohort`.

    Attributes
    ----------
    n_patients : int
        Rows with a known response (the denominator).
    response : Proportion
        Responders out of ``n_patients`` with the Wilson interval.
    features : tuple of FeatureComparison
    diagnoses : tuple of DiagnosisCount
    alpha : float
        Significance level (0.05).
    response_from : str
        ``"responder"`` column or ``"scores"`` (before/after EMRCSS/NSS columns).
    issues : tuple of str
        Rows left out (unknown response) and other remarks, never silent.
    source : str
        Where the rows came from.
    """

    n_patients: int
    response: Proportion
    features: tuple[FeatureComparison, ...]
    diagnoses: tuple[DiagnosisCount, ...]
    alpha: float
    response_from: str
    issues: tuple[str, ...] = ()
    source: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the ``ncs-emg cohort --format json`` document)."""
        return {
            "source": self.source,
            "n_patients": self.n_patients,
            "response_from": self.response_from,
            "response": self.response.to_dict(),
            "alpha": self.alpha,
            "features": [f.to_dict() for f in self.features],
            "diagnoses": [d.to_dict() for d in self.diagnoses],
            "issues": list(self.issues),
        }

    def feature(self, name: str, level: str | None = None) -> FeatureComparison:
        """The comparison of one feature (and level); KeyError when absent."""
        for f in self.features:
            if f.feature == name and (level is None or f.level == level):
                return f
        raise KeyError(f"no feature {name!r}" + (f" level {level!r}" if level else ""))


# --- loading rows ---------------------------------------------------------------------------------


def _cell(v: Any) -> Any:
    """Normalise one cell: None for missing, bool, float or str."""
    if v is None or type(v).__name__ in ("NAType", "NaTType"):  # pandas missing values
        return None
    if isinstance(v, (bool,)) or type(v).__name__ == "bool_":
        return bool(v)
    if isinstance(v, (int, float)) or type(v).__module__ == "numpy":
        try:
            x = float(v)
        except (TypeError, ValueError):
            return str(v)
        return None if math.isnan(x) else x
    return _text_cell(str(v).strip())


def _text_cell(s: str) -> Any:
    """A text cell: None for empty/NA, True/False for yes/no words, a float for a number, else str."""
    low = s.lower()
    if not s or low in ("na", "nan", "none"):
        return None
    if low in _TRUE or low in _FALSE:
        return low in _TRUE
    try:
        return float(s)
    except ValueError:
        return s


def _read_csv(path: Path) -> list[dict[str, Any]]:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"{path}: cannot read cohort table ({exc})") from exc
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    reader = csv.DictReader(io.StringIO("\n".join(lines)))
    rows = []
    for i, row in enumerate(reader):
        if None in row:
            raise FormatError(f"{path}: data row {i + 1} has more cells than the header")
        rows.append(dict(row))
    return rows


def _load(table: Any) -> tuple[list[dict[str, Any]], str]:
    """Rows of the table as dicts of normalised cells, and a name for messages."""
    if isinstance(table, (str, Path)):
        path = Path(table)
        suffix = path.suffix.lower()
        if suffix == ".csv":
            raw, where = _read_csv(path), str(path)
        elif suffix in (".parquet", ".pq"):
            try:
                import pandas as pd

                raw, where = pd.read_parquet(path).to_dict(orient="records"), str(path)
            except ImportError as exc:
                raise FormatError(f"{path}: reading Parquet needs pandas and pyarrow") from exc
            except (OSError, ValueError) as exc:
                raise FormatError(f"{path}: cannot read Parquet ({exc})") from exc
        else:
            raise FormatError(f"{path}: cohort table must be .csv or .parquet, got {suffix!r}")
    elif hasattr(table, "to_dict") and hasattr(table, "columns"):
        raw, where = table.to_dict(orient="records"), "DataFrame"
    elif isinstance(table, Sequence) and all(isinstance(r, dict) for r in table):
        raw, where = list(table), "rows"
    else:
        raise ParameterError(
            f"table: expected a CSV/Parquet path, a DataFrame or a list of dicts, got "
            f"{type(table).__name__}"
        )
    return [{str(k).strip(): _cell(v) for k, v in r.items()} for r in raw], where


# --- response per row -----------------------------------------------------------------------------


def _responses(rows: list[dict[str, Any]], where: str) -> tuple[list[bool | None], str]:
    columns = set().union(*(r.keys() for r in rows))
    if "responder" in columns:
        out = []
        for r in rows:
            v = r.get("responder")
            if isinstance(v, float) and v in (0.0, 1.0):
                v = bool(v)
            if v is not None and not isinstance(v, bool):
                raise FormatError(
                    f"{where}: subject {r.get('subject_id')!r}: responder = {v!r}; expected "
                    "true/false (yes/no, 1/0) or empty"
                )
            out.append(v)
        return out, "responder"
    if {"emrcss_before", "emrcss_after"} <= columns or {"nss_before", "nss_after"} <= columns:
        return [_response_of_row(r, where) for r in rows], "scores"
    raise FormatError(
        f"{where}: no response column: need 'responder' or before/after score columns "
        f"({', '.join(_SCORE_COLUMNS)}); columns are {sorted(columns)}"
    )


def _response_of_row(r: dict[str, Any], where: str) -> bool | None:
    changes = []
    for name in ("emrcss", "nss"):
        b, a = r.get(f"{name}_before"), r.get(f"{name}_after")
        for col, v in ((f"{name}_before", b), (f"{name}_after", a)):
            if v is not None and (isinstance(v, bool) or not isinstance(v, float)):
                raise FormatError(f"{where}: subject {r.get('subject_id')!r}: {col} = {v!r}")
        changes.append(None if a is None or b is None else a - b)
    return response_from_changes(*changes)


def _check_ids(rows: list[dict[str, Any]], where: str) -> None:
    seen: set[Any] = set()
    for i, r in enumerate(rows):
        sid = r.get("subject_id")
        if sid is None:
            raise FormatError(f"{where}: row {i + 1} has no subject_id")
        if isinstance(sid, float) and sid.is_integer():
            sid = str(int(sid))
        if sid in seen:
            raise FormatError(f"{where}: subject_id {sid!r} appears more than once")
        seen.add(sid)


# --- features -------------------------------------------------------------------------------------


def _kind(rows: list[dict[str, Any]], col: str, where: str) -> str:
    types = {type(r.get(col)) for r in rows if r.get(col) is not None}
    if not types:
        return "empty"
    if types == {bool} or (str in types and float not in types):
        return "categorical"
    if types == {float}:
        return "continuous"
    raise FormatError(
        f"{where}: column {col!r} mixes numbers with text or true/false; cannot tell whether it "
        "is categorical or continuous"
    )


def _count_group(vals: list[Any], resp: list[bool], flag: bool, level: Any) -> dict[str, Any]:
    known = [v for v, r in zip(vals, resp, strict=True) if r is flag and v is not None]
    count = sum(1 for v in known if v == level)
    return {"count": count, "n": len(known), "pct": 100.0 * count / len(known) if known else None}


def _fisher(
    feature: str, level: Any, vals: list[Any], resp: list[bool], alpha: float
) -> FeatureComparison:
    """Fisher's exact test of one level (or of True) against the rest, responders vs not."""
    from scipy import stats

    r = _count_group(vals, resp, True, level)
    nr = _count_group(vals, resp, False, level)
    common: dict[str, Any] = {
        "feature": feature,
        "level": None if isinstance(level, bool) else str(level),
        "kind": "categorical",
        "test": "fisher_exact",
        "responders": r,
        "nonresponders": nr,
        "n_missing": sum(1 for v in vals if v is None),
    }
    if r["n"] == 0 or nr["n"] == 0:
        return FeatureComparison(
            **common, statistic=None, p_value=None, significant=None,
            reason="no known value in one group",
        )  # fmt: skip
    table = [[r["count"], r["n"] - r["count"]], [nr["count"], nr["n"] - nr["count"]]]
    odds, p = stats.fisher_exact(table, alternative="two-sided")
    return FeatureComparison(
        **common,
        statistic=float(odds) if math.isfinite(odds) else None,
        p_value=float(p),
        significant=bool(p < alpha),
    )


def _moments(x: list[float]) -> dict[str, Any]:
    return {
        "n": len(x),
        "mean": statistics.fmean(x) if x else None,
        "sd": statistics.stdev(x) if len(x) > 1 else None,
    }


def _student(feature: str, vals: list[Any], resp: list[bool], alpha: float) -> FeatureComparison:
    """Student's t test (pooled variance), responders minus nonresponders."""
    from scipy import stats

    a = [v for v, r in zip(vals, resp, strict=True) if r is True and v is not None]
    b = [v for v, r in zip(vals, resp, strict=True) if r is False and v is not None]
    common: dict[str, Any] = {
        "feature": feature,
        "level": None,
        "kind": "continuous",
        "test": "student_t",
        "responders": _moments(a),
        "nonresponders": _moments(b),
        "n_missing": sum(1 for v in vals if v is None),
    }
    if len(a) < 2 or len(b) < 2:
        why = "need >= 2 known values per group"
    elif statistics.variance(a) == 0.0 and statistics.variance(b) == 0.0:
        why = "no spread within either group: t is undefined"
    else:
        t, p = stats.ttest_ind(a, b, equal_var=True)
        return FeatureComparison(
            **common, statistic=float(t), p_value=float(p), significant=bool(p < alpha)
        )
    return FeatureComparison(**common, statistic=None, p_value=None, significant=None, reason=why)


def _compare(
    rows: list[dict[str, Any]], col: str, resp: list[bool], alpha: float, where: str
) -> list[FeatureComparison]:
    vals = [r.get(col) for r in rows]
    kind = _kind(rows, col, where)
    if kind == "continuous":
        return [_student(col, vals, resp, alpha)]
    if kind == "empty":
        return []
    levels = sorted({v for v in vals if v is not None}, key=str)
    if set(levels) <= {True, False}:
        levels = [True]
    return [_fisher(col, lv, vals, resp, alpha) for lv in levels]


def _diagnoses(rows: list[dict[str, Any]], resp: list[bool]) -> tuple[DiagnosisCount, ...]:
    n, n_r = len(rows), sum(resp)
    names = sorted({str(r["diagnosis"]) for r in rows if r.get("diagnosis") is not None})
    if any(r.get("diagnosis") is None for r in rows):
        names.append("(not given)")
    out = []
    for name in names:
        flags = [
            f
            for r, f in zip(rows, resp, strict=True)
            if str(r.get("diagnosis") or "(not given)") == name
        ]
        k_r = sum(flags)
        k_n = len(flags) - k_r
        out.append(
            DiagnosisCount(
                name,
                len(flags),
                k_r,
                k_n,
                100.0 * len(flags) / n,
                100.0 * k_r / n_r if n_r else None,
                100.0 * k_n / (n - n_r) if n - n_r else None,
            )
        )
    return tuple(out)


def summarize_cohort(
    table: Any,
    *,
    features: Sequence[str] | None = None,
    alpha: float = 0.05,
    confidence: float = 0.95,
) -> CohortSummary:
    """Response rate, responder/nonresponder comparisons and diagnoses of a cohort.

    Parameters
    ----------
    table : str, Path, DataFrame or list of dict
        One row per patient: ``subject_id``; ``responder`` (true/false) or the before/after score
        columns ``emrcss_before``, ``emrcss_after``, ``nss_before``, ``nss_after``; optional
        ``diagnosis``; any other column is a feature. A column of true/false (yes/no) or text is
        categorical, a column of numbers continuous; empty cells are missing. CSV lines starting
        with ``#`` are comments.
    features : sequence of str, optional
        Compare only these columns (default: every column not named above).
    alpha : float
        Significance level for ``significant`` (0.05, as in the seed study).
    confidence : float
        Level of the Wilson interval of the response rate (0.95).

    Returns
    -------
    CohortSummary

    Raises
    ------
    FormatError
        Unreadable table, no response column, no subject_id, a patient twice, a responder value
        that is not true/false, a column mixing numbers and text.
    ParameterError
        An empty cohort, an unknown feature name, or a bad ``table`` type.

    Examples
    --------
    >>> rows = [{"subject_id": i, "responder": i < 2, "gm1": i < 2} for i in range(11)]
    >>> s = summarize_cohort(rows)
    >>> s.response.count, s.response.n
    (2, 11)
    >>> round(s.feature("gm1").p_value, 4)  # 2/2 against 0/9: 1/55
    0.0182
    """
    rows, where = _load(table)
    if not rows:
        raise ParameterError(f"{where}: the cohort is empty (no patient rows)")
    _check_ids(rows, where)
    resp_all, origin = _responses(rows, where)
    issues = [
        f"subject {r.get('subject_id')!r}: response unknown; left out of every statistic"
        for r, f in zip(rows, resp_all, strict=True)
        if f is None
    ]
    kept = [(r, f) for r, f in zip(rows, resp_all, strict=True) if f is not None]
    if not kept:
        raise ParameterError(f"{where}: no patient has a known response")
    rows = [r for r, _ in kept]
    resp = [bool(f) for _, f in kept]
    columns = list(dict.fromkeys(k for r in rows for k in r))
    if features is None:
        features = [c for c in columns if c not in _RESERVED]
    unknown = [c for c in features if c not in columns]
    if unknown:
        raise ParameterError(f"features: unknown column {unknown[0]!r}; columns are {columns}")
    comparisons = [c for col in features for c in _compare(rows, col, resp, alpha, where)]
    return CohortSummary(
        n_patients=len(rows),
        response=Proportion.of(sum(resp), len(rows), confidence),
        features=tuple(comparisons),
        diagnoses=_diagnoses(rows, resp) if "diagnosis" in columns else (),
        alpha=alpha,
        response_from=origin,
        issues=tuple(issues),
        source=where,
    )


# --- the seed study's cohort and the evidence statement -------------------------------------------

#: File name of the shipped reconstruction of the seed study's cohort (package data).
SIMON2013_TABLE = "simon2013_cohort.csv"


def simon2013_cohort() -> list[dict[str, Any]]:
    """The shipped reconstruction of the seed study's 31 patients, one dict per patient.

    Built from the counts the paper states (``data/fixtures/cohort/README.md`` documents every
    column); rows within a group are a reconstruction, not the patients' own records.
    """
    text = (resources.files("ncs_emg") / "data" / SIMON2013_TABLE).read_text("utf-8")
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    return [
        {k: _cell(v) for k, v in r.items()} for r in csv.DictReader(io.StringIO("\n".join(lines)))
    ]


@dataclass(frozen=True)
class Evidence:
    """The evidence behind the responder phenotype, computed from a cohort table.

    Attributes
    ----------
    overall : Proportion
        Responders among all treated patients.
    with_phenotype, without_phenotype : Proportion or None
        Responders among patients with / without the full phenotype (None if the table has no
        phenotype column or nobody in that group).
    fisher_p : float or None
        Two-sided Fisher exact p of phenotype against response.
    evidence_class : str
    statement : str
        One sentence built from the numbers above.
    source : str
    """

    overall: Proportion
    with_phenotype: Proportion | None
    without_phenotype: Proportion | None
    fisher_p: float | None
    evidence_class: str
    statement: str
    source: str
    details: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "overall": self.overall.to_dict(),
            "with_phenotype": self.with_phenotype.to_dict() if self.with_phenotype else None,
            "without_phenotype": self.without_phenotype.to_dict()
            if self.without_phenotype
            else None,
            "fisher_p": self.fisher_p,
            "evidence_class": self.evidence_class,
            "statement": self.statement,
            "source": self.source,
            "details": dict(self.details),
        }


def phenotype_evidence(
    table: Any = None,
    *,
    phenotype_column: str = "mmn_like_phenotype",
    evidence_class: str = "Class IV",
    source: str = SIMON2013_SOURCE,
) -> Evidence:
    """Evidence statement of the responder phenotype, computed from a cohort table.

    Parameters
    ----------
    table : optional
        Any input of :func:`summarize_cohort`; default the shipped :func:`simon2013_cohort`.
    phenotype_column : str
        True/false column marking patients with the full responder phenotype.
    evidence_class, source : str
        How the statement names the study.

    Returns
    -------
    Evidence
    """
    rows = simon2013_cohort() if table is None else table
    summary = summarize_cohort(rows, features=[phenotype_column])
    comp = summary.feature(phenotype_column)
    o = summary.response
    text = (
        f"{evidence_class} evidence ({source.split(' (')[0]}): {o.count} of {o.n} treated patients "
        f"responded ({o.pct:.1f} %, Wilson {100 * o.confidence:.0f} % CI "
        f"{o.ci_low_pct:.1f}-{o.ci_high_pct:.1f} %)"
    )
    with_p = without_p = None
    r, nr = comp.responders, comp.nonresponders
    k_with = r["count"]
    n_with = r["count"] + nr["count"]
    k_wo, n_wo = r["n"] - r["count"], (r["n"] - r["count"]) + (nr["n"] - nr["count"])
    if n_with:
        with_p = Proportion.of(k_with, n_with)
        text += f"; with the full phenotype {k_with} of {n_with} responded ({with_p.pct:.0f} %)"
    if n_wo:
        without_p = Proportion.of(k_wo, n_wo)
        text += f", without it {k_wo} of {n_wo} ({without_p.pct:.0f} %)"
    if comp.p_value is not None:
        text += f"; Fisher exact p = {comp.p_value:.2g}"
    return Evidence(
        overall=o,
        with_phenotype=with_p,
        without_phenotype=without_p,
        fisher_p=comp.p_value,
        evidence_class=evidence_class,
        statement=text + ".",
        source=source,
        details={"table": summary.source, "n_missing_phenotype": comp.n_missing},
    )
