"""Normal limits as data, lab tables from JSON/TOML, and findings (never a silent "normal")."""

from __future__ import annotations

import json
import math

import pytest

from ncs_emg import FormatError, ParameterError
from ncs_emg.findings import Finding
from ncs_emg.normative import (
    BUSCHBACHER_AANEM,
    DEFAULT_TABLE,
    NOBREGA_2004_FWAVES,
    HeightAdjustment,
    NormalLimit,
    evaluate_f_absent,
    evaluate_min_f_latency,
    normative_table_from_dict,
    normative_table_from_json,
    normative_table_from_toml,
)


def test_shipped_tables_hold_the_domain_values_with_provenance():
    t = BUSCHBACHER_AANEM
    assert t.get("median", "min_f_latency_ms").value == 31.6
    assert t.get("ulnar", "cv_m_s").value == 52.0
    assert t.get("ulnar", "cv_m_s", segment="across elbow").value == 43.0
    assert t.get("ulnar", "cv_m_s", segment="forearm").value == 52.0  # falls back to the nerve
    assert t.get("fibular", "amplitude_mv").value == 1.3  # alias
    assert t.get("tibial", "dml_ms").kind == "upper"
    assert t.get("radial", "dml_ms") is None
    for lim in t.limits:
        assert lim.source and lim.statistic and not lim.verified and lim.muscle
        assert lim.height_adjustment is None  # no verified height formula is shipped
    lim = NOBREGA_2004_FWAVES.get("tibial", "min_f_latency_ms")
    assert (lim.kind, lim.value, lim.sd) == ("mean_sd", 47.0, 4.1)
    assert DEFAULT_TABLE is BUSCHBACHER_AANEM


def test_table_round_trips_through_json():
    d = BUSCHBACHER_AANEM.to_dict()
    t = normative_table_from_json(json.dumps(d))
    assert t == BUSCHBACHER_AANEM


LAB_TOML = """
name = "our lab 2026"
source = "Lab X reference study, n = 120"

[[limits]]
nerve = "Ulnar"
muscle = "ADM"
measure = "min_f_latency_ms"
kind = "upper"
value = 3.2
unit = "cm"  # wrong quantity: must be rejected below
statistic = "97.5th percentile"
"""


def test_lab_table_from_toml_with_units_and_height_adjustment():
    good = LAB_TOML.replace('unit = "cm"  # wrong quantity: must be rejected below', 'unit = "s"')
    good = good.replace("value = 3.2", "value = 0.032")
    good += """distance_mm = 80
filter = "LFF 2 Hz, HFF 10 kHz"
[limits.height_adjustment]
reference_height_cm = 170
slope_per_cm = 0.0002
source = "lab regression"
"""
    t = normative_table_from_toml(good)
    lim = t.get("ulnar", "min_f_latency_ms")
    assert lim.value == pytest.approx(32.0) and lim.unit == "ms"
    assert lim.source == "Lab X reference study, n = 120"  # table-level default
    assert lim.distance_mm == 80.0 and lim.filter.startswith("LFF")
    v, how = lim.value_at(180.0)
    assert v == pytest.approx(32.0 + 0.2 * 10)  # slope converted s/cm -> ms/cm
    assert "unverified" in how
    v, how = lim.value_at(None)
    assert v == pytest.approx(32.0) and "height unknown" in how


