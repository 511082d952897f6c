"""Sweeps from EDF records: one record per sweep (EDF+D) or windows cut around stimuli (EDF+C, EDF).

Every sweep keeps its stimulus offset (``t0_ms``), the fields of its stimulus annotation and whether
the stored digital values touch the digital limits (``saturated``). The sizes are checked against
the reading budgets (:mod:`ncs_emg.io.limits`) before any window is copied.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import numpy as np

from ..._validate import MAX_MAGNITUDE
from ...errors import FormatError, ParameterError
from ...types import Sweeps
from ..edf import EdfIssue, EdfRecording, EdfSignal, format_decimal
from ..limits import get_read_limits
from .stimulus import XML_NOTE_OPEN

__all__ = [
    "RawSweep",
    "CutOptions",
    "cut_options",
    "sweeps_from_records",
    "sweeps_from_continuous",
    "stack_sweeps",
    "checked_stimulus",
    "header_label",
]


@dataclass
class RawSweep:
    """One sweep before grouping: a view of the signal's stored integers (scaled when stacked)."""

    signal: EdfSignal
    data: np.ndarray  # digital values; physical = data * signal.gain + signal.offset
    t0_ms: float
    fields: dict[str, Any]
    saturated: bool
    t0_nominal_ms: float | None = None


@dataclass(frozen=True)
class CutOptions:
    """How continuous files are cut (ms) and which signal triggers."""

    pre_ms: float = 5.0
    post_ms: float = 45.0
    trigger_signal: str | None = None
    trigger_threshold: float | None = None
    site: str | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)


def cut_options(sc: Mapping[str, Any], **given: Any) -> CutOptions:
    """Options from the arguments, else the sidecar's ``cut`` block, else the defaults."""
    cut = dict(sc.get("cut", {}))
    pick = {k: given[k] if given.get(k) is not None else cut.get(k) for k in given}
    pre = float(pick["pre_ms"] if pick["pre_ms"] is not None else 5.0)
    post = float(pick["post_ms"] if pick["post_ms"] is not None else 45.0)
    if not (math.isfinite(pre) and math.isfinite(post) and 0 <= pre <= 1e6 and 0 < post <= 1e6):
        raise ParameterError(
            f"pre_ms/post_ms: need 0 <= pre_ms <= 1e6 and 0 < post_ms <= 1e6 ms, got {pre}, {post}"
        )
    return CutOptions(pre, post, pick["trigger_signal"], pick["trigger_threshold"], cut.get("site"))


def header_label(label: str) -> str:
    """``label`` as written to the 16-byte ASCII header field (non-ASCII characters become '?')."""
    return label.encode("ascii", errors="replace").decode("ascii")[:16].strip()


# ---- stimulus fields -------------------------------------------------------------------------------

# stimulus fields and the values the Study types accept: (lower bound, bound excluded)
_STIM_LIMITS = {
    "pulse_width_ms": (0.0, True),
    "intensity_ma": (0.0, False),
    "intensity_v": (0.0, False),
    "segment_length_mm": (0.0, False),
    "recording_distance_mm": (0.0, False),
}
_STIM_INTS = ("site_index", "nerve_index", "n_samples")
_STIM_SIDES = ("left", "right", "unknown")


