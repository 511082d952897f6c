"""Figures of studies and reports (matplotlib, imported only when a figure is asked for).

Every function returns a :class:`matplotlib.figure.Figure` built without ``pyplot`` (no global
figure registry, no interactive backend), ready for ``fig.savefig(...)`` or :func:`figure_svg`.

* :func:`plot_nerve`: waveform stack of one nerve (sites top to bottom, one time axis, negative up).
* :func:`plot_segments`: segment ladder (onset latency against distance, CV per segment, CB/TD flags).
* :func:`plot_fwaves`: F-wave raster (sweeps stacked, F onsets, A-waves, repeaters).
* :func:`plot_criteria_matrix`: conduction-block verdict of every nerve under every criteria set.
"""

from __future__ import annotations

from .fwave import plot_fwaves
from .ladder import plot_segments
from .matrix import plot_criteria_matrix
from .style import figure_svg, new_figure
from .waveforms import plot_nerve

__all__ = [
    "plot_nerve",
    "plot_segments",
    "plot_fwaves",
    "plot_criteria_matrix",
    "figure_svg",
    "new_figure",
]
