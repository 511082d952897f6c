"""Evaluation of a criteria set on one nerve: findings for every rule on every applicable segment.

A finding is ``met=True``/``False``, or ``None`` (not evaluable) with a reason: a missing site, a
distal CMAP below the rule's floor, a missing normal limit, or an excluded segment (entrapment site,
excluded nerve; ``details["excluded"]`` is True then). See ``docs/criteria.md``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..findings import Finding
from ..normative import NormalLimit, NormativeTable, evaluate_f_absent, evaluate_min_f_latency
from ..segments import Segment, SiteValues
from .model import CriteriaSet, Rule, Step, compare

__all__ = ["FWaveValues", "NerveContext", "NerveSummary", "evaluate_nerve", "summarize_nerve"]

CB_GRADES = ("definite", "probable", "present")


@dataclass(frozen=True)
class FWaveValues:
    """The F-wave values a criteria set uses.

    Attributes
    ----------
    min_latency_ms : float, ms
        Minimal F latency (NaN: no F-wave).
    persistence_pct : float, %
        F persistence (NaN: no train).
    interpretable : bool
        False when the train cannot be interpreted (``reason`` says why).
    reason : str
    source : str
        ``"waveforms"`` or ``"values"``.
    """

    min_latency_ms: float
    persistence_pct: float
    interpretable: bool = True
    reason: str = ""
    source: str = "values"

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict (NaN -> None)."""
        d = dataclasses.asdict(self)
        return {
            k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in d.items()
        }


@dataclass(frozen=True)
class NerveContext:
    """What the rules need to know about one nerve (sites, segments, F-waves, limits)."""

    nerve: str
    label: str
    sites: tuple[SiteValues, ...]
    segments: tuple[Segment, ...]
    fwave: FWaveValues | None
    limits: NormativeTable
    height_cm: float | None = None
    cache: dict = field(default_factory=dict, compare=False, repr=False)


@dataclass(frozen=True)
class NerveSummary:
    """Per-nerve verdict of one criteria set.

    Attributes
    ----------
    conduction_block : str
        ``"definite"``, ``"probable"``, ``"present"`` (sets without grades), ``"none"`` or
        ``"not_evaluable"``.
    temporal_dispersion, demyelinating : str
        ``"present"``, ``"none"`` or ``"not_evaluable"``.
    driving : tuple of str
        The findings that decided it: ``"from→to: rule"`` for segments, the rule id for nerve rules.
    """

    conduction_block: str
    temporal_dispersion: str
    demyelinating: str
    driving: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {
            "conduction_block": self.conduction_block,
            "temporal_dispersion": self.temporal_dispersion,
            "demyelinating": self.demyelinating,
            "driving": list(self.driving),
        }


# ---- helpers ------------------------------------------------------------------------------------


def _finite(v: Any) -> bool:
    try:
        return math.isfinite(v)
    except TypeError:
        return False


def _lln(ctx: NerveContext, measure: str, label: str | None = None) -> tuple[float | None, str]:
    """A lower/upper limit value for ``measure`` (segment-specific when the label names it); cached."""
    key = (measure, label)
    hit = ctx.cache.get(key)
    if hit is None:
        hit = ctx.cache[key] = _find_limit(ctx, measure, label)
    return hit


def _find_limit(ctx: NerveContext, measure: str, label: str | None) -> tuple[float | None, str]:
    kind = "upper" if measure in ("dml_ms", "min_f_latency_ms") else "lower"
    cands = [
        lim
        for lim in ctx.limits.limits
        if lim.nerve == ctx.nerve and lim.measure == measure and lim.kind == kind
    ]
    if label:
        for lim in cands:
            if lim.segment and lim.segment.lower() in label.lower():
                return lim.value, lim.source
    for lim in cands:
        if lim.segment is None:
            return lim.value, lim.source
    return None, ""


def _base(ctx: NerveContext, cset: CriteriaSet, rule: Rule, seg: Segment | None) -> dict[str, Any]:
    verified = rule.verified and (rule.segment_class == "any" or cset.segment_classes.verified)
    if seg is not None and seg.entrapment and not seg.entrapment_verified:
        verified = False
    return {
        "criteria": cset.id,
        "nerve": ctx.label,
        "from_site": None if seg is None else seg.from_site,
        "to_site": None if seg is None else seg.to_site,
        "verified": verified,
        "source": rule.source,
    }


def _none(rule: Rule, base: dict, why: str, thr: float | None = None, **details: Any) -> Finding:
    return Finding(rule.id, None, None, thr, rule.unit, why, details=details, **base)


