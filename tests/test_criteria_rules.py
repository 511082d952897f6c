"""Criteria rules at their exact boundaries, named after the guideline clause they check.

Values are built by hand (printed-values input), so every expected verdict is computed here from the
guideline's numbers and the default normal limits (ulnar amplitude LLN 7.9 mV, median 4.1 mV, median DML
ULN 4.5 ms, ulnar minimal F latency ULN 31.5 ms), never from the code under test.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from ncs_emg import analyze_nerve
from ncs_emg.io.values_csv import NerveValues


def _row(site, dist, seg, lat, amp, area=None, dur=5.0, p2p=None):
    return {
        "site": site,
        "segment": seg,
        "distance_mm": dist,
        "onset_latency_ms": lat,
        "neg_peak_amp_mv": amp,
        "peak_to_peak_amp_mv": 1.8 * amp if p2p is None else p2p,
        "neg_area_mv_ms": 2.5 * amp if area is None else area,
        "neg_duration_ms": dur,
        "total_duration_ms": 2 * dur,
    }


def _forearm(nerve="ulnar", amp_d=10.0, amp_p=10.0, area_d=20.0, area_p=20.0, dur_d=5.0, dur_p=5.0,
             label=None, **kw):  # fmt: skip
    """A two-site nerve: wrist and below elbow (ulnar forearm, a long segment)."""
    label = label or f"{nerve} forearm"
    rows = (
        _row("wrist", 70, f"{nerve} distal", 2.5, amp_d, area_d, dur_d),
        _row("below elbow", 220, label, 6.5, amp_p, area_p, dur_p),
    )
    return NerveValues(nerve, "right", "ADM", rows, **kw)


def _find(rep, rule, crit=None):
    fs = [f for f in rep.findings if f.rule == rule and (crit is None or f.criteria == crit)]
    assert fs, f"no finding {rule}"
    return fs[0]


MMN = "efns_pns2010_mmn"


# ---- EFNS/PNS 2010 MMN -----------------------------------------------------------------------------


@pytest.mark.parametrize(("area_p", "met"), [(10.0, True), (10.002, False)])
def test_efns_mmn_definite_cb_area_reduction_at_least_50_pct(area_p, met):
    # (1 - 10/20) = 50 % exactly meets ">= 50 %"; (1 - 10.002/20) = 49.99 % does not
    rep = analyze_nerve(_forearm(area_p=area_p), criteria=MMN)
    f = _find(rep, "cb_definite")
    assert f.met is met and f.threshold == 50 and f.unit == "%"
    assert f.value == pytest.approx(100 * (1 - area_p / 20))
    assert rep.summary[MMN].conduction_block == ("definite" if met else "probable")


@pytest.mark.parametrize(("dur_p", "definite"), [(6.5, True), (6.5005, False)])
def test_efns_mmn_definite_cb_needs_duration_increase_at_most_30_pct(dur_p, definite):
    # 6.5 / 5 - 1 = 30 % (meets "<= 30 %"); 6.5005 / 5 - 1 = 30.01 % -> probable (>= 50 % with > 30 %)
    rep = analyze_nerve(_forearm(area_p=8.0, dur_p=dur_p), criteria=MMN)
    assert _find(rep, "cb_definite").met is definite
    assert _find(rep, "cb_probable_dispersed").met is (not definite)
    assert rep.summary[MMN].conduction_block == ("definite" if definite else "probable")


@pytest.mark.parametrize(
    ("amp_d", "evaluable"),
    [(1.58, False), (1.59, True)],  # 20 % of LLN 7.9 mV = 1.58 mV: "> 20 %" is strict
)
def test_efns_mmn_distal_amplitude_must_exceed_20_pct_of_lln(amp_d, evaluable):
    rep = analyze_nerve(_forearm(amp_d=amp_d, amp_p=amp_d / 2, area_p=8.0), criteria=MMN)
    f = _find(rep, "cb_definite")
    if evaluable:
        assert f.met is True
    else:
        assert f.met is None and "floor" in f.reason
        assert rep.summary[MMN].conduction_block == "not_evaluable"


def test_efns_mmn_distal_amplitude_must_exceed_1_mv():
    # median LLN 4.1 mV: 1.0 mV is 24 % of LLN (floor one passes) but not > 1 mV
    nv = _forearm("median", amp_d=1.0, amp_p=0.4, area_d=2.0, area_p=0.8)
    f = _find(analyze_nerve(nv, criteria=MMN), "cb_definite")
    assert f.met is None and "1 mV" in f.reason


def test_efns_mmn_probable_cb_30_pct_over_a_long_upper_limb_segment():
    # 1 - 13.9/20 = 30.5 % over the forearm (long) with no dispersion
    rep = analyze_nerve(_forearm(area_p=13.9), criteria=MMN)
    assert _find(rep, "cb_probable_long_segment").met is True
    assert _find(rep, "cb_definite").met is False
    assert rep.summary[MMN].conduction_block == "probable"
    assert _find(rep, "cb_probable_long_segment").verified is False  # long/short labels unverified


def test_efns_mmn_probable_long_segment_rule_does_not_apply_to_a_short_segment():
    rep = analyze_nerve(_forearm(area_p=13.9, label="ulnar inching 20 mm"), criteria=MMN)
    assert not [f for f in rep.findings if f.rule == "cb_probable_long_segment"]
    assert rep.summary[MMN].conduction_block == "none"


def test_efns_mmn_cb_away_from_entrapment_sites_ulnar_elbow_excluded():
    rep = analyze_nerve(
        _forearm(area_p=5.0, label="ulnar across elbow"), criteria=[MMN, "katz2002"]
    )
    f = _find(rep, "cb_definite", MMN)
    assert f.met is None and f.details["excluded"] is True and "entrapment" in f.reason
    assert rep.summary[MMN].conduction_block == "not_evaluable"
    assert rep.summary["katz2002"].conduction_block == "present"  # Katz states no exclusion


# ---- Katz 2002 (via the seed paper) ----------------------------------------------------------------


@pytest.mark.parametrize(("amp_p", "met"), [(7.0, False), (6.999, True)])
def test_katz_cb_amplitude_reduction_more_than_30_pct(amp_p, met):
    rep = analyze_nerve(_forearm(amp_p=amp_p), criteria="katz2002")
    assert _find(rep, "cb_amplitude").met is met  # 30 % exactly is not "> 30 %"
    assert rep.summary["katz2002"].conduction_block == ("present" if met else "none")


@pytest.mark.parametrize(("dur_p", "met"), [(6.5, False), (6.51, True)])
def test_katz_temporal_dispersion_duration_increase_more_than_30_pct(dur_p, met):
    rep = analyze_nerve(_forearm(dur_p=dur_p), criteria="katz2002")
    assert _find(rep, "td_duration").met is met


# ---- EFNS/PNS 2010 CIDP ----------------------------------------------------------------------------


def test_efns_cidp_probable_cb_excludes_the_tibial_nerve():
    nv = _forearm("tibial", amp_d=8.0, amp_p=5.0, label="tibial leg (ankle to knee)")
    rep = analyze_nerve(nv, criteria="efns_pns2010_cidp")
    prob = _find(rep, "cb_probable")
    assert prob.met is None and prob.details["excluded"] and "tibial" in prob.reason
    assert _find(rep, "cb_definite").met is False  # 37.5 % < 50 %: still evaluated
    assert rep.summary["efns_pns2010_cidp"].conduction_block == "none"


@pytest.mark.parametrize(("amp_d", "ev"), [(1.58, True), (1.579, False)])
def test_efns_cidp_cb_distal_at_least_20_pct_lln(amp_d, ev):
    rep = analyze_nerve(_forearm(amp_d=amp_d, amp_p=amp_d * 0.4), criteria="efns_pns2010_cidp")
    assert _find(rep, "cb_definite").met is (True if ev else None)


@pytest.mark.parametrize(
    ("amp_d", "lat", "met"),
    [
        (8.0, 40.95, True),  # 130 % of 31.5 ms, ">= 30 % above ULN"
        (8.0, 40.94, False),
        (6.31, 40.95, False),  # distal < 80 % LLN (6.32 mV): the limit becomes 150 % = 47.25 ms
        (6.31, 47.25, True),
        (6.32, 40.95, True),  # exactly 80 % LLN is not "< 80 %"
    ],
)
def test_efns_cidp_f_latency_30_pct_above_uln_or_50_pct_if_distal_below_80_pct_lln(amp_d, lat, met):
    nv = _forearm(amp_d=amp_d, amp_p=amp_d, min_f_latency_ms=lat, f_persistence_pct=80.0)
    assert _find(analyze_nerve(nv, criteria="efns_pns2010_cidp"), "f_latency_prolonged").met is met


def test_efns_cidp_absent_f_waves_only_with_distal_at_least_20_pct_lln():
    ok = _forearm(amp_d=1.58, amp_p=1.58, min_f_latency_ms=math.nan, f_persistence_pct=0.0)
    low = _forearm(amp_d=1.57, amp_p=1.57, min_f_latency_ms=math.nan, f_persistence_pct=0.0)
    assert _find(analyze_nerve(ok, criteria="efns_pns2010_cidp"), "f_absent").met is True
    assert _find(analyze_nerve(low, criteria="efns_pns2010_cidp"), "f_absent").met is None


def test_efns_cidp_distal_duration_cutoffs_per_nerve():
    assert _find(analyze_nerve(_forearm("median", dur_d=6.6), criteria="efns_pns2010_cidp"),
                 "distal_duration_prolonged").met is True  # fmt: skip
    f = _find(analyze_nerve(_forearm("ulnar", dur_d=6.6), criteria="efns_pns2010_cidp"),
              "distal_duration_prolonged")  # fmt: skip
    assert f.met is False and f.threshold == 6.7


# ---- AAN 1991 --------------------------------------------------------------------------------------


def _median_dml(dml, amp):
    rows = (
        _row("wrist", 70, "median distal", dml, amp),
        _row("elbow", 230, "median forearm", dml + 4, amp),
    )
    return NerveValues("median", "left", "APB", rows)


@pytest.mark.parametrize(
    ("dml", "amp", "met"),
    [
        (5.625, 4.1, False),  # 125 % of ULN 4.5 ms exactly: not "> 125 %"
        (5.63, 4.1, True),
        (5.63, 3.279, False),  # amplitude < 80 % of LLN 4.1 (3.28 mV): "> 150 %" = 6.75 ms
        (6.76, 3.279, True),
        (5.63, 3.28, True),  # exactly 80 % LLN keeps the 125 % step
    ],
)
def test_aan_dml_more_than_125_pct_uln_or_150_pct_if_amplitude_below_80_pct_lln(dml, amp, met):
    f = _find(analyze_nerve(_median_dml(dml, amp), criteria="aan1991"), "dml_prolonged")
    assert f.met is met


def test_aan_cv_below_80_pct_lln_or_70_pct_if_amplitude_below_80_pct_lln():
    # median CV LLN 49 m/s: 80 % = 39.2 m/s; forearm 230 mm over 5.9 ms = 38.98 m/s
    rows = (
        _row("wrist", 70, "median distal", 3.5, 5.0),
        _row("elbow", 230, "median forearm", 9.4, 5.0),
    )
    f = _find(
        analyze_nerve(NerveValues("median", "left", "APB", rows), criteria="aan1991"), "cv_slowed"
    )
    assert f.met is True and f.value == pytest.approx(100 * (230 / 5.9) / 49)
    low = tuple(dict(r, neg_peak_amp_mv=3.0) for r in rows)  # < 80 % LLN: limit 70 % = 34.3 m/s
    f = _find(
        analyze_nerve(NerveValues("median", "left", "APB", low), criteria="aan1991"), "cv_slowed"
    )
    assert f.met is False and f.threshold == 70


def test_aan_partial_cb_needs_less_than_15_pct_duration_change_and_only_listed_segments():
    rep = analyze_nerve(_forearm(area_p=15.0, dur_p=5.74), criteria="aan1991")  # 25 % area, 14.8 %
    assert _find(rep, "cb_area").met is True
    rep = analyze_nerve(_forearm(area_p=15.0, dur_p=5.75), criteria="aan1991")  # 15 %: not "< 15 %"
    assert _find(rep, "cb_area").met is False
    # ulnar above elbow -> axilla is not one of AAN's segments: no CB finding at all
    rep = analyze_nerve(_forearm(area_p=5.0, label="ulnar upper arm"), criteria="aan1991")
    assert not [f for f in rep.findings if f.rule.startswith("cb_")]


@pytest.mark.parametrize(
    ("area_p", "dur_p", "td"),
    [
        (15.0, 6.0, "present"),  # area drop 25 % > 20 %, duration +20 % >= 15 %
        (16.0, 6.0, "none"),  # area drop exactly 20 %: not "> 20 %"
        (15.0, 5.74, "none"),  # duration +14.8 %: partial CB, not TD
    ],
)
def test_aan_abnormal_td_with_a_more_than_20_pct_drop_of_area_or_p2p_amplitude(area_p, dur_p, td):
    # peak-to-peak drop only 10 % (amp 10 -> 9): before td_area only the p2p drop counted, so a
    # dispersed response whose > 20 % drop is in the negative-peak area gave no TD
    rep = analyze_nerve(_forearm(amp_p=9.0, area_p=area_p, dur_p=dur_p), criteria="aan1991")
    assert _find(rep, "td_duration").met is False  # p2p drop 10 %
    assert _find(rep, "td_area").met is (td == "present")
    assert rep.summary["aan1991"].temporal_dispersion == td


def _study(*nerves):
    from ncs_emg import analyze
    from ncs_emg.io.values_csv import StudyValues

    return analyze(StudyValues(tuple(nerves)), criteria="aan1991")


@pytest.mark.parametrize(("lat", "dm"), [(37.8, "none"), (37.85, "present")])
def test_aan_absent_f_waves_or_f_latency_above_120_pct_uln_in_2_nerves_counted_together(lat, dm):
    # right ulnar: no F-wave (persistence 0 %, distal 10 mV); left ulnar: minimal F latency vs the
    # ULN 31.5 ms -> 120 % = 37.8 ms (not "> 120 %"), 37.85 ms = 120.2 %: one nerve each, 2 nerves
    a = _forearm(f_persistence_pct=0.0)
    b = dataclasses.replace(_forearm(min_f_latency_ms=lat, f_persistence_pct=60.0), side="left")
    rep = _study(a, b)
    assert rep.summary["aan1991"].rules_met["f_absent"] == 1
    assert rep.summary["aan1991"].rules_met["f_latency_prolonged"] == (lat > 37.8)
    assert rep.summary["aan1991"].demyelinating == dm


def test_aan_dml_in_2_nerves_with_one_nerve_not_evaluable_is_not_evaluable_never_none():
    # left median DML 6.0 ms = 133 % of the ULN 4.5 ms (> 125 %); right median distal latency not
    # measured: the second nerve could meet "in >= 2 nerves", so the study verdict stays open
    f = {"min_f_latency_ms": 27.0, "f_persistence_pct": 80.0}
    a = dataclasses.replace(_forearm("median", amp_d=8.0, amp_p=8.0, **f), side="left")
    a = dataclasses.replace(
        a, sites=(dict(a.sites[0], onset_latency_ms=6.0), dict(a.sites[1], onset_latency_ms=10.0))
    )
    b = _forearm("median", amp_d=8.0, amp_p=8.0, **f)
    b = dataclasses.replace(b, sites=(dict(b.sites[0], onset_latency_ms=math.nan), b.sites[1]))
    rep = _study(a, b)
    assert rep.summary["aan1991"].rules_met["dml_prolonged"] == 1
    dml_b = [
        f for n in rep.nerves if n.side == "right" for f in n.findings if f.rule == "dml_prolonged"
    ]
    assert [f.met for f in dml_b] == [None]
    assert rep.summary["aan1991"].demyelinating == "not_evaluable"
    # with the second nerve's DML measured and normal (2.5 ms = 56 %): none
    c = _forearm("median", amp_d=8.0, amp_p=8.0, **f)
    assert _study(a, c).summary["aan1991"].demyelinating == "none"


# ---- Pfeiffer, Wicklein, Wittig 2000 ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("amp_d", "ratio", "crit", "met"),
    [
        (0.99, 0.35, "pfeiffer2000_control", True),  # < 1 mV: limit 0.36
        (0.99, 0.37, "pfeiffer2000_control", False),
        (1.0, 0.55, "pfeiffer2000_control", True),  # 1-2 mV: 0.56
        (2.0, 0.55, "pfeiffer2000_control", True),  # 2 mV still in the 1-2 mV band
        (2.01, 0.75, "pfeiffer2000_control", True),  # > 2 mV, ulnar: 0.8
        (2.01, 0.8, "pfeiffer2000_control", False),
        (5.0, 0.6, "pfeiffer2000_als", False),  # ALS-safe limit 0.5
        (5.0, 0.49, "pfeiffer2000_als", True),
        (0.9, 0.4, "pfeiffer2000_als", False),  # < 1 mV: 0.36
    ],
)
def test_pfeiffer_amplitude_dependent_ratio_limits(amp_d, ratio, crit, met):
    rep = analyze_nerve(_forearm(amp_d=amp_d, amp_p=amp_d * ratio), criteria=crit)
    assert _find(rep, "cb_ratio").met is met


# ---- not evaluable -----------------------------------------------------------------------------------


def test_one_site_nerve_is_not_evaluable_never_no_block():
    nv = NerveValues("ulnar", "right", "ADM", (_row("wrist", 70, "d", 2.5, 10.0),))
    rep = analyze_nerve(nv)
    assert all(s.conduction_block == "not_evaluable" for s in rep.summary.values())
    assert any("no segment" in i for i in rep.issues)


def test_sites_out_of_order_make_segment_rules_not_evaluable():
    rows = (_row("wrist", 70, "d", 6.5, 10.0), _row("below elbow", 220, "ulnar forearm", 2.5, 10.0))
    rep = analyze_nerve(NerveValues("ulnar", "right", "ADM", rows))
    seg_findings = [f for f in rep.findings if f.from_site is not None]
    assert seg_findings and all(f.met is None for f in seg_findings)
    assert all("order" in f.reason for f in seg_findings)
    assert all(s.conduction_block == "not_evaluable" for s in rep.summary.values())


def test_missing_proximal_site_is_not_evaluable():
    rows = (_row("wrist", 70, "d", 2.5, 10.0), dict(_row("below elbow", 220, "ulnar forearm", 6.5, 1.0),
            onset_latency_ms=math.nan, neg_peak_amp_mv=math.nan))  # fmt: skip
    rep = analyze_nerve(NerveValues("ulnar", "right", "ADM", rows), criteria="katz2002")
    assert _find(rep, "cb_amplitude").met is None
    assert rep.summary["katz2002"].conduction_block == "not_evaluable"
