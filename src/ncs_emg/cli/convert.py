"""``ncs-emg convert``: between EDF/EDF+/BDF and the native ``.h5``."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from ._common import UsageError, add_reading_options, check_outputs, read_input, warnings_to_stderr

_OUTPUT_EXT = (".h5", ".hdf5", ".edf", ".bdf")


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``convert`` subcommand to ``sub`` and return the function that runs it."""
    p = sub.add_parser(
        "convert", help="convert a study between EDF/EDF+/BDF and the native .h5 format"
    )
    p.add_argument("input", help="study file (native .h5, EDF/EDF+/BDF)")
    p.add_argument("output", help="output file: .h5/.hdf5 (native), .edf (EDF+D) or .bdf (BDF+D)")
    add_reading_options(p)
    p.add_argument("--overwrite", action="store_true", help="replace an existing output file")

    def run(args: argparse.Namespace) -> int:
        from ..io import write_study

        src, dst = Path(args.input), Path(args.output)
        if dst.suffix.lower() not in _OUTPUT_EXT:
            raise UsageError(
                f"output {str(dst)!r}: unknown extension {dst.suffix!r}; valid: {list(_OUTPUT_EXT)}"
            )
        check_outputs([dst], overwrite=args.overwrite, inputs=[src])
        with warnings_to_stderr(args):
            study, fmt, _ = read_input(args, src)
            write_study(study, dst)  # atomic: a failure or Ctrl-C leaves no partial file
        n_sw = sum(s.sweeps.n_sweeps for n in study.nerves for s in n.sites) + sum(
            n.fwaves.n_sweeps for n in study.nerves if n.fwaves is not None
        )
        print(f"{src} ({fmt}) -> {dst}: {len(study.nerves)} nerves, {n_sw} sweeps")
        return 0

    return run