def checked_stimulus(f: dict[str, Any], a: Any, issues: list[EdfIssue]) -> dict[str, Any]:
    """``f`` without the values the study cannot hold (each dropped value reported with its record).

    Words of the stimulus text that the parser could not interpret (``"unparsed"``) are reported
    too, so a distance written in an unexpected way is never lost silently.
    """
    out = dict(f)

    def drop(key: str, why: str) -> None:
        issues.append(
            EdfIssue(
                "annotations",
                f"{key} {repr(out[key])[:40]} in {a.text[:60]!r}",
                f"value dropped ({why}); the rest of the annotation used",
                a.record,
            )
        )
        del out[key]

    unparsed = out.pop("unparsed", None)
    if unparsed:
        issues.append(
            EdfIssue(
                "annotations",
                f"parts {[str(u)[:20] for u in unparsed][:5]} of {a.text[:60]!r} not understood",
                "ignored those parts; the rest of the stimulus text used",
                a.record,
            )
        )
    for key, (lo, strict) in _STIM_LIMITS.items():
        if out.get(key) is None:
            continue
        try:
            x = float(out[key])
        except (TypeError, ValueError, OverflowError):
            x = math.nan
        if not (math.isfinite(x) and abs(x) <= MAX_MAGNITUDE and (x > lo if strict else x >= lo)):
            drop(key, f"must be a finite number {'>' if strict else '>='} {lo:g}")
    for key in _STIM_INTS:
        v = out.get(key)
        if v is not None and (
            not isinstance(v, (int, np.integer)) or isinstance(v, bool) or not 0 <= v < 1 << 31
        ):
            drop(key, "must be an integer in [0, 2**31)")
    side = out.get("side")
    if side is not None and side not in _STIM_SIDES:
        drop("side", f"valid: {list(_STIM_SIDES)}")
    return out


# ---- EDF+D: one record per sweep -----------------------------------------------------------------


def _record_fields(entries: list, r: int, issues: list[EdfIssue]) -> tuple[Decimal, dict]:
    """Onset and merged fields of record ``r``'s stimulus (XML notes last: their fields win)."""
    on = entries[0][0].onset_exact
    f: dict[str, Any] = {}
    same = [(a, fa) for a, fa in entries if a.onset_exact == on]
    for _, fa in sorted(same, key=lambda e: XML_NOTE_OPEN in e[0].text):
        f.update(fa)
    if any(a.onset_exact != on for a, _ in entries):
        issues.append(
            EdfIssue("annotations", "several stimulus onsets in one record", "used the first", r)
        )
    return on, f


def _record_t0(rec: EdfRecording, r: int, on: Decimal, issues: list[EdfIssue]) -> float | None:
    dur = Decimal(format_decimal(rec.record_duration_s))
    off = on - rec.record_onsets_exact[r]
    if not -dur <= off <= dur:
        issues.append(
            EdfIssue(
                "annotations",
                f"stimulus at {float(on)} s lies {float(off)} s from the onset of its "
                f"record ({float(rec.record_onsets_exact[r])} s, {float(dur)} s long)",
                "record skipped: a stimulus must lie between one record duration before "
                "the record's onset and the record's end",
                r,
            )
        )
        return None
    t0 = float(-off * 1000)
    if not (math.isfinite(t0) and abs(t0) <= MAX_MAGNITUDE):
        issues.append(
            EdfIssue(
                "annotations",
                f"stimulus offset {float(off)!r} s in record {r} gives t0 = {t0!r} ms",
                "record skipped: t0_ms must be a finite number of magnitude <= 1e12",
                r,
            )
        )
        return None
    return t0


def _targets(usable: list[EdfSignal], f: dict, r: int, issues: list[EdfIssue]) -> list[EdfSignal]:
    if not f.get("signal"):
        return usable
    want = header_label(str(f["signal"]))
    targets = [s for s in usable if s.label in (f["signal"], want)]
    if not targets:
        issues.append(
            EdfIssue(
                "annotations", f"signal {str(f['signal'])[:40]!r} not found", "record skipped", r
            )
        )
    return targets


