"""``ncs-emg analyze``: table, JSON (= StudyReport.to_dict()), CSV findings, lab files, errors."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from ncs_emg import analyze, read_study
from ncs_emg.cli import main

ROOT = Path(__file__).resolve().parents[1]
BLOCK = str(ROOT / "data" / "fixtures" / "block_ulnar.h5")


def test_analyze_table_shows_ladder_verdicts_and_study_summary(capsys):
    assert main(["analyze", BLOCK]) == 0
    out = capsys.readouterr().out
    assert "wrist→below elbow" in out and "ulnar forearm" in out
    assert "efns_pns2010_mmn" in out and "definite" in out
    assert "== study" in out and "not a medical device" in out


def test_analyze_json_is_the_report_document(capsys):
    assert main(["analyze", BLOCK, "--format", "json", "--criteria", "katz2002,aan1991"]) == 0
    doc = json.loads(capsys.readouterr().out)
    expected = analyze(read_study(BLOCK), criteria="katz2002,aan1991").to_dict()
    assert doc == json.loads(json.dumps(expected))
    assert [c["id"] for c in doc["criteria"]] == ["katz2002", "aan1991"]
    assert doc["summary"]["katz2002"]["conduction_block"] == "present"


def test_analyze_csv_long_form_findings(capsys):
    assert main(["analyze", BLOCK, "--format", "csv", "--criteria", "efns_pns2010_mmn"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows and {r["criteria"] for r in rows} == {"efns_pns2010_mmn"}
    met = [r for r in rows if r["rule"] == "cb_definite" and r["met"] == "True"]
    assert met[0]["from_site"] == "wrist" and met[0]["to_site"] == "below elbow"


def test_analyze_values_csv_and_lab_files(tmp_path, capsys):
    values = tmp_path / "v.csv"
    values.write_text(
        "nerve,side,muscle,site,segment,distance_mm,onset_latency_ms,neg_peak_amp_mv,"
        "peak_to_peak_amp_mv,neg_area_mv_ms,neg_duration_ms,total_duration_ms\n"
        "median,L,APB,wrist,median distal,70,3.5,8,14,20,5,10\n"
        "median,L,APB,elbow,median forearm,230,7.6,7.5,13,19,5.2,10.4\n"
    )
    limits = tmp_path / "lab.toml"
    limits.write_text(
        'name = "lab"\nsource = "our lab"\n[[limits]]\nnerve = "median"\nmeasure = "cv_m_s"\n'
        'kind = "lower"\nvalue = 60\nunit = "m/s"\nstatistic = "LLN"\n'
    )
    crit = tmp_path / "mine.toml"
    crit.write_text(
        'id = "mine"\nsource = "lab"\n[[rules]]\nid = "cv"\ncategory = "demyelinating"\n'
        'measure = "cv_pct_lln"\ncomparison = "<"\nthreshold = 95\nunit = "% LLN"\n'
    )
    argv = [
        "analyze",
        str(values),
        "--limits",
        str(limits),
        "--criteria-file",
        str(crit),
        "--format",
        "json",
    ]
    assert main(argv) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [c["id"] for c in doc["criteria"]] == ["mine"]
    f = doc["nerves"][0]["findings"][0]
    assert f["met"] is True and f["threshold"] == 95  # 230/4.1 = 56.1 m/s = 93.5 % of the lab's 60


def test_analyze_errors_exit_1_with_one_line(tmp_path, capsys):
    assert main(["analyze", BLOCK, "--criteria", "aaem1999"]) == 1
    err = capsys.readouterr().err
    assert "not available" in err and err.count("\n") == 1
    assert main(["analyze", BLOCK, "--criteria", "nope"]) == 1
    capsys.readouterr()
    bad = tmp_path / "bad.toml"
    bad.write_text(
        'id = "x"\nsource = "s"\n[[rules]]\nid = "r"\ncategory = "cb"\nmeasure = "amp_reduction_pct"\ncomparison = "~"\nthreshold = 3\nunit = "%"\n'
    )
    assert main(["analyze", BLOCK, "--criteria-file", str(bad)]) == 1
    err = capsys.readouterr().err
    assert "bad.toml" in err and "'r'" in err and "comparison" in err
    assert main(["analyze", str(tmp_path / "none.csv")]) == 1
    assert main(["analyze", BLOCK, "--sweep", "mean"]) == 2
