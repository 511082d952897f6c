"""EDF/EDF+/BDF → :class:`~ncs_emg.types.Study` (``docs/edf.md`` has the full convention).

* **EDF+D / BDF+D**: one data record is one sweep. The record's stimulus annotation gives the
  stimulus time, ``t0_ms = -(stimulus onset - record onset) * 1000``, and its text the site, side,
  pulse width, intensity and distance (EDF+ phrasing and/or ``<EDF_XMLnote>``).
* **EDF+C / EDF**: sweeps are cut around each stimulus (annotations or a trigger signal).
* Channels stay distinct: sweeps are grouped into nerves by the XML ``nerve_index`` of files
  written by ncs_emg, otherwise one nerve per signal. Side, nerve and muscle come from the sidecar,
  else the annotation, else the study note, else the label (anatomy table, reported as an issue).
* Precedence for every field: sidecar > annotation (XML over text) > study note > header/label.

The steps: :func:`read_edf_study` → ``_stimulus_annotations`` → ``_usable_signals`` → sweeps
(:mod:`.cutting`) → ``_group_sweeps`` → ``_make_nerve`` → ``_study``.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..._units import to_internal_factor
from ...errors import FormatError, NcsEmgError, ParameterError
from ...types import Nerve, Site, Study
from ..edf import Annotation, EdfIssue, EdfRecording, EdfSignal, read_edf
from .cutting import (
    RawSweep,
    checked_stimulus,
    cut_options,
    stack_sweeps,
    sweeps_from_continuous,
    sweeps_from_records,
)
from .labels import infer_from_label
from .sidecar import load_sidecar
from .stimulus import XML_NOTE_OPEN, parse_stimulus, parse_xml_note

__all__ = ["read_edf_study", "STUDY_NOTE_FORMAT"]

STUDY_NOTE_FORMAT = "ncs_emg-edf+d"
_INFO_KEYS = ("nerve", "side", "muscle", "kind", "lff_hz", "hff_hz", "temperature_c")


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
        Sidecar JSON (schema in ``docs/edf.md``); ``"auto"`` uses ``<file name>.json`` beside the
        file when it exists.
    annotation_parser : callable, optional
        ``text -> dict | None``: the stimulus fields of an annotation text (keys ``site``, ``side``,
        ``nerve``, ``muscle``, ``segment``, ``kind``, ``signal``, ``nerve_index``, ``site_index``,
        ``n_samples``, ``accepted``, ``pulse_width_ms``, ``intensity_ma``, ``segment_length_mm``,
        ``recording_distance_mm``) or None for a non-stimulus annotation. Default:
        :func:`ncs_emg.io.edf_study.stimulus.parse_stimulus`. A ``ValueError`` it raises is
        reported as an issue.
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
        every issue found (``source["issues"]``).

    Raises
    ------
    FormatError
        For unreadable files, no stimulus to define sweeps, an uncalibrated signal mapped to a nerve,
        an invalid sidecar, a file over a reading budget, or a value the study cannot hold (the
        message names the file and the field).
    UnitError
        When a mapped signal's physical dimension is not a voltage unit.
    """
    rec = read_edf(path)
    sc = load_sidecar(sidecar, rec.path)
    issues: list[EdfIssue] = list(rec.issues)
    n_file = len(issues)  # what follows is the study mapping's
    opts = cut_options(
        sc,
        pre_ms=pre_ms,
        post_ms=post_ms,
        trigger_signal=trigger_signal,
        trigger_threshold=trigger_threshold,
    )
    note, stims = _stimulus_annotations(rec, annotation_parser or parse_stimulus, issues)
    usable = _usable_signals(rec, sc, opts.trigger_signal, issues)
    if rec.is_continuous:
        raw = sweeps_from_continuous(rec, stims, usable, opts, issues)
        if raw is None:
            raise _no_sweeps(
                rec.path,
                f"{rec.file_type} file without stimulus annotations or trigger: cannot cut "
                "sweeps (name the trigger signal: trigger_signal=... in Python, --trigger LABEL on the "
                "command line; or use an EDF+D file with one sweep per record)",
                issues,
                n_file,
            )
    else:
        raw = sweeps_from_records(rec, stims, usable, issues)
    try:
        return _assemble(
            rec, sc, note, raw, display_polarity=display_polarity, issues=issues, n_file=n_file
        )
    except FormatError:
        raise
    except ParameterError as exc:  # a value the study types refuse: name the file
        raise FormatError(f"{rec.path}: {exc}") from exc


