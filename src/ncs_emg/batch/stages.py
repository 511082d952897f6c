"""What a batch does to one file: read it, run a stage, return tidy rows (or one error row).

A stage turns a :class:`~ncs_emg.types.Study` into named tables of flat rows. Built-in stages:

* ``"measure"``: ``sweeps`` (one row per CMAP sweep, :func:`ncs_emg.measure_study`) and ``fwaves``
  (one row per F-wave train).
* ``"analyze"``: ``sites`` (one row per stimulation site), ``segments`` (one per segment),
  ``findings`` (one per rule finding), ``nerve_summary`` (one per nerve and criteria set) and
  ``study_summary`` (one per criteria set), from :func:`ncs_emg.analyze`.

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

__all__ = ["STAGES", "TABLE_COLUMNS", "ERROR_COLUMNS", "resolve_stage", "process_file", "json_row"]

#: Columns of the error table: one row per file that yielded no result.
ERROR_COLUMNS: tuple[str, ...] = ("file", "sha256", "stage", "error_type", "message")

_NERVE_COLS = ("nerve_index", "nerve_label", "nerve", "side", "muscle")

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
        "sites": _NERVE_COLS + (
            "site_index", "site", "distance_mm", "segment", "sweep_index", "sweep_choice",
            "onset_latency_ms", "neg_peak_amp_mv", "peak_to_peak_amp_mv", "neg_area_mv_ms",
            "neg_duration_ms", "total_duration_ms", "measurable", "reason",
        ),
        "segments": _NERVE_COLS + (
            "from_site", "to_site", "kind", "label", "length_mm", "latency_diff_ms", "cv_m_s",
            "amp_reduction_pct", "p2p_reduction_pct", "area_reduction_pct",
            "duration_increase_pct", "entrapment", "reason",
        ),
        "findings": (
            "nerve_index", "criteria", "rule", "nerve", "from_site", "to_site", "met", "value",
            "threshold", "unit", "reason", "source", "verified", "details",
        ),
        "nerve_summary": _NERVE_COLS + (
            "criteria", "conduction_block", "temporal_dispersion", "demyelinating", "driving",
        ),
        "study_summary": (
            "subject_id", "criteria", "conduction_block", "temporal_dispersion", "demyelinating",
            "nerves_with_cb", "territories",
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
            fwaves.append({**head, **measure_nerve_fwaves(n).summary()})
        except NcsEmgError as exc:  # one bad train must not hide the rest of the study
            fwaves.append({**head, "interpretable": False, "reason": str(exc)})
    return {"sweeps": sweeps, "fwaves": fwaves}


def _nerve_head(i: int, nr: Any) -> dict[str, Any]:
    return {
        "nerve_index": i,
        "nerve_label": nr.label,
        "nerve": nr.nerve,
        "side": nr.side,
        "muscle": nr.muscle,
    }


def _fields(obj: Any, names: tuple[str, ...]) -> dict[str, Any]:
    return {k: getattr(obj, k, None) for k in names}


def analyze_tables(study: Any) -> dict[str, list[dict[str, Any]]]:
    """Tables of the ``"analyze"`` stage from :func:`ncs_emg.analyze` of ``study``.

    Raises
    ------
    NotAvailableError
        When this installation has no analysis layer.
    """
    try:
        from ..analysis import analyze
    except ImportError as exc:  # the analysis layer lands in its own issue
        from ..errors import NotAvailableError

        raise NotAvailableError(
            "stage 'analyze': ncs_emg.analysis is not available in this version; use stage 'measure'"
        ) from exc
    rep = analyze(study)
    cols = TABLE_COLUMNS["analyze"]
    t: dict[str, list[dict[str, Any]]] = {k: [] for k in cols}
    for i, nr in enumerate(rep.nerves):
        head = _nerve_head(i, nr)
        for si, s in enumerate(nr.sites):
            t["sites"].append(
                {**head, "site_index": si, "site": s.name, **_fields(s, cols["sites"][7:])}
            )
        for seg in nr.segments:
            t["segments"].append({**head, **_fields(seg, cols["segments"][5:])})
        for f in nr.findings:
            t["findings"].append({"nerve_index": i, **f.to_dict()})
        for cid, s in dict(nr.summary).items():
            row = {**head, "criteria": cid, **_fields(s, cols["nerve_summary"][6:])}
            row["driving"] = "; ".join(row["driving"] or ())
            t["nerve_summary"].append(row)
    for cid, s in dict(rep.summary).items():
        row = {"subject_id": rep.subject_id, "criteria": cid}
        row.update(_fields(s, cols["study_summary"][2:]))
        row["nerves_with_cb"] = "; ".join(row["nerves_with_cb"] or ())
        t["study_summary"].append(row)
    return t


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
