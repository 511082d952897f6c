"""Normal limits as data, and comparisons with them as findings (``docs/normative.md``).

Every limit is a frozen :class:`NormalLimit` that carries its source, statistic, muscle/montage,
distance and filter (None where the source, as available to ncs_emg, does not say). The shipped tables
are marked ``verified=False``: their numbers come from secondary summaries of the primary sources
(``docs/normative.md`` says which); labs should load their own table (:func:`normative_table_from_json`,
:func:`normative_table_from_toml`).

Height adjustment is a mechanism (:class:`HeightAdjustment`: ``limit(h) = value + slope * (h - ref)``);
ncs_emg ships no height formula, because none has been verified, and never invents one. A lab that has
one puts it in its table.

Comparisons return :class:`~ncs_emg.findings.Finding` objects (rule, met True/False/None, value,
threshold, unit, reason, source) for the criteria module to consume. A missing input gives ``met=None`` with a reason,
never a silent "normal".

This module reads no files: pass the text of a JSON/TOML table (the CLI reads files).
"""

from __future__ import annotations

import json
import math
import sys
from dataclasses import dataclass
from typing import Any

from ._units import to_internal_factor
from .errors import FormatError, ParameterError, UnitError
from .findings import Finding

__all__ = [
    "NormalLimit",
    "HeightAdjustment",
    "NormativeTable",
    "MEASURES",
    "BUSCHBACHER_AANEM",
    "NOBREGA_2004_FWAVES",
    "DEFAULT_TABLE",
    "normative_table_from_dict",
    "normative_table_from_json",
    "normative_table_from_toml",
    "parse_toml",
    "evaluate_min_f_latency",
    "evaluate_f_absent",
]

#: Measures a limit can describe, with their internal unit and the quantity used for conversion.
MEASURES: dict[str, tuple[str, str | None]] = {
    "dml_ms": ("ms", "time"),
    "amplitude_mv": ("mV", "voltage"),
    "cv_m_s": ("m/s", "velocity"),
    "min_f_latency_ms": ("ms", "time"),
    "f_persistence_pct": ("%", None),
    "f_chronodispersion_ms": ("ms", "time"),
}
_KINDS = ("upper", "lower", "mean_sd")


@dataclass(frozen=True)
class HeightAdjustment:
    """A linear height adjustment of a limit: ``value(h) = value + slope_per_cm * (h - reference_cm)``.

    Attributes
    ----------
    reference_height_cm : float, cm
        Height at which the table's value applies.
    slope_per_cm : float, (unit of the limit) per cm
        Change of the limit per cm of height.
    source : str
        Where the formula comes from.
    verified : bool
        Whether the formula was checked against its primary source.
    min_height_cm, max_height_cm : float or None, cm
        Heights outside this range are not evaluable with the formula.
    """

    reference_height_cm: float
    slope_per_cm: float
    source: str
    verified: bool = False
    min_height_cm: float | None = None
    max_height_cm: float | None = None


