"""Reader policy (docs/edf.md) on malformed files: recover and report, or FormatError.

Files are built byte by byte by ``_edf`` below (independent of ncs_emg's writer) and mutated.
"""

from __future__ import annotations

import math
import tracemalloc

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ncs_emg
from ncs_emg.errors import FormatError, NcsEmgError
from ncs_emg.io import read_edf


def _f(v, w):
    b = v if isinstance(v, bytes) else str(v).encode("latin-1")
    return (b + b" " * w)[:w]


def _edf(
    sigs=None,
    records=None,
    *,
    magic=b"0       ",
    reserved="EDF+C",
    n_records=None,
    duration="1",
    date="25.11.26",
    time="10.00.00",
    patient="X X X X",
    extra=b"",
    pad=True,
):
    """Minimal EDF builder: sigs = list of header dicts; records = list of per-signal bytes."""
    if sigs is None:
        sigs = [
            dict(
                label="EMG", unit="uV", pmin="-100", pmax="100", dmin="-32768", dmax="32767", spr=4
            ),
            dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=16),
        ]
    if records is None:
        records = [[np.arange(4, dtype="<i2").tobytes() + bytes([r]), _tal(r)] for r in range(3)]
        records = [[rec[0][:8], rec[1]] for rec in records]
    ns = len(sigs)
    h = magic + _f(patient, 80) + _f("Startdate X X X X", 80) + _f(date, 8) + _f(time, 8)
    h += _f(256 * (ns + 1), 8) + _f(reserved, 44)
    h += _f(len(records) if n_records is None else n_records, 8) + _f(duration, 8) + _f(ns, 4)
    for key, w in (("label", 16), ("transducer", 80), ("unit", 8), ("pmin", 8), ("pmax", 8),
                   ("dmin", 8), ("dmax", 8), ("prefilter", 80), ("spr", 8), ("reserved", 32)):  # fmt: skip
        h += b"".join(_f(s.get(key, ""), w) for s in sigs)
    data = b""
    for rec in records:
        for s, b in zip(sigs, rec, strict=False):  # malformed files may lack a signal's bytes
            try:
                n = int(str(s["spr"]).replace("\x00", "").strip()) * 2
            except ValueError:
                n = -1
            data += (b + b"\x00" * n)[:n] if pad and 0 <= n <= 20000 else b
    return h + data + extra


def _tal(r, extra=b""):
    return f"+{r}\x14\x14\x00".encode() + extra


def _write(tmp_path, b, name="f.edf"):
    p = tmp_path / name
    p.write_bytes(b)
    return p


def _fields(rec):
    return {i.field for i in rec.issues}


# ---- magic bytes and sizes ------------------------------------------------------------------------


def test_policy_magic_bytes_non_edf_with_edf_name(tmp_path):
    p = _write(tmp_path, b"PK\x03\x04 this is a zip file, not EDF" * 20)
    with pytest.raises(FormatError, match="version field"):
        read_edf(p)
    with pytest.raises(FormatError, match="not a study file"):
        ncs_emg.read_study(p)


def test_policy_file_shorter_than_header(tmp_path):
    with pytest.raises(FormatError, match="shorter than the 256-byte header"):
        read_edf(_write(tmp_path, b"0       " + b" " * 50))


def test_policy_version_zero_with_nul_padding_is_read(tmp_path):
    rec = read_edf(_write(tmp_path, _edf(magic=b"0\x00\x00\x00\x00\x00\x00\x00")))
    assert "version" in _fields(rec) and rec.n_records == 3


def test_policy_signal_count_checked_against_file_size_before_allocating(tmp_path):
    b = bytearray(_edf())
    b[252:256] = b"9999"
    with pytest.raises(FormatError, match=r"number of signals: 9999 signals need"):
        read_edf(_write(tmp_path, bytes(b)))


