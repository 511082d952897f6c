"""F-wave train analysis: parameters, procedure and derived indices (``docs/fwaves.md``).

Public functions are thin wrappers around the numba kernels of the "F-waves" section of
``_kernels.py`` (imported lazily, so ``import ncs_emg`` does not load numba); results are in
:mod:`ncs_emg.fwave_results`.

Procedure (every train; sample-level details in the kernel docstrings)
----------------------------------------------------------------------
1. **M-wave.** The mean of the sweeps is measured with the CMAP kernel of :func:`ncs_emg.measure_cmap`
   and the options ``FWaveParams.cmap`` (default: the CMAP defaults): M onset, negative-peak and
   peak-to-peak amplitude. Unless ``m_end_ms`` is given, the **M end** is the first time after the M
   negative peak from which the mean sweep stays within ``max(tail_band_mv, tail_k_sd * SD)`` of its
   baseline for ``quiet_ms`` (SD: the mean sweep's baseline noise): the M-wave *and its tail* have
   returned to baseline.
2. **Smoothing, guard window, noise.** The F steps run on every sweep smoothed by a centred moving
   average of ``smooth_ms`` (2h + 1 samples). Guard window ``[M end + h, M end + guard_ms)``: the
   baseline (mean) of every sweep. **Noise** of every sweep: the lower quartile over blocks of
   ``noise_block_ms`` of the smoothed sweep's RMS about its F-window mean (responses fill a minority of
   the blocks; hum and drift are in all of them). The **train noise** is the median over sweeps.
3. **F window** ``[M end + guard_ms, search_stop_ms or the sweep end)``. Thresholds:
   detection ``max(threshold_mv, noise_k_sd * noise)`` (peak-to-peak, default 40 µV); onset
   ``max(onset_k_sd * noise, min_onset_threshold_mv)``; baseline band
   ``max(baseline_band_mv, band_k_sd * noise)``.
4. **A-waves.** A component of the mean sweep inside the F window that exceeds
   ``max(a_min_mv, a_k_sd * noise / sqrt(n_sweeps))`` is a candidate; it is an A-wave when on at least
   ``a_min_sweeps_pct`` % of the sweeps the extreme of the same sign lies within
   ``a_latency_tol_ms`` of the template peak and the sweep correlates with the mean over the component
   (± ``a_pad_ms``) with r > ``a_min_corr``. A-wave windows are excluded from the F search on every
   sweep and reported (:class:`~ncs_emg.fwave_results.AWave`).
5. **F-waves** per sweep over the unmasked F window: present when max - min reaches the detection
   threshold; amplitude = that peak-to-peak. Onset: significant deflections (beyond the onset
   threshold for ``hold_ms``) less than ``onset_gap_ms`` apart form one response; the sweep's F response
   is the first response whose own peak-to-peak reaches the detection threshold, else the one reaching
   the sweep's largest deviation (F peak); the onset is where its first deflection left the baseline
   band (interpolated). A deflection already under way at the start of the F window or at the edge of
   an A-wave window has a hidden onset: the sweep counts for persistence, its latency is NaN.
6. **Repeaters** (kept in the statistics, counted): present sweeps i, j with peak-latency difference
   < ``rep_latency_tol_ms``, amplitude difference ``|a_i - a_j| < rep_amp_tol_pct % * max(a_i, a_j)``
   and correlation > ``rep_min_corr`` over the union of their response windows; groups join
   transitively. ``repeater_pct`` = 100 * repeater sweeps / sweeps with an F-wave.

The repeater rule (< 0.5 ms, < 10 %, r > 0.9) is the one published automatic rule summarised in
``docs/fwaves.md``; its primary source was not checked here (unverified). Which amplitude the "10 %"
refers to is not stated there; ncs_emg uses the larger of the two peak-to-peak amplitudes.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._validate import check_finite, check_positive, check_range, describe_fields, param_field
from .errors import ParameterError
from .fwave_results import (
    FWAVE_SUMMARY_NAMES,
    AWave,
    FWaveMeasures,
    FWaveTrains,
    fwave_columns,
)
from .measure import (
    DEFAULT_CMAP_PARAMS,
    CmapParams,
    cmap_kernel_params,
    cmap_windows,
    index_at,
    run_cmap_rows,
)
from .types import Nerve, Sweeps

__all__ = [
    "FWaveParams",
    "DEFAULT_FWAVE_PARAMS",
    "FWaveMeasures",
    "FWaveTrains",
    "measure_fwaves",
    "measure_fwave_trains",
    "measure_nerve_fwaves",
    "fwave_columns",
    "fwave_kernel_params",
    "fwave_m_inputs",
    "f_estimate_ms",
    "f_ratio",
    "neurophysiological_index",
    "FWAVE_SUMMARY_NAMES",
]

_MAX_A = 8  # A-wave output slots per train


def _opt(default: Any, unit: str, doc: str, check: str = "nonneg") -> Any:
    """A parameter field with its unit, meaning and validation rule as metadata."""
    return param_field(default, unit, doc, check=check)


@dataclass(frozen=True)
class FWaveParams:
    """Options of the F-wave analysis: one frozen object, one source of defaults.

    Every field has a unit (``""`` = dimensionless), a default and a meaning in
    ``FWaveParams.describe()``; ``docs/fwaves.md`` explains the procedure they steer. The M-wave step
    uses ``cmap`` (a :class:`~ncs_emg.measure.CmapParams`, default the CMAP defaults: no copies).
    Build one with keywords or :meth:`replace`; a bad value raises
    :class:`~ncs_emg.errors.ParameterError` naming the field.

    Attributes
    ----------
    threshold_mv : float, mV
        Peak-to-peak detection threshold floor (0.04 = 40 µV; 0.02 also common).
    noise_k_sd : float, noise SDs
        The detection threshold is at least this many train-noise units (10; 0 disables).
    onset_k_sd : float, noise SDs
        Onset threshold in train-noise units (5).
    min_onset_threshold_mv : float, mV
        Onset threshold floor (0.01).
    band_k_sd : float, noise SDs
        Baseline band the onset is refined back to, in train-noise units (3).
    baseline_band_mv : float, mV
        Band floor (0.001: one step of a 1-µV-resolution recording).
    hold_ms : float, ms
        Time a deflection must stay beyond the onset threshold (0.1).
    onset_gap_ms : float, ms
        Significant deflections closer than this form one response (5: the shortest motor-unit
        potential).
    smooth_ms : float, ms
        Width of the centred moving average the F steps run on (0.3; 0 = raw samples).
    noise_block_ms : float, ms
        Block length of the noise estimate (2.5).
    tail_band_mv, tail_k_sd, quiet_ms : float (mV), float (SDs), float (ms)
        "Returned to baseline" criterion of the M-wave tail on the mean sweep (0.01, 3, 1.0).
    guard_ms : float, ms
        Guard after the M end; also each sweep's baseline window (2.0).
    search_stop_ms : float or None, ms
        End of the F window (None: the end of the sweeps).
    min_window_ms : float, ms
        Shorter F windows make the train not interpretable (10).
    min_sweeps : int
        Fewer sweeps make the train not interpretable (10).
    min_m_amplitude_mv : float, mV
        A smaller M-wave makes the train not interpretable (0.2).
    a_latency_tol_ms, a_min_corr, a_min_sweeps_pct : float (ms), float, float (%)
        A-wave rule: same latency within 0.2 ms, correlation > 0.9, on >= 80 % of the sweeps.
    a_min_mv : float or None, mV
        A-wave candidate floor on the mean sweep (None: a quarter of ``threshold_mv``).
    a_k_sd : float, noise SDs
        A-wave candidate level in units of the mean sweep's noise, noise / sqrt(n_sweeps) (5).
    a_merge_ms, a_pad_ms : float, ms
        Candidate phases closer than ``a_merge_ms`` form one A-wave (1.0); ``a_pad_ms`` widens its
        window (0.5).
    a_peak_fit_ms : float, ms
        Parabola width for the A-wave template's and each sweep's peak time (1.0; 0 = raw sample).
    a_min_train_sweeps : int
        Trains with fewer sweeps get no A-wave detection ("most sweeps" is undefined) (5).
    rep_latency_tol_ms, rep_amp_tol_pct, rep_min_corr, rep_pad_ms : float (ms), float (%), float, float (ms)
        Repeater rule (< 0.5 ms, < 10 %, > 0.9) and correlation-window padding (0.5).
    max_threshold_ratio : float
        Not interpretable ("noise-limited") when the effective detection threshold exceeds this
        multiple of ``threshold_mv`` (2).
    min_sweep_end_ms : float or None, ms
        Not interpretable when the F search ends before this time (None: not checked; see
        :func:`ncs_emg.normative.required_f_sweep_end_ms`).
    cmap : CmapParams
        Options of the M-wave step (``blank_ms``, thresholds, peak fit...).
    """

    threshold_mv: float = _opt(0.04, "mV", "peak-to-peak detection threshold floor", "pos")
    noise_k_sd: float = _opt(10.0, "SD", "detection threshold in train-noise units")
    onset_k_sd: float = _opt(5.0, "SD", "onset threshold in train-noise units")
    min_onset_threshold_mv: float = _opt(0.01, "mV", "onset threshold floor")
    band_k_sd: float = _opt(3.0, "SD", "at-baseline band in train-noise units")
    baseline_band_mv: float = _opt(0.001, "mV", "at-baseline band floor")
    hold_ms: float = _opt(0.1, "ms", "time beyond the onset threshold for a deflection", "pos")
    onset_gap_ms: float = _opt(5.0, "ms", "deflections closer than this: one response", "pos")
    smooth_ms: float = _opt(0.3, "ms", "centred moving average the F steps run on")
    noise_block_ms: float = _opt(2.5, "ms", "block length of the noise estimate", "pos")
    tail_band_mv: float = _opt(0.01, "mV", "M tail back at baseline: band floor")
    tail_k_sd: float = _opt(3.0, "SD", "M tail back at baseline: band in mean-sweep SDs")
    quiet_ms: float = _opt(1.0, "ms", "M tail back at baseline: for this long", "pos")
    guard_ms: float = _opt(2.0, "ms", "guard after the M end (baseline window)", "pos")
    search_stop_ms: float | None = _opt(None, "ms", "end of the F window (None: sweep end)", "opt")
    min_window_ms: float = _opt(10.0, "ms", "shortest F window for an interpretable train", "pos")
    min_sweeps: int = _opt(10, "", "fewest sweeps for an interpretable train", "count")
    min_m_amplitude_mv: float = _opt(0.2, "mV", "smallest M-wave for an interpretable train")
    a_latency_tol_ms: float = _opt(0.2, "ms", "A-wave: peak latency tolerance", "pos")
    a_min_corr: float = _opt(0.9, "", "A-wave: correlation with the template above", "corr")
    a_min_sweeps_pct: float = _opt(80.0, "%", "A-wave: on at least this % of sweeps", "pct")
    a_min_mv: float | None = _opt(
        None, "mV", "A-wave candidate floor (None: threshold_mv / 4)", "optpos"
    )
    a_k_sd: float = _opt(5.0, "SD", "A-wave candidate level in mean-sweep noise units")
    a_merge_ms: float = _opt(1.0, "ms", "A-wave: phases closer than this are one candidate")
    a_pad_ms: float = _opt(0.5, "ms", "A-wave: window padding")
    a_peak_fit_ms: float = _opt(1.0, "ms", "A-wave: parabola width for peak times (0: raw)")
    a_min_train_sweeps: int = _opt(5, "", "A-wave detection needs this many sweeps", "count")
    rep_latency_tol_ms: float = _opt(0.5, "ms", "repeaters: peak latency difference below", "pos")
    rep_amp_tol_pct: float = _opt(10.0, "%", "repeaters: amplitude difference below", "pct")
    rep_min_corr: float = _opt(0.9, "", "repeaters: correlation above", "corr")
    rep_pad_ms: float = _opt(0.5, "ms", "repeaters: correlation-window padding")
    max_threshold_ratio: float = _opt(2.0, "", "noise-limited above this x threshold_mv", "pos")
    min_sweep_end_ms: float | None = _opt(None, "ms", "the F search must reach this time", "opt")
    cmap: CmapParams = _opt(DEFAULT_CMAP_PARAMS, "", "options of the M-wave step", "cmap")

    def __post_init__(self) -> None:
        for f in fields(self):
            object.__setattr__(self, f.name, _check_field(f, getattr(self, f.name)))

    def replace(self, **changes: Any) -> FWaveParams:
        """A copy with ``changes`` applied; ``CmapParams`` field names go to ``cmap``."""
        return _apply(self, changes, "FWaveParams")

    def to_dict(self) -> dict[str, Any]:
        """The options as a JSON-ready dict (``cmap`` nested)."""
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "cmap"}
        d["cmap"] = self.cmap.to_dict()
        return d

    @classmethod
    def describe(cls) -> list[dict[str, Any]]:
        """One row per option: name, default, unit, meaning."""
        return describe_fields(cls)

    def a_floor_mv(self) -> float:
        """The A-wave candidate floor (``a_min_mv`` or a quarter of ``threshold_mv``)."""
        return 0.25 * self.threshold_mv if self.a_min_mv is None else self.a_min_mv


def _check_field(f: Any, v: Any) -> Any:
    """Validate one FWaveParams field by its ``check`` rule; returns the coerced value."""
    rule, name = f.metadata["check"], f.name
    if rule == "cmap":
        if not isinstance(v, CmapParams):
            raise ParameterError(f"cmap: expected a CmapParams, got {type(v).__name__}")
        return v
    if rule == "count":
        if isinstance(v, (bool, np.bool_)) or not isinstance(v, (int, np.integer)) or v < 1:
            raise ParameterError(f"{name}: expected an integer >= 1, got {v!r}")
        return int(v)
    if v is None and rule in ("opt", "optpos"):
        return None
    if isinstance(v, (bool, np.bool_, str, bytes)):
        raise ParameterError(f"{name}: expected a number, got {type(v).__name__} {v!r}")
    if rule == "opt":
        return check_finite(v, name)
    if rule == "corr":
        return check_range(v, name, -1.0, 1.0)
    if rule == "pct":
        return check_range(v, name, 0.0, 100.0)
    return check_positive(v, name, allow_zero=rule == "nonneg")


def _apply(p: FWaveParams, changes: dict[str, Any], where: str) -> FWaveParams:
    """``p`` with keyword changes; CmapParams names go to ``p.cmap``; unknown names raise."""
    own = {f.name for f in fields(FWaveParams)}
    cmap_names = {f.name for f in fields(CmapParams)}
    unknown = sorted(set(changes) - own - cmap_names)
    if unknown:
        raise ParameterError(
            f"{where}: unknown option(s) {unknown}; valid options: {sorted(own | cmap_names)}"
        )
    to_cmap = {k: v for k, v in changes.items() if k in cmap_names and k not in own}
    mine = {k: v for k, v in changes.items() if k in own}
    if to_cmap:
        mine["cmap"] = mine.get("cmap", p.cmap).replace(**to_cmap)
    return dataclasses.replace(p, **mine) if mine else p


#: The default F-wave options.
DEFAULT_FWAVE_PARAMS = FWaveParams()


def resolve_fwave_params(params: FWaveParams | None, overrides: dict[str, Any]) -> FWaveParams:
    """``params`` (default :data:`DEFAULT_FWAVE_PARAMS`) with keyword ``overrides`` applied."""
    if params is None:
        params = DEFAULT_FWAVE_PARAMS
    elif not isinstance(params, FWaveParams):
        raise ParameterError(
            f"params: expected an FWaveParams or None, got {type(params).__name__}"
        )
    return _apply(params, overrides, "measure_fwaves") if overrides else params


# ---- input --------------------------------------------------------------------------------------


def _as_trains(x: Any, name: str) -> np.ndarray:
    """``x`` as a C-contiguous float64 (n_trains, n_sweeps, n_samples) array, or ParameterError."""
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
    return _read_only(np.ascontiguousarray(arr, dtype=np.float64))


def _read_only(a: np.ndarray) -> np.ndarray:
    """A read-only view: numba types read-only arrays (``Sweeps.data``) apart from writable ones, so
    the kernels always get read-only input and compile one variant (as ``measure_cmap`` does)."""
    v = a.view()
    v.setflags(write=False)
    return v


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
        f"{name}: non-finite sample {float(X3[t, s, i])!r} at {where}; all samples must be finite "
        "numbers in mV"
    )


def _per_train_option(v: Any, key: str, n_t: int) -> np.ndarray:
    """A scalar, None or (n_trains,) option as an array over trains (NaN = measure)."""
    if v is None:
        return np.full(n_t, np.nan)
    a = np.asarray(v, dtype=float) if not isinstance(v, str) else None
    if a is None or a.ndim > 1 or (a.ndim == 1 and a.shape != (n_t,)):
        raise ParameterError(f"{key}: expected a number, None or {n_t} numbers, got {v!r}")
    a = np.broadcast_to(a, (n_t,)).astype(float)
    if np.isinf(a).any():
        raise ParameterError(f"{key}: expected finite numbers (NaN = measure), got {v!r}")
    return a


@dataclass(frozen=True)
class _TimeBase:
    """Sampling of the trains and the sample windows derived from the options."""

    n: int
    t0: float
    dt: float
    f_stop: int  # F window stop (exclusive)
    m_win: tuple[int, int, int] | None  # M-wave baseline and search windows (None: do not fit)


def _time_base(n: int, sfreq_hz: Any, t0_ms: Any, p: FWaveParams) -> _TimeBase:
    fs_hz = check_positive(sfreq_hz, "sfreq_hz")
    t0 = check_finite(t0_ms, "t0_ms")
    dt = 1000.0 / fs_hz
    f_stop = n
    if p.search_stop_ms is not None:
        f_stop = min(n, index_at(p.search_stop_ms, t0, dt) + 1)
        if f_stop < 2:
            raise ParameterError(
                f"search_stop_ms: {p.search_stop_ms:g} ms is before the sweep's second sample "
                f"({t0 + dt:g} ms)"
            )
    bl_start, bl_stop, s_start, _src = cmap_windows(n, t0, dt, blank_ms=p.cmap.blank_ms)
    fits = not (bl_stop > n or s_start > n - 2)
    return _TimeBase(n, t0, dt, f_stop, (bl_start, bl_stop, s_start) if fits else None)


def _m_end_indices(m_end_ms: np.ndarray, tb: _TimeBase) -> np.ndarray:
    """Given M ends as sample indices (-1: measure), checked to lie inside the sweep."""
    idx = np.full(m_end_ms.shape[0], -1, dtype=np.int64)
    for t, v in enumerate(m_end_ms):
        if math.isnan(v):
            continue
        i = index_at(v, tb.t0, tb.dt)
        if not 0 <= i < tb.n:
            t_end = tb.t0 + (tb.n - 1) * tb.dt
            raise ParameterError(
                f"m_end_ms: {v:g} ms lies outside the sweep ({tb.t0:g} to {t_end:g} ms)"
            )
        idx[t] = i
    return idx


def fwave_kernel_params(
    p: FWaveParams, n_samples: int, sfreq_hz: float, t0_ms: float = 0.0
) -> tuple[np.ndarray, np.ndarray]:
    """The ``(ip, fp)`` parameter arrays of ``_kernels.fw_train`` (``FIP_*`` / ``FFP_*``) for sweeps
    of ``n_samples`` at ``sfreq_hz`` starting at ``t0_ms``.

    The M-wave block is :func:`ncs_emg.measure.cmap_kernel_params` of ``p.cmap``; the benchmark and
    the tests build the naive twin's parameters with this function, so that no caller keeps its own
    copy of a default.
    """
    return _kernel_params(p, _time_base(n_samples, sfreq_hz, t0_ms, p))


def _kernel_params(p: FWaveParams, tb: _TimeBase) -> tuple[np.ndarray, np.ndarray]:
    from . import _kernels as K

    dt = tb.dt
    win = tb.m_win if tb.m_win is not None else ((0, 2, 2) if tb.n >= 4 else (0, 1, 1))
    ip = np.zeros(K.N_FIP, dtype=np.int64)
    fp = np.zeros(K.N_FFP)
    cip, cfp = cmap_kernel_params(p.cmap, (*win, tb.n), dt)
    ip[K.FIP_CMAP : K.FIP_CMAP + K.N_CIP] = cip
    fp[K.FFP_CMAP : K.FFP_CMAP + K.N_CFP] = cfp

    def n_of(ms: float, lo: int = 0) -> int:
        return max(lo, int(round(ms / dt)))

    ip[K.FIP_F_STOP] = tb.f_stop
    ip[K.FIP_GUARD] = n_of(p.guard_ms, 2)
    ip[K.FIP_QUIET] = n_of(p.quiet_ms, 1)
    ip[K.FIP_MIN_WIN] = n_of(p.min_window_ms, 2)
    ip[K.FIP_HOLD] = n_of(p.hold_ms, 1)
    ip[K.FIP_A_MERGE] = n_of(p.a_merge_ms)
    ip[K.FIP_A_PAD] = n_of(p.a_pad_ms)
    ip[K.FIP_A_MIN_SWEEPS] = p.a_min_train_sweeps
    ip[K.FIP_R_PAD] = n_of(p.rep_pad_ms)
    ip[K.FIP_A_FIT] = n_of(p.a_peak_fit_ms / 2.0)
    ip[K.FIP_ON_GAP] = n_of(p.onset_gap_ms, 1)
    ip[K.FIP_NOISE_BLK] = n_of(p.noise_block_ms, 2)
    ip[K.FIP_SMOOTH] = n_of(p.smooth_ms / 2.0)
    fp[K.FFP_TAIL_BAND] = p.tail_band_mv
    fp[K.FFP_TAIL_K] = p.tail_k_sd
    fp[K.FFP_THR] = p.threshold_mv
    fp[K.FFP_NOISE_K] = p.noise_k_sd
    fp[K.FFP_ON_K] = p.onset_k_sd
    fp[K.FFP_ON_MIN] = p.min_onset_threshold_mv
    fp[K.FFP_BAND] = p.baseline_band_mv
    fp[K.FFP_BAND_K] = p.band_k_sd
    fp[K.FFP_A_MIN] = p.a_floor_mv()
    fp[K.FFP_A_K] = p.a_k_sd
    fp[K.FFP_A_TOL] = p.a_latency_tol_ms / dt
    fp[K.FFP_A_CORR] = p.a_min_corr
    fp[K.FFP_A_PCT] = p.a_min_sweeps_pct
    fp[K.FFP_R_TOL] = p.rep_latency_tol_ms / dt
    fp[K.FFP_R_AMP] = p.rep_amp_tol_pct / 100.0
    fp[K.FFP_R_CORR] = p.rep_min_corr
    return ip, fp


# ---- kernel ---------------------------------------------------------------------------------------


def fwave_m_inputs(
    X3: np.ndarray, ip: np.ndarray, fp: np.ndarray, parallel: bool = False
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The M-wave inputs of ``fw_serial``/``fw_batch``: mean sweeps (sum over sweeps in order, divided
    by their number), and the CMAP kernel's rows and flags on them (``ip``/``fp``'s CMAP block).

    The CMAP kernel runs here, not inside the F kernel, so that the F kernel does not link and
    recompile it (it is compiled once, shared with :func:`ncs_emg.measure_cmap`).
    """
    from . import _kernels as K

    M = X3[:, 0, :].copy()
    for s in range(1, X3.shape[1]):
        M += X3[:, s, :]
    M /= X3.shape[1]
    M = _read_only(M)  # the CMAP kernel variant measure_cmap compiled
    CM = np.empty((X3.shape[0], K.N_CMAP_COLS))
    CF = np.zeros(X3.shape[0], dtype=np.int64)
    cip = np.ascontiguousarray(ip[K.FIP_CMAP : K.FIP_CMAP + K.N_CIP])
    cfp = np.ascontiguousarray(fp[K.FFP_CMAP : K.FFP_CMAP + K.N_CFP])
    # the CMAP kernel variants measure_cmap uses (compiled once)
    run_cmap_rows(M, cip, cfp, CM, CF, parallel=parallel)
    return M, CM, CF


