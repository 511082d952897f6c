"""Figures: the artists sit where the measures say (not pixels); no pyplot state."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import ncs_emg
from ncs_emg import viz

FIX = Path(__file__).resolve().parents[1] / "data" / "fixtures"


@pytest.fixture(scope="module")
def block():
    study = ncs_emg.read_study(FIX / "block_ulnar.h5")
    return study, ncs_emg.analyze(study)


def _by_gid(ax, gid):
    return [a for a in ax.get_children() if a.get_gid() == gid]


def test_waveform_stack_marks_the_measured_landmarks(block):
    study, rep = block
    nerve, nr = study.nerves[0], rep.nerves[0]
    fig = viz.plot_nerve(nerve, nr)
    (ax,) = fig.axes
    assert "negative up" in ax.get_ylabel()
    assert [t.get_text() for t in ax.get_yticklabels()] == [s.name for s in nerve.sites]
    onsets = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "onset"]
    peaks = [ln for ln in ax.get_lines() if ln.get_gid() == "negative peak"]
    ends = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "end of negative phase"]
    assert len(onsets) == len(peaks) == len(ends) == len(nerve.sites)
    offsets = ax.get_yticks()
    for i, (site, sv) in enumerate(zip(nerve.sites, nr.sites, strict=True)):
        m = ncs_emg.measure_sweeps(site.sweeps)
        k = sv.sweep_index
        assert onsets[i] == pytest.approx(m.onset_latency_ms[k], abs=1e-12)
        assert onsets[i] == pytest.approx(sv.onset_latency_ms, abs=1e-12)
        assert peaks[i].get_xdata()[0] == pytest.approx(m.neg_peak_latency_ms[k], abs=1e-12)
        assert ends[i] == pytest.approx(m.onset_latency_ms[k] + m.neg_duration_ms[k], abs=1e-12)
        # negative up: the negative peak is drawn above its trace's baseline by its amplitude
        height = peaks[i].get_ydata()[0] - offsets[i]
        assert height == pytest.approx(m.neg_peak_amp_mv[k], rel=0.05)
    assert len([c for c in ax.collections if c.get_gid() == "negative-area"]) == len(nerve.sites)


def test_segment_ladder_positions_cv_and_flags(block):
    _, rep = block
    nr = rep.nerves[0]
    fig = viz.plot_segments(nr)
    (ax,) = fig.axes
    (line,) = [ln for ln in ax.get_lines() if ln.get_gid() == "sites"]
    dist = np.cumsum([s.distance_mm for s in nr.sites])
    assert np.allclose(line.get_xdata(), dist)
    assert np.allclose(line.get_ydata(), [s.onset_latency_ms for s in nr.sites])
    cv = sorted(t.get_text() for t in _by_gid(ax, "cv"))
    want = sorted(f"{g.cv_m_s:.1f} m/s" for g in nr.segments if g.kind == "consecutive")
    assert cv == want
    flags = viz.ladder.segment_flags(nr)
    sets_with_cb = {
        cid for cid, s in nr.summary.items() if s.conduction_block not in ("none", "not_evaluable")
    }
    assert set(flags[("wrist", "below elbow")]["CB"]) == sets_with_cb  # the simulated forearm block
    assert len(_by_gid(ax, "flag")) == len(flags)


def test_ladder_of_a_normal_nerve_has_no_flag():
    rep = ncs_emg.analyze(ncs_emg.read_study(FIX / "normal_median.h5"))
    fig = viz.plot_segments(rep.nerves[0])
    assert _by_gid(fig.axes[0], "flag") == []


def test_fwave_raster_marks_onsets_repeaters_and_a_waves():
    nerve = ncs_emg.read_study(FIX / "fwave_ulnar.h5").nerves[0]
    fm = ncs_emg.measure_nerve_fwaves(nerve)
    (ax,) = viz.plot_fwaves(nerve, fm).axes
    (on,) = [ln for ln in ax.get_lines() if ln.get_gid() == "F onset"]
    lat = fm.onset_latency_ms[np.isfinite(fm.onset_latency_ms)]
    assert np.allclose(on.get_xdata(), lat) and len(lat) > 0
    (rep,) = [ln for ln in ax.get_lines() if ln.get_gid() == "repeater"]
    want = fm.peak_latency_ms[fm.repeater & np.isfinite(fm.peak_latency_ms)]
    assert np.allclose(rep.get_xdata(), want)
    a = [ln.get_xdata()[0] for ln in ax.get_lines() if ln.get_gid() == "A-wave"]
    assert np.allclose(a, [w.onset_latency_ms for w in fm.a_waves])
    n = int(nerve.fwaves.accepted.sum())
    assert [t.get_text() for t in ax.get_yticklabels()][-1] == str(n)  # one row per sweep


def test_criteria_matrix_cells_read_the_summaries(block):
    _, rep = block
    (ax,) = viz.plot_criteria_matrix(rep).axes
    texts = [t.get_text() for t in _by_gid(ax, "cell")]
    want = [viz.matrix.verdict_text(n.summary[c.id]) for n in rep.nerves for c in rep.criteria]
    want += [viz.matrix.verdict_text(rep.summary[c.id]) for c in rep.criteria]
    assert texts == want
    assert [t.get_text() for t in ax.get_xticklabels()] == [c.id for c in rep.criteria]


def test_svg_is_inline_markup(block):
    _, rep = block
    svg = viz.figure_svg(viz.plot_criteria_matrix(rep))
    assert svg.startswith("<svg") and svg.rstrip().endswith("</svg>")


def test_bad_input_is_refused():
    with pytest.raises(ncs_emg.ParameterError, match="nerve"):
        viz.plot_nerve("not a nerve")
    nerve = ncs_emg.read_study(FIX / "normal_median.h5").nerves[0]
    with pytest.raises(ncs_emg.ParameterError, match="F-wave"):
        viz.plot_fwaves(nerve)


def test_plotting_uses_no_pyplot():
    code = (
        "import sys, ncs_emg\n"
        "assert 'matplotlib' not in sys.modules\n"
        "from ncs_emg import viz\n"
        "assert 'matplotlib' not in sys.modules\n"
        "viz.figure_svg(viz.new_figure(2, 2))\n"
        "assert 'matplotlib.pyplot' not in sys.modules\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
