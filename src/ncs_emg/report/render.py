"""``render_report``: one self-contained HTML page (inline SVG and CSS, no script, no network)."""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import Any

from ..errors import NcsEmgError, ParameterError
from ..types import Study
from .css import CSS
from .html import esc, fmt_value, meta_list, table

__all__ = ["render_report", "DISCLAIMER_HTML", "SITE_KEYS", "SEGMENT_KEYS"]

DISCLAIMER_HTML = (
    "Research tool, not a medical device. ncs_emg shows the rule, threshold, value and source "
    "behind every verdict; do not use this report as the sole basis of a clinical decision."
)
#: Site table columns (JSON field names of ``StudyReport.to_dict()["nerves"][i]["sites"]``).
SITE_KEYS = ("name", "distance_mm", "segment", "sweep_choice", "onset_latency_ms",
             "neg_peak_amp_mv", "peak_to_peak_amp_mv", "neg_area_mv_ms", "neg_duration_ms",
             "total_duration_ms", "measurable", "reason")  # fmt: skip
_SITE_HEAD = ("site", "distance (mm)", "segment", "sweep", "onset (ms)", "neg amp (mV)",
              "p-p amp (mV)", "neg area (mV·ms)", "neg dur (ms)", "total dur (ms)", "measurable",
              "note")  # fmt: skip
#: Segment table columns (JSON field names of ``...["segments"]``).
SEGMENT_KEYS = ("from_site", "to_site", "kind", "label", "length_mm", "latency_diff_ms", "cv_m_s",
                "amp_reduction_pct", "area_reduction_pct", "duration_increase_pct", "entrapment")  # fmt: skip
_SEGMENT_HEAD = ("from", "to", "kind", "segment", "length (mm)", "Δ latency (ms)", "CV (m/s)",
                 "amp drop (%)", "area drop (%)", "duration incr. (%)", "at entrapment site")  # fmt: skip


_FWAVE_HEAD = ("sweeps", "with F", "persistence (%)", "min latency (ms)", "mean latency (ms)",
               "max latency (ms)", "chrono- dispersion (ms)", "mean amp (mV)", "repeaters (%)",
               "A-waves", "interpretable", "note")  # fmt: skip


