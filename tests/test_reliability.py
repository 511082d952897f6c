"""Nothing lost, nothing read from outside the file, no hang: one test per adversarial case.

The bad files are built at run time by ``tests/reliability_corpus.py``. Every test asserts the exact
behaviour (the error class and the field it names, the value read, or the issue reported) within a
pytest-timeout limit.
"""

from __future__ import annotations

import json
import os
import tracemalloc

import h5py
import numpy as np
import pytest

import ncs_emg
import reliability_corpus as corpus
from ncs_emg import FormatError, Nerve, ParameterError, Site, Study, Sweeps
from ncs_emg.cli import main
from ncs_emg.io import read_edf
from ncs_emg.io.edf_study import parse_stimulus_text
from ncs_emg.io.limits import get_read_limits, read_limits

pytestmark = pytest.mark.timeout(60)


def _leftovers(d) -> list[str]:
    return sorted(p.name for p in d.iterdir() if ".part" in p.name)


# ---- atomic writes; text a format cannot hold ----------------------------------------------------


@pytest.mark.parametrize("ext", [".h5", ".edf"])
@pytest.mark.parametrize("bad", ["wr\x00ist", "wr\udcffist"])
def test_unstorable_text_is_refused_before_writing_naming_the_field(tmp_path, ext, bad):
    st = corpus.small_study()
    nerve = st.nerves[1]
    sites = (Site(bad, nerve.sites[0].sweeps, 70.0),)
    st = Study((st.nerves[0], Nerve("ulnar", sites=sites)), subject_id="x")
    with pytest.raises(ParameterError, match="study nerve 1 site 0 name"):
        ncs_emg.write_study(st, tmp_path / f"s{ext}")
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("ext", [".h5", ".edf"])
def test_lone_surrogate_in_subject_is_refused(tmp_path, ext):
    st = corpus.small_study(subject="abc\ud800")
    with pytest.raises(ParameterError, match="study subject_id"):
        ncs_emg.write_study(st, tmp_path / f"s{ext}")
    assert list(tmp_path.iterdir()) == []


def test_failed_h5_write_leaves_the_previous_file_and_no_partial_file(tmp_path, monkeypatch):
    from ncs_emg.io import hdf5

    p = corpus.h5_study(tmp_path, n_nerves=3)
    before = p.read_bytes()
    calls = []

    def failing(g, nerve, index):
        calls.append(index)
        if index == 1:
            raise OSError(28, "No space left on device")
        return real(g, nerve, index)

    real = hdf5._write_nerve
    monkeypatch.setattr(hdf5, "_write_nerve", failing)
    with pytest.raises(FormatError, match="cannot be written.*No space left"):
        ncs_emg.write_study(corpus.small_study(n_nerves=3), p)
    assert calls == [0, 1]  # it failed half-way
    assert p.read_bytes() == before and _leftovers(tmp_path) == []
    monkeypatch.undo()
    assert len(ncs_emg.read_study(p).nerves) == 3


def test_failed_edf_write_through_the_file_object(tmp_path, monkeypatch):
    import builtins

    real_open = builtins.open

    class Full:
        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *a):
            self.fh.close()

        def write(self, b):
            self.fh.write(b[:100])
            raise OSError(28, "No space left on device")

        def fileno(self):
            return self.fh.fileno()

    def fake_open(path, mode="r", *a, **k):
        fh = real_open(path, mode, *a, **k)
        return Full(fh) if "w" in mode and str(path).endswith(".part.edf") else fh

    monkeypatch.setattr(builtins, "open", fake_open)
    target = tmp_path / "s.edf"
    with pytest.raises(FormatError, match=r"s\.edf: cannot be written"):
        ncs_emg.write_study(corpus.small_study(), target)
    monkeypatch.undo()
    assert not target.exists() and _leftovers(tmp_path) == []


# ---- the CLI never deletes or overwrites what it did not create ------------------------------------


def test_simulate_unwritable_output_keeps_existing_truth(tmp_path, capsys):
    notes = tmp_path / "notes.json"
    notes.write_text("my notes")
    bad = tmp_path / "no_such_dir" / "x.h5"
    assert main(["simulate", "-o", str(bad), "--truth", str(notes)]) == 2  # exists: refused
    assert main(["simulate", "-o", str(bad), "--truth", str(notes), "--overwrite"]) == 1
    assert notes.read_text() == "my notes" and _leftovers(tmp_path) == []
    assert "cannot be written" in capsys.readouterr().err


