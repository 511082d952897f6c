"""Regressions from the EDF review (reproductions in the review's scripts, rebuilt byte by byte here).

Policy (docs/edf.md): every problem is recovered and reported in ``issues``, or a
``FormatError`` naming the file, field and value; never a raw exception, a RuntimeWarning (tests run
with warnings as errors), a hang, or silently wrong data.
"""

from __future__ import annotations

import numpy as np
import pytest

import ncs_emg
from ncs_emg import Nerve, Site, Study, Sweeps
from ncs_emg.errors import FormatError, ParameterError
from ncs_emg.io import EdfSignal, read_edf, sniff_format, write_edf
from ncs_emg.io.edf.tal import parse_tal_block
from test_edf_robustness import _edf, _tal, _write

_ANN = dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767")


def _emg(spr=20, **kw):
    d = dict(label="EMG", unit="uV", pmin="-32768", pmax="32767", dmin="-32768", dmax="32767")
    d.update(spr=spr, **kw)
    return d


def _edfd_file(tmp_path, stim_tals, *, name="d.edf", duration="0.02", ann_spr=200, onsets=None):
    """EDF+D, one 20-sample EMG signal, record r holding the value r + 1 and the TAL bytes given."""
    onsets = onsets or [str(r) for r in range(len(stim_tals))]
    recs = [
        [np.full(20, r + 1, "<i2").tobytes(), f"+{on}\x14\x14\x00".encode() + extra]
        for r, (on, extra) in enumerate(zip(onsets, stim_tals, strict=True))
    ]
    sigs = [_emg(), dict(_ANN, spr=ann_spr)]
    return _write(tmp_path, _edf(sigs, recs, reserved="EDF+D", duration=duration), name)


# ---- 1. exponent forms and separators in integer header fields ----------------------------------


@pytest.mark.parametrize(
    "where, value, pattern",
    [
        ("n_records", "1E999999", r"number of data records: expected an integer, got '1E999999'"),
        ("spr", "1E999999", r"samples per record: expected an integer, got '1E999999'"),
        ("n_records", "1_000", r"number of data records: expected a number, got '1_000'"),
        ("dmin", "-9E999", r"digital minimum: expected an integer, got '-9E999'"),
        ("dmax", "1E5", r"digital maximum: expected an integer, got '1E5'"),
        ("pmin", "1_000", r"physical minimum: expected a number, got '1_000'"),
        ("pmin", "Infinity", r"physical minimum: expected a number, got 'Infinity'"),
    ],
)
@pytest.mark.timeout(4)  # int(Decimal("1E999999")) took ~40 s per read before the fix
def test_integer_fields_refuse_exponents_and_separators_quickly(tmp_path, where, value, pattern):
    sig = _emg(spr=4)
    kw = {}
    if where == "n_records":
        kw["n_records"] = value
    else:
        sig[where] = value
    p = _write(tmp_path, _edf([sig], [[b"\x00" * 8]], reserved="", **kw))
    with pytest.raises(FormatError, match=pattern) as exc:
        read_edf(p)
    assert str(p) in str(exc.value)
    with pytest.raises(FormatError):
        ncs_emg.read_study(p, sidecar=None)


# ---- 4. calibration beyond the float range --------------------------------------------------------


@pytest.mark.parametrize(
    "pmin, pmax, dmin, dmax, why",
    [
        ("-1e308", "1e308", "-32768", "32767", "gain inf"),
        ("-9E999", "9E999", "-32768", "32767", "beyond the float range"),
        ("1e-320", "2e-320", "-32768", "32767", "gain 0.0"),
        ("0", "1.7E308", "0", "1", "overflow a float"),
    ],
)
def test_calibration_outside_float_range_marks_signal_uncalibrated(
    tmp_path, pmin, pmax, dmin, dmax, why
):
    sig = _emg(spr=3, pmin=pmin, pmax=pmax, dmin=dmin, dmax=dmax)
    d = np.array([-7, 0, 5], "<i2").tobytes()
    rec = read_edf(_write(tmp_path, _edf([sig], [[d]], reserved="")))
    s = rec.signals[0]
    assert not s.calibrated and list(s.data) == [-7.0, 0.0, 5.0]
    (issue,) = [i for i in rec.issues if i.field == "signal 0 ('EMG') range"]
    assert why in issue.value and "uncalibrated" in issue.action


