"""EDF/BDF header fields: constants, the parsing of ASCII numbers and dates, and their formatting.

Numbers must be ASCII digits with an optional sign, decimal point and (in real-valued fields only) an
exponent; integer fields refuse exponents before any conversion, so a header cannot make the reader
spend time on an astronomic integer. Text fields are decoded latin-1 with NUL padding stripped; odd
bytes are reported.
"""

from __future__ import annotations

import datetime as _dt
import math
import re
from decimal import Decimal
from pathlib import Path
from typing import Any

from ...errors import FormatError, ParameterError
from .tal import EdfIssue

__all__ = [
    "ANNOTATION_LABELS",
    "EDF_MAGIC",
    "BDF_MAGIC",
    "SIGNAL_FIELDS",
    "MONTHS",
    "DIGITAL_LIMITS",
    "FILE_TYPES",
    "decode_text",
    "parse_number",
    "parse_integer",
    "fast_integer",
    "fast_float",
    "has_odd_bytes",
    "parse_start",
    "format_bound",
    "format_field",
    "format_number",
    "format_decimal",
    "edfplus_startdate",
    "anonymous_fields",
]

#: Labels that mark an annotation signal (after stripping spaces and NULs).
ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
EDF_MAGIC = b"0       "
BDF_MAGIC = b"\xffBIOSEMI"
SIGNAL_FIELDS = (  # (name, width) in header order
    ("label", 16),
    ("transducer", 80),
    ("unit", 8),
    ("physical_min", 8),
    ("physical_max", 8),
    ("digital_min", 8),
    ("digital_max", 8),
    ("prefilter", 80),
    ("samples_per_record", 8),
    ("reserved", 32),
)
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
DIGITAL_LIMITS = {2: (-32768, 32767), 3: (-8388608, 8388607)}
FILE_TYPES = ("EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D")
_ODD_BYTES = re.compile(rb"[^\x20-\x7e\x00]")  # outside printable ASCII (NUL padding allowed)


# ---- reading ---------------------------------------------------------------------------------


def decode_text(raw: bytes, name: str, issues: list[EdfIssue], *, checked: bool = False) -> str:
    """A text field decoded latin-1, NUL padding and spaces stripped; odd bytes reported.

    ``checked=True`` skips the search for odd bytes (the caller searched the whole header once).
    """
    if not checked and _ODD_BYTES.search(raw):
        issues.append(
            EdfIssue(name, repr(raw.rstrip(b" \x00"))[:60], "non-ASCII bytes decoded as latin-1")
        )
    return raw.decode("latin-1").replace("\x00", " ").strip()


# ASCII only (Decimal alone would also take "1_000", "Infinity" and non-ASCII digits)
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+(?:\.0*)?")  # no exponent: int(Decimal("1E999999")) hangs


# the common case, read without decoding: spaces, an optional sign, up to 15 digits (exact in a
# float), an optional fraction; anything else takes the checked path below
_FAST_INT = re.compile(rb" *([+-]?[0-9]{1,15}) *")
_FAST_FLOAT = re.compile(rb" *([+-]?(?:[0-9]{1,15}(?:\.[0-9]{0,15})?|\.[0-9]{1,15})) *")


def has_odd_bytes(raw: bytes) -> bool:
    """True when ``raw`` holds bytes outside printable ASCII (NUL padding allowed)."""
    return _ODD_BYTES.search(raw) is not None


def fast_integer(raw: bytes) -> int | None:
    """The integer of a plain field (digits, optional sign, space padding), else None."""
    m = _FAST_INT.fullmatch(raw)
    return int(m.group(1)) if m else None


def fast_float(raw: bytes) -> float | None:
    """The number of a plain field (no exponent, no comma, space padding), else None."""
    m = _FAST_FLOAT.fullmatch(raw)
    return float(m.group(1)) if m else None


def parse_number(raw: bytes, name: str, issues: list[EdfIssue], path: Path) -> Decimal:
    """A real-valued header field as Decimal (comma decimals read and reported).

    Raises
    ------
    FormatError
        Naming ``name`` when the field is not an ASCII number.
    """
    s = raw.decode("latin-1").replace("\x00", " ").strip()
    t = s.replace(",", ".") if s.count(",") == 1 and "." not in s else s
    if not _NUMBER_RE.fullmatch(t):
        raise FormatError(
            f"{path}: header field {name}: expected a number, got {s!r} (ASCII digits with an "
            "optional sign, decimal point and exponent)"
        )
    if t != s:
        issues.append(EdfIssue(name, repr(s), "read the comma as a decimal point"))
    return Decimal(t)