# ---- annotations and signals -----------------------------------------------------------------------


def _stimulus_annotations(
    rec: EdfRecording, parser: Callable[[str], Any], issues: list[EdfIssue]
) -> tuple[dict[str, Any], dict[int, list[tuple[Any, dict]]]]:
    """The study note (ncs_emg files) and the accepted stimulus fields of every record."""
    note: dict[str, Any] = {}
    source_parts: dict[int, str] = {}
    stims: dict[int, list[tuple[Any, dict]]] = {}
    for a in rec.annotations:
        if XML_NOTE_OPEN in a.text and "<study" in a.text:
            _merge_study_note(note, source_parts, a, issues)
        try:
            f = parser(a.text)
        except (ValueError, RecursionError, NcsEmgError) as exc:
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
        stims.setdefault(a.record, []).append((a, checked_stimulus(dict(f), a, issues)))
    if source_parts:
        note["source_json"] = "".join(source_parts[k] for k in sorted(source_parts))
    return note, stims


def _merge_study_note(
    note: dict, source_parts: dict[int, str], a: Annotation, issues: list[EdfIssue]
) -> None:
    """Add one study-note annotation: the study fields, nerve settings and provenance parts.

    ncs_emg writes the study fields in record 0, each nerve's settings with its first sweep and the
    provenance JSON in parts over the first records (so no record holds all of it); files of
    earlier versions hold everything in one note of record 0.
    """
    try:
        parsed = parse_xml_note(a.text)
    except (ValueError, RecursionError) as exc:
        issues.append(EdfIssue("annotations", f"study note: {exc}", "ignored", a.record))
        return
    study = parsed.get("study")
    if study is not None:
        nerves = study.pop("nerves", [])
        for k, v in study.items():
            note.setdefault(k, v)
        note.setdefault("nerves", []).extend(nerves)
    for part, text in parsed.get("study_source", []):
        source_parts.setdefault(part, text)


def _usable_signals(
    rec: EdfRecording, sc: dict, trigger: str | None, issues: list[EdfIssue]
) -> list[EdfSignal]:
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
        if s.label != trigger and sig_cfg.get(s.label, {}).get("include", True)
    ]
    if not usable:
        raise FormatError(f"{rec.path}: no signal left to map to a nerve (signals: {labels})")
    return usable


def _no_sweeps(p: Path, why: str, issues: list[EdfIssue], n_file: int) -> FormatError:
    """A FormatError that shows the issues explaining why no sweep could be formed."""
    mapping = issues[n_file:]  # issues of the study mapping first: they usually explain it
    shown = (mapping + issues[:n_file])[:3]
    msg = f"{p}: {why}"
    if issues:
        msg += f"; {len(issues)} issue(s), first: " + " | ".join(str(i) for i in shown)
    return FormatError(msg)


# ---- grouping into nerves and sites ------------------------------------------------------------------


def _note_nerves(note: dict) -> dict[int, dict]:
    out = {}
    for nd in note.get("nerves", []):
        try:
            out[int(nd.get("index", -1))] = nd
        except (TypeError, ValueError):
            continue
    return out


def _nerve_info(s: EdfSignal, cfg: dict, f: dict, nd: dict, issues: list[EdfIssue]) -> dict:
    """Nerve fields by precedence: sidecar > annotation > study note > label (reported)."""
    info: dict[str, Any] = {}
    for k in _INFO_KEYS:
        v = cfg.get(k)
        if v is None and k in ("nerve", "side", "muscle"):
            v = f.get(k)
        if v is None:
            v = nd.get(k)
        info[k] = v
    if any(info[k] is None for k in ("nerve", "side", "muscle")):
        guess = infer_from_label(s.label)
        used = [k for k, v in guess.to_dict().items() if info[k] is None]
        for k in used:
            info[k] = getattr(guess, k)
        if used:
            notes = [n for n in guess.inferred if n.split(" ")[0] in used]
            issues.append(
                EdfIssue(
                    f"signal {s.index} ({s.label!r})",
                    "; ".join(notes),
                    "inferred from the label (a sidecar entry overrides it)",
                )
            )
    return info


