"""What a batch does to one file: read it, run a stage, return tidy rows (or one error row).

A stage turns a :class:`~ncs_emg.types.Study` into named tables of flat rows. Built-in stages:

* ``"measure"``: ``sweeps`` (one row per CMAP sweep, :func:`ncs_emg.measure_study`) and ``fwaves``
  (one row per F-wave train).
* ``"analyze"``: ``sites`` (one row per stimulation site), ``segments`` (one per segment),
  ``findings`` (one per rule finding), ``fwaves`` (the F values each nerve's criteria used),
  ``nerve_summary`` (one per nerve and criteria set), ``studies`` (one per file: subject, counts,
  issues) and ``study_summary`` (one per criteria set),
  from :func:`ncs_emg.analyze` with its defaults.

A custom stage is named ``"package.module:function"``: a module-level function that takes the file
path (str) and returns ``{table name: [row dict, ...]}``; the worker imports it by name.

Everything a worker returns is plain JSON (no pickle crosses the process boundary).
"""

from __future__ import annotations

import importlib
import json
import math
from collections.abc import Callable, Mapping
from typing import Any

from ..errors import NcsEmgError, ParameterError
from ..tables import (
    FINDING_COLUMNS,
    SEGMENT_COLUMNS,
    SITE_COLUMNS,
    findings_rows,
    segments_rows,
    sites_rows,
)

__all__ = [
    "STAGES",
    "TABLE_COLUMNS",
    "ERROR_COLUMNS",
    "resolve_stage",
    "process_file",
    "json_row",
    "report_tables",
    "stage_parameters",
]

#: Columns of the error table: one row per file that yielded no result.
ERROR_COLUMNS: tuple[str, ...] = ("file", "sha256", "stage", "error_type", "message")

_HEAD = ("nerve_label", "nerve", "side", "muscle")

#: Known columns of each stage's tables, in output order (``file`` and ``sha256`` come first in every
#: table; columns a stage adds beyond these are appended in the order first seen).
TABLE_COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "measure": {
        "sweeps": (
            "nerve_index", "nerve", "side", "muscle", "site_index", "site", "distance_mm",
            "segment", "sweep", "onset_latency_ms", "neg_peak_latency_ms", "neg_peak_amp_mv",
            "peak_to_peak_amp_mv", "neg_area_mv_ms", "total_area_mv_ms", "neg_duration_ms",
            "total_duration_ms", "baseline_mv", "noise_mv", "no_response", "saturated",
            "end_not_found", "onset_at_search_start", "onset_not_found", "baseline_source",
        ),
        "fwaves": ("nerve_index", "nerve", "side", "muscle"),
    },
    "analyze": {
        "sites": ("nerve_index",) + SITE_COLUMNS,
        "segments": ("nerve_index",) + SEGMENT_COLUMNS,
        "findings": ("nerve_index",) + FINDING_COLUMNS,
        "fwaves": ("nerve_index",) + _HEAD + (
            "min_latency_ms", "persistence_pct", "interpretable", "reason", "source",
        ),
        "nerve_summary": ("nerve_index",) + _HEAD + (
            "criteria", "conduction_block", "temporal_dispersion", "demyelinating", "driving",
        ),
        "studies": ("subject_id", "n_nerves", "n_sites", "version", "issues"),
        "study_summary": (
            "subject_id", "criteria", "conduction_block", "temporal_dispersion", "demyelinating",
            "nerves_with_cb", "territories", "nerves_not_evaluable",
        ),
    },
}  # fmt: skip

#: Built-in stage names.
STAGES: tuple[str, ...] = tuple(TABLE_COLUMNS)


def json_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """One flat row with JSON-safe scalars: NaN/inf → None, numpy scalars → Python, nested → JSON text."""
    out: dict[str, Any] = {}
    for k, v in row.items():
        if hasattr(v, "item") and not isinstance(v, (list, tuple, dict)):
            try:
                v = v.item()
            except (TypeError, ValueError):
                v = str(v)
        if isinstance(v, float) and not math.isfinite(v):
            v = None
        elif isinstance(v, (list, tuple, dict)):
            v = json.dumps(_plain(v), sort_keys=True)
        elif v is not None and not isinstance(v, (bool, int, float, str)):
            v = str(v)
        out[str(k)] = v
    return out


def _plain(v: Any) -> Any:
    if isinstance(v, float):
        return v if math.isfinite(v) else None
    if isinstance(v, Mapping):
        return {str(k): _plain(a) for k, a in v.items()}
    if isinstance(v, (list, tuple)):
        return [_plain(a) for a in v]
    if hasattr(v, "item"):
        return _plain(v.item())
    return v if v is None or isinstance(v, (bool, int, str)) else str(v)


# ---- built-in stages --------------------------------------------------------------------------


def measure_tables(study: Any) -> dict[str, list[dict[str, Any]]]:
    """Tables of the ``"measure"`` stage: CMAP sweeps and F-wave train summaries of ``study``."""
    from ..fwave import measure_nerve_fwaves
    from ..measure import measure_study

    sweeps = [row for r in measure_study(study) for row in r.rows()]
    fwaves = []
    for ni, n in enumerate(study.nerves):
        if n.fwaves is None:
            continue
        head = {"nerve_index": ni, "nerve": n.nerve, "side": n.side, "muscle": n.muscle}
        try:
            fm = measure_nerve_fwaves(n)
            assert fm is not None  # the nerve has a train (checked above)
            fwaves.append({**head, **fm.summary()})
        except NcsEmgError as exc:  # one bad train must not hide the rest of the study
            fwaves.append({**head, "interpretable": False, "reason": str(exc)})
    return {"sweeps": sweeps, "fwaves": fwaves}


