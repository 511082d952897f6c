"""CMAP result objects: per-sweep measures, per-site and per-study containers.

Every per-sweep field of :class:`CmapMeasures` carries metadata (unit, description, short table header,
kind) from which :meth:`CmapMeasures.sweep`, :meth:`CmapMeasures.to_dict`, CSV columns and the CLI's
table headers are derived (:func:`cmap_columns`): adding a field adds it everywhere.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = [
    "CmapMeasures",
    "SiteMeasures",
    "SiteError",
    "StudyMeasures",
    "cmap_columns",
    "result_field",
    "CMAP_MEASURE_NAMES",
    "CMAP_LEVEL_NAMES",
    "CMAP_FLAG_NAMES",
]


def result_field(unit: str, doc: str, header: str, kind: str, table: bool = False) -> Any:
    """A result field and its metadata: unit, meaning, short table header, ``kind`` (the result's own
    grouping, e.g. measure, level, count, flag) and whether the CLI table shows it. ``to_dict()``, CSV
    columns and table headers are derived from it (CMAP and F-wave results alike)."""
    return field(
        metadata={"unit": unit, "doc": doc, "header": header, "kind": kind, "table": table}
    )


@dataclass(frozen=True, eq=False)
class CmapMeasures:
    """CMAP measures of one or more sweeps; every array has shape (n_sweeps,) and is read-only.

    Definitions and the procedure: ``docs/measures.md``. Every per-sweep attribute's unit and meaning
    is also in :func:`cmap_columns`.

    Attributes
    ----------
    onset_latency_ms : ndarray, ms
        Stimulus to onset of the response's first negative phase (at the most distal site: the DML).
    neg_peak_latency_ms : ndarray, ms
        Stimulus to the negative peak.
    neg_peak_amp_mv : ndarray, mV
        Baseline minus the negative peak (positive number).
    peak_to_peak_amp_mv : ndarray, mV
        Following positive peak minus negative peak.
    neg_area_mv_ms : ndarray, mV·ms
        Signed integral of (baseline − x) over the negative-peak duration.
    total_area_mv_ms : ndarray, mV·ms
        Integral of |baseline − x| over the total duration.
    neg_duration_ms : ndarray, ms
        Onset to the return to baseline of the last negative phase.
    total_duration_ms : ndarray, ms
        Onset to the final return to baseline.
    baseline_mv, noise_mv : ndarray, mV
        Baseline level subtracted before measuring; SD of the baseline window.
    threshold_mv, band_mv, end_band_mv, resolution_mv : ndarray, mV
        Significance threshold, at-baseline band, end band and detected recording resolution used for
        each sweep; NaN where not reached (no response: no end band).
    pre_response_excursions : ndarray of int
        Significant phases before the response that were not counted as the response.
    no_response, saturated, end_not_found, onset_at_search_start, onset_not_found : ndarray of bool
        Flags; a flagged measure is NaN, never a silent number.
    onset_from_foot : ndarray of bool
        The signal had not returned inside the band since the search start: the onset is the foot.
    positive_first : ndarray of bool
        The response starts with a positive phase of at least half the negative-peak amplitude:
        display polarity (negative up) suspected. The numbers are unchanged.
    baseline_source : str
        ``"pre-stimulus"`` or ``"post-artefact"``.
    method : str
        Onset detector used.
    parameters : CmapParams
        The options used.
    sfreq_hz : float, Hz
        Sampling rate of the measured sweeps.
    t0_ms : float, ms
        Time of sample 0 relative to the stimulus.
    """

    onset_latency_ms: np.ndarray = result_field(
        "ms", "stimulus to response onset", "onset_ms", "measure", True
    )
    neg_peak_latency_ms: np.ndarray = result_field(
        "ms", "stimulus to negative peak", "negpk_ms", "measure", True
    )
    neg_peak_amp_mv: np.ndarray = result_field(
        "mV", "baseline to negative peak", "neg_amp_mv", "measure", True
    )
    peak_to_peak_amp_mv: np.ndarray = result_field(
        "mV", "negative peak to following positive peak", "p2p_mv", "measure", True
    )
    neg_area_mv_ms: np.ndarray = result_field(
        "mV·ms", "signed area over the negative-peak duration", "neg_area", "measure", True
    )
    total_area_mv_ms: np.ndarray = result_field(
        "mV·ms", "rectified area over the total duration", "tot_area", "measure", True
    )
    neg_duration_ms: np.ndarray = result_field(
        "ms", "onset to end of the last negative phase", "neg_dur_ms", "measure", True
    )
    total_duration_ms: np.ndarray = result_field(
        "ms", "onset to final return to baseline", "tot_dur_ms", "measure", True
    )
    baseline_mv: np.ndarray = result_field("mV", "baseline level", "base_mv", "measure", True)
    noise_mv: np.ndarray = result_field(
        "mV", "SD of the baseline window", "noise_mv", "measure", True
    )
    threshold_mv: np.ndarray = result_field("mV", "significance threshold used", "thr_mv", "level")
    band_mv: np.ndarray = result_field("mV", "at-baseline band used", "band_mv", "level")
    end_band_mv: np.ndarray = result_field("mV", "end band used", "endband_mv", "level")
    resolution_mv: np.ndarray = result_field(
        "mV", "recording resolution detected", "res_mv", "level"
    )
    pre_response_excursions: np.ndarray = result_field(
        "", "significant phases before the response, not counted", "excursions", "count"
    )
    no_response: np.ndarray = result_field(
        "", "no significant negative phase", "no_resp", "flag", True
    )
    saturated: np.ndarray = result_field("", "amplifier clipped the response", "sat", "flag", True)
    end_not_found: np.ndarray = result_field("", "response still open at the end", "no_end", "flag")
    onset_at_search_start: np.ndarray = result_field(
        "", "response under way when the search began", "on_start", "flag"
    )
    onset_not_found: np.ndarray = result_field(
        "", "the detector found no onset", "no_onset", "flag"
    )
    onset_from_foot: np.ndarray = result_field(
        "", "onset taken at the response's foot", "foot", "flag"
    )
    positive_first: np.ndarray = result_field(
        "", "starts with a large positive phase: display polarity?", "pos_first", "flag", True
    )
    baseline_source: str = "pre-stimulus"
    method: str = "threshold"
    parameters: Any = None
    sfreq_hz: float = math.nan
    t0_ms: float = 0.0

    @property
    def n_sweeps(self) -> int:
        """Number of sweeps measured."""
        return int(self.onset_latency_ms.shape[0])

    def sweep(self, i: int) -> dict[str, Any]:
        """Measures, levels and flags of sweep ``i`` as a flat dict of Python scalars (NaN kept)."""
        row: dict[str, Any] = {"sweep": int(i)}
        for c in cmap_columns():
            v = getattr(self, c["name"])[i]
            row[c["name"]] = _scalar(v, c["kind"])
        row["baseline_source"] = self.baseline_source
        return row

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: a list per attribute (NaN as None), method and parameters."""
        d: dict[str, Any] = {
            c["name"]: [_json(_scalar(v, c["kind"])) for v in getattr(self, c["name"])]
            for c in cmap_columns()
        }
        d["baseline_source"] = self.baseline_source
        d["method"] = self.method
        params = {} if self.parameters is None else self.parameters.to_dict()
        d["parameters"] = {**params, "sfreq_hz": self.sfreq_hz, "t0_ms": self.t0_ms}
        return d

    def __repr__(self) -> str:
        n_resp = int((~self.no_response).sum())
        return (
            f"CmapMeasures({self.n_sweeps} sweeps, {n_resp} with a response, "
            f"method={self.method!r}, baseline {self.baseline_source})"
        )


