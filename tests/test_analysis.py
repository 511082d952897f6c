"""analyze / analyze_nerve on simulated studies: expected verdicts, report layout, values = waveforms."""

from __future__ import annotations

import json
import math

import pytest

import ncs_emg
from ncs_emg import NotAvailableError, ParameterError, analyze, analyze_nerve, simulate_study
from ncs_emg.criteria import SHIPPED
from ncs_emg.findings import FINDING_KEYS
from ncs_emg.io.values_csv import read_values_csv, write_values_csv
from ncs_emg.tables import values_rows


@pytest.fixture(scope="module")
def mmn():
    return analyze(simulate_study("mmn", rng=3).study)


@pytest.fixture(scope="module")
def normal():
    return analyze(simulate_study("normal", rng=5).study)


def test_mmn_preset_definite_or_probable_cb_in_the_blocked_forearm_segment(mmn):
    for label in ("right ulnar (ADM)", "left median (APB)"):
        n = next(x for x in mmn.nerves if x.label == label)
        s = n.summary["efns_pns2010_mmn"]
        assert s.conduction_block in ("definite", "probable")
        seg = "wrist→below elbow" if "ulnar" in label else "wrist→elbow"
        assert any(d.startswith(seg) for d in s.driving), s.driving
    assert mmn.summary["efns_pns2010_mmn"].nerves_with_cb == (
        "right ulnar (ADM)",
        "left median (APB)",
    )
    assert mmn.summary["efns_pns2010_mmn"].territories == 2


def test_mmn_preset_unblocked_nerves_show_no_cb_under_efns_mmn(mmn):
    for n in mmn.nerves:
        if n.label not in ("right ulnar (ADM)", "left median (APB)"):
            assert n.summary["efns_pns2010_mmn"].conduction_block in ("none", "not_evaluable")


@pytest.mark.parametrize("crit", SHIPPED)
def test_normal_preset_has_no_cb_under_any_set(normal, crit):
    assert normal.summary[crit].conduction_block in ("none", "not_evaluable")
    assert normal.summary[crit].nerves_with_cb == ()
    assert normal.summary[crit].conduction_block == "none"  # evaluated in at least one nerve


def test_nerves_a_set_does_not_cover_are_not_evaluable_not_none(normal):
    tib = next(n for n in normal.nerves if n.nerve == "tibial")
    assert tib.summary["efns_pns2010_mmn"].conduction_block == "not_evaluable"


def test_report_to_dict_is_the_json_document(mmn):
    d = mmn.to_dict()
    text = json.dumps(d, allow_nan=False)
    d = json.loads(text)
    assert list(d)[:5] == ["version", "subject_id", "criteria", "nerves", "summary"]
    assert [c["id"] for c in d["criteria"]] == list(SHIPPED)
    assert set(d["criteria"][0]) >= {"id", "name", "source", "verified"}
    n = d["nerves"][1]
    assert {"nerve", "side", "muscle", "sites", "segments", "findings", "summary"} <= set(n)
    assert {"name", "sweep_index", "sweep_choice", "onset_latency_ms", "neg_area_mv_ms"} <= set(
        n["sites"][0]
    )
    seg_keys = {"from_site", "to_site", "kind", "label", "length_mm", "latency_diff_ms", "cv_m_s",
                "amp_reduction_pct", "p2p_reduction_pct", "area_reduction_pct",
                "duration_increase_pct", "entrapment"}  # fmt: skip
    assert seg_keys <= set(n["segments"][0])
    assert tuple(n["findings"][0]) == FINDING_KEYS
    assert set(n["summary"]) == set(SHIPPED)
    assert {"conduction_block", "temporal_dispersion", "demyelinating"} <= set(
        n["summary"]["katz2002"]
    )
    assert d["summary"]["katz2002"]["nerves_with_cb"] == ["right ulnar (ADM)", "left median (APB)"]


def test_unverified_sets_carry_the_flag_into_every_finding(mmn):
    fs = [f for n in mmn.nerves for f in n.findings if f.criteria == "ean_pns2021_cidp"]
    assert fs and not any(f.verified for f in fs)


def test_to_dataframe_long_form(mmn):
    pd = pytest.importorskip("pandas")
    df = mmn.to_dataframe()
    assert isinstance(df, pd.DataFrame)
    assert len(df) == sum(len(n.findings) for n in mmn.nerves)
    assert {
        "nerve_label",
        "criteria",
        "rule",
        "from_site",
        "met",
        "value",
        "threshold",
        "source",
    } <= set(df)


