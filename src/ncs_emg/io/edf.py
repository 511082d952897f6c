"""EDF, EDF+ (continuous EDF+C and discontinuous EDF+D) and BDF: the format layer.

:func:`read_edf` returns an :class:`EdfRecording` (header, signals with physical data, annotations,
record onsets, issues); :func:`write_edf` writes EDF, EDF+C, EDF+D, BDF, BDF+C and BDF+D. The NCS study
mapping (one EDF+D record per sweep, stimulus annotations, sidecar) lives in :mod:`ncs_emg.io.sidecar`;
:func:`read_edf_study` and :func:`write_edf_study` are re-exported here for :mod:`ncs_emg.io`.

Reader policy (``domain.md`` section 10, ``docs/edf.md``): the magic bytes are checked; raw header bytes
are kept and decoded latin-1; comma decimals, NUL padding, odd date/time separators, a record count of
-1 or one that disagrees with the file size (the count is derived from the size, a partial last record
dropped), physical minimum above maximum (negative gain), zero ranges (signal marked uncalibrated),
non-ASCII bytes, malformed annotations and non-UTF-8 annotation text are recovered and reported in
:attr:`EdfRecording.issues`. What would make the numbers wrong is a :class:`~ncs_emg.errors.FormatError`
naming the field and value. Sizes the header claims are checked against the file size before anything
is allocated; data are read with one read of all records and scaled per signal without Python loops
over samples; values are never clamped (saturation is flagged) and never resampled.
"""

from __future__ import annotations

import datetime as _dt
import math
import os
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import FormatError, ParameterError
from .tal import Annotation, EdfIssue, encode_tal, parse_tal_block

__all__ = [
    "EdfHeader",
    "EdfSignal",
    "EdfRecording",
    "read_edf",
    "write_edf",
    "read_edf_study",
    "write_edf_study",
    "ANNOTATION_LABELS",
]

