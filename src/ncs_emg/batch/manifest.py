"""The batch manifest: which input contents are done, keyed by their SHA-256.

``OUT/manifest.jsonl`` starts with a header line (format version, stage, package version) and then
holds one line per finished file: ``{"key", "file", "status": "ok"|"error", "part"}``. A line is
appended only after the file's part (``OUT/parts/<key>.json``) has been renamed into place, with one
``write`` call, then flushed: whatever moment a run is killed, every complete line points
to a complete part. A torn last line (a kill inside ``write``) is ignored when reading, so that file
is simply redone. A later line for the same key replaces an earlier one (``--retry-failed``).
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TextIO

from ..errors import FormatError, ParameterError

__all__ = ["MANIFEST_NAME", "PARTS_DIR", "Manifest", "ManifestEntry", "hash_file", "path_key"]

MANIFEST_NAME = "manifest.jsonl"
PARTS_DIR = "parts"
_FORMAT = 1
_CHUNK = 1 << 20


def hash_file(path: str | os.PathLike) -> str:
    """SHA-256 (hex) of a regular file's bytes.

    Raises
    ------
    FormatError
        When ``path`` is missing, not a regular file (a folder, a FIFO that would block) or unreadable.
    """
    p = Path(path)
    try:
        fd = os.open(p, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except FileNotFoundError as exc:
        raise FormatError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(f"{p}: is a directory, not a study file") from exc
    except OSError as exc:
        raise FormatError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    mode = os.fstat(fd).st_mode
    if not stat.S_ISREG(mode):
        os.close(fd)
        what = "a directory" if stat.S_ISDIR(mode) else "not a regular file (a pipe or device)"
        raise FormatError(f"{p}: is {what}, not a study file")
    with os.fdopen(fd, "rb") as fh:
        h = hashlib.sha256()
        try:
            while chunk := fh.read(_CHUNK):
                h.update(chunk)
        except OSError as exc:
            raise FormatError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    return h.hexdigest()


def path_key(path: str | os.PathLike) -> str:
    """Manifest key of an input whose bytes cannot be read: ``path-`` + SHA-256 of its absolute path."""
    return "path-" + hashlib.sha256(str(Path(path).absolute()).encode()).hexdigest()


@dataclass(frozen=True)
class ManifestEntry:
    """One finished input.

    Attributes
    ----------
    key : str
        SHA-256 of the content (``path-...`` for an input that could not be read).
    file : str
        Input path as given.
    status : str
        ``"ok"`` or ``"error"``.
    part : str
        Part file name under ``parts/``.
    """

    key: str
    file: str
    status: str
    part: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready dict."""
        return {"key": self.key, "file": self.file, "status": self.status, "part": self.part}


class Manifest:
    """Append-only record of finished inputs in an output folder (see the module docstring)."""

    def __init__(self, out_dir: str | os.PathLike, header: Mapping[str, Any]):
        self.out = Path(out_dir)
        self.path = self.out / MANIFEST_NAME
        self.parts = self.out / PARTS_DIR
        self.header = {"ncs_emg_manifest": _FORMAT, **header}
        self.entries: dict[str, ManifestEntry] = {}
        self._fh: TextIO | None = None

    def load(self) -> Manifest:
        """Read an existing manifest (missing: empty); check it was made by the same stage.

        Raises
        ------
        ParameterError
            When the folder holds a manifest of another stage or parameters.
        FormatError
            When the manifest's header is unreadable.
        """
        if not self.path.exists():
            return self
        lines = self.path.read_text(encoding="utf-8").split("\n")
        try:
            head = json.loads(lines[0])
        except json.JSONDecodeError as exc:
            raise FormatError(f"{self.path}: the header line is not JSON ({exc})") from exc
        for k in ("stage", "parameters"):
            if head.get(k) != self.header.get(k):
                raise ParameterError(
                    f"{self.out}: holds results of {k} {head.get(k)!r}, not {self.header.get(k)!r}; "
                    "use another output folder"
                )
        for line in lines[1:]:
            try:
                d = json.loads(line)
                e = ManifestEntry(d["key"], d["file"], d["status"], d["part"])
            except (json.JSONDecodeError, KeyError, TypeError):
                continue  # a torn last line: that file is redone
            if (self.parts / e.part).is_file():
                self.entries[e.key] = e
        return self

    def is_done(self, key: str, *, retry_failed: bool = False) -> bool:
        """True when ``key`` is recorded (and, with ``retry_failed``, did not fail)."""
        e = self.entries.get(key)
        return e is not None and not (retry_failed and e.status == "error")

    def open(self) -> Manifest:
        """Open for appending (writing the header line if the manifest is new)."""
        self.parts.mkdir(parents=True, exist_ok=True)
        new = not self.path.exists() or self.path.stat().st_size == 0
        torn = not new and not self.path.read_bytes().endswith(b"\n")
        self._fh = fh = open(self.path, "a", encoding="utf-8")
        if new:
            self._append(self.header)
        elif torn:  # a kill inside a write: end the torn line so the next entry is whole
            fh.write("\n")
        return self

    def _append(self, obj: Mapping[str, Any]) -> None:
        assert self._fh is not None, "Manifest.open() comes first"
        self._fh.write(json.dumps(obj, separators=(",", ":")) + "\n")
        self._fh.flush()

    def record(self, entry: ManifestEntry) -> None:
        """Append ``entry`` (its part must already be in place)."""
        self._append(entry.to_dict())
        self.entries[entry.key] = entry

    def close(self) -> None:
        """Close the manifest file."""
        if self._fh is not None:
            self._fh.close()
            self._fh = None

    def part_paths(self) -> list[Path]:
        """Part files of every recorded input, ordered by input path (deterministic tables)."""
        return [
            self.parts / e.part
            for e in sorted(self.entries.values(), key=lambda e: (e.file, e.key))
        ]