def test_values_and_waveforms_of_the_same_study_give_the_same_findings(tmp_path, mmn):
    path = tmp_path / "values.csv"
    write_values_csv(path, values_rows(mmn.nerves))
    rep = analyze(read_values_csv(path))
    assert [n.label for n in rep.nerves] == [n.label for n in mmn.nerves]
    for a, b in zip(mmn.nerves, rep.nerves, strict=True):
        assert len(a.findings) == len(b.findings)
        for fa, fb in zip(a.findings, b.findings, strict=True):
            assert (fa.criteria, fa.rule, fa.from_site, fa.to_site, fa.met) == (
                fb.criteria, fb.rule, fb.from_site, fb.to_site, fb.met
            )  # fmt: skip
            if fa.value is None or (isinstance(fa.value, float) and math.isnan(fa.value)):
                assert fb.value is None or math.isnan(fb.value)
            else:
                assert fb.value == pytest.approx(fa.value, rel=1e-12)
        assert {k: v.to_dict() for k, v in a.summary.items()} == {
            k: v.to_dict() for k, v in b.summary.items()
        }


def test_sweep_choice_is_recorded(mmn):
    assert all(s.sweep_choice == "max" and s.sweep_index is not None for s in mmn.nerves[0].sites)
    sim = simulate_study("normal", rng=1).study
    r = analyze_nerve(sim.nerves[0], sweep="median", criteria="katz2002")
    assert r.sites[0].sweep_choice.startswith("median of")


def test_bad_arguments():
    sim = simulate_study("normal", rng=1).study
    with pytest.raises(NotAvailableError):
        analyze(sim, criteria="aaem1999")
    with pytest.raises(ParameterError, match="criteria"):
        analyze(sim, criteria="nope")
    with pytest.raises(ParameterError, match="sweep"):
        analyze_nerve(sim.nerves[0], sweep="mean")
    with pytest.raises(ParameterError, match="Study or StudyValues"):
        analyze([1, 2])
    with pytest.raises(ParameterError, match="limits"):
        analyze(sim, limits="buschbacher")
    with pytest.raises(ParameterError, match="height_cm"):
        analyze(sim, height_cm=-3)


def test_public_api():
    for name in ("analyze", "analyze_nerve", "criteria_sets", "read_values_csv", "Finding",
                 "NerveReport", "StudyReport"):  # fmt: skip
        assert name in ncs_emg.__all__ and hasattr(ncs_emg, name)


def test_normal_preset_f_wave_rules_are_evaluable_in_every_nerve(normal):
    for n in normal.nerves:
        f = next(
            x for x in n.findings if x.criteria == "aan1991" and x.rule == "f_latency_prolonged"
        )
        assert f.met is False, (n.label, f.reason)


def test_f_train_ending_before_150_pct_of_uln_is_not_interpretable_in_the_analysis():
    """A train whose sweeps end before 150 % of the nerve's minimal-F ULN cannot show a prolonged F
    latency: analyze reports the F rules as not evaluable instead of reading the short train."""
    import dataclasses

    from ncs_emg import Sweeps, analyze_nerve, simulate_nerve
    from ncs_emg.normative import required_f_sweep_end_ms

    nerve = simulate_nerve("ulnar", fwaves=True, rng=4).nerve
    full = analyze_nerve(nerve, criteria="aan1991")
    assert full.fwave is not None and full.fwave.interpretable

    fw = nerve.fwaves
    end_ms = required_f_sweep_end_ms("ulnar")  # 150 % of the ULN
    keep = int((end_ms - 5.0 - fw.t0_ms) * fw.sfreq_hz / 1000.0)  # sweeps stop 5 ms short of it
    short = Sweeps(fw.data[:, :keep].copy(), fw.sfreq_hz, t0_ms=fw.t0_ms)
    rep = analyze_nerve(dataclasses.replace(nerve, fwaves=short), criteria="aan1991")
    assert rep.fwave is not None and not rep.fwave.interpretable
    f_rule = [f for f in rep.findings if f.rule == "f_latency_prolonged"]
    assert f_rule and all(f.met is None for f in f_rule)
