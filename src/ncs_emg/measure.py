"""CMAP measures and onset detectors (definitions: ``domain.md`` section 3).

Public functions are thin wrappers: they coerce and validate input, convert ms to samples, call a
numba kernel from ``_kernels.py`` (imported lazily so that ``import ncs_emg`` does not load numba),
and package the result.

Measurement procedure (every sweep)
-----------------------------------
1. **Baseline** (mV): mean of the pre-stimulus samples when at least ``min_baseline_ms`` of them exist
   (``baseline_source == "pre-stimulus"``), otherwise of a ``post_baseline_ms`` window that starts after
   the blanking window (``"post-artefact"``). **Noise** (mV): the SD of that window.
2. **Deviation** ``d(t) = baseline - x(t)``: positive while the signal is below baseline (a negative
   phase). A *phase* is a maximal run with ``d > band`` (negative phase) or ``d < -band`` (positive phase),
   ``band = max(baseline_band_mv, band_k_sd * noise)``; its boundaries are interpolated linearly between samples. A phase is
   *significant* when ``|d| > thr`` for at least ``hold_ms``, with ``thr = max(k_sd * noise,
   min_threshold_mv)``.
3. The **response** begins with the first significant negative phase after the blanking window. None →
   ``no_response`` and every measure NaN.
4. **Negative-peak duration** ends where the last significant negative phase that precedes the final
   significant positive phase returns to baseline (EFNS/PNS 2010 wording; for a biphasic CMAP the first
   baseline crossing). **Total duration** ends where the last significant phase returns to baseline.
5. **Negative-peak amplitude** = baseline − the minimum within the negative-peak window;
   **peak-to-peak** = the maximum between the negative peak and the end of the total duration minus that
   minimum. Both extremes (and the negative peak's time) are taken from the vertex of a least-squares
   parabola over ``peak_fit_ms`` around the extreme sample (0: the sample itself), which removes the
   outward bias of picking the most extreme noisy sample.
6. **Negative-peak area** = ∫ (baseline − x) dt over [onset, end of negative-peak duration] (signed: a
   polyphasic window nets its positive lobes out); **total area** = ∫ |baseline − x| dt over the total
   duration. Integrals are exact for the piecewise-linear interpolant of the samples.
7. Durations and areas start at the onset of the selected ``method``.

Flags: ``no_response``; ``saturated`` (a run of at least ``saturation_ms`` — and 3 samples — of identical
values at the most negative sample of the significant negative phases or the most positive sample of the
significant positive phases: the amplifier clipped the response; amplitudes and areas are NaN, latencies
kept); ``end_not_found`` (a significant phase
was still open at the end of the search window: that end, its duration and area are NaN);
``onset_at_search_start`` (the signal already deviated when the search began — response inside the
blanking or baseline window: onset, durations and areas NaN); ``onset_not_found`` (the method found no
onset: the ``level`` was never reached, or the tangent meets the baseline before the search window).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ._validate import as_sweeps, check_finite, check_option, check_positive, raise_nonfinite
from .errors import ParameterError
from .types import Nerve, Study, Sweeps

__all__ = [
    "CmapMeasures",
    "OnsetMethod",
    "SiteMeasures",
    "measure_cmap",
    "measure_sweeps",
    "measure_study",
    "onset_methods",
    "CMAP_MEASURE_NAMES",
]

#: Per-sweep float measures of :class:`CmapMeasures`, in output order.
CMAP_MEASURE_NAMES = (
    "onset_latency_ms",
    "neg_peak_latency_ms",
    "neg_peak_amp_mv",
    "peak_to_peak_amp_mv",
    "neg_area_mv_ms",
    "total_area_mv_ms",
    "neg_duration_ms",
    "total_duration_ms",
    "baseline_mv",
    "noise_mv",
)
_FLAG_NAMES = (
    "no_response",
    "saturated",
    "end_not_found",
    "onset_at_search_start",
    "onset_not_found",
)


@dataclass(frozen=True)
class OnsetMethod:
    """An onset detector available through ``measure_cmap(method=name)``.

    Attributes
    ----------
    name : str
        Registry key.
    method_id : int
        Kernel branch (private).
    summary : str
        One-line description.
    formula : str
        How the onset is computed.
    parameters : tuple of str
        ``measure_cmap`` keywords that change this detector's result.
    """

    name: str
    method_id: int
    summary: str
    formula: str
    parameters: tuple[str, ...]


_METHODS = {
    "threshold": OnsetMethod(
        "threshold",
        0,
        "Baseline-deviation threshold with backward refinement (default).",
        "First sample where baseline - x > thr = max(k_sd * SD_baseline, min_threshold_mv) for "
        "hold_ms, refined back to where the signal left the baseline band (linear interpolation of "
        "the crossing of baseline - x = band, band = max(baseline_band_mv, band_k_sd * SD_baseline)).",
        ("k_sd", "min_threshold_mv", "hold_ms", "baseline_band_mv", "band_k_sd"),
    ),
    "tangent": OnsetMethod(
        "tangent",
        1,
        "Tangent extrapolation at the steepest descent of the first negative phase.",
        "t_onset = t_s - d(t_s) / d'(t_s), where t_s is the sample pair with the largest increase of "
        "d = baseline - x between the response start and the first peak of the deviation.",
        ("k_sd", "min_threshold_mv", "hold_ms"),
    ),
    "level": OnsetMethod(
        "level",
        2,
        "Fixed level, no refinement (what many machines' automatic cursors do).",
        "First time after the response start where baseline - x exceeds level_mv (interpolated); "
        "biased late for small or dispersed CMAPs.",
        ("level_mv",),
    ),
}


def onset_methods() -> dict[str, OnsetMethod]:
    """The registered onset detectors, keyed by the name ``measure_cmap(method=...)`` accepts.

    Examples
    --------
    >>> sorted(onset_methods())
    ['level', 'tangent', 'threshold']
    """
    return dict(_METHODS)


def _json_list(a: np.ndarray) -> list:
    if a.dtype == bool:
        return [bool(v) for v in a]
    return [None if not math.isfinite(v) else float(v) for v in a]


@dataclass(frozen=True, eq=False)
class CmapMeasures:
    """CMAP measures of one or more sweeps; every array has shape (n_sweeps,).

    Attributes
    ----------
    onset_latency_ms : ndarray, ms
        Stimulus to onset of the first negative phase (at the most distal site: the DML).
    neg_peak_latency_ms : ndarray, ms
        Stimulus to the most negative sample of the negative-peak window.
    neg_peak_amp_mv : ndarray, mV
        Baseline minus the negative peak (positive number).
    peak_to_peak_amp_mv : ndarray, mV
        Following positive peak minus negative peak.
    neg_area_mv_ms : ndarray, mV·ms
        Signed integral of (baseline − x) over the negative-peak duration (positive for a negative phase).
    total_area_mv_ms : ndarray, mV·ms
        Integral of |baseline − x| over the total duration.
    neg_duration_ms : ndarray, ms
        Onset to the return to baseline of the last negative phase.
    total_duration_ms : ndarray, ms
        Onset to the final return to baseline.
    baseline_mv : ndarray, mV
        Baseline level subtracted before measuring.
    noise_mv : ndarray, mV
        SD of the baseline window.
    no_response, saturated, end_not_found, onset_at_search_start, onset_not_found : ndarray of bool
        Flags (module docstring); a flagged measure is NaN, never a silent number.
    baseline_source : str
        ``"pre-stimulus"`` or ``"post-artefact"``.
    method : str
        Onset detector used.
    threshold_info : dict
        Parameters used (thresholds in mV, windows in ms).
    """

    onset_latency_ms: np.ndarray
    neg_peak_latency_ms: np.ndarray
    neg_peak_amp_mv: np.ndarray
    peak_to_peak_amp_mv: np.ndarray
    neg_area_mv_ms: np.ndarray
    total_area_mv_ms: np.ndarray
    neg_duration_ms: np.ndarray
    total_duration_ms: np.ndarray
    baseline_mv: np.ndarray
    noise_mv: np.ndarray
    no_response: np.ndarray
    saturated: np.ndarray
    end_not_found: np.ndarray
    onset_at_search_start: np.ndarray
    onset_not_found: np.ndarray
    baseline_source: str
    method: str
    threshold_info: dict = field(default_factory=dict)

    @property
    def n_sweeps(self) -> int:
        """Number of sweeps measured."""
        return int(self.onset_latency_ms.shape[0])

    def sweep(self, i: int) -> dict[str, Any]:
        """Measures and flags of sweep ``i`` as a flat dict of Python scalars (NaN kept)."""
        row: dict[str, Any] = {"sweep": int(i)}
        for k in CMAP_MEASURE_NAMES:
            row[k] = float(getattr(self, k)[i])
        for k in _FLAG_NAMES:
            row[k] = bool(getattr(self, k)[i])
        row["baseline_source"] = self.baseline_source
        return row

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict: lists per attribute, NaN as None, plus method and parameters."""
        d: dict[str, Any] = {
            k: _json_list(getattr(self, k)) for k in CMAP_MEASURE_NAMES + _FLAG_NAMES
        }
        d["baseline_source"] = self.baseline_source
        d["method"] = self.method
        d["parameters"] = dict(self.threshold_info)
        return d


