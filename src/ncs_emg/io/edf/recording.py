"""The containers of the EDF format layer: header, signals and the recording as read."""

from __future__ import annotations

import datetime as _dt
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cached_property
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ...errors import ParameterError
from .fields import format_decimal
from .tal import Annotation, EdfIssue

__all__ = ["EdfHeader", "EdfSignal", "EdfRecording"]

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
    digital_source: Callable[[], np.ndarray] | None = field(default=None, repr=False)
    physical_input: np.ndarray | None = field(default=None, repr=False)

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
            physical_input=arr,
        )

    def _ranges(self) -> tuple[float, float, int, int] | None:
        pmin, pmax = self.physical_min, self.physical_max
        dmin, dmax = self.digital_min, self.digital_max
        if not self.calibrated or pmin is None or pmax is None or dmin is None or dmax is None:
            return None
        return pmin, pmax, dmin, dmax

    @property
    def gain(self) -> float:
        """Physical units per digital step (negative when physical min > max); 1 if uncalibrated."""
        r = self._ranges()
        return 1.0 if r is None else (r[1] - r[0]) / (r[3] - r[2])

    @property
    def offset(self) -> float:
        """Physical value of digital 0: ``physical = digital * gain + offset``."""
        r = self._ranges()
        return 0.0 if r is None else r[0] - r[2] * self.gain

    # computed on first access and kept in the instance dict (functools.cached_property takes a
    # lock on every access in Python 3.11, a measurable part of reading a small file)

    @property
    def digital(self) -> np.ndarray:
        """The stored integers, shape (n_records * samples_per_record,)."""
        d = self.__dict__.get("_digital")
        if d is None:
            if self.digital_source is None:
                raise ParameterError(f"signal {self.label!r}: writer input has no digital values")
            d = self.__dict__["_digital"] = self.digital_source().reshape(-1)
        return d

    def digital_records(self) -> np.ndarray:
        """The stored integers as (n_records, samples_per_record), without copying EDF data.

        For 16-bit EDF a view of the bytes read; for 24-bit BDF the integers assembled once.
        """
        d = self.__dict__.get("_digital_records")
        if d is None:
            if self.digital_source is None:
                raise ParameterError(f"signal {self.label!r}: writer input has no digital values")
            d = self.__dict__["_digital_records"] = self.digital_source()
        return d

    @property
    def data(self) -> np.ndarray:
        """Physical values in ``unit`` (float64), computed on first access."""
        out = self.__dict__.get("_data")
        if out is None:
            out = self.__dict__["_data"] = self._scaled()
        return out

    def _scaled(self) -> np.ndarray:
        if self.physical_input is not None:
            return self.physical_input
        if self.digital_source is None:
            raise ParameterError(f"signal {self.label!r}: has neither data nor a file to read")
        src = self.digital_source()
        out = np.empty(src.shape, dtype=np.float64)
        if self.calibrated:
            np.multiply(src, self.gain, out=out)
            out += self.offset
        else:
            out[...] = src
        return out.reshape(-1)

    @property
    def saturated(self) -> np.ndarray:
        """True where the stored integer equals the digital minimum or maximum."""
        sat = self.__dict__.get("_saturated")
        if sat is None:
            d = self.digital
            sat = self.__dict__["_saturated"] = (d == self.digital_min) | (d == self.digital_max)
        return sat

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
        Start of every record after the file start (from the timekeeping TALs in EDF+; for plain
        EDF ``index × record duration``, computed in one vectorised pass).
    record_onsets_exact : tuple of Decimal
        The same onsets exactly as written (computed on first access for plain EDF).
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
    record_onsets_s: np.ndarray = field(repr=False)
    onsets_from_tals: tuple[Decimal, ...] | None = field(repr=False)
    is_continuous: bool
    issues: tuple[EdfIssue, ...]

    def __repr__(self) -> str:
        return (
            f"EdfRecording({str(self.path)!r}, {self.file_type}, {len(self.signals)} signals "
            f"{[s.label for s in self.signals[:8]]}, {self.n_records} records of "
            f"{self.record_duration_s:g} s, {len(self.annotations)} annotations, "
            f"{len(self.issues)} issues)"
        )

    @cached_property
    def record_onsets_exact(self) -> tuple[Decimal, ...]:
        """Record onsets exactly as written (Decimal seconds)."""
        if self.onsets_from_tals is not None:
            return self.onsets_from_tals
        dur = Decimal(format_decimal(self.record_duration_s))
        return tuple(dur * r for r in range(self.n_records))

    @property
    def contiguous(self) -> bool:
        """True when every record starts where the previous one ends (always for plain EDF)."""
        if self.onsets_from_tals is None:
            return True
        dur = Decimal(format_decimal(self.record_duration_s))
        o = self.onsets_from_tals
        return all(b - a == dur for a, b in pairwise(o))

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
