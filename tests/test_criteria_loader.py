"""Criteria sets as data: shipped files load, lab files are validated strictly."""

from __future__ import annotations

import pytest

import ncs_emg
from ncs_emg import FormatError, NotAvailableError, ParameterError
from ncs_emg.criteria import (
    SHIPPED,
    criteria_set_from_toml,
    get_criteria_set,
    resolve_criteria,
)

GOOD = """
id = "lab"
name = "Lab rule"
source = "our lab, 2026"

[[rules]]
id = "cb_area"
category = "cb"
grade = "present"
measure = "area_reduction_pct"
comparison = ">="
threshold = 40
unit = "%"
"""


def test_every_shipped_set_loads_with_source_and_verified_flag():
    infos = ncs_emg.criteria_sets()
    assert (
        tuple(i.id for i in infos)
        == SHIPPED
        == (
            "katz2002",
            "efns_pns2010_mmn",
            "efns_pns2010_cidp",
            "ean_pns2021_cidp",
            "aan1991",
            "utrecht2006",
            "pfeiffer2000_control",
            "pfeiffer2000_als",
        )
    )
    for i in infos:
        c = get_criteria_set(i.id)
        assert c.source and c.name and c.rules
        assert all(r.source for r in c.rules)


def test_ean_pns_2021_is_unverified_in_every_rule():
    c = get_criteria_set("ean_pns2021_cidp")
    assert c.verified is False and not any(r.verified for r in c.rules)
    assert not any(
        r.id.startswith("td_tibial") for r in c.rules
    )  # the 100 % tibial rule is not encoded


def test_segment_classes_of_efns_mmn_and_utrecht_are_labelled_unverified_data():
    for sid in ("efns_pns2010_mmn", "utrecht2006"):
        c = get_criteria_set(sid)
        assert c.segment_classes.verified is False and "forearm" in c.segment_classes.long
        assert c.verified is False  # a rule depends on the unverified long/short classes


@pytest.mark.parametrize("sid", ["aaem1999", "mmn_revision"])
def test_named_but_unencoded_sets_raise_not_available(sid):
    with pytest.raises(NotAvailableError, match=sid):
        get_criteria_set(sid)
    with pytest.raises(NotAvailableError):
        resolve_criteria(sid)
    listed = {i.id: i for i in ncs_emg.criteria_sets(include_unavailable=True)}
    assert listed[sid].available is False


def test_unknown_set_id_lists_the_valid_ones():
    with pytest.raises(ParameterError, match="katz2002"):
        get_criteria_set("katz")
    assert [c.id for c in resolve_criteria("katz2002, aan1991")] == ["katz2002", "aan1991"]


def test_a_lab_file_is_read_by_the_same_loader():
    c = criteria_set_from_toml(GOOD, where="lab.toml")
    assert c.id == "lab" and c.rules[0].threshold == 40 and c.rules[0].scope == "segment"
    assert c.file == "lab.toml" and c.rules[0].source == "our lab, 2026"


@pytest.mark.parametrize(
    ("old", "new", "field", "bad"),
    [
        ('measure = "area_reduction_pct"', 'measure = "area_drop"', "measure", "area_drop"),
        ('unit = "%"\n', "", "unit", "without a unit"),
        ('unit = "%"', 'unit = "ms"', "unit", "'ms'"),
        ('comparison = ">="', 'comparison = "=>"', "comparison", "'=>'"),
        ('comparison = ">="', 'comparison = "=="', "comparison", "'=='"),
        ('grade = "present"', 'grade = "present"\nthreshhold = 3', "threshhold", "unknown key"),
        ('category = "cb"', 'category = "block"', "category", "block"),
        ("threshold = 40", 'threshold = "40"', "threshold", "'40'"),
    ],
)
def test_bad_lab_file_names_file_rule_and_field(old, new, field, bad):
    text = GOOD.replace(old, new, 1)
    with pytest.raises(FormatError) as ei:
        criteria_set_from_toml(text, where="lab.toml")
    msg = str(ei.value)
    assert "lab.toml" in msg and "cb_area" in msg and field in msg and bad in msg


def test_bad_condition_floor_and_step_are_refused():
    base = (
        GOOD
        + 'conditions = [{ measure = "duration_increase_pct", comparison = "<=", threshold = 30 }]\n'
    )
    with pytest.raises(FormatError, match=r"conditions\[0\]\.unit.*without a unit"):
        criteria_set_from_toml(base, where="lab.toml")
    floor = (
        GOOD
        + 'floors = [{ measure = "distal_amp_mv", comparison = ">", threshold = 1, unit = "mv" }]\n'
    )
    with pytest.raises(FormatError, match=r"floors\[0\]\.unit"):
        criteria_set_from_toml(floor, where="lab.toml")
    step = GOOD + "steps = [{ below = 80, threshold = 70 }]\n"
    with pytest.raises(FormatError, match=r"steps\[0\]\.unit"):
        criteria_set_from_toml(step, where="lab.toml")


def test_set_level_errors():
    with pytest.raises(FormatError, match=r"lab.toml: unknown key\(s\) \['colour'\]"):
        criteria_set_from_toml('colour = "red"\n' + GOOD, where="lab.toml")
    with pytest.raises(FormatError, match="not valid TOML"):
        criteria_set_from_toml("id = ", where="lab.toml")
    with pytest.raises(FormatError, match="repeated"):
        criteria_set_from_toml(GOOD + GOOD[GOOD.index("[[rules]]") :], where="lab.toml")
    with pytest.raises(FormatError, match="segment_classes"):
        criteria_set_from_toml(GOOD + 'segment_class = "long"\n', where="lab.toml")


def test_docs_list_every_shipped_set_and_rule():
    from pathlib import Path

    text = (Path(__file__).resolve().parents[1] / "docs" / "criteria.md").read_text()
    for sid in SHIPPED:
        assert f"`{sid}` rules" in text, sid
        part = text.split(f"`{sid}` rules", 1)[1].split("####", 1)[0]
        for r in get_criteria_set(sid).rules:
            assert f"`{r.id}`" in part, (sid, r.id)