def _fw_serial(X3: np.ndarray, M: np.ndarray, *rest: np.ndarray) -> None:
    """``fw_train`` once per train from Python, one workspace for all (what ``fw_serial`` does, without
    compiling a loop kernel on top of fw_train: numba re-optimises a caller's whole call tree)."""
    from . import _kernels as K

    CM, CF, ip, fp, m_end, out_s, flags_s, out_t, a_out, tflags = rest
    Y = np.empty((X3.shape[1], X3.shape[2]))
    ym = np.empty(X3.shape[2])
    for t in range(X3.shape[0]):
        row = (out_s[t], flags_s[t], out_t[t], a_out[t])
        tflags[t] = K.fw_train(X3[t], M[t], CM[t], CF[t], ip, fp, m_end[t], *row, Y, ym)


@dataclass
class _Raw:
    """Kernel outputs over trains (``_kernels`` FS_*/FF_*/FT_*/FA_* layouts)."""

    out_s: np.ndarray
    flags_s: np.ndarray
    out_t: np.ndarray
    a_out: np.ndarray
    tflags: np.ndarray

    def arrays(self) -> tuple[np.ndarray, ...]:
        """The output arrays in the kernels' argument order (not copies)."""
        return self.out_s, self.flags_s, self.out_t, self.a_out, self.tflags