def test_small_but_representable_range_stays_calibrated(tmp_path):
    sig = _emg(spr=1, pmin="-1e-9", pmax="1e-9", dmin="-1", dmax="1")
    rec = read_edf(_write(tmp_path, _edf([sig], [[np.array([1], "<i2").tobytes()]], reserved="")))
    assert rec.signals[0].calibrated and rec.signals[0].data[0] == pytest.approx(1e-9)


# ---- 5. record durations --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "duration, pattern",
    [
        ("1e-320", r"record duration: '1e-320' with 20 samples .* sampling rate of inf Hz"),
        ("1e-400", r"record duration: '1e-400' with 20 samples .* sampling rate of inf Hz"),
        ("1E+99999", r"record duration: '1E\+99999' s is beyond 1e\+09 s"),
        ("0", r"record duration: '0' with 20 samples .* sampling rate of nan Hz"),
    ],
)
def test_record_duration_must_give_a_finite_positive_sampling_rate(tmp_path, duration, pattern):
    p = _edfd_file(tmp_path, [b"+0\x14Stimulus wrist\x14\x00"], duration=duration)
    with pytest.raises(FormatError, match=pattern):
        read_edf(p)
    with pytest.raises(FormatError, match="record duration"):
        ncs_emg.read_study(p, sidecar=None)


# ---- 2. EDF+C whose records are not contiguous -----------------------------------------------------


def _gap_file(tmp_path, stim_tals, *, trigger=False):
    """EDF+C, 1 kHz, records at 0, 3, 4, 5, 6 s (a gap after record 0); record r holds (r+1)*1000 uV."""
    onsets = ["0", "3", "4", "5", "6"]
    sigs = [_emg(spr=1000)]
    if trigger:
        sigs.append(_emg(spr=1000, label="Trigger"))
    sigs.append(dict(_ANN, spr=60))
    recs = []
    for r, on in enumerate(onsets):
        row = [np.full(1000, 1000 * (r + 1), "<i2").tobytes()]
        if trigger:
            trig = np.zeros(1000, "<i2")
            trig[500:] = 1000 if r == 1 else 0  # one rising edge: record 1 + 0.5 s = 3.5 s
            row.append(trig.tobytes())
        row.append(_tal(on, stim_tals.get(r, b"")))
        recs.append(row)
    return _write(tmp_path, _edf(sigs, recs, reserved="EDF+C"), "gap.edf")


@pytest.mark.parametrize("trigger", [False, True])
def test_edfc_with_gaps_cuts_the_sweep_from_the_record_holding_the_stimulus(tmp_path, trigger):
    tals = {} if trigger else {1: b"+3.5\x14Stimulus wrist\x14\x00"}
    p = _gap_file(tmp_path, tals, trigger=trigger)
    assert any("not contiguous" in i.value for i in read_edf(p).issues)
    kw = {"trigger_signal": "Trigger"} if trigger else {}
    s = ncs_emg.read_study(p, sidecar=None, **kw)
    sw = s.nerves[0].sites[0].sweeps
    assert sw.n_sweeps == 1 and sw.n_samples == 50 and sw.t0_ms == -5.0
    np.testing.assert_array_equal(sw.data, 2.0)  # record 1 (onset 3 s), not record 3


def test_edfc_windows_in_or_across_a_gap_are_skipped_and_reported(tmp_path):
    tals = {
        0: b"+0.98\x14Stimulus wrist\x14\x00+2\x14Stimulus wrist\x14\x00",
        1: b"+3.5\x14Stimulus wrist\x14\x00",
    }
    s = ncs_emg.read_study(_gap_file(tmp_path, tals), sidecar=None)
    sw = s.nerves[0].sites[0].sweeps
    assert sw.n_sweeps == 1
    np.testing.assert_array_equal(sw.data, 2.0)
    issues = s.source["issues"]
    assert any("at 0.98 s: the window straddles a gap between records 0 and 1" in i for i in issues)
    assert any("at 2.0 s lies in no data record" in i for i in issues)


# ---- 3. non-latin-1 names survive write_study -> read_study ----------------------------------------


def test_non_latin1_names_round_trip(tmp_path):
    rng = np.random.default_rng(0)
    sw = Sweeps(rng.normal(0, 2, (2, 200)), 20000.0, -5.0)
    sites = (Site("腕 wrist", sw, 70.0, "distal→"), Site("肘", sw, 230.0, "forearm"))
    st = Study(
        (
            Nerve("median", "right", "中APB", sites=sites),
            Nerve("ulnar", "left", "ÆDM∑", sites=(Site("wrist", sw, 60.0),)),
        ),
        subject_id="s01",
    )
    out = ncs_emg.write_study(st, tmp_path / "u.edf")
    back = ncs_emg.read_study(out, sidecar=None)
    assert [(n.nerve, n.muscle) for n in back.nerves] == [("median", "中APB"), ("ulnar", "ÆDM∑")]
    assert [s.name for s in back.nerves[0].sites] == ["腕 wrist", "肘"]
    assert back.nerves[0].sites[0].segment == "distal→"
    assert back.nerves[0].sites[1].sweeps.n_sweeps == 2 and back.source["issues"] == []


