"""F-wave regressions: each test reproduces a reported defect (see docs/fwaves.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fwave_waveforms import sine_lobe, sine_train
from naive import fw_train_naive
from ncs_emg import _kernels as K
from ncs_emg import measure_fwaves, simulate_fwave_train, simulate_study
from ncs_emg.fwave import measure_nerve_fwaves
from ncs_emg.normative import DEFAULT_TABLE, required_f_sweep_end_ms
from ncs_emg.types import Nerve, Sweeps

FS = 20000.0
#: noise-free onsets: the smoothed sweep (7-sample centred average) leaves the band up to 3 samples
#: early, plus one sample of interpolation
ONSET_TOL_MS = 4 * 1000.0 / FS + 1e-9


def _measure(sim, **kw):
    s = sim.sweeps
    return measure_fwaves(s.data, s.sfreq_hz, t0_ms=s.t0_ms, **kw)


def test_study_latencies_are_f_waves_not_noise_or_hum():
    # reported: nerve 6 min latency 20.6 ms (truth 47.45), chronodispersion 33.8 ms, interpretable;
    # other nerves of the study read A-waves or noise as 15.8 / 28.7 ms F-waves
    st = simulate_study("normal", rng=1)
    for k, nerve in enumerate(st.study.nerves):
        truth = st.truth.nerves[k].fwaves
        r = measure_nerve_fwaves(nerve)
        t_min = float(np.nanmin(truth.f_latency_ms))
        lat = r.onset_latency_ms[~np.isnan(r.onset_latency_ms)]
        # no latency earlier than the earliest true F-wave (noise, hum or an A-wave would be)
        assert lat.size and np.all(lat > t_min - 1.0), (k, nerve.nerve, lat.min(), t_min)
        if k == 6:
            assert abs(r.min_latency_ms - t_min) < 1.0, (r.min_latency_ms, t_min)


def test_blip_long_before_the_f_wave_is_not_its_onset():
    # a 0.03 mV (peak-to-peak) blip 15 ms before the F-wave: below the detection threshold alone, but
    # above the onset threshold; more than onset_gap_ms (5 ms) of baseline separates it from the F-wave
    lat = 32.0 + 0.3 * np.arange(20)  # varying latencies (identical ones would be an A-wave)
    _, X, _ = sine_train(lat, 0.3, sweep_ms=55.0)
    t = -5.0 + np.arange(X.shape[1]) * 1000 / FS
    X = X + sine_lobe(t, 17.0, 1.0, 0.015)[None, :] * (np.arange(20) % 2)[:, None]
    r = measure_fwaves(X, FS, t0_ms=-5.0, min_onset_threshold_mv=0.005)
    assert r.n_present == 20 and np.nanmax(np.abs(r.onset_latency_ms - lat)) <= ONSET_TOL_MS
    # with a gap rule longer than the baseline between them, the blip joins the response
    r = measure_fwaves(X, FS, t0_ms=-5.0, min_onset_threshold_mv=0.005, onset_gap_ms=30.0)
    assert np.nanmin(r.onset_latency_ms) < 18.0


def _late_peak_train(gap_ms, first_amp_mv=0.05):
    """F-waves of two components: a small negative phase at the true onset, then after ``gap_ms`` of
    baseline a larger one (a second motor unit) that holds the sweep's largest deviation."""
    lat = 40.0 + 0.25 * np.arange(20)
    _, X, _ = sine_train(lat, first_amp_mv, sweep_ms=70.0, f_period_ms=4.0)
    t = -5.0 + np.arange(X.shape[1]) * 1000 / FS
    for k, on in enumerate(lat):
        X[k] += sine_lobe(t, on + 4.0 + gap_ms, 6.0, 0.15)
    return X, lat


@pytest.mark.parametrize("gap_ms", [0.0, 2.0, 4.5, 8.0])
def test_onset_is_the_first_phase_of_a_response_whose_largest_phase_comes_later(gap_ms):
    # reported: normal study, left peroneal sweep 1, F latency 59.65 ms against 51.02 (the onset was
    # searched only within 5 ms before the largest phase, which came 11.8 ms after the onset). The
    # first component (0.1 mV peak-to-peak) is an F-wave by itself: it is the onset whether or not
    # baseline separates it from the larger one
    X, lat = _late_peak_train(gap_ms)
    r = measure_fwaves(X, FS, t0_ms=-5.0)
    assert r.n_present == 20
    np.testing.assert_allclose(r.onset_latency_ms, lat, atol=ONSET_TOL_MS)
    assert r.chronodispersion_ms == pytest.approx(lat[-1] - lat[0], abs=0.1)


