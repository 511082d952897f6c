"""``ncs-emg eligibility`` and ``ncs-emg cohort`` in process, and simulated studies end to end
(waveforms → measures → segments → criteria → decision)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import ncs_emg
from ncs_emg.cli import main
from ncs_emg.eligibility import assess_eligibility, clinical_from_dict

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "cohort"
PATIENT = FIXTURES / "patient_mmn_like.toml"
SETS = ("katz2002", "aan1991", "efns_pns2010_mmn")


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- ncs-emg eligibility --------------------------------------------------------------------------


def test_eligibility_json_from_values_csv(capsys):
    code, out, _ = _run(
        capsys, "eligibility", str(FIXTURES / "values_normal.csv"), "--clinical", str(PATIENT),
        "--format", "json",
    )  # fmt: skip
    assert code == 0
    d = json.loads(out)
    from ncs_emg.cli.eligibility import JSON_KEYS  # the keys scripts may rely on

    assert JSON_KEYS == (
        "category",
        "phenotype",
        "reasons",
        "missing",
        "criteria_summary",
        "evidence",
    )
    assert set(JSON_KEYS) <= set(d)
    assert (d["category"], d["phenotype"]) == ("eligible", "mmn_like")
    for f in d["reasons"]:
        assert {"rule", "met", "value", "threshold", "unit", "reason", "source"} <= set(f)
        assert f["source"]
    assert "3 of 31" in d["evidence"]["statement"]


def test_eligibility_table_page(capsys):
    code, out, _ = _run(
        capsys, "eligibility", str(FIXTURES / "values_forearm_cb.csv"), "--clinical", str(PATIENT)
    )
    assert code == 0
    assert "CATEGORY: mmn_candidate" in out
    assert "IVIg is the standard treatment" in out
    assert "RESPONDER PHENOTYPE: mmn_like" in out
    assert "Sources:" in out and "Research use only" in out


def test_eligibility_exclusion_criteria_option(capsys):
    args = ["eligibility", str(FIXTURES / "values_demyelinating.csv"), "--clinical", str(PATIENT)]
    code, out, _ = _run(capsys, *args, "--format", "json")
    assert code == 0 and json.loads(out)["category"] == "excluded"
    code, out, _ = _run(capsys, *args, "--format", "json", "--exclusion-criteria", "utrecht2006")
    d = json.loads(out)
    assert d["parameters"]["exclusion_criteria"] == "utrecht2006"
    assert "utrecht2006" in d["criteria_summary"]


def test_eligibility_bad_clinical_file_is_exit_1(capsys, tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("subject_id = 'x'\n[[nss]]\nitem = 'walk'\nscore = 4\n")
    code, out, err = _run(
        capsys, "eligibility", str(FIXTURES / "values_normal.csv"), "--clinical", str(bad)
    )
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "nss[0].score' = 4" in err


def test_eligibility_without_clinical_is_a_usage_error(capsys):
    code, _, err = _run(capsys, "eligibility", str(FIXTURES / "values_normal.csv"))
    assert code == 2 and "--clinical" in err


# --- ncs-emg cohort -------------------------------------------------------------------------------


def test_cohort_table_json_csv(capsys):
    table = str(FIXTURES / "simon2013_cohort.csv")
    code, out, _ = _run(capsys, "cohort", table)
    assert code == 0
    assert "response: 3/31 = 9.7 % (Wilson 95 % CI 3.3-24.9 %)" in out
    assert "mmn_like_phenotype *" in out
    code, out, _ = _run(capsys, "cohort", table, "--format", "json")
    d = json.loads(out)
    assert d["response"]["count"] == 3 and d["n_patients"] == 31
    assert {x["diagnosis"]: x["n"] for x in d["diagnoses"]}["als"] == 12
    code, out, _ = _run(capsys, "cohort", table, "--format", "csv")
    lines = out.splitlines()
    assert lines[0].startswith("feature,test,responders,nonresponders,statistic,p_value")
    assert len(lines) == 1 + 9


def test_cohort_errors_are_exit_1(capsys, tmp_path):
    dup = tmp_path / "dup.csv"
    dup.write_text("subject_id,responder\na,true\na,false\n")
    code, _, err = _run(capsys, "cohort", str(dup))
    assert code == 1 and "'a' appears more than once" in err
    none = tmp_path / "none.csv"
    none.write_text("subject_id,age\na,3\n")
    code, _, err = _run(capsys, "cohort", str(none))
    assert code == 1 and "no response column" in err


# --- simulated studies, end to end ----------------------------------------------------------------


@pytest.fixture(scope="module")
def simulated():
    cache = {}

    def get(preset: str):
        if preset not in cache:
            study = ncs_emg.simulate_study(preset, rng=1).study
            cache[preset] = ncs_emg.analyze(study, criteria=SETS)
        return cache[preset]

    return get


def _patient(**signs):
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover
        import tomli as tomllib

    doc = tomllib.loads(PATIENT.read_text())
    doc["signs"].update(signs)
    return clinical_from_dict(doc)


def test_simulated_mmn_study_is_an_mmn_candidate(simulated):
    r = assess_eligibility(_patient(), simulated("mmn"))
    assert r.category == "mmn_candidate"
    assert {f.nerve for f in r.reasons if f.rule.startswith("cb_")} == {
        "right ulnar (ADM)",
        "left median (APB)",
    }  # the simulator's blocked forearm segments
    assert {f.to_site for f in r.reasons if f.rule == "cb_area"} >= {"below elbow", "elbow"}
    assert r.mmn.conduction_block in ("definite", "probable")
    assert all(f.source for f in r.reasons)


def test_simulated_cidp_study_is_excluded_not_mmn(simulated):
    r = assess_eligibility(_patient(), simulated("cidp"))
    assert r.category == "excluded"
    assert {"conduction_block", "demyelinating_slowing"} <= {f.rule for f in r.reasons}
    assert r.criteria_summary["efns_pns2010_mmn"]["conduction_block"] == "none"


def test_simulated_als_study_with_umn_signs_is_excluded(simulated):
    r = assess_eligibility(_patient(babinski=True, hyperreflexia=True), simulated("als"))
    assert r.category == "excluded"
    assert {"umn_babinski", "umn_hyperreflexia"} <= {f.rule for f in r.reasons}
    assert r.criteria_summary["katz2002"]["conduction_block"] == "none"


def test_simulated_study_file_through_the_cli(capsys, tmp_path):
    path = tmp_path / "mmn.h5"
    ncs_emg.write_study(ncs_emg.simulate_study("mmn", rng=1).study, path)
    code, out, _ = _run(
        capsys, "eligibility", str(path), "--clinical", str(PATIENT), "--format", "json"
    )
    assert code == 0
    assert json.loads(out)["category"] == "mmn_candidate"
