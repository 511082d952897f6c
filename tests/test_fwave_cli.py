"""`ncs-emg fwave` and the F-wave section of `ncs-emg measure`, in process, on files in tmp_path."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest

from fwave_waveforms import sine_train
from ncs_emg import Nerve, Site, Study, Sweeps, write_study
from ncs_emg.cli import main

FS = 20000.0


@pytest.fixture
def study_file(tmp_path):
    lat = [26.0, np.nan, 27.0, 28.0] * 5
    _, X, _ = sine_train(lat, 0.2, a_latency_ms=17.0)
    _, M, _ = sine_train([np.nan] * 2)
    motor = Site("wrist", Sweeps(M, FS, -5.0), distance_mm=70.0)
    nerves = (
        Nerve("ulnar", side="right", muscle="ADM", sites=(motor,), fwaves=Sweeps(X, FS, -5.0)),
        Nerve("median", side="right", muscle="APB", sites=(motor,)),  # no F train
        Nerve("tibial", muscle="AH", kind="fwave", fwaves=Sweeps(np.zeros((20, 900)), FS, -5.0)),
    )
    return write_study(Study(nerves, subject_id="S01"), tmp_path / "s.h5")


def test_fwave_json(study_file, capsys):
    assert main(["fwave", str(study_file), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [n["nerve"] for n in doc["nerves"]] == ["ulnar", "tibial"]
    u = doc["nerves"][0]["measures"]
    assert u["persistence_pct"] == 75.0 and u["n_sweeps"] == 20 and u["interpretable"]
    assert u["min_latency_ms"] == pytest.approx(26.0, abs=4 / 20.0)  # smoothed: <= 4 samples early
    assert len(u["a_waves"]) == 1
    t = doc["nerves"][1]["measures"]
    assert t["interpretable"] is False and "no M-wave" in t["reason"]
    assert t["persistence_pct"] is None


def test_fwave_table_and_csv(study_file, capsys):
    assert main(["fwave", str(study_file)]) == 0
    out = capsys.readouterr().out
    assert "persist_%" in out and "ulnar" in out and "75.000" in out
    assert main(["fwave", str(study_file), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert rows[0]["nerve"] == "ulnar" and float(rows[0]["persistence_pct"]) == 75.0
    assert rows[1]["interpretable"] == "False" and rows[1]["min_latency_ms"] == ""
    assert main(["fwave", str(study_file), "--format", "csv", "--sweeps"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert len(rows) == 40 and rows[1]["present"] == "False" and rows[1]["onset_latency_ms"] == ""


def test_fwave_threshold_option(study_file, capsys):
    assert main(["fwave", str(study_file), "--format", "json", "--threshold-mv", "0.5"]) == 0
    u = json.loads(capsys.readouterr().out)["nerves"][0]["measures"]
    assert u["persistence_pct"] == 0.0 and u["parameters"]["threshold_mv"] == 0.5


def test_measure_has_fwave_section_and_keeps_its_keys(study_file, capsys):
    assert main(["measure", str(study_file), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {"file", "ncs_emg_version", "subject_id", "method", "sites"} <= set(doc)
    assert [f["nerve"] for f in doc["fwaves"]] == ["ulnar", "tibial"]
    assert doc["fwaves"][0]["measures"]["persistence_pct"] == 75.0
    assert main(["measure", str(study_file)]) == 0
    out = capsys.readouterr().out
    assert "F-waves" in out and "persist_%" in out


def test_fwave_missing_file_is_exit_1(tmp_path, capsys):
    assert main(["fwave", str(tmp_path / "nope.h5")]) == 1
    assert "ncs-emg fwave: error" in capsys.readouterr().err
