"""Criteria-agreement matrix: every nerve's conduction-block verdict under every criteria set."""

from __future__ import annotations

from typing import Any

import numpy as np

from .style import CB_COLORS, new_figure

__all__ = ["plot_criteria_matrix", "verdict_text"]

_SHORT = {"definite": "definite", "probable": "probable", "present": "CB", "none": "none",
          "not_evaluable": "n/e"}  # fmt: skip


def verdict_text(summary: Any) -> str:
    """Cell text: the CB grade (``n/e`` = not evaluable), ``+TD`` when dispersion is present."""
    text = _SHORT.get(summary.conduction_block, summary.conduction_block)
    return text + (" +TD" if summary.temporal_dispersion == "present" else "")


def plot_criteria_matrix(report: Any, *, title: str | None = None) -> Any:
    """Nerves (rows, plus the study) against criteria sets (columns) for a StudyReport.

    Returns
    -------
    matplotlib.figure.Figure
        A coloured grid (colour = conduction-block grade) whose cell texts (gid ``"cell"``) read
        :func:`verdict_text` of ``nerve.summary[criteria]`` (last row: ``report.summary``).
    """
    from matplotlib.colors import to_rgb

    sets = [c.id for c in report.criteria] or sorted(report.summary)
    rows = [(n.label, n.summary) for n in report.nerves] + [("study", report.summary)]
    fig = new_figure(1.6 + 0.85 * len(sets), 1.3 + 0.32 * len(rows), left_in=1.6, bottom_in=1.0)
    ax = fig.add_subplot()
    rgb = np.ones((len(rows), len(sets), 3))
    for i, (_, summ) in enumerate(rows):
        for j, cid in enumerate(sets):
            s = summ.get(cid)
            rgb[i, j] = to_rgb(CB_COLORS.get(s.conduction_block, "#FFFFFF") if s else "#FFFFFF")
            ax.text(j, i, verdict_text(s) if s else "", ha="center", va="center", fontsize=7,
                    gid="cell")  # fmt: skip
    ax.imshow(rgb, aspect="auto", interpolation="nearest")
    ax.set_xticks(range(len(sets)))
    ax.set_xticklabels(sets, rotation=35, ha="right", fontsize=7)
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in rows], fontsize=7)
    ax.axhline(len(rows) - 1.5, color="black", lw=1)
    ax.set_title(title or "Conduction block by criteria set", fontsize=9, y=1.0)
    return fig