@pytest.mark.parametrize(
    "mutate, match",
    [
        (lambda d: d.pop("name"), r"table\.name: required"),
        (lambda d: d["limits"][0].update(value="abc"), r"limits\[0\]\.value: expected a number"),
        (
            lambda d: d["limits"][0].update(value=float("nan")),
            r"limits\[0\]\.value: expected a finite",
        ),
        (lambda d: d["limits"][0].update(measure="speed"), r"limits\[0\]\.measure: invalid"),
        (lambda d: d["limits"][0].update(kind="max"), r"limits\[0\]\.kind: invalid"),
        (lambda d: d["limits"][0].update(unit="furlong"), r"limits\[0\]\.unit: unknown time unit"),
        (lambda d: d["limits"][0].update(colour="red"), r"limits\[0\]: unknown field"),
        (lambda d: d["limits"][0].pop("statistic"), r"limits\[0\]\.statistic: required"),
        (lambda d: d["limits"][0].update(kind="mean_sd"), r"limits\[0\]\.sd: required"),
        (lambda d: d["limits"][0].update(distance_mm=-3), r"limits\[0\]\.distance_mm: must be > 0"),
        (
            lambda d: d["limits"][0].update(height_adjustment={"slope_per_cm": 0.1}),
            r"limits\[0\]\.height_adjustment\.reference_height_cm: required",
        ),
        (lambda d: d.update(limits=[]), r"table\.limits: expected a non-empty list"),
    ],
)
def test_bad_lab_table_names_the_field(mutate, match):
    d = {
        "name": "lab",
        "source": "lab study",
        "limits": [
            {
                "nerve": "median",
                "measure": "min_f_latency_ms",
                "kind": "upper",
                "value": 31.0,
                "unit": "ms",
                "statistic": "ULN",
            }
        ],
    }
    mutate(d)
    with pytest.raises(FormatError, match=match):
        normative_table_from_dict(d)


def test_bad_json_and_toml_text():
    with pytest.raises(FormatError, match="not valid JSON"):
        normative_table_from_json("{nope")
    with pytest.raises(FormatError, match="not valid TOML"):
        normative_table_from_toml("name = ")
    with pytest.raises(FormatError, match="unit"):
        normative_table_from_toml(LAB_TOML)


# --------------------------------------------------------------------------------- findings

ULN = BUSCHBACHER_AANEM.get("median", "min_f_latency_ms")  # 31.6 ms
LLN_AMP = BUSCHBACHER_AANEM.get("median", "amplitude_mv")  # 4.1 mV


@pytest.mark.parametrize(
    "pct_of_uln, inclusive, met",
    [(129.9, False, False), (130.0, False, False), (130.1, False, True), (130.0, True, True)],
)
def test_f_latency_prolonged_boundaries(pct_of_uln, inclusive, met):
    lat = 31.6 * pct_of_uln / 100
    f = evaluate_min_f_latency(lat, ULN, percent_of_uln=130.0, inclusive=inclusive)
    assert isinstance(f, Finding)
    assert f.met is met and f.unit == "% ULN" and f.threshold == 130.0
    assert f.value == pytest.approx(pct_of_uln)
    assert "31.60 ms" in f.reason and f.source == ULN.source


def test_f_latency_not_evaluable_paths():
    assert evaluate_min_f_latency(float("nan"), ULN).met is None
    assert evaluate_min_f_latency(None, ULN).met is None
    f = evaluate_min_f_latency(35.0, None)
    assert f.met is None and "no upper limit" in f.reason
    with pytest.raises(ParameterError, match="limit"):
        evaluate_min_f_latency(35.0, LLN_AMP)


def test_f_latency_with_height_adjustment_range():
    lim = NormalLimit(
        "median",
        "min_f_latency_ms",
        "upper",
        30.0,
        "ms",
        "ULN",
        "lab",
        height_adjustment=HeightAdjustment(170.0, 0.2, "lab formula", True, 150.0, 200.0),
    )
    f = evaluate_min_f_latency(33.0, lim, height_cm=185.0)  # ULN 33.0 ms
    assert f.value == pytest.approx(100.0) and f.met is False
    f = evaluate_min_f_latency(33.0, lim, height_cm=140.0)
    assert f.met is None and "outside" in f.reason


