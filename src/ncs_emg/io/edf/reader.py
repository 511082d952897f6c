"""Reading EDF, EDF+ (continuous EDF+C and discontinuous EDF+D) and BDF files.

Reader policy (``docs/edf.md``): the magic bytes are checked; raw header bytes are kept and decoded
latin-1; comma decimals, NUL padding, odd date/time separators, a record count of -1 or one that
disagrees with the file size (the count is derived from the size, a partial last record dropped),
physical minimum above maximum (negative gain), zero ranges (signal marked uncalibrated), non-ASCII
bytes, malformed annotations and non-UTF-8 annotation text are recovered and reported in
:attr:`EdfRecording.issues`. What would make the numbers wrong is a
:class:`~ncs_emg.errors.FormatError` naming the field and value. Sizes the header claims are checked
against the file size and the reading budgets (:mod:`ncs_emg.io.limits`) before anything is
allocated; data are read with one read of all records and scaled per signal without Python loops
over samples; values are never clamped (saturation is flagged) and never resampled.

The steps: :func:`read_edf` → ``_read_main_header`` → ``_parse_signal_headers`` → ``_record_layout``
(budgets) → ``_load_data`` → ``_read_annotations`` (record onsets) → ``_build_signals``.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from ...errors import FormatError
from ..limits import get_read_limits
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
from .recording import EdfHeader, EdfRecording, EdfSignal
from .tal import Annotation, EdfIssue, parse_tal_block

__all__ = ["read_edf", "MAX_RECORD_DURATION_S"]

#: Longest record duration accepted (s): about 31 years, far beyond any recording, small enough
#: that sample times stay finite.
MAX_RECORD_DURATION_S = 1e9


@dataclass
class _Main:
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
class _SignalHeaders:
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


def _integer(raw: bytes, issues, p: Path, name) -> int:
    """Fast path for plain integers; the checked parser (``name()`` builds the field name) else."""
    v = fast_integer(raw)
    return v if v is not None else parse_integer(raw, name(), issues, p)


def _float(raw: bytes, issues, p: Path, name) -> float:
    v = fast_float(raw)
    return v if v is not None else float(parse_number(raw, name(), issues, p))


def read_edf(path: str | os.PathLike) -> EdfRecording:
    """Read an EDF, EDF+ (C or D) or BDF/BDF+ file.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    EdfRecording
        Header, signals (physical data scaled lazily on first access), annotations, record onsets
        and the list of issues found.

    Raises
    ------
    FormatError
        When the file is missing, not EDF/BDF, a field that the numbers depend on is malformed (the
        message names the field and its value), or the file exceeds a reading budget
        (:mod:`ncs_emg.io.limits`: samples, records).

    Notes
    -----
    Calibration (EDF specification): ``physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) +
    pmin``; the sampling rate is ``samples_per_record / record_duration``.
    """
    p = Path(path)
    issues: list[EdfIssue] = []
    with _open(p) as fh:
        size = os.fstat(fh.fileno()).st_size
        main = _read_main_header(fh, p, size, issues)
        sig = _parse_signal_headers(fh, p, main, size, issues)
        n_rec, rec_bytes = _record_layout(p, main, sig, size, issues)
        fh.seek(main.hdr_len)
        raw = np.fromfile(fh, dtype=np.uint8, count=n_rec * rec_bytes)
    if raw.size != n_rec * rec_bytes:  # pragma: no cover - file changed while reading
        raise FormatError(f"{p}: data section shorter than expected ({raw.size} bytes)")
    raw = raw.reshape(n_rec, rec_bytes)
    file_type = _file_type(main, sig, issues)
    byte_off = [0, *itertools.accumulate(n * main.bps for n in sig.spr)]
    annotations, onsets = _read_annotations(raw, main, sig, byte_off, issues)
    onsets_f = _onsets_float(onsets, n_rec, main.duration)
    _check_onsets(onsets_f, onsets is not None, file_type, main.duration, issues)
    signals = _build_signals(p, raw, main, sig, byte_off, issues)
    header = EdfHeader(
        version="BIOSEMI" if main.bps == 3 else "0",
        patient_id=main.patient,
        recording_id=main.recording,
        startdate=main.date_s,
        starttime=main.time_s,
        start=main.start,
        header_bytes=main.hb_claim,
        reserved=main.reserved,
        n_records_claimed=main.nrec_claim,
        record_duration_s=main.duration,
        n_signals=main.ns,
        raw=main.head + sig.raw,
    )
    return EdfRecording(
        path=p,
        file_type=file_type,
        header=header,
        signals=tuple(signals),
        annotation_signals=tuple(sig.ann_idx),
        annotations=tuple(annotations),
        n_records=n_rec,
        record_duration_s=main.duration,
        record_onsets_s=onsets_f,
        onsets_from_tals=None if onsets is None else tuple(onsets),
        is_continuous=not file_type.endswith("+D"),
        issues=tuple(issues),
    )


def _open(p: Path):
    try:
        return open(p, "rb")
    except FileNotFoundError as exc:
        raise FormatError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(f"{p}: is a directory, not an EDF file") from exc
    except OSError as exc:
        raise FormatError(f"{p}: cannot be read ({exc.strerror or exc})") from exc


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


def _read_main_header(fh, p: Path, size: int, issues: list[EdfIssue]) -> _Main:
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
    return _Main(
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


def _parse_signal_headers(
    fh, p: Path, main: _Main, size: int, issues: list[EdfIssue]
) -> _SignalHeaders:
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
    return _SignalHeaders(sig_raw, cols, labels, spr, ann_idx, clean, numbers)


def _check_rates(p: Path, main: _Main, labels, spr, ann_idx) -> None:
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


def _record_layout(
    p: Path, main: _Main, sig: _SignalHeaders, size: int, issues: list[EdfIssue]
) -> tuple[int, int]:
    """(records to read, bytes per record), the count derived from the size, budgets checked."""
    rec_samples = sum(sig.spr)
    rec_bytes = rec_samples * main.bps
    if rec_bytes == 0:
        if main.nrec_claim not in (0, -1):
            issues.append(
                EdfIssue("number of data records", str(main.nrec_claim), "no samples: read 0")
            )
        return 0, 0
    n_fit, partial = divmod(size - main.hdr_len, rec_bytes)
    if main.nrec_claim != n_fit:
        issues.append(
            EdfIssue(
                "number of data records",
                str(main.nrec_claim),
                f"the file size holds {n_fit} records of {rec_bytes} bytes; read {n_fit}",
            )
        )
    if partial:
        issues.append(
            EdfIssue(
                "data",
                f"{partial} bytes after the last complete record",
                "dropped a partial last record",
                n_fit,
                main.hdr_len + n_fit * rec_bytes,
            )
        )
    lim = get_read_limits()
    if n_fit > lim.max_records:
        raise FormatError(
            f"{p}: header field number of data records: the file holds {n_fit} records, more "
            f"than the reading budget max_records={lim.max_records} (ncs_emg.io.limits)"
        )
    if n_fit * rec_samples > lim.max_samples:
        raise FormatError(
            f"{p}: data: {n_fit} records x {rec_samples} samples = {n_fit * rec_samples} "
            f"samples, more than the reading budget max_samples={lim.max_samples} "
            "(ncs_emg.io.limits; raise it for big files)"
        )
    return n_fit, rec_bytes


def _file_type(main: _Main, sig: _SignalHeaders, issues: list[EdfIssue]) -> str:
    prefix = "BDF" if main.bps == 3 else "EDF"
    plus = main.reserved[:5].upper()
    file_type = prefix + plus[3:] if plus in ("EDF+C", "EDF+D", "BDF+C", "BDF+D") else prefix
    if file_type != prefix and not sig.ann_idx:
        issues.append(
            EdfIssue(
                "reserved", repr(main.reserved), "EDF+ without an annotation signal: read as EDF"
            )
        )
        file_type = prefix
    if file_type == prefix and sig.ann_idx:
        issues.append(
            EdfIssue(
                "reserved",
                repr(main.reserved),
                "annotation signal in a non-EDF+ file: annotations read",
            )
        )
    return file_type


def _read_annotations(
    raw: np.ndarray, main: _Main, sig: _SignalHeaders, byte_off: np.ndarray, issues: list[EdfIssue]
) -> tuple[list[Annotation], list[Decimal] | None]:
    """Annotations and record onsets from the TALs (onsets None: no annotation signal)."""
    n_rec, rec_bytes = raw.shape
    if not (sig.ann_idx and n_rec):
        return [], None
    annotations: list[Annotation] = []
    onsets: list[Decimal] = []
    spans = [(k, i, int(byte_off[i]), int(byte_off[i + 1])) for k, i in enumerate(sig.ann_idx)]
    blocks = {i: raw[:, b0:b1] for _, i, b0, b1 in spans}
    prev: Decimal | None = None
    for r in range(n_rec):
        rec_onset = None
        for k, i, b0, _ in spans:
            anns, tk = parse_tal_block(
                blocks[i][r].tobytes(),
                record=r,
                signal=i,
                file_offset=main.hdr_len + r * rec_bytes + b0,
                timekeeping=k == 0,
                issues=issues,
            )
            annotations.extend(anns)
            if k == 0:
                rec_onset = tk
        if rec_onset is None:
            rec_onset = Decimal(0) if prev is None else prev + main.dur_dec
        onsets.append(rec_onset)
        prev = rec_onset
    return annotations, onsets


def _onsets_float(onsets: list[Decimal] | None, n_rec: int, duration: float) -> np.ndarray:
    if onsets is None:  # plain EDF or no annotation signal: contiguous, one vectorised pass
        return np.arange(n_rec, dtype=np.float64) * duration
    return np.array([float(x) for x in onsets], dtype=np.float64)


def _check_onsets(
    onsets_f: np.ndarray, from_tals: bool, file_type: str, duration: float, issues: list[EdfIssue]
) -> None:
    if onsets_f.size < 64:  # NumPy's per-call cost dominates for the few records of small files
        _check_onsets_small(onsets_f.tolist(), from_tals, file_type, duration, issues)
        return
    if not np.isfinite(onsets_f).all():
        r = int(np.flatnonzero(~np.isfinite(onsets_f))[0])
        issues.append(
            EdfIssue(
                "record onsets",
                f"record {r} has a timekeeping onset too large for a float ({onsets_f[r]})",
                "kept as written; times of that record are not usable",
                r,
            )
        )
        return
    if onsets_f.size < 2 or not from_tals:
        return
    with np.errstate(over="ignore", invalid="ignore"):
        gaps = onsets_f[1:] - onsets_f[:-1]
    if np.any(gaps < duration - 1e-9):
        r = int(np.flatnonzero(gaps < duration - 1e-9)[0]) + 1
        issues.append(
            EdfIssue(
                "record onsets",
                f"record {r} starts at {onsets_f[r]} s, before the previous one ends",
                "kept the onsets as written",
                r,
            )
        )
    elif not file_type.endswith("+D") and np.any(np.abs(gaps - duration) > 1e-9):
        r = int(np.flatnonzero(np.abs(gaps - duration) > 1e-9)[0]) + 1
        issues.append(
            EdfIssue(
                "record onsets",
                f"{file_type} record {r} starts at {onsets_f[r]} s, not contiguous",
                "kept the onsets as written",
                r,
            )
        )


def _check_onsets_small(
    onsets: list[float], from_tals: bool, file_type: str, duration: float, issues
) -> None:
    """:func:`_check_onsets` for a few records, in plain Python (same checks, same issues)."""
    bad = [r for r, x in enumerate(onsets) if not math.isfinite(x)]
    if bad:
        r = bad[0]
        issues.append(
            EdfIssue(
                "record onsets",
                f"record {r} has a timekeeping onset too large for a float ({onsets[r]})",
                "kept as written; times of that record are not usable",
                r,
            )
        )
        return
    if len(onsets) < 2 or not from_tals:
        return
    gaps = [b - a for a, b in zip(onsets, onsets[1:])]
    early = [r + 1 for r, g in enumerate(gaps) if g < duration - 1e-9]
    if early:
        r = early[0]
        issues.append(
            EdfIssue(
                "record onsets",
                f"record {r} starts at {onsets[r]} s, before the previous one ends",
                "kept the onsets as written",
                r,
            )
        )
        return
    apart = [r + 1 for r, g in enumerate(gaps) if abs(g - duration) > 1e-9]
    if not file_type.endswith("+D") and apart:
        r = apart[0]
        issues.append(
            EdfIssue(
                "record onsets",
                f"{file_type} record {r} starts at {onsets[r]} s, not contiguous",
                "kept the onsets as written",
                r,
            )
        )


def _calibration(p: Path, main: _Main, sig: _SignalHeaders, i: int, issues: list[EdfIssue]):
    """(pmin, pmax, dmin, dmax, calibrated) of signal ``i``, odd ranges reported."""
    cols = sig.cols
    num = sig.numbers

    def value(key, fast):
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


def _signal_texts(sig: _SignalHeaders, i: int, issues: list[EdfIssue]) -> tuple[str, ...]:
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


def _sampling_rate(main: _Main, sig: _SignalHeaders, i: int, issues: list[EdfIssue]) -> float:
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


def _build_signals(
    p: Path,
    raw: np.ndarray,
    main: _Main,
    sig: _SignalHeaders,
    byte_off: list[int],
    issues: list[EdfIssue],
) -> list[EdfSignal]:
    n_rec = raw.shape[0]
    words = raw.view("<i2") if main.bps == 2 and n_rec else None
    signals = []
    rates: dict[int, float] = {}
    for i in range(main.ns):
        if i in sig.ann_idx:
            continue
        pmin, pmax, dmin, dmax, calibrated = _calibration(p, main, sig, i, issues)
        n = sig.spr[i]
        if n not in rates or n == 0 or main.duration <= 0:
            rates[n] = _sampling_rate(main, sig, i, issues)
        unit, transducer, prefilter, reserved = _signal_texts(sig, i, issues)
        signals.append(
            EdfSignal(
                label=sig.labels[i],
                unit=unit,
                sfreq_hz=rates[n],
                samples_per_record=n,
                physical_min=pmin,
                physical_max=pmax,
                digital_min=dmin,
                digital_max=dmax,
                transducer=transducer,
                prefilter=prefilter,
                reserved=reserved,
                index=i,
                calibrated=calibrated,
                digital_source=_make_source(
                    raw, words, byte_off[i], byte_off[i + 1], main.bps, n_rec, n
                ),
            )
        )
    return signals


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


def _make_source(raw, words, b0, b1, bps, n_rec, n) -> Callable[[], np.ndarray]:
    """A function returning the signal's digital values as (n_records, n) integers."""

    def source() -> np.ndarray:
        if n_rec == 0 or n == 0:
            return np.zeros((n_rec, n), dtype=np.int16 if bps == 2 else np.int32)
        if bps == 2:
            return words[:, b0 // 2 : b1 // 2]
        b = raw[:, b0:b1].reshape(n_rec, n, 3)
        out = b[:, :, 0].astype(np.int32)
        out |= b[:, :, 1].astype(np.int32) << 8
        out |= b[:, :, 2].view(np.int8).astype(np.int32) << 16
        return out

    return source
