"""Simulated F-wave trains with per-sweep ground truth (model: `docs/fwaves.md`, "Simulated trains")."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import ParameterError
from ..types import Sweeps
from . import _core as C
from ._presets import PRESETS
from .conditions import RecordingConditions, resolve_conditions

__all__ = ["FWaveTruth", "SimulatedFWaves", "simulate_fwave_train"]


@dataclass(frozen=True, eq=False)
class FWaveTruth:
    """Ground truth of a simulated F-wave train; per-sweep arrays have shape (n_stimuli,).

    Attributes
    ----------
    f_present : ndarray of bool
        At least one motor unit back-fired on that sweep (physiological truth: a tiny F-wave may be
        below any detection threshold; see ``f_amplitude_mv``).
    f_latency_ms : ndarray, ms
        F onset: the earliest arrival at the muscle of a back-firing unit on that sweep (the start of
        its MUAP), relative to the stimulus. NaN when absent.
    f_amplitude_mv : ndarray, mV
        Peak-to-peak amplitude of the noise-free F component alone (sum of the back-firing units'
        MUAPs). NaN when absent.
    a_wave_present : ndarray of bool
        The A-wave occurred on that sweep.
    a_wave_latency_ms : ndarray, ms
        A-wave onset (fixed for the train), NaN on sweeps without it.
    units_fired : tuple of ndarray of int
        Indices of the units that back-fired on each sweep.
    repeater_units : ndarray of int
        Indices of the repeater units (high back-firing probability).
    unit_p : ndarray, shape (n_units,)
        Back-firing probability of every unit (0 for units blocked on the path).
    unit_f_latency_ms : ndarray, ms, shape (n_units,)
        F onset each unit would produce (NaN for blocked units).
    unit_size_mv : ndarray, mV, shape (n_units,)
        Negative-peak amplitude of every unit's MUAP (its F-wave when it back-fires alone).
    expected_persistence_pct : float, %
        ``100 * (1 - prod(1 - unit_p))``: the probability that a sweep carries an F-wave
        (``1 - (1 - p)^N`` for N units of equal p).
    persistence_pct : float, %
        Realised persistence of this train: percentage of sweeps with ``f_present``.
    m_onset_ms : float, ms
        True M-wave onset (first arrival).
    m_neg_peak_amp_mv, m_peak_to_peak_mv : float, mV
        Noise-free M-wave negative-peak and peak-to-peak amplitudes (baseline 0).
    noise_mv : float, mV
        SD of the white noise added.
    a_wave_amp_mv : float, mV
        Negative-peak amplitude of the A-wave component (0 when disabled).
    noise_free : ndarray, mV, shape (n_stimuli, n_samples)
        The sweeps without noise, hum, drift, artefact or clipping (read-only).
    """

    f_present: np.ndarray
    f_latency_ms: np.ndarray
    f_amplitude_mv: np.ndarray
    a_wave_present: np.ndarray
    a_wave_latency_ms: np.ndarray
    units_fired: tuple
    repeater_units: np.ndarray
    unit_p: np.ndarray
    unit_f_latency_ms: np.ndarray
    unit_size_mv: np.ndarray
    expected_persistence_pct: float
    persistence_pct: float
    m_onset_ms: float
    m_neg_peak_amp_mv: float
    m_peak_to_peak_mv: float
    noise_mv: float
    a_wave_amp_mv: float
    noise_free: np.ndarray

    @property
    def n_stimuli(self) -> int:
        """Number of sweeps."""
        return int(self.f_present.shape[0])

    def to_dict(self, *, include_waveforms: bool = False) -> dict[str, Any]:
        """JSON-ready dict (NaN → None); the noise-free sweeps only when asked."""
        d = {
            "f_present": self.f_present,
            "f_latency_ms": self.f_latency_ms,
            "f_amplitude_mv": self.f_amplitude_mv,
            "a_wave_present": self.a_wave_present,
            "a_wave_latency_ms": self.a_wave_latency_ms,
            "units_fired": [u for u in self.units_fired],
            "repeater_units": self.repeater_units,
            "expected_persistence_pct": self.expected_persistence_pct,
            "persistence_pct": self.persistence_pct,
            "m_onset_ms": self.m_onset_ms,
            "m_neg_peak_amp_mv": self.m_neg_peak_amp_mv,
            "m_peak_to_peak_mv": self.m_peak_to_peak_mv,
            "noise_mv": self.noise_mv,
            "a_wave_amp_mv": self.a_wave_amp_mv,
        }
        if include_waveforms:
            d["noise_free"] = self.noise_free
        return C.json_value(d)


@dataclass(frozen=True, eq=False)
class SimulatedFWaves:
    """A simulated F-wave train.

    Attributes
    ----------
    sweeps : Sweeps
        The train (mV, physical polarity unless ``display_polarity``), ``t0_ms < 0`` when there is a
        pre-trigger baseline; one sweep per stimulus.
    truth : FWaveTruth
        Per-sweep ground truth.
    parameters : dict
        The parameters used (JSON-ready).
    """

    sweeps: Sweeps
    truth: FWaveTruth
    parameters: dict

    def to_dict(self) -> dict[str, Any]:
        """Truth and parameters as a JSON-ready dict (no waveforms)."""
        return {"truth": self.truth.to_dict(), "parameters": C.json_value(self.parameters)}


@dataclass(frozen=True)
class TrainUnits:
    """Per-unit inputs of an F-wave train (arrays of shape (n_units,)).

    Attributes
    ----------
    m_arrival_ms : ndarray, ms
        M-wave arrival of each unit at the muscle.
    f_arrival_ms : ndarray, ms
        F-wave arrival of each unit (NaN: the unit has no F path).
    unit_p : ndarray
        Back-firing probability per stimulus.
    conducting : ndarray of bool
        Units that reach the muscle from the stimulation site (they make the M-wave).
    repeater_units : ndarray of int
        Indices of the repeater units.
    """

    m_arrival_ms: np.ndarray
    f_arrival_ms: np.ndarray
    unit_p: np.ndarray
    conducting: np.ndarray
    repeater_units: np.ndarray


@dataclass(frozen=True)
class AWaveSpec:
    """An A-wave to add: probability per sweep, latency (None: between M and F, ms), amplitude (mV)."""

    prob: float
    latency_ms: float | None
    amp_mv: float


def fwave_train(
    rng: np.random.Generator,
    pop: C.Population,
    units: TrainUnits,
    *,
    n_stimuli: int,
    a_wave: AWaveSpec | None,
    time_base: tuple[float, float, float, int],
    conditions: RecordingConditions,
    cord_distance_mm: float,
    option_of: str = "",
    snr_db: float | None = None,
) -> tuple[Sweeps, FWaveTruth]:
    """Build a train from a population (shared by :func:`simulate_fwave_train` and simulate_study).

    The noise SD is ``conditions.noise_mv(M-wave negative peak)`` unless ``snr_db`` is given.

    Raises ParameterError (parameters named ``option_of['name']`` when ``option_of`` is set) when the F-waves would start inside the
    M-wave, when ``a_wave_latency_ms`` is outside ``(0, sweep end)``, or when the sweep ends before the
    latest possible F-wave or the A-wave has ended: the truth must describe what the sweep records.
    ``time_base`` is ``(sfreq_hz, dt_ms, t0_ms, n_samples)``; polarity and the realism layer come from
    ``conditions``.
    """
    m_arrival_ms, f_arrival_ms = units.m_arrival_ms, units.f_arrival_ms
    unit_p, conducting, repeater_units = units.unit_p, units.conducting, units.repeater_units
    fs, dt, t0, n = time_base
    a_wave_latency_ms = None if a_wave is None else a_wave.latency_ms
    idx = np.flatnonzero(conducting)
    _check_window(
        pop,
        m_arrival_ms=m_arrival_ms,
        f_arrival_ms=f_arrival_ms,
        unit_p=unit_p,
        conducting=conducting,
        a_wave=a_wave is not None,
        a_wave_latency_ms=a_wave_latency_ms,
        sweep_end_ms=t0 + n * dt,
        cord_distance_mm=cord_distance_mm,
        option_of=option_of,
    )
    m_wave = C.sum_muaps(
        m_arrival_ms[idx],
        pop.size_mv[idx],
        pop.neg_ms[idx],
        pop.pos_ms[idx],
        t0_ms=t0,
        dt_ms=dt,
        n_samples=n,
    )
    m_amp = float(-m_wave.min()) if idx.size else 0.0
    m_p2p = float(m_wave.max() - m_wave.min()) if idx.size else 0.0
    m_onset = float(m_arrival_ms[idx].min()) if idx.size else math.nan
    p = np.where(conducting, unit_p, 0.0)

    # A-wave: one fixed component (own MUAP shape) at a fixed latency
    a_neg = float(rng.uniform(2.0, 3.0))
    a_lat = _a_wave_latency(units, a_wave_latency_ms, m_onset if idx.size else 0.0)
    fires = rng.random((n_stimuli, pop.n_units)) < p[None, :]
    a_on = (rng.random(n_stimuli) < a_wave.prob) if a_wave else np.zeros(n_stimuli, bool)
    a_comp = C.sum_muaps(
        np.array([a_lat]),
        np.array([0.0 if a_wave is None else a_wave.amp_mv]),
        np.array([a_neg]),
        np.array([1.5 * a_neg]),
        t0_ms=t0,
        dt_ms=dt,
        n_samples=n,
    )
    clean, f_lat, f_amp, fired = _clean_sweeps(
        pop, f_arrival_ms, fires, (m_wave, a_comp, a_on), time_base
    )
    # recording noise: ``snr_db`` (re the M-wave negative peak) when given, else the conditions'
    # (absolute by default)
    if snr_db is not None:
        noise = C.noise_sd_mv(m_amp, snr_db)
    else:
        noise = conditions.noise_mv(m_amp)
    x = C.add_recording(
        rng, clean, t0_ms=t0, dt_ms=dt, noise_mv=noise, realism=conditions.realism()
    )
    if conditions.display_polarity:
        x = -x
    present = np.asarray(fires.any(axis=1))
    truth = FWaveTruth(
        f_present=C.readonly(present),
        f_latency_ms=C.readonly(f_lat),
        f_amplitude_mv=C.readonly(f_amp),
        a_wave_present=C.readonly(a_on),
        a_wave_latency_ms=C.readonly(np.where(a_on, a_lat, np.nan)),
        units_fired=tuple(fired),
        repeater_units=C.readonly(repeater_units),
        unit_p=C.readonly(p),
        unit_f_latency_ms=C.readonly(np.where(conducting, f_arrival_ms, np.nan)),
        unit_size_mv=C.readonly(np.asarray(pop.size_mv, dtype=float)),
        expected_persistence_pct=float(100.0 * (1.0 - np.prod(1.0 - p))),
        persistence_pct=float(100.0 * present.mean()),
        m_onset_ms=m_onset,
        m_neg_peak_amp_mv=m_amp,
        m_peak_to_peak_mv=m_p2p,
        noise_mv=noise,
        a_wave_amp_mv=float(a_wave.amp_mv) if a_wave else 0.0,
        noise_free=C.readonly(clean),
    )
    return Sweeps(x, fs, t0), truth


def _a_wave_latency(units: TrainUnits, latency_ms: float | None, m_ref: float) -> float:
    """The A-wave latency: as given, else 55 % of the way from the M onset to the first F-wave."""
    if latency_ms is not None:
        return latency_ms
    f_arrival_ms = units.f_arrival_ms
    valid = units.conducting & np.isfinite(f_arrival_ms) & (units.unit_p > 0)
    f_min = float(f_arrival_ms[valid].min()) if valid.any() else m_ref + 20.0
    return m_ref + 0.55 * (f_min - m_ref)


def _clean_sweeps(
    pop: C.Population,
    f_arrival_ms: np.ndarray,
    fires: np.ndarray,
    fixed: tuple[np.ndarray, np.ndarray, np.ndarray],
    time_base: tuple[float, float, float, int],
) -> tuple[np.ndarray, np.ndarray, np.ndarray, list[np.ndarray]]:
    """Noise-free sweeps: the M-wave, the F-waves of the units firing on stimulus k and the A-wave
    where it occurs (``fixed`` = M-wave, A-wave component, A-wave present per sweep), with each
    sweep's F latency and peak-to-peak (NaN without an F-wave)."""
    m_wave, a_comp, a_on = fixed
    _, dt, t0, n = time_base
    n_stimuli = fires.shape[0]
    clean = np.empty((n_stimuli, n))
    f_lat = np.full(n_stimuli, np.nan)
    f_amp = np.full(n_stimuli, np.nan)
    fired = []
    for k in range(n_stimuli):
        u = np.flatnonzero(fires[k])
        fired.append(C.readonly(u))
        f = C.sum_muaps(
            f_arrival_ms[u],
            pop.size_mv[u],
            pop.neg_ms[u],
            pop.pos_ms[u],
            t0_ms=t0,
            dt_ms=dt,
            n_samples=n,
        )
        if u.size:
            f_lat[k] = float(f_arrival_ms[u].min())
            f_amp[k] = float(f.max() - f.min())
        clean[k] = m_wave + f + (a_comp if a_on[k] else 0.0)
    return clean, f_lat, f_amp, fired