def _index_at(t_ms: float, t0_ms: float, dt_ms: float) -> int:
    """First sample index whose time is >= t_ms (tolerant to rounding)."""
    return int(math.ceil((t_ms - t0_ms) / dt_ms - 1e-9))


def cmap_windows(
    n: int,
    t0_ms: float,
    dt_ms: float,
    *,
    blank_ms: float = 1.0,
    baseline: str = "auto",
    min_baseline_ms: float = 1.0,
    post_baseline_ms: float = 0.5,
) -> tuple[int, int, int, str]:
    """Baseline window and search start of :func:`measure_cmap` for sweeps of ``n`` samples.

    Returns ``(bl_start, bl_stop, s_start, baseline_source)`` (sample indices; the baseline window is
    ``[bl_start, bl_stop)``). Pre-stimulus: every sample before the stimulus, used when ``baseline`` is
    ``"pre"`` or (``"auto"``) when at least ``min_baseline_ms`` and 2 samples exist; the search starts
    after the blanking. Post-artefact: ``post_baseline_ms`` (>= 2 samples) from the end of the
    blanking; the search starts after it. The caller checks that the windows fit the sweep.
    F-wave analysis measures its M-wave with the same windows (one definition for both).

    Raises
    ------
    ParameterError
        When ``baseline="pre"`` and fewer than 2 pre-stimulus samples exist.
    """
    n_pre = max(0, min(n, _index_at(0.0, t0_ms, dt_ms)))  # samples strictly before the stimulus
    i_blank = max(0, _index_at(blank_ms, t0_ms, dt_ms))
    if baseline == "pre" and n_pre < 2:
        raise ParameterError(
            f"baseline='pre' needs at least 2 pre-stimulus samples; the sweep starts at "
            f"t0_ms={t0_ms} ({n_pre} samples before the stimulus)"
        )
    if baseline == "pre" or (
        baseline == "auto" and n_pre * dt_ms >= min_baseline_ms and n_pre >= 2
    ):
        return 0, n_pre, i_blank, "pre-stimulus"
    n_post = max(2, int(round(post_baseline_ms / dt_ms)))
    return i_blank, i_blank + n_post, i_blank + n_post, "post-artefact"


