"""CMAP measurement: kernels against naive twins, analytic waveforms, flags and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

import ncs_emg
from naive import cmap_sweep_naive
from ncs_emg import NcsEmgError, ParameterError, measure_cmap
from ncs_emg import _kernels as K
from ncs_emg.measure import CMAP_MEASURE_NAMES
from waveforms import mu_sum, sine_cmap

# --------------------------------------------------------------------------------- naive agreement


def _kernel_vs_naive(x, **win):
    """Serial and parallel kernels agree exactly, and with the naive twin to 1e-9."""
    X = np.ascontiguousarray(np.atleast_2d(x), dtype=float)
    out = np.empty((X.shape[0], K.N_CMAP_COLS))
    flags = np.zeros(X.shape[0], dtype=np.int64)
    ip, fp = _ipfp(**win)
    K.cmap_serial(X, ip, fp, out, flags)
    out_b = np.empty_like(out)
    flags_b = np.zeros_like(flags)
    K.cmap_batch(X, ip, fp, out_b, flags_b)
    np.testing.assert_array_equal(flags, flags_b)
    np.testing.assert_array_equal(out, out_b)
    for r in range(X.shape[0]):
        ref, rflags = cmap_sweep_naive(X[r], ip, fp)
        assert flags[r] == rflags, (r, flags[r], rflags)
        np.testing.assert_allclose(out[r], ref, rtol=1e-9, atol=1e-9, equal_nan=True)


def _ipfp(**w):
    ip = np.zeros(K.N_CIP, np.int64)
    fp = np.zeros(K.N_CFP)
    ip[K.CIP_BL_START], ip[K.CIP_BL_STOP] = w["bl_start"], w["bl_stop"]
    ip[K.CIP_S_START], ip[K.CIP_S_STOP] = w["s_start"], w["s_stop"]
    ip[K.CIP_HOLD], ip[K.CIP_SAT], ip[K.CIP_FIT] = w["hold_n"], w["sat_n"], w["fit_h"]
    ip[K.CIP_METHOD], ip[K.CIP_GAP], ip[K.CIP_EXC_GAP] = w["method"], w["gap_n"], w["exc_n"]
    ip[K.CIP_END_LAG] = w["lag_n"]
    fp[K.CFP_REBOUND_FRAC] = w["rebound"]
    fp[K.CFP_K_SD], fp[K.CFP_MIN_THR] = w["k_sd"], w["min_thr"]
    fp[K.CFP_BAND_MV], fp[K.CFP_BAND_K], fp[K.CFP_RES_K] = w["band"], w["band_k"], w["res_k"]
    fp[K.CFP_LEVEL], fp[K.CFP_END_FRAC], fp[K.CFP_PHASE_FRAC] = w["level"], w["end"], w["major"]
    return ip, fp


WIN = dict(
    bl_start=0,
    bl_stop=100,
    s_start=120,
    s_stop=900,
    k_sd=4.0,
    min_thr=0.02,
    hold_n=2,
    band=0.0,
    band_k=1.0,
    res_k=2.0,
    level=0.1,
    sat_n=4,
    fit_h=0,
    method=0,
    gap_n=30,
    exc_n=6,
    lag_n=10,
    rebound=0.5,
    end=0.01,
    major=0.1,
)


@pytest.mark.parametrize("fit_h", [0, 3, 10])
@pytest.mark.parametrize("band_k", [0.0, 1.0])
@pytest.mark.parametrize("method", [0, 1, 2])
@pytest.mark.parametrize("noise_mv", [0.0, 0.005, 0.02, 0.1])
def test_kernel_matches_naive_on_simulated_sweeps(method, noise_mv, band_k, fit_h):
    rng = np.random.default_rng(7 + int(noise_mv * 1000) + method)
    sweeps = []
    for _k in range(12):
        _, x, _ = mu_sum(
            rng,
            n_units=int(rng.integers(5, 150)),
            noise_mv=noise_mv,
            cv_sd=float(rng.uniform(2, 12)),
            artefact_mv=float(rng.uniform(0, 2)),
            dist_mm=float(rng.uniform(60, 500)),
        )
        sweeps.append(x + rng.normal(0, 0.5))  # baseline offset
    _kernel_vs_naive(
        np.array(sweeps), **{**WIN, "method": method, "band_k": band_k, "fit_h": fit_h}
    )


@pytest.mark.parametrize("fit_h", [0, 4])
@pytest.mark.parametrize("band, band_k", [(0.0, 0.0), (0.0, 1.0), (0.01, 0.0)])
@pytest.mark.parametrize("method", [0, 1, 2])
def test_kernel_matches_naive_on_edge_cases(method, band, band_k, fit_h):
    n = 900
    rng = np.random.default_rng(3)
    cases = {
        "flat": np.zeros(n),
        "constant offset": np.full(n, 3.2),
        "noise only": rng.normal(0, 0.01, n),
        "peak at the last sample": np.r_[np.zeros(n - 1), -5.0],
        "ramp to the end": np.r_[np.zeros(500), -np.linspace(0, 4, n - 500)],
        "response from search start": np.r_[np.zeros(120), -np.hanning(200) * 3, np.zeros(n - 320)],
        "saturated": np.r_[np.zeros(300), -np.minimum(np.hanning(300) * 20, 8.0), np.zeros(300)],
        "positive first": np.r_[
            np.zeros(300), np.hanning(100) * 2, -np.hanning(100) * 3, np.zeros(400)
        ],
        "single sample spike": np.r_[np.zeros(400), -1.0, np.zeros(n - 401)],
        "quantised integers": np.round(sine_cmap(n=n)[1] * 100),
        "polyphasic": np.r_[
            np.zeros(300), -np.sin(np.linspace(0, 6 * np.pi, 300)) * 2, np.zeros(300)
        ],
    }
    for name, x in cases.items():
        try:
            _kernel_vs_naive(
                x, **{**WIN, "method": method, "band": band, "band_k": band_k, "fit_h": fit_h}
            )
        except AssertionError as exc:  # pragma: no cover - message only
            raise AssertionError(f"case {name!r}: {exc}") from exc


# --------------------------------------------------------------------------------- analytic truth


@pytest.mark.parametrize("sfreq_hz", [10000.0, 20000.0, 50000.0])
@pytest.mark.parametrize("onset_ms", [2.5, 3.0173, 4.4444])
def test_sine_cmap_closed_form(sfreq_hz, onset_ms):
    T, A = 8.0, 5.0
    n = int(30 * sfreq_hz / 1000)
    dt = 1000.0 / sfreq_hz
    _, x = sine_cmap(
        n=n, sfreq_hz=sfreq_hz, t0_ms=-5.0, onset_ms=onset_ms, period_ms=T, amp_mv=A, base_mv=0.7
    )
    m = measure_cmap(x, sfreq_hz, t0_ms=-5.0, baseline_band_mv=0.0)  # exact crossings
    # onset: the first sample after onset starts the phase; refinement interpolates to the previous
    # (baseline) sample: error below one sample interval, never late
    assert onset_ms - dt <= m.onset_latency_ms[0] <= onset_ms + 1e-9
    # the peak comes from a least-squares parabola over +-0.5 ms (peak_fit_ms=1): for A*cos(w t) the
    # quartic term it cannot follow bounds the vertex error by A (w h)^4 / 24; the vertex time is
    # exact when the peak falls on a sample and off by far less than a sample otherwise
    w, h = 2 * math.pi / T, 0.5
    fit_tol = A * (w * h) ** 4 / 24
    assert m.neg_peak_latency_ms[0] == pytest.approx(onset_ms + T / 4, abs=0.005)
    assert abs(m.neg_peak_amp_mv[0] - A) <= fit_tol
    assert m.peak_to_peak_amp_mv[0] == pytest.approx(2 * A, abs=2 * fit_tol)
    # without the fit: the extreme sample, within half a sample of T/4 and the sampling error
    raw = measure_cmap(x, sfreq_hz, t0_ms=-5.0, peak_fit_ms=0, baseline_band_mv=0.0)
    assert abs(raw.neg_peak_latency_ms[0] - (onset_ms + T / 4)) <= dt / 2 + 1e-9
    assert abs(raw.neg_peak_amp_mv[0] - A) <= A * (1 - math.cos(math.pi * dt / T)) + 1e-9
    # baseline crossing at T/2 and end at T, interpolated: error far below a sample
    onset = m.onset_latency_ms[0]
    assert onset + m.neg_duration_ms[0] == pytest.approx(onset_ms + T / 2, abs=0.01 * dt)
    assert onset + m.total_duration_ms[0] == pytest.approx(onset_ms + T, abs=dt)
    # integrals: trapezoid error of a sine sampled at dt, relative ~ (pi dt / T)^2 / 6
    rel = (math.pi * dt / T) ** 2 / 6 * 2 + 2 * dt / T * (dt / T)
    assert m.neg_area_mv_ms[0] == pytest.approx(A * T / math.pi, rel=rel)
    assert m.total_area_mv_ms[0] == pytest.approx(2 * A * T / math.pi, rel=rel)
    assert m.baseline_mv[0] == pytest.approx(0.7)
    assert m.noise_mv[0] == pytest.approx(0.0, abs=1e-12)
    assert m.baseline_source == "pre-stimulus"
    assert not m.no_response[0] and not m.saturated[0] and not m.end_not_found[0]


def test_onset_on_sample_grid_is_exact():
    _, x = sine_cmap(onset_ms=3.0)
    m = measure_cmap(x, 20000.0, t0_ms=-5.0, baseline_band_mv=0.0)  # exact crossing
    assert m.onset_latency_ms[0] == pytest.approx(3.0, abs=1e-9)


def test_tangent_onset_of_a_ramp_is_its_foot():
    # a linear ramp starting at 4.0 ms: the tangent meets the baseline exactly at the foot
    dt = 0.05
    t = -5.0 + np.arange(700) * dt
    x = np.where(t > 4.0, -(t - 4.0) * 2.0, 0.0)
    x = np.where(t > 6.0, np.maximum(-4.0 + (t - 6.0) * 2.0, 0.0), x)  # back up to baseline
    x = np.where(t > 8.0, 0.0, x)
    for method in ("threshold", "tangent"):
        m = measure_cmap(x, 20000.0, t0_ms=-5.0, method=method, baseline_band_mv=0.0)
        assert m.onset_latency_ms[0] == pytest.approx(4.0, abs=1e-9), method
    m = measure_cmap(x, 20000.0, t0_ms=-5.0, method="level", level_mv=1.0)
    assert m.onset_latency_ms[0] == pytest.approx(
        4.5, abs=1e-9
    )  # ramp of 2 mV/ms reaches 1 mV at +0.5 ms


def test_level_detector_is_late_for_small_cmaps():
    _, big = sine_cmap(amp_mv=10.0)
    _, small = sine_cmap(amp_mv=0.5)
    m = measure_cmap(np.stack([big, small]), 20000.0, t0_ms=-5.0, method="level", level_mv=0.2)
    assert m.onset_latency_ms[1] - 3.0 > 3 * (m.onset_latency_ms[0] - 3.0)


def test_negative_peak_duration_spans_polyphasic_negative_phases():
    # neg (1 ms) - small pos - neg - final pos: duration runs to the end of the second negative phase
    dt = 0.05
    t = -5.0 + np.arange(800) * dt
    lobe = lambda a, b, amp: np.where(
        (t > a) & (t < b), amp * np.sin(np.pi * (t - a) / (b - a)), 0.0
    )  # noqa: E731
    x = lobe(3, 5, -3) + lobe(5, 6, 0.5) + lobe(6, 8, -2) + lobe(8, 12, 2)
    m = measure_cmap(x, 20000.0, t0_ms=-5.0)
    assert m.onset_latency_ms[0] == pytest.approx(3.0, abs=dt)
    assert m.onset_latency_ms[0] + m.neg_duration_ms[0] == pytest.approx(8.0, abs=dt)
    assert m.onset_latency_ms[0] + m.total_duration_ms[0] == pytest.approx(12.0, abs=dt)
    # signed negative area nets the small positive lobe out
    expect = (3 * 2 + 2 * 2 - 0.5 * 1) * 2 / np.pi
    assert m.neg_area_mv_ms[0] == pytest.approx(expect, rel=2e-3)


# --------------------------------------------------------------------------------- flags


def test_flat_line_is_no_response():
    m = measure_cmap(np.zeros(600), 20000.0, t0_ms=-5.0)
    assert m.no_response[0]
    for name in ("onset_latency_ms", "neg_peak_amp_mv", "neg_area_mv_ms", "total_duration_ms"):
        assert np.isnan(getattr(m, name)[0])


def test_noise_only_is_no_response(rng):
    x = rng.normal(0, 0.01, (50, 600))
    m = measure_cmap(x, 20000.0, t0_ms=-5.0)
    assert m.no_response.mean() >= 0.9
    assert np.all(m.noise_mv == pytest.approx(0.01, rel=0.3))


def test_clipped_sweep_is_saturated_without_amplitude():
    _, x = sine_cmap(amp_mv=12.0)
    x = np.clip(x, -10.0, 10.0)
    m = measure_cmap(x, 20000.0, t0_ms=-5.0, baseline_band_mv=0.0)
    assert m.saturated[0]
    assert np.isnan(m.neg_peak_amp_mv[0]) and np.isnan(m.neg_area_mv_ms[0])
    assert m.onset_latency_ms[0] == pytest.approx(3.0, abs=1e-9)  # latency still valid


def test_unclipped_peak_is_not_saturated():
    _, x = sine_cmap(amp_mv=12.0)
    assert not measure_cmap(x, 20000.0, t0_ms=-5.0).saturated[0]
    # integer ADC samples at 50 kHz: a few equal samples at the peak are not saturation
    _, x = sine_cmap(n=1500, sfreq_hz=50000.0, amp_mv=5.0)
    xi = np.round(x * 1000).astype(np.int32)  # µV integers (passed as mV: the unit check warns)
    with pytest.warns(ncs_emg.NcsEmgWarning, match="µV"):
        assert not measure_cmap(xi, 50000.0, t0_ms=-5.0).saturated[0]


def test_response_inside_the_post_artefact_baseline_is_flagged():
    # no pre-stimulus samples: baseline after blanking; the CMAP already under way there
    _, x = sine_cmap(n=600, t0_ms=0.0, onset_ms=1.2)
    m = measure_cmap(x, 20000.0, t0_ms=0.0)
    assert m.baseline_source == "post-artefact"
    # the response is under way where the search starts: flagged, and its onset (1.2 ms, inside
    # the baseline window) is not measurable rather than a later, wrong latency
    assert m.onset_at_search_start[0]
    assert not m.no_response[0]
    assert np.isnan(m.onset_latency_ms[0])


def test_post_artefact_baseline_when_no_prestimulus():
    _, x = sine_cmap(n=600, t0_ms=0.0, onset_ms=3.0)
    m = measure_cmap(x, 20000.0, t0_ms=0.0, baseline_band_mv=0.0)
    assert m.baseline_source == "post-artefact"
    assert m.onset_latency_ms[0] == pytest.approx(3.0, abs=1e-9)


def test_sweep_running_out_during_the_response_flags_the_end():
    _, x = sine_cmap(n=300, onset_ms=3.0, period_ms=8.0)  # sweep ends at 10 ms, CMAP ends at 11
    m = measure_cmap(x, 20000.0, t0_ms=-5.0)
    assert m.end_not_found[0]
    assert np.isnan(m.total_duration_ms[0]) and np.isnan(m.total_area_mv_ms[0])
    assert m.neg_duration_ms[0] == pytest.approx(4.0, abs=0.05)


@pytest.mark.filterwarnings("ignore:.*µV:ncs_emg.NcsEmgWarning")  # µV integers: the unit check
def test_integer_arrays_are_accepted():
    _, x = sine_cmap()
    xi = np.round(x * 1000).astype(np.int16)
    m_i = measure_cmap(xi, 20000.0, t0_ms=-5.0)
    m_f = measure_cmap(xi.astype(float), 20000.0, t0_ms=-5.0)
    for k in CMAP_MEASURE_NAMES:
        np.testing.assert_array_equal(getattr(m_i, k), getattr(m_f, k))


def test_batch_and_single_agree(rng):
    X = np.stack([mu_sum(rng, noise_mv=0.01)[1] for _ in range(100)])  # >= 64: parallel kernel
    m = measure_cmap(X, 20000.0, t0_ms=-5.0)
    for i in (0, 17, 99):
        one = measure_cmap(X[i], 20000.0, t0_ms=-5.0)
        for k in CMAP_MEASURE_NAMES:
            np.testing.assert_array_equal(getattr(m, k)[i], getattr(one, k)[0])


def test_mu_sum_onset_close_to_first_arrival(rng):
    errs = []
    for _ in range(30):
        t, x, first = mu_sum(rng, noise_mv=0.005)
        m = measure_cmap(x, 20000.0, t0_ms=-5.0)
        errs.append(m.onset_latency_ms[0] - first)
    # never earlier than the first arrival (less one sample of interpolation), and close to it
    errs = np.array(errs)
    assert np.all(errs > -0.05), errs
    assert np.median(errs) < 0.3, errs


def test_results_are_read_only_and_serialisable():
    _, x = sine_cmap()
    m = measure_cmap(np.stack([x, np.zeros_like(x)]), 20000.0, t0_ms=-5.0)
    with pytest.raises(ValueError):
        m.onset_latency_ms[0] = 1.0
    d = m.to_dict()
    assert d["onset_latency_ms"][1] is None and d["no_response"] == [False, True]
    assert d["method"] == "threshold" and d["parameters"]["k_sd"] == 4.0
    assert m.sweep(0)["neg_peak_amp_mv"] == pytest.approx(
        5.0, abs=0.005
    )  # 1-ms parabola on the sine peak


def test_onset_methods_registry():
    methods = ncs_emg.onset_methods()
    assert {"threshold", "tangent", "level"} <= set(methods)
    for name, om in methods.items():
        assert om.name == name and om.formula and om.summary
    _, x = sine_cmap()
    for name in methods:
        assert measure_cmap(x, 20000.0, t0_ms=-5.0, method=name).method == name


# --------------------------------------------------------------------------------- bad input


@pytest.mark.parametrize(
    "x, sfreq, match",
    [
        (np.zeros((2, 3, 100)), 20000.0, "3 dimensions"),
        (np.float64(1.0), 20000.0, "0 dimensions"),
        (np.zeros((0, 100)), 20000.0, "empty"),
        (np.zeros(0), 20000.0, "empty"),
        (np.r_[np.zeros(300), np.nan, np.zeros(299)], 20000.0, "non-finite"),
        (np.r_[np.zeros(300), np.inf, np.zeros(299)], 20000.0, "non-finite"),
        (np.zeros(600), 0.0, "sfreq_hz"),
        (np.zeros(600), -1.0, "sfreq_hz"),
        (np.zeros(600), float("nan"), "sfreq_hz"),
        (np.array(["a"] * 600), 20000.0, "numeric"),
        (np.zeros(10), 20000.0, "too short"),
        (np.zeros(1), 20000.0, "too short"),
    ],
)
def test_bad_input_raises_named_error(x, sfreq, match):
    with pytest.raises(ParameterError, match=match):
        measure_cmap(x, sfreq, t0_ms=-5.0 if np.ndim(x) else 0.0)


def test_bad_options_raise_named_errors():
    x = np.zeros(600)
    with pytest.raises(ParameterError, match="method"):
        measure_cmap(x, 20000.0, method="magic")
    with pytest.raises(ParameterError, match="k_sd"):
        measure_cmap(x, 20000.0, k_sd=-1)
    with pytest.raises(ParameterError, match="baseline"):
        measure_cmap(x, 20000.0, baseline="pre", t0_ms=0.0)
    with pytest.raises(NcsEmgError):
        measure_cmap(x, 20000.0, t0_ms=float("inf"))


# --------------------------------------------------------------------------------- integrals


def test_lin_integral_matches_naive_on_random_bounds():
    from naive import _integral

    rng = np.random.default_rng(11)
    x = rng.normal(0, 1, 60)
    cases = [
        (0.0, 59.0),
        (3.0, 3.0),
        (3.2, 3.7),
        (3.0, 4.0),
        (2.5, 10.0),
        (7.0, 12.25),
        (58.5, 59.0),
    ]
    cases += [tuple(sorted(rng.uniform(0, 59, 2))) for _ in range(200)]
    for a, b in cases:
        for rect in (False, True):
            got = K.lin_integral(x, 0.3, a, b, rect)
            assert got == pytest.approx(_integral(x, 0.3, a, b, rect), rel=1e-12, abs=1e-12), (
                a,
                b,
                rect,
            )


def test_lin_integral_of_a_line_crossing_zero_is_two_triangles():
    x = np.array([-1.0, 1.0])  # d = -x: 1 → -1 over one sample, crossing at 0.5
    assert K.lin_integral(x, 0.0, 0.0, 1.0, True) == pytest.approx(0.5)
    assert K.lin_integral(x, 0.0, 0.0, 1.0, False) == pytest.approx(0.0)


# --------------------------------------------------------------------------------- properties

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402
from hypothesis.extra.numpy import arrays  # noqa: E402


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    x=arrays(
        np.float64, st.integers(1, 300), elements=st.floats(-1e6, 1e6, allow_nan=False, width=64)
    ),
    t0=st.floats(-10, 5),
    fs=st.sampled_from([1000.0, 10000.0, 20000.0, 48000.0]),
    method=st.sampled_from(["threshold", "tangent", "level"]),
)
def test_any_finite_sweep_gives_a_result_or_a_typed_error(x, t0, fs, method):
    try:
        with warnings.catch_warnings():  # arbitrary data: plausibility warnings are expected
            warnings.simplefilter("ignore", ncs_emg.NcsEmgWarning)
            m = measure_cmap(x, fs, t0_ms=t0, method=method)
    except NcsEmgError:
        return
    assert m.n_sweeps == 1
    if m.no_response[0]:
        assert np.isnan(m.onset_latency_ms[0]) and np.isnan(m.neg_peak_amp_mv[0])
    else:
        amp = m.neg_peak_amp_mv[0]
        assert np.isnan(amp) or amp > 0
        lat = m.onset_latency_ms[0]
        assert np.isnan(lat) or t0 <= lat <= t0 + len(x) * 1000.0 / fs
    _kernel_vs_naive(
        np.r_[np.zeros(100), x[:700], np.zeros(max(0, 800 - len(x)))][:900], **{**WIN, "method": 0}
    )


def test_resolution_grid_test_survives_steps_far_below_the_sample_values():
    """Samples 1e45 grid steps from the first one (a 1.4e-45 mV step next to 1 mV samples): the grid
    test divides by the step, and an integer floor of 7e44 overflowed in the compiled kernel (numba's
    math.floor returns int64), so kernel and twin disagreed on the resolution and the phase end. Found
    by hypothesis; the kernel now floors in floating point."""
    x = np.array([1.4e-45] * 20 + [-1.0, -1.0, 1.0, 1.0, 1.4e-45])
    _kernel_vs_naive(np.r_[np.zeros(100), x, np.zeros(800 - len(x))][:900], **{**WIN, "method": 0})


@settings(max_examples=60, deadline=None)
@given(pos=st.integers(0, 599), bad=st.sampled_from([np.nan, np.inf, -np.inf]))
def test_any_non_finite_sample_is_reported_where_it_is(pos, bad):
    x = np.zeros((2, 600))
    x[1, pos] = bad
    with pytest.raises(ParameterError, match=f"sweep 1, sample {pos}"):
        measure_cmap(x, 20000.0, t0_ms=-5.0)


def test_tangent_extrapolated_before_the_search_window_is_not_an_onset():
    # found by hypothesis: a step down right after the blanking; the steepest tangent meets the
    # baseline before the sweep even starts
    m = measure_cmap(
        np.array([1.0, 1.0, 1.0, 1.0, 0.125, 0.0]),
        1000.0,
        t0_ms=0.0,
        method="tangent",
        min_hold_samples=1,  # a 2-sample response (the default needs 3 samples)
    )
    assert np.isnan(m.onset_latency_ms[0]) and m.onset_not_found[0]


def test_peak_fit_never_lands_on_the_wrong_side_of_the_data():
    # found by hypothesis: a one-sample spike between zeros; a parabola through it has its vertex
    # above the constant baseline (negative amplitude). The fit is refused, the sample is used.
    x = np.full(44, -353694.0)
    x[[36, 42]] = 0.0
    x[38] = -649191.0
    # 295 V with a large positive lead: implausible units and polarity, and said so
    with pytest.warns(ncs_emg.NcsEmgWarning) as rec:
        m = measure_cmap(x, 10000.0, t0_ms=0.0, min_hold_samples=1)  # a 1-sample phase counts
    assert {"µV" in str(w.message) for w in rec} == {True, False}
    assert m.neg_peak_amp_mv[0] == pytest.approx(649191.0 - 353694.0)
