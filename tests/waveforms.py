"""Analytic and simple motor-unit-sum test waveforms with closed-form or constructed truth."""

from __future__ import annotations

import numpy as np


def sine_cmap(
    n=800, sfreq_hz=20000.0, t0_ms=-5.0, onset_ms=3.0, period_ms=8.0, amp_mv=5.0, base_mv=0.0
):
    """One period of -amp*sin: negative lobe then positive lobe, zero outside [onset, onset+period].

    Closed form: onset = onset_ms; negative peak at onset + T/4 with amplitude amp; baseline crossing
    at onset + T/2; end at onset + T; negative area = amp*T/pi; total area = 2*amp*T/pi;
    peak-to-peak = 2*amp.
    """
    dt = 1000.0 / sfreq_hz
    t = t0_ms + np.arange(n) * dt
    u = (t - onset_ms) / period_ms
    x = np.where((u > 0) & (u < 1), -amp_mv * np.sin(2 * np.pi * u), 0.0) + base_mv
    return t, x


def mu_sum(
    rng,
    n_units=120,
    sfreq_hz=20000.0,
    t0_ms=-5.0,
    n=900,
    dist_mm=70.0,
    cv_mean=55.0,
    cv_sd=4.0,
    term_delay_ms=1.5,
    muap_ms=6.0,
    size_median_mv=0.05,
    noise_mv=0.0,
    artefact_mv=0.0,
):
    """Sum of compact biphasic MUAPs (one period of -sin, negative first) starting at dist/CV + delay.

    The MUAPs are exactly zero before their arrival, so the first arrival is the true onset.
    Returns (t_ms, x_mv, first_arrival_ms).
    """
    dt = 1000.0 / sfreq_hz
    t = t0_ms + np.arange(n) * dt
    cv = np.clip(rng.normal(cv_mean, cv_sd, n_units), 20, None)
    arrive = dist_mm / cv + term_delay_ms
    sizes = size_median_mv * rng.lognormal(0.0, 0.5, n_units)
    x = np.zeros(n)
    for a, s in zip(arrive, sizes):
        u = (t - a) / muap_ms
        x -= np.where((u > 0) & (u < 1), s * np.sin(2 * np.pi * u), 0.0)
    if artefact_mv:
        x += np.where(t >= 0, artefact_mv * np.exp(-np.clip(t, 0, None) / 0.3), 0.0)
    if noise_mv:
        x += rng.normal(0, noise_mv, n)
    return t, x, float(arrive.min())
