"""Per-site values and segment-by-segment comparison of stimulation sites (``docs/segments.md``).

Two steps:

1. :func:`site_values_from_measures` picks one representative CMAP per stimulation site
   (:class:`SiteValues`): the sweep with the largest negative-peak amplitude among the accepted sweeps
   that have a response (``sweep="max"``, the supramaximal response), the per-measure median of those
   sweeps (``"median"``), or a chosen sweep index. A site without a measurable CMAP gives
   ``measurable=False`` with a reason and NaN values: everything downstream is "not evaluable".
2. :func:`compute_segments` compares sites: every consecutive pair (distal d -> proximal p) and every
   site against the most distal one (:class:`Segment`).

Distances (the convention of :class:`ncs_emg.types.Site`): the first site's ``distance_mm`` is the
distal distance, stimulating cathode to active recording electrode; each further site's
``distance_mm`` is the length of the segment to the previous (more distal) site. A segment against the
most distal site is as long as the sum of the consecutive segments it spans.

Formulas: CV (m/s) = length (mm) / (onset_p - onset_d) (ms); reduction % = (1 - x_p / x_d) * 100;
increase % = (x_p / x_d - 1) * 100. An undefined value (missing length or latency, zero or negative
latency difference, zero distal value) is NaN and the segment's ``reason`` says why.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = [
    "SITE_MEASURES",
    "SiteValues",
    "Segment",
    "EntrapmentSite",
    "ENTRAPMENT_SITES",
    "site_values_from_measures",
    "site_values_from_dict",
    "compute_segments",
    "entrapment_site",
]

#: The CMAP measures carried per site (all floats; NaN = not measured).
SITE_MEASURES = (
    "onset_latency_ms",
    "neg_peak_amp_mv",
    "peak_to_peak_amp_mv",
    "neg_area_mv_ms",
    "neg_duration_ms",
    "total_duration_ms",
)


def _f(v: Any) -> float:
    """None/NaN/non-number -> NaN, else float."""
    if v is None or isinstance(v, bool):
        return math.nan
    try:
        return float(v)
    except (TypeError, ValueError):
        return math.nan


def _json(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, (list, tuple)):
        return [_json(x) for x in v]
    return v


@dataclass(frozen=True)
class SiteValues:
    """The representative CMAP of one stimulation site.

    Attributes
    ----------
    name : str
        Site name (e.g. ``"wrist"``).
    distance_mm : float, mm
        First site: distal distance (cathode to active electrode); further sites: length of the segment
        to the previous site. NaN when unknown.
    segment : str or None
        Anatomical label of that segment (e.g. ``"ulnar forearm"``).
    sweep_index : int or None
        Index of the chosen sweep in the site's sweeps (None for the median or for values input).
    sweep_choice : str
        How the values were obtained: ``"max"``, ``"median of N sweeps"``, ``"index"``, ``"values"``.
    onset_latency_ms, neg_peak_amp_mv, peak_to_peak_amp_mv, neg_area_mv_ms, neg_duration_ms, \
