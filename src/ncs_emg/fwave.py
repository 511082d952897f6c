"""F-wave train analysis (definitions: ``docs/fwaves.md``).

Public functions are thin wrappers around the numba kernels of the "F-waves" section of
``_kernels.py`` (imported lazily, so ``import ncs_emg`` does not load numba).

Procedure (every train; sample-level details in the kernel docstrings)
----------------------------------------------------------------------
1. **M-wave.** The mean of the sweeps is measured with the CMAP kernel of :func:`ncs_emg.measure_cmap`
   (its default detector and thresholds, ``blank_ms`` configurable): M onset, negative-peak and
   peak-to-peak amplitude. Unless ``m_end_ms`` is given, the **M end** is the first time after the M
   negative peak from which the mean sweep stays within ``max(tail_band_mv, tail_k_sd * SD)`` of its
   baseline for ``quiet_ms`` (SD: the mean sweep's baseline noise): the M-wave *and its tail* have
   returned to baseline.
2. **Guard window** ``[M end, M end + guard_ms)``: the baseline (mean) of every sweep. **Noise** of
   every sweep: SD of its residual about the mean sweep over the whole F window, excluding
   ``±noise_exclude_ms`` around its largest excursion and then around every excursion beyond
   ``noise_clip_k_sd`` first-pass SDs, times sqrt(n / (n - 1)); 50/60 Hz hum and drift enter it,
   the sweep's F-wave does not. The **train noise** is the median of the sweeps' SDs.
3. **F window** ``[M end + guard_ms, search_stop_ms or the sweep end)``. Thresholds:
   detection ``thr_pp = max(threshold_mv, noise_k_sd * noise)`` (peak-to-peak, domain default 40 µV);
   onset ``thr_on = max(onset_k_sd * noise, onset_min_mv)``; baseline band
   ``band = max(band_mv, band_k_sd * noise)``.
4. **A-waves.** A component of the mean sweep inside the F window that exceeds
   ``max(a_min_mv, a_k_sd * noise / sqrt(n_sweeps))`` is a candidate; it is an A-wave when on at least
   ``a_min_sweeps_pct`` % of the sweeps the extreme of the same sign lies within
   ``a_latency_tol_ms`` of the template peak and the sweep correlates with the mean over the component
   (± ``a_pad_ms``) with r > ``a_min_corr`` (domain: same latency within about 0.2 ms, shape
   correlation > 0.9, on about >= 80 % of the sweeps). A-wave windows are excluded from the F search on
   every sweep and reported (``a_wave_latencies_ms``: onset on the mean sweep).
5. **F-waves** per sweep over the unmasked F window: present when max - min >= ``thr_pp``; amplitude
   = that peak-to-peak; onset = where the first deflection that stays beyond ``thr_on`` for
   ``hold_ms`` left the baseline band (interpolated), searched only from ``onset_lead_ms`` before the
   sweep's F peak (its largest deviation) up to that peak. A deflection already under way at the start
   of that lead window, the F window or at the edge of an A-wave window has a hidden onset: the sweep counts for persistence, its
   latency is NaN (``onset_hidden``).
6. **Repeaters** (kept in the statistics, counted): present sweeps i, j with peak-latency difference
   < ``rep_latency_tol_ms``, amplitude difference ``|a_i - a_j| < rep_amp_tol_pct % * max(a_i, a_j)``
   and correlation > ``rep_min_corr`` over the union of their response windows; groups join
   transitively. ``repeater_pct`` = 100 * repeater sweeps / sweeps with an F-wave.

The repeater rule (< 0.5 ms, < 10 %, r > 0.9) is the published automatic rule quoted by a secondary
teaching summary (``docs/fwaves.md``); its primary source was not checked here (unverified). Which amplitude the
"10 %" refers to is not stated there; ncs_emg uses the larger of the two peak-to-peak amplitudes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import check_finite, check_positive, check_range
from .errors import ParameterError
from .measure import DEFAULT_CMAP_PARAMS, cmap_kernel_params, cmap_windows
from .measure import index_at as _index_at
from .types import Nerve, Sweeps

__all__ = [
    "FWaveMeasures",
    "FWaveTrains",
    "measure_fwaves",
    "measure_fwave_trains",
    "measure_nerve_fwaves",
    "f_estimate_ms",
    "f_ratio",
    "neurophysiological_index",
    "FWAVE_SUMMARY_NAMES",
]

#: Train-level float measures of :class:`FWaveMeasures`, in output order.
FWAVE_SUMMARY_NAMES = (
    "persistence_pct",
    "min_latency_ms",
    "mean_latency_ms",
    "median_latency_ms",
    "max_latency_ms",
    "chronodispersion_ms",
    "mean_amplitude_mv",
    "max_amplitude_mv",
    "f_m_ratio_pct",
    "max_f_m_ratio_pct",
    "repeater_pct",
    "m_onset_ms",
    "m_amplitude_mv",
    "m_end_ms",
    "noise_mv",
    "detection_threshold_mv",
)
_SWEEP_NAMES = (
    "present",
    "latency_ms",
    "amplitude_mv",
    "peak_latency_ms",
    "onset_hidden",
    "repeater",
    "repeater_group",
    "sweep_noise_mv",
)
_MAX_A = 8


def _json(v: Any) -> Any:
    if isinstance(v, np.ndarray):
        v = v.tolist()
    if isinstance(v, (list, tuple)):
        return [_json(a) for a in v]
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        return float(v) if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: _json(a) for k, a in v.items()}
    return v


@dataclass(frozen=True, eq=False)
class FWaveMeasures:
    """F-wave measures of one train. Per-sweep arrays have shape (n_sweeps,) and are read-only.

    Attributes
    ----------
    present : ndarray of bool
        The sweep holds an F-wave (peak-to-peak over the F window, A-wave windows excluded, at least
        ``detection_threshold_mv``).
    latency_ms : ndarray, ms
        F onset relative to the stimulus; NaN when absent or when the onset is hidden/not found.
    amplitude_mv : ndarray, mV
        Peak-to-peak amplitude over the F window (computed on every sweep; meaningful when present).
    peak_latency_ms : ndarray, ms
        Time of the largest deviation from the sweep's baseline in the F window (NaN when absent).
    onset_hidden : ndarray of bool
        Present, but the deflection was already under way at the F-window start or at the edge of an
        A-wave window (or never stayed above the onset threshold): latency NaN.
    repeater : ndarray of bool
        The F-wave is identical (repeater rule) to the F-wave of at least one other sweep.
    repeater_group : ndarray of int
        Smallest sweep index of the repeater group, -1 when not a repeater.
    sweep_noise_mv : ndarray, mV
        Noise SD of the sweep over the F window (residual about the mean sweep, its F-wave and other
        excursions excluded; see the module docstring).
    n_sweeps : int
        Sweeps analysed.
    n_present : int
        Sweeps with an F-wave.
    persistence_pct : float, %
        100 * n_present / n_sweeps (NaN when there was no F window to search).
    min_latency_ms, mean_latency_ms, median_latency_ms, max_latency_ms : float, ms
        Over the sweeps with a measured latency; NaN when none.
    chronodispersion_ms : float, ms
        max_latency_ms - min_latency_ms.
    mean_amplitude_mv, max_amplitude_mv : float, mV
        Over the sweeps with an F-wave.
    f_m_ratio_pct, max_f_m_ratio_pct : float, %
        100 * mean (max) F amplitude / ``m_amplitude_mv``.
    repeater_pct : float, %
        100 * repeater sweeps / sweeps with an F-wave (NaN when none).
    a_wave_latencies_ms : tuple of float, ms
        Onsets of the A-waves found (on the mean sweep), excluded from the F statistics.
    a_wave_windows_ms : tuple of (float, float), ms
        The excluded windows [start, stop).
    a_wave_match_pct : tuple of float, %
        Percentage of sweeps on which each A-wave matched.
    m_onset_ms : float, ms
        M-wave onset on the mean sweep.
    m_amplitude_mv : float, mV
        M-wave amplitude used for the F/M ratios and the size check (``m_amplitude_source``).
    m_amplitude_source : str
        ``"measured peak-to-peak of the mean sweep"`` or ``"given"``.
    m_end_ms : float, ms
        End of the M-wave and its tail (start of the guard window).
    f_window_ms : tuple of (float, float), ms
        The F search window [start, stop).
    noise_mv : float, mV
        Train noise (median of the sweeps' ``sweep_noise_mv``).
    detection_threshold_mv, onset_threshold_mv : float, mV
        Effective thresholds.
    interpretable : bool
        False when the train cannot support a clinical reading (see ``reason``).
    reason : str
        Why it is not interpretable ("" when it is).
    parameters : dict
        Parameters used (ms, mV, %).
    """

    present: np.ndarray
    latency_ms: np.ndarray
    amplitude_mv: np.ndarray
    peak_latency_ms: np.ndarray
    onset_hidden: np.ndarray
    repeater: np.ndarray
    repeater_group: np.ndarray
    sweep_noise_mv: np.ndarray
    n_sweeps: int
    n_present: int
    persistence_pct: float
    min_latency_ms: float
    mean_latency_ms: float
    median_latency_ms: float
    max_latency_ms: float
    chronodispersion_ms: float
    mean_amplitude_mv: float
    max_amplitude_mv: float
    f_m_ratio_pct: float
    max_f_m_ratio_pct: float
    repeater_pct: float
    a_wave_latencies_ms: tuple
    a_wave_windows_ms: tuple
    a_wave_match_pct: tuple
    m_onset_ms: float
    m_amplitude_mv: float
    m_amplitude_source: str
    m_end_ms: float
    f_window_ms: tuple
    noise_mv: float
    detection_threshold_mv: float
    onset_threshold_mv: float
    interpretable: bool
    reason: str
    parameters: dict = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Train-level measures as a flat dict of Python scalars (NaN kept)."""
        d: dict[str, Any] = {"n_sweeps": self.n_sweeps, "n_present": self.n_present}
        for k in FWAVE_SUMMARY_NAMES:
            d[k] = float(getattr(self, k))
        d["n_a_waves"] = len(self.a_wave_latencies_ms)
        d["a_wave_latencies_ms"] = " ".join(f"{v:.2f}" for v in self.a_wave_latencies_ms)
        d["interpretable"] = self.interpretable
        d["reason"] = self.reason
        return d

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: per-sweep lists and train measures, NaN as None, plus parameters."""
        d: dict[str, Any] = {k: _json(getattr(self, k)) for k in _SWEEP_NAMES}
        d["n_sweeps"] = self.n_sweeps
        d["n_present"] = self.n_present
        for k in FWAVE_SUMMARY_NAMES:
            d[k] = _json(getattr(self, k))
        for k in ("a_wave_latencies_ms", "a_wave_windows_ms", "a_wave_match_pct", "f_window_ms"):
            d[k] = _json(list(getattr(self, k)))
        d["m_amplitude_source"] = self.m_amplitude_source
        d["onset_threshold_mv"] = _json(self.onset_threshold_mv)
        d["interpretable"] = self.interpretable
        d["reason"] = self.reason
        d["parameters"] = _json(dict(self.parameters))
        return d


@dataclass(frozen=True, eq=False)
class FWaveTrains:
    """F-wave measures of many trains at once (arrays over trains; see :class:`FWaveMeasures`).

    Per-sweep arrays have shape (n_trains, n_sweeps); train measures shape (n_trains,). ``train(i)``
    gives the :class:`FWaveMeasures` of train ``i``.

    Attributes
    ----------
    sweep : dict of str to ndarray
        ``present``, ``latency_ms``, ``amplitude_mv``, ``peak_latency_ms``, ``onset_hidden``,
        ``repeater``, ``repeater_group``, ``sweep_noise_mv``.
    summary : dict of str to ndarray
        The names of ``FWAVE_SUMMARY_NAMES`` plus ``n_present``, ``onset_threshold_mv`` and
        ``f_start_ms``/``f_stop_ms``.
    a_waves : ndarray, shape (n_trains, 8, 4)
        Per A-wave slot: onset ms, window start ms, window stop ms, match % (NaN for unused slots).
    interpretable : ndarray of bool
    reasons : list of str
    m_amplitude_source : str
    parameters : dict
    """

    sweep: dict
    summary: dict
    a_waves: np.ndarray
    interpretable: np.ndarray
    reasons: list
    m_amplitude_source: str
    parameters: dict

    @property
    def n_trains(self) -> int:
        """Number of trains."""
        return int(self.interpretable.shape[0])

    def train(self, i: int) -> FWaveMeasures:
        """The :class:`FWaveMeasures` of train ``i``."""
        if not -self.n_trains <= int(i) < self.n_trains:
            raise ParameterError(f"i: train index {i} out of range for {self.n_trains} trains")
        i = int(i) % self.n_trains
        sw: dict[str, Any] = {k: _ro(v[i]) for k, v in self.sweep.items()}
        sm: dict[str, Any] = {k: float(self.summary[k][i]) for k in FWAVE_SUMMARY_NAMES}
        a = self.a_waves[i]
        ok = ~np.isnan(a[:, 0])
        return FWaveMeasures(
            **sw,
            n_sweeps=int(sw["present"].shape[0]),
            n_present=int(self.summary["n_present"][i]),
            **sm,
            a_wave_latencies_ms=tuple(float(v) for v in a[ok, 0]),
            a_wave_windows_ms=tuple((float(u), float(v)) for u, v in a[ok, 1:3]),
            a_wave_match_pct=tuple(float(v) for v in a[ok, 3]),
            m_amplitude_source=self.m_amplitude_source,
            f_window_ms=(float(self.summary["f_start_ms"][i]), float(self.summary["f_stop_ms"][i])),
            onset_threshold_mv=float(self.summary["onset_threshold_mv"][i]),
            interpretable=bool(self.interpretable[i]),
            reason=self.reasons[i],
            parameters=dict(self.parameters),
        )


def _ro(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def _m_windows(n: int, t0: float, dt: float, blank: float) -> tuple[int, int, int] | None:
    """Baseline and search windows of ``measure_cmap`` (its defaults, baseline="auto") for the M-wave;
    None when the sweeps are too short for them."""
    bl_start, bl_stop, s_start, _source = cmap_windows(n, t0, dt, blank_ms=blank)
    if bl_stop > n or s_start > n - 2:
        return None
    return bl_start, bl_stop, s_start


def _as_trains(x: Any, name: str) -> np.ndarray:
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy raises many types here
        raise ParameterError(f"{name}: cannot be converted to an array ({exc})") from exc
    if arr.dtype.kind not in "biuf":
        raise ParameterError(
            f"{name}: expected a numeric array (int or float), got dtype {arr.dtype}"
        )
    if arr.ndim != 3:
        raise ParameterError(
            f"{name}: expected trains of shape (n_trains, n_sweeps, n_samples), got an array with "
            f"{arr.ndim} dimensions, shape {arr.shape}"
        )
    if 0 in arr.shape:
        raise ParameterError(f"{name}: empty array of shape {arr.shape}")
    return np.ascontiguousarray(arr, dtype=np.float64)


def _nonfinite_error(X3: np.ndarray, name: str, single: bool) -> ParameterError:
    bad = np.argwhere(~np.isfinite(X3))
    if bad.size == 0:
        return ParameterError(
            f"{name}: samples so large that their mean overflows (|x| up to "
            f"{float(np.abs(X3).max()):.3g} mV); samples must be in mV"
        )
    t, s, i = (int(v) for v in bad[0])
    where = f"sweep {s}, sample {i}" if single else f"train {t}, sweep {s}, sample {i}"
    return ParameterError(
        f"{name}: non-finite sample {float(X3[t, s, i])!r} at {where}; all samples must be finite numbers in mV"
    )


def _kernel_params(
    n: int, dt: float, win: tuple[int, int, int] | None, f_stop: int, p: dict
) -> tuple[np.ndarray, np.ndarray]:
    """The kernel parameter arrays ``(ip, fp)`` of ``fw_train`` for sweeps of ``n`` samples.

    ``dt``: sample interval (ms); ``win``: the M-wave windows of :func:`_m_windows` (None: they do not
    fit); ``f_stop``: F-window stop index; ``p``: the validated options of
    :func:`measure_fwave_trains` (ms, mV, %). The benchmark and the tests build the parameters of the
    naive twin with this function, so that they cannot diverge from the wrapper's.
    """
    from . import _kernels as K

    if win is None:
        win = (0, 2, 2) if n >= 4 else (0, 1, 1)
    ip = np.zeros(K.N_FIP, dtype=np.int64)
    fp = np.zeros(K.N_FFP)
    cip, cfp = cmap_kernel_params(DEFAULT_CMAP_PARAMS, (*win, n), dt)
    ip[K.FIP_CMAP : K.FIP_CMAP + K.N_CIP] = cip
    fp[K.FFP_CMAP : K.FFP_CMAP + K.N_CFP] = cfp
    ip[K.FIP_A_FIT] = int(round(p["a_peak_fit_ms"] / 2.0 / dt))
    ip[K.FIP_ON_LEAD] = max(1, int(round(p["onset_lead_ms"] / dt)))
    ip[K.FIP_NOISE_EX] = int(round(p["noise_exclude_ms"] / dt))
    ip[K.FIP_F_STOP] = f_stop
    ip[K.FIP_GUARD] = max(2, int(round(p["guard_ms"] / dt)))
    ip[K.FIP_QUIET] = max(1, int(round(p["quiet_ms"] / dt)))
    ip[K.FIP_MIN_WIN] = max(2, int(round(p["min_window_ms"] / dt)))
    ip[K.FIP_HOLD] = max(1, int(round(p["hold_ms"] / dt)))
    ip[K.FIP_A_MERGE] = int(round(p["a_merge_ms"] / dt))
    ip[K.FIP_A_PAD] = int(round(p["a_pad_ms"] / dt))
    ip[K.FIP_A_MIN_SWEEPS] = 5
    ip[K.FIP_R_PAD] = int(round(p["rep_pad_ms"] / dt))
    fp[K.FFP_TAIL_BAND] = p["tail_band_mv"]
    fp[K.FFP_TAIL_K] = p["tail_k_sd"]
    fp[K.FFP_THR] = p["threshold_mv"]
    fp[K.FFP_NOISE_K] = p["noise_k_sd"]
    fp[K.FFP_ON_K] = p["onset_k_sd"]
    fp[K.FFP_ON_MIN] = p["onset_min_mv"]
    fp[K.FFP_BAND] = p["band_mv"]
    fp[K.FFP_BAND_K] = p["band_k_sd"]
    fp[K.FFP_A_MIN] = p["a_min_mv"]
    fp[K.FFP_A_K] = p["a_k_sd"]
    fp[K.FFP_A_TOL] = p["a_latency_tol_ms"] / dt
    fp[K.FFP_A_CORR] = p["a_min_corr"]
    fp[K.FFP_A_PCT] = p["a_min_sweeps_pct"]
    fp[K.FFP_R_TOL] = p["rep_latency_tol_ms"] / dt
    fp[K.FFP_R_AMP] = p["rep_amp_tol_pct"] / 100.0
    fp[K.FFP_R_CORR] = p["rep_min_corr"]
    fp[K.FFP_NOISE_CLIP] = p["noise_clip_k_sd"]

    return ip, fp


def measure_fwave_trains(
    x: Any,
    sfreq_hz: float,
    *,
    t0_ms: float = 0.0,
    threshold_mv: float = 0.04,
    noise_k_sd: float = 10.0,
    onset_k_sd: float = 4.0,
    onset_min_mv: float = 0.01,
    band_k_sd: float = 1.0,
    band_mv: float = 0.0,
    hold_ms: float = 0.1,
    blank_ms: float = 1.0,
    m_end_ms: Any = None,
    m_amplitude_mv: Any = None,
    tail_band_mv: float = 0.01,
    tail_k_sd: float = 3.0,
    quiet_ms: float = 1.0,
    guard_ms: float = 2.0,
    search_stop_ms: float | None = None,
    min_window_ms: float = 10.0,
    min_sweeps: int = 10,
    min_m_amplitude_mv: float = 0.2,
    a_latency_tol_ms: float = 0.2,
    a_min_corr: float = 0.9,
    a_min_sweeps_pct: float = 80.0,
    a_min_mv: float | None = None,
    a_k_sd: float = 5.0,
    a_merge_ms: float = 1.0,
    a_pad_ms: float = 0.5,
    rep_latency_tol_ms: float = 0.5,
    rep_amp_tol_pct: float = 10.0,
    rep_min_corr: float = 0.9,
    rep_pad_ms: float = 0.5,
    onset_lead_ms: float = 5.0,
    noise_exclude_ms: float = 5.0,
    noise_clip_k_sd: float = 4.0,
    a_peak_fit_ms: float = 1.0,
    max_threshold_ratio: float = 2.0,
    min_sweep_end_ms: float | None = None,
    parallel: bool | None = None,
    _single: bool = False,
) -> FWaveTrains:
    """Analyse many F-wave trains recorded with one time base (see :func:`measure_fwaves`).

    Parameters
    ----------
    x : array_like, shape (n_trains, n_sweeps, n_samples), mV
        The trains.
    sfreq_hz, t0_ms, ... :
        As for :func:`measure_fwaves`. ``m_end_ms`` and ``m_amplitude_mv`` may be scalars or arrays of
        shape (n_trains,) (NaN entries: measure that train's M-wave).
    parallel : bool or None
        Use the parallel kernel over trains (default: when there are at least 8 trains).

    Returns
    -------
    FWaveTrains
    """
    single = _single
    name = "x"
    X3 = _as_trains(x, name)
    n_t, n_s, n = X3.shape
    fs_hz = check_positive(sfreq_hz, "sfreq_hz")
    t0 = check_finite(t0_ms, "t0_ms")
    dt = 1000.0 / fs_hz
    pos = {
        "threshold_mv": threshold_mv,
        "hold_ms": hold_ms,
        "quiet_ms": quiet_ms,
        "guard_ms": guard_ms,
        "min_window_ms": min_window_ms,
        "a_latency_tol_ms": a_latency_tol_ms,
        "rep_latency_tol_ms": rep_latency_tol_ms,
        "onset_lead_ms": onset_lead_ms,
        "noise_clip_k_sd": noise_clip_k_sd,
        "max_threshold_ratio": max_threshold_ratio,
    }
    nonneg = {
        "noise_k_sd": noise_k_sd,
        "onset_k_sd": onset_k_sd,
        "onset_min_mv": onset_min_mv,
        "band_k_sd": band_k_sd,
        "band_mv": band_mv,
        "blank_ms": blank_ms,
        "tail_band_mv": tail_band_mv,
        "tail_k_sd": tail_k_sd,
        "min_m_amplitude_mv": min_m_amplitude_mv,
        "a_k_sd": a_k_sd,
        "a_merge_ms": a_merge_ms,
        "a_pad_ms": a_pad_ms,
        "rep_pad_ms": rep_pad_ms,
        "noise_exclude_ms": noise_exclude_ms,
        "a_peak_fit_ms": a_peak_fit_ms,
    }
    p: dict[str, Any] = {}
    for k, v in pos.items():
        p[k] = check_positive(v, k)
    for k, v in nonneg.items():
        p[k] = check_positive(v, k, allow_zero=True)
    p["a_min_corr"] = check_range(a_min_corr, "a_min_corr", -1.0, 1.0)
    p["rep_min_corr"] = check_range(rep_min_corr, "rep_min_corr", -1.0, 1.0)
    p["a_min_sweeps_pct"] = check_range(a_min_sweeps_pct, "a_min_sweeps_pct", 0.0, 100.0)
    p["rep_amp_tol_pct"] = check_range(rep_amp_tol_pct, "rep_amp_tol_pct", 0.0, 100.0)
    p["a_min_mv"] = (
        0.25 * p["threshold_mv"] if a_min_mv is None else check_positive(a_min_mv, "a_min_mv")
    )
    if (
        isinstance(min_sweeps, bool)
        or not isinstance(min_sweeps, (int, np.integer))
        or min_sweeps < 1
    ):
        raise ParameterError(f"min_sweeps: expected an integer >= 1, got {min_sweeps!r}")
    p["min_sweeps"] = int(min_sweeps)

    def per_train(v: Any, key: str) -> np.ndarray:
        if v is None:
            return np.full(n_t, np.nan)
        a = np.asarray(v, dtype=float) if not isinstance(v, str) else None
        if a is None or a.ndim > 1 or (a.ndim == 1 and a.shape != (n_t,)):
            raise ParameterError(f"{key}: expected a number, None or {n_t} numbers, got {v!r}")
        a = np.broadcast_to(a, (n_t,)).astype(float)
        if np.isinf(a).any():
            raise ParameterError(f"{key}: expected finite numbers (NaN = measure), got {v!r}")
        return a

    m_end_arr = per_train(m_end_ms, "m_end_ms")
    m_amp_arr = per_train(m_amplitude_mv, "m_amplitude_mv")
    if (m_amp_arr < 0).any():
        raise ParameterError(f"m_amplitude_mv: must be >= 0, got {m_amplitude_mv!r}")
    t_end = t0 + (n - 1) * dt
    m_end_idx = np.full(n_t, -1, dtype=np.int64)
    for t in range(n_t):
        if not math.isnan(m_end_arr[t]):
            idx = _index_at(m_end_arr[t], t0, dt)
            if not 0 <= idx < n:
                raise ParameterError(
                    f"m_end_ms: {m_end_arr[t]:g} ms lies outside the sweep ({t0:g} to {t_end:g} ms)"
                )
            m_end_idx[t] = idx
    f_stop = n
    if search_stop_ms is not None:
        stop = check_finite(search_stop_ms, "search_stop_ms")
        f_stop = min(n, _index_at(stop, t0, dt) + 1)
        if f_stop < 2:
            raise ParameterError(
                f"search_stop_ms: {stop:g} ms is before the sweep's second sample ({t0 + dt:g} ms)"
            )
    p["search_stop_ms"] = search_stop_ms
    p["min_sweep_end_ms"] = (
        None if min_sweep_end_ms is None else check_finite(min_sweep_end_ms, "min_sweep_end_ms")
    )

    from . import _kernels as K

    win = _m_windows(n, t0, dt, p["blank_ms"])
    m_ok = win is not None
    ip, fp = _kernel_params(n, dt, win, f_stop, p)

    out_s = np.empty((n_t, n_s, K.N_FS_COLS))
    flags_s = np.zeros((n_t, n_s), dtype=np.int64)
    out_t = np.empty((n_t, K.N_FT_COLS))
    a_out = np.empty((n_t, _MAX_A, K.N_FA_COLS))
    tflags = np.zeros(n_t, dtype=np.int64)
    run_t = np.ones(n_t, dtype=bool) if m_ok else m_end_idx >= 0
    use_par = (n_t >= 8) if parallel is None else bool(parallel)
    kernel = K.fw_batch if use_par else K.fw_serial
    if run_t.all():
        kernel(X3, ip, fp, m_end_idx, out_s, flags_s, out_t, a_out, tflags)
    else:
        out_s.fill(np.nan)
        out_t.fill(np.nan)
        a_out.fill(np.nan)
        tflags[~run_t] = K.FTF_NO_M
        sel = np.flatnonzero(run_t)
        if sel.size:
            sub = [
                np.empty((sel.size,) + a.shape[1:], a.dtype) for a in (out_s, flags_s, out_t, a_out)
            ]
            tf = np.zeros(sel.size, dtype=np.int64)
            kernel(np.ascontiguousarray(X3[sel]), ip, fp, m_end_idx[sel], *sub, tf)
            out_s[sel], flags_s[sel], out_t[sel], a_out[sel] = sub
            tflags[sel] = tf
    if (tflags & K.FTF_NONFINITE).any():
        raise _nonfinite_error(X3, name, single)
    if not m_ok:  # M-wave windows did not fit: M measures are meaningless
        for c in (K.FT_M_ONSET, K.FT_M_NEG_AMP, K.FT_M_P2P, K.FT_M_NEG_PEAK):
            out_t[:, c] = np.nan

    # ---- per sweep ----
    window_ok = (tflags & (K.FTF_NO_M | K.FTF_TAIL | K.FTF_SHORT)) == 0
    present = ((flags_s & K.FF_PRESENT) != 0) & window_ok[:, None]
    onset_idx = out_s[:, :, K.FS_ONSET]
    latency = np.where(present, t0 + onset_idx * dt, np.nan)
    amplitude = np.where(window_ok[:, None], out_s[:, :, K.FS_PP], np.nan)
    peak_lat = np.where(present, t0 + out_s[:, :, K.FS_PEAK_I] * dt, np.nan)
    hidden = present & ((flags_s & (K.FF_ONSET_HIDDEN | K.FF_ONSET_NOT_FOUND)) != 0)
    repeater = present & ((flags_s & K.FF_REPEATER) != 0)
    group = np.where(repeater, out_s[:, :, K.FS_GROUP], -1).astype(np.int64)
    sweep = dict(
        present=present,
        latency_ms=latency,
        amplitude_mv=amplitude,
        peak_latency_ms=peak_lat,
        onset_hidden=hidden,
        repeater=repeater,
        repeater_group=group,
        sweep_noise_mv=out_s[:, :, K.FS_NOISE],
    )

    # ---- per train (vectorised; no all-NaN reductions so no warnings) ----
    n_present = present.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        persistence = np.where(window_ok, 100.0 * n_present / n_s, np.nan)
        has_lat = ~np.isnan(latency)
        n_lat = has_lat.sum(axis=1)
        lat_min = np.fmin.reduce(latency, axis=1)
        lat_max = np.fmax.reduce(latency, axis=1)
        lat_mean = np.where(n_lat > 0, np.where(has_lat, latency, 0.0).sum(axis=1) / n_lat, np.nan)
        srt = np.sort(latency, axis=1)  # NaN last
        hi_i = np.clip(n_lat // 2, 0, n_s - 1)
        lo_i = np.clip((n_lat - 1) // 2, 0, n_s - 1)
        med = 0.5 * (
            np.take_along_axis(srt, lo_i[:, None], 1)[:, 0]
            + np.take_along_axis(srt, hi_i[:, None], 1)[:, 0]
        )
        lat_med = np.where(n_lat > 0, med, np.nan)
        amp_p = np.where(present, amplitude, np.nan)
        amp_mean = np.where(
            n_present > 0, np.where(present, amplitude, 0.0).sum(axis=1) / n_present, np.nan
        )
        amp_max = np.fmax.reduce(amp_p, axis=1)
        measured_m = ~np.isnan(m_amp_arr)
        m_amp = np.where(measured_m, m_amp_arr, out_t[:, K.FT_M_P2P])
        fm = np.where(m_amp > 0, 100.0 * amp_mean / m_amp, np.nan)
        fm_max = np.where(m_amp > 0, 100.0 * amp_max / m_amp, np.nan)
        rep_pct = np.where(n_present > 0, 100.0 * repeater.sum(axis=1) / n_present, np.nan)
    given_end = m_end_idx >= 0
    m_end_out = np.where(np.isnan(out_t[:, K.FT_M_END]), np.nan, t0 + out_t[:, K.FT_M_END] * dt)
    summary = dict(
        persistence_pct=persistence,
        min_latency_ms=lat_min,
        mean_latency_ms=lat_mean,
        median_latency_ms=lat_med,
        max_latency_ms=lat_max,
        chronodispersion_ms=lat_max - lat_min,
        mean_amplitude_mv=amp_mean,
        max_amplitude_mv=amp_max,
        f_m_ratio_pct=fm,
        max_f_m_ratio_pct=fm_max,
        repeater_pct=rep_pct,
        m_onset_ms=t0 + out_t[:, K.FT_M_ONSET] * dt,
        m_amplitude_mv=m_amp,
        m_end_ms=m_end_out,
        noise_mv=out_t[:, K.FT_NOISE],
        detection_threshold_mv=out_t[:, K.FT_THR_PP],
        onset_threshold_mv=out_t[:, K.FT_THR_ON],
        n_present=n_present,
        f_start_ms=t0 + out_t[:, K.FT_F_START] * dt,
        f_stop_ms=t0 + out_t[:, K.FT_F_STOP] * dt,
    )
    a_ms = np.full((n_t, _MAX_A, 4), np.nan)
    a_ms[:, :, 0] = t0 + a_out[:, :, K.FA_ONSET] * dt
    a_ms[:, :, 1] = t0 + a_out[:, :, K.FA_LO] * dt
    a_ms[:, :, 2] = t0 + a_out[:, :, K.FA_HI] * dt
    a_ms[:, :, 3] = 100.0 * a_out[:, :, K.FA_N_MATCH] / n_s

    # ---- interpretability ----
    interpretable = np.ones(n_t, dtype=bool)
    reasons = []
    for t in range(n_t):
        why = []
        f = int(tflags[t])
        if f & K.FTF_NO_M:
            if not m_ok:
                why.append(
                    f"sweeps too short to measure the M-wave ({n} samples from {t0:g} ms with "
                    f"blank_ms={p['blank_ms']:g}); pass m_end_ms to place the F window"
                )
            else:
                why.append(
                    "no M-wave found in the mean of the sweeps; pass m_end_ms (and m_amplitude_mv) "
                    "when the M-wave is known"
                )
        if f & K.FTF_TAIL:
            crit = (
                f"within max(tail_band_mv={p['tail_band_mv']:g}, tail_k_sd={p['tail_k_sd']:g} SD) "
                f"for quiet_ms={p['quiet_ms']:g}"
            )
            if f_stop < n:
                neg = t0 + out_t[t, K.FT_M_NEG_PEAK] * dt
                why.append(
                    f"search_stop_ms={p['search_stop_ms']:g} ms ends the search before the M-wave "
                    f"(negative peak at {neg:.2f} ms) is seen back at baseline ({crit}); "
                    "search_stop_ms must lie after the M-wave and its tail"
                )
            else:
                why.append(
                    f"the M-wave did not return to baseline ({crit}) before the end of the sweeps"
                )
        if f & K.FTF_SHORT:
            start = t0 + out_t[t, K.FT_F_START] * dt
            stop = t0 + f_stop * dt
            why.append(
                f"sweeps too short: the F search would start at {start:.2f} ms (M end + guard_ms) but "
                f"the sweeps end at {stop:.2f} ms; at least min_window_ms={p['min_window_ms']:g} is needed"
            )
        if n_s < p["min_sweeps"]:
            why.append(
                f"{n_s} sweep(s) < min_sweeps={p['min_sweeps']} (persistence not meaningful)"
            )
        ma = float(m_amp[t])
        if window_ok[t]:
            if math.isnan(ma):
                if f & K.FTF_M_SATURATED:
                    why.append(
                        "M-wave amplitude not measurable (saturated); F/M ratio not available"
                    )
                elif not m_ok:
                    why.append(
                        "M-wave amplitude not measurable (sweeps too short for the M-wave baseline "
                        "and search windows); pass m_amplitude_mv"
                    )
                else:
                    why.append(
                        "no M-wave found in the mean of the sweeps: M-wave amplitude not measurable "
                        "and the F/M ratio not available; pass m_amplitude_mv when it is known"
                    )
            elif ma < p["min_m_amplitude_mv"]:
                why.append(
                    f"M-wave amplitude {ma:.3g} mV < min_m_amplitude_mv={p['min_m_amplitude_mv']:g}: "
                    "absent or sparse F-waves cannot be interpreted"
                )
        thr = float(out_t[t, K.FT_THR_PP])
        if window_ok[t] and thr > p["max_threshold_ratio"] * p["threshold_mv"]:
            why.append(
                f"noise-limited: effective detection threshold {thr:.3g} mV (noise_k_sd="
                f"{p['noise_k_sd']:g} x train noise {float(out_t[t, K.FT_NOISE]):.3g} mV) > "
                f"max_threshold_ratio={p['max_threshold_ratio']:g} x threshold_mv="
                f"{p['threshold_mv']:g} mV: F-waves of ordinary size would be missed, so persistence "
                "and absent F-waves cannot be interpreted"
            )
        if p["min_sweep_end_ms"] is not None and t0 + (f_stop - 1) * dt < p["min_sweep_end_ms"]:
            why.append(
                f"the F search ends at {t0 + (f_stop - 1) * dt:.2f} ms (sweep end or search_stop_ms), "
                f"before min_sweep_end_ms={p['min_sweep_end_ms']:g} ms: late F-waves would be missed"
            )
        if f & K.FTF_A_OVERFLOW:
            why.append(f"more than {_MAX_A} A-waves: only the first {_MAX_A} are reported")
        interpretable[t] = not why
        reasons.append("; ".join(why))
    params = dict(p, sfreq_hz=fs_hz, t0_ms=t0)
    params["m_end_ms"] = None if m_end_ms is None else _json(np.asarray(m_end_ms).tolist())
    params["m_amplitude_mv"] = (
        None if m_amplitude_mv is None else _json(np.asarray(m_amplitude_mv).tolist())
    )
    src = "given" if measured_m.all() else "measured peak-to-peak of the mean sweep"
    if measured_m.any() and not measured_m.all():
        src = "given where provided, else measured peak-to-peak of the mean sweep"
    del given_end
    return FWaveTrains(
        sweep={k: v for k, v in sweep.items()},
        summary=summary,
        a_waves=a_ms,
        interpretable=interpretable,
        reasons=reasons,
        m_amplitude_source=src,
        parameters=params,
    )


def measure_fwaves(x: Any, sfreq_hz: float, *, t0_ms: float = 0.0, **kwargs: Any) -> FWaveMeasures:
    """Measure an F-wave train: per-sweep F-waves, latency statistics, persistence, A-waves, repeaters.

    Parameters
    ----------
    x : array_like, shape (n_sweeps, n_samples), mV
        The train: one sweep per supramaximal distal stimulus, physical polarity, time on the last
        axis. A 1-D array is refused (a train has several sweeps).
    sfreq_hz : float, Hz
        Sampling rate.
    t0_ms : float, ms
        Time of sample 0 relative to the stimulus.
    threshold_mv : float, mV
        Peak-to-peak detection threshold (domain default 0.04 mV = 40 µV; 0.02 also common).
    noise_k_sd : float
        The detection threshold is at least this many train-noise SDs (0 disables): keeps noise from
        being read as F-waves on noisy trains.
    onset_k_sd, onset_min_mv : float, float (mV)
        Onset threshold ``max(onset_k_sd * noise, onset_min_mv)``.
    band_k_sd, band_mv : float, float (mV)
        Baseline band ``max(band_k_sd * noise, band_mv)`` the onset is refined back to.
    hold_ms : float, ms
        Time a deflection must stay beyond the onset threshold.
    blank_ms : float, ms
        Stimulus-artefact blanking for the M-wave measurement.
    m_end_ms : float or None, ms
        End of the M-wave and its tail when known (skips the detection of step 1).
    m_amplitude_mv : float or None, mV
        M-wave amplitude for the F/M ratios and the size check (default: measured peak-to-peak).
    tail_band_mv, tail_k_sd, quiet_ms : float (mV), float, float (ms)
        "Returned to baseline" criterion of the M-wave tail on the mean sweep.
    guard_ms : float, ms
        Guard after the M end; also the window of each sweep's baseline and noise.
    search_stop_ms : float or None, ms
        End of the F window (default: the end of the sweeps).
    min_window_ms : float, ms
        Shorter F windows make the train not interpretable ("sweeps too short").
    min_sweeps : int
        Fewer sweeps make the train not interpretable (domain: 10-100, default 20).
    min_m_amplitude_mv : float, mV
        A smaller M-wave makes the train not interpretable (generic floor; the nerve-specific
        "distal CMAP < 20 % of LLN" rule is :func:`ncs_emg.normative.evaluate_f_absent`).
    a_latency_tol_ms, a_min_corr, a_min_sweeps_pct : float (ms), float, float (%)
        A-wave rule (domain: 0.2 ms, 0.9, 80 %).
    a_min_mv, a_k_sd : float or None (mV), float
        A-wave candidate level on the mean sweep ``max(a_min_mv, a_k_sd * noise / sqrt(n_sweeps))``;
        ``a_min_mv`` defaults to a quarter of ``threshold_mv``.
    a_merge_ms, a_pad_ms : float, ms
        Candidate phases closer than ``a_merge_ms`` form one A-wave; ``a_pad_ms`` widens its window.
    rep_latency_tol_ms, rep_amp_tol_pct, rep_min_corr, rep_pad_ms : float (ms), float (%), float, float (ms)
        Repeater rule (domain: < 0.5 ms, < 10 %, > 0.9) and correlation-window padding.
    onset_lead_ms : float, ms
        The onset is searched only in ``[F peak - onset_lead_ms, F peak]`` (default 5 ms), so that noise
        or hum far before the F-wave cannot become its onset.
    noise_exclude_ms, noise_clip_k_sd : float (ms), float
        Per-sweep noise: samples within ``noise_exclude_ms`` of the largest excursion, then of every
        excursion beyond ``noise_clip_k_sd`` first-pass SDs, are left out (defaults 5 ms, 4).
    a_peak_fit_ms : float, ms
        Width of the least-squares parabola that refines the A-wave template's and each sweep's peak
        time before the ``a_latency_tol_ms`` comparison (``measure_cmap``'s ``peak_fit_ms``; 0: raw
        sample of the extreme).
    max_threshold_ratio : float
        Not interpretable ("noise-limited") when the effective detection threshold exceeds this
        multiple of ``threshold_mv`` (default 2).
    min_sweep_end_ms : float or None, ms
        Not interpretable when the F search ends (sweep end or ``search_stop_ms``) before this time;
        :func:`measure_nerve_fwaves` sets it from the nerve's normal limit.

    Returns
    -------
    FWaveMeasures

    Raises
    ------
    ParameterError
        For a 1-D or 3-D array, empty or non-numeric input, non-finite samples (naming sweep and
        sample), bad options, or ``m_end_ms`` outside the sweep. Problems of the recording itself (no
        M-wave, tail never settling, sweeps too short, too few sweeps, tiny M-wave) give
        ``interpretable=False`` with the ``reason``, never an exception.

    Notes
    -----
    Definitions and the procedure are in the module docstring (``docs/fwaves.md``). Persistence
    = 100 * sweeps with an F-wave / sweeps; chronodispersion = max - min latency; F/M ratio = 100 *
    mean F peak-to-peak / M amplitude.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 50, 0.05)                                      # ms, 20 kHz
    >>> m = np.where((t > 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)
    >>> f = lambda on: np.where((t > on) & (t < on + 6), -0.2 * np.sin(2 * np.pi * (t - on) / 6), 0)
    >>> x = np.array([m + f(28.0 + 0.3 * k) if k % 4 else m for k in range(20)])
    >>> r = measure_fwaves(x, 20000.0)
    >>> r.persistence_pct, round(r.min_latency_ms, 2), round(r.chronodispersion_ms, 2)
    (75.0, 28.3, 5.4)
    """
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if arr.ndim != 2:
        raise ParameterError(
            f"x: expected a train of shape (n_sweeps, n_samples), got an array with {arr.ndim} "
            f"dimension(s), shape {arr.shape}"
            + ("; a single sweep is not a train" if arr.ndim == 1 else "")
        )
    return measure_fwave_trains(
        np.asarray(arr)[np.newaxis], sfreq_hz, t0_ms=t0_ms, parallel=False, _single=True, **kwargs
    ).train(0)


def measure_nerve_fwaves(nerve: Nerve, **kwargs: Any) -> FWaveMeasures | None:
    """:func:`measure_fwaves` on ``nerve.fwaves`` (accepted sweeps only); None without a train.

    When the nerve has motor sites and ``m_amplitude_mv`` is not given, the M amplitude still comes
    from the train itself (the same stimulus); pass the distal CMAP amplitude to use it instead.

    Unless ``min_sweep_end_ms`` is given, it is 1.5 x the nerve's upper limit of normal minimal F
    latency in :data:`ncs_emg.normative.DEFAULT_TABLE` (CIDP criteria count F latencies up to 150 %
    of ULN): sweeps that end earlier cannot show a prolonged or even a normal F-wave, so the train is
    not interpretable. Nerves without a limit in the table are not checked.
    """
    if not isinstance(nerve, Nerve):
        raise ParameterError(f"nerve: expected a Nerve, got {type(nerve).__name__}")
    sw = nerve.fwaves
    if sw is None:
        return None
    if not isinstance(sw, Sweeps):  # pragma: no cover - Nerve validates this
        raise ParameterError(f"{nerve.label}: fwaves is not a Sweeps object")
    data = sw.data[sw.accepted]
    if data.shape[0] == 0:
        raise ParameterError(f"{nerve.label}: the F-wave train has no accepted sweep")
    if kwargs.get("min_sweep_end_ms") is None:
        from .normative import DEFAULT_TABLE

        lim = DEFAULT_TABLE.get(nerve.nerve, "min_f_latency_ms", kind="upper")
        kwargs["min_sweep_end_ms"] = None if lim is None else 1.5 * lim.value
    try:
        return measure_fwaves(data, sw.sfreq_hz, t0_ms=sw.t0_ms, **kwargs)
    except ParameterError as exc:
        raise ParameterError(f"{nerve.label}, F-wave train: {exc}") from exc


# ---- derived indices ------------------------------------------------------------------------------


def f_estimate_ms(
    distance_mm: float, cv_m_s: float, dml_ms: float, *, turnaround_ms: float = 1.0
) -> float:
    """Kimura's estimated minimal F latency from distance, conduction velocity and DML.

    Parameters
    ----------
    distance_mm : float, mm
        Stimulation point to the C7 (arm) or T12 (leg) spinous process, measured on the skin.
    cv_m_s : float, m/s
        Motor conduction velocity of the nerve (forearm or leg segment).
    dml_ms : float, ms
        Distal motor latency.
    turnaround_ms : float, ms
        Time for the antidromic volley to re-excite the motor neuron (1 ms in the formula).

    Returns
    -------
    float, ms

    Notes
    -----
    ``F_est = 2 * D / CV * 10 + DML + 1`` with D in cm and CV in m/s (``docs/fwaves.md``, after
    Kimura, *Electrodiagnosis in Diseases of Nerve and Muscle*; the primary text was not checked here:
    unverified). In ncs_emg's units (mm and m/s = mm/ms) the factor 10 disappears:
    ``F_est = 2 * distance_mm / cv_m_s + dml_ms + turnaround_ms``.

    Examples
    --------
    >>> f_estimate_ms(800.0, 60.0, 3.0)   # 80 cm at 60 m/s: 2*80/60*10 + 3 + 1
    30.666666666666668
    """
    d = check_positive(distance_mm, "distance_mm")
    cv = check_positive(cv_m_s, "cv_m_s")
    dml = check_positive(dml_ms, "dml_ms")
    turn = check_positive(turnaround_ms, "turnaround_ms", allow_zero=True)
    return 2.0 * d / cv + dml + turn


def f_ratio(f_latency_ms: float, m_latency_ms: float, *, turnaround_ms: float = 1.0) -> float:
    """Kimura's F-ratio: proximal over distal conduction time, ``(F - M - 1) / (2 M)``.

    Parameters
    ----------
    f_latency_ms : float, ms
        Minimal F latency with stimulation at the elbow (arm) or knee (leg).
    m_latency_ms : float, ms
        M latency with the same stimulation.
    turnaround_ms : float, ms
        Turnaround time at the motor neuron (1 ms).

    Returns
    -------
    float
        Dimensionless; about 1 in normal arms (the formula and the reference value come from general
        knowledge of Kimura's textbook, not checked against it: unverified).

    Examples
    --------
    >>> f_ratio(25.0, 6.0)
    1.5
    """
    f = check_positive(f_latency_ms, "f_latency_ms")
    m = check_positive(m_latency_ms, "m_latency_ms")
    turn = check_positive(turnaround_ms, "turnaround_ms", allow_zero=True)
    if f <= m + turn:
        raise ParameterError(
            f"f_latency_ms: {f:g} ms must exceed m_latency_ms + turnaround_ms = {m + turn:g} ms"
        )
    return (f - m - turn) / (2.0 * m)


def neurophysiological_index(
    cmap_amplitude_mv: float,
    dml_ms: float,
    persistence_pct: float,
    *,
    persistence_as: str = "fraction",
) -> float:
    """Neurophysiological Index (de Carvalho and Swash): distal CMAP amplitude / DML x F persistence.

    Parameters
    ----------
    cmap_amplitude_mv : float, mV
        Distal CMAP (negative-peak) amplitude.
    dml_ms : float, ms
        Distal motor latency.
    persistence_pct : float, %
        F-wave persistence of the same nerve.
    persistence_as : {"fraction", "percent"}
        Whether the persistence enters as a fraction (0-1, default) or in percent. The published
        scaling was not checked against the primary source (the secondary summary names only the
        formula): unverified, hence this switch.

    Returns
    -------
    float, mV/ms (times a fraction or a percentage)

    Notes
    -----
    ``NI = amplitude / DML * persistence`` (de Carvalho M, Swash M; ALS trial composite as summarised
    by a secondary source, ``docs/fwaves.md``; primary not checked: unverified). Any missing input is an error here:
    an NI from a NaN would be a silent number.

    Examples
    --------
    >>> neurophysiological_index(8.0, 3.2, 90.0)
    2.25
    """
    amp = check_positive(cmap_amplitude_mv, "cmap_amplitude_mv", allow_zero=True)
    dml = check_positive(dml_ms, "dml_ms")
    per = check_range(persistence_pct, "persistence_pct", 0.0, 100.0)
    if persistence_as not in ("fraction", "percent"):
        raise ParameterError(
            f"persistence_as: invalid value {persistence_as!r}; valid options: ['fraction', 'percent']"
        )
    scale = per / 100.0 if persistence_as == "fraction" else per
    return amp / dml * scale
