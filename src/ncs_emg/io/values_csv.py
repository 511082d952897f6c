"""Read the values an EMG machine printed: one CSV row per stimulation site (``docs/segments.md``).

Columns (order free, units in the names; empty cell = missing value)::

    nerve, side, muscle, site, segment, distance_mm, onset_latency_ms, neg_peak_amp_mv,
    peak_to_peak_amp_mv, neg_area_mv_ms, neg_duration_ms, total_duration_ms

and, optionally, per nerve (on any of its rows; repeated values must agree): ``min_f_latency_ms``,
``f_persistence_pct``, ``height_cm``, ``temperature_c``. Rows are grouped into nerves by
(nerve, side, muscle) in file order; within a nerve the rows are sites from distal to proximal.
``distance_mm`` follows the site convention: distal distance for the first site, segment length to
the previous site for the others.
"""

from __future__ import annotations

import csv
import io
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import FormatError
from ..types import NERVE_ALIASES

__all__ = [
    "SITE_COLUMNS",
    "NERVE_COLUMNS",
    "NerveValues",
    "StudyValues",
    "read_values_csv",
    "parse_values_csv",
    "write_values_csv",
]

#: Per-site columns (``nerve`` and ``site`` are required).
SITE_COLUMNS = (
    "nerve",
    "side",
    "muscle",
    "site",
    "segment",
    "distance_mm",
    "onset_latency_ms",
    "neg_peak_amp_mv",
    "peak_to_peak_amp_mv",
    "neg_area_mv_ms",
    "neg_duration_ms",
    "total_duration_ms",
)
#: Optional per-nerve columns.
NERVE_COLUMNS = ("min_f_latency_ms", "f_persistence_pct", "height_cm", "temperature_c")
_TEXT = ("nerve", "side", "muscle", "site", "segment")
_NONNEG = ("distance_mm", "neg_peak_amp_mv", "peak_to_peak_amp_mv", "neg_duration_ms",
           "total_duration_ms", "min_f_latency_ms", "height_cm")  # fmt: skip


@dataclass(frozen=True)
class NerveValues:
    """Printed values of one nerve.

    Attributes
    ----------
    nerve, side, muscle : str, str, str or None
        Identification (nerve lower case, ``fibular`` -> ``peroneal``; side ``left``/``right``/
        ``unknown``).
    sites : tuple of dict
        One dict per site, distal first: ``site``, ``segment`` and the numeric columns (NaN = empty).
    min_f_latency_ms, f_persistence_pct, height_cm, temperature_c : float
        Per-nerve values (NaN when absent).
    lines : tuple of int
        File line of each site row.
    """

    nerve: str
    side: str
    muscle: str | None
    sites: tuple[dict, ...]
    min_f_latency_ms: float = math.nan
    f_persistence_pct: float = math.nan
    height_cm: float = math.nan
    temperature_c: float = math.nan
    lines: tuple[int, ...] = ()

    @property
    def label(self) -> str:
        """``"right ulnar (ADM)"``."""
        m = f" ({self.muscle})" if self.muscle else ""
        s = "" if self.side == "unknown" else f"{self.side} "
        return f"{s}{self.nerve}{m}"


@dataclass(frozen=True)
class StudyValues:
    """Printed values of a study: nerves, the file, and what the reader noticed.

    Attributes
    ----------
    nerves : tuple of NerveValues
    subject_id : str
    source : dict
        Provenance (file name, format).
    issues : tuple of str
        Unknown columns, missing columns.
    """

    nerves: tuple[NerveValues, ...]
    subject_id: str = "anonymous"
    source: dict = field(default_factory=dict)
    issues: tuple[str, ...] = ()


def _number(text: str, where: str, col: str) -> float:
    t = text.strip()
    if t == "" or t.lower() in ("nan", "na", "n/a", "-"):
        return math.nan
    try:
        v = float(t)
    except ValueError:
        raise FormatError(f"{where}, column {col!r}: not a number: {text!r}") from None
    if not math.isfinite(v):
        raise FormatError(f"{where}, column {col!r}: not a finite number: {text!r}")
    if col in _NONNEG and v < 0:
        raise FormatError(f"{where}, column {col!r}: must be >= 0, got {text!r}")
    if col == "f_persistence_pct" and v > 100:
        raise FormatError(f"{where}, column {col!r}: a percentage in [0, 100], got {text!r}")
    return v


def _side(text: str, where: str) -> str:
    s = text.strip().lower()
    s = {"l": "left", "r": "right", "": "unknown"}.get(s, s)
    if s not in ("left", "right", "unknown"):
        raise FormatError(
            f"{where}, column 'side': invalid value {text!r}; valid: left, right, L, R"
        )
    return s


