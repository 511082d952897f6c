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
    for a, s in zip(arrive, sizes, strict=True):
        u = (t - a) / muap_ms
        x -= np.where((u > 0) & (u < 1), s * np.sin(2 * np.pi * u), 0.0)
    if artefact_mv:
        x += np.where(t >= 0, artefact_mv * np.exp(-np.clip(t, 0, None) / 0.3), 0.0)
    if noise_mv:
        x += rng.normal(0, noise_mv, n)
    return t, x, float(arrive.min())


# ---- trace features of real exports: each a small function of (t, x) ----------------


def cmap_shape(t, onset_ms, neg_amp_mv=5.0, neg_ms=4.0, pos_amp_mv=2.5, pos_ms=8.0):
    """Closed-form biphasic CMAP: a negative half-sine of ``neg_ms`` then a positive half-sine of
    ``pos_ms``, exactly zero outside [onset, onset + neg_ms + pos_ms]. Negative area
    2 * neg_amp * neg_ms / pi, positive area 2 * pos_amp * pos_ms / pi."""
    u = t - onset_ms
    neg = np.where((u > 0) & (u < neg_ms), -neg_amp_mv * np.sin(np.pi * u / neg_ms), 0.0)
    v = u - neg_ms
    pos = np.where((v > 0) & (v < pos_ms), pos_amp_mv * np.sin(np.pi * v / pos_ms), 0.0)
    return neg + pos


def half_sine(t, start_ms, width_ms, amp_mv):
    """A half-sine bump of ``amp_mv`` (negative = below baseline) on [start, start + width]."""
    u = (t - start_ms) / width_ms
    return np.where((u > 0) & (u < 1), amp_mv * np.sin(np.pi * u), 0.0)


def artefact(t, amp_mv=1.0, tau_ms=0.3):
    """Stimulus artefact at t = 0 with an exponential tail."""
    return np.where(t >= 0, amp_mv * np.exp(-np.clip(t, 0, None) / tau_ms), 0.0)


def quantise(x, step_mv):
    """Samples rounded to multiples of ``step_mv`` (16-bit at 1 µV: 0.001)."""
    return np.round(x / step_mv) * step_mv


def piecewise_linear(t, x, knot_ms):
    """A digitised-looking trace: ``x`` at knots every ``knot_ms``, joined by straight lines."""
    knots = np.arange(t[0], t[-1] + knot_ms, knot_ms)
    return np.interp(t, knots, np.interp(knots, t, x))


def drift(t, mv_per_s):
    """Linear baseline drift through 0 at the stimulus."""
    return mv_per_s * t / 1000.0


def high_pass(x, sfreq_hz, f_hz):
    """First-order (RC) high-pass at ``f_hz`` started at rest: the low-frequency filter's tail."""
    rc = 1.0 / (2 * np.pi * f_hz)
    a = rc / (rc + 1.0 / sfreq_hz)
    y = np.zeros_like(x)
    for i in range(1, x.size):
        y[i] = a * (y[i - 1] + x[i] - x[i - 1])
    return y


def hum(t, amp_mv=0.02, mains_hz=50.0, phase=0.3):
    """Mains hum."""
    return amp_mv * np.sin(2 * np.pi * mains_hz * t / 1000.0 + phase)
