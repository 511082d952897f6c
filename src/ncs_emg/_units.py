"""Unit strings → internal units (mV, ms, mm, m/s, Hz, mV·ms, mA).

Conversion happens once, at the boundary (readers, writers). An unknown unit is a :class:`UnitError`,
never a guess.
"""

from __future__ import annotations

from .errors import UnitError

__all__ = ["to_internal_factor", "INTERNAL_UNITS", "SI_FACTOR"]

# quantity -> internal unit
INTERNAL_UNITS = {
    "voltage": "mV",
    "time": "ms",
    "length": "mm",
    "frequency": "Hz",
    "current": "mA",
    "velocity": "m/s",
}

# multiply a value in the internal unit by SI_FACTOR to get SI (V, s, m, Hz, A)
SI_FACTOR = {
    "voltage": 1e-3,
    "time": 1e-3,
    "length": 1e-3,
    "frequency": 1.0,
    "current": 1e-3,
    "velocity": 1.0,
}

_MICRO = ("u", "µ", "μ")  # ASCII u, micro sign U+00B5, Greek mu U+03BC

_FACTORS = {
    "voltage": {"V": 1e3, "mV": 1.0, "uV": 1e-3, "nV": 1e-6, "kV": 1e6},
    "time": {"s": 1e3, "ms": 1.0, "us": 1e-3, "min": 60e3},
    "length": {"m": 1e3, "cm": 10.0, "mm": 1.0, "um": 1e-3},
    "frequency": {"Hz": 1.0, "kHz": 1e3},
    "current": {"A": 1e3, "mA": 1.0, "uA": 1e-3},
    "velocity": {"m/s": 1.0, "mm/ms": 1.0, "cm/s": 1e-2},
}


def _normalise(unit: str) -> str:
    u = unit.strip()
    for m in _MICRO[1:]:
        u = u.replace(m, "u")
    return u


def to_internal_factor(unit: str, quantity: str, *, where: str = "unit") -> float:
    """Factor that converts a value in ``unit`` to the internal unit of ``quantity``.

    Parameters
    ----------
    unit : str
        Unit string as found in a file (``"uV"``, ``"µV"``, ``"V"``, ``"cm"``...).
    quantity : str
        One of ``voltage``, ``time``, ``length``, ``frequency``, ``current``, ``velocity``.
    where : str
        Field name used in the error message (for example ``"signal 3 physical dimension"``).

    Returns
    -------
    float
        Multiply by this factor to get mV, ms, mm, Hz, mA or m/s.

    Raises
    ------
    UnitError
        When the unit is not known for that quantity.

    Examples
    --------
    >>> to_internal_factor("uV", "voltage")
    0.001
    """
    if quantity not in _FACTORS:
        raise UnitError(f"unknown quantity {quantity!r}; valid: {sorted(_FACTORS)}")
    table = _FACTORS[quantity]
    u = _normalise(str(unit))
    if u in table:
        return table[u]
    # case-insensitive fallback only where unambiguous (e.g. "MV" is not mV, so voltage stays strict)
    if quantity in ("time", "length", "frequency"):
        for k, v in table.items():
            if k.lower() == u.lower():
                return v
    raise UnitError(f"{where}: unknown {quantity} unit {unit!r}; valid units: {sorted(table)}")