def sweeps_from_records(
    rec: EdfRecording, stims: dict[int, list], usable: list[EdfSignal], issues: list[EdfIssue]
) -> list[RawSweep]:
    """EDF+D: every record with a stimulus annotation is one sweep of each signal it concerns."""
    out: list[RawSweep] = []
    skipped = 0
    rows = {s.index: s.digital_records() for s in usable if s.samples_per_record}
    for r in range(rec.n_records):
        entries = stims.get(r)
        if not entries:
            skipped += 1
            continue
        on, f = _record_fields(entries, r, issues)
        t0 = _record_t0(rec, r, on, issues)
        if t0 is None:
            continue
        for s in _targets(usable, f, r, issues):
            if s.samples_per_record == 0:
                continue
            row = rows[s.index][r]
            n = f.get("n_samples")
            if n is not None and not 0 < int(n) <= len(row):
                issues.append(
                    EdfIssue("annotations", f"n_samples {n}", f"used all {len(row)} samples", r)
                )
                n = None
            n = len(row) if n is None else int(n)
            out.append(RawSweep(s, row[:n], t0, f, _touches_limits(s, row[:n])))
    if skipped:
        issues.append(
            EdfIssue("records", f"{skipped} records without a stimulus annotation", "not sweeps")
        )
    return out


def _touches_limits(s: EdfSignal, digital: np.ndarray) -> bool:
    """True when a stored value of the sweep equals the digital minimum or maximum."""
    return bool(np.any(digital == s.digital_min) or np.any(digital == s.digital_max))


# ---- EDF+C / EDF: windows around stimuli -----------------------------------------------------------


def _duration(rec: EdfRecording) -> Decimal:
    return Decimal(format_decimal(rec.record_duration_s))


def _onset(rec: EdfRecording, r: int) -> Decimal:
    if rec.onsets_from_tals is None:
        return _duration(rec) * r
    return rec.onsets_from_tals[r]


