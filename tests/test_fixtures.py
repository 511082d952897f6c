"""Golden fixtures: the shipped studies, read and measured, against their simulator truth JSON.

Tolerances are the 40 dB SNR column of the accuracy table (benchmarks/README.md, P95 at 20 kHz, default
detector) with a margin: these fixtures are simulated at 40 dB.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import ncs_emg

FIXTURES = Path(__file__).resolve().parents[1] / "data" / "fixtures"
NAMES = ["normal_median", "block_ulnar", "fwave_ulnar"]
TOL = {  # measure: (absolute ms, or relative %)
    "onset_latency_ms": ("ms", 0.3),
    "neg_peak_latency_ms": ("ms", 0.3),
    "neg_peak_amp_mv": ("%", 2.0),
    "peak_to_peak_amp_mv": ("%", 2.0),
    "neg_area_mv_ms": ("%", 2.0),
    "total_area_mv_ms": ("%", 3.0),
    "neg_duration_ms": ("ms", 0.3),
    "total_duration_ms": ("ms", 1.0),
}


@pytest.mark.parametrize("name", NAMES)
def test_fixture_measures_match_truth(name):
    truth = json.loads((FIXTURES / f"{name}.json").read_text())
    study = ncs_emg.read_study(FIXTURES / truth["file"])
    nerve = study.nerves[0]
    assert [s.name for s in nerve.sites] == [t["name"] for t in truth["truth"]["sites"]]
    for site, t in zip(nerve.sites, truth["truth"]["sites"]):
        assert site.distance_mm == pytest.approx(t["distance_mm"])
        m = ncs_emg.measure_sweeps(site.sweeps)
        assert not m.no_response.any() and not m.saturated.any()
        for key, (unit, tol) in TOL.items():
            got, want = float(getattr(m, key)[0]), t["measures"][key]
            err = got - want if unit == "ms" else 100 * (got - want) / want
            assert abs(err) <= tol, f"{name} {site.name} {key}: {got:.4f} vs truth {want:.4f}"
        # every detector is late against the first motor-unit arrival, never early
        assert m.onset_latency_ms[0] >= t["true_onset_ms"] - 0.05


def test_block_fixture_shows_its_block_in_the_area():
    truth = json.loads((FIXTURES / "block_ulnar.json").read_text())
    study = ncs_emg.read_study(FIXTURES / "block_ulnar.h5")
    areas = [ncs_emg.measure_sweeps(s.sweeps).neg_area_mv_ms[0] for s in study.nerves[0].sites]
    frac = [t["conducting_size_fraction"] for t in truth["truth"]["sites"]]
    # area below elbow / wrist follows the conducting size fraction of the truth (within 10 %)
    assert areas[1] / areas[0] == pytest.approx(frac[1] / frac[0], rel=0.1)
    assert areas[1] / areas[0] < 0.6  # a reduction > 40 %: conduction block by every criteria set