# ---- 6. one bad stimulus value does not fail the study ---------------------------------------------


def test_bad_stimulus_values_dropped_with_an_issue_rest_of_study_read(tmp_path):
    tals = [
        b"+0.005\x14Stimulus wrist 0ms x 5mA\x14\x00",
        b"+1.005\x14<EDF_XMLnote><site>wrist</site><intensity>-5</intensity></EDF_XMLnote>\x14\x00",
        b"+2.005\x14Stimulus wrist 0.2ms x 1" + b"0" * 400 + b"mA\x14\x00",
        b"+3.005\x14Stimulus wrist 0.1ms x 7mA at 1" + b"0" * 400 + b"cm\x14\x00",
        b"+4.005\x14<EDF_XMLnote><site>wrist</site><side>up</side></EDF_XMLnote>\x14\x00",
    ]
    p = _edfd_file(tmp_path, tals, ann_spr=300)
    s = ncs_emg.read_study(p, sidecar=None)
    (site,) = s.nerves[0].sites
    sw = site.sweeps
    assert sw.n_sweeps == 5
    np.testing.assert_array_equal(sw.stim_intensity_ma, [5.0, np.nan, np.nan, 7.0, np.nan])
    np.testing.assert_array_equal(sw.pulse_width_ms, [np.nan, np.nan, 0.2, 0.1, np.nan])
    assert site.distance_mm is None
    issues = [i for i in s.source["issues"] if "value dropped" in i]
    assert len(issues) == 5
    assert issues[0].startswith("annotations (record 0): pulse_width_ms 0.0 in 'Stimulus wrist 0ms")
    assert "(record 1): intensity_ma -5.0 in '<EDF_XMLnote>" in issues[1]
    assert "(record 2): intensity_ma inf" in issues[2]
    assert "(record 3): recording_distance_mm inf" in issues[3]
    assert "(record 4): side 'up'" in issues[4]


# ---- 7. EDF+D stimulus outside its record -----------------------------------------------------------


def test_edfd_stimulus_outside_its_record_skips_the_record(tmp_path):
    tals = [b"+100\x14Stimulus wrist\x14\x00", b"+1.005\x14Stimulus wrist\x14\x00"]
    s = ncs_emg.read_study(_edfd_file(tmp_path, tals), sidecar=None)
    sw = s.nerves[0].sites[0].sweeps
    assert sw.n_sweeps == 1 and sw.t0_ms == -5.0
    np.testing.assert_array_equal(sw.data, 2e-3)  # record 1
    assert any(
        "(record 0): stimulus at 100.0 s lies 100.0 s from the onset" in i and "skipped" in i
        for i in s.source["issues"]
    )


def test_edfd_stimulus_shortly_before_its_record_is_kept(tmp_path):
    """Tolerance: up to one record duration before the onset (t0_ms > 0: sweep starts late)."""
    s = ncs_emg.read_study(_edfd_file(tmp_path, [b"-0.01\x14Stimulus wrist\x14\x00"]), sidecar=None)
    assert s.nerves[0].sites[0].sweeps.t0_ms == 10.0


def test_write_study_refuses_a_stimulus_the_reader_would_skip(tmp_path):
    sw = Sweeps(np.zeros((1, 100)), 10000.0, 500.0)  # stimulus 500 ms before a 10-ms sweep
    st = Study((Nerve("median", sites=(Site("wrist", sw),)),))
    with pytest.raises(ParameterError, match=r"site 'wrist'.*t0_ms = 500.0"):
        ncs_emg.write_study(st, tmp_path / "x.edf")


# ---- 8. the error names the real cause --------------------------------------------------------------


def test_no_sweep_error_lists_the_rejected_annotations(tmp_path):
    p = _edfd_file(tmp_path, [b"+0.005\x14Stimulus w <EDF_XMLnote><site>w</EDF_XMLnote>\x14\x00"])
    with pytest.raises(FormatError, match=r"no sweep found .*; 2 issue\(s\), first: ") as e:
        ncs_emg.read_study(p, sidecar=None)
    # the rejected annotation is shown first: it is the cause
    first = str(e.value).split("first: ")[1]
    assert first.startswith("annotations (record 0): 'Stimulus w <EDF_XMLnote>")
    assert "malformed EDF_XMLnote" in first


