"""Native HDF5 format: exact round trip, magic-byte dispatch, and clear errors for broken files."""

from __future__ import annotations

import json

import h5py
import numpy as np
import pytest

import ncs_emg
from ncs_emg import FormatError, Nerve, ParameterError, Site, Study, Sweeps
from ncs_emg.io import sniff_format
from ncs_emg.io.hdf5 import FORMAT_NAME


def _study(rng) -> Study:
    def sw(n, m, fs=20000.0, t0=-5.0):
        return Sweeps(rng.normal(0, 1, (n, m)) * 3.3, fs, t0, accepted=rng.random(n) > 0.2)

    median = Nerve(
        "median",
        "right",
        "APB",
        sites=(
            Site("wrist", sw(3, 600), 70.1, "distal", 12.3, 0.2),
            Site(
                "elbow",
                Sweeps(
                    rng.normal(0, 1, (2, 600)),
                    20000.0,
                    -5.0,
                    stim_intensity_ma=[18.5, np.nan],  # per sweep; NaN = not recorded
                    pulse_width_ms=[0.2, 0.1],
                ),
                233.7,
                "forearm",
            ),
            Site("axilla", sw(1, 800, fs=50000.0, t0=-2.5), None, None, None, 0.1),
        ),
        fwaves=sw(20, 1000, t0=-3.3),
        lff_hz=2.0,
        hff_hz=10000.0,
        temperature_c=32.7,
    )
    tibial = Nerve(
        "tibial", "left", "AH", sites=(Site("ankle", sw(1, 500), 100.0),), polarity_flipped=True
    )
    fw_only = Nerve("ulnar", "unknown", None, kind="fwave", fwaves=sw(10, 700, fs=10000.0, t0=0.0))
    return Study(
        (median, tibial, fw_only),
        subject_id="S-0001",
        date="2026-11-25",
        device="sim",
        source={"generator": "test", "seed": 1, "nested": {"a": [1, 2.5]}},
    )


def test_round_trip_is_exact(tmp_path, rng):
    study = _study(rng)
    p = ncs_emg.write_study(study, tmp_path / "s.h5")
    back = ncs_emg.read_study(p)
    assert back == study  # dataclass equality, Sweeps compares arrays exactly
    for a, b in zip(study.nerves, back.nerves, strict=True):
        for sa, sb in zip(a.sites, b.sites, strict=True):
            assert sa.sweeps.data.tobytes() == sb.sweeps.data.tobytes()


def test_empty_study_round_trips(tmp_path):
    s = Study()
    assert ncs_emg.read_study(ncs_emg.write_study(s, tmp_path / "e.hdf5")) == s


def test_file_declares_si_units_with_conversion(tmp_path, rng):
    p = ncs_emg.write_study(_study(rng), tmp_path / "s.h5")
    with h5py.File(p, "r") as fh:
        assert fh.attrs["format"] == FORMAT_NAME and fh.attrs["format_version"] == "1.1"
        site = fh["nerves/nerve_000/sites/site_00"]
        assert site["data"].attrs["unit"] == "V" and site["data"].attrs["conversion"] == 1e-3
        assert site.attrs["distance_unit"] == "m" and site.attrs["distance_conversion"] == 1e-3
        assert site.attrs["t0_unit"] == "s"
        # SI value = stored value * conversion
        assert site.attrs["distance"] * site.attrs["distance_conversion"] == pytest.approx(0.0701)


def test_reader_converts_files_stored_directly_in_si(tmp_path):
    # another tool (MATLAB, R) may write volts, metres and seconds with conversion 1.0
    p = tmp_path / "si.h5"
    with h5py.File(p, "w") as fh:
        fh.attrs["format"] = FORMAT_NAME
        fh.attrs["format_version"] = "1.3"
        g = fh.create_group("nerves/nerve_000")
        g.attrs["nerve"] = "ulnar"
        sg = g.create_group("sites/site_00")
        sg.attrs["name"] = "wrist"
        sg.attrs["distance"] = 0.07
        sg.attrs["distance_unit"] = "m"
        sg.attrs["distance_conversion"] = 1.0
        sg.attrs["sampling_rate"] = 20000.0
        sg.attrs["t0"] = -0.005
        sg.attrs["t0_unit"] = "s"
        sg.attrs["t0_conversion"] = 1.0
        ds = sg.create_dataset("data", data=np.full((1, 100), 0.004))
        ds.attrs["unit"] = "V"
        ds.attrs["conversion"] = 1.0
    st = ncs_emg.read_study(p)
    site = st.nerves[0].sites[0]
    assert site.distance_mm == pytest.approx(70.0)
    assert site.sweeps.t0_ms == pytest.approx(-5.0)
    assert site.sweeps.data[0, 0] == pytest.approx(4.0)
    assert st.subject_id == "anonymous"


def test_magic_bytes_not_extension_choose_the_reader(tmp_path, rng):
    p = ncs_emg.write_study(_study(rng), tmp_path / "s.h5")
    renamed = tmp_path / "study.dat"
    renamed.write_bytes(p.read_bytes())
    assert sniff_format(renamed) == "hdf5"
    assert ncs_emg.read_study(renamed).subject_id == "S-0001"