def _distal_amp(ctx: NerveContext, seg: Segment | None) -> tuple[float, float]:
    """(distal amplitude mV, % of LLN) at the segment's distal site (or the nerve's distal site)."""
    amp = (
        seg.distal_amp_mv
        if seg is not None
        else (ctx.sites[0].neg_peak_amp_mv if ctx.sites else math.nan)
    )
    lln, _ = _lln(ctx, "amplitude_mv")
    pct = 100.0 * amp / lln if _finite(amp) and lln else math.nan
    return amp, pct


def _check_floors(rule: Rule, amp: float, pct: float) -> str | None:
    """None when all floors hold, else why the rule is not evaluable."""
    for f in rule.floors:
        v = amp if f.measure == "distal_amp_mv" else pct
        if not _finite(v):
            what = (
                "distal amplitude"
                if f.measure == "distal_amp_mv"
                else "distal amplitude in % of LLN (no LLN?)"
            )
            return f"{what} unknown: floor {f.text()} not checkable"
        if not compare(v, f.comparison, f.threshold):
            return f"distal CMAP below the floor: {v:.3g} {f.unit} (needs {f.comparison} {f.threshold:g} {f.unit})"
    return None


def _step_applies(s: Step, amp: float, pct: float) -> bool:
    v = amp if s.unit == "mV" else pct
    if not _finite(v):
        return False
    return compare(v, "<=" if s.inclusive else "<", s.below)


def _threshold(rule: Rule, nerve: str, amp: float, pct: float) -> tuple[float | None, str]:
    """The applicable threshold and a note on how it was chosen (None when a step cannot be decided)."""
    for s in rule.steps:
        v = amp if s.unit == "mV" else pct
        if not _finite(v):
            return (
                None,
                f"distal amplitude ({s.unit}) unknown: amplitude-dependent threshold undecidable",
            )
        if _step_applies(s, amp, pct):
            rel = "<=" if s.inclusive else "<"
            return (
                s.threshold,
                f"threshold {s.threshold:g} because distal amplitude {v:.3g} {s.unit} {rel} {s.below:g}",
            )
    if nerve in rule.threshold_by_nerve:
        return rule.threshold_by_nerve[nerve], f"{nerve} threshold"
    return rule.threshold, ""


def _seg_value(ctx: NerveContext, seg: Segment, measure: str) -> tuple[float, str]:
    if measure == "cv_pct_lln":
        lln, _ = _lln(ctx, "cv_m_s", seg.label)
        if lln is None:
            return math.nan, "no CV lower limit for this nerve"
        return (
            100.0 * seg.cv_m_s / lln if _finite(seg.cv_m_s) else math.nan
        ), f"CV {seg.cv_m_s:.1f} m/s, LLN {lln:g} m/s"
    return float(getattr(seg, measure)), ""


def _applies(rule: Rule, cset: CriteriaSet, ctx: NerveContext, seg: Segment) -> bool:
    if seg.kind not in rule.segment_kinds:
        return False
    if rule.nerves and ctx.nerve not in rule.nerves:
        return False
    if rule.segment_labels:
        frags = rule.segment_labels.get(ctx.nerve)
        if not frags or not any(f in seg.label.lower() for f in frags):
            return False
    if rule.segment_class != "any":
        return cset.segment_classes.classify(seg.spans) == rule.segment_class
    return True


def _excluded(rule: Rule, ctx: NerveContext, seg: Segment | None) -> str | None:
    if ctx.nerve in rule.exclude_nerves:
        return f"excluded: {ctx.nerve} nerve is excluded by this rule"
    if seg is not None and rule.exclude_entrapment and seg.entrapment:
        flag = "" if seg.entrapment_verified else " (unverified entry)"
        return f"excluded: segment crosses a common entrapment site ({seg.entrapment_site}{flag})"
    return None


def _conditions(rule: Rule, ctx: NerveContext, seg: Segment) -> tuple[bool | None, list[str]]:
    ok: bool | None = True
    texts = []
    for c in rule.conditions:
        v, _ = _seg_value(ctx, seg, c.measure)
        if not _finite(v):
            texts.append(f"{c.measure} unknown")
            ok = None if ok is not False else False
            continue
        held = compare(v, c.comparison, c.threshold)
        texts.append(
            f"{c.measure} {v:.1f} {c.unit} ({'meets' if held else 'fails'} {c.comparison} {c.threshold:g})"
        )
        if not held:
            ok = False
    return ok, texts


