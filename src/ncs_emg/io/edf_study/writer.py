"""A :class:`~ncs_emg.types.Study` → EDF+D/BDF+D: one data record per sweep.

Layout (``docs/edf.md``): one signal per sampling rate, shared by all nerves recorded at that rate
(label ``NCS <rate>Hz``, unit µV), so the file grows linearly with the data: a record holds one
sweep of one nerve in the signal of its rate (the other rates' signals are zero in it), and its
stimulus annotation carries an ``<EDF_XMLnote>`` naming the nerve (``nerve_index``), the site and the
signal. Record 0 also holds the study note (subject, date, device, source, every nerve's settings).
Files written before this layout (one signal per nerve) are read the same way.
"""

from __future__ import annotations

import datetime as _dt
import json
import re
import warnings
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

from ...errors import NcsEmgWarning, ParameterError
from ...types import Nerve, Site, Study, Sweeps
from ..atomic import check_study_texts
from ..edf import EdfSignal, RecordPlan, edfplus_startdate, format_decimal, write_records
from ..edf.tal import check_tal_text, encode_tal
from .reader import STUDY_NOTE_FORMAT
from .stimulus import make_xml_note

__all__ = ["write_edf_study"]

_XML_BAD = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")  # not allowed in XML 1.0 text


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


#: (nerve index, site index or None for F-waves, Site or None, Sweeps)
_Item = tuple[int, int | None, "Site | None", Sweeps]


def _items(study: Study) -> list[_Item]:
    """(nerve index, site index or None for F-waves, Site or None, Sweeps) in writing order."""
    items: list[_Item] = []
    for ni, n in enumerate(study.nerves):
        items += [(ni, si, s, s.sweeps) for si, s in enumerate(n.sites)]
        if n.fwaves is not None:
            items.append((ni, None, None, n.fwaves))
    if not items:
        raise ParameterError("study: no sweeps to write")
    return items


def _rate_label(rate: Decimal) -> str:
    return f"NCS {format_decimal(rate)}Hz"[:16]


def _study_note(study: Study, labels: dict[int, list[str]]) -> dict:
    return {
        "format": STUDY_NOTE_FORMAT,
        "version": "2",
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
                "signals": "|".join(labels.get(ni, [])),
            }
            for ni, n in enumerate(study.nerves)
        ],
    }


#: Provenance JSON characters per record (at least; more when the records are few).
SOURCE_PART_CHARS = 2000


