"""EDF ↔ Study mapping: the EDF+D sweep convention, stimulus texts, sidecar, cutting continuous files."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

import ncs_emg
from ncs_emg import Nerve, Site, Study, Sweeps
from ncs_emg.errors import FormatError, ParameterError, UnitError
from ncs_emg.io import EdfSignal, read_edf, write_edf
from ncs_emg.io.edf_study import parse_stimulus, parse_stimulus_text, parse_xml_note

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = sorted((ROOT / "data" / "fixtures").glob("*.h5"))
EDF_FIX = ROOT / "data" / "fixtures" / "edf"


def _assert_round_trip(a: Study, b: Study, step_mv: dict[str, float]):
    assert (b.subject_id, b.date, b.device) == (a.subject_id, a.date, a.device)
    assert b.source["written_source"] == json.loads(json.dumps(a.source, default=str))
    assert len(a.nerves) == len(b.nerves)
    for na, nb in zip(a.nerves, b.nerves, strict=True):
        for f in ("nerve", "side", "muscle", "kind", "lff_hz", "hff_hz", "temperature_c",
                  "polarity_flipped"):  # fmt: skip
            assert getattr(na, f) == getattr(nb, f), f
        pairs = [(sa.sweeps, sb.sweeps) for sa, sb in zip(na.sites, nb.sites, strict=True)]
        assert [s.name for s in na.sites] == [s.name for s in nb.sites]
        for sa, sb in zip(na.sites, nb.sites, strict=True):
            for f in ("distance_mm", "segment", "stim_intensity_ma", "pulse_width_ms"):
                assert getattr(sa, f) == getattr(sb, f), (sa.name, f)
        assert (na.fwaves is None) == (nb.fwaves is None)
        if na.fwaves is not None:
            pairs.append((na.fwaves, nb.fwaves))
        for wa, wb in pairs:
            assert wb.sfreq_hz == wa.sfreq_hz and wb.t0_ms == wa.t0_ms
            assert wb.data.shape == wa.data.shape
            np.testing.assert_array_equal(wb.accepted, wa.accepted)
            key = f"{na.nerve}@{wa.sfreq_hz}"
            assert np.max(np.abs(wb.data - wa.data)) <= step_mv[key]


def _steps(path: Path, study: Study) -> dict[str, float]:
    """One digital step in mV per (nerve, rate), from the written file's header."""
    rec = read_edf(path)
    out = {}
    for n in study.nerves:  # one signal per sampling rate, shared by the nerves at that rate
        for s in rec.signals:
            out[f"{n.nerve}@{s.sfreq_hz}"] = abs(s.gain) * 1e-3
    return out


# ---- EDF+D round trip -------------------------------------------------------------------------------


@pytest.mark.parametrize("fixture", FIXTURES, ids=[f.stem for f in FIXTURES])
def test_edfplus_d_round_trip_of_every_fixture(tmp_path, fixture):
    """EDF+ NCS convention: write_study → EDF+D → read_study keeps sites, distances, t0, data."""
    a = ncs_emg.read_study(fixture)
    out = ncs_emg.write_study(a, tmp_path / "x.edf")
    rec = read_edf(out)
    assert rec.file_type == "EDF+D" and not rec.is_continuous and rec.issues == ()
    b = ncs_emg.read_study(out)
    assert b.source["format"] == "EDF+D" and b.source["issues"] == []
    _assert_round_trip(a, b, _steps(out, a))


