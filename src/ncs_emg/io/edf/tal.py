"""EDF+ time-stamped annotation lists (TALs): the byte format, read and written.

A TAL (EDF+ specification, section 2.2.2) is ``+onset[\\x15duration]\\x14text\\x14text...\\x14\\x00``.
The first TAL of the first annotation signal in every data record is the record's timekeeping TAL: its
first text is empty and its onset is the record's start in seconds after the file start.

This module turns annotation bytes into :class:`Annotation` objects (reporting malformed TALs as
:class:`EdfIssue` with the record index and file byte offset instead of raising) and writes TALs. It
knows nothing of what the texts mean (stimulus texts are :mod:`ncs_emg.io.edf_study.stimulus`).
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from ...errors import ParameterError

__all__ = [
    "Annotation",
    "EdfIssue",
    "parse_tal_block",
    "encode_tal",
    "format_seconds",
    "check_tal_text",
]

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
    ctx = _TalContext(record, signal, file_offset, issues)
    out: list[Annotation] = []
    onset_rec: Decimal | None = None
    first = True
    for tal, tal_pos in _split_tals(buf, ctx):
        parsed = _parse_tal(tal, tal_pos, ctx)
        is_first, first = first, False
        if parsed is None:
            continue
        onset, dur, texts = parsed
        if timekeeping and is_first:
            if texts and texts[0] == b"":
                onset_rec = onset
                texts = texts[1:]
            else:
                ctx.issue(
                    f"first TAL is not a timekeeping TAL {_short(tal)}",
                    "record onset derived from the previous record",
                    tal_pos,
                )
        out.extend(_annotations(onset, dur, texts, tal, tal_pos, ctx=ctx))
    if timekeeping and first:
        ctx.issue("no timekeeping TAL", "record onset derived from the previous record", 0)
    return out, onset_rec


@dataclass
class _TalContext:
    record: int
    signal: int
    file_offset: int
    issues: list[EdfIssue]

    def issue(self, value: str, action: str, pos: int) -> None:
        self.issues.append(
            EdfIssue("annotations", value, action, self.record, self.file_offset + pos)
        )


def _split_tals(buf: bytes, ctx: _TalContext) -> Iterator[tuple[bytes, int]]:
    """Yield (TAL bytes without its NUL, position) for every TAL in ``buf``."""
    pos, n = 0, len(buf)
    while pos < n:
        if buf[pos] == 0:
            pos += 1
            continue
        end = buf.find(b"\x00", pos)
        if end < 0:
            ctx.issue(
                f"TAL without its terminating NUL byte {_short(buf[pos:])}",
                "ignored the rest of this record's annotations",
                pos,
            )
            return
        yield buf[pos:end], pos
        pos = end + 1


def _parse_tal(
    tal: bytes, pos: int, ctx: _TalContext
) -> tuple[Decimal, Decimal | None, list[bytes]] | None:
    """(onset, duration or None, texts) of one TAL, or None when it is malformed (reported)."""
    parts = tal.split(b"\x14")
    head = parts[0]
    onset_raw, dur_sep, dur_raw = head.partition(b"\x15")
    if (
        len(parts) < 2
        or not _ONSET_RE.match(onset_raw)
        or (dur_raw and not _DURATION_RE.match(dur_raw))
    ):
        ctx.issue(f"malformed TAL {_short(tal)}", "skipped this TAL", pos)
        return None
    try:
        onset, c1 = _decimal(onset_raw)
        dur, c2 = _decimal(dur_raw) if dur_raw else (None, False)
    except (InvalidOperation, UnicodeDecodeError):  # pragma: no cover - regex guards this
        return None
    if c1 or c2:
        ctx.issue(
            f"comma decimal in TAL onset/duration {_short(head)}",
            "read the comma as a decimal point",
            pos,
        )
    if dur_sep and not dur_raw:
        ctx.issue(
            f"TAL duration marker 0x15 without a duration {_short(tal)}",
            "read as an annotation without duration",
            pos,
        )
    if parts[-1] != b"":
        ctx.issue(f"TAL does not end with 0x14 {_short(tal)}", "kept its texts", pos)
    texts = parts[1:-1] if parts[-1] == b"" else parts[1:]
    return onset, dur, texts


def _annotations(
    onset: Decimal,
    dur: Decimal | None,
    texts: list[bytes],
    tal: bytes,
    pos: int,
    *,
    ctx: _TalContext,
) -> list[Annotation]:
    onset_f = float(onset)
    dur_f = None if dur is None else float(dur)
    if not math.isfinite(onset_f) or (dur_f is not None and not math.isfinite(dur_f)):
        head = tal.split(b"\x14")[0]
        ctx.issue(f"onset/duration out of range {_short(head)}", "skipped this TAL", pos)
        return []
    out = []
    for t in texts:
        if not t:
            continue
        try:
            text = t.decode("utf-8")
        except UnicodeDecodeError:
            text = t.decode("latin-1")
            ctx.issue(f"text is not UTF-8 {_short(t)}", "decoded as latin-1", pos)
        out.append(Annotation(onset_f, dur_f, text, ctx.record, ctx.signal, onset))
    return out


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
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParameterError(
            f"{what}: {text[:60]!r} contains {text[exc.start]!r} (a lone surrogate) that UTF-8 "
            "cannot encode; remove it"
        ) from exc
    return text
