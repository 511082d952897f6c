"""Clinical findings: the schema, strict parsing, contradictions reported (not errors), the reader."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ncs_emg
from ncs_emg.eligibility.clinical import ONSET_REGIONS, clinical_from_dict

EXAMPLE = (
    Path(__file__).resolve().parents[1] / "data" / "fixtures" / "cohort" / "patient_mmn_like.toml"
)


def test_example_file_reads_every_section():
    c = ncs_emg.read_clinical(EXAMPLE)
    assert c.subject_id == "P001"
    assert c.source == str(EXAMPLE)
    assert c.phenotype.onset_region == "distal_upper_limb"
    assert c.phenotype.duration_months == 14.0
    assert c.signs.babinski is False
    assert c.sensory_ncs.any_abnormal is False
    assert len(c.sensory_ncs.nerves) == 2
    assert c.labs.ck_u_l == 110.0 and c.labs.ck_uln_u_l == 200.0
    assert c.labs.anti_gm1_igm_titre == 3200.0
    muscles = {r.muscle: r for r in c.needle_emg}
    assert muscles["first_dorsal_interosseous"].territory == "ulnar"
    assert muscles["thoracic_paraspinal"].territory is None
    assert muscles["thoracic_paraspinal"].side is None
    assert c.response.emrcss_after == 91.0
    assert c.issues == ()


def test_json_and_toml_give_the_same_findings(tmp_path):
    toml_c = ncs_emg.read_clinical(EXAMPLE)
    d = toml_c.to_dict()
    doc = {
        "subject_id": d["subject_id"],
        "phenotype": {k: v for k, v in d["phenotype"].items() if v is not None},
        "signs": d["signs"],
        "sensory_ncs": {"abnormal": False, "nerves": d["sensory_ncs"]["nerves"]},
        "labs": d["labs"],
        "needle_emg": [
            {k: v for k, v in r.items() if k != "territory" and v is not None}
            for r in d["needle_emg"]
        ],
        "response": d["response"],
    }
    p = tmp_path / "p.json"
    p.write_text(json.dumps(doc))
    json_c = ncs_emg.read_clinical(p)
    assert json_c.to_dict() | {"source": None} == toml_c.to_dict() | {"source": None}


def test_missing_keys_are_unknown_not_normal():
    c = clinical_from_dict({"subject_id": "x"})
    assert c.phenotype.progressive is None
    assert c.signs.babinski is None
    assert c.sensory_ncs.any_abnormal is None
    assert c.labs.ck_u_l is None
    assert c.needle_emg == ()


def test_subject_id_is_required():
    with pytest.raises(ncs_emg.FormatError, match="subject_id"):
        clinical_from_dict({"phenotype": {"progressive": True}})


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        ({"subject_id": "x", "sign": {}}, r"unknown key 'sign'"),
        ({"subject_id": "x", "signs": {"babinsky": True}}, r"signs\.babinsky.*True"),
        (
            {"subject_id": "x", "signs": {"babinski": "yes"}},
            r"signs\.babinski.*'yes'.*true or false",
        ),
        ({"subject_id": "x", "phenotype": {"onset_region": "hand"}}, r"onset_region.*'hand'"),
        ({"subject_id": "x", "labs": {"ck_u_l": "high"}}, r"labs\.ck_u_l.*'high'.*number"),
        ({"subject_id": "x", "labs": {"ck_u_l": True}}, r"labs\.ck_u_l.*True.*number"),
        ({"subject_id": "x", "needle_emg": {"muscle": "apb"}}, r"needle_emg.*list of tables"),
        ({"subject_id": "x", "needle_emg": [{"side": "left"}]}, r"needle_emg\[0\].*'muscle'"),
        (
            {"subject_id": "x", "strength": [{"muscle_group": "neck", "side": "left", "mrc": 5}]},
            r"strength\[0\]\.muscle_group.*'neck'",
        ),
        (
            {"subject_id": "x", "nss": [{"item": "walk", "score": 2, "when": "after"}]},
            r"nss\[0\]\.when",
        ),
        ({"subject_id": ""}, r"subject_id"),
    ],
)
def test_unknown_keys_and_wrong_types_are_format_errors(doc, match):
    with pytest.raises(ncs_emg.FormatError, match=match):
        clinical_from_dict(doc)


@pytest.mark.parametrize(
    ("doc", "match"),
    [
        (
            {
                "subject_id": "x",
                "strength": [{"muscle_group": "deltoid", "side": "left", "mrc": 7}],
            },
            r"strength\[0\]\.mrc' = 7 .*<= 5",
        ),
        (
            {
                "subject_id": "x",
                "strength": [{"muscle_group": "deltoid", "side": "left", "mrc": -1}],
            },
            r"mrc' = -1",
        ),
        ({"subject_id": "x", "nss": [{"item": "walk", "score": 4}]}, r"nss\[0\]\.score' = 4"),
        ({"subject_id": "x", "labs": {"ck_u_l": -5}}, r"labs\.ck_u_l' = -5"),
        ({"subject_id": "x", "labs": {"ck_uln_u_l": 0}}, r"labs\.ck_uln_u_l' = 0"),
        ({"subject_id": "x", "response": {"nss_before": 61}}, r"response\.nss_before' = 61"),
        ({"subject_id": "x", "response": {"emrcss_after": 100.5}}, r"emrcss_after' = 100\.5"),
    ],
)
def test_out_of_range_values_are_parameter_errors(doc, match):
    with pytest.raises(ncs_emg.ParameterError, match=match):
        clinical_from_dict(doc)


def test_boundaries_are_accepted():
    c = clinical_from_dict(
        {
            "subject_id": 7,
            "strength": [
                {"muscle_group": "deltoid", "side": "left", "mrc": 0},
                {"muscle_group": "deltoid", "side": "right", "mrc": 5},
            ],
            "nss": [{"item": 1, "score": 0}, {"item": "walk", "score": 3}],
            "response": {"emrcss_before": 0, "emrcss_after": 100, "nss_before": 0, "nss_after": 60},
        }
    )
    assert c.subject_id == "7"
    assert [r.mrc for r in c.strength] == [0.0, 5.0]
    assert c.nss[0].item == "1"


def test_repeated_strength_row_is_an_error():
    row = {"muscle_group": "biceps", "side": "left", "mrc": 4}
    with pytest.raises(ncs_emg.FormatError, match="repeats"):
        clinical_from_dict({"subject_id": "x", "strength": [row, row]})
    ok = clinical_from_dict({"subject_id": "x", "strength": [row, {**row, "visit": "after"}]})
    assert [r.visit for r in ok.strength] == ["before", "after"]


def test_contradiction_is_reported_not_raised():
    c = clinical_from_dict(
        {
            "subject_id": "x",
            "phenotype": {"lmn_weakness": False},
            "needle_emg": [{"muscle": "fdi", "clinically_weak": True, "abnormal": True}],
        }
    )
    assert len(c.issues) == 1
    assert "lmn_weakness is false" in c.issues[0] and "fdi" in c.issues[0]


def test_sensory_verdict_against_rows_is_reported():
    c = clinical_from_dict(
        {
            "subject_id": "x",
            "sensory_ncs": {"abnormal": False, "nerves": [{"nerve": "sural", "abnormal": True}]},
        }
    )
    assert c.sensory_ncs.any_abnormal is True
    assert any("sensory_ncs" in i for i in c.issues)


def test_ck_without_its_upper_limit_is_reported():
    c = clinical_from_dict({"subject_id": "x", "labs": {"ck_u_l": 150}})
    assert any("ck_uln_u_l" in i for i in c.issues)


def test_explicit_nerve_overrides_the_muscle_map():
    c = clinical_from_dict(
        {
            "subject_id": "x",
            "needle_emg": [
                {"muscle": "FDI", "nerve": "median"},
                {"muscle": "vastus", "nerve": "other"},
            ],
        }
    )
    assert c.needle_emg[0].muscle == "fdi" and c.needle_emg[0].territory == "median"
    assert c.needle_emg[1].territory is None


def test_onset_regions_are_the_documented_six():
    assert set(ONSET_REGIONS) == {
        "distal_upper_limb",
        "proximal_upper_limb",
        "distal_lower_limb",
        "proximal_lower_limb",
        "bulbar",
        "respiratory",
    }


def test_reader_errors_name_the_file(tmp_path):
    bad = tmp_path / "c.toml"
    bad.write_text("subject_id = 'x'\n[signs\n")
    with pytest.raises(ncs_emg.FormatError, match=r"c\.toml.*invalid TOML"):
        ncs_emg.read_clinical(bad)
    j = tmp_path / "c.json"
    j.write_text("{not json")
    with pytest.raises(ncs_emg.FormatError, match=r"c\.json.*invalid JSON"):
        ncs_emg.read_clinical(j)
    with pytest.raises(ncs_emg.FormatError, match=r"\.yaml"):
        ncs_emg.read_clinical(tmp_path / "c.yaml")
    with pytest.raises(ncs_emg.FormatError, match="cannot read"):
        ncs_emg.read_clinical(tmp_path / "absent.toml")
    t = tmp_path / "range.toml"
    t.write_text(
        "subject_id = 'x'\n[[strength]]\nmuscle_group = 'biceps'\nside = 'left'\nmrc = 7\n"
    )
    with pytest.raises(ncs_emg.ParameterError, match=r"range\.toml.*strength\[0\]\.mrc' = 7"):
        ncs_emg.read_clinical(t)


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=8),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=12,
)
_section_keys = st.sampled_from(
    [
        "subject_id",
        "phenotype",
        "signs",
        "sensory_ncs",
        "labs",
        "needle_emg",
        "strength",
        "nss",
        "response",
    ]
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(_section_keys, _json, max_size=5))
def test_any_document_gives_findings_or_a_typed_error(doc):
    try:
        c = clinical_from_dict(doc)
    except (ncs_emg.FormatError, ncs_emg.ParameterError) as exc:
        assert "'" in str(exc)  # names the key
    else:
        assert c.subject_id
        json.dumps(c.to_dict())