total_duration_ms : float
        Measures of the chosen CMAP (ms, mV, mV, mV·ms, ms, ms); NaN when not measured.
    measurable : bool
        False when the site has no measurable CMAP (then every value is NaN).
    reason : str
        Why a site is not measurable (or notes on the choice).
    """

    name: str
    distance_mm: float
    segment: str | None
    sweep_index: int | None
    sweep_choice: str
    onset_latency_ms: float
    neg_peak_amp_mv: float
    peak_to_peak_amp_mv: float
    neg_area_mv_ms: float
    neg_duration_ms: float
    total_duration_ms: float
    measurable: bool
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return {k: _json(getattr(self, k)) for k in self.__dataclass_fields__}


def _usable(measures: Any, accepted: np.ndarray) -> np.ndarray:
    amp = np.asarray(measures.neg_peak_amp_mv, dtype=float)
    ok = np.asarray(accepted, dtype=bool) & np.isfinite(amp) & (amp > 0)
    ok &= ~np.asarray(measures.no_response, dtype=bool) & ~np.asarray(
        measures.saturated, dtype=bool
    )
    return ok & np.isfinite(np.asarray(measures.onset_latency_ms, dtype=float))


def _why_none(measures: Any, accepted: np.ndarray) -> str:
    acc = np.asarray(accepted, dtype=bool)
    if not acc.any():
        return "no accepted sweep"
    parts = []
    for flag in ("no_response", "saturated", "onset_not_found", "end_not_found"):
        n = int(np.asarray(getattr(measures, flag), dtype=bool)[acc].sum())
        if n:
            parts.append(f"{flag.replace('_', ' ')} on {n}")
    return "no accepted sweep with a measurable CMAP" + (f" ({', '.join(parts)})" if parts else "")


def site_values_from_measures(
    measures: Any,
    *,
    name: str,
    distance_mm: float | None,
    segment: str | None,
    accepted: Any = None,
    sweep: str | int = "max",
) -> SiteValues:
    """Choose the representative CMAP of a site from its per-sweep measures.

    Parameters
    ----------
    measures : CmapMeasures
        Per-sweep measures (:func:`ncs_emg.measure_sweeps`).
    name, distance_mm, segment : str, float or None (mm), str or None
        The site's identification (see :class:`SiteValues`).
    accepted : array of bool or None
        Sweeps the operator accepted (None: all).
    sweep : {"max", "median"} or int
        ``"max"``: the accepted sweep with a response and the largest negative-peak amplitude;
        ``"median"``: per-measure median over those sweeps; an int: that sweep index.

    Returns
    -------
    SiteValues
        ``measurable=False`` with a reason when no usable sweep exists (or the chosen one is not).

    Raises
    ------
    ParameterError
        For an unknown ``sweep`` or an index outside the site's sweeps.
    """
    n = int(measures.n_sweeps)
    acc = np.ones(n, bool) if accepted is None else np.asarray(accepted, dtype=bool)
    ok = _usable(measures, acc)
    if isinstance(sweep, bool) or not (
        isinstance(sweep, (int, np.integer)) or sweep in ("max", "median")
    ):
        raise ParameterError(f"sweep: expected 'max', 'median' or a sweep index, got {sweep!r}")

    def make(
        idx: int | None, choice: str, vals: Mapping[str, float] | None, why: str = ""
    ) -> SiteValues:
        v = vals if vals is not None else dict.fromkeys(SITE_MEASURES, math.nan)
        return SiteValues(
            name, _f(distance_mm), segment, idx, choice,
            v["onset_latency_ms"], v["neg_peak_amp_mv"], v["peak_to_peak_amp_mv"],
            v["neg_area_mv_ms"], v["neg_duration_ms"], v["total_duration_ms"],
            measurable=vals is not None, reason=why,
        )  # fmt: skip

    def row(i: int) -> dict[str, float]:
        return {k: float(getattr(measures, k)[i]) for k in SITE_MEASURES}

    if isinstance(sweep, (int, np.integer)):
        i = int(sweep)
        if not -n <= i < n:
            raise ParameterError(f"sweep: index {i} outside the {n} sweeps of site {name!r}")
        i %= n
        if not ok[i]:
            return make(
                i,
                "index",
                None,
                f"sweep {i} not measurable" + ("" if acc[i] else " (not accepted)"),
            )
        return make(i, "index", row(i))
    if not ok.any():
        return make(None, str(sweep), None, _why_none(measures, acc))
    if sweep == "max":
        amp = np.where(ok, np.asarray(measures.neg_peak_amp_mv, dtype=float), -np.inf)
        i = int(np.argmax(amp))
        return make(i, "max", row(i))
    med = {}
    for k in SITE_MEASURES:
        col = np.asarray(getattr(measures, k), dtype=float)[ok]
        col = col[np.isfinite(col)]
        med[k] = float(np.median(col)) if col.size else math.nan
    return make(None, f"median of {int(ok.sum())} sweeps", med)


def site_values_from_dict(row: Mapping[str, Any]) -> SiteValues:
    """A :class:`SiteValues` from printed values (``name`` or ``site`` plus the measures; NaN = empty).

    A site is measurable when its onset latency and negative-peak amplitude are known.
    """
    name = row.get("name", row.get("site"))
    v = {k: _f(row.get(k)) for k in SITE_MEASURES}
    ok = math.isfinite(v["onset_latency_ms"]) and math.isfinite(v["neg_peak_amp_mv"])
    reason = "" if ok else "onset latency or negative-peak amplitude missing"
    return SiteValues(
        str(name), _f(row.get("distance_mm")), row.get("segment") or None, None, "values",
        v["onset_latency_ms"], v["neg_peak_amp_mv"], v["peak_to_peak_amp_mv"],
        v["neg_area_mv_ms"], v["neg_duration_ms"], v["total_duration_ms"],
        measurable=ok, reason=reason,
    )  # fmt: skip


# ---- entrapment sites ----------------------------------------------------------------------------


@dataclass(frozen=True)
class EntrapmentSite:
    """A common entrapment site, matched on a segment's label.

    Attributes
    ----------
    nerve : str
        Nerve name (lower case).
    name : str
        Readable name (``"ulnar across the elbow"``).
    keywords : tuple of str
        Lower-case fragments; a segment label containing any of them crosses the site.
    site_pairs : tuple of (str, str)
        (distal, proximal) site-name fragments: a consecutive segment between sites whose names
        contain them crosses the site even when its label says nothing (``"below elbow"`` ->
        ``"above elbow"``).
    source : str
        Citation.
    verified : bool
        False for entries without a verified source (radial spiral groove).
    """

    nerve: str
    name: str
    keywords: tuple[str, ...]
    source: str
    verified: bool = True
    site_pairs: tuple[tuple[str, str], ...] = ()


_AAEM_2003 = "AAEM consensus criteria for the diagnosis of multifocal motor neuropathy (Olney, Lewis, Putnam, Campellone, Muscle Nerve 2003;27:117-121)"

#: Entrapment sites excluded from conduction-block rules (``docs/segments.md``).
ENTRAPMENT_SITES: tuple[EntrapmentSite, ...] = (
    EntrapmentSite("median", "median at the wrist", ("carpal", "palm", "across wrist"), _AAEM_2003),
    EntrapmentSite(
        "ulnar",
        "ulnar across the elbow",
        ("across elbow", "across the elbow", "cubital"),
        _AAEM_2003,
        site_pairs=(("below elbow", "above elbow"),),
    ),
    EntrapmentSite("ulnar", "ulnar at the wrist", ("guyon", "palm", "across wrist"), _AAEM_2003),
    EntrapmentSite(
        "peroneal",
        "fibular across the fibular head",
        ("fibular head", "fibular neck"),
        _AAEM_2003,
        site_pairs=(
            ("below fibular head", "popliteal"),
            ("below fibular head", "above fibular head"),
        ),
    ),
    EntrapmentSite(
        "radial",
        "radial at the spiral groove",
        ("spiral groove",),
        "commonly added to the AAEM 2003 list; no source found (unverified, configurable)",
        verified=False,
    ),
)


def entrapment_site(
    nerve: str,
    label: str | None,
    sites: Sequence[EntrapmentSite] = ENTRAPMENT_SITES,
    *,
    from_site: str = "",
    to_site: str = "",
) -> EntrapmentSite | None:
    """The entrapment site a consecutive segment crosses, from its label or its site names (or None)."""
    lab = (label or "").lower()
    a, b = from_site.lower(), to_site.lower()
    for e in sites:
        if e.nerve != nerve:
            continue
        if lab and any(k in lab for k in e.keywords):
            return e
        if any(d in a and p in b for d, p in e.site_pairs):
            return e
    return None


# ---- segments ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Segment:
    """Comparison of two stimulation sites (distal ``from_site``, proximal ``to_site``).

    Attributes
    ----------
    from_site, to_site : str
        Distal and proximal site names.
    kind : str
        ``"consecutive"`` (neighbouring sites) or ``"vs_distal"`` (a site against the most distal one,
        for sites beyond the second; the second site's comparison is the first consecutive segment).
    label : str
        Anatomical label (consecutive: the proximal site's ``segment``; vs_distal: the spanned labels
        joined by ``" + "``).
    length_mm : float, mm
        Consecutive: the proximal site's ``distance_mm``; vs_distal: sum of the spanned lengths. NaN when
        unknown or zero.
    latency_diff_ms : float, ms
        onset_p - onset_d.
    cv_m_s : float, m/s
        length_mm / latency_diff_ms (NaN when either is undefined or the difference is <= 0).
    amp_reduction_pct, p2p_reduction_pct, area_reduction_pct : float, %
        (1 - x_p / x_d) * 100 of negative-peak amplitude, peak-to-peak amplitude, negative-peak area.
    duration_increase_pct : float, %
        (dur_p / dur_d - 1) * 100 of the negative-peak duration.
    entrapment : bool
        True when the segment (or any segment it spans) crosses a common entrapment site.
    reason : str
        Why values are NaN ("" when all are defined).
    total_duration_increase_pct : float, %
        Same as ``duration_increase_pct`` for the total duration.
    amp_ratio : float
        amp_p / amp_d (negative-peak amplitude ratio, proximal over distal).
    distal_amp_mv : float, mV
        Negative-peak amplitude at ``from_site`` (the floors of the criteria use it).
    entrapment_site : str or None
        Name of the entrapment site crossed.
    entrapment_verified : bool
        False when the only entrapment site crossed is an unverified entry.
    spans : tuple of str
        Labels of the consecutive segments spanned.
    """

    from_site: str
    to_site: str
    kind: str
    label: str
    length_mm: float
    latency_diff_ms: float
    cv_m_s: float
    amp_reduction_pct: float
    p2p_reduction_pct: float
    area_reduction_pct: float
    duration_increase_pct: float
    entrapment: bool
    reason: str = ""
    total_duration_increase_pct: float = math.nan
    amp_ratio: float = math.nan
    distal_amp_mv: float = math.nan
    entrapment_site: str | None = None
    entrapment_verified: bool = True
    spans: tuple[str, ...] = field(default_factory=tuple)

    @property
    def name(self) -> str:
        """``"from_site→to_site"``."""
        return f"{self.from_site}→{self.to_site}"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        return {k: _json(getattr(self, k)) for k in self.__dataclass_fields__}


def _blank(s: SiteValues) -> SiteValues:
    nan = math.nan
    return dataclasses.replace(
        s,
        onset_latency_ms=nan,
        neg_peak_amp_mv=nan,
        peak_to_peak_amp_mv=nan,
        neg_area_mv_ms=nan,
        neg_duration_ms=nan,
        total_duration_ms=nan,
    )


def _reduction(d: float, p: float) -> float:
    if not (math.isfinite(d) and math.isfinite(p)) or d <= 0:
        return math.nan
    return (1.0 - p / d) * 100.0


def _increase(d: float, p: float) -> float:
    if not (math.isfinite(d) and math.isfinite(p)) or d <= 0:
        return math.nan
    return (p / d - 1.0) * 100.0


def _compare(
    d: SiteValues,
    p: SiteValues,
    kind: str,
    *,
    spanned: Sequence[SiteValues],
    prev_sites: Sequence[SiteValues],
    nerve: str,
    entrapment_sites: Sequence[EntrapmentSite],
) -> Segment:
    reasons = []
    labels = tuple(s.segment or f"{s.name} (unlabelled)" for s in spanned)
    lengths = [s.distance_mm for s in spanned]
    length = math.fsum(lengths) if all(math.isfinite(x) and x > 0 for x in lengths) else math.nan
    if not math.isfinite(length):
        reasons.append("segment length missing or zero")
    for s in (d, p):
        if not s.measurable:
            reasons.append(
                f"site {s.name!r} not measurable" + (f": {s.reason}" if s.reason else "")
            )
    if not (d.measurable and p.measurable):  # never a number from a site without a CMAP
        d, p = _blank(d), _blank(p)
    dlat = p.onset_latency_ms - d.onset_latency_ms
    if not math.isfinite(dlat):
        dlat = math.nan
    elif dlat <= 0:
        reasons.append(
            f"proximal onset {p.onset_latency_ms:.2f} ms not later than distal {d.onset_latency_ms:.2f} ms "
            "(sites out of distal->proximal order?)"
        )
    cv = length / dlat if math.isfinite(length) and math.isfinite(dlat) and dlat > 0 else math.nan
    ents = []
    for prev, s in zip(prev_sites, spanned, strict=True):
        e = entrapment_site(nerve, s.segment, entrapment_sites, from_site=prev.name, to_site=s.name)
        if e is not None and e not in ents:
            ents.append(e)
    amp_d, amp_p = d.neg_peak_amp_mv, p.neg_peak_amp_mv
    return Segment(
        from_site=d.name,
        to_site=p.name,
        kind=kind,
        label=" + ".join(labels),
        length_mm=length,
        latency_diff_ms=dlat,
        cv_m_s=cv,
        amp_reduction_pct=_reduction(amp_d, amp_p),
        p2p_reduction_pct=_reduction(d.peak_to_peak_amp_mv, p.peak_to_peak_amp_mv),
        area_reduction_pct=_reduction(d.neg_area_mv_ms, p.neg_area_mv_ms),
        duration_increase_pct=_increase(d.neg_duration_ms, p.neg_duration_ms),
        entrapment=bool(ents),
        reason="; ".join(reasons),
        total_duration_increase_pct=_increase(d.total_duration_ms, p.total_duration_ms),
        amp_ratio=amp_p / amp_d
        if math.isfinite(amp_d) and amp_d > 0 and math.isfinite(amp_p)
        else math.nan,
        distal_amp_mv=amp_d,
        entrapment_site=", ".join(e.name for e in ents) or None,
        entrapment_verified=all(e.verified for e in ents) if ents else True,
        spans=labels,
    )


def compute_segments(
    sites: Sequence[SiteValues],
    *,
    nerve: str,
    entrapment_sites: Sequence[EntrapmentSite] = ENTRAPMENT_SITES,
) -> tuple[Segment, ...]:
    """Compare every consecutive pair of sites and every site (from the third) with the most distal.

    Parameters
    ----------
    sites : sequence of SiteValues
        Sites ordered distal -> proximal.
    nerve : str
        Nerve name (for the entrapment sites).
    entrapment_sites : sequence of EntrapmentSite
        The entrapment list (default :data:`ENTRAPMENT_SITES`).

    Returns
    -------
    tuple of Segment
        Consecutive segments first (distal to proximal), then the vs-distal ones; empty for a nerve
        with fewer than two sites.
    """
    sites = list(sites)
    for i, s in enumerate(sites):
        if not isinstance(s, SiteValues):
            raise ParameterError(f"sites[{i}]: expected SiteValues, got {type(s).__name__}")
    out = [
        _compare(
            sites[i - 1],
            sites[i],
            "consecutive",
            spanned=[sites[i]],
            prev_sites=[sites[i - 1]],
            nerve=nerve,
            entrapment_sites=entrapment_sites,
        )
        for i in range(1, len(sites))
    ]
    out += [
        _compare(
            sites[0],
            sites[i],
            "vs_distal",
            spanned=sites[1 : i + 1],
            prev_sites=sites[:i],
            nerve=nerve,
            entrapment_sites=entrapment_sites,
        )
        for i in range(2, len(sites))
    ]
    return tuple(out)