def test_policy_huge_samples_per_record_checked_before_allocating(tmp_path):
    sigs = [dict(label="EMG", unit="uV", pmin="-1", pmax="1", dmin="-32768", dmax="32767",
                 spr="99999999")]  # fmt: skip
    p = _write(tmp_path, _edf(sigs, [[b"\x00" * 10]], reserved="", n_records=1000000, pad=False))
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=r"samples per record: 99999999 samples need"):
            read_edf(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10_000_000


def test_policy_record_larger_than_data_reads_zero_records(tmp_path):
    sigs = [dict(label="EMG", unit="uV", pmin="-1", pmax="1", dmin="-32768", dmax="32767",
                 spr="200")]  # fmt: skip
    rec = read_edf(_write(tmp_path, _edf(sigs, [[b"\x00" * 10]], reserved="", pad=False)))
    assert rec.n_records == 0 and rec.signals[0].data.shape == (0,)
    assert {"number of data records", "data"} <= _fields(rec)


@pytest.mark.parametrize("claim", ["-1", "7", "0"])
def test_policy_record_count_derived_from_file_size(tmp_path, claim):
    rec = read_edf(_write(tmp_path, _edf(n_records=claim, extra=b"\x01" * 5)))
    assert rec.n_records == 3
    assert "number of data records" in _fields(rec)
    partial = [i for i in rec.issues if i.field == "data"]
    assert partial and partial[0].record == 3 and "partial" in partial[0].action


# ---- numbers, text, dates -------------------------------------------------------------------------


def test_policy_comma_decimals_and_nul_padding(tmp_path):
    sigs = [
        dict(label=b"EMG\x00\x00", unit="uV", pmin="-2,5", pmax="2,5\x00", dmin="-32768",
             dmax="32767", spr="4\x00\x00"),
        dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=16),
    ]  # fmt: skip
    rec = read_edf(_write(tmp_path, _edf(sigs, duration="0,5")))
    s = rec.signals[0]
    assert s.label == "EMG" and s.physical_min == -2.5 and s.physical_max == 2.5
    assert rec.record_duration_s == 0.5 and s.sfreq_hz == 8.0
    assert "record duration" in _fields(rec)


@pytest.mark.parametrize(
    "date, time, expect",
    [("25-11-26", "10:11:12", "2026-11-25T10:11:12"), ("1/2/99", "1.2.3", "1999-02-01T01:02:03")],
)
def test_policy_odd_date_and_time_separators(tmp_path, date, time, expect):
    rec = read_edf(_write(tmp_path, _edf(date=date, time=time)))
    assert rec.header.start.isoformat() == expect
    assert {"startdate", "starttime"} & _fields(rec)


def test_policy_unparseable_date_left_unknown(tmp_path):
    rec = read_edf(_write(tmp_path, _edf(date="yy.mm.dd")))
    assert rec.header.start is None and "startdate/starttime" in _fields(rec)


def test_policy_non_ascii_header_bytes_decoded_latin1(tmp_path):
    rec = read_edf(_write(tmp_path, _edf(patient=b"X M X J\xf6rg \xff")))
    assert rec.header.patient_id == "X M X J\u00f6rg \u00ff"
    assert "patient_id" in _fields(rec)
    assert rec.header.raw[8:20] == b"X M X J\xf6rg \xff"


@pytest.mark.parametrize(
    "field, value, pattern",
    [
        ("pmin", "abc", r"physical minimum: expected a number, got 'abc'"),
        ("dmax", "1.5", r"digital maximum: expected an integer, got '1.5'"),
        ("spr", "-4", r"samples per record: must be >= 0, got -4"),
        ("spr", "nan", r"samples per record: expected a number, got 'nan'"),
    ],
)
def test_policy_malformed_number_is_formaterror_naming_field(tmp_path, field, value, pattern):
    sigs = [dict(label="EMG", unit="uV", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=4)]
    sigs[0][field] = value
    with pytest.raises(FormatError, match=pattern):
        read_edf(_write(tmp_path, _edf(sigs, [[b""]], reserved="")))


def test_policy_negative_record_duration_is_formaterror(tmp_path):
    with pytest.raises(FormatError, match="record duration: must be >= 0"):
        read_edf(_write(tmp_path, _edf(duration="-1")))


# ---- calibration ----------------------------------------------------------------------------------