def test_bdfplus_d_round_trip_simulated_study_mixed_rates_lengths(tmp_path):
    """One nerve with two sampling rates and sweep lengths, t0 > 0, rejected sweeps; BDF+D."""
    rng = np.random.default_rng(3)
    sites = (
        Site("wrist", Sweeps(rng.normal(0, 2, (3, 900)), 20000.0, -5.0, [True, False, True]),
             70.0, "distal", 20.0, 0.2),
        Site("elbow", Sweeps(rng.normal(0, 2, (2, 500)), 10000.0, 1.25), 230.5, "forearm"),
        Site("axilla", Sweeps(rng.normal(0, 2, (1, 400)), 20000.0, -2.0), None, None, 30.0),
    )  # fmt: skip
    fw = Sweeps(rng.normal(0, 0.2, (4, 1000)), 20000.0, -5.0)
    study = Study(
        (
            Nerve(
                "ulnar", "left", "ADM", sites=sites, fwaves=fw, lff_hz=10.0, polarity_flipped=True
            ),
            Nerve("tibial", "right", None, kind="fwave", fwaves=fw),
        ),
        subject_id="p 01",
        date="2026-01-02",
        device=None,
        source={"note": "unit test"},
    )
    out = ncs_emg.write_study(study, tmp_path / "x.bdf")
    rec = read_edf(out)
    assert rec.file_type == "BDF+D" and rec.is_bdf
    back = ncs_emg.read_study(out)
    _assert_round_trip(study, back, _steps(out, study))
    assert back.nerves[0].polarity_flipped  # carried, not re-flipped
    np.testing.assert_allclose(back.nerves[0].sites[0].sweeps.data, sites[0].sweeps.data, atol=1e-6)


def test_write_study_rejects_rates_without_common_record_duration(tmp_path):
    sw = Sweeps(np.zeros((1, 100)), 3333.3333, 0.0)
    study = Study((Nerve("median", sites=(Site("wrist", sw),)),))
    with pytest.raises(ParameterError, match="whole number of samples"):
        ncs_emg.write_study(study, tmp_path / "x.edf")


# ---- stimulus annotations -----------------------------------------------------------------------------


def test_edfplus_spec_stimulus_phrasing_parsed():
    f = parse_stimulus_text("Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording site")
    assert f == {
        "side": "right",
        "site": "wrist",
        "pulse_width_ms": 0.2,
        "intensity_ma": 8.2,
        "recording_distance_mm": 65.0,
    }
    g = parse_stimulus_text("Stim L below elbow 100us x 15,5 mA at 240 mm")
    assert g["side"] == "left" and g["site"] == "below elbow"
    assert g["pulse_width_ms"] == pytest.approx(0.1) and g["intensity_ma"] == 15.5
    assert g["recording_distance_mm"] == 240.0
    assert parse_stimulus_text("Stimulus") == {}
    assert parse_stimulus_text("Recording starts") is None
    assert parse_stimulus_text("Stimulus Erb 0.5ms x 120V")["intensity_v"] == 120.0


def test_edf_xmlnote_fields_and_unit_conversion():
    text = (
        "<EDF_XMLnote><stimulus><position>elbow</position><duration unit='us'>200</duration>"
        "<intensity unit='mA'>12</intensity><distance unit='cm'>28.5</distance></stimulus>"
        "<nerve>median</nerve><segment>forearm</segment><accepted>0</accepted></EDF_XMLnote>"
    )
    f = parse_xml_note(text)
    assert f["site"] == "elbow" and f["pulse_width_ms"] == pytest.approx(0.2)
    assert f["intensity_ma"] == 12 and f["recording_distance_mm"] == 285.0
    assert f["nerve"] == "median" and f["segment"] == "forearm" and f["accepted"] is False
    assert parse_stimulus("Stimulus wrist 0.1ms x 5mA " + text)["site"] == "elbow"  # XML wins
    with pytest.raises(ValueError, match="DOCTYPE"):
        parse_xml_note('<EDF_XMLnote><!DOCTYPE x [<!ENTITY a "b">]><site>&a;</site></EDF_XMLnote>')
    with pytest.raises(ValueError, match="unknown length unit"):
        parse_xml_note("<EDF_XMLnote><distance unit='furlong'>1</distance></EDF_XMLnote>")