def test_windows_shorter_than_one_sample_are_named(tmp_path):
    p = tmp_path / "slow.edf"
    write_edf(
        p,
        [EdfSignal.from_data(np.zeros(100), 10, label="APB")],
        annotations=[(2.0, None, "Stimulus wrist")],
    )
    with pytest.raises(
        FormatError, match=r"no sweep found.*holds no sample of signal 'APB' at 10 Hz"
    ):
        ncs_emg.read_study(p, sidecar=None)


def test_windows_outside_the_signal_are_named(tmp_path):
    p = tmp_path / "late.edf"
    write_edf(
        p,
        [EdfSignal.from_data(np.zeros(1000), 1000, label="APB")],
        annotations=[(0.99, None, "Stimulus wrist")],
    )
    with pytest.raises(FormatError, match=r"no sweep found.*window outside signal 'APB'"):
        ncs_emg.read_study(p, sidecar=None)


# ---- 9. NUL-padded version field ---------------------------------------------------------------------


def test_nul_padded_version_is_sniffed_as_edf_and_read(tmp_path):
    st = Study((Nerve("median", sites=(Site("wrist", Sweeps(np.ones((1, 50)), 10000.0, -1.0)),)),))
    out = ncs_emg.write_study(st, tmp_path / "v.edf")
    b = bytearray(out.read_bytes())
    b[:8] = b"0\x00\x00\x00\x00\x00\x00\x00"
    out.write_bytes(bytes(b))
    assert sniff_format(out) == "edf"
    back = ncs_emg.read_study(out)
    assert back.nerves[0].sites[0].sweeps.n_sweeps == 1
    assert any(i.startswith("version") for i in back.source["issues"])
    b[:8] = b"0\x00\x00\x00\x00\x00\x00X"
    out.write_bytes(bytes(b))
    with pytest.raises(FormatError, match="not a study file"):
        sniff_format(out)


# ---- 10. sidecar entries that match nothing ------------------------------------------------------------


def test_unmatched_sidecar_entries_are_reported(tmp_path):
    from pathlib import Path

    p = Path(__file__).resolve().parents[1] / "data" / "fixtures" / "edf" / "vendor_edfd.edf"
    sc = {
        "signals": {"R Median APBX": {"muscle": "APB"}},
        "sites": {"wristt": {"segment": "distal"}},
        "site_order": ["wrist", "axila"],
    }
    issues = ncs_emg.read_study(p, sidecar=sc).source["issues"]
    assert any(
        i.startswith("sidecar signals['R Median APBX']: no signal with this label; labels: [")
        for i in issues
    )
    assert any(i.startswith("sidecar sites['wristt']: no site with this name") for i in issues)
    assert any(i.startswith("sidecar site_order: 'axila' names no site") for i in issues)
    assert not any("'wrist' names no site" in i for i in issues)


# ---- 11. control characters in written texts -----------------------------------------------------------


@pytest.mark.parametrize("bad", ["\x00", "\x14", "\x15"])
def test_writers_refuse_tal_control_characters_naming_the_field(tmp_path, bad):
    sig = EdfSignal.from_data(np.zeros(10), 10, label="a")
    with pytest.raises(ParameterError, match=r"annotations\[1\] text: 'x.+y' contains the TAL"):
        write_edf(tmp_path / "a.edf", [sig], annotations=[(0, None, "ok"), (0.5, None, f"x{bad}y")])
    sw = Sweeps(np.zeros((1, 50)), 10000.0, -1.0)
    st = Study((Nerve("median", sites=(Site(f"wr{bad}ist", sw),)),))
    with pytest.raises(
        ParameterError,
        match=r"study nerve 0 site 0 name: 'wr.+ist' contains (the TAL|a NUL)",
    ):
        ncs_emg.write_study(st, tmp_path / "b.edf")


# ---- 12. TAL duration marker without a duration ------------------------------------------------------------


def test_tal_duration_marker_without_duration_is_reported():
    issues = []
    anns, _ = parse_tal_block(
        b"+0\x14\x14\x00+0.1\x15\x14text\x14\x00",
        record=0,
        signal=1,
        file_offset=100,
        timekeeping=True,
        issues=issues,
    )
    assert [(a.onset_s, a.duration_s, a.text) for a in anns] == [(0.1, None, "text")]
    (issue,) = issues
    assert "duration marker 0x15 without a duration" in issue.value and issue.byte_offset == 105