def test_simulate_refuses_existing_output_without_overwrite(tmp_path, capsys):
    out = tmp_path / "existing.h5"
    out.write_bytes(b"keep")
    assert main(["simulate", "-o", str(out)]) == 2
    assert out.read_bytes() == b"keep"
    assert "--overwrite" in capsys.readouterr().err
    assert main(["simulate", "-o", str(out), "--overwrite"]) == 0
    assert ncs_emg.read_study(out).nerves


def test_simulate_truth_and_output_the_same_file_is_a_usage_error(tmp_path, capsys):
    same = tmp_path / "same.h5"
    assert main(["simulate", "-o", str(same), "--truth", str(same)]) == 2
    assert not same.exists() and "same file" in capsys.readouterr().err


def test_convert_through_a_hard_link_onto_its_input_is_refused(tmp_path, capsys):
    orig = ncs_emg.write_study(corpus.small_study(), tmp_path / "orig.edf")
    alias = tmp_path / "alias.edf"
    os.link(orig, alias)
    before = orig.read_bytes()
    assert main(["convert", str(orig), str(alias), "--overwrite"]) == 2
    assert orig.read_bytes() == before and "is the input file" in capsys.readouterr().err


def test_convert_unknown_output_extension_exits_2(tmp_path, capsys):
    src = corpus.h5_study(tmp_path)
    assert main(["convert", str(src), str(tmp_path / "x.txt")]) == 2
    assert "unknown extension" in capsys.readouterr().err


# ---- Ctrl-C -----------------------------------------------------------------------------------


def test_ctrl_c_during_convert_to_h5_exits_130_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    from ncs_emg.io import hdf5

    src = ncs_emg.write_study(corpus.small_study(n_nerves=3), tmp_path / "in.edf")

    def interrupted(g, nerve, index):
        if index == 1:
            raise KeyboardInterrupt
        return real(g, nerve, index)

    real = hdf5._write_nerve
    monkeypatch.setattr(hdf5, "_write_nerve", interrupted)
    out = tmp_path / "out.h5"
    assert main(["convert", str(src), str(out)]) == 130
    assert not out.exists() and _leftovers(tmp_path) == []
    assert "interrupted" in capsys.readouterr().err


# ---- readers' issues are visible ----------------------------------------------------------------


def test_truncated_edf_issues_on_stderr_and_in_json(tmp_path, capsys):
    p = ncs_emg.write_study(corpus.small_study(), tmp_path / "t.edf")
    with open(p, "ab") as fh:
        fh.write(b"\x00" * 37)  # a partial last record
    assert main(["measure", str(p)]) == 0
    err = capsys.readouterr().err
    assert "issue: data" in err and "partial last record" in err
    assert main(["measure", "--format", "json", str(p)]) == 0
    cap = capsys.readouterr()
    assert any("partial last record" in i for i in json.loads(cap.out)["issues"])
    for cmd in ("info", "fwave"):
        assert main([cmd, str(p)]) == 0
        assert "partial last record" in capsys.readouterr().err


# ---- nothing read from outside the file ---------------------------------------------------------


def test_h5_external_storage_is_refused(tmp_path):
    secret = tmp_path / "secret.bin"
    secret.write_bytes(np.arange(800, dtype="<f8").tobytes())
    p = corpus.h5_external_storage(tmp_path, secret)
    with pytest.raises(FormatError, match=r"/nerves/nerve_000/sites/site_00/data: .*external"):
        ncs_emg.read_study(p)


def test_h5_external_storage_on_a_fifo_does_not_hang(tmp_path):
    p = corpus.h5_external_storage(tmp_path, corpus.fifo(tmp_path))
    with pytest.raises(FormatError, match="external raw storage"):
        ncs_emg.read_study(p)


def test_h5_external_link_is_refused(tmp_path):
    p = corpus.h5_external_link(tmp_path)
    with pytest.raises(FormatError, match=r"/nerves/nerve_001: external link"):
        ncs_emg.read_study(p)


def test_h5_virtual_dataset_is_refused(tmp_path):
    p = corpus.h5_virtual(tmp_path)
    with pytest.raises(FormatError, match=r"site_00/data: virtual dataset"):
        ncs_emg.read_study(p)


