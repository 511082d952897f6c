"""``ncs-emg simulate``: a simulated study with its ground truth."""

from __future__ import annotations

import argparse
import contextlib
import json
from collections.abc import Callable, Iterator

from ._common import UsageError, check_outputs, warnings_to_stderr
from ._output import json_safe

_OUTPUT_EXT = (".h5", ".hdf5", ".edf", ".bdf")


@contextlib.contextmanager
def _naming(option: str) -> Iterator[None]:
    """Prefix a file error with the option that named the file."""
    from ..errors import FormatError

    try:
        yield
    except FormatError as exc:
        raise FormatError(f"{option} {exc}") from exc


def add_parser(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
) -> Callable[[argparse.Namespace], int]:
    """Add the ``simulate`` subcommand to ``sub`` and return the function that runs it."""
    from ..simulate import STUDY_PRESETS

    p = sub.add_parser(
        "simulate", help="write a simulated study (with its ground truth) for tests and teaching"
    )
    p.add_argument("--preset", choices=sorted(STUDY_PRESETS), default="normal", help="study preset")

    def seed(text: str) -> int:
        try:
            v = int(text)
        except ValueError:
            v = -1
        if v < 0:
            raise argparse.ArgumentTypeError(f"expected a non-negative integer, got {text!r}")
        return v

    p.add_argument("--seed", type=seed, default=0, help="random seed >= 0 (same seed, same study)")
    p.add_argument("-o", "--output", required=True, help="output file (.h5 native; .edf/.bdf)")
    p.add_argument("--truth", help="also write the ground truth as JSON to this file")
    p.add_argument("--overwrite", action="store_true", help="replace existing output files")

    def run(args: argparse.Namespace) -> int:
        from pathlib import Path

        from ..io import write_study
        from ..io.atomic import AtomicGroup
        from ..simulate import simulate_study

        out = Path(args.output)
        if out.suffix.lower() not in _OUTPUT_EXT:
            raise UsageError(
                f"output {args.output!r}: unknown extension {out.suffix!r}; valid: {list(_OUTPUT_EXT)}"
            )
        check_outputs([args.output, args.truth], overwrite=args.overwrite)
        sim = simulate_study(args.preset, rng=args.seed)
        # both files appear together or not at all; existing files are replaced only on success
        group = AtomicGroup()
        try:
            if args.truth:
                doc = {"file": str(args.output), "seed": args.seed, **sim.truth.to_dict()}
                with _naming("--truth"):
                    group.write_text(args.truth, json.dumps(json_safe(doc), indent=1) + "\n")
            with warnings_to_stderr(args), _naming("-o"):
                write_study(sim.study, group.add(out))
            group.commit()
        finally:
            group.discard()
        print(
            f"{out}: simulated study {args.preset!r} (seed {args.seed}), "
            f"{len(sim.study.nerves)} nerves" + (f"; truth in {args.truth}" if args.truth else "")
        )
        return 0

    return run