@dataclass(frozen=True)
class NormalLimit:
    """One normal limit.

    Attributes
    ----------
    nerve : str
        Nerve name as in :class:`~ncs_emg.types.Nerve` (lower case, ``"peroneal"`` for fibular).
    measure : str
        One of :data:`MEASURES` (``dml_ms``, ``amplitude_mv``, ``cv_m_s``, ``min_f_latency_ms``,
        ``f_persistence_pct``, ``f_chronodispersion_ms``).
    kind : str
        ``"upper"`` (ULN), ``"lower"`` (LLN) or ``"mean_sd"`` (reference mean with ``sd``).
    value : float
        The limit (or mean) in the measure's internal unit (``unit``).
    unit : str
        ``ms``, ``mV``, ``m/s`` or ``%``.
    statistic : str
        What the value is (e.g. ``"ULN, all subjects"``, ``"mean"``).
    source : str
        Citation.
    muscle : str or None
        Recording muscle / montage (e.g. ``"APB"``).
    segment : str or None
        Segment the limit applies to (e.g. ``"across elbow"``), None for the whole nerve.
    distance_mm : float or None, mm
        Distal distance of the protocol, when the source states it.
    filter : str or None
        Filter settings of the protocol, when the source states them.
    sd : float or None
        Standard deviation (``mean_sd`` kind), in ``unit``.
    population : str or None
        Who the value describes (age, height strata).
    height_adjustment : HeightAdjustment or None
        Height dependence, when the table provides one.
    verified : bool
        Whether ncs_emg checked the number against the primary source.
    note : str
        Free text (caveats).
    """

    nerve: str
    measure: str
    kind: str
    value: float
    unit: str
    statistic: str
    source: str
    muscle: str | None = None
    segment: str | None = None
    distance_mm: float | None = None
    filter: str | None = None
    sd: float | None = None
    population: str | None = None
    height_adjustment: HeightAdjustment | None = None
    verified: bool = False
    note: str = ""

    def value_at(self, height_cm: float | None = None) -> tuple[float | None, str]:
        """The limit for a subject of ``height_cm`` and how it was obtained.

        Returns ``(value, how)``; ``value`` is None when a height adjustment exists but the height is
        outside its range. Without a height (or without an adjustment) the table value is returned and
        ``how`` says so.
        """
        adj = self.height_adjustment
        if adj is None:
            return self.value, "table value (no height adjustment in this table)"
        if height_cm is None or (isinstance(height_cm, float) and math.isnan(height_cm)):
            return self.value, "table value (height unknown; not height-adjusted)"
        h = float(height_cm)
        if (adj.min_height_cm is not None and h < adj.min_height_cm) or (
            adj.max_height_cm is not None and h > adj.max_height_cm
        ):
            return None, (
                f"height {h:g} cm outside the adjustment's range "
                f"[{adj.min_height_cm}, {adj.max_height_cm}] cm"
            )
        v = self.value + adj.slope_per_cm * (h - adj.reference_height_cm)
        flag = "" if adj.verified else ", unverified formula"
        return v, f"height-adjusted for {h:g} cm ({adj.source}{flag})"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (the layout :func:`normative_table_from_dict` reads)."""
        d = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "height_adjustment"}
        if self.height_adjustment is not None:
            ha = self.height_adjustment
            d["height_adjustment"] = {k: getattr(ha, k) for k in ha.__dataclass_fields__}
        return d


@dataclass(frozen=True)
class NormativeTable:
    """A set of normal limits with a name and a source.

    Attributes
    ----------
    name : str
        Table name.
    source : str
        Citation of the table as a whole.
    limits : tuple of NormalLimit
        The limits.
    """

    name: str
    source: str
    limits: tuple[NormalLimit, ...] = ()

    def get(
        self, nerve: str, measure: str, *, kind: str | None = None, segment: str | None = None
    ) -> NormalLimit | None:
        """The limit for ``nerve`` / ``measure`` (and ``kind``, ``segment``), or None.

        A segment-specific limit is preferred when ``segment`` matches; otherwise the whole-nerve limit.
        ``"fibular"`` is looked up as ``"peroneal"``.
        """
        from .types import NERVE_ALIASES

        nv = str(nerve).strip().lower()
        nv = NERVE_ALIASES.get(nv, nv)
        cands = [
            lim
            for lim in self.limits
            if lim.nerve == nv and lim.measure == measure and (kind is None or lim.kind == kind)
        ]
        if segment is not None:
            for lim in cands:
                if lim.segment is not None and lim.segment == segment:
                    return lim
        for lim in cands:
            if lim.segment is None:
                return lim
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (round-trips through :func:`normative_table_from_dict`)."""
        return {
            "name": self.name,
            "source": self.source,
            "limits": [lim.to_dict() for lim in self.limits],
        }