def _trigger_times(sig: EdfSignal, threshold: float | None, rec: EdfRecording) -> list[Decimal]:
    """Times (s after the file start) of the trigger's rising edges, through the record onsets."""
    x = sig.data
    if x.size < 2:
        return []
    thr = 0.5 * (float(x.min()) + float(x.max())) if threshold is None else float(threshold)
    idx = np.flatnonzero((x[1:] >= thr) & (x[:-1] < thr)) + 1
    lim = get_read_limits()
    if idx.size > lim.max_sweeps_per_site:
        raise FormatError(
            f"{rec.path}: trigger signal {sig.label!r}: {idx.size} rising edges, more sweeps than "
            f"the reading budget max_sweeps_per_site={lim.max_sweeps_per_site} (check "
            "trigger_threshold, or raise the budget with ncs_emg.io.limits)"
        )
    n = sig.samples_per_record
    dur = _duration(rec)
    return [_onset(rec, int(i) // n) + Decimal(int(i) % n) * dur / n for i in idx.tolist()]


def _record_segments(rec: EdfRecording) -> list[int] | None:
    """Contiguous-run number of every record (None: all contiguous, the plain-EDF case)."""
    if rec.onsets_from_tals is None:
        return None
    dur = _duration(rec)
    o = rec.onsets_from_tals
    seg, out = 0, []
    for r, on in enumerate(o):
        if r and on != o[r - 1] + dur:
            seg += 1
        out.append(seg)
    return out


def _sample_position(t: Decimal, rec: EdfRecording, spr: int) -> Decimal | None:
    """Sample position (fractional) of time ``t`` in a signal with ``spr`` samples per record.

    The record containing ``t`` is found from the actual record onsets (EDF+C files may have gaps
    although they should not); the position is that record's first sample plus the offset within it.
    None when ``t`` lies before the first record or in a gap / after the last record.
    """
    dur = _duration(rec)
    if rec.onsets_from_tals is None:
        r = int(t // dur) if t >= 0 else -1
        r = min(r, rec.n_records - 1)
    else:
        r = bisect_right(rec.onsets_from_tals, t) - 1
    if r < 0:
        return None
    off = t - _onset(rec, r)
    if off > dur:
        return None
    return r * spr + off * spr / dur


def _stimulus_times(
    rec: EdfRecording, stims: Mapping[int, list], opts: CutOptions, p: Path
) -> list[tuple[Decimal, dict]]:
    if opts.trigger_signal is not None:
        trig = rec.signal(opts.trigger_signal)
        return [(t, {}) for t in _trigger_times(trig, opts.trigger_threshold, rec)]
    return [(a.onset_exact, f) for r in sorted(stims) for a, f in stims[r]]


def _check_window_budget(p: Path, times: list, usable: list[EdfSignal], opts: CutOptions) -> None:
    lim = get_read_limits()
    per_time = sum(
        round((opts.pre_ms + opts.post_ms) * s.sfreq_hz / 1000)
        for s in usable
        if s.sfreq_hz > 0 and s.samples_per_record
    )
    total = per_time * len(times)
    if total > lim.max_samples:
        raise FormatError(
            f"{p}: {len(times)} stimuli x {per_time} samples per window = {total} samples to cut, "
            f"more than the reading budget max_samples={lim.max_samples} (ncs_emg.io.limits)"
        )


def _window(
    t: Decimal,
    s: EdfSignal,
    rec: EdfRecording,
    segments: list[int] | None,
    *,
    opts: CutOptions,
    issues: list[EdfIssue],
) -> tuple[int, int, float, Decimal] | None:
    """(first sample, length, t0_ms, position) of the window around ``t``; None = skipped."""
    n_pre = round(opts.pre_ms * s.sfreq_hz / 1000)
    n = n_pre + round(opts.post_ms * s.sfreq_hz / 1000)
    if n <= 0:
        issues.append(
            EdfIssue(
                "stimulus",
                f"at {float(t)} s: pre_ms + post_ms = {opts.pre_ms + opts.post_ms:g} ms holds "
                f"no sample of signal {s.label!r} at {s.sfreq_hz:g} Hz",
                "skipped; lengthen pre_ms/post_ms",
            )
        )
        return None
    spr = s.samples_per_record
    j = _sample_position(t, rec, spr)
    if j is None:
        issues.append(
            EdfIssue(
                "stimulus",
                f"at {float(t)} s lies in no data record (before the first, in a gap "
                "between records or after the last)",
                f"skipped for signal {s.label!r}",
            )
        )
        return None
    i0 = int(j.to_integral_value()) - n_pre
    inside = 0 <= i0 and i0 + n <= rec.n_records * spr
    if inside and segments is not None and segments[i0 // spr] != segments[(i0 + n - 1) // spr]:
        issues.append(
            EdfIssue(
                "stimulus",
                f"at {float(t)} s: the window straddles a gap between records "
                f"{i0 // spr} and {(i0 + n - 1) // spr}",
                f"skipped for signal {s.label!r}",
            )
        )
        return None
    if not inside:
        issues.append(
            EdfIssue("stimulus", f"at {float(t)} s", f"window outside signal {s.label!r}: skipped")
        )
        return None
    fs = Decimal(spr) / _duration(rec)
    return i0, n, float((Decimal(i0) - j) / fs * 1000), j


def sweeps_from_continuous(
    rec: EdfRecording,
    stims: dict[int, list],
    usable: list[EdfSignal],
    opts: CutOptions,
    issues: list[EdfIssue],
) -> list[RawSweep] | None:
    """EDF+C / EDF: windows of ``pre_ms`` + ``post_ms`` around each stimulus (None: no stimulus)."""
    p = rec.path
    onsets = rec.onsets_from_tals
    if onsets is not None and any(b < a for a, b in pairwise(onsets)):
        raise FormatError(
            f"{p}: {rec.file_type} record onsets are not increasing: stimulus times cannot be "
            "mapped to samples"
        )
    times = _stimulus_times(rec, stims, opts, p)
    if not times:
        return None
    _check_window_budget(p, times, usable, opts)
    segments = _record_segments(rec)
    out: list[RawSweep] = []
    for t, f in times:
        for s in usable:
            if not s.sfreq_hz > 0 or s.samples_per_record == 0:
                continue
            w = _window(t, s, rec, segments, opts=opts, issues=issues)
            if w is None:
                continue
            i0, n, t0, _ = w
            ff = dict(f)
            ff.setdefault("site", opts.site)
            n_pre = round(opts.pre_ms * s.sfreq_hz / 1000)
            win = s.digital[i0 : i0 + n]  # the stored integers (2 or 4 bytes a sample)
            sat = _touches_limits(s, win)
            out.append(RawSweep(s, win, t0, ff, sat, -n_pre * 1000.0 / s.sfreq_hz))
    return out


# ---- one time base per site ------------------------------------------------------------------------


def _align(
    sweeps: list[dict], where: str, issues: list[EdfIssue], t0_ref: float | None
) -> tuple[np.ndarray, int, float]:
    fs = sweeps[0]["fs"]
    dt = 1000.0 / fs
    t0s = np.array([s["t0_ms"] for s in sweeps])
    ref = t0s[0] if t0_ref is None else t0_ref
    shift = np.rint((t0s - ref) / dt).astype(np.int64)  # sweep i starts shift[i] samples late
    resid = np.abs(t0s - (ref + shift * dt))
    lead = int(shift.max())
    starts = lead - shift
    n = min(len(s["data"]) - int(st) for s, st in zip(sweeps, starts, strict=True))
    lengths = {len(s["data"]) for s in sweeps}
    if n <= 0:
        raise FormatError(f"{where}: sweeps do not overlap in time after aligning their stimuli")
    if lead or len(lengths) > 1 or np.any(starts):
        issues.append(
            EdfIssue(
                where,
                f"stimulus offsets {t0s.min():.6g}..{t0s.max():.6g} ms, lengths {sorted(lengths)}",
                f"aligned to whole samples and cut to the common {n} samples",
            )
        )
    if resid.max() > 1e-6:
        issues.append(
            EdfIssue(
                where,
                f"stimulus offsets differ by a fraction of a sample (up to {resid.max():.4g} ms)",
                "aligned to the nearest sample; one t0 per site (not resampled)",
            )
        )
    return starts, n, float(ref + lead * dt)


def stack_sweeps(
    sweeps: list[dict], where: str, issues: list[EdfIssue], t0_ref: float | None = None
) -> Sweeps:
    """Stack sweeps of one site into :class:`Sweeps` (mV), aligning stimulus offsets to whole samples.

    Each entry holds ``data`` (a view of the stored integers), ``scale`` and ``shift`` (mV =
    data × scale + shift: the signal's calibration, unit factor and any polarity flip), ``fs``,
    ``t0_ms``, ``accepted``, ``saturated`` and the stimulus fields ``f``. The stacked array is the
    only floating-point copy of the data (never resampled).
    """
    fs = sweeps[0]["fs"]
    if any(s["fs"] != fs for s in sweeps):
        raise FormatError(
            f"{where}: sweeps with different sampling rates {sorted({s['fs'] for s in sweeps})} Hz "
            "cannot form one site; split them with the sidecar or the annotation 'site'"
        )
    lim = get_read_limits()
    if len(sweeps) > lim.max_sweeps_per_site:
        raise FormatError(
            f"{where}: {len(sweeps)} sweeps, more than the reading budget max_sweeps_per_site="
            f"{lim.max_sweeps_per_site} (ncs_emg.io.limits)"
        )
    starts, n, t0 = _align(sweeps, where, issues, t0_ref)
    data = np.empty((len(sweeps), n))
    for k, (s, st) in enumerate(zip(sweeps, starts, strict=True)):
        np.multiply(s["data"][int(st) : int(st) + n], s["scale"], out=data[k])
        data[k] += s["shift"]
    data.setflags(write=False)  # handed to Sweeps without another copy

    def per_sweep(key: str) -> np.ndarray:
        vals = [s["f"].get(key) for s in sweeps]
        return np.array([np.nan if v is None else float(v) for v in vals])

    return Sweeps(
        data,
        fs,
        t0,
        np.array([s["accepted"] for s in sweeps], dtype=bool),
        stim_intensity_ma=per_sweep("intensity_ma"),
        pulse_width_ms=per_sweep("pulse_width_ms"),
        saturated=np.array([s["saturated"] for s in sweeps], dtype=bool),
    )
