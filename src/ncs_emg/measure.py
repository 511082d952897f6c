"""CMAP measures and onset detectors.

Public functions are thin wrappers: they coerce and validate input, convert ms to samples
(:class:`CmapParams` → the ``ip``/``fp`` arrays of :func:`cmap_kernel_params`), call a numba kernel
from ``_kernels.py`` (imported lazily so that ``import ncs_emg`` does not load numba), package the
result (:mod:`ncs_emg.cmap_results`) and warn about implausible input (:func:`plausibility_warnings`).

The measurement procedure, rule by rule with the option that controls each, and every flag are in
``docs/measures.md``: baseline and noise; threshold and at-baseline band with floors from the noise,
the recording resolution and 5 µV; significant phases (hold of at least 3 samples); the main negative
phase; the response as the phases connected to it (earlier excursions counted, not measured; late
separated phases excluded); onset, or the foot when the signal never returned to baseline; phase ends
at an end band of 1 % of the amplitude (or the band crossing when it follows soon); negative-peak and
total durations from the major phases; parabola-fitted peaks; exact piecewise-linear areas. A
flagged measure is NaN, never a silent number.
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._validate import (
    as_sweeps,
    check_finite,
    check_option,
    check_positive,
    describe_fields,
    param_field,
    raise_nonfinite,
)
from .cmap_results import (
    CMAP_FLAG_NAMES,
    CMAP_LEVEL_NAMES,
    CMAP_MEASURE_NAMES,
    CmapMeasures,
    SiteError,
    SiteMeasures,
    StudyMeasures,
)
from .errors import NcsEmgError, NcsEmgWarning, ParameterError
from .types import Study, Sweeps

__all__ = [
    "CMAP_FLAG_NAMES",
    "CMAP_LEVEL_NAMES",
    "SiteError",
    "StudyMeasures",
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


@dataclass(frozen=True)
class OnsetMethod:
    """An onset detector available through ``measure_cmap(method=name)``.

    Attributes
    ----------
    name : str
        Registry key.
    summary : str
        One-line description.
    formula : str
        How the onset is computed.
    parameters : tuple of str
        ``measure_cmap`` keywords that change this detector's result.
    """

    name: str
    summary: str
    formula: str
    parameters: tuple[str, ...]


_METHODS = {
    "threshold": OnsetMethod(
        "threshold",
        "Baseline-deviation threshold with backward refinement (default).",
        "First sample where baseline - x > thr = max(k_sd * SD_baseline, min_threshold_mv) for "
        "hold_ms, refined back to where the signal left the baseline band (linear interpolation of "
        "the crossing of baseline - x = band, band = max(baseline_band_mv, band_k_sd * SD_baseline)).",
        ("k_sd", "min_threshold_mv", "hold_ms", "baseline_band_mv", "band_k_sd"),
    ),
    "tangent": OnsetMethod(
        "tangent",
        "Tangent extrapolation at the steepest descent of the first negative phase.",
        "t_onset = t_s - d(t_s) / d'(t_s), where t_s is the sample pair with the largest increase of "
        "d = baseline - x between the response start and the first peak of the deviation.",
        ("k_sd", "min_threshold_mv", "hold_ms"),
    ),
    "level": OnsetMethod(
        "level",
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


def index_at(t_ms: float, t0_ms: float, dt_ms: float) -> int:
    """First sample index whose time is >= ``t_ms`` (tolerant to rounding); ms in, index out."""
    return int(math.ceil((t_ms - t0_ms) / dt_ms - 1e-9))


_index_at = index_at  # old private name, kept until every caller uses index_at


def cmap_windows(
    n: int,
    t0_ms: float,
    dt_ms: float,
    *,
    blank_ms: float | None = None,
    baseline: str | None = None,
    min_baseline_ms: float | None = None,
    post_baseline_ms: float | None = None,
) -> tuple[int, int, int, str]:
    """Baseline window and search start of :func:`measure_cmap` for sweeps of ``n`` samples.

    Returns ``(bl_start, bl_stop, s_start, baseline_source)`` (sample indices; the baseline window is
    ``[bl_start, bl_stop)``). Pre-stimulus: every sample before the stimulus, used when ``baseline`` is
    ``"pre"`` or (``"auto"``) when at least ``min_baseline_ms`` and 2 samples exist; the search starts
    after the blanking. Post-artefact: ``post_baseline_ms`` (>= 2 samples) from the end of the
    blanking; the search starts after it. The caller checks that the windows fit the sweep.
    F-wave analysis measures its M-wave with the same windows (one definition for both). Options left
    None take the :data:`DEFAULT_CMAP_PARAMS` values.

    Raises
    ------
    ParameterError
        When ``baseline="pre"`` and fewer than 2 pre-stimulus samples exist.
    """
    d = DEFAULT_CMAP_PARAMS
    blank_ms = d.blank_ms if blank_ms is None else blank_ms
    baseline = d.baseline if baseline is None else baseline
    min_baseline_ms = d.min_baseline_ms if min_baseline_ms is None else min_baseline_ms
    post_baseline_ms = d.post_baseline_ms if post_baseline_ms is None else post_baseline_ms
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
        Floor of the band around baseline treated as "at baseline" (0.005): no real recording is
        quieter than a few µV, and without a floor a noise-free or over-smoothed baseline gives a band
        of 0 that an artefact tail or a drift of 2 µV never re-enters.
    band_k_sd : float, baseline SDs
        Band in baseline SDs (1.0).
    level_mv : float, mV
        Level of the ``"level"`` detector (0.1).
    saturation_ms : float, ms
        Run of identical extreme values that flags ``saturated`` (0.5; at least 3 samples). A clipped
        CMAP stays flat for a millisecond or more; a slow, small peak quantised to 1 µV can hold one
        value for 0.2-0.3 ms, which 0.2 ms (the former default) called saturation.
    peak_fit_ms : float, ms
        Width of the least-squares parabola fitted around the extreme samples (1.0; 0 = raw sample).
    search_stop_ms : float or None, ms
        End of the search window (None: the end of the sweep).
    min_hold_samples : int, samples
        Floor of the hold in samples (3): at 10 kHz a 0.1 ms hold is one sample, which one noise
        sample can satisfy.
    resolution_k : float, resolution steps
        The at-baseline band is at least this many steps of the recording resolution (2.0), the
        smallest non-zero difference between samples: a quantised baseline flickering by one step is
        at baseline.
    end_band_pct : float, %
        Phase ends (negative-peak duration, total duration) are where the signal re-enters a band of at
        least this % of the negative-peak amplitude (1.0): asymptotic tails, a filter tail or slow
        drift smaller than that do not hold the response open.
    end_lag_ms : float, ms
        When the signal reaches the at-baseline band within this time of re-entering the end band (a
        steep return, or a crossing into the next phase), the end is that band crossing, as exact as
        an onset (0.5); a slower tail ends at the end band.
    phase_pct : float, %
        A *major* phase peaks at >= this % of the negative-peak amplitude (10.0). Only major phases
        end the negative-peak window or the total duration: a small wiggle after a large positive
        lobe is not "the last negative phase".
    rebound_pct : float, %
        A major negative phase after a positive lobe extends the negative-peak window only when its
        peak is >= this % of that lobe's (50.0): the small undershoot that follows a large positive
        lobe is not "the last negative phase", while the alternating lobes of a dispersed,
        polyphasic CMAP are.
    gap_ms : float, ms
        Phases belong to one response only while the baseline gap between neighbours is at most this
        long (1.5): a noise burst 10 ms after the response is not part of it.
    excursion_gap_ms : float, ms
        A minor phase before the main negative phase that returns to baseline at least this long
        before the next phase is an excursion, not the start of the response (0.3).
    """

    method: str = param_field("threshold", "", "onset detector (see onset_methods())")
    blank_ms: float = param_field(1.0, "ms", "stimulus-artefact blanking; the search starts here")
    baseline: str = param_field(
        "auto", "", "baseline window: auto, pre (pre-stimulus) or post (post-artefact)"
    )
    min_baseline_ms: float = param_field(
        1.0, "ms", "pre-stimulus length that 'auto' needs to use it"
    )
    post_baseline_ms: float = param_field(0.5, "ms", "post-artefact baseline window length")
    k_sd: float = param_field(4.0, "SD", "phase-significance threshold in baseline SDs")
    min_threshold_mv: float = param_field(0.02, "mV", "floor of the significance threshold")
    hold_ms: float = param_field(0.1, "ms", "time above threshold for a phase to be significant")
    baseline_band_mv: float = param_field(0.005, "mV", "floor of the at-baseline band")
    band_k_sd: float = param_field(1.0, "SD", "at-baseline band in baseline SDs")
    level_mv: float = param_field(0.1, "mV", "level of the 'level' onset detector")
    saturation_ms: float = param_field(0.5, "ms", "flat run at the extreme that flags saturation")
    peak_fit_ms: float = param_field(1.0, "ms", "parabola width for peak values (0: raw sample)")
    search_stop_ms: float | None = param_field(
        None, "ms", "end of the search window (None: sweep end)"
    )
    min_hold_samples: int = param_field(
        3, "samples", "hold floor in samples (1 sample is noise at 10 kHz)"
    )
    resolution_k: float = param_field(
        2.0, "steps", "at-baseline band floor in recording-resolution steps"
    )
    end_band_pct: float = param_field(
        1.0, "%", "phase ends: band floor in % of the negative-peak amplitude (tails, drift)"
    )
    phase_pct: float = param_field(
        10.0, "%", "major phase: peak deviation >= this % of the negative-peak amplitude"
    )
    end_lag_ms: float = param_field(
        0.5, "ms", "a phase end is the at-baseline band crossing when it follows this soon"
    )
    rebound_pct: float = param_field(
        50.0, "%", "a negative phase after a positive lobe counts when >= this % of that lobe"
    )
    gap_ms: float = param_field(
        1.5, "ms", "largest baseline gap between two phases of one response"
    )
    excursion_gap_ms: float = param_field(
        0.3,
        "ms",
        "a minor phase before the main one that returns to baseline this long is an excursion",
    )

    def __post_init__(self) -> None:
        check_option(self.method, "method", _METHODS)
        check_option(self.baseline, "baseline", ("auto", "pre", "post"))
        for f in fields(self):
            v = getattr(self, f.name)
            if f.name in ("method", "baseline") or (f.name == "search_stop_ms" and v is None):
                continue
            if f.name == "min_hold_samples":
                if not isinstance(v, (int, np.integer)) or isinstance(v, (bool, np.bool_)) or v < 1:
                    raise ParameterError(f"min_hold_samples: expected an integer >= 1, got {v!r}")
                object.__setattr__(self, f.name, int(v))
                continue
            if isinstance(v, (bool, np.bool_, str, bytes)):
                raise ParameterError(f"{f.name}: expected a number, got {type(v).__name__} {v!r}")
            if f.name == "search_stop_ms":
                v = check_finite(v, f.name)
            else:
                v = check_positive(v, f.name, allow_zero=f.name not in _STRICTLY_POSITIVE)
            if f.name.endswith("_pct") and v > 100.0:
                raise ParameterError(f"{f.name}: must lie in [0, 100] %, got {v!r}")
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
        return describe_fields(cls)

    def hold_samples(self, dt_ms: float) -> int:
        """``hold_ms`` in samples (at least ``min_hold_samples``)."""
        return max(self.min_hold_samples, int(round(self.hold_ms / dt_ms)))

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
    (3.001, 5.0)

    The onset is where the signal leaves a band of at least 5 µV (``baseline_band_mv``): 1 µs after
    this noise-free sine starts. With ``baseline_band_mv=0`` it is exact:

    >>> round(float(measure_cmap(x, 20000, t0_ms=-5.0, baseline_band_mv=0).onset_latency_ms[0]), 6)
    3.0
    """
    p = resolve_cmap_params(params, overrides)
    X, _ = as_sweeps(x, name="x", check_finite=False)  # the kernel checks finiteness itself
    X = canonical_sweeps(X)
    fs = check_positive(_no_bool(sfreq_hz, "sfreq_hz"), "sfreq_hz")
    t0 = check_finite(_no_bool(t0_ms, "t0_ms"), "t0_ms")
    dt = 1000.0 / fs
    win = _search_windows(X.shape, fs, t0, p)
    out, flags = _run_cmap_kernel(X, dt, win, p)
    m = _package(out, flags, fs, t0, dt, source=win.source, p=p)
    for message in plausibility_warnings(X, m):
        warnings.warn(message, NcsEmgWarning, stacklevel=2)
    return m


#: From this many sweeps the parallel kernel is used (below it, thread start-up costs more).
PARALLEL_MIN_SWEEPS = 64
#: ``positive_first``: the response's leading positive phase reaches this fraction of the negative
#: peak amplitude (a display-polarity export turns a normal CMAP's large negative lobe into one).
POSITIVE_FIRST_FRAC = 0.5
#: Plausible range of CMAP amplitudes (mV): a response outside it suggests a unit mistake.
PLAUSIBLE_AMP_MV = (0.001, 100.0)
#: Sampling rates below this (Hz) suggest a rate given in kHz.
PLAUSIBLE_MIN_SFREQ_HZ = 1000.0


def plausibility_warnings(X: np.ndarray, m: CmapMeasures) -> list[str]:
    """Messages naming the likely mistake and its fix; they never change a number.

    Checks: sampling rate below 1 kHz (kHz given for Hz), amplitudes above 100 mV (µV given as mV),
    no response with every sample inside 1 µV... 20 µV of the baseline (V given as mV),
    positive-first responses (display polarity).
    """
    out = []
    fs = m.sfreq_hz
    if fs < PLAUSIBLE_MIN_SFREQ_HZ:
        out.append(
            f"sfreq_hz={fs:g} Hz is below {PLAUSIBLE_MIN_SFREQ_HZ:g} Hz, too slow for a CMAP: was "
            f"it given in kHz? pass Hz (sfreq_hz={fs * 1000:g})"
        )
    amp = m.neg_peak_amp_mv[~m.no_response]
    if amp.size and np.nanmax(amp, initial=0.0) > PLAUSIBLE_AMP_MV[1]:
        out.append(
            f"negative-peak amplitude up to {np.nanmax(amp):.4g} mV, above "
            f"{PLAUSIBLE_AMP_MV[1]:g} mV: are the samples in µV? pass mV (x / 1000)"
        )
    if m.no_response.all():
        ptp = float(np.max(X.max(axis=1) - X.min(axis=1)))
        if 0.0 < ptp < 0.05:
            out.append(
                f"no response, and the samples span only {ptp * 1000:.3g} µV: are they in V? pass "
                "mV (x * 1000)"
            )
    n_pos = int(m.positive_first.sum())
    if n_pos:
        out.append(
            f"{n_pos} of {m.n_sweeps} sweeps start with a positive phase of at least "
            f"{POSITIVE_FIRST_FRAC:.0%} of the negative peak (flag positive_first): display polarity "
            "(negative up) suspected; if so, flip the data (-x, or read_study(..., "
            "display_polarity=True))"
        )
    return out


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


def _search_windows(shape: tuple[int, int], fs: float, t0: float, p: CmapParams) -> CmapWindows:
    """Baseline and search windows for sweeps of ``shape[1]`` samples; ParameterError when they do
    not fit (suggesting ``x.T`` when the array has more rows than columns)."""
    n = shape[1]
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
            + (
                f". The array has shape {shape}, more sweeps than samples: time must be the last "
                "axis; was it transposed? pass x.T"
                if shape[0] > shape[1]
                else ""
            )
        )
    return CmapWindows(bl_start, bl_stop, s_start, s_stop, source)


def cmap_kernel_params(
    p: CmapParams, win: CmapWindows | tuple[int, int, int, int], dt_ms: float
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(ip, fp)`` parameter arrays of the CMAP kernels (``_kernels.CIP_*`` / ``CFP_*``).

    ``win``: the sample windows (a :class:`CmapWindows` or ``(bl_start, bl_stop, s_start, s_stop)``);
    ``dt_ms``: the sample interval. The F-wave analysis builds its M-wave step with this function and
    :data:`DEFAULT_CMAP_PARAMS`, and the tests build the naive twin's parameters with it, so that no
    caller keeps its own copy of a default.
    """
    from . import _kernels as K

    if isinstance(win, CmapWindows):
        win = (win.bl_start, win.bl_stop, win.s_start, win.s_stop)
    ip = np.zeros(K.N_CIP, dtype=np.int64)
    ip[K.CIP_BL_START], ip[K.CIP_BL_STOP], ip[K.CIP_S_START], ip[K.CIP_S_STOP] = win
    ip[K.CIP_HOLD] = p.hold_samples(dt_ms)
    ip[K.CIP_SAT] = p.saturation_samples(dt_ms)
    ip[K.CIP_FIT] = p.fit_half_samples(dt_ms)
    ip[K.CIP_METHOD] = {"threshold": K.M_THRESHOLD, "tangent": K.M_TANGENT, "level": K.M_LEVEL}[
        p.method
    ]
    ip[K.CIP_GAP] = int(round(p.gap_ms / dt_ms))
    ip[K.CIP_EXC_GAP] = max(1, int(round(p.excursion_gap_ms / dt_ms)))
    ip[K.CIP_END_LAG] = int(round(p.end_lag_ms / dt_ms))
    fp = np.zeros(K.N_CFP)
    fp[K.CFP_K_SD] = p.k_sd
    fp[K.CFP_MIN_THR] = p.min_threshold_mv
    fp[K.CFP_BAND_MV] = p.baseline_band_mv
    fp[K.CFP_BAND_K] = p.band_k_sd
    fp[K.CFP_LEVEL] = p.level_mv
    fp[K.CFP_RES_K] = p.resolution_k
    fp[K.CFP_END_FRAC] = p.end_band_pct / 100.0
    fp[K.CFP_PHASE_FRAC] = p.phase_pct / 100.0
    fp[K.CFP_REBOUND_FRAC] = p.rebound_pct / 100.0
    return ip, fp