def test_f_absent_rules():
    # evaluable exactly from 20 % of LLN (0.82 mV for the median nerve)
    f = evaluate_f_absent(0.0, 0.82, LLN_AMP)
    assert f.met is True and f.value == 0.0
    f = evaluate_f_absent(0.0, 0.819, LLN_AMP)
    assert f.met is None and "20 %" in f.reason
    assert evaluate_f_absent(35.0, 5.0, LLN_AMP).met is False
    assert evaluate_f_absent(0.0, None, LLN_AMP).met is None
    assert evaluate_f_absent(0.0, float("nan"), LLN_AMP).met is None
    assert evaluate_f_absent(float("nan"), 5.0, LLN_AMP).met is None
    assert evaluate_f_absent(0.0, 5.0, None).met is None
    assert evaluate_f_absent(0.0, 5.0, LLN_AMP, interpretable=False).met is None
    d = evaluate_f_absent(0.0, 5.0, LLN_AMP).to_dict()
    assert d["rule"] == "f_waves_absent" and d["details"]["lln_mv"] == 4.1
    json.dumps(d)
    assert math.isclose(d["details"]["distal_pct_lln"], 100 * 5 / 4.1)


# ---- regressions: float boundaries, interpretability, caller errors ---------------------------------


@pytest.mark.parametrize("nerve", ["median", "ulnar", "peroneal", "tibial"])
@pytest.mark.parametrize("pct", [120.0, 130.0, 150.0])
def test_f_latency_exact_boundaries_for_every_nerve(nerve, pct):
    lim = DEFAULT_TABLE.get(nerve, "min_f_latency_ms")
    lat = round(lim.value * pct / 100, 10)  # the decimal latency a report would show (37.8 ms)
    assert evaluate_min_f_latency(lat, lim, percent_of_uln=pct, inclusive=True).met is True
    assert evaluate_min_f_latency(lat, lim, percent_of_uln=pct, inclusive=False).met is False
    above = lat + 0.01
    assert evaluate_min_f_latency(above, lim, percent_of_uln=pct, inclusive=False).met is True
    below = lat - 0.01
    assert evaluate_min_f_latency(below, lim, percent_of_uln=pct, inclusive=True).met is False


def test_f_latency_reported_repro_37_8_ms_ulnar_at_120_pct():
    lim = DEFAULT_TABLE.get("ulnar", "min_f_latency_ms")  # 31.5 ms; 37.8 / 31.5 = 1.2
    assert evaluate_min_f_latency(37.8, lim, percent_of_uln=120, inclusive=True).met is True


def test_f_latency_not_interpretable_and_bad_latencies():
    f = evaluate_min_f_latency(40.0, ULN, interpretable=False, reason="noise-limited: x")
    assert f.met is None and "not interpretable" in f.reason and "noise-limited" in f.reason
    for bad in (-1.0, float("inf"), float("-inf")):
        with pytest.raises(ParameterError, match="min_latency_ms"):
            evaluate_min_f_latency(bad, ULN)
    with pytest.raises(ParameterError, match="percent_of_uln"):
        evaluate_min_f_latency(35.0, ULN, percent_of_uln=float("nan"))


def test_f_absent_present_f_waves_and_caller_errors():
    ulnar_lln = DEFAULT_TABLE.get("ulnar", "amplitude_mv")
    f = evaluate_f_absent(80.0, 0.5, ulnar_lln)  # F-waves present, tiny CMAP: not absent
    assert f.met is False and "present" in f.reason
    for bad in (-0.1, 100.5, float("inf")):
        with pytest.raises(ParameterError, match="persistence_pct"):
            evaluate_f_absent(bad, 5.0, ulnar_lln)
    for bad in (-0.5, float("inf")):
        with pytest.raises(ParameterError, match="distal_cmap_mv"):
            evaluate_f_absent(0.0, bad, ulnar_lln)
    # exact 20 % of LLN boundary for every nerve
    for nerve in ("median", "ulnar", "peroneal", "tibial"):
        lln = DEFAULT_TABLE.get(nerve, "amplitude_mv")
        assert evaluate_f_absent(0.0, round(lln.value * 0.2, 10), lln).met is True