def measure_cmap(
    x: Any,
    sfreq_hz: float,
    *,
    t0_ms: float = 0.0,
    method: str = "threshold",
    blank_ms: float = 1.0,
    baseline: str = "auto",
    min_baseline_ms: float = 1.0,
    post_baseline_ms: float = 0.5,
    k_sd: float = 4.0,
    min_threshold_mv: float = 0.02,
    hold_ms: float = 0.1,
    baseline_band_mv: float = 0.0,
    band_k_sd: float = 1.0,
    level_mv: float = 0.1,
    saturation_ms: float = 0.2,
    peak_fit_ms: float = 1.0,
    search_stop_ms: float | None = None,
) -> CmapMeasures:
    """Measure CMAPs: onset, negative peak, peak-to-peak, areas and durations.

    Parameters
    ----------
    x : array_like, shape (n_samples,) or (n_sweeps, n_samples), mV
        Physical voltage, active minus reference (a normal CMAP starts negative). Integers accepted.
    sfreq_hz : float, Hz
        Sampling rate.
    t0_ms : float, ms
        Time of sample 0 relative to the stimulus (negative with a pre-stimulus baseline).
    method : str
        Onset detector, one of :func:`onset_methods` (``"threshold"``, ``"tangent"``, ``"level"``).
    blank_ms : float, ms
        Stimulus-artefact blanking: the response is searched from this time after the stimulus.
    baseline : {"auto", "pre", "post"}
        Baseline window: pre-stimulus samples (``"pre"``), a window after the blanking (``"post"``), or
        pre-stimulus when at least ``min_baseline_ms`` exist, otherwise post (``"auto"``).
    min_baseline_ms : float, ms
        Pre-stimulus length needed for ``"auto"`` to use it.
    post_baseline_ms : float, ms
        Length of the post-artefact baseline window; the search starts after it.
    k_sd : float
        Threshold in baseline SDs.
    min_threshold_mv : float, mV
        Threshold floor (keeps the threshold meaningful on very quiet or noise-free sweeps).
    hold_ms : float, ms
        Time the deviation must stay above threshold for a phase to count (at least one sample).
    baseline_band_mv, band_k_sd : float (mV), float
        The band around baseline treated as "at baseline" when finding where a phase starts and ends
        is ``max(baseline_band_mv, band_k_sd * noise)``. With noise, 1 SD keeps the backward refinement
        from running into the noise before the response; on noise-free sweeps the band is 0 (exact
        baseline crossings) unless ``baseline_band_mv`` > 0, which waveforms with asymptotic tails need.
    level_mv : float, mV
        Level of the ``"level"`` detector.
    saturation_ms : float, ms
        A run this long (and at least 3 samples) of identical values at the response's most negative
        or most positive value flags ``saturated``. Quantised (integer) data with a very slow, small
        peak can hold a short flat top: keep this well above one sample.
    peak_fit_ms : float, ms
        Width of the window (centred on the extreme sample) of the least-squares parabola whose vertex
        gives the negative peak's value and time and the positive peak's value. 0 takes the extreme
        sample itself. With noise the extreme sample is biased outward (it picks the most extreme noise
        excursion): on simulated CMAPs at 30 dB SNR the raw sample overstated the amplitude by 4 % on
        average, the 1-ms parabola by < 0.1 % (benchmarks/README.md).
    search_stop_ms : float or None, ms
        End of the search window (default: the end of the sweep).

    Returns
    -------
    CmapMeasures
        Arrays of shape (n_sweeps,) (also for a single 1-D sweep) and flags.

    Raises
    ------
    ParameterError
        For empty, 0-D or 3-D input, non-finite samples, ``sfreq_hz`` <= 0 or NaN, an unknown method,
        or sweeps too short for the baseline and blanking windows.

    Notes
    -----
    Definitions follow ``domain.md`` section 3 (negative-peak duration: EFNS/PNS 2010 wording); the
    full procedure is in the module docstring. Latencies are relative to the stimulus.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-5, 25, 0.05)                         # ms, 20 kHz, 5 ms pre-stimulus
    >>> x = np.where((t >= 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)
    >>> m = measure_cmap(x, 20000, t0_ms=-5.0)
    >>> round(float(m.onset_latency_ms[0]), 3), round(float(m.neg_peak_amp_mv[0]), 2)
    (3.0, 5.0)
    """
    X, _ = as_sweeps(
        x, name="x", check_finite=False
    )  # the kernel checks finiteness in its first pass
    fs = check_positive(sfreq_hz, "sfreq_hz")
    t0 = check_finite(t0_ms, "t0_ms")
    check_option(method, "method", _METHODS)
    check_option(baseline, "baseline", ("auto", "pre", "post"))
    blank = check_positive(blank_ms, "blank_ms", allow_zero=True)
    min_bl = check_positive(min_baseline_ms, "min_baseline_ms")
    post_bl = check_positive(post_baseline_ms, "post_baseline_ms")
    k = check_positive(k_sd, "k_sd", allow_zero=True)
    min_thr = check_positive(min_threshold_mv, "min_threshold_mv", allow_zero=True)
    hold = check_positive(hold_ms, "hold_ms", allow_zero=True)
    band = check_positive(baseline_band_mv, "baseline_band_mv", allow_zero=True)
    band_k = check_positive(band_k_sd, "band_k_sd", allow_zero=True)
    level = check_positive(level_mv, "level_mv")
    sat = check_positive(saturation_ms, "saturation_ms")
    fit = check_positive(peak_fit_ms, "peak_fit_ms", allow_zero=True)
    dt = 1000.0 / fs
    n = X.shape[1]
    t_end = t0 + (n - 1) * dt

    bl_start, bl_stop, s_start, source = cmap_windows(
        n,
        t0,
        dt,
        blank_ms=blank,
        baseline=baseline,
        min_baseline_ms=min_bl,
        post_baseline_ms=post_bl,
    )
    use_pre = source == "pre-stimulus"
    s_stop = n
    if search_stop_ms is not None:
        stop = check_finite(search_stop_ms, "search_stop_ms")
        s_stop = min(n, _index_at(stop, t0, dt) + 1)
    if bl_stop > n or s_start > s_stop - 2:
        raise ParameterError(
            f"x: sweeps too short for the baseline and blanking windows: {n} samples at {fs:g} Hz span "
            f"{t0:g} to {t_end:g} ms, but the {source} baseline ends at sample {bl_stop} and the "
            f"search starts at {t0 + s_start * dt:g} ms (blank_ms={blank:g}"
            + ("" if use_pre else f", post_baseline_ms={post_bl:g}")
            + "); record longer sweeps or shorten those windows"
        )
    hold_n = max(1, int(round(hold / dt)))
    sat_n = max(3, int(round(sat / dt)))
    fit_h = int(round(fit / 2.0 / dt))

    from . import _kernels as K

    out = np.empty((X.shape[0], K.N_CMAP_COLS))
    flags = np.zeros(X.shape[0], dtype=np.int64)
    kernel = K.cmap_batch if X.shape[0] >= 64 else K.cmap_serial
    kernel(
        X,
        bl_start,
        bl_stop,
        s_start,
        s_stop,
        k,
        min_thr,
        hold_n,
        band,
        band_k,
        _METHODS[method].method_id,
        level,
        sat_n,
        out,
        flags,
        fit_h,
    )
    if (flags & K.F_NONFINITE).any():
        raise_nonfinite(X, "x")

    onset = t0 + out[:, K.C_ONSET] * dt
    res = dict(
        onset_latency_ms=onset,
        neg_peak_latency_ms=t0 + out[:, K.C_NEG_PEAK] * dt,
        neg_peak_amp_mv=out[:, K.C_NEG_AMP],
        peak_to_peak_amp_mv=out[:, K.C_P2P],
        neg_area_mv_ms=out[:, K.C_NEG_AREA] * dt,
        total_area_mv_ms=out[:, K.C_TOT_AREA] * dt,
        neg_duration_ms=(out[:, K.C_NEG_END] * dt + t0) - onset,
        total_duration_ms=(out[:, K.C_TOT_END] * dt + t0) - onset,
        baseline_mv=out[:, K.C_BASE],
        noise_mv=out[:, K.C_NOISE],
        no_response=(flags & K.F_NO_RESPONSE) != 0,
        saturated=(flags & K.F_SATURATED) != 0,
        end_not_found=(flags & K.F_END_NOT_FOUND) != 0,
        onset_at_search_start=(flags & K.F_ONSET_AT_START) != 0,
        onset_not_found=(flags & K.F_ONSET_NOT_FOUND) != 0,
    )
    for a in res.values():
        a.setflags(write=False)
    info = dict(
        k_sd=k,
        min_threshold_mv=min_thr,
        hold_ms=hold,
        baseline_band_mv=band,
        band_k_sd=band_k,
        level_mv=level,
        blank_ms=blank,
        baseline=baseline,
        min_baseline_ms=min_bl,
        post_baseline_ms=post_bl,
        saturation_ms=sat,
        peak_fit_ms=fit,
        search_stop_ms=search_stop_ms,
        sfreq_hz=fs,
        t0_ms=t0,
    )
    return CmapMeasures(**res, baseline_source=source, method=method, threshold_info=info)