#: Longest A-wave component (ms): negative lobe drawn in [2, 3] ms, positive lobe 1.5 times it.
A_WAVE_MAX_MS = 7.5


def _check_window(
    pop: C.Population,
    *,
    m_arrival_ms: np.ndarray,
    f_arrival_ms: np.ndarray,
    unit_p: np.ndarray,
    conducting: np.ndarray,
    a_wave: bool,
    a_wave_latency_ms: float | None,
    sweep_end_ms: float,
    cord_distance_mm: float,
    option_of: str,
) -> None:
    def name(x: str) -> str:
        return f"{option_of}[{x!r}]" if option_of else x

    dur = pop.neg_ms + pop.pos_ms
    m_end = float(np.max((m_arrival_ms + dur)[conducting])) if conducting.any() else 0.0
    ok = conducting & np.isfinite(f_arrival_ms) & (unit_p > 0)
    if ok.any():
        f_first = float(np.min(f_arrival_ms[ok]))
        if f_first < m_end:
            raise ParameterError(
                f"{name('cord_distance_mm')}: {cord_distance_mm:g} mm puts the earliest F-wave at "
                f"{f_first:.1f} ms, inside the M-wave (which ends at {m_end:.1f} ms); valid: a cord "
                "distance long enough for the F-waves to follow the M-wave"
            )
        f_end = float(np.max((f_arrival_ms + dur)[ok]))
        if f_end > sweep_end_ms:
            raise ParameterError(
                f"{name('sweep_ms')}: the sweep ends at {sweep_end_ms:.1f} ms, before the latest "
                f"possible F-wave ends ({f_end:.1f} ms = latest F arrival + its MUAP duration); "
                f"valid: a sweep of >= {math.ceil(f_end):.0f} ms after the stimulus"
            )
    if a_wave and a_wave_latency_ms is not None:
        if not 0.0 < a_wave_latency_ms < sweep_end_ms:
            raise ParameterError(
                f"{name('a_wave_latency_ms')}: must lie in (0, {sweep_end_ms:.1f}) ms (inside the "
                f"sweep), got {a_wave_latency_ms!r}"
            )
        a_end = a_wave_latency_ms + A_WAVE_MAX_MS
        if a_end > sweep_end_ms:
            raise ParameterError(
                f"{name('sweep_ms')}: the sweep ends at {sweep_end_ms:.1f} ms, before the A-wave at "
                f"{a_wave_latency_ms:g} ms can end ({a_end:.1f} ms); valid: a sweep of >= "
                f"{math.ceil(a_end):.0f} ms after the stimulus"
            )


