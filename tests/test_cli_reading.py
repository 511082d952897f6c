"""Every reading command takes the same reading options; dates, labels and anatomy as documented."""

from __future__ import annotations

import json

import numpy as np
import pytest

import ncs_emg
import reliability_corpus as corpus
from ncs_emg import Nerve, Site, Study, Sweeps
from ncs_emg.cli import main
from ncs_emg.errors import NcsEmgWarning
from ncs_emg.io import read_edf
from ncs_emg.io.edf_study import infer_from_label

pytestmark = pytest.mark.timeout(120)


@pytest.mark.parametrize("cmd", ["info", "measure", "fwave", "convert"])
def test_every_reading_command_has_the_reading_options(cmd, capsys):
    assert main([cmd, "--help"]) == 0
    out = capsys.readouterr().out
    for opt in ("--sidecar", "--display-polarity", "--pre-ms", "--post-ms", "--trigger",
                "--trigger-threshold", "--max-samples"):  # fmt: skip
        assert opt in out, (cmd, opt)


@pytest.mark.parametrize("cmd", ["info", "measure", "fwave"])
def test_edf_options_on_an_h5_file_are_a_usage_error(tmp_path, cmd, capsys):
    p = corpus.h5_study(tmp_path)
    assert main([cmd, str(p), "--pre-ms", "3"]) == 2
    assert "EDF/BDF input only" in capsys.readouterr().err


def test_measure_uses_the_sidecar_option(tmp_path, capsys):
    p = corpus.edfd_two_signals(tmp_path, ("A1", "A2"))
    sc = tmp_path / "sc.json"
    sc.write_text(json.dumps({"signals": {"A1": {"nerve": "tibial", "side": "left"}}}))
    assert main(["measure", str(p), "--format", "json", "--sidecar", str(sc)]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert {s["nerve"] for s in doc["sites"]} == {"tibial", "a2"}


def test_measure_continuous_file_with_trigger_options(tmp_path, capsys):
    fs, n = 10000, 20000
    x = np.zeros(n)
    trig = np.zeros(n)
    for k in (3000, 9000, 15000):
        trig[k : k + 20] = 5.0
        x[k + 40 : k + 120] = -3.0 * np.hanning(80)
    from ncs_emg.io import EdfSignal, write_edf

    p = tmp_path / "c.edf"
    write_edf(
        p,
        [EdfSignal.from_data(x, fs, label="R Ulnar ADM", unit="mV"),
         EdfSignal.from_data(trig, fs, label="Trig", unit="V")],
        file_type="EDF", record_duration_s=1,
    )  # fmt: skip
    argv = ["measure", str(p), "--trigger", "Trig", "--pre-ms", "2", "--post-ms", "20"]
    assert main([*argv, "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["sites"][0]["nerve"] == "ulnar" and doc["sites"][0]["muscle"] == "ADM"
    assert len(doc["sites"][0]["measures"]["neg_peak_amp_mv"]) == 3


def test_convert_to_edf_never_invents_a_date(tmp_path, capsys):
    src = corpus.h5_study(tmp_path)
    assert ncs_emg.read_study(src).date is None
    out = tmp_path / "o.edf"
    assert main(["convert", str(src), str(out)]) == 0
    rec = read_edf(out)
    assert rec.header.recording_id.startswith("Startdate X")
    assert ncs_emg.read_study(out).date is None
    dated = Study(corpus.small_study().nerves, subject_id="d", date="2026-11-25")
    back = ncs_emg.read_study(ncs_emg.write_study(dated, tmp_path / "d.edf"))
    assert back.date == "2026-11-25"


def test_header_text_longer_than_its_field_is_reported(tmp_path, capsys):
    st = Study(corpus.small_study().nerves, subject_id="s" * 90)
    with pytest.warns(NcsEmgWarning, match="study subject_id.*longer than the 74 characters"):
        p = ncs_emg.write_study(st, tmp_path / "long.edf")
    assert ncs_emg.read_study(p).subject_id == "s" * 90  # the study note keeps it exactly
    h5 = ncs_emg.write_study(st, tmp_path / "long.h5")
    assert main(["convert", str(h5), str(tmp_path / "c.edf")]) == 0
    assert "warning: study subject_id" in capsys.readouterr().err


@pytest.mark.parametrize(
    "label, expected",
    [
        ("EMG APB", {"nerve": "median", "muscle": "APB"}),
        ("R Median APB", {"side": "right", "nerve": "median", "muscle": "APB"}),
        ("L ADQ", {"side": "left", "nerve": "ulnar", "muscle": "ADM"}),
        ("Rt FDI", {"side": "right", "nerve": "ulnar", "muscle": "FDI"}),
        ("Lt. Peron. EDB", {"side": "left", "nerve": "peroneal", "muscle": "EDB"}),
        ("fibular TA", {"nerve": "peroneal", "muscle": "TA"}),
        ("R Tib AH", {"side": "right", "nerve": "tibial", "muscle": "AH"}),
        ("abductor hallucis", {"nerve": "tibial", "muscle": "AH"}),
        ("Trigger", {}),
    ],
)
def test_anatomy_table_recognises_side_nerve_and_muscle(label, expected):
    assert infer_from_label(label).to_dict() == expected


def test_inferred_label_values_are_reported(tmp_path):
    p = corpus.edfd_two_signals(tmp_path, ("EMG ADQ", "x"))
    s = ncs_emg.read_study(p)
    assert (s.nerves[0].nerve, s.nerves[0].muscle) == ("ulnar", "ADM")
    assert any(
        "signal 0 ('EMG ADQ')" in i and "nerve 'ulnar' from muscle 'ADM'" in i
        for i in s.source["issues"]
    )


def test_stimulus_text_with_unparsed_parts_is_reported_in_the_cli(tmp_path, capsys):
    p = corpus.edfd_two_signals(
        tmp_path, ("R Median APB", "x"), ("Stim R wrist 0.2ms 8.2mA 65 furlongs",) * 3
    )
    assert main(["info", str(p), "--format", "json"]) == 0
    cap = capsys.readouterr()
    assert "not understood" in cap.err
    assert any("['65', 'furlongs']" in i for i in json.loads(cap.out)["issues"])


def test_sweeps_repr_is_short():
    st = Study((Nerve("median", sites=(Site("w", Sweeps(np.zeros((200, 2000)), 20000.0)),)),) * 20)
    assert len(repr(st)) < 400 and len(repr(st.nerves[0])) < 200


def test_emit_writes_outputs_atomically_under_the_overwrite_policy(tmp_path, capsys):
    import argparse

    from ncs_emg.cli._common import UsageError, add_output_options, emit

    parser = argparse.ArgumentParser()
    parser.add_argument("file")
    add_output_options(parser)
    src = corpus.h5_study(tmp_path)
    out = tmp_path / "o.json"
    emit(parser.parse_args([str(src)]), "to stdout\n")
    assert capsys.readouterr().out == "to stdout\n"
    emit(parser.parse_args([str(src), "-o", str(out)]), "first\n")
    assert out.read_text() == "first\n"
    with pytest.raises(UsageError, match="--overwrite"):
        emit(parser.parse_args([str(src), "-o", str(out)]), "second\n")
    with pytest.raises(UsageError, match="is the input file"):
        emit(parser.parse_args([str(src), "-o", str(src), "--overwrite"]), "x")
    emit(parser.parse_args([str(src), "-o", str(out), "--overwrite"]), "second\n")
    assert out.read_text() == "second\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o.json", "s.h5"]