def _scalar(v: Any, kind: str) -> Any:
    if kind == "flag":
        return bool(v)
    if kind == "count":
        return int(v)
    return float(v)


def _json(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def cmap_columns(kind: str | None = None, *, table: bool = False) -> list[dict[str, Any]]:
    """Per-sweep columns of :class:`CmapMeasures` in output order: name, unit, doc, header, kind.

    ``kind`` selects ``"measure"``, ``"level"``, ``"count"`` or ``"flag"`` columns; ``table=True``
    keeps the columns the CLI's table shows.
    """
    out = []
    for f in fields(CmapMeasures):
        if "kind" not in f.metadata:
            continue
        if kind is not None and f.metadata["kind"] != kind:
            continue
        if table and not f.metadata["table"]:
            continue
        out.append({"name": f.name, **f.metadata})
    return out


#: Per-sweep float measures of :class:`CmapMeasures`, in output order.
CMAP_MEASURE_NAMES = tuple(c["name"] for c in cmap_columns("measure"))
#: Per-sweep levels the measures were taken with (mV).
CMAP_LEVEL_NAMES = tuple(c["name"] for c in cmap_columns("level"))
#: Per-sweep flags.
CMAP_FLAG_NAMES = tuple(c["name"] for c in cmap_columns("flag"))


@dataclass(frozen=True, eq=False)
class SiteMeasures:
    """CMAP measures of every sweep of one stimulation site, with the ids of its nerve and site.

    Attributes
    ----------
    nerve_index : int
        Position of the nerve in the study.
    nerve, side, muscle : str or None
        The nerve's name, side and recorded muscle.
    label : str
        The nerve's display label, e.g. ``"right ulnar (ADM)"``.
    site_index : int
        Position of the site, 0 = most distal.
    site_name : str
        Site name.
    distance_mm : float or None, mm
        For the first site the distance from the stimulating cathode to the active electrode; for the
        others the length of the segment to the previous site.
    segment : str or None
        Segment label.
    measures : CmapMeasures
        Per-sweep measures.
    """

    nerve_index: int
    nerve: str
    side: str | None
    muscle: str | None
    label: str
    site_index: int
    site_name: str
    distance_mm: float | None
    segment: str | None
    measures: CmapMeasures

    def ids(self) -> dict[str, Any]:
        """Nerve and site identification as a flat dict."""
        return {
            "nerve_index": self.nerve_index,
            "nerve": self.nerve,
            "side": self.side,
            "muscle": self.muscle,
            "site_index": self.site_index,
            "site": self.site_name,
            "distance_mm": self.distance_mm,
            "segment": self.segment,
        }

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per sweep, with nerve and site identification first."""
        head = self.ids()
        return [{**head, **self.measures.sweep(i)} for i in range(self.measures.n_sweeps)]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: ids and ``measures``."""
        return {**self.ids(), "label": self.label, "measures": self.measures.to_dict()}

    def __repr__(self) -> str:
        return f"SiteMeasures({self.label}, site {self.site_name!r}, {self.measures!r})"


@dataclass(frozen=True)
class SiteError:
    """A site that could not be measured, and why.

    Attributes
    ----------
    nerve_index, site_index : int
        Positions of the nerve in the study and of the site in the nerve.
    nerve, side, muscle : str or None
        The nerve's name, side and recorded muscle.
    label : str
        The nerve's display label.
    site_name : str
        Site name.
    reason : str
        The error message (what is wrong and what would be valid).
    """

    nerve_index: int
    nerve: str
    side: str | None
    muscle: str | None
    label: str
    site_index: int
    site_name: str
    reason: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "nerve_index": self.nerve_index,
            "nerve": self.nerve,
            "side": self.side,
            "muscle": self.muscle,
            "label": self.label,
            "site_index": self.site_index,
            "site": self.site_name,
            "error": self.reason,
        }

    def __str__(self) -> str:
        return f"{self.label}, site {self.site_name!r}: {self.reason}"


