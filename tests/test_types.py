"""Recording model: validation on construction with errors that name the field."""

from __future__ import annotations

import numpy as np
import pytest

from ncs_emg import Nerve, ParameterError, Site, Study, Sweeps


def sw(n=2, m=100, **kw):
    return Sweeps(np.zeros((n, m)), kw.pop("sfreq_hz", 20000.0), **kw)


def test_sweeps_are_read_only_float64_copies():
    a = np.ones((2, 10), dtype=np.int16)
    s = Sweeps(a, 20000.0, -1.0)
    a[0, 0] = 5
    assert s.data.dtype == np.float64 and s.data[0, 0] == 1.0
    with pytest.raises(ValueError):
        s.data[0, 0] = 2.0
    assert s.n_sweeps == 2 and s.n_samples == 10
    assert s.dt_ms == pytest.approx(0.05)
    np.testing.assert_allclose(s.times_ms[:3], [-1.0, -0.95, -0.9])
    assert s.accepted.all() and s.accepted.shape == (2,)


def test_one_dimensional_data_becomes_one_sweep():
    assert Sweeps(np.zeros(50), 1000.0).data.shape == (1, 50)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(data=np.zeros((2, 3, 4)), sfreq_hz=1.0), "Sweeps.data.*3 dimensions"),
        (dict(data=np.zeros((0, 4)), sfreq_hz=1.0), "Sweeps.data.*empty"),
        (dict(data=np.array([[1.0, np.nan]]), sfreq_hz=1.0), "Sweeps.data.*non-finite"),
        (dict(data=np.zeros((1, 4)), sfreq_hz=0.0), "Sweeps.sfreq_hz"),
        (dict(data=np.zeros((1, 4)), sfreq_hz=float("nan")), "Sweeps.sfreq_hz"),
        (dict(data=np.zeros((1, 4)), sfreq_hz=1.0, t0_ms=float("inf")), "Sweeps.t0_ms"),
        (dict(data=np.zeros((2, 4)), sfreq_hz=1.0, accepted=[True]), "Sweeps.accepted"),
    ],
)
def test_sweeps_validation(kwargs, match):
    with pytest.raises(ParameterError, match=match):
        Sweeps(**kwargs)


def test_site_validation():
    with pytest.raises(ParameterError, match="Site.name"):
        Site("", sw())
    with pytest.raises(ParameterError, match="Site.sweeps"):
        Site("wrist", np.zeros((2, 10)))
    with pytest.raises(ParameterError, match="Site.distance_mm.*wrist"):
        Site("wrist", sw(), distance_mm=-3)
    with pytest.raises(ParameterError, match="Site.pulse_width_ms"):
        Site("wrist", sw(), pulse_width_ms=0)
    assert Site("wrist", sw(), distance_mm=float("nan")).distance_mm is None  # NaN means unknown


def test_nerve_validation_and_normalisation():
    n = Nerve("Fibular", "R", "EDB", sites=(Site("ankle", sw()),))
    assert n.nerve == "peroneal" and n.side == "right" and n.label == "right peroneal (EDB)"
    assert n.site("ankle").name == "ankle"
    with pytest.raises(ParameterError, match="site 'knee'"):
        n.site("knee")
    with pytest.raises(ParameterError, match="unique.*wrist"):
        Nerve("median", sites=(Site("wrist", sw()), Site("wrist", sw())))
    with pytest.raises(ParameterError, match="Nerve.side"):
        Nerve("median", side="middle")
    with pytest.raises(ParameterError, match="Nerve.kind"):
        Nerve("median", kind="sensory")
    with pytest.raises(ParameterError, match="fwave.*needs an F-wave train"):
        Nerve("median", kind="fwave")
    with pytest.raises(ParameterError, match="Nerve.lff_hz"):
        Nerve("median", lff_hz=-2)
    with pytest.raises(ParameterError, match=r"Nerve.sites\[0\]"):
        Nerve("median", sites=("wrist",))


def test_study_validation():
    s = Study((Nerve("median"),), subject_id="x", source={"a": 1})
    assert s.nerves[0].nerve == "median"
    with pytest.raises(ParameterError, match=r"Study.nerves\[0\]"):
        Study(("median",))
    with pytest.raises(ParameterError, match="Study.source"):
        Study(source=[1])


def test_containers_are_frozen():
    s = Site("wrist", sw())
    with pytest.raises(AttributeError):
        s.name = "elbow"


def test_per_sweep_stimulus_parameters():
    s = Sweeps(
        np.zeros((3, 10)), 1000.0, stim_intensity_ma=[10, np.nan, 12.5], pulse_width_ms=[0.2] * 3
    )
    assert s.stim_intensity_ma.tolist()[0] == 10.0 and np.isnan(s.stim_intensity_ma[1])
    assert s.pulse_width_ms.dtype == np.float64
    with pytest.raises(ValueError):
        s.pulse_width_ms[0] = 1.0
    assert (
        Sweeps(np.zeros((2, 5)), 1000.0, stim_intensity_ma=[np.nan, np.nan]).stim_intensity_ma
        is None
    )
    assert s != Sweeps(np.zeros((3, 10)), 1000.0)
    with pytest.raises(ParameterError, match="Sweeps.stim_intensity_ma.*one value per sweep"):
        Sweeps(np.zeros((3, 10)), 1000.0, stim_intensity_ma=[1.0, 2.0])
    with pytest.raises(ParameterError, match="Sweeps.pulse_width_ms.*> 0"):
        Sweeps(np.zeros((2, 10)), 1000.0, pulse_width_ms=[0.2, 0.0])
    with pytest.raises(ParameterError, match="Sweeps.stim_intensity_ma.*>= 0"):
        Sweeps(np.zeros((2, 10)), 1000.0, stim_intensity_ma=[-1.0, 3.0])
    with pytest.raises(ParameterError, match="Sweeps.stim_intensity_ma.*finite"):
        Sweeps(np.zeros((2, 10)), 1000.0, stim_intensity_ma=[np.inf, 3.0])