def test_policy_physical_min_above_max_is_negative_gain(tmp_path):
    sigs = [dict(label="inv", unit="uV", pmin="100", pmax="-100", dmin="-100", dmax="100", spr=3)]
    d = np.array([-100, 0, 50], dtype="<i2").tobytes()
    rec = read_edf(_write(tmp_path, _edf(sigs, [[d]], reserved="")))
    np.testing.assert_allclose(rec.signals[0].data, [100.0, 0.0, -50.0])
    assert rec.issues == ()


@pytest.mark.parametrize("pmax, dmax", [("-1", "32767"), ("1", "-32768")])
def test_policy_zero_range_marks_signal_uncalibrated(tmp_path, pmax, dmax):
    sigs = [dict(label="flat", unit="uV", pmin="-1", pmax=pmax, dmin="-32768", dmax=dmax, spr=2)]
    d = np.array([7, -3], dtype="<i2").tobytes()
    p = _write(tmp_path, _edf(sigs, [[d]], reserved=""))
    rec = read_edf(p)
    s = rec.signals[0]
    assert not s.calibrated and list(s.data) == [7.0, -3.0]
    assert any("uncalibrated" in i.action for i in rec.issues)


# ---- annotations ----------------------------------------------------------------------------------


def test_policy_malformed_tals_reported_with_record_and_offset(tmp_path):
    recs = [
        [b"", _tal(0, b"+0.5\x14ok\x14\x00")],
        [b"", _tal(1, b"1.5\x14no sign\x14\x00+1.6\x14after\x14\x00")],
        [b"", _tal(2, b"+2.5\x14" + b"u" * 54)],  # fills the record: no terminating NUL
    ]
    sigs = [
        dict(label="EMG", unit="uV", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=4),
        dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=32),
    ]
    b = _edf(sigs, recs)
    rec = read_edf(_write(tmp_path, b))
    assert [(a.onset_s, a.text, a.record) for a in rec.annotations] == [
        (0.5, "ok", 0),
        (1.6, "after", 1),
    ]
    bad = [i for i in rec.issues if i.field == "annotations"]
    assert [i.record for i in bad] == [1, 2]
    assert b[bad[0].byte_offset : bad[0].byte_offset + 3] == b"1.5"
    assert b[bad[1].byte_offset : bad[1].byte_offset + 4] == b"+2.5"
    np.testing.assert_array_equal(rec.record_onsets_s, [0, 1, 2])


def test_policy_missing_timekeeping_tal_onset_derived(tmp_path):
    recs = [[b"", _tal(0)], [b"", b"+5\x14late\x14\x00"], [b"", _tal(2)]]
    rec = read_edf(_write(tmp_path, _edf(records=recs)))
    np.testing.assert_array_equal(rec.record_onsets_s, [0, 1, 2])
    assert any("timekeeping" in i.value for i in rec.issues)


def test_policy_non_utf8_annotation_text_latin1(tmp_path):
    recs = [[b"", _tal(0, b"+0.2\x14M\xfcller\x14\x00")]] + [[b"", _tal(r)] for r in (1, 2)]
    rec = read_edf(_write(tmp_path, _edf(records=recs)))
    assert rec.annotations[0].text == "M\u00fcller"
    assert any("not UTF-8" in i.value for i in rec.issues)


def test_policy_several_annotation_signals(tmp_path):
    sigs = [
        dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=12),
        dict(label="EMG", unit="uV", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=2),
        dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=12),
    ]
    recs = [[_tal(r, b"+0.1\x14first\x14\x00"), b"", f"+{r}.5\x14second\x14\x00".encode()]
            for r in range(2)]  # fmt: skip
    rec = read_edf(_write(tmp_path, _edf(sigs, recs)))
    assert rec.annotation_signals == (0, 2) and [s.label for s in rec.signals] == ["EMG"]
    assert [(a.text, a.signal) for a in rec.annotations] == [("first", 0), ("second", 2)] * 2
    assert rec.issues == ()