def test_h5_soft_link_to_itself_is_refused(tmp_path):
    p = corpus.h5_soft_link(tmp_path, "/nerves/nerve_001")
    with pytest.raises(FormatError, match=r"/nerves/nerve_001: soft link"):
        ncs_emg.read_study(p)


def test_h5_soft_link_leaving_the_file_is_refused(tmp_path):
    p = corpus.h5_soft_link(tmp_path, "/does/not/exist")
    with pytest.raises(FormatError, match=r"/nerves/nerve_001: soft link to '/does/not/exist'"):
        ncs_emg.read_study(p)


def test_h5_soft_link_inside_the_file_is_read(tmp_path):
    def fn(fh):
        del fh["nerves/nerve_001/sites"]
        fh["nerves/nerve_001/sites"] = h5py.SoftLink("/nerves/nerve_000/sites")

    s = ncs_emg.read_study(corpus.h5_mutated(tmp_path, fn))
    assert [n.nerve for n in s.nerves] == ["median", "ulnar"]
    assert s.nerves[1].sites[0].sweeps == s.nerves[0].sites[0].sweeps


# ---- linear-time stimulus parsing ------------------------------------------------------------------


@pytest.mark.timeout(5)  # quadratic parsing took 42 s on the first text
def test_long_digit_runs_parse_in_linear_time():
    with pytest.raises(ValueError, match="longer than the 1000"):
        parse_stimulus_text("Stimulus " + "1" * 16000)
    f = parse_stimulus_text("Stimulus " + "1" * 990)
    assert f == {"site": "1" * 990}
    for text in ("Stimulus " + "1 " * 495, "Stimulus " + "1." * 495, "Stimulus " + "1m" * 495):
        parse_stimulus_text(text)


@pytest.mark.timeout(20)
def test_edfd_with_a_huge_stimulus_text_reads_with_an_issue(tmp_path):
    p = corpus.edfd_two_signals(
        tmp_path, ("R Median APB", "R Ulnar ADM"), ("Stimulus " + "1" * 16000, "Stimulus wrist")
    )
    s = ncs_emg.read_study(p)
    assert any("longer than the 1000" in i for i in s.source["issues"])
    assert [site.name for site in s.nerves[0].sites] == ["wrist"]


def test_distance_without_at_is_read_and_unknown_parts_are_reported(tmp_path):
    f = parse_stimulus_text("Stim R wrist 0.2ms 8.2mA 65mm")
    assert f["recording_distance_mm"] == 65.0 and f["intensity_ma"] == 8.2 and f["side"] == "right"
    assert "unparsed" not in f
    p = corpus.edfd_two_signals(
        tmp_path, ("R Median APB", "x"), ("Stimulus wrist 0.2ms x 8mA at 6cm foo 3kg",) * 3
    )
    issues = ncs_emg.read_study(p).source["issues"]
    assert any("['foo', '3kg']" in i and "not understood" in i for i in issues)


# ---- budgets ---------------------------------------------------------------------------------------


def test_budget_defaults_are_documented_values():
    lim = get_read_limits()
    assert (lim.max_samples, lim.max_sweeps_per_site, lim.max_records) == (
        1 << 27,
        20_000,
        2_000_000,
    )