def test_a_sub_threshold_phase_joins_the_response_only_within_the_gap():
    # first component 0.03 mV peak-to-peak: above the onset threshold (0.01 mV), below the detection
    # threshold (0.04 mV), so it is part of the F-wave only when connected to it
    X, lat = _late_peak_train(6.0, first_amp_mv=0.015)  # 6 ms of baseline > onset_gap_ms = 5 ms
    r = measure_fwaves(X, FS, t0_ms=-5.0)
    np.testing.assert_allclose(r.onset_latency_ms, lat + 4.0 + 6.0, atol=ONSET_TOL_MS)
    r = measure_fwaves(X, FS, t0_ms=-5.0, onset_gap_ms=7.0)
    np.testing.assert_allclose(r.onset_latency_ms, lat, atol=ONSET_TOL_MS)


def test_normal_study_f_latencies_follow_the_first_arriving_unit():
    # reported: left peroneal sweep 1 59.65 ms (truth 51.02), chronodispersion 12.07 ms (5.88) in an
    # interpretable train; right tibial sweep 1 61.04 ms (53.64)
    st = simulate_study("normal", rng=1)
    for k in (3, 6):  # right tibial, left peroneal
        truth = st.truth.nerves[k].fwaves
        r = measure_nerve_fwaves(st.study.nerves[k])
        assert abs(r.onset_latency_ms[1] - truth.f_latency_ms[1]) < 0.5, (k, r.onset_latency_ms[1])
        both = r.present & truth.f_present & ~np.isnan(r.onset_latency_ms)
        true_chrono = np.ptp(truth.f_latency_ms[both])
        assert abs(r.chronodispersion_ms - true_chrono) < 0.5, (k, r.chronodispersion_ms)


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_mains_hum_alone_is_not_an_f_wave(mains_hz):
    sim = simulate_fwave_train(
        "ulnar", rng=7, p_backfire=0, n_repeaters=0, a_wave=False, hum_mv=0.03, mains_hz=mains_hz
    )
    r = _measure(sim)
    assert r.n_present == 0 and math.isnan(r.min_latency_ms)
    # the hum (RMS 0.03 / sqrt 2) enters the noise estimate, at part of its RMS: the lower quartile of
    # the 2.5-ms blocks' mean squares of a sinusoid is sin^2(pi / 8) / (1 / 2) of its mean square
    assert r.train_noise_mv > 0.9 * math.sin(math.pi / 8) * math.sqrt(2) * 0.03 / math.sqrt(2)


def test_a_wave_with_a_broad_peak_is_found_and_not_the_f_wave():
    sim = simulate_fwave_train("ulnar", rng=0)
    tr = sim.truth
    r = _measure(sim)
    lat_a = float(np.nanmin(tr.a_wave_latency_ms))
    assert any(abs(v - lat_a) < 1.0 for v in [a.onset_latency_ms for a in r.a_waves]), [
        a.onset_latency_ms for a in r.a_waves
    ]
    assert r.min_latency_ms > lat_a + 2.0
    assert abs(r.min_latency_ms - float(np.nanmin(tr.f_latency_ms))) < 1.5


def test_noise_limited_train_is_not_interpretable():
    sim = simulate_fwave_train("ulnar", rng=7, snr_db=30)
    r = _measure(sim)
    assert r.detection_threshold_mv > 2 * 0.04
    assert not r.interpretable and "noise-limited" in r.reason and "max_threshold_ratio" in r.reason
    r = _measure(sim, max_threshold_ratio=1000.0)
    assert "noise-limited" not in r.reason


