"""ncs-emg info / convert / measure on EDF files, called in process."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

import ncs_emg
from ncs_emg.cli import main
from ncs_emg.io import EdfSignal, write_edf

ROOT = Path(__file__).resolve().parents[1]
EDF_FIX = ROOT / "data" / "fixtures" / "edf"
H5 = ROOT / "data" / "fixtures" / "normal_median.h5"


def test_info_edf_shows_header_signals_records_annotations_issues(capsys):
    assert main(["info", str(EDF_FIX / "odd_header.edf")]) == 0
    out = capsys.readouterr().out
    assert "EDF+C" in out and "M\u00fcller" in out
    assert "records:   3 of 0.5 s (header claims -1)" in out
    assert "EMG" in out and "100.000" in out  # label and sampling rate
    assert "Stimulus wrist" in out and "caf\u00e9 latin-1" in out
    assert "malformed TAL" in out and "partial last record" in out
    assert "nerves:   1" in out and "wrist" in out  # study part: cut around the one stimulus


def test_info_edf_json_has_edf_and_study(capsys):
    assert main(["info", "--format", "json", str(EDF_FIX / "vendor_edfd.edf")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["edf"]["file_type"] == "EDF+D" and doc["edf"]["n_records"] == 4
    assert [a["text"][:8] for a in doc["edf"]["annotations"]] == ["Stimulus"] * 4
    assert [s["name"] for s in doc["nerves"][0]["sites"]] == ["wrist", "elbow"]


def test_info_edf_not_a_study_still_shows_edf(tmp_path, capsys):
    p = tmp_path / "plain.edf"
    write_edf(p, [EdfSignal.from_data(np.zeros(200), 100, label="EEG")], file_type="EDF")
    assert main(["info", str(p)]) == 0
    out = capsys.readouterr().out
    assert "EEG" in out and "not readable as a study" in out


def test_bad_edf_exits_1_with_one_stderr_line(tmp_path, capsys):
    p = tmp_path / "bad.edf"
    p.write_bytes(b"0       " + b"x" * 300)
    for cmd in (["info", str(p)], ["measure", str(p)], ["convert", str(p), str(tmp_path / "o.h5")]):
        assert main(cmd) == 1
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "error:" in err[0] and "bad.edf" in err[0]


def test_convert_h5_to_edf_to_h5(tmp_path, capsys):
    edf = tmp_path / "s.edf"
    back = tmp_path / "s.h5"
    assert main(["convert", str(H5), str(edf)]) == 0
    assert main(["convert", str(edf), str(back)]) == 0
    out = capsys.readouterr().out
    assert "-> " in out and "3 nerves" not in out
    a, b = ncs_emg.read_study(H5), ncs_emg.read_study(back)
    assert [s.name for s in b.nerves[0].sites] == [s.name for s in a.nerves[0].sites]
    assert [s.distance_mm for s in b.nerves[0].sites] == [s.distance_mm for s in a.nerves[0].sites]
    for sa, sb in zip(a.nerves[0].sites, b.nerves[0].sites, strict=True):
        assert np.max(np.abs(sa.sweeps.data - sb.sweeps.data)) < 1e-3
    assert main(["convert", str(H5), str(edf)]) == 2  # exists: a usage error
    assert "--overwrite" in capsys.readouterr().err
    assert main(["convert", "--overwrite", "--display-polarity", str(H5), str(edf)]) == 2
    assert "EDF/BDF input only" in capsys.readouterr().err


def test_convert_edf_with_options_and_measure(tmp_path, capsys):
    out = tmp_path / "v.h5"
    assert main(["convert", "--display-polarity", str(EDF_FIX / "vendor_edfd.edf"), str(out)]) == 0
    assert ncs_emg.read_study(out).nerves[0].polarity_flipped
    capsys.readouterr()
    assert main(["measure", "--format", "json", str(EDF_FIX / "vendor_edfd.edf")]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["site"] for s in doc["sites"]] == ["wrist", "elbow"]