def test_golden_vendor_edfd_with_sidecar():
    """EDF+ spec NCS example: sweeps per record, sites and distances from the phrasing + sidecar."""
    exp = json.loads((EDF_FIX / "vendor_edfd.expected.json").read_text())
    study = ncs_emg.read_study(EDF_FIX / exp["file"])
    assert (study.subject_id, study.date, study.device) == (
        exp["subject_id"],
        exp["date"],
        exp["device"],
    )
    assert study.source["sidecar"].endswith("vendor_edfd.edf.json")
    (n,) = study.nerves
    for k, v in exp["nerve"].items():
        assert getattr(n, k) == v, k
    assert len(n.sites) == len(exp["sites"])
    for s, e in zip(n.sites, exp["sites"], strict=True):
        assert s.name == e["name"] and s.segment == e["segment"]
        assert s.distance_mm == pytest.approx(e["distance_mm"], abs=1e-9)
        assert (
            s.stim_intensity_ma == e["stim_intensity_ma"]
            and s.pulse_width_ms == e["pulse_width_ms"]
        )
        assert s.sweeps.t0_ms == pytest.approx(e["t0_ms"], abs=1e-12)
        assert s.sweeps.sfreq_hz == e["sfreq_hz"]
        np.testing.assert_allclose(s.sweeps.data, e["data_mv"], rtol=0, atol=exp["tolerance_mv"])


def test_vendor_edfd_without_sidecar_and_with_dict_sidecar():
    path = EDF_FIX / "vendor_edfd.edf"
    bare = ncs_emg.read_study(path, sidecar=None)
    assert bare.nerves[0].sites[0].segment is None
    # side, nerve and muscle from the label through the anatomy table, reported as inferred
    assert (bare.nerves[0].nerve, bare.nerves[0].side, bare.nerves[0].muscle) == (
        "median",
        "right",
        "APB",
    )
    assert any("inferred from the label" in i for i in bare.source["issues"])
    sc = {
        "subject_id": "override",
        "signals": {"R Median APB": {"nerve": "ulnar", "muscle": "ADM", "temperature_c": 32.5}},
        "sites": {"elbow": {"name": "below elbow", "distance_mm": 210.0}},
    }
    s = ncs_emg.read_study(path, sidecar=sc)
    n = s.nerves[0]
    assert s.subject_id == "override" and n.nerve == "ulnar" and n.muscle == "ADM"
    assert n.temperature_c == 32.5
    assert [x.name for x in n.sites] == ["wrist", "below elbow"] and n.sites[1].distance_mm == 210
    with pytest.raises(FormatError, match=r"unknown key 'musle'"):
        ncs_emg.read_study(path, sidecar={"signals": {"R Median APB": {"musle": "APB"}}})
    with pytest.raises(FormatError, match=r"distance_mm: expected"):
        ncs_emg.read_study(path, sidecar={"sites": {"wrist": {"distance_mm": "70"}}})


def test_display_polarity_flipped_once_and_recorded():
    path = EDF_FIX / "vendor_edfd.edf"
    plain = ncs_emg.read_study(path, sidecar=None)
    flipped = ncs_emg.read_study(path, sidecar={"display_polarity": True})
    assert flipped.nerves[0].polarity_flipped and not plain.nerves[0].polarity_flipped
    np.testing.assert_array_equal(
        flipped.nerves[0].sites[0].sweeps.data, -plain.nerves[0].sites[0].sweeps.data
    )
    again = ncs_emg.read_study(path, sidecar=None, display_polarity=True)
    np.testing.assert_array_equal(
        again.nerves[0].sites[1].sweeps.data, flipped.nerves[0].sites[1].sweeps.data
    )
    assert flipped.source["polarity_flipped_signals"] == ["R Median APB"]


