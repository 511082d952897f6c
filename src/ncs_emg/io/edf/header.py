"""EDF/BDF headers: the 256-byte main header and the signal headers, decoded and checked.

:func:`read_main_header` and :func:`parse_signal_headers` are the first steps of
:func:`ncs_emg.io.edf.read_edf`; :func:`signal_calibration`, :func:`signal_texts` and
:func:`sampling_rate` give one signal's calibration, text fields and rate. Plain numeric columns are
converted in one pass; anything unusual goes through the checked field parsers of :mod:`.fields`,
whose messages name the field.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, BinaryIO

from ...errors import FormatError
from .fields import (
    ANNOTATION_LABELS,
    BDF_MAGIC,
    DIGITAL_LIMITS,
    EDF_MAGIC,
    SIGNAL_FIELDS,
    decode_text,
    fast_float,
    fast_integer,
    has_odd_bytes,
    parse_integer,
    parse_number,
    parse_start,
)
from .tal import EdfIssue

__all__ = [
    "MAX_RECORD_DURATION_S",
    "MainHeader",
    "SignalHeaders",
    "read_main_header",
    "parse_signal_headers",
    "signal_calibration",
    "signal_texts",
    "sampling_rate",
]

#: Longest record duration accepted (s): about 31 years, far beyond any recording, small enough
#: that sample times stay finite.
MAX_RECORD_DURATION_S = 1e9


@dataclass
class MainHeader:
    """The decoded 256-byte main header."""

    bps: int  # bytes per sample: 2 (EDF) or 3 (BDF)
    ns: int
    hdr_len: int
    head: bytes
    patient: str
    recording: str
    date_s: str
    time_s: str
    start: _dt.datetime | None
    hb_claim: int
    reserved: str
    nrec_claim: int
    dur_dec: Decimal
    duration: float


@dataclass
class SignalHeaders:
    """The signal headers: raw field columns, labels, samples per record, annotation signals."""

    raw: bytes
    cols: dict[str, list[bytes]]
    labels: list[str]
    spr: list[int]
    ann_idx: list[int]
    clean: bool  # no byte outside printable ASCII: text fields decode without a check each
    numbers: dict[str, list | None]  # columns parsed at once (None: parse field by field)


_FLOAT_BYTES = b" +-.0123456789"
_INT_BYTES = b" +-0123456789"


def _numeric_column(col: list[bytes], integer: bool) -> list | None:
    """All values of a numeric column, or None (then field by field with the checked parser).

    Only plain fields take this path: one byte check of the whole column admits digits, sign,
    decimal point (real fields) and space padding, no exponent, comma, underscore or NUL; Python's
    ``int``/``float`` refuse the malformed ones ("1-2", ".", blanks), which then go through the
    checked parser and its error message.
    """
    if b"".join(col).translate(None, _INT_BYTES if integer else _FLOAT_BYTES):
        return None
    conv = int if integer else float  # both strip spaces; the byte check excluded "_", "e", "inf"
    try:
        return [conv(b) for b in col]
    except ValueError:
        return None


def _integer(raw: bytes, issues: list[EdfIssue], p: Path, name: Callable[..., str]) -> int:
    """Fast path for plain integers; the checked parser (``name()`` builds the field name) else."""
    v = fast_integer(raw)
    return v if v is not None else parse_integer(raw, name(), issues, p)


def _float(raw: bytes, issues: list[EdfIssue], p: Path, name: Callable[..., str]) -> float:
    v = fast_float(raw)
    return v if v is not None else float(parse_number(raw, name(), issues, p))


def _magic(head: bytes, p: Path, issues: list[EdfIssue]) -> int:
    magic = head[:8]
    if magic == BDF_MAGIC:
        return 3
    if magic == EDF_MAGIC:
        return 2
    if magic[:1] == b"0" and not magic[1:].strip(b" \x00"):
        issues.append(EdfIssue("version", repr(magic), "read as EDF version 0"))
        return 2
    raise FormatError(
        f"{p}: not an EDF/BDF file: version field {magic!r} (expected b'0       ' for "
        "EDF or b'\\xffBIOSEMI' for BDF)"
    )


def read_main_header(fh: BinaryIO, p: Path, size: int, issues: list[EdfIssue]) -> MainHeader:
    """Read and decode the 256-byte main header from the open file ``fh`` of ``size`` bytes.

    Raises
    ------
    FormatError
        For a wrong version field, a signal count the file cannot hold, or a record duration that
        is not a finite number of seconds up to :data:`MAX_RECORD_DURATION_S`.
    """
    head = fh.read(256)
    if len(head) < 256:
        raise FormatError(
            f"{p}: not an EDF/BDF file: {size} bytes, shorter than the 256-byte header"
        )
    bps = _magic(head, p, issues)
    ns = parse_integer(head[252:256], "number of signals", issues, p)
    if ns < 1:
        raise FormatError(f"{p}: header field number of signals: must be >= 1, got {ns}")
    hdr_len = 256 * (ns + 1)
    if hdr_len > size:
        raise FormatError(
            f"{p}: header field number of signals: {ns} signals need a {hdr_len}-byte header, "
            f"but the file has {size} bytes"
        )
    clean = not has_odd_bytes(head)
    patient = decode_text(head[8:88], "patient_id", issues, checked=clean)
    recording = decode_text(head[88:168], "recording_id", issues, checked=clean)
    date_s = decode_text(head[168:176], "startdate", issues, checked=clean)
    time_s = decode_text(head[176:184], "starttime", issues, checked=clean)
    hb_claim = parse_integer(head[184:192], "header bytes", issues, p)
    if hb_claim != hdr_len:
        issues.append(
            EdfIssue("header bytes", str(hb_claim), f"used 256 * (1 + {ns}) = {hdr_len} instead")
        )
    reserved = decode_text(head[192:236], "reserved", issues, checked=clean)
    nrec_claim = parse_integer(head[236:244], "number of data records", issues, p)
    dur_dec = parse_number(head[244:252], "record duration", issues, p)
    if dur_dec < 0:
        raise FormatError(f"{p}: header field record duration: must be >= 0, got {dur_dec}")
    duration = float(dur_dec)
    if not math.isfinite(duration) or duration > MAX_RECORD_DURATION_S:
        raise FormatError(
            f"{p}: header field record duration: {str(dur_dec)!r} s is beyond "
            f"{MAX_RECORD_DURATION_S:g} s; a record duration must be a finite number of seconds "
            "(EDF records last seconds to minutes)"
        )
    return MainHeader(
        bps=bps,
        ns=ns,
        hdr_len=hdr_len,
        head=head,
        patient=patient,
        recording=recording,
        date_s=date_s,
        time_s=time_s,
        start=parse_start(date_s, time_s, recording, issues),
        hb_claim=hb_claim,
        reserved=reserved,
        nrec_claim=nrec_claim,
        dur_dec=dur_dec,
        duration=duration,
    )


def parse_signal_headers(
    fh: BinaryIO, p: Path, main: MainHeader, size: int, issues: list[EdfIssue]
) -> SignalHeaders:
    """Read the signal headers and decode labels and samples per record (numbers checked).

    Raises
    ------
    FormatError
        For malformed samples per record, more bytes per record than the file holds, or a data
        signal without a finite positive sampling rate.
    """
    ns = main.ns
    sig_raw = fh.read(main.hdr_len - 256)
    cols: dict[str, list[bytes]] = {}
    pos = 0
    for name, width in SIGNAL_FIELDS:  # ns values of each field, one field after another
        cols[name] = [sig_raw[pos + i * width : pos + (i + 1) * width] for i in range(ns)]
        pos += width * ns
    clean = not has_odd_bytes(sig_raw)  # one search instead of one per field
    labels = [
        decode_text(b, f"signal {i} label", issues, checked=clean)
        for i, b in enumerate(cols["label"])
    ]
    numbers = {
        "physical_min": _numeric_column(cols["physical_min"], False),
        "physical_max": _numeric_column(cols["physical_max"], False),
        "digital_min": _numeric_column(cols["digital_min"], True),
        "digital_max": _numeric_column(cols["digital_max"], True),
        "samples_per_record": _numeric_column(cols["samples_per_record"], True),
    }
    spr = numbers["samples_per_record"]
    if spr is None:
        spr = [
            _integer(b, issues, p, lambda i=i: f"signal {i} ({labels[i]!r}) samples per record")
            for i, b in enumerate(cols["samples_per_record"])
        ]
    for i, n in enumerate(spr):
        where = f"{p}: header field signal {i} ({labels[i]!r}) samples per record"
        if n * main.bps > size:
            raise FormatError(
                f"{where}: {n} samples need {n * main.bps} bytes per record, more than the "
                f"file's {size} bytes"
            )
        if n < 0:
            raise FormatError(f"{where}: must be >= 0, got {n}")
    ann_idx = [i for i, lab in enumerate(labels) if lab in ANNOTATION_LABELS]
    _check_rates(p, main, labels, spr, ann_idx)
    return SignalHeaders(sig_raw, cols, labels, spr, ann_idx, clean, numbers)


def _check_rates(
    p: Path, main: MainHeader, labels: Sequence[str], spr: Sequence[int], ann_idx: Collection[int]
) -> None:
    """Every data signal needs a finite, positive sampling rate (duration 0: annotations only)."""
    seen = set()
    for i, n in enumerate(spr):
        if i in ann_idx or n == 0 or n in seen:
            continue
        seen.add(n)
        # 0 is legal only for annotation-only files (EDF+ specification, section 2.2.4)
        fs = Decimal(n) / main.dur_dec if main.dur_dec > 0 else None
        if fs is None or not (0 < float(fs) < math.inf):
            dur_s = main.head[244:252].decode("latin-1").strip()
            raise FormatError(
                f"{p}: header field record duration: {dur_s!r} "
                f"with {n} samples per record gives signal {i} ({labels[i]!r}) a sampling "
                f"rate of {'nan' if fs is None else float(fs)} Hz; a file with data signals "
                "needs a record duration > 0 that gives a finite, positive sampling rate "
                "(duration 0 is only legal for annotation-only files)"
            )


def signal_calibration(
    p: Path, main: MainHeader, sig: SignalHeaders, i: int, issues: list[EdfIssue]
) -> tuple[Any, Any, Any, Any, bool]:
    """(pmin, pmax, dmin, dmax, calibrated) of signal ``i``, odd ranges reported."""
    cols = sig.cols
    num = sig.numbers

    def value(key: str, fast: Callable[[bytes], Any]) -> Any:
        col = num[key]
        return col[i] if col is not None else fast(cols[key][i])

    pmin = value("physical_min", fast_float)
    pmax = value("physical_max", fast_float)
    dmin = value("digital_min", fast_integer)
    dmax = value("digital_max", fast_integer)
    lo_lim, hi_lim = DIGITAL_LIMITS[main.bps]
    if (
        None not in (pmin, pmax, dmin, dmax)
        and pmax - pmin > 1e-290
        and lo_lim <= dmin < dmax <= hi_lim
        and abs(pmin) < 1e300
        and abs(pmax) < 1e300
    ):
        return pmin, pmax, dmin, dmax, True  # the common case: nothing to check or report
    where = f"signal {i} ({sig.labels[i]!r})"
    pmin = _float(cols["physical_min"][i], issues, p, lambda: f"{where} physical minimum")
    pmax = _float(cols["physical_max"][i], issues, p, lambda: f"{where} physical maximum")
    dmin = _integer(cols["digital_min"][i], issues, p, lambda: f"{where} digital minimum")
    dmax = _integer(cols["digital_max"][i], issues, p, lambda: f"{where} digital maximum")
    calibrated = True
    bad = _calibration_problem(pmin, pmax, dmin, dmax, main.bps)
    rng = f"physical [{pmin}, {pmax}], digital [{dmin}, {dmax}]"
    if bad:
        calibrated = False
        issues.append(
            EdfIssue(
                f"{where} range",
                f"{rng}: {bad}",
                "signal marked uncalibrated, data are the digital values",
            )
        )
    elif pmin == pmax or dmin == dmax:
        calibrated = False
        issues.append(
            EdfIssue(
                f"{where} range",
                rng,
                "zero range: signal marked uncalibrated, data are the digital values",
            )
        )
    elif dmin > dmax:
        issues.append(
            EdfIssue(
                f"{where} digital range", f"[{dmin}, {dmax}]", "minimum above maximum: used as is"
            )
        )
    if min(dmin, dmax) < lo_lim or max(dmin, dmax) > hi_lim:
        issues.append(
            EdfIssue(
                f"{where} digital range",
                f"[{dmin}, {dmax}] beyond the {8 * main.bps}-bit limits",
                "used as is; saturation at the stored limits is not flagged",
            )
        )
    return pmin, pmax, dmin, dmax, calibrated


def signal_texts(sig: SignalHeaders, i: int, issues: list[EdfIssue]) -> tuple[str, ...]:
    """unit, transducer, prefilter and reserved of signal ``i`` (decoded, odd bytes reported)."""
    cols = sig.cols
    if sig.clean:  # printable ASCII only: nothing to report, no field names to build
        return tuple(
            cols[k][i].decode("latin-1").replace("\x00", " ").strip()
            for k in ("unit", "transducer", "prefilter", "reserved")
        )
    where = f"signal {i} ({sig.labels[i]!r})"
    return (
        decode_text(cols["unit"][i], f"{where} physical dimension", issues),
        decode_text(cols["transducer"][i], f"{where} transducer", issues),
        decode_text(cols["prefilter"][i], f"{where} prefilter", issues),
        decode_text(cols["reserved"][i], f"{where} reserved", issues),
    )


def sampling_rate(main: MainHeader, sig: SignalHeaders, i: int, issues: list[EdfIssue]) -> float:
    """Samples per record / record duration of signal ``i`` (NaN, reported, for duration 0)."""
    n = sig.spr[i]
    if n == 0:
        issues.append(
            EdfIssue(
                f"signal {i} ({sig.labels[i]!r}) samples per record", "0", "signal has no data"
            )
        )
    if main.duration > 0:
        return float(Decimal(n) / main.dur_dec)  # finite for n > 0: checked above
    issues.append(  # only for signals without samples (checked above)
        EdfIssue(
            f"signal {i} ({sig.labels[i]!r}) sampling rate",
            "record duration 0",
            "sampling rate is NaN",
        )
    )
    return math.nan


def _calibration_problem(pmin: float, pmax: float, dmin: int, dmax: int, bps: int) -> str:
    """Why ``physical = digital * gain + offset`` cannot be computed in floats ('' when it can).

    The gain and offset must be finite, the gain non-zero, and every value the format can store
    (``±2**(8 * bps - 1)``) must map to a finite physical value, so the data never hold inf/NaN.
    """
    if not (math.isfinite(pmin) and math.isfinite(pmax)):
        return "physical range beyond the float range"
    if pmin == pmax or dmin == dmax:
        return ""  # zero range: reported by the caller
    gain = (pmax - pmin) / (dmax - dmin)
    if not math.isfinite(gain) or gain == 0.0:
        return f"gain {gain!r} is not a finite non-zero float"
    offset = pmin - dmin * gain
    if not math.isfinite(offset) or not math.isfinite(
        abs(gain) * 2.0 ** (8 * bps - 1) + abs(offset)
    ):
        return "physical values of the stored integers overflow a float"
    return ""