def canonical_sweeps(X: np.ndarray) -> np.ndarray:
    """``X`` (C-contiguous float64, 2-D) as the one array type the CMAP kernels are compiled for: a
    read-only view (no copy). numba compiles every kernel, and every helper it calls, once per
    argument type, and a read-only array (``Sweeps.data``) is another type than a writable one, so
    user arrays and file sweeps share one compiled variant this way."""
    v = X.view()
    v.setflags(write=False)
    return v


def run_cmap_rows(
    X: np.ndarray,
    ip: np.ndarray,
    fp: np.ndarray,
    out: np.ndarray,
    flags: np.ndarray,
    *,
    parallel: bool = True,
) -> None:
    """Run the CMAP kernel on every row of ``X`` (a :func:`canonical_sweeps` array), writing ``out``
    and ``flags``; the one place that picks the compiled variant, so that every caller (CMAPs, the
    F-wave analysis's M-waves) shares it.

    Few sweeps (the first command a user runs, a study's sites): ``cmap_sweep`` once per sweep from
    Python (microseconds each), so no loop kernel is compiled on top of it (numba re-optimises and
    re-emits a caller's whole call tree: the serial loop kernel costs ~1 s more to compile). From
    :data:`PARALLEL_MIN_SWEEPS` sweeps (and ``parallel``): the parallel loop kernel, or the serial one
    when another thread holds the parallel slot.
    """
    from . import _kernels as K
    from ._jit import parallel_slot

    if X.shape[0] < PARALLEL_MIN_SWEEPS:
        for r in range(X.shape[0]):
            flags[r] = K.cmap_sweep(X[r], ip, fp, out[r])
        return
    with parallel_slot() as may_run_parallel:
        if parallel and may_run_parallel:
            K.cmap_batch(X, ip, fp, out, flags)
        else:
            K.cmap_serial(X, ip, fp, out, flags)


