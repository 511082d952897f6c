"""Criteria sets as data: the rule model and its strict loader (``docs/criteria.md``).

A criteria set is a TOML document (one file per published set, shipped in ``ncs_emg/criteria/sets``);
a lab's own file is read by the same code (:func:`load_criteria_file`). Validation is strict: an
unknown key, an unknown measure, a threshold without a unit or with the wrong unit, or a comparison
other than ``<``, ``<=``, ``>``, ``>=`` raises :class:`~ncs_emg.errors.FormatError` naming the file,
the rule and the field.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..errors import FormatError

__all__ = [
    "COMPARISONS",
    "SEGMENT_MEASURES",
    "NERVE_MEASURES",
    "FLOOR_MEASURES",
    "CATEGORIES",
    "Test",
    "Step",
    "Rule",
    "SegmentClasses",
    "CriteriaSet",
    "criteria_set_from_dict",
    "compare",
]

#: Comparisons a rule may use.
COMPARISONS = ("<", "<=", ">", ">=")

#: Segment measures (attribute of :class:`ncs_emg.segments.Segment` or derived) and their unit.
SEGMENT_MEASURES: dict[str, str] = {
    "amp_reduction_pct": "%",
    "p2p_reduction_pct": "%",
    "area_reduction_pct": "%",
    "duration_increase_pct": "%",
    "total_duration_increase_pct": "%",
    "amp_ratio": "ratio",
    "cv_m_s": "m/s",
    "cv_pct_lln": "% LLN",
}
#: Nerve-level measures and their unit (``f_absent`` compares the F persistence in %).
NERVE_MEASURES: dict[str, str] = {
    "dml_pct_uln": "% ULN",
    "min_f_latency_pct_uln": "% ULN",
    "f_absent": "%",
    "distal_neg_duration_ms": "ms",
}
#: Measures a floor (evaluability condition) may use.
FLOOR_MEASURES: dict[str, str] = {"distal_amp_mv": "mV", "distal_amp_pct_lln": "% LLN"}
#: Rule categories and the grades they may carry.
CATEGORIES: dict[str, tuple[str, ...]] = {
    "cb": ("definite", "probable", "present"),
    "td": ("present",),
    "demyelinating": ("present",),
}
_KINDS = ("consecutive", "vs_distal")
_CLASSES = ("any", "long", "short")


def compare(value: float, comparison: str, threshold: float) -> bool:
    """``value <comparison> threshold`` on values rounded to 9 decimals (exact decimal boundaries)."""
    v, t = round(value, 9), round(threshold, 9)
    if comparison == ">=":
        return v >= t
    if comparison == ">":
        return v > t
    if comparison == "<=":
        return v <= t
    return v < t


@dataclass(frozen=True)
class Test:
    """One comparison: ``measure comparison threshold`` (unit checked against the measure)."""

    measure: str
    comparison: str
    threshold: float
    unit: str

    def text(self) -> str:
        """``"duration_increase_pct <= 30 %"``."""
        return f"{self.measure} {self.comparison} {self.threshold:g} {self.unit}"


@dataclass(frozen=True)
class Step:
    """An amplitude-dependent threshold: applies when the distal amplitude is below ``below``.

    ``inclusive`` makes it "at most" (``<=``); ``unit`` is ``"mV"`` or ``"% LLN"``.
    """

    below: float
    unit: str
    threshold: float
    inclusive: bool = False


@dataclass(frozen=True)
class Rule:
    """One rule of a criteria set.

    Attributes
    ----------
    id : str
        Rule id, unique in the set.
    category : str
        ``"cb"`` (conduction block), ``"td"`` (temporal dispersion) or ``"demyelinating"``.
    grade : str
        ``"definite"`` / ``"probable"`` / ``"present"`` (what a met rule means).
    measure, comparison, threshold, unit : str, str, float, str
        The main test (see :data:`SEGMENT_MEASURES`, :data:`NERVE_MEASURES`).
    scope : str
        ``"segment"`` or ``"nerve"`` (from the measure).
    conditions : tuple of Test
        Further segment tests that must all hold for the rule to be met (e.g. duration <= 30 %).
    floors : tuple of Test
        Evaluability conditions on the distal amplitude; a floor not reached -> not evaluable.
    steps : tuple of Step
        Amplitude-dependent thresholds, first match wins (ordered by ``below``).
    threshold_by_nerve : Mapping[str, float]
        Nerve-specific thresholds (override ``threshold``; steps override both).
    nerves, exclude_nerves : tuple of str
        Nerves the rule applies to (empty: all) and excluded nerves (a finding with met None,
        "excluded").
    exclude_entrapment : bool
        Segments crossing a common entrapment site are excluded.
    segment_class : str
        ``"any"``, ``"long"`` or ``"short"`` (see :class:`SegmentClasses`).
    segment_kinds : tuple of str
        ``"consecutive"`` and/or ``"vs_distal"``.
    segment_labels : Mapping[str, tuple of str]
        Per nerve, label fragments of the only segments the rule applies to (empty: all).
    min_nerves : int
        Number of nerves in which the rule must be met for the study-level verdict.
    item : str
        Rules sharing an item are counted together at study level (a nerve counts once when any of
        them is met, e.g. "absent F-waves or prolonged F latency in >= 2 nerves"); "" = the rule alone.
    source : str
        Citation.
    verified : bool
        False when the numbers come from unverified secondary sources.
    note : str
        Interpretation choices.
    """

    id: str
    category: str
    grade: str
    measure: str
    comparison: str
    threshold: float
    unit: str
    scope: str
    source: str
    verified: bool = True
    conditions: tuple[Test, ...] = ()
    floors: tuple[Test, ...] = ()
    steps: tuple[Step, ...] = ()
    threshold_by_nerve: Mapping[str, float] = field(default_factory=dict)
    nerves: tuple[str, ...] = ()
    exclude_nerves: tuple[str, ...] = ()
    exclude_entrapment: bool = False
    segment_class: str = "any"
    segment_kinds: tuple[str, ...] = _KINDS
    segment_labels: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    min_nerves: int = 1
    note: str = ""
    item: str = ""


@dataclass(frozen=True)
class SegmentClasses:
    """Long/short classification of segments by label fragments (labelled data, may be unverified)."""

    long: tuple[str, ...] = ()
    short: tuple[str, ...] = ()
    source: str = ""
    verified: bool = False

    def classify(self, spans: tuple[str, ...]) -> str:
        """``"long"`` when any spanned label is long, ``"short"`` when all are short, else ``""``."""
        labs = [s.lower() for s in spans]
        if any(any(k in lab for k in self.long) for lab in labs):
            return "long"
        if labs and all(any(k in lab for k in self.short) for lab in labs):
            return "short"
        return ""


@dataclass(frozen=True)
class CriteriaSet:
    """A published (or a lab's) criteria set.

    Attributes
    ----------
    id, name, source : str
        Identification and citation.
    verified : bool
        False when any rule is unverified.
    rules : tuple of Rule
    segment_classes : SegmentClasses
    note : str
    file : str
        Where the set was loaded from.
    """

    id: str
    name: str
    source: str
    verified: bool
    rules: tuple[Rule, ...]
    segment_classes: SegmentClasses = field(default_factory=SegmentClasses)
    note: str = ""
    file: str = ""

    def info(self) -> dict[str, Any]:
        """``{"id", "name", "source", "verified"}``."""
        return {"id": self.id, "name": self.name, "source": self.source, "verified": self.verified}


# ---- strict loading -----------------------------------------------------------------------------

_SET_KEYS = {"id", "name", "source", "verified", "note", "segment_classes", "rules"}
_CLASS_KEYS = {"long", "short", "source", "verified"}
_RULE_KEYS = {
    "id", "category", "grade", "measure", "comparison", "threshold", "unit", "conditions", "floors",
    "steps", "threshold_by_nerve", "nerves", "exclude_nerves", "exclude_entrapment", "segment_class",
    "segment_kinds", "segment_labels", "min_nerves", "item", "source", "verified", "note",
}  # fmt: skip
_TEST_KEYS = {"measure", "comparison", "threshold", "unit"}
_STEP_KEYS = {"below", "unit", "threshold", "inclusive"}


def _fail(where: str, msg: str) -> FormatError:
    return FormatError(f"{where}: {msg}")


def _keys(d: Any, allowed: set[str], where: str) -> dict:
    if not isinstance(d, dict):
        raise _fail(where, f"expected a table, got {type(d).__name__}")
    extra = sorted(set(d) - allowed)
    if extra:
        raise _fail(where, f"unknown key(s) {extra}; valid keys: {sorted(allowed)}")
    return d


def _get(d: dict, key: str, where: str) -> Any:
    if key not in d:
        raise _fail(f"{where}.{key}", "required field missing")
    return d[key]


def _text(v: Any, where: str) -> str:
    if not isinstance(v, str) or not v.strip():
        raise _fail(where, f"expected a non-empty string, got {v!r}")
    return v.strip()


def _number(v: Any, where: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(float(v)):
        raise _fail(where, f"expected a finite number, got {v!r}")
    return float(v)


def _flag(v: Any, where: str) -> bool:
    if not isinstance(v, bool):
        raise _fail(where, f"expected true or false, got {v!r}")
    return v


def _texts(v: Any, where: str) -> tuple[str, ...]:
    if not isinstance(v, list):
        raise _fail(where, f"expected a list of strings, got {v!r}")
    return tuple(_text(x, f"{where}[{i}]").lower() for i, x in enumerate(v))


def _choice(v: Any, valid: Any, where: str) -> str:
    if v not in valid:
        raise _fail(where, f"invalid value {v!r}; valid: {list(valid)}")
    return v


def _test(d: Any, measures: Mapping[str, str], where: str) -> Test:
    d = _keys(d, _TEST_KEYS, where)
    measure = _choice(_get(d, "measure", where), measures, f"{where}.measure")
    comp = _choice(_get(d, "comparison", where), COMPARISONS, f"{where}.comparison")
    thr = _number(_get(d, "threshold", where), f"{where}.threshold")
    if "unit" not in d:
        raise _fail(
            f"{where}.unit", f"threshold {thr:g} without a unit (expected {measures[measure]!r})"
        )
    unit = d["unit"]
    if unit != measures[measure]:
        raise _fail(f"{where}.unit", f"{measure} is in {measures[measure]!r}, got {unit!r}")
    return Test(measure, comp, thr, unit)


def _step(d: Any, where: str) -> Step:
    d = _keys(d, _STEP_KEYS, where)
    below = _number(_get(d, "below", where), f"{where}.below")
    if "unit" not in d:
        raise _fail(f"{where}.unit", "step bound without a unit (expected 'mV' or '% LLN')")
    unit = _choice(d["unit"], ("mV", "% LLN"), f"{where}.unit")
    thr = _number(_get(d, "threshold", where), f"{where}.threshold")
    return Step(below, unit, thr, _flag(d.get("inclusive", False), f"{where}.inclusive"))


def _main_test(d: dict, where: str) -> tuple[str, str, float, str, str]:
    measure = _get(d, "measure", where)
    allm = {**SEGMENT_MEASURES, **NERVE_MEASURES}
    _choice(measure, allm, f"{where}.measure")
    comp = _choice(_get(d, "comparison", where), COMPARISONS, f"{where}.comparison")
    thr = _number(_get(d, "threshold", where), f"{where}.threshold")
    if "unit" not in d:
        raise _fail(
            f"{where}.unit", f"threshold {thr:g} without a unit (expected {allm[measure]!r})"
        )
    if d["unit"] != allm[measure]:
        raise _fail(f"{where}.unit", f"{measure} is in {allm[measure]!r}, got {d['unit']!r}")
    scope = "segment" if measure in SEGMENT_MEASURES else "nerve"
    return measure, comp, thr, d["unit"], scope


def _rule(d: Any, where: str, set_source: str, set_verified: bool) -> Rule:
    if not isinstance(d, dict):
        raise _fail(where, f"expected a table, got {type(d).__name__}")
    rid = _text(_get(d, "id", where), f"{where}.id")
    where = f"{where} (rule {rid!r})"
    d = _keys(d, _RULE_KEYS, where)
    cat = _choice(_get(d, "category", where), CATEGORIES, f"{where}.category")
    grade = _choice(d.get("grade", "present"), CATEGORIES[cat], f"{where}.grade")
    measure, comp, thr, unit, scope = _main_test(d, where)
    lst = lambda k: d.get(k, [])  # noqa: E731
    if not isinstance(lst("conditions"), list) or not isinstance(lst("floors"), list):
        raise _fail(where, "conditions and floors must be lists of tables")
    if not isinstance(lst("steps"), list):
        raise _fail(f"{where}.steps", "expected a list of tables")
    by_nerve = _keys(
        d.get("threshold_by_nerve", {}),
        set(d.get("threshold_by_nerve", {})),
        f"{where}.threshold_by_nerve",
    )
    labels = d.get("segment_labels", {})
    if not isinstance(labels, dict):
        raise _fail(
            f"{where}.segment_labels", f"expected a table of nerve = [labels], got {labels!r}"
        )
    min_nerves = d.get("min_nerves", 1)
    if isinstance(min_nerves, bool) or not isinstance(min_nerves, int) or min_nerves < 1:
        raise _fail(f"{where}.min_nerves", f"expected an integer >= 1, got {min_nerves!r}")
    steps = tuple(_step(x, f"{where}.steps[{i}]") for i, x in enumerate(lst("steps")))
    return Rule(
        id=rid,
        category=cat,
        grade=grade,
        measure=measure,
        comparison=comp,
        threshold=thr,
        unit=unit,
        scope=scope,
        source=_text(d.get("source", set_source), f"{where}.source"),
        verified=_flag(d.get("verified", set_verified), f"{where}.verified"),
        conditions=tuple(
            _test(x, SEGMENT_MEASURES, f"{where}.conditions[{i}]")
            for i, x in enumerate(lst("conditions"))
        ),
        floors=tuple(
            _test(x, FLOOR_MEASURES, f"{where}.floors[{i}]") for i, x in enumerate(lst("floors"))
        ),
        steps=tuple(sorted(steps, key=lambda s: (s.unit, s.below))),
        threshold_by_nerve={
            str(k).lower(): _number(v, f"{where}.threshold_by_nerve.{k}")
            for k, v in by_nerve.items()
        },
        nerves=_texts(d.get("nerves", []), f"{where}.nerves"),
        exclude_nerves=_texts(d.get("exclude_nerves", []), f"{where}.exclude_nerves"),
        exclude_entrapment=_flag(d.get("exclude_entrapment", False), f"{where}.exclude_entrapment"),
        segment_class=_choice(d.get("segment_class", "any"), _CLASSES, f"{where}.segment_class"),
        segment_kinds=tuple(
            _choice(k, _KINDS, f"{where}.segment_kinds")
            for k in _texts(d.get("segment_kinds", list(_KINDS)), f"{where}.segment_kinds")
        ),
        segment_labels={
            str(k).lower(): _texts(v, f"{where}.segment_labels.{k}") for k, v in labels.items()
        },
        min_nerves=min_nerves,
        note=str(d.get("note", "")),
        item=_text(d["item"], f"{where}.item") if "item" in d else "",
    )


def criteria_set_from_dict(d: Any, *, where: str = "criteria") -> CriteriaSet:
    """Build a :class:`CriteriaSet` from a parsed TOML/JSON document (strict validation).

    Parameters
    ----------
    d : dict
        The document (layout in ``docs/criteria.md``).
    where : str
        File name for error messages.

    Returns
    -------
    CriteriaSet

    Raises
    ------
    FormatError
        Naming the file, the rule and the field, the bad value and what is valid.
    """
    d = _keys(d, _SET_KEYS, where)
    sid = _text(_get(d, "id", where), f"{where}.id")
    source = _text(_get(d, "source", where), f"{where}.source")
    verified = _flag(d.get("verified", True), f"{where}.verified")
    sc = _keys(d.get("segment_classes", {}), _CLASS_KEYS, f"{where}.segment_classes")
    classes = SegmentClasses(
        long=_texts(sc.get("long", []), f"{where}.segment_classes.long"),
        short=_texts(sc.get("short", []), f"{where}.segment_classes.short"),
        source=str(sc.get("source", "")),
        verified=_flag(sc.get("verified", False), f"{where}.segment_classes.verified"),
    )
    raw = _get(d, "rules", where)
    if not isinstance(raw, list) or not raw:
        raise _fail(f"{where}.rules", "expected a non-empty list of [[rules]] tables")
    rules = tuple(_rule(x, f"{where}: rules[{i}]", source, verified) for i, x in enumerate(raw))
    ids = [r.id for r in rules]
    dup = sorted({i for i in ids if ids.count(i) > 1})
    if dup:
        raise _fail(f"{where}.rules", f"rule ids must be unique, repeated: {dup}")
    for r in rules:
        if r.segment_class != "any" and not (classes.long or classes.short):
            raise _fail(
                f"{where}: rule {r.id!r}.segment_class", "needs [segment_classes] in the set"
            )
    all_verified = verified and all(
        r.verified and (r.segment_class == "any" or classes.verified) for r in rules
    )
    return CriteriaSet(
        id=sid,
        name=_text(d.get("name", sid), f"{where}.name"),
        source=source,
        verified=all_verified,
        rules=rules,
        segment_classes=classes,
        note=str(d.get("note", "")),
        file=where,
    )