class _Grouping:
    """Sweeps sorted into nerves (dict entries with info, sites, F-waves and polarity)."""

    def __init__(
        self,
        rec: EdfRecording,
        sc: dict,
        note: dict,
        display_polarity: bool | None,
        issues: list[EdfIssue],
    ) -> None:
        self.rec, self.sc, self.issues = rec, sc, issues
        self.note_nerves = _note_nerves(note)
        self.display_polarity = display_polarity
        self.nerves: dict[Any, dict[str, Any]] = {}
        self.conversions: dict[str, str] = {}
        self.flipped: list[str] = []
        self.info_cache: dict[Any, dict] = {}

    def factor(self, s: EdfSignal) -> tuple[float, bool]:
        p = self.rec.path
        if not s.calibrated:
            raise FormatError(
                f"{p}: signal {s.index} ({s.label!r}) is uncalibrated (zero physical or digital "
                "range): exclude it with the sidecar (signals.<label>.include = false)"
            )
        factor = to_internal_factor(
            s.unit, "voltage", where=f"{p}: signal {s.index} ({s.label!r}) physical dimension"
        )
        self.conversions[s.label] = f"{s.unit} -> mV x {factor:g}"
        cfg = self.sc.get("signals", {}).get(s.label, {})
        flip = self.display_polarity
        if flip is None:
            flip = bool(cfg.get("display_polarity", self.sc.get("display_polarity", False)))
        if flip and s.label not in self.flipped:
            self.flipped.append(s.label)
        return (-factor if flip else factor), flip

    def entry(self, w: RawSweep) -> dict[str, Any]:
        s, f = w.signal, w.fields
        ni = f.get("nerve_index")
        nd = self.note_nerves.get(ni, {}) if ni is not None else {}
        key: Any = ("index", ni) if ni is not None and nd else ("signal", s.index)
        if key not in self.nerves:
            cfg = self.sc.get("signals", {}).get(s.label, {})
            info = _nerve_info(s, cfg, f, nd, self.issues)
            if not info["nerve"]:
                info["nerve"] = s.label
            self.nerves[key] = {"info": info, "sites": {}, "fwaves": [], "flip": False, "nd": nd}
        return self.nerves[key]

    def add(self, w: RawSweep) -> None:
        s, f = w.signal, w.fields
        factor, flip = self.factor(s)
        entry = self.entry(w)
        nd = entry["nd"]
        entry["flip"] = entry["flip"] or flip or nd.get("polarity_flipped") in ("1", "True")
        _filters_from_prefilter(entry["info"], s.prefilter)
        sweep = {
            "data": w.data,
            "scale": s.gain * factor,
            "shift": s.offset * factor,
            "fs": s.sfreq_hz,
            "t0_ms": w.t0_ms,
            "accepted": bool(f.get("accepted", True)),
            "saturated": w.saturated or bool(f.get("saturated", False)),
            "f": f,
            "t0_nominal": w.t0_nominal_ms,
        }
        if f.get("kind") == "fwave":
            entry["fwaves"].append(sweep)
        else:
            entry["sites"].setdefault(f.get("site") or "stimulus", []).append(sweep)


def _filters_from_prefilter(info: dict, prefilter: str) -> None:
    if not prefilter:
        return
    for key, tag in (("lff_hz", "HP"), ("hff_hz", "LP")):
        if info.get(key) is None:
            m = re.search(tag + r":\s*([\d.]{1,20})\s*Hz", prefilter, re.I)
            if m:
                try:
                    info[key] = float(m.group(1))
                except ValueError:
                    continue


def _site_entries(label: str, entry: dict, site_cfg: dict, issues: list[EdfIssue]) -> list[dict]:
    sites = []
    for fname, sws in entry["sites"].items():
        f0 = sws[0]["f"]
        cfg = site_cfg.get(fname, {})
        name = cfg.get("name") or fname
        sw = stack_sweeps(sws, f"{label} site {name!r}", issues, sws[0]["t0_nominal"])
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
    return sites


def _order_sites(sites: list[dict], order: list[str]) -> None:
    """site_index when every site has one, else the sidecar's order, else recording distance."""
    if sites and all(s["index"] is not None for s in sites):
        sites.sort(key=lambda s: s["index"])
    elif order:
        rank = {n: i for i, n in enumerate(order)}
        sites.sort(key=lambda s: rank.get(s["name"], len(order)))
    elif sites and all(s["rec_dist"] is not None for s in sites):
        sites.sort(key=lambda s: s["rec_dist"])


