"""Analytic F-wave trains with closed-form truth (unit tests of ``ncs_emg.fwave``).

Every component is one period of a sine (negative lobe first), exactly zero outside its support, so
the truth is exact: onset = start of the support, peak-to-peak = 2 * amplitude (of the continuous
curve; the sampled one is within ``amp * (1 - cos(pi * dt / period))`` of each peak).
"""

from __future__ import annotations

import numpy as np


def sine_lobe(t, onset_ms, period_ms, amp_mv):
    """-amp * sin(2 pi (t - onset) / period) on (onset, onset + period), 0 elsewhere."""
    u = (t - onset_ms) / period_ms
    return np.where((u > 0) & (u < 1), -amp_mv * np.sin(2 * np.pi * u), 0.0)


def sine_train(
    f_latency_ms,
    f_amp_mv=0.2,
    *,
    sfreq_hz=20000.0,
    t0_ms=-5.0,
    sweep_ms=50.0,
    m_onset_ms=3.0,
    m_period_ms=8.0,
    m_amp_mv=5.0,
    f_period_ms=6.0,
    a_latency_ms=None,
    a_amp_mv=0.1,
    a_period_ms=4.0,
    a_sweeps=None,
    tail_mv=0.0,
    tail_tau_ms=2.0,
    noise_mv=0.0,
    rng=None,
):
    """A train with one sweep per entry of ``f_latency_ms`` (NaN = no F-wave on that sweep).

    Returns ``(t_ms, X_mv, truth)`` where truth holds ``f_present``, ``f_latency_ms``,
    ``f_amplitude_mv`` (2 * amp, NaN when absent), ``a_wave_present``, ``a_wave_latency_ms``,
    ``m_end_ms`` (end of the M support, or of the tail when there is one: never, so None).
    """
    lat = np.asarray(f_latency_ms, dtype=float)
    n_s = lat.shape[0]
    amp = np.broadcast_to(np.asarray(f_amp_mv, dtype=float), (n_s,))
    dt = 1000.0 / sfreq_hz
    n = int(round((sweep_ms - t0_ms) / dt))
    t = t0_ms + np.arange(n) * dt
    m = sine_lobe(t, m_onset_ms, m_period_ms, m_amp_mv)
    if tail_mv:
        end = m_onset_ms + m_period_ms
        m = m + np.where(t > end, tail_mv * np.exp(-(t - end) / tail_tau_ms), 0.0)
    a_on = np.zeros(n_s, bool)
    if a_latency_ms is not None:
        a_on[:] = True if a_sweeps is None else np.asarray(a_sweeps, bool)
    X = np.empty((n_s, n))
    for k in range(n_s):
        x = m.copy()
        if not np.isnan(lat[k]):
            x += sine_lobe(t, lat[k], f_period_ms, amp[k])
        if a_on[k]:
            x += sine_lobe(t, a_latency_ms, a_period_ms, a_amp_mv)
        X[k] = x
    if noise_mv:
        X += np.random.default_rng(rng).normal(0.0, noise_mv, X.shape)
    truth = dict(
        f_present=~np.isnan(lat),
        f_latency_ms=lat,
        f_amplitude_mv=np.where(np.isnan(lat), np.nan, 2 * amp),
        a_wave_present=a_on,
        a_wave_latency_ms=np.where(a_on, np.nan if a_latency_ms is None else a_latency_ms, np.nan),
        m_end_ms=m_onset_ms + m_period_ms,
    )
    return t, X, truth