def measure_sweeps(sweeps: Sweeps, **kwargs: Any) -> CmapMeasures:
    """:func:`measure_cmap` on a :class:`~ncs_emg.types.Sweeps` (its rate and time base)."""
    if not isinstance(sweeps, Sweeps):
        raise ParameterError(f"sweeps: expected a Sweeps object, got {type(sweeps).__name__}")
    return measure_cmap(sweeps.data, sweeps.sfreq_hz, t0_ms=sweeps.t0_ms, **kwargs)


@dataclass(frozen=True, eq=False)
class SiteMeasures:
    """CMAP measures of every sweep of one stimulation site.

    Attributes
    ----------
    nerve : Nerve
        The nerve the site belongs to.
    nerve_index : int
        Position of the nerve in the study.
    site_index : int
        Position of the site, 0 = most distal.
    site_name : str
        Site name.
    distance_mm : float or None, mm
        Site distance (see :class:`~ncs_emg.types.Site`).
    segment : str or None
        Segment label.
    measures : CmapMeasures
        Per-sweep measures.
    """

    nerve: Nerve
    nerve_index: int
    site_index: int
    site_name: str
    distance_mm: float | None
    segment: str | None
    measures: CmapMeasures

    def rows(self) -> list[dict[str, Any]]:
        """One flat dict per sweep, with nerve and site identification first."""
        head = {
            "nerve_index": self.nerve_index,
            "nerve": self.nerve.nerve,
            "side": self.nerve.side,
            "muscle": self.nerve.muscle,
            "site_index": self.site_index,
            "site": self.site_name,
            "distance_mm": self.distance_mm,
            "segment": self.segment,
        }
        return [{**head, **self.measures.sweep(i)} for i in range(self.measures.n_sweeps)]


def measure_study(study: Study, **kwargs: Any) -> list[SiteMeasures]:
    """Measure every sweep of every site of every nerve of ``study`` (``kwargs`` → :func:`measure_cmap`)."""
    if not isinstance(study, Study):
        raise ParameterError(f"study: expected a Study, got {type(study).__name__}")
    out = []
    for ni, nerve in enumerate(study.nerves):
        for si, site in enumerate(nerve.sites):
            try:
                m = measure_sweeps(site.sweeps, **kwargs)
            except ParameterError as exc:
                raise ParameterError(f"{nerve.label}, site {site.name!r}: {exc}") from exc
            out.append(SiteMeasures(nerve, ni, si, site.name, site.distance_mm, site.segment, m))
    return out
