"""Writing EDF, EDF+C, EDF+D, BDF, BDF+C and BDF+D files (atomically).

:func:`write_edf` takes signals in physical units; :func:`write_records` writes prepared records
(shared with the study writer). The physical range, when not given, is the data's range rounded
outward to what the 8-character field holds and the gain is computed from the written text, so the
round trip is within one digital step.
"""

from __future__ import annotations

import datetime as _dt
import os
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import numpy as np

from ...errors import FormatError, ParameterError
from ..atomic import atomic_path
from .fields import (
    BDF_MAGIC,
    DIGITAL_LIMITS,
    EDF_MAGIC,
    FILE_TYPES,
    SIGNAL_FIELDS,
    anonymous_fields,
    format_bound,
    format_decimal,
    format_field,
    format_number,
)
from .recording import EdfSignal
from .tal import Annotation, encode_tal

__all__ = ["write_edf", "write_records", "RecordPlan"]


@dataclass(frozen=True)
class RecordPlan:
    """What :func:`write_records` writes.

    Attributes
    ----------
    signals : list of EdfSignal
        Writer input (:meth:`EdfSignal.from_data`).
    spr : list of int
        Samples per record of each signal.
    n_records : int
    duration_s : Decimal, s
        Record duration.
    onsets_s : list of Decimal, s
        Record onsets.
    tals : list of list of bytes, or None
        Encoded TALs of every record (None: no annotation signal).
    file_type : str
    """

    signals: list[EdfSignal]
    spr: list[int]
    n_records: int
    duration_s: Decimal
    onsets_s: list[Decimal]
    tals: list[list[bytes]] | None
    file_type: str


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
        Start date and time. Default None: the date is unknown, written as EDF+ says (header date
        ``01.01.85``, recording field ``Startdate X``), never invented.

    Returns
    -------
    Path

    Notes
    -----
    The file is written atomically: a temporary file beside ``path`` is renamed over it when
    complete, so a failure leaves an existing file untouched and no partial file behind.

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
    if file_type not in FILE_TYPES:
        raise ParameterError(f"file_type: invalid value {file_type!r}; valid: {list(FILE_TYPES)}")
    dur = Decimal(format_decimal(record_duration_s))
    if not dur > 0:
        raise ParameterError(f"record_duration_s: must be > 0, got {record_duration_s!r}")
    sigs = list(signals)
    spr, n_rec = _samples_per_record(sigs, dur)
    onsets = _record_onsets(record_onsets_s, file_type, dur, n_rec)
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
        RecordPlan(sigs, spr, n_rec, dur, onsets, per_record if plus else None, file_type),
        patient_id=patient_id,
        recording_id=recording_id,
        start=start,
    )
    return Path(path)