@pytest.mark.timeout(30)
def test_h5_eight_huge_datasets_refused_before_allocation(tmp_path):
    """The issue's file: 8 datasets claiming 2**27 samples each, a tiny compressed file."""
    p = corpus.h5_huge_datasets(tmp_path, n=8, each=1 << 27)
    assert p.stat().st_size < 2_000_000
    tracemalloc.start()
    try:
        with pytest.raises(FormatError, match=r"site_10/data: .*max_samples=134217728"):
            ncs_emg.read_study(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 50e6  # refused from the shape: nothing of it allocated (it reached 9.3 GB)


@pytest.mark.timeout(30)
def test_h5_datasets_are_counted_together_against_the_budget(tmp_path):
    p = corpus.h5_huge_datasets(tmp_path, n=8, each=1 << 20)
    with read_limits(max_samples=1 << 22):
        tracemalloc.start()
        try:
            with pytest.raises(
                FormatError,
                match=r"site_13/data: the file.s datasets reach \d+ samples, more than .* max_samples=4194304",
            ):
                ncs_emg.read_study(p)
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
    # three datasets of 2**20 float64 read (plus the small ones), the fourth refused
    assert peak < 1.2 * 8 * (1 << 22)


@pytest.mark.timeout(30)
def test_h5_budget_is_configurable(tmp_path):
    p = corpus.h5_study(tmp_path)
    with read_limits(max_samples=1000), pytest.raises(FormatError, match="max_samples=1000"):
        ncs_emg.read_study(p)
    assert ncs_emg.read_study(p).nerves
    assert main(["info", str(p), "--max-samples", "1000"]) == 1


def test_h5_read_holds_one_copy_of_the_data(tmp_path):
    p = corpus.h5_study(tmp_path, n_nerves=1, n_sites=1)
    sw = ncs_emg.read_study(p).nerves[0].sites[0].sweeps
    assert sw.data.base is None and not sw.data.flags.writeable


@pytest.mark.timeout(30)
def test_edf_with_too_many_records_is_refused_before_reading(tmp_path):
    p = corpus.edf_many_records(tmp_path, 3_000_000)
    with pytest.raises(FormatError, match=r"number of data records.*max_records=2000000"):
        read_edf(p)


@pytest.mark.timeout(30)
def test_plain_edf_record_onsets_are_vectorised(tmp_path):
    p = corpus.edf_many_records(tmp_path, 1_000_000)
    rec = read_edf(p)
    assert rec.onsets_from_tals is None and rec.record_onsets_s.dtype == np.float64
    assert rec.record_onsets_s[-1] == pytest.approx(999.999)
    assert rec.record_onsets_s.size == 1_000_000


@pytest.mark.timeout(30)
def test_trigger_with_an_edge_every_4_samples_is_refused(tmp_path):
    p = corpus.edf_dense_trigger(tmp_path)
    with pytest.raises(FormatError, match=r"trigger signal 'Trig': 49999 rising edges.*budget"):
        ncs_emg.read_study(p, trigger_signal="Trig", pre_ms=1, post_ms=1)


# ---- order kept in the HDF5 round trip --------------------------------------------------------------


def test_101_sites_keep_their_order(tmp_path):
    sw = Sweeps(np.zeros((1, 20)), 20000.0)
    sites = tuple(Site(f"s{i}", sw, 1.0) for i in range(101))
    st = Study((Nerve("median", sites=sites),) * 12)
    back = ncs_emg.read_study(ncs_emg.write_study(st, tmp_path / "o.h5"))
    assert [s.name for s in back.nerves[0].sites] == [f"s{i}" for i in range(101)]
    assert len(back.nerves) == 12


def test_old_files_without_index_are_ordered_by_number_not_text(tmp_path):
    p = corpus.h5_study(tmp_path, n_nerves=1, n_sites=12)
    with h5py.File(p, "r+") as fh:
        sites = fh["nerves/nerve_000/sites"]
        for j in range(12):
            sites.move(f"site_{j:02d}", f"site_{j}")
            del sites[f"site_{j}"].attrs["index"]
        del fh["nerves/nerve_000"].attrs["index"]
        fh.attrs["format_version"] = "1.0"
    back = ncs_emg.read_study(p)
    assert [s.name for s in back.nerves[0].sites] == [f"s{j}" for j in range(12)]


# ---- distinct EDF channels stay distinct ---------------------------------------------------------


def test_two_median_channels_stay_two_nerves(tmp_path):
    p = corpus.edfd_two_signals(tmp_path, ("R Median APB", "R Median FPB"))
    s = ncs_emg.read_study(p)
    assert len(s.nerves) == 2
    assert [n.sites[0].sweeps.n_sweeps for n in s.nerves] == [3, 3]
    assert s.nerves[0].muscle == "APB" and s.nerves[1].muscle is None


def test_two_channels_with_the_same_label_stay_distinct_with_an_issue(tmp_path):
    p = corpus.edfd_two_signals(tmp_path, ("EMG", "EMG"))
    s = ncs_emg.read_study(p)
    assert len(s.nerves) == 2 and [n.sites[0].sweeps.n_sweeps for n in s.nerves] == [3, 3]
    a, b = s.nerves[0].sites[0].sweeps.data, s.nerves[1].sites[0].sweeps.data
    np.testing.assert_allclose(a, -b, rtol=0, atol=1e-7)  # one signal and its negative
    assert any("2 signals map to nerve 'emg'" in i for i in s.source["issues"])


# ---- strict types in the HDF5 reader ------------------------------------------------------------

SITE = "nerves/nerve_000/sites/site_00"


@pytest.mark.parametrize(
    "mutation, match",
    [
        (
            lambda fh: corpus.replace_data(fh, f"{SITE}/accepted", data=[b"no", b"false"]),
            r"site_00/accepted: expected 2 flags",
        ),
        (
            lambda fh: corpus.replace_data(fh, f"{SITE}/accepted", data=np.array([2, 0], "u1")),
            r"site_00/accepted: flags must be 0 or 1",
        ),
        (
            lambda fh: fh["nerves/nerve_000"].attrs.__setitem__("polarity_flipped", "false"),
            r"'polarity_flipped': expected a boolean",
        ),
        (
            lambda fh: fh["nerves/nerve_000"].attrs.update(
                {"temperature": 91.4, "temperature_unit": "degF"}
            ),
            r"'temperature_unit': expected 'degC', got 'degF'",
        ),
        (
            lambda fh: fh[f"{SITE}/data"].attrs.__setitem__("conversion", 1e-3 + 0j),
            r"site_00/data attribute 'conversion': expected a number, got complex",
        ),
        (
            lambda fh: fh[f"{SITE}/data"].attrs.__setitem__("conversion", True),
            r"site_00/data attribute 'conversion': expected a number, got bool",
        ),
        (
            lambda fh: fh[f"{SITE}/data"].attrs.__setitem__("conversion", [1e-3, 1e-3]),
            r"site_00/data attribute 'conversion': expected one value",
        ),
        (
            lambda fh: fh[f"{SITE}/data"].attrs.__setitem__("conversion", "milli"),
            r"site_00/data attribute 'conversion': expected a number, got str",
        ),
        (
            lambda fh: fh[SITE].attrs.__setitem__("sampling_rate", True),
            r"site_00 attribute 'sampling_rate': expected a number, got bool",
        ),
    ],
)
def test_h5_loose_types_are_format_errors_naming_the_attribute(tmp_path, mutation, match):
    p = corpus.h5_mutated(tmp_path, mutation)
    with pytest.raises(FormatError, match=match):
        ncs_emg.read_study(p)


def test_boolean_sampling_rate_is_refused_by_the_api():
    from ncs_emg.measure import measure_cmap

    with pytest.raises(ParameterError, match=r"sfreq_hz: expected a number, got the boolean True"):
        measure_cmap(np.zeros(100), True)
    with pytest.raises(ParameterError, match="Sweeps.sfreq_hz"):
        Sweeps(np.zeros(10), True)


# ---- a clipped BDF channel ----------------------------------------------------------------------


def test_clipped_bdf_channel_reads_as_saturated(tmp_path):
    s = ncs_emg.read_study(corpus.bdf_clipped(tmp_path))
    sats = [site.sweeps.saturated.tolist() for site in s.nerves[0].sites]
    assert sats == [[True], [True]]


def test_written_files_do_not_read_as_saturated(tmp_path):
    st = corpus.small_study()
    for ext in (".edf", ".bdf"):
        back = ncs_emg.read_study(ncs_emg.write_study(st, tmp_path / f"s{ext}"))
        assert not any(site.sweeps.saturated.any() for n in back.nerves for site in n.sites)


def test_saturated_flags_round_trip_through_h5_and_edf(tmp_path):
    sw = Sweeps(np.ones((2, 50)), 10000.0, -1.0, saturated=[True, False])
    st = Study((Nerve("median", sites=(Site("wrist", sw, 70.0),)),))
    for ext in (".h5", ".edf"):
        back = ncs_emg.read_study(ncs_emg.write_study(st, tmp_path / f"s{ext}"))
        assert back.nerves[0].sites[0].sweeps.saturated.tolist() == [True, False]


# ---- package errors instead of tracebacks -----------------------------------------------------


@pytest.mark.parametrize(
    "mutation, match",
    [
        (
            lambda fh: fh[f"{SITE}/data"].attrs.__setitem__("conversion", np.zeros(0)),
            r"site_00/data attribute 'conversion': expected one value",
        ),
        (
            lambda fh: fh["nerves/nerve_000"].attrs.__setitem__("temperature", np.zeros(0)),
            r"nerve_000 attribute 'temperature': expected one value",
        ),
        (
            lambda fh: (fh.__delitem__("nerves"), fh.create_dataset("nerves", data=[1])),
            r"/nerves: expected a group, got Dataset",
        ),
        (
            lambda fh: fh["recording"].attrs.__setitem__("source_json", "[" * 100_000),
            r"/recording attribute 'source_json'",
        ),
        (
            lambda fh: fh["recording"].attrs.__setitem__(
                "source_json", '{"a": ' + "9" * 5000 + "}"
            ),
            r"/recording attribute 'source_json': not readable JSON",
        ),
        (
            lambda fh: fh[SITE].attrs.update({"distance": 1e300, "distance_conversion": 1e300}),
            r"site_00 attribute 'distance': 1e\+300 x conversion 1e\+300 is not a finite number",
        ),
    ],
)
def test_h5_malformed_fields_are_format_errors(tmp_path, mutation, match):
    p = corpus.h5_mutated(tmp_path, mutation)
    with pytest.raises(FormatError, match=match):
        ncs_emg.read_study(p)


@pytest.mark.parametrize(
    "sidecar, match",
    [
        (
            {"signals": {"R Median APB": {"lff_hz": int("9" * 401)}}},
            r"signals\['R Median APB'\]\.lff_hz",
        ),
        ({"sites": {"wrist": {"distance_mm": int("9" * 401)}}}, r"sites\['wrist'\]\.distance_mm"),
        ({"cut": {"pre_ms": int("9" * 401)}}, r"cut\.pre_ms"),
        ({"signals": {"R Median APB": {"lff_hz": 1e300}}}, r"lff_hz: expected a finite number"),
    ],
)
def test_sidecar_huge_numbers_are_format_errors_naming_the_key(tmp_path, sidecar, match):
    p = corpus.edfd_two_signals(tmp_path, ("R Median APB", "x"))
    with pytest.raises(FormatError, match=match):
        ncs_emg.read_study(p, sidecar=sidecar)


def test_sidecar_files_deep_or_with_giant_integers_are_format_errors(tmp_path):
    p = corpus.edfd_two_signals(tmp_path, ("R Median APB", "x"))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(FormatError, match="sidecar .*deep.json"):
        ncs_emg.read_study(p, sidecar=deep)
    big = tmp_path / "big.json"
    big.write_text('{"cut": {"pre_ms": ' + "9" * 5000 + "}}")
    with pytest.raises(FormatError, match="sidecar .*big.json: not readable JSON"):
        ncs_emg.read_study(p, sidecar=big)


def test_hold_ms_1e300_is_a_parameter_error():
    from ncs_emg.measure import measure_cmap

    with pytest.raises(ParameterError, match="hold_ms"):
        measure_cmap(np.zeros(100), 20000.0, hold_ms=1e300)


def test_read_study_h5_accepts_unset_edf_options_and_refuses_set_ones(tmp_path):
    p = corpus.h5_study(tmp_path)
    assert ncs_emg.read_study(p, sidecar=None).nerves
    with pytest.raises(ParameterError, match=r"\['pre_ms'\] apply to EDF/BDF files only"):
        ncs_emg.read_study(p, pre_ms=3.0)
    with pytest.raises(ParameterError, match="unknown option"):
        ncs_emg.read_study(p, sidecarr="x")


def test_record_duration_1e308_is_a_format_error_naming_the_field(tmp_path):
    p = corpus.edfd_two_signals(tmp_path, ("R Median APB", "x"))
    b = bytearray(p.read_bytes())
    b[244:252] = b"1e308   "
    p.write_bytes(bytes(b))
    with pytest.raises(
        FormatError, match=r"two\.edf: header field record duration: '1E\+308' s is beyond"
    ):
        ncs_emg.read_study(p)


# ---- EDF+D output linear in the data ----------------------------------------------------------------


def test_edfd_size_grows_linearly_with_the_nerve_count(tmp_path):
    sizes = []
    for n in (10, 40):
        st = corpus.small_study(n_nerves=n, n_sites=2)
        sizes.append(ncs_emg.write_study(st, tmp_path / f"n{n}.edf").stat().st_size)
    data_bytes = 40 * 2 * 2 * 400 * 2  # nerves x sites x sweeps x samples x 2 bytes
    assert sizes[1] / sizes[0] < 4.3  # 4x the data: linear (the old layout grew 16x)
    assert sizes[1] < 3 * data_bytes


def test_files_in_the_old_one_signal_per_nerve_layout_still_read(tmp_path):
    s = ncs_emg.read_study(corpus.old_layout_edfd(tmp_path))
    assert [(n.nerve, n.side, n.muscle) for n in s.nerves] == [
        ("median", "right", "APB"),
        ("ulnar", "left", "ADM"),
    ]
    assert [site.name for site in s.nerves[0].sites] == ["wrist", "elbow"]
    assert s.nerves[1].sites[0].sweeps.data.min() == pytest.approx(-2.0, abs=1e-3)


@pytest.mark.parametrize("ext, limit", [(".h5", 1.25), (".edf", 1.8)])
def test_reading_holds_about_one_float_copy_of_the_data(tmp_path, ext, limit):
    """Peak traced memory of a read, in units of the study's float64 samples.

    HDF5 fills one float64 array that Sweeps keeps; EDF keeps the file's bytes (2 per sample) and
    scales the stored integers straight into the stacked sweeps (no full-signal float copy).
    """
    sw = Sweeps(np.random.default_rng(0).normal(0, 1, (400, 2000)), 20000.0, -5.0)
    p = ncs_emg.write_study(
        Study((Nerve("median", sites=(Site("w", sw, 70.0),)),)), tmp_path / f"s{ext}"
    )
    tracemalloc.start()
    try:
        back = ncs_emg.read_study(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert back.nerves[0].sites[0].sweeps.n_sweeps == 400
    assert peak < limit * sw.data.nbytes


@pytest.mark.timeout(120)
def test_a_real_sigint_during_convert_exits_130_and_leaves_nothing(tmp_path):
    """The operating system's SIGINT (not a raised exception) arrives while h5py is writing."""
    import subprocess
    import sys
    import textwrap

    src = ncs_emg.write_study(corpus.small_study(n_nerves=3), tmp_path / "in.edf")
    out = tmp_path / "out.h5"
    script = textwrap.dedent(
        f"""
        import os, signal
        from ncs_emg.io import hdf5
        from ncs_emg.cli import main
        real = hdf5._write_nerve
        def interrupted(g, nerve, index):
            if index == 1:
                os.kill(os.getpid(), signal.SIGINT)
            return real(g, nerve, index)
        hdf5._write_nerve = interrupted
        raise SystemExit(main(["convert", {str(src)!r}, {str(out)!r}]))
        """
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=100
    )
    assert proc.returncode == 130, proc.stderr
    assert "interrupted" in proc.stderr
    assert not out.exists() and _leftovers(tmp_path) == []


@pytest.mark.timeout(20)
def test_fifos_and_devices_are_refused_without_blocking(tmp_path):
    fifo = corpus.fifo(tmp_path)
    with pytest.raises(FormatError, match="not a regular file"):
        ncs_emg.read_study(fifo)
    with pytest.raises(FormatError, match="not a regular file"):
        read_edf(fifo)
    with pytest.raises(FormatError, match="not a regular file"):
        read_edf("/dev/zero")
    p = corpus.edfd_two_signals(tmp_path, ("R Median APB", "x"))
    with pytest.raises(FormatError, match=r"sidecar .*fifo: not a regular file"):
        ncs_emg.read_study(p, sidecar=fifo)


def test_writing_through_a_symbolic_link_replaces_the_file_it_points_to(tmp_path):
    real = tmp_path / "real.h5"
    real.write_bytes(b"old")
    link = tmp_path / "link.h5"
    link.symlink_to(real)
    ncs_emg.write_study(corpus.small_study(), link)
    assert link.is_symlink() and ncs_emg.read_study(real).nerves
    assert _leftovers(tmp_path) == []


def test_text_output_with_a_lone_surrogate_is_refused_before_writing(tmp_path):
    from ncs_emg.io.atomic import AtomicGroup

    g = AtomicGroup()
    with pytest.raises(ParameterError, match="lone surrogate"):
        g.write_text(tmp_path / "o.csv", "a,b\n\udcff,1\n")
    g.discard()
    assert list(tmp_path.iterdir()) == []