def _header(fields: list[str] | None, name: str) -> tuple[list[str], list[str]]:
    if not fields:
        raise FormatError(f"{name}: empty file (no header row)")
    cols = [f.strip() for f in fields]
    dup = sorted({c for c in cols if cols.count(c) > 1})
    if dup:
        raise FormatError(f"{name}: repeated column(s) {dup}")
    for req in ("nerve", "site"):
        if req not in cols:
            raise FormatError(f"{name}: required column {req!r} missing; columns: {cols}")
    issues = []
    unknown = [c for c in cols if c not in SITE_COLUMNS + NERVE_COLUMNS]
    if unknown:
        issues.append(f"{name}: unknown column(s) ignored: {unknown}")
    missing = [c for c in SITE_COLUMNS[4:] if c not in cols]
    if missing:
        issues.append(f"{name}: column(s) absent, values treated as missing: {missing}")
    return cols, issues


def _row(raw: list[str], cols: list[str], where: str) -> dict[str, Any]:
    if len(raw) != len(cols):
        raise FormatError(f"{where}: {len(raw)} fields, the header has {len(cols)}")
    cells = dict(zip(cols, raw, strict=True))
    row: dict[str, Any] = {}
    for c in SITE_COLUMNS + NERVE_COLUMNS:
        text = cells.get(c, "")
        if c in _TEXT:
            row[c] = text.strip()
        else:
            row[c] = _number(text, where, c)
    for req in ("nerve", "site"):
        if not row[req]:
            raise FormatError(f"{where}, column {req!r}: empty")
    nerve = row["nerve"].lower()
    row["nerve"] = NERVE_ALIASES.get(nerve, nerve)
    row["side"] = _side(row["side"], where)
    return row


def _merge_nerve_value(acc: dict, row: dict, col: str, where: str) -> None:
    v = row[col]
    if math.isnan(v):
        return
    old = acc.get(col, math.nan)
    if not math.isnan(old) and old != v:
        raise FormatError(
            f"{where}, column {col!r}: {v:g} differs from {old:g} on an earlier row of the nerve"
        )
    acc[col] = v


def parse_values_csv(text: str, *, name: str = "values.csv") -> StudyValues:
    """Parse the text of a values CSV (see the module docstring); ``name`` is used in messages.

    Raises
    ------
    FormatError
        For a missing required column, a malformed row (naming the line and column), a repeated
        site name within a nerve, or conflicting per-nerve values.
    """
    reader = csv.reader(io.StringIO(text))
    try:
        header = next(reader, None)
        cols, issues = _header(header, name)
        groups: dict[tuple, dict] = {}
        for raw in reader:
            line = reader.line_num
            if not raw or all(not c.strip() for c in raw):
                continue
            where = f"{name}, line {line}"
            row = _row(raw, cols, where)
            key = (row["nerve"], row["side"], row["muscle"] or None)
            g = groups.setdefault(key, {"sites": [], "lines": [], "values": {}})
            if any(s["site"] == row["site"] for s in g["sites"]):
                raise FormatError(
                    f"{where}, column 'site': site {row['site']!r} repeated in this nerve"
                )
            for c in NERVE_COLUMNS:
                _merge_nerve_value(g["values"], row, c, where)
            g["sites"].append(
                {k: row[k] for k in SITE_COLUMNS if k not in ("nerve", "side", "muscle")}
            )
            g["lines"].append(line)
    except csv.Error as exc:
        raise FormatError(f"{name}: not a valid CSV file ({exc})") from exc
    if not groups:
        raise FormatError(f"{name}: no data rows")
    nerves = tuple(
        NerveValues(
            nerve=k[0],
            side=k[1],
            muscle=k[2],
            sites=tuple(g["sites"]),
            lines=tuple(g["lines"]),
            **{c: g["values"].get(c, math.nan) for c in NERVE_COLUMNS},
        )
        for k, g in groups.items()
    )
    return StudyValues(nerves, source={"file": name, "format": "values-csv"}, issues=tuple(issues))


def read_values_csv(path: str | os.PathLike) -> StudyValues:
    """Read a values CSV (one row per stimulation site; columns in the module docstring).

    Parameters
    ----------
    path : str or path-like
        The CSV file (UTF-8; a byte-order mark is accepted).

    Returns
    -------
    StudyValues
        Nerves grouped by (nerve, side, muscle) in file order, sites distal first; ``issues`` lists
        unknown and absent columns.

    Raises
    ------
    FormatError
        When the file cannot be read, or for a malformed row (the message names line and column).
    """
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise FormatError(f"{p}: cannot read ({exc.strerror or exc})") from exc
    except UnicodeDecodeError as exc:
        raise FormatError(f"{p}: not UTF-8 text ({exc.reason} at byte {exc.start})") from exc
    return parse_values_csv(text, name=str(p))


def _cell(v: Any) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return ""
    return repr(float(v)) if isinstance(v, float) else str(v)


def write_values_csv(path: str | os.PathLike, rows: list[dict[str, Any]]) -> None:
    """Write site rows (dicts with the columns of :data:`SITE_COLUMNS` and :data:`NERVE_COLUMNS`).

    Floats are written with full precision (``repr``), so reading the file back gives the same
    numbers; NaN/None as empty cells.
    """
    cols = list(SITE_COLUMNS) + [c for c in NERVE_COLUMNS if any(c in r for r in rows)]
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, lineterminator="\n")
        w.writerow(cols)
        for r in rows:
            w.writerow([_cell(r.get(c)) for c in cols])
