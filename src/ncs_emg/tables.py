"""Tidy rows from analysis reports, and ``to_dataframe`` (pandas imported only when called).

Rows are flat dicts of Python scalars (NaN kept as float NaN) with the nerve's identification first,
ready for CSV or a DataFrame. Install the ``pandas`` extra for :func:`to_dataframe`.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from .errors import NotAvailableError
from .findings import FINDING_KEYS

__all__ = [
    "FINDING_COLUMNS",
    "SITE_COLUMNS",
    "SEGMENT_COLUMNS",
    "findings_rows",
    "sites_rows",
    "segments_rows",
    "values_rows",
    "to_dataframe",
]

_HEAD = ("nerve_label", "nerve", "side", "muscle")
#: Columns of :func:`findings_rows`.
FINDING_COLUMNS = _HEAD + tuple(k for k in FINDING_KEYS if k not in ("nerve", "details"))
#: Columns of :func:`sites_rows`.
SITE_COLUMNS = _HEAD + (
    "site",
    "segment",
    "distance_mm",
    "sweep_index",
    "sweep_choice",
    "onset_latency_ms",
    "neg_peak_amp_mv",
    "peak_to_peak_amp_mv",
    "neg_area_mv_ms",
    "neg_duration_ms",
    "total_duration_ms",
    "measurable",
    "reason",
)
#: Columns of :func:`segments_rows`.
SEGMENT_COLUMNS = _HEAD + (
    "from_site",
    "to_site",
    "kind",
    "label",
    "length_mm",
    "latency_diff_ms",
    "cv_m_s",
    "amp_reduction_pct",
    "p2p_reduction_pct",
    "area_reduction_pct",
    "duration_increase_pct",
    "total_duration_increase_pct",
    "entrapment",
    "reason",
)


def _head(n: Any) -> dict[str, Any]:
    return {"nerve_label": n.label, "nerve": n.nerve, "side": n.side, "muscle": n.muscle}


def findings_rows(nerves: Iterable[Any]) -> list[dict[str, Any]]:
    """One row per finding of every :class:`~ncs_emg.analysis.NerveReport` (long form)."""
    rows = []
    for n in nerves:
        h = _head(n)
        for f in n.findings:
            d = {k: getattr(f, k) for k in FINDING_COLUMNS[len(_HEAD) :]}
            rows.append({**h, **d})
    return rows


def sites_rows(nerves: Iterable[Any]) -> list[dict[str, Any]]:
    """One row per chosen site CMAP of every nerve report."""
    rows = []
    for n in nerves:
        for s in n.sites:
            d = {k: getattr(s, k) for k in SITE_COLUMNS[len(_HEAD) + 1 :]}
            rows.append({**_head(n), "site": s.name, **d})
    return rows


def segments_rows(nerves: Iterable[Any]) -> list[dict[str, Any]]:
    """One row per segment of every nerve report."""
    rows = []
    for n in nerves:
        for g in n.segments:
            rows.append({**_head(n), **{k: getattr(g, k) for k in SEGMENT_COLUMNS[len(_HEAD) :]}})
    return rows


def values_rows(nerves: Iterable[Any]) -> list[dict[str, Any]]:
    """Site rows in the layout of :func:`ncs_emg.read_values_csv` (with per-nerve F values).

    F-wave values of a train that is not interpretable are left empty (the CSV layout cannot say
    "not interpretable"; empty cells keep the F rules not evaluable).
    """
    rows = []
    for n in nerves:
        fw = {}
        if n.fwave is not None and n.fwave.interpretable:  # the CSV has no "not interpretable" flag
            fw = {
                "min_f_latency_ms": n.fwave.min_latency_ms,
                "f_persistence_pct": n.fwave.persistence_pct,
            }
        for i, s in enumerate(n.sites):
            row = {"nerve": n.nerve, "side": n.side, "muscle": n.muscle, "site": s.name}
            row.update({k: getattr(s, k) for k in ("segment", "distance_mm", "onset_latency_ms",
                        "neg_peak_amp_mv", "peak_to_peak_amp_mv", "neg_area_mv_ms",
                        "neg_duration_ms", "total_duration_ms")})  # fmt: skip
            if i == 0:
                row.update(fw)
            rows.append(row)
    return rows


def to_dataframe(rows: Sequence[dict[str, Any]], columns: Sequence[str] | None = None) -> Any:
    """Rows as a pandas DataFrame (pandas imported here; install the ``pandas`` extra).

    Raises
    ------
    NotAvailableError
        When pandas is not installed.
    """
    try:
        import pandas as pd  # type: ignore[import-untyped,unused-ignore]
    except ImportError as exc:  # pragma: no cover - pandas is in the test environment
        raise NotAvailableError("to_dataframe needs pandas: pip install 'ncs_emg[pandas]'") from exc
    if columns is None and rows:
        columns = list(rows[0])
    if columns is None:
        columns = list(FINDING_COLUMNS)
    return pd.DataFrame(list(rows), columns=list(columns))