def test_sweeps_ending_before_150_pct_of_the_f_latency_uln_are_not_interpretable():
    sim = simulate_fwave_train("ulnar", rng=7)
    s = sim.sweeps
    n = int(round((26.0 - s.t0_ms) * s.sfreq_hz / 1000)) + 1  # cut at 26 ms
    cut = Sweeps(np.ascontiguousarray(s.data[:, :n]), s.sfreq_hz, s.t0_ms)
    uln = DEFAULT_TABLE.get("ulnar", "min_f_latency_ms").value
    end = required_f_sweep_end_ms("ulnar")
    assert end == pytest.approx(1.5 * uln)
    assert required_f_sweep_end_ms("ulnar", percent_of_uln=100.0) == pytest.approx(uln)
    assert required_f_sweep_end_ms("no such nerve") is None
    r = measure_nerve_fwaves(Nerve("ulnar", fwaves=cut), min_sweep_end_ms=end)
    assert not r.interpretable and "min_sweep_end_ms" in r.reason
    assert r.parameters.min_sweep_end_ms == pytest.approx(1.5 * uln)
    # the measure itself applies no normal limit: the check only on request
    assert "min_sweep_end_ms" not in measure_nerve_fwaves(Nerve("ulnar", fwaves=cut)).reason
    r2 = measure_fwaves(cut.data, cut.sfreq_hz, t0_ms=cut.t0_ms)
    assert "min_sweep_end_ms" not in r2.reason
    r3 = measure_fwaves(cut.data, cut.sfreq_hz, t0_ms=cut.t0_ms, min_sweep_end_ms=40.0)
    assert not r3.interpretable and "min_sweep_end_ms=40" in r3.reason
    full = measure_nerve_fwaves(Nerve("ulnar", fwaves=s), min_sweep_end_ms=end)  # 50 ms >= 47.25
    assert "min_sweep_end_ms" not in full.reason


def test_the_f_wave_measure_does_not_import_normal_limits():
    import ast
    import inspect

    import ncs_emg.fwave

    tree = ast.parse(inspect.getsource(ncs_emg.fwave))
    names = [
        (node.module or "") if isinstance(node, ast.ImportFrom) else a.name
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom))
        for a in node.names
    ]
    assert not [m for m in names if "normative" in m], names


def test_reasons_name_the_true_cause():
    rng = np.random.default_rng(3)
    r = measure_fwaves(rng.normal(0, 0.002, (20, 1000)), FS, t0_ms=-5.0, m_end_ms=10.0)
    assert not r.interpretable and "saturated" not in r.reason and "no M-wave" in r.reason
    _, X, _ = sine_train([28.0] * 20, 0.2)
    r = measure_fwaves(X, FS, t0_ms=-5.0, search_stop_ms=6.0)  # M-wave runs 3-11 ms
    assert not r.interpretable and "search_stop_ms=6" in r.reason
    assert "did not return to baseline" not in r.reason


def test_the_wrappers_kernel_parameters_give_the_naive_twin_its_result():
    # the ip/fp the wrapper uses (one helper) give the naive twin the wrapper's result
    from ncs_emg.fwave import fwave_kernel_params

    sim = simulate_fwave_train("median", rng=3, n_stimuli=12)
    s = sim.sweeps
    X = np.ascontiguousarray(s.data)
    n = X.shape[1]
    dt = 1000.0 / s.sfreq_hz
    r = measure_fwaves(X, s.sfreq_hz, t0_ms=s.t0_ms, min_sweeps=10)
    ip, fp = fwave_kernel_params(r.parameters, n, s.sfreq_hz, s.t0_ms)
    assert ip[K.FIP_CMAP + K.CIP_FIT] == round(0.5 / dt) and ip[K.FIP_A_FIT] == round(0.5 / dt)
    o_s, f_s, o_t, _a, tf = fw_train_naive(X, ip, fp, -1, 8)
    np.testing.assert_array_equal((f_s & K.FF_PRESENT) != 0, r.present)
    lat = np.where((f_s & K.FF_PRESENT) != 0, s.t0_ms + o_s[:, K.FS_ONSET] * dt, np.nan)
    np.testing.assert_allclose(lat, r.onset_latency_ms, rtol=0, atol=1e-9)
    assert o_t[K.FT_THR_PP] == pytest.approx(r.detection_threshold_mv, rel=1e-12)
