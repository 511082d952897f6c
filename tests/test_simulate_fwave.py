"""Tests of the simulated F-wave trains: truth consistency, determinism, physiology, bad input."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ncs_emg
from ncs_emg.errors import ParameterError
from ncs_emg.simulate import _core as C


def test_same_seed_same_train_and_different_seed_differs():
    a = ncs_emg.simulate_fwave_train("ulnar", rng=7)
    b = ncs_emg.simulate_fwave_train("ulnar", rng=7)
    c = ncs_emg.simulate_fwave_train("ulnar", rng=8)
    assert a.sweeps == b.sweeps
    assert np.array_equal(a.truth.f_latency_ms, b.truth.f_latency_ms, equal_nan=True)
    assert a.sweeps != c.sweeps


@pytest.mark.parametrize("nerve", ["median", "ulnar", "peroneal", "tibial"])
def test_train_shape_time_base_and_truth_fields(nerve):
    r = ncs_emg.simulate_fwave_train(nerve, n_stimuli=12, rng=1)
    sw, t = r.sweeps, r.truth
    assert sw.n_sweeps == 12 and sw.t0_ms < 0
    length = sw.n_samples * sw.dt_ms + sw.t0_ms
    assert length == pytest.approx(50.0 if nerve in ("median", "ulnar") else 100.0, abs=0.1)
    for name in (
        "f_present",
        "f_latency_ms",
        "f_amplitude_mv",
        "a_wave_present",
        "a_wave_latency_ms",
    ):
        assert getattr(t, name).shape == (12,)
    # latency and amplitude are NaN exactly when no unit fired
    assert np.array_equal(np.isnan(t.f_latency_ms), ~t.f_present)
    assert np.array_equal(np.isnan(t.a_wave_latency_ms), ~t.a_wave_present)
    for k in range(12):
        fired = t.units_fired[k]
        assert (fired.size > 0) == t.f_present[k]
        if fired.size:
            assert t.f_latency_ms[k] == pytest.approx(np.min(t.unit_f_latency_ms[fired]))
    # F after the M-wave, A-wave in between
    assert np.nanmin(t.f_latency_ms) > t.m_onset_ms + 15
    assert t.m_onset_ms < np.nanmin(t.a_wave_latency_ms) < np.nanmin(t.unit_f_latency_ms)
    d = r.to_dict()["truth"]
    assert [v is None for v in d["f_latency_ms"]] == list(~t.f_present)
    assert d["repeater_units"] == [int(u) for u in t.repeater_units]


def test_f_latency_is_path_to_cord_and_back_plus_turnaround():
    r = ncs_emg.simulate_fwave_train(
        "ulnar",
        n_units=1,
        cv_sd_m_s=0.0,
        terminal_delay_sd_ms=0.0,
        p_backfire=1.0,
        n_repeaters=0,
        a_wave=False,
        distal_distance_mm=70.0,
        cord_distance_mm=700.0,
        cv_mean_m_s=50.0,
        terminal_delay_ms=2.0,
        turnaround_ms=1.0,
        snr_db=math.inf,
        rng=0,
    )
    m = 70.0 / 50.0 + 2.0
    assert r.truth.m_onset_ms == pytest.approx(m)
    assert np.allclose(r.truth.f_latency_ms, m + 2 * 700.0 / 50.0 + 1.0)
    # noise-free sweep = M + F + nothing else; the F MUAP is the same unit's MUAP, delayed
    x = r.truth.noise_free[0]
    t = r.sweeps.times_ms
    assert np.all(x[t < m] == 0.0)
    assert np.all(x[(t > m + 9) & (t < r.truth.f_latency_ms[0])] == 0.0)
    assert r.truth.f_amplitude_mv[0] == pytest.approx(r.truth.m_peak_to_peak_mv, rel=0.02)


def test_f_amplitudes_are_small_fractions_of_m():
    amps, m = [], []
    for seed in range(5):
        t = ncs_emg.simulate_fwave_train("median", rng=seed).truth
        amps.append(np.nanmean(t.f_amplitude_mv))
        m.append(t.m_peak_to_peak_mv)
    ratio = 100 * np.mean(amps) / np.mean(m)
    assert 0.3 < ratio < 5.0  # docs/simulation.md: mean F about 1 % of M, the largest about 5 %
    assert 0.05 < np.mean(amps) < 0.8  # single / few MUAPs


def test_repeaters_fire_more_often_than_other_units():
    counts = np.zeros(200)
    reps = None
    for seed in range(10):
        t = ncs_emg.simulate_fwave_train(
            "ulnar", n_stimuli=50, p_backfire=0.01, n_repeaters=3, repeater_p=(0.2, 0.3), rng=seed
        ).truth
        assert t.repeater_units.size == 3
        assert np.all(t.unit_p[t.repeater_units] >= 0.2)
        c = np.zeros(200)
        for u in t.units_fired:
            c[u] += 1
        counts += c / 50
        reps = t.repeater_units
    assert reps is not None
    # over 500 sweeps a repeater fires in >= 20 % of sweeps, an ordinary unit in about 1 %
    t = ncs_emg.simulate_fwave_train(
        "ulnar", n_stimuli=500, p_backfire=0.01, n_repeaters=3, repeater_p=(0.2, 0.3), rng=99
    ).truth
    fired = np.zeros(200)
    for u in t.units_fired:
        fired[u] += 1
    rate = fired / 500
    others = np.setdiff1d(np.arange(200), t.repeater_units)
    assert rate[t.repeater_units].min() > 0.12
    assert rate[others].mean() == pytest.approx(0.01, abs=0.004)


def test_a_wave_probability_and_fixed_latency():
    t = ncs_emg.simulate_fwave_train("ulnar", n_stimuli=400, a_wave_prob=0.9, rng=4).truth
    lat = t.a_wave_latency_ms[t.a_wave_present]
    assert np.ptp(lat) == 0.0
    sd = math.sqrt(0.9 * 0.1 / 400)
    assert abs(t.a_wave_present.mean() - 0.9) < 4 * sd
    off = ncs_emg.simulate_fwave_train("ulnar", a_wave=False, rng=4).truth
    assert not off.a_wave_present.any() and off.a_wave_amp_mv == 0.0


def test_display_polarity_flips_and_snr_sets_noise():
    a = ncs_emg.simulate_fwave_train("ulnar", artefact_mv=0.0, rng=5)
    b = ncs_emg.simulate_fwave_train("ulnar", artefact_mv=0.0, display_polarity=True, rng=5)
    assert np.array_equal(a.sweeps.data, -b.sweeps.data)
    r = ncs_emg.simulate_fwave_train("ulnar", snr_db=40.0, artefact_mv=0.0, n_stimuli=50, rng=5)
    resid = r.sweeps.data - r.truth.noise_free
    assert r.truth.noise_mv == pytest.approx(r.truth.m_neg_peak_amp_mv / 100.0)
    assert resid.std() == pytest.approx(r.truth.noise_mv, rel=0.02)


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(n_stimuli=-1), "n_stimuli"),
        (dict(n_stimuli=2.5), "n_stimuli"),
        (dict(p_backfire=1.5), "p_backfire"),
        (dict(p_backfire=float("nan")), "p_backfire"),
        (dict(n_units=0), "n_units"),
        (dict(n_repeaters=-2), "n_repeaters"),
        (dict(repeater_p=(0.3, 0.1)), "repeater_p"),
        (dict(repeater_p=(0.3, 1.2)), "repeater_p"),
        (dict(cv_mean_m_s=0.0), "cv_mean_m_s"),
        (dict(cv_mean_m_s=-50.0), "cv_mean_m_s"),
        (dict(cord_distance_mm=-5.0), "cord_distance_mm"),
        (dict(distal_distance_mm=-5.0), "distal_distance_mm"),
        (dict(snr_db=float("nan")), "snr_db"),
        (dict(sfreq_hz=0.0), "sfreq_hz"),
        (dict(nerve="radial"), "nerve"),
        (dict(a_wave_prob=2.0), "a_wave_prob"),
    ],
)
def test_bad_parameters_raise_named_errors(kw, name):
    kw = {"nerve": "ulnar", **kw}
    with pytest.raises(ParameterError, match=name):
        ncs_emg.simulate_fwave_train(**kw, rng=0)


def test_vectorised_summation_matches_naive_twin(rng):
    n = 200
    arr = rng.uniform(2.0, 30.0, n)
    size = rng.lognormal(-3, 0.5, n)
    neg = rng.uniform(2.0, 4.0, n)
    pos = 1.5 * neg
    for fs, t0, ns in ((20000.0, -5.0, 900), (10000.0, 0.0, 100), (50000.0, -2.0, 1600)):
        dt = 1000.0 / fs
        a = C.sum_muaps(arr, size, neg, pos, t0_ms=t0, dt_ms=dt, n_samples=ns)
        b = C.sum_muaps_naive(arr, size, neg, pos, t0_ms=t0, dt_ms=dt, n_samples=ns)
        assert np.allclose(a, b, rtol=0, atol=1e-9)
    empty = C.sum_muaps(
        np.zeros(0), np.zeros(0), np.zeros(0), np.zeros(0), t0_ms=0.0, dt_ms=0.05, n_samples=10
    )
    assert np.array_equal(empty, np.zeros(10))


def test_muap_shape_starts_at_arrival_with_unit_negative_peak():
    tau = np.linspace(-1, 10, 110001)
    y = C.muap_shape(tau, 3.0, 4.5)
    assert np.all(y[tau <= 0] == 0) and np.all(y[tau >= 7.5] == 0)
    assert y.min() == pytest.approx(-1.0, abs=1e-6)
    assert np.trapezoid(y, tau) == pytest.approx(0.0, abs=1e-6)
    assert y[(tau > 0) & (tau < 3.0)].max() <= 0 and y[(tau > 3.0) & (tau < 7.5)].min() >= 0


def test_f_and_a_waves_share_the_linear_take_off_of_the_m_wave():
    """F- and A-wave components use the same MUAP shape as the M-wave: 0.1 ms after its arrival a
    single-unit F-wave is already at > 10 % of its negative peak (4e-5 with the former 4th-order lobes)."""
    r = ncs_emg.simulate_fwave_train(
        "ulnar",
        n_units=1,
        p_backfire=1.0,
        n_repeaters=0,
        a_wave_latency_ms=15.0,
        a_wave_prob=1.0,
        snr_db=math.inf,
        rng=2,
    )
    t = r.sweeps.times_ms
    x = r.truth.noise_free[0]
    f_on = r.truth.f_latency_ms[0]
    peak = r.truth.f_amplitude_mv[0] / (1 + 1 / 1.2)  # p2p = neg peak x (1 + neg/pos ratio)
    i = np.searchsorted(t, f_on + 0.1)
    assert -x[i] > 0.1 * peak
    a = x[(t > 15.0) & (t <= 15.1)]
    assert a.size and a.min() < -0.01 * r.truth.a_wave_amp_mv  # the A-wave starts at once too
