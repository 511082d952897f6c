"""F-wave raster: the sweeps of a train stacked, with F onsets, A-waves and repeaters marked."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import ParameterError
from ..types import Nerve
from .style import COLORS, display_points, new_figure

__all__ = ["plot_fwaves"]


def plot_fwaves(nerve: Nerve, measures: Any = None, *, title: str | None = None) -> Any:
    """F-wave raster of a nerve's train (accepted sweeps, first at the top).

    Parameters
    ----------
    nerve : Nerve
        A nerve with an F-wave train.
    measures : FWaveMeasures, optional
        Its analysis; default :func:`ncs_emg.measure_nerve_fwaves` (nerve).
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        One trace per sweep from shortly before the end of the M-wave (the M-wave is off scale),
        negative up; F onsets (gid ``"F onset"``) at ``measures.onset_latency_ms``, repeaters (gid
        ``"repeater"``) at their F peak, A-wave onsets as dashed lines (gid ``"A-wave"``).

    Raises
    ------
    ParameterError
        When the nerve has no F-wave train.
    """
    if not isinstance(nerve, Nerve) or nerve.fwaves is None:
        raise ParameterError("nerve: expected a Nerve with an F-wave train (nerve.fwaves)")
    if measures is None:
        from ..fwave import measure_nerve_fwaves

        measures = measure_nerve_fwaves(nerve)
    sw = nerve.fwaves
    x = sw.data[sw.accepted]
    t = sw.t0_ms + np.arange(x.shape[1]) * 1000.0 / sw.sfreq_hz
    t_start = measures.m_end_ms - 2.0 if np.isfinite(measures.m_end_ms) else 0.0
    keep = t >= t_start
    amp = measures.peak_to_peak_amp_mv[np.asarray(measures.present, bool)]
    step = float(np.median(amp)) * 1.5 if amp.size and np.median(amp) > 0 else 0.5
    fig = new_figure(7.0, 1.5 + 0.22 * x.shape[0], left_in=0.8)
    ax = fig.add_subplot()
    on_x, on_y, rep_x, rep_y = [], [], [], []
    xs_all: list = []
    ys_all: list = []
    for i in range(x.shape[0]):
        off = -i * step
        xi = x[i] - np.median(x[i][keep])
        y = off - np.clip(xi, -0.9 * step, 0.9 * step)  # negative up; the M-wave is clipped
        tt, yy = display_points(t[keep], y[keep], max_points=400)
        xs_all += [tt, [np.nan]]
        ys_all += [yy, [np.nan]]
        lat = measures.onset_latency_ms[i]
        if np.isfinite(lat):
            on_x.append(lat)
            on_y.append(float(np.interp(lat, t, y)))
        if measures.repeater[i] and np.isfinite(measures.peak_latency_ms[i]):
            rep_x.append(float(measures.peak_latency_ms[i]))
            rep_y.append(off + 0.6 * step)
    ax.plot(
        np.concatenate(xs_all), np.concatenate(ys_all), color=COLORS["trace"], lw=0.6, gid="sweeps"
    )  # fmt: skip; one artist for all sweeps (NaN-separated)
    ax.plot(on_x, on_y, ls="none", marker="|", ms=9, mew=2, color=COLORS["onset"],
            label="F onset", gid="F onset")  # fmt: skip
    ax.plot(rep_x, rep_y, ls="none", marker="*", ms=8, color=COLORS["repeater"],
            label="repeater", gid="repeater")  # fmt: skip
    for j, a in enumerate(w.onset_latency_ms for w in measures.a_waves):
        ax.axvline(a, color=COLORS["a_wave"], ls="--", lw=1, gid="A-wave",
                   label="A-wave" if j == 0 else None)  # fmt: skip
    shown = sorted({0, *range(4, x.shape[0], 5), x.shape[0] - 1})  # sweeps 1, 5, 10, ... and last
    ax.set_yticks([-i * step for i in shown])
    ax.set_yticklabels([str(i + 1) for i in shown], fontsize=7)
    ax.set_xlabel("time after stimulus (ms)")
    ax.set_ylabel(f"sweep ({step:.2f} mV per step, negative up)")
    ax.set_title(title or f"{nerve.label}: F-waves", y=1.0)
    ax.legend(loc="upper right", fontsize="small", frameon=False)
    return fig
