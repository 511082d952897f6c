"""EDF/BDF format layer against independent implementations (pyEDFlib, edfio) and golden files.

Test names cite the EDF / EDF+ specification clause they check.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import edfio
import numpy as np
import pyedflib
import pytest

from ncs_emg.io import EdfSignal, read_edf, write_edf

FIX = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "edf"


def _signals(rng, n_sec=3, rates=(200, 100)):
    return [rng.normal(0.0, 40.0, int(n_sec * r)) for r in rates]


def _step(sig):
    return abs(sig.gain)


# ---- files written by pyEDFlib --------------------------------------------------------------------


@pytest.mark.parametrize(
    "file_type, ext",
    [
        (pyedflib.FILETYPE_EDF, ".edf"),
        (pyedflib.FILETYPE_EDFPLUS, ".edf"),
        (pyedflib.FILETYPE_BDF, ".bdf"),
        (pyedflib.FILETYPE_BDFPLUS, ".bdf"),
    ],
)
def test_spec_calibration_and_tal_read_pyedflib_files(tmp_path, rng, file_type, ext):
    """EDF spec 'physical = (digital - dmin) * gain + pmin'; EDF+ 2.2 TALs; BDF 24-bit samples."""
    x = _signals(rng)
    path = tmp_path / f"pyedflib{ext}"
    w = pyedflib.EdfWriter(str(path), 2, file_type=file_type)
    bdf = ext == ".bdf"
    dig = (-8388608, 8388607) if bdf else (-32768, 32767)
    for i, rate in enumerate((200, 100)):
        w.setSignalHeader(
            i,
            dict(
                label=f"ch{i}",
                dimension="uV",
                sample_frequency=rate,
                physical_min=-300.0,
                physical_max=300.0,
                digital_min=dig[0],
                digital_max=dig[1],
                transducer="AgAgCl",
                prefilter="HP:2Hz",
            ),
        )
    w.writeSamples(x)
    plus = file_type in (pyedflib.FILETYPE_EDFPLUS, pyedflib.FILETYPE_BDFPLUS)
    notes = [(0.5, -1, "Stimulus right wrist"), (1.25, 0.5, "caf\u00e9 note")]
    if plus:
        for on, du, text in notes:
            w.writeAnnotation(on, du, text)
    w.close()

    rec = read_edf(path)
    assert rec.file_type == ("BDF" if bdf else "EDF") + ("+C" if plus else "")
    assert rec.n_records == 3 and rec.record_duration_s == 1.0
    assert [s.label for s in rec.signals] == ["ch0", "ch1"]
    for s, xi, rate in zip(rec.signals, x, (200, 100), strict=True):
        assert s.sfreq_hz == rate and s.unit == "uV" and s.transducer == "AgAgCl"
        assert s.data.dtype == np.float64 and s.data.shape == xi.shape
        assert np.max(np.abs(s.data - xi)) <= _step(s)
    if plus:
        got = [(a.onset_s, a.duration_s, a.text) for a in rec.annotations]
        assert got == [(0.5, None, "Stimulus right wrist"), (1.25, 0.5, "caf\u00e9 note")]
        np.testing.assert_array_equal(rec.record_onsets_s, [0.0, 1.0, 2.0])
    assert rec.issues == ()


def test_spec_data_equal_to_pyedflib_reader_digital_values(tmp_path, rng):
    """EDF spec: our physical values equal pyEDFlib's for the same file (same digital samples)."""
    x = _signals(rng, rates=(500,))
    path = tmp_path / "a.edf"
    w = pyedflib.EdfWriter(str(path), 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeader(
        0,
        dict(label="a", dimension="mV", sample_frequency=500, physical_min=-200, physical_max=200,
             digital_min=-32768, digital_max=32767),
    )  # fmt: skip
    w.writeSamples(x)
    w.close()
    r = pyedflib.EdfReader(str(path))
    try:
        ref = r.readSignal(0)
        ref_dig = r.readSignal(0, digital=True)
    finally:
        r.close()
    s = read_edf(path).signals[0]
    np.testing.assert_array_equal(s.digital, ref_dig)
    np.testing.assert_allclose(s.data, ref, rtol=0, atol=1e-9)


# ---- files written by edfio --------------------------------------------------------------------


@pytest.mark.parametrize("bdf", [False, True])
def test_spec_edfio_written_files_read_equal(tmp_path, rng, bdf):
    """EDF+ 2.1/2.2 and BDF: edfio files (two rates, annotations) read within one digital step."""
    x = _signals(rng, n_sec=4, rates=(250, 50))
    cls = edfio.BdfSignal if bdf else edfio.EdfSignal
    sigs = [
        cls(x[0], 250, label="EMG1", physical_dimension="uV", physical_range=(-250, 250)),
        cls(x[1], 50, label="TRIG", physical_dimension="V", physical_range=(-250, 250)),
    ]
    ann = [
        edfio.EdfAnnotation(0.1, None, "Stimulus left elbow"),
        edfio.EdfAnnotation(3.5, 0.25, "x"),
    ]
    kind = edfio.Bdf if bdf else edfio.Edf
    f = kind(sigs, annotations=ann, starttime=dt.time(11, 12, 13))
    path = tmp_path / ("e.bdf" if bdf else "e.edf")
    f.write(path)
    rec = read_edf(path)
    assert rec.is_bdf is bdf and rec.is_continuous
    for s, xi in zip(rec.signals, x, strict=True):
        assert np.max(np.abs(s.data - xi)) <= _step(s)
    assert [(a.onset_s, a.duration_s, a.text) for a in rec.annotations] == [
        (0.1, None, "Stimulus left elbow"),
        (3.5, 0.25, "x"),
    ]
    assert rec.header.start.time() == dt.time(11, 12, 13)
    assert rec.issues == ()


def test_spec_plain_edf_from_edfio_without_annotations(tmp_path, rng):
    """EDF (not EDF+): no annotation signal; record onsets are k * duration."""
    x = rng.normal(0, 1, 600)
    f = edfio.Edf([edfio.EdfSignal(x, 100, label="a", physical_range=(-10, 10))])
    f.write(tmp_path / "p.edf")
    rec = read_edf(tmp_path / "p.edf")
    assert rec.file_type == "EDF" and rec.annotations == ()
    np.testing.assert_array_equal(
        rec.record_onsets_s, np.arange(rec.n_records) * rec.record_duration_s
    )
    assert np.max(np.abs(rec.signals[0].data - x)) <= _step(rec.signals[0])


# ---- our files read by pyEDFlib and edfio --------------------------------------------------------


@pytest.mark.parametrize("file_type", ["EDF+C", "BDF+C", "EDF", "BDF"])
def test_spec_our_files_read_by_pyedflib_and_edfio(tmp_path, rng, file_type):
    """Our writer: pyEDFlib and edfio read the same physical values and annotations."""
    x = _signals(rng, n_sec=2, rates=(2000, 500))
    ext = ".bdf" if file_type.startswith("BDF") else ".edf"
    path = tmp_path / f"ours{ext}"
    plus = "+" in file_type
    anns = (
        [(0.25, None, "Stimulus right wrist 0.2ms x 8.2mA"), (1.5, 0.125, "second")] if plus else []
    )
    write_edf(
        path,
        [
            EdfSignal.from_data(x[0], 2000, label="EMG", unit="uV", prefilter="HP:2Hz"),
            EdfSignal.from_data(x[1], 500, label="EMG2", unit="mV"),
        ],
        file_type=file_type,
        record_duration_s=0.5,
        annotations=anns,
        start=dt.datetime(2026, 11, 25, 9, 8, 7),
    )
    ours = read_edf(path)
    assert ours.issues == ()
    for s, xi in zip(ours.signals, x, strict=True):
        assert np.max(np.abs(s.data - xi)) <= _step(s) / 2 * (1 + 1e-9)
    r = pyedflib.EdfReader(str(path))
    try:
        for i in range(2):
            np.testing.assert_allclose(r.readSignal(i), ours.signals[i].data, rtol=0, atol=1e-9)
        assert r.getStartdatetime() == dt.datetime(2026, 11, 25, 9, 8, 7)
        on, du, tx = r.readAnnotations()
        assert [(float(a), str(c)) for a, c in zip(on, tx, strict=True)] == [
            (a, c) for a, _, c in anns
        ]
    finally:
        r.close()
    e = edfio.read_bdf(path) if ext == ".bdf" else edfio.read_edf(path)
    for i in range(2):
        np.testing.assert_allclose(e.signals[i].data, ours.signals[i].data, rtol=0, atol=1e-9)
    assert [(a.onset, a.duration, a.text) for a in e.annotations] == [tuple(a) for a in anns]


def test_spec_negative_gain_physical_min_above_max(tmp_path, rng):
    """EDF spec allows physical minimum > maximum (inverted amplifier): pyEDFlib agrees."""
    x = rng.uniform(-90, 90, 400)
    path = tmp_path / "neg.edf"
    write_edf(
        path,
        [EdfSignal.from_data(x, 200, label="inv", physical_range=(100, -100))],
        record_duration_s=1,
    )
    s = read_edf(path).signals[0]
    assert s.physical_min == 100 and s.physical_max == -100 and s.gain < 0
    assert np.max(np.abs(s.data - x)) <= abs(s.gain)
    r = pyedflib.EdfReader(str(path))
    try:
        np.testing.assert_allclose(r.readSignal(0), s.data, atol=1e-9)
    finally:
        r.close()


def test_spec_saturation_flagged_not_clamped(tmp_path):
    """Reader policy: samples at the digital limits are flagged; values are not altered."""
    x = np.array([-5.0, -1.0, 0.0, 2.0, 5.0, 5.0])
    path = tmp_path / "sat.edf"
    write_edf(path, [EdfSignal.from_data(x, 6, label="s", physical_range=(-5, 5))], file_type="EDF")
    s = read_edf(path).signals[0]
    np.testing.assert_array_equal(s.saturated, [True, False, False, False, True, True])
    assert np.max(np.abs(s.data - x)) <= abs(s.gain)


# ---- golden files -----------------------------------------------------------------------------------


def test_golden_odd_header_recovered_and_reported():
    """Reader policy (docs/edf.md): every oddity of odd_header.edf recovered and in issues."""
    exp = json.loads((FIX / "odd_header.expected.json").read_text())
    rec = read_edf(FIX / exp["file"])
    assert rec.file_type == exp["file_type"] and rec.n_records == exp["n_records"]
    assert rec.record_duration_s == exp["record_duration_s"]
    s = rec.signals[0]
    assert s.label == exp["label"] and s.sfreq_hz == exp["sfreq_hz"]
    np.testing.assert_allclose(s.data, exp["data"], rtol=0, atol=1e-12)
    assert rec.header.patient_id == exp["patient_id"]
    assert rec.header.start.isoformat() == exp["start"]
    got = [
        {"onset_s": a.onset_s, "duration_s": a.duration_s, "text": a.text, "record": a.record}
        for a in rec.annotations
    ]
    assert got == exp["annotations"]
    fields = {i.field for i in rec.issues}
    for f in exp["issue_fields"]:
        assert f in fields, f
    bad = [i for i in rec.issues if "malformed TAL" in i.value]
    assert len(bad) == 1 and bad[0].record == 1
    assert bad[0].byte_offset == exp["malformed_tal_byte_offset"]


def test_writer_refuses_data_outside_given_physical_range(tmp_path):
    from ncs_emg.errors import ParameterError

    sig = EdfSignal.from_data([0.0, 2.0], 2, label="x", physical_range=(-1, 1))
    with pytest.raises(ParameterError, match="leave the physical range"):
        write_edf(tmp_path / "x.edf", [sig], file_type="EDF")
