"""The ncs-emg command, called in process."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import numpy as np
import pytest

import ncs_emg
from ncs_emg.cli import main

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"


@pytest.fixture
def study_file(tmp_path):
    t = -5.0 + np.arange(600) * 0.05
    x = np.where((t > 3) & (t < 11), -5 * np.sin(2 * np.pi * (t - 3) / 8), 0.0)
    sites = (
        ncs_emg.Site(
            "wrist", ncs_emg.Sweeps(np.stack([x, np.zeros_like(x)]), 20000.0, -5.0), 70.0, "distal"
        ),
        ncs_emg.Site("elbow", ncs_emg.Sweeps(x, 20000.0, -5.0), 230.0, "forearm"),
    )
    st = ncs_emg.Study(
        (ncs_emg.Nerve("median", "left", "APB", sites=sites),), subject_id="cli-test"
    )
    return ncs_emg.write_study(st, tmp_path / "s.h5")


def test_measure_table(study_file, capsys):
    assert main(["measure", str(study_file)]) == 0
    out = capsys.readouterr().out
    assert "median" in out and "wrist" in out and "elbow" in out
    # onset (at the 5 uV band floor, 1 us after the start) and amplitude of the sine CMAP
    assert "3.001" in out and "5.000" in out


def test_measure_json_uses_attribute_names(study_file, capsys):
    assert main(["measure", str(study_file), "--format", "json", "--method", "tangent"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["method"] == "tangent"
    first = doc["sites"][0]
    assert first["site"] == "wrist" and first["distance_mm"] == 70.0
    m = first["measures"]
    for key in ncs_emg.measure.CMAP_MEASURE_NAMES:
        assert len(m[key]) == 2
    assert m["neg_peak_amp_mv"][0] == pytest.approx(
        5.0, abs=0.005
    )  # 1-ms parabola on the sine peak
    assert m["onset_latency_ms"][1] is None and m["no_response"] == [False, True]


def test_measure_csv(study_file, capsys):
    assert main(["measure", str(study_file), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 3
    assert rows[0]["site"] == "wrist" and float(rows[0]["neg_peak_amp_mv"]) == pytest.approx(
        5.0, abs=0.005
    )  # 1-ms parabola on the sine peak
    assert rows[1]["onset_latency_ms"] == ""  # NaN → empty cell


def test_info(study_file, capsys):
    assert main(["info", str(study_file)]) == 0
    out = capsys.readouterr().out
    assert "cli-test" in out and "left median (APB)" in out
    assert main(["info", str(study_file), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["nerves"][0]["sites"][1]["distance_mm"] == 230.0


def test_bad_file_exits_1_with_one_line(tmp_path, capsys):
    p = tmp_path / "bad.h5"
    p.write_bytes(b"not a study")
    assert main(["measure", str(p)]) == 1
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "bad.h5" in err[0] and "Traceback" not in err[0]
    assert main(["info", str(tmp_path / "missing.h5")]) == 1


def test_usage_errors_exit_2(capsys):
    assert main([]) == 2
    assert main(["measure"]) == 2
    assert main(["measure", "x.h5", "--method", "nope"]) == 2
    assert main(["frobnicate"]) == 2
    assert main(["--version"]) == 0
    capsys.readouterr()


def test_shipped_fixture_measures(capsys):
    # the README quick start runs this
    assert main(["measure", str(FIXTURES / "normal_median.h5")]) == 0
    assert "median" in capsys.readouterr().out
