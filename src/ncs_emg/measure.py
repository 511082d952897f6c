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

import dataclasses
import math
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ._validate import as_sweeps, check_finite, check_option, check_positive, raise_nonfinite
from .errors import ParameterError
from .types import Nerve, Study, Sweeps

__all__ = [
    "CmapMeasures",
    "CmapParams",
    "DEFAULT_CMAP_PARAMS",
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
    parameters : CmapParams
        The options used.
    sfreq_hz : float, Hz
        Sampling rate of the measured sweeps.
    t0_ms : float, ms
        Time of sample 0 relative to the stimulus.
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
    parameters: CmapParams = field(default_factory=lambda: DEFAULT_CMAP_PARAMS)
    sfreq_hz: float = math.nan
    t0_ms: float = 0.0

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
        d["parameters"] = {
            **self.parameters.to_dict(),
            "sfreq_hz": self.sfreq_hz,
            "t0_ms": self.t0_ms,
        }
        return d


def index_at(t_ms: float, t0_ms: float, dt_ms: float) -> int:
    """First sample index whose time is >= ``t_ms`` (tolerant to rounding); ms in, index out."""
    return int(math.ceil((t_ms - t0_ms) / dt_ms - 1e-9))


_index_at = index_at  # old private name, kept until every caller uses index_at


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
    n_pre = max(0, min(n, index_at(0.0, t0_ms, dt_ms)))  # samples strictly before the stimulus
    i_blank = max(0, index_at(blank_ms, t0_ms, dt_ms))
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


def _opt(default: Any, unit: str, doc: str) -> Any:
    """A dataclass field with its unit and meaning as metadata (used for docs and validation)."""
    return field(default=default, metadata={"unit": unit, "doc": doc})


@dataclass(frozen=True)
class CmapParams:
    """Options of :func:`measure_cmap`: one frozen object, one source of defaults.

    Every field has a unit (``""`` = dimensionless) and a meaning in ``CmapParams.describe()``;
    ``docs/measures.md`` explains the procedure they steer. Build one with keywords
    (``CmapParams(k_sd=5)``) or derive one with :meth:`replace`; a bad value raises
    :class:`~ncs_emg.errors.ParameterError` naming the field.

    Attributes
    ----------
    method : str
        Onset detector, one of :func:`onset_methods` (default ``"threshold"``).
    blank_ms : float, ms
        Stimulus-artefact blanking: the response is searched from this time after the stimulus (1.0).
    baseline : {"auto", "pre", "post"}
        Baseline window: pre-stimulus samples, a window after the blanking, or pre-stimulus when at
        least ``min_baseline_ms`` exist, otherwise post (``"auto"``).
    min_baseline_ms : float, ms
        Pre-stimulus length needed for ``"auto"`` to use it (1.0).
    post_baseline_ms : float, ms
        Length of the post-artefact baseline window; the search starts after it (0.5).
    k_sd : float, baseline SDs
        Phase-significance threshold in baseline SDs (4.0).
    min_threshold_mv : float, mV
        Threshold floor (0.02).
    hold_ms : float, ms
        Time the deviation must stay above threshold for a phase to count (0.1).
    baseline_band_mv : float, mV
        Floor of the band around baseline treated as "at baseline" (0.0).
    band_k_sd : float, baseline SDs
        Band in baseline SDs (1.0).
    level_mv : float, mV
        Level of the ``"level"`` detector (0.1).
    saturation_ms : float, ms
        Run of identical extreme values that flags ``saturated`` (0.2; at least 3 samples).
    peak_fit_ms : float, ms
        Width of the least-squares parabola fitted around the extreme samples (1.0; 0 = raw sample).
    search_stop_ms : float or None, ms
        End of the search window (None: the end of the sweep).
    """

    method: str = _opt("threshold", "", "onset detector (see onset_methods())")
    blank_ms: float = _opt(1.0, "ms", "stimulus-artefact blanking; the search starts here")
    baseline: str = _opt(
        "auto", "", "baseline window: auto, pre (pre-stimulus) or post (post-artefact)"
    )
    min_baseline_ms: float = _opt(1.0, "ms", "pre-stimulus length that 'auto' needs to use it")
    post_baseline_ms: float = _opt(0.5, "ms", "post-artefact baseline window length")
    k_sd: float = _opt(4.0, "SD", "phase-significance threshold in baseline SDs")
    min_threshold_mv: float = _opt(0.02, "mV", "floor of the significance threshold")
    hold_ms: float = _opt(0.1, "ms", "time above threshold for a phase to be significant")
    baseline_band_mv: float = _opt(0.0, "mV", "floor of the at-baseline band")
    band_k_sd: float = _opt(1.0, "SD", "at-baseline band in baseline SDs")
    level_mv: float = _opt(0.1, "mV", "level of the 'level' onset detector")
    saturation_ms: float = _opt(0.2, "ms", "flat run at the extreme that flags saturation")
    peak_fit_ms: float = _opt(1.0, "ms", "parabola width for peak values (0: raw sample)")
    search_stop_ms: float | None = _opt(None, "ms", "end of the search window (None: sweep end)")

    def __post_init__(self) -> None:
        check_option(self.method, "method", _METHODS)
        check_option(self.baseline, "baseline", ("auto", "pre", "post"))
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("method", "baseline") or (f.name == "search_stop_ms" and v is None):
                continue
            if isinstance(v, (bool, np.bool_, str, bytes)):
                raise ParameterError(f"{f.name}: expected a number, got {type(v).__name__} {v!r}")
            if f.name == "search_stop_ms":
                v = check_finite(v, f.name)
            else:
                v = check_positive(v, f.name, allow_zero=f.name not in _STRICTLY_POSITIVE)
            object.__setattr__(self, f.name, v)

    def replace(self, **changes: Any) -> CmapParams:
        """A copy with ``changes`` applied (unknown names raise ParameterError listing valid ones)."""
        check_param_names(changes, CmapParams, "measure_cmap")
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """The options as a JSON-ready dict."""
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """One row per option: name, default, unit, meaning."""
        return [
            {
                "name": f.name,
                "default": f.default,
                "unit": f.metadata["unit"],
                "doc": f.metadata["doc"],
            }
            for f in fields(cls)
        ]

    def hold_samples(self, dt_ms: float) -> int:
        """``hold_ms`` in samples (at least 1)."""
        return max(1, int(round(self.hold_ms / dt_ms)))

    def saturation_samples(self, dt_ms: float) -> int:
        """``saturation_ms`` in samples (at least 3)."""
        return max(3, int(round(self.saturation_ms / dt_ms)))

    def fit_half_samples(self, dt_ms: float) -> int:
        """Half-width of the peak-fit window in samples."""
        return int(round(self.peak_fit_ms / 2.0 / dt_ms))


_STRICTLY_POSITIVE = ("min_baseline_ms", "post_baseline_ms", "level_mv", "saturation_ms")
#: The default options (one source of defaults for measure_cmap and the F-wave M-wave step).
DEFAULT_CMAP_PARAMS = CmapParams()


def check_param_names(changes: dict[str, Any], cls: type, where: str) -> None:
    """Raise ParameterError for keywords that are not fields of the parameter class ``cls``."""
    names = {f.name for f in fields(cls)}
    unknown = sorted(set(changes) - names)
    if unknown:
        raise ParameterError(
            f"{where}: unknown option(s) {unknown}; valid options: {sorted(names)}"
        )


def resolve_cmap_params(params: CmapParams | None, overrides: dict[str, Any]) -> CmapParams:
    """``params`` (default :data:`DEFAULT_CMAP_PARAMS`) with keyword ``overrides`` applied."""
    if params is None:
        params = DEFAULT_CMAP_PARAMS
    elif not isinstance(params, CmapParams):
        raise ParameterError(f"params: expected a CmapParams or None, got {type(params).__name__}")
    return params.replace(**overrides) if overrides else params


def measure_cmap(
    x: Any,
    sfreq_hz: float,
    *,
    t0_ms: float = 0.0,
    params: CmapParams | None = None,
    **overrides: Any,
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
    params : CmapParams or None
        Measurement options (default: :data:`DEFAULT_CMAP_PARAMS`); see :class:`CmapParams` for every
        option with its unit, default and meaning.
    **overrides
        Any :class:`CmapParams` field by name, applied on top of ``params`` (for example
        ``method="tangent"``, ``k_sd=5``, ``blank_ms=1.5``, ``search_stop_ms=30``).

    Returns
    -------
    CmapMeasures
        Arrays of shape (n_sweeps,) (also for a single 1-D sweep), flags, and the options used
        (``parameters``).

    Raises
    ------
    ParameterError
        For empty, 0-D or 3-D input, non-finite samples, ``sfreq_hz`` <= 0 or NaN, an unknown option
        or method, or sweeps too short for the baseline and blanking windows.

    Notes
    -----
    The procedure is in the module docstring and ``docs/measures.md`` (negative-peak duration: the
    EFNS/PNS 2010 wording). Latencies are relative to the stimulus.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(-5, 25, 0.05)                         # ms, 20 kHz, 5 ms pre-stimulus
    >>> x = np.where((t >= 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)
    >>> m = measure_cmap(x, 20000, t0_ms=-5.0)
    >>> round(float(m.onset_latency_ms[0]), 3), round(float(m.neg_peak_amp_mv[0]), 2)
    (3.0, 5.0)
    """
    p = resolve_cmap_params(params, overrides)
    X, _ = as_sweeps(x, name="x", check_finite=False)  # the kernel checks finiteness itself
    fs = check_positive(_no_bool(sfreq_hz, "sfreq_hz"), "sfreq_hz")
    t0 = check_finite(_no_bool(t0_ms, "t0_ms"), "t0_ms")
    dt = 1000.0 / fs
    win = _search_windows(X.shape[1], fs, t0, p)
    out, flags = _run_cmap_kernel(X, dt, win, p)
    return _package(out, flags, fs, t0, dt, win.source, p)


def _no_bool(value: Any, name: str) -> Any:
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}: expected a number, got the boolean {value!r}")
    return value


@dataclass(frozen=True)
class CmapWindows:
    """Sample windows of one sweep length: baseline ``[bl_start, bl_stop)``, search ``[s_start, s_stop)``."""

    bl_start: int
    bl_stop: int
    s_start: int
    s_stop: int
    source: str


def _search_windows(n: int, fs: float, t0: float, p: CmapParams) -> CmapWindows:
    """Baseline and search windows for sweeps of ``n`` samples; ParameterError when they do not fit."""
    dt = 1000.0 / fs
    bl_start, bl_stop, s_start, source = cmap_windows(
        n,
        t0,
        dt,
        blank_ms=p.blank_ms,
        baseline=p.baseline,
        min_baseline_ms=p.min_baseline_ms,
        post_baseline_ms=p.post_baseline_ms,
    )
    s_stop = n
    if p.search_stop_ms is not None:
        s_stop = min(n, index_at(p.search_stop_ms, t0, dt) + 1)
    if bl_stop > n or s_start > s_stop - 2:
        t_end = t0 + (n - 1) * dt
        raise ParameterError(
            f"x: sweeps too short for the baseline and blanking windows: {n} samples at {fs:g} Hz span "
            f"{t0:g} to {t_end:g} ms, but the {source} baseline ends at sample {bl_stop} and the "
            f"search starts at {t0 + s_start * dt:g} ms (blank_ms={p.blank_ms:g}"
            + ("" if source == "pre-stimulus" else f", post_baseline_ms={p.post_baseline_ms:g}")
            + "); record longer sweeps or shorten those windows"
        )
    return CmapWindows(bl_start, bl_stop, s_start, s_stop, source)


def _run_cmap_kernel(
    X: np.ndarray, dt: float, win: CmapWindows, p: CmapParams
) -> tuple[np.ndarray, np.ndarray]:
    """Run the serial (few sweeps) or parallel CMAP kernel; raise on non-finite samples."""
    from . import _kernels as K

    out = np.empty((X.shape[0], K.N_CMAP_COLS))
    flags = np.zeros(X.shape[0], dtype=np.int64)
    kernel = K.cmap_batch if X.shape[0] >= 64 else K.cmap_serial
    kernel(
        X,
        win.bl_start,
        win.bl_stop,
        win.s_start,
        win.s_stop,
        p.k_sd,
        p.min_threshold_mv,
        p.hold_samples(dt),
        p.baseline_band_mv,
        p.band_k_sd,
        _METHODS[p.method].method_id,
        p.level_mv,
        p.saturation_samples(dt),
        out,
        flags,
        p.fit_half_samples(dt),
    )
    if (flags & K.F_NONFINITE).any():
        raise_nonfinite(X, "x")
    return out, flags


def _package(
    out: np.ndarray,
    flags: np.ndarray,
    fs: float,
    t0: float,
    dt: float,
    source: str,
    p: CmapParams,
) -> CmapMeasures:
    """Kernel output (sample units) to a :class:`CmapMeasures` (ms, mV, mV·ms)."""
    from . import _kernels as K

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
    return CmapMeasures(
        **res, baseline_source=source, method=p.method, parameters=p, sfreq_hz=fs, t0_ms=t0
    )


def measure_sweeps(
    sweeps: Sweeps, *, params: CmapParams | None = None, **overrides: Any
) -> CmapMeasures:
    """:func:`measure_cmap` on a :class:`~ncs_emg.types.Sweeps` (its rate and time base).

    ``params`` and ``overrides`` as for :func:`measure_cmap`.
    """
    if not isinstance(sweeps, Sweeps):
        raise ParameterError(f"sweeps: expected a Sweeps object, got {type(sweeps).__name__}")
    return measure_cmap(
        sweeps.data, sweeps.sfreq_hz, t0_ms=sweeps.t0_ms, params=params, **overrides
    )


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