def _edfd(tmp_path, texts, *, unit="uV", offsets_s=None, name="d.edf"):
    """EDF+D via write_edf: one 10-kHz signal, one 20-ms record per text."""
    n = len(texts)
    x = np.tile(np.linspace(-100, 100, 200), n)
    onsets = [2.0 * k for k in range(n)]
    offs = offsets_s or [0.005] * n
    anns = [(on + off, None, t) for on, off, t in zip(onsets, offs, texts, strict=True)]
    p = tmp_path / name
    write_edf(
        p,
        [EdfSignal.from_data(x, 10000, label="APB", unit=unit)],
        file_type="EDF+D",
        record_duration_s=0.02,
        record_onsets_s=onsets,
        annotations=anns,
    )
    return p


def test_pluggable_annotation_parser(tmp_path):
    p = _edfd(tmp_path, ["S1 Wrist 25mA", "S2 Elbow 30mA", "S1 Wrist 27mA", "Note: patient moved"])

    def vendor(text):
        parts = text.split()
        if not parts[0].startswith("S"):
            return None
        if parts[0] == "S9":
            raise ValueError("bad site")
        return {
            "site": parts[1].lower(),
            "intensity_ma": float(parts[2][:-2]),
            "site_index": int(parts[0][1]),
        }

    s = ncs_emg.read_study(
        p, annotation_parser=vendor, sidecar={"signals": {"APB": {"nerve": "median"}}}
    )
    n = s.nerves[0]
    assert [x.name for x in n.sites] == ["wrist", "elbow"]
    assert n.sites[0].sweeps.n_sweeps == 2 and n.sites[0].stim_intensity_ma == 27.0
    assert n.sites[0].sweeps.t0_ms == -5.0
    assert any("1 records without a stimulus" in i for i in s.source["issues"])


def test_parser_errors_reported_and_reading_continues(tmp_path):
    p = _edfd(tmp_path, ["Stimulus wrist", "<EDF_XMLnote><accepted>maybe</accepted></EDF_XMLnote>"])
    s = ncs_emg.read_study(p)
    assert s.nerves[0].sites[0].sweeps.n_sweeps == 1
    assert any("expected 0/1" in i for i in s.source["issues"])


def test_stimulus_offsets_aligned_to_whole_samples(tmp_path):
    p = _edfd(tmp_path, ["Stimulus wrist"] * 3, offsets_s=[0.005, 0.0051, 0.00504])
    site = ncs_emg.read_study(p).nerves[0].sites[0]
    # t0 -5.0, -5.1, -5.04 ms at 0.1 ms/sample: the second sweep drops its first sample, the third
    # is 0.04 ms off the grid (reported, not resampled); common window -5.0 ms, 199 samples
    assert site.sweeps.t0_ms == -5.0 and site.sweeps.n_samples == 199
    issues = ncs_emg.read_study(p).source["issues"]
    assert any("fraction of a sample" in i for i in issues)


def test_unknown_voltage_unit_is_unit_error_naming_signal(tmp_path):
    p = _edfd(tmp_path, ["Stimulus wrist"], unit="degC")
    with pytest.raises(UnitError, match=r"signal 0 \('APB'\) physical dimension"):
        ncs_emg.read_study(p)


def test_uncalibrated_signal_refused_unless_excluded(tmp_path):
    x = np.zeros(400)
    p = tmp_path / "u.edf"
    write_edf(
        p,
        [
            EdfSignal.from_data(x, 10000, label="APB", physical_range=(-1, 1)),
            EdfSignal.from_data(x, 10000, label="flat", physical_range=(-1, 1)),
        ],
        file_type="EDF+D",
        record_duration_s=0.02,
        annotations=[(0.005, None, "Stimulus wrist")],
    )
    b = bytearray(p.read_bytes())
    off = 256 + 3 * (16 + 80 + 8) + 3 * 8 + 8  # second signal's physical maximum
    b[off : off + 8] = b"-1      "
    p.write_bytes(bytes(b))
    with pytest.raises(FormatError, match=r"signal 1 \('flat'\) is uncalibrated"):
        ncs_emg.read_study(p)
    s = ncs_emg.read_study(p, sidecar={"signals": {"flat": {"include": False}}})
    # the label names the muscle only: the anatomy table gives the nerve (APB -> median)
    assert [(n.nerve, n.muscle) for n in s.nerves] == [("median", "APB")]