def _segment_finding(cset: CriteriaSet, rule: Rule, ctx: NerveContext, seg: Segment) -> Finding:
    base = _base(ctx, cset, rule, seg)
    why = _excluded(rule, ctx, seg)
    if why:
        return _none(rule, base, why, rule.threshold, excluded=True)
    if _finite(seg.latency_diff_ms) and seg.latency_diff_ms <= 0:
        return _none(rule, base, f"not evaluable: {seg.reason}", rule.threshold)
    value, note = _seg_value(ctx, seg, rule.measure)
    if not _finite(value):
        return _none(
            rule,
            base,
            f"{rule.measure} not defined: {seg.reason or note or 'value missing'}",
            rule.threshold,
        )
    amp, pct = _distal_amp(ctx, seg)
    floor = _check_floors(rule, amp, pct)
    if floor:
        return _none(
            rule,
            base,
            f"not evaluable: {floor}",
            rule.threshold,
            distal_amp_mv=amp,
            distal_pct_lln=pct,
        )
    thr, how = _threshold(rule, ctx.nerve, amp, pct)
    if thr is None:
        return _none(rule, base, how)
    main = compare(value, rule.comparison, thr)
    cond, texts = _conditions(rule, ctx, seg)
    met: bool | None = main and cond if cond is not None else (False if not main else None)
    parts = [
        f"{seg.name} ({seg.label}): {rule.measure} {value:.2f} {rule.unit} {rule.comparison} {thr:g}: {'yes' if main else 'no'}"
    ]
    parts += [t for t in (how, note) if t] + texts
    details = {
        "segment_kind": seg.kind,
        "distal_amp_mv": amp,
        "distal_pct_lln": pct,
        "excluded": False,
    }
    return Finding(rule.id, met, value, thr, rule.unit, "; ".join(parts), details=details, **base)


# ---- nerve-level rules --------------------------------------------------------------------------


def _dml_finding(cset: CriteriaSet, rule: Rule, ctx: NerveContext, base: dict) -> Finding:
    d = ctx.sites[0] if ctx.sites else None
    uln, src = _lln(ctx, "dml_ms")
    if d is None or not _finite(d.onset_latency_ms):
        return _none(rule, base, "distal motor latency not measured", rule.threshold)
    if uln is None:
        return _none(rule, base, "no DML upper limit for this nerve", rule.threshold)
    amp, pct = _distal_amp(ctx, None)
    thr, how = _threshold(rule, ctx.nerve, amp, pct)
    if thr is None:
        return _none(rule, base, how)
    v = 100.0 * d.onset_latency_ms / uln
    met = compare(v, rule.comparison, thr)
    why = f"DML {d.onset_latency_ms:.2f} ms = {v:.1f} % of ULN {uln:g} ms; {rule.comparison} {thr:g} %: {'yes' if met else 'no'}"
    why += f"; {how}" if how else ""
    return Finding(
        rule.id,
        met,
        v,
        thr,
        rule.unit,
        why,
        details={"dml_ms": d.onset_latency_ms, "uln_ms": uln, "limit_source": src},
        **base,
    )


def _f_limit(ctx: NerveContext) -> NormalLimit | None:
    cands = [
        lim
        for lim in ctx.limits.limits
        if lim.nerve == ctx.nerve and lim.measure == "min_f_latency_ms" and lim.kind == "upper"
    ]
    return cands[0] if cands else None


def _fwave_finding(cset: CriteriaSet, rule: Rule, ctx: NerveContext, base: dict) -> Finding:
    fw = ctx.fwave
    if fw is None:
        return _none(rule, base, "no F-wave values for this nerve", rule.threshold)
    amp, pct = _distal_amp(ctx, None)
    if rule.measure == "f_absent":
        floor = next((f.threshold for f in rule.floors if f.measure == "distal_amp_pct_lln"), 0.0)
        amp_lim = next(
            (
                lim
                for lim in ctx.limits.limits
                if lim.nerve == ctx.nerve and lim.measure == "amplitude_mv" and lim.kind == "lower"
            ),
            None,
        )
        f = evaluate_f_absent(
            fw.persistence_pct,
            amp,
            amp_lim,
            interpretable=fw.interpretable,
            min_pct_lln=floor,
            rule=rule.id,
            rule_source=rule.source,
        )
    else:
        thr, how = _threshold(rule, ctx.nerve, amp, pct)
        if thr is None:
            return _none(rule, base, how)
        f = evaluate_min_f_latency(
            fw.min_latency_ms,
            _f_limit(ctx),
            percent_of_uln=thr,
            inclusive=rule.comparison == ">=",
            height_cm=ctx.height_cm,
            interpretable=fw.interpretable,
            reason=fw.reason,
            rule=rule.id,
            rule_source=rule.source,
        )
        if how:
            f = dataclasses.replace(f, reason=f"{f.reason}; {how}")
    return dataclasses.replace(f, unit=rule.unit, details=dict(f.details), **base)


