"""Input files must be regular files: a FIFO, a device or a socket would block or never end.

Opening a FIFO for reading waits for a writer (forever); ``/dev/zero`` never ends. Every reader
checks its input with :func:`regular_file` (``os.stat`` does not block) before opening it.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from ..errors import FormatError

__all__ = ["regular_file"]


def regular_file(path: str | os.PathLike, what: str = "") -> Path:
    """``path`` as a Path when it names a regular file (symbolic links followed).

    Raises
    ------
    FormatError
        Naming the file (and ``what`` it is, e.g. ``"sidecar"``) when it is missing, a directory,
        or not a regular file (FIFO, device, socket).
    """
    p = Path(path)
    label = f"{what} {p}" if what else str(p)
    try:
        mode = os.stat(p).st_mode
    except FileNotFoundError as exc:
        raise FormatError(f"{label}: no such file") from exc
    except OSError as exc:
        raise FormatError(f"{label}: cannot be read ({exc.strerror or exc})") from exc
    if stat.S_ISDIR(mode):
        raise FormatError(f"{label}: is a directory, not a study file")
    if not stat.S_ISREG(mode):
        raise FormatError(
            f"{label}: not a regular file (a FIFO, device or socket); read files only"
        )
    return p
