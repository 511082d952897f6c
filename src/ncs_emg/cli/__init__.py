"""The ``ncs-emg`` command.

``main(argv=None) -> int``: exit 0 on success, 1 for bad data or an unreadable file (one line on
stderr, no traceback), 2 for usage errors (argparse, and ``cli._common.UsageError``: an output that
exists without ``--overwrite``, an output that is the input, an unknown output extension), 130 when
interrupted (Ctrl-C; outputs are written atomically, so nothing partial is left). Results go to stdout; logs to stderr.

One module per subcommand; each exposes ``add_parser(sub)`` that adds its parser and returns the
function that runs it. A new subcommand is a new module listed in ``_COMMANDS``.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

from .._version import __version__
from ..errors import NcsEmgError

__all__ = ["main", "build_parser"]

#: Subcommand modules, in the order ``--help`` lists them.
_COMMANDS: tuple[str, ...] = (
    "info",
    "measure",
    "fwave",
    "analyze",
    "eligibility",
    "cohort",
    "simulate",
    "convert",
    "batch",
    "report",
)


def build_parser() -> tuple[
    argparse.ArgumentParser, dict[str, Callable[[argparse.Namespace], int]]
]:
    """The argument parser and the function behind each subcommand."""
    parser = argparse.ArgumentParser(
        prog="ncs-emg",
        description="Nerve conduction study signal processing (research tool, not a medical device).",
    )
    parser.add_argument("--version", action="version", version=f"ncs_emg {__version__}")
    parser.add_argument(
        "-v", "--verbose", action="count", default=0, help="more log output on stderr"
    )
    parser.add_argument("-q", "--quiet", action="store_true", help="only errors on stderr")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    runners = {}
    for name in _COMMANDS:
        before = set(sub.choices)
        run = importlib.import_module(f"{__name__}.{name}").add_parser(sub)
        for name in set(sub.choices) - before:
            runners[name] = run
    return parser, runners


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``ncs-emg`` command; returns the exit status (0 ok, 1 data/file error, 2 usage)."""
    parser, runners = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse: 0 for --help/--version, 2 for usage errors
        return int(exc.code or 0)
    level = (
        logging.ERROR
        if args.quiet
        else (
            logging.DEBUG if args.verbose > 1 else logging.INFO if args.verbose else logging.WARNING
        )
    )
    logging.basicConfig(
        level=level, format="%(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    logging.getLogger("ncs_emg").setLevel(level)
    from ._common import UsageError, warnings_to_stderr

    try:
        with warnings_to_stderr(args):  # every command: package warnings are one line on stderr
            return runners[args.command](args)
    except UsageError as exc:  # a command line that cannot run as given, like argparse's errors
        print(f"ncs-emg {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except NcsEmgError as exc:
        print(f"ncs-emg {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:  # outputs are atomic: nothing partial is left behind
        print(f"ncs-emg {args.command}: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `ncs-emg measure f | head`
        return 0
