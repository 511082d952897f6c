"""Shared machinery of the simulator: parameter checks, the MUAP shape, the motor-unit population,
vectorised MUAP summation and the recording-realism layer (noise, hum, drift, artefact, clipping).

Everything here is plain numpy (no numba, no scipy): the summation evaluates each MUAP only over its
own support and accumulates with :func:`numpy.bincount`, so a 5-site nerve of 200 units costs a few
milliseconds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError

# ---- parameter checks (messages name the parameter, the value and what is valid) ------------------


#: Upper bounds of the counts (memory: a sweep array is n_sites x n_sweeps x n_samples and the MUAP
#: summation n_units x MUAP support; the bounds keep one call well below 1 GB).
MAX_UNITS = 2000
MAX_STIMULI = 1000
MAX_SWEEPS = 1000


def check_count(value: Any, name: str, *, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer in ``[minimum, maximum]`` (bools refused: ``True`` is not a count)."""
    if isinstance(value, (bool, np.bool_)):
        raise ParameterError(f"{name}: expected an integer >= {minimum}, got the boolean {value!r}")
    if not isinstance(value, (int, np.integer)):
        try:
            f = float(value)
        except (TypeError, ValueError):
            f = math.nan
        if not (math.isfinite(f) and f == int(f)):
            raise ParameterError(f"{name}: expected an integer >= {minimum}, got {value!r}")
        value = int(f)
    v = int(value)
    if v < minimum:
        raise ParameterError(f"{name}: must be an integer >= {minimum}, got {value!r}")
    if maximum is not None and v > maximum:
        raise ParameterError(
            f"{name}: must be an integer in [{minimum}, {maximum}] (the simulator's bound), "
            f"got {value!r}"
        )
    return v


def make_rng(value: Any, name: str = "rng") -> np.random.Generator:
    """``np.random.default_rng(value)`` for None, a non-negative integer seed, a Generator, a
    BitGenerator or a SeedSequence; anything else (negative, float, string, bool) is a ParameterError."""
    ok_types = (np.random.Generator, np.random.BitGenerator, np.random.SeedSequence)
    if value is None or isinstance(value, ok_types):
        return np.random.default_rng(value)
    if isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_)):
        if int(value) < 0:
            raise ParameterError(f"{name}: a seed must be a non-negative integer, got {value!r}")
        return np.random.default_rng(int(value))
    raise ParameterError(
        f"{name}: expected None, a non-negative integer seed or a numpy.random.Generator, "
        f"got {value!r}"
    )