def parse_integer(raw: bytes, name: str, issues: list[EdfIssue], path: Path) -> int:
    """An integer header field (no exponent: checked before any conversion).

    Raises
    ------
    FormatError
        Naming ``name`` when the field is not an ASCII integer.
    """
    fast = fast_integer(raw)
    if fast is not None:
        return fast
    v = parse_number(raw, name, issues, path)
    s = raw.decode("latin-1").replace("\x00", " ").strip()
    t = s.replace(",", ".") if s.count(",") == 1 and "." not in s else s
    if not _INTEGER_RE.fullmatch(t):  # checked before any int(): exponents can be astronomic
        raise FormatError(
            f"{path}: header field {name}: expected an integer, got {s!r} (decimal digits with "
            "an optional sign; no fraction, exponent or separators)"
        )
    return int(v)


_DATE_RE = re.compile(r"(\d{1,2})\D(\d{1,2})\D(\d{2,4})")
_TIME_RE = re.compile(r"(\d{1,2})\D(\d{1,2})\D(\d{1,2})")
_STRICT_RE = re.compile(r"\d\d\.\d\d\.\d\d")
_STARTDATE_RE = re.compile(r"Startdate (\d{2})-([A-Z]{3})-(\d{4})\b")


def parse_start(
    date_s: str, time_s: str, recording_id: str, issues: list[EdfIssue]
) -> _dt.datetime | None:
    """Start date and time from the header fields (None when unparseable, reported).

    An EDF+ recording field ``Startdate X`` declares the date unknown (EDF+ section 2.1.3.3) while
    the header keeps a placeholder date and possibly the real time: the study reader then takes no
    date from the header.
    """
    dm = _DATE_RE.fullmatch(date_s)
    tm = _TIME_RE.fullmatch(time_s)
    if dm and not _STRICT_RE.fullmatch(date_s):
        issues.append(EdfIssue("startdate", repr(date_s), "read with a tolerant pattern"))
    if tm and not _STRICT_RE.fullmatch(time_s):
        issues.append(EdfIssue("starttime", repr(time_s), "read with a tolerant pattern"))
    if not dm or not tm:
        issues.append(
            EdfIssue("startdate/starttime", repr((date_s, time_s)), "start time left unknown")
        )
        return None
    d, m, y = (int(g) for g in dm.groups())
    if y < 100:
        y += 1900 if y >= 85 else 2000
    # EDF+ recording field "Startdate 02-MAR-2002 ..." carries the 4-digit year
    rm = _STARTDATE_RE.match(recording_id)
    if rm and rm.group(2) in MONTHS:
        y = int(rm.group(3))
    try:
        hh, mm, ss = (int(g) for g in tm.groups())
        return _dt.datetime(y, m, d, hh, mm, ss)
    except ValueError:
        issues.append(
            EdfIssue("startdate/starttime", repr((date_s, time_s)), "start time left unknown")
        )
        return None


# ---- writing ------------------------------------------------------------------------------------


def format_bound(x: float, up: bool, what: str) -> str:
    """Shortest text of <= 8 characters that is >= x (up) or <= x (down)."""
    for dec in range(7, -1, -1):
        q = 10.0**dec
        v = math.ceil(x * q) / q if up else math.floor(x * q) / q
        s = f"{v:.{dec}f}"
        if (up and float(s) < x) or (not up and float(s) > x):
            v += (1.0 if up else -1.0) / q
            s = f"{v:.{dec}f}"
        if "." in s:
            s = s.rstrip("0").rstrip(".")
        if s == "-0":
            s = "0"
        if len(s) <= 8:
            return s
    raise ParameterError(f"{what}: {x!r} does not fit the 8-character EDF header field")


def format_field(value: Any, width: int, what: str) -> bytes:
    """``value`` as a latin-1 header field of ``width`` bytes (ParameterError when longer)."""
    s = str(value)
    b = s.encode("latin-1", errors="replace")
    if len(b) > width:
        raise ParameterError(f"{what}: {s!r} is longer than the {width}-character header field")
    return b.ljust(width, b" ")


def format_number(x: float | Decimal, width: int, what: str) -> bytes:
    """``x`` as plain decimal text in a header field of ``width`` bytes."""
    s = format_decimal(x)
    if len(s) > width:
        raise ParameterError(f"{what}: {x!r} does not fit the {width}-character header field")
    return s.encode("ascii").ljust(width, b" ")


def format_decimal(x: float | int | Decimal) -> str:
    """Shortest plain decimal text of ``x`` (no exponent, no trailing zeros)."""
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)) if isinstance(x, float) else x)
    s = format(d.normalize(), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    return "0" if s == "-0" else s


def edfplus_startdate(start: _dt.datetime) -> str:
    """The EDF+ recording-field start date, ``"Startdate 02-MAR-2002"`` (EDF+ section 2.1.3.3)."""
    return f"Startdate {start.day:02d}-{MONTHS[start.month - 1]}-{start.year}"


def anonymous_fields(start: _dt.datetime | None) -> tuple[str, str]:
    """EDF+ patient and recording fields with every subfield unknown (``X``).

    With ``start=None`` the recording field says ``Startdate X``: the date is unknown, not invented.
    """
    when = "Startdate X" if start is None else edfplus_startdate(start)
    return "X X X X", f"{when} X X X"
