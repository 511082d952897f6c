"""Parameter objects: CmapParams (measure_cmap options) and RecordingConditions (simulators)."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest

import ncs_emg
from ncs_emg import CmapParams, ParameterError, RecordingConditions, measure_cmap
from waveforms import sine_cmap


def test_cmap_params_every_option_has_unit_and_meaning():
    rows = CmapParams.describe()
    assert {r["name"] for r in rows} == {f.name for f in dataclasses.fields(CmapParams)}
    for r in rows:
        assert r["doc"], r
        assert isinstance(r["unit"], str)


def test_measure_cmap_records_the_parameters_used():
    t, x = sine_cmap()
    fs, t0 = 20000.0, -5.0
    m = measure_cmap(x, fs, t0_ms=t0, k_sd=5.0)
    assert isinstance(m.parameters, CmapParams)
    assert m.parameters.k_sd == 5.0
    assert m.parameters.hold_ms == CmapParams().hold_ms
    d = m.to_dict()["parameters"]
    assert d["k_sd"] == 5.0 and d["sfreq_hz"] == fs and d["t0_ms"] == t0


def test_params_object_and_keyword_override_agree():
    t, x = sine_cmap()
    fs, t0 = 20000.0, -5.0
    a = measure_cmap(x, fs, t0_ms=t0, params=CmapParams(method="tangent", blank_ms=0.5))
    b = measure_cmap(x, fs, t0_ms=t0, method="tangent", blank_ms=0.5)
    c = measure_cmap(
        x, fs, t0_ms=t0, params=CmapParams(method="level"), method="tangent", blank_ms=0.5
    )
    for k in ("onset_latency_ms", "neg_area_mv_ms"):
        np.testing.assert_array_equal(getattr(a, k), getattr(b, k))
        np.testing.assert_array_equal(getattr(a, k), getattr(c, k))
    assert a.parameters == b.parameters == c.parameters


def test_unknown_option_is_named_with_the_valid_ones():
    t, x = sine_cmap()
    fs, t0 = 20000.0, -5.0
    with pytest.raises(ParameterError, match=r"k_sdd.*valid options.*k_sd"):
        measure_cmap(x, fs, t0_ms=t0, k_sdd=3)


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(k_sd=-1), "k_sd"),
        (dict(hold_ms=math.nan), "hold_ms"),
        (dict(level_mv=0), "level_mv"),
        (dict(method="slope"), "method"),
        (dict(baseline="pre-stim"), "baseline"),
        (dict(blank_ms=True), "blank_ms"),
        (dict(peak_fit_ms="1"), "peak_fit_ms"),
        (dict(search_stop_ms=math.inf), "search_stop_ms"),
    ],
)
def test_bad_option_raises_naming_the_field(kw, name):
    with pytest.raises(ParameterError, match=name):
        CmapParams(**kw)


def test_params_are_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        CmapParams().k_sd = 3.0  # type: ignore[misc]


def test_boolean_sampling_rate_is_refused():
    _t, x = sine_cmap()
    with pytest.raises(ParameterError, match="sfreq_hz"):
        measure_cmap(x, True, t0_ms=-5.0)


# ------------------------------------------------------------------------ recording conditions


def test_default_noise_is_an_absolute_level_whatever_the_response_size():
    small = ncs_emg.simulate_nerve("peroneal", n_units=5, rng=1)
    large = ncs_emg.simulate_nerve("median", rng=1)
    assert small.truth.noise_mv == large.truth.noise_mv == RecordingConditions().noise_uv / 1000.0
    assert small.truth.reference_amp_mv < large.truth.reference_amp_mv / 5
    # the recorded pre-stimulus SD matches the physical level (hum of 5 µV peak adds ~3.5 µV RMS)
    pre = small.nerve.sites[0].sweeps.data[0][:80]
    sd = float(np.std(pre))
    assert 0.007 < sd < 0.016


def test_snr_db_option_scales_noise_to_the_reference():
    sim = ncs_emg.simulate_nerve("median", snr_db=40.0, rng=2)
    assert sim.truth.noise_mv == pytest.approx(sim.truth.reference_amp_mv / 100.0)
    assert sim.truth.snr_db == pytest.approx(40.0)


def test_conditions_object_and_keywords_agree():
    cond = RecordingConditions(sfreq_hz=10000.0, noise_uv=5.0, hum_mv=0.0)
    a = ncs_emg.simulate_nerve("ulnar", conditions=cond, rng=4)
    b = ncs_emg.simulate_nerve("ulnar", sfreq_hz=10000.0, noise_uv=5.0, hum_mv=0.0, rng=4)
    np.testing.assert_array_equal(a.nerve.sites[1].sweeps.data, b.nerve.sites[1].sweeps.data)
    assert a.nerve.sites[0].sweeps.sfreq_hz == 10000.0
    assert a.parameters["noise_uv"] == 5.0


def test_fwave_train_of_a_nerve_has_the_same_physical_noise():
    sim = ncs_emg.simulate_nerve("tibial", fwaves=True, rng=3)
    assert sim.truth.fwaves.noise_mv == pytest.approx(sim.truth.noise_mv, rel=1e-9)


def test_study_passes_conditions_to_every_nerve():
    sim = ncs_emg.simulate_study("normal", rng=0, noise_uv=20.0, hum_mv=0.0)
    assert {t.noise_mv for t in sim.truth.nerves} == {0.02}
    assert sim.study.source["conditions"]["noise_uv"] == 20.0


@pytest.mark.parametrize(
    "kw, name",
    [
        (dict(noise_uv=-1.0), "noise_uv"),
        (dict(snr_db=math.nan), "snr_db"),
        (dict(sfreq_hz=0), "sfreq_hz"),
        (dict(display_polarity="yes"), "display_polarity"),
        (dict(hum_mv="0.1"), "hum_mv"),
    ],
)
def test_bad_condition_raises_naming_the_field(kw, name):
    with pytest.raises(ParameterError, match=name):
        RecordingConditions(**kw)


def test_unknown_condition_keyword_is_refused():
    with pytest.raises(ParameterError, match="noise_mv"):
        ncs_emg.simulate_nerve("median", noise_mv=0.01, rng=0)


def test_low_frequency_filter_and_quantisation_are_simulated_and_recorded():
    sim = ncs_emg.simulate_nerve("median", lff_hz=10.0, resolution_uv=1.0, rng=1)
    assert sim.nerve.lff_hz == 10.0
    x = sim.nerve.sites[0].sweeps.data[0]
    steps = np.round(x / 0.001)
    np.testing.assert_allclose(x, steps * 0.001, atol=1e-12)  # on the 1 uV grid
    plain = ncs_emg.simulate_nerve("median", rng=1)
    assert plain.nerve.lff_hz is None
    # the filter's tail: after the response the filtered sweep sits away from its start level
    assert not np.allclose(x[-200:], plain.nerve.sites[0].sweeps.data[0][-200:], atol=0.01)
