"""Figure creation without pyplot, the shared look, and SVG text for reports."""

from __future__ import annotations

import io
from typing import Any

import numpy as np

__all__ = ["new_figure", "figure_svg", "display_points", "COLORS", "CB_COLORS"]

#: Marker colours (colour-blind safe: Okabe-Ito).
COLORS = {
    "trace": "#222222",
    "onset": "#0072B2",
    "peak": "#D55E00",
    "end": "#009E73",
    "area": "#56B4E9",
    "a_wave": "#CC79A7",
    "repeater": "#E69F00",
    "cb": "#D55E00",
    "td": "#0072B2",
}
#: Cell colours of conduction-block grades in the criteria matrix.
CB_COLORS = {
    "definite": "#D55E00",
    "probable": "#E69F00",
    "present": "#F0A868",
    "none": "#E8F4EA",
    "not_evaluable": "#DDDDDD",
}


def new_figure(
    width_in: float,
    height_in: float,
    *,
    left_in: float = 1.0,
    bottom_in: float = 0.55,
    right_in: float = 0.2,
    top_in: float = 0.35,
) -> Any:
    """A matplotlib Figure with an Agg canvas (no pyplot state, no display needed).

    Margins are fixed in inches (a layout engine would measure every text twice per save, which
    dominates the time of a report with dozens of figures).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in))
    FigureCanvasAgg(fig)
    fig.subplots_adjust(
        left=left_in / width_in, right=1 - right_in / width_in,
        bottom=bottom_in / height_in, top=1 - top_in / height_in,
    )  # fmt: skip
    return fig


def display_points(
    t: np.ndarray, y: np.ndarray, max_points: int = 700
) -> tuple[np.ndarray, np.ndarray]:
    """A trace thinned for display: per bin its minimum and maximum, in time order (peaks kept).

    Only what is drawn is thinned; markers are placed from the full-resolution measures.
    """
    n = y.shape[0]
    if n <= max_points:
        return t, y
    width = -(-n // (max_points // 2))  # samples per bin, rounded up
    nb = n // width
    blocks = y[: nb * width].reshape(nb, width)
    base = np.arange(nb) * width
    i, j = base + blocks.argmin(axis=1), base + blocks.argmax(axis=1)
    ix = np.column_stack([np.minimum(i, j), np.maximum(i, j)]).ravel()
    ix = np.concatenate([ix, np.arange(nb * width, n)])  # the short tail as it is
    return t[ix], y[ix]


def figure_svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (XML header and DOCTYPE removed)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]