# ---- shipped tables ---------------------------------------------------------------------------------

_BUSCH_SRC = (
    "Buschbacher 1999 series as selected by the AANEM Normative Data Task Force (Chen et al., "
    "Muscle Nerve 2016;54:371); all-subjects cut-offs from a secondary summary (unverified)"
)
_BUSCH_NOTE = "the task force gives age and height strata that are not encoded here"


def _busch(
    nerve: str, muscle: str, measure: str, kind: str, value: float, **kw: Any
) -> NormalLimit:
    unit = MEASURES[measure][0]
    stat = ("ULN" if kind == "upper" else "LLN") + ", all subjects"
    return NormalLimit(
        nerve=nerve,
        measure=measure,
        kind=kind,
        value=value,
        unit=unit,
        statistic=stat,
        source=_BUSCH_SRC,
        muscle=muscle,
        population="adults, all subjects (no age/height stratum)",
        verified=False,
        note=_BUSCH_NOTE,
        **kw,
    )


#: Default motor limits (DML ULN, amplitude LLN, CV LLN, minimal F latency ULN; ``docs/normative.md``).
BUSCHBACHER_AANEM = NormativeTable(
    name="buschbacher-aanem",
    source=_BUSCH_SRC,
    limits=(
        _busch("median", "APB", "dml_ms", "upper", 4.5),
        _busch("median", "APB", "amplitude_mv", "lower", 4.1),
        _busch("median", "APB", "cv_m_s", "lower", 49.0),
        _busch("median", "APB", "min_f_latency_ms", "upper", 31.6),
        _busch("ulnar", "ADM", "dml_ms", "upper", 3.7),
        _busch("ulnar", "ADM", "amplitude_mv", "lower", 7.9),
        _busch("ulnar", "ADM", "cv_m_s", "lower", 52.0),
        _busch("ulnar", "ADM", "cv_m_s", "lower", 43.0, segment="across elbow"),
        _busch("ulnar", "ADM", "min_f_latency_ms", "upper", 31.5),
        _busch("peroneal", "EDB", "dml_ms", "upper", 6.5),
        _busch("peroneal", "EDB", "amplitude_mv", "lower", 1.3),
        _busch("peroneal", "EDB", "cv_m_s", "lower", 38.0),
        _busch("peroneal", "EDB", "min_f_latency_ms", "upper", 61.2),
        _busch("tibial", "AH", "dml_ms", "upper", 6.1),
        _busch("tibial", "AH", "amplitude_mv", "lower", 4.4),
        _busch("tibial", "AH", "cv_m_s", "lower", 39.0),
        _busch("tibial", "AH", "min_f_latency_ms", "upper", 61.4),
    ),
)

_NOB_SRC = (
    "Nobrega et al., Clin Neurophysiol 2004 (32 stimuli), values from a secondary summary "
    "(primary not checked by ncs_emg)"
)


def _nob(nerve: str, measure: str, mean: float, sd: float) -> NormalLimit:
    return NormalLimit(
        nerve=nerve,
        measure=measure,
        kind="mean_sd",
        value=mean,
        sd=sd,
        unit=MEASURES[measure][0],
        statistic="mean and SD",
        source=_NOB_SRC,
        population="healthy adults",
        verified=False,
        note="32 stimuli per train",
    )


#: F-wave reference values (mean ± SD; ``docs/normative.md``).
NOBREGA_2004_FWAVES = NormativeTable(
    name="nobrega-2004-fwaves",
    source=_NOB_SRC,
    limits=(
        _nob("ulnar", "f_persistence_pct", 83.0, 19.0),
        _nob("ulnar", "min_f_latency_ms", 26.5, 2.1),
        _nob("ulnar", "f_chronodispersion_ms", 3.9, 0.9),
        _nob("tibial", "f_persistence_pct", 97.0, 5.0),
        _nob("tibial", "min_f_latency_ms", 47.0, 4.1),
        _nob("tibial", "f_chronodispersion_ms", 5.5, 1.4),
    ),
)