def default_fwave_sweep(
    preset_ms: float, f_arrival_ms: np.ndarray, pop: C.Population, units: np.ndarray
) -> float:
    """The preset's F sweep length, lengthened in 10 ms steps until it holds the latest possible
    F-wave of ``units`` (F arrival + MUAP duration)."""
    if not units.any():
        return preset_ms
    end = float(np.max((f_arrival_ms + pop.neg_ms + pop.pos_ms)[units]))
    return max(preset_ms, 10.0 * math.ceil(end / 10.0))


def draw_unit_p(
    rng: np.random.Generator,
    n_units: int,
    p_backfire: float,
    n_repeaters: int,
    repeater_p: tuple[float, float],
    *,
    eligible: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Per-unit back-firing probabilities and the repeater indices (chosen among ``eligible``)."""
    p = np.full(n_units, p_backfire)
    pool = np.arange(n_units) if eligible is None else np.flatnonzero(eligible)
    k = min(n_repeaters, pool.size)
    rep = np.sort(rng.choice(pool, size=k, replace=False)) if k else np.zeros(0, np.int64)
    p[rep] = rng.uniform(repeater_p[0], repeater_p[1], k)
    return p, rep.astype(np.int64)


def simulate_fwave_train(  # noqa: PLR0913 - documented keyword-only model options (a population object is still to come)
    nerve: str = "ulnar",
    *,
    n_stimuli: int = 20,
    p_backfire: float = 0.02,
    n_repeaters: int = 2,
    repeater_p: tuple[float, float] = (0.1, 0.3),
    a_wave: bool = True,
    a_wave_prob: float = 0.95,
    a_wave_latency_ms: float | None = None,
    a_wave_amp_mv: float = 0.15,
    n_units: int | None = None,
    unit_size_mv: float | None = None,
    unit_size_sigma: float = 0.6,
    cv_mean_m_s: float | None = None,
    cv_sd_m_s: float | None = None,
    terminal_delay_ms: float | None = None,
    terminal_delay_sd_ms: float = 0.2,
    muap_duration_ms: tuple[float, float] = (7.0, 10.0),
    muap_pos_ratio: float = 1.2,
    distal_distance_mm: float | None = None,
    cord_distance_mm: float | None = None,
    turnaround_ms: float = 1.0,
    sweep_ms: float | None = None,
    rng: Any = None,
    conditions: RecordingConditions | None = None,
    **recording: Any,
) -> SimulatedFWaves:
    """Simulate a train of F-wave sweeps from a motor-unit population, with per-sweep truth.

    Each sweep holds the M-wave (every unit, direct), then on each stimulus every unit back-fires
    independently with its probability; a back-firing unit adds its own MUAP at its F latency. A few
    repeater units have a high probability; an optional A-wave (fixed latency and shape) appears on
    almost every sweep.

    Parameters
    ----------
    nerve : {"median", "ulnar", "peroneal", "tibial"}
        Preset for the population, distances and sweep length (50 ms arm, 100 ms leg).
    n_stimuli : int
        Number of stimuli / sweeps (1 to 1000; 10-100 in practice, default 20).
    p_backfire : float
        Back-firing probability per unit and stimulus, in [0, 1] (physiologically about 0.01-0.03).
    n_repeaters : int
        Number of repeater units (>= 0).
    repeater_p : (float, float)
        Range of the repeaters' probabilities (uniform draw), in [0, 1].
    a_wave : bool
        Add an A-wave.
    a_wave_prob : float
        Probability that the A-wave occurs on a sweep, in [0, 1].
    a_wave_latency_ms : float or None, ms
        A-wave onset, in (0, sweep end); default 55 % of the way from the M onset to the earliest
        possible F onset.
    a_wave_amp_mv : float, mV
        A-wave negative-peak amplitude (>= 0).
    n_units : int or None
        Motor units, 1 to 2000 (default: preset).
    unit_size_mv, unit_size_sigma : float (mV), float
        Median and log-normal sigma of the unit MUAP negative-peak amplitudes.
    cv_mean_m_s, cv_sd_m_s : float, m/s
        Normal distribution of the unit conduction velocities (default: preset).
    terminal_delay_ms, terminal_delay_sd_ms : float, ms
        Distal (terminal + endplate) delay, mean and SD.
    muap_duration_ms : (float, float), ms
        Range of MUAP durations (uniform), in (0, 30] ms.
    muap_pos_ratio : float
        Positive-lobe / negative-lobe duration of each MUAP (> 0).
    distal_distance_mm : float or None, mm
        Stimulation site to recording electrode (> 0; default: the preset's first distance).
    cord_distance_mm : float or None, mm
        Stimulation site to the spinal cord (default: preset); long enough that the earliest F-wave
        starts after the M-wave has ended.
    turnaround_ms : float, ms
        Time for the antidromic volley to re-excite the motor neuron (about 1 ms).
    sweep_ms : float or None, ms
        Sweep length after the stimulus (default 50 ms arm, 100 ms leg, lengthened in 10 ms steps when
        the population's latest F-wave would end later). The sweep must hold the latest possible
        F-wave (latest F arrival + its MUAP duration) and the A-wave, otherwise the truth would
        describe waves the sweep does not record.
    rng : None, int >= 0 or numpy.random.Generator
        Seed or generator (``np.random.default_rng(rng)``); the same seed gives the same train.
    conditions : RecordingConditions or None
        Sampling rate (at least 10 samples over the shortest MUAP negative lobe), pre-trigger, noise,
        hum, drift, artefact, clipping and polarity (default
        :data:`~ncs_emg.simulate.DEFAULT_CONDITIONS`: 20 kHz, 10 µV RMS white noise whatever the
        response size, 5 µV hum). With ``snr_db`` set, the noise SD is the M-wave's negative peak
        divided by ``10^(snr_db / 20)``.
    **recording
        :class:`~ncs_emg.simulate.RecordingConditions` fields by name (``noise_uv=20``,
        ``snr_db=60``, ``hum_mv=0``, ...), applied on top of ``conditions``.

    Raises
    ------
    ParameterError
        Naming the parameter, for any value outside the ranges above (booleans are not counts), an
        invalid ``rng``, a sweep too short for the F- and A-waves or F-waves inside the M-wave.
    """
    kw = {k: v for k, v in locals().items() if k not in ("conditions", "recording")}
    kw["conditions"] = resolve_conditions(conditions, recording)
    sweeps, truth, params = _simulate_fwave_train(**kw)
    return SimulatedFWaves(sweeps, truth, params)


def _simulate_fwave_train(**kw: Any) -> tuple[Sweeps, FWaveTruth, Any]:
    name = kw["nerve"]
    if not isinstance(name, str) or name.strip().lower() not in PRESETS:
        raise ParameterError(f"nerve: invalid value {name!r}; valid options: {sorted(PRESETS)}")
    pre = PRESETS[name.strip().lower()]
    g = C.make_rng(kw["rng"])
    n_stim = C.check_count(kw["n_stimuli"], "n_stimuli", maximum=C.MAX_STIMULI)
    p_bf = C.check_real(kw["p_backfire"], "p_backfire", lo=0.0, hi=1.0)
    n_rep = C.check_count(kw["n_repeaters"], "n_repeaters", minimum=0, maximum=C.MAX_UNITS)
    rep_p = C.check_pair(kw["repeater_p"], "repeater_p", lo=0.0, lo_open=False)
    if rep_p[1] > 1.0:
        raise ParameterError(
            f"repeater_p: probabilities must lie in [0, 1], got {kw['repeater_p']!r}"
        )
    a_prob = C.check_real(kw["a_wave_prob"], "a_wave_prob", lo=0.0, hi=1.0)
    a_lat = kw["a_wave_latency_ms"]
    a_lat = None if a_lat is None else C.check_real(a_lat, "a_wave_latency_ms")
    a_amp = C.check_real(kw["a_wave_amp_mv"], "a_wave_amp_mv", lo=0.0)
    n_units = C.check_count(
        pre.n_units if kw["n_units"] is None else kw["n_units"], "n_units", maximum=C.MAX_UNITS
    )
    size = pre.unit_size_mv if kw["unit_size_mv"] is None else kw["unit_size_mv"]
    size = C.check_real(size, "unit_size_mv", lo=0.0, lo_open=True)
    sigma = C.check_real(kw["unit_size_sigma"], "unit_size_sigma", lo=0.0)
    cv_mean = pre.cv_mean_m_s if kw["cv_mean_m_s"] is None else kw["cv_mean_m_s"]
    cv_mean = C.check_real(cv_mean, "cv_mean_m_s", lo=0.0, lo_open=True)
    cv_sd = C.check_real(
        pre.cv_sd_m_s if kw["cv_sd_m_s"] is None else kw["cv_sd_m_s"], "cv_sd_m_s", lo=0.0
    )
    td = pre.terminal_delay_ms if kw["terminal_delay_ms"] is None else kw["terminal_delay_ms"]
    td = C.check_real(td, "terminal_delay_ms", lo=0.0)
    td_sd = C.check_real(kw["terminal_delay_sd_ms"], "terminal_delay_sd_ms", lo=0.0)
    dur = C.check_muap_duration(kw["muap_duration_ms"])
    ratio = C.check_real(kw["muap_pos_ratio"], "muap_pos_ratio", lo=0.0, lo_open=True)
    d0 = pre.sites[0][1] if kw["distal_distance_mm"] is None else kw["distal_distance_mm"]
    d0 = C.check_real(d0, "distal_distance_mm", lo=0.0, lo_open=True)
    dc = pre.cord_distance_mm if kw["cord_distance_mm"] is None else kw["cord_distance_mm"]
    dc = C.check_real(dc, "cord_distance_mm", lo=0.0, lo_open=True)
    turn = C.check_real(kw["turnaround_ms"], "turnaround_ms", lo=0.0)
    # population first: the default sweep is lengthened to hold its latest F-wave
    pop = C.make_population(
        g,
        n_units=n_units,
        cv_mean_m_s=cv_mean,
        cv_sd_m_s=cv_sd,
        terminal_delay_ms=td,
        terminal_delay_sd_ms=td_sd,
        unit_size_mv=size,
        unit_size_sigma=sigma,
        muap_duration_ms=dur,
        muap_pos_ratio=ratio,
    )
    m_arr = d0 / pop.cv_m_s + pop.terminal_delay_ms
    f_arr = m_arr + 2.0 * dc / pop.cv_m_s + turn
    if kw["sweep_ms"] is None:
        sweep_ms = default_fwave_sweep(pre.fwave_sweep_ms, f_arr, pop, np.ones(n_units, bool))
    else:
        sweep_ms = kw["sweep_ms"]
    cond: RecordingConditions = kw["conditions"]
    fs, dt, t0, n = C.time_base(cond.sfreq_hz, cond.pre_ms, sweep_ms)
    C.check_sampling(fs, dur[0] / (1.0 + ratio))
    unit_p, rep = draw_unit_p(g, n_units, p_bf, n_rep, rep_p)
    sweeps, truth = fwave_train(
        g,
        pop,
        TrainUnits(m_arr, f_arr, unit_p, np.ones(n_units, bool), rep),
        n_stimuli=n_stim,
        a_wave=AWaveSpec(a_prob, a_lat, a_amp) if kw["a_wave"] else None,
        time_base=(fs, dt, t0, n),
        conditions=cond,
        cord_distance_mm=dc,
    )
    params = {k: v for k, v in kw.items() if k not in ("rng", "conditions")}
    params["conditions"] = cond.to_dict()
    params.update(nerve=pre.nerve, n_units=n_units, cv_mean_m_s=cv_mean, cv_sd_m_s=cv_sd)
    params.update(distal_distance_mm=d0, cord_distance_mm=dc, sweep_ms=sweep_ms)
    params.update(unit_size_mv=size, terminal_delay_ms=td)
    return sweeps, truth, C.json_value(params)