def _duration_finding(cset: CriteriaSet, rule: Rule, ctx: NerveContext, base: dict) -> Finding:
    thr = rule.threshold_by_nerve.get(ctx.nerve, rule.threshold)
    d = ctx.sites[0] if ctx.sites else None
    if d is None or not _finite(d.neg_duration_ms):
        return _none(rule, base, "distal negative-peak duration not measured", thr)
    met = compare(d.neg_duration_ms, rule.comparison, thr)
    why = f"distal negative-peak duration {d.neg_duration_ms:.2f} ms {rule.comparison} {thr:g} ms ({ctx.nerve}): {'yes' if met else 'no'}"
    return Finding(rule.id, met, d.neg_duration_ms, thr, rule.unit, why, **base)


def _nerve_finding(cset: CriteriaSet, rule: Rule, ctx: NerveContext) -> Finding | None:
    if rule.nerves and ctx.nerve not in rule.nerves:
        return None
    if (
        rule.measure == "distal_neg_duration_ms"
        and rule.threshold_by_nerve
        and ctx.nerve not in rule.threshold_by_nerve
    ):
        return None  # cut-offs exist only for the listed nerves
    base = _base(ctx, cset, rule, None)
    why = _excluded(rule, ctx, None)
    if why:
        return _none(rule, base, why, rule.threshold, excluded=True)
    if rule.measure == "dml_pct_uln":
        return _dml_finding(cset, rule, ctx, base)
    if rule.measure in ("min_f_latency_pct_uln", "f_absent"):
        return _fwave_finding(cset, rule, ctx, base)
    return _duration_finding(cset, rule, ctx, base)


def evaluate_nerve(cset: CriteriaSet, ctx: NerveContext) -> tuple[Finding, ...]:
    """Every rule of ``cset`` on every applicable segment of the nerve (and every nerve-level rule).

    Parameters
    ----------
    cset : CriteriaSet
    ctx : NerveContext

    Returns
    -------
    tuple of Finding
        In rule order, then segment order.
    """
    out: list[Finding] = []
    for rule in cset.rules:
        if rule.scope == "nerve":
            f = _nerve_finding(cset, rule, ctx)
            if f is not None:
                out.append(f)
            continue
        for seg in ctx.segments:
            if _applies(rule, cset, ctx, seg):
                out.append(_segment_finding(cset, rule, ctx, seg))
    return tuple(out)


def _tag(f: Finding) -> str:
    return f"{f.from_site}→{f.to_site}: {f.rule}" if f.from_site is not None else f.rule


def _verdict(fs: Sequence[Finding]) -> tuple[str | None, bool]:
    """(positive?, any non-excluded not-evaluable?)."""
    pos = [f for f in fs if f.met is True]
    ne = any(f.met is None and not f.details.get("excluded") for f in fs)
    return ("present" if pos else None), ne


def _state(fs: Sequence[Finding]) -> str:
    pos, ne = _verdict(fs)
    if pos:
        return "present"
    if ne or not any(f.met is False for f in fs):
        return "not_evaluable"
    return "none"


def summarize_nerve(cset: CriteriaSet, findings: Sequence[Finding]) -> NerveSummary:
    """The per-nerve verdict of ``cset`` from its findings (:class:`NerveSummary`).

    A positive finding decides; otherwise any not-evaluable finding that was not an exclusion makes
    the verdict ``"not_evaluable"`` (never a silent "none"); ``"none"`` needs at least one evaluated
    finding and no open question.
    """
    cats = {r.id: (r.category, r.grade) for r in cset.rules}
    by_cat: dict[str, list[Finding]] = {"cb": [], "td": [], "demyelinating": []}
    for f in findings:
        by_cat[cats[f.rule][0]].append(f)
    cb_pos = [f for f in by_cat["cb"] if f.met is True]
    if cb_pos:
        grades = {cats[f.rule][1] for f in cb_pos}
        cb = next(g for g in CB_GRADES if g in grades)
    else:
        cb = _state(by_cat["cb"]) if by_cat["cb"] else "not_evaluable"
    td = _state(by_cat["td"]) if by_cat["td"] else "not_evaluable"
    dm = _state(by_cat["demyelinating"]) if by_cat["demyelinating"] else "not_evaluable"
    driving = tuple(dict.fromkeys(_tag(f) for f in findings if f.met is True))
    return NerveSummary(cb, td, dm, driving)