#: The default limits used by the comparisons (Buschbacher/AANEM).
DEFAULT_TABLE = BUSCHBACHER_AANEM


# ---- loading a lab's own table ----------------------------------------------------------------------


def _req(d: dict, key: str, where: str) -> Any:
    if key not in d or d[key] is None:
        raise FormatError(f"{where}.{key}: required field missing")
    return d[key]


def _str(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise FormatError(f"{where}: expected a non-empty string, got {v!r}")
    return v.strip()


def _opt_str(v: Any, where: str) -> str | None:
    return None if v is None else _str(v, where)


def _num(v: Any, where: str, *, positive: bool = False) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise FormatError(f"{where}: expected a number, got {v!r}")
    f = float(v)
    if not math.isfinite(f):
        raise FormatError(f"{where}: expected a finite number, got {v!r}")
    if positive and f <= 0:
        raise FormatError(f"{where}: must be > 0, got {v!r}")
    return f


def _opt_num(v: Any, where: str, *, positive: bool = False) -> float | None:
    return None if v is None else _num(v, where, positive=positive)


def _bool(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise FormatError(f"{where}: expected true or false, got {v!r}")
    return v


_LIMIT_FIELDS = {
    "nerve",
    "measure",
    "kind",
    "value",
    "unit",
    "statistic",
    "source",
    "muscle",
    "montage",
    "segment",
    "distance_mm",
    "filter",
    "sd",
    "population",
    "height_adjustment",
    "verified",
    "note",
}


def _unit_factor(d: dict, measure: str, where: str) -> float:
    """Factor from the limit's ``unit`` to the measure's internal unit (ms, mV, m/s; % as is)."""
    unit_internal, quantity = MEASURES[measure]
    unit = _str(d.get("unit", unit_internal), f"{where}.unit")
    if quantity is None:
        if unit != unit_internal:
            raise FormatError(f"{where}.unit: {measure} is in {unit_internal!r}, got {unit!r}")
        return 1.0
    try:
        return to_internal_factor(unit, quantity, where=f"{where}.unit")
    except UnitError as exc:
        raise FormatError(str(exc)) from exc


def _height_adjustment(ha: Any, factor: float, hw: str) -> HeightAdjustment | None:
    """The optional ``height_adjustment`` table of a limit (slope converted by ``factor``)."""
    if ha is None:
        return None
    if not isinstance(ha, dict):
        raise FormatError(f"{hw}: expected a table/object, got {type(ha).__name__}")
    return HeightAdjustment(
        reference_height_cm=_num(
            _req(ha, "reference_height_cm", hw), f"{hw}.reference_height_cm", positive=True
        ),
        slope_per_cm=_num(_req(ha, "slope_per_cm", hw), f"{hw}.slope_per_cm") * factor,
        source=_str(_req(ha, "source", hw), f"{hw}.source"),
        verified=_bool(ha.get("verified", False), f"{hw}.verified"),
        min_height_cm=_opt_num(ha.get("min_height_cm"), f"{hw}.min_height_cm"),
        max_height_cm=_opt_num(ha.get("max_height_cm"), f"{hw}.max_height_cm"),
    )


def _limit_identity(d: Any, where: str) -> tuple[str, str, str]:
    """Nerve (alias resolved), measure and kind of a limit, each checked against what is valid."""
    if not isinstance(d, dict):
        raise FormatError(f"{where}: expected a table/object, got {type(d).__name__}")
    extra = sorted(set(d) - _LIMIT_FIELDS)
    if extra:
        raise FormatError(
            f"{where}: unknown field(s) {extra}; valid fields: {sorted(_LIMIT_FIELDS)}"
        )
    from .types import NERVE_ALIASES

    nerve = _str(_req(d, "nerve", where), f"{where}.nerve").lower()
    nerve = NERVE_ALIASES.get(nerve, nerve)
    measure = _str(_req(d, "measure", where), f"{where}.measure")
    if measure not in MEASURES:
        raise FormatError(f"{where}.measure: invalid value {measure!r}; valid: {sorted(MEASURES)}")
    kind = _str(_req(d, "kind", where), f"{where}.kind")
    if kind not in _KINDS:
        raise FormatError(f"{where}.kind: invalid value {kind!r}; valid: {list(_KINDS)}")
    return nerve, measure, kind


def _limit_from_dict(d: Any, where: str, default_source: str | None) -> NormalLimit:
    nerve, measure, kind = _limit_identity(d, where)
    value = _num(_req(d, "value", where), f"{where}.value")
    factor = _unit_factor(d, measure, where)
    sd = _opt_num(d.get("sd"), f"{where}.sd")
    if kind == "mean_sd" and sd is None:
        raise FormatError(f"{where}.sd: required when kind is 'mean_sd'")
    if sd is not None and sd < 0:
        raise FormatError(f"{where}.sd: must be >= 0, got {sd!r}")
    source = d.get("source", default_source)
    if source is None:
        raise FormatError(f"{where}.source: required field missing (and no table-level source)")
    return NormalLimit(
        nerve=nerve,
        measure=measure,
        kind=kind,
        value=value * factor,
        unit=MEASURES[measure][0],
        statistic=_str(_req(d, "statistic", where), f"{where}.statistic"),
        source=_str(source, f"{where}.source"),
        muscle=_opt_str(d.get("muscle", d.get("montage")), f"{where}.muscle"),
        segment=_opt_str(d.get("segment"), f"{where}.segment"),
        distance_mm=_opt_num(d.get("distance_mm"), f"{where}.distance_mm", positive=True),
        filter=_opt_str(d.get("filter"), f"{where}.filter"),
        sd=None if sd is None else sd * factor,
        population=_opt_str(d.get("population"), f"{where}.population"),
        height_adjustment=_height_adjustment(
            d.get("height_adjustment"), factor, f"{where}.height_adjustment"
        ),
        verified=_bool(d.get("verified", False), f"{where}.verified"),
        note=str(d.get("note", "")),
    )


def normative_table_from_dict(d: Any, *, where: str = "table") -> NormativeTable:
    """Build a :class:`NormativeTable` from a parsed JSON/TOML document.

    Layout: ``{"name": str, "source": str, "limits": [ {nerve, measure, kind, value, unit, statistic,
    source?, muscle|montage?, segment?, distance_mm?, filter?, sd?, population?, height_adjustment?,
    verified?, note?}, ... ]}``. Units are converted to ms, mV, m/s (``%`` for persistence); a
    limit's ``source`` defaults to the table's.

    Raises
    ------
    FormatError
        Naming the field (``limits[3].value``), the bad value and what is valid.
    """
    if not isinstance(d, dict):
        raise FormatError(
            f"{where}: expected a table/object at the top level, got {type(d).__name__}"
        )
    name = _str(_req(d, "name", where), f"{where}.name")
    source = _str(_req(d, "source", where), f"{where}.source")
    lims = _req(d, "limits", where)
    if not isinstance(lims, list) or not lims:
        raise FormatError(f"{where}.limits: expected a non-empty list of limits, got {lims!r}")
    limits = tuple(_limit_from_dict(x, f"{where}.limits[{i}]", source) for i, x in enumerate(lims))
    return NormativeTable(name=name, source=source, limits=limits)


def normative_table_from_json(text: str | bytes, *, where: str = "table") -> NormativeTable:
    """Parse a lab's table from JSON text (see :func:`normative_table_from_dict`)."""
    try:
        d = json.loads(text)
    except (ValueError, TypeError) as exc:
        raise FormatError(f"{where}: not valid JSON ({exc})") from exc
    return normative_table_from_dict(d, where=where)


def parse_toml(text: str, *, where: str = "table") -> dict[str, Any]:
    """Parse TOML text (``tomllib``; ``tomli`` on Python 3.10), errors as :class:`FormatError`.

    Parameters
    ----------
    text : str
        The TOML document.
    where : str
        Name of the file/document for error messages.

    Returns
    -------
    dict

    Raises
    ------
    FormatError
        When the text is not valid TOML (the message names ``where`` and the parser's position).
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - exercised on Python 3.10 only
        import tomli as tomllib

    try:
        return tomllib.loads(text)
    except (tomllib.TOMLDecodeError, TypeError) as exc:
        raise FormatError(f"{where}: not valid TOML ({exc})") from exc


def normative_table_from_toml(text: str, *, where: str = "table") -> NormativeTable:
    """Parse a lab's table from TOML text (see :func:`normative_table_from_dict`); limits as ``[[limits]]``."""
    d = parse_toml(text, where=where)
    return normative_table_from_dict(d, where=where)


# ---- findings ---------------------------------------------------------------------------------------


def _present(v: float | None) -> float | None:
    """``v`` as a float, or None when it is missing (None or NaN)."""
    if v is None:
        return None
    f = float(v)
    return None if math.isnan(f) else f


def evaluate_min_f_latency(
    min_latency_ms: float | None,
    limit: NormalLimit | None,
    *,
    percent_of_uln: float = 100.0,
    inclusive: bool = False,
    height_cm: float | None = None,
    interpretable: bool | None = True,
    reason: str = "",
    rule: str = "f_latency_prolonged",
    rule_source: str = "",
) -> Finding:
    """Minimal F latency prolonged, as a percentage of the upper limit of normal.

    ``value = 100 * min_latency_ms / ULN`` (% ULN); met when ``value > percent_of_uln`` (``>=`` with
    ``inclusive``). The comparison is made on ``value`` rounded to 9 decimals, so that a latency equal
    to ``ULN * percent_of_uln / 100`` in decimal terms (37.8 ms = 120 % of 31.5 ms) counts as equal and
    not as 119.99999999999999 %. Criteria sets use for example 120 % (AAN 1991), 130 % (EFNS/PNS 2010 "≥ 30 % above
    ULN", inclusive) or 150 % (``docs/criteria.md``).

    Parameters
    ----------
    min_latency_ms : float or None, ms
        Minimal F latency (None/NaN: no F-wave → not evaluable here; see :func:`evaluate_f_absent`).
    limit : NormalLimit or None
        The ``min_f_latency_ms`` upper limit for the nerve (None → not evaluable).
    percent_of_uln : float, %
        Threshold in % of ULN.
    inclusive : bool
        ``>=`` instead of ``>``.
    height_cm : float or None, cm
        Subject height, used when the limit has a height adjustment.
    interpretable, reason : bool or None, str
        ``FWaveMeasures.interpretable`` and ``.reason``: a train that is not interpretable gives
        ``met=None`` with its reason.
    rule, rule_source : str
        Identification of the calling rule (defaults describe the plain comparison).

    Returns
    -------
    Finding

    Raises
    ------
    ParameterError
        For a negative or infinite ``min_latency_ms`` (NaN/None means "no F-wave" and is not
        evaluable), or a non-finite or non-positive ``percent_of_uln``.
    """
    pct = float(percent_of_uln)
    if not math.isfinite(pct) or pct <= 0:
        raise ParameterError(
            f"percent_of_uln: expected a finite number > 0, got {percent_of_uln!r}"
        )
    lat = _present(min_latency_ms)
    if lat is not None and (not math.isfinite(lat) or lat < 0):
        raise ParameterError(
            f"min_latency_ms: expected a finite latency >= 0 ms (None/NaN: no F-wave), "
            f"got {min_latency_ms!r}"
        )
    unit = "% ULN"
    src = rule_source or (limit.source if limit is not None else "")
    if interpretable is False:
        why = "F-wave train not interpretable" + (f": {reason}" if reason else "")
        return Finding(rule, None, None, pct, unit, why, src)
    if lat is None:
        return Finding(
            rule, None, None, pct, unit, "no minimal F latency (no F-wave measured)", src
        )
    if limit is None:
        return Finding(rule, None, None, pct, unit, "no upper limit for the minimal F latency", src)
    if limit.measure != "min_f_latency_ms" or limit.kind != "upper":
        raise ParameterError(
            f"limit: expected an upper limit of min_f_latency_ms, got {limit.kind} {limit.measure}"
        )
    uln, how = limit.value_at(height_cm)
    if uln is None:
        return Finding(rule, None, None, pct, unit, f"limit not evaluable: {how}", src)
    value = 100.0 * lat / uln
    v9 = round(value, 9)  # 37.8 / 31.5 * 100 = 119.99999999999999 must equal 120
    met = v9 >= pct if inclusive else v9 > pct
    rel = ">=" if inclusive else ">"
    reason = (
        f"minimal F latency {lat:.2f} ms = {value:.1f} % of ULN {uln:.2f} ms ({how}); "
        f"prolonged when {rel} {pct:g} %"
    )
    details = {"min_latency_ms": lat, "uln_ms": uln, "limit_source": limit.source}
    return Finding(rule, bool(met), value, pct, unit, reason, src, details=details)


def evaluate_f_absent(
    persistence_pct: float | None,
    distal_cmap_mv: float | None,
    amplitude_limit: NormalLimit | None,
    *,
    interpretable: bool | None = True,
    min_pct_lln: float = 20.0,
    rule: str = "f_waves_absent",
    rule_source: str = "",
) -> Finding:
    """F-waves absent, evaluable only when the distal CMAP is at least ``min_pct_lln`` % of its LLN.

    ``docs/fwaves.md``: do not interpret absent F-waves when the distal CMAP is very small (below
    20 % of the lower limit); EFNS/PNS 2010: "absent F-waves with distal CMAP >= 20 % LLN".

    Parameters
    ----------
    persistence_pct : float or None, %
        F persistence of the train (None/NaN → not evaluable).
    distal_cmap_mv : float or None, mV
        Distal CMAP negative-peak amplitude (None/NaN → not evaluable).
    amplitude_limit : NormalLimit or None
        The nerve's ``amplitude_mv`` lower limit (None → not evaluable).
    interpretable : bool or None
        ``FWaveMeasures.interpretable`` (False → not evaluable).
    min_pct_lln : float, %
        Floor of the distal CMAP in % of LLN (evaluable when >=).

    Returns
    -------
    Finding
        ``value`` = persistence (%), ``threshold`` = 0 %: met when no sweep had an F-wave. When F-waves
        are present (persistence > 0) the finding is ``met=False`` whatever the distal CMAP: the
        20 %-of-LLN floor only guards the interpretation of *absent* F-waves.

    Raises
    ------
    ParameterError
        For a persistence outside [0, 100] % or a negative (or infinite) distal CMAP amplitude.
    """
    per = _present(persistence_pct)
    if per is not None and not 0.0 <= per <= 100.0:
        raise ParameterError(
            f"persistence_pct: expected a percentage in [0, 100], got {persistence_pct!r}"
        )
    amp = _present(distal_cmap_mv)
    if amp is not None and (not math.isfinite(amp) or amp < 0):
        raise ParameterError(
            f"distal_cmap_mv: expected an amplitude >= 0 mV (None/NaN: unknown), "
            f"got {distal_cmap_mv!r}"
        )
    unit = "%"
    src = rule_source or (amplitude_limit.source if amplitude_limit is not None else "")
    none = lambda why: Finding(rule, None, None, 0.0, unit, why, src)  # noqa: E731
    if interpretable is False:
        return none("F-wave train not interpretable")
    if per is None:
        return none("no F-wave persistence (train not analysed)")
    if per > 0.0:  # F-waves present: not absent, whatever the CMAP size
        return Finding(
            rule,
            False,
            per,
            0.0,
            unit,
            f"F persistence {per:.0f} %: F-waves present, not absent",
            src,
            details={} if amp is None else {"distal_cmap_mv": amp},
        )
    if amp is None:
        return none("distal CMAP amplitude unknown: absent F-waves cannot be interpreted")
    if amplitude_limit is None:
        return none("no lower limit for the distal CMAP amplitude")
    if amplitude_limit.measure != "amplitude_mv" or amplitude_limit.kind != "lower":
        raise ParameterError(
            f"amplitude_limit: expected a lower limit of amplitude_mv, got "
            f"{amplitude_limit.kind} {amplitude_limit.measure}"
        )
    lln = amplitude_limit.value
    pct_lln = 100.0 * amp / lln
    details = {
        "distal_cmap_mv": amp,
        "lln_mv": lln,
        "distal_pct_lln": pct_lln,
        "limit_source": amplitude_limit.source,
    }
    if round(pct_lln, 9) < min_pct_lln:  # robust at the exact boundary (as for the F latency)
        return Finding(
            rule,
            None,
            per,
            0.0,
            unit,
            f"distal CMAP {amp:.2f} mV = {pct_lln:.1f} % of LLN {lln:g} mV < "
            f"{min_pct_lln:g} %: absent F-waves not interpretable",
            src,
            details=details,
        )
    met = per == 0.0
    reason = (
        f"F persistence {per:.0f} %"
        + (" (no F-wave on any sweep)" if met else "")
        + f"; distal CMAP {pct_lln:.0f} % of LLN (>= {min_pct_lln:g} %)"
    )
    return Finding(rule, met, per, 0.0, unit, reason, src, details=details)


def required_f_sweep_end_ms(
    nerve: str, table: NormativeTable | None = None, *, percent_of_uln: float = 150.0
) -> float | None:
    """The latest time an F-wave search must reach for a train of ``nerve`` to be read (ms).

    Sweeps that end earlier cannot show a prolonged, or even a normal, minimal F latency: pass the
    result as ``min_sweep_end_ms`` to :func:`ncs_emg.fwave.measure_nerve_fwaves` (the F-wave analysis
    then marks such trains not interpretable). It is ``percent_of_uln`` % of the nerve's upper limit
    of normal for the minimal F latency in ``table``: CIDP criteria count F latencies up to 150 % of
    the ULN (see ``docs/fwaves.md``, "When a train is not interpretable").

    Parameters
    ----------
    nerve : str
        Nerve name as in the table (``"ulnar"``, ``"tibial"``, ...).
    table : NormativeTable or None
        Normal limits (default :data:`DEFAULT_TABLE`).
    percent_of_uln : float, %
        Multiple of the ULN the search must reach (150).

    Returns
    -------
    float or None, ms
        None when the table has no minimal-F-latency upper limit for ``nerve`` (not checked).

    Raises
    ------
    ParameterError
        For a ``percent_of_uln`` that is not a positive finite number.

    Examples
    --------
    >>> required_f_sweep_end_ms("ulnar")
    47.25
    """
    if isinstance(percent_of_uln, bool) or not isinstance(percent_of_uln, (int, float)):
        raise ParameterError(f"percent_of_uln: expected a number, got {percent_of_uln!r}")
    if not (math.isfinite(percent_of_uln) and percent_of_uln > 0):
        raise ParameterError(f"percent_of_uln: expected a positive number, got {percent_of_uln!r}")
    lim = (DEFAULT_TABLE if table is None else table).get(nerve, "min_f_latency_ms", kind="upper")
    return None if lim is None else percent_of_uln / 100.0 * lim.value