class _Figures:
    """Renders figures to inline SVG with distinct element ids per figure."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, make: Any, caption: str) -> str:
        import matplotlib

        from ..viz import figure_svg

        self.n += 1
        matplotlib.rcParams["svg.hashsalt"] = (
            f"ncs-emg-fig{self.n}"  # inside render_report's rc_context
        )
        try:
            svg = figure_svg(make())
        except (NcsEmgError, ValueError) as exc:
            return f'<p class="small">Figure not drawn: {esc(exc)}</p>'
        return f'<figure id="fig{self.n}">{svg}<figcaption>{esc(caption)}</figcaption></figure>'


def _finding_text(f: Any) -> str:
    where = f"{f.from_site}→{f.to_site} " if f.from_site and f.to_site else ""
    thr = "" if f.threshold is None else f" (threshold {fmt_value(f.threshold)})"
    return f"{where}{f.rule}: {fmt_value(f.value)} {f.unit}{thr}"


def _driving_numbers(nr: Any, cid: str, driving: tuple[str, ...], limit: int = 4) -> str:
    """The findings behind a verdict, with their values and thresholds."""
    out = []
    for d in driving[:limit]:
        pair, _, rule = d.rpartition(": ")
        a, _, b = pair.partition("→")
        hits = [f for f in nr.findings if f.criteria == cid and f.rule == (rule or d)
                and (not pair or (f.from_site == a and f.to_site == b))]  # fmt: skip
        out.append(_finding_text(hits[0]) if hits else d)
    more = f"; +{len(driving) - limit} more" if len(driving) > limit else ""
    return "; ".join(out) + more


def _verdicts(nr: Any, sources: Mapping[str, str]) -> str:
    rows = []
    for cid, s in nr.summary.items():
        rows.append((cid, s.conduction_block, s.temporal_dispersion, s.demyelinating,
                     _driving_numbers(nr, cid, tuple(s.driving)) or "–", sources.get(cid, "")))  # fmt: skip
    head = ("criteria set", "conduction block", "temporal dispersion", "demyelinating",
            "driving numbers", "source")  # fmt: skip
    return table(head, rows, keys=("criteria", "conduction_block", "temporal_dispersion",
                 "demyelinating", "driving", "source"), verdict_cols=(1, 2, 3), cls="verdicts")  # fmt: skip


def _fwave_section(nerve: Any, nr: Any, fig: _Figures) -> str:
    if nerve.fwaves is None:
        return ""
    from ..fwave import measure_nerve_fwaves
    from ..viz import plot_fwaves

    try:
        fm = measure_nerve_fwaves(nerve)
    except NcsEmgError as exc:
        return f"<h3>F-waves</h3><p>Train not analysed: {esc(exc)}</p>"
    assert fm is not None  # the nerve has a train (checked above)
    s = fm.summary()
    keys = ("n_sweeps", "n_present", "persistence_pct", "min_latency_ms", "mean_latency_ms",
            "max_latency_ms", "chronodispersion_ms", "mean_peak_to_peak_amp_mv", "repeater_pct",
            "n_a_waves", "interpretable", "reason")  # fmt: skip
    used = (
        ""
        if nr.fwave is None
        else (
            f"<p class='small'>Values the criteria used: minimal F latency "
            f"{fmt_value(nr.fwave.min_latency_ms)} ms, persistence {fmt_value(nr.fwave.persistence_pct)} %"
            f" ({esc(nr.fwave.source)}).</p>"
        )
    )
    return (
        "<h3>F-waves</h3>"
        + fig(
            lambda: plot_fwaves(nerve, fm),
            "F-wave raster: sweeps stacked (first at the top), "
            "negative up; F onsets, repeaters and A-waves marked.",
        )  # fmt: skip
        + table(_FWAVE_HEAD, [[s[k] for k in keys]], keys=keys, cls="fwave")
        + used
    )


def _nerve_section(i: int, nerve: Any, nr: Any, sources: Mapping[str, str], fig: _Figures) -> str:
    from ..viz import plot_nerve, plot_segments

    parts = [f'<section class="nerve" id="nerve-{i}"><h2>{esc(nr.label)}</h2>']
    if nerve is not None:
        parts.append(fig(lambda: plot_nerve(nerve, nr), "CMAPs by stimulation site, distal at the "
                         "top; negative up. Markers: onset, negative peak, end of the negative "
                         "phase; shading: negative-peak area."))  # fmt: skip
    if len(nr.sites) > 1:
        parts.append(fig(lambda: plot_segments(nr), "Onset latency against distance; CV per "
                         "segment; flags where a criteria set finds block or dispersion."))  # fmt: skip
    sites = [[s.to_dict()[k] for k in SITE_KEYS] for s in nr.sites]
    parts.append("<h3>Sites</h3>" + table(_SITE_HEAD, sites, keys=SITE_KEYS, cls="sites"))
    segs = [[g.to_dict().get(k) for k in SEGMENT_KEYS] for g in nr.segments]
    parts.append(
        "<h3>Segments</h3>" + table(_SEGMENT_HEAD, segs, keys=SEGMENT_KEYS, cls="segments")
    )
    parts.append("<h3>Criteria verdicts</h3>" + _verdicts(nr, sources))
    if nerve is not None:
        parts.append(_fwave_section(nerve, nr, fig))
    if nr.issues:
        parts.append("<h3>Issues</h3><ul class='issues'>"
                     + "".join(f"<li>{esc(x)}</li>" for x in nr.issues) + "</ul>")  # fmt: skip
    return "".join(parts) + "</section>"


def _summary_section(rep: Any, fig: _Figures) -> str:
    from ..viz import plot_criteria_matrix

    rows = []
    for c in rep.criteria:
        s = rep.summary.get(c.id)
        if s is None:
            continue
        rows.append((c.id, s.conduction_block, s.temporal_dispersion, s.demyelinating,
                     list(s.nerves_with_cb), s.territories, c.verified, c.source))  # fmt: skip
    head = ("criteria set", "conduction block", "temporal dispersion", "demyelinating",
            "nerves with block", "territories", "verified", "source")  # fmt: skip
    keys = ("criteria", "conduction_block", "temporal_dispersion", "demyelinating",
            "nerves_with_cb", "territories", "verified", "source")  # fmt: skip
    return (
        "<section id='summary'><h2>Criteria verdicts, study level</h2>"
        + fig(
            lambda: plot_criteria_matrix(rep),
            "Conduction block per nerve (rows) and criteria "
            "set (columns); n/e = not evaluable; +TD = temporal dispersion present.",
        )  # fmt: skip
        + table(head, rows, keys=keys, verdict_cols=(1, 2, 3), cls="study-summary")
        + "</section>"
    )


def _eligibility_section(elig: Any) -> str:
    if elig is None:
        return ""
    keys = ("criteria", "rule", "nerve", "met", "value", "threshold", "unit", "reason", "source")
    rows = [[f.to_dict().get(k) for k in keys] for f in elig.reasons]
    missing = [[f.to_dict().get(k) for k in keys] for f in elig.missing]
    out = [
        "<section id='eligibility'><h2>Eligibility (seed study's decision procedure)</h2>",
        meta_list(
            [
                ("category", elig.category),
                ("statement", elig.statement),
                ("responder phenotype", getattr(elig.phenotype, "statement", elig.phenotype)),
            ]
        ),  # fmt: skip
        "<h3>Findings that decided it</h3>",
        table(keys, rows, keys=keys, verdict_cols=(3,), cls="eligibility"),
    ]
    if missing:
        out += ["<h3>Missing (not evaluable)</h3>", table(keys, missing, keys=keys, cls="missing")]
    out.append(f"<p class='small'>{esc(elig.disclaimer)}</p></section>")
    return "".join(out)


def _issues_section(study: Study | None, rep: Any) -> str:
    from ..io import reader_issues

    items = [str(x) for x in (reader_issues(study) if study is not None else [])]
    items += [str(x) for x in rep.issues]
    items += [f"{n.label}: {x}" for n in rep.nerves for x in n.issues]
    body = ("<ul class='issues'>" + "".join(f"<li>{esc(x)}</li>" for x in items) + "</ul>"
            if items else "<p>None.</p>")  # fmt: skip
    return f"<section id='issues'><h2>Reader and analysis issues</h2>{body}</section>"


def _software_section(rep: Any, extra: Mapping[str, Any]) -> str:
    from .._version import __version__

    params = {"analysis": dict(rep.parameters), **extra}
    return (
        "<section id='software'><h2>Software and parameters</h2>"
        + meta_list([("ncs_emg version", __version__), ("report version", rep.version)])
        + f"<pre>{esc(json.dumps(params, indent=2, default=str))}</pre></section>"
    )


def render_report(
    study: Study | None,
    report: Any = None,
    *,
    eligibility: Any = None,
    file: str | None = None,
    parameters: Mapping[str, Any] | None = None,
) -> str:
    """The clinician's report of one study as a self-contained HTML page.

    Parameters
    ----------
    study : Study or None
        The recording (for waveforms and F-wave rasters); None for a values-only report.
    report : StudyReport, optional
        Its analysis (default :func:`ncs_emg.analyze` (study)).
    eligibility : EligibilityReport, optional
        Adds the eligibility section (from :func:`ncs_emg.assess_eligibility`).
    file : str, optional
        Input file name shown in the header.
    parameters : mapping, optional
        Extra parameters to list (e.g. the command line's options).

    Returns
    -------
    str
        HTML text: disclaimer first, study header, study-level verdicts, one section per nerve
        (waveforms, ladder, sites, segments, verdicts with driving numbers and sources, F-waves),
        eligibility (when given), issues, software version and parameters. Inline CSS and SVG only.

    Raises
    ------
    ParameterError
        When neither a study nor a report is given.
    """
    if study is None and report is None:
        raise ParameterError("study: a Study or a report is needed")
    if report is None:
        from ..analysis import analyze

        assert study is not None  # one of the two is given (checked above)
        report = analyze(study)
    import matplotlib

    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": None}):
        return _page(study, report, eligibility, file, parameters)


def _page(study: Any, report: Any, eligibility: Any, file: Any, parameters: Any) -> str:
    fig = _Figures()
    sources = {c.id: c.source for c in report.criteria}
    nerves = list(study.nerves) if study is not None else [None] * len(report.nerves)
    header = meta_list([
        ("subject", report.subject_id), ("file", file), ("date", getattr(study, "date", None)),
        ("device", getattr(study, "device", None)), ("nerves", len(report.nerves)),
        ("criteria sets", ", ".join(c.id for c in report.criteria)),
        ("generated", time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())),
    ])  # fmt: skip
    body = [
        f"<p class='disclaimer' role='note'>{esc(DISCLAIMER_HTML)}</p>",
        f"<h1>Nerve conduction study: {esc(report.subject_id)}</h1>",
        f"<section id='study'>{header}</section>",
        _summary_section(report, fig),
        *[
            _nerve_section(i, n, nr, sources, fig)
            for i, (n, nr) in enumerate(zip(nerves, report.nerves, strict=True))
        ],
        _eligibility_section(eligibility),
        _issues_section(study, report),
        _software_section(report, dict(parameters or {})),
    ]
    title = f"ncs_emg report: {report.subject_id}"
    return (
        "<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        f"<title>{esc(title)}</title><style>{CSS}</style></head><body>"
        + "".join(body)
        + "</body></html>\n"
    )
