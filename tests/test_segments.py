"""Segments: site choice, distances, CV, reductions, entrapment flags and undefined values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from ncs_emg import ParameterError, measure_sweeps, simulate_nerve
from ncs_emg.segments import (
    ENTRAPMENT_SITES,
    compute_segments,
    entrapment_site,
    site_values_from_dict,
    site_values_from_measures,
)


def _site(name, dist, seg, lat, amp, area=None, dur=5.0, p2p=None, tdur=None):
    return site_values_from_dict(
        {
            "site": name,
            "distance_mm": dist,
            "segment": seg,
            "onset_latency_ms": lat,
            "neg_peak_amp_mv": amp,
            "peak_to_peak_amp_mv": 2 * amp if p2p is None else p2p,
            "neg_area_mv_ms": 2.5 * amp if area is None else area,
            "neg_duration_ms": dur,
            "total_duration_ms": 2 * dur if tdur is None else tdur,
        }
    )


def _ulnar():
    return [
        _site("wrist", 70, "ulnar distal (wrist to ADM)", 2.5, 10.0, area=20.0, dur=5.0),
        _site("below elbow", 220, "ulnar forearm", 6.5, 8.0, area=18.0, dur=5.5),
        _site("above elbow", 100, "ulnar across elbow", 8.5, 4.0, area=9.0, dur=6.0),
        _site("axilla", 100, "ulnar upper arm", 10.5, 4.0, area=9.0, dur=6.0),
    ]


def test_distance_convention_consecutive_lengths_and_vs_distal_sums():
    segs = compute_segments(_ulnar(), nerve="ulnar")
    cons = [s for s in segs if s.kind == "consecutive"]
    vsd = [s for s in segs if s.kind == "vs_distal"]
    assert [(s.from_site, s.to_site) for s in cons] == [
        ("wrist", "below elbow"),
        ("below elbow", "above elbow"),
        ("above elbow", "axilla"),
    ]
    assert [s.length_mm for s in cons] == [220, 100, 100]
    # the second site against the distal one is the first consecutive segment: not repeated
    assert [(s.from_site, s.to_site, s.length_mm) for s in vsd] == [
        ("wrist", "above elbow", 320),
        ("wrist", "axilla", 420),
    ]
    assert cons[0].cv_m_s == pytest.approx(220 / 4.0)
    assert vsd[1].cv_m_s == pytest.approx(420 / 8.0)
    assert vsd[0].label == "ulnar forearm + ulnar across elbow"


def test_reductions_and_increases_follow_the_formulas():
    seg = compute_segments(_ulnar(), nerve="ulnar")[1]  # below elbow -> above elbow
    assert seg.amp_reduction_pct == pytest.approx(50.0)  # (1 - 4/8) * 100
    assert seg.area_reduction_pct == pytest.approx(50.0)  # (1 - 9/18) * 100
    assert seg.p2p_reduction_pct == pytest.approx(50.0)
    assert seg.duration_increase_pct == pytest.approx((6.0 / 5.5 - 1) * 100)
    assert seg.amp_ratio == pytest.approx(0.5)
    assert seg.distal_amp_mv == 8.0


def test_entrapment_flags_from_labels_and_site_names():
    segs = compute_segments(_ulnar(), nerve="ulnar")
    flags = {(s.from_site, s.to_site): s.entrapment for s in segs}
    assert flags[("wrist", "below elbow")] is False
    assert flags[("below elbow", "above elbow")] is True
    assert flags[("above elbow", "axilla")] is False
    assert flags[("wrist", "above elbow")] is True  # spans the elbow
    # site names alone (no label) still flag the ulnar elbow and the fibular head
    assert entrapment_site("ulnar", None, from_site="below elbow", to_site="above elbow")
    assert entrapment_site(
        "peroneal", "", from_site="below fibular head", to_site="popliteal fossa"
    )
    assert entrapment_site("median", "median forearm") is None
    assert entrapment_site("median", "median wrist to elbow") is None  # not the carpal tunnel


def test_radial_spiral_groove_is_flagged_but_unverified():
    e = entrapment_site("radial", "radial across spiral groove")
    assert e is not None and e.verified is False
    assert all(x.verified for x in ENTRAPMENT_SITES if x.nerve != "radial")


def test_undefined_values_are_nan_with_a_reason():
    sites = [
        _site("wrist", 70, "d", 3.0, 10.0),
        _site("elbow", None, "forearm", 7.0, 9.0),  # missing length
        _site("axilla", 0, "upper arm", 6.0, 9.0),  # zero length, latency before the elbow's
    ]
    segs = compute_segments(sites, nerve="median")
    assert math.isnan(segs[0].cv_m_s) and "length" in segs[0].reason
    assert math.isnan(segs[1].cv_m_s)
    assert "not later than distal" in segs[1].reason and "order" in segs[1].reason
    assert segs[1].latency_diff_ms == pytest.approx(-1.0)
    zero = compute_segments([_site("w", 70, "d", 3, 10), _site("e", 200, "f", 3, 10)], nerve="x")
    assert math.isnan(zero[0].cv_m_s) and "not later" in zero[0].reason


def test_zero_distal_value_gives_nan_not_inf():
    segs = compute_segments(
        [_site("w", 70, "d", 3, 0.0), _site("e", 200, "f", 7, 1.0)], nerve="median"
    )
    assert math.isnan(segs[0].amp_reduction_pct) and math.isnan(segs[0].amp_ratio)


def test_one_site_gives_no_segment():
    assert compute_segments([_site("w", 70, "d", 3, 10)], nerve="median") == ()


def test_site_choice_max_median_index_and_not_measurable():
    sim = simulate_nerve("ulnar", rng=2)
    site = sim.nerve.sites[0]
    m = measure_sweeps(site.sweeps)
    top = site_values_from_measures(m, name="wrist", distance_mm=70, segment="d", sweep="max")
    amps = np.asarray(m.neg_peak_amp_mv)
    assert top.sweep_choice == "max" and top.neg_peak_amp_mv == np.nanmax(amps)
    assert top.sweep_index == int(np.nanargmax(amps))
    med = site_values_from_measures(m, name="wrist", distance_mm=70, segment="d", sweep="median")
    assert med.sweep_index is None and med.sweep_choice.startswith("median of")
    assert med.neg_peak_amp_mv == pytest.approx(float(np.median(amps)))
    one = site_values_from_measures(m, name="wrist", distance_mm=70, segment="d", sweep=0)
    assert one.sweep_index == 0 and one.onset_latency_ms == m.onset_latency_ms[0]
    none = site_values_from_measures(
        m, name="wrist", distance_mm=70, segment="d", accepted=np.zeros(m.n_sweeps, bool)
    )
    assert none.measurable is False and math.isnan(none.neg_peak_amp_mv)
    assert "no accepted sweep" in none.reason
    with pytest.raises(ParameterError, match="sweep"):
        site_values_from_measures(m, name="w", distance_mm=70, segment="d", sweep="mean")
    with pytest.raises(ParameterError, match="index"):
        site_values_from_measures(m, name="w", distance_mm=70, segment="d", sweep=m.n_sweeps)


def test_flat_sweeps_are_not_measurable():
    from ncs_emg import Sweeps

    sw = Sweeps(np.zeros((3, 800)), 20000.0, t0_ms=-5.0)
    m = measure_sweeps(sw)
    sv = site_values_from_measures(m, name="wrist", distance_mm=70, segment="d")
    assert sv.measurable is False and sv.reason
