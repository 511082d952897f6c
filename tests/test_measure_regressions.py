"""Regression tests for the CMAP defects found on real recordings, with the trace
features real exports have: no pre-trigger with an artefact, quantisation, digitised (piecewise-linear)
traces, small excursions before the response, drift, a low-frequency-filter tail, mains hum, and small
negative wiggles after a large positive lobe. Each test fails on the kernel before these fixes."""

from __future__ import annotations

import math

import numpy as np
import pytest

import ncs_emg
from ncs_emg import measure_cmap
from waveforms import (
    artefact,
    cmap_shape,
    drift,
    half_sine,
    high_pass,
    hum,
    piecewise_linear,
    quantise,
)

FS = 20000.0
T_NEG, T_POS = 4.0, 8.0  # cmap_shape defaults: negative and positive lobe durations (ms)


def _t(fs=FS, t0=0.0, length_ms=40.0):
    return t0 + np.arange(int(length_ms * fs / 1000)) / fs * 1000.0


def _flags_explain_nans(m):
    """No measure is NaN without a flag that says why."""
    any_flag = m.no_response | m.saturated | m.end_not_found | m.onset_at_search_start
    any_flag = any_flag | m.onset_not_found
    for name in ncs_emg.measure.CMAP_MEASURE_NAMES:
        v = getattr(m, name)
        assert not np.any(np.isnan(v) & ~any_flag), name


# ------------------------------------------------------ onset of the main response


@pytest.mark.parametrize("noise_mv", [0.0, 0.01])
def test_excursion_before_the_response_is_not_its_onset(noise_mv):
    # no pre-trigger (sample 0 = stimulus, with an artefact), a 40 uV, 0.4 ms excursion 3 ms before
    # a 5 mV CMAP whose onset is 6.33 ms: the onset is the CMAP's, the excursion is counted
    t = _t()
    x = artefact(t, 0.3, 0.25) + half_sine(t, 6.33 - 3.4, 0.4, -0.04) + cmap_shape(t, 6.33)
    x = x + np.random.default_rng(1).normal(0, noise_mv, t.size)
    m = measure_cmap(x, FS, t0_ms=0.0)
    assert m.baseline_source == "post-artefact"
    assert abs(m.onset_latency_ms[0] - 6.33) < 0.15
    assert m.neg_duration_ms[0] == pytest.approx(T_NEG, abs=0.3)
    # counted when significant (4 SD at 10 uV noise it is not)
    assert m.pre_response_excursions[0] == (1 if noise_mv == 0 else 0)
    _flags_explain_nans(m)


def test_positive_excursion_before_the_response_is_not_its_onset():
    t = _t(t0=-5.0, length_ms=45.0)
    x = half_sine(t, 2.5, 0.5, 0.05) + half_sine(t, 3.5, 0.3, -0.06) + cmap_shape(t, 6.0)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert m.onset_latency_ms[0] == pytest.approx(6.0, abs=0.06)
    assert m.pre_response_excursions[0] == 2


def test_a_connected_lead_in_is_part_of_the_response():
    # a small negative deflection that leads into the main phase without returning to baseline is
    # the start of the response (dispersed early units), not an excursion
    t = _t(t0=-5.0, length_ms=45.0)
    x = half_sine(t, 5.0, 1.4, -0.3) + cmap_shape(t, 6.0)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert m.onset_latency_ms[0] == pytest.approx(5.0, abs=0.06)
    assert m.pre_response_excursions[0] == 0


# ------------------------------------------------------ noise-free and quantised baselines


@pytest.mark.parametrize("step_mv", [0.001, 0.25e-4 * 1.19])  # 16-bit at 1 uV; 24-bit
def test_quantised_noise_free_trace_is_measured(step_mv):
    # above-elbow-like: no noise, a quantised baseline, and a level 1 LSB off the baseline after the
    # artefact blanking (slow offset); onset, areas and durations must be measured
    t = _t(t0=-5.0, length_ms=45.0)
    x = cmap_shape(t, 9.0, neg_amp_mv=3.0, neg_ms=6.0, pos_amp_mv=1.5, pos_ms=10.0)
    x = quantise(x + np.where(t > 0.5, 1.4 * step_mv, 0.0), step_mv)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert not m.no_response[0] and not m.end_not_found[0] and not m.onset_at_search_start[0]
    assert m.onset_latency_ms[0] == pytest.approx(9.0, abs=0.1)
    assert m.neg_area_mv_ms[0] == pytest.approx(2 * 3.0 * 6.0 / np.pi, rel=0.01)
    assert m.neg_duration_ms[0] == pytest.approx(6.0, abs=0.1)
    assert m.total_duration_ms[0] == pytest.approx(16.0, abs=0.5)
    _flags_explain_nans(m)


def test_digitised_piecewise_linear_trace_is_measured():
    t = _t(t0=-5.0, length_ms=45.0)
    x = piecewise_linear(t, cmap_shape(t, 6.0), 0.5)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert m.onset_latency_ms[0] == pytest.approx(6.0, abs=0.5)
    assert m.neg_duration_ms[0] == pytest.approx(T_NEG, abs=0.3)
    assert m.total_duration_ms[0] == pytest.approx(T_NEG + T_POS, abs=0.6)
    _flags_explain_nans(m)


