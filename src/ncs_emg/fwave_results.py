"""F-wave result objects: one train (:class:`FWaveMeasures`), many trains (:class:`FWaveTrains`).

Every per-sweep and per-train field of :class:`FWaveMeasures` carries metadata (unit, description,
short table header, kind) from which :meth:`FWaveMeasures.sweep`, :meth:`FWaveMeasures.summary`,
:meth:`FWaveMeasures.to_dict`, the CSV columns and the CLI's table headers are derived
(:func:`fwave_columns`), as for the CMAP results (``ncs_emg.cmap_results``). Definitions and the
procedure: ``docs/fwaves.md``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from .cmap_results import result_field
from .errors import ParameterError

__all__ = [
    "AWave",
    "RepeaterGroup",
    "FWaveMeasures",
    "FWaveTrains",
    "fwave_columns",
    "FWAVE_SWEEP_NAMES",
    "FWAVE_SUMMARY_NAMES",
]


@dataclass(frozen=True)
class AWave:
    """An A-wave: a late component with the same latency and shape on most sweeps.

    Attributes
    ----------
    onset_latency_ms : float, ms
        Onset on the mean sweep.
    window_ms : (float, float), ms
        The window [start, stop) excluded from the F search on every sweep.
    match_pct : float, %
        Percentage of the sweeps on which it matched (latency and shape).
    """

    onset_latency_ms: float
    window_ms: tuple[float, float]
    match_pct: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "onset_latency_ms": _json(self.onset_latency_ms),
            "window_ms": [_json(v) for v in self.window_ms],
            "match_pct": _json(self.match_pct),
        }


@dataclass(frozen=True)
class RepeaterGroup:
    """Sweeps whose F-waves are identical by the repeater rule (joined transitively).

    Attributes
    ----------
    sweeps : tuple of int
        Sweep indices, ascending (at least two).
    peak_latency_ms : float, ms
        Mean F-peak latency of the group.
    """

    sweeps: tuple[int, ...]
    peak_latency_ms: float

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"sweeps": list(self.sweeps), "peak_latency_ms": _json(self.peak_latency_ms)}


@dataclass(frozen=True, eq=False)
class FWaveMeasures:
    """F-wave measures of one train. Per-sweep arrays have shape (n_sweeps,) and are read-only.

    Units and meanings of every field are also in :func:`fwave_columns`; ``sweep(i)`` gives one
    sweep's values, ``summary()`` the train's.

    Attributes
    ----------
    present : ndarray of bool
        The sweep holds an F-wave (peak-to-peak of the smoothed sweep over the F window, A-wave
        windows excluded, at least ``detection_threshold_mv``).
    onset_latency_ms : ndarray, ms
        F onset relative to the stimulus; NaN when absent, hidden or not found.
    peak_to_peak_amp_mv : ndarray, mV
        Peak-to-peak amplitude over the F window (computed on every sweep; meaningful when present).
    peak_latency_ms : ndarray, ms
        Time of the largest deviation from the sweep's baseline in the F window (NaN when absent).
    onset_hidden : ndarray of bool
        Present, but the response was already under way at the F-window start or at the edge of an
        A-wave window (or no deflection held the onset threshold): latency NaN.
    repeater : ndarray of bool
        The F-wave is identical (repeater rule) to the F-wave of at least one other sweep.
    repeater_group : ndarray of int
        Smallest sweep index of the repeater group, -1 when not a repeater.
    noise_mv : ndarray, mV
        Noise of the sweep over the F window (lower-quartile block RMS of the smoothed sweep).
    n_sweeps, n_present : int
        Sweeps analysed; sweeps with an F-wave.
    persistence_pct : float, %
        100 * n_present / n_sweeps (NaN when there was no F window to search).
    min_latency_ms, mean_latency_ms, median_latency_ms, max_latency_ms : float, ms
        Over the sweeps with a measured latency; NaN when none.
    chronodispersion_ms : float, ms
        max_latency_ms - min_latency_ms.
    mean_peak_to_peak_amp_mv, max_peak_to_peak_amp_mv : float, mV
        Over the sweeps with an F-wave.
    f_m_ratio_pct, max_f_m_ratio_pct : float, %
        100 * mean (max) F amplitude / ``m_amplitude_mv``.
    repeater_pct : float, %
        100 * repeater sweeps / sweeps with an F-wave (NaN when none).
    m_onset_latency_ms : float, ms
        M-wave onset on the mean sweep.
    m_amplitude_mv : float, mV
        M-wave amplitude used for the F/M ratios and the size check (``m_amplitude_source``).
    m_end_ms : float, ms
        End of the M-wave and its tail (start of the guard window).
    train_noise_mv : float, mV
        Median of the sweeps' ``noise_mv``.
    detection_threshold_mv, onset_threshold_mv, band_mv : float, mV
        Effective peak-to-peak threshold, onset threshold and baseline band.
    f_window_ms : (float, float), ms
        The F search window [start, stop).
    a_waves : tuple of AWave
        A-waves found (excluded from the F statistics).
    repeater_groups : tuple of RepeaterGroup
        Groups of identical F-waves.
    m_amplitude_source : str
        ``"measured peak-to-peak of the mean sweep"`` or ``"given"``.
    interpretable : bool
        False when the train cannot support a clinical reading (see ``reason``).
    reason : str
        Why it is not interpretable ("" when it is).
    parameters : FWaveParams
        The options used (``to_dict()`` adds the sampling rate, ``t0_ms`` and the given M end and
        amplitude).
    sfreq_hz : float, Hz
    t0_ms : float, ms
    given : dict
        ``m_end_ms`` and ``m_amplitude_mv`` as passed (None when measured).
    """

    present: np.ndarray = result_field("", "the sweep holds an F-wave", "F", "sweep_flag", True)
    onset_latency_ms: np.ndarray = result_field(
        "ms", "stimulus to F onset", "onset_ms", "sweep", True
    )
    peak_to_peak_amp_mv: np.ndarray = result_field(
        "mV", "F-window peak-to-peak", "p2p_mv", "sweep", True
    )
    peak_latency_ms: np.ndarray = result_field(
        "ms", "stimulus to the largest deviation", "peak_ms", "sweep", True
    )
    onset_hidden: np.ndarray = result_field(
        "", "present, onset under way at a window edge: no latency", "hidden", "sweep_flag", True
    )
    repeater: np.ndarray = result_field(
        "", "identical to another sweep's F-wave", "rep", "sweep_flag", True
    )
    repeater_group: np.ndarray = result_field(
        "", "first sweep of the repeater group (-1: none)", "rep_group", "sweep_index"
    )
    noise_mv: np.ndarray = result_field("mV", "noise over the F window", "noise_mv", "sweep")
    n_sweeps: int = result_field("", "sweeps analysed", "sweeps", "count", True)
    n_present: int = result_field("", "sweeps with an F-wave", "F", "count", True)
    persistence_pct: float = result_field("%", "sweeps with an F-wave", "persist_%", "train", True)
    min_latency_ms: float = result_field("ms", "minimal F latency", "min_ms", "train", True)
    mean_latency_ms: float = result_field("ms", "mean F latency", "mean_ms", "train", True)
    median_latency_ms: float = result_field("ms", "median F latency", "median_ms", "train", True)
    max_latency_ms: float = result_field("ms", "maximal F latency", "max_ms", "train", True)
    chronodispersion_ms: float = result_field(
        "ms", "maximal - minimal F latency", "chrono_ms", "train", True
    )
    mean_peak_to_peak_amp_mv: float = result_field(
        "mV", "mean F amplitude (peak-to-peak)", "amp_mv", "train", True
    )
    max_peak_to_peak_amp_mv: float = result_field(
        "mV", "largest F amplitude (peak-to-peak)", "max_amp_mv", "train"
    )
    f_m_ratio_pct: float = result_field(
        "%", "mean F amplitude / M amplitude", "F/M_%", "train", True
    )
    max_f_m_ratio_pct: float = result_field(
        "%", "largest F amplitude / M amplitude", "maxF/M_%", "train"
    )
    repeater_pct: float = result_field(
        "%", "repeater sweeps / sweeps with F", "repeat_%", "train", True
    )
    m_onset_latency_ms: float = result_field(
        "ms", "M-wave onset (mean sweep)", "M_onset_ms", "train"
    )
    m_amplitude_mv: float = result_field("mV", "M-wave amplitude used", "M_amp_mv", "train")
    m_end_ms: float = result_field("ms", "end of the M-wave and its tail", "M_end_ms", "train")
    train_noise_mv: float = result_field("mV", "median sweep noise", "noise_mv", "train")
    detection_threshold_mv: float = result_field(
        "mV", "peak-to-peak detection threshold used", "thr_mv", "train"
    )
    onset_threshold_mv: float = result_field("mV", "onset threshold used", "on_thr_mv", "train")
    band_mv: float = result_field("mV", "at-baseline band used", "band_mv", "train")
    f_window_ms: tuple = (math.nan, math.nan)
    a_waves: tuple = ()
    repeater_groups: tuple = ()
    m_amplitude_source: str = ""
    interpretable: bool = False
    reason: str = ""
    parameters: Any = None
    sfreq_hz: float = math.nan
    t0_ms: float = 0.0
    given: dict = field(default_factory=dict)

    def sweep(self, i: int) -> dict[str, Any]:
        """Per-sweep values of sweep ``i`` as a flat dict of Python scalars (NaN kept)."""
        if not -self.n_sweeps <= int(i) < self.n_sweeps:
            raise ParameterError(f"i: sweep index {i} out of range for {self.n_sweeps} sweeps")
        row: dict[str, Any] = {"sweep": int(i) % self.n_sweeps}
        for c in fwave_columns("sweep"):
            row[c["name"]] = _scalar(getattr(self, c["name"])[i], c["kind"])
        return row

    def summary(self) -> dict[str, Any]:
        """Train-level values as a flat dict of Python scalars (NaN kept), A-waves as a count and a
        space-separated list of onsets, plus ``interpretable`` and ``reason``."""
        d = {
            c["name"]: _scalar(getattr(self, c["name"]), c["kind"]) for c in fwave_columns("train")
        }
        d["n_a_waves"] = len(self.a_waves)
        d["a_wave_latencies_ms"] = " ".join(f"{a.onset_latency_ms:.2f}" for a in self.a_waves)
        d["interpretable"] = self.interpretable
        d["reason"] = self.reason
        return d

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: per-sweep lists, train values, A-waves, repeater groups, parameters."""
        d: dict[str, Any] = {
            c["name"]: [_json(_scalar(v, c["kind"])) for v in getattr(self, c["name"])]
            for c in fwave_columns("sweep")
        }
        for c in fwave_columns("train"):
            d[c["name"]] = _json(_scalar(getattr(self, c["name"]), c["kind"]))
        d["f_window_ms"] = [_json(float(v)) for v in self.f_window_ms]
        d["a_waves"] = [a.to_dict() for a in self.a_waves]
        d["repeater_groups"] = [g.to_dict() for g in self.repeater_groups]
        d["m_amplitude_source"] = self.m_amplitude_source
        d["interpretable"] = self.interpretable
        d["reason"] = self.reason
        params = {} if self.parameters is None else self.parameters.to_dict()
        d["parameters"] = {
            **params,
            "sfreq_hz": self.sfreq_hz,
            "t0_ms": self.t0_ms,
            **{k: _json_value(v) for k, v in self.given.items()},
        }
        return d

    def __repr__(self) -> str:
        state = "interpretable" if self.interpretable else f"not interpretable: {self.reason}"
        return (
            f"FWaveMeasures({self.n_sweeps} sweeps, persistence {self.persistence_pct:.0f} %, "
            f"min latency {self.min_latency_ms:.2f} ms, {len(self.a_waves)} A-wave(s), {state})"
        )