@dataclass(frozen=True, eq=False)
class StudyMeasures:
    """CMAP measures of a whole study: ids and measures only (cheap to send between processes).

    Iterating yields the measured sites (:class:`SiteMeasures`) in study order; sites that could not
    be measured are in ``errors``.

    Attributes
    ----------
    subject_id : str or None
        The study's subject id.
    sites : tuple of SiteMeasures
        Measured sites, nerve by nerve, distal to proximal.
    errors : tuple of SiteError
        Sites that could not be measured (for example sweeps too short for the windows).
    parameters : CmapParams
        The options used.
    """

    subject_id: str | None
    sites: tuple[SiteMeasures, ...]
    errors: tuple[SiteError, ...]
    parameters: Any

    def __iter__(self) -> Iterator[SiteMeasures]:
        return iter(self.sites)

    def __len__(self) -> int:
        return len(self.sites)

    def __getitem__(self, i: int) -> SiteMeasures:
        return self.sites[i]

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per measured sweep (see :meth:`SiteMeasures.rows`)."""
        return [row for s in self.sites for row in s.rows()]

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: subject, sites, errors and parameters."""
        return {
            "subject_id": self.subject_id,
            "sites": [s.to_dict() for s in self.sites],
            "errors": [e.to_dict() for e in self.errors],
            "parameters": None if self.parameters is None else self.parameters.to_dict(),
        }

    def __repr__(self) -> str:
        n_sw = sum(s.measures.n_sweeps for s in self.sites)
        return (
            f"StudyMeasures(subject {self.subject_id!r}: {len(self.sites)} sites, {n_sw} sweeps "
            f"measured, {len(self.errors)} errors)"
        )
