"""Regressions of the F-wave review (each test reproduces a reported defect; see docs/fwaves.md)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from fwave_waveforms import sine_lobe, sine_train
from naive import fw_train_naive
from ncs_emg import _kernels as K
from ncs_emg import measure_fwaves, simulate_fwave_train, simulate_study
from ncs_emg.fwave import measure_nerve_fwaves
from ncs_emg.normative import DEFAULT_TABLE
from ncs_emg.types import Nerve, Sweeps

FS = 20000.0


def _measure(sim, **kw):
    s = sim.sweeps
    return measure_fwaves(s.data, s.sfreq_hz, t0_ms=s.t0_ms, **kw)


def test_study_min_latency_is_the_f_wave_not_noise_or_hum():
    # reported: nerve 6 min latency 20.6 ms (truth 47.45), chronodispersion 33.8 ms, interpretable;
    # other nerves of the study read A-waves or noise as 15.8 / 28.7 ms F-waves
    st = simulate_study("normal", rng=1)
    for k, nerve in enumerate(st.study.nerves):
        truth = st.truth.nerves[k].fwaves
        r = measure_nerve_fwaves(nerve)
        t_min = float(np.nanmin(truth.f_latency_ms))
        lat = r.latency_ms[~np.isnan(r.latency_ms)]
        # no latency earlier than the earliest true F-wave (noise, hum or an A-wave would be)
        assert lat.size and np.all(lat > t_min - 1.0), (k, nerve.nerve, lat.min(), t_min)
        if k == 6:
            assert abs(r.min_latency_ms - t_min) < 1.0, (r.min_latency_ms, t_min)


def test_f_onset_is_searched_only_before_the_peak():
    # a 0.03 mV (peak-to-peak) blip 15 ms before the F-wave: below the detection threshold alone, but
    # above the onset threshold; the onset must be the F-wave's, not the blip's
    lat = 32.0 + 0.3 * np.arange(20)  # varying latencies (identical ones would be an A-wave)
    _, X, _ = sine_train(lat, 0.3, sweep_ms=55.0)
    t = -5.0 + np.arange(X.shape[1]) * 1000 / FS
    X = X + sine_lobe(t, 17.0, 1.0, 0.015)[None, :] * (np.arange(20) % 2)[:, None]
    r = measure_fwaves(X, FS, t0_ms=-5.0, onset_min_mv=0.005)
    assert r.n_present == 20 and np.nanmax(np.abs(r.latency_ms - lat)) <= 0.05 + 1e-9
    # with a lead longer than the distance to the blip, the blip becomes the onset (old behaviour)
    r = measure_fwaves(X, FS, t0_ms=-5.0, onset_min_mv=0.005, onset_lead_ms=30.0)
    assert np.nanmin(r.latency_ms) < 18.0


@pytest.mark.parametrize("mains_hz", [50.0, 60.0])
def test_mains_hum_alone_is_not_an_f_wave(mains_hz):
    sim = simulate_fwave_train(
        "ulnar", rng=7, p_backfire=0, n_repeaters=0, a_wave=False, hum_mv=0.03, mains_hz=mains_hz
    )
    r = _measure(sim)
    assert r.n_present == 0 and math.isnan(r.min_latency_ms)
    # the hum (RMS 0.03 / sqrt 2) enters the noise estimate
    assert r.noise_mv > 0.8 * 0.03 / math.sqrt(2)


def test_a_wave_with_a_broad_peak_is_found_and_not_the_f_wave():
    sim = simulate_fwave_train("ulnar", rng=0)
    tr = sim.truth
    r = _measure(sim)
    lat_a = float(np.nanmin(tr.a_wave_latency_ms))
    assert any(abs(v - lat_a) < 1.0 for v in r.a_wave_latencies_ms), r.a_wave_latencies_ms
    assert r.min_latency_ms > lat_a + 2.0
    assert abs(r.min_latency_ms - float(np.nanmin(tr.f_latency_ms))) < 1.5


def test_noise_limited_train_is_not_interpretable():
    sim = simulate_fwave_train("ulnar", rng=7, snr_db=30)
    r = _measure(sim)
    assert r.detection_threshold_mv > 2 * 0.04
    assert not r.interpretable and "noise-limited" in r.reason and "max_threshold_ratio" in r.reason
    r = _measure(sim, max_threshold_ratio=1000.0)
    assert "noise-limited" not in r.reason


def test_sweeps_ending_before_the_f_waves_make_the_train_not_interpretable():
    sim = simulate_fwave_train("ulnar", rng=7)
    s = sim.sweeps
    n = int(round((26.0 - s.t0_ms) * s.sfreq_hz / 1000)) + 1  # cut at 26 ms
    cut = Sweeps(np.ascontiguousarray(s.data[:, :n]), s.sfreq_hz, s.t0_ms)
    r = measure_nerve_fwaves(Nerve("ulnar", fwaves=cut))
    uln = DEFAULT_TABLE.get("ulnar", "min_f_latency_ms").value
    assert not r.interpretable and "min_sweep_end_ms" in r.reason
    assert r.parameters["min_sweep_end_ms"] == pytest.approx(1.5 * uln)
    # measure_fwaves: the same check on request only
    r2 = measure_fwaves(cut.data, cut.sfreq_hz, t0_ms=cut.t0_ms)
    assert "min_sweep_end_ms" not in r2.reason
    r3 = measure_fwaves(cut.data, cut.sfreq_hz, t0_ms=cut.t0_ms, min_sweep_end_ms=40.0)
    assert not r3.interpretable and "min_sweep_end_ms=40" in r3.reason
    full = measure_nerve_fwaves(Nerve("ulnar", fwaves=s))  # 50-ms sweeps reach 47.25 ms
    assert "min_sweep_end_ms" not in full.reason


def test_not_interpretable_reasons_name_the_true_cause():
    rng = np.random.default_rng(3)
    r = measure_fwaves(rng.normal(0, 0.002, (20, 1000)), FS, t0_ms=-5.0, m_end_ms=10.0)
    assert not r.interpretable and "saturated" not in r.reason and "no M-wave" in r.reason
    _, X, _ = sine_train([28.0] * 20, 0.2)
    r = measure_fwaves(X, FS, t0_ms=-5.0, search_stop_ms=6.0)  # M-wave runs 3-11 ms
    assert not r.interpretable and "search_stop_ms=6" in r.reason
    assert "did not return to baseline" not in r.reason


def test_wrapper_kernel_params_give_the_naive_twin_its_result():
    # the ip/fp the wrapper uses (one helper) give the naive twin the wrapper's result
    from ncs_emg.fwave import _kernel_params, _m_windows

    sim = simulate_fwave_train("median", rng=3, n_stimuli=12)
    s = sim.sweeps
    X = np.ascontiguousarray(s.data)
    n = X.shape[1]
    dt = 1000.0 / s.sfreq_hz
    r = measure_fwaves(X, s.sfreq_hz, t0_ms=s.t0_ms, min_sweeps=10)
    ip, fp = _kernel_params(n, dt, _m_windows(n, s.t0_ms, dt, 1.0), n, dict(r.parameters))
    assert ip[K.FIP_CMAP + K.CIP_FIT] == round(0.5 / dt) and ip[K.FIP_A_FIT] == round(0.5 / dt)
    o_s, f_s, o_t, _a, tf = fw_train_naive(X, ip, fp, -1, 8)
    np.testing.assert_array_equal((f_s & K.FF_PRESENT) != 0, r.present)
    lat = np.where((f_s & K.FF_PRESENT) != 0, s.t0_ms + o_s[:, K.FS_ONSET] * dt, np.nan)
    np.testing.assert_allclose(lat, r.latency_ms, rtol=0, atol=1e-9)
    assert o_t[K.FT_THR_PP] == pytest.approx(r.detection_threshold_mv, rel=1e-12)
