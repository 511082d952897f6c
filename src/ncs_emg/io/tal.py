"""EDF+ annotations: time-stamped annotation lists (TALs), stimulus texts and ``<EDF_XMLnote>``.

A TAL (EDF+ specification, section 2.2.2) is ``+onset[\\x15duration]\\x14text\\x14text...\\x14\\x00``.
The first TAL of the first annotation signal in every data record is the record's timekeeping TAL: its
first text is empty and its onset is the record's start in seconds after the file start.

This module turns annotation bytes into :class:`Annotation` objects (reporting malformed TALs as
:class:`EdfIssue` with the record index and file byte offset instead of raising), writes TALs, and
parses stimulus descriptions:

* the EDF+ specification's phrasing, ``Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording
  site`` (:func:`parse_stimulus_text`), and
* an ``<EDF_XMLnote>`` whose elements carry the stimulus and the NCS fields the plain text cannot
  (:func:`parse_xml_note`; the element names are documented in ``docs/edf.md``).

No ``eval``, no pickle; XML with a DOCTYPE or entity declaration is refused (no entity expansion).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any
from xml.sax.saxutils import escape

from .._units import to_internal_factor
from ..errors import ParameterError, UnitError

__all__ = [
    "Annotation",
    "EdfIssue",
    "parse_tal_block",
    "encode_tal",
    "format_seconds",
    "parse_stimulus_text",
    "parse_xml_note",
    "make_xml_note",
    "parse_stimulus",
    "XML_NOTE_OPEN",
    "check_tal_text",
]

XML_NOTE_OPEN = "<EDF_XMLnote>"
XML_NOTE_CLOSE = "</EDF_XMLnote>"
_ONSET_RE = re.compile(rb"^[+-][0-9]+(?:[.,][0-9]*)?$")
_DURATION_RE = re.compile(rb"^[0-9]+(?:[.,][0-9]*)?$")


@dataclass(frozen=True)
class EdfIssue:
    """Something odd found in a file and how the reader handled it.

    Attributes
    ----------
    field : str
        Header field, signal field or ``"annotations"`` / ``"data"`` the issue concerns.
    value : str
        The offending value (shortened repr).
    action : str
        What the reader did about it.
    record : int or None
        Data-record index, for annotation and data issues.
    byte_offset : int or None
        Byte offset in the file, when known.
    """

    field: str
    value: str
    action: str
    record: int | None = None
    byte_offset: int | None = None

    def __str__(self) -> str:
        where = ""
        if self.record is not None:
            where += f" (record {self.record}"
            where += f", byte {self.byte_offset})" if self.byte_offset is not None else ")"
        elif self.byte_offset is not None:
            where += f" (byte {self.byte_offset})"
        return f"{self.field}{where}: {self.value}; {self.action}"

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {
            "field": self.field,
            "value": self.value,
            "action": self.action,
            "record": self.record,
            "byte_offset": self.byte_offset,
        }


@dataclass(frozen=True)
class Annotation:
    """One EDF+ annotation.

    Attributes
    ----------
    onset_s : float, s
        Onset relative to the file start time.
    duration_s : float or None, s
        Duration, None when the TAL gives none.
    text : str
        The annotation text (UTF-8, or latin-1 when not valid UTF-8: reported in ``issues``).
    record : int
        Index of the data record whose annotation signal holds it.
    signal : int
        Index (in the file's signal list) of the annotation signal that holds it.
    onset_exact : Decimal
        The onset exactly as written, for sub-microsecond differences between onsets.
    """

    onset_s: float
    duration_s: float | None
    text: str
    record: int
    signal: int
    onset_exact: Decimal = field(default=Decimal(0), repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        """Plain-dict form for JSON."""
        return {
            "onset_s": self.onset_s,
            "duration_s": self.duration_s,
            "text": self.text,
            "record": self.record,
            "signal": self.signal,
        }


def _short(b: bytes | str, n: int = 40) -> str:
    s = repr(b[:n])
    return s + ("..." if len(b) > n else "")


def _decimal(raw: bytes) -> tuple[Decimal, bool]:
    comma = b"," in raw
    return Decimal(raw.replace(b",", b".").decode("ascii")), comma


def parse_tal_block(
    buf: bytes,
    *,
    record: int,
    signal: int,
    file_offset: int,
    timekeeping: bool,
    issues: list[EdfIssue],
) -> tuple[list[Annotation], Decimal | None]:
    """Parse the annotation bytes of one annotation signal in one data record.

    Parameters
    ----------
    buf : bytes
        The signal's bytes in that record.
    record, signal : int
        Record index and signal index (for the annotations and the issue messages).
    file_offset : int
        Byte offset of ``buf`` in the file (issues report absolute offsets).
    timekeeping : bool
        True for the first annotation signal: its first TAL is the record's timekeeping TAL.
    issues : list of EdfIssue
        Malformed TALs are appended here; parsing goes on with the next TAL.

    Returns
    -------
    annotations : list of Annotation
    record_onset : Decimal or None
        The timekeeping onset in seconds (None when not ``timekeeping`` or when missing/malformed).
    """
    out: list[Annotation] = []
    onset_rec: Decimal | None = None
    pos, n, first = 0, len(buf), True
    while pos < n:
        if buf[pos] == 0:
            pos += 1
            continue
        end = buf.find(b"\x00", pos)
        if end < 0:
            issues.append(
                EdfIssue(
                    "annotations",
                    f"TAL without its terminating NUL byte {_short(buf[pos:])}",
                    "ignored the rest of this record's annotations",
                    record,
                    file_offset + pos,
                )
            )
            break
        tal, tal_pos = buf[pos:end], pos
        pos = end + 1
        parts = tal.split(b"\x14")
        head = parts[0]
        onset_raw, dur_sep, dur_raw = head.partition(b"\x15")
        if (
            len(parts) < 2
            or not _ONSET_RE.match(onset_raw)
            or (dur_raw and not _DURATION_RE.match(dur_raw))
        ):
            issues.append(
                EdfIssue(
                    "annotations",
                    f"malformed TAL {_short(tal)}",
                    "skipped this TAL",
                    record,
                    file_offset + tal_pos,
                )
            )
            first = False
            continue
        try:
            onset, c1 = _decimal(onset_raw)
            dur, c2 = _decimal(dur_raw) if dur_raw else (None, False)
        except (InvalidOperation, UnicodeDecodeError):  # pragma: no cover - regex guards this
            first = False
            continue
        if c1 or c2:
            issues.append(
                EdfIssue(
                    "annotations",
                    f"comma decimal in TAL onset/duration {_short(head)}",
                    "read the comma as a decimal point",
                    record,
                    file_offset + tal_pos,
                )
            )
        if dur_sep and not dur_raw:
            issues.append(
                EdfIssue(
                    "annotations",
                    f"TAL duration marker 0x15 without a duration {_short(tal)}",
                    "read as an annotation without duration",
                    record,
                    file_offset + tal_pos,
                )
            )
        if parts[-1] != b"":
            issues.append(
                EdfIssue(
                    "annotations",
                    f"TAL does not end with 0x14 {_short(tal)}",
                    "kept its texts",
                    record,
                    file_offset + tal_pos,
                )
            )
        texts = parts[1:-1] if parts[-1] == b"" else parts[1:]
        if timekeeping and first:
            if texts and texts[0] == b"":
                onset_rec = onset
                texts = texts[1:]
            else:
                issues.append(
                    EdfIssue(
                        "annotations",
                        f"first TAL is not a timekeeping TAL {_short(tal)}",
                        "record onset derived from the previous record",
                        record,
                        file_offset + tal_pos,
                    )
                )
        first = False
        onset_f = float(onset)
        dur_f = None if dur is None else float(dur)
        if not math.isfinite(onset_f) or (dur_f is not None and not math.isfinite(dur_f)):
            issues.append(
                EdfIssue(
                    "annotations",
                    f"onset/duration out of range {_short(head)}",
                    "skipped this TAL",
                    record,
                    file_offset + tal_pos,
                )
            )
            continue
        for t in texts:
            if not t:
                continue
            try:
                text = t.decode("utf-8")
            except UnicodeDecodeError:
                text = t.decode("latin-1")
                issues.append(
                    EdfIssue(
                        "annotations",
                        f"text is not UTF-8 {_short(t)}",
                        "decoded as latin-1",
                        record,
                        file_offset + tal_pos,
                    )
                )
            out.append(Annotation(onset_f, dur_f, text, record, signal, onset))
    if timekeeping and first:
        issues.append(
            EdfIssue(
                "annotations",
                "no timekeeping TAL",
                "record onset derived from the previous record",
                record,
                file_offset,
            )
        )
    return out, onset_rec


def format_seconds(x: float | Decimal, *, signed: bool = True) -> str:
    """Shortest decimal text that reads back as ``x`` (no exponent), with a sign for TAL onsets."""
    d = x if isinstance(x, Decimal) else Decimal(repr(float(x)))
    s = format(d.normalize(), "f")
    if "." in s:
        s = s.rstrip("0").rstrip(".")
    if s in ("-0", ""):
        s = "0"
    if signed and not s.startswith("-"):
        s = "+" + s
    return s


def encode_tal(
    onset_s: float | Decimal,
    texts: list[str],
    *,
    duration_s: float | None = None,
    timekeeping: bool = False,
    what: str = "annotation text",
) -> bytes:
    """One TAL as bytes (UTF-8 texts); ``timekeeping`` puts the empty first text of a record TAL.

    Raises
    ------
    ParameterError
        When a text contains a TAL control character (NUL, 0x14 or 0x15); ``what`` names the field
        in the message.
    """
    head = format_seconds(onset_s)
    if duration_s is not None:
        head += "\x15" + format_seconds(duration_s, signed=False)
    body = ([""] if timekeeping else []) + list(texts)
    for t in texts:
        check_tal_text(t, what)
    return (head + "\x14" + "".join(t + "\x14" for t in body) + ("" if body else "\x14")).encode(
        "utf-8"
    ) + b"\x00"


def check_tal_text(text: str, what: str) -> str:
    """``text`` unchanged, or ParameterError naming ``what`` when it holds a TAL control character.

    NUL ends a TAL, 0x14 separates its texts and 0x15 starts its duration (EDF+ section 2.2.2), so
    none of them can be written inside an annotation text.
    """
    bad = sorted({f"0x{ord(c):02x}" for c in text if c in "\x00\x14\x15"})
    if bad:
        raise ParameterError(
            f"{what}: {text[:60]!r} contains the TAL control character(s) {', '.join(bad)}, "
            "which EDF+ annotations cannot hold; remove them"
        )
    return text


# ---- stimulus descriptions -------------------------------------------------------------------

_NUM = r"(\d+(?:[.,]\d+)?|[.,]\d+)"
_STIM_RE = re.compile(r"^\s*stim(?:ulus|ulation)?\b[\s:,;-]*(?P<rest>.*)$", re.I | re.S)
_DIST_RE = re.compile(rf"\bat\s*{_NUM}\s*(mm|cm|m)\b", re.I)
_PW_RE = re.compile(rf"{_NUM}\s*(ms|us|µs|μs)\b", re.I)
_INT_RE = re.compile(rf"{_NUM}\s*(mA|uA|µA|μA|A|V|mV)(?![a-zA-Z])")
_SIDES = {"left": "left", "right": "right", "l": "left", "r": "right"}


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def parse_stimulus_text(text: str) -> dict[str, Any] | None:
    """Parse the EDF+ specification's stimulus phrasing.

    ``"Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording site"`` →
    ``{"side": "right", "site": "wrist", "pulse_width_ms": 0.2, "intensity_ma": 8.2,
    "recording_distance_mm": 65.0}``. Every part after the word ``Stimulus`` (or ``Stim``,
    ``Stimulation``) is optional; units are converted (µs → ms, µA → mA, cm/m → mm). A voltage
    intensity (``V``) is kept as ``intensity_v``, never converted to mA.

    Parameters
    ----------
    text : str
        One annotation text.

    Returns
    -------
    dict or None
        None when the text is not a stimulus annotation.

    Examples
    --------
    >>> parse_stimulus_text("Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording site")["site"]
    'wrist'
    """
    m = _STIM_RE.match(text)
    if m is None:
        return None
    rest = m.group("rest")
    out: dict[str, Any] = {}
    cut = len(rest)
    d = _DIST_RE.search(rest)
    if d:
        out["recording_distance_mm"] = _num(d.group(1)) * to_internal_factor(d.group(2), "length")
        cut = min(cut, d.start())
    pw = _PW_RE.search(rest)
    if pw:
        out["pulse_width_ms"] = _num(pw.group(1)) * to_internal_factor(pw.group(2), "time")
        cut = min(cut, pw.start())
    it = _INT_RE.search(rest)
    if it:
        unit = it.group(2)
        if unit in ("V", "mV"):
            out["intensity_v"] = _num(it.group(1)) * (1e-3 if unit == "mV" else 1.0)
        else:
            out["intensity_ma"] = _num(it.group(1)) * to_internal_factor(unit, "current")
        cut = min(cut, it.start())
    words = rest[:cut].strip(" \t,;:-").split()
    if words and words[0].lower() in _SIDES:
        out["side"] = _SIDES[words[0].lower()]
        words = words[1:]
    if words:
        out["site"] = " ".join(words)
    return out


# element name (lower case) -> (output key, quantity or type, default unit)
_XML_FIELDS: dict[str, tuple[str, str, str | None]] = {
    "site": ("site", "str", None),
    "position": ("site", "str", None),
    "side": ("side", "str", None),
    "nerve": ("nerve", "str", None),
    "muscle": ("muscle", "str", None),
    "segment": ("segment", "str", None),
    "kind": ("kind", "str", None),
    "signal": ("signal", "str", None),
    "site_index": ("site_index", "int", None),
    "nerve_index": ("nerve_index", "int", None),
    "n_samples": ("n_samples", "int", None),
    "accepted": ("accepted", "bool", None),
    "pulse_width": ("pulse_width_ms", "time", "ms"),
    "duration": ("pulse_width_ms", "time", "ms"),
    "intensity": ("intensity_ma", "current", "mA"),
    "current": ("intensity_ma", "current", "mA"),
    "segment_length": ("segment_length_mm", "length", "mm"),
    "distance": ("recording_distance_mm", "length", "mm"),
    "recording_distance": ("recording_distance_mm", "length", "mm"),
}


def parse_xml_note(text: str) -> dict[str, Any]:
    """Fields of an ``<EDF_XMLnote>`` annotation (empty dict when ``text`` holds none).

    Leaf elements are matched by name, case-insensitively, at any depth: ``site``/``position``,
    ``side``, ``nerve``, ``muscle``, ``segment``, ``kind``, ``signal``, ``site_index``, ``n_samples``,
    ``accepted``, ``pulse_width``/``duration`` (``unit`` attribute, default ms),
    ``intensity``/``current`` (default mA), ``segment_length`` (default mm) and
    ``distance``/``recording_distance`` (stimulation to recording site, default mm). A ``study``
    element's attributes and children are returned under ``"study"`` as strings.

    Raises
    ------
    ValueError
        When the XML is malformed, declares a DOCTYPE/entities, or a number or unit is invalid (the
        study reader reports it as an issue).
    """
    import xml.etree.ElementTree as ET

    start = text.find(XML_NOTE_OPEN)
    if start < 0:
        return {}
    stop = text.find(XML_NOTE_CLOSE, start)
    if stop < 0:
        raise ValueError("EDF_XMLnote without its closing tag")
    frag = text[start : stop + len(XML_NOTE_CLOSE)]
    if "<!" in frag:
        raise ValueError("EDF_XMLnote with a DOCTYPE/ENTITY/CDATA declaration is refused")
    try:
        root = ET.fromstring(frag)
    except ET.ParseError as exc:
        raise ValueError(f"malformed EDF_XMLnote ({exc})") from exc
    out: dict[str, Any] = {}
    for el in root.iter():
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if tag == "study":
            study: dict[str, Any] = dict(el.attrib)
            nerves = []
            for ch in el:
                if ch.tag.lower() == "nerve_info":
                    nerves.append(dict(ch.attrib))
                else:
                    study[ch.tag] = ch.text or ""
            study["nerves"] = nerves
            out["study"] = study
            continue
        if tag not in _XML_FIELDS or len(el) or el is root:
            continue
        key, kind, default_unit = _XML_FIELDS[tag]
        val = (el.text or "").strip()
        if kind == "str":
            out[key] = val
        elif kind == "int":
            out[key] = int(val)
        elif kind == "bool":
            if val.lower() not in ("0", "1", "true", "false", "yes", "no"):
                raise ValueError(f"EDF_XMLnote <{el.tag}>: expected 0/1, got {val!r}")
            out[key] = val.lower() in ("1", "true", "yes")
        else:
            unit = el.attrib.get("unit", default_unit)
            try:
                factor = to_internal_factor(unit, kind, where=f"EDF_XMLnote <{el.tag}> unit")
            except UnitError as exc:
                raise ValueError(str(exc)) from exc
            v = _num(val) * factor
            if not math.isfinite(v):
                raise ValueError(f"EDF_XMLnote <{el.tag}>: not a finite number {val!r}")
            out[key] = v
    return out


def make_xml_note(fields: Mapping[str, Any], study: Mapping[str, Any] | None = None) -> str:
    """An ``<EDF_XMLnote>`` with ncs_emg's element names (inverse of :func:`parse_xml_note`)."""
    units = {
        "pulse_width_ms": ("pulse_width", "ms"),
        "intensity_ma": ("intensity", "mA"),
        "segment_length_mm": ("segment_length", "mm"),
        "recording_distance_mm": ("recording_distance", "mm"),
    }
    parts = [XML_NOTE_OPEN]
    if study is not None:
        attrs = "".join(
            f' {k}="{escape(str(v), {chr(34): "&quot;"})}"'
            for k, v in study.items()
            if k != "nerves" and v is not None
        )
        parts.append(f"<study{attrs}>")
        for nd in study.get("nerves", ()):
            a = "".join(
                f' {k}="{escape(str(v), {chr(34): "&quot;"})}"'
                for k, v in nd.items()
                if v is not None
            )
            parts.append(f"<nerve_info{a}/>")
        parts.append("</study>")
    for k, v in fields.items():
        if v is None:
            continue
        if k in units:
            tag, unit = units[k]
            parts.append(f'<{tag} unit="{unit}">{format_seconds(v, signed=False)}</{tag}>')
        elif isinstance(v, bool):
            parts.append(f"<{k}>{int(v)}</{k}>")
        else:
            parts.append(f"<{k}>{escape(str(v))}</{k}>")
    parts.append(XML_NOTE_CLOSE)
    return "".join(parts)


def parse_stimulus(text: str) -> dict[str, Any] | None:
    """Default annotation parser: the stimulus phrasing and/or an ``<EDF_XMLnote>``.

    Returns the merged fields (XML wins where both give a field), or None when the text is neither a
    stimulus text nor an XML note with stimulus fields. Raises ``ValueError`` for a malformed XML note.
    """
    fields = parse_stimulus_text(text) if not text.lstrip().startswith("<") else None
    xml = parse_xml_note(text) if XML_NOTE_OPEN in text else {}
    xml.pop("study", None)
    if fields is None and not xml:
        return None
    merged = dict(fields or {})
    merged.update(xml)
    return merged