def test_policy_records_of_duration_zero(tmp_path):
    sigs = [dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=12)]
    recs = [[_tal(0, b"+0\x14start\x14\x00")], [_tal(7, b"+7.5\x14end\x14\x00")]]
    rec = read_edf(_write(tmp_path, _edf(sigs, recs, duration="0")))
    assert rec.record_duration_s == 0 and rec.signals == ()
    assert [a.text for a in rec.annotations] == ["start", "end"]
    np.testing.assert_array_equal(rec.record_onsets_s, [0, 7])
    sigs.append(
        dict(label="EMG", unit="uV", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=2)
    )
    # with a data signal, duration 0 would give no sampling rate: refused, naming the duration
    g = _write(tmp_path, _edf(sigs, [r + [b""] for r in recs], duration="0"), "g.edf")
    with pytest.raises(FormatError, match=r"record duration: '0' with 2 samples per record .* "
                       r"sampling rate of nan Hz.*only legal for annotation-only"):  # fmt: skip
        read_edf(g)
    # a signal without samples keeps the file annotation-only: read, sampling rate NaN
    sigs[1]["spr"] = 0
    rec = read_edf(_write(tmp_path, _edf(sigs, recs, duration="0"), "h.edf"))
    assert math.isnan(rec.signals[0].sfreq_hz) and any("NaN" in i.action for i in rec.issues)


# ---- property-based -------------------------------------------------------------------------------

_BASE = _edf()
_HEADER_LEN = 256 * 3


def _read_all(p):
    """Read the file and touch every lazily computed array; only NcsEmgError may escape.

    Time guard: the property tests' hypothesis ``deadline`` (2 s per example): each file is tiny,
    so anything slower is a hang (such as the ~40 s ``int(Decimal("1E999999"))`` an exponent in an
    integer field once caused).
    """
    try:
        rec = read_edf(p)
        for s in rec.signals:
            assert s.data.dtype == np.float64
            _ = s.saturated
        rec.to_dict()
    except NcsEmgError:
        pass
    try:
        ncs_emg.read_study(p, sidecar=None)
    except NcsEmgError:
        pass


@settings(
    max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.lists(
        st.tuples(st.integers(0, len(_BASE) - 1), st.integers(0, 255)), min_size=1, max_size=8
    ),
    st.integers(0, len(_BASE)),
)
def test_property_mutated_bytes_only_typed_errors(tmp_path, edits, cut):
    b = bytearray(_BASE)
    for pos, val in edits:
        b[pos] = val
    p = _write(tmp_path, bytes(b[: max(cut, 1)]))
    tracemalloc.start()
    try:
        _read_all(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000


_num_text = st.one_of(
    st.integers(-(10**7), 10**8).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(lambda x: repr(x)[:8]),
    st.text(alphabet="0123456789+-.,eE \x00x_", max_size=8),
    # exponent forms, huge and tiny magnitudes that still fit the 8-character field
    st.builds(
        lambda sign, m, e, es: f"{sign}{m}{e}{es}"[:8],
        st.sampled_from(["", "-", "+"]),
        st.sampled_from(["1", "9", "0", "1.5", ".5"]),
        st.sampled_from(["E", "e", "E+", "E-", "e-"]),
        st.integers(0, 999999).map(str),
    ),
    st.sampled_from(
        [
            "1E999999",
            "9E999",
            "-9E999",
            "1e-320",
            "1e308",
            "-1e308",
            "1E+99999",
            "1_000",
            "1e-400",
            "0",
            "-0",
            "99999999",
            "-9999999",
        ]
    ),  # fmt: skip
)


@settings(
    max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    st.fixed_dictionaries(
        {
            "pmin": _num_text,
            "pmax": _num_text,
            "dmin": _num_text,
            "dmax": _num_text,
            "spr": _num_text,
        }
    ),
    _num_text,
    _num_text,
    st.sampled_from(["EDF+C", "EDF+D", "", "24BIT", "EDF+X"]),
    st.binary(max_size=64),
)
def test_property_header_fields_only_typed_errors(
    tmp_path, sig, n_records, duration, reserved, tal
):
    sigs = [
        dict(label="EMG", unit="uV", **sig),
        dict(label="EDF Annotations", pmin="-1", pmax="1", dmin="-32768", dmax="32767", spr=40),
    ]
    recs = [[b"\x01\x00" * 8, _tal(r, tal)] for r in range(2)]
    p = _write(
        tmp_path, _edf(sigs, recs, n_records=n_records, duration=duration, reserved=reserved)
    )
    tracemalloc.start()
    try:
        _read_all(p)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000