def _samples_per_record(sigs: list[EdfSignal], dur: Decimal) -> tuple[list[int], int]:
    if not sigs:
        raise ParameterError("signals: need at least one signal")
    spr, n_recs = [], set()
    for s in sigs:
        if not isinstance(s, EdfSignal) or s.physical_input is None:
            raise ParameterError("signals: expected EdfSignal.from_data(...) objects")
        exact = Decimal(format_decimal(s.sfreq_hz)) * dur
        if exact != exact.to_integral_value() or exact <= 0:
            raise ParameterError(
                f"signal {s.label!r}: sfreq_hz * record_duration_s = {exact} is not a positive "
                "integer; choose a record duration that holds a whole number of samples"
            )
        n = int(exact)
        spr.append(n)
        if s.physical_input.size % n:
            raise ParameterError(
                f"signal {s.label!r}: {s.physical_input.size} samples is not a whole number of records "
                f"of {n} samples"
            )
        n_recs.add(s.physical_input.size // n)
    if len(n_recs) != 1:
        raise ParameterError(f"signals: they span different numbers of records {sorted(n_recs)}")
    return spr, n_recs.pop()


def _record_onsets(
    record_onsets_s: Sequence[float | Decimal] | None, file_type: str, dur: Decimal, n_rec: int
) -> list[Decimal]:
    if record_onsets_s is None:
        return [dur * r for r in range(n_rec)]
    if not file_type.endswith("+D"):
        raise ParameterError("record_onsets_s: only EDF+D/BDF+D files have free record onsets")
    onsets = [Decimal(format_decimal(x)) for x in record_onsets_s]
    if len(onsets) != n_rec:
        raise ParameterError(f"record_onsets_s: expected {n_rec} onsets, got {len(onsets)}")
    return onsets


def write_records(
    p: Path,
    plan: RecordPlan,
    *,
    patient_id: str | None = None,
    recording_id: str | None = None,
    start: _dt.datetime | None = None,
) -> None:
    """Write header and records from prepared parts, atomically.

    Raises
    ------
    ParameterError
        When a value does not fit its field or the data leave the physical range; nothing written.
    FormatError
        When the file cannot be written.
    """
    bps = 3 if plan.file_type.startswith("BDF") else 2
    ann_blocks, ann_spr = _annotation_blocks(plan, bps)
    fields: dict[str, list[bytes]] = {name: [] for name, _ in SIGNAL_FIELDS}
    digital = [
        _encode_signal(s, n, plan.n_records, bps, fields)
        for s, n in zip(plan.signals, plan.spr, strict=True)
    ]
    if plan.tals is not None:
        _annotation_fields(plan.file_type, ann_spr, bps, fields)
    n_sig = len(plan.signals) + (1 if plan.tals is not None else 0)
    head = _main_header(
        plan, bps, n_sig, patient_id=patient_id, recording_id=recording_id, start=start
    )
    head += b"".join(b"".join(fields[name]) for name, _ in SIGNAL_FIELDS)
    buf = _record_bytes(plan, digital, bps, ann_blocks, ann_spr)
    with atomic_path(p) as tmp:
        try:
            with open(tmp, "wb") as fh:
                fh.write(head)
                buf.tofile(fh)
        except OSError as exc:
            raise FormatError(f"{p}: cannot be written ({exc.strerror or exc})") from exc


def _annotation_blocks(plan: RecordPlan, bps: int) -> tuple[list[bytes], int]:
    if plan.tals is None:
        return [], 0
    blocks = [
        encode_tal(plan.onsets_s[r], [], timekeeping=True) + b"".join(plan.tals[r])
        for r in range(plan.n_records)
    ]
    longest = max((len(b) for b in blocks), default=0)
    return blocks, max(1, -(-longest // bps))


def _physical_range(s: EdfSignal, x: np.ndarray) -> tuple[str, str]:
    if s.physical_min is None or s.physical_max is None:
        lo = float(x.min()) if x.size else 0.0
        hi = float(x.max()) if x.size else 1.0
        if lo == hi:
            lo, hi = lo - 1.0, hi + 1.0
        # a margin of ~6 digital steps (16 bit) so that no written sample lands on a digital
        # limit: a reader flags samples at the limits as saturated
        margin = (hi - lo) * 1e-4
        lo, hi = lo - margin, hi + margin
        return (
            format_bound(lo, False, f"signal {s.label!r} physical minimum"),
            format_bound(hi, True, f"signal {s.label!r} physical maximum"),
        )
    pmin_s = format_bound(s.physical_min, False, f"signal {s.label!r} physical minimum")
    pmax_s = format_bound(s.physical_max, True, f"signal {s.label!r} physical maximum")
    if float(pmin_s) != s.physical_min or float(pmax_s) != s.physical_max:
        raise ParameterError(
            f"signal {s.label!r}: physical range ({s.physical_min}, {s.physical_max}) "
            "does not fit the 8-character header fields exactly"
        )
    return pmin_s, pmax_s


def _encode_signal(
    s: EdfSignal, n: int, n_rec: int, bps: int, fields: dict[str, list[bytes]]
) -> np.ndarray:
    """The signal's digital values (n_rec, n); its header fields appended to ``fields``."""
    x = s.physical_input
    if x is None:  # pragma: no cover - checked by _samples_per_record
        raise ParameterError(f"signal {s.label!r}: writer input needs data (EdfSignal.from_data)")
    lo_lim, hi_lim = DIGITAL_LIMITS[bps]
    dmin = lo_lim if s.digital_min is None else s.digital_min
    dmax = hi_lim if s.digital_max is None else s.digital_max
    if not (lo_lim <= dmin < dmax <= hi_lim):
        raise ParameterError(
            f"signal {s.label!r}: digital range [{dmin}, {dmax}] must be increasing within "
            f"[{lo_lim}, {hi_lim}]"
        )
    pmin_s, pmax_s = _physical_range(s, x)
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
    fields["label"].append(format_field(s.label, 16, "signal label"))
    fields["transducer"].append(format_field(s.transducer, 80, f"signal {s.label!r} transducer"))
    fields["unit"].append(format_field(s.unit, 8, f"signal {s.label!r} unit"))
    fields["physical_min"].append(pmin_s.encode().ljust(8))
    fields["physical_max"].append(pmax_s.encode().ljust(8))
    fields["digital_min"].append(str(dmin).encode().ljust(8))
    fields["digital_max"].append(str(dmax).encode().ljust(8))
    fields["prefilter"].append(format_field(s.prefilter, 80, f"signal {s.label!r} prefilter"))
    fields["samples_per_record"].append(str(n).encode().ljust(8))
    fields["reserved"].append(b" " * 32)
    return d.astype(np.int32).reshape(n_rec, n)


def _annotation_fields(
    file_type: str, ann_spr: int, bps: int, fields: dict[str, list[bytes]]
) -> None:
    lo_lim, hi_lim = DIGITAL_LIMITS[bps]
    fields["label"].append(format_field(f"{file_type[:3]} Annotations", 16, "label"))
    fields["transducer"].append(b" " * 80)
    fields["unit"].append(b" " * 8)
    fields["physical_min"].append(b"-1".ljust(8))
    fields["physical_max"].append(b"1".ljust(8))
    fields["digital_min"].append(str(lo_lim).encode().ljust(8))
    fields["digital_max"].append(str(hi_lim).encode().ljust(8))
    fields["prefilter"].append(b" " * 80)
    fields["samples_per_record"].append(str(ann_spr).encode().ljust(8))
    fields["reserved"].append(b" " * 32)


def _main_header(
    plan: RecordPlan,
    bps: int,
    n_sig: int,
    *,
    patient_id: str | None,
    recording_id: str | None,
    start: _dt.datetime | None,
) -> bytes:
    pat_default, rec_default = anonymous_fields(start)
    reserved = {"EDF": "", "BDF": "24BIT"}.get(plan.file_type, plan.file_type)
    if start is None:  # unknown: EDF+ section 2.1.3.2 uses 01.01.85 with "Startdate X"
        date, clock = "01.01.85", "00.00.00"
    else:
        yy = start.year % 100 if 1985 <= start.year <= 2084 else 99
        date = f"{start.day:02d}.{start.month:02d}.{yy:02d}"
        clock = f"{start.hour:02d}.{start.minute:02d}.{start.second:02d}"
    return b"".join(
        [
            EDF_MAGIC if bps == 2 else BDF_MAGIC,
            format_field(patient_id if patient_id is not None else pat_default, 80, "patient_id"),
            format_field(
                recording_id if recording_id is not None else rec_default, 80, "recording_id"
            ),
            date.encode(),
            clock.encode(),
            str(256 * (n_sig + 1)).encode().ljust(8),
            format_field(reserved, 44, "reserved"),
            str(plan.n_records).encode().ljust(8),
            format_number(plan.duration_s, 8, "record_duration_s"),
            str(n_sig).encode().ljust(4),
        ]
    )


def _record_bytes(
    plan: RecordPlan, digital: list[np.ndarray], bps: int, ann_blocks: list[bytes], ann_spr: int
) -> np.ndarray:
    """Data records (n_rec, record bytes), assembled column block by column block."""
    n_rec = plan.n_records
    rec_bytes = (sum(plan.spr) + ann_spr) * bps
    buf = np.zeros((n_rec, rec_bytes), dtype=np.uint8)
    pos = 0
    for d, n in zip(digital, plan.spr, strict=True):
        if bps == 2:
            buf[:, pos : pos + 2 * n] = d.astype("<i2").view(np.uint8).reshape(n_rec, 2 * n)
        else:
            b4 = d.astype("<i4").view(np.uint8).reshape(n_rec, n, 4)
            buf[:, pos : pos + 3 * n] = b4[:, :, :3].reshape(n_rec, 3 * n)
        pos += bps * n
    for r, blk in enumerate(ann_blocks):
        buf[r, pos : pos + len(blk)] = np.frombuffer(blk, dtype=np.uint8)
    return buf