@pytest.mark.parametrize("lff_hz", [2.0, 10.0])
def test_low_frequency_filter_tail_does_not_hold_the_response_open(lff_hz):
    t = _t(t0=-5.0, length_ms=45.0)
    # a CMAP whose lobes do not cancel (net negative area) leaves a long filter tail
    x = high_pass(cmap_shape(t, 5.0, pos_amp_mv=1.5), FS, lff_hz)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert not m.end_not_found[0]
    # the filter lengthens the positive lobe a little; its tail does not hold the response open
    assert T_NEG + T_POS - 1.0 < m.total_duration_ms[0] < T_NEG + T_POS + 2.5
    _flags_explain_nans(m)


@pytest.mark.parametrize("mv_per_s", [-2.0, 2.0])
def test_slow_drift_does_not_hold_the_response_open(mv_per_s):
    t = _t(t0=-5.0, length_ms=45.0)
    x = cmap_shape(t, 5.0) + drift(t, mv_per_s)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert not m.end_not_found[0]
    assert m.onset_latency_ms[0] == pytest.approx(5.0, abs=0.1)
    assert m.total_duration_ms[0] == pytest.approx(T_NEG + T_POS, abs=1.0)
    assert m.neg_area_mv_ms[0] == pytest.approx(2 * 5.0 * T_NEG / np.pi, rel=0.03)


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_mains_hum_with_a_noise_free_baseline_window(mains_hz):
    t = _t(t0=-5.0, length_ms=45.0)
    x = cmap_shape(t, 5.0) + hum(t, 0.02, mains_hz)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert m.onset_latency_ms[0] == pytest.approx(5.0, abs=0.15)
    assert m.neg_area_mv_ms[0] == pytest.approx(2 * 5.0 * T_NEG / np.pi, rel=0.03)
    assert not m.end_not_found[0]


# ------------------------------------------------------ late noise is not the response


def test_one_noise_sample_after_the_response_does_not_extend_it():
    # 10 kHz, 40 dB: one sample of 6 SD 10 ms after the end of the response
    fs = 10000.0
    t = _t(fs, t0=-5.0, length_ms=45.0)
    rng = np.random.default_rng(3)
    x = cmap_shape(t, 5.0) + rng.normal(0, 0.05, t.size)
    clean = measure_cmap(x, fs, t0_ms=-5.0)
    x[np.searchsorted(t, 5.0 + T_NEG + T_POS + 10.0)] += 0.3
    m = measure_cmap(x, fs, t0_ms=-5.0)
    assert m.total_duration_ms[0] == pytest.approx(clean.total_duration_ms[0], abs=1e-9)
    assert m.total_duration_ms[0] == pytest.approx(T_NEG + T_POS, abs=1.0)


def test_a_late_phase_separated_by_a_gap_is_not_part_of_the_response():
    t = _t(t0=-5.0, length_ms=45.0)
    x = cmap_shape(t, 5.0) + half_sine(t, 5.0 + T_NEG + T_POS + 5.0, 1.0, -1.0)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert m.total_duration_ms[0] == pytest.approx(T_NEG + T_POS, abs=0.2)


# ------------------------------------------------------ wiggles after a large positive lobe


def test_negative_area_does_not_run_across_a_large_positive_lobe():
    # -5 mV lobe, +2.9 mV lobe, then a -0.1 mV wiggle and a +0.05 mV one: the negative-peak window
    # ends at the first baseline crossing
    t = _t(t0=-5.0, length_ms=45.0)
    end = 5.0 + T_NEG + T_POS
    x = cmap_shape(t, 5.0, pos_amp_mv=2.9)
    x = x + half_sine(t, end + 0.1, 1.5, -0.1) + half_sine(t, end + 1.7, 1.5, 0.05)
    m = measure_cmap(x, FS, t0_ms=-5.0)
    assert m.neg_duration_ms[0] == pytest.approx(T_NEG, abs=0.05)
    assert m.neg_area_mv_ms[0] == pytest.approx(2 * 5.0 * T_NEG / np.pi, rel=0.01)


def test_cidp_preset_tibial_negative_area_matches_the_model():
    sim = ncs_emg.simulate_study("cidp", rng=1)
    k = [n.label for n in sim.study.nerves].index("left tibial (AH)")
    nerve, truth = sim.study.nerves[k], sim.truth.nerves[k]
    for site, st in zip(nerve.sites, truth.sites, strict=True):
        m = ncs_emg.measure_sweeps(site.sweeps)
        assert m.neg_area_mv_ms[0] == pytest.approx(st.measures["neg_area_mv_ms"], rel=0.2), (
            site.name
        )
    ankle, popl = (ncs_emg.measure_sweeps(s.sweeps).neg_area_mv_ms[0] for s in nerve.sites)
    assert popl / ankle > 0.4  # no false "area loss" between ankle and knee


# ------------------------------------------------------ no NaN without a flag


@pytest.mark.parametrize("seed", range(6))
def test_no_measure_is_nan_without_a_flag(seed):
    rng = np.random.default_rng(seed)
    t = _t(t0=float(rng.choice([0.0, -5.0])), length_ms=40.0)
    rows = []
    for _ in range(30):
        x = cmap_shape(t, rng.uniform(2, 20), neg_amp_mv=rng.uniform(0.02, 10))
        x = x + rng.normal(0, rng.uniform(0, 0.1), t.size) + drift(t, rng.uniform(-5, 5))
        x = x + artefact(t, rng.uniform(-2, 2)) + half_sine(t, rng.uniform(1, 30), 0.5, -0.05)
        rows.append(quantise(x, 0.001) if rng.random() < 0.5 else x)
    m = measure_cmap(np.array(rows), FS, t0_ms=float(t[0]))
    _flags_explain_nans(m)
    assert math.isfinite(float(np.nanmax(m.neg_peak_amp_mv)))