@pytest.mark.parametrize(
    "content, match",
    [
        (b"", "not a study file"),
        (b"hello world, not a study at all", "not a study file"),
        (b"\x89HDF\r\n\x1a\n" + b"\0" * 100, "not a readable HDF5"),
    ],
)
def test_non_study_files_raise_format_error(tmp_path, content, match):
    p = tmp_path / "x.h5"
    p.write_bytes(content)
    with pytest.raises(FormatError, match=match) as ei:
        ncs_emg.read_study(p)
    assert str(p) in str(ei.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(FormatError, match="no such file"):
        ncs_emg.read_study(tmp_path / "nope.h5")
    with pytest.raises(FormatError, match="directory"):
        ncs_emg.read_study(tmp_path)


def test_other_hdf5_file_is_not_a_study(tmp_path):
    p = tmp_path / "other.h5"
    with h5py.File(p, "w") as fh:
        fh["x"] = np.arange(3)
    with pytest.raises(FormatError, match="not an ncs_emg study"):
        ncs_emg.read_study(p)


def _mutate(tmp_path, rng, fn):
    p = ncs_emg.write_study(_study(rng), tmp_path / "m.h5")
    with h5py.File(p, "r+") as fh:
        fn(fh)
    return p


@pytest.mark.parametrize(
    "mutation, match",
    [
        (lambda fh: fh.attrs.__setitem__("format_version", "2.0"), "format_version"),
        (lambda fh: fh.attrs.__setitem__("format_version", "abc"), "format_version"),
        (lambda fh: fh.attrs.__delitem__("format_version"), "format_version.*missing"),
        (lambda fh: fh["nerves/nerve_000"].attrs.__delitem__("nerve"), "'nerve'.*missing"),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__setitem__(
                "distance", "seventy"
            ),
            "'distance'.*expected a number",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__setitem__("distance", np.nan),
            "'distance'.*finite",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__setitem__("distance", -5.0),
            "distance_mm",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__setitem__(
                "distance_unit", "furlong"
            ),
            "distance_unit",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__delitem__("sampling_rate"),
            "sampling_rate.*missing",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__setitem__("sampling_rate", 0.0),
            "sampling_rate",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00"].attrs.__setitem__("name", 5),
            "'name'.*expected text",
        ),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_01"].attrs.__setitem__("name", "wrist"),
            "unique",
        ),
        (lambda fh: fh["nerves/nerve_000/sites/site_00"].__delitem__("data"), "data.*missing"),
        (
            lambda fh: fh["nerves/nerve_000/sites/site_00/data"].attrs.__setitem__(
                "unit", "furlong"
            ),
            "unit",
        ),
        (lambda fh: fh["recording"].attrs.__setitem__("source_json", "{not json"), "source_json"),
        (lambda fh: fh.__delitem__("nerves"), "/nerves.*missing"),
        (lambda fh: fh["nerves/nerve_000"].attrs.__setitem__("side", "middle"), "side"),
    ],
)
def test_broken_fields_name_the_field(tmp_path, rng, mutation, match):
    p = _mutate(tmp_path, rng, mutation)
    with pytest.raises(FormatError, match=match) as ei:
        ncs_emg.read_study(p)
    assert str(p) in str(ei.value)


def test_wrongly_shaped_or_typed_data(tmp_path, rng):
    def three_d(fh):
        g = fh["nerves/nerve_000/sites/site_00"]
        attrs = dict(g["data"].attrs)
        del g["data"]
        ds = g.create_dataset("data", data=np.zeros((2, 2, 2)))
        ds.attrs.update(attrs)

    with pytest.raises(FormatError, match="2 dimensions"):
        ncs_emg.read_study(_mutate(tmp_path, rng, three_d))

    def strings(fh):
        g = fh["nerves/nerve_000/sites/site_00"]
        del g["data"]
        g.create_dataset("data", data=np.array([[b"a", b"b"]]))

    with pytest.raises(FormatError, match="numeric"):
        ncs_emg.read_study(_mutate(tmp_path, rng, strings))

    def nan(fh):
        fh["nerves/nerve_000/sites/site_00/data"][0, 5] = np.nan

    with pytest.raises(FormatError, match="non-finite"):
        ncs_emg.read_study(_mutate(tmp_path, rng, nan))


def test_huge_claimed_dataset_is_refused_before_allocation(tmp_path, rng):

    def huge(fh):
        g = fh["nerves/nerve_000/sites/site_00"]
        attrs = dict(g["data"].attrs)
        del g["data"]
        # a chunked dataset that claims 2**31 elements but stores none (fill value): tiny on disk
        ds = g.create_dataset("data", shape=(1 << 16, 1 << 15), dtype="f8", chunks=(1, 1024))
        ds.attrs.update(attrs)

    p = _mutate(tmp_path, rng, huge)
    assert p.stat().st_size < 1_000_000
    with pytest.raises(FormatError, match="limit"):
        ncs_emg.read_study(p)


def test_write_rejects_unknown_extension_and_non_study(tmp_path, rng):
    with pytest.raises(ParameterError, match="extension"):
        ncs_emg.write_study(_study(rng), tmp_path / "s.xyz")
    with pytest.raises(ParameterError, match="Study"):
        ncs_emg.write_study({"not": "a study"}, tmp_path / "s.h5")


def test_source_json_is_plain_json(tmp_path, rng):
    p = ncs_emg.write_study(_study(rng), tmp_path / "s.h5")
    with h5py.File(p, "r") as fh:
        assert json.loads(fh["recording"].attrs["source_json"])["nested"] == {"a": [1, 2.5]}
