"""Stimulus descriptions in EDF+ annotations: the EDF+ phrasing and ``<EDF_XMLnote>`` elements.

* the EDF+ specification's phrasing, ``Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording
  site`` (:func:`parse_stimulus_text`), and
* an ``<EDF_XMLnote>`` whose elements carry the stimulus and the NCS fields the plain text cannot
  (:func:`parse_xml_note`; the element names are documented in ``docs/edf.md``).

Parsing runs in time linear in the text (no nested quantifier can restart inside a digit run) and
texts longer than :data:`MAX_STIMULUS_TEXT` characters are refused with a ``ValueError`` that the
study reader reports as an issue. No ``eval``, no pickle; XML with a DOCTYPE or entity declaration
is refused (no entity expansion).
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from xml.sax.saxutils import escape

from ..._units import to_internal_factor
from ...errors import UnitError
from ..edf.tal import format_seconds

if TYPE_CHECKING:
    from xml.etree.ElementTree import Element

__all__ = [
    "parse_stimulus_text",
    "parse_xml_note",
    "make_xml_note",
    "parse_stimulus",
    "XML_NOTE_OPEN",
    "XML_NOTE_CLOSE",
    "MAX_STIMULUS_TEXT",
    "UNPARSED_KEY",
]

XML_NOTE_OPEN = "<EDF_XMLnote>"
XML_NOTE_CLOSE = "</EDF_XMLnote>"
#: Longest stimulus phrasing (characters) that is parsed; longer texts are reported, not parsed.
MAX_STIMULUS_TEXT = 1000
#: Key under which :func:`parse_stimulus_text` returns the words it could not interpret.
UNPARSED_KEY = "unparsed"

_STIM_RE = re.compile(r"\s*stim(?:ulus|ulation)?\b[\s:,;-]*", re.I)
# a number with its unit; the look-behind keeps a match from starting inside a digit run, so the
# scan is linear in the text length
_QUANTITY_RE = re.compile(
    r"(?<![\w.,])(?P<num>\d+(?:[.,]\d+)?|[.,]\d+)\s*"
    r"(?P<unit>mm|cm|ms|us|µs|μs|ma|ua|µa|μa|mv|m|a|v)(?![a-zA-Zµμ])",
    re.I,
)
_SIDES = {"left": "left", "right": "right", "l": "left", "r": "right"}
_FILLERS = {
    "x",
    "×",
    "*",
    "at",
    "from",
    "to",
    "the",
    "recording",
    "site",
    "electrode",
    "of",
    "-",
    ",",
}
_LENGTH = {"mm", "cm", "m"}
_TIME = {"ms", "us", "µs", "μs"}
_CURRENT = {"mA": 1.0, "uA": 1e-3, "µA": 1e-3, "μA": 1e-3, "A": 1e3}
_VOLTAGE = {"V": 1.0, "mV": 1e-3}


def _num(s: str) -> float:
    return float(s.replace(",", "."))


def _quantity(num: str, unit: str) -> tuple[str, float] | None:
    """(output key, value in internal units) of one number with its unit, None when not a stimulus unit."""
    u = unit.lower()
    if u in _LENGTH:
        return "recording_distance_mm", _num(num) * to_internal_factor(u, "length")
    if u in _TIME:
        return "pulse_width_ms", _num(num) * to_internal_factor(u, "time")
    if unit in _CURRENT:
        return "intensity_ma", _num(num) * _CURRENT[unit]
    if unit in _VOLTAGE:
        return "intensity_v", _num(num) * _VOLTAGE[unit]
    return None


def parse_stimulus_text(text: str) -> dict[str, Any] | None:
    """Parse the EDF+ specification's stimulus phrasing.

    ``"Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording site"`` →
    ``{"side": "right", "site": "wrist", "pulse_width_ms": 0.2, "intensity_ma": 8.2,
    "recording_distance_mm": 65.0}``. Every part after the word ``Stimulus`` (or ``Stim``,
    ``Stimulation``) is optional; units are converted (µs → ms, µA → mA, cm/m → mm). A voltage
    intensity (``V``) is kept as ``intensity_v``, never converted to mA. A length is the
    stimulation-to-recording distance with or without the word ``at``. The words before the first
    quantity are the side and the site; words after it that are neither a quantity nor one of the
    phrasing's fillers (``x``, ``at``, ``from recording site``), and repeated quantities, are
    returned under ``"unparsed"`` so that the reader can report them.

    Parameters
    ----------
    text : str
        One annotation text.

    Returns
    -------
    dict or None
        None when the text is not a stimulus annotation.

    Raises
    ------
    ValueError
        For a stimulus text longer than :data:`MAX_STIMULUS_TEXT` characters.

    Examples
    --------
    >>> parse_stimulus_text("Stimulus right wrist 0.2ms x 8.2mA at 6.5cm from recording site")["site"]
    'wrist'
    >>> parse_stimulus_text("Stim R wrist 0.2ms 8.2mA 65mm")["recording_distance_mm"]
    65.0
    """
    m = _STIM_RE.match(text, 0, 40)
    if m is None:
        return None
    if len(text) > MAX_STIMULUS_TEXT:
        raise ValueError(
            f"stimulus text of {len(text)} characters, longer than the {MAX_STIMULUS_TEXT} "
            "that are parsed"
        )
    rest = text[m.end() :]
    out: dict[str, Any] = {}
    unparsed: list[str] = []
    first = len(rest)
    leftovers = []
    pos = 0
    for q in _QUANTITY_RE.finditer(rest):
        first = min(first, q.start())
        if pos and q.start() > pos:
            leftovers.append(rest[pos : q.start()])
        pos = q.end()
        kv = _quantity(q.group("num"), q.group("unit"))
        if kv is None or kv[0] in out:
            unparsed.append(q.group(0))
        else:
            out[kv[0]] = kv[1]
    leftovers.append(rest[pos:] if pos else "")
    for chunk in leftovers:
        unparsed += [w for w in chunk.split() if w.lower().strip(",;:") not in _FILLERS]
    words = rest[:first].strip(" \t,;:-").split()
    if words and words[0].lower() in _SIDES:
        out["side"] = _SIDES[words[0].lower()]
        words = words[1:]
    if words:
        out["site"] = " ".join(words)
    if unparsed:
        out[UNPARSED_KEY] = unparsed
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
    "saturated": ("saturated", "bool", None),
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
    element's attributes and children are returned under ``"study"`` as strings, and the parts of
    ``study_source`` elements (the provenance JSON cut into pieces) under ``"study_source"`` as
    ``(part, text)`` pairs.

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
        if tag == "study_source":  # a part of the study's provenance JSON (ncs_emg files)
            part = el.attrib.get("part", "0")
            if not part.isdigit() or len(part) > 9:
                raise ValueError(f"EDF_XMLnote <study_source>: part {part[:20]!r} is not an index")
            out.setdefault("study_source", []).append((int(part), el.text or ""))
        elif tag == "study":
            out["study"] = _study_element(el)
        elif tag in _XML_FIELDS and not len(el) and el is not root:
            key, kind, default_unit = _XML_FIELDS[tag]
            out[key] = _leaf_value(el, kind, default_unit)
    return out


def _study_element(el: Element) -> dict[str, Any]:
    study: dict[str, Any] = dict(el.attrib)
    nerves = []
    for ch in el:
        if ch.tag.lower() == "nerve_info":
            nerves.append(dict(ch.attrib))
        else:
            study[ch.tag] = ch.text or ""
    study["nerves"] = nerves
    return study


def _leaf_value(el: Element, kind: str, default_unit: str | None) -> Any:
    """The value of one leaf element: text, integer, 0/1 flag, or a quantity in internal units."""
    val = (el.text or "").strip()
    if kind == "str":
        return val
    if kind == "int":
        return int(val)
    if kind == "bool":
        if val.lower() not in ("0", "1", "true", "false", "yes", "no"):
            raise ValueError(f"EDF_XMLnote <{el.tag}>: expected 0/1, got {val!r}")
        return val.lower() in ("1", "true", "yes")
    unit = str(el.attrib.get("unit", default_unit))  # quantities always have a default unit
    try:
        factor = to_internal_factor(unit, kind, where=f"EDF_XMLnote <{el.tag}> unit")
    except UnitError as exc:
        raise ValueError(str(exc)) from exc
    v = _num(val) * factor
    if not math.isfinite(v):
        raise ValueError(f"EDF_XMLnote <{el.tag}>: not a finite number {val!r}")
    return v


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
    at = text.find(XML_NOTE_OPEN)
    plain = text if at < 0 else text[:at]
    fields = parse_stimulus_text(plain) if plain.strip() else None
    xml = parse_xml_note(text) if at >= 0 else {}
    xml.pop("study", None)
    xml.pop("study_source", None)
    if fields is None and not xml:
        return None
    merged = dict(fields or {})
    merged.update(xml)
    return merged