def _study_notes(
    study: Study, nerve_labels: dict[int, list[str]], items: list[_Item], recs: _Records
) -> None:
    """Study fields in record 0, each nerve's settings with its first sweep, provenance in parts.

    Spreading them keeps every record's annotation small, so the file size stays linear in the
    data however many nerves or however long the provenance (one note in record 0 made every
    record as large as that note).
    """
    note = _study_note(study, nerve_labels)
    nerves = note.pop("nerves")
    source = note.pop("source_json")
    recs.tals[0].append(encode_tal(recs.onsets[0], [make_xml_note({}, note)]))
    r = 0
    for ni in range(len(study.nerves)):
        first = next((k for k, it in enumerate(items) if it[0] == ni), None)
        if first is not None:
            r = sum(items[k][3].n_sweeps for k in range(first))
        info = make_xml_note({}, {"nerves": [nerves[ni]]})
        recs.tals[r].append(encode_tal(recs.onsets[r], [info]))
    size = max(SOURCE_PART_CHARS, -(-len(source) // recs.n_rec))
    for k in range(0, max(1, -(-len(source) // size))):
        part = escape(source[k * size : (k + 1) * size])
        text = f'<EDF_XMLnote><study_source part="{k}">{part}</study_source></EDF_XMLnote>'
        recs.tals[k].append(encode_tal(recs.onsets[k], [text]))


def _stimulus_text(
    n: Nerve, site_name: str, pw: float | None, it: float | None, cum: float | None
) -> str:
    side = "" if n.side == "unknown" else n.side + " "
    text = f"Stimulus {side}{site_name}"
    if pw is not None and it is not None:
        text += f" {format_decimal(pw)}ms x {format_decimal(it)}mA"
    if cum is not None:
        text += f" at {format_decimal(Decimal(format_decimal(cum)) / 10)}cm from recording site"
    return text


def _sweep_value(values: np.ndarray | None, k: int, default: float | None) -> float | None:
    """Sweep k's value of a per-sweep array (NaN = unknown), else ``default``."""
    if values is not None and not np.isnan(values[k]):
        return float(values[k])
    return default


class _Records:
    """Buffers (one per sampling rate) and TALs of the records being written."""

    def __init__(
        self,
        study: Study,
        items: list[_Item],
        dur: Decimal,
        rates: dict[float, Decimal],
        gap_s: int,
    ) -> None:
        self.study, self.dur = study, dur
        self.n_rec = sum(sw.n_sweeps for *_, sw in items)
        self.spr = {fs: int(dur * r) for fs, r in rates.items()}
        self.labels = {fs: _rate_label(r) for fs, r in rates.items()}
        self.buffers = {fs: np.zeros((self.n_rec, n)) for fs, n in self.spr.items()}
        step = dur.to_integral_value(rounding="ROUND_CEILING") + gap_s
        self.onsets = [step * r for r in range(self.n_rec)]
        self.tals: list[list[bytes]] = [[] for _ in range(self.n_rec)]
        self.r = 0

    def add_site(self, ni: int, si: int | None, site: Site | None, sw: Sweeps) -> None:
        n = self.study.nerves[ni]
        cum = None
        if si is not None and all(s.distance_mm is not None for s in n.sites[: si + 1]):
            cum = sum(s.distance_mm for s in n.sites[: si + 1] if s.distance_mm is not None)
        site_name = site.name if site is not None else (n.sites[0].name if n.sites else "distal")
        where = f"study nerve {ni} ({n.nerve!r}) " + (
            f"site {site_name!r}" if si is not None else "F-waves"
        )
        if abs(Decimal(repr(sw.t0_ms))) > self.dur * 1000:
            raise ParameterError(
                f"{where}: t0_ms = {sw.t0_ms!r} puts the stimulus more than one record "
                f"({self.dur * 1000} ms) from the sweep; the EDF+D reader would skip it"
            )
        pw_site = site.pulse_width_ms if site is not None else None
        it_site = site.stim_intensity_ma if site is not None else None
        buf = self.buffers[sw.sfreq_hz]
        for k in range(sw.n_sweeps):
            pw = _sweep_value(sw.pulse_width_ms, k, pw_site)
            it = _sweep_value(sw.stim_intensity_ma, k, it_site)
            np.multiply(sw.data[k], 1000.0, out=buf[self.r, : sw.n_samples])
            fields = {
                "nerve_index": ni,
                "nerve": n.nerve,
                "side": n.side,
                "muscle": n.muscle,
                "kind": "fwave" if si is None else "motor",
                "signal": self.labels[sw.sfreq_hz],
                "site": site_name,
                "site_index": si,
                "segment": site.segment if site is not None else None,
                "segment_length_mm": site.distance_mm if site is not None else None,
                "recording_distance_mm": cum,
                "pulse_width_ms": pw,
                "intensity_ma": it,
                "n_samples": sw.n_samples,
                "accepted": bool(np.asarray(sw.accepted)[k]),
                "saturated": None if sw.saturated is None else bool(sw.saturated[k]),
            }
            stim = self.onsets[self.r] - Decimal(repr(sw.t0_ms)) / 1000
            text = _stimulus_text(n, site_name, pw, it, cum)
            self.tals[self.r].append(encode_tal(stim, [text, make_xml_note(fields)]))
            self.r += 1


def _prefilter(nerves: list[Nerve]) -> str:
    """``HP:..Hz LP:..Hz`` when every nerve in the signal has the same filters, else empty."""
    settings = {(n.lff_hz, n.hff_hz) for n in nerves}
    if len(settings) != 1:
        return ""
    lff, hff = settings.pop()
    parts = []
    if lff is not None:
        parts.append(f"HP:{format_decimal(lff)}Hz")
    if hff is not None:
        parts.append(f"LP:{format_decimal(hff)}Hz")
    return " ".join(parts)


def _header_text(text: str, width: int, what: str) -> str:
    """Header subfield text: ASCII, spaces → ``_``; a value that does not fit is cut and reported."""
    t = re.sub(r"\s+", "_", text.encode("ascii", errors="replace").decode("ascii").strip())
    if len(t) > width:
        warnings.warn(
            f"{what}: {text[:40]!r} is longer than the {width} characters the EDF header holds; "
            "the header has it cut, the study note keeps it exactly",
            NcsEmgWarning,
            stacklevel=4,
        )
        t = t[:width]
    return t or "X"


def _start(study: Study) -> _dt.datetime | None:
    if not study.date:
        return None
    try:
        return _dt.datetime.fromisoformat(study.date[:10])
    except ValueError:
        return None


def write_edf_study(
    study: Study, path: str | Path, *, file_type: str | None = None, gap_s: int = 1
) -> Path:
    """Write ``study`` as EDF+D (``.edf``) or BDF+D (``.bdf``): one record per sweep, atomically.

    One signal per sampling rate (unit µV) holds the sweeps of every nerve recorded at that rate; a
    record holds one sweep and a stimulus TAL at ``record onset - t0`` whose texts are the EDF+
    phrasing and an ``<EDF_XMLnote>`` with the fields the phrasing cannot carry (nerve index and
    names, segment, exact segment length, signal, sample count, accepted and saturated flags).
    Record 0 also holds a study note (subject, date, device, source, nerve-level settings). Shorter
    sweeps are zero-padded to the record and their sample count is stored. An unknown study date is
    written as EDF+'s unknown date (``Startdate X``), never invented.

    Returns
    -------
    Path

    Raises
    ------
    ParameterError
        When the study has no sweeps, a name holds characters a TAL or XML note cannot hold, or no
        record duration fits every sampling rate; nothing is written.

    Warns
    -----
    NcsEmgWarning
        When the subject id or device is longer than its header subfield (cut in the header; the
        study note keeps it exactly).
    """
    p = Path(path)
    ft = file_type or ("BDF+D" if p.suffix.lower() == ".bdf" else "EDF+D")
    if ft not in ("EDF+D", "BDF+D"):
        raise ParameterError(f"file_type: invalid value {ft!r}; valid: ['EDF+D', 'BDF+D']")
    _check_texts(study)
    items = _items(study)
    rates = {sw.sfreq_hz: Decimal(format_decimal(sw.sfreq_hz)) for *_, sw in items}
    dur = _record_duration(
        [Decimal(sw.n_samples) / rates[sw.sfreq_hz] for *_, sw in items], list(rates.values())
    )
    recs = _Records(study, items, dur, rates, gap_s)
    by_rate: dict[float, list[int]] = {}
    nerve_labels: dict[int, list[str]] = {}
    for ni, _, _, sw in items:
        if ni not in by_rate.setdefault(sw.sfreq_hz, []):
            by_rate[sw.sfreq_hz].append(ni)
        nerve_labels.setdefault(ni, [])
        if recs.labels[sw.sfreq_hz] not in nerve_labels[ni]:
            nerve_labels[ni].append(recs.labels[sw.sfreq_hz])
    _study_notes(study, nerve_labels, items, recs)
    for ni, si, site, sw in items:
        recs.add_site(ni, si, site, sw)
    sigs = [
        EdfSignal.from_data(
            recs.buffers[fs], float(rates[fs]), label=recs.labels[fs], unit="uV",
            prefilter=_prefilter([study.nerves[i] for i in by_rate[fs]]),
        )
        for fs in rates
    ]  # fmt: skip
    start = _start(study)
    subj = _header_text(study.subject_id, 80 - 6, "study subject_id")
    dev = _header_text(study.device or "", 80 - 28, "study device")
    when = edfplus_startdate(start) if start else "Startdate X"
    plan = RecordPlan(
        sigs, [recs.spr[fs] for fs in rates], recs.n_rec, dur, recs.onsets, recs.tals, ft
    )
    write_records(
        p, plan, patient_id=f"{subj} X X X", recording_id=f"{when} X X {dev}", start=start
    )
    return p


def _check_texts(study: Study) -> None:
    """ParameterError naming the field when a name cannot be written into a TAL or XML note."""
    check_study_texts(study)
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
