"""EDF/EDF+/BDF ↔ :class:`~ncs_emg.types.Study`: the NCS mapping, the sidecar JSON and the EDF+D writer.

Reading (``docs/edf.md`` has the full convention)
-------------------------------------------------
* **EDF+D / BDF+D**: one data record is one sweep. The record's stimulus annotation (the first
  annotation in the record that the annotation parser accepts) gives the stimulus time, and
  ``t0_ms = -(stimulus onset - record onset) * 1000``. Its text gives site, side, pulse width,
  intensity and distance (EDF+ phrasing and/or ``<EDF_XMLnote>``); an XML ``signal`` element limits
  the sweep to that signal, otherwise every ordinary signal contributes a sweep from the record.
* **EDF+C / EDF**: sweeps are cut around each stimulus (``pre_ms`` before, ``post_ms`` after), the
  stimuli coming from stimulus annotations or from rising edges of a trigger signal.
* Signals map to nerves (by the XML ``nerve_index``, else by nerve/side/muscle, else one nerve per
  signal); sweeps with the same site name form one :class:`~ncs_emg.types.Site`.
* Precedence for every field: sidecar > annotation (XML over text) > the file's study note > header.
* Voltages are converted to mV once; an unknown unit is a :class:`~ncs_emg.errors.UnitError` naming the
  signal. Display-polarity exports (sidecar or ``display_polarity=True``) are flipped once and the
  nerve records ``polarity_flipped``.

Sidecar JSON (all keys optional; unknown keys are a FormatError)::

    {"subject_id": "s01", "date": "2026-11-25", "device": "...", "display_polarity": false,
     "signals": {"<EDF label>": {"nerve": "median", "side": "right", "muscle": "APB",
                                 "kind": "motor", "lff_hz": 2, "hff_hz": 10000,
                                 "temperature_c": 33, "display_polarity": false, "include": true}},
     "sites": {"<site in the file>": {"name": "wrist", "distance_mm": 70, "segment": "distal",
                                      "recording_distance_mm": 70}},
     "site_order": ["wrist", "elbow"],
     "cut": {"pre_ms": 5, "post_ms": 45, "trigger_signal": "Trigger", "trigger_threshold": 0.5,
             "site": "wrist"}}
"""

from __future__ import annotations

import datetime as _dt
import json
import math
import os
import re
from bisect import bisect_right
from collections.abc import Callable, Mapping
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np

from .._units import to_internal_factor
from ..errors import FormatError, NcsEmgError, ParameterError
from ..types import Nerve, Site, Study, Sweeps
from .edf import EdfRecording, EdfSignal, edfplus_startdate, format_decimal, read_edf, write_records
from .tal import (
    XML_NOTE_OPEN,
    EdfIssue,
    check_tal_text,
    encode_tal,
    make_xml_note,
    parse_stimulus,
    parse_xml_note,
)

__all__ = ["read_edf_study", "write_edf_study", "load_sidecar", "SIDECAR_KEYS", "STUDY_NOTE_FORMAT"]

STUDY_NOTE_FORMAT = "ncs_emg-edf+d"
_STR, _NUM, _BOOL = (str,), (int, float), (bool,)
SIDECAR_KEYS: dict[str, Any] = {
    "subject_id": _STR,
    "date": _STR,
    "device": _STR,
    "display_polarity": _BOOL,
    "signals": {
        "nerve": _STR,
        "side": _STR,
        "muscle": _STR,
        "kind": _STR,
        "lff_hz": _NUM,
        "hff_hz": _NUM,
        "temperature_c": _NUM,
        "display_polarity": _BOOL,
        "include": _BOOL,
    },
    "sites": {"name": _STR, "distance_mm": _NUM, "segment": _STR, "recording_distance_mm": _NUM},
    "site_order": list,
    "cut": {
        "pre_ms": _NUM,
        "post_ms": _NUM,
        "trigger_signal": _STR,
        "trigger_threshold": _NUM,
        "site": _STR,
    },
}
_NERVES = ("median", "ulnar", "peroneal", "fibular", "tibial", "radial", "musculocutaneous",
           "axillary", "femoral", "sural", "facial", "accessory", "phrenic")  # fmt: skip


# ---- sidecar -------------------------------------------------------------------------------------


def _check_fields(d: Any, schema: dict, where: str) -> dict:
    if not isinstance(d, dict):
        raise FormatError(f"{where}: expected a JSON object, got {type(d).__name__}")
    for k, v in d.items():
        if k not in schema:
            raise FormatError(f"{where}: unknown key {k!r}; valid keys: {sorted(schema)}")
        t = schema[k]
        if isinstance(t, tuple):
            ok = isinstance(v, t) and not (t is _NUM and isinstance(v, bool))
            if v is not None and not ok:
                raise FormatError(f"{where}.{k}: expected {t[0].__name__}, got {v!r}")
    return d