def _site_objects(label: str, sites: list[dict], issues: list[EdfIssue]) -> list[Site]:
    out = []
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
        out.append(Site(s["name"], s["sweeps"], dist, s["segment"], s["intensity"], s["pw"]))
    return out


def _make_nerve(entry: dict, sc: dict, issues: list[EdfIssue]) -> Nerve:
    info = entry["info"]
    label = f"nerve {info['nerve']!r}"
    sites = _site_entries(label, entry, sc.get("sites", {}), issues)
    _order_sites(sites, sc.get("site_order", []))
    site_objs = _site_objects(label, sites, issues)
    fw = stack_sweeps(entry["fwaves"], f"{label} F-waves", issues) if entry["fwaves"] else None
    kind = info.get("kind") or ("motor" if site_objs or fw is None else "fwave")
    if kind == "motor" and not site_objs and fw is not None:
        kind = "fwave"
    return Nerve(
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


# ---- the study -----------------------------------------------------------------------------------


def _report_unused_sidecar(
    sc: dict, g: _Grouping, nerves: list[Nerve], issues: list[EdfIssue]
) -> None:
    seen_sites = {s.name for n in nerves for s in n.sites}
    seen_file_sites = {fname for e in g.nerves.values() for fname in e["sites"]}
    for name in sc.get("sites", {}):
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


def _report_same_labels(nerves: list[Nerve], issues: list[EdfIssue]) -> None:
    seen: dict[str, int] = {}
    for n in nerves:
        seen[n.label] = seen.get(n.label, 0) + 1
    for lab, k in seen.items():
        if k > 1:
            issues.append(
                EdfIssue(
                    "signals",
                    f"{k} signals map to nerve {lab!r}",
                    "kept as separate nerves (name them in a sidecar to tell them apart)",
                )
            )


def _subject_device(rec: EdfRecording, sc: dict, note: dict) -> tuple[str, str | None]:
    subject = sc.get("subject_id") or note.get("subject_id")
    if not subject:
        code = rec.header.patient_id.split(" ")[0] if rec.file_type[3:] else ""
        subject = code if code and code != "X" else "anonymous"
    device = sc.get("device") or note.get("device")
    if not device and rec.header.recording_id.startswith("Startdate"):
        parts = rec.header.recording_id.split(" ")
        device = parts[4].replace("_", " ") if len(parts) > 4 and parts[4] != "X" else None
    return str(subject), device


def _assemble(
    rec: EdfRecording,
    sc: dict,
    note: dict,
    raw: list[RawSweep],
    *,
    display_polarity: bool | None,
    issues: list[EdfIssue],
    n_file: int,
) -> Study:
    g = _Grouping(rec, sc, note, display_polarity, issues)
    for w in raw:
        g.add(w)
    nerves = [_make_nerve(entry, sc, issues) for entry in g.nerves.values()]
    if not nerves:
        raise _no_sweeps(
            rec.path,
            "no sweep found (no stimulus annotation or trigger gave a usable sweep)",
            issues,
            n_file,
        )
    _report_unused_sidecar(sc, g, nerves, issues)
    _report_same_labels(nerves, issues)
    subject, device = _subject_device(rec, sc, note)
    source: dict[str, Any] = {
        "file": str(rec.path),
        "format": rec.file_type,
        "reader": "ncs_emg.io.edf_study",
        "sidecar": sc.get("_source"),
        "conversions": g.conversions,
        "polarity_flipped_signals": g.flipped,
    }
    if note.get("source_json"):
        try:
            source["written_source"] = json.loads(note["source_json"])
        except (ValueError, RecursionError):
            issues.append(EdfIssue("study note", "source_json is not readable JSON", "ignored"))
    source["issues"] = [str(i) for i in issues]
    start = rec.header.start
    if rec.header.recording_id.startswith("Startdate X"):  # EDF+: the date is unknown
        start = None
    return Study(
        tuple(nerves),
        subject_id=subject,
        date=sc.get("date") or note.get("date") or (start.date().isoformat() if start else None),
        device=device,
        source=source,
    )
