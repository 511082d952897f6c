"""Segment ladder: onset latency against distance along the nerve, CV and CB/TD flags per segment."""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np

from .style import COLORS, new_figure

__all__ = ["plot_segments", "site_positions_mm", "segment_flags"]


def site_positions_mm(report: Any) -> dict[str, float]:
    """Distance of each site from the recording electrode (mm): the running sum of site distances."""
    pos, total = {}, 0.0
    for s in report.sites:
        total += s.distance_mm if math.isfinite(s.distance_mm) else math.nan
        pos[s.name] = total
    return pos


def _kind(rule: str) -> str | None:
    r = rule.lower()
    if r.startswith("cb") or "_cb" in r or "block" in r:
        return "CB"
    if r.startswith("td") or "_td" in r or "dispersion" in r:
        return "TD"
    return None


def segment_flags(report: Any) -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
    """``(from_site, to_site)`` → ``{"CB": criteria ids, "TD": criteria ids}`` of met findings."""
    by: dict[tuple[str, str], dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    for f in report.findings:
        kind = _kind(f.rule)
        if f.met is True and kind and f.from_site and f.to_site:
            by[(f.from_site, f.to_site)][kind].add(f.criteria or "limits")
    return {k: {kind: tuple(sorted(v)) for kind, v in sorted(d.items())} for k, d in by.items()}


def _flag_text(a: str, b: str, flags: dict[str, tuple[str, ...]], consecutive: bool) -> str:
    head = "" if consecutive else f"{a}→{b}: "
    parts = [f"{k} ({len(v)} set{'s' if len(v) > 1 else ''})" for k, v in flags.items()]
    return head + ", ".join(parts)


def plot_segments(report: Any, *, title: str | None = None) -> Any:
    """Segment ladder of a :class:`~ncs_emg.analysis.NerveReport`.

    Parameters
    ----------
    report : NerveReport
        Analysis of one nerve.
    title : str, optional
        Figure title (default: the nerve label).

    Returns
    -------
    matplotlib.figure.Figure
        Onset latency (ms) against distance from the recording electrode (mm), one point per
        measurable site (gid ``"sites"``); each consecutive segment labelled with its CV (m/s)
        (texts with gid ``"cv"``); segments where a criteria set's conduction-block or
        temporal-dispersion rule is met carry a flag counting the sets (texts with gid ``"flag"``;
        :func:`segment_flags` names them).
    """
    pos = site_positions_mm(report)
    lat = {s.name: s.onset_latency_ms for s in report.sites}
    fig = new_figure(7.0, 3.6, left_in=0.7, right_in=0.9)
    ax = fig.add_subplot()
    xs = np.array([pos[s.name] for s in report.sites], dtype=float)
    ys = np.array([lat[s.name] for s in report.sites], dtype=float)
    ax.plot(xs, ys, color=COLORS["trace"], lw=1, marker="o", gid="sites")
    for s, x, y in zip(report.sites, xs, ys, strict=True):
        if np.isfinite(x) and np.isfinite(y):
            ax.annotate(s.name, (x, y), xytext=(4, -10), textcoords="offset points", fontsize=8)
    for seg in report.segments:
        if seg.kind != "consecutive" or not math.isfinite(seg.cv_m_s):
            continue
        x = (pos[seg.from_site] + pos[seg.to_site]) / 2
        y = (lat[seg.from_site] + lat[seg.to_site]) / 2
        ax.annotate(f"{seg.cv_m_s:.1f} m/s", (x, y), xytext=(-6, 8), textcoords="offset points",
                    fontsize=8, ha="right", gid="cv")  # fmt: skip
    names = [s.name for s in report.sites]
    for n, ((a, b), flags) in enumerate(segment_flags(report).items()):
        if a not in pos or b not in pos:
            continue
        consecutive = abs(names.index(a) - names.index(b)) == 1
        x, y = (pos[a] + pos[b]) / 2, (lat[a] + lat[b]) / 2
        color = COLORS["cb" if "CB" in flags else "td"]
        ax.annotate(_flag_text(a, b, flags, consecutive), (x, y), xytext=(10, -14 - 10 * (n % 3)),
                    textcoords="offset points", fontsize=7, color=color, gid="flag",
                    arrowprops={"arrowstyle": "-", "color": color, "lw": 0.5})  # fmt: skip
    ax.set_xlabel("distance from the recording electrode (mm)")
    ax.set_ylabel("onset latency (ms)")
    ax.set_title(title or f"{report.label}: segment ladder", y=1.0)
    for sp in ("top", "right"):
        ax.spines[sp].set_visible(False)
    return fig
