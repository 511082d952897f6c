"""Waveform stack of one nerve: one trace per site, negative up, with the measured landmarks."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from ..types import Nerve
from .style import COLORS, display_points, new_figure

__all__ = ["plot_nerve", "site_landmarks"]


def site_landmarks(site: Any, sweep_index: int | None) -> dict[str, Any]:
    """The sweep shown for a site and its landmarks (ms, mV) from :func:`ncs_emg.measure_sweeps`.

    ``sweep_index`` None (a median of sweeps, or values input): the sweep with the largest negative
    peak is shown.
    """
    from ..measure import measure_sweeps

    sw = site.sweeps
    m = measure_sweeps(sw)
    if sweep_index is None:
        amp = np.where(np.isfinite(m.neg_peak_amp_mv), m.neg_peak_amp_mv, -np.inf)
        sweep_index = int(np.argmax(amp))
    k = int(sweep_index)
    onset = float(m.onset_latency_ms[k])
    return {
        "sweep_index": k,
        "t_ms": sw.t0_ms + np.arange(sw.data.shape[1]) * 1000.0 / sw.sfreq_hz,
        "x_mv": sw.data[k],
        "baseline_mv": float(m.baseline_mv[k]),
        "onset_ms": onset,
        "neg_peak_ms": float(m.neg_peak_latency_ms[k]),
        "end_ms": onset + float(m.neg_duration_ms[k]),
    }


def _draw_site(ax: Any, lm: dict[str, Any], offset: float, first: bool) -> None:
    t, y = lm["t_ms"], offset - (lm["x_mv"] - lm["baseline_mv"])  # negative up
    ax.plot(*display_points(t, y), color=COLORS["trace"], lw=0.9)
    on, end = lm["onset_ms"], lm["end_ms"]
    if np.isfinite(on) and np.isfinite(end):
        sel = (t >= on) & (t <= end)
        ax.fill_between(t[sel], offset, y[sel], color=COLORS["area"], alpha=0.5, lw=0,
                        label="negative area" if first else None, gid="negative-area")  # fmt: skip
    for key, marker, name in (("onset_ms", "|", "onset"), ("neg_peak_ms", "v", "negative peak"),
                              ("end_ms", "|", "end of negative phase")):  # fmt: skip
        tm = lm[key]
        if np.isfinite(tm):
            ax.plot([tm], [np.interp(tm, t, y)], ls="none", marker=marker, ms=10, mew=2,
                    color=COLORS[{"onset_ms": "onset", "neg_peak_ms": "peak"}.get(key, "end")],
                    label=name if first else None, gid=name)  # fmt: skip


def plot_nerve(nerve: Nerve, report: Any = None, *, title: str | None = None) -> Any:
    """Waveform stack of a nerve: sites top (distal) to bottom (proximal) on one time axis.

    Parameters
    ----------
    nerve : Nerve
        The recording (the waveforms).
    report : NerveReport, optional
        Its analysis (which sweep each site used); default :func:`ncs_emg.analyze_nerve` (nerve).
    title : str, optional
        Figure title (default: the nerve's label).

    Returns
    -------
    matplotlib.figure.Figure
        One axes; per site a trace with markers at the onset, negative peak and end of the
        negative phase (artists with gids ``"onset"``, ``"negative peak"``,
        ``"end of negative phase"``) and the shaded negative area (gid ``"negative-area"``).
        Voltage is drawn negative up (clinical convention), as the y-axis label says.

    Raises
    ------
    ParameterError
        When ``nerve`` is not a Nerve or has no sites.
    """
    if not isinstance(nerve, Nerve):
        raise ParameterError(f"nerve: expected a Nerve, got {type(nerve).__name__}")
    if not nerve.sites:
        raise ParameterError(f"nerve: {nerve.label} has no stimulation site to plot")
    if report is None:
        from ..analysis import analyze_nerve

        report = analyze_nerve(nerve)
    chosen = {s.name: s.sweep_index for s in report.sites}
    marks = [site_landmarks(s, chosen.get(s.name)) for s in nerve.sites]
    span = max(float(np.nanmax(np.abs(lm["x_mv"] - lm["baseline_mv"]))) for lm in marks)
    step = 1.6 * span if span > 0 else 1.0
    fig = new_figure(7.0, 1.1 + 1.3 * len(marks), left_in=1.3)
    ax = fig.add_subplot()
    for i, lm in enumerate(marks):
        _draw_site(ax, lm, -i * step, i == 0)
    ax.set_yticks([-i * step for i in range(len(marks))])
    ax.set_yticklabels([s.name for s in nerve.sites])
    ax.set_xlabel("time after stimulus (ms)")
    ax.set_ylabel(f"site (trace scale: {step:.2f} mV per step, negative up)")
    ax.axvline(0.0, color="#999999", lw=0.6, ls=":")
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    ax.set_title(title or nerve.label, y=1.0)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    return fig
