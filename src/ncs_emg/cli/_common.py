"""What every subcommand shares: the reading options, reading a file, and writing outputs safely.

* :func:`add_reading_options` / :func:`read_input`: every command that reads a study file takes the
  same options (``--sidecar``, ``--display-polarity``, ``--pre-ms``, ``--post-ms``, ``--trigger``,
  ``--trigger-threshold``, ``--max-samples``) and prints the reader's issues on stderr.
* :func:`add_output_options` / :func:`emit`: ``-o FILE`` writes the output atomically (a temporary
  file renamed when complete) and refuses to replace an existing file without ``--overwrite``.
* :func:`check_outputs`: the one overwrite policy for every command that writes files: an existing
  output needs ``--overwrite``; an output that is the input (the same file, also through a link) or
  another output is a usage error (exit 2) even with ``--overwrite``; a file that existed before
  is never removed.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..errors import NcsEmgWarning, ParameterError

if TYPE_CHECKING:
    from ..types import Study

__all__ = [
    "UsageError",
    "add_reading_options",
    "reading_options",
    "read_input",
    "print_issues",
    "add_output_options",
    "emit",
    "check_outputs",
    "same_file",
    "MAX_ISSUE_LINES",
    "warnings_to_stderr",
]

#: Issues printed on stderr per file (the rest are counted; JSON output has them all).
MAX_ISSUE_LINES = 20


class UsageError(ParameterError):
    """A command line that cannot be run as given (exit status 2, like argparse's own errors)."""


def add_reading_options(parser: argparse.ArgumentParser) -> None:
    """Add the reading options every command that reads a study file shares."""
    g = parser.add_argument_group("reading EDF/BDF files (ignored for .h5 studies)")
    g.add_argument("--sidecar", help="sidecar JSON (default: <input>.json beside the file if any)")
    g.add_argument(
        "--display-polarity",
        action="store_true",
        help="the export is in display polarity (negative up): flip every voltage once",
    )
    g.add_argument("--pre-ms", type=float, help="continuous files: ms cut before each stimulus")
    g.add_argument("--post-ms", type=float, help="continuous files: ms cut after each stimulus")
    g.add_argument("--trigger", help="continuous files: label of the trigger signal")
    g.add_argument(
        "--trigger-threshold", type=float, help="trigger level in the trigger signal's unit"
    )
    g.add_argument(
        "--max-samples",
        type=int,
        help="reading budget: largest number of samples one file may hold (default 2**27)",
    )


def reading_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`ncs_emg.read_study` that the command line sets."""
    kw: dict[str, Any] = {}
    if getattr(args, "sidecar", None):
        kw["sidecar"] = args.sidecar
    if getattr(args, "display_polarity", False):
        kw["display_polarity"] = True
    for name in ("pre_ms", "post_ms", "trigger_threshold"):
        if getattr(args, name, None) is not None:
            kw[name] = getattr(args, name)
    if getattr(args, "trigger", None):
        kw["trigger_signal"] = args.trigger
    return kw


def read_input(
    args: argparse.Namespace, path: str | os.PathLike | None = None, *, quiet: bool = False
) -> tuple[Study, str, list[str]]:
    """Read the command's input study with the reading options; print the reader's issues.

    Parameters
    ----------
    args : argparse.Namespace
        Parsed arguments (``file`` or ``input`` names the file unless ``path`` is given).
    path : str or path-like, optional
        The file to read.
    quiet : bool
        Do not print the issues (the caller reports them itself).

    Returns
    -------
    (Study, str, list of str)
        The study, its format (``"hdf5"``, ``"edf"``, ``"bdf"``) and the reader's issues.

    Raises
    ------
    UsageError
        For EDF-only options given with an HDF5 file.
    FormatError
        When the file cannot be read as a study.
    """
    from ..io import read_study, reader_issues, sniff_format
    from ..io.limits import read_limits

    path = path if path is not None else getattr(args, "file", None) or args.input
    fmt = sniff_format(path)
    kw = reading_options(args)
    if kw and fmt == "hdf5":
        raise UsageError(
            f"options {sorted(kw)} apply to EDF/BDF input only; {path} is an HDF5 study"
        )
    limits = {}
    if getattr(args, "max_samples", None) is not None:
        if args.max_samples < 1:
            raise UsageError(f"--max-samples: must be >= 1, got {args.max_samples}")
        limits["max_samples"] = args.max_samples
    with read_limits(**limits):
        study = read_study(path, **kw)
    issues = reader_issues(study)
    if not quiet:
        print_issues(args, path, issues)
    return study, fmt, issues


def read_study_or_values(args: argparse.Namespace, path: str | os.PathLike) -> Any:
    """A values CSV (``.csv``: one row per site, :func:`ncs_emg.io.values_csv.read_values_csv`) or a
    study file read with the command's reading options (:func:`read_input`, issues on stderr)."""
    if Path(path).suffix.lower() == ".csv":
        from ..io.values_csv import read_values_csv

        return read_values_csv(path)
    return read_input(args, path)[0]


def print_issues(args: argparse.Namespace, path: Any, issues: list[str]) -> None:
    """The reader's issues on stderr, one line each (at most :data:`MAX_ISSUE_LINES`)."""
    if getattr(args, "quiet", False) or not issues:
        return
    cmd = getattr(args, "command", "")
    for issue in issues[:MAX_ISSUE_LINES]:
        print(f"ncs-emg {cmd}: {path}: issue: {issue}", file=sys.stderr)
    if len(issues) > MAX_ISSUE_LINES:
        print(
            f"ncs-emg {cmd}: {path}: ... and {len(issues) - MAX_ISSUE_LINES} more issues "
            "(all of them in --format json)",
            file=sys.stderr,
        )


def add_output_options(parser: argparse.ArgumentParser) -> None:
    """``-o/--output FILE`` (default stdout) and ``--overwrite``."""
    parser.add_argument("-o", "--output", help="write the output to this file (default: stdout)")
    parser.add_argument("--overwrite", action="store_true", help="replace an existing output file")


def same_file(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    """True when ``a`` and ``b`` are the same file (hard or symbolic links included)."""
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.abspath(a) == os.path.abspath(b)


def check_outputs(
    outputs: Iterable[str | os.PathLike | None],
    *,
    overwrite: bool,
    inputs: Iterable[str | os.PathLike] = (),
) -> list[Path]:
    """Apply the overwrite policy before anything is read or written.

    Raises
    ------
    UsageError
        When an output is an input or another output (same file, links included), or exists and
        ``overwrite`` is False.
    """
    outs = [Path(o) for o in outputs if o is not None]
    ins = [Path(i) for i in inputs]
    for k, o in enumerate(outs):
        for i in ins:
            if same_file(o, i):
                raise UsageError(f"output {str(o)!r} is the input file {str(i)!r}; choose another")
        for o2 in outs[:k]:
            if same_file(o, o2):
                raise UsageError(f"outputs {str(o2)!r} and {str(o)!r} are the same file")
        if o.exists() and not overwrite:
            raise UsageError(f"output {str(o)!r} exists; pass --overwrite to replace it")
        if o.is_dir():
            raise UsageError(f"output {str(o)!r} is a directory")
    return outs


def emit(args: argparse.Namespace, text: str) -> None:
    """``text`` to ``args.output`` (atomically, overwrite policy applied) or to stdout."""
    out = getattr(args, "output", None)
    if not out:
        sys.stdout.write(text)
        return
    from ..io.atomic import AtomicGroup

    check_outputs([out], overwrite=getattr(args, "overwrite", False), inputs=_inputs(args))
    group = AtomicGroup()
    try:
        group.write_text(out, text)
        group.commit()
    finally:
        group.discard()


def _inputs(args: argparse.Namespace) -> list[str]:
    return [v for v in (getattr(args, "file", None), getattr(args, "input", None)) if v]


@contextlib.contextmanager
def warnings_to_stderr(args: argparse.Namespace) -> Iterator[None]:
    """Print the :class:`NcsEmgWarning` messages raised inside the block on stderr, one line each."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", NcsEmgWarning)
        yield
    for w in caught:
        if issubclass(w.category, NcsEmgWarning):
            if not getattr(args, "quiet", False):
                print(
                    f"ncs-emg {getattr(args, 'command', '')}: warning: {w.message}", file=sys.stderr
                )
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