def _run_cmap_kernel(
    X: np.ndarray, dt: float, win: CmapWindows, p: CmapParams
) -> tuple[np.ndarray, np.ndarray]:
    """Run the CMAP kernel (:func:`run_cmap_rows`); raise on non-finite samples."""
    from . import _kernels as K

    out = np.empty((X.shape[0], K.N_CMAP_COLS))
    flags = np.zeros(X.shape[0], dtype=np.int64)
    ip, fp = cmap_kernel_params(p, win, dt)
    run_cmap_rows(X, ip, fp, out, flags)
    if (flags & K.F_NONFINITE).any():
        raise_nonfinite(X, "x")
    return out, flags


def _package(
    out: np.ndarray,
    flags: np.ndarray,
    fs: float,
    t0: float,
    dt: float,
    *,
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
        threshold_mv=out[:, K.C_THR],
        band_mv=out[:, K.C_BAND],
        end_band_mv=out[:, K.C_END_BAND],
        resolution_mv=out[:, K.C_RES],
        pre_response_excursions=out[:, K.C_N_EXC].astype(np.int64),
        no_response=(flags & K.F_NO_RESPONSE) != 0,
        saturated=(flags & K.F_SATURATED) != 0,
        end_not_found=(flags & K.F_END_NOT_FOUND) != 0,
        onset_at_search_start=(flags & K.F_ONSET_AT_START) != 0,
        onset_not_found=(flags & K.F_ONSET_NOT_FOUND) != 0,
        onset_from_foot=(flags & K.F_ONSET_FOOT) != 0,
        positive_first=out[:, K.C_LEAD_POS] >= POSITIVE_FIRST_FRAC * out[:, K.C_NEG_AMP],
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

    ``params`` and ``overrides`` as for :func:`measure_cmap`. Sweeps the file reader marked saturated
    (``Sweeps.saturated``: samples at the digital limits) are flagged ``saturated`` whatever their
    values look like (:func:`with_reader_saturation`).
    """
    if not isinstance(sweeps, Sweeps):
        raise ParameterError(f"sweeps: expected a Sweeps object, got {type(sweeps).__name__}")
    m = measure_cmap(sweeps.data, sweeps.sfreq_hz, t0_ms=sweeps.t0_ms, params=params, **overrides)
    clipped = getattr(sweeps, "saturated", None)
    if clipped is None or not np.any(clipped):
        return m
    return with_reader_saturation(m, np.asarray(clipped, dtype=bool))


def with_reader_saturation(m: CmapMeasures, clipped: np.ndarray) -> CmapMeasures:
    """``m`` with the reader's per-sweep digital saturation (``Sweeps.saturated``) ORed into
    ``saturated``: those sweeps' amplitudes and areas are NaN, as for a clipped response found in the
    values, and a flat clipped line is saturated, not ``no_response``."""
    changes: dict[str, Any] = {"saturated": m.saturated | clipped}
    changes["no_response"] = m.no_response & ~clipped
    for name in ("neg_peak_amp_mv", "peak_to_peak_amp_mv", "neg_area_mv_ms", "total_area_mv_ms"):
        changes[name] = np.where(clipped, np.nan, getattr(m, name))
    for a in changes.values():
        a.setflags(write=False)
    return dataclasses.replace(m, **changes)


def measure_study(
    study: Study, *, params: CmapParams | None = None, **overrides: Any
) -> StudyMeasures:
    """Measure every sweep of every site of every nerve of ``study``.

    A site that cannot be measured (for example sweeps too short for the baseline and blanking
    windows) does not stop the study: it becomes a :class:`~ncs_emg.cmap_results.SiteError` naming
    nerve, site and why, in ``StudyMeasures.errors``. Plausibility warnings name the nerve and site.
    ``params`` and ``overrides`` as for :func:`measure_cmap` (a bad option still raises, before
    anything is measured).

    Returns
    -------
    StudyMeasures
        Ids and measures of the measured sites (iterable), and the errors.

    Raises
    ------
    ParameterError
        When ``study`` is not a :class:`~ncs_emg.types.Study` or an option is invalid.
    """
    if not isinstance(study, Study):
        raise ParameterError(f"study: expected a Study, got {type(study).__name__}")
    p = resolve_cmap_params(params, overrides)
    sites, errors = [], []
    for ni, nerve in enumerate(study.nerves):
        ids = (nerve.nerve, nerve.side, nerve.muscle, nerve.label)
        for si, site in enumerate(nerve.sites):
            try:
                with warnings.catch_warnings(record=True) as caught:
                    warnings.simplefilter("always")
                    m = measure_sweeps(site.sweeps, params=p)
            except NcsEmgError as exc:
                errors.append(SiteError(ni, *ids, si, site.name, str(exc)))
                continue
            sites.append(SiteMeasures(ni, *ids, si, site.name, site.distance_mm, site.segment, m))
            for w in caught:  # plausibility warnings, now naming the nerve and site
                text = f"{nerve.label}, site {site.name!r}: {w.message}"
                warnings.warn(text, w.category, stacklevel=2)
    return StudyMeasures(study.subject_id, tuple(sites), tuple(errors), p)