def load_sidecar(sidecar: Any, edf_path: Path | None = None) -> dict[str, Any]:
    """Load and validate a sidecar (path, dict, None, or ``"auto"`` = ``<file>.json`` if present).

    Raises
    ------
    FormatError
        When the file is not JSON or a key/type does not match the schema (message names the key).
    """
    if sidecar is None:
        return {}
    src = "sidecar"
    if isinstance(sidecar, str) and sidecar == "auto":
        if edf_path is None:
            return {}
        cand = edf_path.with_name(edf_path.name + ".json")
        if not cand.is_file():
            return {}
        sidecar = cand
    if isinstance(sidecar, (str, os.PathLike)):
        src = str(sidecar)
        try:
            text = Path(sidecar).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise FormatError(f"sidecar {src}: cannot be read ({exc})") from exc
        try:
            sidecar = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FormatError(
                f"sidecar {src}: not valid JSON ({exc.msg}, line {exc.lineno})"
            ) from exc
    if not isinstance(sidecar, Mapping):
        raise FormatError(f"{src}: expected a JSON object, got {type(sidecar).__name__}")
    sc = dict(sidecar)
    top = {k: v for k, v in SIDECAR_KEYS.items()}
    _check_fields(sc, {k: (v if isinstance(v, tuple) else object) for k, v in top.items()}, src)
    for key in ("signals", "sites"):
        block = sc.get(key, {})
        if not isinstance(block, dict):
            raise FormatError(f"{src}.{key}: expected an object keyed by name")
        for name, entry in block.items():
            _check_fields(entry, SIDECAR_KEYS[key], f"{src}.{key}[{name!r}]")
    _check_fields(sc.get("cut", {}), SIDECAR_KEYS["cut"], f"{src}.cut")
    order = sc.get("site_order", [])
    if not isinstance(order, list) or not all(isinstance(x, str) for x in order):
        raise FormatError(f"{src}.site_order: expected a list of site names, got {order!r}")
    sc["_source"] = src
    return sc


# ---- reading -------------------------------------------------------------------------------------


def _guess_from_label(label: str) -> dict[str, Any]:
    words = re.split(r"[\s_\-/]+", label.lower())
    out: dict[str, Any] = {}
    for w in words:
        if w in _NERVES:
            out["nerve"] = w
        elif w in ("l", "left", "lt"):
            out["side"] = "left"
        elif w in ("r", "right", "rt"):
            out["side"] = "right"
    return out


def _sweep_value(values: np.ndarray | None, k: int, default: float | None) -> float | None:
    """Sweep k's value of a per-sweep array (NaN = unknown), else ``default``."""
    if values is not None and not np.isnan(values[k]):
        return float(values[k])
    return default


def _stack(
    sweeps: list[dict], where: str, issues: list[EdfIssue], t0_ref: float | None = None
) -> Sweeps:
    """Stack sweeps of one site, aligning their stimulus offsets to whole samples (never resampled)."""
    fs = sweeps[0]["fs"]
    if any(s["fs"] != fs for s in sweeps):
        raise FormatError(
            f"{where}: sweeps with different sampling rates {sorted({s['fs'] for s in sweeps})} Hz "
            "cannot form one site; split them with the sidecar or the annotation 'site'"
        )
    dt = 1000.0 / fs
    t0s = np.array([s["t0_ms"] for s in sweeps])
    ref = t0s[0] if t0_ref is None else t0_ref
    shift = np.rint((t0s - ref) / dt).astype(np.int64)  # sweep i starts shift[i] samples late
    resid = np.abs(t0s - (ref + shift * dt))
    lead = int(shift.max())
    starts = lead - shift
    n = min(len(s["data"]) - int(st) for s, st in zip(sweeps, starts))
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
    data = np.stack([s["data"][int(st) : int(st) + n] for s, st in zip(sweeps, starts)])
    acc = np.array([s["accepted"] for s in sweeps], dtype=bool)

    def per_sweep(key: str) -> np.ndarray:
        vals = [s["f"].get(key) if "f" in s else None for s in sweeps]
        return np.array([np.nan if v is None else float(v) for v in vals])

    return Sweeps(
        data,
        fs,
        float(ref + lead * dt),
        acc,
        stim_intensity_ma=per_sweep("intensity_ma"),
        pulse_width_ms=per_sweep("pulse_width_ms"),
    )