def _run_kernel(
    X3: np.ndarray, tb: _TimeBase, p: FWaveParams, m_end_idx: np.ndarray, parallel: bool | None
) -> _Raw:
    """Run fw_serial or fw_batch on the trains that can be analysed (M windows fit or M end given)."""
    from . import _kernels as K

    n_t, n_s, _n = X3.shape
    ip, fp = _kernel_params(p, tb)
    raw = _Raw(
        np.full((n_t, n_s, K.N_FS_COLS), np.nan),
        np.zeros((n_t, n_s), dtype=np.int64),
        np.full((n_t, K.N_FT_COLS), np.nan),
        np.full((n_t, _MAX_A, K.N_FA_COLS), np.nan),
        np.zeros(n_t, dtype=np.int64),
    )
    run = np.ones(n_t, dtype=bool) if tb.m_win is not None else m_end_idx >= 0
    raw.tflags[~run] = K.FTF_NO_M
    use_par = (n_t >= 8) if parallel is None else bool(parallel)
    kernel = K.fw_batch if use_par else _fw_serial
    if run.all():
        kernel(X3, *fwave_m_inputs(X3, ip, fp, use_par), ip, fp, m_end_idx, *raw.arrays())
    elif run.any():
        sel = np.flatnonzero(run)
        sub = _Raw(*(np.empty((sel.size,) + a.shape[1:], a.dtype) for a in raw.arrays()))
        Xs = _read_only(np.ascontiguousarray(X3[sel]))
        kernel(Xs, *fwave_m_inputs(Xs, ip, fp, use_par), ip, fp, m_end_idx[sel], *sub.arrays())
        for a, b in zip(raw.arrays(), sub.arrays(), strict=True):
            a[sel] = b
    if tb.m_win is None:  # M-wave windows did not fit: M measures are meaningless
        for c in (K.FT_M_ONSET, K.FT_M_NEG_AMP, K.FT_M_P2P, K.FT_M_NEG_PEAK):
            raw.out_t[:, c] = np.nan
    return raw


