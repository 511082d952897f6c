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

The steps: :func:`read_edf` → :func:`.header.read_main_header` →
:func:`.header.parse_signal_headers` → ``_record_layout``
(budgets) → one read of the data → ``_read_annotations`` (record onsets) → ``_build_signals``.
"""

from __future__ import annotations

import itertools
import math
import os
from collections.abc import Callable
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import BinaryIO

import numpy as np

from ...errors import FormatError
from ..limits import get_read_limits
from ..paths import regular_file
from .header import (
    MAX_RECORD_DURATION_S,
    MainHeader,
    SignalHeaders,
    parse_signal_headers,
    read_main_header,
    sampling_rate,
    signal_calibration,
    signal_texts,
)
from .recording import EdfHeader, EdfRecording, EdfSignal
from .tal import Annotation, EdfIssue, parse_tal_block

__all__ = ["read_edf", "MAX_RECORD_DURATION_S"]


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
        main = read_main_header(fh, p, size, issues)
        sig = parse_signal_headers(fh, p, main, size, issues)
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
    signals = _build_signals(p, raw, main, sig, byte_off, issues=issues)
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


def _open(p: Path) -> BinaryIO:
    regular_file(p)  # a FIFO or device would block or never end
    try:
        return open(p, "rb")
    except FileNotFoundError as exc:
        raise FormatError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(f"{p}: is a directory, not an EDF file") from exc
    except OSError as exc:
        raise FormatError(f"{p}: cannot be read ({exc.strerror or exc})") from exc


def _record_layout(
    p: Path, main: MainHeader, sig: SignalHeaders, size: int, issues: list[EdfIssue]
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


def _file_type(main: MainHeader, sig: SignalHeaders, issues: list[EdfIssue]) -> str:
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
    raw: np.ndarray,
    main: MainHeader,
    sig: SignalHeaders,
    byte_off: list[int],
    issues: list[EdfIssue],
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
    onsets: list[float], from_tals: bool, file_type: str, duration: float, issues: list[EdfIssue]
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
    gaps = [b - a for a, b in pairwise(onsets)]
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


def _build_signals(
    p: Path,
    raw: np.ndarray,
    main: MainHeader,
    sig: SignalHeaders,
    byte_off: list[int],
    *,
    issues: list[EdfIssue],
) -> list[EdfSignal]:
    n_rec = raw.shape[0]
    words = raw.view("<i2") if main.bps == 2 and n_rec else None
    signals = []
    rates: dict[int, float] = {}
    for i in range(main.ns):
        if i in sig.ann_idx:
            continue
        pmin, pmax, dmin, dmax, calibrated = signal_calibration(p, main, sig, i, issues)
        n = sig.spr[i]
        if n not in rates or n == 0 or main.duration <= 0:
            rates[n] = sampling_rate(main, sig, i, issues)
        unit, transducer, prefilter, reserved = signal_texts(sig, i, issues)
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
                    raw, words, byte_off[i], byte_off[i + 1], bps=main.bps, n_rec=n_rec, n=n
                ),
            )
        )
    return signals


def _make_source(
    raw: np.ndarray, words: np.ndarray | None, b0: int, b1: int, *, bps: int, n_rec: int, n: int
) -> Callable[[], np.ndarray]:
    """A function returning the signal's digital values as (n_records, n) integers."""

    def source() -> np.ndarray:
        if n_rec == 0 or n == 0:
            return np.zeros((n_rec, n), dtype=np.int16 if bps == 2 else np.int32)
        if words is not None:  # 16-bit EDF: the whole block viewed as little-endian words
            return words[:, b0 // 2 : b1 // 2]
        b = raw[:, b0:b1].reshape(n_rec, n, 3)
        out = b[:, :, 0].astype(np.int32)
        out |= b[:, :, 1].astype(np.int32) << 8
        out |= b[:, :, 2].view(np.int8).astype(np.int32) << 16
        return out

    return source