def _trigger_times(sig: EdfSignal, threshold: float | None, rec: EdfRecording) -> list[Decimal]:
    """Times (s after the file start) of the trigger's rising edges, through the record onsets."""
    x = sig.data
    if x.size < 2:
        return []
    thr = 0.5 * (float(x.min()) + float(x.max())) if threshold is None else float(threshold)
    idx = np.flatnonzero((x[1:] >= thr) & (x[:-1] < thr)) + 1
    n = sig.samples_per_record
    dur = _exact_duration(rec)
    return [
        rec.record_onsets_exact[int(i) // n] + Decimal(int(i) % n) * dur / n for i in idx.tolist()
    ]


def _exact_duration(rec: EdfRecording) -> Decimal:
    return Decimal(format_decimal(rec.record_duration_s))


def _record_segments(rec: EdfRecording) -> list[int]:
    """Contiguous-run number of every record (a new run starts wherever a gap or overlap is)."""
    dur = _exact_duration(rec)
    seg, out = 0, []
    for r, on in enumerate(rec.record_onsets_exact):
        if r and on != rec.record_onsets_exact[r - 1] + dur:
            seg += 1
        out.append(seg)
    return out


def _sample_position(t: Decimal, rec: EdfRecording, spr: int) -> Decimal | None:
    """Sample position (fractional) of time ``t`` in a signal with ``spr`` samples per record.

    The record containing ``t`` is found from the actual record onsets (EDF+C files may have gaps
    although they should not); the position is that record's first sample plus the offset within it.
    None when ``t`` lies before the first record or in a gap / after the last record.
    """
    r = bisect_right(rec.record_onsets_exact, t) - 1
    if r < 0:
        return None
    dur = _exact_duration(rec)
    off = t - rec.record_onsets_exact[r]
    if off > dur:
        return None
    return r * spr + off * spr / dur


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


def _checked_stimulus(f: dict[str, Any], a: Any, issues: list[EdfIssue]) -> dict[str, Any]:
    """``f`` without the values the study cannot hold (each dropped value reported with its record)."""
    out = dict(f)

    def drop(key: str, why: str) -> None:
        issues.append(
            EdfIssue(
                "annotations",
                f"{key} {out[key]!r} in {a.text[:60]!r}",
                f"value dropped ({why}); the rest of the annotation used",
                a.record,
            )
        )
        del out[key]

    for key, (lo, strict) in _STIM_LIMITS.items():
        if out.get(key) is None:
            continue
        try:
            x = float(out[key])
        except (TypeError, ValueError, OverflowError):
            x = math.nan
        if not (math.isfinite(x) and (x > lo if strict else x >= lo)):
            drop(key, f"must be a finite number {'>' if strict else '>='} {lo:g}")
    for key in _STIM_INTS:
        v = out.get(key)
        if v is not None and (not isinstance(v, (int, np.integer)) or isinstance(v, bool)):
            drop(key, "must be an integer")
    side = out.get("side")
    if side is not None and side not in _STIM_SIDES:
        drop("side", f"valid: {list(_STIM_SIDES)}")
    return out


def _no_sweeps(p: Path, why: str, issues: list[EdfIssue], n_file: int) -> FormatError:
    """A FormatError that shows the issues explaining why no sweep could be formed."""
    mapping = issues[n_file:]  # issues of the study mapping first: they usually explain it
    shown = (mapping + issues[:n_file])[:3]
    msg = f"{p}: {why}"
    if issues:
        msg += f"; {len(issues)} issue(s), first: " + " | ".join(str(i) for i in shown)
    return FormatError(msg)


def read_edf_study(
    path: str | os.PathLike,
    *,
    sidecar: Any = "auto",
    annotation_parser: Callable[[str], Mapping[str, Any] | None] | None = None,
    display_polarity: bool | None = None,
    pre_ms: float | None = None,
    post_ms: float | None = None,
    trigger_signal: str | None = None,
    trigger_threshold: float | None = None,
) -> Study:
    """Read an EDF/EDF+/BDF file as a :class:`~ncs_emg.types.Study`.

    Parameters
    ----------
    path : str or path-like
    sidecar : path, dict, None or "auto"
        Sidecar JSON (schema in the module docstring and ``docs/edf.md``); ``"auto"`` uses
        ``<file name>.json`` beside the file when it exists.
    annotation_parser : callable, optional
        ``text -> dict | None``: the stimulus fields of an annotation text (keys ``site``, ``side``,
        ``nerve``, ``muscle``, ``segment``, ``kind``, ``signal``, ``nerve_index``, ``site_index``,
        ``n_samples``, ``accepted``, ``pulse_width_ms``, ``intensity_ma``, ``segment_length_mm``,
        ``recording_distance_mm``) or None for a non-stimulus annotation. Default:
        :func:`ncs_emg.io.tal.parse_stimulus`. A ``ValueError`` it raises is reported as an issue.
    display_polarity : bool, optional
        True: the file is in display polarity (negative up); every voltage is flipped once.
    pre_ms, post_ms : float, ms, optional
        Continuous files: window cut before and after each stimulus (default 5 and 45 ms).
    trigger_signal : str, optional
        Continuous files: label of a trigger signal whose rising edges are the stimuli.
    trigger_threshold : float, optional
        Trigger level in the trigger signal's unit (default: midway between its min and max).

    Returns
    -------
    Study
        ``source`` holds the provenance: file, format, reader, sidecar, unit conversions, flips and
        every issue found.

    Raises
    ------
    FormatError
        For unreadable files, no stimulus to define sweeps, an uncalibrated signal mapped to a nerve,
        or an invalid sidecar.
    UnitError
        When a mapped signal's physical dimension is not a voltage unit.
    """
    rec = read_edf(path)
    p = rec.path
    sc = load_sidecar(sidecar, p)
    issues: list[EdfIssue] = list(rec.issues)
    n_file_issues = len(issues)  # what follows is the study mapping's
    parser = annotation_parser or parse_stimulus
    cut = dict(sc.get("cut", {}))
    pre_ms = float(pre_ms if pre_ms is not None else cut.get("pre_ms", 5.0))
    post_ms = float(post_ms if post_ms is not None else cut.get("post_ms", 45.0))
    if not (math.isfinite(pre_ms) and math.isfinite(post_ms) and pre_ms >= 0 and post_ms > 0):
        raise ParameterError(
            f"pre_ms/post_ms: need pre_ms >= 0 and post_ms > 0, got {pre_ms}, {post_ms}"
        )
    trigger_signal = trigger_signal or cut.get("trigger_signal")
    trigger_threshold = (
        trigger_threshold if trigger_threshold is not None else cut.get("trigger_threshold")
    )

    # study note (written by write_edf_study) and stimulus annotations
    note: dict[str, Any] = {}
    stims: dict[int, list[tuple[Any, dict]]] = {}
    for a in rec.annotations:
        if XML_NOTE_OPEN in a.text and "<study" in a.text and not note:
            try:
                note = parse_xml_note(a.text).get("study", {})
            except ValueError as exc:
                issues.append(EdfIssue("annotations", f"study note: {exc}", "ignored", a.record))
        try:
            f = parser(a.text)
        except (ValueError, NcsEmgError) as exc:
            issues.append(
                EdfIssue(
                    "annotations", f"{a.text[:60]!r}: {exc}", "ignored this annotation", a.record
                )
            )
            continue
        if f is None:
            continue
        if not isinstance(f, Mapping):
            raise ParameterError(
                f"annotation_parser: must return a dict or None, got {type(f).__name__}"
            )
        stims.setdefault(a.record, []).append((a, _checked_stimulus(dict(f), a, issues)))
    note_nerves = {}
    for nd in note.get("nerves", []):
        try:
            note_nerves[int(nd.get("index", -1))] = nd
        except ValueError:
            continue

    sig_cfg = sc.get("signals", {})
    labels = [s.label for s in rec.signals]
    for name in sig_cfg:
        if name not in labels:
            issues.append(
                EdfIssue(
                    f"sidecar signals[{name!r}]",
                    f"no signal with this label; labels: {labels}",
                    "entry ignored",
                )
            )
    usable = [
        s
        for s in rec.signals
        if s.label != trigger_signal and sig_cfg.get(s.label, {}).get("include", True)
    ]
    if not usable:
        raise FormatError(
            f"{p}: no signal left to map to a nerve (signals: {[s.label for s in rec.signals]})"
        )

    # ---- raw sweeps: (signal, data in file unit view, t0_ms, fields, accepted)
    raw_sweeps: list[tuple[EdfSignal, np.ndarray, float, dict]] = []
    dur = _exact_duration(rec)
    if not rec.is_continuous:
        skipped = 0
        for r in range(rec.n_records):
            entries = stims.get(r)
            if not entries:
                skipped += 1
                continue
            on = entries[0][0].onset_exact
            f: dict[str, Any] = {}
            same = [(a, fa) for a, fa in entries if a.onset_exact == on]
            for _, fa in sorted(same, key=lambda e: XML_NOTE_OPEN in e[0].text):
                f.update(fa)  # XML notes last: their fields win over the plain phrasing
            if any(a.onset_exact != on for a, _ in entries):
                issues.append(
                    EdfIssue(
                        "annotations", "several stimulus onsets in one record", "used the first", r
                    )
                )
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
                continue
            t0 = float(-off * 1000)
            targets = usable
            if f.get("signal"):
                want = _header_label(str(f["signal"]))
                targets = [s for s in usable if s.label in (f["signal"], want)]
                if not targets:
                    issues.append(
                        EdfIssue(
                            "annotations", f"signal {f['signal']!r} not found", "record skipped", r
                        )
                    )
            for s in targets:
                if s.samples_per_record == 0:
                    continue
                row = s.records()[r]
                n = f.get("n_samples")
                if n is not None:
                    if not 0 < int(n) <= len(row):
                        issues.append(
                            EdfIssue(
                                "annotations", f"n_samples {n}", f"used all {len(row)} samples", r
                            )
                        )
                    else:
                        row = row[: int(n)]
                raw_sweeps.append((s, row, t0, f))
        if skipped:
            issues.append(
                EdfIssue(
                    "records", f"{skipped} records without a stimulus annotation", "not sweeps"
                )
            )
    else:
        if any(b < a for a, b in zip(rec.record_onsets_exact, rec.record_onsets_exact[1:])):
            raise FormatError(
                f"{p}: {rec.file_type} record onsets are not increasing: stimulus times cannot be "
                "mapped to samples"
            )
        segments = _record_segments(rec)
        if trigger_signal is not None:
            trig = rec.signal(trigger_signal)
            times = [(t, {}) for t in _trigger_times(trig, trigger_threshold, rec)]
        else:
            times = [(a.onset_exact, f) for r in sorted(stims) for a, f in stims[r]]
        if not times:
            raise _no_sweeps(
                p,
                f"{rec.file_type} file without stimulus annotations or trigger: cannot cut "
                "sweeps (pass trigger_signal=..., or use an EDF+D file with one sweep per record)",
                issues,
                n_file_issues,
            )
        for t, f in times:
            for s in usable:
                if not s.sfreq_hz > 0 or s.samples_per_record == 0:
                    continue
                n_pre = round(pre_ms * s.sfreq_hz / 1000)
                n = n_pre + round(post_ms * s.sfreq_hz / 1000)
                if n <= 0:
                    issues.append(
                        EdfIssue(
                            "stimulus",
                            f"at {float(t)} s: pre_ms + post_ms = {pre_ms + post_ms:g} ms holds "
                            f"no sample of signal {s.label!r} at {s.sfreq_hz:g} Hz",
                            "skipped; lengthen pre_ms/post_ms",
                        )
                    )
                    continue
                fs = Decimal(s.samples_per_record) / dur
                j = _sample_position(t, rec, s.samples_per_record)
                if j is None:
                    issues.append(
                        EdfIssue(
                            "stimulus",
                            f"at {float(t)} s lies in no data record (before the first, in a gap "
                            "between records or after the last)",
                            f"skipped for signal {s.label!r}",
                        )
                    )
                    continue
                i0 = int(j.to_integral_value()) - n_pre
                spr = s.samples_per_record
                if (
                    0 <= i0
                    and i0 + n <= s.data.size
                    and segments[i0 // spr] != segments[(i0 + n - 1) // spr]
                ):
                    issues.append(
                        EdfIssue(
                            "stimulus",
                            f"at {float(t)} s: the window straddles a gap between records "
                            f"{i0 // spr} and {(i0 + n - 1) // spr}",
                            f"skipped for signal {s.label!r}",
                        )
                    )
                    continue
                if i0 < 0 or i0 + n > s.data.size:
                    issues.append(
                        EdfIssue(
                            "stimulus",
                            f"at {float(t)} s",
                            f"window outside signal {s.label!r}: skipped",
                        )
                    )
                    continue
                t0 = float((Decimal(i0) - j) / fs * 1000)
                ff = dict(f)
                ff.setdefault("site", cut.get("site"))
                ff["_t0_nominal"] = -n_pre * 1000.0 / s.sfreq_hz
                raw_sweeps.append((s, s.data[i0 : i0 + n], t0, ff))

    # ---- group into nerves and sites
    conversions: dict[str, str] = {}
    flipped: list[str] = []
    nerves: dict[Any, dict[str, Any]] = {}
    site_cfg = sc.get("sites", {})
    for s, row, t0, f in raw_sweeps:
        cfg = sig_cfg.get(s.label, {})
        if not s.calibrated:
            raise FormatError(
                f"{p}: signal {s.index} ({s.label!r}) is uncalibrated (zero physical or digital "
                "range): exclude it with the sidecar (signals.<label>.include = false)"
            )
        factor = to_internal_factor(
            s.unit, "voltage", where=f"{p}: signal {s.index} ({s.label!r}) physical dimension"
        )
        conversions[s.label] = f"{s.unit} -> mV x {factor:g}"
        ni = f.get("nerve_index")
        nd = note_nerves.get(ni, {}) if ni is not None else {}
        guess = _guess_from_label(s.label)
        info = {}
        for k in ("nerve", "side", "muscle", "kind", "lff_hz", "hff_hz", "temperature_c"):
            v = cfg.get(k)
            if v is None and k in ("nerve", "side", "muscle"):
                v = f.get(k)
            if v is None:
                v = nd.get(k)
            if v is None:
                v = guess.get(k)
            info[k] = v
        if ni is not None and nd:
            key: Any = ("index", ni)
        elif info["nerve"]:
            key = ("name", info["nerve"], info["side"], info["muscle"])
        else:
            key = ("label", s.label)
            info["nerve"] = s.label
        flip = display_polarity
        if flip is None:
            flip = bool(cfg.get("display_polarity", sc.get("display_polarity", False)))
        data = row * (-factor if flip else factor)
        if flip and s.label not in flipped:
            flipped.append(s.label)
        entry = nerves.setdefault(key, {"info": info, "sites": {}, "fwaves": [], "flip": False})
        entry["flip"] = entry["flip"] or flip or nd.get("polarity_flipped") in ("1", "True")
        if entry["info"].get("lff_hz") is None and s.prefilter:
            m = re.search(r"HP:\s*([\d.]+)\s*Hz", s.prefilter, re.I)
            if m:
                entry["info"]["lff_hz"] = float(m.group(1))
        if entry["info"].get("hff_hz") is None and s.prefilter:
            m = re.search(r"LP:\s*([\d.]+)\s*Hz", s.prefilter, re.I)
            if m:
                entry["info"]["hff_hz"] = float(m.group(1))
        sweep = {
            "data": data,
            "fs": s.sfreq_hz,
            "t0_ms": t0,
            "accepted": bool(f.get("accepted", True)),
            "f": f,
        }
        if f.get("kind") == "fwave":
            entry["fwaves"].append(sweep)
            continue
        name = f.get("site") or "stimulus"
        entry["sites"].setdefault(name, []).append(sweep)

    out_nerves = []
    for entry in nerves.values():
        info = entry["info"]
        label = f"nerve {info['nerve']!r}"
        sites = []
        for fname, sws in entry["sites"].items():
            f0 = sws[0]["f"]
            cfg = site_cfg.get(fname, {})
            name = cfg.get("name") or fname
            where = f"{label} site {name!r}"
            sw = _stack(sws, where, issues, sws[0]["f"].get("_t0_nominal"))
            ints = [x["f"]["intensity_ma"] for x in sws if x["f"].get("intensity_ma") is not None]
            sites.append(
                {
                    "name": name,
                    "sweeps": sw,
                    "index": f0.get("site_index"),
                    "seg_len": cfg.get("distance_mm", f0.get("segment_length_mm")),
                    "rec_dist": cfg.get("recording_distance_mm", f0.get("recording_distance_mm")),
                    "segment": cfg.get("segment", f0.get("segment")),
                    "intensity": max(ints) if ints else None,
                    "pw": f0.get("pulse_width_ms"),
                }
            )
        order = sc.get("site_order", [])
        if sites and all(s["index"] is not None for s in sites):
            sites.sort(key=lambda s: s["index"])
        elif order:
            rank = {n: i for i, n in enumerate(order)}
            sites.sort(key=lambda s: rank.get(s["name"], len(order)))
        elif sites and all(s["rec_dist"] is not None for s in sites):
            sites.sort(key=lambda s: s["rec_dist"])
        site_objs = []
        for k, s in enumerate(sites):
            dist = s["seg_len"]
            if dist is None and s["rec_dist"] is not None:
                if k == 0:
                    dist = s["rec_dist"]
                elif sites[k - 1]["rec_dist"] is not None:
                    dist = s["rec_dist"] - sites[k - 1]["rec_dist"]
                    if dist < 0:
                        issues.append(
                            EdfIssue(
                                f"{label} site {s['name']!r}", f"distance {dist} mm", "left unknown"
                            )
                        )
                        dist = None
            site_objs.append(
                Site(s["name"], s["sweeps"], dist, s["segment"], s["intensity"], s["pw"])
            )
        fw = _stack(entry["fwaves"], f"{label} F-waves", issues) if entry["fwaves"] else None
        kind = info.get("kind") or ("motor" if site_objs or fw is None else "fwave")
        if kind == "motor" and not site_objs and fw is not None:
            kind = "fwave"
        try:
            out_nerves.append(
                Nerve(
                    nerve=info["nerve"],
                    side=info.get("side") or "unknown",
                    muscle=info.get("muscle") or None,
                    kind=kind,
                    sites=tuple(site_objs),
                    fwaves=fw,
                    lff_hz=info.get("lff_hz"),
                    hff_hz=info.get("hff_hz"),
                    temperature_c=info.get("temperature_c"),
                    polarity_flipped=entry["flip"],
                )
            )
        except ParameterError as exc:
            raise FormatError(f"{p}: {exc}") from exc
    if not out_nerves:
        raise _no_sweeps(
            p,
            "no sweep found (no stimulus annotation or trigger gave a usable sweep)",
            issues,
            n_file_issues,
        )
    seen_sites = {s.name for n in out_nerves for s in n.sites}
    seen_file_sites = {fname for e in nerves.values() for fname in e["sites"]}
    for name in site_cfg:
        if name not in seen_file_sites:
            issues.append(
                EdfIssue(
                    f"sidecar sites[{name!r}]",
                    f"no site with this name in the file; sites: {sorted(seen_file_sites)}",
                    "entry ignored",
                )
            )
    for name in sc.get("site_order", []):
        if name not in seen_sites:
            issues.append(
                EdfIssue(
                    "sidecar site_order",
                    f"{name!r} names no site; sites: {sorted(seen_sites)}",
                    "entry ignored",
                )
            )

    start = rec.header.start
    subject = sc.get("subject_id") or note.get("subject_id")
    if not subject:
        code = rec.header.patient_id.split(" ")[0] if rec.file_type[3:] else ""
        subject = code if code and code != "X" else "anonymous"
    device = sc.get("device") or note.get("device")
    if not device and rec.header.recording_id.startswith("Startdate"):
        parts = rec.header.recording_id.split(" ")
        device = parts[4].replace("_", " ") if len(parts) > 4 and parts[4] != "X" else None
    source: dict[str, Any] = {
        "file": str(p),
        "format": rec.file_type,
        "reader": "ncs_emg.io.edf",
        "sidecar": sc.get("_source"),
        "conversions": conversions,
        "polarity_flipped_signals": flipped,
    }
    if note.get("source_json"):
        try:
            source["written_source"] = json.loads(note["source_json"])
        except json.JSONDecodeError:
            issues.append(EdfIssue("study note", "source_json is not JSON", "ignored"))
    source["issues"] = [str(i) for i in issues]
    return Study(
        tuple(out_nerves),
        subject_id=str(subject),
        date=sc.get("date") or note.get("date") or (start.date().isoformat() if start else None),
        device=device,
        source=source,
    )


# ---- writing -------------------------------------------------------------------------------------


def _record_duration(durs: list[Decimal], rates: list[Decimal]) -> Decimal:
    need = max(durs)
    for q in (Decimal(10) ** -k for k in range(6, -1, -1)):
        d = (need / q).to_integral_value(rounding="ROUND_CEILING") * q
        if len(format_decimal(d)) <= 8 and all(
            (d * r) == (d * r).to_integral_value() for r in rates
        ):
            return d
    raise ParameterError(
        f"study: no record duration <= 8 characters holds a whole number of samples at every "
        f"sampling rate {sorted({float(r) for r in rates})} Hz"
    )


def write_edf_study(
    study: Study, path: str | os.PathLike, *, file_type: str | None = None, gap_s: int = 1
) -> Path:
    """Write ``study`` as EDF+D (``.edf``) or BDF+D (``.bdf``): one record per sweep.

    Every nerve gets one signal per sampling rate (unit µV); a record holds one sweep of one signal
    (the other signals are zero in it) and a stimulus TAL at ``record onset - t0`` whose texts are
    the EDF+ phrasing and an ``<EDF_XMLnote>`` with the fields the phrasing cannot carry (nerve,
    muscle, segment, exact segment length, signal, sample count, accepted flag). Record 0 also holds a
    study note (subject, date, device, source, nerve-level settings). Shorter sweeps are zero-padded
    to the record and their sample count is stored. ``docs/edf.md`` documents the convention.

    Raises
    ------
    ParameterError
        When the study has no sweeps or no record duration fits every sampling rate.
    """
    p = Path(path)
    ft = file_type or ("BDF+D" if p.suffix.lower() == ".bdf" else "EDF+D")
    if ft not in ("EDF+D", "BDF+D"):
        raise ParameterError(f"file_type: invalid value {ft!r}; valid: ['EDF+D', 'BDF+D']")
    _check_texts(study)
    labels: dict[tuple[int, float], str] = {}
    items = []  # (nerve index, site index or None, Site or None, Sweeps)
    for ni, n in enumerate(study.nerves):
        groups = [(si, s, s.sweeps) for si, s in enumerate(n.sites)]
        if n.fwaves is not None:
            groups.append((None, None, n.fwaves))
        for si, s, sw in groups:
            key = (ni, sw.sfreq_hz)
            if key not in labels:
                k = sum(1 for kk in labels if kk[0] == ni)
                base = f"{n.nerve} {n.muscle or ''}".strip()
                lab = (f"{ni + 1} {base}"[:13] + (f" /{k}" if k else ""))[:16].strip()
                labels[key] = _header_label(lab)  # the XML note stores it exactly as written
            items.append((ni, si, s, sw))
    if not items:
        raise ParameterError("study: no sweeps to write")
    rates = {k: Decimal(format_decimal(k[1])) for k in labels}
    dur = _record_duration(
        [Decimal(sw.n_samples) / rates[(ni, sw.sfreq_hz)] for ni, _, _, sw in items],
        list(rates.values()),
    )
    spr = {k: int(dur * r) for k, r in rates.items()}
    n_rec = sum(sw.n_sweeps for *_, sw in items)
    buffers = {k: np.zeros((n_rec, spr[k])) for k in labels}
    step = dur.to_integral_value(rounding="ROUND_CEILING") + gap_s
    onsets = [step * r for r in range(n_rec)]
    tals: list[list[bytes]] = [[] for _ in range(n_rec)]
    nerve_signals: dict[int, list[str]] = {}
    for (ni, _), lab in labels.items():
        nerve_signals.setdefault(ni, []).append(lab)
    study_note = {
        "format": STUDY_NOTE_FORMAT,
        "version": "1",
        "subject_id": study.subject_id,
        "date": study.date,
        "device": study.device,
        "source_json": json.dumps(study.source, sort_keys=True, default=str),
        "nerves": [
            {
                "index": ni,
                "nerve": n.nerve,
                "side": n.side,
                "muscle": n.muscle,
                "kind": n.kind,
                "lff_hz": n.lff_hz,
                "hff_hz": n.hff_hz,
                "temperature_c": n.temperature_c,
                "polarity_flipped": int(n.polarity_flipped),
                "signals": "|".join(nerve_signals.get(ni, [])),
            }
            for ni, n in enumerate(study.nerves)
        ],
    }
    tals[0].append(encode_tal(onsets[0], [make_xml_note({}, study_note)]))
    r = 0
    for ni, si, site, sw in items:
        n = study.nerves[ni]
        key = (ni, sw.sfreq_hz)
        cum = None
        if si is not None and all(s.distance_mm is not None for s in n.sites[: si + 1]):
            cum = sum(s.distance_mm for s in n.sites[: si + 1])
        site_name = site.name if site is not None else (n.sites[0].name if n.sites else "distal")
        side = "" if n.side == "unknown" else n.side + " "
        pw_site = site.pulse_width_ms if site is not None else None
        it_site = site.stim_intensity_ma if site is not None else None
        where = ""
        if cum is not None:
            where = f" at {format_decimal(Decimal(format_decimal(cum)) / 10)}cm from recording site"
        for k in range(sw.n_sweeps):
            # per-sweep stimulus parameters when the sweeps carry them, else the site's
            pw = _sweep_value(sw.pulse_width_ms, k, pw_site)
            it = _sweep_value(sw.stim_intensity_ma, k, it_site)
            text = f"Stimulus {side}{site_name}"
            if pw is not None and it is not None:
                text += f" {format_decimal(pw)}ms x {format_decimal(it)}mA"
            text += where
            buffers[key][r, : sw.n_samples] = sw.data[k] * 1000.0
            fields = {
                "nerve_index": ni,
                "nerve": n.nerve,
                "side": n.side,
                "muscle": n.muscle,
                "kind": "fwave" if si is None else "motor",
                "signal": labels[key],
                "site": site_name,
                "site_index": si,
                "segment": site.segment if site is not None else None,
                "segment_length_mm": site.distance_mm if site is not None else None,
                "recording_distance_mm": cum,
                "pulse_width_ms": pw,
                "intensity_ma": it,
                "n_samples": sw.n_samples,
                "accepted": bool(sw.accepted[k]),
            }
            if abs(Decimal(repr(sw.t0_ms))) > dur * 1000:
                raise ParameterError(
                    f"study nerve {ni} ({n.nerve!r}) {'site ' + repr(site_name) if si is not None else 'F-waves'}: "
                    f"t0_ms = {sw.t0_ms!r} puts the stimulus more than one record ({dur * 1000} ms) "
                    "from the sweep; the EDF+D reader would skip it"
                )
            stim = onsets[r] - Decimal(repr(sw.t0_ms)) / 1000
            tals[r].append(encode_tal(stim, [text, make_xml_note(fields)]))
            r += 1
    sigs = [
        EdfSignal.from_data(
            buffers[k],
            float(rates[k]),
            label=lab,
            unit="uV",
            transducer="",
            prefilter=_prefilter(study.nerves[k[0]]),
        )
        for k, lab in labels.items()
    ]
    start = None
    if study.date:
        try:
            start = _dt.datetime.fromisoformat(study.date[:10])
        except ValueError:
            start = None
    # header text is ASCII (EDF section 2.1); the study note keeps the exact names
    subj = re.sub(r"\s+", "_", _ascii(study.subject_id).strip()) or "X"
    dev = re.sub(r"\s+", "_", _ascii(study.device or "").strip()) or "X"
    pat = f"{subj} X X X"[:80]
    recid = f"{edfplus_startdate(start or _dt.datetime(2000, 1, 1))} X X {dev}"[:80]
    write_records(
        p, sigs, [spr[k] for k in labels], n_rec, dur, onsets, tals, ft, pat, recid, start
    )
    return p


def _ascii(text: str) -> str:
    return text.encode("ascii", errors="replace").decode("ascii")


def _header_label(label: str) -> str:
    """``label`` as written to the 16-byte ASCII header field (non-ASCII characters become '?')."""
    return _ascii(label)[:16].strip()


_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 text


def _check_texts(study: Study) -> None:
    """ParameterError naming the field when a name cannot be written into a TAL or XML note."""
    fields = [("study subject_id", study.subject_id), ("study device", study.device or "")]
    for ni, n in enumerate(study.nerves):
        where = f"study nerve {ni}"
        fields += [(f"{where} nerve", n.nerve), (f"{where} muscle", n.muscle or "")]
        for si, s in enumerate(n.sites):
            fields += [
                (f"{where} site {si} name", s.name),
                (f"{where} site {si} segment", s.segment or ""),
            ]
    for what, text in fields:
        check_tal_text(text, what)
        m = _XML_BAD.search(text)
        if m:
            raise ParameterError(
                f"{what}: {text[:60]!r} contains the control character 0x{ord(m.group()):02x}, "
                "which an EDF_XMLnote cannot hold; remove it"
            )


def _prefilter(n: Nerve) -> str:
    parts = []
    if n.lff_hz is not None:
        parts.append(f"HP:{format_decimal(n.lff_hz)}Hz")
    if n.hff_hz is not None:
        parts.append(f"LP:{format_decimal(n.hff_hz)}Hz")
    return " ".join(parts)