def check_real(
    value: Any,
    name: str,
    *,
    lo: float = -math.inf,
    hi: float = math.inf,
    lo_open: bool = False,
    hi_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """A real number in the interval given (NaN always refused; +-inf only when ``allow_inf``).

    Text ("0.5") and booleans are refused: float() would accept them and hide a caller's mistake.
    """
    if isinstance(value, (str, bytes, bool, np.bool_)):
        raise ParameterError(f"{name}: expected a number, got {type(value).__name__} {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError) as exc:
        raise ParameterError(f"{name}: expected a number, got {value!r}") from exc
    if math.isnan(v) or (math.isinf(v) and not allow_inf):
        raise ParameterError(f"{name}: expected a finite number, got {value!r}")
    bad_lo = v <= lo if lo_open else v < lo
    bad_hi = v >= hi if hi_open else v > hi
    if bad_lo or bad_hi:
        left = "(" if lo_open else "["
        right = ")" if hi_open else "]"
        raise ParameterError(f"{name}: must lie in {left}{lo:g}, {hi:g}{right}, got {value!r}")
    return v


def check_pair(value: Any, name: str, *, lo: float, lo_open: bool = True) -> tuple[float, float]:
    """A (low, high) pair with ``lo < low <= high`` (a scalar means low == high)."""
    if np.ndim(value) == 0:
        v = check_real(value, name, lo=lo, lo_open=lo_open)
        return v, v
    vals = list(np.asarray(value, dtype=object).ravel())
    if len(vals) != 2:
        raise ParameterError(f"{name}: expected a number or a (low, high) pair, got {value!r}")
    a = check_real(vals[0], f"{name}[0]", lo=lo, lo_open=lo_open)
    b = check_real(vals[1], f"{name}[1]", lo=lo, lo_open=lo_open)
    if b < a:
        raise ParameterError(f"{name}: low must be <= high, got {value!r}")
    return a, b


#: Longest MUAP accepted (ms). Physiological surface MUAPs last 5-15 ms; 30 ms is twice the longest
#: reinnervated unit and keeps the summation's per-unit support bounded.
MAX_MUAP_MS = 30.0
#: Samples required over the shortest MUAP negative lobe (the lobe must be resolved for its peak,
#: area and duration to mean anything; at the defaults this asks for >= 3.2 kHz).
MIN_SAMPLES_PER_LOBE = 10


def check_muap_duration(value: Any, name: str = "muap_duration_ms") -> tuple[float, float]:
    """A (low, high) MUAP duration range in ms with ``0 < low <= high <= MAX_MUAP_MS``."""
    a, b = check_pair(value, name, lo=0.0)
    if b > MAX_MUAP_MS:
        raise ParameterError(
            f"{name}: MUAP durations must lie in (0, {MAX_MUAP_MS:g}] ms, got {value!r}"
        )
    return a, b


def check_sampling(sfreq_hz: float, shortest_neg_ms: float) -> None:
    """Refuse a sampling rate that gives fewer than MIN_SAMPLES_PER_LOBE samples per negative lobe."""
    need = MIN_SAMPLES_PER_LOBE * 1000.0 / shortest_neg_ms
    if sfreq_hz < need:
        raise ParameterError(
            f"sfreq_hz: {sfreq_hz:g} Hz gives fewer than {MIN_SAMPLES_PER_LOBE} samples over the "
            f"shortest MUAP negative lobe ({shortest_neg_ms:.3g} ms); valid: >= {need:.0f} Hz "
            "(or longer muap_duration_ms)"
        )


def check_snr_db(value: Any, name: str = "snr_db") -> float:
    """SNR in dB: any real number or +inf (no noise); NaN and -inf refused."""
    v = check_real(value, name, allow_inf=True)
    if v == -math.inf:
        raise ParameterError(f"{name}: must be a real number or +inf (no noise), got {value!r}")
    return v


def per_item(value: Any, n: int, name: str, **kw: Any) -> np.ndarray:
    """A scalar broadcast to ``n`` items, or a sequence of exactly ``n``; each checked like check_real."""
    if np.ndim(value) == 0:
        v = check_real(value, name, **kw)
        return np.full(n, v)
    vals = list(np.asarray(value, dtype=object).ravel())
    if len(vals) != n:
        raise ParameterError(
            f"{name}: expected a number or {n} numbers, got {len(vals)}: {value!r}"
        )
    return np.array([check_real(x, f"{name}[{i}]", **kw) for i, x in enumerate(vals)])


# ---- MUAP shape ------------------------------------------------------------------------------------

#: Order K of the compact lobe ``s (1 - s^2)^K`` on s in [-1, 1]. K = 1: a cubic lobe that leaves the
#: baseline with a first-order (linear) contact, like a real surface MUAP. With Rosenfalck's (1969)
#: intracellular action potential ``V(z) ~ z^3 exp(-z)`` the transmembrane current, proportional to
#: ``V''``, rises linearly from zero, and the clinical CMAP take-off is sharp. A higher order would make
#: the first arrival unobservable: with K = 4 a unit MUAP is at 4e-5 of its peak 0.1 ms after arrival
#: and the default detector on the noise-free CMAP was 0.8-1.4 ms late against the first arrival.
MUAP_ORDER = 1
#: Peak of ``|s (1 - s^2)^K|`` on [-1, 1], reached at ``s = 1/sqrt(2K + 1)``.
_S_PEAK = 1.0 / math.sqrt(2 * MUAP_ORDER + 1)
_LOBE_PEAK = _S_PEAK * (1.0 - _S_PEAK**2) ** MUAP_ORDER


def muap_shape(tau_ms: np.ndarray, neg_ms: np.ndarray, pos_ms: np.ndarray) -> np.ndarray:
    """Unit-amplitude MUAP at time ``tau_ms`` after its arrival (broadcasting).

    A negative lobe of duration ``neg_ms`` (minimum exactly -1) followed by a positive lobe of duration
    ``pos_ms`` whose amplitude ``neg_ms / pos_ms`` makes the net area zero; exactly 0 outside
    ``[0, neg_ms + pos_ms]``. Each lobe is the compact cubic ``s (1 - s^2)`` (order
    :data:`MUAP_ORDER` = 1): the MUAP leaves the baseline with a non-zero slope at its arrival
    (``|d shape / d tau| = 1 / (neg_ms * peak)`` at ``tau = 0+``, ``peak = 2 / (3 sqrt 3)``), so the
    first arrival is an observable take-off, not a smooth tangential start.
    """
    tau, neg, pos = np.broadcast_arrays(
        np.asarray(tau_ms, dtype=float),
        np.asarray(neg_ms, dtype=float),
        np.asarray(pos_ms, dtype=float),
    )
    out = np.zeros(tau.shape)
    m = (tau > 0.0) & (tau <= neg)
    if m.any():
        n_m = neg[m]
        out[m] = _lobe(tau[m] / n_m - 1.0)  # s in (-1, 0]: negative lobe
    m = (tau > neg) & (tau < neg + pos)
    if m.any():
        n_m, p_m = neg[m], pos[m]
        out[m] = (n_m / p_m) * _lobe((tau[m] - n_m) / p_m)  # s in (0, 1): positive lobe
    return out


def _lobe(s: np.ndarray) -> np.ndarray:
    """``s (1 - s^2)^K / peak`` by repeated multiplication (faster than a float power)."""
    q = 1.0 - s * s
    r = s / _LOBE_PEAK
    for _ in range(MUAP_ORDER):
        r = r * q
    return r


def sum_muaps(
    arrival_ms: np.ndarray,
    size_mv: np.ndarray,
    neg_ms: np.ndarray,
    pos_ms: np.ndarray,
    *,
    t0_ms: float,
    dt_ms: float,
    n_samples: int,
) -> np.ndarray:
    """Noise-free sum of MUAPs sampled at ``t0_ms + k * dt_ms`` (mV, shape (n_samples,)).

    Each unit is evaluated only over the samples of its support (vectorised over units and support
    offsets) and accumulated with :func:`numpy.bincount`.
    """
    out = np.zeros(n_samples)
    if arrival_ms.size == 0:
        return out
    first = np.ceil((arrival_ms - t0_ms) / dt_ms - 1e-9).astype(np.int64)
    width = int(math.ceil(float(np.max(neg_ms + pos_ms)) / dt_ms)) + 2
    idx = first[:, None] + np.arange(width)[None, :]
    tau = t0_ms + idx * dt_ms - arrival_ms[:, None]
    vals = size_mv[:, None] * muap_shape(tau, neg_ms[:, None], pos_ms[:, None])
    ok = (idx >= 0) & (idx < n_samples)
    out += np.bincount(idx[ok], weights=vals[ok], minlength=n_samples)[:n_samples]
    return out


def sum_muaps_naive(
    arrival_ms: np.ndarray,
    size_mv: np.ndarray,
    neg_ms: np.ndarray,
    pos_ms: np.ndarray,
    *,
    t0_ms: float,
    dt_ms: float,
    n_samples: int,
) -> np.ndarray:
    """Obvious twin of :func:`sum_muaps`: every unit evaluated on every sample (tests/benchmarks)."""
    t = t0_ms + np.arange(n_samples) * dt_ms
    out = np.zeros(n_samples)
    for a, s, dn, dp in zip(arrival_ms, size_mv, neg_ms, pos_ms, strict=True):
        out += s * muap_shape(t - a, dn, dp)
    return out


# ---- motor-unit population ---------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Population:
    """Per-unit properties (arrays of shape (n_units,)); private to the simulator."""

    cv_m_s: np.ndarray  # base conduction velocity, m/s
    terminal_delay_ms: np.ndarray  # distal delay (terminal branches + endplate), ms
    size_mv: np.ndarray  # negative-peak amplitude of the unit's MUAP, mV
    neg_ms: np.ndarray  # negative-lobe duration, ms
    pos_ms: np.ndarray  # positive-lobe duration, ms

    @property
    def n_units(self) -> int:
        return int(self.cv_m_s.shape[0])


def make_population(
    rng: np.random.Generator,
    *,
    n_units: int,
    cv_mean_m_s: float,
    cv_sd_m_s: float,
    terminal_delay_ms: float,
    terminal_delay_sd_ms: float,
    unit_size_mv: float,
    unit_size_sigma: float,
    muap_duration_ms: tuple[float, float],
    muap_pos_ratio: float,
) -> Population:
    """Draw a population. CVs: normal, floored at 20 % of the mean (documented in simulate_nerve);
    terminal delays: normal, floored at 0.2 ms; sizes: log-normal; MUAP durations: uniform."""
    cv = rng.normal(cv_mean_m_s, cv_sd_m_s, n_units)
    cv = np.maximum(cv, 0.2 * cv_mean_m_s)
    td = np.maximum(rng.normal(terminal_delay_ms, terminal_delay_sd_ms, n_units), 0.2)
    size = unit_size_mv * rng.lognormal(0.0, unit_size_sigma, n_units)
    dur = rng.uniform(muap_duration_ms[0], muap_duration_ms[1], n_units)
    neg = dur / (1.0 + muap_pos_ratio)
    return Population(cv, td, size, neg, dur - neg)


# ---- recording realism ---------------------------------------------------------------------------


def noise_sd_mv(reference_amp_mv: float, snr_db: float) -> float:
    """Noise SD for ``snr_db = 20 log10(reference_amp_mv / SD)`` (0 for +inf dB)."""
    if math.isinf(snr_db):
        return 0.0
    return float(reference_amp_mv) / 10.0 ** (snr_db / 20.0)


@dataclass(frozen=True)
class Realism:
    """The recording layer's imperfections (noise excluded: it depends on the response size).

    Attributes
    ----------
    hum_mv : float, mV
        Peak amplitude of the mains hum (random phase per sweep).
    mains_hz : float, Hz
        Mains frequency (50 or 60).
    baseline_offset_mv : float, mV
        Constant DC offset added to every sample.
    drift_mv_per_s : float, mV/s
        Linear baseline drift (0 at the stimulus).
    artefact_mv : float, mV
        Stimulus artefact at t = 0, decaying as ``exp(-t / artefact_tau_ms)``.
    artefact_tau_ms : float, ms
        Time constant of the artefact tail (> 0).
    clip_mv : float or None, mV
        Amplifier range: samples are clipped to ``[-clip_mv, clip_mv]`` (saturation). None = no clip.
    lff_hz : float or None, Hz
        First-order high-pass (low-frequency filter); None = DC-coupled.
    resolution_uv : float, µV
        Quantisation step of the recording (16-bit over +-32 mV: about 1 µV); 0 = none.
    """

    hum_mv: float
    mains_hz: float
    baseline_offset_mv: float
    drift_mv_per_s: float
    artefact_mv: float
    artefact_tau_ms: float
    clip_mv: float | None
    lff_hz: float | None = None
    resolution_uv: float = 0.0


def add_recording(
    rng: np.random.Generator,
    clean: np.ndarray,
    *,
    t0_ms: float,
    dt_ms: float,
    noise_mv: float,
    realism: Realism,
) -> np.ndarray:
    """Noisy recordings from noise-free sweeps ``clean`` (n_sweeps, n_samples), mV.

    Per sweep: white Gaussian noise (SD ``noise_mv``), mains hum ``hum_mv * sin(2 pi f t + phi)`` with a
    random phase, a constant offset, a linear drift through 0 at the stimulus, an artefact
    ``artefact_mv * exp(-t / tau)`` for t >= 0; then the amplifier: a first-order high-pass at
    ``lff_hz`` (the low-frequency filter, started at rest from the first sample: its tail after the
    response is the filter's), clipping to ``+-clip_mv`` (saturation) and quantisation to steps of
    ``resolution_uv`` (µV; 0 = none).
    """
    r = realism
    n_sw, n = clean.shape
    t = t0_ms + np.arange(n) * dt_ms
    x = clean.copy()
    if noise_mv > 0:
        x += rng.normal(0.0, noise_mv, (n_sw, n))
    if r.hum_mv != 0:
        phase = rng.uniform(0.0, 2 * np.pi, (n_sw, 1))
        x += r.hum_mv * np.sin(2 * np.pi * r.mains_hz * t[None, :] / 1000.0 + phase)
    x += r.baseline_offset_mv + r.drift_mv_per_s * t[None, :] / 1000.0
    if r.artefact_mv != 0:
        tail = np.where(t >= 0, np.exp(-np.clip(t, 0.0, None) / r.artefact_tau_ms), 0.0)
        x += r.artefact_mv * tail[None, :]
    if r.lff_hz is not None:
        x = high_pass(x, r.lff_hz, dt_ms)
    if r.clip_mv is not None:
        np.clip(x, -r.clip_mv, r.clip_mv, out=x)
    if r.resolution_uv > 0.0:
        q = r.resolution_uv / 1000.0
        x = np.round(x / q) * q
    return x


def high_pass(x: np.ndarray, f_hz: float, dt_ms: float) -> np.ndarray:
    """First-order (RC) high-pass along the last axis: ``y[i] = a (y[i-1] + x[i] - x[i-1])``,
    ``a = RC / (RC + dt)``, ``RC = 1 / (2 pi f)``, ``y[0] = 0`` (the amplifier at rest). The offset is
    removed as a real amplifier's would be after settling: the signal is taken relative to its first
    sample."""
    from scipy.signal import lfilter

    rc = 1000.0 / (2.0 * math.pi * f_hz)  # ms
    a = rc / (rc + dt_ms)
    return lfilter([a, -a], [1.0, -a], x - x[..., :1], axis=-1)


def recording_kwargs(
    *,
    hum_mv: Any,
    mains_hz: Any,
    baseline_offset_mv: Any,
    drift_mv_per_s: Any,
    artefact_mv: Any,
    artefact_tau_ms: Any,
    clip_mv: Any,
) -> dict[str, Any]:
    """Validated realism parameters for :func:`add_recording`."""
    return dict(
        hum_mv=check_real(hum_mv, "hum_mv", lo=0.0),
        mains_hz=check_real(mains_hz, "mains_hz", lo=0.0, lo_open=True),
        baseline_offset_mv=check_real(baseline_offset_mv, "baseline_offset_mv"),
        drift_mv_per_s=check_real(drift_mv_per_s, "drift_mv_per_s"),
        artefact_mv=check_real(artefact_mv, "artefact_mv"),
        artefact_tau_ms=check_real(artefact_tau_ms, "artefact_tau_ms", lo=0.0, lo_open=True),
        clip_mv=None if clip_mv is None else check_real(clip_mv, "clip_mv", lo=0.0, lo_open=True),
    )


def time_base(sfreq_hz: Any, pre_ms: Any, sweep_ms: Any) -> tuple[float, float, float, int]:
    """Validated ``(sfreq_hz, dt_ms, t0_ms, n_samples)`` for a sweep of ``pre_ms + sweep_ms``."""
    fs = check_real(sfreq_hz, "sfreq_hz", lo=0.0, lo_open=True)
    pre = check_real(pre_ms, "pre_ms", lo=0.0)
    length = check_real(sweep_ms, "sweep_ms", lo=0.0, lo_open=True)
    dt = 1000.0 / fs
    n_pre = int(round(pre / dt))
    n = n_pre + int(round(length / dt))
    if n < 4 or n > 10_000_000:
        raise ParameterError(
            f"sfreq_hz, pre_ms, sweep_ms: {fs:g} Hz over {pre:g} + {length:g} ms gives {n} samples; "
            "valid: 4 to 10,000,000 samples per sweep"
        )
    return fs, dt, -n_pre * dt, n


def readonly(a: np.ndarray) -> np.ndarray:
    a = np.array(a, copy=True)
    a.setflags(write=False)
    return a


def json_value(v: Any) -> Any:
    """numpy scalars/arrays → JSON-ready Python (NaN/inf → None)."""
    if isinstance(v, np.ndarray):
        return [json_value(x) for x in v.tolist()]
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if isinstance(v, dict):
        return {k: json_value(x) for k, x in v.items()}
    if isinstance(v, (bool, np.bool_)):
        return bool(v)
    if isinstance(v, (int, np.integer)):
        return int(v)
    if isinstance(v, (float, np.floating)):
        f = float(v)
        return f if math.isfinite(f) else None
    return v


def detectable_onset(
    clean: np.ndarray,
    arrival_ms: np.ndarray,
    size_mv: np.ndarray,
    neg_ms: np.ndarray,
    pos_ms: np.ndarray,
    *,
    t0_ms: float,
    dt_ms: float,
    level_mv: float,
    step_ms: float = 0.001,
) -> float:
    """First time (ms) at which the noise-free sum of MUAPs reaches ``|x| >= level_mv``.

    The sampled waveform ``clean`` gives the first sample at or above the level, ``t_s``; the crossing
    lies in ``(first arrival, t_s]`` and only units arriving before ``t_s`` contribute there, so their
    MUAPs are summed on a grid of ``step_ms`` (1 µs) over that interval and the crossing is
    interpolated linearly between grid points. NaN when no sample reaches the level.
    """
    hit = np.flatnonzero(np.abs(clean) >= level_mv)
    if hit.size == 0 or arrival_ms.size == 0:
        return math.nan
    t_s = t0_ms + hit[0] * dt_ms
    u = arrival_ms < t_s
    if not u.any():
        return float(t_s)
    start = float(arrival_ms[u].min())
    n = int(math.ceil((t_s - start) / step_ms)) + 1
    n = min(n, 20001)
    t = np.linspace(start, t_s, n)
    y = np.zeros(n)
    for a, s, dn, dp in zip(arrival_ms[u], size_mv[u], neg_ms[u], pos_ms[u], strict=True):
        y += s * muap_shape(t - a, dn, dp)
    k = np.flatnonzero(np.abs(y) >= level_mv)
    if k.size == 0:
        return float(t_s)
    i = int(k[0])
    if i == 0:
        return float(t[0])
    y0, y1 = abs(y[i - 1]), abs(y[i])
    return float(t[i - 1] + (t[i] - t[i - 1]) * (level_mv - y0) / (y1 - y0))
