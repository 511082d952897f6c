"""The sidecar JSON that names what an EDF export leaves out (nerves, sites, distances, cutting).

Schema (all keys optional; an unknown key or a wrong type is a FormatError naming it)::

    {"subject_id": "s01", "date": "2026-11-25", "device": "...", "display_polarity": false,
     "signals": {"<EDF label>": {"nerve": "median", "side": "right", "muscle": "APB",
                                 "kind": "motor", "lff_hz": 2, "hff_hz": 10000,
                                 "temperature_c": 33, "display_polarity": false, "include": true}},
     "sites": {"<site in the file>": {"name": "wrist", "distance_mm": 70, "segment": "distal",
                                      "recording_distance_mm": 70}},
     "site_order": ["wrist", "elbow"],
     "cut": {"pre_ms": 5, "post_ms": 45, "trigger_signal": "Trigger", "trigger_threshold": 0.5,
             "site": "wrist"}}

Numbers must be finite and of a sane size (an integer of 400 digits is refused by name, not left to
overflow later); nesting is checked before the schema so a deeply nested document is a FormatError.
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..._validate import MAX_MAGNITUDE
from ...errors import FormatError
from ..paths import regular_file

__all__ = ["load_sidecar", "SIDECAR_KEYS", "MAX_SIDECAR_BYTES"]

#: Largest sidecar file read (bytes); a sidecar is a few kilobytes.
MAX_SIDECAR_BYTES = 1 << 20
_STR, _NUM, _BOOL = (str,), (int, float), (bool,)
SIDECAR_KEYS: dict[str, Any] = {
    "subject_id": _STR,
    "date": _STR,
    "device": _STR,
    "display_polarity": _BOOL,
    "signals": {
        "nerve": _STR,
        "side": _STR,
        "muscle": _STR,
        "kind": _STR,
        "lff_hz": _NUM,
        "hff_hz": _NUM,
        "temperature_c": _NUM,
        "display_polarity": _BOOL,
        "include": _BOOL,
    },
    "sites": {"name": _STR, "distance_mm": _NUM, "segment": _STR, "recording_distance_mm": _NUM},
    "site_order": list,
    "cut": {
        "pre_ms": _NUM,
        "post_ms": _NUM,
        "trigger_signal": _STR,
        "trigger_threshold": _NUM,
        "site": _STR,
    },
}


def _check_number(v: Any, where: str) -> None:
    try:
        x = float(v)
    except OverflowError as exc:
        raise FormatError(f"{where}: number too large ({str(v)[:30]}...)") from exc
    if not math.isfinite(x) or abs(x) > MAX_MAGNITUDE:
        raise FormatError(f"{where}: expected a finite number of magnitude <= 1e12, got {x!r}")


def _check_fields(d: Any, schema: dict, where: str) -> dict:
    if not isinstance(d, dict):
        raise FormatError(f"{where}: expected a JSON object, got {type(d).__name__}")
    for k, v in d.items():
        if k not in schema:
            raise FormatError(f"{where}: unknown key {k!r}; valid keys: {sorted(schema)}")
        t = schema[k]
        if isinstance(t, tuple):
            ok = isinstance(v, t) and not (t is _NUM and isinstance(v, bool))
            if v is not None and not ok:
                raise FormatError(f"{where}.{k}: expected {t[0].__name__}, got {str(v)[:60]!r}")
            if t is _NUM and v is not None:
                _check_number(v, f"{where}.{k}")
    return d


def _depth_ok(obj: Any, limit: int = 8) -> bool:
    """True when ``obj`` nests at most ``limit`` containers deep (iterative: no recursion)."""
    stack = [(obj, 0)]
    while stack:
        o, d = stack.pop()
        if d > limit:
            return False
        if isinstance(o, dict):
            stack.extend((v, d + 1) for v in o.values())
        elif isinstance(o, list):
            stack.extend((v, d + 1) for v in o)
    return True


def _read_json(path: Any) -> Any:
    src = str(path)
    regular_file(path, "sidecar")  # a FIFO would block
    try:
        size = Path(path).stat().st_size
        if size > MAX_SIDECAR_BYTES:
            raise FormatError(f"sidecar {src}: {size} bytes, more than {MAX_SIDECAR_BYTES}")
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise FormatError(f"sidecar {src}: cannot be read ({exc})") from exc
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise FormatError(f"sidecar {src}: not valid JSON ({exc.msg}, line {exc.lineno})") from exc
    except (ValueError, RecursionError) as exc:  # integers past 4300 digits, deep nesting
        raise FormatError(f"sidecar {src}: not readable JSON ({str(exc)[:80]})") from exc


def load_sidecar(sidecar: Any, edf_path: Path | None = None) -> dict[str, Any]:
    """Load and validate a sidecar (path, dict, None, or ``"auto"`` = ``<file>.json`` if present).

    Parameters
    ----------
    sidecar : str, path-like, dict, None or "auto"
    edf_path : Path, optional
        The EDF file (for ``"auto"``).

    Returns
    -------
    dict
        The validated sidecar, with ``"_source"`` naming where it came from.

    Raises
    ------
    FormatError
        When the file is not JSON or a key/type does not match the schema (message names the key).
    """
    if sidecar is None:
        return {}
    src = "sidecar"
    if isinstance(sidecar, str) and sidecar == "auto":
        if edf_path is None:
            return {}
        cand = edf_path.with_name(edf_path.name + ".json")
        if not cand.is_file():
            return {}
        sidecar = cand
    if isinstance(sidecar, (str, os.PathLike)):
        src = str(sidecar)
        sidecar = _read_json(sidecar)
    if not isinstance(sidecar, Mapping):
        raise FormatError(f"{src}: expected a JSON object, got {type(sidecar).__name__}")
    if not _depth_ok(sidecar):
        raise FormatError(f"{src}: nested deeper than the sidecar schema allows")
    sc = dict(sidecar)
    top = {k: (v if isinstance(v, tuple) else object) for k, v in SIDECAR_KEYS.items()}
    _check_fields(sc, top, src)
    for key in ("signals", "sites"):
        block = sc.get(key, {})
        if not isinstance(block, dict):
            raise FormatError(f"{src}.{key}: expected an object keyed by name")
        for name, entry in block.items():
            _check_fields(entry, SIDECAR_KEYS[key], f"{src}.{key}[{name!r}]")
    _check_fields(sc.get("cut", {}), SIDECAR_KEYS["cut"], f"{src}.cut")
    order = sc.get("site_order", [])
    if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
        raise FormatError(f"{src}.site_order: expected a list of site names, got {order!r}")
    sc["_source"] = src
    return sc
