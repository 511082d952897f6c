"""Plausibility warnings, per-site errors (StudyMeasures) and the measure command with a bad site."""

from __future__ import annotations

import csv
import io
import json
import pickle  # noqa: S403 - only to check the result is cheap to send to another process
import warnings

import numpy as np
import pytest

import ncs_emg
from ncs_emg import NcsEmgWarning, ParameterError, measure_cmap
from ncs_emg.cli import main
from waveforms import cmap_shape

FS = 20000.0


def _cmap(n=900, t0=-5.0, fs=FS):
    t = t0 + np.arange(n) * 1000.0 / fs
    return cmap_shape(t, 5.0)


# ------------------------------------------------------------------ plausibility (never a number)


def test_sampling_rate_in_khz_warns_and_changes_nothing():
    x = _cmap()
    with pytest.warns(NcsEmgWarning, match=r"kHz.*sfreq_hz=20000"):
        m = measure_cmap(x, 20.0, t0_ms=-5000.0)
    # the numbers are what the rate given implies (ms 1000 times too long), not corrected
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NcsEmgWarning)
        quiet = measure_cmap(x, 20.0, t0_ms=-5000.0)
    np.testing.assert_array_equal(m.onset_latency_ms, quiet.onset_latency_ms)
    assert m.onset_latency_ms[0] == pytest.approx(5000.0, abs=100.0)


def test_microvolt_data_warn():
    with pytest.warns(NcsEmgWarning, match=r"µV.*x / 1000"):
        m = measure_cmap(_cmap() * 1000, FS, t0_ms=-5.0)
    assert m.neg_peak_amp_mv[0] == pytest.approx(5000.0, rel=1e-3)


def test_volt_data_warn_with_no_response():
    with pytest.warns(NcsEmgWarning, match=r"in V\?.*x \* 1000"):
        m = measure_cmap(_cmap() / 1000, FS, t0_ms=-5.0)
    assert m.no_response[0]


def test_display_polarity_is_flagged_positive_first():
    with pytest.warns(NcsEmgWarning, match="display polarity"):
        m = measure_cmap(-_cmap(), FS, t0_ms=-5.0)
    assert m.positive_first[0]
    normal = measure_cmap(_cmap(), FS, t0_ms=-5.0)
    assert not normal.positive_first[0]


def test_transposed_array_error_suggests_transpose():
    x = np.tile(_cmap(), (5, 1)).T  # (900 samples, 5 sweeps): transposed
    with pytest.raises(ParameterError, match=r"x\.T"):
        measure_cmap(x, FS, t0_ms=-5.0)


def test_plausible_data_give_no_warning(recwarn):
    measure_cmap(_cmap(), FS, t0_ms=-5.0)
    assert not [w for w in recwarn if issubclass(w.category, NcsEmgWarning)]


# ------------------------------------------------------------------ StudyMeasures and site errors


def _study(short_site=True):
    x = _cmap()
    sites = [
        ncs_emg.Site("wrist", ncs_emg.Sweeps(np.stack([x, x]), FS, -5.0), 70.0, "distal"),
        ncs_emg.Site("elbow", ncs_emg.Sweeps(x, FS, -5.0), 230.0, "forearm"),
    ]
    if short_site:  # 10 samples: too short for the windows
        sites.append(ncs_emg.Site("axilla", ncs_emg.Sweeps(x[:10], FS, -5.0), 100.0, "arm"))
    nerve = ncs_emg.Nerve("median", "left", "APB", sites=tuple(sites))
    return ncs_emg.Study((nerve,), subject_id="s1")


def test_one_bad_site_does_not_stop_the_study():
    res = ncs_emg.measure_study(_study())
    assert isinstance(res, ncs_emg.StudyMeasures)
    assert [s.site_name for s in res] == ["wrist", "elbow"]
    (err,) = res.errors
    assert (err.nerve, err.side, err.site_name) == ("median", "left", "axilla")
    assert "too short" in err.reason
    assert "axilla" in str(err) and "left median" in str(err)