def _nerve_head(i: int, nr: Any) -> dict[str, Any]:
    return {"nerve_index": i, "nerve_label": nr.label, "nerve": nr.nerve, "side": nr.side,
            "muscle": nr.muscle}  # fmt: skip


def _joined(v: Any) -> str:
    return "; ".join(v or ())


def report_tables(rep: Any) -> dict[str, list[dict[str, Any]]]:
    """Tidy tables of one :class:`~ncs_emg.analysis.StudyReport` (the ``"analyze"`` stage's rows)."""
    t: dict[str, list[dict[str, Any]]] = {k: [] for k in TABLE_COLUMNS["analyze"]}
    for i, nr in enumerate(rep.nerves):
        head = _nerve_head(i, nr)
        t["sites"] += [{"nerve_index": i, **r} for r in sites_rows([nr])]
        t["segments"] += [{"nerve_index": i, **r} for r in segments_rows([nr])]
        t["findings"] += [{"nerve_index": i, **r} for r in findings_rows([nr])]
        if nr.fwave is not None:
            t["fwaves"].append({**head, **nr.fwave.to_dict()})
        for cid, s in dict(nr.summary).items():
            d = s.to_dict()
            t["nerve_summary"].append(
                {**head, "criteria": cid, **d, "driving": _joined(d["driving"])}
            )
    t["studies"].append({
        "subject_id": rep.subject_id, "n_nerves": len(rep.nerves),
        "n_sites": sum(len(n.sites) for n in rep.nerves), "version": rep.version,
        "issues": _joined([*rep.issues, *(f"{n.label}: {x}" for n in rep.nerves for x in n.issues)]),
    })  # fmt: skip
    for cid, s in dict(rep.summary).items():
        d = {k: getattr(s, k) for k in TABLE_COLUMNS["analyze"]["study_summary"][2:]}
        d["nerves_with_cb"] = _joined(d["nerves_with_cb"])
        d["nerves_not_evaluable"] = _joined(d["nerves_not_evaluable"])
        t["study_summary"].append({"subject_id": rep.subject_id, "criteria": cid, **d})
    return t


def stage_parameters(stage: str) -> dict[str, Any]:
    """Parameters a stage runs with (recorded in the manifest and in Parquet metadata)."""
    params: dict[str, Any] = {"stage": stage}
    if stage == "analyze":
        from ..analysis import analyze
        from ..types import Study

        empty = analyze(Study(()))  # the defaults, without a file
        params["analysis"] = dict(empty.parameters)
        params["criteria"] = [c.id for c in empty.criteria]
    return params


def analyze_tables(study: Any) -> dict[str, list[dict[str, Any]]]:
    """Tables of the ``"analyze"`` stage: :func:`report_tables` of :func:`ncs_emg.analyze` (defaults)."""
    from ..analysis import analyze

    return report_tables(analyze(study))


_BUILTIN: dict[str, Callable[[Any], dict[str, list[dict[str, Any]]]]] = {
    "measure": measure_tables,
    "analyze": analyze_tables,
}


def resolve_stage(stage: str) -> Callable[..., dict[str, list[dict[str, Any]]]]:
    """The function behind a stage name (built-in, or ``"module:function"`` for a custom stage).

    Raises
    ------
    ParameterError
        For an unknown built-in name or a custom name that cannot be imported.
    """
    if not isinstance(stage, str):
        raise ParameterError(f"stage: expected a string, got {type(stage).__name__}")
    if stage in _BUILTIN:
        return _BUILTIN[stage]
    if ":" not in stage:
        raise ParameterError(
            f"stage: invalid value {stage!r}; valid: {list(STAGES)} or 'package.module:function'"
        )
    mod, _, name = stage.partition(":")
    try:
        fn = getattr(importlib.import_module(mod), name)
    except (ImportError, AttributeError) as exc:
        raise ParameterError(f"stage: cannot import {stage!r} ({exc})") from exc
    if not callable(fn):
        raise ParameterError(f"stage: {stage!r} is not callable")
    return fn


def error_row(
    path: str, sha: str | None, stage: str, exc: BaseException | str, kind: str = ""
) -> dict:
    """The one error row of a file: ``file``, ``sha256``, ``stage``, ``error_type``, ``message``."""
    return {
        "file": path,
        "sha256": sha,
        "stage": stage,
        "error_type": kind or type(exc).__name__,
        "message": str(exc),
    }


def process_file(path: str, stage: str, sha: str | None = None) -> dict[str, Any]:
    """Read ``path`` and run ``stage`` on it; never raises for a bad file.

    Returns
    -------
    dict
        ``{"file", "sha256", "status": "ok", "tables": {name: [rows]}}`` or
        ``{"file", "sha256", "status": "error", "error": error row}``; plain JSON values only.
    """
    head = {"file": path, "sha256": sha}
    try:
        fn = resolve_stage(stage)
    except ParameterError as exc:
        return {**head, "status": "error", "error": error_row(path, sha, "stage", exc)}
    builtin = stage in _BUILTIN
    where = "read" if builtin else stage
    try:
        if builtin:
            from ..io import read_study

            study = read_study(path)
            where = stage
            tables = fn(study)
        else:
            tables = fn(path)
        rows = {name: [{**head, **json_row(r)} for r in rs] for name, rs in dict(tables).items()}
    except Exception as exc:  # one bad file must never stop the batch: it becomes an error row
        return {**head, "status": "error", "error": error_row(path, sha, where, exc)}
    return {**head, "status": "ok", "tables": rows}