#: Labels that mark an annotation signal (after stripping spaces and NULs).
ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")
_EDF_MAGIC = b"0       "
_BDF_MAGIC = b"\xffBIOSEMI"
_SIG_FIELDS = (  # (name, width) in header order
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
_MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
_DIG_LIMITS = {2: (-32768, 32767), 3: (-8388608, 8388607)}
_ODD_BYTES = re.compile(rb"[^\x20-\x7e\x00]")  # outside printable ASCII (NUL padding allowed)


# ---- containers ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class EdfHeader:
    """The decoded main header.

    Attributes
    ----------
    version : str
        ``"0"`` for EDF, ``"BIOSEMI"`` for BDF.
    patient_id, recording_id : str
        Local patient and recording identification (EDF+ subfields separated by spaces).
    startdate, starttime : str
        The raw date and time fields.
    start : datetime or None
        Start date and time, None when the fields cannot be parsed (reported in issues).
    header_bytes : int
        Header size claimed by the file.
    reserved : str
        ``"EDF+C"``, ``"EDF+D"``, ``"24BIT"``, ``"BDF+C"``... or empty.
    n_records_claimed : int
        Record count as written (may be -1).
    record_duration_s : float, s
        Duration of one data record (0 allowed for annotation-only files).
    n_signals : int
        Number of signals, annotation signals included.
    raw : bytes
        The complete header bytes as read.
    """

    version: str
    patient_id: str
    recording_id: str
    startdate: str
    starttime: str
    start: _dt.datetime | None
    header_bytes: int
    reserved: str
    n_records_claimed: int
    record_duration_s: float
    n_signals: int
    raw: bytes = field(repr=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON (raw bytes left out)."""
        return {
            "version": self.version,
            "patient_id": self.patient_id,
            "recording_id": self.recording_id,
            "startdate": self.startdate,
            "starttime": self.starttime,
            "start": None if self.start is None else self.start.isoformat(),
            "header_bytes": self.header_bytes,
            "reserved": self.reserved,
            "n_records_claimed": self.n_records_claimed,
            "record_duration_s": self.record_duration_s,
            "n_signals": self.n_signals,
        }


@dataclass(frozen=True, eq=False)
class EdfSignal:
    """One ordinary (non-annotation) signal.

    Attributes
    ----------
    label, transducer, unit, prefilter, reserved : str
        Header text fields (spaces and NULs stripped). ``unit`` is the physical dimension.
    physical_min, physical_max : float or None
        Physical range in ``unit`` (min > max is legal: negative gain). None in writer input means
        "choose from the data".
    digital_min, digital_max : int or None
        Digital range. None in writer input means the format's full range.
    samples_per_record : int
        Samples of this signal in every data record.
    sfreq_hz : float, Hz
        ``samples_per_record / record_duration_s`` (NaN when the record duration is 0).
    index : int
        Position in the file's signal list (annotation signals included); -1 for writer input.
    calibrated : bool
        False when the physical or digital range is zero: ``data`` then holds the digital values.
    data : ndarray of float64, shape (n_records * samples_per_record,)
        Physical values in ``unit`` (computed on first access).
    digital : ndarray of int32
        The stored integers.
    saturated : ndarray of bool
        True where the stored value equals the digital minimum or maximum.
    """

    label: str
    unit: str
    sfreq_hz: float
    samples_per_record: int = 0
    physical_min: float | None = None
    physical_max: float | None = None
    digital_min: int | None = None
    digital_max: int | None = None
    transducer: str = ""
    prefilter: str = ""
    reserved: str = ""
    index: int = -1
    calibrated: bool = True
    _source: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    _physical: np.ndarray | None = field(default=None, repr=False)

    @classmethod
    def from_data(
        cls,
        data: Any,
        sfreq_hz: float,
        *,
        label: str,
        unit: str = "uV",
        transducer: str = "",
        prefilter: str = "",
        physical_range: tuple[float, float] | None = None,
        digital_range: tuple[int, int] | None = None,
    ) -> EdfSignal:
        """Writer input: physical ``data`` (in ``unit``) sampled at ``sfreq_hz``.

        ``physical_range=None`` chooses the range from the data (rounded outward to what the 8-character
        header field can hold) so that the round trip is within one digital step.
        """
        arr = np.asarray(data, dtype=np.float64).reshape(-1)
        if arr.size and not np.isfinite(arr).all():
            raise ParameterError(f"signal {label!r}: data must be finite")
        pmin, pmax = (None, None) if physical_range is None else map(float, physical_range)
        dmin, dmax = (None, None) if digital_range is None else map(int, digital_range)
        return cls(
            label=label,
            unit=unit,
            sfreq_hz=float(sfreq_hz),
            physical_min=pmin,
            physical_max=pmax,
            digital_min=dmin,
            digital_max=dmax,
            transducer=transducer,
            prefilter=prefilter,
            _physical=arr,
        )

    @property
    def gain(self) -> float:
        """Physical units per digital step (negative when physical min > max); 1 if uncalibrated."""
        if not self.calibrated:
            return 1.0
        return (self.physical_max - self.physical_min) / (self.digital_max - self.digital_min)

    @property
    def offset(self) -> float:
        """Physical value of digital 0: ``physical = digital * gain + offset``."""
        if not self.calibrated:
            return 0.0
        return self.physical_min - self.digital_min * self.gain

    @cached_property
    def digital(self) -> np.ndarray:
        if self._source is None:
            raise ParameterError(f"signal {self.label!r}: writer input has no digital values")
        return self._source().reshape(-1)

    @cached_property
    def data(self) -> np.ndarray:
        if self._physical is not None:
            return self._physical
        src = self._source()
        out = np.empty(src.shape, dtype=np.float64)
        if self.calibrated:
            np.multiply(src, self.gain, out=out)
            out += self.offset
        else:
            out[...] = src
        return out.reshape(-1)

    @cached_property
    def saturated(self) -> np.ndarray:
        d = self.digital
        return (d == self.digital_min) | (d == self.digital_max)

    def records(self) -> np.ndarray:
        """``data`` as (n_records, samples_per_record)."""
        return (
            self.data.reshape(-1, self.samples_per_record)
            if self.samples_per_record
            else (self.data.reshape(0, 0))
        )

    def to_dict(self) -> dict[str, Any]:
        """Header fields as a plain dict (no data)."""
        return {
            "index": self.index,
            "label": self.label,
            "unit": self.unit,
            "transducer": self.transducer,
            "prefilter": self.prefilter,
            "physical_min": self.physical_min,
            "physical_max": self.physical_max,
            "digital_min": self.digital_min,
            "digital_max": self.digital_max,
            "samples_per_record": self.samples_per_record,
            "sfreq_hz": self.sfreq_hz,
            "calibrated": self.calibrated,
        }


@dataclass(frozen=True, eq=False)
class EdfRecording:
    """An EDF/EDF+/BDF file as read by :func:`read_edf`.

    Attributes
    ----------
    path : Path
    file_type : str
        ``"EDF"``, ``"EDF+C"``, ``"EDF+D"``, ``"BDF"``, ``"BDF+C"`` or ``"BDF+D"``.
    header : EdfHeader
    signals : tuple of EdfSignal
        Ordinary signals (annotation signals excluded).
    annotation_signals : tuple of int
        File indices of the annotation signals.
    annotations : tuple of Annotation
        All annotations of all annotation signals, in record order (timekeeping TALs excluded).
    n_records : int
        Data records actually read.
    record_duration_s : float, s
    record_onsets_s : ndarray of float64, s
        Start of every record after the file start (from the timekeeping TALs in EDF+).
    record_onsets_exact : tuple of Decimal
        The same onsets exactly as written.
    is_continuous : bool
        False for EDF+D/BDF+D.
    issues : tuple of EdfIssue
        What was odd in the file and how it was handled.
    """

    path: Path
    file_type: str
    header: EdfHeader
    signals: tuple[EdfSignal, ...]
    annotation_signals: tuple[int, ...]
    annotations: tuple[Annotation, ...]
    n_records: int
    record_duration_s: float
    record_onsets_s: np.ndarray
    record_onsets_exact: tuple[Decimal, ...] = field(repr=False)
    is_continuous: bool
    issues: tuple[EdfIssue, ...]

    @property
    def is_bdf(self) -> bool:
        """True for 24-bit BDF files."""
        return self.file_type.startswith("BDF")

    def signal(self, label: str) -> EdfSignal:
        """The ordinary signal called ``label``; ParameterError listing the labels otherwise."""
        for s in self.signals:
            if s.label == label:
                return s
        raise ParameterError(
            f"{self.path}: no signal {label!r}; signals: {[s.label for s in self.signals]}"
        )

    def to_dict(self, *, max_annotations: int | None = None) -> dict[str, Any]:
        """Header, signals, records, annotations and issues as a plain dict (no sample data)."""
        ann = self.annotations if max_annotations is None else self.annotations[:max_annotations]
        return {
            "file": str(self.path),
            "file_type": self.file_type,
            "header": self.header.to_dict(),
            "n_records": self.n_records,
            "record_duration_s": self.record_duration_s,
            "is_continuous": self.is_continuous,
            "record_onsets_s": [float(x) for x in self.record_onsets_s[:1000]],
            "signals": [s.to_dict() for s in self.signals],
            "annotation_signals": list(self.annotation_signals),
            "n_annotations": len(self.annotations),
            "annotations": [a.to_dict() for a in ann],
            "issues": [i.to_dict() for i in self.issues],
        }


# ---- reading -------------------------------------------------------------------------------------


def _text(raw: bytes, name: str, issues: list[EdfIssue]) -> str:
    if _ODD_BYTES.search(raw):
        issues.append(
            EdfIssue(name, repr(raw.rstrip(b" \x00"))[:60], "non-ASCII bytes decoded as latin-1")
        )
    return raw.decode("latin-1").replace("\x00", " ").strip()


# ASCII only (Decimal alone would also take "1_000", "Infinity" and non-ASCII digits)
_NUMBER_RE = re.compile(r"[+-]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")
_INTEGER_RE = re.compile(r"[+-]?[0-9]+(?:\.0*)?")  # no exponent: int(Decimal("1E999999")) hangs


def _number(raw: bytes, name: str, issues: list[EdfIssue], path: Path) -> Decimal:
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


def _integer(raw: bytes, name: str, issues: list[EdfIssue], path: Path) -> int:
    v = _number(raw, name, issues, path)
    s = raw.decode("latin-1").replace("\x00", " ").strip()
    t = s.replace(",", ".") if s.count(",") == 1 and "." not in s else s
    if not _INTEGER_RE.fullmatch(t):  # checked before any int(): exponents can be astronomic
        raise FormatError(
            f"{path}: header field {name}: expected an integer, got {s!r} (decimal digits with "
            "an optional sign; no fraction, exponent or separators)"
        )
    return int(v)


def _parse_start(
    date_s: str, time_s: str, recording_id: str, issues: list[EdfIssue]
) -> _dt.datetime | None:
    dm = re.fullmatch(r"(\d{1,2})\D(\d{1,2})\D(\d{2,4})", date_s)
    tm = re.fullmatch(r"(\d{1,2})\D(\d{1,2})\D(\d{1,2})", time_s)
    if dm and not re.fullmatch(r"\d\d\.\d\d\.\d\d", date_s):
        issues.append(EdfIssue("startdate", repr(date_s), "read with a tolerant pattern"))
    if tm and not re.fullmatch(r"\d\d\.\d\d\.\d\d", time_s):
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
    rm = re.match(r"Startdate (\d{2})-([A-Z]{3})-(\d{4})\b", recording_id)
    if rm and rm.group(2) in _MONTHS:
        y = int(rm.group(3))
    try:
        return _dt.datetime(y, m, d, *(int(g) for g in tm.groups()))
    except ValueError:
        issues.append(
            EdfIssue("startdate/starttime", repr((date_s, time_s)), "start time left unknown")
        )
        return None


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
        When the file is missing, not EDF/BDF, or a field that the numbers depend on is malformed (the
        message names the field and its value).

    Notes
    -----
    Calibration (EDF specification): ``physical = (digital - dmin) * (pmax - pmin) / (dmax - dmin) +
    pmin``; the sampling rate is ``samples_per_record / record_duration``.
    """
    p = Path(path)
    issues: list[EdfIssue] = []
    try:
        fh = open(p, "rb")
    except FileNotFoundError as exc:
        raise FormatError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(f"{p}: is a directory, not an EDF file") from exc
    except OSError as exc:
        raise FormatError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    with fh:
        size = os.fstat(fh.fileno()).st_size
        head = fh.read(256)
        if len(head) < 256:
            raise FormatError(
                f"{p}: not an EDF/BDF file: {size} bytes, shorter than the 256-byte header"
            )
        magic = head[:8]
        if magic == _BDF_MAGIC:
            bps = 3
        elif magic == _EDF_MAGIC:
            bps = 2
        elif magic[:1] == b"0" and not magic[1:].strip(b" \x00"):
            bps = 2
            issues.append(EdfIssue("version", repr(magic), "read as EDF version 0"))
        else:
            raise FormatError(
                f"{p}: not an EDF/BDF file: version field {magic!r} (expected b'0       ' for "
                "EDF or b'\\xffBIOSEMI' for BDF)"
            )
        ns = _integer(head[252:256], "number of signals", issues, p)
        if ns < 1:
            raise FormatError(f"{p}: header field number of signals: must be >= 1, got {ns}")
        hdr_len = 256 * (ns + 1)
        if hdr_len > size:
            raise FormatError(
                f"{p}: header field number of signals: {ns} signals need a {hdr_len}-byte header, "
                f"but the file has {size} bytes"
            )
        sig_raw = fh.read(hdr_len - 256)
        raw_header = head + sig_raw
        patient = _text(head[8:88], "patient_id", issues)
        recording = _text(head[88:168], "recording_id", issues)
        date_s = _text(head[168:176], "startdate", issues)
        time_s = _text(head[176:184], "starttime", issues)
        hb_claim = _integer(head[184:192], "header bytes", issues, p)
        if hb_claim != hdr_len:
            issues.append(
                EdfIssue(
                    "header bytes", str(hb_claim), f"used 256 * (1 + {ns}) = {hdr_len} instead"
                )
            )
        reserved = _text(head[192:236], "reserved", issues)
        nrec_claim = _integer(head[236:244], "number of data records", issues, p)
        dur_dec = _number(head[244:252], "record duration", issues, p)
        if dur_dec < 0:
            raise FormatError(f"{p}: header field record duration: must be >= 0, got {dur_dec}")
        duration = float(dur_dec)
        if not math.isfinite(duration):
            raise FormatError(
                f"{p}: header field record duration: {str(dur_dec)!r} s is too large for a float; "
                "a record duration must be a finite number of seconds"
            )
        start = _parse_start(date_s, time_s, recording, issues)

        # per-signal fields: ns values of each field, one field after another
        cols: dict[str, list[bytes]] = {}
        pos = 0
        for name, width in _SIG_FIELDS:
            cols[name] = [sig_raw[pos + i * width : pos + (i + 1) * width] for i in range(ns)]
            pos += width * ns
        labels = [_text(b, f"signal {i} label", issues) for i, b in enumerate(cols["label"])]
        spr = [
            _integer(b, f"signal {i} ({labels[i]!r}) samples per record", issues, p)
            for i, b in enumerate(cols["samples_per_record"])
        ]
        for i, n in enumerate(spr):
            if n * bps > size:
                raise FormatError(
                    f"{p}: header field signal {i} ({labels[i]!r}) samples per record: {n} "
                    f"samples need {n * bps} bytes per record, more than the file's {size} bytes"
                )
            if n < 0:
                raise FormatError(
                    f"{p}: header field signal {i} ({labels[i]!r}) samples per record: must be "
                    f">= 0, got {n}"
                )
        ann_labels = [i for i, lab in enumerate(labels) if lab in ANNOTATION_LABELS]
        for i, n in enumerate(spr):
            if i in ann_labels or n == 0:
                continue
            # 0 is legal only for annotation-only files (EDF+ specification, section 2.2.4)
            fs = Decimal(n) / dur_dec if dur_dec > 0 else None
            if fs is None or not (0 < float(fs) < math.inf):
                dur_s = head[244:252].decode("latin-1").strip()
                raise FormatError(
                    f"{p}: header field record duration: {dur_s!r} "
                    f"with {n} samples per record gives signal {i} ({labels[i]!r}) a sampling "
                    f"rate of {'nan' if fs is None else float(fs)} Hz; a file with data signals "
                    "needs a record duration > 0 that gives a finite, positive sampling rate "
                    "(duration 0 is only legal for annotation-only files)"
                )
        rec_samples = sum(spr)
        rec_bytes = rec_samples * bps
        avail = size - hdr_len
        if rec_bytes == 0:
            n_rec = 0
            if nrec_claim not in (0, -1):
                issues.append(
                    EdfIssue("number of data records", str(nrec_claim), "no samples: read 0")
                )
        else:
            n_fit, partial = divmod(avail, rec_bytes)
            n_rec = n_fit
            if nrec_claim != n_fit:
                issues.append(
                    EdfIssue(
                        "number of data records",
                        str(nrec_claim),
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
                        hdr_len + n_fit * rec_bytes,
                    )
                )
        fh.seek(hdr_len)
        raw = np.fromfile(fh, dtype=np.uint8, count=n_rec * rec_bytes)
    if raw.size != n_rec * rec_bytes:  # pragma: no cover - file changed while reading
        raise FormatError(f"{p}: data section shorter than expected ({raw.size} bytes)")
    raw = raw.reshape(n_rec, rec_bytes)

    is_bdf = bps == 3
    prefix = "BDF" if is_bdf else "EDF"
    plus = reserved[:5].upper()
    if plus in ("EDF+C", "EDF+D", "BDF+C", "BDF+D"):
        file_type = prefix + plus[3:]
    else:
        file_type = prefix
    ann_idx = [i for i, lab in enumerate(labels) if lab in ANNOTATION_LABELS]
    if file_type != prefix and not ann_idx:
        issues.append(
            EdfIssue("reserved", repr(reserved), "EDF+ without an annotation signal: read as EDF")
        )
        file_type = prefix
    if file_type == prefix and ann_idx:
        issues.append(
            EdfIssue(
                "reserved", repr(reserved), "annotation signal in a non-EDF+ file: annotations read"
            )
        )
    byte_off = np.concatenate([[0], np.cumsum(spr)]) * bps

    # annotations and record onsets
    annotations: list[Annotation] = []
    onsets: list[Decimal] = []
    if ann_idx and n_rec:
        prev: Decimal | None = None
        for r in range(n_rec):
            row = raw[r]
            rec_onset = None
            for k, i in enumerate(ann_idx):
                b0, b1 = int(byte_off[i]), int(byte_off[i + 1])
                anns, tk = parse_tal_block(
                    row[b0:b1].tobytes(),
                    record=r,
                    signal=i,
                    file_offset=hdr_len + r * rec_bytes + b0,
                    timekeeping=k == 0,
                    issues=issues,
                )
                annotations.extend(anns)
                if k == 0:
                    rec_onset = tk
            if rec_onset is None:
                rec_onset = Decimal(0) if prev is None else prev + dur_dec
            onsets.append(rec_onset)
            prev = rec_onset
    else:
        onsets = [dur_dec * r for r in range(n_rec)]
    onsets_f = np.array([float(x) for x in onsets], dtype=np.float64)
    is_continuous = not file_type.endswith("+D")
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
    if n_rec > 1 and ann_idx and np.isfinite(onsets_f).all():
        with np.errstate(over="ignore", invalid="ignore"):
            gaps = np.diff(onsets_f)
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
        elif is_continuous and np.any(np.abs(gaps - duration) > 1e-9):
            r = int(np.flatnonzero(np.abs(gaps - duration) > 1e-9)[0]) + 1
            issues.append(
                EdfIssue(
                    "record onsets",
                    f"{file_type} record {r} starts at {onsets_f[r]} s, not contiguous",
                    "kept the onsets as written",
                    r,
                )
            )

    # ordinary signals
    lo_lim, hi_lim = _DIG_LIMITS[bps]
    signals: list[EdfSignal] = []
    words = raw.view("<i2") if bps == 2 and n_rec else None
    for i in range(ns):
        if i in ann_idx:
            continue
        lab = labels[i]
        where = f"signal {i} ({lab!r})"
        pmin = float(_number(cols["physical_min"][i], f"{where} physical minimum", issues, p))
        pmax = float(_number(cols["physical_max"][i], f"{where} physical maximum", issues, p))
        dmin = _integer(cols["digital_min"][i], f"{where} digital minimum", issues, p)
        dmax = _integer(cols["digital_max"][i], f"{where} digital maximum", issues, p)
        calibrated = True
        bad = _calibration_problem(pmin, pmax, dmin, dmax, bps)
        if bad:
            calibrated = False
            issues.append(
                EdfIssue(
                    f"{where} range",
                    f"physical [{pmin}, {pmax}], digital [{dmin}, {dmax}]: {bad}",
                    "signal marked uncalibrated, data are the digital values",
                )
            )
        elif pmin == pmax or dmin == dmax:
            calibrated = False
            issues.append(
                EdfIssue(
                    f"{where} range",
                    f"physical [{pmin}, {pmax}], digital [{dmin}, {dmax}]",
                    "zero range: signal marked uncalibrated, data are the digital values",
                )
            )
        elif dmin > dmax:
            issues.append(
                EdfIssue(
                    f"{where} digital range",
                    f"[{dmin}, {dmax}]",
                    "minimum above maximum: used as is",
                )
            )
        if min(dmin, dmax) < lo_lim or max(dmin, dmax) > hi_lim:
            issues.append(
                EdfIssue(
                    f"{where} digital range",
                    f"[{dmin}, {dmax}] beyond the {8 * bps}-bit limits",
                    "used as is; saturation at the stored limits is not flagged",
                )
            )
        n = spr[i]
        if duration > 0:
            sfreq = float(Decimal(n) / dur_dec)  # finite for n > 0: checked above
        else:  # only for signals without samples (checked above)
            sfreq = math.nan
            issues.append(
                EdfIssue(f"{where} sampling rate", "record duration 0", "sampling rate is NaN")
            )
        if n == 0:
            issues.append(EdfIssue(f"{where} samples per record", "0", "signal has no data"))
        b0, b1 = int(byte_off[i]), int(byte_off[i + 1])
        source = _make_source(raw, words if bps == 2 else None, b0, b1, bps, n_rec, n)
        signals.append(
            EdfSignal(
                label=lab,
                unit=_text(cols["unit"][i], f"{where} physical dimension", issues),
                sfreq_hz=sfreq,
                samples_per_record=n,
                physical_min=pmin,
                physical_max=pmax,
                digital_min=dmin,
                digital_max=dmax,
                transducer=_text(cols["transducer"][i], f"{where} transducer", issues),
                prefilter=_text(cols["prefilter"][i], f"{where} prefilter", issues),
                reserved=_text(cols["reserved"][i], f"{where} reserved", issues),
                index=i,
                calibrated=calibrated,
                _source=source,
            )
        )
    header = EdfHeader(
        version="BIOSEMI" if is_bdf else "0",
        patient_id=patient,
        recording_id=recording,
        startdate=date_s,
        starttime=time_s,
        start=start,
        header_bytes=hb_claim,
        reserved=reserved,
        n_records_claimed=nrec_claim,
        record_duration_s=duration,
        n_signals=ns,
        raw=raw_header,
    )
    return EdfRecording(
        path=p,
        file_type=file_type,
        header=header,
        signals=tuple(signals),
        annotation_signals=tuple(ann_idx),
        annotations=tuple(annotations),
        n_records=n_rec,
        record_duration_s=duration,
        record_onsets_s=onsets_f,
        record_onsets_exact=tuple(onsets),
        is_continuous=is_continuous,
        issues=tuple(issues),
    )


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


# ---- writing -------------------------------------------------------------------------------------


def _fmt_bound(x: float, up: bool, what: str) -> str:
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


def _fmt_field(value: Any, width: int, what: str) -> bytes:
    s = str(value)
    b = s.encode("latin-1", errors="replace")
    if len(b) > width:
        raise ParameterError(f"{what}: {s!r} is longer than the {width}-character header field")
    return b.ljust(width, b" ")


def _fmt_number(x: float, width: int, what: str) -> bytes:
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


_FILE_TYPES = ("EDF", "EDF+C", "EDF+D", "BDF", "BDF+C", "BDF+D")


def edfplus_startdate(start: _dt.datetime) -> str:
    """The EDF+ recording-field start date, ``"Startdate 02-MAR-2002"`` (EDF+ section 2.1.3.3)."""
    return f"Startdate {start.day:02d}-{_MONTHS[start.month - 1]}-{start.year}"


def _anonymous_fields(start: _dt.datetime) -> tuple[str, str]:
    return "X X X X", f"{edfplus_startdate(start)} X X X"


def write_edf(
    path: str | os.PathLike,
    signals: Sequence[EdfSignal],
    *,
    file_type: str = "EDF+C",
    record_duration_s: float | Decimal = 1,
    annotations: Sequence[Annotation | tuple] = (),
    record_onsets_s: Sequence[float | Decimal] | None = None,
    patient_id: str | None = None,
    recording_id: str | None = None,
    start: _dt.datetime | None = None,
) -> Path:
    """Write ``signals`` as EDF, EDF+C, EDF+D, BDF, BDF+C or BDF+D.

    Parameters
    ----------
    path : str or path-like
    signals : sequence of EdfSignal
        Built with :meth:`EdfSignal.from_data`; each must hold ``n_records * sfreq_hz *
        record_duration_s`` samples with the same ``n_records`` for all.
    file_type : str
        One of ``EDF``, ``EDF+C``, ``EDF+D``, ``BDF``, ``BDF+C``, ``BDF+D``.
    record_duration_s : float or Decimal, s
        Data-record duration (> 0; ``sfreq_hz * record_duration_s`` must be an integer).
    annotations : sequence of Annotation or (onset_s, duration_s, text) tuples
        Placed in the record that contains their onset (EDF+ only).
    record_onsets_s : sequence of float, s, optional
        EDF+D only: start of each record (default contiguous).
    patient_id, recording_id : str, optional
        Header fields (default: the EDF+ anonymous forms).
    start : datetime, optional
        Start date and time (default 2000-01-01 00:00:00).

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        When a field does not fit its header width, the sizes do not agree, or annotations are
        requested for plain EDF/BDF.

    Notes
    -----
    The physical range (when not given) is the data's minimum and maximum rounded outward to the
    8-character field, so that ``|read - written| <= gain / 2`` up to float rounding, with ``gain =
    (pmax - pmin) / (dmax - dmin)``.
    """
    if file_type not in _FILE_TYPES:
        raise ParameterError(f"file_type: invalid value {file_type!r}; valid: {list(_FILE_TYPES)}")
    dur = Decimal(format_decimal(record_duration_s))
    if not dur > 0:
        raise ParameterError(f"record_duration_s: must be > 0, got {record_duration_s!r}")
    sigs = list(signals)
    if not sigs:
        raise ParameterError("signals: need at least one signal")
    spr, n_recs = [], set()
    for s in sigs:
        if not isinstance(s, EdfSignal) or s._physical is None:
            raise ParameterError("signals: expected EdfSignal.from_data(...) objects")
        exact = Decimal(format_decimal(s.sfreq_hz)) * dur
        if exact != exact.to_integral_value() or exact <= 0:
            raise ParameterError(
                f"signal {s.label!r}: sfreq_hz * record_duration_s = {exact} is not a positive "
                "integer; choose a record duration that holds a whole number of samples"
            )
        n = int(exact)
        spr.append(n)
        if s._physical.size % n:
            raise ParameterError(
                f"signal {s.label!r}: {s._physical.size} samples is not a whole number of records "
                f"of {n} samples"
            )
        n_recs.add(s._physical.size // n)
    if len(n_recs) != 1:
        raise ParameterError(f"signals: they span different numbers of records {sorted(n_recs)}")
    n_rec = n_recs.pop()
    onsets = [dur * r for r in range(n_rec)]
    if record_onsets_s is not None:
        if not file_type.endswith("+D"):
            raise ParameterError("record_onsets_s: only EDF+D/BDF+D files have free record onsets")
        onsets = [Decimal(format_decimal(x)) for x in record_onsets_s]
        if len(onsets) != n_rec:
            raise ParameterError(f"record_onsets_s: expected {n_rec} onsets, got {len(onsets)}")
    per_record: list[list[bytes]] = [[] for _ in range(n_rec)]
    plus = "+" in file_type
    if annotations and not plus:
        raise ParameterError(f"annotations: {file_type} has no annotation signal; use EDF+C/EDF+D")
    onset_f = np.array([float(x) for x in onsets])
    for k, a in enumerate(annotations):
        on, du, text = (a.onset_s, a.duration_s, a.text) if isinstance(a, Annotation) else a
        r = int(np.searchsorted(onset_f, float(on), side="right")) - 1 if n_rec else 0
        what = f"annotations[{k}] text"
        per_record[max(r, 0)].append(encode_tal(on, [text], duration_s=du, what=what))
    write_records(
        Path(path),
        sigs,
        spr,
        n_rec,
        dur,
        onsets,
        per_record if plus else None,
        file_type,
        patient_id,
        recording_id,
        start,
    )
    return Path(path)


def write_records(
    p: Path,
    sigs: list[EdfSignal],
    spr: list[int],
    n_rec: int,
    dur: Decimal,
    onsets: list[Decimal],
    tals: list[list[bytes]] | None,
    file_type: str,
    patient_id: str | None,
    recording_id: str | None,
    start: _dt.datetime | None,
) -> None:
    """Write header and records from prepared parts (shared by :func:`write_edf` and the study writer).

    ``spr`` holds the samples per record of each signal, ``onsets`` the record onsets in s, ``tals``
    the encoded TALs of every record (None: no annotation signal). Not part of the public API.
    """
    bps = 3 if file_type.startswith("BDF") else 2
    lo_lim, hi_lim = _DIG_LIMITS[bps]
    start = start or _dt.datetime(2000, 1, 1)
    pat_default, rec_default = _anonymous_fields(start)
    ann_spr = 0
    ann_blocks: list[bytes] = []
    if tals is not None:
        for r in range(n_rec):
            blk = encode_tal(onsets[r], [], timekeeping=True) + b"".join(tals[r])
            ann_blocks.append(blk)
        longest = max((len(b) for b in ann_blocks), default=0)
        ann_spr = max(1, -(-longest // bps))
    n_sig = len(sigs) + (1 if tals is not None else 0)
    fields: dict[str, list[bytes]] = {name: [] for name, _ in _SIG_FIELDS}
    digital: list[np.ndarray] = []
    for s, n in zip(sigs, spr):
        x = s._physical
        dmin = lo_lim if s.digital_min is None else s.digital_min
        dmax = hi_lim if s.digital_max is None else s.digital_max
        if not (lo_lim <= dmin < dmax <= hi_lim):
            raise ParameterError(
                f"signal {s.label!r}: digital range [{dmin}, {dmax}] must be increasing within "
                f"[{lo_lim}, {hi_lim}]"
            )
        if s.physical_min is None or s.physical_max is None:
            lo = float(x.min()) if x.size else 0.0
            hi = float(x.max()) if x.size else 1.0
            if lo == hi:
                lo, hi = lo - 1.0, hi + 1.0
            pmin_s = _fmt_bound(lo, False, f"signal {s.label!r} physical minimum")
            pmax_s = _fmt_bound(hi, True, f"signal {s.label!r} physical maximum")
        else:
            pmin_s = _fmt_bound(s.physical_min, False, f"signal {s.label!r} physical minimum")
            pmax_s = _fmt_bound(s.physical_max, True, f"signal {s.label!r} physical maximum")
            if float(pmin_s) != s.physical_min or float(pmax_s) != s.physical_max:
                raise ParameterError(
                    f"signal {s.label!r}: physical range ({s.physical_min}, {s.physical_max}) "
                    "does not fit the 8-character header fields exactly"
                )
        pmin, pmax = float(pmin_s), float(pmax_s)
        if pmin == pmax:
            raise ParameterError(f"signal {s.label!r}: physical range must not be empty")
        gain = (pmax - pmin) / (dmax - dmin)
        off = pmin - dmin * gain
        lo_p, hi_p = min(pmin, pmax), max(pmin, pmax)
        if x.size and (x.min() < lo_p - abs(gain) / 2 or x.max() > hi_p + abs(gain) / 2):
            raise ParameterError(
                f"signal {s.label!r}: data span [{x.min()!r}, {x.max()!r}] leave the physical range "
                f"[{pmin_s}, {pmax_s}]; widen physical_range or leave it None (the writer never clips)"
            )
        d = np.rint((x - off) / gain)
        np.clip(d, dmin, dmax, out=d)  # only float rounding at the edges can leave the range
        digital.append(d.astype(np.int32).reshape(n_rec, n))
        fields["label"].append(_fmt_field(s.label, 16, "signal label"))
        fields["transducer"].append(_fmt_field(s.transducer, 80, f"signal {s.label!r} transducer"))
        fields["unit"].append(_fmt_field(s.unit, 8, f"signal {s.label!r} unit"))
        fields["physical_min"].append(pmin_s.encode().ljust(8))
        fields["physical_max"].append(pmax_s.encode().ljust(8))
        fields["digital_min"].append(str(dmin).encode().ljust(8))
        fields["digital_max"].append(str(dmax).encode().ljust(8))
        fields["prefilter"].append(_fmt_field(s.prefilter, 80, f"signal {s.label!r} prefilter"))
        fields["samples_per_record"].append(str(n).encode().ljust(8))
        fields["reserved"].append(b" " * 32)
    if tals is not None:
        fields["label"].append(_fmt_field(f"{file_type[:3]} Annotations", 16, "label"))
        fields["transducer"].append(b" " * 80)
        fields["unit"].append(b" " * 8)
        fields["physical_min"].append(b"-1".ljust(8))
        fields["physical_max"].append(b"1".ljust(8))
        fields["digital_min"].append(str(lo_lim).encode().ljust(8))
        fields["digital_max"].append(str(hi_lim).encode().ljust(8))
        fields["prefilter"].append(b" " * 80)
        fields["samples_per_record"].append(str(ann_spr).encode().ljust(8))
        fields["reserved"].append(b" " * 32)
    reserved = {"EDF": "", "BDF": "24BIT"}.get(file_type, file_type)
    yy = start.year % 100 if 1985 <= start.year <= 2084 else 99
    head = b"".join(
        [
            _EDF_MAGIC if bps == 2 else _BDF_MAGIC,
            _fmt_field(patient_id if patient_id is not None else pat_default, 80, "patient_id"),
            _fmt_field(
                recording_id if recording_id is not None else rec_default, 80, "recording_id"
            ),
            f"{start.day:02d}.{start.month:02d}.{yy:02d}".encode(),
            f"{start.hour:02d}.{start.minute:02d}.{start.second:02d}".encode(),
            str(256 * (n_sig + 1)).encode().ljust(8),
            _fmt_field(reserved, 44, "reserved"),
            str(n_rec).encode().ljust(8),
            _fmt_number(dur, 8, "record_duration_s"),
            str(n_sig).encode().ljust(4),
        ]
    )
    head += b"".join(b"".join(fields[name]) for name, _ in _SIG_FIELDS)
    # data: (n_rec, record bytes) assembled column block by column block
    rec_bytes = (sum(spr) + ann_spr) * bps
    buf = np.zeros((n_rec, rec_bytes), dtype=np.uint8)
    pos = 0
    for d, n in zip(digital, spr):
        if bps == 2:
            buf[:, pos : pos + 2 * n] = d.astype("<i2").view(np.uint8).reshape(n_rec, 2 * n)
        else:
            b4 = d.astype("<i4").view(np.uint8).reshape(n_rec, n, 4)
            buf[:, pos : pos + 3 * n] = b4[:, :, :3].reshape(n_rec, 3 * n)
        pos += bps * n
    for r, blk in enumerate(ann_blocks):
        buf[r, pos : pos + len(blk)] = np.frombuffer(blk, dtype=np.uint8)
    try:
        with open(p, "wb") as fh:
            fh.write(head)
            buf.tofile(fh)
    except OSError as exc:
        raise FormatError(f"{p}: cannot be written ({exc.strerror or exc})") from exc


# ---- study mapping (implemented in sidecar.py) ---------------------------------------------------


def read_edf_study(path: str | os.PathLike, **kwargs: Any):
    """Read an EDF/EDF+/BDF file into a :class:`~ncs_emg.types.Study` (see :mod:`.sidecar`)."""
    from .sidecar import read_edf_study as _read

    return _read(path, **kwargs)


def write_edf_study(study, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write a :class:`~ncs_emg.types.Study` as EDF+D (or BDF+D for ``.bdf``) (see :mod:`.sidecar`)."""
    from .sidecar import write_edf_study as _write

    return _write(study, path, **kwargs)
