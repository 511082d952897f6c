"""File input and output. Only this subpackage (and ``cli.py``) touches the file system.

:func:`read_study` picks the reader from the file's magic bytes, not its name, so a renamed file is read
by the right reader or refused clearly. :func:`write_study` picks the writer from the extension.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ..errors import FormatError, ParameterError
from ..types import Study

__all__ = [
    "read_study",
    "write_study",
    "sniff_format",
    "reader_issues",
    "HDF5_SIGNATURE",
    "READ_OPTIONS",
    "read_edf",
    "write_edf",
    "EdfSignal",
    "EdfRecording",
    "read_edf_study",
    "write_edf_study",
    "ReadLimits",
    "get_read_limits",
    "set_read_limits",
    "read_limits",
]

_LAZY = {
    "read_edf": "edf",
    "write_edf": "edf",
    "EdfSignal": "edf",
    "EdfRecording": "edf",
    "read_edf_study": "edf_study",
    "write_edf_study": "edf_study",
    "ReadLimits": "limits",
    "get_read_limits": "limits",
    "set_read_limits": "limits",
    "read_limits": "limits",
}

#: Reading options of :func:`read_study` that only EDF/BDF files use, with their "not given" value.
READ_OPTIONS = {
    "sidecar": "auto",
    "annotation_parser": None,
    "display_polarity": None,
    "pre_ms": None,
    "post_ms": None,
    "trigger_signal": None,
    "trigger_threshold": None,
}


def __getattr__(name: str) -> Any:
    """EDF names are imported on first use (PEP 562), so ``import ncs_emg`` stays light."""
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


#: First 8 bytes of every HDF5 file (the superblock may also sit at 512, 1024... bytes: see sniff).
HDF5_SIGNATURE = b"\x89HDF\r\n\x1a\n"
_HDF5_EXT = (".h5", ".hdf5", ".ncs.h5")


def sniff_format(path: str | os.PathLike) -> str:
    """Return ``"hdf5"``, ``"edf"`` or ``"bdf"`` from the file's first bytes.

    Raises
    ------
    FormatError
        When the file cannot be opened or is none of those formats.
    """
    from .paths import regular_file

    p = regular_file(path)  # a FIFO or device would block or never end
    try:
        with open(p, "rb") as fh:
            head = fh.read(8)
            if head == HDF5_SIGNATURE:
                return "hdf5"
            if head[:1] == b"0" and len(head) == 8 and not head[1:].strip(b" \x00"):
                return "edf"  # what read_edf accepts: '0' padded with spaces or NULs
            if head[:8] == b"\xffBIOSEMI":
                return "bdf"
            # HDF5 allows a user block: the superblock may start at 512, 1024, 2048... bytes
            off = 512
            size = p.stat().st_size
            while off + 8 <= size and off <= 1 << 20:
                fh.seek(off)
                if fh.read(8) == HDF5_SIGNATURE:
                    return "hdf5"
                off *= 2
    except FileNotFoundError as exc:
        raise FormatError(f"{p}: no such file") from exc
    except IsADirectoryError as exc:
        raise FormatError(f"{p}: is a directory, not a study file") from exc
    except OSError as exc:
        raise FormatError(f"{p}: cannot be read ({exc.strerror or exc})") from exc
    raise FormatError(
        f"{p}: not a study file: the first bytes {head!r} match no supported format "
        "(HDF5 written by ncs_emg, EDF/EDF+ starting with b'0' and 7 spaces or NULs, BDF starting with b'\\xffBIOSEMI')"
    )


def read_study(path: str | os.PathLike, **options: Any) -> Study:
    """Read a study from an ncs_emg HDF5 file or an EDF/EDF+/BDF export.

    Parameters
    ----------
    path : str or path-like
        The file. Its format is taken from its magic bytes, not its extension.
    **options
        Reading options (:data:`READ_OPTIONS`): ``sidecar``, ``annotation_parser``,
        ``display_polarity``, ``pre_ms``, ``post_ms``, ``trigger_signal``, ``trigger_threshold``
        (see :func:`ncs_emg.io.edf_study.read_edf_study`). They describe EDF exports; an HDF5 study
        carries all of it, so for HDF5 they must be left unset (None, or ``"auto"`` for the sidecar).

    Returns
    -------
    Study
        :func:`reader_issues` gives what the reader found odd and how it handled it.

    Raises
    ------
    ParameterError
        For an unknown option, or an EDF option given for an HDF5 file.
    FormatError
        When the file is missing, unreadable, not a supported format, has missing or malformed
        fields, or exceeds a reading budget (:mod:`ncs_emg.io.limits`).
    """
    unknown = sorted(set(options) - set(READ_OPTIONS))
    if unknown:
        raise ParameterError(
            f"read_study: unknown option(s) {unknown}; valid: {sorted(READ_OPTIONS)}"
        )
    fmt = sniff_format(path)
    if fmt == "hdf5":
        given = sorted(k for k, v in options.items() if v is not None and v != READ_OPTIONS[k])
        if given:
            raise ParameterError(
                f"read_study: option(s) {given} apply to EDF/BDF files only; {path} is an HDF5 "
                "study"
            )
        from .hdf5 import read_hdf5_study

        return read_hdf5_study(path)
    from .edf_study import read_edf_study

    return read_edf_study(path, **options)


def reader_issues(study: Study) -> list[str]:
    """What the reader found odd in the file ``study`` was read from, and how it handled it.

    For EDF/BDF files, ``study.source["issues"]``. HDF5 studies are read strictly (every problem is a
    :class:`~ncs_emg.errors.FormatError`), so they have none; the provenance an HDF5 file stores
    (for example the issues of the EDF file it was converted from) is in ``study.source``.
    """
    if study.source.get("reader") in ("ncs_emg.io.edf_study", "ncs_emg.io.edf") and (
        study.source.get("format", "").startswith(("EDF", "BDF"))
    ):
        return [str(i) for i in study.source.get("issues", [])]
    return []


def write_study(study: Study, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write ``study`` to ``path``: ``.h5``/``.hdf5`` → native HDF5; ``.edf``/``.bdf`` → EDF+D/BDF+D.

    Every writer is atomic: the file appears at ``path`` only when complete, and an existing file
    there is replaced as a whole or not at all (see :mod:`ncs_emg.io.atomic`).

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    ParameterError
        For an unknown extension or a non-Study argument.
    """
    if not isinstance(study, Study):
        raise ParameterError(f"study: expected a Study, got {type(study).__name__}")
    p = Path(path)
    ext = p.suffix.lower()
    if ext in (".h5", ".hdf5"):
        from .hdf5 import write_hdf5_study

        write_hdf5_study(study, p, **kwargs)
        return p
    if ext in (".edf", ".bdf"):
        from .edf_study import write_edf_study

        write_edf_study(study, p, **kwargs)
        return p
    raise ParameterError(
        f"path: cannot tell the format from the extension {ext!r} of {str(p)!r}; "
        "valid: .h5, .hdf5 (native), .edf, .bdf"
    )