# ---- packaging ------------------------------------------------------------------------------------


def _per_sweep(raw: _Raw, tb: _TimeBase) -> tuple[dict[str, np.ndarray], np.ndarray]:
    """Per-sweep fields (ms, mV) and the trains whose F window exists."""
    from . import _kernels as K

    window_ok = (raw.tflags & (K.FTF_NO_M | K.FTF_TAIL | K.FTF_SHORT)) == 0
    present = ((raw.flags_s & K.FF_PRESENT) != 0) & window_ok[:, None]
    o = raw.out_s
    repeater = present & ((raw.flags_s & K.FF_REPEATER) != 0)
    sweep = dict(
        present=present,
        onset_latency_ms=np.where(present, tb.t0 + o[:, :, K.FS_ONSET] * tb.dt, np.nan),
        peak_to_peak_amp_mv=np.where(window_ok[:, None], o[:, :, K.FS_PP], np.nan),
        peak_latency_ms=np.where(present, tb.t0 + o[:, :, K.FS_PEAK_I] * tb.dt, np.nan),
        onset_hidden=present & ((raw.flags_s & (K.FF_ONSET_HIDDEN | K.FF_ONSET_NOT_FOUND)) != 0),
        repeater=repeater,
        repeater_group=np.where(repeater, o[:, :, K.FS_GROUP], -1).astype(np.int64),
        noise_mv=o[:, :, K.FS_NOISE],
    )
    return sweep, window_ok


