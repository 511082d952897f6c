"""Figure creation without pyplot, the shared look, and SVG text for reports."""

from __future__ import annotations

import io
from typing import Any

__all__ = ["new_figure", "figure_svg", "COLORS", "CB_COLORS"]

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


def new_figure(width_in: float, height_in: float) -> Any:
    """A matplotlib Figure with an Agg canvas (no pyplot state, no display needed)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(width_in, height_in), layout="constrained")
    FigureCanvasAgg(fig)
    return fig


def figure_svg(fig: Any) -> str:
    """The figure as an inline ``<svg>`` element (XML header and DOCTYPE removed)."""
    buf = io.StringIO()
    fig.savefig(buf, format="svg", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]