# ---- continuous files: cutting --------------------------------------------------------------------------


def _continuous(tmp_path, *, trigger=False):
    fs = 20000
    rng = np.random.default_rng(5)
    x = rng.normal(0, 5, fs * 2)
    stim_s = [0.3, 0.9, 1.5]
    trig = np.zeros(fs * 2)
    for t in stim_s:
        i = round(t * fs)
        x[i + 60 : i + 100] -= 2000.0  # a "response" 3 ms after each stimulus
        trig[i : i + 20] = 5.0
    sigs = [EdfSignal.from_data(x, fs, label="L Ulnar ADM")]
    if trigger:
        sigs.append(EdfSignal.from_data(trig, fs, label="Trigger", unit="V"))
        anns = []
        ft = "EDF"
    else:
        anns = [(t, None, f"Stimulus left wrist 0.2ms x {10 + k}mA") for k, t in enumerate(stim_s)]
        ft = "EDF+C"
    p = tmp_path / ("trig.edf" if trigger else "cont.edf")
    write_edf(p, sigs, file_type=ft, record_duration_s=0.5, annotations=anns)
    return p, x, stim_s, fs


@pytest.mark.parametrize("trigger", [False, True])
def test_continuous_file_cut_around_stimuli(tmp_path, trigger):
    p, x, stim_s, fs = _continuous(tmp_path, trigger=trigger)
    kw = {"trigger_signal": "Trigger"} if trigger else {}
    s = ncs_emg.read_study(p, pre_ms=5, post_ms=20, sidecar={"cut": {"site": "wrist"}}, **kw)
    (n,) = s.nerves
    assert n.nerve == "ulnar" and n.side == "left"
    (site,) = n.sites
    assert site.name == "wrist"
    sw = site.sweeps
    assert sw.n_sweeps == 3 and sw.t0_ms == -5.0 and sw.n_samples == 500 and sw.sfreq_hz == fs
    step = abs(read_edf(p).signals[0].gain) * 1e-3
    for k, t in enumerate(stim_s):
        i0 = round(t * fs) - 100
        np.testing.assert_allclose(sw.data[k], x[i0 : i0 + 500] * 1e-3, atol=step)
    if not trigger:
        assert site.stim_intensity_ma == 12.0


def test_continuous_file_without_stimuli_is_formaterror(tmp_path):
    p = tmp_path / "none.edf"
    write_edf(p, [EdfSignal.from_data(np.zeros(100), 100, label="a")], file_type="EDF")
    with pytest.raises(FormatError, match="without stimulus annotations or trigger"):
        ncs_emg.read_study(p)


def test_edfplus_d_keeps_per_sweep_stimulus_parameters(tmp_path):
    """EDF+ NCS convention: each record's stimulus text carries that sweep's 'PW ms x I mA'."""
    x = np.zeros((3, 400))
    x[:, 150:250] = -np.hanning(100) * 4
    sw = Sweeps(
        x, 20000.0, -5.0, stim_intensity_ma=[12.0, 15.5, 19.0], pulse_width_ms=[0.1, 0.2, 0.2]
    )
    st = Study((Nerve("median", "right", "APB", sites=(Site("wrist", sw, 70.0, "distal"),)),))
    out = ncs_emg.write_study(st, tmp_path / "p.edf")
    texts = [a.text for a in read_edf(out).annotations if a.text.startswith("Stimulus")]
    assert texts[1] == "Stimulus right wrist 0.2ms x 15.5mA at 7cm from recording site"
    back = ncs_emg.read_study(out).nerves[0].sites[0].sweeps
    np.testing.assert_array_equal(back.stim_intensity_ma, [12.0, 15.5, 19.0])
    np.testing.assert_array_equal(back.pulse_width_ms, [0.1, 0.2, 0.2])