def _latency_stats(lat: np.ndarray) -> dict[str, np.ndarray]:
    """Min, mean, median, max and chronodispersion over the non-NaN latencies of each train."""
    n_s = lat.shape[1]
    has = ~np.isnan(lat)
    n_lat = has.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        lo, hi = np.fmin.reduce(lat, axis=1), np.fmax.reduce(lat, axis=1)
        mean = np.where(n_lat > 0, np.where(has, lat, 0.0).sum(axis=1) / n_lat, np.nan)
    srt = np.sort(lat, axis=1)  # NaN last
    a = np.take_along_axis(srt, np.clip((n_lat - 1) // 2, 0, n_s - 1)[:, None], 1)[:, 0]
    b = np.take_along_axis(srt, np.clip(n_lat // 2, 0, n_s - 1)[:, None], 1)[:, 0]
    return dict(
        min_latency_ms=lo,
        mean_latency_ms=mean,
        median_latency_ms=np.where(n_lat > 0, 0.5 * (a + b), np.nan),
        max_latency_ms=hi,
        chronodispersion_ms=hi - lo,
    )


def _per_train(
    sweep: dict[str, np.ndarray], window_ok: np.ndarray, raw: _Raw, tb: _TimeBase, m_amp: np.ndarray
) -> dict[str, np.ndarray]:
    """Train values (``FWAVE_SUMMARY_NAMES`` plus the F window), vectorised, no all-NaN warnings."""
    from . import _kernels as K

    present, amp = sweep["present"], sweep["peak_to_peak_amp_mv"]
    n_s = present.shape[1]
    n_present = present.sum(axis=1)
    o = raw.out_t
    with np.errstate(invalid="ignore", divide="ignore"):
        amp_mean = np.where(
            n_present > 0, np.where(present, amp, 0.0).sum(axis=1) / n_present, np.nan
        )
        amp_max = np.fmax.reduce(np.where(present, amp, np.nan), axis=1)
        m_used = np.where(np.isnan(m_amp), o[:, K.FT_M_P2P], m_amp)
        d = dict(
            n_sweeps=np.full(present.shape[0], n_s),
            n_present=n_present,
            persistence_pct=np.where(window_ok, 100.0 * n_present / n_s, np.nan),
            **_latency_stats(sweep["onset_latency_ms"]),
            mean_peak_to_peak_amp_mv=amp_mean,
            max_peak_to_peak_amp_mv=amp_max,
            f_m_ratio_pct=np.where(m_used > 0, 100.0 * amp_mean / m_used, np.nan),
            max_f_m_ratio_pct=np.where(m_used > 0, 100.0 * amp_max / m_used, np.nan),
            repeater_pct=np.where(
                n_present > 0, 100.0 * sweep["repeater"].sum(axis=1) / n_present, np.nan
            ),
        )
    ms = lambda c: tb.t0 + o[:, c] * tb.dt  # noqa: E731 - index column -> ms
    d.update(
        m_onset_latency_ms=ms(K.FT_M_ONSET),
        m_amplitude_mv=m_used,
        m_end_ms=ms(K.FT_M_END),
        train_noise_mv=o[:, K.FT_NOISE],
        detection_threshold_mv=o[:, K.FT_THR_PP],
        onset_threshold_mv=o[:, K.FT_THR_ON],
        band_mv=o[:, K.FT_BAND],
        f_start_ms=ms(K.FT_F_START),
        f_stop_ms=ms(K.FT_F_STOP),
    )
    return d


def _a_waves(raw: _Raw, tb: _TimeBase, n_s: int) -> tuple[tuple[AWave, ...], ...]:
    """The A-waves of every train as records (ms, %)."""
    from . import _kernels as K

    out = []
    for rows in raw.a_out:
        found = []
        for r in rows[~np.isnan(rows[:, K.FA_ONSET])]:
            found.append(
                AWave(
                    tb.t0 + float(r[K.FA_ONSET]) * tb.dt,
                    (tb.t0 + float(r[K.FA_LO]) * tb.dt, tb.t0 + float(r[K.FA_HI]) * tb.dt),
                    100.0 * float(r[K.FA_N_MATCH]) / n_s,
                )
            )
        out.append(tuple(found))
    return tuple(out)


# ---- interpretability -----------------------------------------------------------------------------


def _window_reasons(f: int, t: int, raw: _Raw, tb: _TimeBase, p: FWaveParams) -> list[str]:
    """Why the F window could not be placed (no M-wave, tail never settles, sweeps too short)."""
    from . import _kernels as K

    why = []
    if f & K.FTF_NO_M:
        if tb.m_win is None:
            why.append(
                f"sweeps too short to measure the M-wave ({tb.n} samples from {tb.t0:g} ms with "
                f"blank_ms={p.cmap.blank_ms:g}); pass m_end_ms to place the F window"
            )
        else:
            why.append(
                "no M-wave found in the mean of the sweeps; pass m_end_ms (and m_amplitude_mv) "
                "when the M-wave is known"
            )
    if f & K.FTF_TAIL:
        crit = (
            f"within max(tail_band_mv={p.tail_band_mv:g}, tail_k_sd={p.tail_k_sd:g} SD) "
            f"for quiet_ms={p.quiet_ms:g}"
        )
        if tb.f_stop < tb.n:
            neg = tb.t0 + raw.out_t[t, K.FT_M_NEG_PEAK] * tb.dt
            why.append(
                f"search_stop_ms={p.search_stop_ms:g} ms ends the search before the M-wave "
                f"(negative peak at {neg:.2f} ms) is seen back at baseline ({crit}); "
                "search_stop_ms must lie after the M-wave and its tail"
            )
        else:
            why.append(
                f"the M-wave did not return to baseline ({crit}) before the end of the sweeps"
            )
    if f & K.FTF_SHORT:
        start = tb.t0 + raw.out_t[t, K.FT_F_START] * tb.dt
        stop = tb.t0 + tb.f_stop * tb.dt
        why.append(
            f"sweeps too short: the F search would start at {start:.2f} ms (M end + guard_ms) but "
            f"the sweeps end at {stop:.2f} ms; at least min_window_ms={p.min_window_ms:g} is needed"
        )
    return why


def _m_reasons(f: int, m_amp: float, tb: _TimeBase, p: FWaveParams) -> list[str]:
    """Why the M amplitude cannot support the reading (not measurable or too small)."""
    from . import _kernels as K

    if math.isnan(m_amp):
        if f & K.FTF_M_SATURATED:
            return ["M-wave amplitude not measurable (saturated); F/M ratio not available"]
        if tb.m_win is None:
            return [
                "M-wave amplitude not measurable (sweeps too short for the M-wave baseline and "
                "search windows); pass m_amplitude_mv"
            ]
        return [
            "no M-wave found in the mean of the sweeps: M-wave amplitude not measurable and the "
            "F/M ratio not available; pass m_amplitude_mv when it is known"
        ]
    if m_amp < p.min_m_amplitude_mv:
        return [
            f"M-wave amplitude {m_amp:.3g} mV < min_m_amplitude_mv={p.min_m_amplitude_mv:g}: absent "
            "or sparse F-waves cannot be interpreted"
        ]
    return []


def _noise_reasons(thr: float, noise: float, tb: _TimeBase, p: FWaveParams) -> list[str]:
    """Noise-limited trains and sweeps that end before ``min_sweep_end_ms``."""
    why = []
    if thr > p.max_threshold_ratio * p.threshold_mv:
        why.append(
            f"noise-limited: effective detection threshold {thr:.3g} mV (noise_k_sd="
            f"{p.noise_k_sd:g} x train noise {noise:.3g} mV) > max_threshold_ratio="
            f"{p.max_threshold_ratio:g} x threshold_mv={p.threshold_mv:g} mV: F-waves of ordinary "
            "size would be missed, so persistence and absent F-waves cannot be interpreted"
        )
    end = tb.t0 + (tb.f_stop - 1) * tb.dt
    if p.min_sweep_end_ms is not None and end < p.min_sweep_end_ms:
        why.append(
            f"the F search ends at {end:.2f} ms (sweep end or search_stop_ms), before "
            f"min_sweep_end_ms={p.min_sweep_end_ms:g} ms: late F-waves would be missed"
        )
    return why


def _reasons(
    raw: _Raw, tb: _TimeBase, p: FWaveParams, window_ok: np.ndarray, m_amp: np.ndarray
) -> list[str]:
    """One reason text per train ("" = interpretable)."""
    from . import _kernels as K

    n_s = raw.flags_s.shape[1]
    out = []
    for t in range(raw.tflags.shape[0]):
        f = int(raw.tflags[t])
        why = _window_reasons(f, t, raw, tb, p)
        if n_s < p.min_sweeps:
            why.append(f"{n_s} sweep(s) < min_sweeps={p.min_sweeps} (persistence not meaningful)")
        if window_ok[t]:
            why += _m_reasons(f, float(m_amp[t]), tb, p)
            why += _noise_reasons(
                float(raw.out_t[t, K.FT_THR_PP]), float(raw.out_t[t, K.FT_NOISE]), tb, p
            )
        if f & K.FTF_A_OVERFLOW:
            why.append(f"more than {_MAX_A} A-waves: only the first {_MAX_A} are reported")
        out.append("; ".join(why))
    return out


# ---- public functions -----------------------------------------------------------------------------


def measure_fwave_trains(
    x: Any,
    sfreq_hz: float,
    *,
    t0_ms: float = 0.0,
    params: FWaveParams | None = None,
    m_end_ms: Any = None,
    m_amplitude_mv: Any = None,
    parallel: bool | None = None,
    **overrides: Any,
) -> FWaveTrains:
    """Analyse many F-wave trains recorded with one time base (see :func:`measure_fwaves`).

    Parameters
    ----------
    x : array_like, shape (n_trains, n_sweeps, n_samples), mV
        The trains.
    sfreq_hz, t0_ms, params, **overrides :
        As for :func:`measure_fwaves`.
    m_end_ms, m_amplitude_mv : float, array of shape (n_trains,) or None
        As for :func:`measure_fwaves`, per train (NaN entries: measure that train's M-wave).
    parallel : bool or None
        Use the parallel kernel over trains (default: when there are at least 8 trains).

    Returns
    -------
    FWaveTrains

    Raises
    ------
    ParameterError
        As for :func:`measure_fwaves`.
    """
    return _measure(
        x,
        sfreq_hz,
        t0_ms,
        params,
        m_end_ms=m_end_ms,
        m_amplitude_mv=m_amplitude_mv,
        parallel=parallel,
        overrides=overrides,
    )


def _measure(
    x: Any,
    sfreq_hz: Any,
    t0_ms: Any,
    params: FWaveParams | None,
    *,
    m_end_ms: Any,
    m_amplitude_mv: Any,
    parallel: bool | None,
    overrides: dict[str, Any],
    single: bool = False,
) -> FWaveTrains:
    """The steps: options, time base, kernel, per-sweep and per-train values, reasons."""
    p = resolve_fwave_params(params, overrides)
    X3 = _as_trains(x, "x")
    n_t = X3.shape[0]
    tb = _time_base(X3.shape[2], sfreq_hz, t0_ms, p)
    m_end_arr = _per_train_option(m_end_ms, "m_end_ms", n_t)
    m_amp_arr = _per_train_option(m_amplitude_mv, "m_amplitude_mv", n_t)
    if (m_amp_arr < 0).any():
        raise ParameterError(f"m_amplitude_mv: must be >= 0, got {m_amplitude_mv!r}")
    raw = _run_kernel(X3, tb, p, _m_end_indices(m_end_arr, tb), parallel)
    from . import _kernels as K

    if (raw.tflags & K.FTF_NONFINITE).any():
        raise _nonfinite_error(X3, "x", single)
    sweep, window_ok = _per_sweep(raw, tb)
    train = _per_train(sweep, window_ok, raw, tb, m_amp_arr)
    reasons = _reasons(raw, tb, p, window_ok, train["m_amplitude_mv"])
    given = ~np.isnan(m_amp_arr)
    source = "given" if given.all() else "measured peak-to-peak of the mean sweep"
    if given.any() and not given.all():
        source = "given where provided, else measured peak-to-peak of the mean sweep"
    return FWaveTrains(
        per_sweep=sweep,
        per_train=train,
        a_waves=_a_waves(raw, tb, X3.shape[1]),
        interpretable=np.array([not r for r in reasons], dtype=bool),
        reasons=reasons,
        m_amplitude_source=source,
        parameters=p,
        sfreq_hz=1000.0 / tb.dt,
        t0_ms=tb.t0,
        given={
            "m_end_ms": None if m_end_ms is None else np.asarray(m_end_ms, dtype=float).tolist(),
            "m_amplitude_mv": None
            if m_amplitude_mv is None
            else np.asarray(m_amplitude_mv, dtype=float).tolist(),
        },
    )


def measure_fwaves(
    x: Any,
    sfreq_hz: float,
    *,
    t0_ms: float = 0.0,
    params: FWaveParams | None = None,
    m_end_ms: float | None = None,
    m_amplitude_mv: float | None = None,
    **overrides: Any,
) -> FWaveMeasures:
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
    params : FWaveParams or None
        The options (default :data:`DEFAULT_FWAVE_PARAMS`; every field with its unit, default and
        meaning: ``FWaveParams.describe()``).
    m_end_ms : float or None, ms
        End of the M-wave and its tail when known (skips the M-end detection).
    m_amplitude_mv : float or None, mV
        M-wave amplitude for the F/M ratios and the size check (default: measured peak-to-peak).
    **overrides
        Any :class:`FWaveParams` field by name (``threshold_mv=0.02``, ``search_stop_ms=60``,
        ``min_sweep_end_ms=47.25``...), or a :class:`~ncs_emg.measure.CmapParams` field for the
        M-wave step (``blank_ms=1.5``), applied on top of ``params``.

    Returns
    -------
    FWaveMeasures
        Per-sweep arrays, train values, A-waves, repeater groups, ``interpretable`` with ``reason``,
        and the options used as ``parameters``.

    Raises
    ------
    ParameterError
        For a 1-D or 3-D array, empty or non-numeric input, non-finite samples (naming sweep and
        sample), bad or unknown options, or ``m_end_ms`` outside the sweep. Problems of the recording
        itself (no M-wave, tail never settling, sweeps too short, too few sweeps, tiny M-wave, noise)
        give ``interpretable=False`` with the ``reason``, never an exception.

    Notes
    -----
    Definitions and the procedure: module docstring and ``docs/fwaves.md``. Persistence = 100 *
    sweeps with an F-wave / sweeps; chronodispersion = max - min latency; F/M ratio = 100 * mean F
    peak-to-peak / M amplitude.

    Examples
    --------
    >>> import numpy as np
    >>> t = np.arange(0, 50, 0.05)                                      # ms, 20 kHz
    >>> m = np.where((t > 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)
    >>> f = lambda on: np.where((t > on) & (t < on + 6), -0.2 * np.sin(2 * np.pi * (t - on) / 6), 0)
    >>> x = np.array([m + f(28.0 + 0.3 * k) if k % 4 else m for k in range(20)])
    >>> r = measure_fwaves(x, 20000.0)
    >>> r.persistence_pct, round(r.min_latency_ms, 2), round(r.chronodispersion_ms, 2)
    (75.0, 28.18, 5.4)
    """
    arr = np.asarray(x) if not isinstance(x, np.ndarray) else x
    if arr.ndim != 2:
        raise ParameterError(
            f"x: expected a train of shape (n_sweeps, n_samples), got an array with {arr.ndim} "
            f"dimension(s), shape {arr.shape}"
            + ("; a single sweep is not a train" if arr.ndim == 1 else "")
        )
    if arr.shape[0] > arr.shape[1]:
        raise ParameterError(
            f"x: {arr.shape[0]} sweeps of {arr.shape[1]} samples (shape {arr.shape}): more sweeps "
            "than samples; time must be on the last axis (pass x.T)"
        )
    trains = _measure(
        arr[np.newaxis],
        sfreq_hz,
        t0_ms,
        params,
        m_end_ms=m_end_ms,
        m_amplitude_mv=m_amplitude_mv,
        parallel=False,
        overrides=overrides,
        single=True,
    )
    return trains.train(0)


def measure_nerve_fwaves(nerve: Nerve, **kwargs: Any) -> FWaveMeasures | None:
    """:func:`measure_fwaves` on ``nerve.fwaves`` (accepted sweeps only); None without a train.

    ``kwargs`` are those of :func:`measure_fwaves` (``params``, ``m_end_ms``, ``m_amplitude_mv``,
    option overrides). When the nerve has motor sites and ``m_amplitude_mv`` is not given, the M
    amplitude still comes from the train itself (the same stimulus); pass the distal CMAP amplitude
    to use it instead. ``min_sweep_end_ms`` (not interpretable when the F search ends earlier) comes
    from the caller: :func:`ncs_emg.normative.required_f_sweep_end_ms` gives 150 % of the nerve's
    upper limit of normal minimal F latency (the command line passes it).

    Raises
    ------
    ParameterError
        For something that is not a Nerve, a train without accepted sweeps, or the errors of
        :func:`measure_fwaves` (prefixed with the nerve's label).
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
        knowledge of Kimura's textbook (``docs/fwaves.md``): unverified).

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
        scaling was not checked against the primary source (``docs/fwaves.md`` gives only the
        formula): unverified, hence this switch.

    Returns
    -------
    float, mV/ms (times a fraction or a percentage)

    Notes
    -----
    ``NI = amplitude / DML * persistence`` (de Carvalho M, Swash M; ALS trial composite as summarised
    in ``docs/fwaves.md``; primary not checked: unverified). Any missing input is an error here:
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
