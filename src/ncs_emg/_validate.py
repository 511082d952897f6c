"""Input coercion and checks. Messages name the parameter, the bad value and what would be valid."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from .errors import ParameterError

__all__ = [
    "as_sweeps",
    "check_positive",
    "check_finite",
    "check_option",
    "check_range",
    "MAX_MAGNITUDE",
]

#: Largest magnitude a numeric parameter may have. No quantity of the package (mV, ms, mm, Hz, mA)
#: comes near it; larger values are typing mistakes that would overflow sample-index arithmetic.
MAX_MAGNITUDE = 1e12


def as_sweeps(x: Any, *, name: str = "x", check_finite: bool = True) -> tuple[np.ndarray, bool]:
    """Coerce ``x`` to a C-contiguous float64 array of shape ``(n_sweeps, n_samples)``.

    Returns the array and whether the input was a single 1-D sweep. Integer input is accepted.
    Raises :class:`ParameterError` for 0-D, >2-D, empty, non-numeric or non-finite input. Callers whose
    kernel checks finiteness in its own pass (saving a pass over memory) use ``check_finite=False`` and
    then :func:`raise_nonfinite`.
    """
    try:
        arr = np.asarray(x)
    except Exception as exc:  # pragma: no cover - numpy raises many types here
        raise ParameterError(f"{name}: cannot be converted to an array ({exc})") from exc
    if arr.dtype.kind not in "biuf":
        raise ParameterError(
            f"{name}: expected a numeric array (int or float), got dtype {arr.dtype}"
        )
    single = arr.ndim == 1
    if arr.ndim == 1:
        arr = arr[np.newaxis, :]
    if arr.ndim != 2:
        raise ParameterError(
            f"{name}: expected one sweep (n_samples,) or sweeps (n_sweeps, n_samples), "
            f"got an array with {arr.ndim} dimensions, shape {arr.shape}"
        )
    if arr.shape[0] == 0 or arr.shape[1] == 0:
        raise ParameterError(f"{name}: empty array of shape {arr.shape}; need at least one sample")
    arr = np.ascontiguousarray(arr, dtype=np.float64)
    if check_finite and not np.isfinite(arr).all():
        raise_nonfinite(arr, name)
    return arr, single


def raise_nonfinite(arr: np.ndarray, name: str) -> None:
    """Raise the ParameterError naming the first non-finite sample of a 2-D array."""
    bad = np.argwhere(~np.isfinite(arr))[0]
    raise ParameterError(
        f"{name}: non-finite sample {arr[tuple(bad)]!r} at sweep {bad[0]}, sample {bad[1]}; "
        "all samples must be finite numbers in mV"
    )


def check_finite(value: Any, name: str) -> float:
    """Return ``value`` as float, raising unless it is a finite real number.

    Booleans (``True`` is not 1 Hz), complex numbers, strings and values beyond
    :data:`MAX_MAGNITUDE` are refused with a :class:`ParameterError` naming ``name``.
    """
    if isinstance(value, (bool, np.bool_)) or isinstance(value, (complex, np.complexfloating)):
        raise ParameterError(f"{name}: expected a finite real number, got {value!r}")
    if isinstance(value, (str, bytes)):
        raise ParameterError(f"{name}: expected a finite number, got the text {value!r}")
    try:
        v = float(value)
    except (TypeError, ValueError, OverflowError) as exc:
        raise ParameterError(f"{name}: expected a finite number, got {_short(value)}") from exc
    if not math.isfinite(v):
        raise ParameterError(f"{name}: expected a finite number, got {_short(value)}")
    if abs(v) > MAX_MAGNITUDE:
        raise ParameterError(
            f"{name}: {_short(value)} is beyond the largest accepted magnitude {MAX_MAGNITUDE:g}"
        )
    return v


def _short(value: Any) -> str:
    r = repr(value)
    return r if len(r) <= 60 else r[:57] + "..."


def check_positive(value: Any, name: str, *, allow_zero: bool = False) -> float:
    """Return ``value`` as float, raising unless it is finite and > 0 (or >= 0)."""
    v = check_finite(value, name)
    if v < 0 or (v == 0 and not allow_zero):
        rel = ">= 0" if allow_zero else "> 0"
        raise ParameterError(f"{name}: must be {rel}, got {value!r}")
    return v


def check_range(value: Any, name: str, lo: float, hi: float) -> float:
    """Return ``value`` as float, raising unless ``lo <= value <= hi``."""
    v = check_finite(value, name)
    if not lo <= v <= hi:
        raise ParameterError(f"{name}: must lie in [{lo}, {hi}], got {value!r}")
    return v


def check_option(value: Any, name: str, allowed: Any) -> Any:
    """Raise unless ``value`` is one of ``allowed``."""
    if value not in allowed:
        raise ParameterError(f"{name}: invalid value {value!r}; valid options: {sorted(allowed)}")
    return value


def param_field(default: Any, unit: str, doc: str, **metadata: Any) -> Any:
    """A parameter-object field: its default, and its unit and meaning (plus ``metadata``) as field
    metadata, from which :func:`describe_fields` builds the documentation tables."""
    import dataclasses

    return dataclasses.field(default=default, metadata={"unit": unit, "doc": doc, **metadata})


def describe_fields(cls: Any) -> list[dict[str, Any]]:
    """One row per field of a documented parameter dataclass: name, default, unit, meaning.

    The dataclass declares ``unit`` and ``doc`` in each field's metadata (``CmapParams``,
    ``FWaveParams``, ``RecordingConditions``); documentation tables are generated from these rows.
    """
    import dataclasses

    return [
        {"name": f.name, "default": f.default, "unit": f.metadata["unit"], "doc": f.metadata["doc"]}
        for f in dataclasses.fields(cls)
    ]
