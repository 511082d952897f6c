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
    "HDF5_SIGNATURE",
    "read_edf",
    "write_edf",
    "EdfSignal",
    "EdfRecording",
]

_EDF_NAMES = ("read_edf", "write_edf", "EdfSignal", "EdfRecording")


def __getattr__(name: str) -> Any:
    """EDF names are imported on first use (PEP 562), so ``import ncs_emg`` stays light."""
    if name in _EDF_NAMES:
        from . import edf

        return getattr(edf, name)
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
    p = Path(path)
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


def read_study(path: str | os.PathLike, **kwargs: Any) -> Study:
    """Read a study from an ncs_emg HDF5 file or an EDF/EDF+/BDF export.

    Parameters
    ----------
    path : str or path-like
        The file. Its format is taken from its magic bytes, not its extension.
    **kwargs
        Passed to the format's reader (for EDF: sidecar, annotation parser...).

    Returns
    -------
    Study

    Raises
    ------
    FormatError
        When the file is missing, unreadable, not a supported format, or has missing or malformed fields.
    """
    fmt = sniff_format(path)
    if fmt == "hdf5":
        from .hdf5 import read_hdf5_study

        return read_hdf5_study(path, **kwargs)
    try:
        from .edf import read_edf_study
    except ImportError as exc:  # the EDF reader lands in its own issue
        raise FormatError(f"{path}: {fmt.upper()} files are not supported by this version") from exc
    return read_edf_study(path, **kwargs)


def write_study(study: Study, path: str | os.PathLike, **kwargs: Any) -> Path:
    """Write ``study`` to ``path``: ``.h5``/``.hdf5`` → native HDF5; ``.edf``/``.bdf`` → EDF+D/BDF+D.

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
        try:
            from .edf import write_edf_study
        except ImportError as exc:
            raise ParameterError(f"path: writing {ext} is not supported by this version") from exc
        write_edf_study(study, p, **kwargs)
        return p
    raise ParameterError(
        f"path: cannot tell the format from the extension {ext!r} of {str(p)!r}; "
        "valid: .h5, .hdf5 (native), .edf, .bdf"
    )