def fwave_columns(kind: str | None = None, *, table: bool = False) -> list[dict[str, Any]]:
    """Fields of :class:`FWaveMeasures` with metadata, in output order: name, unit, doc, header, kind.

    ``kind="sweep"`` selects the per-sweep arrays, ``"train"`` the train values (counts included);
    ``table=True`` keeps the columns the CLI's table shows.
    """
    groups = {"sweep": ("sweep", "sweep_flag", "sweep_index"), "train": ("count", "train")}
    out = []
    for f in fields(FWaveMeasures):
        if "kind" not in f.metadata:
            continue
        if kind is not None and f.metadata["kind"] not in groups[kind]:
            continue
        if table and not f.metadata["table"]:
            continue
        out.append({"name": f.name, **f.metadata})
    return out


#: Per-sweep fields of :class:`FWaveMeasures`, in output order.
FWAVE_SWEEP_NAMES = tuple(c["name"] for c in fwave_columns("sweep"))
#: Train-level fields of :class:`FWaveMeasures` (counts and values), in output order.
FWAVE_SUMMARY_NAMES = tuple(c["name"] for c in fwave_columns("train"))


@dataclass(frozen=True, eq=False)
class FWaveTrains:
    """F-wave measures of many trains at once (arrays over trains; see :class:`FWaveMeasures`).

    ``train(i)`` gives the :class:`FWaveMeasures` of train ``i``.

    Attributes
    ----------
    per_sweep : dict of str to ndarray, shape (n_trains, n_sweeps)
        The per-sweep fields of :class:`FWaveMeasures` (``FWAVE_SWEEP_NAMES``).
    per_train : dict of str to ndarray, shape (n_trains,)
        The train fields (``FWAVE_SUMMARY_NAMES``) plus ``f_start_ms`` and ``f_stop_ms``.
    a_waves : tuple of tuple of AWave
        Per train.
    interpretable : ndarray of bool
    reasons : list of str
    m_amplitude_source : str
    parameters : FWaveParams
    sfreq_hz : float, Hz
    t0_ms : float, ms
    given : dict
        ``m_end_ms`` and ``m_amplitude_mv`` as passed.
    """

    per_sweep: dict
    per_train: dict
    a_waves: tuple
    interpretable: np.ndarray
    reasons: list
    m_amplitude_source: str
    parameters: Any
    sfreq_hz: float
    t0_ms: float
    given: dict

    @property
    def n_trains(self) -> int:
        """Number of trains."""
        return int(self.interpretable.shape[0])

    def train(self, i: int) -> FWaveMeasures:
        """The :class:`FWaveMeasures` of train ``i``."""
        if not -self.n_trains <= int(i) < self.n_trains:
            raise ParameterError(f"i: train index {i} out of range for {self.n_trains} trains")
        i = int(i) % self.n_trains
        sw: dict[str, Any] = {k: _ro(v[i]) for k, v in self.per_sweep.items()}
        tr: dict[str, Any] = {}
        for c in fwave_columns("train"):
            v = self.per_train[c["name"]][i]
            tr[c["name"]] = int(v) if c["kind"] == "count" else float(v)
        return FWaveMeasures(
            **sw,
            **tr,
            f_window_ms=(
                float(self.per_train["f_start_ms"][i]),
                float(self.per_train["f_stop_ms"][i]),
            ),
            a_waves=self.a_waves[i],
            repeater_groups=repeater_groups(sw["repeater_group"], sw["peak_latency_ms"]),
            m_amplitude_source=self.m_amplitude_source,
            interpretable=bool(self.interpretable[i]),
            reason=self.reasons[i],
            parameters=self.parameters,
            sfreq_hz=self.sfreq_hz,
            t0_ms=self.t0_ms,
            given=dict(self.given),
        )

    def __repr__(self) -> str:
        return f"FWaveTrains({self.n_trains} trains, {int(self.interpretable.sum())} interpretable)"


def repeater_groups(group: np.ndarray, peak_latency_ms: np.ndarray) -> tuple[RepeaterGroup, ...]:
    """Repeater groups from the per-sweep group labels (-1: not a repeater)."""
    out = []
    for g in np.unique(group[group >= 0]):
        idx = np.flatnonzero(group == g)
        out.append(RepeaterGroup(tuple(int(k) for k in idx), float(peak_latency_ms[idx].mean())))
    return tuple(out)


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _scalar(v: Any, kind: str) -> Any:
    if kind == "sweep_flag":
        return bool(v)
    if kind in ("sweep_index", "count"):
        return int(v)
    return float(v)


def _json(v: Any) -> Any:
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _json_value(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, list):
        return [_json_value(a) for a in v]
    if isinstance(v, (float, np.floating)):
        return _json(float(v))
    return v
