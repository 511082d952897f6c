"""Atomic file output: write a temporary file beside the target, rename it over the target when done.

A writer that fails half-way (full disk, a refused value, Ctrl-C) then leaves the target as it was:
either absent or the previous complete file, never a partial file that reads as valid data. The
temporary file lives in the target's directory (``.<name>.<random>.part<ext>``) so the final
:func:`os.replace` is a rename within one file system, which POSIX makes atomic.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from ..errors import FormatError, ParameterError
from ..types import Study

__all__ = ["atomic_path", "AtomicGroup", "check_text", "check_study_texts"]


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _temporary_beside(target: Path) -> Path:
    parent = target.parent if str(target.parent) else Path(".")
    try:
        # keep the extension last: writers choose the format from it
        fd, tmp = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=f".part{target.suffix}", dir=parent
        )
    except OSError as exc:
        raise FormatError(f"{target}: cannot be written ({exc.strerror or exc})") from exc
    os.close(fd)
    # mkstemp makes the file private (0600); a finished output gets the usual permissions
    with contextlib.suppress(OSError):
        os.chmod(tmp, 0o666 & ~_umask())
    return Path(tmp)


@contextlib.contextmanager
def atomic_path(target: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside ``target``; rename it over ``target`` when the block succeeds.

    Parameters
    ----------
    target : str or path-like
        The file to produce.

    Yields
    ------
    Path
        An empty temporary file in the target's directory; write the complete output to it.

    Raises
    ------
    FormatError
        When no temporary file can be made in the target's directory or the rename fails.

    Notes
    -----
    On any exception (including ``KeyboardInterrupt``) the temporary file is removed and the
    exception propagates; ``target`` is never touched. A file that existed at ``target`` is only
    ever replaced as a whole by the rename.
    """
    group = AtomicGroup()
    tmp = group.add(target)
    try:
        yield tmp
        group.commit()
    finally:
        group.discard()


class AtomicGroup:
    """Several outputs that appear together: nothing is renamed until :meth:`commit`.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> g = AtomicGroup()
    >>> _ = g.add(d / "a.txt").write_text("a")
    >>> _ = g.add(d / "b.txt").write_text("b")
    >>> g.commit(); sorted(p.name for p in d.iterdir())
    ['a.txt', 'b.txt']
    """

    def __init__(self) -> None:
        self._pairs: list[tuple[Path, Path]] = []

    def add(self, target: str | os.PathLike) -> Path:
        """A temporary path for ``target`` (renamed to it by :meth:`commit`)."""
        # a symbolic link is written through (the file it points to is replaced, the link kept)
        t = Path(os.path.realpath(target)) if os.path.islink(target) else Path(target)
        if any(os.path.abspath(t) == os.path.abspath(x) for x, _ in self._pairs):
            raise ParameterError(f"{t}: the same output file is named twice")
        tmp = _temporary_beside(t)
        self._pairs.append((t, tmp))
        return tmp

    def write_text(self, target: str | os.PathLike, text: str) -> None:
        """Write ``text`` (UTF-8) for ``target``; FormatError naming ``target`` on failure.

        Text UTF-8 cannot encode (lone surrogates) is a ParameterError before anything is written.
        """
        try:
            data = text.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ParameterError(
                f"{target}: the output holds {text[exc.start]!r} (a lone surrogate) that UTF-8 "
                "cannot encode; nothing written"
            ) from exc
        tmp = self.add(target)
        try:
            tmp.write_bytes(data)
        except OSError as exc:
            raise FormatError(f"{target}: cannot be written ({exc.strerror or exc})") from exc

    def commit(self) -> None:
        """Rename every temporary file over its target (in the order they were added)."""
        for target, tmp in self._pairs:
            try:
                os.replace(tmp, target)
            except OSError as exc:
                raise FormatError(f"{target}: cannot be written ({exc.strerror or exc})") from exc
        self._pairs = []

    def discard(self) -> None:
        """Remove the temporary files not yet committed (targets are left untouched)."""
        for _, tmp in self._pairs:
            with contextlib.suppress(OSError):
                tmp.unlink()
        self._pairs = []


def check_text(text: str, what: str) -> str:
    """``text`` unchanged when every file format of the package can store it.

    Refuses NUL characters (HDF5 and C strings end at them) and lone surrogates (no UTF-8 form), so
    that a writer never fails half-way on a name.

    Raises
    ------
    ParameterError
        Naming ``what`` and the offending character.
    """
    if not isinstance(text, str):
        raise ParameterError(f"{what}: expected text, got {type(text).__name__} {text!r}")
    if "\x00" in text:
        raise ParameterError(f"{what}: {text[:60]!r} contains a NUL character; remove it")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ParameterError(
            f"{what}: {text[:60]!r} contains {text[exc.start]!r} (a lone surrogate) that UTF-8 "
            "cannot encode; remove it"
        ) from exc
    return text


def check_study_texts(study: Study) -> None:
    """Refuse (ParameterError naming the field) any name a file cannot store, before writing."""
    fields = [("study subject_id", study.subject_id)]
    fields += [(f"study {k}", v) for k, v in (("date", study.date), ("device", study.device)) if v]
    for ni, n in enumerate(study.nerves):
        where = f"study nerve {ni}"
        fields += [(f"{where} nerve", n.nerve), (f"{where} muscle", n.muscle or "")]
        for si, s in enumerate(n.sites):
            fields += [(f"{where} site {si} name", s.name)]
            fields += [(f"{where} site {si} segment", s.segment or "")]
    for what, text in fields:
        check_text(text, what)