def test_study_measures_hold_ids_not_arrays():
    res = ncs_emg.measure_study(_study())
    assert len(repr(res)) < 200 and "2 sites" in repr(res)
    assert len(pickle.dumps(res)) < 20_000  # no sweep arrays travel with it
    d = res.to_dict()
    assert d["errors"][0]["site"] == "axilla" and d["sites"][0]["label"] == "left median (APB)"
    json.dumps(d, allow_nan=False)


def test_cli_measures_what_it_can(tmp_path, capsys):
    path = ncs_emg.write_study(_study(), tmp_path / "s.h5")
    assert main(["measure", str(path)]) == 0
    out, err = capsys.readouterr()
    assert "axilla" in err and "too short" in err
    assert "Not measured" in out and "axilla" in out and "elbow" in out
    assert main(["measure", str(path), "--format", "json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [s["site"] for s in doc["sites"]] == ["wrist", "elbow"]
    assert doc["errors"][0]["site"] == "axilla"
    assert main(["measure", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["site"] for r in rows] == ["wrist", "wrist", "elbow", "axilla"]
    assert rows[-1]["error"] and not rows[0]["error"]


def test_cli_exits_1_when_no_site_could_be_measured(tmp_path, capsys):
    x = _cmap()[:10]
    site = ncs_emg.Site("wrist", ncs_emg.Sweeps(x, FS, -5.0), 70.0, "distal")
    st = ncs_emg.Study((ncs_emg.Nerve("median", "left", "APB", sites=(site,)),), subject_id="s")
    path = ncs_emg.write_study(st, tmp_path / "bad.h5")
    assert main(["measure", str(path)]) == 1
    assert "no site could be measured" in capsys.readouterr().err


def test_table_headers_come_from_the_result_metadata(tmp_path, capsys):
    from ncs_emg.cmap_results import cmap_columns

    path = ncs_emg.write_study(_study(short_site=False), tmp_path / "s.h5")
    assert main(["measure", str(path)]) == 0
    header = capsys.readouterr().out.splitlines()[1].split()
    assert header[5:] == [c["header"] for c in cmap_columns(table=True)]


def test_first_run_notice_only_when_kernels_are_not_cached(tmp_path, capsys, monkeypatch):
    from ncs_emg import _jit
    from ncs_emg import _kernels as K
    from ncs_emg.cli import measure as cli_measure

    measure_cmap(_cmap(), FS, t0_ms=-5.0)  # compiles (and caches) the serial kernel
    assert _jit.kernels_cached(K.cmap_serial)
    study = _study(short_site=False)
    cli_measure.first_run_notice(study)
    assert capsys.readouterr().err == ""
    monkeypatch.setattr(_jit, "kernels_cached", lambda *d: False)
    cli_measure.first_run_notice(study)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "compiling" in err


def test_reader_saturation_is_ored_into_the_flag():
    x = _cmap()
    flat = np.full_like(x, -8.0)  # a dead channel at the digital minimum
    sw = ncs_emg.Sweeps(np.stack([x, flat]), FS, -5.0, saturated=np.array([False, True]))
    m = ncs_emg.measure_sweeps(sw)
    assert list(m.saturated) == [False, True] and list(m.no_response) == [False, False]
    assert np.isnan(m.neg_peak_amp_mv[1]) and np.isfinite(m.neg_peak_amp_mv[0])
    plain = ncs_emg.measure_sweeps(ncs_emg.Sweeps(np.stack([x, flat]), FS, -5.0))
    assert list(plain.no_response) == [False, True] and not plain.saturated.any()


def test_cli_prints_plausibility_warnings_naming_the_site(tmp_path, capsys):
    x = _cmap() * 1000  # µV written as mV
    site = ncs_emg.Site("wrist", ncs_emg.Sweeps(x, FS, -5.0), 70.0, "distal")
    st = ncs_emg.Study((ncs_emg.Nerve("median", "left", "APB", sites=(site,)),), subject_id="s")
    path = ncs_emg.write_study(st, tmp_path / "uv.h5")
    assert main(["measure", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "left median (APB), site 'wrist'" in err and "x / 1000" in err
    with pytest.warns(NcsEmgWarning, match=r"left median \(APB\), site 'wrist'.*µV"):
        ncs_emg.measure_study(st)
